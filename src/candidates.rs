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
    for &e in &samples {
        per_doc[e as u32 as usize] += 1;
    }
    let mut stats = SampleStats {
        samples: samples.len() as u64,
        ..Default::default()
    };
    let sample_pairs = shared_entries(&samples, features.len(), cap, &mut stats, |pair, count| {
        let (a, b) = ((pair >> 32) as usize, pair as u32 as usize);
        let smaller = per_doc[a].min(per_doc[b]) as f64;
        count >= min_shared && count as f64 >= min_ratio * smaller
    });
    drop(samples);
    let leads = index_entries(features, |f, _, pos| {
        ((pos as u32) << f.pos_shift) < LEAD_SHINGLES
    });
    let lead_pairs = shared_entries(&leads, features.len(), cap, &mut stats, |_, count| {
        count >= LEAD_MIN_SHARED
    });
    (union(sample_pairs, lead_pairs), stats)
}

/// Entries `shingle << 32 | document` of every document for the shingles `keep` selects,
/// sorted (one u64 key sorts faster than a pair).
fn index_entries(
    features: &[DocFeatures],
    keep: impl Fn(&DocFeatures, u32, u16) -> bool + Sync,
) -> Vec<u64> {
    let keep = &keep;
    let mut entries: Vec<u64> = features
        .par_iter()
        .enumerate()
        .flat_map_iter(|(d, f)| {
            f.shingles
                .iter()
                .zip(&f.positions)
                .filter(move |&(&h, &p)| keep(f, h, p))
                .map(move |(&h, _)| (h as u64) << 32 | d as u64)
        })
        .collect();
    entries.par_sort_unstable();
    entries
}

/// Pairs of documents that share entries, with how many; `accept(pair, count)` filters.
/// Entries held by more than `cap` documents are skipped and counted.
///
/// The join runs per document: each document walks the postings it is in and counts its
/// partners with a larger index in a dense per-thread counter. That is the same number of
/// steps as emitting every (pair, entry) and sorting them all, without the memory or the
/// global sort; only the distinct partners of a document are sorted, so the output comes
/// out sorted.
fn shared_entries(
    entries: &[u64],
    n_docs: usize,
    cap: usize,
    stats: &mut SampleStats,
    accept: impl Fn(u64, u32) -> bool + Sync,
) -> Vec<u64> {
    let doc = |e: u64| e as u32;
    // Postings worth pairing: runs of 2..=cap documents sharing an entry.
    let mut postings: Vec<&[u64]> = Vec::new();
    for run in entries.chunk_by(|a, b| a >> 32 == b >> 32) {
        if run.len() > cap {
            stats.skipped_common += 1;
        } else if run.len() >= 2 {
            postings.push(run);
        }
    }
    // Each document's postings, as a compressed list: `by_doc[offsets[d]..offsets[d + 1]]`.
    let mut offsets = vec![0usize; n_docs + 1];
    for run in &postings {
        for &e in run.iter() {
            offsets[doc(e) as usize + 1] += 1;
        }
    }
    for d in 0..n_docs {
        offsets[d + 1] += offsets[d];
    }
    let mut by_doc = vec![0u32; offsets[n_docs]];
    let mut fill = offsets.clone();
    for (p, run) in postings.iter().enumerate() {
        for &e in run.iter() {
            let d = doc(e) as usize;
            by_doc[fill[d]] = p as u32;
            fill[d] += 1;
        }
    }
    drop(fill);
    (0..n_docs as u32)
        .into_par_iter()
        .map_init(
            || (vec![0u32; n_docs], Vec::new()),
            |(counts, partners): &mut (Vec<u32>, Vec<u32>), a| {
                for &p in &by_doc[offsets[a as usize]..offsets[a as usize + 1]] {
                    for b in postings[p as usize].iter().map(|&e| doc(e)) {
                        if b > a {
                            if counts[b as usize] == 0 {
                                partners.push(b);
                            }
                            counts[b as usize] += 1;
                        }
                    }
                }
                partners.sort_unstable();
                let pairs: Vec<u64> = partners
                    .iter()
                    .map(|&b| (pair_key(a, b), std::mem::take(&mut counts[b as usize])))
                    .filter(|&(key, count)| accept(key, count))
                    .map(|(key, _)| key)
                    .collect();
                partners.clear();
                pairs
            },
        )
        .flatten_iter()
        .collect()
}

/// Union of two sorted unique pair lists.
pub fn union(a: Vec<u64>, b: Vec<u64>) -> Vec<u64> {
    merge_pair_lists(vec![(a, GroupStats::default()), (b, GroupStats::default())]).0
}
