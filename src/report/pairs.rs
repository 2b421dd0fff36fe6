//! `--pairs FILE`: the scored pairs behind the clusters, one JSON object per line, sorted by
//! the ids of the pair: `{"a", "b", "accepted", "jaccard", "a_in_b", "b_in_a", "shared",
//! "aligned", "coverage_a", "coverage_b", "first_a", "first_b"}` (see `verify::PairScore`).
//! With `--pairs-scope candidates` rejected candidates are listed too, which shows why two
//! documents did not match.

use crate::input::Corpus;
use crate::scan::ScanOutput;
use serde_json::json;
use std::io::Write;

pub fn write_pairs(corpus: &Corpus, out: &ScanOutput, w: &mut dyn Write) -> std::io::Result<()> {
    let id = |d: u32| corpus.docs[out.order[d as usize] as usize].id.as_str();
    let r4 = |x: f64| (x * 10_000.0).round() / 10_000.0;
    for p in &out.pairs {
        let s = &p.score;
        serde_json::to_writer(
            &mut *w,
            &json!({
                "a": id(p.a),
                "b": id(p.b),
                "accepted": p.accepted,
                "jaccard": r4(s.jaccard),
                "a_in_b": r4(s.a_in_b),
                "b_in_a": r4(s.b_in_a),
                "shared": s.shared,
                "aligned": s.aligned,
                "coverage_a": r4(s.cover_a),
                "coverage_b": r4(s.cover_b),
                "first_a": s.first_a,
                "first_b": s.first_b,
            }),
        )?;
        writeln!(w)?;
    }
    Ok(())
}
