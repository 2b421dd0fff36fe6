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
//! the larger, so pairs whose estimate is far below that are not worth an exact check. The
//! `min_shared` samples must be held by at most [`PROPOSE_MAX`] documents each: a sample
//! held by more is a sentence many stories use, and pairing all of its documents costs the
//! square of their number; it still counts in the ratio. A sample held by more than `cap`
//! documents is a template phrase or a sentence quoted everywhere; it is skipped and counted
//! (LSH still connects very large groups of near-identical copies).
//!
//! A second, smaller index holds every shingle of each document's lead
//! ([`LEAD_SHINGLES`]): a copy cut down to its first paragraph, perhaps with OCR noise, has
//! too few samples to meet the sample test, but it keeps the lead. A pair found by its lead
//! must share a few of its samples too when it has many ([`LEAD_SAMPLE_SHARE`]): stories
//! that open with the same sentence share a lead and little else.

use crate::features::DocFeatures;
use crate::lsh::pair_key;
use crate::normalize::fmix64;
use crate::rows::Rows;
use crate::verify::count_common;
use rayon::prelude::*;

const SAMPLE_SALT: u64 = 0x2545_f491_4f6c_dd1d;

/// Shingles starting within this many body words of the start are indexed whether sampled or
/// not: a copy cut down to its first paragraph has few samples, but it keeps the lead.
pub const LEAD_SHINGLES: u32 = 16;

/// Is this stored shingle hash in the containment sample?
#[inline]
pub fn sampled(h: u32, rate: u32) -> bool {
    Sampler::new(rate).keeps(h)
}

/// The sample test for one rate: is `fmix64(h ^ salt)` a multiple of the rate (every hash is
/// at rates 0 and 1)? The rate is only known at run time, so `%` would be a 64-bit division
/// per shingle, which made most of the time of indexing the samples. Instead, as compilers do
/// for a constant divisor (Granlund & Montgomery 1994; Warren, Hacker's Delight § 10-17):
/// with rate = 2^k · m, m odd, x is a multiple of the rate exactly when x · m⁻¹ mod 2^64,
/// rotated right by k, is at most (2^64 − 1) / rate. Multiplying by m⁻¹ maps the multiples
/// q · rate one to one onto the 2^k · q, and rotating those by k gives q back; every other x
/// ends up larger.
#[derive(Clone, Copy)]
pub struct Sampler {
    inverse: u64,
    shift: u32,
    limit: u64,
}

impl Sampler {
    pub fn new(rate: u32) -> Self {
        let rate = rate.max(1) as u64;
        let shift = rate.trailing_zeros();
        let odd = rate >> shift;
        // Newton's iteration for the inverse modulo 2^64: an odd m is its own inverse modulo
        // 8, and each step doubles the correct low bits (3, 6, 12, 24, 48, 96).
        let mut inverse = odd;
        for _ in 0..5 {
            inverse = inverse.wrapping_mul(2u64.wrapping_sub(odd.wrapping_mul(inverse)));
        }
        Sampler {
            inverse,
            shift,
            limit: u64::MAX / rate,
        }
    }

    #[inline]
    pub fn keeps(&self, h: u32) -> bool {
        let x = fmix64(h as u64 ^ SAMPLE_SALT);
        x.wrapping_mul(self.inverse).rotate_right(self.shift) <= self.limit
    }

    /// `marks[i] = self.keeps(hashes[i])` for every hash of a document: one loop the
    /// compiler vectorizes, with AVX-512DQ (64-bit vector multiplication) where the CPU has
    /// it; the test of each hash apart was most of the cost of indexing the samples.
    pub fn mark(&self, hashes: &[u32], marks: &mut Vec<bool>) {
        #[cfg(target_arch = "x86_64")]
        if std::arch::is_x86_feature_detected!("avx512dq") {
            // SAFETY: the CPU has AVX-512F and AVX-512DQ.
            return unsafe { self.mark_avx512(hashes, marks) };
        }
        self.mark_each(hashes, marks)
    }

    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx512f,avx512dq")]
    fn mark_avx512(&self, hashes: &[u32], marks: &mut Vec<bool>) {
        self.mark_each(hashes, marks)
    }

    #[inline(always)]
    fn mark_each(&self, hashes: &[u32], marks: &mut Vec<bool>) {
        marks.clear();
        marks.resize(hashes.len(), false);
        for (m, &h) in marks.iter_mut().zip(hashes) {
            *m = self.keeps(h);
        }
    }
}

/// Statistics of the containment index.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct SampleStats {
    pub samples: u64,
    /// Index entries held by more than `cap` documents, skipped.
    pub skipped_common: u64,
}

/// Postings of more documents than this do not propose pairs. A pair must share its minimum
/// number of entries (samples or lead shingles) through postings of at most this many
/// documents; the entries it shares through larger postings (up to the cap) then count
/// towards its total for the ratio test. Pairing every two documents of a posting costs the
/// square of its length, so bounding the proposing postings keeps the join linear in the
/// corpus. In a million generated articles, where every sentence of the prose pool recurs
/// in a hundred or more stories, postings of 128–255 documents made 1.6 G of the 1.7 G pair
/// counts and most of the 23 M sample-only candidates, of which 2 % were copies (README
/// § Performance). Copies share the entries particular to their story, which are held by
/// about as many documents as the story has copies.
pub const PROPOSE_MAX: usize = 128;

/// Lead shingles two documents must share to become candidates.
pub const LEAD_MIN_SHARED: u32 = 3;

/// A pair proposed by its lead must also share at least one in this many of the samples of
/// its smaller document. The lead index is there for copies too short to meet the sample
/// test, and for those (fewer than this many samples) the condition is void. A longer text
/// that is at least half contained in another, or mostly covered by it through noise, shares
/// about half of its samples with it; two stories that merely open with the same sentence
/// share few. In a million generated articles this dropped 3.1 M of the 6.8 M pairs only the
/// lead index proposed, and 101 of the 2.4 M accepted pairs (2 of 252 k at 100 k).
pub const LEAD_SAMPLE_SHARE: u32 = 8;

/// Candidate pairs of the containment index: pairs sharing at least `min_shared` sampled
/// shingles and at least `min_ratio` of the smaller document's samples, plus pairs sharing at
/// least [`LEAD_MIN_SHARED`] lead shingles and one in [`LEAD_SAMPLE_SHARE`] of the smaller
/// document's samples. Sorted, unique pair keys.
pub fn containment_candidates(
    features: &[DocFeatures],
    rate: u32,
    min_shared: u32,
    min_ratio: f64,
    cap: usize,
) -> (Vec<u64>, SampleStats) {
    let sampler = Sampler::new(rate);
    let samples = index_entries(features, |f, marks| sampler.mark(&f.shingles, marks));
    let mut per_doc = vec![0u32; features.len()];
    for &e in &samples {
        per_doc[e as u32 as usize] += 1;
    }
    let mut stats = SampleStats {
        samples: samples.len() as u64,
        ..Default::default()
    };
    let sample_pairs = shared_entries(
        &samples,
        features.len(),
        cap,
        min_shared,
        &mut stats,
        |pair, count| {
            let (a, b) = ((pair >> 32) as usize, pair as u32 as usize);
            let smaller = per_doc[a].min(per_doc[b]) as f64;
            count as f64 >= min_ratio * smaller
        },
    );
    // The samples each document shares with some other, for the lead test below.
    let shared_runs: Vec<&[u64]> = (samples.chunk_by(|a, b| a >> 32 == b >> 32))
        .filter(|run| (2..=cap).contains(&run.len()))
        .collect();
    let shared_samples = postings_of_docs(&shared_runs, features.len());
    drop(shared_runs);
    drop(samples);
    let leads = index_entries(features, |f, marks| {
        marks.clear();
        marks.extend((f.positions.iter()).map(|&p| ((p as u32) << f.pos_shift) < LEAD_SHINGLES));
    });
    let lead_pairs = shared_entries(
        &leads,
        features.len(),
        cap,
        LEAD_MIN_SHARED,
        &mut stats,
        |pair, _| {
            let (a, b) = ((pair >> 32) as u32, pair as u32);
            let need = per_doc[a as usize].min(per_doc[b as usize]) / LEAD_SAMPLE_SHARE;
            need == 0 || count_common(shared_samples.of(a), shared_samples.of(b)) >= need
        },
    );
    (union(sample_pairs, lead_pairs), stats)
}

/// Entries `shingle << 32 | document` of every document for the shingles `mark` selects
/// (`mark(f, marks)` sets `marks[i]` for shingle i of `f`), sorted (one u64 key sorts
/// faster than a pair).
fn index_entries(
    features: &[DocFeatures],
    mark: impl Fn(&DocFeatures, &mut Vec<bool>) + Sync,
) -> Vec<u64> {
    let parts: Vec<Vec<u64>> = (features.par_iter().enumerate())
        .fold(
            || (Vec::new(), Vec::new()),
            |(mut entries, mut marks), (d, f)| {
                mark(f, &mut marks);
                let kept = (f.shingles.iter().zip(&marks)).filter(|&(_, &m)| m);
                entries.extend(kept.map(|(&h, _)| (h as u64) << 32 | d as u64));
                (entries, marks)
            },
        )
        .map(|(entries, _)| entries)
        .collect();
    let mut entries = parts.concat();
    entries.par_sort_unstable();
    entries
}

/// Pairs of documents that share at least `min_proposing` entries through postings of at
/// most [`PROPOSE_MAX`] documents, filtered by `accept(pair, count)` on the count of all the
/// entries they share (never below `min_proposing`); `accept` must not turn false as the
/// count grows. Entries held by
/// more than `cap` documents are skipped and counted.
///
/// The join runs per document: each document walks the proposing postings it is in and
/// counts its partners with a larger index in a dense per-thread counter. That is the same
/// number of steps as emitting every (pair, entry) and sorting them all, without the memory
/// or the global sort; only the pairs a document keeps are sorted, so the output comes out
/// sorted. The larger postings a partner shares are then looked up in a bitmap
/// of the document's own.
fn shared_entries(
    entries: &[u64],
    n_docs: usize,
    cap: usize,
    min_proposing: u32,
    stats: &mut SampleStats,
    accept: impl Fn(u64, u32) -> bool + Sync,
) -> Vec<u64> {
    // Postings worth pairing, runs of 2..=cap documents sharing an entry, split into those
    // that propose pairs and those that only count.
    let mut proposing: Vec<&[u64]> = Vec::new();
    let mut counting: Vec<&[u64]> = Vec::new();
    for run in entries.chunk_by(|a, b| a >> 32 == b >> 32) {
        match run.len() {
            0..=1 => {}
            n if n <= PROPOSE_MAX.min(cap) => proposing.push(run),
            n if n <= cap => counting.push(run),
            _ => stats.skipped_common += 1,
        }
    }
    let (proposing, weights) = merge_identical(proposing);
    let walks = Walks::new(&proposing, &weights, n_docs);
    drop(proposing);
    let counted = postings_of_docs(&counting, n_docs);
    (0..n_docs as u32)
        .into_par_iter()
        .map(|a| {
            JOIN_SCRATCH.with_borrow_mut(|(counts, partners, marks)| {
                if counts.len() < n_docs {
                    counts.resize(n_docs, 0);
                }
                marks.fit(counting.len());
                for walk in walks.of(a) {
                    for &b in &walks.docs[walk.from as usize..walk.to as usize] {
                        let count = &mut counts[b as usize];
                        if *count == 0 {
                            partners.push(b);
                        }
                        *count += walk.weight;
                    }
                }
                let mine = counted.of(a);
                let mut marked = false;
                let mut pairs: Vec<u64> = (partners.drain(..))
                    .filter_map(|b| {
                        // Only partners met often enough through proposing postings go on;
                        // every counter is reset here.
                        let shared = std::mem::take(&mut counts[b as usize]);
                        (shared >= min_proposing).then(|| (pair_key(a, b), shared, b))
                    })
                    .filter(|&(key, shared, b)| {
                        // `accept` only grows with the count, so the counting postings the
                        // two share are looked up only when they could change the answer.
                        if accept(key, shared) {
                            return true;
                        }
                        let theirs = counted.of(b);
                        if !accept(key, shared + mine.len().min(theirs.len()) as u32) {
                            return false;
                        }
                        if !marked {
                            marks.set(mine, true);
                            marked = true;
                        }
                        accept(key, shared + marks.count(theirs))
                    })
                    .map(|(key, _, _)| key)
                    .collect();
                if marked {
                    marks.set(mine, false);
                }
                // Partners were met in walk order; only the accepted ones are sorted.
                pairs.sort_unstable();
                pairs
            })
        })
        .flatten_iter()
        .collect()
}

thread_local! {
    /// Per thread: a counter per document (all zero between documents) and the partners
    /// counted so far. Kept in a thread-local rather than made per rayon job: rayon splits a
    /// parallel range into far more jobs than threads, and zeroing a counter of every document
    /// for each job cost more at a million documents than the join itself.
    static JOIN_SCRATCH: std::cell::RefCell<(Vec<u32>, Vec<u32>, Marks)> = Default::default();
}

/// The proposing postings as the join walks them: the documents of every posting back to
/// back, and for each document where its partners with a larger index lie in each posting it
/// is in. A document's partners in a posting are the documents after it (a posting lists
/// them in ascending order), so the walk starts there without searching the posting, and it
/// reads 4 bytes per partner instead of an 8-byte entry.
struct Walks {
    docs: Vec<u32>,
    of_doc: Rows<Walk>,
}

/// The partners `docs[from..to]` of a document in one posting, each counted `weight` times.
#[derive(Clone, Copy, Default)]
struct Walk {
    from: u32,
    to: u32,
    weight: u32,
}

impl Walks {
    fn new(postings: &[&[u64]], weights: &[u32], n_docs: usize) -> Self {
        let docs: Vec<u32> = (postings.iter())
            .flat_map(|run| run.iter().map(|&e| e as u32))
            .collect();
        assert!(docs.len() <= u32::MAX as usize, "too many index entries");
        let of_doc = Rows::new(n_docs, || {
            let ends = postings.iter().scan(0, |end, run| {
                *end += run.len() as u32;
                Some(*end)
            });
            (ends.zip(postings).zip(weights)).flat_map(|((to, run), &weight)| {
                // The last document of a posting has no partner after it and gets no walk.
                let partners_from = to + 1 - run.len() as u32..to;
                (run.iter().zip(partners_from))
                    .map(move |(&e, from)| (e as u32, Walk { from, to, weight }))
            })
        });
        Walks { docs, of_doc }
    }

    fn of(&self, doc: u32) -> &[Walk] {
        self.of_doc.of(doc)
    }
}

/// Postings that list the same documents, merged into one with their number as its weight.
/// The shingles of a sentence that several texts share all have the same posting, so a
/// document walks each such set of partners once instead of once per shingle.
fn merge_identical(postings: Vec<&[u64]>) -> (Vec<&[u64]>, Vec<u32>) {
    let docs_hash = |run: &[u64]| {
        run.iter()
            .fold(run.len() as u64, |h, &e| fmix64(h ^ (e as u32 as u64)))
    };
    let same_docs = |x: &[u64], y: &[u64]| {
        x.len() == y.len() && x.iter().zip(y).all(|(&a, &b)| a as u32 == b as u32)
    };
    let mut keyed: Vec<(u64, u32)> = postings
        .par_iter()
        .enumerate()
        .map(|(i, run)| (docs_hash(run), i as u32))
        .collect();
    keyed.par_sort_unstable();
    let mut merged: Vec<(u32, u32)> = Vec::with_capacity(postings.len());
    for group in keyed.chunk_by(|x, y| x.0 == y.0) {
        let start = merged.len();
        for &(_, i) in group {
            let run = postings[i as usize];
            match merged[start..]
                .iter_mut()
                .find(|(first, _)| same_docs(postings[*first as usize], run))
            {
                Some((_, weight)) => *weight += 1,
                None => merged.push((i, 1)),
            }
        }
    }
    // Back in entry order, so the output does not depend on the hash.
    merged.sort_unstable();
    merged
        .into_iter()
        .map(|(i, weight)| (postings[i as usize], weight))
        .unzip()
}

/// The postings each document is in, in posting order.
fn postings_of_docs(postings: &[&[u64]], n_docs: usize) -> Rows {
    Rows::new(n_docs, || {
        (postings.iter().enumerate())
            .flat_map(|(p, run)| run.iter().map(move |&e| (e as u32, p as u32)))
    })
}

/// A set of posting indices as a bitmap: one document's counting postings are marked once,
/// then each partner's list is looked up bit by bit, which is cheaper than merging the two
/// lists again for every partner.
#[derive(Default)]
struct Marks(Vec<u64>);

impl Marks {
    /// Room for indices below `n`; all clear.
    fn fit(&mut self, n: usize) {
        if self.0.len() < n.div_ceil(64) {
            self.0.resize(n.div_ceil(64), 0);
        }
    }

    fn set(&mut self, indices: &[u32], on: bool) {
        for &i in indices {
            let (word, bit) = (i as usize / 64, 1u64 << (i % 64));
            if on {
                self.0[word] |= bit;
            } else {
                self.0[word] &= !bit;
            }
        }
    }

    /// How many of `indices` are marked.
    fn count(&self, indices: &[u32]) -> u32 {
        indices
            .iter()
            .map(|&i| (self.0[i as usize / 64] >> (i % 64)) as u32 & 1)
            .sum()
    }
}

/// Union of two sorted unique pair lists, sorted and unique: one merge of the two.
pub fn union(a: Vec<u64>, b: Vec<u64>) -> Vec<u64> {
    let mut out = Vec::with_capacity(a.len() + b.len());
    let (mut i, mut j) = (0, 0);
    while i < a.len() && j < b.len() {
        let (x, y) = (a[i], b[j]);
        out.push(x.min(y));
        i += (x <= y) as usize;
        j += (y <= x) as usize;
    }
    out.extend_from_slice(&a[i..]);
    out.extend_from_slice(&b[j..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sampler_keeps_the_multiples_of_the_rate() {
        let rates = (0..=300).chain([1 << 20, 3 << 20, 1_000_003, 1 << 31, u32::MAX - 1, u32::MAX]);
        for rate in rates {
            let sampler = Sampler::new(rate);
            let hashes: Vec<u32> = (0..20_000u32)
                .chain((0..20_000u32).map(|i| i.wrapping_mul(0x9e37_79b9)))
                .collect();
            for &h in &hashes {
                let x = fmix64(h as u64 ^ SAMPLE_SALT);
                assert_eq!(
                    sampler.keeps(h),
                    rate <= 1 || x.is_multiple_of(rate as u64),
                    "{rate} {h}"
                );
            }
            // Marking a document's hashes at once (vectorized where the CPU allows) and on
            // the portable path agrees with the test of each.
            let each: Vec<bool> = hashes.iter().map(|&h| sampler.keeps(h)).collect();
            let mut marks = vec![true; 5];
            sampler.mark(&hashes, &mut marks);
            assert_eq!(marks, each, "{rate}");
            sampler.mark_each(&hashes, &mut marks);
            assert_eq!(marks, each, "{rate}");
        }
    }

    /// Sorted index entries: each (entry, documents) becomes `entry << 32 | doc`.
    fn entries(postings: &[(u64, Vec<u32>)]) -> Vec<u64> {
        let mut e: Vec<u64> = postings
            .iter()
            .flat_map(|(h, docs)| docs.iter().map(move |&d| h << 32 | d as u64))
            .collect();
        e.sort_unstable();
        e
    }

    /// The pairs `shared_entries` returns when `accept` needs `need` shared entries.
    fn pairs_needing(e: &[u64], n: u32, cap: usize, need: u32) -> (Vec<u64>, SampleStats) {
        let mut stats = SampleStats::default();
        let pairs = shared_entries(e, n as usize, cap, 2, &mut stats, |_, c| c >= need);
        (pairs, stats)
    }

    #[test]
    fn union_merges_two_sorted_lists_into_one_without_repeats() {
        let evens: Vec<u64> = (0..50).map(|x| 2 * x).collect();
        let threes: Vec<u64> = (0..40).map(|x| 3 * x).collect();
        let mut expected: Vec<u64> = evens.iter().chain(&threes).copied().collect();
        expected.sort_unstable();
        expected.dedup();
        assert_eq!(union(evens.clone(), threes.clone()), expected);
        assert_eq!(union(threes, evens.clone()), expected);
        assert_eq!(union(evens.clone(), Vec::new()), evens);
        assert_eq!(union(Vec::new(), evens.clone()), evens);
    }

    #[test]
    fn common_entries_count_but_do_not_propose() {
        let n = PROPOSE_MAX as u32 + 10;
        let everyone: Vec<u32> = (0..n).collect();
        // Entries 1 and 2 are held by every document: too many to propose pairs.
        // Entries 3 and 4 are held by documents 0 and 1 only; entry 5 by 2 and 3 only.
        let e = entries(&[
            (1, everyone.clone()),
            (2, everyone),
            (3, vec![0, 1]),
            (4, vec![0, 1]),
            (5, vec![2, 3]),
        ]);
        // Every pair shares entries 1 and 2, but only 0 and 1 share two proposing entries;
        // they share four in all.
        assert_eq!(pairs_needing(&e, n, 500, 0).0, vec![pair_key(0, 1)]);
        assert_eq!(pairs_needing(&e, n, 500, 4).0, vec![pair_key(0, 1)]);
        assert_eq!(pairs_needing(&e, n, 500, 5).0, Vec::<u64>::new());
        assert_eq!(pairs_needing(&e, n, 500, 0).1.skipped_common, 0);
    }

    #[test]
    fn entries_over_the_cap_are_skipped_and_counted() {
        let e = entries(&[(1, (0..10).collect()), (2, vec![0, 1]), (3, vec![0, 1])]);
        let (pairs, stats) = pairs_needing(&e, 10, 5, 2);
        assert_eq!(pairs, vec![pair_key(0, 1)]);
        assert_eq!(stats.skipped_common, 1);
        // Entry 1 does not count for 0 and 1 either.
        assert_eq!(pairs_needing(&e, 10, 5, 3).0, Vec::<u64>::new());
    }

    #[test]
    fn identical_postings_are_walked_once_with_their_weight() {
        // Entries 1–3 list the same documents, entry 4 a different set.
        let e = entries(&[
            (1, vec![0, 1, 2]),
            (2, vec![0, 1, 2]),
            (3, vec![0, 1, 2]),
            (4, vec![0, 1]),
        ]);
        let runs: Vec<&[u64]> = e.chunk_by(|a, b| a >> 32 == b >> 32).collect();
        let (merged, weights) = merge_identical(runs.clone());
        assert_eq!(merged, vec![runs[0], runs[3]]);
        assert_eq!(weights, vec![3, 1]);
        // 0 and 1 share four entries, 0 and 2 three.
        assert_eq!(pairs_needing(&e, 3, 500, 4).0, vec![pair_key(0, 1)]);
        let all = vec![pair_key(0, 1), pair_key(0, 2), pair_key(1, 2)];
        assert_eq!(pairs_needing(&e, 3, 500, 3).0, all);
    }

    #[test]
    fn the_ratio_test_sees_the_common_entries() {
        // Documents 0 and 1 share 2 rare entries and 3 common ones, some of the common ones
        // held by documents the others are not in.
        let n = PROPOSE_MAX as u32 + 20;
        let postings: [(u64, Vec<u32>); 6] = [
            (1, (0..n).collect()),
            (2, (0..n - 5).collect()),
            (3, (0..2).chain(10..n).collect()),
            (4, (0..1).chain(2..n).collect()),
            (5, vec![0, 1]),
            (6, vec![0, 1]),
        ];
        let e = entries(&postings);
        assert_eq!(pairs_needing(&e, n, 500, 5).0, vec![pair_key(0, 1)]);
        assert_eq!(pairs_needing(&e, n, 500, 6).0, Vec::<u64>::new());
    }
}
