//! Exact verification of candidate pairs.
//!
//! LSH and the containment index only propose pairs. Each proposal is scored exactly from
//! the two sorted body-shingle arrays: Jaccard, containment both ways, and *coverage* — the
//! share of each text's body words that lie inside (or in a short gap between) shared
//! shingles. Coverage is what keeps copies with OCR noise or many small edits: a 3 % character
//! error rate leaves only about 40 % of word 5-grams intact, so Jaccard and containment drop,
//! but the surviving shingles are spread along the whole text. Two different stories that
//! share a quotation or a background sentence have a few shared islands and low coverage.
//!
//! A pair is accepted when it shares at least `min_shared` shingles and the smaller text is
//! mostly in the larger one by any of: Jaccard ≥ `jaccard`, containment ≥ `containment`,
//! or coverage ≥ `coverage`. Clusters are built only from accepted pairs.

/// Acceptance thresholds of the verifier.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct VerifyParams {
    pub jaccard: f64,
    pub containment: f64,
    pub coverage: f64,
    pub min_shared: u32,
    pub ngram: usize,
}

/// Exact similarity of two documents A and B.
#[derive(Debug, Default, Clone, Copy, PartialEq)]
pub struct PairScore {
    /// Shared body shingles.
    pub shared: u32,
    pub jaccard: f64,
    /// |A ∩ B| / |A|.
    pub a_in_b: f64,
    /// |A ∩ B| / |B|.
    pub b_in_a: f64,
    /// Share of A's body words covered by shared shingles.
    pub cover_a: f64,
    pub cover_b: f64,
}

impl PairScore {
    /// Containment and coverage of the smaller side (fewer shingles).
    pub fn smaller_side(&self, a_smaller: bool) -> (f64, f64) {
        if a_smaller {
            (self.a_in_b, self.cover_a)
        } else {
            (self.b_in_a, self.cover_b)
        }
    }
}

use crate::features::DocFeatures;

/// Reusable buffers for scoring.
#[derive(Default)]
pub struct Scratch {
    pa: Vec<u32>,
    pb: Vec<u32>,
}

/// Shared shingle positions: calls `f(pos_a, pos_b)` (unscaled) for each shared shingle.
pub fn for_each_shared(a: &DocFeatures, b: &DocFeatures, mut f: impl FnMut(u32, u32)) {
    let (sa, sb) = (&a.shingles, &b.shingles);
    let (mut i, mut j) = (0, 0);
    while i < sa.len() && j < sb.len() {
        match sa[i].cmp(&sb[j]) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                f(
                    (a.positions[i] as u32) << a.pos_shift,
                    (b.positions[j] as u32) << b.pos_shift,
                );
                i += 1;
                j += 1;
            }
        }
    }
}

/// Score a pair exactly.
pub fn score(a: &DocFeatures, b: &DocFeatures, ngram: usize, s: &mut Scratch) -> PairScore {
    s.pa.clear();
    s.pb.clear();
    for_each_shared(a, b, |x, y| {
        s.pa.push(x);
        s.pb.push(y);
    });
    let shared = s.pa.len() as u32;
    let (na, nb) = (a.n_shingles() as f64, b.n_shingles() as f64);
    let union = na + nb - shared as f64;
    let ratio = |x: f64, y: f64| if y > 0.0 { x / y } else { 0.0 };
    PairScore {
        shared,
        jaccard: ratio(shared as f64, union),
        a_in_b: ratio(shared as f64, na),
        b_in_a: ratio(shared as f64, nb),
        cover_a: coverage(&mut s.pa, a.body_tokens, ngram, a.pos_shift),
        cover_b: coverage(&mut s.pb, b.body_tokens, ngram, b.pos_shift),
    }
}

/// Share of `len` tokens inside shared shingles starting at `positions`, counting gaps of
/// up to `ngram` tokens between them as covered (a corrupted word breaks every shingle that
/// holds it, which leaves a gap of about `ngram` tokens).
fn coverage(positions: &mut [u32], len: u32, ngram: usize, shift: u8) -> f64 {
    if len == 0 || positions.is_empty() {
        return 0.0;
    }
    positions.sort_unstable();
    let span = ngram as u32 + (1 << shift) - 1;
    let gap = ngram as u32;
    let mut covered = 0u32;
    let (mut start, mut end) = (positions[0], positions[0] + span);
    for &p in &positions[1..] {
        if p <= end + gap {
            end = end.max(p + span);
        } else {
            covered += end.min(len) - start.min(len);
            start = p;
            end = p + span;
        }
    }
    covered += end.min(len) - start.min(len);
    (covered as f64 / len as f64).min(1.0)
}

impl VerifyParams {
    /// Is the pair a copy?
    pub fn accept(&self, sc: &PairScore, a: &DocFeatures, b: &DocFeatures) -> bool {
        if sc.shared
            < self
                .min_shared
                .min(a.n_shingles().min(b.n_shingles()) as u32)
                .max(1)
        {
            return false;
        }
        let (contain, cover) = sc.smaller_side(a.n_shingles() <= b.n_shingles());
        sc.jaccard >= self.jaccard || contain >= self.containment || cover >= self.coverage
    }

    /// A weaker test used to keep a member that reached a cluster through another member:
    /// half of each threshold against the canonical.
    pub fn accept_relaxed(&self, sc: &PairScore, a: &DocFeatures, b: &DocFeatures) -> bool {
        let half = VerifyParams {
            jaccard: self.jaccard / 2.0,
            containment: self.containment / 2.0,
            coverage: self.coverage / 2.0,
            ..*self
        };
        half.accept(sc, a, b)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn coverage_bridges_small_gaps_only() {
        // shingles at 0, 5, 10 of a 20-token text with k = 5: tokens 0..15 covered
        assert!((coverage(&mut [0, 5, 10], 20, 5, 0) - 0.75).abs() < 1e-9);
        // two islands far apart
        let c = coverage(&mut [0, 100], 200, 5, 0);
        assert!((c - 0.05).abs() < 1e-9);
        assert_eq!(coverage(&mut [], 10, 5, 0), 0.0);
    }
}
