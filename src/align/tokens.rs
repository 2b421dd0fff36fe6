//! Token matching: which word of B is which word of A.
//!
//! The first pass is in order. Whole paragraphs come first: a paragraph whose word sequence
//! occurs once in each text is matched whole, in the order of the longest increasing chain
//! of such paragraphs — most paragraphs of a copy are unchanged, and this costs a hash per
//! paragraph. The gaps between matched paragraphs (edited, merged, split, added, dropped
//! text) are then aligned word by word by a patience-style diff (Cohen's patience diff, as
//! in `similar` and git): word k-grams that occur exactly once in both ranges are anchors,
//! the longest increasing subsequence of the anchors (by position in A, taken in B order) is
//! the backbone, and every gap between two backbone anchors is aligned the same way with
//! uniqueness recomputed inside the gap, then with shorter grams, and finally — when the gap
//! is small — exactly by an LCS table. Common prefixes and suffixes of each range are matched
//! first, which extends every anchor along its diagonal for free.
//!
//! Unique grams, not all shared grams, make the backbone: a phrase repeated in one text
//! ("the hospital said") cannot pull the alignment out of order, and a word substitution
//! breaks only the grams that contain it. Moved text shows up as leftovers on both sides, so
//! later passes align what is still unmatched, by trigram anchors only, and their matches are
//! flagged as moved.
//!
//! Cost: each recursion level counts the grams of disjoint ranges in a hash table and takes
//! the longest increasing subsequence of the unique ones (O(n log n) per level), the
//! depth is at most [`MAX_DEPTH`], an LCS table is built only for gaps of at most
//! [`DP_CELLS`] cells, and there are at most `passes` passes. The caller bounds `n` (see
//! `AlignParams::max_tokens`); beyond it, only the whole-paragraph step runs.

use crate::normalize::line_hash;
use std::cell::RefCell;

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
/// Shorter grams than trigrams are tried only in gaps of at most this many words a side:
/// between trigram anchors (OCR noise, dense edits). In a longer gap without a shared
/// trigram a shared word pair is chance.
const SHORT_GAP: usize = 64;
/// Recursion depth limit (each level works on disjoint gaps of the level above).
const MAX_DEPTH: u32 = 12;
/// Matches found after the first pass (moved text) must come in runs of at least this many
/// tokens.
const MOVED_RUN: usize = 4;

/// A token-level matching of two texts.
#[derive(Debug, Clone, Default)]
pub struct TokenMatch {
    /// Per A token: its B partner or [`NONE`].
    pub a_to_b: Vec<u32>,
    /// Per B token: its A partner or [`NONE`].
    pub b_to_a: Vec<u32>,
    /// Per B token: matched by a later pass, out of the main order.
    pub moved: Vec<bool>,
}

impl TokenMatch {
    /// Make this the empty matching of `na` and `nb` tokens, keeping the buffers.
    fn reset(&mut self, na: usize, nb: usize) {
        for (v, n) in [(&mut self.a_to_b, na), (&mut self.b_to_a, nb)] {
            v.clear();
            v.resize(n, NONE);
        }
        self.moved.clear();
        self.moved.resize(nb, false);
    }

    /// Link the equally long token ranges `a` and `b` word for word, in order (not moved:
    /// the flags are still those of `reset`).
    fn link_range(&mut self, a: std::ops::Range<usize>, b: std::ops::Range<usize>) {
        let fill = |v: &mut [u32], from: usize| {
            for (t, x) in v.iter_mut().enumerate() {
                *x = (from + t) as u32;
            }
        };
        fill(&mut self.a_to_b[a.clone()], b.start);
        fill(&mut self.b_to_a[b], a.start);
    }

    fn link(&mut self, i: u32, j: u32, moved: bool) {
        self.a_to_b[i as usize] = j;
        self.b_to_a[j as usize] = i;
        self.moved[j as usize] = moved;
    }
}

/// One text as the matcher sees it, prepared once per text (a canonical is matched with
/// each of its copies).
#[derive(Debug, Clone, Default)]
pub struct Side {
    n_tokens: usize,
    /// Positions of the tokens taking part in matching (furniture does not), ascending, and
    /// those tokens: the ranges the first pass aligns are slices of these.
    open_pos: Vec<u32>,
    open_tok: Vec<u32>,
    /// Per paragraph: how many of its tokens take part.
    sizes: Vec<u32>,
    /// Paragraphs that can be matched whole (words, none excluded): token range and where
    /// its tokens start in `open_pos`; and their hashes.
    whole: Vec<((u32, u32), u32)>,
    whole_hashes: Vec<u32>,
}

impl Side {
    /// Make this the side of `tokens`, of which the token ranges `open` (ascending, each
    /// inside one paragraph) take part in matching, with the token range of every paragraph
    /// and, where known, `line_hash` of its tokens; the buffers are kept.
    pub fn fill(
        &mut self,
        tokens: &[u32],
        open: impl Iterator<Item = (u32, u32)>,
        paragraphs: impl ExactSizeIterator<Item = ((u32, u32), Option<u64>)>,
    ) {
        let n = paragraphs.len();
        let side = self;
        side.n_tokens = tokens.len();
        for v in [&mut side.open_pos, &mut side.open_tok] {
            v.clear();
            v.reserve(tokens.len());
        }
        for v in [&mut side.sizes, &mut side.whole_hashes] {
            v.clear();
            v.reserve(n);
        }
        side.whole.clear();
        side.whole.reserve(n);
        let mut open = open.peekable();
        for (r, hash) in paragraphs {
            let at = side.open_pos.len();
            while let Some((start, end)) = open.next_if(|o| o.0 < r.1) {
                side.open_pos.extend(start..end);
                side.open_tok
                    .extend_from_slice(&tokens[start as usize..end as usize]);
            }
            let size = (side.open_pos.len() - at) as u32;
            side.sizes.push(size);
            if size > 0 && size == r.1 - r.0 {
                let h = hash.unwrap_or_else(|| line_hash(&tokens[r.0 as usize..r.1 as usize]));
                side.whole.push((r, at as u32));
                side.whole_hashes.push((h ^ (h >> 32)) as u32);
            }
        }
    }

    /// Per paragraph: how many of its tokens take part in matching.
    pub fn sizes(&self) -> &[u32] {
        &self.sizes
    }

    /// Tokens of whole paragraph `w`.
    fn whole_tokens(&self, w: usize) -> &[u32] {
        let ((start, end), at) = self.whole[w];
        &self.open_tok[at as usize..(at + end - start) as usize]
    }

    /// Positions in `open_pos` of the tokens after whole paragraph `w` (`None`: from the start).
    fn after(&self, w: Option<usize>) -> usize {
        w.map_or(0, |w| {
            let ((start, end), at) = self.whole[w];
            (at + end - start) as usize
        })
    }

    /// Positions in `open_pos` of the tokens before whole paragraph `w` (`None`: to the end).
    fn before(&self, w: Option<usize>) -> usize {
        w.map_or(self.open_pos.len(), |w| self.whole[w].1 as usize)
    }
}

/// Match the tokens of A and B (see the module docs) and return `f` of the matching. With
/// `words` false only whole paragraphs are matched (the budget fallback). At most `passes`
/// passes; matches of passes after the first are flagged moved.
pub fn match_tokens<R>(
    a: &Side,
    b: &Side,
    passes: usize,
    words: bool,
    f: impl FnOnce(&TokenMatch) -> R,
) -> R {
    DIFFER.with_borrow_mut(|d| {
        match_with(a, b, passes, words, d);
        f(&d.m)
    })
}

thread_local! {
    /// This thread's diff buffers and matching, kept from one pair to the next: a scan aligns
    /// thousands of pairs, and growing the buffers (the gram table above all) anew for each
    /// cost more than the diffs of most pairs. They keep the size of the largest pair seen.
    static DIFFER: RefCell<Differ> = RefCell::new(Differ::default());
}

/// [`match_tokens`] with the buffers `d`, into `d.m`.
fn match_with(a: &Side, b: &Side, passes: usize, words: bool, d: &mut Differ) {
    // The matching is filled while `d` diffs; it goes back into `d` at the end.
    let mut m = std::mem::take(&mut d.m);
    m.reset(a.n_tokens, b.n_tokens);
    match_into(a, b, passes, words, d, &mut m);
    d.m = m;
}

fn match_into(a: &Side, b: &Side, passes: usize, words: bool, d: &mut Differ, m: &mut TokenMatch) {
    // Whole paragraphs.
    d.min_k = 1;
    d.out.clear();
    d.diff(&a.whole_hashes, &b.whole_hashes, (0, 0), 1, 0);
    let whole: Vec<(usize, usize)> = d
        .out
        .iter()
        .map(|&(x, y)| (x as usize, y as usize))
        .filter(|&(x, y)| a.whole_tokens(x) == b.whole_tokens(y))
        .collect();
    for &(x, y) in &whole {
        let (ra, rb) = (a.whole[x].0, b.whole[y].0);
        m.link_range(ra.0 as usize..ra.1 as usize, rb.0 as usize..rb.1 as usize);
    }
    if !words {
        return;
    }
    // Word by word in the gaps between them (nothing in a gap is matched yet, so its open
    // tokens are a slice); what stays unmatched is collected for the later passes.
    // At most every open token is left over: reserve once rather than grow token by token
    // (the lists are the Differ's, taken out while it diffs and put back at the end).
    let left = |x: &Side, v: &mut (Vec<u32>, Vec<u32>)| {
        let n = x.open_pos.len();
        for v in [&mut v.0, &mut v.1] {
            v.clear();
            v.reserve(n);
        }
    };
    let (mut left_a, mut left_b) = (std::mem::take(&mut d.left_a), std::mem::take(&mut d.left_b));
    left(a, &mut left_a);
    left(b, &mut left_b);
    d.min_k = 2;
    let mut from: Option<(usize, usize)> = None;
    for k in 0..=whole.len() {
        let to = whole.get(k).copied();
        let ga = a.after(from.map(|w| w.0))..a.before(to.map(|w| w.0));
        let gb = b.after(from.map(|w| w.1))..b.before(to.map(|w| w.1));
        let (ia, sa) = (&a.open_pos[ga.clone()], &a.open_tok[ga]);
        let (ib, sb) = (&b.open_pos[gb.clone()], &b.open_tok[gb]);
        if !sa.is_empty() && !sb.is_empty() {
            d.out.clear();
            d.diff(sa, sb, (0, 0), K_FIRST, 0);
            for &(x, y) in &d.out {
                m.link(ia[x as usize], ib[y as usize], false);
            }
        }
        keep_open(ia, sa, &m.a_to_b, &mut left_a);
        keep_open(ib, sb, &m.b_to_a, &mut left_b);
        from = to;
    }
    // Moved text, sought with whole trigrams only: it must come in runs anyway.
    d.min_k = K_FIRST;
    let ((ia, sa), (ib, sb)) = (&mut left_a, &mut left_b);
    for pass in 1..passes {
        if pass > 1 {
            retain_open(ia, sa, &m.a_to_b);
            retain_open(ib, sb, &m.b_to_a);
        }
        if sa.len() < MOVED_RUN || sb.len() < MOVED_RUN {
            break;
        }
        d.out.clear();
        d.diff(sa, sb, (0, 0), K_FIRST, 0);
        keep_runs(&mut d.out, MOVED_RUN);
        if d.out.is_empty() {
            break;
        }
        for &(x, y) in &d.out {
            m.link(ia[x as usize], ib[y as usize], true);
        }
    }
    (d.left_a, d.left_b) = (left_a, left_b);
}

/// Append the still unmatched entries of `idx`/`seq` to `out`.
fn keep_open(idx: &[u32], seq: &[u32], partner: &[u32], out: &mut (Vec<u32>, Vec<u32>)) {
    for (&i, &t) in idx.iter().zip(seq) {
        if partner[i as usize] == NONE {
            out.0.push(i);
            out.1.push(t);
        }
    }
}

/// Drop the entries of `idx`/`seq` matched since.
fn retain_open(idx: &mut Vec<u32>, seq: &mut Vec<u32>, partner: &[u32]) {
    let mut n = 0;
    for k in 0..idx.len() {
        if partner[idx[k] as usize] == NONE {
            (idx[n], seq[n]) = (idx[k], seq[k]);
            n += 1;
        }
    }
    idx.truncate(n);
    seq.truncate(n);
}

/// Keep only the pairs that lie in diagonal runs of at least `min` pairs.
fn keep_runs(pairs: &mut Vec<(u32, u32)>, min: usize) {
    let (mut kept, mut start) = (0, 0);
    while start < pairs.len() {
        let mut end = start + 1;
        while end < pairs.len() && pairs[end] == (pairs[end - 1].0 + 1, pairs[end - 1].1 + 1) {
            end += 1;
        }
        if end - start >= min {
            pairs.copy_within(start..end, kept);
            kept += end - start;
        }
        start = end;
    }
    pairs.truncate(kept);
}

/// Hash of a gram of `K` tokens. Tokens are already hashes, so one multiply per token mixes
/// enough; the table indexes by the high bits. The length is a constant so that the loop
/// unrolls: every token of a range is hashed `K` times.
fn gram<const K: usize>(tokens: &[u32; K]) -> u64 {
    tokens.iter().fold(K as u64, |h, &t| {
        (h.rotate_left(32) ^ t as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15)
    })
}

/// The hashes of the `K`-grams of `tokens`, in order.
fn grams<const K: usize>(tokens: &[u32]) -> impl Iterator<Item = u64> + '_ {
    (tokens.windows(K)).map(|w| gram::<K>(w.try_into().expect("K tokens")))
}

/// A gram in the counting table of [`Differ::anchors`]; in use when its `epoch` is the
/// current call's.
#[derive(Debug, Default, Clone, Copy)]
struct GramSlot {
    hash: u64,
    /// Position of its first occurrence in A.
    pos_a: u32,
    count_a: u16,
    count_b: u16,
    epoch: u32,
}

/// One diff and the buffers its recursion shares.
#[derive(Default)]
struct Differ {
    /// Matched pairs, in increasing order.
    out: Vec<(u32, u32)>,
    /// Shortest gram length tried when no longer gram anchors a range.
    min_k: usize,
    table_grams: Vec<GramSlot>,
    epoch: u32,
    /// Per gram of B, its slot in `table_grams`.
    b_slots: Vec<u32>,
    candidates: Vec<(u32, u32)>,
    /// Per chain length, the candidate ending the best chain so far, and its position in A.
    tails: Vec<usize>,
    tail_pos: Vec<u32>,
    prev: Vec<usize>,
    /// The backbones of the ranges being aligned, innermost last.
    chains: Vec<(u32, u32)>,
    table: Vec<u16>,
    /// The open tokens left unmatched by the first pass (positions, tokens) per side.
    left_a: (Vec<u32>, Vec<u32>),
    left_b: (Vec<u32>, Vec<u32>),
    /// The matching being made, and the last one made.
    m: TokenMatch,
}

impl Differ {
    /// Align `a` with `b` (positions offset by `off`), appending matched pairs in increasing
    /// order. Anchors are unique `k`-grams; without any, `k` shrinks down to `min_k`.
    fn diff(&mut self, a: &[u32], b: &[u32], off: (u32, u32), k: usize, depth: u32) {
        if a.is_empty() || b.is_empty() {
            return;
        }
        let pre = a.iter().zip(b).take_while(|(x, y)| x == y).count();
        self.out
            .extend((0..pre as u32).map(|t| (off.0 + t, off.1 + t)));
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
                self.lcs(ma, mb, off);
            } else if depth < MAX_DEPTH {
                let start = self.chains.len();
                match k {
                    1 => self.anchors::<1>(ma, mb),
                    2 => self.anchors::<2>(ma, mb),
                    K_FIRST => self.anchors::<K_FIRST>(ma, mb),
                    _ => unreachable!("grams have 1 to K_FIRST tokens"),
                }
                let end = self.chains.len();
                if start < end {
                    let (mut ca, mut cb) = (0usize, 0usize);
                    for n in start..end {
                        let (x, y) = self.chains[n];
                        let (x, y) = (x as usize, y as usize);
                        if x < ca || y < cb {
                            continue; // overlaps the previous gram; the next gap's prefix extends it
                        }
                        let gap_off = (off.0 + ca as u32, off.1 + cb as u32);
                        self.diff(&ma[ca..x], &mb[cb..y], gap_off, k, depth + 1);
                        let at = (off.0 + x as u32, off.1 + y as u32);
                        self.out.extend((0..k as u32).map(|t| (at.0 + t, at.1 + t)));
                        ca = x + k;
                        cb = y + k;
                    }
                    self.chains.truncate(start);
                    let gap_off = (off.0 + ca as u32, off.1 + cb as u32);
                    self.diff(&ma[ca..], &mb[cb..], gap_off, k, depth + 1);
                } else if k > self.min_k && (k > 2 || ma.len().max(mb.len()) <= SHORT_GAP) {
                    self.diff(ma, mb, off, k - 1, depth + 1);
                }
            }
        }
        let (la, lb) = (off.0 + ma.len() as u32, off.1 + mb.len() as u32);
        self.out.extend((0..suf as u32).map(|t| (la + t, lb + t)));
    }

    /// Push the in-order backbone of `a` and `b` on `chains`: grams unique in both, as (pos
    /// in a, pos in b), the longest chain increasing in both. Grams are counted in an
    /// open-addressing table sized for the range (linear, no sort); candidates come out in
    /// B order.
    fn anchors<const K: usize>(&mut self, a: &[u32], b: &[u32]) {
        if a.len() < K || b.len() < K {
            return;
        }
        // At most half full. Slots of earlier calls are stale by their epoch, so the table is
        // never cleared, only grown.
        let cap = (2 * (a.len() + b.len())).next_power_of_two();
        let (mask, shift) = (cap - 1, 64 - cap.trailing_zeros());
        if self.table_grams.len() < cap {
            self.table_grams.resize(cap, GramSlot::default());
        }
        self.epoch = self.epoch.wrapping_add(1);
        if self.epoch == 0 {
            self.table_grams.fill(GramSlot::default());
            self.epoch = 1;
        }
        let (table, epoch) = (&mut self.table_grams, self.epoch);
        // The slot of gram hash `h`: its own, or the free one where it goes.
        let find = |table: &[GramSlot], h: u64| {
            let mut at = (h >> shift) as usize;
            while table[at].epoch == epoch && table[at].hash != h {
                at = (at + 1) & mask;
            }
            at
        };
        for (i, h) in grams::<K>(a).enumerate() {
            let at = find(table, h);
            let slot = &mut table[at];
            if slot.epoch != epoch {
                *slot = GramSlot {
                    hash: h,
                    pos_a: i as u32,
                    count_a: 1,
                    count_b: 0,
                    epoch,
                };
            } else {
                slot.count_a = slot.count_a.saturating_add(1);
            }
        }
        self.b_slots.clear();
        for h in grams::<K>(b) {
            let at = find(table, h);
            // Slots never move within a call: B's grams are looked up again by slot.
            self.b_slots.push(at as u32);
            let slot = &mut table[at];
            if slot.epoch != epoch {
                *slot = GramSlot {
                    hash: h,
                    pos_a: 0,
                    count_a: 0,
                    count_b: 0,
                    epoch,
                };
            }
            slot.count_b = slot.count_b.saturating_add(1);
        }
        self.candidates.clear();
        for (j, &at) in self.b_slots.iter().enumerate() {
            let slot = table[at as usize];
            if slot.count_a == 1 && slot.count_b == 1 {
                self.candidates.push((slot.pos_a, j as u32));
            }
        }
        self.longest_increasing();
    }

    /// Push the longest subsequence of `candidates` (sorted by `.1`) whose `.0` strictly
    /// increases on `chains`.
    fn longest_increasing(&mut self) {
        let pairs = &self.candidates;
        self.tails.clear();
        self.tail_pos.clear();
        self.prev.clear();
        self.prev.resize(pairs.len(), usize::MAX);
        for (n, p) in pairs.iter().enumerate() {
            // Anchors mostly come in order: then a candidate extends the longest chain.
            let len = match self.tail_pos.last() {
                Some(&last) if last < p.0 => self.tail_pos.len(),
                _ => self.tail_pos.partition_point(|&t| t < p.0),
            };
            if len > 0 {
                self.prev[n] = self.tails[len - 1];
            }
            if len == self.tails.len() {
                self.tails.push(n);
                self.tail_pos.push(p.0);
            } else {
                self.tails[len] = n;
                self.tail_pos[len] = p.0;
            }
        }
        let start = self.chains.len();
        self.chains.resize(start + self.tails.len(), (0, 0));
        let mut at = self.tails.last().copied().unwrap_or(usize::MAX);
        for slot in (start..self.chains.len()).rev() {
            self.chains[slot] = pairs[at];
            at = self.prev[at];
        }
    }

    /// Exact longest common subsequence of two short ranges.
    fn lcs(&mut self, a: &[u32], b: &[u32], off: (u32, u32)) {
        let (n, m) = (a.len(), b.len());
        let w = m + 1;
        let t = &mut self.table;
        t.clear();
        t.resize((n + 1) * w, 0);
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
                self.out.push((off.0 + i as u32, off.1 + j as u32));
                i += 1;
                j += 1;
            } else if t[(i + 1) * w + j] >= t[i * w + j + 1] {
                i += 1;
            } else {
                j += 1;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all(n: usize) -> Vec<bool> {
        vec![true; n]
    }

    /// Match `a` and `b` as one paragraph each.
    fn run(a: &[u32], b: &[u32], ok_a: &[bool], ok_b: &[bool]) -> TokenMatch {
        let side = |tokens: &[u32], ok: &[bool]| {
            let n = tokens.len() as u32;
            let open = (0..n).filter(|&i| ok[i as usize]).map(|i| (i, i + 1));
            let mut side = Side::default();
            side.fill(tokens, open, [((0, n), None)].into_iter());
            side
        };
        match_tokens(&side(a, ok_a), &side(b, ok_b), 3, true, TokenMatch::clone)
    }

    fn matched(a: &[u32], b: &[u32]) -> Vec<(u32, u32)> {
        let m = run(a, b, &all(a.len()), &all(b.len()));
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
        let m = run(&a, &b, &all(60), &all(60));
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
        let m = run(&a, &a, &ok, &all(20));
        assert_eq!(m.a_to_b[5], NONE);
        assert_eq!(m.a_to_b.iter().filter(|&&j| j != NONE).count(), 19);
    }

    #[test]
    fn lis_is_increasing_and_longest() {
        let mut d = Differ {
            candidates: vec![(5, 0), (1, 1), (2, 2), (9, 3), (3, 4), (4, 5)],
            ..Differ::default()
        };
        d.longest_increasing();
        assert_eq!(d.chains, vec![(1, 1), (2, 2), (3, 4), (4, 5)]);
    }
}
