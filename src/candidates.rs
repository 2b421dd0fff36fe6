//! Candidate pairs: LSH on MinHash signatures plus a containment index.
//!
//! MinHash LSH proposes pairs by Jaccard similarity, which misses the copies that matter
//! most in news: a copy truncated to its first third has Jaccard ≈ 0.3 with the original even
//! though nearly all of it is in the original. The containment index catches those. It keeps
//! a consistent sample of every document's shingles — a shingle is sampled when its hash is
//! 0 modulo the rate, Broder's MOD-m sampling ("On the resemblance and containment of
//! documents", 1997) — so a text contained in another has its samples contained too, and
//! the number of shared samples estimates |A ∩ B| / rate whatever the lengths. Pairs that
//! share at least `min_shared` samples, and at least `min_ratio` of the samples of the
//! smaller document, become candidates: the verifier needs most of the smaller text to be in
//! the larger, so pairs whose estimate is far below that are not worth an exact check. A sample held by more than `cap`
//! documents is a template phrase or a sentence quoted everywhere; it is skipped and
//! counted (LSH still connects very large groups of near-identical copies).

use crate::features::DocFeatures;
use crate::lsh::{GroupStats, merge_pair_lists};
use crate::normalize::fmix64;
use rayon::prelude::*;

const SAMPLE_SALT: u64 = 0x2545_f491_4f6c_dd1d;

/// Is this stored shingle hash in the containment sample?
#[inline]
pub fn sampled(h: u32, rate: u32) -> bool {
    rate <= 1 || fmix64(h as u64 ^ SAMPLE_SALT).is_multiple_of(rate as u64)
}

/// Statistics of the containment index.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct SampleStats {
    pub samples: u64,
    /// Samples held by more than `cap` documents, skipped.
    pub skipped_common: u64,
}

/// Pairs sharing at least `min_shared` sampled shingles. Sorted, unique pair keys.
pub fn containment_candidates(
    features: &[DocFeatures],
    rate: u32,
    min_shared: u32,
    min_ratio: f64,
    cap: usize,
) -> (Vec<u64>, SampleStats) {
    let mut records: Vec<(u32, u32)> = features
        .par_iter()
        .enumerate()
        .flat_map_iter(|(d, f)| {
            f.shingles
                .iter()
                .filter(move |&&h| sampled(h, rate))
                .map(move |&h| (h, d as u32))
        })
        .collect();
    records.par_sort_unstable();
    let mut per_doc = vec![0u32; features.len()];
    for r in &records {
        per_doc[r.1 as usize] += 1;
    }
    let mut stats = SampleStats {
        samples: records.len() as u64,
        ..Default::default()
    };
    let runs: Vec<&[(u32, u32)]> = records.chunk_by(|a, b| a.0 == b.0).collect();
    stats.skipped_common = runs.iter().filter(|r| r.len() > cap).count() as u64;
    let parts: Vec<(Vec<u64>, GroupStats)> = runs
        .par_chunks(4096)
        .map(|chunk| {
            let mut out = Vec::new();
            for run in chunk {
                if run.len() < 2 || run.len() > cap {
                    continue;
                }
                for i in 0..run.len() {
                    for j in i + 1..run.len() {
                        out.push(crate::lsh::pair_key(run[i].1, run[j].1));
                    }
                }
            }
            out.sort_unstable();
            (out, GroupStats::default())
        })
        .collect();
    // Count how often each pair occurs (pairs repeat once per shared sample).
    let mut all: Vec<u64> = Vec::with_capacity(parts.iter().map(|p| p.0.len()).sum());
    for (p, _) in parts {
        all.extend(p);
    }
    all.par_sort_unstable();
    let pairs: Vec<u64> = all
        .chunk_by(|a, b| a == b)
        .filter(|run| {
            let (a, b) = ((run[0] >> 32) as usize, run[0] as u32 as usize);
            let smaller = per_doc[a].min(per_doc[b]) as f64;
            run.len() as u32 >= min_shared && run.len() as f64 >= min_ratio * smaller
        })
        .map(|run| run[0])
        .collect();
    (pairs, stats)
}

/// Union of two sorted unique pair lists.
pub fn union(a: Vec<u64>, b: Vec<u64>) -> Vec<u64> {
    merge_pair_lists(vec![(a, GroupStats::default()), (b, GroupStats::default())]).0
}
