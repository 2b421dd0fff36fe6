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

/// One pair as a JSON line. Written field by field: a line per pair over millions of pairs
/// makes building a `serde_json::Value` for each, or formatting each float, the larger cost.
fn write_pair(
    corpus: &Corpus,
    out: &ScanOutput,
    p: &ScoredPair,
    w: &mut Vec<u8>,
) -> serde_json::Result<()> {
    let id = |d: u32| corpus.docs[out.order[d as usize] as usize].id.as_str();
    let s = &p.score;
    w.extend_from_slice(b"{\"a\":");
    serde_json::to_writer(&mut *w, id(p.a))?;
    w.extend_from_slice(b",\"b\":");
    serde_json::to_writer(&mut *w, id(p.b))?;
    w.extend_from_slice(if p.accepted {
        b",\"accepted\":true"
    } else {
        b",\"accepted\":false"
    });
    let fields = [
        ("jaccard", Field::Ratio(s.jaccard)),
        ("a_in_b", Field::Ratio(s.a_in_b)),
        ("b_in_a", Field::Ratio(s.b_in_a)),
        ("shared", Field::Count(s.shared)),
        ("aligned", Field::Count(s.aligned)),
        ("coverage_a", Field::Ratio(s.cover_a)),
        ("coverage_b", Field::Ratio(s.cover_b)),
        ("first_a", Field::Count(s.first_a)),
        ("first_b", Field::Count(s.first_b)),
    ];
    for (name, value) in fields {
        w.extend_from_slice(b",\"");
        w.extend_from_slice(name.as_bytes());
        w.extend_from_slice(b"\":");
        match value {
            Field::Ratio(x) => push_ratio(w, x)?,
            Field::Count(n) => serde_json::to_writer(&mut *w, &n)?,
        }
    }
    w.extend_from_slice(b"}\n");
    Ok(())
}

/// A score field of a pair line.
enum Field {
    Ratio(f64),
    Count(u32),
}

/// A ratio rounded to four decimals, written as serde_json writes that rounded `f64`
/// (shortest round-trip form: `0.0`, `0.25`, `0.0001`, `1.0`). A ratio in [0, 1] rounds to
/// n / 10,000 for an integer n, whose shortest decimal form is n's four digits after the
/// point without trailing zeros; anything else goes through serde_json.
fn push_ratio(w: &mut Vec<u8>, x: f64) -> serde_json::Result<()> {
    let scaled = (x * 10_000.0).round();
    if !(0.0..=10_000.0).contains(&scaled) || scaled.is_sign_negative() {
        return serde_json::to_writer(&mut *w, &(scaled / 10_000.0));
    }
    let n = scaled as u32;
    match n {
        0 => w.extend_from_slice(b"0.0"),
        10_000 => w.extend_from_slice(b"1.0"),
        _ => {
            let mut digits = *b"0.0000";
            let mut rest = n;
            for d in digits[2..].iter_mut().rev() {
                *d = b'0' + (rest % 10) as u8;
                rest /= 10;
            }
            let len = 6 - digits[2..].iter().rev().take_while(|&&d| d == b'0').count();
            w.extend_from_slice(&digits[..len]);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ratios_are_written_as_serde_json_writes_the_rounded_value() {
        for n in 0..=10_000u32 {
            let x = n as f64 / 10_000.0;
            // Values near the rounding point of each step land on the same text.
            for probe in [x, x + 0.000_04, (x - 0.000_04).max(0.0)] {
                let mut ours = Vec::new();
                push_ratio(&mut ours, probe).unwrap();
                let rounded = (probe * 10_000.0).round() / 10_000.0;
                let theirs = serde_json::to_vec(&rounded).unwrap();
                assert_eq!(
                    String::from_utf8(ours).unwrap(),
                    String::from_utf8(theirs).unwrap(),
                    "{probe}"
                );
            }
        }
        let mut odd = Vec::new();
        push_ratio(&mut odd, 1.5).unwrap();
        assert_eq!(odd, b"1.5");
    }
}
