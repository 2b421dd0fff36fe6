//! One report model, several formats.
//!
//! [`ScanReport`] is built once from the scan output; each format lives in its own file and
//! reads only the model: `text` (a terminal summary), `json` (one document, and JSONL with one
//! cluster per line), `members` (one line per clustered document), `csv` (one row per
//! member); `pairs` writes the scored pairs behind them. Every format echoes the parameters that
//! produced it. Files are written atomically: to a temporary file beside the target, then
//! renamed, so an interrupted run never leaves half a report.

pub mod changes;
pub mod csv;
pub mod json;
pub mod members;
pub mod pairs;
pub mod text;

use crate::cluster::{Cluster, Relation};
use crate::config::ScanConfig;
use crate::input::{Corpus, ReadOptions};
use crate::scan::{ScanOutput, ScanStats, Timings};
use std::io::Write;
use std::path::{Path, PathBuf};

/// Version of the JSON/JSONL/CSV layout; bumped on any incompatible change.
pub const SCHEMA_VERSION: u32 = 1;

/// A member as reported.
#[derive(Debug, Clone, PartialEq)]
pub struct MemberRow {
    pub id: String,
    pub source: Option<String>,
    pub date: Option<String>,
    pub relation: Relation,
    pub chained: bool,
    pub jaccard: f64,
    /// Share of the member's body shingles found in the canonical.
    pub member_in_canonical: f64,
    /// Share of the canonical's body shingles found in the member.
    pub canonical_in_member: f64,
    /// Share of the member's body words covered by shared shingles.
    pub coverage: f64,
    pub shared_shingles: u32,
    pub shared_paragraphs: u32,
    pub paragraphs: u32,
    pub added_words: u32,
    pub dropped_words: u32,
    /// 1-based canonical paragraph after which the member stops (truncated copies).
    pub truncated_after: Option<u32>,
}

/// A cluster as reported.
#[derive(Debug, Clone, PartialEq)]
pub struct ClusterRow {
    pub id: String,
    pub canonical: String,
    pub members: Vec<MemberRow>,
}

/// Everything a format prints.
pub struct ScanReport {
    pub params: Vec<(&'static str, serde_json::Value)>,
    pub stats: ScanStats,
    pub timings: Timings,
    pub clusters: Vec<ClusterRow>,
}

impl ScanReport {
    pub fn new(
        corpus: &Corpus,
        out: &ScanOutput,
        cfg: &ScanConfig,
        read: &ReadOptions,
        inputs: &[String],
    ) -> Self {
        let clusters = out
            .clusters
            .iter()
            .enumerate()
            .map(|(i, c)| cluster_row(i, c, corpus, out))
            .collect();
        ScanReport {
            params: params(cfg, read, inputs),
            stats: out.stats.clone(),
            timings: out.timings.clone(),
            clusters,
        }
    }
}

/// Round a score to the four decimals reports print.
pub fn round4(x: f64) -> f64 {
    (x * 10_000.0).round() / 10_000.0
}

fn cluster_row(i: usize, c: &Cluster, corpus: &Corpus, out: &ScanOutput) -> ClusterRow {
    let meta = |d: u32| &corpus.docs[out.order[d as usize] as usize];
    ClusterRow {
        id: format!("c{}", i + 1),
        canonical: meta(c.canonical).id.clone(),
        members: c
            .members
            .iter()
            .map(|m| {
                let doc = meta(m.doc);
                MemberRow {
                    id: doc.id.clone(),
                    source: doc.source.clone(),
                    date: doc.date.clone(),
                    relation: m.relation,
                    chained: m.chained,
                    jaccard: round4(m.score.jaccard),
                    member_in_canonical: round4(m.score.b_in_a),
                    canonical_in_member: round4(m.score.a_in_b),
                    coverage: round4(m.score.cover_b),
                    shared_shingles: m.score.shared,
                    shared_paragraphs: m.paragraphs.shared_paragraphs,
                    paragraphs: m.paragraphs.paragraphs,
                    added_words: m.paragraphs.added_words,
                    dropped_words: m.paragraphs.dropped_words,
                    truncated_after: (m.relation == Relation::Truncated)
                        .then_some(m.paragraphs.truncated_after.map(|p| p + 1))
                        .flatten(),
                }
            })
            .collect(),
    }
}

fn params(
    cfg: &ScanConfig,
    read: &ReadOptions,
    inputs: &[String],
) -> Vec<(&'static str, serde_json::Value)> {
    use serde_json::json;
    vec![
        ("inputs", json!(inputs)),
        ("id_field", json!(read.id_field)),
        ("text_field", json!(read.text_field)),
        ("source_field", json!(read.source_field)),
        ("date_field", json!(read.date_field)),
        ("title_field", json!(read.title_field)),
        ("ngram", json!(cfg.ngram)),
        ("num_perm", json!(cfg.num_perm)),
        ("threshold", json!(cfg.threshold)),
        ("bands", json!(cfg.banding.bands)),
        ("rows", json!(cfg.banding.rows)),
        (
            "banding",
            json!(if cfg.banding_explicit {
                "explicit"
            } else {
                "derived from threshold"
            }),
        ),
        ("lsh_midpoint", json!(round4(cfg.banding.midpoint()))),
        ("containment", json!(cfg.containment)),
        ("coverage", json!(cfg.coverage)),
        ("min_passage", json!(cfg.min_passage)),
        ("sample_rate", json!(cfg.sample_rate)),
        ("sample_min", json!(cfg.sample_min)),
        ("bucket_cap", json!(cfg.bucket_cap)),
        ("seed", json!(cfg.seed)),
        ("boilerplate", json!(cfg.boilerplate.enabled)),
    ]
}

/// Write `path` atomically: fill a temporary file in the same directory, then rename it.
pub fn write_atomic(
    path: &Path,
    fill: impl FnOnce(&mut dyn Write) -> std::io::Result<()>,
) -> std::io::Result<()> {
    stage_file(path, fill)?.commit()
}

/// An output written under a temporary name beside its target and moved into place by
/// [`Staged::commit`]; dropped uncommitted, the temporary is removed. A command with several
/// outputs stages them all and commits them together, so a failed or interrupted run leaves
/// none of them half-written.
pub struct Staged {
    /// None once committed.
    tmp: Option<PathBuf>,
    target: PathBuf,
}

/// `.NAME.wirecopy-PID.tmp` in the directory of `path`.
fn temp_beside(path: &Path) -> PathBuf {
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "output".into());
    dir.join(format!(".{name}.wirecopy-{}.tmp", std::process::id()))
}

/// Stage a file: fill a temporary file beside `path` and sync it.
pub fn stage_file(
    path: &Path,
    fill: impl FnOnce(&mut dyn Write) -> std::io::Result<()>,
) -> std::io::Result<Staged> {
    let staged = Staged {
        tmp: Some(temp_beside(path)),
        target: path.to_path_buf(),
    };
    let file = std::fs::File::create(staged.path())?;
    let mut w = std::io::BufWriter::new(file);
    fill(&mut w)?;
    let file = w.into_inner().map_err(|e| e.into_error())?;
    file.sync_all()?;
    Ok(staged)
}

/// Stage a directory: an empty temporary directory beside `path`, to be filled through
/// [`Staged::path`]. Committing it replaces `path` only if that is absent or empty.
pub fn stage_dir(path: &Path) -> std::io::Result<Staged> {
    let staged = Staged {
        tmp: Some(temp_beside(path)),
        target: path.to_path_buf(),
    };
    std::fs::create_dir(staged.path())?;
    Ok(staged)
}

impl Staged {
    /// Where the output is being written.
    pub fn path(&self) -> &Path {
        self.tmp.as_deref().unwrap_or(&self.target)
    }

    /// Where the output goes.
    pub fn target(&self) -> &Path {
        &self.target
    }

    /// Move the output into place.
    pub fn commit(mut self) -> std::io::Result<()> {
        if let Some(tmp) = &self.tmp {
            std::fs::rename(tmp, &self.target)?;
            self.tmp = None;
        }
        Ok(())
    }
}

impl Drop for Staged {
    fn drop(&mut self) {
        if let Some(tmp) = self.tmp.take() {
            let _ = if tmp.is_dir() {
                std::fs::remove_dir_all(&tmp)
            } else {
                std::fs::remove_file(&tmp)
            };
        }
    }
}
