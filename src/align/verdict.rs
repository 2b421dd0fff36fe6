//! The one-line verdict of an alignment, and what kind of restyling the matched words show.
//!
//! The verdict is written for an editor: the story-level facts first (what B keeps of A and
//! where it stops), then inserted, merged, split and moved paragraphs, word edits with
//! examples, restyling, and the furniture B adds. Paragraph numbers are A's, 1-based.

use super::{Alignment, Article, Label, OpKind, Para, tokens::NONE};
use crate::boilerplate::Furniture;
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
                for (i, j) in (i0..=i1).zip(j..=last) {
                    word_restyles(a.slice(sa[i]), b.slice(sb[j]), &mut out);
                    if j < last || tail {
                        separator_restyles(a.slice(sep(sa, i)), b.slice(sep(sb, j)), &mut out);
                    }
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

/// "4–6 and 9" for sorted numbers.
fn ranges(nums: &[u32]) -> String {
    let mut parts: Vec<String> = Vec::new();
    for run in nums.chunk_by(|x, y| y == &(x + 1)) {
        let (first, last) = (run[0], run[run.len() - 1]);
        parts.push(if first == last {
            first.to_string()
        } else {
            format!("{first}\u{2013}{last}")
        });
    }
    join_and(&parts)
}

fn join_and(parts: &[String]) -> String {
    match parts {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

/// A short quotation of `s`: whitespace collapsed, at most `max` characters.
fn quote(s: &str, max: usize) -> String {
    // Collapse only as far as the quotation reaches: furniture lines can be long.
    let (mut flat, mut chars) = (String::new(), 0);
    for word in s.split_whitespace() {
        if chars > max {
            break;
        }
        if !flat.is_empty() {
            flat.push(' ');
            chars += 1;
        }
        flat.push_str(word);
        chars += word.chars().count();
    }
    if chars <= max {
        format!("\u{201c}{flat}\u{201d}")
    } else {
        let cut: String = flat.chars().take(max).collect();
        format!("\u{201c}{}\u{2026}\u{201d}", cut.trim_end())
    }
}

fn numbered(paras: &[Para], pred: impl Fn(&Para) -> bool) -> Vec<u32> {
    paras
        .iter()
        .enumerate()
        .filter(|(_, p)| pred(p))
        .map(|(i, _)| i as u32 + 1)
        .collect()
}

/// What B keeps of A and where it stops.
fn keeps_clause(al: &Alignment) -> Option<String> {
    let n = al.a_body_paragraphs;
    let dropped = numbered(&al.a, |p| p.label == Label::Dropped);
    let partial = numbered(&al.a, |p| !p.partners.is_empty() && p.kept < super::PARTIAL);
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
            let kept = numbered(&al.a, |p| !p.partners.is_empty());
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

/// Added paragraphs grouped by where they go.
fn added_clause(al: &Alignment) -> Option<String> {
    let last_linked = al.a.iter().rposition(|p| !p.partners.is_empty());
    let mut groups: Vec<(Option<u32>, u32)> = Vec::new(); // (after A paragraph, count)
    let mut after: Option<u32> = None;
    for p in &al.b {
        if let Some(&max) = p.partners.iter().max() {
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
    let changes: Vec<_> = edited.iter().flat_map(|o| o.words.iter()).collect();
    let show = |c: &super::WordChange| -> String {
        let (x, y) = (a.slice(c.a), b.slice(c.b));
        match (x.is_empty(), y.is_empty()) {
            (true, _) => format!("+{}", quote(y, 32)),
            (_, true) => format!("\u{2212}{}", quote(x, 32)),
            _ => format!("{} \u{2192} {}", quote(x, 32), quote(y, 32)),
        }
    };
    let mut examples: Vec<String> = changes.iter().take(2).map(|c| show(c)).collect();
    if changes.len() > 2 {
        examples.push(format!("{} more", changes.len() - 2));
    }
    Some(format!(
        "edits {}: {}",
        paragraphs(&nums),
        examples.join(", ")
    ))
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
        let lines: Vec<usize> = (para.line_start as usize..para.line_end as usize)
            .filter(|&l| {
                let h = t.lines[l].hash;
                h == 0 || known.binary_search(&h).is_err()
            })
            .collect();
        if lines.is_empty() {
            continue;
        }
        let link = lines
            .iter()
            .any(|&l| x.furniture[l] == Some(Furniture::LinkList));
        match blocks.last_mut() {
            Some(block) if prev == Some(q - 1) => {
                block.0.extend(lines);
                block.1 |= link;
            }
            _ => blocks.push((lines, link)),
        }
        prev = Some(q);
    }
    blocks
}

/// At most this many furniture blocks are described one by one.
const BLOCKS_SHOWN: usize = 3;

/// One block: "a 14-line link list (“…” / “…”)" with `lines` lines quoted, "block of
/// boilerplate" for furniture that is not a link list (`block` in a list).
fn describe_block(
    x: &Article,
    (lines, link): &(Vec<usize>, bool),
    quoted: usize,
    block: &str,
) -> String {
    let t = &x.tok;
    let shown: Vec<String> = lines
        .iter()
        .take(quoted)
        .map(|&l| quote(x.slice((t.lines[l].start, t.lines[l].end)), 40))
        .collect();
    let what = if *link { "link list" } else { block };
    format!("a {}-line {what} ({})", lines.len(), shown.join(" / "))
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
    match blocks.as_slice() {
        [] => None,
        [one] if !as_list => Some(format!(
            "{verb} {}",
            describe_block(x, one, 2, "block of boilerplate")
        )),
        many => {
            let mut parts: Vec<String> = many
                .iter()
                .take(BLOCKS_SHOWN)
                .map(|b| describe_block(x, b, 1, "block"))
                .collect();
            if many.len() > BLOCKS_SHOWN {
                parts.push(format!("{} more blocks", many.len() - BLOCKS_SHOWN));
            }
            Some(format!("{verb} boilerplate: {}", join_and(&parts)))
        }
    }
}

/// Furniture B adds, and A's furniture B does without.
fn boilerplate_clauses(a: &Article, b: &Article, al: &Alignment, out: &mut Vec<String>) {
    out.extend(furniture_clause("adds", b, &al.b, a, false));
    out.extend(furniture_clause("leaves out A's", a, &al.a, b, true));
}

/// The verdict of an alignment (see the module docs).
pub(super) fn verdict(a: &Article, b: &Article, al: &Alignment) -> String {
    if al.identical {
        return "B is identical to A".into();
    }
    let mut clauses: Vec<String> = Vec::new();
    clauses.extend(keeps_clause(al));
    clauses.extend(added_clause(al));
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
        assert_eq!(quote("a  b\nc", 10), "\u{201c}a b c\u{201d}");
        assert_eq!(quote("abcdefghijkl", 5), "\u{201c}abcde\u{2026}\u{201d}");
    }
}
