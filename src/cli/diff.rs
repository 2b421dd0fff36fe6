//! `wirecopy diff`: how a copy B differs from A, paragraph by paragraph.
//!
//! Three ways in:
//! * `wirecopy diff A.txt B.txt` — two text files; furniture is recognised by its shape only
//!   (two texts teach nothing about a site's templates);
//! * `wirecopy diff --corpus FILE ID_A ID_B` — two documents of a corpus, read like `scan`
//!   reads it; the boilerplate model is learned from the whole corpus first, so the labels
//!   are the ones scan reports (this costs one analysis pass over the corpus);
//! * `wirecopy diff --corpus FILE --pairs PAIRS.tsv --format jsonl` — many pairs, one
//!   `ID_A<TAB>ID_B` per line (`#` comments and blank lines skipped), one alignment per output
//!   line in the order of the pairs file, computed in parallel.

use super::{EXIT_INPUT, InputArgs, RunArgs, emit, read_inputs, usage_error};
use crate::align::{AlignParams, Alignment, Article, align};
use crate::boilerplate::{BoilerplateModel, BoilerplateParams};
use crate::config::{ScanRequest, defaults};
use crate::input::Corpus;
use crate::progress::Progress;
use crate::report::changes::{alignment_json, write_unified};
use crate::scan::analyze_timed;
use clap::{Args, ValueEnum};
use rayon::prelude::*;
use std::collections::HashMap;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};

/// `--format` of diff.
#[derive(ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum DiffFormat {
    /// A unified view: the verdict, then every operation with word-level changes.
    Text,
    /// One JSON document (see `report::changes`).
    Json,
    /// One JSON object per line (per pair with --pairs).
    Jsonl,
}

/// `--color` choices.
#[derive(ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColorChoice {
    /// Colour when writing to a terminal and NO_COLOR is not set.
    Auto,
    Always,
    Never,
}

#[derive(Args, Debug)]
pub struct DiffArgs {
    /// A, the canonical: a text file, or an id with --corpus.
    #[arg(value_name = "A")]
    pub a: Option<String>,
    /// B, the copy: a text file, or an id with --corpus.
    #[arg(value_name = "B")]
    pub b: Option<String>,
    /// Read A and B by id from this corpus (JSONL, .gz/.zst, or a directory of text files).
    #[arg(long, value_name = "FILE")]
    pub corpus: Option<PathBuf>,
    /// Align every `ID_A<TAB>ID_B` line of FILE (needs --corpus).
    #[arg(long, value_name = "FILE", requires = "corpus")]
    pub pairs: Option<PathBuf>,
    /// JSON field holding the article id (with --corpus).
    #[arg(long, default_value = "id")]
    pub id_field: String,
    /// JSON field holding the article text (with --corpus).
    #[arg(long, default_value = "text")]
    pub text_field: String,
    /// JSON field naming the outlet; sharpens boilerplate learning (with --corpus).
    #[arg(long)]
    pub source_field: Option<String>,
    /// Stop at the first bad record or bad pairs line instead of skipping it.
    #[arg(long)]
    pub strict: bool,
    /// Read files into memory instead of memory-mapping them.
    #[arg(long)]
    pub no_mmap: bool,
    /// Do not recognise boilerplate (furniture counts as text).
    #[arg(long)]
    pub no_boilerplate: bool,
    /// Seed of the word hashes (use scan's, so learned furniture is recognised).
    #[arg(long, help = format!("Seed of the word hashes [default: {}]", defaults::SEED))]
    pub seed: Option<u64>,
    /// Texts with more words than this are compared by whole paragraphs only.
    #[arg(long, value_name = "N", default_value_t = AlignParams::default().max_tokens)]
    pub max_tokens: usize,
    /// Output format.
    #[arg(long, value_enum, default_value = "text")]
    pub format: DiffFormat,
    /// Colour in the text view.
    #[arg(long, value_enum, default_value = "auto")]
    pub color: ColorChoice,
    /// Write to FILE (atomically) instead of stdout.
    #[arg(long, short)]
    pub output: Option<PathBuf>,
    #[command(flatten)]
    pub run: RunArgs,
}

/// Colour or not: `always` and `never` win; `auto` colours a terminal unless NO_COLOR is set
/// to a non-empty value (<https://no-color.org>).
pub fn use_color(choice: ColorChoice, terminal: bool, no_color: Option<&str>) -> bool {
    match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => terminal && no_color.is_none_or(str::is_empty),
    }
}

/// What to align: A and B from the command line, or every line of a pairs file.
enum Wanted {
    Pair(String, String),
    Batch(PathBuf),
}

/// One aligned pair, ready to print.
struct Pair<'t> {
    names: (String, String),
    a: Article<'t>,
    b: Article<'t>,
    al: Alignment,
}

/// Run `wirecopy diff`.
pub fn run(args: &DiffArgs) -> i32 {
    let params = AlignParams {
        max_tokens: args.max_tokens,
        ..AlignParams::default()
    };
    let progress = match args.run.start() {
        Ok(p) => p,
        Err(code) => return code,
    };
    let wanted = match (&args.a, &args.b, &args.pairs) {
        (Some(a), Some(b), None) => Wanted::Pair(a.clone(), b.clone()),
        (None, None, Some(file)) => Wanted::Batch(file.clone()),
        (_, _, Some(_)) => return usage_error("--pairs takes no A B arguments"),
        _ if args.corpus.is_some() => {
            return usage_error("diff --corpus needs two ids: ID_A ID_B");
        }
        _ => return usage_error("diff needs two text files A B (or --corpus FILE ID_A ID_B)"),
    };
    if args.pairs.is_some() && args.format == DiffFormat::Json {
        return usage_error("--pairs writes one alignment per line: use --format jsonl or text");
    }
    let seed = args.seed.unwrap_or(defaults::SEED);
    match (&args.corpus, wanted) {
        (Some(path), wanted) => diff_corpus(args, path, wanted, seed, &params, &progress),
        (None, Wanted::Pair(a, b)) => diff_files(args, (a, b), seed, &params),
        (None, Wanted::Batch(_)) => usage_error("--pairs needs --corpus"),
    }
}

fn read_text(path: &str) -> Result<String, i32> {
    match std::fs::read(path) {
        Ok(bytes) => Ok(String::from_utf8(bytes).unwrap_or_else(|e| {
            eprintln!("wirecopy: warning: {path} is not valid UTF-8; invalid bytes replaced");
            String::from_utf8_lossy(e.as_bytes()).into_owned()
        })),
        Err(e) => {
            eprintln!("wirecopy: error: cannot read {path}: {e}");
            Err(EXIT_INPUT)
        }
    }
}

fn diff_files(args: &DiffArgs, names: (String, String), seed: u64, params: &AlignParams) -> i32 {
    let (ta, tb) = match (read_text(&names.0), read_text(&names.1)) {
        (Ok(a), Ok(b)) => (a, b),
        (Err(code), _) | (_, Err(code)) => return code,
    };
    let model = BoilerplateModel::structural_only(BoilerplateParams {
        enabled: !args.no_boilerplate,
        ..BoilerplateParams::default()
    });
    let (a, b) = (
        Article::new(&ta, seed, &model),
        Article::new(&tb, seed, &model),
    );
    let al = align(&a, &b, params);
    write_pairs(args, &[Pair { names, a, b, al }])
}

/// Align the pair or pairs of ids `wanted` in the corpus at `path`.
fn diff_corpus(
    args: &DiffArgs,
    path: &Path,
    wanted: Wanted,
    seed: u64,
    params: &AlignParams,
    progress: &Progress,
) -> i32 {
    let input = InputArgs {
        inputs: vec![path.to_path_buf()],
        id_field: args.id_field.clone(),
        text_field: args.text_field.clone(),
        source_field: args.source_field.clone(),
        date_field: None,
        title_field: None,
        strict: args.strict,
        no_mmap: args.no_mmap,
    };
    let corpus = match read_inputs(&input) {
        Ok(c) => c,
        Err(code) => return code,
    };
    let mut by_id: HashMap<&str, usize> = HashMap::with_capacity(corpus.len());
    for (d, doc) in corpus.docs.iter().enumerate() {
        by_id.entry(doc.id.as_str()).or_insert(d); // the first of duplicate ids
    }
    let requested: Vec<(String, String)> = match wanted {
        Wanted::Pair(a, b) => vec![(a, b)],
        Wanted::Batch(file) => match read_pairs(&file, args.strict) {
            Ok(p) => p,
            Err(code) => return code,
        },
    };
    let mut pairs: Vec<(usize, usize, &(String, String))> = Vec::with_capacity(requested.len());
    for pair in &requested {
        match (by_id.get(pair.0.as_str()), by_id.get(pair.1.as_str())) {
            (Some(&x), Some(&y)) => pairs.push((x, y, pair)),
            (x, _) => {
                let missing = if x.is_none() { &pair.0 } else { &pair.1 };
                let msg = format!("id \"{missing}\" not found in {}", path.display());
                if args.pairs.is_none() || args.strict {
                    eprintln!("wirecopy: error: {msg}");
                    return EXIT_INPUT;
                }
                eprintln!("wirecopy: warning: {msg}; pair skipped");
            }
        }
    }
    let model = learn_model(&corpus, args, seed, progress);
    let texts: Vec<(std::borrow::Cow<str>, std::borrow::Cow<str>)> = pairs
        .iter()
        .map(|&(x, y, _)| (corpus.text(x), corpus.text(y)))
        .collect();
    let aligned: Vec<Pair> = pairs
        .par_iter()
        .zip(texts.par_iter())
        .map(|(&(_, _, names), (ta, tb))| {
            let (a, b) = (
                Article::new(ta, seed, &model),
                Article::new(tb, seed, &model),
            );
            let al = align(&a, &b, params);
            Pair {
                names: names.clone(),
                a,
                b,
                al,
            }
        })
        .collect();
    write_pairs(args, &aligned)
}

/// The corpus's boilerplate model, learned as scan learns it.
fn learn_model(
    corpus: &Corpus,
    args: &DiffArgs,
    seed: u64,
    progress: &Progress,
) -> BoilerplateModel {
    let request = ScanRequest {
        seed: Some(seed),
        no_boilerplate: args.no_boilerplate,
        ..ScanRequest::default()
    };
    let cfg = request.resolve().expect("default parameters are valid");
    analyze_timed(corpus, &cfg, progress).0.boilerplate
}

/// Read `ID_A<TAB>ID_B` lines. `Err` is an exit code.
fn read_pairs(path: &Path, strict: bool) -> Result<Vec<(String, String)>, i32> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        eprintln!("wirecopy: error: cannot read {}: {e}", path.display());
        EXIT_INPUT
    })?;
    let mut out = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.trim_end_matches('\r');
        if line.trim().is_empty() || line.starts_with('#') {
            continue;
        }
        match line.split_once('\t') {
            Some((a, b)) if !a.is_empty() && !b.is_empty() && !b.contains('\t') => {
                out.push((a.to_string(), b.to_string()))
            }
            _ => {
                let msg = format!("{}:{}: expected ID_A<TAB>ID_B", path.display(), n + 1);
                if strict {
                    eprintln!("wirecopy: error: {msg} (--strict)");
                    return Err(EXIT_INPUT);
                }
                eprintln!("wirecopy: warning: {msg}; line skipped");
            }
        }
    }
    Ok(out)
}

fn write_pairs(args: &DiffArgs, pairs: &[Pair]) -> i32 {
    let terminal = args.output.is_none() && std::io::stdout().is_terminal();
    let no_color = std::env::var("NO_COLOR").ok();
    let color = use_color(args.color, terminal, no_color.as_deref());
    emit(args.output.as_deref(), |w| {
        for (n, p) in pairs.iter().enumerate() {
            let names = (p.names.0.as_str(), p.names.1.as_str());
            match args.format {
                DiffFormat::Text => {
                    if n > 0 {
                        writeln!(w)?;
                    }
                    write_unified(&p.al, &p.a, &p.b, names, color, w)?;
                }
                DiffFormat::Json => {
                    serde_json::to_writer_pretty(
                        &mut *w,
                        &alignment_json(&p.al, &p.a, &p.b, names),
                    )?;
                    writeln!(w)?;
                }
                DiffFormat::Jsonl => {
                    serde_json::to_writer(&mut *w, &alignment_json(&p.al, &p.a, &p.b, names))?;
                    writeln!(w)?;
                }
            }
        }
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn color_choice() {
        assert!(use_color(ColorChoice::Always, false, Some("1")));
        assert!(!use_color(ColorChoice::Never, true, None));
        assert!(use_color(ColorChoice::Auto, true, None));
        assert!(use_color(ColorChoice::Auto, true, Some("")));
        assert!(!use_color(ColorChoice::Auto, true, Some("1")));
        assert!(!use_color(ColorChoice::Auto, false, None));
    }
}
