//! A small deterministic synthetic syndication corpus, generated in process.
//!
//! Benchmarks and tests need a corpus that exercises every stage the way news does, on a
//! fresh clone with no external data. This generator writes stories made of pseudo-random
//! sentences from a built-in word list (about 450 words per document, paragraphs separated
//! by blank lines, curly quotes and dashes) and syndicates them into copies the way outlets
//! do: truncation, an inserted local paragraph, merged or split paragraphs, quote and dash
//! restyling, house-style word substitutions, OCR-like character noise, and each site's
//! own boilerplate blocks (link lists, newsletter and copyright lines) appended to its
//! articles. Unrelated single stories, which carry site boilerplate too, fill the rest.
//!
//! The output is JSONL bytes (`{"id","text","source"}` per line, in shuffled order) for
//! [`crate::input::read_jsonl_bytes`] plus the truth (document id → story). The same
//! [`SynthParams`] always give byte-identical output: the only randomness is a seeded
//! splitmix64 stream. The text is not meant to read well, only to have the statistics the
//! detector cares about: a skewed word distribution, sentence and paragraph structure, and
//! per-site templates that recur across unrelated stories.

use crate::normalize::fmix64;
use serde::Serialize;

/// What to generate.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SynthParams {
    /// Documents in the corpus.
    pub n_docs: usize,
    pub seed: u64,
    /// Share of documents that are unrelated single stories.
    pub unrelated: f64,
    /// Outlets; every document is published by one of them.
    pub sites: usize,
}

impl Default for SynthParams {
    fn default() -> Self {
        SynthParams {
            n_docs: 1000,
            seed: 1,
            unrelated: 0.35,
            sites: 40,
        }
    }
}

/// One line of the truth: a document and the story it tells.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Truth {
    pub id: String,
    /// Story index: equal for an original and all its copies; unique for a singleton.
    pub story: u32,
}

/// A generated corpus.
pub struct SynthCorpus {
    /// JSONL, one `{"id","text","source"}` record per line.
    pub jsonl: Vec<u8>,
    /// One entry per document, in the order of `jsonl`.
    pub truth: Vec<Truth>,
}

/// Function words, drawn often, so that unrelated texts share common short phrases.
const FUNCTION: &str = "the of and to a in for on that was with by is at as from it has have be \
    are will after but this an which their had more than its not who been were over";

/// Content words; those earlier in the list are drawn more often.
const CONTENT: &str = "said government year people police minister council week million \
    report company officials city centre plans health public school children hospital court \
    president state election party market prices workers union budget spokesman statement \
    investigation service community families residents programme organisation water energy \
    road bridge station airport flights weather storm flood fire crash driver victims judge \
    trial evidence jury sentence prison charges funding scheme project building housing rents \
    tenants landlords schools teachers pupils exam results university students research \
    scientists study data survey figures growth economy inflation rates bank shares investors \
    profits sales jobs staff strike talks deal agreement treaty border troops army ceasefire \
    aid refugees camp village region province capital mayor leader opposition vote campaign \
    candidate policy reform law bill parliament committee inquiry review warning risk safety \
    patients doctors nurses treatment virus vaccine cases deaths season match team coach \
    players club league final goal victory defeat fans stadium tickets festival museum \
    exhibition artist film music concert album book author award prize record morning \
    evening yesterday tomorrow monday friday spring summer announced confirmed warned called \
    expected reported agreed rejected launched opened closed increased fell rose cut raised \
    planned new local national former senior major early late first last second third \
    several many most higher lower urgent serious popular difficult successful significant \
    recent previous further";

/// Capitalized names for datelines, speakers and sites.
const NAMES: &str = "London Paris Berlin Madrid Rome Dublin Glasgow Leeds Bristol Cardiff \
    Boston Denver Chicago Toronto Sydney Auckland Lagos Nairobi Mumbai Manila Smith Jones \
    Patel Garcia Nguyen Okafor Kowalski Rossi Murphy Schmidt";

/// The word lists, split once.
struct Vocab {
    function: Vec<&'static str>,
    content: Vec<&'static str>,
    names: Vec<&'static str>,
}

impl Vocab {
    fn new() -> Self {
        Vocab {
            function: FUNCTION.split_whitespace().collect(),
            content: CONTENT.split_whitespace().collect(),
            names: NAMES.split_whitespace().collect(),
        }
    }
}

/// Asides set off by dashes, which copies restyle.
const ASIDES: &[&str] = &[
    "at least for now",
    "officials said",
    "according to the report",
    "as expected",
    "for the first time",
];

/// House-style substitutions a copy editor applies (original → copy).
const SUBSTITUTIONS: &[(&str, &str)] = &[
    ("said", "says"),
    ("per cent", "percent"),
    ("centre", "center"),
    ("programme", "program"),
    ("organisation", "organization"),
    ("yesterday", "on Tuesday"),
];

/// OCR confusions applied as character noise.
const OCR: &[(char, char)] = &[
    ('l', '1'),
    ('o', '0'),
    ('e', 'c'),
    ('i', 'l'),
    ('a', 'o'),
    ('n', 'm'),
    ('s', '5'),
    ('t', 'f'),
];

/// A seeded splitmix64 stream; the crate's tests draw their random cases from it too.
pub(crate) struct Rng(u64);

impl Rng {
    pub(crate) fn new(seed: u64) -> Self {
        Rng(seed)
    }

    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        fmix64(self.0)
    }

    /// Uniform in `0..n` (`n` > 0).
    pub(crate) fn below(&mut self, n: usize) -> usize {
        (((self.next() >> 32) * n as u64) >> 32) as usize
    }

    /// Uniform in `lo..=hi`.
    fn range(&mut self, lo: usize, hi: usize) -> usize {
        lo + self.below(hi - lo + 1)
    }

    fn chance(&mut self, p: f64) -> bool {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64 <= p
    }

    /// Index in `0..n` skewed toward small values (roughly Zipf-like).
    fn skewed(&mut self, n: usize) -> usize {
        let u = (self.next() >> 11) as f64 / (1u64 << 53) as f64;
        ((u * u * n as f64) as usize).min(n - 1)
    }

    fn pick<'a>(&mut self, list: &[&'a str]) -> &'a str {
        list[self.below(list.len())]
    }
}

fn sentence(v: &Vocab, rng: &mut Rng) -> String {
    let n = rng.range(8, 26);
    let mut words: Vec<String> = (0..n)
        .map(|_| {
            let w = if rng.chance(0.4) {
                v.function[rng.skewed(v.function.len())]
            } else if rng.chance(0.05) {
                rng.pick(&v.names)
            } else {
                v.content[rng.skewed(v.content.len())]
            };
            w.to_owned()
        })
        .collect();
    if rng.chance(0.1) {
        let at = rng.below(n);
        words[at] = format!("{} per cent", rng.range(2, 95));
    }
    let mut body = words.join(" ");
    if rng.chance(0.15) {
        // An aside set off by em dashes.
        let at = body.find(' ').unwrap_or(0);
        let aside = rng.pick(ASIDES);
        body.insert_str(at, &format!(" \u{2014} {aside} \u{2014}"));
    }
    let mut first = body.chars();
    let head = first.next().map(|c| c.to_uppercase().to_string());
    let body = head.unwrap_or_default() + first.as_str();
    if rng.chance(0.2) {
        let speaker = rng.pick(&v.names);
        format!("\u{201c}{body},\u{201d} said Mr {speaker}\u{2019}s spokesman.")
    } else {
        format!("{body}.")
    }
}

fn paragraph(v: &Vocab, rng: &mut Rng) -> String {
    let n = rng.range(1, 3);
    (0..n)
        .map(|_| sentence(v, rng))
        .collect::<Vec<_>>()
        .join(" ")
}

/// A story of about 450 words: a dateline lead and 1–3 sentence paragraphs.
fn story(v: &Vocab, rng: &mut Rng) -> Vec<String> {
    let mut paras = Vec::new();
    let mut words = 0;
    let target = rng.range(250, 650);
    while words < target {
        let p = paragraph(v, rng);
        words += p.split_whitespace().count();
        paras.push(p);
    }
    let city = rng.pick(&v.names).to_uppercase();
    paras[0] = format!("{city} \u{2014} {}", paras[0]);
    paras
}

/// A site's boilerplate blocks: several short lines joined by single newlines.
fn site_blocks(v: &Vocab, site: usize, rng: &mut Rng) -> Vec<String> {
    let name = format!("The {} Courier", v.names[site % v.names.len()]);
    let headline = |rng: &mut Rng| {
        let n = rng.range(4, 8);
        let words: Vec<&str> = (0..n).map(|_| rng.pick(&v.content)).collect();
        words.join(" ")
    };
    let links: Vec<String> = (0..rng.range(3, 5)).map(|_| headline(rng)).collect();
    vec![
        format!("Similar News\n{}", links.join("\n")),
        format!("Sign up for the {name} newsletter\nGet the day's top stories in your inbox"),
        format!("Share on Facebook\nShare on X\nEmail this story\nRead more \u{bb}"),
        format!("\u{a9} 2026 {name} Ltd. All rights reserved. Site {site}."),
    ]
}

/// Copy-edit a story the way an outlet does; the copy keeps at least two paragraphs.
fn syndicate(v: &Vocab, original: &[String], rng: &mut Rng) -> Vec<String> {
    let mut paras = original.to_vec();
    if rng.chance(0.35) {
        paras.truncate(rng.range(2, paras.len().max(2)));
    }
    if rng.chance(0.25) {
        let at = rng.range(1, paras.len());
        paras.insert(at, paragraph(v, rng));
    }
    if rng.chance(0.2) && paras.len() > 3 {
        let at = rng.range(1, paras.len() - 2);
        let next = paras.remove(at + 1);
        paras[at] = format!("{} {next}", paras[at]);
    }
    if rng.chance(0.2) {
        let at = rng.below(paras.len());
        if let Some(cut) = paras[at].find(". ") {
            let tail = paras[at].split_off(cut + 2);
            paras[at].truncate(cut + 1);
            paras.insert(at + 1, tail);
        }
    }
    let mut text = paras.join("\n\n");
    if rng.chance(0.5) {
        text = text
            .replace(['\u{201c}', '\u{201d}'], "\"")
            .replace('\u{2019}', "'")
            .replace(" \u{2014} ", " - ");
    }
    for (from, to) in SUBSTITUTIONS {
        if rng.chance(0.3) {
            text = text.replace(from, to);
        }
    }
    if rng.chance(0.2) {
        let rate = 0.002 + 0.02 * rng.skewed(100) as f64 / 100.0;
        text = ocr_noise(&text, rate, rng);
    }
    text.split("\n\n").map(str::to_owned).collect()
}

fn ocr_noise(text: &str, rate: f64, rng: &mut Rng) -> String {
    text.chars()
        .map(|c| match OCR.iter().find(|(from, _)| *from == c) {
            Some(&(_, to)) if rng.chance(rate) => to,
            _ => c,
        })
        .collect()
}

#[derive(Serialize)]
struct Record<'a> {
    id: &'a str,
    text: &'a str,
    source: &'a str,
}

/// Generate the corpus described by `params`.
pub fn generate(params: &SynthParams) -> SynthCorpus {
    let v = Vocab::new();
    let mut rng = Rng::new(params.seed ^ 0x5157_4e54_4845_5349);
    let sites = params.sites.max(1);
    let blocks: Vec<Vec<String>> = (0..sites).map(|s| site_blocks(&v, s, &mut rng)).collect();
    let n_unrelated = (params.n_docs as f64 * params.unrelated).round() as usize;
    // (story, site, paragraphs) per document, originals followed by their copies.
    let mut docs: Vec<(u32, usize, Vec<String>)> = Vec::with_capacity(params.n_docs);
    let mut story_id = 0u32;
    while docs.len() < params.n_docs {
        let original = story(&v, &mut rng);
        let mut copies = 0;
        if docs.len() + n_unrelated < params.n_docs {
            copies = 1;
            while copies < 20 && rng.chance(0.6) {
                copies += 1;
            }
        }
        let first_site = rng.below(sites);
        let copies = copies.min(params.n_docs - docs.len() - 1);
        for c in 1..=copies {
            let copy = syndicate(&v, &original, &mut rng);
            docs.push((story_id, (first_site + c) % sites, copy));
        }
        docs.push((story_id, first_site, original));
        story_id += 1;
    }
    for (_, site, paras) in &mut docs {
        if rng.chance(0.5) {
            for block in &blocks[*site] {
                if rng.chance(0.6) {
                    paras.push(block.clone());
                }
            }
        }
    }
    for i in (1..docs.len()).rev() {
        docs.swap(i, rng.below(i + 1));
    }
    let mut jsonl = Vec::new();
    let mut truth = Vec::with_capacity(docs.len());
    for (i, (story, site, paras)) in docs.iter().enumerate() {
        let id = format!("s{:012x}", fmix64(params.seed ^ i as u64) >> 16);
        let source = format!("site{site:03}.example");
        let text = paras.join("\n\n");
        let record = Record {
            id: &id,
            text: &text,
            source: &source,
        };
        serde_json::to_writer(&mut jsonl, &record).expect("writing to a Vec cannot fail");
        jsonl.push(b'\n');
        truth.push(Truth { id, story: *story });
    }
    SynthCorpus { jsonl, truth }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::ScanConfig;
    use crate::input::{ReadOptions, read_jsonl_bytes};
    use crate::progress::Progress;
    use crate::scan::scan;
    use std::collections::{HashMap, HashSet};

    fn params(n_docs: usize, seed: u64) -> SynthParams {
        SynthParams {
            n_docs,
            seed,
            ..Default::default()
        }
    }

    #[test]
    fn same_seed_same_bytes() {
        let a = generate(&params(300, 7));
        let b = generate(&params(300, 7));
        assert_eq!(a.jsonl, b.jsonl);
        assert_eq!(a.truth, b.truth);
        assert_ne!(a.jsonl, generate(&params(300, 8)).jsonl);
    }

    #[test]
    fn shape_is_newslike() {
        let c = generate(&params(2000, 1));
        assert_eq!(c.truth.len(), 2000);
        let ids: HashSet<&str> = c.truth.iter().map(|t| t.id.as_str()).collect();
        assert_eq!(ids.len(), 2000, "ids are unique");
        let mut per_story: HashMap<u32, usize> = HashMap::new();
        for t in &c.truth {
            *per_story.entry(t.story).or_default() += 1;
        }
        let singletons = per_story.values().filter(|&&n| n == 1).count();
        assert!((650..=760).contains(&singletons), "{singletons} singletons");
        let corpus = read_jsonl_bytes("synth", c.jsonl, &ReadOptions::default()).unwrap();
        assert_eq!(corpus.len(), 2000);
        assert!(corpus.rejects.is_empty());
        let words: usize = (0..corpus.len())
            .map(|d| corpus.text(d).split_whitespace().count())
            .sum();
        let mean = words / corpus.len();
        assert!((380..=560).contains(&mean), "{mean} words per doc");
        assert!(corpus.text(0).contains("\n\n"), "paragraphs");
    }

    /// The detector finds the copies and keeps unrelated stories apart: the corpus makes
    /// the stages do the work they do on news.
    #[test]
    fn scan_recovers_the_stories() {
        let c = generate(&params(600, 3));
        let story: HashMap<String, u32> = c.truth.iter().map(|t| (t.id.clone(), t.story)).collect();
        let opts = ReadOptions {
            source_field: Some("source".into()),
            ..Default::default()
        };
        let corpus = read_jsonl_bytes("synth", c.jsonl, &opts).unwrap();
        let out = scan(&corpus, &ScanConfig::default(), &Progress::hidden());
        assert!(
            out.stats.furniture_lines > 0,
            "site boilerplate is recognised"
        );
        let id_of = |doc: u32| &corpus.docs[out.order[doc as usize] as usize].id;
        let (mut found, mut wrong) = (0, 0);
        for cl in &out.clusters {
            let canonical = story[id_of(cl.canonical)];
            let same = cl
                .members
                .iter()
                .filter(|m| story[id_of(m.doc)] == canonical)
                .count();
            found += same;
            wrong += cl.members.len() - same;
        }
        let mut sizes: HashMap<u32, usize> = HashMap::new();
        for t in &c.truth {
            *sizes.entry(t.story).or_default() += 1;
        }
        let in_stories: usize = sizes.values().filter(|&&n| n > 1).sum();
        assert!(wrong * 50 <= found, "{wrong} misplaced of {found}");
        assert!(
            found * 10 >= in_stories * 8,
            "{found} of {in_stories} clustered"
        );
    }
}
