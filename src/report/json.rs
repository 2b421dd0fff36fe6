//! JSON and JSONL output.
//!
//! `--format json` writes one document:
//!
//! ```text
//! { "schema_version": 1,
//!   "tool": "wirecopy 0.1.0",
//!   "params":   { every parameter that shaped the result, derived bands/rows included },
//!   "stats":    { documents, bytes, skipped: {reason: count}, candidates, verified_pairs,
//!                 clusters, clustered_documents, ... },
//!   "timings":  { stage: seconds, ..., "total": seconds },
//!   "peak_rss_mb": { stage: the process's peak resident set size in MB when the stage
//!                 ended } (Linux only; the stage where it jumps holds the memory),
//!   "clusters": [ { "id": "c1", "canonical": ID, "size": N,
//!                   "members": [ { "id", "source", "date", "relation", "chained",
//!                                  "jaccard", "member_in_canonical", "canonical_in_member",
//!                                  "coverage", "shared_shingles", "shared_paragraphs",
//!                                  "paragraphs", "added_words", "dropped_words",
//!                                  "truncated_after", "changes" } ] } ] }
//! ```
//!
//! `changes` is the member's paragraph alignment with the canonical (A = canonical, B =
//! member; see `wirecopy::align`), null for the canonical and when not computed
//! (`scan --no-changes`, other commands):
//!
//! ```text
//! { "shared", "restyled", "edited", "merged", "split", "moved", "added", "boilerplate":
//!       number of the member's paragraphs with that label,
//!   "dropped": number of the canonical's paragraphs missing from the member,
//!   "truncated_after": 1-based canonical paragraph after which the member stops, or null,
//!   "verdict": one line, e.g. "B is A truncated after paragraph 2 of 9; adds a 6-line
//!              link list (…)",
//!   "fallback": true when a text exceeded the alignment budget (params.align_max_tokens
//!               words) and only whole paragraphs were compared }
//! ```
//!
//! `params.changes` says whether the summaries were computed (`--format members` never
//! computes them; `check` reports have no `changes` parameter and no summaries);
//! `params.align_max_tokens`, present only when they were, is the alignment budget, and
//! `timings.changes` their cost.
//!
//! The canonical is the first member (relation `canonical`). Scores are rounded to four
//! decimals. Everything but `timings` and `peak_rss_mb` is byte-identical for the same input
//! and parameters. `--format jsonl` writes a header line `{"schema_version", "tool", "params",
//! "stats", "timings", "peak_rss_mb"}` and then one cluster object per line, as in `clusters` above.

use super::changes::{MemberChanges, SummaryJson, member_summary};
use super::{ClusterRow, MemberRow, SCHEMA_VERSION, ScanReport};
use crate::align::Summary;
use rayon::prelude::*;
use serde::Serialize;
use serde_json::ser::Formatter;
use serde_json::{Map, Value, json};
use std::io::Write;

/// A member as written, borrowed from its row.
#[derive(Serialize)]
struct Member<'a> {
    id: &'a str,
    source: Option<&'a str>,
    date: Option<&'a str>,
    relation: &'static str,
    chained: bool,
    jaccard: f64,
    member_in_canonical: f64,
    canonical_in_member: f64,
    coverage: f64,
    shared_shingles: u32,
    shared_paragraphs: u32,
    paragraphs: u32,
    added_words: u32,
    dropped_words: u32,
    truncated_after: Option<u32>,
    changes: Option<SummaryJson<'a>>,
}

fn member<'a>(m: &'a MemberRow, changes: Option<&'a Summary>) -> Member<'a> {
    Member {
        id: &m.id,
        source: m.source.as_deref(),
        date: m.date.as_deref(),
        relation: m.relation.as_str(),
        chained: m.chained,
        jaccard: m.jaccard,
        member_in_canonical: m.member_in_canonical,
        canonical_in_member: m.canonical_in_member,
        coverage: m.coverage,
        shared_shingles: m.shared_shingles,
        shared_paragraphs: m.shared_paragraphs,
        paragraphs: m.paragraphs,
        added_words: m.added_words,
        dropped_words: m.dropped_words,
        truncated_after: m.truncated_after,
        changes: changes.map(SummaryJson),
    }
}

/// A cluster as written, borrowed from its row.
#[derive(Serialize)]
struct Cluster<'a> {
    id: &'a str,
    canonical: &'a str,
    size: usize,
    members: Vec<Member<'a>>,
}

/// A cluster with its members' change summaries (see [`MemberChanges::cluster`]).
fn cluster<'a>(c: &'a ClusterRow, changes: Option<&'a [Option<Summary>]>) -> Cluster<'a> {
    Cluster {
        id: &c.id,
        canonical: &c.canonical,
        size: c.members.len(),
        members: c
            .members
            .iter()
            .enumerate()
            .map(|(i, m)| member(m, member_summary(changes, i)))
            .collect(),
    }
}

/// Cluster `i` of the report with its members' change summaries.
fn cluster_at<'a>(r: &'a ScanReport, changes: Option<&'a MemberChanges>, i: usize) -> Cluster<'a> {
    cluster(&r.clusters[i], changes.and_then(|ch| ch.cluster(i)))
}

fn header(r: &ScanReport) -> Map<String, Value> {
    let mut m = Map::new();
    m.insert("schema_version".into(), json!(SCHEMA_VERSION));
    m.insert(
        "tool".into(),
        json!(concat!("wirecopy ", env!("CARGO_PKG_VERSION"))),
    );
    m.insert(
        "params".into(),
        Value::Object(
            r.params
                .iter()
                .map(|(k, v)| (k.to_string(), v.clone()))
                .collect(),
        ),
    );
    let s = &r.stats;
    let skipped: Map<String, Value> = s
        .skipped
        .iter()
        .map(|(k, v)| (k.to_string(), json!(v)))
        .collect();
    m.insert(
        "stats".into(),
        json!({
            "documents": s.documents,
            "bytes": s.bytes,
            "skipped": skipped,
            "skipped_total": s.skipped.iter().map(|x| x.1).sum::<usize>(),
            "empty_body": s.empty_body,
            "boilerplate_lines_learned": s.boilerplate_lines_learned,
            "furniture_lines": s.furniture_lines,
            "lsh_candidates": s.lsh_candidates,
            "containment_candidates": s.containment_candidates,
            "candidates": s.candidates,
            "capped_buckets": s.capped_buckets,
            "skipped_common_samples": s.skipped_common_samples,
            "verified_pairs": s.verified_pairs,
            "clusters": s.clusters,
            "clustered_documents": s.clustered_documents,
            "chained_members": s.chained_members,
        }),
    );
    let ms = |seconds: f64| json!((seconds * 1000.0).round() / 1000.0);
    let mut t: Map<String, Value> = r
        .timings
        .iter()
        .map(|s| (s.name.to_string(), ms(s.seconds)))
        .collect();
    t.insert(
        "total".into(),
        ms(r.timings.iter().map(|s| s.seconds).sum()),
    );
    m.insert("timings".into(), Value::Object(t));
    let peaks: Map<String, Value> = r
        .timings
        .iter()
        .filter_map(|s| Some((s.name.to_string(), json!(s.peak_rss_mb?))))
        .collect();
    if !peaks.is_empty() {
        m.insert("peak_rss_mb".into(), Value::Object(peaks));
    }
    m
}

/// `value` pretty-printed (as `serde_json::to_writer_pretty` does) for a place `depth` levels
/// deep in a pretty document: its lines after the first are indented as they are there.
fn pretty_at(value: &impl Serialize, depth: usize) -> Vec<u8> {
    let mut out = Vec::new();
    value
        .serialize(&mut serde_json::Serializer::with_formatter(
            &mut out,
            PrettyAt::new(depth),
        ))
        .expect("a report value serializes");
    out
}

/// `serde_json::ser::PrettyFormatter` (two-space indent) starting `depth` levels deep rather
/// than at the top, so that a value can be pretty-printed on its own and placed inside a
/// pretty document as is.
struct PrettyAt {
    depth: usize,
    has_value: bool,
}

impl PrettyAt {
    fn new(depth: usize) -> Self {
        PrettyAt {
            depth,
            has_value: false,
        }
    }

    /// A new line, indented to the current depth (`first`: no comma before it).
    fn new_line<W: ?Sized + Write>(&self, w: &mut W, first: bool) -> std::io::Result<()> {
        w.write_all(if first { b"\n" } else { b",\n" })?;
        (0..self.depth).try_for_each(|_| w.write_all(b"  "))
    }

    fn open<W: ?Sized + Write>(&mut self, w: &mut W, bracket: &[u8]) -> std::io::Result<()> {
        self.depth += 1;
        self.has_value = false;
        w.write_all(bracket)
    }

    fn close<W: ?Sized + Write>(&mut self, w: &mut W, bracket: &[u8]) -> std::io::Result<()> {
        self.depth -= 1;
        if self.has_value {
            self.new_line(w, true)?;
        }
        w.write_all(bracket)
    }
}

impl Formatter for PrettyAt {
    fn begin_array<W: ?Sized + Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.open(w, b"[")
    }
    fn end_array<W: ?Sized + Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.close(w, b"]")
    }
    fn begin_array_value<W: ?Sized + Write>(
        &mut self,
        w: &mut W,
        first: bool,
    ) -> std::io::Result<()> {
        self.new_line(w, first)
    }
    fn end_array_value<W: ?Sized + Write>(&mut self, _: &mut W) -> std::io::Result<()> {
        self.has_value = true;
        Ok(())
    }
    fn begin_object<W: ?Sized + Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.open(w, b"{")
    }
    fn end_object<W: ?Sized + Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.close(w, b"}")
    }
    fn begin_object_key<W: ?Sized + Write>(
        &mut self,
        w: &mut W,
        first: bool,
    ) -> std::io::Result<()> {
        self.new_line(w, first)
    }
    fn begin_object_value<W: ?Sized + Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        w.write_all(b": ")
    }
    fn end_object_value<W: ?Sized + Write>(&mut self, _: &mut W) -> std::io::Result<()> {
        self.has_value = true;
        Ok(())
    }
}

/// Every cluster (with its members' change summaries) rendered by `render`, in parallel (a
/// large corpus has hundreds of thousands), in report order.
fn render_clusters(
    r: &ScanReport,
    changes: Option<&MemberChanges>,
    render: impl Fn(&Cluster) -> Vec<u8> + Sync,
) -> Vec<Vec<u8>> {
    (0..r.clusters.len())
        .into_par_iter()
        .map(|i| render(&cluster_at(r, changes, i)))
        .collect()
}

/// The whole report as one JSON document, with the members' change summaries when given.
///
/// Laid out as `serde_json::to_writer_pretty` lays out the header object with a `clusters`
/// array appended: the two outer levels are written here, each value below them by
/// [`pretty_at`], the clusters in parallel.
pub fn write_json(
    r: &ScanReport,
    changes: Option<&MemberChanges>,
    w: &mut dyn Write,
) -> std::io::Result<()> {
    let clusters = render_clusters(r, changes, |c| pretty_at(c, 2));
    let mut f = PrettyAt::new(0);
    fn key(f: &mut PrettyAt, w: &mut dyn Write, first: bool, key: &str) -> std::io::Result<()> {
        f.begin_object_key(w, first)?;
        serde_json::to_writer(&mut *w, key)?;
        f.begin_object_value(w)
    }
    f.begin_object(w)?;
    for (i, (k, value)) in header(r).iter().enumerate() {
        key(&mut f, w, i == 0, k)?;
        w.write_all(&pretty_at(value, 1))?;
        f.end_object_value(w)?;
    }
    key(&mut f, w, false, "clusters")?;
    f.begin_array(w)?;
    for (i, c) in clusters.iter().enumerate() {
        f.begin_array_value(w, i == 0)?;
        w.write_all(c)?;
        f.end_array_value(w)?;
    }
    f.end_array(w)?;
    f.end_object_value(w)?;
    f.end_object(w)?;
    writeln!(w)
}

/// The header object (schema, tool, params, stats, timings) on one line.
pub fn write_header_line(r: &ScanReport, w: &mut dyn Write) -> std::io::Result<()> {
    serde_json::to_writer(&mut *w, &Value::Object(header(r)))?;
    writeln!(w)
}

/// A header line, then one cluster per line, with the members' change summaries when given.
pub fn write_jsonl(
    r: &ScanReport,
    changes: Option<&MemberChanges>,
    w: &mut dyn Write,
) -> std::io::Result<()> {
    write_header_line(r, w)?;
    let lines = render_clusters(r, changes, |c| {
        let mut line = serde_json::to_vec(c).expect("a report value serializes");
        line.push(b'\n');
        line
    });
    for line in lines {
        w.write_all(&line)?;
    }
    Ok(())
}
