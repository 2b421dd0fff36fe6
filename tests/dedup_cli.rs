//! `wirecopy dedup` end to end: what is kept, what is removed, and that nothing is lost or
//! rewritten.

use serde_json::Value;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const WORDS: &[&str] = &[
    "council", "river", "budget", "minister", "harbour", "school", "winter", "flood", "ferry",
    "market", "station", "hospital", "union", "court", "bridge", "airport", "village", "police",
    "museum", "festival", "factory", "farmers", "storm", "election", "contract", "library",
    "teachers", "railway", "energy", "water", "housing", "tourism", "weather", "report",
];

/// A deterministic paragraph of `n` words (a sentence every eight words).
fn paragraph(seed: u64, n: usize) -> String {
    let mut x = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
    let mut out = Vec::new();
    for i in 0..n {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let w = WORDS[(x % WORDS.len() as u64) as usize];
        out.push(if i % 8 == 7 {
            format!("{w}.")
        } else {
            w.to_string()
        });
    }
    out.join(" ")
}

/// A story of `paras` paragraphs of 40 words.
fn story(seed: u64, paras: usize) -> Vec<String> {
    (0..paras)
        .map(|p| paragraph(seed * 100 + p as u64, 40))
        .collect()
}

fn record(id: &str, text: &str, extra: &str) -> String {
    format!(
        r#"{{"id":"{id}","text":{}{extra}}}"#,
        serde_json::to_string(text).unwrap()
    )
}

fn run(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_wirecopy"))
        .args(args)
        .output()
        .expect("run wirecopy")
}

fn lines(path: &Path) -> Vec<String> {
    fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect()
}

fn ids(path: &Path) -> Vec<String> {
    lines(path)
        .iter()
        .map(|l| {
            serde_json::from_str::<Value>(l).unwrap()["id"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect()
}

/// One story in four copies (b full, c restyled b, d edited b, a truncated to 3 of 6
/// paragraphs), in input order c, a, b, d, with dates and sources that make each keep
/// policy pick a different copy; plus two unrelated stories.
fn policy_corpus(dir: &Path) -> PathBuf {
    let full = story(1, 6);
    let restyled: Vec<String> = full.iter().map(|p| format!("“{p}”")).collect();
    let mut edited = full.clone();
    edited[2] = edited[2].replacen("council", "councillors", 3);
    edited[4] = edited[4].replacen("river", "rivers", 3);
    let truncated = full[..3].to_vec();
    let rec = |id: &str, paras: &[String], date: &str, source: &str| {
        record(
            id,
            &paras.join("\n\n"),
            &format!(r#","date":"{date}","source":"{source}""#),
        )
    };
    let text = [
        rec("c", &restyled, "2024-01-02", "Third Post"),
        rec("a", &truncated, "2024-01-01", "Small Wire"),
        rec("b", &full, "2024-01-03", "Big Paper"),
        rec("d", &edited, "2024-01-04", "Fourth Times"),
        rec("u1", &story(2, 5), "2024-01-05", "Big Paper"),
        rec("u2", &story(3, 5), "2024-01-06", "Small Wire"),
    ]
    .join("\n");
    let path = dir.join("corpus.jsonl");
    fs::write(&path, text + "\n").unwrap();
    path
}

fn dedup_kept(corpus: &Path, out: &Path, extra: &[&str]) -> Vec<String> {
    let kept = out.join("kept.jsonl");
    let mut args = vec![
        "dedup",
        corpus.to_str().unwrap(),
        "--source-field",
        "source",
        "-q",
        "-o",
        kept.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    let o = run(&args);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    ids(&kept)
}

#[test]
fn each_keep_policy_keeps_its_copy() {
    let dir = tempfile::tempdir().unwrap();
    let corpus = policy_corpus(dir.path());
    let sources = dir.path().join("sources.txt");
    fs::write(&sources, "# preferred outlets\nFourth Times\nBig Paper\n").unwrap();
    // Fullest: b and its restyled twin c have the same words; the tie goes to the smaller
    // id. The truncated, restyled and edited copies are redundant.
    assert_eq!(dedup_kept(&corpus, dir.path(), &[]), ["b", "u1", "u2"]);
    assert_eq!(
        dedup_kept(&corpus, dir.path(), &["--keep", "fullest"]),
        ["b", "u1", "u2"]
    );
    // First in input order: c.
    assert_eq!(
        dedup_kept(&corpus, dir.path(), &["--keep", "first"]),
        ["c", "u1", "u2"]
    );
    // The preferred outlet: d.
    let keep_sources = format!("sources:{}", sources.display());
    assert_eq!(
        dedup_kept(&corpus, dir.path(), &["--keep", &keep_sources]),
        ["d", "u1", "u2"]
    );
    assert_eq!(
        dedup_kept(
            &corpus,
            dir.path(),
            &["--keep", "sources", "--sources", sources.to_str().unwrap()]
        ),
        ["d", "u1", "u2"]
    );
    // Earliest: the truncated copy a. The others hold all of it and more ("extended"),
    // which is not redundant: they are kept although they are in its cluster.
    assert_eq!(
        dedup_kept(
            &corpus,
            dir.path(),
            &["--keep", "earliest", "--date-field", "date"]
        ),
        ["c", "a", "b", "d", "u1", "u2"]
    );
    // Unless extended copies are declared redundant too.
    assert_eq!(
        dedup_kept(
            &corpus,
            dir.path(),
            &[
                "--keep",
                "earliest",
                "--date-field",
                "date",
                "--redundant",
                "exact,restyled,edited,truncated,extended"
            ]
        ),
        ["a", "u1", "u2"]
    );
}

#[test]
fn keep_earliest_without_a_date_field_is_a_usage_error() {
    let dir = tempfile::tempdir().unwrap();
    let corpus = policy_corpus(dir.path());
    let kept = dir.path().join("kept.jsonl");
    let o = run(&[
        "dedup",
        corpus.to_str().unwrap(),
        "-o",
        kept.to_str().unwrap(),
        "--keep",
        "earliest",
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("--date-field"));
    assert!(!kept.exists());
    let o = run(&[
        "dedup",
        corpus.to_str().unwrap(),
        "-o",
        kept.to_str().unwrap(),
        "--redundant",
        "exact,copied",
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("--redundant"));
}

/// The policy corpus with odd but valid formatting, bad records and blank lines.
fn messy_corpus(dir: &Path) -> (PathBuf, Vec<String>) {
    let clean = fs::read_to_string(policy_corpus(dir)).unwrap();
    let mut lines: Vec<String> = clean.lines().map(str::to_string).collect();
    // Reformat one record: spaces, key order, an escape — it must come out exactly so.
    let b: Value = serde_json::from_str(&lines[2]).unwrap();
    lines[2] = format!(
        "{{ \"source\" : \"Big Paper\",\t\"text\": {} , \"id\":\"b\", \"date\": \"2024-01-03\", \"n\": [1, 2.50] }}",
        serde_json::to_string(b["text"].as_str().unwrap())
            .unwrap()
            .replacen("council", "coun\\u0063il", 1)
    );
    lines.insert(1, r#"{"id":"broken","text": "no closing"#.to_string());
    lines.insert(3, String::new());
    lines.push(r#"{"id":"a","text":"a second record with id a"}"#.to_string());
    lines.push(r#"{"text":"no id"}"#.to_string());
    let path = dir.join("messy.jsonl");
    fs::write(&path, lines.join("\n") + "\n").unwrap();
    let records = lines.into_iter().filter(|l| !l.trim().is_empty()).collect();
    (path, records)
}

#[test]
fn every_record_is_kept_removed_or_rejected_byte_for_byte() {
    let dir = tempfile::tempdir().unwrap();
    let (corpus, records) = messy_corpus(dir.path());
    let out = |name: &str| dir.path().join(name);
    let o = run(&[
        "dedup",
        corpus.to_str().unwrap(),
        "-q",
        "-o",
        out("kept.jsonl").to_str().unwrap(),
        "--removed",
        out("removed.jsonl").to_str().unwrap(),
        "--map",
        out("map.jsonl").to_str().unwrap(),
        "--rejects",
        out("rejects.jsonl").to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let (kept, removed, rejects) = (
        lines(&out("kept.jsonl")),
        lines(&out("removed.jsonl")),
        lines(&out("rejects.jsonl")),
    );
    // The counts add up, and the summary says so.
    assert_eq!(kept.len() + removed.len() + rejects.len(), records.len());
    let summary = String::from_utf8_lossy(&o.stderr);
    assert!(
        summary.contains(&format!(
            "{} records: {} kept, {} removed",
            records.len(),
            kept.len(),
            removed.len()
        )) && summary.contains(&format!("{} rejected", rejects.len())),
        "{summary}"
    );
    // Kept and removed records are input records, byte for byte, in input order.
    let in_order = |out: &[String]| {
        let mut at = 0;
        out.iter()
            .all(|l| match records[at..].iter().position(|r| r == l) {
                Some(p) => {
                    at += p + 1;
                    true
                }
                None => false,
            })
    };
    assert!(in_order(&kept) && in_order(&removed));
    assert!(kept.iter().any(|l| l.contains("coun\\u0063il")));
    assert_eq!(removed.len(), 3);
    // The map has one line per removed record, naming the kept one.
    let map: Vec<Value> = lines(&out("map.jsonl"))
        .iter()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(map.len(), removed.len());
    let mut relations: Vec<&str> = map
        .iter()
        .map(|m| m["relation"].as_str().unwrap())
        .collect();
    relations.sort();
    assert_eq!(relations, ["edited", "restyled", "truncated"]);
    assert!(
        map.iter()
            .all(|m| m["kept_id"] == "b" && m["jaccard"].is_number())
    );
    // Rejects carry the reason and the raw line.
    let rejects: Vec<Value> = rejects
        .iter()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let reasons: Vec<&str> = rejects
        .iter()
        .map(|r| r["reason"].as_str().unwrap())
        .collect();
    assert_eq!(reasons, ["malformed_json", "duplicate_id", "missing_field"]);
    assert_eq!(rejects[0]["line"], 2);
    assert_eq!(rejects[0]["raw"], r#"{"id":"broken","text": "no closing"#);
    assert_eq!(rejects[2]["raw"], r#"{"text":"no id"}"#);
}

#[test]
fn annotate_adds_one_field_and_changes_nothing_else() {
    let dir = tempfile::tempdir().unwrap();
    let (corpus, records) = messy_corpus(dir.path());
    let out = dir.path().join("annotated.jsonl");
    let o = run(&[
        "dedup",
        corpus.to_str().unwrap(),
        "-q",
        "--annotate",
        "-o",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let annotated = lines(&out);
    let accepted: Vec<&String> = records
        .iter()
        .filter(|r| serde_json::from_str::<Value>(r).is_ok_and(|v| v["id"].is_string()))
        .filter(|r| !r.contains("a second record"))
        .collect();
    assert_eq!(annotated.len(), accepted.len());
    let mut redundant = Vec::new();
    for (line, original) in annotated.iter().zip(&accepted) {
        // The original record up to its closing brace, then the added field.
        let end = original.rfind('}').unwrap();
        assert!(line.starts_with(&original[..end]), "{line}");
        assert!(line[end..].starts_with(r#","wirecopy":{"#));
        let v: Value = serde_json::from_str(line).unwrap();
        let a = &v["wirecopy"];
        if a["redundant"] == true {
            redundant.push(v["id"].as_str().unwrap().to_string());
            assert_eq!(a["canonical"], "b");
            assert!(a["cluster"].is_string() && a["jaccard"].is_number());
        }
        if v["id"] == "u1" {
            assert!(a["cluster"].is_null() && a["relation"].is_null());
        }
    }
    redundant.sort();
    assert_eq!(redundant, ["a", "c", "d"]);

    // A record that already has the field cannot be annotated.
    let clash = dir.path().join("clash.jsonl");
    fs::write(
        &clash,
        record("x", &story(4, 3).join("\n\n"), r#","wirecopy":1"#),
    )
    .unwrap();
    let o = run(&[
        "dedup",
        clash.to_str().unwrap(),
        "-q",
        "--annotate",
        "-o",
        out.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&o.stderr).contains(":1: cannot annotate"));
}

#[test]
fn directory_inputs_are_mirrored() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in");
    let full = story(5, 6);
    let files = [
        ("wire/full.txt", full.join("\n\n")),
        ("local/short.txt", full[..2].join("\n\n")),
        ("local/other.txt", story(6, 4).join("\n\n")),
    ];
    for (rel, text) in &files {
        let path = input.join(rel);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, format!("{text}\r\n")).unwrap();
    }
    let kept = dir.path().join("kept");
    let removed = dir.path().join("removed");
    let o = run(&[
        "dedup",
        input.to_str().unwrap(),
        "-q",
        "--output-dir",
        kept.to_str().unwrap(),
        "--removed-dir",
        removed.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    for (rel, _) in &files {
        let (here, gone) = if *rel == "local/short.txt" {
            (&removed, &kept)
        } else {
            (&kept, &removed)
        };
        assert_eq!(
            fs::read(here.join(rel)).unwrap(),
            fs::read(input.join(rel)).unwrap()
        );
        assert!(!gone.join(rel).exists());
    }
    // A directory input needs --output-dir, which must be empty.
    let o = run(&[
        "dedup",
        input.to_str().unwrap(),
        "--output-dir",
        kept.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("not empty"));
    let o = run(&["dedup", input.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("--output-dir"));
}

#[test]
fn a_failed_output_leaves_no_output_at_all() {
    let dir = tempfile::tempdir().unwrap();
    let corpus = policy_corpus(dir.path());
    let out = dir.path().join("out");
    fs::create_dir(&out).unwrap();
    let kept = out.join("kept.jsonl");
    let map = dir.path().join("missing-dir").join("map.jsonl");
    let o = run(&[
        "dedup",
        corpus.to_str().unwrap(),
        "-q",
        "-o",
        kept.to_str().unwrap(),
        "--map",
        map.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(4));
    assert!(String::from_utf8_lossy(&o.stderr).contains("map.jsonl"));
    // The kept file was written first, but only staged: nothing is left behind.
    assert_eq!(fs::read_dir(&out).unwrap().count(), 0);
}
