//! News-aware normalization and tokenization.
//!
//! Copies of one wire story differ in ways that carry no meaning: curly or straight quotes,
//! en or em dashes, non-breaking spaces, case, compatibility characters (ligatures, full-width
//! forms) and where the paragraph breaks fall. The tokenizer folds all of these away so that
//! the word stream of a restyled copy is identical to the original's:
//!
//! * every character is decomposed with Unicode compatibility decomposition (NFKD) and
//!   lowercased. Two strings are NFKC-equal exactly when they are NFKD-equal, so this gives
//!   the equivalence classes of NFKC case-folding without a buffer per word;
//! * words are runs of letters, digits and combining marks; an apostrophe of any style
//!   (`'`, `’`, `‘`, `ʼ`) inside a word is dropped (`children’s` = `children's` = `childrens`);
//! * quotes, dashes, NBSP and all other punctuation separate words and are otherwise ignored;
//! * scripts written without spaces (Han, kana, Thai) fall back to one token per character,
//!   so the same word k-gram shingling becomes character k-gram shingling there.
//!
//! Tokens are 32-bit seeded hashes of the normalized word (see `word_token`): words of up to
//! sixteen bytes are mixed from their bytes read as two integers, which the ASCII fast path
//! reads straight from the text after finding word boundaries in per-byte class bitmaps
//! (built sixteen bytes at a time with SSE2); longer words use xxh3. The tokenizer also records the
//! text's layout — lines and paragraphs with byte offsets back into the original text — which
//! the boilerplate detector and the aligner read. Paragraphs are separated by blank lines, or
//! by single newlines when a text has no blank line at all. Tokens never see the layout, so
//! merging or splitting paragraphs does not change the word stream.

use std::ops::Range;
use unicode_normalization::char::{decompose_compatible, is_combining_mark};
use xxhash_rust::xxh3::xxh3_64_with_seed;

/// One non-blank line of the text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Line {
    /// Byte range of the line in the original text (without the newline).
    pub start: u32,
    pub end: u32,
    /// Token range `tok_start..tok_end` in [`Tokenized::tokens`].
    pub tok_start: u32,
    pub tok_end: u32,
    /// Hash of the line's normalized token sequence (0 for a line without words).
    pub hash: u64,
    /// The line ends like prose: its last visible character closes a sentence.
    pub ends_sentence: bool,
    /// Paragraph index of the line.
    pub para: u32,
}

impl Line {
    pub fn n_tokens(&self) -> u32 {
        self.tok_end - self.tok_start
    }
}

/// A paragraph: consecutive lines `line_start..line_end`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Paragraph {
    pub start: u32,
    pub end: u32,
    pub line_start: u32,
    pub line_end: u32,
    pub tok_start: u32,
    pub tok_end: u32,
}

/// The normalized token stream of one text with its layout.
#[derive(Debug, Default, Clone)]
pub struct Tokenized {
    pub tokens: Vec<u32>,
    /// Byte range of each token in the original text; filled only when requested.
    pub token_spans: Vec<(u32, u32)>,
    pub lines: Vec<Line>,
    pub paragraphs: Vec<Paragraph>,
}

impl Tokenized {
    /// The tokens and layout, borrowed.
    pub fn view(&self) -> TokenizedRef<'_> {
        TokenizedRef {
            tokens: &self.tokens,
            lines: &self.lines,
            paragraphs: &self.paragraphs,
        }
    }
}

/// The token stream and layout of one text, borrowed from a [`Tokenized`] or a
/// [`TokenizedBatch`]: what matching reads of a text (no spans).
#[derive(Debug, Clone, Copy)]
pub struct TokenizedRef<'a> {
    pub tokens: &'a [u32],
    /// Token ranges are indices into `tokens`.
    pub lines: &'a [Line],
    /// Line ranges are indices into `lines`.
    pub paragraphs: &'a [Paragraph],
}

/// The token streams and layouts of consecutive texts in three shared buffers. Kept for a
/// whole corpus between two passes, a [`Tokenized`] per text costs three allocations, and
/// as many frees, often in another thread's allocator arena than the one that allocated
/// them; a batch of a few hundred texts costs three growing buffers, freed at once.
#[derive(Debug, Default)]
pub struct TokenizedBatch {
    tokens: Vec<u32>,
    lines: Vec<Line>,
    paragraphs: Vec<Paragraph>,
    /// Per text: where its tokens, lines and paragraphs end.
    ends: Vec<[usize; 3]>,
}

impl TokenizedBatch {
    /// Append a text (its spans are not kept).
    pub fn push(&mut self, t: &Tokenized) {
        self.tokens.extend_from_slice(&t.tokens);
        self.lines.extend_from_slice(&t.lines);
        self.paragraphs.extend_from_slice(&t.paragraphs);
        let ends = [self.tokens.len(), self.lines.len(), self.paragraphs.len()];
        self.ends.push(ends);
    }

    /// Number of texts.
    pub fn len(&self) -> usize {
        self.ends.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    /// Text `i`, in the order pushed. Its line and paragraph ranges are its own, as in the
    /// [`Tokenized`] it came from.
    pub fn get(&self, i: usize) -> TokenizedRef<'_> {
        let [t0, l0, p0] = if i == 0 { [0; 3] } else { self.ends[i - 1] };
        let [t1, l1, p1] = self.ends[i];
        TokenizedRef {
            tokens: &self.tokens[t0..t1],
            lines: &self.lines[l0..l1],
            paragraphs: &self.paragraphs[p0..p1],
        }
    }
}

/// A text tokenized with spans whose lines another text may repeat (see
/// [`Tokenizer::tokenize_like`]), with the index of its lines by their bytes.
#[derive(Clone, Copy)]
pub struct Known<'r> {
    pub text: &'r str,
    pub tok: &'r Tokenized,
    pub lines: &'r LineIndex,
}

/// How a line of another text repeats lines of a [`Known`] text. A line's tokens depend on
/// its bytes alone, and after an ASCII space nothing of the bytes before it is pending:
/// tokenizing starts afresh there, so the tokens after it depend on the bytes after it
/// alone, and those before it on the bytes before it.
enum Repeat {
    /// All of it is known line `.0`.
    Whole(usize),
    /// Its bytes up to offset `p` begin known line `prefix.0` (`p` = `prefix.1`), and its
    /// bytes from offset `q` end known line `suffix.0` (`q` = `suffix.1`), `p <= q`; each
    /// cut right after an ASCII space shared with that line. None: no such part.
    Ends {
        prefix: Option<(usize, usize)>,
        suffix: Option<(usize, usize)>,
    },
}

impl Known<'_> {
    /// How the line `raw` (its bytes without the newline) of another text repeats known lines.
    fn repeat(&self, raw: &[u8]) -> Repeat {
        let index = self.lines;
        let bytes = |l: usize| {
            let (from, to) = index.raw[l];
            &self.text.as_bytes()[from as usize..to as usize]
        };
        // The known lines that begin with its first bytes (all of it, when it is short):
        // one of them may be all of it, or share its longest beginning.
        let first = &raw[..raw.len().min(END_BYTES)];
        let mut prefix: Option<(usize, usize)> = None; // (bytes shared, line)
        for l in same_hash(&index.first, end_key(first)) {
            let n = common_prefix(raw, bytes(l));
            if n == raw.len() && n == bytes(l).len() {
                return Repeat::Whole(l);
            }
            if prefix.is_none_or(|(m, _)| n > m) {
                prefix = Some((n, l));
            }
        }
        if raw.len() < END_BYTES {
            return Repeat::Ends {
                prefix: None,
                suffix: None,
            };
        }
        // The longest end shared, cut back to the space nearest inside it.
        let prefix = prefix.and_then(|(n, l)| {
            let space = memchr::memrchr(b' ', &raw[..n])?;
            Some((l, space + 1))
        });
        let longest_suffix = (same_hash(&index.last, end_key(&raw[raw.len() - END_BYTES..])))
            .map(|l| (common_suffix(raw, bytes(l)), l))
            .max_by_key(|&(n, l)| (n, std::cmp::Reverse(l)));
        let suffix = longest_suffix.and_then(|(n, l)| {
            let space = raw.len() - n + memchr::memchr(b' ', &raw[raw.len() - n..])?;
            Some((l, space + 1))
        });
        // Ends that overlap: the suffix starts where the prefix ends, after a space that lies
        // inside both.
        let suffix = match (prefix, suffix) {
            (Some((_, p)), Some((l, q))) if q < p => Some((l, p)),
            _ => suffix,
        };
        Repeat::Ends { prefix, suffix }
    }
}

/// Bytes at either end of a line by which lines sharing a beginning (an end) are found.
const END_BYTES: usize = 16;

/// Key of at most [`END_BYTES`] bytes (a line's first or last ones): the bytes read as two
/// integers, mixed with their count. Lines found by it are compared byte by byte.
fn end_key(bytes: &[u8]) -> u64 {
    let (lo, hi) = lanes(bytes);
    fmix64(lo ^ fmix64(hi ^ bytes.len() as u64))
}

/// The lines of `entries` (sorted (hash, line) pairs) whose hash is `h`.
fn same_hash(entries: &[(u64, u32)], h: u64) -> impl Iterator<Item = usize> + '_ {
    let first = entries.partition_point(|e| e.0 < h);
    (entries[first..].iter())
        .take_while(move |e| e.0 == h)
        .map(|e| e.1 as usize)
}

/// The lines of a tokenized text by their bytes (see [`Known`]).
#[derive(Debug, Default, Clone)]
pub struct LineIndex {
    /// Per line: the range of its bytes without the newline (and a carriage return before
    /// it, as the tokenizer cuts lines).
    raw: Vec<(u32, u32)>,
    /// (hash, line), sorted: of its first [`END_BYTES`] bytes (all of them when it is
    /// shorter), and of its last ones (lines that have as many).
    first: Vec<(u64, u32)>,
    last: Vec<(u64, u32)>,
}

impl LineIndex {
    /// The index of `tok`, the tokens of `text`.
    pub fn new(text: &str, tok: &Tokenized) -> Self {
        let bytes = text.as_bytes();
        let raw: Vec<(u32, u32)> = (tok.lines.iter())
            .map(|line| {
                // Only whitespace, a few bytes at most, lies between a line's trimmed bytes and
                // its newlines.
                let (mut from, mut to) = (line.start as usize, line.end as usize);
                while from > 0 && bytes[from - 1] != b'\n' {
                    from -= 1;
                }
                while to < bytes.len() && bytes[to] != b'\n' {
                    to += 1;
                }
                if to > from && bytes[to - 1] == b'\r' {
                    to -= 1;
                }
                (from as u32, to as u32)
            })
            .collect();
        let hashes = |part: fn(&[u8]) -> Option<&[u8]>| {
            let mut v: Vec<(u64, u32)> = Vec::with_capacity(raw.len());
            v.extend((raw.iter().enumerate()).filter_map(|(l, &(from, to))| {
                let key = part(&bytes[from as usize..to as usize])?;
                Some((end_key(key), l as u32))
            }));
            v.sort_unstable();
            v
        };
        LineIndex {
            first: hashes(|b| Some(&b[..b.len().min(END_BYTES)])),
            last: hashes(|b| b.get(b.len().checked_sub(END_BYTES)?..)),
            raw,
        }
    }
}

/// Seeded tokenizer; reusable across texts to avoid reallocating its buffers.
pub struct Tokenizer {
    seed: u64,
    with_spans: bool,
    word: Vec<u8>,
    /// Per byte of the current text, one bit: an ASCII letter or digit.
    ascii_word: Vec<u64>,
    /// Per byte of the current text, one bit: an ASCII letter or digit, or a non-ASCII byte
    /// (where a word may start).
    may_start: Vec<u64>,
}

impl Tokenizer {
    pub fn new(seed: u64) -> Self {
        Tokenizer {
            seed,
            with_spans: false,
            word: Vec::with_capacity(64),
            ascii_word: Vec::new(),
            may_start: Vec::new(),
        }
    }

    pub fn seed(&self) -> u64 {
        self.seed
    }

    /// Also record the byte span of every token (needed for alignment reports).
    pub fn with_spans(mut self) -> Self {
        self.with_spans = true;
        self
    }

    /// Tokenize `text` into `out` (cleared first).
    pub fn tokenize(&mut self, text: &str, out: &mut Tokenized) {
        self.tokenize_lines::<false>(text, out, None);
    }

    /// [`Tokenizer::tokenize`] for a text that repeats lines of `known`: where a line's bytes
    /// are those of a line of `known`, whole or at either end (see [`Repeat`]), it gets that
    /// line's tokens with their spans moved to where it is (and, when whole, its hash and
    /// sentence ending) — what tokenizing would give, since a line's tokens depend on its
    /// own bytes alone. Copies of one story share most of their lines.
    pub fn tokenize_like(&mut self, text: &str, out: &mut Tokenized, known: Known) {
        self.tokenize_lines::<true>(text, out, Some(known));
    }

    /// Tokenize `text` into `out`, like `known` when `LIKE`: a copy of this function for
    /// each, so that plain tokenizing pays nothing for the lookups.
    fn tokenize_lines<const LIKE: bool>(
        &mut self,
        text: &str,
        out: &mut Tokenized,
        known: Option<Known>,
    ) {
        let known = known.filter(|_| LIKE);
        out.tokens.clear();
        out.token_spans.clear();
        out.lines.clear();
        out.paragraphs.clear();
        let bytes = text.as_bytes();
        if bytes.len() > u32::MAX as usize {
            // Offsets are u32; a 4 GiB article is not news. Keep the first 4 GiB.
            let mut cut = u32::MAX as usize;
            while !text.is_char_boundary(cut) {
                cut -= 1;
            }
            return self.tokenize_lines::<LIKE>(&text[..cut], out, known);
        }
        let words = bytes.len() / 64 + 1;
        for bits in [&mut self.ascii_word, &mut self.may_start] {
            bits.clear();
            bits.resize(words, 0);
        }
        // The words of a text like a known one are looked at only where it does not repeat
        // the known lines: the bitmaps are made for those bytes alone.
        if known.is_none() {
            byte_classes(
                bytes,
                0..bytes.len(),
                &mut self.ascii_word,
                &mut self.may_start,
            );
        }
        let mut blank_seen = false; // a blank line separates two non-blank lines somewhere
        let mut pending_blank = false;
        let mut line_breaks: Vec<bool> = Vec::new(); // per line: blank line before it
        let mut line_start = 0usize;
        let mut pos = 0usize;
        while pos <= bytes.len() {
            let end = memchr::memchr(b'\n', &bytes[pos..]).map_or(bytes.len(), |i| pos + i);
            let mut content_end = end;
            if content_end > line_start && bytes[content_end - 1] == b'\r' {
                content_end -= 1;
            }
            let raw = &text[line_start..content_end];
            if raw.trim().is_empty() {
                if !out.lines.is_empty() {
                    pending_blank = true;
                }
            } else {
                let tok_start = out.tokens.len() as u32;
                let start = (line_start + (raw.len() - raw.trim_start().len())) as u32;
                let trimmed = raw.trim_end();
                let (line_end, line_start) = (content_end as u32, line_start as u32);
                let (hash, ends) = match known.map(|k| (k, k.repeat(raw.as_bytes()))) {
                    Some((k, Repeat::Whole(l))) => {
                        let shift = line_start.wrapping_sub(k.lines.raw[l].0);
                        self.copy_tokens(k, l, (0, u32::MAX), shift, out);
                        let same = &k.tok.lines[l];
                        (same.hash, same.ends_sentence)
                    }
                    repeat => {
                        let (prefix, suffix) = match repeat {
                            Some((k, Repeat::Ends { prefix, suffix })) => {
                                (prefix.map(|e| (k, e)), suffix.map(|e| (k, e)))
                            }
                            _ => (None, None),
                        };
                        let (mut p, mut q) = (line_start, line_end);
                        if let Some((k, (l, at))) = prefix {
                            let shift = line_start.wrapping_sub(k.lines.raw[l].0);
                            p = line_start + at as u32;
                            // Up to the space.
                            let hi = p.wrapping_sub(shift) - 1;
                            self.copy_tokens(k, l, (0, hi), shift, out);
                        }
                        if let Some((_, (_, at))) = suffix {
                            q = line_start + at as u32;
                        }
                        let middle = p as usize..q as usize;
                        if known.is_some() {
                            let bits = (&mut self.ascii_word, &mut self.may_start);
                            byte_classes(bytes, middle.clone(), bits.0, bits.1);
                        }
                        self.words(text, middle, out);
                        if let Some((k, (l, _))) = suffix {
                            // Aligned at the line's end.
                            let shift = line_end.wrapping_sub(k.lines.raw[l].1);
                            self.copy_tokens(k, l, (q.wrapping_sub(shift), u32::MAX), shift, out);
                        }
                        let words = &out.tokens[tok_start as usize..];
                        let hash = if words.is_empty() {
                            0
                        } else {
                            line_hash(words)
                        };
                        (hash, ends_sentence(trimmed))
                    }
                };
                out.lines.push(Line {
                    start,
                    end: line_start + trimmed.len() as u32,
                    tok_start,
                    tok_end: out.tokens.len() as u32,
                    hash,
                    ends_sentence: ends,
                    para: 0,
                });
                line_breaks.push(pending_blank);
                blank_seen |= pending_blank;
                pending_blank = false;
            }
            if end >= bytes.len() {
                break;
            }
            pos = end + 1;
            line_start = pos;
        }
        // Paragraphs: blank-line separated, or one per line when the text has no blank line.
        let mut para_start = 0usize;
        for (i, &blank_before) in line_breaks.iter().enumerate() {
            let new_para = i > 0 && (!blank_seen || blank_before);
            if new_para {
                push_paragraph(out, para_start, i);
                para_start = i;
            }
        }
        if !out.lines.is_empty() {
            push_paragraph(out, para_start, out.lines.len());
        }
    }

    /// Emit the tokens of `known`'s line `l` that lie in the bytes `lo..=hi` of its text,
    /// with their spans moved by `shift` (modulo 2^32: it may be negative, the results are
    /// in range). [`Repeat`] says why they are the tokens of the same bytes here.
    fn copy_tokens(
        &self,
        known: Known,
        l: usize,
        (lo, hi): (u32, u32),
        shift: u32,
        out: &mut Tokenized,
    ) {
        let line = &known.tok.lines[l];
        let all = line.tok_start as usize..line.tok_end as usize;
        let spans = &known.tok.token_spans[all.clone()];
        let from = spans.partition_point(|s| s.0 < lo);
        let to = from + spans[from..].partition_point(|s| s.1 <= hi);
        let words = all.start + from..all.start + to;
        out.tokens
            .extend_from_slice(&known.tok.tokens[words.clone()]);
        if self.with_spans {
            let spans = known.tok.token_spans[words].iter();
            (out.token_spans)
                .extend(spans.map(|&(s, e)| (s.wrapping_add(shift), e.wrapping_add(shift))));
        }
    }

    /// Emit the tokens of the line `line` of `text`.
    fn words(&mut self, text: &str, line: std::ops::Range<usize>, out: &mut Tokenized) {
        self.word.clear();
        let all = text.as_bytes();
        let end_of_line = line.end;
        let text = &text[..end_of_line];
        let bytes = text.as_bytes();
        let (mut word_start, mut last_end) = (line.start, line.start);
        let mut i = line.start;
        while i < end_of_line {
            let b = bytes[i];
            if self.word.is_empty() && bit(&self.ascii_word, i) {
                // Fast path: a plain ASCII word ending at an ASCII separator or the line end.
                let end = next_bit(&self.ascii_word, i, end_of_line, false);
                if end == end_of_line || (bytes[end] < 0x80 && bytes[end] != b'\'') {
                    let word = &bytes[i..end];
                    if word.len() <= SHORT_WORD {
                        let lanes = ascii_lowercase_lanes(all, i, word.len());
                        self.push_token(short_token(lanes, word.len(), self.seed), i, end, out);
                    } else {
                        self.word.extend(word.iter().map(|&c| c | 0x20));
                        self.flush(i, end, out);
                    }
                    // With no word pending, every ASCII byte that is not a letter or digit
                    // (an apostrophe too) only separates words.
                    i = next_bit(&self.may_start, end, end_of_line, true);
                    continue;
                }
            }
            if b < 0x80 {
                if b.is_ascii_alphanumeric() {
                    if self.word.is_empty() {
                        word_start = i;
                    }
                    self.word.push(b.to_ascii_lowercase());
                    last_end = i + 1;
                } else if b == b'\'' && !self.word.is_empty() && next_is_word(text, i + 1) {
                    // apostrophe inside a word: dropped
                } else {
                    self.flush(word_start, last_end, out);
                }
                i += 1;
                continue;
            }
            let c = text[i..].chars().next().expect("char boundary");
            let len = c.len_utf8();
            match classify(c) {
                CharClass::Apostrophe => {
                    if self.word.is_empty() || !next_is_word(text, i + len) {
                        self.flush(word_start, last_end, out);
                    }
                }
                CharClass::Separator => self.flush(word_start, last_end, out),
                CharClass::Ideograph => {
                    self.flush(word_start, last_end, out);
                    let mut buf = [0u8; 4];
                    self.word
                        .extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
                    self.flush(i, i + len, out);
                }
                CharClass::Other => {
                    let mut any = false;
                    let was_empty = self.word.is_empty();
                    let word = &mut self.word;
                    decompose_compatible(c, |d| {
                        if d.is_alphanumeric() || is_combining_mark(d) {
                            for l in d.to_lowercase() {
                                let mut buf = [0u8; 4];
                                word.extend_from_slice(l.encode_utf8(&mut buf).as_bytes());
                            }
                            any = true;
                        }
                    });
                    if any {
                        if was_empty {
                            word_start = i;
                        }
                        last_end = i + len;
                    } else {
                        self.flush(word_start, last_end, out);
                    }
                }
            }
            i += len;
        }
        self.flush(word_start, last_end, out);
    }

    /// Emit the pending word, if any.
    fn flush(&mut self, start: usize, end: usize, out: &mut Tokenized) {
        if self.word.is_empty() {
            return;
        }
        self.push_token(word_token(&self.word, self.seed), start, end, out);
        self.word.clear();
    }

    /// Emit a token spanning `start..end` of the text.
    #[inline]
    fn push_token(&self, token: u32, start: usize, end: usize, out: &mut Tokenized) {
        out.tokens.push(token);
        if self.with_spans {
            out.token_spans.push((start as u32, end as u32));
        }
    }
}

/// The token of a normalized word (UTF-8, lowercased). Words of up to [`SHORT_WORD`] bytes —
/// nearly all of them — are mixed from their bytes as two little-endian integers, which the
/// fast path reads straight from the text; longer words get seeded xxh3.
fn word_token(word: &[u8], seed: u64) -> u32 {
    if word.len() <= SHORT_WORD {
        short_token(lanes(word), word.len(), seed)
    } else {
        (xxh3_64_with_seed(word, seed) >> 32) as u32
    }
}

/// A word of at most [`SHORT_WORD`] bytes as two little-endian integers, zero-padded.
#[inline]
fn lanes(word: &[u8]) -> (u64, u64) {
    let mut buf = [0u8; SHORT_WORD];
    buf[..word.len()].copy_from_slice(word);
    (le_u64(&buf[..8]), le_u64(&buf[8..]))
}

/// [`lanes`] of the ASCII letters-and-digits word `bytes[start..start + len]`, lowercased:
/// setting bit 5 lowercases an ASCII letter and leaves a digit as it is. Read straight from
/// `bytes` when sixteen bytes are there.
#[inline]
fn ascii_lowercase_lanes(bytes: &[u8], start: usize, len: usize) -> (u64, u64) {
    let ones = |n: usize| u64::MAX.checked_shr(64 - 8 * n as u32).unwrap_or(0);
    let (mask_lo, mask_hi) = (ones(len.min(8)), ones(len.saturating_sub(8)));
    let (lo, hi) = match bytes.get(start..start + 16) {
        Some(b) => (le_u64(&b[..8]), le_u64(&b[8..])),
        None => lanes(&bytes[start..start + len]),
    };
    const BIT5: u64 = 0x2020_2020_2020_2020;
    ((lo | BIT5) & mask_lo, (hi | BIT5) & mask_hi)
}

/// The token of a short word from its [`lanes`]: the first lane, the seed and the length
/// (spread over all bits by a multiplication) go through the murmur3 finalizer, a bijection,
/// so that different words of one length, up to eight bytes, never share the 64-bit value; a
/// second lane is mixed in the same way. The token is the upper half.
#[inline]
fn short_token((lo, hi): (u64, u64), len: usize, seed: u64) -> u32 {
    let mut x = fmix64(lo ^ seed ^ (len as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15));
    if len > 8 {
        x = fmix64(x ^ hi.wrapping_mul(0xc2b2_ae3d_27d4_eb4f));
    }
    (x >> 32) as u32
}

/// Bit `i` of a per-byte bitmap.
#[inline]
fn bit(bits: &[u64], i: usize) -> bool {
    bits[i / 64] >> (i % 64) & 1 == 1
}

/// The first position `>= from` and `< limit` whose bit is `value`, or `limit`.
#[inline]
fn next_bit(bits: &[u64], from: usize, limit: usize, value: bool) -> usize {
    let flip = if value { 0 } else { u64::MAX };
    let mut w = from / 64;
    let mut cur = (bits[w] ^ flip) & (u64::MAX << (from % 64));
    loop {
        if cur != 0 {
            return (w * 64 + cur.trailing_zeros() as usize).min(limit);
        }
        w += 1;
        if w * 64 >= limit {
            return limit;
        }
        cur = bits[w] ^ flip;
    }
}

/// Set the bits of the bytes `range` of a text (and of a few bytes around it) in its class
/// bitmaps (see [`Tokenizer`]'s fields; one bit per byte of the text, zero where not set),
/// sixteen bytes at a time where the CPU has SSE2.
fn byte_classes(bytes: &[u8], range: Range<usize>, ascii_word: &mut [u64], may_start: &mut [u64]) {
    let mut set = |at: usize, word: u64, high: u64| {
        ascii_word[at / 64] |= word << (at % 64);
        may_start[at / 64] |= (word | high) << (at % 64);
    };
    // From a multiple of sixteen, so that no group of sixteen bits straddles two words.
    let mut done = range.start / 16 * 16;
    #[cfg(target_arch = "x86_64")]
    {
        use std::arch::x86_64::*;
        while done < range.end && done + 16 <= bytes.len() {
            // SAFETY: SSE2 is part of the x86_64 baseline, and the load reads the 16 bytes
            // `done..done + 16`, which are in bounds.
            let (word, high) = unsafe {
                let v = _mm_loadu_si128(bytes.as_ptr().add(done) as *const __m128i);
                // Shift each class onto the bottom of the signed range and compare once:
                // 'a'..='z' (after setting bit 5) and '0'..='9'. Bytes >= 0x80 never land
                // there.
                let lower = _mm_or_si128(v, _mm_set1_epi8(0x20));
                let letter = _mm_cmplt_epi8(
                    _mm_add_epi8(lower, _mm_set1_epi8(0x80u8.wrapping_sub(b'a') as i8)),
                    _mm_set1_epi8((-128 + 26) as i8),
                );
                let digit = _mm_cmplt_epi8(
                    _mm_add_epi8(v, _mm_set1_epi8(0x80u8.wrapping_sub(b'0') as i8)),
                    _mm_set1_epi8((-128 + 10) as i8),
                );
                (
                    _mm_movemask_epi8(_mm_or_si128(letter, digit)) as u16 as u64,
                    _mm_movemask_epi8(v) as u16 as u64,
                )
            };
            set(done, word, high);
            done += 16;
        }
    }
    for (i, &b) in bytes.iter().enumerate().take(range.end).skip(done) {
        set(i, ASCII_WORD[b as usize] as u64, (b >= 0x80) as u64);
    }
}

fn push_paragraph(out: &mut Tokenized, first: usize, end: usize) {
    let idx = out.paragraphs.len() as u32;
    for line in &mut out.lines[first..end] {
        line.para = idx;
    }
    let (a, b) = (out.lines[first], out.lines[end - 1]);
    out.paragraphs.push(Paragraph {
        start: a.start,
        end: b.end,
        line_start: first as u32,
        line_end: end as u32,
        tok_start: a.tok_start,
        tok_end: b.tok_end,
    });
}

/// Longest word (in bytes of its normalized form) whose token is mixed from its bytes
/// rather than hashed with xxh3 (see [`word_token`]).
const SHORT_WORD: usize = 16;

/// ASCII letters and digits, by byte value.
const ASCII_WORD: [bool; 256] = {
    let mut t = [false; 256];
    let mut b = 0;
    while b < 256 {
        t[b] = (b as u8).is_ascii_alphanumeric();
        b += 1;
    }
    t
};

enum CharClass {
    Apostrophe,
    Separator,
    Ideograph,
    Other,
}

fn classify(c: char) -> CharClass {
    match c {
        '\u{2019}' | '\u{2018}' | '\u{02bc}' | '\u{201b}' | '\u{ff07}' => CharClass::Apostrophe,
        '\u{00a0}' | '\u{2000}'..='\u{200f}' | '\u{2010}'..='\u{2015}' | '\u{2212}' => {
            CharClass::Separator
        }
        '\u{201c}'..='\u{201f}' | '\u{00ab}' | '\u{00bb}' | '\u{2026}' | '\u{2022}' => {
            CharClass::Separator
        }
        '\u{3040}'..='\u{30ff}'
        | '\u{3400}'..='\u{4dbf}'
        | '\u{4e00}'..='\u{9fff}'
        | '\u{f900}'..='\u{faff}'
        | '\u{0e00}'..='\u{0e7f}'
        | '\u{20000}'..='\u{2fa1f}' => CharClass::Ideograph,
        _ => CharClass::Other,
    }
}

/// Is the character starting at byte `i` of `s` part of a word?
fn next_is_word(s: &str, i: usize) -> bool {
    s[i..]
        .chars()
        .next()
        .is_some_and(|c| c.is_alphanumeric() && !matches!(classify(c), CharClass::Ideograph))
}

/// Does a (right-trimmed) line end like a sentence: `.`, `!`, `?`, `…`, possibly followed by
/// closing quotes or brackets?
pub fn ends_sentence(line: &str) -> bool {
    for c in line.chars().rev() {
        match c {
            '"' | '\'' | '\u{201d}' | '\u{2019}' | ')' | ']' => continue,
            '.' | '!' | '?' | '\u{2026}' | '\u{3002}' | '\u{ff01}' | '\u{ff1f}' => return true,
            _ => return false,
        }
    }
    false
}

/// Length of the common prefix of `x` and `y`.
pub fn common_prefix(x: &[u8], y: &[u8]) -> usize {
    let n = x.len().min(y.len());
    let (x, y) = (&x[..n], &y[..n]);
    let mut k = 0;
    // Eight bytes at a time: the first differing byte is the lowest set byte of the xor.
    for (cx, cy) in x.chunks_exact(8).zip(y.chunks_exact(8)) {
        let d = le_u64(cx) ^ le_u64(cy);
        if d != 0 {
            return k + (d.trailing_zeros() / 8) as usize;
        }
        k += 8;
    }
    k + x[k..]
        .iter()
        .zip(&y[k..])
        .take_while(|(p, q)| p == q)
        .count()
}

/// Length of the common suffix of `x` and `y`.
pub fn common_suffix(x: &[u8], y: &[u8]) -> usize {
    let n = x.len().min(y.len());
    let (x, y) = (&x[x.len() - n..], &y[y.len() - n..]);
    let mut k = 0;
    // Eight bytes at a time from the end: the last differing byte is the highest set byte
    // of the xor.
    for (cx, cy) in x.rchunks_exact(8).zip(y.rchunks_exact(8)) {
        let d = le_u64(cx) ^ le_u64(cy);
        if d != 0 {
            return k + (d.leading_zeros() / 8) as usize;
        }
        k += 8;
    }
    k + x[..n - k]
        .iter()
        .rev()
        .zip(y[..n - k].iter().rev())
        .take_while(|(p, q)| p == q)
        .count()
}

/// Eight bytes as a little-endian integer.
fn le_u64(c: &[u8]) -> u64 {
    u64::from_le_bytes(c.try_into().expect("8 bytes"))
}

/// Hash of a token sequence (order-sensitive), used for lines and whole documents.
pub fn line_hash(tokens: &[u32]) -> u64 {
    let mut h: u64 = 0x9e37_79b9_7f4a_7c15 ^ tokens.len() as u64;
    for &t in tokens {
        h = (h.rotate_left(23) ^ t as u64).wrapping_mul(0x0000_0100_0000_01b3 | 1 << 63);
    }
    fmix64(h)
}

/// The murmur3 64-bit finalizer: a cheap bijective mix with full avalanche.
#[inline]
pub fn fmix64(mut k: u64) -> u64 {
    k ^= k >> 33;
    k = k.wrapping_mul(0xff51_afd7_ed55_8ccd);
    k ^= k >> 33;
    k = k.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
    k ^= k >> 33;
    k
}

#[cfg(test)]
mod tests {
    use super::*;

    fn toks(s: &str) -> Vec<u32> {
        let mut t = Tokenizer::new(1);
        let mut out = Tokenized::default();
        t.tokenize(s, &mut out);
        out.tokens
    }

    #[test]
    fn restyling_does_not_change_tokens() {
        let a = "The children\u{2019}s hospital said: \u{201c}We are aware\u{201d} \u{2013} fine.";
        let b = "the children's hospital said: \"We  are\u{a0}aware\" - fine.";
        assert_eq!(toks(a), toks(b));
        assert_eq!(toks(a).len(), 8);
    }

    #[test]
    fn fast_and_slow_paths_give_the_same_tokens() {
        // The ASCII fast path reads words straight from the text; an apostrophe or a
        // non-ASCII letter sends a word through the byte-by-byte path. Both must agree, for
        // every word length around the lane boundaries and with or without sixteen bytes
        // left after the word.
        for len in [1, 7, 8, 9, 15, 16, 17, 30] {
            let word: String = (0..len).map(|i| (b'a' + (i % 26) as u8) as char).collect();
            let upper = word.to_uppercase();
            let slow = format!("{}\u{2019}{}", &word[..1], &word[1..]);
            let slow_upper = format!("{}'{}", &upper[..1], &upper[1..]);
            let at_end = toks(&word);
            let padded = toks(&format!("{word} and then some more words after it"));
            assert_eq!(at_end.len(), 1, "{word}");
            for other in [toks(&upper), toks(&slow), toks(&slow_upper), padded] {
                assert_eq!(other[0], at_end[0], "{word}");
            }
        }
    }

    #[test]
    fn short_words_do_not_collide() {
        // Words of one length, up to eight bytes, map one-to-one onto the 64-bit mix; words
        // of different lengths (prefixes, zero-padding) must not meet either.
        let words = [
            "release",
            "released",
            "a",
            "aa",
            "ab",
            "ba",
            "abcdefgh",
            "abcdefghi",
        ];
        let tokens: Vec<u32> = words.iter().map(|w| toks(w)[0]).collect();
        let mut distinct = tokens.clone();
        distinct.sort_unstable();
        distinct.dedup();
        assert_eq!(distinct.len(), words.len());
    }

    #[test]
    fn compatibility_forms_and_accents_fold() {
        assert_eq!(toks("ﬁnancial ＡＢＣ"), toks("financial abc"));
        assert_eq!(toks("Caf\u{e9}"), toks("Cafe\u{301}"));
        assert_ne!(toks("café"), toks("cafe"));
    }

    #[test]
    fn paragraph_breaks_do_not_change_tokens() {
        assert_eq!(
            toks("one two.\n\nthree four."),
            toks("one two. three four.")
        );
    }

    #[test]
    fn cjk_falls_back_to_characters() {
        assert_eq!(toks("東京都").len(), 3);
        assert_eq!(toks("abc東京").len(), 3);
    }

    #[test]
    fn paragraphs_by_blank_lines_or_single_newlines() {
        let mut t = Tokenizer::new(1);
        let mut out = Tokenized::default();
        t.tokenize("a b\nc d\n\ne f\n", &mut out);
        assert_eq!(out.lines.len(), 3);
        assert_eq!(out.paragraphs.len(), 2);
        assert_eq!(out.paragraphs[0].line_end, 2);
        t.tokenize("a b\r\nc d\r\ne f", &mut out);
        assert_eq!(out.paragraphs.len(), 3);
        assert_eq!(
            &"a b\r\nc d\r\ne f"[out.lines[1].start as usize..out.lines[1].end as usize],
            "c d"
        );
    }

    #[test]
    fn spans_point_into_the_original() {
        let text = "  \u{201c}Don\u{2019}t\u{201d} go — now";
        let mut t = Tokenizer::new(1).with_spans();
        let mut out = Tokenized::default();
        t.tokenize(text, &mut out);
        let words: Vec<&str> = out
            .token_spans
            .iter()
            .map(|&(s, e)| &text[s as usize..e as usize])
            .collect();
        assert_eq!(words, vec!["Don\u{2019}t", "go", "now"]);
    }

    #[test]
    fn repeated_lines_tokenize_as_their_own() {
        let known = "Intro line.\r\n\n  \u{201c}Don\u{2019}t\u{201d} go \u{2014} now.  \nSame words\nx\n\
            The minister's office said on Tuesday it would not comment on the report.\n\
            Officials in the capital declined to say when the talks would resume, sources said.";
        let texts = [
            "  \u{201c}Don\u{2019}t\u{201d} go \u{2014} now.  \r\nSame words\r\n\nIntro line.",
            "Other text.\n\n  \u{201c}Don\u{2019}t\u{201d} go \u{2014} now.  \nSame words",
            "\u{201c}Don\u{2019}t\u{201d} go \u{2014} now.\nSame  words\n\n\nx\n",
            // Edited in the middle, at either end, or both ends kept with overlap.
            "The minister's office said on Monday it would not comment on the report.\n\
             The minister's office said on Tuesday it would not comment.\n\
             A minister's office said on Tuesday it would not comment on the report.\n\
             The minister's office said on Tuesday it would not comment on the report!\n\
             The minister's office said on Tuesday it would it would not comment on the report.\n\
             Officials in the capital declined to say when the talks would resume, sources said.x\n\
             The minister\u{2019}s office said on Tuesday, \u{201c}no\u{201d} comment on the report.\n\
             Officials in the capital declined, the minister's office said on Tuesday.",
        ];
        let mut t = Tokenizer::new(1).with_spans();
        let mut k = Tokenized::default();
        t.tokenize(known, &mut k);
        let lines = LineIndex::new(known, &k);
        let known = Known {
            text: known,
            tok: &k,
            lines: &lines,
        };
        for text in texts {
            let (mut plain, mut like) = (Tokenized::default(), Tokenized::default());
            t.tokenize(text, &mut plain);
            t.tokenize_like(text, &mut like, known);
            assert_eq!(plain.tokens, like.tokens, "{text:?}");
            assert_eq!(plain.token_spans, like.token_spans, "{text:?}");
            assert_eq!(plain.lines, like.lines, "{text:?}");
            assert_eq!(plain.paragraphs, like.paragraphs, "{text:?}");
        }
    }

    #[test]
    fn common_ends() {
        assert_eq!(common_prefix(b"abcdefghijkl", b"abcdefghijkX"), 11);
        assert_eq!(common_prefix(b"abcdeXghijkl", b"abcdefghijkl"), 5);
        assert_eq!(common_prefix(b"abc", b"abcdef"), 3);
        assert_eq!(common_prefix(b"", b"a"), 0);
        assert_eq!(common_suffix(b"Xbcdefghijkl", b"abcdefghijkl"), 11);
        assert_eq!(common_suffix(b"abcdefgXijkl", b"abcdefghijkl"), 4);
        assert_eq!(common_suffix(b"def", b"abcdef"), 3);
        assert_eq!(common_suffix(b"zzabcdefghij", b"abcdefghij"), 10);
        assert_eq!(common_suffix(b"a", b""), 0);
    }

    #[test]
    fn sentence_endings() {
        assert!(ends_sentence("He said it.\u{201d}"));
        assert!(ends_sentence("Really?"));
        assert!(!ends_sentence("Similar News:"));
        assert!(!ends_sentence("Read more \u{bb}"));
    }
}
