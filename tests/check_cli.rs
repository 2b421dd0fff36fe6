//! `wirecopy check` against a snapshot index: what it reports and its exit codes.

use serde_json::Value;
use std::collections::HashMap;
use std::fs;
use std::path::PathBuf;
use std::process::{Command, Output};
use wirecopy::synth::{SynthParams, generate};

fn wirecopy(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_wirecopy"))
        .args(args)
        .output()
        .expect("run wirecopy")
}

/// A snapshot and new batches, in a temporary directory.
struct Fixture {
    dir: tempfile::TempDir,
    /// Ids of the generated documents, in order: the indexed ones, then `new.jsonl`.
    ids: Vec<String>,
    /// Document id → story, for all generated documents.
    story: HashMap<String, u32>,
    index: PathBuf,
}

/// How many of the generated documents the snapshot index holds.
const INDEXED: usize = 250;

impl Fixture {
    /// Index the first [`INDEXED`] of 300 generated documents; the others are `new.jsonl`.
    /// `fresh.jsonl` holds one story and its copy, and `single.jsonl` one story, from
    /// another generator seed (stories the snapshot does not have).
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let mut story = HashMap::new();
        let synth = generate(&SynthParams {
            n_docs: 300,
            seed: 11,
            ..Default::default()
        });
        for t in &synth.truth {
            story.insert(t.id.clone(), t.story);
        }
        let ids = synth.truth.iter().map(|t| t.id.clone()).collect();
        let text = String::from_utf8(synth.jsonl).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        let write = |name: &str, lines: &[&str]| {
            fs::write(dir.path().join(name), lines.join("\n") + "\n").unwrap();
        };
        write("base.jsonl", &lines[..INDEXED]);
        write("new.jsonl", &lines[INDEXED..]);
        let other = generate(&SynthParams {
            n_docs: 60,
            seed: 12,
            ..Default::default()
        });
        // The generator numbers ids the same way whatever the seed: rename them.
        let other_lines: Vec<String> = String::from_utf8(other.jsonl)
            .unwrap()
            .lines()
            .map(|l| {
                let mut v: Value = serde_json::from_str(l).unwrap();
                v["id"] = format!("other-{}", v["id"].as_str().unwrap()).into();
                v.to_string()
            })
            .collect();
        let mut by_story: HashMap<u32, Vec<usize>> = HashMap::new();
        for (i, t) in other.truth.iter().enumerate() {
            by_story.entry(t.story).or_default().push(i);
        }
        let mut stories: Vec<&Vec<usize>> = by_story.values().collect();
        stories.sort();
        let pair = stories.iter().find(|d| d.len() >= 2).unwrap();
        let single = stories.iter().find(|d| d.len() == 1).unwrap();
        write(
            "fresh.jsonl",
            &[&other_lines[pair[0]], &other_lines[pair[1]]],
        );
        write("single.jsonl", &[&other_lines[single[0]]]);
        let index = dir.path().join("base.wcx");
        let o = wirecopy(&[
            "index",
            "build",
            dir.path().join("base.jsonl").to_str().unwrap(),
            "--source-field",
            "source",
            "-q",
            "-o",
            index.to_str().unwrap(),
        ]);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        Fixture {
            dir,
            ids,
            story,
            index,
        }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// Run `check` on `batch` with extra flags.
    fn check(&self, batch: &str, extra: &[&str]) -> Output {
        let batch = self.path(batch);
        let mut args = vec![
            "check",
            batch.to_str().unwrap(),
            "--against",
            self.index.to_str().unwrap(),
            "--source-field",
            "source",
            "-q",
        ];
        args.extend_from_slice(extra);
        wirecopy(&args)
    }

    fn check_json(&self, batch: &str, extra: &[&str]) -> Value {
        let mut args = vec!["--format", "json"];
        args.extend_from_slice(extra);
        let o = self.check(batch, &args);
        assert!(
            o.status.code().is_some_and(|c| c <= 1),
            "{}",
            String::from_utf8_lossy(&o.stderr)
        );
        serde_json::from_slice(&o.stdout).unwrap()
    }
}

#[test]
fn copies_of_indexed_documents_are_found_and_attributed_to_their_story() {
    let f = Fixture::new();
    let report = f.check_json("new.jsonl", &[]);
    let (base, new) = f.ids.split_at(INDEXED);
    let clusters = report["clusters"].as_array().unwrap();
    let mut flagged = 0;
    for c in clusters
        .iter()
        .filter(|c| c["id"].as_str().unwrap().starts_with('i'))
    {
        let members = c["members"].as_array().unwrap();
        let indexed = members[0]["id"].as_str().unwrap();
        assert!(base.iter().any(|b| b == indexed));
        assert_eq!(members[0]["relation"], "canonical");
        for m in &members[1..] {
            let id = m["id"].as_str().unwrap();
            assert!(new.iter().any(|n| n == id));
            assert_eq!(
                f.story[id], f.story[indexed],
                "{id} is not a copy of {indexed}"
            );
            flagged += 1;
        }
    }
    // Most new documents whose story is in the snapshot are found.
    let copying = new
        .iter()
        .filter(|n| base.iter().any(|b| f.story[b] == f.story[*n]))
        .count();
    assert!(copying > 10);
    assert!(
        flagged as f64 >= 0.8 * copying as f64,
        "{flagged} of {copying}"
    );
    let check = &report["params"]["check"];
    assert_eq!(check["new_copies"], flagged);
    assert_eq!(check["index_documents"], INDEXED);
    assert!(check["scores"].as_str().unwrap().contains("estimated"));
}

#[test]
fn exit_codes_follow_fail_on() {
    let f = Fixture::new();
    let code = |batch: &str, fail_on: &str| {
        let o = f.check(
            batch,
            &[
                "--fail-on",
                fail_on,
                "-o",
                f.path("out.txt").to_str().unwrap(),
            ],
        );
        o.status.code().unwrap()
    };
    // Copies of indexed documents.
    assert_eq!(code("new.jsonl", "never"), 0);
    assert_eq!(code("new.jsonl", "new-copies"), 1);
    assert_eq!(code("new.jsonl", "any"), 1);
    // A new story in two copies: new to the index, but a cluster among the new documents.
    assert_eq!(code("fresh.jsonl", "new-copies"), 0);
    assert_eq!(code("fresh.jsonl", "any"), 1);
    // Nothing copied at all.
    assert_eq!(code("single.jsonl", "any"), 0);
    // The snapshot itself: every document is already indexed and left out.
    assert_eq!(code("base.jsonl", "any"), 0);
    let report = f.check_json("base.jsonl", &[]);
    assert_eq!(report["params"]["check"]["already_indexed"], 250);
    // The default reports without failing.
    assert_eq!(f.check("new.jsonl", &[]).status.code(), Some(0));
}

#[test]
fn the_report_does_not_depend_on_threads() {
    let f = Fixture::new();
    // What the run measured of itself (seconds, memory) is allowed to differ.
    let strip = |mut v: Value| {
        let header = v.as_object_mut().unwrap();
        header.remove("timings");
        header.remove("peak_rss_mb");
        v
    };
    let one = strip(f.check_json("new.jsonl", &["--threads", "1"]));
    let two = strip(f.check_json("new.jsonl", &["--threads", "2"]));
    assert_eq!(one, two);
}

#[test]
fn bad_indexes_and_clashing_flags_are_errors() {
    let f = Fixture::new();
    let o = f.check("new.jsonl", &["--ngram", "4"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("--ngram"));
    // Verification thresholds are free to change.
    assert_eq!(
        f.check("new.jsonl", &["--threshold", "0.6"]).status.code(),
        Some(0)
    );

    let mut bytes = fs::read(&f.index).unwrap();
    bytes[100] ^= 0x10;
    fs::write(&f.index, &bytes).unwrap();
    let o = f.check("new.jsonl", &["--fail-on", "any"]);
    assert_eq!(o.status.code(), Some(3));
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(
        stderr.contains("base.wcx") && stderr.contains("checksum"),
        "{stderr}"
    );
    assert!(o.stdout.is_empty());

    fs::write(&f.index, &bytes[..bytes.len() / 2]).unwrap();
    let o = f.check("new.jsonl", &[]);
    assert_eq!(o.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&o.stderr).contains("truncated"));

    let o = wirecopy(&[
        "check",
        f.path("new.jsonl").to_str().unwrap(),
        "--against",
        "/nonexistent/x.wcx",
    ]);
    assert_eq!(o.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&o.stderr).contains("x.wcx"));
}
