//! Runs every fixture in `corpus-samples/` against its expected outcome.
//!
//! Each `corpus-samples/<case>/expected.json` names the case's inputs and what a scan of them
//! must report (the schema is documented in `corpus-samples/README.md`). Every case becomes
//! one trial, so adding a regression case means adding files, nothing here. The binary is run
//! with `--format json` in the case directory, and every failed expectation is listed with the
//! case's name.
//!
//! A case marked `known_failure` documents a detector bug: it is reported as ignored with the
//! expectations that still fail, and fails as soon as it passes, so that the marker is removed
//! and the case guards the fix.
//!
//! One more trial scans the whole folder at once, as README's first command does: every
//! directory case must come out there exactly as on its own (ids prefixed with
//! `<case>/<dir>/`), and nothing else may cluster — not across cases, and not the
//! `expected.json` or README files that a directory scan also reads as articles.

mod common;

use common::{parse_json, run, samples_dir, wirecopy};
use libtest_mimic::{Arguments, Completion, Failed, Trial};
use serde::Deserialize;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use wirecopy::cluster::Relation;

/// `expected.json`.
#[derive(Deserialize, Clone)]
#[serde(deny_unknown_fields)]
struct Expected {
    description: String,
    /// Input paths relative to the case directory.
    inputs: Vec<String>,
    /// Extra `wirecopy scan` flags.
    #[serde(default)]
    args: Vec<String>,
    /// `stats.documents`.
    documents: u64,
    /// `stats.skipped`, exactly (reasons not listed must not occur).
    #[serde(default)]
    skipped: BTreeMap<String, u64>,
    /// Every cluster of the report, exactly.
    clusters: Vec<ExpectedCluster>,
    /// Documents that must be in no cluster.
    #[serde(default)]
    singletons: Vec<String>,
    /// Each must occur in stderr, and every stderr line must hold one of them.
    #[serde(default)]
    warnings: Vec<String>,
    /// Why the detector gets this case wrong (a bug to fix, not an expectation to drop).
    known_failure: Option<String>,
}

#[derive(Deserialize, Clone)]
#[serde(deny_unknown_fields)]
struct ExpectedCluster {
    members: Vec<String>,
    canonical: Option<String>,
    /// Relation to the canonical, by member id.
    #[serde(default)]
    relations: BTreeMap<String, String>,
}

impl ExpectedCluster {
    /// The same cluster with every id prefixed (documents of a directory scanned from above).
    fn prefixed(&self, prefix: &str) -> ExpectedCluster {
        let p = |id: &String| format!("{prefix}{id}");
        ExpectedCluster {
            members: self.members.iter().map(p).collect(),
            canonical: self.canonical.as_ref().map(p),
            relations: self
                .relations
                .iter()
                .map(|(id, r)| (p(id), r.clone()))
                .collect(),
        }
    }
}

#[derive(Clone)]
struct Case {
    name: String,
    dir: PathBuf,
    expected: Expected,
}

impl Case {
    /// `<case>/<dir>/` when the case is one directory inside its own folder: the prefix its
    /// documents' ids get in a scan of the whole `corpus-samples/`.
    fn whole_folder_prefix(&self) -> Option<String> {
        match self.expected.inputs.as_slice() {
            [input] if !input.starts_with("..") && self.dir.join(input).is_dir() => {
                Some(format!("{}/{}/", self.name, input.trim_end_matches('/')))
            }
            _ => None,
        }
    }
}

/// Every case, by name. A missing or malformed `expected.json` panics naming the file.
fn load_cases() -> Vec<Case> {
    let root = samples_dir();
    let mut cases: Vec<Case> = std::fs::read_dir(&root)
        .unwrap_or_else(|e| panic!("cannot list {}: {e}", root.display()))
        .map(|entry| entry.expect("directory entry").path())
        .filter(|dir| dir.is_dir())
        .map(|dir| {
            let file = dir.join("expected.json");
            let text = std::fs::read_to_string(&file)
                .unwrap_or_else(|e| panic!("{}: {e}", file.display()));
            let expected =
                serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
            let name = dir.file_name().unwrap().to_string_lossy().into_owned();
            Case {
                name,
                dir,
                expected,
            }
        })
        .collect();
    cases.sort_by(|a, b| a.name.cmp(&b.name));
    cases
}

/// Mistakes in an `expected.json` itself.
fn validate(e: &Expected) -> Vec<String> {
    let mut problems = Vec::new();
    if e.description.trim().is_empty() {
        problems.push("expected.json: empty description".to_string());
    }
    if e.inputs.is_empty() {
        problems.push("expected.json: no inputs".to_string());
    }
    let mut seen = BTreeSet::new();
    for c in &e.clusters {
        if c.members.len() < 2 {
            problems.push(format!(
                "expected.json: cluster {:?} has fewer than two members",
                c.members
            ));
        }
        for m in &c.members {
            if !seen.insert(m) {
                problems.push(format!("expected.json: {m} is listed in two clusters"));
            }
        }
        if let Some(canonical) = &c.canonical
            && !c.members.contains(canonical)
        {
            problems.push(format!(
                "expected.json: canonical {canonical} is not a member"
            ));
        }
        for (id, relation) in &c.relations {
            if !c.members.contains(id) || c.canonical.as_ref() == Some(id) {
                problems.push(format!(
                    "expected.json: relation given for {id}, which is not a non-canonical member"
                ));
            }
            if Relation::parse(relation).is_none() {
                problems.push(format!(
                    "expected.json: unknown relation {relation:?} for {id}"
                ));
            }
        }
    }
    for s in &e.singletons {
        if seen.contains(s) {
            problems.push(format!(
                "expected.json: {s} is both a singleton and a cluster member"
            ));
        }
    }
    problems
}

/// A cluster as the JSON report gives it.
struct Reported {
    id: String,
    canonical: String,
    /// Member id → relation.
    members: BTreeMap<String, String>,
}

impl Reported {
    fn describe(&self) -> String {
        let ids: Vec<&str> = self.members.keys().map(String::as_str).collect();
        format!("{} [{}]", self.id, ids.join(", "))
    }
}

fn reported_clusters(report: &Value) -> Vec<Reported> {
    let field = |v: &Value, key: &str| -> String {
        v[key]
            .as_str()
            .unwrap_or_else(|| panic!("report: {key} is not a string in {v}"))
            .to_string()
    };
    report["clusters"]
        .as_array()
        .expect("report: clusters is an array")
        .iter()
        .map(|c| Reported {
            id: field(c, "id"),
            canonical: field(c, "canonical"),
            members: c["members"]
                .as_array()
                .expect("report: members is an array")
                .iter()
                .map(|m| (field(m, "id"), field(m, "relation")))
                .collect(),
        })
        .collect()
}

/// The reported clusters must be exactly the expected ones, with their canonicals and relations.
fn check_clusters(expected: &[ExpectedCluster], reported: &[Reported], failures: &mut Vec<String>) {
    let mut matched = BTreeSet::new();
    for want in expected {
        let members: BTreeSet<&String> = want.members.iter().collect();
        let found = reported
            .iter()
            .position(|r| r.members.contains_key(&want.members[0]));
        let Some(index) = found else {
            failures.push(format!(
                "{:?} must form one cluster, but {} is in none",
                want.members, want.members[0]
            ));
            continue;
        };
        let got = &reported[index];
        if got.members.keys().collect::<BTreeSet<_>>() != members {
            failures.push(format!(
                "{:?} must form one cluster, but the cluster of {} is {}",
                want.members,
                want.members[0],
                got.describe()
            ));
            continue;
        }
        matched.insert(index);
        if let Some(canonical) = &want.canonical
            && &got.canonical != canonical
        {
            failures.push(format!(
                "canonical of {}: expected {canonical}, got {}",
                got.describe(),
                got.canonical
            ));
        }
        for (id, relation) in &want.relations {
            let actual = &got.members[id];
            if actual != relation {
                failures.push(format!(
                    "relation of {id}: expected {relation}, got {actual}"
                ));
            }
        }
    }
    for (index, r) in reported.iter().enumerate() {
        if !matched.contains(&index)
            && !expected
                .iter()
                .any(|w| r.members.contains_key(&w.members[0]))
        {
            failures.push(format!("unexpected cluster {}", r.describe()));
        }
    }
}

/// Scan one case and list every expectation it misses.
fn run_case(case: &Case) -> Vec<String> {
    let e = &case.expected;
    let mut failures = validate(e);
    let out = run(wirecopy()
        .current_dir(&case.dir)
        .args(["scan", "--format", "json"])
        .args(&e.args)
        .args(&e.inputs));
    if out.code != 0 {
        failures.push(format!("exit code {}, stderr:\n{}", out.code, out.stderr));
        return failures;
    }
    let report = parse_json(&out.stdout);
    let stats = &report["stats"];
    if stats["documents"].as_u64() != Some(e.documents) {
        failures.push(format!(
            "documents: expected {}, got {}",
            e.documents, stats["documents"]
        ));
    }
    let skipped: BTreeMap<String, u64> = serde_json::from_value(stats["skipped"].clone())
        .expect("report: stats.skipped maps reasons to counts");
    if skipped != e.skipped {
        failures.push(format!(
            "skipped: expected {:?}, got {skipped:?}",
            e.skipped
        ));
    }
    for w in &e.warnings {
        if !out.stderr.contains(w.as_str()) {
            failures.push(format!("no warning containing {w:?} on stderr"));
        }
    }
    for line in out.stderr.lines() {
        if !e.warnings.iter().any(|w| line.contains(w.as_str())) {
            failures.push(format!("unexpected stderr line: {line}"));
        }
    }
    let clusters = reported_clusters(&report);
    check_clusters(&e.clusters, &clusters, &mut failures);
    for s in &e.singletons {
        if let Some(c) = clusters.iter().find(|c| c.members.contains_key(s)) {
            failures.push(format!(
                "{s} must be in no cluster, but is in {}",
                c.describe()
            ));
        }
    }
    failures
}

fn failed(what: &str, failures: &[String]) -> Failed {
    format!(
        "{what}: {} expectation(s) failed:\n  - {}",
        failures.len(),
        failures.join("\n  - ")
    )
    .into()
}

fn case_trial(case: Case) -> Trial {
    Trial::ignorable_test(case.name.clone(), move || {
        let what = format!("corpus-samples/{}", case.name);
        let failures = run_case(&case);
        match (&case.expected.known_failure, failures.is_empty()) {
            (None, true) => Ok(Completion::Completed),
            (None, false) => Err(failed(&what, &failures)),
            (Some(_), false) => Ok(Completion::ignored_with(format!(
                "known failure, see its expected.json: {}{}",
                failures[0],
                match failures.len() - 1 {
                    0 => String::new(),
                    more => format!(" (and {more} more)"),
                }
            ))),
            (Some(_), true) => Err(format!(
                "{what} passes now: remove \"known_failure\" from its expected.json"
            )
            .into()),
        }
    })
}

/// `wirecopy scan corpus-samples`: every directory case as on its own, nothing else.
fn whole_folder(cases: &[Case]) -> Result<(), Failed> {
    let known_failures: Vec<String> = cases
        .iter()
        .filter(|c| c.expected.known_failure.is_some())
        .map(|c| format!("{}/", c.name))
        .collect();
    let expected: Vec<ExpectedCluster> = cases
        .iter()
        .filter(|c| c.expected.known_failure.is_none())
        .filter_map(|c| c.whole_folder_prefix().map(|p| (c, p)))
        .flat_map(|(c, prefix)| c.expected.clusters.iter().map(move |k| k.prefixed(&prefix)))
        .collect();
    let out = run(wirecopy().current_dir(env!("CARGO_MANIFEST_DIR")).args([
        "scan",
        "--format",
        "json",
        "corpus-samples",
    ]));
    if out.code != 0 {
        return Err(format!("exit code {}, stderr:\n{}", out.code, out.stderr).into());
    }
    let in_known_failure = |id: &String| {
        known_failures
            .iter()
            .any(|prefix| id.starts_with(prefix.as_str()))
    };
    let reported: Vec<Reported> = reported_clusters(&parse_json(&out.stdout))
        .into_iter()
        .filter(|c| !c.members.keys().all(in_known_failure))
        .collect();
    let mut failures = Vec::new();
    check_clusters(&expected, &reported, &mut failures);
    if failures.is_empty() {
        Ok(())
    } else {
        Err(failed("scan of the whole corpus-samples/", &failures))
    }
}

fn main() {
    let args = Arguments::from_args();
    let cases = load_cases();
    assert!(
        cases.iter().any(|c| c.name == "seeds"),
        "corpus-samples/seeds is missing"
    );
    let mut trials: Vec<Trial> = cases.iter().cloned().map(case_trial).collect();
    trials.push(Trial::test("whole-folder", move || whole_folder(&cases)));
    libtest_mimic::run(&args, trials).exit();
}
