//! The one-line verdict of an alignment, and what kind of restyling the matched words show.
//!
//! The verdict is written for an editor: the story-level facts first (what B keeps of A and
//! where it stops), then inserted, merged, split and moved paragraphs, word edits with
//! examples, restyling, and the furniture B adds. Paragraph numbers are A's, 1-based.

use super::{Alignment, Article, Label, OpKind, Para, Partners, tokens::NONE};
use crate::boilerplate::Furniture;
use crate::normalize::common_prefix;
use std::fmt::Write;

/// Kinds of restyling seen between matched words (a small bit set).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct Restyles(u8);

impl Restyles {
    pub const QUOTES: Restyles = Restyles(1);
    pub const DASHES: Restyles = Restyles(2);
    pub const CASE: Restyles = Restyles(4);
    pub const SPACING: Restyles = Restyles(8);
    pub const PUNCTUATION: Restyles = Restyles(16);
    /// Compatibility forms or accents written differently (NFKC-equal words).
    pub const CHARACTERS: Restyles = Restyles(32);

    const NAMES: [(Restyles, &'static str); 6] = [
        (Restyles::QUOTES, "quotes"),
        (Restyles::DASHES, "dashes"),
        (Restyles::CASE, "case"),
        (Restyles::SPACING, "spacing"),
        (Restyles::PUNCTUATION, "punctuation"),
        (Restyles::CHARACTERS, "characters"),
    ];

    pub fn contains(&self, other: Restyles) -> bool {
        self.0 & other.0 == other.0
    }

    pub fn is_empty(&self) -> bool {
        self.0 == 0
    }

    fn insert(&mut self, other: Restyles) {
        self.0 |= other.0;
    }

    /// Names of the kinds present, in a fixed order.
    pub fn names(&self) -> Vec<&'static str> {
        Restyles::NAMES
            .iter()
            .filter(|(r, _)| self.contains(*r))
            .map(|(_, n)| *n)
            .collect()
    }
}

fn is_quote(c: char) -> bool {
    matches!(
        c,
        '\'' | '"' | '`' | '\u{2018}'
            ..='\u{201f}'
                | '\u{00ab}'
                | '\u{00bb}'
                | '\u{2039}'
                | '\u{203a}'
                | '\u{02bc}'
                | '\u{ff07}'
                | '\u{ff02}'
    )
}

fn is_dash(c: char) -> bool {
    matches!(
        c,
        '-' | '\u{2010}'..='\u{2015}' | '\u{2212}' | '\u{fe58}' | '\u{fe63}' | '\u{ff0d}'
    )
}

/// Compare the characters of class `pred` in two strings.
fn class_differs(x: &str, y: &str, pred: impl Fn(char) -> bool) -> bool {
    !x.chars()
        .filter(|&c| pred(c))
        .eq(y.chars().filter(|&c| pred(c)))
}

/// Restyling between two separators (the text between two consecutive words).
fn separator_restyles(x: &str, y: &str, out: &mut Restyles) {
    if x == y {
        return;
    }
    if class_differs(x, y, is_quote) {
        out.insert(Restyles::QUOTES);
    }
    if class_differs(x, y, is_dash) {
        out.insert(Restyles::DASHES);
    }
    if class_differs(x, y, |c| !c.is_whitespace() && !is_quote(c) && !is_dash(c)) {
        out.insert(Restyles::PUNCTUATION);
    }
    // Different line or paragraph breaks are layout (merged / split), not restyling.
    if !x.contains('\n') && !y.contains('\n') && class_differs(x, y, char::is_whitespace) {
        out.insert(Restyles::SPACING);
    }
}

/// Restyling between two matched words.
fn word_restyles(x: &str, y: &str, out: &mut Restyles) {
    if x == y {
        return;
    }
    if x.to_lowercase() == y.to_lowercase() {
        out.insert(Restyles::CASE);
    } else if class_differs(x, y, is_quote) {
        out.insert(Restyles::QUOTES);
    } else {
        out.insert(Restyles::CHARACTERS);
    }
}

/// The bytes of a range of `x`'s text.
fn bytes<'t>(x: &Article<'t>, (s, e): (u32, u32)) -> &'t [u8] {
    &x.text.as_bytes()[s as usize..e as usize]
}

/// Restyling over the matched words `b_to_a` of B token ranges `ranges` accepted by
/// `kept(i, j)`, and the separators after them.
pub(super) fn restyles(
    a: &Article,
    b: &Article,
    b_to_a: &[u32],
    ranges: impl Iterator<Item = (u32, u32)>,
    kept: impl Fn(usize, usize) -> bool,
) -> Restyles {
    let (sa, sb) = (&a.tok.token_spans, &b.tok.token_spans);
    let mut out = Restyles::default();
    for (start, end) in ranges {
        let mut j = start as usize;
        while j < end as usize {
            let i = b_to_a[j];
            if i == NONE || !kept(i as usize, j) {
                j += 1;
                continue;
            }
            // A diagonal run of matched words, with the separators between them (and the one
            // after the last when the next words match too): when its bytes are equal on both
            // sides there is nothing to find in it.
            let mut last = j;
            while last + 1 < end as usize && b_to_a[last + 1] == b_to_a[last] + 1 {
                last += 1;
            }
            let (i0, i1) = (i as usize, i as usize + (last - j));
            let tail = b_to_a.get(last + 1) == Some(&(i1 as u32 + 1));
            let sep = |spans: &[(u32, u32)], k: usize| (spans[k].1, spans[k + 1].0);
            let run_a = (sa[i0].0, if tail { sa[i1 + 1].0 } else { sa[i1].1 });
            let run_b = (sb[j].0, if tail { sb[last + 1].0 } else { sb[last].1 });
            if bytes(a, run_a) != bytes(b, run_b) {
                // Only the words that differ can show anything. A word and its separator lie
                // in a byte prefix common to both sides from `base`, at the same offsets from
                // it, are equal and skipped; at a word that is not, the prefix starts anew
                // after it. A restyled paragraph is one run whose words mostly agree.
                let (ta, tb) = (a.text.as_bytes(), b.text.as_bytes());
                let (mut base, mut common) = ((run_a.0, run_b.0), None);
                for (i, j) in (i0..=i1).zip(j..=last) {
                    let has_sep = j < last || tail;
                    let end = |spans: &[(u32, u32)], k: usize| {
                        if has_sep { spans[k + 1].0 } else { spans[k].1 }
                    };
                    let (ea, eb) = (end(sa, i), end(sb, j));
                    let same = *common.get_or_insert_with(|| {
                        common_prefix(
                            &ta[base.0 as usize..run_a.1 as usize],
                            &tb[base.1 as usize..run_b.1 as usize],
                        )
                    });
                    let at = |x: u32, y: u32| (x - base.0, y - base.1);
                    let (w0, w1, e) = (at(sa[i].0, sb[j].0), at(sa[i].1, sb[j].1), at(ea, eb));
                    if w0.0 == w0.1 && w1.0 == w1.1 && e.0 == e.1 && e.0 as usize <= same {
                        continue;
                    }
                    word_restyles(a.slice(sa[i]), b.slice(sb[j]), &mut out);
                    if has_sep {
                        separator_restyles(a.slice(sep(sa, i)), b.slice(sep(sb, j)), &mut out);
                    }
                    (base, common) = ((ea, eb), None);
                }
            }
            j = last + 1;
        }
    }
    out
}

/// "paragraph 4" / "paragraphs 4–6 and 9" for 1-based numbers (sorted).
fn paragraphs(nums: &[u32]) -> String {
    let word = if nums.len() == 1 {
        "paragraph"
    } else {
        "paragraphs"
    };
    format!("{word} {}", ranges(nums))
}

/// "4–6 and 9" for sorted numbers: the runs joined as [`join_and`] does, written into one
/// String.
fn ranges(nums: &[u32]) -> String {
    let runs = || nums.chunk_by(|x, y| y == &(x + 1));
    let count = runs().count();
    let mut out = String::new();
    for (n, run) in runs().enumerate() {
        match n {
            0 => {}
            _ if n + 1 == count => out.push_str(" and "),
            _ => out.push_str(", "),
        }
        let (first, last) = (run[0], run[run.len() - 1]);
        if first == last {
            write!(out, "{first}").expect("string");
        } else {
            write!(out, "{first}\u{2013}{last}").expect("string");
        }
    }
    out
}

fn join_and(parts: &[String]) -> String {
    match parts {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

/// Append a short quotation of `s` to `out`: whitespace collapsed, at most `max`
/// characters, "…" where it is cut.
fn quote(out: &mut String, s: &str, max: usize) {
    out.push('\u{201c}');
    // Collapse only as far as the quotation reaches: furniture lines can be long.
    let (mut room, mut cut) = (max, false);
    for (n, word) in s.split_whitespace().enumerate() {
        if n > 0 {
            if room == 0 {
                cut = true;
                break;
            }
            out.push(' ');
            room -= 1;
        }
        let chars = word.chars().count();
        if chars <= room {
            out.push_str(word);
            room -= chars;
        } else {
            let end = word.char_indices().nth(room).map_or(word.len(), |(i, _)| i);
            out.push_str(&word[..end]);
            cut = true;
            break;
        }
    }
    if cut {
        out.truncate(out.trim_end().len());
        out.push('\u{2026}');
    }
    out.push('\u{201d}');
}

/// 1-based numbers of the paragraphs `i` for which `pred(i, paras[i])`.
fn numbered(paras: &[Para], pred: impl Fn(usize, &Para) -> bool) -> Vec<u32> {
    paras
        .iter()
        .enumerate()
        .filter(|&(i, p)| pred(i, p))
        .map(|(i, _)| i as u32 + 1)
        .collect()
}

/// What B keeps of A (A's links are `pa`) and where it stops.
fn keeps_clause(al: &Alignment, pa: &Partners) -> Option<String> {
    let n = al.a_body_paragraphs;
    let linked = |i: usize| !pa.of(i).is_empty();
    let dropped = numbered(&al.a, |_, p| p.label == Label::Dropped);
    let partial = numbered(&al.a, |i, p| linked(i) && p.kept < super::PARTIAL);
    let in_part = if partial.is_empty() {
        String::new()
    } else {
        format!(" ({} only in part)", ranges(&partial))
    };
    match al.truncated_after {
        Some(t) if dropped.iter().all(|&d| d > t) => Some(format!(
            "is A truncated after paragraph {t} of {n}{in_part}"
        )),
        _ if !dropped.is_empty() => {
            let kept = numbered(&al.a, |i, _| linked(i));
            let mut s = if kept.is_empty() {
                "keeps no paragraph of A".to_string()
            } else {
                format!("keeps {} of {n}{in_part}", paragraphs(&kept))
            };
            write!(s, ", drops {}", ranges(&dropped)).expect("string");
            if let Some(t) = al.truncated_after {
                write!(s, " (truncated after paragraph {t})").expect("string");
            }
            Some(s)
        }
        _ if !partial.is_empty() => Some(format!("keeps only part of {}", paragraphs(&partial))),
        _ => None,
    }
}

/// Added paragraphs grouped by where they go (A's links are `pa`, B's `pb`).
fn added_clause(al: &Alignment, pa: &Partners, pb: &Partners) -> Option<String> {
    let last_linked = (0..pa.len()).rfind(|&p| !pa.of(p).is_empty());
    let mut groups: Vec<(Option<u32>, u32)> = Vec::new(); // (after A paragraph, count)
    let mut after: Option<u32> = None;
    for (q, p) in al.b.iter().enumerate() {
        // A paragraph's links are ascending: the last is the largest.
        if let Some(&max) = pb.of(q).last() {
            after = Some(after.map_or(max + 1, |x| x.max(max + 1)));
        } else if p.label == Label::Added {
            match groups.last_mut() {
                Some(g) if g.0 == after => g.1 += 1,
                _ => groups.push((after, 1)),
            }
        }
    }
    if groups.is_empty() {
        return None;
    }
    let plural = |n: u32| if n == 1 { "paragraph" } else { "paragraphs" };
    let parts: Vec<String> = groups
        .iter()
        .map(|&(after, n)| match after {
            None => format!("adds {n} {} at the start", plural(n)),
            Some(a)
                if last_linked.is_some_and(|l| a as usize > l) && al.truncated_after.is_none() =>
            {
                format!("adds {n} {} at the end", plural(n))
            }
            Some(a) => format!("inserts {n} {} after paragraph {a}", plural(n)),
        })
        .collect();
    Some(parts.join(", "))
}

/// Merged, split, regrouped and moved paragraphs.
fn structure_clauses(al: &Alignment, out: &mut Vec<String>) {
    let span = |op: &super::Op| -> String { ranges(&(op.a.0 + 1..=op.a.1).collect::<Vec<_>>()) };
    let of_kind =
        |k: OpKind| -> Vec<String> { al.ops.iter().filter(|o| o.kind == k).map(span).collect() };
    let merged = of_kind(OpKind::Merged);
    if !merged.is_empty() {
        out.push(format!("merges paragraphs {}", join_and(&merged)));
    }
    let split = of_kind(OpKind::Split);
    if !split.is_empty() {
        let word = if split.len() == 1 {
            "paragraph"
        } else {
            "paragraphs"
        };
        out.push(format!("splits {word} {}", join_and(&split)));
    }
    let regrouped = of_kind(OpKind::Regrouped);
    if !regrouped.is_empty() {
        out.push(format!(
            "moves the paragraph breaks within paragraphs {}",
            join_and(&regrouped)
        ));
    }
    let moved: Vec<String> = al.ops.iter().filter(|o| o.moved).map(span).collect();
    if !moved.is_empty() {
        let word = if moved.len() == 1 && !moved[0].contains('\u{2013}') {
            "paragraph"
        } else {
            "paragraphs"
        };
        out.push(format!("moves {word} {}", join_and(&moved)));
    }
}

/// Word edits in one-to-one paragraphs, with examples.
fn edits_clause(a: &Article, b: &Article, al: &Alignment) -> Option<String> {
    let edited: Vec<&super::Op> = al.ops.iter().filter(|o| o.kind == OpKind::Edited).collect();
    if edited.is_empty() {
        return None;
    }
    let nums: Vec<u32> = edited.iter().map(|o| o.a.0 + 1).collect();
    let mut changes = edited.iter().flat_map(|o| o.words.iter());
    // Room for two quotations: the clause is not grown push by push.
    let mut clause = String::with_capacity(CLAUSE_ROOM);
    write!(clause, "edits {}: ", paragraphs(&nums)).expect("string");
    for (n, c) in changes.by_ref().take(2).enumerate() {
        if n > 0 {
            clause.push_str(", ");
        }
        let (x, y) = (a.slice(c.a), b.slice(c.b));
        match (x.is_empty(), y.is_empty()) {
            (true, _) => {
                clause.push('+');
                quote(&mut clause, y, 32);
            }
            (_, true) => {
                clause.push('\u{2212}');
                quote(&mut clause, x, 32);
            }
            _ => {
                quote(&mut clause, x, 32);
                clause.push_str(" \u{2192} ");
                quote(&mut clause, y, 32);
            }
        }
    }
    let more = changes.count();
    if more > 0 {
        write!(clause, ", {more} more").expect("string");
    }
    Some(clause)
}

/// Furniture of `x` (paragraphs `paras`) whose lines `other` does not have, in blocks of
/// consecutive paragraphs: per block its line indices and whether it is a link list.
fn furniture_blocks(x: &Article, paras: &[Para], other: &Article) -> Vec<(Vec<usize>, bool)> {
    if paras.iter().all(|p| p.label != Label::Boilerplate) {
        return Vec::new();
    }
    let known = other.sorted_line_hashes();
    let t = &x.tok;
    let mut blocks: Vec<(Vec<usize>, bool)> = Vec::new();
    let mut prev: Option<usize> = None;
    for (q, p) in paras.iter().enumerate() {
        if p.label != Label::Boilerplate {
            continue;
        }
        let para = &t.paragraphs[q];
        let mut lines = (para.line_start as usize..para.line_end as usize).filter(|&l| {
            let h = t.lines[l].hash;
            h == 0 || known.binary_search(&h).is_err()
        });
        let Some(first) = lines.next() else {
            continue;
        };
        // Lines go straight into the block: a paragraph right after the previous one with
        // such lines continues its block.
        if prev.is_none_or(|r| r + 1 != q) {
            blocks.push((Vec::new(), false));
        }
        let block = blocks.last_mut().expect("pushed");
        for l in std::iter::once(first).chain(lines) {
            block.0.push(l);
            block.1 |= x.furniture[l] == Some(Furniture::LinkList);
        }
        prev = Some(q);
    }
    blocks
}

/// Bytes reserved for a clause with quotations (a few quotations of at most 40 characters).
const CLAUSE_ROOM: usize = 256;

/// At most this many furniture blocks are described one by one.
const BLOCKS_SHOWN: usize = 3;

/// Append one block to `out`: "a 14-line link list (“…” / “…”)" with `lines` lines quoted,
/// "block of boilerplate" for furniture that is not a link list (`block` in a list).
fn describe_block(
    out: &mut String,
    x: &Article,
    (lines, link): &(Vec<usize>, bool),
    quoted: usize,
    block: &str,
) {
    let t = &x.tok;
    let what = if *link { "link list" } else { block };
    write!(out, "a {}-line {what} (", lines.len()).expect("string");
    for (n, &l) in lines.iter().take(quoted).enumerate() {
        if n > 0 {
            out.push_str(" / ");
        }
        quote(out, x.slice((t.lines[l].start, t.lines[l].end)), 40);
    }
    out.push(')');
}

/// `verb` and the furniture blocks of `x` that `other` does not have ("adds a 6-line link
/// list (…)", or as a list: "adds boilerplate: a 2-line block (…) and …"); None without any.
fn furniture_clause(
    verb: &str,
    x: &Article,
    paras: &[Para],
    other: &Article,
    as_list: bool,
) -> Option<String> {
    let blocks = furniture_blocks(x, paras, other);
    let mut clause = String::with_capacity(CLAUSE_ROOM);
    clause.push_str(verb);
    match blocks.as_slice() {
        [] => return None,
        [one] if !as_list => {
            clause.push(' ');
            describe_block(&mut clause, x, one, 2, "block of boilerplate");
        }
        many => {
            clause.push_str(" boilerplate: ");
            let shown = many.len().min(BLOCKS_SHOWN);
            let parts = shown + usize::from(many.len() > BLOCKS_SHOWN);
            // Joined as `join_and` does: "x, y and z".
            let sep = |out: &mut String, n: usize| match n {
                0 => {}
                _ if n + 1 == parts => out.push_str(" and "),
                _ => out.push_str(", "),
            };
            for (n, b) in many[..shown].iter().enumerate() {
                sep(&mut clause, n);
                describe_block(&mut clause, x, b, 1, "block");
            }
            if many.len() > BLOCKS_SHOWN {
                sep(&mut clause, shown);
                write!(clause, "{} more blocks", many.len() - BLOCKS_SHOWN).expect("string");
            }
        }
    }
    Some(clause)
}

/// Furniture B adds, and A's furniture B does without.
fn boilerplate_clauses(a: &Article, b: &Article, al: &Alignment, out: &mut Vec<String>) {
    out.extend(furniture_clause("adds", b, &al.b, a, false));
    out.extend(furniture_clause("leaves out A's", a, &al.a, b, true));
}

/// The verdict of an alignment (see the module docs). The links are read from `pa` and `pb`
/// (A's and B's), not from `Para::partners`, which a summary leaves empty.
pub(super) fn verdict(
    a: &Article,
    b: &Article,
    al: &Alignment,
    pa: &Partners,
    pb: &Partners,
) -> String {
    if al.identical {
        return "B is identical to A".into();
    }
    let mut clauses: Vec<String> = Vec::new();
    clauses.extend(keeps_clause(al, pa));
    clauses.extend(added_clause(al, pa, pb));
    structure_clauses(al, &mut clauses);
    clauses.extend(edits_clause(a, b, al));
    if !al.restyles.is_empty() {
        clauses.push(format!(
            "restyles {}",
            join_and(
                &al.restyles
                    .names()
                    .iter()
                    .map(|s| s.to_string())
                    .collect::<Vec<_>>()
            )
        ));
    }
    boilerplate_clauses(a, b, al, &mut clauses);
    let mut v = if clauses.is_empty() {
        "B has the same paragraphs and words as A".to_string()
    } else {
        format!("B {}", clauses.join("; "))
    };
    if let Some(f) = al.fallback {
        write!(
            v,
            " (whole paragraphs compared only: {} words exceed the budget of {})",
            f.tokens, f.max_tokens
        )
        .expect("string");
    }
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn number_ranges() {
        assert_eq!(ranges(&[4, 5, 6, 9]), "4\u{2013}6 and 9");
        assert_eq!(paragraphs(&[2]), "paragraph 2");
        assert_eq!(paragraphs(&[1, 3, 5]), "paragraphs 1, 3 and 5");
    }

    #[test]
    fn restyle_classes() {
        let mut r = Restyles::default();
        separator_restyles(" \u{2014} ", " - ", &mut r);
        assert_eq!(r.names(), ["dashes"]);
        let mut r = Restyles::default();
        separator_restyles(". \u{201c}", ". \"", &mut r);
        separator_restyles(".\n\n", ". ", &mut r);
        assert_eq!(r.names(), ["quotes"]);
        let mut r = Restyles::default();
        word_restyles("children\u{2019}s", "children's", &mut r);
        word_restyles("Hey", "HEY", &mut r);
        assert_eq!(r.names(), ["quotes", "case"]);
    }

    #[test]
    fn quotes_are_short() {
        let q = |s: &str, max: usize| {
            let mut out = String::new();
            quote(&mut out, s, max);
            out
        };
        assert_eq!(q("a  b\nc", 10), "\u{201c}a b c\u{201d}");
        assert_eq!(q("abcdefghijkl", 5), "\u{201c}abcde\u{2026}\u{201d}");
        assert_eq!(q("abc def", 4), "\u{201c}abc\u{2026}\u{201d}");
        assert_eq!(q("abc def", 7), "\u{201c}abc def\u{201d}");
        assert_eq!(
            q("\u{e9}\u{e9}\u{e9} x", 3),
            "\u{201c}\u{e9}\u{e9}\u{e9}\u{2026}\u{201d}"
        );
        assert_eq!(q("", 3), "\u{201c}\u{201d}");
    }
}
