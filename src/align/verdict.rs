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
                // The run's words, and the word after it when the separator before it counts.
                let n = last + 1 - j;
                let with_next = n + usize::from(tail);
                let (wa, wb) = (&sa[i0..i0 + with_next], &sb[j..j + with_next]);
                // Where word `k` ends with its separator, on each side.
                let ends = |k: usize| match k + 1 < with_next {
                    true => (wa[k + 1].0, wb[k + 1].0),
                    false => (wa[k].1, wb[k].1),
                };
                let (mut base, mut k) = ((run_a.0, run_b.0), 0);
                while k < n {
                    let same = common_prefix(
                        &ta[base.0 as usize..run_a.1 as usize],
                        &tb[base.1 as usize..run_b.1 as usize],
                    );
                    // Offsets from `base` agree where positions differ as the bases do.
                    let (shift, limit) = (base.0.wrapping_sub(base.1), base.0 as usize + same);
                    let equal = |k: usize| {
                        let (ea, eb) = ends(k);
                        wa[k].0.wrapping_sub(wb[k].0) == shift
                            && wa[k].1.wrapping_sub(wb[k].1) == shift
                            && ea.wrapping_sub(eb) == shift
                            && ea as usize <= limit
                    };
                    while k < n && equal(k) {
                        k += 1;
                    }
                    if k == n {
                        break;
                    }
                    let (i, j) = (i0 + k, j + k);
                    word_restyles(a.slice(sa[i]), b.slice(sb[j]), &mut out);
                    if k + 1 < with_next {
                        separator_restyles(a.slice(sep(sa, i)), b.slice(sep(sb, j)), &mut out);
                    }
                    base = ends(k);
                    k += 1;
                }
            }
            j = last + 1;
        }
    }
    out
}

/// Append "paragraph 4" / "paragraphs 4–6 and 9" for 1-based numbers (sorted) to `out`.
fn push_paragraphs(out: &mut String, nums: &[u32]) {
    out.push_str(if nums.len() == 1 {
        "paragraph "
    } else {
        "paragraphs "
    });
    push_ranges(out, nums);
}

/// Append "4–6 and 9" for sorted numbers to `out`: the runs joined as [`push_joined`] does.
fn push_ranges(out: &mut String, nums: &[u32]) {
    let runs = || nums.chunk_by(|x, y| y == &(x + 1));
    push_joined(out, runs().count(), runs(), |out, run| {
        push_span(out, run[0], run[run.len() - 1]);
    });
}

/// Append "4" or "4–6" for the numbers `first..=last` to `out`.
fn push_span(out: &mut String, first: u32, last: u32) {
    if first == last {
        write!(out, "{first}").expect("string");
    } else {
        write!(out, "{first}\u{2013}{last}").expect("string");
    }
}

/// Append `items` (`count` of them), each written by `push`, joined as "x, y and z" to
/// `out`.
fn push_joined<T>(
    out: &mut String,
    count: usize,
    items: impl Iterator<Item = T>,
    mut push: impl FnMut(&mut String, T),
) {
    for (n, item) in items.enumerate() {
        match n {
            0 => {}
            _ if n + 1 == count => out.push_str(" and "),
            _ => out.push_str(", "),
        }
        push(out, item);
    }
}

/// The verdict being written: "B " before its first clause, "; " between clauses.
struct Clauses(String);

impl Clauses {
    /// Where the next clause goes.
    fn next(&mut self) -> &mut String {
        self.0.push_str(if self.0.is_empty() { "B " } else { "; " });
        &mut self.0
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
fn keeps_clause(al: &Alignment, pa: &Partners, v: &mut Clauses) {
    let n = al.a_body_paragraphs;
    let linked = |i: usize| !pa.of(i).is_empty();
    let dropped = numbered(&al.a, |_, p| p.label == Label::Dropped);
    let partial = numbered(&al.a, |i, p| linked(i) && p.kept < super::PARTIAL);
    let in_part = |out: &mut String| {
        if !partial.is_empty() {
            out.push_str(" (");
            push_ranges(out, &partial);
            out.push_str(" only in part)");
        }
    };
    match al.truncated_after {
        Some(t) if dropped.iter().all(|&d| d > t) => {
            let out = v.next();
            write!(out, "is A truncated after paragraph {t} of {n}").expect("string");
            in_part(out);
        }
        _ if !dropped.is_empty() => {
            let kept = numbered(&al.a, |i, _| linked(i));
            let out = v.next();
            if kept.is_empty() {
                out.push_str("keeps no paragraph of A");
            } else {
                out.push_str("keeps ");
                push_paragraphs(out, &kept);
                write!(out, " of {n}").expect("string");
                in_part(out);
            }
            out.push_str(", drops ");
            push_ranges(out, &dropped);
            if let Some(t) = al.truncated_after {
                write!(out, " (truncated after paragraph {t})").expect("string");
            }
        }
        _ if !partial.is_empty() => {
            let out = v.next();
            out.push_str("keeps only part of ");
            push_paragraphs(out, &partial);
        }
        _ => {}
    }
}

/// Added paragraphs grouped by where they go (A's links are `pa`, B's `pb`).
fn added_clause(al: &Alignment, pa: &Partners, pb: &Partners, v: &mut Clauses) {
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
        return;
    }
    let plural = |n: u32| if n == 1 { "paragraph" } else { "paragraphs" };
    let out = v.next();
    for (k, &(after, n)) in groups.iter().enumerate() {
        if k > 0 {
            out.push_str(", ");
        }
        match after {
            None => write!(out, "adds {n} {} at the start", plural(n)),
            Some(a)
                if last_linked.is_some_and(|l| a as usize > l) && al.truncated_after.is_none() =>
            {
                write!(out, "adds {n} {} at the end", plural(n))
            }
            Some(a) => write!(out, "inserts {n} {} after paragraph {a}", plural(n)),
        }
        .expect("string");
    }
}

/// Merged, split, regrouped and moved paragraphs.
fn structure_clauses(al: &Alignment, v: &mut Clauses) {
    // The A paragraphs of operations `ops` ("3–4"), joined.
    let spans = |out: &mut String, ops: &[&super::Op]| {
        push_joined(out, ops.len(), ops.iter(), |out, op| {
            if op.a.1 > op.a.0 {
                push_span(out, op.a.0 + 1, op.a.1);
            }
        });
    };
    let of_kind =
        |k: OpKind| -> Vec<&super::Op> { al.ops.iter().filter(|o| o.kind == k).collect() };
    let merged = of_kind(OpKind::Merged);
    if !merged.is_empty() {
        let out = v.next();
        out.push_str("merges paragraphs ");
        spans(out, &merged);
    }
    let split = of_kind(OpKind::Split);
    if !split.is_empty() {
        let out = v.next();
        out.push_str(if split.len() == 1 {
            "splits paragraph "
        } else {
            "splits paragraphs "
        });
        spans(out, &split);
    }
    let regrouped = of_kind(OpKind::Regrouped);
    if !regrouped.is_empty() {
        let out = v.next();
        out.push_str("moves the paragraph breaks within paragraphs ");
        spans(out, &regrouped);
    }
    let moved: Vec<&super::Op> = al.ops.iter().filter(|o| o.moved).collect();
    if !moved.is_empty() {
        let out = v.next();
        // One operation over one paragraph is "paragraph".
        out.push_str(if moved.len() == 1 && moved[0].a.1 <= moved[0].a.0 + 1 {
            "moves paragraph "
        } else {
            "moves paragraphs "
        });
        spans(out, &moved);
    }
}

/// Word edits in one-to-one paragraphs, with examples.
fn edits_clause(a: &Article, b: &Article, al: &Alignment, v: &mut Clauses) {
    let edited: Vec<&super::Op> = al.ops.iter().filter(|o| o.kind == OpKind::Edited).collect();
    if edited.is_empty() {
        return;
    }
    let nums: Vec<u32> = edited.iter().map(|o| o.a.0 + 1).collect();
    let mut changes = edited.iter().flat_map(|o| o.words.iter());
    let clause = v.next();
    clause.push_str("edits ");
    push_paragraphs(clause, &nums);
    clause.push_str(": ");
    for (n, c) in changes.by_ref().take(2).enumerate() {
        if n > 0 {
            clause.push_str(", ");
        }
        let (x, y) = (a.slice(c.a), b.slice(c.b));
        match (x.is_empty(), y.is_empty()) {
            (true, _) => {
                clause.push('+');
                quote(clause, y, 32);
            }
            (_, true) => {
                clause.push('\u{2212}');
                quote(clause, x, 32);
            }
            _ => {
                quote(clause, x, 32);
                clause.push_str(" \u{2192} ");
                quote(clause, y, 32);
            }
        }
    }
    let more = changes.count();
    if more > 0 {
        write!(clause, ", {more} more").expect("string");
    }
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

/// Bytes reserved for a verdict (a few clauses, a few quotations of at most 40 characters):
/// it is not grown push by push.
const VERDICT_ROOM: usize = 512;

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
/// list (…)", or as a list: "adds boilerplate: a 2-line block (…) and …"); nothing without
/// any.
fn furniture_clause(
    verb: &str,
    x: &Article,
    paras: &[Para],
    other: &Article,
    as_list: bool,
    v: &mut Clauses,
) {
    let blocks = furniture_blocks(x, paras, other);
    if blocks.is_empty() {
        return;
    }
    let clause = v.next();
    clause.push_str(verb);
    match blocks.as_slice() {
        [one] if !as_list => {
            clause.push(' ');
            describe_block(clause, x, one, 2, "block of boilerplate");
        }
        many => {
            clause.push_str(" boilerplate: ");
            let shown = many.len().min(BLOCKS_SHOWN);
            let more = many.len() - shown;
            // The blocks shown and, when some are not, how many more: "x, y and z".
            let parts =
                (0..shown + usize::from(more > 0)).map(|n| many.get(n).filter(|_| n < shown));
            push_joined(clause, parts.len(), parts, |out, block| match block {
                Some(b) => describe_block(out, x, b, 1, "block"),
                None => write!(out, "{more} more blocks").expect("string"),
            });
        }
    }
}

/// Furniture B adds, and A's furniture B does without.
fn boilerplate_clauses(a: &Article, b: &Article, al: &Alignment, v: &mut Clauses) {
    furniture_clause("adds", b, &al.b, a, false, v);
    furniture_clause("leaves out A's", a, &al.a, b, true, v);
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
    let mut v = Clauses(String::with_capacity(VERDICT_ROOM));
    keeps_clause(al, pa, &mut v);
    added_clause(al, pa, pb, &mut v);
    structure_clauses(al, &mut v);
    edits_clause(a, b, al, &mut v);
    if !al.restyles.is_empty() {
        let out = v.next();
        out.push_str("restyles ");
        let names = al.restyles.names();
        push_joined(out, names.len(), names.into_iter(), |out, name| {
            out.push_str(name);
        });
    }
    boilerplate_clauses(a, b, al, &mut v);
    let Clauses(mut v) = v;
    if v.is_empty() {
        v.push_str("B has the same paragraphs and words as A");
    }
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
        let text = |push: fn(&mut String, &[u32]), nums: &[u32]| {
            let mut out = String::new();
            push(&mut out, nums);
            out
        };
        assert_eq!(text(push_ranges, &[4, 5, 6, 9]), "4\u{2013}6 and 9");
        assert_eq!(text(push_paragraphs, &[2]), "paragraph 2");
        assert_eq!(text(push_paragraphs, &[1, 3, 5]), "paragraphs 1, 3 and 5");
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
