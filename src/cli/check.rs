//! `wirecopy check NEW... --against INDEX`: a CI verdict on a new batch of documents.

use super::{
    DetectArgs, EXIT_FOUND, EXIT_OK, Format, InputArgs, ReportArgs, RunArgs, emit, read_inputs,
    usage_error,
};
use crate::check::{self, CheckOutput};
use crate::report::{self, ScanReport};
use crate::scan::Stage;
use clap::{Args, ValueEnum};
use std::io::Write;
use std::path::PathBuf;
use std::time::Instant;

/// What makes `check` exit with code 1.
#[derive(ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailOn {
    /// Never: report only.
    Never,
    /// A new document copies an indexed one.
    NewCopies,
    /// A new document copies an indexed one, or new documents copy each other.
    Any,
}

#[derive(Args, Debug)]
pub struct CheckArgs {
    /// The new documents.
    #[command(flatten)]
    pub input: InputArgs,
    /// The snapshot index to compare with (`wirecopy index build`).
    #[arg(long, value_name = "INDEX")]
    pub against: PathBuf,
    /// Verification thresholds; sketch parameters come from the index (giving one that
    /// differs from the index is an error).
    #[command(flatten)]
    pub detect: DetectArgs,
    /// Exit with code 1 when this is found (the report is written either way).
    #[arg(long, value_enum, default_value = "never")]
    pub fail_on: FailOn,
    #[command(flatten)]
    pub report: ReportArgs,
    #[command(flatten)]
    pub run: RunArgs,
}

/// The human report: copies of indexed documents, then what a scan of the new documents
/// prints.
fn write_text(r: &ScanReport, out: &CheckOutput, w: &mut dyn Write) -> std::io::Result<()> {
    let split = out.stats.copied_documents as usize;
    for c in &r.clusters[..split] {
        let canon = &c.members[0];
        writeln!(
            w,
            "{} · indexed {}{} · copied by {} new document{}",
            c.id,
            c.canonical,
            canon
                .source
                .as_deref()
                .map(|s| format!(" ({s})"))
                .unwrap_or_default(),
            c.members.len() - 1,
            if c.members.len() == 2 { "" } else { "s" }
        )?;
        for m in &c.members[1..] {
            writeln!(
                w,
                "  {:<10} {:<28} {:<24} J ≈ {:.2}  in-indexed ≈ {:.2}  indexed-in ≈ {:.2}",
                m.relation.as_str(),
                m.id,
                m.source.as_deref().unwrap_or("-"),
                m.jaccard,
                m.member_in_canonical,
                m.canonical_in_member
            )?;
        }
        writeln!(w)?;
    }
    let new_only = ScanReport {
        params: r.params.clone(),
        stats: r.stats.clone(),
        timings: r.timings.clone(),
        clusters: r.clusters[split..].to_vec(),
    };
    report::text::write_text(&new_only, None, w)?;
    let s = &out.stats;
    writeln!(
        w,
        "check: {} new documents ({} already indexed, left out) against {} indexed: {} copy \
         {} indexed documents (≈ scores estimated from the index sketches)",
        s.new_documents, s.already_indexed, s.index_documents, s.new_copies, s.copied_documents
    )
}

/// Run `wirecopy check`.
pub fn run(a: &CheckArgs) -> i32 {
    let request = a.detect.request();
    let mut cfg = match request.resolve() {
        Ok(c) => c,
        Err(e) => return usage_error(e),
    };
    let progress = match a.run.start() {
        Ok(p) => p,
        Err(code) => return code,
    };
    let started = Instant::now();
    let index = match super::index::read_index(&a.against) {
        Ok(i) => i,
        Err(code) => return code,
    };
    if let Err(e) = index.params.apply(&request, &mut cfg) {
        return usage_error(e);
    }
    let corpus = match read_inputs(&a.input) {
        Ok(c) => c,
        Err(code) => return code,
    };
    let read = Stage::ended("read", started.elapsed().as_secs_f64());
    let mut out = check::check(&corpus, &cfg, &index, &progress);
    out.scan.timings.insert(0, read);
    let report = check::report(
        &corpus,
        &out,
        &index,
        &cfg,
        &a.input.read_options(),
        &a.input.names(),
        &a.against.display().to_string(),
    );
    let write = |w: &mut dyn Write| match a.report.format {
        Format::Text => write_text(&report, &out, w),
        Format::Json => report::json::write_json(&report, None, w),
        Format::Jsonl => report::json::write_jsonl(&report, None, w),
        Format::Csv => report::csv::write_csv(&report, None, w),
        Format::Members => report::members::write_members(&report, w),
    };
    let code = emit(a.report.output.as_deref(), write);
    if code != EXIT_OK {
        return code;
    }
    let s = &out.stats;
    let within = out.scan.clusters.len();
    eprintln!(
        "wirecopy: check: {} new documents: {} copy indexed documents, {} clusters among \
         themselves ({:.2} s)",
        s.new_documents,
        s.new_copies,
        within,
        started.elapsed().as_secs_f64()
    );
    let fail = match a.fail_on {
        FailOn::Never => false,
        FailOn::NewCopies => s.new_copies > 0,
        FailOn::Any => s.new_copies > 0 || within > 0,
    };
    if fail { EXIT_FOUND } else { EXIT_OK }
}
