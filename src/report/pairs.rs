//! `--pairs FILE`: the scored pairs behind the clusters, one JSON object per line, sorted by
//! the ids of the pair: `{"a", "b", "accepted", "jaccard", "a_in_b", "b_in_a", "shared",
//! "aligned", "coverage_a", "coverage_b", "first_a", "first_b"}` (see `verify::PairScore`).
//! With `--pairs-scope candidates` rejected candidates are listed too, which shows why two
//! documents did not match.

use crate::input::Corpus;
use crate::scan::{ScanOutput, ScoredPair};
use rayon::prelude::*;
use std::io::Write;

/// Pairs formatted per parallel task; the tasks' output is written in order.
const PAIRS_PER_TASK: usize = 4096;

pub fn write_pairs(corpus: &Corpus, out: &ScanOutput, w: &mut dyn Write) -> std::io::Result<()> {
    let chunks: Vec<Vec<u8>> = out
        .pairs
        .par_chunks(PAIRS_PER_TASK)
        .map(|pairs| {
            let mut buf = Vec::with_capacity(pairs.len() * 220);
            for p in pairs {
                write_pair(corpus, out, p, &mut buf).expect("writing to memory");
            }
            buf
        })
        .collect();
    for chunk in chunks {
        w.write_all(&chunk)?;
    }
    Ok(())
}

/// One pair as a JSON line. Written field by field: a line per pair over hundreds of
/// thousands of pairs makes building a `serde_json::Value` for each the larger cost.
fn write_pair(
    corpus: &Corpus,
    out: &ScanOutput,
    p: &ScoredPair,
    w: &mut Vec<u8>,
) -> serde_json::Result<()> {
    let id = |d: u32| corpus.docs[out.order[d as usize] as usize].id.as_str();
    let r4 = |x: f64| (x * 10_000.0).round() / 10_000.0;
    let s = &p.score;
    w.extend_from_slice(b"{\"a\":");
    serde_json::to_writer(&mut *w, id(p.a))?;
    w.extend_from_slice(b",\"b\":");
    serde_json::to_writer(&mut *w, id(p.b))?;
    let fields: [(&str, serde_json::Value); 10] = [
        ("accepted", p.accepted.into()),
        ("jaccard", r4(s.jaccard).into()),
        ("a_in_b", r4(s.a_in_b).into()),
        ("b_in_a", r4(s.b_in_a).into()),
        ("shared", s.shared.into()),
        ("aligned", s.aligned.into()),
        ("coverage_a", r4(s.cover_a).into()),
        ("coverage_b", r4(s.cover_b).into()),
        ("first_a", s.first_a.into()),
        ("first_b", s.first_b.into()),
    ];
    for (name, value) in fields {
        w.extend_from_slice(b",\"");
        w.extend_from_slice(name.as_bytes());
        w.extend_from_slice(b"\":");
        serde_json::to_writer(&mut *w, &value)?;
    }
    w.extend_from_slice(b"}\n");
    Ok(())
}
