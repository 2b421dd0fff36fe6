//! Rendering alignments: the `wirecopy diff` views and the change summary of scan members.
//!
//! Every view reads the same [`Alignment`] (operations, paragraph labels, verdict); scan's
//! summaries come from [`summarize`], which skips the parts of it that only `diff` shows.
//!
//! `wirecopy diff --format json` writes one document (`--format jsonl`: the same object on
//! one line, one per pair):
//!
//! ```text
//! { "schema_version": 1, "tool": "wirecopy 0.1.0",
//!   "a": { "name", "bytes", "paragraphs" },  "b": { ... },    A = canonical, B = copy
//!   "changes": { summary, as in scan's members (see report::json) },
//!   "identical": bool,
//!   "restyles": [ "quotes" | "dashes" | "case" | "spacing" | "punctuation" | "characters" ],
//!   "fallback": null | { "tokens", "max_tokens" },   the budget was hit: whole paragraphs only
//!   "ops": [ { "op": "shared" | "restyled" | "edited" | "merged" | "split" | "regrouped"
//!                   | "added" | "dropped" | "boilerplate",
//!              "a": [from, to], "b": [from, to],          0-based half-open paragraph ranges
//!              "a_bytes": [start, end], "b_bytes": [start, end],   byte ranges in the texts
//!              "moved": bool,
//!              "words": [ { "a": [start, end], "b": [start, end], "a_text", "b_text" } ] } ],
//!   "a_paragraphs": [ { "label", "bytes": [start, end], "partners": [B paragraph, ...],
//!                       "kept": share of its words matched, "furniture": null | why } ],
//!   "b_paragraphs": [ ... ] }
//! ```
//!
//! Operations come in B order; an operation that touches one side has an empty range on the
//! other at the point where it applies. Labels are those of [`Label`]; `truncated_after` in
//! `changes` is a 1-based A paragraph number.

use crate::align::{AlignParams, Alignment, Article, Label, Op, OpKind, Para, Summary, summarize};
use crate::config::ScanConfig;
use crate::input::Corpus;
use crate::report::{SCHEMA_VERSION, ScanReport};
use crate::scan::{ScanOutput, Stage};
use rayon::prelude::*;
use serde::ser::{Serialize, SerializeMap, Serializer};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::io::Write;

/// The change summaries of a report's members against their canonical: per cluster, per
/// member (None for the canonical), parallel to `ScanReport::clusters`.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct MemberChanges(pub Vec<Vec<Option<Summary>>>);

impl MemberChanges {
    /// Align every member of `out.clusters` with its canonical. Clusters and their members
    /// are aligned in parallel; each canonical is tokenized once, and a member's lines that
    /// repeat the canonical's byte for byte are not tokenized again. A member with the same
    /// text as an earlier one gets that one's summary. `seed` is the scan's, so
    /// that the furniture learned by the scan (`out.boilerplate`) is recognised.
    pub fn compute(corpus: &Corpus, out: &ScanOutput, seed: u64, params: &AlignParams) -> Self {
        // Read from the file, not through the map: see `Corpus::text_read`.
        let text = |d: u32| corpus.text_read(out.order[d as usize] as usize);
        let summaries = out
            .clusters
            .par_iter()
            .map(|c| {
                let canonical_text = text(c.canonical);
                let canonical = Article::new(&canonical_text, seed, &out.boilerplate);
                let summarize_member = |doc: u32| {
                    let member_text = text(doc);
                    let member =
                        Article::new_like(&member_text, seed, &out.boilerplate, &canonical);
                    summarize(&canonical, &member, params)
                };
                // Per member, the first member with its text hash (the texts are compared
                // before a summary is shared).
                let hash = |d: u32| out.features[d as usize].text_hash;
                let mut first_of: HashMap<u64, usize> = HashMap::new();
                let first: Vec<usize> = (c.members.iter().enumerate())
                    .map(|(k, m)| match m.doc == c.canonical {
                        true => k,
                        false => *first_of.entry(hash(m.doc)).or_insert(k),
                    })
                    .collect();
                let mut summaries: Vec<Option<Summary>> = (c.members.par_iter().enumerate())
                    .map(|(k, m)| {
                        (m.doc != c.canonical && first[k] == k).then(|| summarize_member(m.doc))
                    })
                    .collect();
                // A repeated text takes the summary of its first occurrence.
                for (k, m) in c.members.iter().enumerate() {
                    let f = first[k];
                    if f != k {
                        summaries[k] = Some(match &summaries[f] {
                            Some(s) if text(m.doc) == text(c.members[f].doc) => s.clone(),
                            _ => summarize_member(m.doc),
                        });
                    }
                }
                summaries
            })
            .collect();
        MemberChanges(summaries)
    }

    /// For a scan report built from `out` (`ScanReport::new`): compute the summaries unless
    /// `enabled` is false, echo that (and the alignment budget) in the report's parameters,
    /// and time the work as the `changes` stage.
    pub fn for_report(
        report: &mut ScanReport,
        corpus: &Corpus,
        out: &ScanOutput,
        cfg: &ScanConfig,
        enabled: bool,
    ) -> Option<Self> {
        report.params.push(("changes", json!(enabled)));
        if !enabled {
            return None;
        }
        let started = std::time::Instant::now();
        let params = AlignParams::default();
        let changes = MemberChanges::compute(corpus, out, cfg.seed, &params);
        report
            .params
            .push(("align_max_tokens", json!(params.max_tokens)));
        report
            .timings
            .push(Stage::ended("changes", started.elapsed().as_secs_f64()));
        Some(changes)
    }

    /// The summaries of cluster `c`'s members.
    pub fn cluster(&self, c: usize) -> Option<&[Option<Summary>]> {
        self.0.get(c).map(Vec::as_slice)
    }
}

/// Summary of member `m` of a cluster whose summaries are `cluster` (see
/// [`MemberChanges::cluster`]).
pub fn member_summary(cluster: Option<&[Option<Summary>]>, m: usize) -> Option<&Summary> {
    cluster.and_then(|c| c.get(m)).and_then(Option::as_ref)
}

/// The change summary of a copy as JSON (scan's `changes` object and diff's `changes`):
/// the count of every label, then `truncated_after`, `verdict` and `fallback`.
pub struct SummaryJson<'a>(pub &'a Summary);

impl Serialize for SummaryJson<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let s = self.0;
        let mut m = serializer.serialize_map(Some(Label::ALL.len() + 3))?;
        for label in Label::ALL {
            m.serialize_entry(label.as_str(), &s.count(label))?;
        }
        m.serialize_entry("truncated_after", &s.truncated_after)?;
        m.serialize_entry("verdict", &s.verdict)?;
        m.serialize_entry("fallback", &s.fallback)?;
        m.end()
    }
}

/// The compact summary for CSV: non-zero counts as `label:n`, then `truncated_after:t`.
pub fn summary_compact(s: &Summary) -> String {
    let mut parts: Vec<String> = Label::ALL
        .iter()
        .filter(|&&l| s.count(l) > 0)
        .map(|l| format!("{}:{}", l.as_str(), s.count(*l)))
        .collect();
    if let Some(t) = s.truncated_after {
        parts.push(format!("truncated_after:{t}"));
    }
    if s.fallback {
        parts.push("fallback".into());
    }
    parts.join(" ")
}

fn range(r: (u32, u32)) -> Value {
    json!([r.0, r.1])
}

fn op_json(op: &Op, a: &Article, b: &Article) -> Value {
    json!({
        "op": op.kind.as_str(),
        "a": range(op.a),
        "b": range(op.b),
        "a_bytes": range(op.a_bytes),
        "b_bytes": range(op.b_bytes),
        "moved": op.moved,
        "words": op.words.iter().map(|w| json!({
            "a": range(w.a),
            "b": range(w.b),
            "a_text": a.slice(w.a),
            "b_text": b.slice(w.b),
        })).collect::<Vec<_>>(),
    })
}

fn para_json(p: &Para) -> Value {
    json!({
        "label": p.label.as_str(),
        "bytes": [p.start, p.end],
        "partners": p.partners,
        "kept": (p.kept * 1000.0).round() / 1000.0,
        "furniture": p.furniture,
    })
}

fn side_json(name: &str, x: &Article) -> Value {
    json!({
        "name": name,
        "bytes": x.text().len(),
        "paragraphs": x.tokenized().paragraphs.len(),
    })
}

/// The whole alignment as one JSON object (see the module docs).
pub fn alignment_json(al: &Alignment, a: &Article, b: &Article, names: (&str, &str)) -> Value {
    json!({
        "schema_version": SCHEMA_VERSION,
        "tool": concat!("wirecopy ", env!("CARGO_PKG_VERSION")),
        "a": side_json(names.0, a),
        "b": side_json(names.1, b),
        "changes": SummaryJson(&al.summary()),
        "identical": al.identical,
        "restyles": al.restyles.names(),
        "fallback": al.fallback.map(|f| json!({"tokens": f.tokens, "max_tokens": f.max_tokens})),
        "ops": al.ops.iter().map(|op| op_json(op, a, b)).collect::<Vec<_>>(),
        "a_paragraphs": al.a.iter().map(para_json).collect::<Vec<_>>(),
        "b_paragraphs": al.b.iter().map(para_json).collect::<Vec<_>>(),
    })
}

/// ANSI styles, or nothing when colour is off.
struct Style {
    on: bool,
}

impl Style {
    fn paint(&self, code: &str, s: &str) -> String {
        if self.on && !s.is_empty() {
            format!("\x1b[{code}m{s}\x1b[0m")
        } else {
            s.to_string()
        }
    }
    fn bold(&self, s: &str) -> String {
        self.paint("1", s)
    }
    fn red(&self, s: &str) -> String {
        self.paint("31", s)
    }
    fn green(&self, s: &str) -> String {
        self.paint("32", s)
    }
    fn yellow(&self, s: &str) -> String {
        self.paint("33", s)
    }
    fn dim(&self, s: &str) -> String {
        self.paint("2", s)
    }
    /// A deletion inside a changed paragraph: red, or `[-…-]` without colour.
    fn deleted(&self, s: &str) -> String {
        if self.on {
            self.paint("31;9", s)
        } else {
            format!("[-{s}-]")
        }
    }
    /// An insertion inside a changed paragraph: green, or `{+…+}` without colour.
    fn inserted(&self, s: &str) -> String {
        if self.on {
            self.paint("32", s)
        } else {
            format!("{{+{s}+}}")
        }
    }
}

/// "¶3" or "¶3–5" for a 0-based half-open range.
fn pilcrow(r: (u32, u32)) -> String {
    if r.1 <= r.0 + 1 {
        format!("\u{b6}{}", r.0 + 1)
    } else {
        format!("\u{b6}{}\u{2013}{}", r.0 + 1, r.1)
    }
}

/// At most `max` characters of `s` on one line.
fn abbreviate(s: &str, max: usize) -> String {
    let flat = s.split_whitespace().collect::<Vec<_>>().join(" ");
    if flat.chars().count() <= max {
        flat
    } else {
        let cut: String = flat.chars().take(max).collect();
        format!("{}\u{2026}", cut.trim_end())
    }
}

/// Write `text` line by line with a gutter.
fn block(w: &mut dyn Write, gutter: &str, text: &str) -> std::io::Result<()> {
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        writeln!(w, "{gutter}  {line}")?;
    }
    Ok(())
}

/// B's text of an operation with A's deleted words and B's inserted words marked.
fn word_diff(op: &Op, a: &Article, b: &Article, st: &Style) -> String {
    let mut out = String::new();
    let mut pos = op.b_bytes.0;
    for c in &op.words {
        let at = c.b.0.max(pos);
        out.push_str(b.slice((pos, at)));
        let (del, ins) = (a.slice(c.a), b.slice((at, c.b.1.max(at))));
        if !del.is_empty() {
            out.push_str(&st.deleted(del));
        }
        if !ins.is_empty() {
            out.push_str(&st.inserted(ins));
        }
        pos = c.b.1.max(at);
    }
    out.push_str(b.slice((pos, op.b_bytes.1.max(pos))));
    out
}

/// The unified terminal view: the verdict, then one entry per operation.
pub fn write_unified(
    al: &Alignment,
    a: &Article,
    b: &Article,
    names: (&str, &str),
    color: bool,
    w: &mut dyn Write,
) -> std::io::Result<()> {
    let st = Style { on: color };
    let (pa, pb) = (
        a.tokenized().paragraphs.len(),
        b.tokenized().paragraphs.len(),
    );
    writeln!(
        w,
        "{}",
        st.red(&format!("--- A {} ({pa} paragraphs)", names.0))
    )?;
    writeln!(
        w,
        "{}",
        st.green(&format!("+++ B {} ({pb} paragraphs)", names.1))
    )?;
    writeln!(w, "{}", st.bold(&al.verdict))?;
    for op in &al.ops {
        writeln!(w)?;
        let moved = if op.moved {
            st.yellow(" moved")
        } else {
            String::new()
        };
        let head = |sym: &str, what: String| format!("{sym} {what}  {}{moved}", op.kind.as_str());
        match op.kind {
            OpKind::Shared | OpKind::Restyled => {
                let h = head(" ", format!("A {} = B {}", pilcrow(op.a), pilcrow(op.b)));
                writeln!(w, "{}", st.dim(&h))?;
                writeln!(w, "   {}", st.dim(&abbreviate(b.slice(op.b_bytes), 100)))?;
            }
            OpKind::Edited | OpKind::Merged | OpKind::Split | OpKind::Regrouped => {
                let h = head(
                    "~",
                    format!("A {} \u{2192} B {}", pilcrow(op.a), pilcrow(op.b)),
                );
                writeln!(w, "{}", st.bold(&h))?;
                block(w, "~", &word_diff(op, a, b, &st))?;
            }
            OpKind::Dropped => {
                writeln!(w, "{}", st.red(&head("-", format!("A {}", pilcrow(op.a)))))?;
                block(w, &st.red("-"), a.slice(op.a_bytes))?;
            }
            OpKind::Added => {
                writeln!(
                    w,
                    "{}",
                    st.green(&head("+", format!("B {}", pilcrow(op.b))))
                )?;
                block(w, &st.green("+"), b.slice(op.b_bytes))?;
            }
            OpKind::Boilerplate => {
                let (side, r, x, bytes) = if op.a.1 > op.a.0 {
                    ("A", op.a, a, op.a_bytes)
                } else {
                    ("B", op.b, b, op.b_bytes)
                };
                let text = x.slice(bytes);
                let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
                let h = head(
                    "#",
                    format!("{side} {} ({} lines)", pilcrow(r), lines.len()),
                );
                writeln!(w, "{}", st.dim(&h))?;
                for l in lines.iter().take(3) {
                    writeln!(w, "{}", st.dim(&format!("#  {}", abbreviate(l, 100))))?;
                }
                if lines.len() > 3 {
                    writeln!(
                        w,
                        "{}",
                        st.dim(&format!("#  \u{2026} {} more lines", lines.len() - 3))
                    )?;
                }
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pilcrows_are_one_based() {
        assert_eq!(pilcrow((0, 1)), "\u{b6}1");
        assert_eq!(pilcrow((3, 6)), "\u{b6}4\u{2013}6");
    }

    #[test]
    fn abbreviations_flatten_whitespace() {
        assert_eq!(abbreviate("a\n b   c", 10), "a b c");
        assert_eq!(abbreviate("abcdef", 3), "abc\u{2026}");
    }
}
