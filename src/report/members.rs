//! `--format members`: one JSON line per clustered document,
//! `{"id", "cluster", "canonical", "relation"}`, after a header line like JSONL's.
//! Made for joining the result back onto the corpus (`jq`, DuckDB, pandas) and for tools that
//! take a document → cluster map.

use super::ScanReport;
use rayon::prelude::*;
use serde::Serialize;
use std::io::Write;

/// One member line. Serialized from borrowed fields, so a line costs no allocation.
#[derive(Serialize)]
struct MemberLine<'r> {
    id: &'r str,
    cluster: &'r str,
    canonical: &'r str,
    relation: &'static str,
}

/// Clusters formatted per parallel task; the tasks' output is written in order.
const CLUSTERS_PER_TASK: usize = 1024;

pub fn write_members(r: &ScanReport, w: &mut dyn Write) -> std::io::Result<()> {
    super::json::write_header_line(r, w)?;
    let chunks: Vec<Vec<u8>> = r
        .clusters
        .par_chunks(CLUSTERS_PER_TASK)
        .map(|clusters| {
            let mut buf = Vec::new();
            for c in clusters {
                for m in &c.members {
                    let line = MemberLine {
                        id: &m.id,
                        cluster: &c.id,
                        canonical: &c.canonical,
                        relation: m.relation.as_str(),
                    };
                    serde_json::to_writer(&mut buf, &line).expect("writing to memory");
                    buf.push(b'\n');
                }
            }
            buf
        })
        .collect();
    for chunk in chunks {
        w.write_all(&chunk)?;
    }
    Ok(())
}
