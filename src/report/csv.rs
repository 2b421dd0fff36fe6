//! CSV output: one row per cluster member (RFC 4180 quoting).
//!
//! Columns: `cluster,canonical,id,source,date,relation,chained,jaccard,member_in_canonical,
//! canonical_in_member,coverage,shared_shingles,shared_paragraphs,paragraphs,added_words,
//! dropped_words,truncated_after,changes`. `changes` is the compact change summary against
//! the canonical (non-zero paragraph counts as `label:n`, then `truncated_after:t` and
//! `fallback` when they apply; see `report::changes::summary_compact`; the one-line verdict
//! is in JSON and the text view), empty for the canonical and when not computed. Lines
//! starting with `#` before the header echo the schema version and the parameters
//! (`# name=JSON value`), so a CSV file still says what produced it.

use super::changes::{MemberChanges, member_summary, summary_compact};
use super::{SCHEMA_VERSION, ScanReport};
use std::io::Write;

pub const COLUMNS: &str = "cluster,canonical,id,source,date,relation,chained,jaccard,\
member_in_canonical,canonical_in_member,coverage,shared_shingles,shared_paragraphs,paragraphs,\
added_words,dropped_words,truncated_after,changes";

/// Quote a field when it holds a comma, quote, or line break.
pub fn field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

/// The report as CSV, with the members' change summaries when given.
pub fn write_csv(
    r: &ScanReport,
    changes: Option<&MemberChanges>,
    w: &mut dyn Write,
) -> std::io::Result<()> {
    writeln!(
        w,
        "# wirecopy {} schema_version {SCHEMA_VERSION}",
        env!("CARGO_PKG_VERSION")
    )?;
    for (k, v) in &r.params {
        writeln!(w, "# {k}={v}")?;
    }
    writeln!(w, "{COLUMNS}")?;
    for (i, c) in r.clusters.iter().enumerate() {
        let summaries = changes.and_then(|ch| ch.cluster(i));
        for (j, m) in c.members.iter().enumerate() {
            let summary = member_summary(summaries, j);
            writeln!(
                w,
                "{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{}",
                field(&c.id),
                field(&c.canonical),
                field(&m.id),
                field(m.source.as_deref().unwrap_or("")),
                field(m.date.as_deref().unwrap_or("")),
                m.relation.as_str(),
                m.chained,
                m.jaccard,
                m.member_in_canonical,
                m.canonical_in_member,
                m.coverage,
                m.shared_shingles,
                m.shared_paragraphs,
                m.paragraphs,
                m.added_words,
                m.dropped_words,
                m.truncated_after.map(|p| p.to_string()).unwrap_or_default(),
                field(&summary.map(summary_compact).unwrap_or_default()),
            )?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::field;

    #[test]
    fn fields_are_quoted_when_needed() {
        assert_eq!(field("plain"), "plain");
        assert_eq!(field("a,b"), "\"a,b\"");
        assert_eq!(field("say \"hi\""), "\"say \"\"hi\"\"\"");
    }
}
