//! The command line: parse (clap) → resolve (`config`) → run (library stages) → exit code.
//!
//! Exit codes, the only place they are decided:
//! * 0 — the command ran (bad records, if any, were reported and skipped);
//! * 1 — `check` found what `--fail-on` asked to fail on;
//! * 2 — usage: an unknown flag, a missing argument, or a flag value out of range;
//! * 3 — input: `--strict` met a bad record, or no input could be read at all (`diff`: a
//!   file could not be read, or an id is not in the corpus);
//! * 4 — output: a report could not be written.

pub mod check;
pub mod dedup;
pub mod diff;
pub mod index;
pub mod scan;

use crate::config::{ScanRequest, defaults};
use crate::input::{Corpus, InputError, InputPath, ReadOptions, RejectReason, read_corpus};
use crate::progress::Progress;
use crate::report;
use clap::{Args, Parser, Subcommand, ValueEnum};
use std::ffi::OsString;
use std::path::{Path, PathBuf};

pub const EXIT_OK: i32 = 0;
pub const EXIT_FOUND: i32 = 1;
pub const EXIT_USAGE: i32 = 2;
pub const EXIT_INPUT: i32 = 3;
pub const EXIT_OUTPUT: i32 = 4;

/// How many bad-record warnings to print before summarizing the rest.
const MAX_WARNINGS: usize = 20;

#[derive(Parser, Debug)]
#[command(
    name = "wirecopy",
    version,
    about = "Find syndicated copies in news corpora",
    after_help = "Exit codes: 0 ran, 1 check found copies (--fail-on), 2 usage or bad flag value, \
                  3 input error (--strict, or nothing readable), 4 output could not be written."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Find the groups of copies of the same story and report them.
    Scan(scan::ScanArgs),
    /// Write the corpus without its redundant copies (or annotate every record).
    Dedup(dedup::DedupArgs),
    /// Build, extend or inspect a snapshot index for `check`.
    Index(index::IndexArgs),
    /// Report new documents that copy an indexed snapshot or each other (for CI).
    Check(check::CheckArgs),
    /// Show how a copy B differs from A, paragraph by paragraph.
    Diff(diff::DiffArgs),
}

/// Where articles come from and which fields hold what.
#[derive(Args, Debug, Clone)]
pub struct InputArgs {
    /// JSONL files (plain, .gz or .zst, detected by content), directories of text files, or
    /// `-` for JSONL on stdin.
    #[arg(required = true, value_name = "INPUT")]
    pub inputs: Vec<PathBuf>,
    /// JSON field holding the article id (string or number).
    #[arg(long, default_value = "id")]
    pub id_field: String,
    /// JSON field holding the article text.
    #[arg(long, default_value = "text")]
    pub text_field: String,
    /// JSON field naming the outlet; sharpens boilerplate learning.
    #[arg(long)]
    pub source_field: Option<String>,
    /// JSON field holding the publication date (ISO 8601); the earliest copy becomes canonical.
    #[arg(long)]
    pub date_field: Option<String>,
    /// JSON field holding the title.
    #[arg(long)]
    pub title_field: Option<String>,
    /// Stop at the first bad record instead of skipping it.
    #[arg(long)]
    pub strict: bool,
    /// Read files into memory instead of memory-mapping them.
    #[arg(long)]
    pub no_mmap: bool,
}

impl InputArgs {
    pub fn read_options(&self) -> ReadOptions {
        ReadOptions {
            id_field: self.id_field.clone(),
            text_field: self.text_field.clone(),
            source_field: self.source_field.clone(),
            date_field: self.date_field.clone(),
            title_field: self.title_field.clone(),
            strict: self.strict,
            mmap: !self.no_mmap,
        }
    }

    pub fn paths(&self) -> Vec<InputPath> {
        self.inputs
            .iter()
            .map(|p| {
                if p.as_os_str() == "-" {
                    InputPath::Stdin
                } else {
                    InputPath::Path(p.clone())
                }
            })
            .collect()
    }

    pub fn names(&self) -> Vec<String> {
        self.inputs
            .iter()
            .map(|p| p.display().to_string())
            .collect()
    }
}

/// Detection parameters (see README: Parameters).
#[derive(Args, Debug, Clone, Default)]
pub struct DetectArgs {
    /// Words per shingle.
    #[arg(long, value_name = "K", help = format!("Words per shingle [default: {}]", defaults::NGRAM))]
    pub ngram: Option<usize>,
    /// MinHash signature length.
    #[arg(long, value_name = "K", help = format!("MinHash signature length [default: {}]", defaults::NUM_PERM))]
    pub num_perm: Option<usize>,
    /// Jaccard similarity that LSH aims at and the verifier accepts.
    #[arg(long, value_name = "J", help = format!("Jaccard similarity that LSH aims at and the verifier accepts [default: {}]", defaults::THRESHOLD))]
    pub threshold: Option<f64>,
    /// LSH bands (with --rows; otherwise derived from --threshold).
    #[arg(long)]
    pub bands: Option<usize>,
    /// LSH rows per band (with --bands).
    #[arg(long)]
    pub rows: Option<usize>,
    /// Accept a pair when this share of the smaller text's shingles is in the larger.
    #[arg(long, value_name = "C", help = format!("Accept a pair when this share of the smaller text's shingles is in the larger [default: {}]", defaults::CONTAINMENT))]
    pub containment: Option<f64>,
    /// Accept a pair when shared shingles cover this share of the smaller text's words.
    #[arg(long, value_name = "C", help = format!("Accept a pair when shared shingles cover this share of the smaller text's words [default: {}]", defaults::COVERAGE))]
    pub coverage: Option<f64>,
    /// Shingles an in-order shared passage needs before containment or coverage count.
    #[arg(long, value_name = "N", help = format!("Shingles an in-order shared passage needs before containment or coverage count [default: {}]", defaults::MIN_PASSAGE))]
    pub min_passage: Option<u32>,
    /// Containment index keeps one shingle in N.
    #[arg(long, value_name = "N", help = format!("Containment index keeps one shingle in N [default: {}]", defaults::SAMPLE_RATE))]
    pub sample_rate: Option<u32>,
    /// Containment candidates share at least this many sampled shingles.
    #[arg(long, value_name = "N", help = format!("Containment candidates share at least this many sampled shingles [default: {}]", defaults::SAMPLE_MIN))]
    pub sample_min: Option<u32>,
    /// Largest LSH bucket or sample posting paired in full.
    #[arg(long, value_name = "N", help = format!("Largest LSH bucket or sample posting paired in full [default: {}]", defaults::BUCKET_CAP))]
    pub bucket_cap: Option<usize>,
    /// Seed of every hash function.
    #[arg(long, help = format!("Seed of every hash function [default: {}]", defaults::SEED))]
    pub seed: Option<u64>,
    /// Do not detect boilerplate (site furniture counts as text).
    #[arg(long)]
    pub no_boilerplate: bool,
}

impl DetectArgs {
    pub fn request(&self) -> ScanRequest {
        ScanRequest {
            ngram: self.ngram,
            num_perm: self.num_perm,
            threshold: self.threshold,
            bands: self.bands,
            rows: self.rows,
            containment: self.containment,
            coverage: self.coverage,
            min_passage: self.min_passage,
            sample_rate: self.sample_rate,
            sample_min: self.sample_min,
            bucket_cap: self.bucket_cap,
            seed: self.seed,
            no_boilerplate: self.no_boilerplate,
        }
    }
}

/// How a command runs: every command takes these.
#[derive(Args, Debug, Clone, Copy)]
pub struct RunArgs {
    /// Worker threads (0 = one per core).
    #[arg(long, default_value_t = 0)]
    pub threads: usize,
    /// No progress bars.
    #[arg(long, short)]
    pub quiet: bool,
}

impl RunArgs {
    /// Start the process's worker pool and return the progress bars to draw. `Err` is the
    /// exit code of a usage error (the pool cannot be built).
    pub fn start(&self) -> Result<Progress, i32> {
        rayon::ThreadPoolBuilder::new()
            .num_threads(self.threads)
            .build_global()
            .map_err(|e| usage_error(format!("cannot start {} threads: {e}", self.threads)))?;
        Ok(Progress::auto(self.quiet))
    }
}

/// The report of `scan` and `check` (the same formats) and where it goes.
#[derive(Args, Debug, Clone)]
pub struct ReportArgs {
    /// Output format.
    #[arg(long, value_enum, default_value = "text")]
    pub format: Format,
    /// Write the report to FILE (atomically) instead of stdout.
    #[arg(long, short)]
    pub output: Option<PathBuf>,
}

#[derive(ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Text,
    Json,
    Jsonl,
    Csv,
    /// One line per clustered document: id, cluster, canonical, relation.
    Members,
}

/// Parse arguments and run; returns the process exit code.
pub fn run(args: impl IntoIterator<Item = OsString>) -> i32 {
    let cli = match Cli::try_parse_from(args) {
        Ok(c) => c,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() { EXIT_USAGE } else { EXIT_OK };
        }
    };
    match cli.command {
        Command::Scan(a) => scan::run(&a),
        Command::Dedup(a) => dedup::run(&a),
        Command::Index(a) => index::run(&a),
        Command::Check(a) => check::run(&a),
        Command::Diff(a) => diff::run(&a),
    }
}

/// Leave a command's data to the end of the process instead of freeing it. The process exits
/// as soon as the command returns and the system takes its memory back at once, whereas
/// freeing a scan's millions of small allocations one by one takes about 1.6 s at a million
/// documents.
pub fn leave_for_exit<T>(data: T) {
    std::mem::forget(data);
}

/// Print a usage error and return its exit code.
pub fn usage_error(e: impl std::fmt::Display) -> i32 {
    eprintln!("wirecopy: {e}");
    EXIT_USAGE
}

/// Read the inputs, printing warnings for skipped records. `Err` is an exit code.
pub fn read_inputs(input: &InputArgs) -> Result<Corpus, i32> {
    let corpus = match read_corpus(&input.paths(), &input.read_options()) {
        Ok(c) => c,
        Err(InputError::Strict(r)) => {
            eprintln!("wirecopy: error: {r} (--strict)");
            return Err(EXIT_INPUT);
        }
    };
    for r in corpus.rejects.iter().take(MAX_WARNINGS) {
        eprintln!("wirecopy: warning: skipped {r}");
    }
    if corpus.rejects.len() > MAX_WARNINGS {
        eprintln!(
            "wirecopy: warning: {} more records skipped (counts by reason in the report's stats)",
            corpus.rejects.len() - MAX_WARNINGS
        );
    }
    let unreadable = corpus
        .rejects
        .iter()
        .filter(|r| r.reason == RejectReason::UnreadableFile)
        .count();
    if corpus.is_empty() && unreadable >= input.inputs.len() {
        eprintln!("wirecopy: error: no input could be read");
        return Err(EXIT_INPUT);
    }
    Ok(corpus)
}

/// Write a report to `path` atomically, or to stdout; returns the exit code.
pub fn emit(
    path: Option<&Path>,
    write: impl FnOnce(&mut dyn std::io::Write) -> std::io::Result<()>,
) -> i32 {
    let result = match path {
        Some(path) => {
            report::write_atomic(path, write).map_err(|e| (path.display().to_string(), e))
        }
        None => {
            let stdout = std::io::stdout();
            let mut lock = std::io::BufWriter::new(stdout.lock());
            write(&mut lock)
                .and_then(|_| std::io::Write::flush(&mut lock))
                .map_err(|e| ("stdout".to_string(), e))
        }
    };
    match result {
        Ok(()) => EXIT_OK,
        Err((_, e)) if e.kind() == std::io::ErrorKind::BrokenPipe => EXIT_OK,
        Err((target, e)) => {
            eprintln!("wirecopy: error: cannot write {target}: {e}");
            EXIT_OUTPUT
        }
    }
}
