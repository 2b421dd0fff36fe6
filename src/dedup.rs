//! Deduplication: which records of a scanned corpus to keep, and the files that say so.
//!
//! The scan has already grouped copies and picked each cluster's canonical copy by the
//! keep policy (`CanonicalPolicy`: fullest, earliest, first, preferred sources); the
//! canonical is the copy that is kept. A member is removed when its relation to the
//! canonical is one of the *redundant* relations, and kept otherwise — a `version` with
//! paragraphs of its own or an `excerpt` that may be quoted elsewhere is still text the
//! corpus would lose.
//!
//! The default redundant set is exact, restyled, edited and truncated: what a reader of
//! the canonical would not miss. `edited` is in it because it is how most syndicated copies
//! look — the same paragraphs with house-style word changes ("said" → "says", spelling,
//! a corrected figure) or a middle paragraph cut; `restyled` only covers copies whose words
//! are all the same, so without `edited` a dedup would leave most wire copies in place.
//! `extended` (the canonical plus text of its own), `version` and `excerpt` are kept unless
//! asked for.
//!
//! Records are written byte for byte as they were read ([`Corpus::record_bytes`]), in input
//! order, so the kept file is the input minus lines; `--annotate` is the one mode that
//! changes records, and it only splices one field in before the closing brace. Every record
//! read is accounted for: kept + removed + rejected = records read ([`Counts`]).

use crate::cluster::Relation;
use crate::input::Corpus;
use crate::report::{MemberRow, ScanReport};
use crate::scan::ScanOutput;
use serde_json::{Map, Value, json};
use std::io::Write;

/// Relations removed by default (see the module docs).
pub const DEFAULT_REDUNDANT: [Relation; 4] = [
    Relation::Exact,
    Relation::Restyled,
    Relation::Edited,
    Relation::Truncated,
];

/// The field `--annotate` adds to every record.
pub const ANNOTATION_FIELD: &str = "wirecopy";

/// Where a document stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fate {
    /// (cluster, member) indices into the scan's clusters when the document is in one.
    pub member: Option<(u32, u32)>,
    /// Dropped as a redundant copy of its cluster's canonical.
    pub removed: bool,
}

/// What dedup decided, per document in `Corpus::docs` order (input order).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    pub fates: Vec<Fate>,
    pub counts: Counts,
}

/// Records by outcome. `kept + removed + rejected` is every record read.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    pub kept: usize,
    pub removed: usize,
    pub rejected: usize,
    /// Clusters with at least one removed member.
    pub clusters: usize,
}

impl Counts {
    pub fn total(&self) -> usize {
        self.kept + self.removed + self.rejected
    }
}

/// Decide every document: members of a cluster whose relation is in `redundant` are
/// removed, everything else is kept.
pub fn plan(corpus: &Corpus, out: &ScanOutput, redundant: &[Relation]) -> Plan {
    let mut fates = vec![
        Fate {
            member: None,
            removed: false,
        };
        corpus.docs.len()
    ];
    let mut clusters = 0;
    for (c, cluster) in out.clusters.iter().enumerate() {
        let mut any = false;
        for (m, member) in cluster.members.iter().enumerate() {
            let removed = redundant.contains(&member.relation);
            any |= removed;
            fates[out.order[member.doc as usize] as usize] = Fate {
                member: Some((c as u32, m as u32)),
                removed,
            };
        }
        clusters += any as usize;
    }
    let removed = fates.iter().filter(|f| f.removed).count();
    Plan {
        counts: Counts {
            kept: fates.len() - removed,
            removed,
            rejected: corpus.rejects.len(),
            clusters,
        },
        fates,
    }
}

/// Is document `d` a file of a directory input (rather than a JSONL line)?
pub fn is_file_doc(corpus: &Corpus, d: usize) -> bool {
    corpus.docs[d].line == 0
}

/// Write the JSONL records (not directory files) whose fate `select` accepts, each as read
/// plus a newline, in input order.
pub fn write_records(
    corpus: &Corpus,
    plan: &Plan,
    select: impl Fn(&Fate) -> bool,
    w: &mut dyn Write,
) -> std::io::Result<()> {
    for (d, fate) in plan.fates.iter().enumerate() {
        if select(fate) && !is_file_doc(corpus, d) {
            w.write_all(corpus.record_bytes(d))?;
            w.write_all(b"\n")?;
        }
    }
    Ok(())
}

/// Copy the directory files whose fate `select` accepts under `dir`, at their path
/// relative to their input directory (their id).
pub fn write_files(
    corpus: &Corpus,
    plan: &Plan,
    select: impl Fn(&Fate) -> bool,
    dir: &std::path::Path,
) -> std::io::Result<()> {
    for (d, fate) in plan.fates.iter().enumerate() {
        if select(fate) && is_file_doc(corpus, d) {
            let path = dir.join(&corpus.docs[d].id);
            if let Some(parent) = path.parent() {
                std::fs::create_dir_all(parent)?;
            }
            std::fs::write(&path, corpus.record_bytes(d))?;
        }
    }
    Ok(())
}

/// The member fields the map and the annotations print, named as in the scan report.
const SCORE_FIELDS: [&str; 5] = [
    "chained",
    "jaccard",
    "member_in_canonical",
    "canonical_in_member",
    "coverage",
];

/// The values of [`SCORE_FIELDS`] for one member.
fn scores(m: &MemberRow) -> [Value; 5] {
    [
        json!(m.chained),
        json!(m.jaccard),
        json!(m.member_in_canonical),
        json!(m.canonical_in_member),
        json!(m.coverage),
    ]
}

/// `--map`: one JSON line per removed record, in input order:
/// `{"id", "kept_id", "cluster", "relation", "chained", "jaccard", "member_in_canonical",
/// "canonical_in_member", "coverage", "input", "line"}` (`line` 0 for a directory file).
/// `report` must be built from the same scan as `plan`.
pub fn write_map(
    corpus: &Corpus,
    plan: &Plan,
    report: &ScanReport,
    w: &mut dyn Write,
) -> std::io::Result<()> {
    for (d, fate) in plan.fates.iter().enumerate() {
        let (Some((c, m)), true) = (fate.member, fate.removed) else {
            continue;
        };
        let cluster = &report.clusters[c as usize];
        let member = &cluster.members[m as usize];
        let mut line = Map::new();
        line.insert("id".into(), json!(member.id));
        line.insert("kept_id".into(), json!(cluster.canonical));
        line.insert("cluster".into(), json!(cluster.id));
        line.insert("relation".into(), json!(member.relation.as_str()));
        for (k, v) in SCORE_FIELDS.into_iter().zip(scores(member)) {
            line.insert(k.into(), v);
        }
        let meta = &corpus.docs[d];
        line.insert("input".into(), json!(corpus.input_name(meta.input)));
        line.insert("line".into(), json!(meta.line));
        serde_json::to_writer(&mut *w, &Value::Object(line))?;
        w.write_all(b"\n")?;
    }
    Ok(())
}

/// The annotation of one document: `{"cluster", "canonical", "relation", "redundant",
/// "chained", "jaccard", "member_in_canonical", "canonical_in_member", "coverage"}`, all
/// null but `redundant` (false) for a document in no cluster.
fn annotation(fate: &Fate, report: &ScanReport) -> Value {
    let mut a = Map::new();
    match fate.member {
        Some((c, m)) => {
            let cluster = &report.clusters[c as usize];
            let member = &cluster.members[m as usize];
            a.insert("cluster".into(), json!(cluster.id));
            a.insert("canonical".into(), json!(cluster.canonical));
            a.insert("relation".into(), json!(member.relation.as_str()));
            a.insert("redundant".into(), json!(fate.removed));
            for (k, v) in SCORE_FIELDS.into_iter().zip(scores(member)) {
                a.insert(k.into(), v);
            }
        }
        None => {
            for k in ["cluster", "canonical", "relation"] {
                a.insert(k.into(), Value::Null);
            }
            a.insert("redundant".into(), json!(false));
            for k in SCORE_FIELDS {
                a.insert(k.into(), Value::Null);
            }
        }
    }
    Value::Object(a)
}

/// Why a record cannot be annotated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AnnotateError {
    /// `input:line` of the record.
    pub location: String,
    pub message: String,
}

/// Does this JSON object record already have a top-level `field`?
fn has_top_level_field(record: &[u8], field: &str) -> bool {
    let quoted = format!("\"{field}\"");
    if memchr::memmem::find(record, quoted.as_bytes()).is_none() {
        return false;
    }
    serde_json::from_slice::<std::collections::BTreeMap<String, serde::de::IgnoredAny>>(record)
        .is_ok_and(|m| m.contains_key(field))
}

/// Can every JSONL record be annotated? A record that already has a top-level
/// [`ANNOTATION_FIELD`] cannot: a reader would see one of two fields of that name.
pub fn check_annotatable(corpus: &Corpus) -> Result<(), AnnotateError> {
    for d in 0..corpus.docs.len() {
        if !is_file_doc(corpus, d) && has_top_level_field(corpus.record_bytes(d), ANNOTATION_FIELD)
        {
            return Err(AnnotateError {
                location: corpus.location(d),
                message: format!("the record already has a top-level {ANNOTATION_FIELD:?} field"),
            });
        }
    }
    Ok(())
}

/// `--annotate`: every JSONL record, in input order, with `"wirecopy": {...}` (see
/// [`annotation`]) spliced in before its closing brace; the original fields are untouched.
/// Call [`check_annotatable`] first.
pub fn write_annotated(
    corpus: &Corpus,
    plan: &Plan,
    report: &ScanReport,
    w: &mut dyn Write,
) -> std::io::Result<()> {
    for (d, fate) in plan.fates.iter().enumerate() {
        if is_file_doc(corpus, d) {
            continue;
        }
        let record = corpus.record_bytes(d);
        // The reader accepted the record as one JSON object, so its last `}` closes it
        // (only whitespace can follow).
        let end = record
            .iter()
            .rposition(|&b| b == b'}')
            .expect("a JSON object ends with a closing brace");
        w.write_all(&record[..end])?;
        write!(w, ",\"{ANNOTATION_FIELD}\":")?;
        serde_json::to_writer(&mut *w, &annotation(fate, report))?;
        w.write_all(&record[end..])?;
        w.write_all(b"\n")?;
    }
    Ok(())
}

/// `--rejects`: one JSON line per unreadable record, in input order: `{"input", "line",
/// "reason", "detail", "raw"}`; `raw` is the record's line (invalid UTF-8 replaced by
/// U+FFFD, and then `"raw_lossy": true`), or null when the reject concerns a whole file.
pub fn write_rejects(corpus: &Corpus, w: &mut dyn Write) -> std::io::Result<()> {
    for (i, r) in corpus.rejects.iter().enumerate() {
        let mut line = Map::new();
        line.insert("input".into(), json!(r.input));
        line.insert("line".into(), json!(r.line));
        line.insert("reason".into(), json!(r.reason.as_str()));
        line.insert("detail".into(), json!(r.detail));
        match corpus.reject_bytes(i) {
            Some(raw) => {
                let text = String::from_utf8_lossy(raw);
                let lossy = matches!(text, std::borrow::Cow::Owned(_));
                line.insert("raw".into(), json!(text));
                if lossy {
                    line.insert("raw_lossy".into(), json!(true));
                }
            }
            None => {
                line.insert("raw".into(), Value::Null);
            }
        }
        serde_json::to_writer(&mut *w, &Value::Object(line))?;
        w.write_all(b"\n")?;
    }
    Ok(())
}
