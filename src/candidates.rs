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
//!
//! A second, smaller index holds every shingle of each document's lead
//! ([`LEAD_SHINGLES`]): a copy cut down to its first paragraph, perhaps with OCR noise, has
//! too few samples to meet the sample test, but it keeps the lead.

use crate::features::DocFeatures;
use crate::lsh::{GroupStats, merge_pair_lists, pair_key};
use crate::normalize::fmix64;
use rayon::prelude::*;

const SAMPLE_SALT: u64 = 0x2545_f491_4f6c_dd1d;

/// Shingles starting within this many body words of the start are indexed whether sampled or
/// not: a copy cut down to its first paragraph has few samples, but it keeps the lead.
pub const LEAD_SHINGLES: u32 = 16;

/// Is this stored shingle hash in the containment sample?
#[inline]
pub fn sampled(h: u32, rate: u32) -> bool {
    rate <= 1 || fmix64(h as u64 ^ SAMPLE_SALT).is_multiple_of(rate as u64)
}

/// Statistics of the containment index.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct SampleStats {
    pub samples: u64,
    /// Index entries held by more than `cap` documents, skipped.
    pub skipped_common: u64,
}

/// Pair emissions held in memory at once while counting shared entries (64 MiB of keys).
const PAIRS_PER_PASS: usize = 8 << 20;

/// Lead shingles two documents must share to become candidates.
pub const LEAD_MIN_SHARED: u32 = 3;

/// Candidate pairs of the containment index: pairs sharing at least `min_shared` sampled
/// shingles and at least `min_ratio` of the smaller document's samples, plus pairs sharing at
/// least [`LEAD_MIN_SHARED`] lead shingles. Sorted, unique pair keys.
pub fn containment_candidates(
    features: &[DocFeatures],
    rate: u32,
    min_shared: u32,
    min_ratio: f64,
    cap: usize,
) -> (Vec<u64>, SampleStats) {
    let samples = index_entries(features, |_, h, _| sampled(h, rate));
    let mut per_doc = vec![0u32; features.len()];
    for r in &samples {
        per_doc[r.1 as usize] += 1;
    }
    let mut stats = SampleStats {
        samples: samples.len() as u64,
        ..Default::default()
    };
    let sample_pairs = shared_entries(&samples, cap, &mut stats, |pair, count| {
        let (a, b) = ((pair >> 32) as usize, pair as u32 as usize);
        let smaller = per_doc[a].min(per_doc[b]) as f64;
        count >= min_shared && count as f64 >= min_ratio * smaller
    });
    drop(samples);
    let leads = index_entries(features, |f, _, pos| {
        ((pos as u32) << f.pos_shift) < LEAD_SHINGLES
    });
    let lead_pairs = shared_entries(&leads, cap, &mut stats, |_, count| count >= LEAD_MIN_SHARED);
    (union(sample_pairs, lead_pairs), stats)
}

/// (shingle, document) entries of every document for the shingles `keep` selects, sorted.
fn index_entries(
    features: &[DocFeatures],
    keep: impl Fn(&DocFeatures, u32, u16) -> bool + Sync,
) -> Vec<(u32, u32)> {
    let keep = &keep;
    let mut records: Vec<(u32, u32)> = features
        .par_iter()
        .enumerate()
        .flat_map_iter(|(d, f)| {
            f.shingles
                .iter()
                .zip(&f.positions)
                .filter(move |&(&h, &p)| keep(f, h, p))
                .map(move |(&h, _)| (h, d as u32))
        })
        .collect();
    records.par_sort_unstable();
    records
}

/// Pairs of documents that share entries, with how many; `accept(pair, count)` filters.
/// Entries held by more than `cap` documents are skipped and counted.
fn shared_entries(
    records: &[(u32, u32)],
    cap: usize,
    stats: &mut SampleStats,
    accept: impl Fn(u64, u32) -> bool + Sync,
) -> Vec<u64> {
    let runs: Vec<&[(u32, u32)]> = records
        .chunk_by(|a, b| a.0 == b.0)
        .filter(|r| r.len() >= 2)
        .collect();
    stats.skipped_common += runs.iter().filter(|r| r.len() > cap).count() as u64;
    let runs: Vec<&[(u32, u32)]> = runs.into_iter().filter(|r| r.len() <= cap).collect();
    // Every pair is emitted once per shared entry, then counted. To bound memory, the pairs
    // are emitted in passes over a partition of the first document of each pair.
    let emitted: usize = runs.iter().map(|r| r.len() * (r.len() - 1) / 2).sum();
    let passes = emitted.div_ceil(PAIRS_PER_PASS).max(1) as u32;
    let mut accepted = Vec::new();
    for pass in 0..passes {
        let parts: Vec<Vec<u64>> = runs
            .par_chunks(4096)
            .map(|chunk| {
                let mut out = Vec::new();
                for run in chunk {
                    for i in 0..run.len() {
                        for j in i + 1..run.len() {
                            let key = pair_key(run[i].1, run[j].1);
                            if ((key >> 32) as u32) % passes == pass {
                                out.push(key);
                            }
                        }
                    }
                }
                out
            })
            .collect();
        let mut all: Vec<u64> = Vec::with_capacity(parts.iter().map(Vec::len).sum());
        for part in parts {
            all.extend_from_slice(&part);
        }
        all.par_sort_unstable();
        accepted.extend(
            all.chunk_by(|a, b| a == b)
                .filter(|run| accept(run[0], run.len() as u32))
                .map(|run| run[0]),
        );
    }
    accepted.par_sort_unstable();
    accepted
}

/// Union of two sorted unique pair lists.
pub fn union(a: Vec<u64>, b: Vec<u64>) -> Vec<u64> {
    merge_pair_lists(vec![(a, GroupStats::default()), (b, GroupStats::default())]).0
}
