//! The alignment library on texts written for these tests: every label, the verdict, byte
//! offsets, the budget fallback, and the Alder Hey seed pair from `corpus-samples/seeds`.

use wirecopy::align::{AlignParams, Alignment, Article, Label, OpKind, Restyles, align, summarize};
use wirecopy::boilerplate::{BoilerplateModel, BoilerplateParams};
use wirecopy::normalize::{Tokenized, Tokenizer, line_hash};

/// The story, one paragraph per entry (invented town and people).
const STORY: [&str; 8] = [
    "Flood barriers along the River Maddow were raised overnight after forecasters warned that two weeks of rain would push water levels in Harlow Cross above the record set in 1998.",
    "The council said 340 homes on the low streets near the old mill had been told to prepare for evacuation, and that a rest centre would open at the Kingsway leisure complex by noon.",
    "Engineers from the regional water authority spent the night checking pumps at the Fenwick station, which failed during the last major flood and left the market square under a metre of water.",
    "Residents queued for sandbags outside the fire station from six in the morning. Volunteers from three churches handed out tea and blankets while the queue stretched past the library.",
    "Transport officials closed the Maddow bridge to lorries and warned drivers that the valley road could be shut without notice if the water reached the lower carriageway.",
    "\"We have learned a great deal since the last flood - the pumps are new and the warnings go out earlier,\" said council leader Agnes Porter, who toured the barriers at dawn.",
    "Schools in the valley will stay open, although the headteacher at St Brennan's primary said parents living on the low streets could keep their children at home without penalty.",
    "The environment agency expects the river to peak on Thursday evening and said the barriers, built after the 1998 flood, had been tested to a level half a metre above the forecast.",
];

/// A local paragraph a copy may insert.
const LOCAL: &str = "In nearby Oakden, parish clerk Tomas Reyes said volunteers had filled more than four hundred sandbags and were ready to help neighbours in Harlow Cross if the barriers were overtopped.";

/// A related-links block a copy may append.
const LINKS: &str = "More from the Valley Echo\nCouncil approves new car park for the market square\nHarlow Cross festival returns after two years\nWhy the old mill is finally being restored\nRead more \u{bb}";

fn text(paras: &[&str]) -> String {
    paras.join("\n\n")
}

fn story() -> String {
    text(&STORY)
}

fn model() -> BoilerplateModel {
    BoilerplateModel::structural_only(BoilerplateParams::default())
}

/// The alignment of `b` with `a`; every pair also checks that the scan's summary path
/// (`summarize`) gives the summary of the full alignment.
fn align_with(a: &str, b: &str, params: &AlignParams) -> Alignment {
    let m = model();
    let (a, b) = (Article::new(a, 1, &m), Article::new(b, 1, &m));
    let al = align(&a, &b, params);
    assert_eq!(summarize(&a, &b, params), al.summary());
    al
}

fn align_texts(a: &str, b: &str) -> Alignment {
    align_with(a, b, &AlignParams::default())
}

fn labels(al: &Alignment) -> (Vec<Label>, Vec<Label>) {
    (
        al.a.iter().map(|p| p.label).collect(),
        al.b.iter().map(|p| p.label).collect(),
    )
}

/// The story with paragraph `i` replaced.
fn with_paragraph(i: usize, new: &str) -> Vec<String> {
    let mut paras: Vec<String> = STORY.iter().map(|s| s.to_string()).collect();
    paras[i] = new.to_string();
    paras
}

fn join(paras: &[String]) -> String {
    paras.join("\n\n")
}

#[test]
fn identical_texts_share_every_paragraph() {
    let al = align_texts(&story(), &story());
    let (a, b) = labels(&al);
    assert!(a.iter().chain(&b).all(|&l| l == Label::Shared));
    assert!(al.identical);
    assert_eq!(al.verdict, "B is identical to A");
    assert_eq!(al.truncated_after, None);
    assert!(al.ops.iter().all(|op| op.kind == OpKind::Shared));
}

#[test]
fn quotes_and_dashes_restyle_a_paragraph() {
    let restyled = STORY[5]
        .replace("\"We", "\u{201c}We")
        .replace("earlier,\"", "earlier,\u{201d}")
        .replace(" - ", " \u{2014} ");
    let al = align_texts(&story(), &join(&with_paragraph(5, &restyled)));
    let (a, b) = labels(&al);
    assert_eq!(a[5], Label::Restyled);
    assert_eq!(b[5], Label::Restyled);
    assert!(
        b.iter()
            .enumerate()
            .all(|(i, &l)| i == 5 || l == Label::Shared)
    );
    assert!(al.restyles.contains(Restyles::QUOTES));
    assert!(al.restyles.contains(Restyles::DASHES));
    assert_eq!(al.verdict, "B restyles quotes and dashes");
}

#[test]
fn substituted_words_edit_a_paragraph_and_are_reported() {
    let edited = STORY[5].replace("said council leader", "says council leader");
    let copy = join(&with_paragraph(5, &edited));
    let al = align_texts(&story(), &copy);
    let (a, b) = labels(&al);
    assert_eq!((a[5], b[5]), (Label::Edited, Label::Edited));
    let op = al.ops.iter().find(|op| op.kind == OpKind::Edited).unwrap();
    assert_eq!((op.a, op.b), ((5, 6), (5, 6)));
    assert_eq!(op.words.len(), 1);
    let w = op.words[0];
    let original = story();
    assert_eq!(&original[w.a.0 as usize..w.a.1 as usize], "said");
    assert_eq!(&copy[w.b.0 as usize..w.b.1 as usize], "says");
    assert!(
        al.verdict
            .contains("edits paragraph 6: \u{201c}said\u{201d} \u{2192} \u{201c}says\u{201d}"),
        "{}",
        al.verdict
    );
}

#[test]
fn ocr_noise_edits_paragraphs_without_losing_them() {
    let noisy: Vec<String> = STORY
        .iter()
        .map(|p| {
            p.replace("m", "rn")
                .replace("cl", "d")
                .replacen(" the ", " tbe ", 1)
        })
        .collect();
    let al = align_texts(&story(), &join(&noisy));
    let (a, b) = labels(&al);
    assert!(a.iter().all(|&l| l == Label::Edited), "{a:?}");
    assert!(b.iter().all(|&l| l == Label::Edited), "{b:?}");
    assert!(al.a.iter().all(|p| p.partners.len() == 1 && p.kept > 0.6));
}

#[test]
fn a_prepended_dateline_is_an_insertion_at_the_start() {
    let copy = format!("HARLOW CROSS (Valley Wire) \u{2014} {}", story());
    let al = align_texts(&story(), &copy);
    let (a, b) = labels(&al);
    assert_eq!((a[0], b[0]), (Label::Edited, Label::Edited));
    let op = &al.ops[0];
    assert_eq!(op.words.len(), 1);
    assert_eq!(op.words[0].a.0, op.words[0].a.1, "nothing deleted from A");
    assert!(al.verdict.contains("+\u{201c}HARLOW CROSS (Valley Wire"));
}

#[test]
fn joined_paragraphs_are_merged() {
    let mut paras: Vec<String> = STORY.iter().map(|s| s.to_string()).collect();
    let joined = format!("{} {}", paras[1], paras[2]);
    paras.splice(1..3, [joined]);
    let al = align_texts(&story(), &join(&paras));
    let (a, b) = labels(&al);
    assert_eq!(&a[1..3], [Label::Merged, Label::Merged]);
    assert_eq!(b[1], Label::Merged);
    assert_eq!(b.len(), 7);
    let op = al.ops.iter().find(|op| op.kind == OpKind::Merged).unwrap();
    assert_eq!((op.a, op.b), ((1, 3), (1, 2)));
    assert!(op.words.is_empty(), "same words: {:?}", op.words);
    assert_eq!(al.verdict, "B merges paragraphs 2\u{2013}3");
}

#[test]
fn a_paragraph_cut_in_two_is_split() {
    let (first, second) = STORY[3].split_once(" Volunteers").unwrap();
    let mut paras: Vec<String> = STORY.iter().map(|s| s.to_string()).collect();
    paras.splice(3..4, [first.to_string(), format!("Volunteers{second}")]);
    let al = align_texts(&story(), &join(&paras));
    let (a, b) = labels(&al);
    assert_eq!(a[3], Label::Split);
    assert_eq!(&b[3..5], [Label::Split, Label::Split]);
    assert_eq!(al.a[3].partners, [3, 4]);
    assert_eq!(al.verdict, "B splits paragraph 4");
}

#[test]
fn a_paragraph_in_another_place_is_moved() {
    let mut paras: Vec<&str> = STORY.to_vec();
    let moved = paras.remove(6);
    paras.insert(1, moved);
    let al = align_texts(&story(), &text(&paras));
    let (a, b) = labels(&al);
    assert_eq!(a[6], Label::Moved);
    assert_eq!(b[1], Label::Moved);
    assert_eq!(
        a.iter().filter(|&&l| l == Label::Shared).count(),
        7,
        "{a:?}"
    );
    let op = al.ops.iter().find(|op| op.moved).unwrap();
    assert_eq!((op.a, op.b), ((6, 7), (1, 2)));
    assert_eq!(al.verdict, "B moves paragraph 7");
}

#[test]
fn an_inserted_local_paragraph_is_added() {
    let mut paras: Vec<&str> = STORY.to_vec();
    paras.insert(4, LOCAL);
    let al = align_texts(&story(), &text(&paras));
    let (a, b) = labels(&al);
    assert_eq!(b[4], Label::Added);
    assert!(a.iter().all(|&l| l == Label::Shared));
    let op = al.ops.iter().find(|op| op.kind == OpKind::Added).unwrap();
    assert_eq!((op.a, op.b), ((4, 4), (4, 5)), "added after A paragraph 4");
    assert_eq!(al.verdict, "B inserts 1 paragraph after paragraph 4");
}

#[test]
fn a_removed_paragraph_is_dropped() {
    let mut paras: Vec<&str> = STORY.to_vec();
    paras.remove(4);
    let al = align_texts(&story(), &text(&paras));
    let (a, _) = labels(&al);
    assert_eq!(a[4], Label::Dropped);
    assert_eq!(al.truncated_after, None);
    assert_eq!(al.summary().count(Label::Dropped), 1);
    assert_eq!(
        al.verdict,
        "B keeps paragraphs 1\u{2013}4 and 6\u{2013}8 of 8, drops 5"
    );
}

#[test]
fn a_cut_tail_with_marker_and_links_is_a_truncation() {
    let copy = format!(
        "{}\n\nTo continue reading, subscribe.\n\n{LINKS}",
        text(&STORY[..3])
    );
    let al = align_texts(&story(), &copy);
    let (a, b) = labels(&al);
    assert_eq!(&a[3..], [Label::Dropped; 5]);
    assert_eq!(&b[3..], [Label::Boilerplate, Label::Boilerplate]);
    assert_eq!(al.b[3].furniture, Some("outside_story"), "the marker");
    assert_eq!(al.b[4].furniture, Some("link_list"));
    assert_eq!(al.truncated_after, Some(3));
    let summary = al.summary();
    assert_eq!(summary.truncated_after, Some(3));
    assert_eq!(summary.count(Label::Shared), 3);
    assert_eq!(summary.count(Label::Boilerplate), 2);
    assert_eq!(summary.count(Label::Dropped), 5);
    assert!(
        al.verdict
            .starts_with("B is A truncated after paragraph 3 of 8; adds a 6-line link list"),
        "{}",
        al.verdict
    );
}

#[test]
fn bylines_and_link_lists_are_boilerplate() {
    let copy = format!("By Mara Quill\nValley Echo staff\n\n{}\n\n{LINKS}", story());
    let al = align_texts(&story(), &copy);
    let (a, b) = labels(&al);
    assert!(a.iter().all(|&l| l == Label::Shared));
    assert_eq!(b[0], Label::Boilerplate, "byline before the story");
    assert_eq!(b[9], Label::Boilerplate, "link list after it");
    assert_eq!(al.summary().count(Label::Added), 0);
    assert_eq!(
        al.verdict,
        "B adds boilerplate: a 2-line block (\u{201c}By Mara Quill\u{201d}) and a 5-line link \
         list (\u{201c}More from the Valley Echo\u{201d})"
    );
}

#[test]
fn byte_ranges_point_into_both_texts() {
    let mut paras: Vec<&str> = STORY.to_vec();
    paras.insert(2, LOCAL);
    paras.remove(6);
    let (a_text, b_text) = (story(), text(&paras));
    let al = align_texts(&a_text, &b_text);
    for (p, want) in al.a.iter().zip(STORY) {
        assert_eq!(&a_text[p.start as usize..p.end as usize], want);
    }
    for (p, want) in al.b.iter().zip(&paras) {
        assert_eq!(&b_text[p.start as usize..p.end as usize], *want);
    }
    for op in &al.ops {
        let slice = |t: &str, r: (u32, u32)| t[r.0 as usize..r.1 as usize].to_string();
        if op.a.1 > op.a.0 {
            assert!(slice(&a_text, op.a_bytes).starts_with(STORY[op.a.0 as usize]));
        }
        if op.b.1 > op.b.0 {
            assert!(slice(&b_text, op.b_bytes).starts_with(paras[op.b.0 as usize]));
        }
    }
}

#[test]
fn the_budget_falls_back_to_whole_paragraphs() {
    let edited = STORY[5].replace("said council leader", "says council leader");
    let mut paras = with_paragraph(5, &edited);
    paras.truncate(7);
    let params = AlignParams {
        max_tokens: 50,
        ..AlignParams::default()
    };
    let al = align_with(&story(), &join(&paras), &params);
    let fallback = al.fallback.expect("texts exceed 50 words");
    assert_eq!(fallback.max_tokens, 50);
    assert!(fallback.tokens > 200);
    let (a, b) = labels(&al);
    // Whole paragraphs still match; the edited one can only be dropped and added.
    assert_eq!(&a[..5], [Label::Shared; 5]);
    assert_eq!((a[5], b[5]), (Label::Dropped, Label::Added));
    assert_eq!(al.truncated_after, Some(7));
    assert!(al.summary().fallback);
    assert!(
        al.verdict.contains("whole paragraphs compared only"),
        "{}",
        al.verdict
    );
    // Without the budget the same pair is an edit.
    let full = align_texts(&story(), &join(&paras));
    assert_eq!(full.fallback, None);
    assert_eq!(full.a[5].label, Label::Edited);
}

/// The work bound is the token budget, asserted through the fallback it triggers; how long
/// that takes is for the `align` benchmark, not a timed test on a shared machine.
#[test]
fn long_repetitive_texts_are_bounded_by_the_budget() {
    let long = "la ".repeat(60_000);
    let al = align_texts(&long, &long);
    assert!(al.identical && al.fallback.is_none());
    let other = format!("{long}\n\nfa la\n\n{long}");
    let al = align_texts(&long, &other);
    assert!(
        al.fallback.is_some(),
        "120k words exceed the default budget"
    );
}

#[test]
fn the_same_pair_aligns_the_same_way() {
    let mut paras: Vec<&str> = STORY.to_vec();
    paras.swap(2, 5);
    paras.insert(3, LOCAL);
    let copy = text(&paras);
    assert_eq!(align_texts(&story(), &copy), align_texts(&story(), &copy));
}

/// A model that learned `line` as common furniture: it recurs between five unrelated texts.
fn model_learning(line: &str) -> BoilerplateModel {
    let texts: Vec<String> = (0..5)
        .map(|i| {
            format!("Opening line number {i} of an unrelated text.\n{line}\nClosing line {i} here.")
        })
        .collect();
    let mut tokenizer = Tokenizer::new(1);
    let docs: Vec<Tokenized> = texts
        .iter()
        .map(|t| {
            let mut out = Tokenized::default();
            tokenizer.tokenize(t, &mut out);
            out
        })
        .collect();
    let refs: Vec<&Tokenized> = docs.iter().collect();
    let hashes: Vec<u64> = docs.iter().map(|d| line_hash(&d.tokens)).collect();
    let sources: Vec<Option<u32>> = (0..5).map(Some).collect();
    BoilerplateModel::learn(BoilerplateParams::default(), &refs, &hashes, &sources)
}

#[test]
fn learned_common_lines_are_story_inside_the_story_and_furniture_outside() {
    let stock = "The agency did not respond to a request for comment.";
    let m = model_learning(stock);
    let mut paras: Vec<&str> = STORY.to_vec();
    paras.insert(3, stock);
    let inside = text(&paras);
    let al = align(
        &Article::new(&inside, 1, &m),
        &Article::new(&inside, 1, &m),
        &AlignParams::default(),
    );
    assert_eq!(al.b[3].furniture, None);
    assert_eq!(al.b[3].label, Label::Shared, "shared inside the story");
    let tail = format!("{}\n\n{stock}", story());
    let al = align(
        &Article::new(&tail, 1, &m),
        &Article::new(&tail, 1, &m),
        &AlignParams::default(),
    );
    assert_eq!(al.b[8].label, Label::Boilerplate, "after the story");
    assert_eq!(al.b[8].furniture, Some("common"));
}

/// The two seed articles: the Alder Hey story and a shorter copy of it.
fn seeds() -> (String, String) {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus-samples/seeds/docs");
    let read = |name: &str| std::fs::read_to_string(dir.join(name)).unwrap();
    (
        read("001_be386e82106ba039.txt"),
        read("000_25689afb8a6c67b2.txt"),
    )
}

#[test]
fn the_seed_copy_keeps_the_opening_drops_the_rest_and_adds_similar_news() {
    let (long, short) = seeds();
    let al = align_texts(&long, &short);
    let (a, b) = labels(&al);
    // The headline, restyled (’ vs '); the next two copy paragraphs each hold two of the
    // canonical's, with the breaks elsewhere.
    assert_eq!(b[0], Label::Restyled);
    assert_eq!(&b[1..3], [Label::Merged, Label::Merged]);
    assert_eq!(al.b[1].partners, [1, 2]);
    assert_eq!(al.b[2].partners, [6, 7]);
    // Everything after is the site's "Similar News" block.
    assert_eq!(b.len(), 17);
    assert!(b[3..].iter().all(|&l| l == Label::Boilerplate));
    // The canonical's other paragraphs are gone, the tail included.
    assert_eq!(
        a.iter().filter(|&&l| l == Label::Dropped).count(),
        5,
        "{a:?}"
    );
    assert_eq!(al.truncated_after, Some(8));
    assert!(al.restyles.contains(Restyles::QUOTES));
    let v = &al.verdict;
    assert!(
        v.starts_with("B keeps paragraphs 1\u{2013}3 and 7\u{2013}8 of 10"),
        "{v}"
    );
    assert!(
        v.contains("drops 4\u{2013}6 and 9\u{2013}10 (truncated after paragraph 8)"),
        "{v}"
    );
    assert!(
        v.contains("merges paragraphs 2\u{2013}3 and 7\u{2013}8"),
        "{v}"
    );
    assert!(v.contains("restyles quotes"), "{v}");
    assert!(v.contains("adds a 14-line link list"), "{v}");
    assert!(v.contains("Similar News"), "{v}");
}
