//! Token matching: which word of B is which word of A.
//!
//! A patience-style diff over the normalized token streams (Cohen's patience diff, as in
//! `similar` and git): word k-grams that occur exactly once in both ranges are anchors, the
//! longest increasing subsequence of the anchors (by position in A, taken in B order) is the
//! in-order backbone, and every gap between two backbone anchors is aligned the same way with
//! uniqueness recomputed inside the gap, then with shorter grams, and finally — when the gap
//! is small — exactly by an LCS table. Common prefixes and suffixes of each range are matched
//! first, which extends every anchor along its diagonal for free.
//!
//! Unique grams, not all shared grams, make the backbone: a phrase repeated in one text
//! ("the hospital said") cannot pull the alignment out of order, and a word substitution
//! breaks only the grams that contain it. The first pass is monotone; moved text shows up as
//! leftovers on both sides, so later passes align what is still unmatched and their matches
//! are flagged as moved.
//!
//! Cost: each recursion level sorts the grams of disjoint ranges (O(n log n) per level), the
//! depth is at most [`MAX_DEPTH`], an LCS table is built only for gaps of at most
//! [`DP_CELLS`] cells, and there are at most `passes` passes. The caller bounds `n` (see
//! `AlignParams::max_tokens`).

use crate::normalize::fmix64;

/// No partner.
pub const NONE: u32 = u32::MAX;
/// Gram length of the first anchors: long enough to be unique in an article, short enough
/// that a substitution every few words still leaves anchors.
const K_FIRST: usize = 3;
/// Gaps with at most this many cells (`len_a × len_b`), neither side longer than
/// [`DP_SIDE`], are aligned exactly. Kept small: word substitutions and OCR noise make short
/// gaps on both sides, while a gap holding unrelated text (a dropped paragraph where the copy
/// added its own, a truncation marker where the tail was cut) only yields chance matches of
/// common words.
const DP_CELLS: usize = 256;
const DP_SIDE: usize = 24;
/// Recursion depth limit (each level works on disjoint gaps of the level above).
const MAX_DEPTH: u32 = 12;
/// Matches found after the first pass (moved text) must come in runs of at least this many
/// tokens.
const MOVED_RUN: usize = 4;
/// Position tag of B entries in the gram table (positions stay below 2^31).
const SIDE_B: u32 = 1 << 31;

/// A token-level matching of two texts.
#[derive(Debug, Clone)]
pub struct TokenMatch {
    /// Per A token: its B partner or [`NONE`].
    pub a_to_b: Vec<u32>,
    /// Per B token: its A partner or [`NONE`].
    pub b_to_a: Vec<u32>,
    /// Per B token: matched by a later pass, out of the main order.
    pub moved: Vec<bool>,
}

impl TokenMatch {
    fn new(na: usize, nb: usize) -> Self {
        TokenMatch {
            a_to_b: vec![NONE; na],
            b_to_a: vec![NONE; nb],
            moved: vec![false; nb],
        }
    }

    fn link(&mut self, i: u32, j: u32, moved: bool) {
        self.a_to_b[i as usize] = j;
        self.b_to_a[j as usize] = i;
        self.moved[j as usize] = moved;
    }
}

/// Match the tokens of A and B. Only tokens with `ok_*` set take part (furniture is left
/// out). At most `passes` passes; matches of passes after the first are flagged moved.
pub fn match_tokens(
    ta: &[u32],
    tb: &[u32],
    ok_a: &[bool],
    ok_b: &[bool],
    passes: usize,
) -> TokenMatch {
    let mut m = TokenMatch::new(ta.len(), tb.len());
    let mut pairs = Vec::new();
    for pass in 0..passes {
        let ia: Vec<u32> = (0..ta.len() as u32)
            .filter(|&i| ok_a[i as usize] && m.a_to_b[i as usize] == NONE)
            .collect();
        let ib: Vec<u32> = (0..tb.len() as u32)
            .filter(|&j| ok_b[j as usize] && m.b_to_a[j as usize] == NONE)
            .collect();
        if ia.is_empty() || ib.is_empty() {
            break;
        }
        let sa: Vec<u32> = ia.iter().map(|&i| ta[i as usize]).collect();
        let sb: Vec<u32> = ib.iter().map(|&j| tb[j as usize]).collect();
        pairs.clear();
        diff(&sa, &sb, (0, 0), K_FIRST, 2, 0, &mut pairs);
        if pass > 0 {
            keep_runs(&mut pairs, MOVED_RUN);
        }
        if pairs.is_empty() {
            break;
        }
        for &(x, y) in &pairs {
            m.link(ia[x as usize], ib[y as usize], pass > 0);
        }
    }
    m
}

/// The fallback matching: whole paragraphs with equal token sequences, aligned by the same
/// patience diff over paragraph hashes; their tokens are matched one to one. `pa`/`pb` are
/// the token ranges of the paragraphs taking part and `ha`/`hb` their hashes.
pub fn match_paragraphs(
    na: usize,
    nb: usize,
    pa: &[(u32, u32)],
    pb: &[(u32, u32)],
    ha: &[u32],
    hb: &[u32],
) -> TokenMatch {
    let mut m = TokenMatch::new(na, nb);
    let mut pairs = Vec::new();
    diff(ha, hb, (0, 0), 1, 1, 0, &mut pairs);
    for (x, y) in pairs {
        let (ra, rb) = (pa[x as usize], pb[y as usize]);
        if ra.1 - ra.0 == rb.1 - rb.0 {
            for t in 0..ra.1 - ra.0 {
                m.link(ra.0 + t, rb.0 + t, false);
            }
        }
    }
    m
}

/// Keep only the pairs that lie in diagonal runs of at least `min` pairs.
fn keep_runs(pairs: &mut Vec<(u32, u32)>, min: usize) {
    let mut kept = Vec::with_capacity(pairs.len());
    for run in pairs.chunk_by(|p, q| q.0 == p.0 + 1 && q.1 == p.1 + 1) {
        if run.len() >= min {
            kept.extend_from_slice(run);
        }
    }
    *pairs = kept;
}

/// Align `a` with `b` (positions offset by `off`), appending matched pairs in increasing
/// order. Anchors are unique `k`-grams; without any, `k` shrinks down to `min_k`.
fn diff(
    a: &[u32],
    b: &[u32],
    off: (u32, u32),
    k: usize,
    min_k: usize,
    depth: u32,
    out: &mut Vec<(u32, u32)>,
) {
    let pre = a.iter().zip(b).take_while(|(x, y)| x == y).count();
    out.extend((0..pre as u32).map(|t| (off.0 + t, off.1 + t)));
    let (a, b) = (&a[pre..], &b[pre..]);
    let off = (off.0 + pre as u32, off.1 + pre as u32);
    let suf = a
        .iter()
        .rev()
        .zip(b.iter().rev())
        .take_while(|(x, y)| x == y)
        .count();
    let (ma, mb) = (&a[..a.len() - suf], &b[..b.len() - suf]);
    if !ma.is_empty() && !mb.is_empty() {
        if ma.len() * mb.len() <= DP_CELLS && ma.len().max(mb.len()) <= DP_SIDE {
            lcs(ma, mb, off, out);
        } else if depth < MAX_DEPTH {
            let chain = anchors(ma, mb, k);
            if !chain.is_empty() {
                let (mut ca, mut cb) = (0usize, 0usize);
                for (x, y) in chain {
                    let (x, y) = (x as usize, y as usize);
                    if x < ca || y < cb {
                        continue; // overlaps the previous gram; the next gap's prefix extends it
                    }
                    let gap_off = (off.0 + ca as u32, off.1 + cb as u32);
                    diff(&ma[ca..x], &mb[cb..y], gap_off, k, min_k, depth + 1, out);
                    out.extend((0..k as u32).map(|t| (off.0 + x as u32 + t, off.1 + y as u32 + t)));
                    ca = x + k;
                    cb = y + k;
                }
                let gap_off = (off.0 + ca as u32, off.1 + cb as u32);
                diff(&ma[ca..], &mb[cb..], gap_off, k, min_k, depth + 1, out);
            } else if k > min_k {
                diff(ma, mb, off, k - 1, min_k, depth + 1, out);
            }
        }
    }
    let (la, lb) = (off.0 + ma.len() as u32, off.1 + mb.len() as u32);
    out.extend((0..suf as u32).map(|t| (la + t, lb + t)));
}

/// Hash of a gram.
fn gram(tokens: &[u32]) -> u64 {
    let mut h = tokens.len() as u64;
    for &t in tokens {
        h = (h ^ t as u64)
            .wrapping_mul(0x9e37_79b9_7f4a_7c15)
            .rotate_left(29);
    }
    fmix64(h)
}

/// The in-order backbone: grams unique in both `a` and `b`, as (pos in a, pos in b), the
/// longest chain increasing in both.
fn anchors(a: &[u32], b: &[u32], k: usize) -> Vec<(u32, u32)> {
    if a.len() < k || b.len() < k {
        return Vec::new();
    }
    let mut keys: Vec<(u64, u32)> = Vec::with_capacity(a.len() + b.len());
    keys.extend(a.windows(k).enumerate().map(|(i, w)| (gram(w), i as u32)));
    keys.extend(
        b.windows(k)
            .enumerate()
            .map(|(j, w)| (gram(w), j as u32 | SIDE_B)),
    );
    keys.sort_unstable();
    // In a run of equal grams the A entries sort first (B positions carry the top bit).
    let mut pairs: Vec<(u32, u32)> = keys
        .chunk_by(|x, y| x.0 == y.0)
        .filter(|run| run.len() == 2 && run[0].1 & SIDE_B == 0 && run[1].1 & SIDE_B != 0)
        .map(|run| (run[0].1, run[1].1 & !SIDE_B))
        .collect();
    pairs.sort_unstable_by_key(|p| p.1);
    longest_increasing(&pairs)
}

/// Longest subsequence of `pairs` (sorted by `.1`) whose `.0` strictly increases.
fn longest_increasing(pairs: &[(u32, u32)]) -> Vec<(u32, u32)> {
    let mut tails: Vec<usize> = Vec::new(); // index of the smallest tail of each length
    let mut prev = vec![usize::MAX; pairs.len()];
    for (n, p) in pairs.iter().enumerate() {
        let len = tails.partition_point(|&t| pairs[t].0 < p.0);
        if len > 0 {
            prev[n] = tails[len - 1];
        }
        if len == tails.len() {
            tails.push(n);
        } else {
            tails[len] = n;
        }
    }
    let mut chain = Vec::with_capacity(tails.len());
    let mut at = tails.last().copied().unwrap_or(usize::MAX);
    while at != usize::MAX {
        chain.push(pairs[at]);
        at = prev[at];
    }
    chain.reverse();
    chain
}

/// Exact longest common subsequence of two short ranges.
fn lcs(a: &[u32], b: &[u32], off: (u32, u32), out: &mut Vec<(u32, u32)>) {
    let (n, m) = (a.len(), b.len());
    let w = m + 1;
    let mut t = vec![0u16; (n + 1) * w];
    for i in (0..n).rev() {
        for j in (0..m).rev() {
            t[i * w + j] = if a[i] == b[j] {
                t[(i + 1) * w + j + 1] + 1
            } else {
                t[(i + 1) * w + j].max(t[i * w + j + 1])
            };
        }
    }
    let (mut i, mut j) = (0, 0);
    while i < n && j < m {
        if a[i] == b[j] {
            out.push((off.0 + i as u32, off.1 + j as u32));
            i += 1;
            j += 1;
        } else if t[(i + 1) * w + j] >= t[i * w + j + 1] {
            i += 1;
        } else {
            j += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all(n: usize) -> Vec<bool> {
        vec![true; n]
    }

    fn matched(a: &[u32], b: &[u32]) -> Vec<(u32, u32)> {
        let m = match_tokens(a, b, &all(a.len()), &all(b.len()), 3);
        (0..b.len() as u32)
            .filter(|&j| m.b_to_a[j as usize] != NONE)
            .map(|j| (m.b_to_a[j as usize], j))
            .collect()
    }

    #[test]
    fn substitution_leaves_the_rest_matched() {
        let a: Vec<u32> = (1..=40).collect();
        let mut b = a.clone();
        b[20] = 999;
        let pairs = matched(&a, &b);
        assert_eq!(pairs.len(), 39);
        assert!(pairs.iter().all(|&(i, j)| i == j && i != 20));
    }

    #[test]
    fn moved_block_is_matched_in_a_later_pass() {
        let a: Vec<u32> = (1..=60).collect();
        // Move tokens 40..50 to the front.
        let mut b: Vec<u32> = a[40..50].to_vec();
        b.extend_from_slice(&a[..40]);
        b.extend_from_slice(&a[50..]);
        let m = match_tokens(&a, &b, &all(60), &all(60), 3);
        assert!(m.b_to_a.iter().all(|&i| i != NONE));
        assert!(m.moved[..10].iter().all(|&x| x));
        assert!(m.moved[10..].iter().all(|&x| !x));
        assert_eq!(m.b_to_a[0], 40);
    }

    #[test]
    fn repeated_text_still_aligns_by_prefix_and_suffix() {
        let a = vec![7u32; 500];
        let b = vec![7u32; 500];
        assert_eq!(matched(&a, &b).len(), 500);
    }

    #[test]
    fn excluded_tokens_are_never_matched() {
        let a: Vec<u32> = (1..=20).collect();
        let mut ok = all(20);
        ok[5] = false;
        let m = match_tokens(&a, &a, &ok, &all(20), 3);
        assert_eq!(m.a_to_b[5], NONE);
        assert_eq!(m.a_to_b.iter().filter(|&&j| j != NONE).count(), 19);
    }

    #[test]
    fn lis_is_increasing_and_longest() {
        let pairs = [(5, 0), (1, 1), (2, 2), (9, 3), (3, 4), (4, 5)];
        assert_eq!(
            longest_increasing(&pairs),
            vec![(1, 1), (2, 2), (3, 4), (4, 5)]
        );
    }
}
