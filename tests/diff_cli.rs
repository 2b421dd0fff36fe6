//! `wirecopy diff` as a user meets it: the views, colour, corpus ids, batches of pairs, and
//! the exit codes of its errors.

mod common;

use common::{Outcome, parse_json, run, samples_dir, wirecopy};
use std::path::{Path, PathBuf};

const LONG: &str = "001_be386e82106ba039.txt";
const SHORT: &str = "000_25689afb8a6c67b2.txt";

fn seed(name: &str) -> PathBuf {
    samples_dir().join("seeds/docs").join(name)
}

fn arg(p: &Path) -> &str {
    p.to_str().expect("UTF-8 path")
}

fn diff(args: &[&str]) -> Outcome {
    run(wirecopy().arg("diff").args(args))
}

fn diff_seeds(extra: &[&str]) -> Outcome {
    let (long, short) = (seed(LONG), seed(SHORT));
    let mut args = vec![arg(&long), arg(&short)];
    args.extend_from_slice(extra);
    diff(&args)
}

/// A JSONL corpus holding the two seeds as `long` and `short`, in a temporary folder.
fn seed_corpus() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("corpus.jsonl");
    let line = |id: &str, file: &str| {
        let text = std::fs::read_to_string(seed(file)).unwrap();
        serde_json::json!({"id": id, "text": text, "source": id}).to_string()
    };
    let body = format!("{}\n{}\n", line("long", LONG), line("short", SHORT));
    std::fs::write(&path, body).unwrap();
    (dir, path)
}

#[test]
fn the_text_view_gives_the_verdict_and_every_operation() {
    let out = diff_seeds(&[]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(out.stderr.is_empty(), "{}", out.stderr);
    let lines: Vec<&str> = out.stdout.lines().collect();
    assert!(lines[0].starts_with("--- A ") && lines[0].ends_with("(10 paragraphs)"));
    assert!(lines[1].starts_with("+++ B ") && lines[1].ends_with("(17 paragraphs)"));
    assert!(
        lines[2].starts_with("B keeps paragraphs 1\u{2013}3 and 7\u{2013}8 of 10"),
        "{}",
        lines[2]
    );
    for want in [
        "A \u{b6}1 = B \u{b6}1  restyled",
        "~ A \u{b6}2\u{2013}3 \u{2192} B \u{b6}2  merged",
        "- A \u{b6}4\u{2013}6  dropped",
        "# B \u{b6}4\u{2013}17 (14 lines)  boilerplate",
        "[-It\u{2019}s been reported",
    ] {
        assert!(out.stdout.contains(want), "{want:?} in\n{}", out.stdout);
    }
    assert!(!out.stdout.contains('\x1b'), "no colour into a pipe");
}

#[test]
fn colour_follows_the_flag() {
    let always = diff_seeds(&["--color", "always"]);
    assert!(always.stdout.contains("\x1b[31m"), "{}", always.stdout);
    assert!(!always.stdout.contains("[-"), "colour replaces the markers");
    let never = diff_seeds(&["--color", "never"]);
    assert!(!never.stdout.contains('\x1b'));
}

#[test]
fn no_color_silences_auto_but_not_an_explicit_always() {
    let (long, short) = (seed(LONG), seed(SHORT));
    let with_env = |choice: &str| {
        run(wirecopy().env("NO_COLOR", "1").args([
            "diff",
            arg(&long),
            arg(&short),
            "--color",
            choice,
        ]))
    };
    assert!(!with_env("auto").stdout.contains('\x1b'));
    assert!(with_env("always").stdout.contains('\x1b'));
}

#[test]
fn json_holds_operations_labels_with_byte_ranges_and_the_verdict() {
    let out = diff_seeds(&["--format", "json"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let v = parse_json(&out.stdout);
    assert_eq!(v["schema_version"], 1);
    assert_eq!(v["a"]["paragraphs"], 10);
    assert_eq!(v["changes"]["truncated_after"], 8);
    assert_eq!(v["changes"]["boilerplate"], 14);
    assert_eq!(v["changes"]["dropped"], 5);
    assert!(
        v["changes"]["verdict"]
            .as_str()
            .unwrap()
            .starts_with("B keeps")
    );
    assert_eq!(v["restyles"], serde_json::json!(["quotes", "dashes"]));
    assert_eq!(v["fallback"], serde_json::Value::Null);
    let kinds: Vec<&str> = v["ops"]
        .as_array()
        .unwrap()
        .iter()
        .map(|op| op["op"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds,
        [
            "restyled",
            "merged",
            "dropped",
            "merged",
            "dropped",
            "boilerplate"
        ]
    );
    let short = std::fs::read_to_string(seed(SHORT)).unwrap();
    let b0 = &v["b_paragraphs"][0];
    assert_eq!(b0["label"], "restyled");
    let (s, e) = (
        b0["bytes"][0].as_u64().unwrap() as usize,
        b0["bytes"][1].as_u64().unwrap() as usize,
    );
    assert!(short[s..e].starts_with("The children's hospital said"));
    assert_eq!(v["b_paragraphs"].as_array().unwrap().len(), 17);
}

#[test]
fn a_missing_file_is_an_input_error_naming_it() {
    let out = diff(&[arg(&seed(LONG)), "no/such/file.txt"]);
    assert_eq!(out.code, 3);
    assert!(
        out.stderr.contains("cannot read no/such/file.txt"),
        "{}",
        out.stderr
    );
}

#[test]
fn a_wrong_number_of_arguments_is_a_usage_error() {
    let out = diff(&[arg(&seed(LONG))]);
    assert_eq!(out.code, 2);
    assert!(out.stderr.contains("two text files"), "{}", out.stderr);
    let out = diff(&["--pairs", "p.tsv", "x", "y"]);
    assert_eq!(out.code, 2, "--pairs needs --corpus: {}", out.stderr);
}

#[test]
fn corpus_ids_align_like_files_and_unknown_ids_fail() {
    let (_dir, corpus) = seed_corpus();
    let out = diff(&[
        "--corpus",
        arg(&corpus),
        "--source-field",
        "source",
        "long",
        "short",
        "--format",
        "json",
    ]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let v = parse_json(&out.stdout);
    assert_eq!(
        (v["a"]["name"].as_str(), v["b"]["name"].as_str()),
        (Some("long"), Some("short"))
    );
    assert_eq!(v["changes"]["truncated_after"], 8);

    let out = diff(&["--corpus", arg(&corpus), "long", "nope"]);
    assert_eq!(out.code, 3);
    assert!(
        out.stderr.contains("id \"nope\" not found in") && out.stderr.contains("corpus.jsonl"),
        "{}",
        out.stderr
    );
}

#[test]
fn pairs_are_aligned_one_per_line_and_bad_lines_are_skipped() {
    let (dir, corpus) = seed_corpus();
    let pairs = dir.path().join("pairs.tsv");
    std::fs::write(
        &pairs,
        "# canonical\tcopy\nlong\tshort\n\nlong\tlong\nonly-one-id\nlong\tnope\n",
    )
    .unwrap();
    let args = [
        "--corpus",
        arg(&corpus),
        "--pairs",
        arg(&pairs),
        "--format",
        "jsonl",
    ];
    let out = diff(&args);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let lines: Vec<serde_json::Value> = out.stdout.lines().map(parse_json).collect();
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[0]["changes"]["truncated_after"], 8);
    assert_eq!(lines[1]["identical"], true);
    assert!(
        out.stderr.contains("pairs.tsv:5: expected ID_A<TAB>ID_B"),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr.contains("id \"nope\" not found"),
        "{}",
        out.stderr
    );

    let mut strict = args.to_vec();
    strict.push("--strict");
    assert_eq!(diff(&strict).code, 3);
}
