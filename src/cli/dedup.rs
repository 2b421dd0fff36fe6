//! `wirecopy dedup`: write the corpus without its redundant copies.

use super::{
    DetectArgs, EXIT_INPUT, EXIT_OK, EXIT_OUTPUT, InputArgs, RunArgs, leave_for_exit, read_inputs,
    usage_error,
};
use crate::cluster::Relation;
use crate::config::CanonicalPolicy;
use crate::dedup::{self, DEFAULT_REDUNDANT, Fate, Plan};
use crate::input::Corpus;
use crate::report::{ScanReport, Staged, stage_dir, stage_file};
use crate::scan::scan;
use clap::Args;
use std::io::Write;
use std::path::PathBuf;

#[derive(Args, Debug)]
pub struct DedupArgs {
    #[command(flatten)]
    pub input: InputArgs,
    #[command(flatten)]
    pub detect: DetectArgs,
    /// Where the kept JSONL records go, byte for byte and in input order (written atomically).
    #[arg(long, short, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Where the kept files of directory inputs go, at the same relative paths; must be absent
    /// or empty.
    #[arg(long, value_name = "DIR")]
    pub output_dir: Option<PathBuf>,
    /// Also write the removed JSONL records to FILE.
    #[arg(long, value_name = "FILE", conflicts_with = "annotate")]
    pub removed: Option<PathBuf>,
    /// Also write the removed files of directory inputs under DIR.
    #[arg(long, value_name = "DIR", conflicts_with = "annotate")]
    pub removed_dir: Option<PathBuf>,
    /// Write one JSON line per removed record to FILE: its id, the id it was folded into
    /// (kept_id), cluster, relation and scores.
    #[arg(long, value_name = "FILE")]
    pub map: Option<PathBuf>,
    /// Write the records that could not be read to FILE (JSON lines: input, line, reason,
    /// detail, raw).
    #[arg(long, value_name = "FILE")]
    pub rejects: Option<PathBuf>,
    /// Which copy of a cluster is kept: fullest, earliest (needs --date-field), first (in
    /// input order), or sources:FILE (the best-ranked outlet of a list, one per line; needs
    /// --source-field). Ties go to the fullest.
    #[arg(long, value_name = "POLICY", default_value = "fullest")]
    pub keep: String,
    /// The ranked outlet list for `--keep sources`.
    #[arg(long, value_name = "FILE")]
    pub sources: Option<PathBuf>,
    /// Relations to the kept copy that make a record redundant, comma-separated, from exact,
    /// restyled, edited, truncated, extended, version, excerpt [default:
    /// exact,restyled,edited,truncated].
    #[arg(long, value_name = "RELATIONS", value_delimiter = ',')]
    pub redundant: Option<Vec<String>>,
    /// Remove nothing: write every record to --output with a "wirecopy" field added
    /// (cluster, canonical, relation, redundant, scores).
    #[arg(long)]
    pub annotate: bool,
    #[command(flatten)]
    pub run: RunArgs,
}

/// The keep policy from `--keep` (and `--sources`). `Err` is an exit code.
fn keep_policy(a: &DedupArgs) -> Result<CanonicalPolicy, i32> {
    let sources_file = match (a.keep.strip_prefix("sources:"), a.keep.as_str()) {
        (Some(file), _) if a.sources.is_some() => {
            return Err(usage_error(format!(
                "--keep sources:{file} and --sources both name the outlet list; give one"
            )));
        }
        (Some(file), _) => Some(PathBuf::from(file)),
        (None, "sources") => match &a.sources {
            Some(file) => Some(file.clone()),
            None => {
                return Err(usage_error(
                    "--keep sources needs the ranked outlet list: --sources FILE or \
                     --keep sources:FILE",
                ));
            }
        },
        (None, _) if a.sources.is_some() => {
            return Err(usage_error("--sources is only used with --keep sources"));
        }
        (None, _) => None,
    };
    if let Some(file) = sources_file {
        if a.input.source_field.is_none() {
            return Err(usage_error(
                "--keep sources needs --source-field (the JSON field naming each record's outlet)",
            ));
        }
        let text = std::fs::read_to_string(&file).map_err(|e| {
            eprintln!(
                "wirecopy: error: cannot read --sources {}: {e}",
                file.display()
            );
            EXIT_INPUT
        })?;
        let ranked = text
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
            .map(str::to_string)
            .collect();
        return Ok(CanonicalPolicy::Sources(ranked));
    }
    match a.keep.as_str() {
        "fullest" => Ok(CanonicalPolicy::Fullest),
        "first" => Ok(CanonicalPolicy::First),
        "earliest" if a.input.date_field.is_none() => Err(usage_error(
            "--keep earliest needs --date-field (the JSON field holding each record's date)",
        )),
        "earliest" => Ok(CanonicalPolicy::Earliest),
        other => Err(usage_error(format!(
            "invalid value for --keep: {other:?} (fullest, earliest, first, sources:FILE)"
        ))),
    }
}

/// The redundant relations from `--redundant`. `Err` is an exit code.
fn redundant_relations(a: &DedupArgs) -> Result<Vec<Relation>, i32> {
    let Some(names) = &a.redundant else {
        return Ok(DEFAULT_REDUNDANT.to_vec());
    };
    names
        .iter()
        .map(|n| {
            Relation::parse(n.trim()).ok_or_else(|| {
                usage_error(format!(
                    "invalid value for --redundant: {n:?} (exact, restyled, edited, truncated, \
                     extended, version, excerpt)"
                ))
            })
        })
        .collect()
}

/// Check that the outputs fit the inputs before any work. `Err` is an exit code.
fn check_outputs(a: &DedupArgs) -> Result<(), i32> {
    let dirs: Vec<&PathBuf> = a.input.inputs.iter().filter(|p| p.is_dir()).collect();
    let has_jsonl = a.input.inputs.len() > dirs.len();
    if has_jsonl && a.output.is_none() {
        return Err(usage_error(
            "--output FILE is required: where the kept JSONL records go",
        ));
    }
    if let Some(dir) = dirs.first() {
        if a.annotate {
            return Err(usage_error(format!(
                "--annotate needs JSONL input, and {} is a directory (use --map for a \
                 removed → kept list)",
                dir.display()
            )));
        }
        if a.output_dir.is_none() {
            return Err(usage_error(format!(
                "--output-dir DIR is required: where the kept files of {} go",
                dir.display()
            )));
        }
    }
    for (flag, dir) in [
        ("--output-dir", &a.output_dir),
        ("--removed-dir", &a.removed_dir),
    ] {
        if let Some(dir) = dir
            && std::fs::read_dir(dir).is_ok_and(|mut entries| entries.next().is_some())
        {
            return Err(usage_error(format!(
                "{flag} {} exists and is not empty",
                dir.display()
            )));
        }
    }
    let mut paths: Vec<&PathBuf> = [
        &a.output,
        &a.output_dir,
        &a.removed,
        &a.removed_dir,
        &a.map,
        &a.rejects,
    ]
    .into_iter()
    .flatten()
    .collect();
    paths.sort();
    if let Some(w) = paths.windows(2).find(|w| w[0] == w[1]) {
        return Err(usage_error(format!(
            "{} is named as two different outputs",
            w[0].display()
        )));
    }
    Ok(())
}

/// Write every requested output under a temporary name beside its target (see
/// [`Staged`]); nothing is in place until all are written and committed.
fn stage_outputs(
    a: &DedupArgs,
    corpus: &Corpus,
    plan: &Plan,
    report: &ScanReport,
) -> Result<Vec<Staged>, (PathBuf, std::io::Error)> {
    let kept = |f: &Fate| !f.removed;
    let removed = |f: &Fate| f.removed;
    let mut staged = Vec::new();
    let mut file = |path: &Option<PathBuf>,
                    fill: &dyn Fn(&mut dyn Write) -> std::io::Result<()>|
     -> Result<(), (PathBuf, std::io::Error)> {
        if let Some(path) = path {
            staged.push(stage_file(path, fill).map_err(|e| (path.clone(), e))?);
        }
        Ok(())
    };
    if a.annotate {
        file(&a.output, &|w| {
            dedup::write_annotated(corpus, plan, report, w)
        })?;
    } else {
        file(&a.output, &|w| dedup::write_records(corpus, plan, kept, w))?;
    }
    file(&a.removed, &|w| {
        dedup::write_records(corpus, plan, removed, w)
    })?;
    file(&a.map, &|w| dedup::write_map(corpus, plan, report, w))?;
    file(&a.rejects, &|w| dedup::write_rejects(corpus, w))?;
    let mut dir = |path: &Option<PathBuf>,
                   select: &dyn Fn(&Fate) -> bool|
     -> Result<(), (PathBuf, std::io::Error)> {
        if let Some(path) = path {
            let s = stage_dir(path).map_err(|e| (path.clone(), e))?;
            dedup::write_files(corpus, plan, select, s.path()).map_err(|e| (path.clone(), e))?;
            staged.push(s);
        }
        Ok(())
    };
    dir(&a.output_dir, &kept)?;
    dir(&a.removed_dir, &removed)?;
    Ok(staged)
}

/// Run `wirecopy dedup`.
pub fn run(a: &DedupArgs) -> i32 {
    let mut cfg = match a.detect.request().resolve() {
        Ok(c) => c,
        Err(e) => return usage_error(e),
    };
    cfg.canonical = match keep_policy(a) {
        Ok(p) => p,
        Err(code) => return code,
    };
    let redundant = match redundant_relations(a) {
        Ok(r) => r,
        Err(code) => return code,
    };
    if let Err(code) = check_outputs(a) {
        return code;
    }
    let progress = match a.run.start() {
        Ok(p) => p,
        Err(code) => return code,
    };
    let corpus = match read_inputs(&a.input) {
        Ok(c) => c,
        Err(code) => return code,
    };
    if a.annotate
        && let Err(e) = dedup::check_annotatable(&corpus)
    {
        eprintln!(
            "wirecopy: error: {}: cannot annotate: {}",
            e.location, e.message
        );
        return EXIT_INPUT;
    }
    let out = scan(&corpus, &cfg, &progress);
    let report = ScanReport::new(
        &corpus,
        &out,
        &cfg,
        &a.input.read_options(),
        &a.input.names(),
    );
    let plan = dedup::plan(&corpus, &out, &redundant);
    let counts = plan.counts;
    assert_eq!(
        counts.total(),
        corpus.docs.len() + corpus.rejects.len(),
        "every record is kept, removed or rejected"
    );

    let staged = match stage_outputs(a, &corpus, &plan, &report) {
        Ok(staged) => staged,
        Err((path, e)) => {
            eprintln!("wirecopy: error: cannot write {}: {e}", path.display());
            return EXIT_OUTPUT;
        }
    };
    for s in staged {
        let target = s.target().to_path_buf();
        if let Err(e) = s.commit() {
            eprintln!("wirecopy: error: cannot write {}: {e}", target.display());
            return EXIT_OUTPUT;
        }
    }
    if a.annotate {
        eprintln!(
            "wirecopy: dedup --annotate: {} records: {} annotated ({} marked redundant in {} \
             clusters), {} rejected",
            counts.total(),
            counts.kept + counts.removed,
            counts.removed,
            counts.clusters,
            counts.rejected
        );
    } else {
        eprintln!(
            "wirecopy: dedup: {} records: {} kept, {} removed (from {} clusters), {} rejected",
            counts.total(),
            counts.kept,
            counts.removed,
            counts.clusters,
            counts.rejected
        );
    }
    leave_for_exit((plan, report, out, corpus));
    EXIT_OK
}
