//! Per-document features: what the later stages need, and nothing more.
//!
//! From the tokenized text and its furniture labels a document keeps
//! * its body shingles as a sorted, deduplicated array of 32-bit hashes, with the body token
//!   position where each first occurs (16 bits, scaled down for texts over 65,535 words) —
//!   enough for exact Jaccard and containment, for how much of a text the shared shingles
//!   cover, and for which paragraphs they fall in;
//! * where each paragraph starts in the body token stream;
//! * hashes that tell exact and restyled copies apart;
//! * its MinHash signature, written into the caller's flat signature matrix.
//!
//! The token stream itself is dropped once this is built.

use crate::boilerplate::Furniture;
use crate::normalize::{TokenizedRef, line_hash};
use crate::sketch::{minhash_oph, shingle_hashes};

/// Matching features of one document.
#[derive(Debug, Default, Clone)]
pub struct DocFeatures {
    /// Sorted unique body shingle hashes.
    pub shingles: Vec<u32>,
    /// Body token position (>> `pos_shift`) of the first occurrence of each shingle.
    pub positions: Vec<u16>,
    pub pos_shift: u8,
    /// Tokens outside furniture lines.
    pub body_tokens: u32,
    /// All tokens.
    pub total_tokens: u32,
    /// Per paragraph: body token position where it starts (furniture paragraphs are empty).
    pub para_starts: Vec<u32>,
    /// Per paragraph: does it hold body text (not all furniture)?
    pub para_body: Vec<bool>,
    /// Lines labelled furniture.
    pub furniture_lines: u32,
    pub lines: u32,
    /// Hash of the body token sequence: equal for restyled copies.
    pub body_hash: u64,
    /// Hash of the raw text bytes: equal for exact copies.
    pub text_hash: u64,
}

impl DocFeatures {
    pub fn n_shingles(&self) -> usize {
        self.shingles.len()
    }

    /// Paragraph index holding body token position `pos` (unscaled).
    pub fn paragraph_of(&self, pos: u32) -> usize {
        self.para_starts
            .partition_point(|&s| s <= pos)
            .saturating_sub(1)
    }

    /// Body token count of paragraph `p`.
    pub fn paragraph_tokens(&self, p: usize) -> u32 {
        let end = self
            .para_starts
            .get(p + 1)
            .copied()
            .unwrap_or(self.body_tokens);
        end - self.para_starts[p]
    }
}

/// Stored 32-bit form of a 64-bit shingle hash.
#[inline]
pub fn stored(h: u64) -> u32 {
    (h >> 16) as u32
}

/// Reusable buffers for [`build`].
#[derive(Default)]
pub struct Scratch {
    body: Vec<u32>,
    /// `stored hash << 32 | position`: one u64 key sorts faster than a pair.
    hashes: Vec<u64>,
    /// The other buffer of the bucket sort of `hashes`, and its bucket bounds.
    sorted: Vec<u64>,
    buckets: Vec<u32>,
    full: Vec<u64>,
}

/// Build the features of one document (`text_hash`: xxh3-64 of its raw text) and fill
/// `signature` (K slots).
/// Returns whether the document has any body shingle.
#[allow(clippy::too_many_arguments)]
pub fn build(
    t: TokenizedRef,
    furniture: &[Option<Furniture>],
    text_hash: u64,
    ngram: usize,
    seed: u64,
    signature: &mut [u32],
    scratch: &mut Scratch,
) -> (DocFeatures, bool) {
    let mut f = DocFeatures {
        total_tokens: t.tokens.len() as u32,
        lines: t.lines.len() as u32,
        text_hash,
        ..Default::default()
    };
    scratch.body.clear();
    f.para_starts.reserve(t.paragraphs.len());
    for p in t.paragraphs {
        f.para_starts.push(scratch.body.len() as u32);
        let mut has_body = false;
        for li in p.line_start..p.line_end {
            let line = &t.lines[li as usize];
            if furniture[li as usize].is_some() {
                f.furniture_lines += 1;
            } else {
                has_body |= line.tok_end > line.tok_start;
                scratch
                    .body
                    .extend_from_slice(&t.tokens[line.tok_start as usize..line.tok_end as usize]);
            }
        }
        f.para_body.push(has_body);
    }
    f.body_tokens = scratch.body.len() as u32;
    f.body_hash = line_hash(&scratch.body);
    let mut shift = 0u8;
    while (f.body_tokens >> shift) > u16::MAX as u32 {
        shift += 1;
    }
    f.pos_shift = shift;
    shingle_hashes(&scratch.body, ngram, seed, &mut scratch.full);
    scratch.hashes.clear();
    scratch.hashes.extend(
        (scratch.full.iter().enumerate()).map(|(pos, &h)| (stored(h) as u64) << 32 | pos as u64),
    );
    let active = minhash_oph(scratch.full.iter().copied(), seed, signature);
    // Every key holds its own position, so the keys are distinct and sort into one order,
    // in which the first of each run of equal hashes is its first occurrence.
    sort_keys(
        &mut scratch.hashes,
        &mut scratch.sorted,
        &mut scratch.buckets,
    );
    scratch.hashes.dedup_by_key(|x| *x >> 32);
    f.shingles = scratch.hashes.iter().map(|x| (x >> 32) as u32).collect();
    f.positions = scratch
        .hashes
        .iter()
        .map(|&x| ((x as u32) >> shift) as u16)
        .collect();
    (f, active)
}

/// Keys fewer than this are sorted by comparison: the bucket sort's counting costs more
/// than it saves.
const BUCKET_MIN: usize = 64;

/// A bucket holding more keys than this (one hash repeated many times in a text) is sorted
/// by comparison rather than by insertion.
const INSERTION_MAX: usize = 16;

/// Sort `keys`, which are distinct and whose high 32 bits are uniform hashes (`buf` and
/// `buckets` are scratch). One counting pass distributes them by their top bits into about
/// half as many buckets as there are keys, and each bucket of a key or two is then put in
/// order by insertion: about 25 instructions per key on the few hundred keys of an
/// article, where a radix sort by 8-bit digits needed four histograms, four scatter passes
/// and about 60.
fn sort_keys(keys: &mut Vec<u64>, buf: &mut Vec<u64>, buckets: &mut Vec<u32>) {
    let n = keys.len();
    if n < BUCKET_MIN {
        keys.sort_unstable();
        return;
    }
    // 2^bits buckets, between n / 4 and n / 2.
    let bits = (n / 2).ilog2();
    let bucket = |k: u64| (k >> (64 - bits)) as usize;
    buckets.clear();
    buckets.resize((1 << bits) + 1, 0);
    for &k in keys.iter() {
        buckets[bucket(k) + 1] += 1;
    }
    for b in 1..buckets.len() {
        buckets[b] += buckets[b - 1];
    }
    buf.clear();
    buf.resize(n, 0);
    {
        // Each bucket's next free slot, moved up as it fills: afterwards bucket b ends
        // where bucket b + 1 began.
        let next = &mut buckets[..1 << bits];
        for &k in keys.iter() {
            let slot = &mut next[bucket(k)];
            buf[*slot as usize] = k;
            *slot += 1;
        }
    }
    let mut start = 0;
    for &end in &buckets[..1 << bits] {
        let run = &mut buf[start..end as usize];
        if run.len() > INSERTION_MAX {
            run.sort_unstable();
        } else {
            insertion_sort(run);
        }
        start = end as usize;
    }
    std::mem::swap(keys, buf);
}

/// Sort a short slice in place by insertion.
#[inline]
fn insertion_sort(run: &mut [u64]) {
    for i in 1..run.len() {
        let k = run[i];
        let mut j = i;
        while j > 0 && run[j - 1] > k {
            run[j] = run[j - 1];
            j -= 1;
        }
        run[j] = k;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::normalize::fmix64;

    #[test]
    fn bucket_sort_sorts_keys() {
        let (mut buf, mut buckets) = (Vec::new(), Vec::new());
        for (n, distinct) in [
            (0, 1),
            (5, 3),
            (63, 1 << 32),
            (64, 1 << 32),
            (700, 1 << 32),
            (700, 50),
            (3000, 1 << 32),
            (3000, 1),
        ] {
            // Uniform high halves, as the shingle hashes are; few distinct ones (long runs of
            // equal hashes, all in the first buckets); a single one.
            let mut keys: Vec<u64> = (0..n as u64)
                .map(|i| (fmix64(i) % distinct) << 32 | i)
                .collect();
            let mut expected = keys.clone();
            expected.sort_unstable();
            sort_keys(&mut keys, &mut buf, &mut buckets);
            assert_eq!(keys, expected, "{n} keys, {distinct} distinct hashes");
        }
    }
}
