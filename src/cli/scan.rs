//! `wirecopy scan`: find the groups of copies and report them.

use super::{
    DetectArgs, EXIT_OK, Format, InputArgs, ReportArgs, RunArgs, emit, leave_for_exit, read_inputs,
    usage_error,
};
use crate::config::{PairsScope, ScanConfig};
use crate::report::changes::MemberChanges;
use crate::report::{self, ScanReport};
use crate::scan::{Stage, scan};
use clap::{Args, ValueEnum};
use std::path::PathBuf;
use std::time::Instant;

/// `--pairs-scope` values.
#[derive(ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum PairsScopeArg {
    Accepted,
    Candidates,
}

#[derive(Args, Debug)]
pub struct ScanArgs {
    #[command(flatten)]
    pub input: InputArgs,
    #[command(flatten)]
    pub detect: DetectArgs,
    #[command(flatten)]
    pub report: ReportArgs,
    #[command(flatten)]
    pub run: RunArgs,
    /// Print the LSH S-curve for the chosen bands × rows to stderr.
    #[arg(long)]
    pub explain: bool,
    /// Also write the scored pairs behind the clusters to FILE (JSONL, atomically).
    #[arg(long, value_name = "FILE")]
    pub pairs: Option<PathBuf>,
    /// Which pairs --pairs lists: the accepted ones, or every verified candidate.
    #[arg(long, value_enum, default_value = "accepted", requires = "pairs")]
    pub pairs_scope: PairsScopeArg,
    /// Skip the paragraph alignment of members with their canonical (no change summaries;
    /// `--format members` never computes them).
    #[arg(long)]
    pub no_changes: bool,
}

fn print_s_curve(cfg: &ScanConfig) {
    let b = cfg.banding;
    eprintln!(
        "LSH: {} bands × {} rows of {} slots; midpoint ≈ {:.3}",
        b.bands,
        b.rows,
        cfg.num_perm,
        b.midpoint()
    );
    eprintln!("Jaccard  P(candidate)");
    for i in 1..=10 {
        let s = i as f64 / 10.0;
        eprintln!("  {s:.1}    {:.4}", b.probability(s));
    }
}

/// Run `wirecopy scan`.
pub fn run(a: &ScanArgs) -> i32 {
    let mut cfg = match a.detect.request().resolve() {
        Ok(c) => c,
        Err(e) => return usage_error(e),
    };
    if a.pairs.is_some() {
        cfg.keep_pairs = match a.pairs_scope {
            PairsScopeArg::Accepted => PairsScope::Accepted,
            PairsScopeArg::Candidates => PairsScope::Candidates,
        };
    }
    let progress = match a.run.start() {
        Ok(p) => p,
        Err(code) => return code,
    };
    if a.explain {
        print_s_curve(&cfg);
    }
    let started = Instant::now();
    let corpus = match read_inputs(&a.input) {
        Ok(c) => c,
        Err(code) => return code,
    };
    let read = Stage::ended("read", started.elapsed().as_secs_f64());
    let mut out = scan(&corpus, &cfg, &progress);
    out.timings.insert(0, read);
    // The members format prints no change summaries, so it does not pay for the alignment.
    let with_changes = !a.no_changes && a.report.format != Format::Members;
    // The pairs file is written (and synced) while the report is built.
    let (pairs_code, (report, changes)) = rayon::join(
        || match &a.pairs {
            Some(path) => emit(Some(path), |w| report::pairs::write_pairs(&corpus, &out, w)),
            None => EXIT_OK,
        },
        || {
            let mut report = ScanReport::new(
                &corpus,
                &out,
                &cfg,
                &a.input.read_options(),
                &a.input.names(),
            );
            let changes = MemberChanges::for_report(&mut report, &corpus, &out, &cfg, with_changes);
            (report, changes)
        },
    );
    if pairs_code != EXIT_OK {
        return pairs_code;
    }
    let changes = changes.as_ref();
    let write = |w: &mut dyn std::io::Write| match a.report.format {
        Format::Text => report::text::write_text(&report, changes, w),
        Format::Json => report::json::write_json(&report, changes, w),
        Format::Jsonl => report::json::write_jsonl(&report, changes, w),
        Format::Csv => report::csv::write_csv(&report, changes, w),
        Format::Members => report::members::write_members(&report, w),
    };
    let code = emit(a.report.output.as_deref(), write);
    leave_for_exit((report, out, corpus));
    code
}
