//! `--format members`: one JSON line per clustered document,
//! `{"id", "cluster", "canonical", "relation"}`, after a header line like JSONL's.
//! Made for joining the result back onto the corpus (`jq`, DuckDB, pandas) and for tools that
//! take a document → cluster map.

use super::ScanReport;
use serde::Serialize;
use std::io::Write;

/// One member line. Serialized from borrowed fields, so a line costs no allocation: at a
/// million documents the lines are written one after another on one thread, and building a
/// JSON map for each was most of that time.
#[derive(Serialize)]
struct MemberLine<'r> {
    id: &'r str,
    cluster: &'r str,
    canonical: &'r str,
    relation: &'static str,
}

pub fn write_members(r: &ScanReport, w: &mut dyn Write) -> std::io::Result<()> {
    super::json::write_header_line(r, w)?;
    for c in &r.clusters {
        for m in &c.members {
            let line = MemberLine {
                id: &m.id,
                cluster: &c.id,
                canonical: &c.canonical,
                relation: m.relation.as_str(),
            };
            serde_json::to_writer(&mut *w, &line)?;
            w.write_all(b"\n")?;
        }
    }
    Ok(())
}
