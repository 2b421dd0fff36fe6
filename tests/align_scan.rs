//! `wirecopy scan` carries every member's change summary against its canonical (and leaves
//! it out with `--no-changes`).

mod common;

use common::{parse_json, run, samples_dir, wirecopy};
use serde_json::Value;

const SHORT: &str = "000_25689afb8a6c67b2.txt";

fn scan_seeds(extra: &[&str]) -> String {
    let docs = samples_dir().join("seeds/docs");
    let out = run(wirecopy()
        .arg("scan")
        .arg(&docs)
        .args(["--threads", "2"])
        .args(extra));
    assert_eq!(out.code, 0, "{}", out.stderr);
    out.stdout
}

fn member<'v>(report: &'v Value, id: &str) -> &'v Value {
    report["clusters"][0]["members"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["id"] == id)
        .unwrap()
}

#[test]
fn json_members_carry_their_changes() {
    let v = parse_json(&scan_seeds(&["--format", "json"]));
    assert_eq!(v["params"]["changes"], true);
    assert!(v["params"]["align_max_tokens"].as_u64().unwrap() > 0);
    assert!(v["timings"]["changes"].is_number());
    let canonical = &v["clusters"][0]["members"][0];
    assert_eq!(canonical["relation"], "canonical");
    assert_eq!(canonical["changes"], Value::Null);
    let changes = &member(&v, SHORT)["changes"];
    assert_eq!(changes["truncated_after"], 8);
    assert_eq!(changes["restyled"], 1);
    assert_eq!(changes["merged"], 2);
    assert_eq!(changes["dropped"], 5);
    assert_eq!(changes["boilerplate"], 14);
    assert_eq!(changes["added"], 0);
    assert_eq!(changes["fallback"], false);
    let verdict = changes["verdict"].as_str().unwrap();
    assert!(verdict.contains("Similar News"), "{verdict}");
}

#[test]
fn no_changes_skips_the_alignment() {
    let v = parse_json(&scan_seeds(&["--format", "json", "--no-changes"]));
    assert_eq!(v["params"]["changes"], false);
    assert!(v["timings"].get("changes").is_none());
    assert_eq!(member(&v, SHORT)["changes"], Value::Null);
}

#[test]
fn text_and_csv_show_the_summary() {
    let text = scan_seeds(&[]);
    let lines: Vec<&str> = text.lines().map(str::trim).collect();
    let at = lines
        .iter()
        .position(|l| {
            *l == "\u{21b3} restyled:1 merged:2 dropped:5 boilerplate:14 truncated_after:8"
        })
        .unwrap_or_else(|| panic!("counts under the member:\n{text}"));
    assert!(
        lines[at + 1].starts_with("B keeps paragraphs 1\u{2013}3 and 7\u{2013}8 of 10"),
        "{text}"
    );
    let csv = scan_seeds(&["--format", "csv"]);
    let rows: Vec<&str> = csv.lines().filter(|l| !l.starts_with('#')).collect();
    assert!(rows[0].ends_with(",truncated_after,changes"), "{}", rows[0]);
    let short = rows.iter().find(|r| r.contains(SHORT)).unwrap();
    assert!(
        short.ends_with(",restyled:1 merged:2 dropped:5 boilerplate:14 truncated_after:8"),
        "{short}"
    );
}
