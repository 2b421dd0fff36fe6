//! Shingles and MinHash signatures.
//!
//! Shingles are word k-grams of the body token stream (boilerplate lines removed), hashed to
//! 64 bits. A text shorter than k words still gets one shingle (all its words), so briefs can
//! match.
//!
//! Signatures use one-permutation hashing (OPH, Li, Owen & Zhang 2012): each shingle hash
//! picks one of K bins with its high bits and competes for that bin's minimum with its low
//! bits, so a document costs O(shingles + K) instead of the O(shingles × K) of K independent
//! hash functions (Broder 1997). Bins that stay empty (short documents) are filled by optimal
//! densification (Shrivastava 2017): bin i borrows the value of the first non-empty bin on a
//! probe sequence that depends only on (seed, i, attempt), so two documents with the same
//! shingle set fill their empty bins identically and the collision probability of every bin
//! stays the Jaccard similarity. [`minhash_reference`] is the textbook K-hash version kept to
//! test the fast path against.

use crate::normalize::fmix64;

/// Multipliers for combining k token hashes into a shingle hash (distinct odd constants).
const SHINGLE_MUL: [u64; 8] = [
    0x9e37_79b9_7f4a_7c15,
    0xc2b2_ae3d_27d4_eb4f,
    0x1656_67b1_9e37_79f9,
    0x85eb_ca77_c2b2_ae63,
    0x27d4_eb2f_1656_67c5,
    0xff51_afd7_ed55_8ccd,
    0xc4ce_b9fe_1a85_ec53,
    0x94d0_49bb_1331_11eb,
];

/// Maximum shingle length in words.
pub const MAX_NGRAM: usize = SHINGLE_MUL.len();

/// Replace `out` with the hash of every k-gram of `tokens`, in order (`out[p]`: the k-gram
/// starting at token p). `k` is in `1..=MAX_NGRAM`; a text shorter than k words gets one
/// shingle of all its words.
///
/// A shingle's hash is `fmix64(seed ^ k + Σ_j (tokens[p + j] ^ C) · M_j)`. The sum is
/// taken one term j at a time over all positions (wrapping addition does not care about the
/// order), so each step is a loop over two arrays that the compiler vectorizes: with
/// AVX-512DQ, eight 64-bit products per instruction, where one shingle at a time took a
/// chain of five multiplications and the finalizer's two per shingle.
pub fn shingle_hashes(tokens: &[u32], k: usize, seed: u64, out: &mut Vec<u64>) {
    debug_assert!((1..=MAX_NGRAM).contains(&k));
    if tokens.is_empty() {
        out.clear();
        return;
    }
    let k = k.min(tokens.len());
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx512dq") {
        // SAFETY: the CPU has AVX-512F and AVX-512DQ.
        return unsafe { shingle_hashes_avx512(tokens, k, seed, out) };
    }
    sum_terms(tokens, k, seed, out);
}

/// [`shingle_hashes`] compiled with AVX-512DQ (64-bit vector multiplication).
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx512dq")]
fn shingle_hashes_avx512(tokens: &[u32], k: usize, seed: u64, out: &mut Vec<u64>) {
    sum_terms(tokens, k, seed, out)
}

/// The body of [`shingle_hashes`] for `1 <= k <= tokens.len()`, inlined into each
/// instruction set's version.
#[inline(always)]
fn sum_terms(tokens: &[u32], k: usize, seed: u64, out: &mut Vec<u64>) {
    let n = tokens.len() + 1 - k;
    out.clear();
    out.resize(n, seed ^ k as u64);
    for (j, m) in SHINGLE_MUL.iter().enumerate().take(k) {
        for (h, &t) in out.iter_mut().zip(&tokens[j..j + n]) {
            *h = h.wrapping_add((t as u64 ^ 0x5bd1_e995).wrapping_mul(*m));
        }
    }
    for h in out.iter_mut() {
        *h = fmix64(*h);
    }
}

/// Bin of a shingle hash among `k` bins (Lemire's multiply-shift range reduction on the high
/// 32 bits) and the value it competes with (the low 32 bits).
#[inline]
fn bin_and_value(h: u64, k: usize) -> (usize, u32) {
    ((((h >> 32) * k as u64) >> 32) as usize, h as u32)
}

/// One-permutation MinHash with optimal densification into `sig` (`sig.len()` = K).
/// Returns false (and leaves `sig` all `u32::MAX`) when there are no shingles.
pub fn minhash_oph(hashes: impl IntoIterator<Item = u64>, seed: u64, sig: &mut [u32]) -> bool {
    let k = sig.len();
    sig.fill(u32::MAX);
    let mut filled = vec![false; k];
    let mut any = false;
    for h in hashes {
        let (b, v) = bin_and_value(h, k);
        if v <= sig[b] {
            sig[b] = v;
            filled[b] = true;
        }
        any = true;
    }
    if !any {
        return false;
    }
    for i in 0..k {
        if filled[i] {
            continue;
        }
        let mut attempt = 1u64;
        loop {
            let probe = fmix64(seed ^ ((i as u64) << 32) ^ attempt);
            let j = (((probe >> 32) * k as u64) >> 32) as usize;
            if filled[j] {
                sig[i] = sig[j];
                break;
            }
            attempt += 1;
        }
    }
    true
}

/// Textbook MinHash: K independent hash functions, each the minimum over all shingles.
/// O(shingles × K); the reference the OPH signature is tested against.
pub fn minhash_reference(hashes: &[u64], seed: u64, sig: &mut [u32]) {
    for (i, slot) in sig.iter_mut().enumerate() {
        let s = fmix64(seed ^ (i as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15));
        *slot = hashes
            .iter()
            .map(|&h| fmix64(h ^ s) as u32)
            .min()
            .unwrap_or(u32::MAX);
    }
}

/// Fraction of equal slots: the MinHash estimate of Jaccard similarity.
pub fn estimate_jaccard(a: &[u32], b: &[u32]) -> f64 {
    let eq = a.iter().zip(b).filter(|(x, y)| x == y).count();
    eq as f64 / a.len().max(1) as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Two sets of `n` hashes with exactly `shared` in common.
    fn sets(n: u64, shared: u64, salt: u64) -> (Vec<u64>, Vec<u64>) {
        let a: Vec<u64> = (0..n).map(|i| fmix64(i ^ salt << 40)).collect();
        let mut b: Vec<u64> = a[..shared as usize].to_vec();
        b.extend((0..n - shared).map(|i| fmix64((i + 1_000_000) ^ salt << 40)));
        (a, b)
    }

    /// The shingle hash written out one shingle at a time.
    fn one_by_one(tokens: &[u32], k: usize, seed: u64) -> Vec<u64> {
        let k = k.min(tokens.len());
        (tokens.windows(k.max(1)))
            .map(|w| {
                let terms = w.iter().zip(SHINGLE_MUL);
                fmix64(terms.fold(seed ^ k as u64, |h, (&t, m)| {
                    h.wrapping_add((t as u64 ^ 0x5bd1_e995).wrapping_mul(m))
                }))
            })
            .collect()
    }

    #[test]
    fn shingles_cover_short_texts() {
        let mut out = Vec::new();
        shingle_hashes(&[1, 2, 3], 5, 0, &mut out);
        assert_eq!(out.len(), 1);
        shingle_hashes(&[1, 2, 3, 4, 5, 6], 5, 0, &mut out);
        assert_eq!(out.len(), 2);
        shingle_hashes(&[], 5, 0, &mut out);
        assert!(out.is_empty(), "no shingle for no words");
    }

    #[test]
    fn shingles_depend_on_order() {
        let (mut a, mut b) = (vec![], vec![]);
        shingle_hashes(&[1, 2, 3, 4, 5], 5, 0, &mut a);
        shingle_hashes(&[2, 1, 3, 4, 5], 5, 0, &mut b);
        assert_ne!(a, b);
    }

    #[test]
    fn shingle_hashes_are_the_one_at_a_time_hashes() {
        // Every k, texts shorter and longer than k and than a vector of eight, on the
        // vector path where the CPU has one and on the portable one.
        let tokens: Vec<u32> = (0..100u64).map(|i| fmix64(i) as u32).collect();
        for k in 1..=MAX_NGRAM {
            for len in [1, 2, k, k + 1, 7, 8, 9, 17, 100] {
                let t = &tokens[..len];
                let expected = one_by_one(t, k, 42);
                let mut out = vec![7; 3];
                shingle_hashes(t, k, 42, &mut out);
                assert_eq!(out, expected, "k {k}, {len} tokens");
                sum_terms(t, k.min(len), 42, &mut out);
                assert_eq!(out, expected, "portable, k {k}, {len} tokens");
            }
        }
    }

    /// OPH with densification estimates Jaccard as well as the K-hash reference: over many
    /// set pairs the mean error of both is near zero and their spread is comparable.
    #[test]
    fn oph_estimates_jaccard_like_the_reference() {
        let k = 128;
        for &(n, shared) in &[(400u64, 300u64), (400, 100), (60, 20), (10, 5)] {
            let inter = shared as f64;
            let truth = inter / (2.0 * n as f64 - inter);
            let (mut err_oph, mut err_ref, mut sq_oph, mut sq_ref) = (0.0, 0.0, 0.0, 0.0);
            let trials = 200;
            for t in 0..trials {
                let (a, b) = sets(n, shared, t);
                let (mut sa, mut sb) = (vec![0u32; k], vec![0u32; k]);
                minhash_oph(a.iter().copied(), 7, &mut sa);
                minhash_oph(b.iter().copied(), 7, &mut sb);
                let e = estimate_jaccard(&sa, &sb) - truth;
                err_oph += e;
                sq_oph += e * e;
                minhash_reference(&a, 7, &mut sa);
                minhash_reference(&b, 7, &mut sb);
                let e = estimate_jaccard(&sa, &sb) - truth;
                err_ref += e;
                sq_ref += e * e;
            }
            let (bias_oph, bias_ref) = (err_oph / trials as f64, err_ref / trials as f64);
            let (rmse_oph, rmse_ref) = (
                (sq_oph / trials as f64).sqrt(),
                (sq_ref / trials as f64).sqrt(),
            );
            assert!(bias_oph.abs() < 0.02, "n={n} bias {bias_oph}");
            assert!(bias_ref.abs() < 0.02, "n={n} bias {bias_ref}");
            assert!(
                rmse_oph < rmse_ref * 1.3 + 0.01,
                "n={n} rmse oph {rmse_oph} ref {rmse_ref}"
            );
        }
    }

    #[test]
    fn identical_sets_give_identical_signatures() {
        let (a, _) = sets(7, 7, 3);
        let mut s1 = vec![0u32; 64];
        let mut s2 = vec![0u32; 64];
        assert!(minhash_oph(a.iter().copied(), 1, &mut s1));
        assert!(minhash_oph(a.iter().rev().copied(), 1, &mut s2));
        assert_eq!(s1, s2);
        assert!(!minhash_oph(std::iter::empty(), 1, &mut s1));
    }
}
