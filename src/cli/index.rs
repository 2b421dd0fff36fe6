//! `wirecopy index build|add|info`: save a snapshot's sketches for `wirecopy check`.

use super::{DetectArgs, EXIT_INPUT, EXIT_OK, InputArgs, RunArgs, emit, read_inputs, usage_error};
use crate::config::ScanRequest;
use crate::index::{self, SnapshotIndex};
use crate::scan::{analyze_timed, analyze_with_furniture};
use clap::{Args, Subcommand};
use std::path::{Path, PathBuf};

#[derive(Args, Debug)]
pub struct IndexArgs {
    #[command(subcommand)]
    pub command: IndexCommand,
}

#[derive(Subcommand, Debug)]
pub enum IndexCommand {
    /// Index a corpus snapshot (sketches and metadata, no text) for `wirecopy check`.
    Build(BuildArgs),
    /// Add documents to an index; documents whose id is already indexed are skipped.
    Add(AddArgs),
    /// Print an index's parameters and size.
    Info(InfoArgs),
}

#[derive(Args, Debug)]
pub struct BuildArgs {
    #[command(flatten)]
    pub input: InputArgs,
    /// Sketch parameters (--ngram, --num-perm, --threshold or --bands/--rows, --seed,
    /// --sample-rate, --no-boilerplate) are stored in the index; verification thresholds
    /// are given to `check` instead.
    #[command(flatten)]
    pub detect: DetectArgs,
    /// The index file to write (atomically).
    #[arg(long, short, value_name = "FILE")]
    pub output: PathBuf,
    #[command(flatten)]
    pub run: RunArgs,
}

#[derive(Args, Debug)]
pub struct AddArgs {
    /// The index to extend (rewritten atomically).
    #[arg(value_name = "INDEX")]
    pub index: PathBuf,
    #[command(flatten)]
    pub input: InputArgs,
    #[command(flatten)]
    pub run: RunArgs,
}

#[derive(Args, Debug)]
pub struct InfoArgs {
    #[arg(value_name = "INDEX")]
    pub index: PathBuf,
}

/// Run `wirecopy index ...`.
pub fn run(a: &IndexArgs) -> i32 {
    match &a.command {
        IndexCommand::Build(b) => build(b),
        IndexCommand::Add(b) => add(b),
        IndexCommand::Info(b) => info(b),
    }
}

/// Read and validate an index file; `Err` is an exit code (the error is printed, naming
/// the file and what is wrong with it).
pub fn read_index(path: &Path) -> Result<SnapshotIndex, i32> {
    let result = std::fs::read(path)
        .map_err(index::IndexError::Io)
        .and_then(|bytes| SnapshotIndex::read(&bytes));
    result.map_err(|e| {
        eprintln!("wirecopy: error: index {}: {e}", path.display());
        EXIT_INPUT
    })
}

/// Write `index` to `path` atomically and say how big it is.
fn save(index: &SnapshotIndex, path: &Path, added: usize) -> i32 {
    let code = emit(Some(path), |w| index.write(w));
    if code == EXIT_OK {
        let bytes = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
        eprintln!(
            "wirecopy: {} documents added, {} indexed in {} ({} bytes, {:.0} bytes per document)",
            added,
            index.len(),
            path.display(),
            bytes,
            bytes as f64 / index.len().max(1) as f64
        );
    }
    code
}

fn build(a: &BuildArgs) -> i32 {
    let cfg = match a.detect.request().resolve() {
        Ok(c) => c,
        Err(e) => return usage_error(e),
    };
    let progress = match a.run.start() {
        Ok(p) => p,
        Err(code) => return code,
    };
    let corpus = match read_inputs(&a.input) {
        Ok(c) => c,
        Err(code) => return code,
    };
    let (analysis, _) = analyze_timed(&corpus, &cfg, &progress);
    let mut index = SnapshotIndex::new(&cfg);
    index.add(&corpus, &analysis);
    save(&index, &a.output, corpus.len())
}

fn add(a: &AddArgs) -> i32 {
    let progress = match a.run.start() {
        Ok(p) => p,
        Err(code) => return code,
    };
    let mut index = match read_index(&a.index) {
        Ok(i) => i,
        Err(code) => return code,
    };
    let request = ScanRequest::default();
    let mut cfg = request.resolve().expect("defaults are valid");
    if let Err(e) = index.params.apply(&request, &mut cfg) {
        return usage_error(e);
    }
    let corpus = match read_inputs(&a.input) {
        Ok(c) => c,
        Err(code) => return code,
    };
    let (analysis, _) = analyze_with_furniture(&corpus, &cfg, &index.boilerplate(), &progress);
    let ids = index.id_set();
    let analysis = index::narrow(&corpus, analysis, |id| !ids.contains(id));
    drop(ids);
    let skipped = corpus.len() - analysis.order.len();
    if skipped > 0 {
        eprintln!("wirecopy: {skipped} documents whose id is already indexed were skipped");
    }
    index.add(&corpus, &analysis);
    save(&index, &a.index, analysis.order.len())
}

fn info(a: &InfoArgs) -> i32 {
    let index = match read_index(&a.index) {
        Ok(i) => i,
        Err(code) => return code,
    };
    let bytes = std::fs::metadata(&a.index).map(|m| m.len()).unwrap_or(0);
    let p = &index.params;
    let f = index.furniture();
    println!("format version   {}", index::FORMAT_VERSION);
    println!("documents        {}", index.len());
    println!(
        "size             {bytes} bytes ({:.0} per document)",
        bytes as f64 / index.len().max(1) as f64
    );
    println!("sketch entries   {}", index.sketch_entries());
    println!("ngram            {}", p.ngram);
    println!("num_perm         {}", p.num_perm);
    println!("bands × rows     {} × {}", p.bands, p.rows);
    println!("seed             {}", p.seed);
    println!("sample_rate      {}", p.sample_rate);
    println!("lead shingles    {}", p.lead);
    println!(
        "boilerplate      {}",
        if p.boilerplate { "on" } else { "off" }
    );
    println!(
        "furniture        {} site-template lines, {} common lines, {} trigrams",
        f.site.len(),
        f.common.len(),
        f.near.len()
    );
    EXIT_OK
}
