//! LSH banding (Leskovec, Rajaraman & Ullman, *Mining of Massive Datasets*, ch. 3).
//!
//! A signature of K slots is cut into b bands of r rows; two documents become candidates when
//! all r slots of at least one band agree, which for Jaccard similarity s happens with
//! probability `P(s) = 1 − (1 − s^r)^b`. [`optimal_bands`] picks (b, r) for a threshold the
//! way datasketch's `MinHashLSH` does: the pair minimizing the area of false positives below
//! the threshold plus false negatives above it, with equal weights.
//!
//! Buckets are formed by sorting (band key, document) records, not by hash maps of vectors:
//! linear memory, no per-bucket allocation, and a deterministic order.

use rayon::prelude::*;
use xxhash_rust::xxh3::xxh3_64_with_seed;

/// Bands × rows of an LSH index.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Banding {
    pub bands: usize,
    pub rows: usize,
}

impl Banding {
    /// Probability that a pair with Jaccard `s` shares at least one band.
    pub fn probability(&self, s: f64) -> f64 {
        1.0 - (1.0 - s.powi(self.rows as i32)).powi(self.bands as i32)
    }

    /// Similarity where the S-curve is steepest, approximately `(1/b)^(1/r)`.
    pub fn midpoint(&self) -> f64 {
        (1.0 / self.bands as f64).powf(1.0 / self.rows as f64)
    }
}

fn integrate(f: impl Fn(f64) -> f64, a: f64, b: f64) -> f64 {
    let steps = 200;
    let h = (b - a) / steps as f64;
    (0..steps)
        .map(|i| f(a + (i as f64 + 0.5) * h) * h)
        .sum::<f64>()
}

/// The (bands, rows) with bands × rows ≤ `num_perm` that minimize false-positive plus
/// false-negative area around `threshold`.
pub fn optimal_bands(threshold: f64, num_perm: usize) -> Banding {
    let mut best = (f64::INFINITY, Banding { bands: 1, rows: 1 });
    for bands in 1..=num_perm {
        for rows in 1..=num_perm / bands {
            let b = Banding { bands, rows };
            let fp = integrate(|s| b.probability(s), 0.0, threshold);
            let fneg = integrate(|s| 1.0 - b.probability(s), threshold, 1.0);
            let err = fp + fneg;
            if err < best.0 - 1e-12 {
                best = (err, b);
            }
        }
    }
    best.1
}

/// Statistics of one grouping pass.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct GroupStats {
    /// Buckets larger than the cap, paired only with their nearest neighbours.
    pub capped_buckets: u64,
    /// Largest bucket seen.
    pub largest_bucket: u64,
}

/// Pair key: smaller index in the high half.
#[inline]
pub fn pair_key(a: u32, b: u32) -> u64 {
    let (x, y) = if a < b { (a, b) } else { (b, a) };
    ((x as u64) << 32) | y as u64
}

/// Emit the pairs of one bucket of document indices (sorted ascending). A bucket larger
/// than `cap` pairs each member only with the next `cap` members, which keeps it connected
/// for clustering at O(n × cap) cost instead of O(n²).
pub fn bucket_pairs(members: &[u32], cap: usize, stats: &mut GroupStats, out: &mut Vec<u64>) {
    let n = members.len();
    stats.largest_bucket = stats.largest_bucket.max(n as u64);
    if n < 2 {
        return;
    }
    let window = if n > cap {
        stats.capped_buckets += 1;
        cap.max(1)
    } else {
        n
    };
    for i in 0..n {
        for j in i + 1..n.min(i + 1 + window) {
            out.push(pair_key(members[i], members[j]));
        }
    }
}

/// The bucket key of band `band` of one signature (`num_perm` slots): a seeded hash of its
/// `banding.rows` slots. Equal keys mean equal slots, barring a 2⁻⁶⁴ collision.
pub fn band_key(signature: &[u32], banding: Banding, band: usize, seed: u64) -> u64 {
    let slots = &signature[band * banding.rows..][..banding.rows];
    let mut bytes = [0u8; 4 * 64];
    for (i, s) in slots.iter().enumerate() {
        bytes[i * 4..i * 4 + 4].copy_from_slice(&s.to_le_bytes());
    }
    xxh3_64_with_seed(&bytes[..4 * banding.rows], seed ^ band as u64)
}

/// Candidate pairs from banding `signatures` (row-major, `k` slots per document). Documents
/// with `active[d] == false` (no shingles) take no part. Returns sorted, unique pair keys.
pub fn band_candidates(
    signatures: &[u32],
    k: usize,
    active: &[bool],
    banding: Banding,
    seed: u64,
    cap: usize,
) -> (Vec<u64>, GroupStats) {
    let n = active.len();
    let results: Vec<(Vec<u64>, GroupStats)> = (0..banding.bands)
        .into_par_iter()
        .map(|band| {
            let mut records: Vec<(u64, u32)> = (0..n)
                .filter(|&d| active[d])
                .map(|d| {
                    (
                        band_key(&signatures[d * k..][..k], banding, band, seed),
                        d as u32,
                    )
                })
                .collect();
            records.sort_unstable();
            let mut pairs = Vec::new();
            let mut stats = GroupStats::default();
            let mut members = Vec::new();
            for run in records.chunk_by(|a, b| a.0 == b.0) {
                if run.len() > 1 {
                    members.clear();
                    members.extend(run.iter().map(|r| r.1));
                    bucket_pairs(&members, cap, &mut stats, &mut pairs);
                }
            }
            (pairs, stats)
        })
        .collect();
    merge_pair_lists(results)
}

/// Concatenate per-part pair lists, sort and deduplicate them, and add up the stats.
pub fn merge_pair_lists(parts: Vec<(Vec<u64>, GroupStats)>) -> (Vec<u64>, GroupStats) {
    let mut stats = GroupStats::default();
    let total = parts.iter().map(|p| p.0.len()).sum();
    let mut pairs = Vec::with_capacity(total);
    for (p, s) in parts {
        pairs.extend(p);
        stats.capped_buckets += s.capped_buckets;
        stats.largest_bucket = stats.largest_bucket.max(s.largest_bucket);
    }
    pairs.par_sort_unstable();
    pairs.dedup();
    (pairs, stats)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn optimal_bands_put_the_midpoint_near_the_threshold() {
        for &t in &[0.3, 0.5, 0.7, 0.9] {
            let b = optimal_bands(t, 128);
            assert!(b.bands * b.rows <= 128);
            assert!((b.midpoint() - t).abs() < 0.12, "t={t} {b:?}");
            assert!(b.probability(t + 0.2) > 0.8, "t={t} {b:?}");
        }
    }

    #[test]
    fn big_buckets_are_capped_but_stay_connected() {
        let members: Vec<u32> = (0..100).collect();
        let mut stats = GroupStats::default();
        let mut out = Vec::new();
        bucket_pairs(&members, 5, &mut stats, &mut out);
        assert_eq!(stats.capped_buckets, 1);
        assert!(out.len() <= 100 * 5);
        for i in 0..99u32 {
            assert!(out.contains(&pair_key(i, i + 1)));
        }
    }

    #[test]
    fn identical_signatures_collide_and_different_ones_do_not() {
        let k = 16;
        let mut sigs = vec![0u32; 3 * k];
        for i in 0..k {
            sigs[i] = i as u32;
            sigs[k + i] = i as u32;
            sigs[2 * k + i] = 1000 + i as u32;
        }
        let (pairs, _) = band_candidates(
            &sigs,
            k,
            &[true, true, true],
            Banding { bands: 4, rows: 4 },
            1,
            100,
        );
        assert_eq!(pairs, vec![pair_key(0, 1)]);
    }
}
