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
//! Copies keep their text in order, so the scores that decide use only the *aligned*
//! shingles: the longest chain of shared shingles that runs in the same order through both
//! texts. Two stories that reuse the same background sentences in another order share
//! shingles but few of them chain up.
//!
//! A pair is accepted when
//! * its Jaccard similarity is at least `jaccard` (near-identical texts of any length), or
//! * the aligned passage holds at least `min_passage` shingles — more than a sentence — and
//!   covers the smaller text: aligned containment ≥ `containment` or coverage ≥ `coverage`;
//!   a passage shorter than [`LONG_PASSAGE_FACTOR`] × `min_passage` must also start within
//!   [`LEAD_WINDOW`] words of the start of both texts. Wire copy is cut from the bottom, so a
//!   short overlap is a copy when it is the lead of both texts, and more likely a shared
//!   quotation when it sits in the middle of one of them.
//!
//! Clusters are built only from accepted pairs.

/// A passage this many times `min_passage` long counts wherever it sits.
pub const LONG_PASSAGE_FACTOR: u32 = 2;
/// Share of a text that must lie in another for it to count as a part of it.
pub const PART_OF: f64 = 0.8;
/// Words from the start of a body within which a short passage must begin.
pub const LEAD_WINDOW: u32 = 30;

/// Acceptance thresholds of the verifier.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct VerifyParams {
    pub jaccard: f64,
    pub containment: f64,
    pub coverage: f64,
    pub min_passage: u32,
    pub ngram: usize,
}

/// Exact similarity of two documents A and B.
#[derive(Debug, Default, Clone, Copy, PartialEq)]
pub struct PairScore {
    /// Shared body shingles.
    pub shared: u32,
    /// Shared shingles in the longest chain that runs in the same order through both texts.
    pub aligned: u32,
    pub jaccard: f64,
    /// |A ∩ B| / |A|.
    pub a_in_b: f64,
    /// |A ∩ B| / |B|.
    pub b_in_a: f64,
    /// Share of A's body words covered by the aligned shared shingles.
    pub cover_a: f64,
    pub cover_b: f64,
    /// Body token position of the first aligned shared shingle in A and in B.
    pub first_a: u32,
    pub first_b: u32,
}

impl PairScore {
    /// The scores of a body with itself (or with an equal one) of `n_shingles` shingles:
    /// all shared and aligned from the first word, every ratio 1.
    pub fn identity(n_shingles: usize) -> PairScore {
        PairScore {
            shared: n_shingles as u32,
            aligned: n_shingles as u32,
            jaccard: 1.0,
            a_in_b: 1.0,
            b_in_a: 1.0,
            cover_a: 1.0,
            cover_b: 1.0,
            first_a: 0,
            first_b: 0,
        }
    }

    /// Aligned containment and coverage of the smaller side (fewer shingles).
    pub fn smaller_side(&self, a: &DocFeatures, b: &DocFeatures) -> (f64, f64) {
        self.smaller_side_sized(a.n_shingles(), b.n_shingles())
    }

    /// [`PairScore::smaller_side`] for texts known by their shingle counts only.
    pub fn smaller_side_sized(&self, n_a: usize, n_b: usize) -> (f64, f64) {
        let (n, cover) = if n_a <= n_b {
            (n_a, self.cover_a)
        } else {
            (n_b, self.cover_b)
        };
        (self.aligned as f64 / n.max(1) as f64, cover)
    }
}

use crate::features::DocFeatures;

/// Reusable buffers for scoring.
#[derive(Default)]
pub struct Scratch {
    /// Indices `(i, j)` of the shingles the pair shares (`a.shingles[i] == b.shingles[j]`),
    /// in ascending shingle order: one merge of the two arrays serves both the quick
    /// decision of [`VerifyParams::decide`] and the full [`score`].
    hits: Vec<(u32, u32)>,
    /// Per body position of A: the B position of the shared shingle starting there + 1
    /// (0 = none). Kept all-zero between calls.
    slots: Vec<u32>,
    /// Shared shingle positions in A order (`xs` ascending).
    xs: Vec<u32>,
    ys: Vec<u32>,
    sorted: Vec<(u32, u32)>,
    tails: Vec<u32>,
    tail_ys: Vec<u32>,
    back: Vec<u32>,
    pa: Vec<u32>,
    pb: Vec<u32>,
    /// The last [`score`] found every shared shingle in order and moved them into `pa` /
    /// `pb` as its chain.
    chain_is_all: bool,
}

impl Scratch {
    /// The positions (unscaled) of every shingle shared by the pair the last [`score`] call
    /// scored, in A positions and B positions, ordered by A position.
    pub fn shared_positions(&self) -> (&[u32], &[u32]) {
        if self.chain_is_all {
            (&self.pa, &self.pb)
        } else {
            (&self.xs, &self.ys)
        }
    }
}

/// Number of values two ascending lists without repeats share. Eight elements of each
/// list at a time where the CPU has AVX2, four otherwise.
pub fn count_common(sa: &[u32], sb: &[u32]) -> u32 {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") {
        // SAFETY: the CPU has AVX2.
        return unsafe { count_common_avx2(sa, sb) };
    }
    count_blocks::<BLOCK>(sa, sb)
}

/// [`count_common`] compiled for AVX2, which compares a block of eight with a block of
/// eight in eight instructions.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn count_common_avx2(sa: &[u32], sb: &[u32]) -> u32 {
    count_blocks::<8>(sa, sb)
}

#[inline(always)]
fn count_blocks<const N: usize>(sa: &[u32], sb: &[u32]) -> u32 {
    let mut count = Count(0);
    merge_blocks::<N>(sa, sb, (0, 0), &mut count);
    count.0
}

/// Replaces `out` with the indices `(i, j)` of every `sa[i] == sb[j]` of two ascending
/// lists without repeats, in ascending order. Sixteen elements of each list at a time where
/// the CPU has AVX-512, eight where it has AVX2, four otherwise.
pub fn common_indices(sa: &[u32], sb: &[u32], out: &mut Vec<(u32, u32)>) {
    out.clear();
    #[cfg(target_arch = "x86_64")]
    {
        if std::arch::is_x86_feature_detected!("avx512f") {
            // SAFETY: the CPU has AVX-512F.
            return unsafe { common_indices_avx512(sa, sb, out) };
        }
        if std::arch::is_x86_feature_detected!("avx2") {
            // SAFETY: the CPU has AVX2.
            return unsafe { common_indices_avx2(sa, sb, out) };
        }
    }
    merge_blocks::<BLOCK>(sa, sb, (0, 0), &mut List(out));
}

/// [`common_indices`] with AVX-512: blocks of sixteen, then the AVX2 merge for the tails.
///
/// Both lists ascend without repeats, so the elements of a block of A that occur in the
/// block of B and the elements of that block of B that occur in the block of A are the same
/// values in the same order: the k-th marked lane of one pairs with the k-th marked lane of
/// the other. Two masks and two compressions list a block's pairs without a loop over them
/// (the AVX2 merge takes one step, and often a mispredicted branch, per pair). A copy's
/// merge meets a shared shingle in nearly every block.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
fn common_indices_avx512(sa: &[u32], sb: &[u32], out: &mut Vec<(u32, u32)>) {
    use std::arch::x86_64::*;
    const N: usize = 16;
    // Interleave the first (then the last) eight lanes of two vectors: `(a0, b0, a1, b1, …)`.
    let first_pairs = _mm512_setr_epi32(0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23);
    let last_pairs =
        _mm512_setr_epi32(8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31);
    // Lane l of `block` is in some lane of `other` (held as sixteen values).
    let marks = |block: __m512i, other: &[u32; N]| {
        (other.iter()).fold(0u16, |m, &x| {
            m | _mm512_cmpeq_epi32_mask(block, _mm512_set1_epi32(x as i32))
        })
    };
    let (mut i, mut j) = (0, 0);
    while i + N <= sa.len() && j + N <= sb.len() {
        let xa: &[u32; N] = sa[i..i + N].try_into().expect("block of A");
        let xb: &[u32; N] = sb[j..j + N].try_into().expect("block of B");
        // SAFETY: the CPU has AVX-512F (this function's target feature); the loads read the
        // sixteen elements of `xa` and `xb`; the stores write at most sixteen pairs past the
        // end of `out`, inside the capacity reserved for them, and `set_len` counts only the
        // pairs written.
        unsafe {
            let a = _mm512_loadu_si512(xa.as_ptr() as *const __m512i);
            let in_b = marks(a, xb);
            // Most blocks of two different texts share nothing: no second set of compares.
            if in_b != 0 {
                let b = _mm512_loadu_si512(xb.as_ptr() as *const __m512i);
                let in_a = marks(b, xa);
                let ia = _mm512_maskz_compress_epi32(in_b, lane_indices(i));
                let jb = _mm512_maskz_compress_epi32(in_a, lane_indices(j));
                let found = in_b.count_ones() as usize;
                out.reserve(N);
                let at = out.as_mut_ptr().add(out.len()) as *mut __m512i;
                _mm512_storeu_si512(at, _mm512_permutex2var_epi32(ia, first_pairs, jb));
                if found > N / 2 {
                    _mm512_storeu_si512(at.add(1), _mm512_permutex2var_epi32(ia, last_pairs, jb));
                }
                out.set_len(out.len() + found);
            }
        }
        let (last_a, last_b) = (xa[N - 1], xb[N - 1]);
        i += N * (last_a <= last_b) as usize;
        j += N * (last_b <= last_a) as usize;
    }
    merge_blocks::<8>(sa, sb, (i, j), &mut ListAvx2(out))
}

/// The sixteen indices `base, base + 1, …, base + 15` (as 32-bit lanes).
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
#[inline]
fn lane_indices(base: usize) -> std::arch::x86_64::__m512i {
    use std::arch::x86_64::*;
    let lanes = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
    _mm512_add_epi32(lanes, _mm512_set1_epi32(base as i32))
}

/// [`common_indices`] compiled for AVX2: the merge and its visitor are inlined here, so
/// the visitor's intrinsics are too.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn common_indices_avx2(sa: &[u32], sb: &[u32], out: &mut Vec<(u32, u32)>) {
    merge_blocks::<8>(sa, sb, (0, 0), &mut ListAvx2(out))
}

/// Elements per block of [`merge_blocks`] without AVX2.
const BLOCK: usize = 4;

/// What [`merge_blocks`] does with the equal elements it meets, `N` elements of each list
/// at a time.
trait MergeVisitor<const N: usize> {
    /// Compare the blocks `xa = sa[i..i + N]` and `xb = sb[j..j + N]`.
    fn block(&mut self, i: usize, j: usize, xa: &[u32; N], xb: &[u32; N]);
    /// `sa[i] == sb[j]`, met in the tails.
    fn one(&mut self, i: usize, j: usize);
}

/// Counts equal elements.
struct Count(u32);

impl<const N: usize> MergeVisitor<N> for Count {
    #[inline(always)]
    fn block(&mut self, _: usize, _: usize, xa: &[u32; N], xb: &[u32; N]) {
        // N × N independent comparisons summed: the compiler turns them into vector
        // instructions, and a count needs nothing more.
        let mut hits = 0u32;
        for x in xa {
            for y in xb {
                hits += (x == y) as u32;
            }
        }
        self.0 += hits;
    }
    #[inline(always)]
    fn one(&mut self, _: usize, _: usize) {
        self.0 += 1;
    }
}

/// Lists the indices of each pair of equal elements.
struct List<'o>(&'o mut Vec<(u32, u32)>);

impl MergeVisitor<BLOCK> for List<'_> {
    #[inline(always)]
    fn block(&mut self, i: usize, j: usize, xa: &[u32; BLOCK], xb: &[u32; BLOCK]) {
        push_hits(self.0, i, j, BLOCK, block_hits(xa, xb) as u64);
    }
    #[inline(always)]
    fn one(&mut self, i: usize, j: usize) {
        self.0.push((i as u32, j as u32))
    }
}

/// [`List`] for blocks of eight, compared with AVX2. Used only where the CPU has it.
#[cfg(target_arch = "x86_64")]
struct ListAvx2<'o>(&'o mut Vec<(u32, u32)>);

#[cfg(target_arch = "x86_64")]
impl MergeVisitor<8> for ListAvx2<'_> {
    #[inline(always)]
    fn block(&mut self, i: usize, j: usize, xa: &[u32; 8], xb: &[u32; 8]) {
        use std::arch::x86_64::*;
        // SAFETY: this visitor is only made by `common_indices_avx2` and
        // `common_indices_avx512`, which run where the CPU has AVX2 (AVX-512F includes it);
        // the load reads the eight elements of `xa`.
        unsafe {
            let a = _mm256_loadu_si256(xa.as_ptr() as *const __m256i);
            let eq: [__m256i; 8] =
                std::array::from_fn(|l| _mm256_cmpeq_epi32(a, _mm256_set1_epi32(xb[l] as i32)));
            // Most blocks of two different texts share nothing: one test for all 64.
            let any = eq
                .iter()
                .fold(_mm256_setzero_si256(), |x, &y| _mm256_or_si256(x, y));
            if _mm256_testz_si256(any, any) == 1 {
                return;
            }
            let mut hits = 0u64;
            for (l, e) in eq.iter().enumerate() {
                hits |= (_mm256_movemask_ps(_mm256_castsi256_ps(*e)) as u8 as u64) << (8 * l);
            }
            push_hits(self.0, i, j, 8, hits);
        }
    }
    #[inline(always)]
    fn one(&mut self, i: usize, j: usize) {
        self.0.push((i as u32, j as u32))
    }
}

/// Pushes the pair of indices of each set bit `n * l + k` of `hits` (`xa[k] == xb[l]` of
/// the blocks at `i` and `j`), in ascending order.
#[inline(always)]
fn push_hits(out: &mut Vec<(u32, u32)>, i: usize, j: usize, n: usize, mut hits: u64) {
    while hits != 0 {
        let t = hits.trailing_zeros() as usize;
        out.push(((i + t % n) as u32, (j + t / n) as u32));
        hits &= hits - 1;
    }
}

/// Bit `BLOCK * l + k` set where `xa[k] == xb[l]` (so set bits ascend in both blocks).
#[inline]
fn block_hits(xa: &[u32; BLOCK], xb: &[u32; BLOCK]) -> u32 {
    #[cfg(target_arch = "x86_64")]
    {
        use std::arch::x86_64::*;
        // SAFETY: SSE2 is part of the x86_64 baseline; the load reads the four elements of
        // `xa`.
        unsafe {
            let a = _mm_loadu_si128(xa.as_ptr() as *const __m128i);
            let mut hits = 0u32;
            for (l, &y) in xb.iter().enumerate() {
                let eq = _mm_cmpeq_epi32(a, _mm_set1_epi32(y as i32));
                hits |= (_mm_movemask_ps(_mm_castsi128_ps(eq)) as u32) << (BLOCK * l);
            }
            hits
        }
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        let mut hits = 0u32;
        for (l, y) in xb.iter().enumerate() {
            for (k, x) in xa.iter().enumerate() {
                hits |= ((x == y) as u32) << (BLOCK * l + k);
            }
        }
        hits
    }
}

/// The merge of two ascending lists without repeats, a block of `N` elements of each at a
/// time: the visitor compares the two blocks element by element, then the block with the
/// smaller last element is passed. A copy's merge finds an equal element at nearly every
/// step, and a scalar merge mispredicts the branch on each comparison; passing blocks has
/// no such branch. The tails are merged one element at a time. The merge starts at
/// `(sa[from.0], sb[from.1])`, where a merge of larger blocks stopped.
#[inline(always)]
fn merge_blocks<const N: usize>(
    sa: &[u32],
    sb: &[u32],
    from: (usize, usize),
    visitor: &mut impl MergeVisitor<N>,
) {
    let (mut i, mut j) = from;
    while i + N <= sa.len() && j + N <= sb.len() {
        let xa: &[u32; N] = sa[i..i + N].try_into().expect("block of A");
        let xb: &[u32; N] = sb[j..j + N].try_into().expect("block of B");
        visitor.block(i, j, xa, xb);
        let (last_a, last_b) = (xa[N - 1], xb[N - 1]);
        i += N * (last_a <= last_b) as usize;
        j += N * (last_b <= last_a) as usize;
    }
    while i < sa.len() && j < sb.len() {
        let (x, y) = (sa[i], sb[j]);
        if x == y {
            visitor.one(i, j);
        }
        i += (x <= y) as usize;
        j += (y <= x) as usize;
    }
}

/// Asks the CPU to start loading the memory that a pair with `f` will read first: `f`
/// itself with `Fetch::Record`, then (once `f` is cached) the heads of its shingle and
/// position arrays with `Fetch::Arrays`. The verifier meets its candidates' second documents
/// in no order, so without this every pair starts with a wait for memory on each of them.
pub fn prefetch(f: &DocFeatures, what: Fetch) {
    #[cfg(target_arch = "x86_64")]
    {
        use std::arch::x86_64::{_MM_HINT_T0, _mm_prefetch};
        let line = |p: *const u8| {
            // SAFETY: a prefetch only hints; it reads nothing and faults on no address.
            unsafe { _mm_prefetch::<_MM_HINT_T0>(p as *const i8) }
        };
        match what {
            Fetch::Record => {
                let p = f as *const DocFeatures as *const u8;
                line(p);
                line(p.wrapping_add(64));
            }
            Fetch::Arrays => {
                let shingles = f.shingles.as_ptr() as *const u8;
                for k in 0..PREFETCH_LINES {
                    line(shingles.wrapping_add(64 * k));
                }
                line(f.positions.as_ptr() as *const u8);
            }
        }
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = (f, what);
}

/// Cache lines of a shingle array that [`prefetch`] asks for: the first blocks of the
/// merge; the CPU's own prefetcher follows the rest of the stream.
const PREFETCH_LINES: usize = 8;

/// What [`prefetch`] loads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fetch {
    Record,
    Arrays,
}

/// Score a pair exactly.
pub fn score(a: &DocFeatures, b: &DocFeatures, ngram: usize, s: &mut Scratch) -> PairScore {
    common_indices(&a.shingles, &b.shingles, &mut s.hits);
    score_listed(a, b, ngram, s)
}

/// Unscaled body token position of shingle `i` of `f`.
#[inline]
fn position(f: &DocFeatures, i: u32) -> u32 {
    (f.positions[i as usize] as u32) << f.pos_shift
}

/// [`score`] of the pair whose shared shingles `s.hits` lists.
fn score_listed(a: &DocFeatures, b: &DocFeatures, ngram: usize, s: &mut Scratch) -> PairScore {
    shared_in_a_order(a, b, s);
    let shared = s.xs.len() as u32;
    let (na, nb) = (a.n_shingles() as f64, b.n_shingles() as f64);
    let union = na + nb - shared as f64;
    s.chain_is_all = s.ys.is_sorted_by(|y, z| y < z);
    let aligned = if s.chain_is_all {
        // Every shared shingle in the same order in both texts, as in most copies: the
        // chain is all of them.
        std::mem::swap(&mut s.xs, &mut s.pa);
        std::mem::swap(&mut s.ys, &mut s.pb);
        shared
    } else {
        longest_ordered_chain(s)
    };
    PairScore {
        shared,
        aligned,
        jaccard: ratio(shared as f64, union),
        a_in_b: ratio(shared as f64, na),
        b_in_a: ratio(shared as f64, nb),
        first_a: s.pa.first().copied().unwrap_or(u32::MAX),
        first_b: s.pb.first().copied().unwrap_or(u32::MAX),
        cover_a: coverage(&s.pa, a.body_tokens, ngram, a.pos_shift),
        cover_b: coverage(&s.pb, b.body_tokens, ngram, b.pos_shift),
    }
}

/// `x / y`, or 0 for an empty denominator.
fn ratio(x: f64, y: f64) -> f64 {
    if y > 0.0 { x / y } else { 0.0 }
}

/// Fill `s.xs` / `s.ys` with the positions of the shared shingles `s.hits` lists, ordered
/// by A position (then B position). A shingle's stored position is where it first occurs,
/// so unscaled positions of distinct shingles are distinct: scattering them into a
/// per-position array and reading it back sorts them in O(|A|) rather than O(n log n).
/// Scaled positions (texts over 65,535 words) can collide and are sorted instead.
fn shared_in_a_order(a: &DocFeatures, b: &DocFeatures, s: &mut Scratch) {
    s.xs.clear();
    s.ys.clear();
    if a.pos_shift == 0 {
        let len = a.body_tokens as usize + 1;
        if s.slots.len() < len {
            s.slots.resize(len, 0);
        }
        let (mut lo, mut hi) = (u32::MAX, 0u32);
        for &(i, j) in &s.hits {
            let x = position(a, i);
            s.slots[x as usize] = position(b, j) + 1;
            lo = lo.min(x);
            hi = hi.max(x);
        }
        if lo <= hi {
            let span = (hi - lo) as usize + 1;
            // Room for a whole vector written at the last free place.
            s.xs.resize(span + READ_BACK_SLACK, 0);
            s.ys.resize(span + READ_BACK_SLACK, 0);
            let slots = &mut s.slots[lo as usize..lo as usize + span];
            let n = read_back(slots, lo, &mut s.xs, &mut s.ys);
            s.xs.truncate(n);
            s.ys.truncate(n);
        }
    } else {
        s.sorted.clear();
        let listed = s
            .hits
            .iter()
            .map(|&(i, j)| (position(a, i), position(b, j)));
        s.sorted.extend(listed);
        s.sorted.sort_unstable();
        for &(x, y) in s.sorted.iter() {
            s.xs.push(x);
            s.ys.push(y);
        }
    }
}

/// Room [`read_back`] needs past the end of its output.
const READ_BACK_SLACK: usize = 16;

/// For each non-zero `slots[k]`, in order: `xs[n] = lo + k`, `ys[n] = slots[k] - 1`; then
/// clears the slots and returns n. `xs` and `ys` hold at least `slots.len()` +
/// [`READ_BACK_SLACK`] elements. Sixteen slots at a time with AVX-512 (a mask of the
/// occupied ones and two compressions) where the CPU has it.
fn read_back(slots: &mut [u32], lo: u32, xs: &mut [u32], ys: &mut [u32]) -> usize {
    debug_assert!(xs.len().min(ys.len()) >= slots.len() + READ_BACK_SLACK);
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx512f") {
        // SAFETY: the CPU has AVX-512F.
        return unsafe { read_back_avx512(slots, lo, xs, ys) };
    }
    read_back_from(slots, 0, 0, lo, xs, ys)
}

/// [`read_back`] of `slots[k..]`, the first `n` places of the output taken: without a
/// branch per slot, each slot is written at the next free place of the lists, which moves
/// on only past a shared shingle.
#[inline(always)]
fn read_back_from(
    slots: &mut [u32],
    k: usize,
    mut n: usize,
    lo: u32,
    xs: &mut [u32],
    ys: &mut [u32],
) -> usize {
    for (x, slot) in (lo + k as u32..).zip(&mut slots[k..]) {
        xs[n] = x;
        ys[n] = slot.wrapping_sub(1);
        n += (*slot != 0) as usize;
        *slot = 0;
    }
    n
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
fn read_back_avx512(slots: &mut [u32], lo: u32, xs: &mut [u32], ys: &mut [u32]) -> usize {
    use std::arch::x86_64::*;
    const N: usize = 16;
    let (mut k, mut n) = (0, 0);
    while k + N <= slots.len() {
        let block: &mut [u32; N] = (&mut slots[k..k + N]).try_into().expect("block");
        let (to_x, to_y) = (&mut xs[n..n + N], &mut ys[n..n + N]);
        // SAFETY: the CPU has AVX-512F (this function's target feature); the loads and
        // stores touch the sixteen elements of `block`, `to_x` and `to_y`.
        unsafe {
            let v = _mm512_loadu_si512(block.as_ptr() as *const __m512i);
            let occupied = _mm512_test_epi32_mask(v, v);
            let x = lane_indices(lo as usize + k);
            let y = _mm512_sub_epi32(v, _mm512_set1_epi32(1));
            let x = _mm512_maskz_compress_epi32(occupied, x);
            let y = _mm512_maskz_compress_epi32(occupied, y);
            _mm512_storeu_si512(to_x.as_mut_ptr() as *mut __m512i, x);
            _mm512_storeu_si512(to_y.as_mut_ptr() as *mut __m512i, y);
            _mm512_storeu_si512(block.as_mut_ptr() as *mut __m512i, _mm512_setzero_si512());
            n += occupied.count_ones() as usize;
        }
        k += N;
    }
    read_back_from(slots, k, n, lo, xs, ys)
}

/// The longest chain of shared shingles increasing in both texts (patience sorting on the
/// B positions of the pairs in A order, O(n log n)); leaves the chain's positions in
/// `s.pa` / `s.pb`. Copies keep their text in order, so nearly all shared shingles chain
/// up; two stories that reuse the same sentences in another order do not.
fn longest_ordered_chain(s: &mut Scratch) -> u32 {
    s.tails.clear();
    s.tail_ys.clear();
    s.back.clear();
    s.pa.clear();
    s.pb.clear();
    for (i, &y) in s.ys.iter().enumerate() {
        // A copy's shared shingles mostly come in order: try extending the longest chain
        // before searching for the chain to replace.
        let k = if s.tail_ys.last().is_none_or(|&t| t < y) {
            s.tail_ys.len()
        } else {
            s.tail_ys.partition_point(|&t| t < y)
        };
        s.back.push(if k > 0 { s.tails[k - 1] } else { u32::MAX });
        if k == s.tails.len() {
            s.tails.push(i as u32);
            s.tail_ys.push(y);
        } else {
            s.tails[k] = i as u32;
            s.tail_ys[k] = y;
        }
    }
    if let Some(&last) = s.tails.last() {
        let mut i = last;
        while i != u32::MAX {
            s.pa.push(s.xs[i as usize]);
            s.pb.push(s.ys[i as usize]);
            i = s.back[i as usize];
        }
        s.pa.reverse();
        s.pb.reverse();
    }
    s.pa.len() as u32
}

/// Share of `len` tokens inside shared shingles starting at `positions`, counting gaps of
/// up to `ngram` tokens between them as covered (a corrupted word breaks every shingle that
/// holds it, which leaves a gap of about `ngram` tokens). `positions` ascend: they come from
/// a chain that increases in both texts.
fn coverage(positions: &[u32], len: u32, ngram: usize, shift: u8) -> f64 {
    if len == 0 || positions.is_empty() {
        return 0.0;
    }
    debug_assert!(positions.is_sorted());
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
    /// Decide a pair, scoring it fully only when the shared count leaves the answer open or
    /// `wanted(accepted)` asks for the score. Returns the decision and the full score when
    /// one was computed. One merge of the two shingle arrays lists what they share; the
    /// count settles most pairs, and the full score reads the same list.
    pub fn decide(
        &self,
        a: &DocFeatures,
        b: &DocFeatures,
        s: &mut Scratch,
        wanted: impl FnOnce(bool) -> bool,
    ) -> (bool, Option<PairScore>) {
        common_indices(&a.shingles, &b.shingles, &mut s.hits);
        let shared = s.hits.len() as u32;
        let union = (a.n_shingles() + b.n_shingles()) as f64 - shared as f64;
        let settled = if shared > 0 && shared as f64 >= self.jaccard * union {
            Some(true)
        } else if shared < self.min_passage {
            Some(false)
        } else if shared < LONG_PASSAGE_FACTOR * self.min_passage
            // (a Jaccard that reaches the threshold only once divided is left to the score,
            // which accepts it)
            && ratio(shared as f64, union) < self.jaccard
            && !self.lead_shared(a, b, s)
        {
            // The aligned passage would be short, and a short one must start in the lead of
            // both texts: its first shingle would be a shared one within both leads.
            Some(false)
        } else {
            None
        };
        match settled {
            Some(accepted) => {
                let sc = wanted(accepted).then(|| score_listed(a, b, self.ngram, s));
                (accepted, sc)
            }
            None => {
                let sc = score_listed(a, b, self.ngram, s);
                (self.accept(&sc, a, b), Some(sc))
            }
        }
    }

    /// Does a shingle that `s.hits` lists start within [`LEAD_WINDOW`] words of the start
    /// of both texts?
    fn lead_shared(&self, a: &DocFeatures, b: &DocFeatures, s: &Scratch) -> bool {
        (s.hits.iter())
            .any(|&(i, j)| position(a, i) <= LEAD_WINDOW && position(b, j) <= LEAD_WINDOW)
    }

    /// Is the pair a copy?
    pub fn accept(&self, sc: &PairScore, a: &DocFeatures, b: &DocFeatures) -> bool {
        self.accept_sized(sc, a.n_shingles(), b.n_shingles())
    }

    /// [`VerifyParams::accept`] for texts known by their shingle counts only, e.g. scores
    /// estimated from the sketches of a snapshot index, which keeps no shingle sets.
    pub fn accept_sized(&self, sc: &PairScore, n_a: usize, n_b: usize) -> bool {
        if sc.shared == 0 {
            return false;
        }
        if sc.jaccard >= self.jaccard {
            return true;
        }
        let (contain, cover) = sc.smaller_side_sized(n_a, n_b);
        if sc.aligned < self.min_passage || (contain < self.containment && cover < self.coverage) {
            return false;
        }
        sc.aligned >= LONG_PASSAGE_FACTOR * self.min_passage
            || (sc.first_a <= LEAD_WINDOW && sc.first_b <= LEAD_WINDOW)
    }

    /// Given B's score against A: is B a near-duplicate of A, or mostly contained in A (aligned containment or
    /// coverage of B at least 0.8)?
    pub fn part_of(&self, sc: &PairScore, b: &DocFeatures) -> bool {
        let b_aligned = sc.aligned as f64 / b.n_shingles().max(1) as f64;
        sc.shared > 0
            && (sc.jaccard >= self.jaccard || b_aligned >= PART_OF || sc.cover_b >= PART_OF)
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

    fn features_with(shingles: Vec<u32>) -> DocFeatures {
        DocFeatures {
            positions: (0..shingles.len() as u16).collect(),
            body_tokens: shingles.len() as u32,
            shingles,
            ..Default::default()
        }
    }

    #[test]
    fn block_merge_finds_exactly_what_a_set_intersection_finds() {
        let mut rng = crate::synth::Rng::new(0x9e37_79b9_7f4a_7c15);
        let mut next = |m: u64| rng.below(m as usize) as u64;
        for round in 0..300 {
            // Small value ranges make long runs of shared and unshared elements.
            let range = [8, 40, 300, 1000][round % 4];
            let mut sets: Vec<Vec<u32>> = (0..2)
                .map(|_| (0..next(200)).map(|_| next(range) as u32).collect())
                .collect();
            for s in &mut sets {
                s.sort_unstable();
                s.dedup();
            }
            let pairs: Vec<(usize, usize)> = (sets[0].iter().enumerate())
                .filter_map(|(i, x)| Some((i, sets[1].iter().position(|y| y == x)?)))
                .collect();
            let expected = pairs.len() as u32;
            let (a, b) = (
                features_with(sets[0].clone()),
                features_with(sets[1].clone()),
            );
            assert_eq!(count_common(&a.shingles, &b.shingles), expected, "{sets:?}");
            assert_eq!(count_common(&b.shingles, &a.shingles), expected, "{sets:?}");
            let mut listed = Vec::new();
            common_indices(&sets[0], &sets[1], &mut listed);
            let listed: Vec<(usize, usize)> = (listed.iter())
                .map(|&(i, j)| (i as usize, j as usize))
                .collect();
            assert_eq!(listed, pairs, "{sets:?}");
            // The AVX2 path (where the CPU has it, and AVX-512 was the one above) and the
            // portable path list the same.
            #[cfg(target_arch = "x86_64")]
            if std::arch::is_x86_feature_detected!("avx2") {
                let mut avx2 = Vec::new();
                // SAFETY: the CPU has AVX2.
                unsafe { common_indices_avx2(&sets[0], &sets[1], &mut avx2) };
                let avx2: Vec<(usize, usize)> = (avx2.iter())
                    .map(|&(i, j)| (i as usize, j as usize))
                    .collect();
                assert_eq!(avx2, pairs, "{sets:?}");
            }
            let mut portable = Vec::new();
            merge_blocks::<BLOCK>(&sets[0], &sets[1], (0, 0), &mut List(&mut portable));
            let portable: Vec<(usize, usize)> = (portable.iter())
                .map(|&(i, j)| (i as usize, j as usize))
                .collect();
            assert_eq!(portable, pairs, "{sets:?}");
        }
    }

    #[test]
    fn read_back_lists_the_occupied_slots_in_order_and_clears_them() {
        let mut rng = crate::synth::Rng::new(0x1234_5678_9abc_def1);
        for len in [0, 1, 15, 16, 17, 31, 64, 100, 451] {
            // A third of the slots empty, the rest holding 1..=1000.
            let slots: Vec<u32> = (0..len)
                .map(|_| match rng.below(3) {
                    0 => 0,
                    _ => 1 + rng.below(1000) as u32,
                })
                .collect();
            let lo = 7;
            let expected: Vec<(u32, u32)> = (slots.iter().enumerate())
                .filter(|&(_, &v)| v != 0)
                .map(|(k, &v)| (lo + k as u32, v - 1))
                .collect();
            let room = len + READ_BACK_SLACK;
            for portable in [false, true] {
                let (mut xs, mut ys) = (vec![0; room], vec![0; room]);
                let mut work = slots.clone();
                let n = if portable {
                    read_back_from(&mut work, 0, 0, lo, &mut xs, &mut ys)
                } else {
                    read_back(&mut work, lo, &mut xs, &mut ys)
                };
                let listed: Vec<(u32, u32)> = xs[..n]
                    .iter()
                    .copied()
                    .zip(ys[..n].iter().copied())
                    .collect();
                assert_eq!(listed, expected, "{len} slots, portable {portable}");
                assert!(work.iter().all(|&v| v == 0));
            }
        }
    }

    #[test]
    fn score_leaves_every_shared_position_listed() {
        // B holds A's shingles 0..40 in order (the chain is all of them), then in an order
        // that breaks the chain (a shorter chain is taken); positions are word offsets.
        let a = features_with((0..60).map(|i| i * 3).collect());
        for (b_positions, chain) in [
            ((0..40u16).collect::<Vec<_>>(), 40),
            // Longest in order: B positions 0, 2, 4, …, 12, 19, 26, 33.
            ((0..40u16).map(|i| (i * 7) % 40).collect(), 10),
        ] {
            let mut b = features_with((0..40).map(|i| i * 3).collect());
            b.positions = b_positions;
            let mut hits = Vec::new();
            common_indices(&a.shingles, &b.shingles, &mut hits);
            let mut expected: Vec<(u32, u32)> = (hits.iter())
                .map(|&(i, j)| (position(&a, i), position(&b, j)))
                .collect();
            expected.sort_unstable();
            let mut s = Scratch::default();
            let sc = score(&a, &b, 5, &mut s);
            let (xs, ys) = s.shared_positions();
            let listed: Vec<(u32, u32)> = xs.iter().copied().zip(ys.iter().copied()).collect();
            assert_eq!(listed, expected);
            assert_eq!((sc.shared, sc.aligned), (40, chain));
        }
    }

    #[test]
    fn decide_agrees_with_the_full_score() {
        // B takes a run of A's shingles (somewhere between its lead and its end, of 10 to
        // 99 shingles), placed at an offset in B, plus shingles of its own: the quick
        // decisions of `decide` (by the shared count, and by a short passage outside the
        // lead) must be those `accept` makes from the full score.
        let params = VerifyParams {
            jaccard: 0.5,
            containment: 0.5,
            coverage: 0.7,
            min_passage: 30,
            ngram: 5,
        };
        let mut s = Scratch::default();
        let mut rng = crate::synth::Rng::new(0x2545_f491_4f6c_dd1d);
        let mut next = |m: u32| rng.below(m as usize) as u32;
        let (mut quick_rejects, mut outcomes) = (0, [0; 2]);
        for _ in 0..400 {
            let n_a = 40 + next(300);
            let run = (10 + next(90)).min(n_a);
            let from = next(n_a - run + 1);
            let offset = next(60);
            let own = next(400);
            // Shingle h at A position h; B holds A's run at `offset` and its own shingles
            // (hashes from 1,000,000 up) after it.
            let a_doc = (0..n_a).map(|p| (p, p));
            let b_doc = (from..from + run)
                .map(|h| (h, offset + h - from))
                .chain((0..own).map(|k| (1_000_000 + k, offset + run + k)));
            let [a, b] = [a_doc.collect::<Vec<_>>(), b_doc.collect()].map(|mut d| {
                d.sort_unstable();
                DocFeatures {
                    shingles: d.iter().map(|&(h, _)| h).collect(),
                    positions: d.iter().map(|&(_, p)| p as u16).collect(),
                    body_tokens: d.iter().map(|&(_, p)| p + 5).max().unwrap_or(0),
                    ..Default::default()
                }
            });
            let (accepted, listed) = params.decide(&a, &b, &mut s, |_| false);
            let full = score(&a, &b, 5, &mut s);
            assert_eq!(
                accepted,
                params.accept(&full, &a, &b),
                "{n_a} {run} {from} {offset}"
            );
            let (again, with_score) = params.decide(&a, &b, &mut s, |_| true);
            assert_eq!((again, with_score), (accepted, Some(full)));
            quick_rejects += usize::from(listed.is_none() && !accepted && full.shared >= 30);
            outcomes[usize::from(accepted)] += 1;
        }
        assert!(
            quick_rejects > 20,
            "the short-passage shortcut ran {quick_rejects} times"
        );
        assert!(
            outcomes.iter().all(|&n| n > 50),
            "rejected, accepted: {outcomes:?}"
        );
    }

    #[test]
    fn coverage_bridges_small_gaps_only() {
        // shingles at 0, 5, 10 of a 20-token text with k = 5: tokens 0..15 covered
        assert!((coverage(&[0, 5, 10], 20, 5, 0) - 0.75).abs() < 1e-9);
        // two islands far apart
        let c = coverage(&[0, 100], 200, 5, 0);
        assert!((c - 0.05).abs() < 1e-9);
        assert_eq!(coverage(&[], 10, 5, 0), 0.0);
    }
}
