//! `wirecopy scan` as a user runs it: the binary, its flags, its output formats, its exit
//! codes and its stderr.
//!
//! Inputs come from `corpus-samples/` (the seed pair, the small osprey corpus in its gzip and
//! zstd forms) or are written to temporary directories; nothing outside the repository is read.

mod common;

use common::{Outcome, parse_json, run, samples_dir, wirecopy};
use serde_json::Value;
use std::fs;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::Stdio;

const SHORT_SEED: &str = "000_25689afb8a6c67b2.txt";
const LONG_SEED: &str = "001_be386e82106ba039.txt";

fn seeds() -> PathBuf {
    samples_dir().join("seeds/docs")
}

/// `wirecopy scan ARGS...`, asserting a clean exit.
fn scan_ok(args: &[&str]) -> Outcome {
    let out = run(wirecopy().arg("scan").args(args));
    assert_eq!(out.code, 0, "scan {args:?} failed:\n{}", out.stderr);
    out
}

/// The pretty JSON report without its `timings` and `peak_rss_mb` objects, the parts that
/// measure the run and are allowed to differ.
fn without_timings(report: &str) -> String {
    let mut report = report.to_string();
    for key in ["timings", "peak_rss_mb"] {
        let Some(start) = report.find(&format!("  \"{key}\": {{")) else {
            assert_eq!(key, "peak_rss_mb", "report has a timings object");
            continue;
        };
        let end = start + report[start..].find("\n  },\n").expect("object closes") + 5;
        report.replace_range(start..end, "");
    }
    report
}

/// The decompressed osprey corpus that `corpus-samples/gzip-input` holds.
fn osprey_jsonl() -> Vec<u8> {
    let file = fs::File::open(samples_dir().join("gzip-input/corpus.jsonl.gz")).unwrap();
    let mut jsonl = Vec::new();
    flate2::read::GzDecoder::new(file)
        .read_to_end(&mut jsonl)
        .unwrap();
    jsonl
}

/// Write `contents` to `dir/name` and return the path.
fn write(dir: &Path, name: &str, contents: &[u8]) -> PathBuf {
    let path = dir.join(name);
    fs::write(&path, contents).unwrap();
    path
}

fn path_str(path: &Path) -> &str {
    path.to_str().expect("temporary paths are UTF-8")
}

/// JSONL of the two seed articles with ids "short" and "long", plus `extra` lines.
fn seed_jsonl(extra: &[&str]) -> String {
    let text = |name: &str| fs::read_to_string(seeds().join(name)).unwrap();
    let mut lines = vec![
        serde_json::json!({"id": "short", "text": text(SHORT_SEED)}).to_string(),
        serde_json::json!({"id": "long", "text": text(LONG_SEED)}).to_string(),
    ];
    lines.extend(extra.iter().map(|l| l.to_string()));
    lines.join("\n") + "\n"
}

#[test]
fn text_format_is_a_readable_summary() {
    let out = scan_ok(&[path_str(&seeds())]);
    let text = &out.stdout;
    assert!(text.contains(&format!("canonical {LONG_SEED}")), "{text}");
    let member = text
        .lines()
        .find(|l| l.contains(SHORT_SEED))
        .unwrap_or_else(|| panic!("no line for the short seed:\n{text}"));
    assert!(member.trim_start().starts_with("truncated"), "{member}");
    assert!(member.contains("J 0.34"), "scores are shown: {member}");
    assert!(text.contains("2 documents read, 0 skipped"), "{text}");
    assert!(
        text.contains("14 bands × 4 rows"),
        "derived banding: {text}"
    );
    assert_eq!(
        out.stderr, "",
        "nothing on stderr when it is not a terminal"
    );
}

#[test]
fn json_format_has_schema_params_stats_timings_and_clusters() {
    let out = scan_ok(&["--format", "json", path_str(&seeds())]);
    let r = parse_json(&out.stdout);
    assert_eq!(r["schema_version"], 1);
    let params = &r["params"];
    for key in [
        "ngram",
        "num_perm",
        "threshold",
        "containment",
        "coverage",
        "min_passage",
        "seed",
    ] {
        assert!(params[key].is_number(), "params.{key} in {params}");
    }
    assert_eq!(params["bands"], 14, "bands derived from the threshold");
    assert_eq!(params["rows"], 4);
    assert_eq!(params["banding"], "derived from threshold");
    let stats = &r["stats"];
    assert_eq!(stats["documents"], 2);
    assert_eq!(stats["skipped"], serde_json::json!({}));
    for key in ["candidates", "verified_pairs", "clusters"] {
        assert!(stats[key].is_u64(), "stats.{key} in {stats}");
    }
    assert_eq!(stats["clusters"], 1);
    let timings = r["timings"].as_object().expect("timings object");
    assert!(timings.values().all(Value::is_f64), "{timings:?}");
    assert!(timings.contains_key("total"));
    if cfg!(target_os = "linux") {
        // The peak resident set size after every stage: present, and it only grows.
        let peaks = r["peak_rss_mb"].as_object().expect("peak_rss_mb object");
        let stages: Vec<&str> = peaks.keys().map(String::as_str).collect();
        assert_eq!(stages[..2], ["read", "tokenize"], "{peaks:?}");
        let mb: Vec<f64> = peaks.values().map(|v| v.as_f64().unwrap()).collect();
        assert!(mb[0] > 0.0 && mb.is_sorted(), "{peaks:?}");
    }

    let clusters = r["clusters"].as_array().unwrap();
    assert_eq!(clusters.len(), 1);
    let c = &clusters[0];
    assert_eq!(c["canonical"], LONG_SEED);
    let members = c["members"].as_array().unwrap();
    assert_eq!(members.len(), 2);
    assert_eq!(members[0]["id"], LONG_SEED, "the canonical comes first");
    assert_eq!(members[0]["relation"], "canonical");
    let copy = &members[1];
    assert_eq!(copy["id"], SHORT_SEED);
    assert_eq!(copy["relation"], "truncated");
    for key in ["jaccard", "member_in_canonical", "canonical_in_member"] {
        let score = copy[key].as_f64().unwrap();
        assert!((0.0..=1.0).contains(&score), "{key} = {score}");
    }
    assert!(copy["shared_paragraphs"].as_u64().unwrap() > 0);
    assert!(copy["member_in_canonical"].as_f64().unwrap() > 0.9);
}

#[test]
fn explicit_banding_is_echoed() {
    let out = scan_ok(&[
        "--format",
        "json",
        "--bands",
        "16",
        "--rows",
        "4",
        path_str(&seeds()),
    ]);
    let params = &parse_json(&out.stdout)["params"];
    assert_eq!(params["bands"], 16);
    assert_eq!(params["rows"], 4);
    assert_eq!(params["banding"], "explicit");
}

#[test]
fn jsonl_format_is_a_header_then_one_cluster_per_line() {
    let out = scan_ok(&[
        "--format",
        "jsonl",
        "--source-field",
        "source",
        path_str(&samples_dir().join("short-briefs/docs")),
    ]);
    let lines: Vec<Value> = out.stdout.lines().map(parse_json).collect();
    let header = &lines[0];
    assert_eq!(header["schema_version"], 1);
    for key in ["params", "stats", "timings"] {
        assert!(header[key].is_object(), "header.{key}: {header}");
    }
    assert!(header.get("clusters").is_none());
    assert_eq!(header["stats"]["clusters"], 2);
    assert_eq!(lines.len(), 3, "{}", out.stdout);
    for cluster in &lines[1..] {
        assert!(cluster["canonical"].is_string());
        assert_eq!(cluster["members"].as_array().unwrap().len(), 2);
    }
}

#[test]
fn csv_format_is_one_row_per_member() {
    let out = scan_ok(&["--format", "csv", path_str(&seeds())]);
    let rows: Vec<&str> = out.stdout.lines().filter(|l| !l.starts_with('#')).collect();
    assert!(out.stdout.starts_with("# wirecopy"), "{}", out.stdout);
    assert!(
        out.stdout.contains("# bands=14"),
        "params echoed: {}",
        out.stdout
    );
    let header: Vec<&str> = rows[0].split(',').collect();
    assert_eq!(&header[..3], ["cluster", "canonical", "id"]);
    assert!(header.contains(&"relation") && header.contains(&"jaccard"));
    assert_eq!(
        rows.len(),
        3,
        "header + one row per member:\n{}",
        out.stdout
    );
    let relation = header.iter().position(|h| *h == "relation").unwrap();
    for row in &rows[1..] {
        assert_eq!(row.split(',').count(), header.len(), "{row}");
    }
    let short = rows.iter().find(|r| r.contains(SHORT_SEED)).unwrap();
    assert_eq!(short.split(',').nth(relation), Some("truncated"));
}

#[test]
fn members_format_is_one_line_per_clustered_document() {
    let out = scan_ok(&["--format", "members", path_str(&seeds())]);
    let members: Vec<Value> = out
        .stdout
        .lines()
        .map(parse_json)
        .filter(|v| v.get("schema_version").is_none())
        .collect();
    assert_eq!(members.len(), 2, "{}", out.stdout);
    for m in &members {
        assert_eq!(m["cluster"], "c1");
        assert_eq!(m["canonical"], LONG_SEED);
    }
    let short = members.iter().find(|m| m["id"] == SHORT_SEED).unwrap();
    assert_eq!(short["relation"], "truncated");
}

#[test]
fn output_file_is_written_whole_and_no_temporary_file_is_left() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("report.json");
    let out = scan_ok(&[
        "--format",
        "json",
        "--output",
        path_str(&target),
        path_str(&seeds()),
    ]);
    assert_eq!(out.stdout, "", "the report goes to the file only");
    let written = fs::read_to_string(&target).unwrap();
    assert_eq!(
        without_timings(&written),
        without_timings(&scan_ok(&["--format", "json", path_str(&seeds())]).stdout)
    );
    let names: Vec<_> = fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names, ["report.json"], "only the report is left");
}

#[test]
fn unwritable_output_exits_4_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("missing-dir/report.json");
    let out = run(wirecopy().args(["scan", "-o", path_str(&target), path_str(&seeds())]));
    assert_eq!(out.code, 4, "{}", out.stderr);
    assert!(out.stderr.contains("report.json"), "{}", out.stderr);
}

#[test]
fn pairs_file_lists_the_scored_pairs() {
    let dir = tempfile::tempdir().unwrap();
    let pairs = dir.path().join("pairs.jsonl");
    scan_ok(&["--quiet", "--pairs", path_str(&pairs), path_str(&seeds())]);
    let text = fs::read_to_string(&pairs).unwrap();
    let lines: Vec<Value> = text.lines().map(parse_json).collect();
    assert_eq!(lines.len(), 1, "{text}");
    let p = &lines[0];
    assert_eq!(p["accepted"], true);
    let ids = [p["a"].as_str().unwrap(), p["b"].as_str().unwrap()];
    assert!(ids.contains(&SHORT_SEED) && ids.contains(&LONG_SEED), "{p}");
    for key in ["jaccard", "a_in_b", "b_in_a", "shared", "aligned"] {
        assert!(p[key].is_number(), "{key} in {p}");
    }
}

#[test]
fn bad_flag_values_exit_2_naming_the_flag() {
    for (args, flags) in [
        (&["--threshold", "1.5"][..], &["--threshold"][..]),
        (&["--threshold", "0"][..], &["--threshold"][..]),
        (&["--threshold", "high"][..], &["--threshold"][..]),
        (&["--bands", "5"][..], &["--bands", "--rows"][..]),
        (&["--rows", "5"][..], &["--bands", "--rows"][..]),
        (&["--num-perm", "0"][..], &["--num-perm"][..]),
        (&["--format", "yaml"][..], &["--format"][..]),
    ] {
        let out = run(wirecopy().arg("scan").args(args).arg(seeds()));
        assert_eq!(out.code, 2, "{args:?}: {}", out.stderr);
        for flag in flags {
            assert!(
                out.stderr.contains(flag),
                "{args:?} must name {flag}: {}",
                out.stderr
            );
        }
        assert_eq!(out.stdout, "", "{args:?}");
    }
}

#[test]
fn strict_makes_a_bad_record_fatal_naming_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let corpus = write(
        dir.path(),
        "corpus.jsonl",
        seed_jsonl(&[r#"{"id": "x", "text": 7}"#]).as_bytes(),
    );
    let out = run(wirecopy().args(["scan", "--strict", path_str(&corpus)]));
    assert_eq!(out.code, 3, "{}", out.stderr);
    assert!(out.stderr.contains("corpus.jsonl:3"), "{}", out.stderr);
    assert_eq!(out.stdout, "");

    let lenient = scan_ok(&["--format", "json", path_str(&corpus)]);
    let r = parse_json(&lenient.stdout);
    assert_eq!(r["stats"]["skipped"]["not_a_string"], 1);
    assert_eq!(r["stats"]["clusters"], 1, "the good records still cluster");
    assert!(
        lenient.stderr.contains("corpus.jsonl:3: not_a_string"),
        "{}",
        lenient.stderr
    );
}

#[test]
fn skipped_records_are_warned_about_with_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let corpus = write(
        dir.path(),
        "corpus.jsonl",
        seed_jsonl(&[
            r#"{"id": "e", "text": ""}"#,
            r#"{"id": "short", "text": "again"}"#,
            "{oops",
        ])
        .as_bytes(),
    );
    let out = scan_ok(&["--quiet", path_str(&corpus)]);
    let warnings: Vec<&str> = out.stderr.lines().collect();
    assert_eq!(warnings.len(), 3, "{}", out.stderr);
    for (line, reason) in [
        (3, "empty_text"),
        (4, "duplicate_id"),
        (5, "malformed_json"),
    ] {
        let needle = format!("corpus.jsonl:{line}: {reason}");
        assert!(
            out.stderr.contains(&needle),
            "no {needle:?} in:\n{}",
            out.stderr
        );
    }
    assert!(
        warnings.iter().all(|w| w.contains("warning")),
        "{}",
        out.stderr
    );
}

#[test]
fn nonexistent_input_exits_3() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("nope.jsonl");
    let out = run(wirecopy().args(["scan", path_str(&missing)]));
    assert_eq!(out.code, 3, "{}", out.stderr);
    assert!(out.stderr.contains("nope.jsonl"), "{}", out.stderr);
}

/// `wirecopy scan ARGS...` with `input` piped to its stdin.
fn scan_stdin(args: &[&str], input: &[u8]) -> Outcome {
    let mut child = wirecopy()
        .arg("scan")
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(input).unwrap();
    let output = child.wait_with_output().unwrap();
    Outcome {
        code: output.status.code().expect("exit code"),
        stdout: String::from_utf8(output.stdout).unwrap(),
        stderr: String::from_utf8(output.stderr).unwrap(),
    }
}

/// The clusters and document count of a JSON report.
fn clusters_of(out: &Outcome) -> (Value, Value) {
    let r = parse_json(&out.stdout);
    (r["stats"]["documents"].clone(), r["clusters"].clone())
}

#[test]
fn every_input_form_gives_the_same_clusters() {
    let jsonl = osprey_jsonl();
    let dir = tempfile::tempdir().unwrap();
    let plain = write(dir.path(), "corpus.jsonl", &jsonl);
    // The same articles as a directory of text files named by id.
    let docs = dir.path().join("docs");
    fs::create_dir(&docs).unwrap();
    for line in String::from_utf8(jsonl.clone()).unwrap().lines() {
        let record = parse_json(line);
        write(
            &docs,
            record["id"].as_str().unwrap(),
            record["text"].as_str().unwrap().as_bytes(),
        );
    }
    let reference = scan_ok(&["--format", "json", path_str(&plain)]);
    let (documents, clusters) = clusters_of(&reference);
    assert_eq!(documents, 4);
    assert_eq!(clusters.as_array().unwrap().len(), 1, "{clusters}");

    let gz = samples_dir().join("gzip-input/corpus.jsonl.gz");
    let zst = samples_dir().join("zstd-input/corpus.jsonl.zst");
    for input in [&gz, &zst, &docs] {
        let out = scan_ok(&["--format", "json", path_str(input)]);
        assert_eq!(
            clusters_of(&out),
            (documents.clone(), clusters.clone()),
            "{}",
            input.display()
        );
    }
    let no_mmap = scan_ok(&["--format", "json", "--no-mmap", path_str(&plain)]);
    assert_eq!(
        clusters_of(&no_mmap),
        (documents.clone(), clusters.clone()),
        "--no-mmap"
    );

    let stdin = scan_stdin(&["--format", "json", "-"], &jsonl);
    assert_eq!(stdin.code, 0, "{}", stdin.stderr);
    assert_eq!(clusters_of(&stdin), (documents, clusters), "stdin");
}

#[test]
fn stdin_warnings_name_stdin_and_line() {
    let out = scan_stdin(
        &["-"],
        seed_jsonl(&[r#"{"id": "e", "text": " "}"#]).as_bytes(),
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(
        out.stderr.contains("<stdin>:3: empty_text"),
        "{}",
        out.stderr
    );
    assert!(
        out.stdout.contains("truncated"),
        "the seeds still cluster:\n{}",
        out.stdout
    );
}

/// A synthetic corpus with many clusters, its lines in generator order and reordered.
fn synthetic_corpus(dir: &Path) -> (PathBuf, PathBuf) {
    let corpus = wirecopy::synth::generate(&wirecopy::synth::SynthParams {
        n_docs: 400,
        seed: 11,
        ..Default::default()
    });
    let text = String::from_utf8(corpus.jsonl).unwrap();
    let mut lines: Vec<&str> = text.lines().collect();
    let a = dir.join("a");
    let b = dir.join("b");
    fs::create_dir(&a).unwrap();
    fs::create_dir(&b).unwrap();
    let first = write(&a, "corpus.jsonl", (lines.join("\n") + "\n").as_bytes());
    // Reverse, then deal the lines out in two interleaved halves: every record moves.
    lines.reverse();
    let (even, odd): (Vec<_>, Vec<_>) = lines.iter().enumerate().partition(|(i, _)| i % 2 == 0);
    let shuffled: Vec<&str> = odd.into_iter().chain(even).map(|(_, l)| *l).collect();
    let second = write(&b, "corpus.jsonl", (shuffled.join("\n") + "\n").as_bytes());
    (first, second)
}

#[test]
fn output_is_identical_whatever_the_record_order_or_thread_count() {
    let dir = tempfile::tempdir().unwrap();
    let (ordered, shuffled) = synthetic_corpus(dir.path());
    let report = |file: &Path, threads: &str| {
        // Run inside the file's directory so that params.inputs is the same name.
        let out = run(wirecopy().current_dir(file.parent().unwrap()).args([
            "scan",
            "--format",
            "json",
            "--source-field",
            "source",
            "--threads",
            threads,
            "corpus.jsonl",
        ]));
        assert_eq!(out.code, 0, "{}", out.stderr);
        without_timings(&out.stdout)
    };
    let reference = report(&ordered, "1");
    assert!(
        parse_json(&reference)["stats"]["clusters"]
            .as_u64()
            .unwrap()
            > 10,
        "the corpus must hold many clusters to test ordering"
    );
    assert_eq!(reference, report(&ordered, "2"), "--threads 1 vs 2");
    assert_eq!(reference, report(&shuffled, "2"), "shuffled records");
    assert_eq!(
        reference,
        report(&shuffled, "1"),
        "shuffled records, 1 thread"
    );
}

#[test]
fn stderr_stays_empty_without_a_terminal_and_with_quiet() {
    for quiet in [false, true] {
        let mut command = wirecopy();
        command.args(["scan", "--format", "json"]);
        if quiet {
            command.arg("--quiet");
        }
        let out = run(command.arg(samples_dir().join("inserted-local-paragraphs/docs")));
        assert_eq!(out.code, 0);
        assert_eq!(
            out.stderr, "",
            "quiet = {quiet}: no progress bars on a pipe"
        );
    }
}

#[test]
fn help_lists_the_scan_flags() {
    let out = scan_ok(&["--help"]);
    for flag in [
        "--id-field",
        "--text-field",
        "--source-field",
        "--date-field",
        "--title-field",
        "--strict",
        "--ngram",
        "--num-perm",
        "--threshold",
        "--bands",
        "--rows",
        "--containment",
        "--format",
        "--output",
        "--threads",
        "--quiet",
        "--pairs",
    ] {
        assert!(
            out.stdout.contains(flag),
            "help lacks {flag}:\n{}",
            out.stdout
        );
    }
}
