//! `--format members`: one JSON line per clustered document,
//! `{"id", "cluster", "canonical", "relation"}`, after a header line like JSONL's.
//! Made for joining the result back onto the corpus (`jq`, DuckDB, pandas) and for tools that
//! take a document → cluster map.

use super::ScanReport;
use serde_json::json;
use std::io::Write;

pub fn write_members(r: &ScanReport, w: &mut dyn Write) -> std::io::Result<()> {
    super::json::write_header_line(r, w)?;
    for c in &r.clusters {
        for m in &c.members {
            serde_json::to_writer(
                &mut *w,
                &json!({
                    "id": m.id,
                    "cluster": c.id,
                    "canonical": c.canonical,
                    "relation": m.relation.as_str(),
                }),
            )?;
            writeln!(w)?;
        }
    }
    Ok(())
}
