//! The human summary: what was read, the clusters with their members, and the totals.

use super::ScanReport;
use super::changes::{MemberChanges, member_summary, summary_compact};
use std::io::Write;

fn param<'a>(r: &'a ScanReport, key: &str) -> &'a serde_json::Value {
    r.params
        .iter()
        .find(|(k, _)| *k == key)
        .map(|(_, v)| v)
        .unwrap_or(&serde_json::Value::Null)
}

/// The summary, with each member's changes (paragraph counts, then the verdict) below it
/// when given.
pub fn write_text(
    r: &ScanReport,
    changes: Option<&MemberChanges>,
    w: &mut dyn Write,
) -> std::io::Result<()> {
    let s = &r.stats;
    for (i, c) in r.clusters.iter().enumerate() {
        let summaries = changes.and_then(|ch| ch.cluster(i));
        let canon = &c.members[0];
        writeln!(
            w,
            "{} · {} copies · canonical {}{}",
            c.id,
            c.members.len(),
            c.canonical,
            canon
                .source
                .as_deref()
                .map(|s| format!(" ({s})"))
                .unwrap_or_default()
        )?;
        for (j, m) in c.members.iter().enumerate() {
            let mut line = format!(
                "  {:<10} {:<28} {:<24}",
                m.relation.as_str(),
                m.id,
                m.source.as_deref().unwrap_or("-")
            );
            if m.relation != crate::cluster::Relation::Canonical {
                line.push_str(&format!(
                    " J {:.2}  in-canonical {:.2}  canonical-in {:.2}  paragraphs {}/{}",
                    m.jaccard,
                    m.member_in_canonical,
                    m.canonical_in_member,
                    m.shared_paragraphs,
                    m.paragraphs
                ));
                if let Some(p) = m.truncated_after {
                    line.push_str(&format!("  truncated after ¶{p}"));
                }
                if m.chained {
                    line.push_str("  (chained)");
                }
            }
            writeln!(w, "{}", line.trim_end())?;
            if let Some(summary) = member_summary(summaries, j) {
                writeln!(w, "             \u{21b3} {}", summary_compact(summary))?;
                writeln!(w, "               {}", summary.verdict)?;
            }
        }
        writeln!(w)?;
    }
    let skipped: usize = s.skipped.iter().map(|x| x.1).sum();
    writeln!(
        w,
        "{} documents read, {} skipped{}",
        s.documents,
        skipped,
        if skipped > 0 {
            format!(
                " ({})",
                s.skipped
                    .iter()
                    .map(|(k, v)| format!("{k} {v}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        } else {
            String::new()
        }
    )?;
    writeln!(
        w,
        "{} clusters with {} documents; {} candidate pairs, {} verified",
        s.clusters, s.clustered_documents, s.candidates, s.verified_pairs
    )?;
    writeln!(
        w,
        "word {}-grams, {} permutations, LSH {} bands × {} rows (threshold {}), containment ≥ {}, coverage ≥ {}",
        param(r, "ngram"),
        param(r, "num_perm"),
        param(r, "bands"),
        param(r, "rows"),
        param(r, "threshold"),
        param(r, "containment"),
        param(r, "coverage"),
    )
}
