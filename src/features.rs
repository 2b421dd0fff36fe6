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
use crate::normalize::{Tokenized, line_hash};
use crate::sketch::{for_each_shingle, minhash_oph};

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
    /// The other buffer of the radix sort of `hashes`.
    sorted: Vec<u64>,
    full: Vec<u64>,
}

/// Build the features of one document (`text_hash`: xxh3-64 of its raw text) and fill
/// `signature` (K slots).
/// Returns whether the document has any body shingle.
#[allow(clippy::too_many_arguments)]
pub fn build(
    t: &Tokenized,
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
    for p in &t.paragraphs {
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
    scratch.hashes.clear();
    scratch.full.clear();
    for_each_shingle(&scratch.body, ngram, seed, |pos, h| {
        scratch.full.push(h);
        scratch.hashes.push((stored(h) as u64) << 32 | pos as u64);
    });
    let active = minhash_oph(scratch.full.iter().copied(), seed, signature);
    // Positions were pushed in ascending order, so sorting stably by hash alone orders the
    // keys completely, and the first of each run of equal hashes is its first occurrence.
    sort_by_high_half(&mut scratch.hashes, &mut scratch.sorted);
    scratch.hashes.dedup_by_key(|x| *x >> 32);
    f.shingles = scratch.hashes.iter().map(|x| (x >> 32) as u32).collect();
    f.positions = scratch
        .hashes
        .iter()
        .map(|&x| ((x as u32) >> shift) as u16)
        .collect();
    (f, active)
}

/// Keys shorter than this are sorted by comparison: the radix sort's four histograms of 256
/// counts cost more than they save.
const RADIX_MIN: usize = 128;

/// Sort `keys`, whose low 32 bits ascend in input order (`buf` is scratch). A stable sort by
/// the high 32 bits is then a full sort, and a least-significant-digit radix sort does that
/// in four passes of 8 bits, each skipped when every key has the same digit. On the few
/// hundred random hashes of an article it runs about as many instructions as a comparison
/// sort but without its mispredicted branches, one in two comparisons.
fn sort_by_high_half(keys: &mut Vec<u64>, buf: &mut Vec<u64>) {
    if keys.len() < RADIX_MIN {
        keys.sort_unstable();
        return;
    }
    let digit = |k: u64, pass: usize| ((k >> (32 + 8 * pass)) & 0xff) as usize;
    let mut counts = [[0u32; 256]; 4];
    for &k in keys.iter() {
        for (pass, c) in counts.iter_mut().enumerate() {
            c[digit(k, pass)] += 1;
        }
    }
    buf.clear();
    buf.resize(keys.len(), 0);
    for (pass, c) in counts.iter_mut().enumerate() {
        if c[digit(keys[0], pass)] as usize == keys.len() {
            continue;
        }
        let mut next = 0u32;
        for slot in c.iter_mut() {
            (*slot, next) = (next, next + *slot);
        }
        for &k in keys.iter() {
            let d = digit(k, pass);
            buf[c[d] as usize] = k;
            c[d] += 1;
        }
        std::mem::swap(keys, buf);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::normalize::fmix64;

    #[test]
    fn radix_sort_sorts_keys_with_ascending_low_halves() {
        let mut buf = Vec::new();
        for (n, distinct) in [
            (0, 1),
            (5, 3),
            (127, 1000),
            (128, 1000),
            (700, 50),
            (3000, 1 << 40),
        ] {
            // Few distinct high halves: long runs of equal hashes, whose order must be kept;
            // a single one: every pass skipped.
            let mut keys: Vec<u64> = (0..n as u64)
                .map(|i| (fmix64(i) % distinct) << 32 | i)
                .collect();
            let mut expected = keys.clone();
            expected.sort_unstable();
            sort_by_high_half(&mut keys, &mut buf);
            assert_eq!(keys, expected, "{n} keys, {distinct} distinct hashes");
        }
    }
}
