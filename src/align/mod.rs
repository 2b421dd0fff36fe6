//! Paragraph alignment: how a copy B differs from its canonical A, paragraph by paragraph.
//!
//! Finding copies answers "which"; editors and archivists then ask "what did this outlet
//! change?". [`align`] answers with operations over paragraph ranges (the `DiffOp` idea of
//! the `similar` crate: the algorithm emits operations, reports only read them), a label for
//! every paragraph of both texts, byte offsets into both original texts, and a one-line
//! verdict ("B is A truncated after paragraph 2 of 9; adds a 6-line link list").
//!
//! How:
//! 1. Both texts are tokenized with spans (the same folding as matching: quotes, dashes,
//!    case, NFKC) and their furniture lines are labelled by the boilerplate model — the one
//!    learned from the corpus in a scan, or the structural rules alone for two lone texts.
//!    Furniture takes no part in matching, so a headline in a "Similar News" list cannot
//!    pose as a story paragraph — except prose that the link-list rule took in with its
//!    neighbours (see `Article::soft`): it is furniture only if it matches nothing.
//! 2. Words are matched (see `align::tokens`): paragraphs with the same words whole, in order,
//!    then the text between them by a patience diff over word trigrams; text left over on
//!    both sides is matched again, and those matches mark moved text. Apart from the whole
//!    paragraphs, layout is invisible to this step, so merged and split paragraphs match
//!    word for word.
//! 3. Paragraph A*p* and paragraph B*q* are linked when at least [`EDGE_SHARE`] of the
//!    smaller one's words, and at least [`MIN_LINK`] words, are matched between them (chance
//!    matches of common words in an otherwise unrelated pair stay below that). The links
//!    give the labels:
//!    one B paragraph linked to several A paragraphs is *merged*, one A paragraph linked to
//!    several B paragraphs is *split*; a one-to-one pair is *moved* when its words were
//!    matched out of order, else *shared* (same bytes up to surrounding whitespace),
//!    *restyled* (same words) or *edited* (word changes, reported). Unlinked paragraphs are
//!    *added* (B) or *dropped* (A), unless they are *boilerplate*: furniture for the model,
//!    no words at all, every line link-like (short and not ending a sentence: "READ MORE:
//!    …", "Share: Facebook | X"), or short lines outside the shared story (bylines and
//!    datelines before it; truncation markers and "Comments are closed" after it — on the
//!    copy's side only, since the canonical's short closing paragraphs are story).
//! 4. A copy is *truncated after* A paragraph *t* when *t* is the last A paragraph it keeps
//!    and some body paragraph of A follows.
//!
//! Budget: with at most [`AlignParams::max_tokens`] tokens per text the word matching costs
//! O(n log n) per recursion level and pass (see `align::tokens`). Beyond that the aligner falls
//! back to its first step alone — whole paragraphs with equal normalized word sequences, in
//! order — which finds shared, restyled, added, dropped and boilerplate paragraphs and
//! truncation, but reports edited, merged, split and moved paragraphs as dropped and added.
//! [`Alignment::fallback`] says when that happened, and the verdict says so.

mod tokens;
mod verdict;

pub use verdict::Restyles;

use crate::boilerplate::{BoilerplateModel, Furniture, SHORT_LINE, is_link_like};
use crate::normalize::{Known, LineIndex, Tokenized, Tokenizer};
use std::sync::OnceLock;
use tokens::{NONE, Side, TokenMatch, match_tokens};

/// Share of the smaller paragraph's words that must be matched to link two paragraphs.
pub const EDGE_SHARE: f64 = 0.25;
/// Matched words a link needs at least (or all words of a shorter paragraph): two words can
/// match by chance where a cut tail meets a truncation marker ("… has been …").
pub const MIN_LINK: u32 = 3;
/// A linked A paragraph with less than this share of its words matched is kept "in part".
pub const PARTIAL: f64 = 0.6;

/// What happened to one paragraph.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Label {
    /// Same text (up to surrounding whitespace).
    Shared,
    /// Same words; quotes, dashes, case, spacing or punctuation differ.
    Restyled,
    /// The same paragraph with word-level changes.
    Edited,
    /// One paragraph of one side holds several consecutive paragraphs of the other; on B the
    /// paragraph made of several, on A each of the several.
    Merged,
    /// One A paragraph is several B paragraphs (the mirror of merged).
    Split,
    /// The same paragraph at another position.
    Moved,
    /// Only in B.
    Added,
    /// Only in A.
    Dropped,
    /// Site furniture.
    Boilerplate,
}

impl Label {
    pub const ALL: [Label; 9] = [
        Label::Shared,
        Label::Restyled,
        Label::Edited,
        Label::Merged,
        Label::Split,
        Label::Moved,
        Label::Added,
        Label::Dropped,
        Label::Boilerplate,
    ];

    pub fn as_str(&self) -> &'static str {
        match self {
            Label::Shared => "shared",
            Label::Restyled => "restyled",
            Label::Edited => "edited",
            Label::Merged => "merged",
            Label::Split => "split",
            Label::Moved => "moved",
            Label::Added => "added",
            Label::Dropped => "dropped",
            Label::Boilerplate => "boilerplate",
        }
    }
}

/// The kind of an operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OpKind {
    /// One A paragraph = one B paragraph, byte for byte.
    Shared,
    /// One to one, same words.
    Restyled,
    /// One to one with word changes.
    Edited,
    /// Several A paragraphs → one B paragraph.
    Merged,
    /// One A paragraph → several B paragraphs.
    Split,
    /// Several → several with the paragraph breaks elsewhere.
    Regrouped,
    /// B paragraphs not in A.
    Added,
    /// A paragraphs not in B.
    Dropped,
    /// Furniture paragraphs of one side.
    Boilerplate,
}

impl OpKind {
    pub fn as_str(&self) -> &'static str {
        match self {
            OpKind::Shared => "shared",
            OpKind::Restyled => "restyled",
            OpKind::Edited => "edited",
            OpKind::Merged => "merged",
            OpKind::Split => "split",
            OpKind::Regrouped => "regrouped",
            OpKind::Added => "added",
            OpKind::Dropped => "dropped",
            OpKind::Boilerplate => "boilerplate",
        }
    }
}

/// A word-level change inside an operation: byte ranges in A and B (an empty range is an
/// insertion point).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WordChange {
    pub a: (u32, u32),
    pub b: (u32, u32),
}

/// One operation over paragraph ranges. Paragraph ranges are half-open, 0-based; the range
/// of the side an operation does not touch is empty at the point where it applies.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Op {
    pub kind: OpKind,
    pub a: (u32, u32),
    pub b: (u32, u32),
    /// Byte range in A's text (from the first paragraph's start to the last one's end).
    pub a_bytes: (u32, u32),
    pub b_bytes: (u32, u32),
    /// The paragraphs were matched out of order.
    pub moved: bool,
    /// Word changes, in B order (matched operations only; a [`summarize`] alignment fills
    /// them for edited operations only).
    pub words: Vec<WordChange>,
}

/// The label of one paragraph.
#[derive(Debug, Clone, PartialEq)]
pub struct Para {
    pub label: Label,
    /// Byte range of the paragraph in its text.
    pub start: u32,
    pub end: u32,
    /// Linked paragraphs of the other side (0-based); empty in a [`summarize`] alignment
    /// (see `Detail`).
    pub partners: Vec<u32>,
    /// Share of its words matched to its partners.
    pub kept: f64,
    /// Why a boilerplate paragraph is furniture: a [`Furniture`] name, `no_words`,
    /// `link_like` or `outside_story`.
    pub furniture: Option<&'static str>,
}

/// Limits of the pairwise work (see the module docs).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AlignParams {
    /// Texts with more tokens than this are aligned by whole paragraphs only.
    pub max_tokens: usize,
    /// Matching passes (the first in order, the others for moved text).
    pub passes: usize,
}

impl Default for AlignParams {
    fn default() -> Self {
        AlignParams {
            max_tokens: 100_000,
            passes: 3,
        }
    }
}

/// The budget was hit: a text had `tokens` tokens, more than `max_tokens`, so paragraphs
/// were matched whole (see the module docs).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fallback {
    pub tokens: usize,
    pub max_tokens: usize,
}

/// The alignment of a copy B with its canonical A.
#[derive(Debug, Clone, PartialEq)]
pub struct Alignment {
    pub a: Vec<Para>,
    pub b: Vec<Para>,
    /// In B order; A paragraphs missing from B come where they would have been.
    pub ops: Vec<Op>,
    /// 1-based A paragraph after which B stops, when B drops A's tail.
    pub truncated_after: Option<u32>,
    /// Paragraph count of A up to its last paragraph that is not boilerplate.
    pub a_body_paragraphs: u32,
    pub restyles: Restyles,
    /// The texts are byte-identical.
    pub identical: bool,
    pub verdict: String,
    pub fallback: Option<Fallback>,
}

/// Counts of an alignment for reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Summary {
    /// B paragraphs per label, except `Dropped`, which counts A paragraphs.
    counts: [u32; 9],
    pub truncated_after: Option<u32>,
    pub verdict: String,
    pub fallback: bool,
}

impl Summary {
    pub fn count(&self, label: Label) -> u32 {
        self.counts[label as usize]
    }
}

impl Alignment {
    pub fn summary(&self) -> Summary {
        let mut counts = [0u32; 9];
        for p in &self.b {
            counts[p.label as usize] += 1;
        }
        counts[Label::Dropped as usize] =
            self.a.iter().filter(|p| p.label == Label::Dropped).count() as u32;
        Summary {
            counts,
            truncated_after: self.truncated_after,
            verdict: self.verdict.clone(),
            fallback: self.fallback.is_some(),
        }
    }
}

/// The vectors of an [`Article`] that are kept when it is dropped, for the next one made on
/// the same thread: a scan makes an article for every member, and allocating and growing
/// them anew each time was about a tenth of the cost of making one.
#[derive(Default)]
struct Buffers {
    tok: Tokenized,
    side: Side,
    para_of: Vec<u32>,
}

/// At most this many [`Buffers`] are kept per thread (a canonical and a member, and a few
/// more when the thread takes on other clusters while one waits).
const SPARE_BUFFERS: usize = 4;

thread_local! {
    static SPARE: std::cell::RefCell<Vec<Buffers>> = const { std::cell::RefCell::new(Vec::new()) };
    /// The tokenizer articles are made with on this thread, with its buffers.
    static TOKENIZER: std::cell::Cell<Option<Tokenizer>> = const { std::cell::Cell::new(None) };
}

impl Drop for Article<'_> {
    fn drop(&mut self) {
        let buffers = Buffers {
            tok: std::mem::take(&mut self.tok),
            side: std::mem::take(&mut self.side),
            para_of: std::mem::take(&mut self.para_of),
        };
        // When the thread is ending the pool may be gone; the buffers are freed then.
        let _ = SPARE.try_with(|spare| {
            let mut spare = spare.borrow_mut();
            if spare.len() < SPARE_BUFFERS {
                spare.push(buffers);
            }
        });
    }
}

/// One text ready for alignment: its tokens with spans and its furniture lines.
pub struct Article<'t> {
    text: &'t str,
    tok: Tokenized,
    furniture: Vec<Option<Furniture>>,
    /// What the matcher needs (see `Side`).
    side: Side,
    /// Per token: its paragraph.
    para_of: Vec<u32>,
    /// Per paragraph: it holds learned soft furniture (see [`Soft::Learned`]) and no hard
    /// furniture, so that its links count only inside the shared story. Empty when no
    /// paragraph does, as in most texts: then no link needs the story-span test of
    /// `inside_story`. Made once, as a canonical's is asked by every copy.
    learned_soft: Vec<bool>,
    /// Hashes of its lines with words, sorted; made when first asked for (a canonical is
    /// asked by all its copies).
    line_hashes: OnceLock<Vec<u64>>,
    /// Its lines by their bytes, for tokenizing its copies (see [`Article::new_like`]);
    /// made when first asked for.
    line_index: OnceLock<LineIndex>,
}

impl<'t> Article<'t> {
    /// Tokenize `text` with `seed` (the scan's seed, so that learned furniture lines are
    /// recognised), label its furniture with `model` and prepare it for matching.
    pub fn new(text: &'t str, seed: u64, model: &BoilerplateModel) -> Self {
        Self::build(text, seed, model, None)
    }

    /// [`Article::new`] for a text that may repeat lines of `like` (a copy of the same
    /// story): the lines it repeats byte for byte are not tokenized again.
    pub fn new_like(text: &'t str, seed: u64, model: &BoilerplateModel, like: &Article) -> Self {
        Self::build(text, seed, model, Some(like))
    }

    fn build(text: &'t str, seed: u64, model: &BoilerplateModel, like: Option<&Article>) -> Self {
        let spare = SPARE.with_borrow_mut(Vec::pop).unwrap_or_default();
        let Buffers {
            mut tok,
            side,
            para_of,
        } = spare;
        // About one word per six bytes of news text: reserve once instead of growing (after
        // dropping what the pooled buffers held, which would otherwise be copied along).
        tok.tokens.clear();
        tok.token_spans.clear();
        tok.tokens.reserve(text.len() / 6);
        tok.token_spans.reserve(text.len() / 6);
        let mut tokenizer = (TOKENIZER.take())
            .filter(|t| t.seed() == seed)
            .unwrap_or_else(|| Tokenizer::new(seed).with_spans());
        match like {
            Some(like) => tokenizer.tokenize_like(text, &mut tok, like.known()),
            None => tokenizer.tokenize(text, &mut tok),
        }
        TOKENIZER.set(Some(tokenizer));
        let furniture = model.classify(tok.view());
        let any_learned = (furniture.iter())
            .any(|f| matches!(f, Some(Furniture::Common | Furniture::NearTemplate)));
        let mut article = Article {
            text,
            tok,
            furniture,
            side,
            para_of,
            learned_soft: Vec::new(),
            line_hashes: OnceLock::new(),
            line_index: OnceLock::new(),
        };
        let ranges = || {
            article
                .tok
                .paragraphs
                .iter()
                .map(|p| (p.tok_start, p.tok_end))
        };
        // The hash of a one-line paragraph's words is its line's.
        let hashes = (article.tok.paragraphs.iter()).map(|p| {
            (p.line_end == p.line_start + 1).then(|| article.tok.lines[p.line_start as usize].hash)
        });
        let mut side = std::mem::take(&mut article.side);
        side.fill(
            &article.tok.tokens,
            article.matchable(),
            ranges().zip(hashes),
        );
        // Paragraphs cover the tokens in order.
        let mut para_of = std::mem::take(&mut article.para_of);
        para_of.clear();
        para_of.reserve(article.tok.tokens.len());
        for (p, r) in ranges().enumerate() {
            para_of.resize(r.1 as usize, p as u32);
        }
        (article.side, article.para_of) = (side, para_of);
        if any_learned {
            let soft: Vec<bool> = (0..article.tok.paragraphs.len())
                .map(|p| article.holds_learned_soft(p))
                .collect();
            if soft.contains(&true) {
                article.learned_soft = soft;
            }
        }
        article
    }

    pub fn text(&self) -> &'t str {
        self.text
    }

    pub fn tokenized(&self) -> &Tokenized {
        &self.tok
    }

    /// Furniture label of every line.
    pub fn furniture(&self) -> &[Option<Furniture>] {
        &self.furniture
    }

    /// Text of a byte range.
    pub fn slice(&self, (start, end): (u32, u32)) -> &'t str {
        &self.text[start as usize..end as usize]
    }

    /// Its tokens and lines for tokenizing a copy.
    fn known(&self) -> Known<'_> {
        Known {
            text: self.text,
            tok: &self.tok,
            lines: (self.line_index).get_or_init(|| LineIndex::new(self.text, &self.tok)),
        }
    }

    /// Hashes of the lines with words, sorted (for membership tests by binary search).
    fn sorted_line_hashes(&self) -> &[u64] {
        self.line_hashes.get_or_init(|| {
            let mut known: Vec<u64> = (self.tok.lines.iter())
                .map(|l| l.hash)
                .filter(|&h| h != 0)
                .collect();
            known.sort_unstable();
            known
        })
    }

    /// Furniture that may be story after all (see [`Soft`]).
    fn soft_kind(&self, l: usize) -> Option<Soft> {
        match self.furniture[l]? {
            Furniture::LinkList if !is_link_like(&self.tok.lines[l]) => Some(Soft::Absorbed),
            Furniture::Common | Furniture::NearTemplate => Some(Soft::Learned),
            _ => None,
        }
    }

    fn soft(&self, l: usize) -> bool {
        self.soft_kind(l).is_some()
    }

    /// Paragraph `p` holds learned soft furniture and no hard furniture: its links count
    /// only inside the shared story.
    fn learned_soft(&self, p: usize) -> bool {
        !self.learned_soft.is_empty() && self.learned_soft[p]
    }

    /// [`Article::learned_soft`] worked out from the lines.
    fn holds_learned_soft(&self, p: usize) -> bool {
        let para = &self.tok.paragraphs[p];
        !self.hard_furniture(p)
            && (para.line_start as usize..para.line_end as usize)
                .any(|l| self.soft_kind(l) == Some(Soft::Learned))
    }

    /// Paragraph `p` has a furniture line that is not soft.
    fn hard_furniture(&self, p: usize) -> bool {
        let para = &self.tok.paragraphs[p];
        (para.line_start as usize..para.line_end as usize)
            .any(|l| self.furniture[l].is_some() && !self.soft(l))
    }

    /// Token ranges that take part in matching, ascending: the lines with words that are not
    /// furniture, or soft furniture in a paragraph without other furniture.
    fn matchable(&self) -> impl Iterator<Item = (u32, u32)> + '_ {
        let lines = self.tok.lines.iter().enumerate();
        lines
            .filter(|(l, line)| {
                line.tok_start < line.tok_end
                    && (self.furniture[*l].is_none()
                        || (self.soft(*l) && !self.hard_furniture(line.para as usize)))
            })
            .map(|(_, line)| (line.tok_start, line.tok_end))
    }

    /// Why paragraph `p` is furniture by the model or for lack of words; soft lines of a
    /// `linked` paragraph are text.
    fn furniture_of(&self, p: usize, linked: bool) -> Option<&'static str> {
        let para = &self.tok.paragraphs[p];
        if para.tok_start == para.tok_end {
            return Some("no_words");
        }
        let hard = self.hard_furniture(p);
        let mut kind = None;
        for l in para.line_start as usize..para.line_end as usize {
            let text = self.furniture[l].is_none() || (linked && !hard && self.soft(l));
            if text && self.tok.lines[l].n_tokens() > 0 {
                return None;
            }
            kind = kind.or(self.furniture[l].map(|f| f.as_str()));
        }
        kind
    }

    /// Every line of paragraph `p` satisfies `pred`.
    fn lines_all(&self, p: usize, pred: impl Fn(&crate::normalize::Line) -> bool) -> bool {
        let para = &self.tok.paragraphs[p];
        self.tok.lines[para.line_start as usize..para.line_end as usize]
            .iter()
            .all(pred)
    }

    fn paragraph_tokens(&self, p: usize) -> &[u32] {
        let para = &self.tok.paragraphs[p];
        &self.tok.tokens[para.tok_start as usize..para.tok_end as usize]
    }

    fn paragraph_bytes(&self, p: usize) -> (u32, u32) {
        let para = &self.tok.paragraphs[p];
        (para.start, para.end)
    }
}

/// Align copy `b` with canonical `a`.
pub fn align(a: &Article, b: &Article, params: &AlignParams) -> Alignment {
    align_with(a, b, params, Detail::Full)
}

/// The change summary of copy `b` against canonical `a`: `align(a, b, params).summary()`,
/// without the parts of the alignment that only `wirecopy diff` shows (see [`Detail`]).
pub fn summarize(a: &Article, b: &Article, params: &AlignParams) -> Summary {
    align_with(a, b, params, Detail::Summary).summary()
}

/// How much of an [`Alignment`] to fill in. A scan summarizes thousands of copies and reads
/// only labels, truncation and the verdict; per-paragraph partner lists (one Vec per linked
/// paragraph) and the word changes of merged, split and regrouped paragraphs are shown by
/// `wirecopy diff` alone, so a summary leaves `Para::partners` and those `Op::words` empty.
/// The verdict reads the links from the labeller's flat lists, and quotes word changes of
/// edited paragraphs only, which are filled in either way.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Detail {
    Full,
    Summary,
}

fn align_with(a: &Article, b: &Article, params: &AlignParams, detail: Detail) -> Alignment {
    let longest = a.tok.tokens.len().max(b.tok.tokens.len());
    let fallback = (longest > params.max_tokens).then_some(Fallback {
        tokens: longest,
        max_tokens: params.max_tokens,
    });
    match_tokens(&a.side, &b.side, params.passes, fallback.is_none(), |m| {
        Labeller::new(a, b, m, detail).run(fallback)
    })
}

/// A link between A paragraph `a` and B paragraph `b`: `w` matched words, `moved` of them
/// matched out of order.
#[derive(Debug, Clone, Copy)]
struct Link {
    a: u32,
    b: u32,
    w: u32,
    moved: u32,
}

/// Furniture that may be story after all. Its words take part in matching; a paragraph of
/// it is text when linked (for `Learned`, only inside the shared story) and furniture
/// otherwise.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Soft {
    /// Prose the link-list rule took in with its neighbours: a story paragraph between an
    /// inline "READ MORE" line and a "Similar News" list.
    Absorbed,
    /// A line the corpus model learned as common between unrelated texts (or one close to
    /// it): a sentence that recurs across stories, such as a stock phrase, is story where two
    /// copies share it inside the story.
    Learned,
}

/// One side of the pair.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Which {
    A,
    B,
}

/// From a token matching to labels and operations.
struct Labeller<'x, 't> {
    a: &'x Article<'t>,
    b: &'x Article<'t>,
    m: &'x TokenMatch,
    links: Vec<Link>,
    partners_a: Partners,
    partners_b: Partners,
    detail: Detail,
}

impl<'x, 't> Labeller<'x, 't> {
    fn new(a: &'x Article<'t>, b: &'x Article<'t>, m: &'x TokenMatch, detail: Detail) -> Self {
        let (size_a, size_b) = (a.side.sizes(), b.side.sizes());
        // Matched words per paragraph pair: runs in B order first (matches mostly come in
        // order), then the few runs merged.
        // About one run per linked B paragraph: reserve that rather than grow from empty.
        let mut runs: Vec<Link> = Vec::with_capacity(b.tok.paragraphs.len());
        let (b_to_a, moved) = (&m.b_to_a, &m.moved);
        for (pb, para) in b.tok.paragraphs.iter().enumerate() {
            let (mut j, end) = (para.tok_start as usize, para.tok_end as usize);
            while j < end {
                let i = b_to_a[j];
                if i == NONE {
                    j += 1;
                    continue;
                }
                // The words matched in order from here on that stay in both paragraphs: their
                // paragraphs are looked up once.
                let pa = a.para_of[i as usize];
                let a_end = a.tok.paragraphs[pa as usize].tok_end;
                let room = (end - j).min((a_end - i) as usize);
                let run = 1
                    + (b_to_a[j + 1..j + room].iter())
                        .zip(i + 1..)
                        .take_while(|(x, y)| *x == y)
                        .count();
                let w = run as u32;
                let moved = moved[j..j + run].iter().map(|&x| x as u32).sum::<u32>();
                j += run;
                match runs.last_mut() {
                    Some(l) if l.a == pa && l.b == pb as u32 => {
                        l.w += w;
                        l.moved += moved;
                    }
                    _ => runs.push(Link {
                        a: pa,
                        b: pb as u32,
                        w,
                        moved,
                    }),
                }
            }
        }
        runs.sort_unstable_by_key(|l| (l.a, l.b));
        let links: Vec<Link> = runs
            .chunk_by(|x, y| x.a == y.a && x.b == y.b)
            .map(|run| Link {
                a: run[0].a,
                b: run[0].b,
                w: run.iter().map(|l| l.w).sum(),
                moved: run.iter().map(|l| l.moved).sum(),
            })
            .filter(|l| {
                let smaller = size_a[l.a as usize].min(size_b[l.b as usize]);
                l.w >= smaller.min(MIN_LINK) && l.w as f64 >= EDGE_SHARE * smaller as f64
            })
            .collect();
        let links = inside_story(links, a, b);
        let partners_a = Partners::new(a.tok.paragraphs.len(), &links, |l| (l.a, l.b));
        let partners_b = Partners::new(b.tok.paragraphs.len(), &links, |l| (l.b, l.a));
        Labeller {
            a,
            b,
            m,
            links,
            partners_a,
            partners_b,
            detail,
        }
    }

    /// The alignment, with `fallback` noted and the verdict written.
    fn run(self, fallback: Option<Fallback>) -> Alignment {
        let (na, nb) = (self.partners_a.len(), self.partners_b.len());
        let comp = self.components();
        let mut a_paras: Vec<Para> = (0..na).map(|p| self.blank(Which::A, p)).collect();
        let mut b_paras: Vec<Para> = (0..nb).map(|q| self.blank(Which::B, q)).collect();

        // Unlinked paragraphs: furniture by shape, else added / dropped.
        let first_last = |partners: &Partners| {
            let linked = |p: &usize| !partners.of(*p).is_empty();
            let first = (0..partners.len()).find(linked);
            let last = (0..partners.len()).rfind(linked);
            (first, last)
        };
        let (first_a, _) = first_last(&self.partners_a);
        let (first_b, last_b) = first_last(&self.partners_b);
        for (p, para) in a_paras.iter_mut().enumerate() {
            if para.label == Label::Dropped {
                let head = first_a.is_some_and(|f| p < f);
                para.furniture = shape_furniture(self.a, p, head);
                if para.furniture.is_some() {
                    para.label = Label::Boilerplate;
                }
            }
        }
        for (q, para) in b_paras.iter_mut().enumerate() {
            if para.label == Label::Added {
                let outside = first_b.is_some_and(|f| q < f) || last_b.is_some_and(|l| q > l);
                para.furniture = shape_furniture(self.b, q, outside);
                if para.furniture.is_some() {
                    para.label = Label::Boilerplate;
                }
            }
        }

        // Linked paragraphs.
        for n in 0..comp.len() {
            let (pa, pb) = (comp.a_of(n), comp.b_of(n));
            let one_to_one = pa.len() == 1 && pb.len() == 1;
            let moved = comp.moved[n];
            if one_to_one {
                let label = if moved {
                    Label::Moved
                } else {
                    self.one_to_one(pa[0] as usize, pb[0] as usize)
                };
                a_paras[pa[0] as usize].label = label;
                b_paras[pb[0] as usize].label = label;
                continue;
            }
            for &p in pa {
                a_paras[p as usize].label = if self.partners_a.of(p as usize).len() >= 2 {
                    Label::Split
                } else {
                    Label::Merged
                };
            }
            for &q in pb {
                b_paras[q as usize].label = if self.partners_b.of(q as usize).len() >= 2 {
                    Label::Merged
                } else {
                    Label::Split
                };
            }
        }

        let ops = self.ops(&comp, &a_paras, &b_paras);
        let last_kept = (0..na).rev().find(|&p| !self.partners_a.of(p).is_empty());
        let truncated_after = last_kept
            .filter(|&t| a_paras[t + 1..].iter().any(|p| p.label == Label::Dropped))
            .map(|t| t as u32 + 1);
        let a_body_paragraphs = a_paras
            .iter()
            .rposition(|p| p.label != Label::Boilerplate)
            .map_or(0, |p| p as u32 + 1);
        // Words of linked B paragraphs; those of byte-identical ones cannot differ, except
        // the last, whose separator runs into the next paragraph.
        let ranges = self
            .b
            .tok
            .paragraphs
            .iter()
            .zip(&b_paras)
            .enumerate()
            .filter_map(|(q, (p, para))| match para.label {
                _ if self.partners_b.of(q).is_empty() => None,
                Label::Shared => Some((p.tok_end.max(1) - 1, p.tok_end)),
                _ => Some((p.tok_start, p.tok_end)),
            });
        let restyles = verdict::restyles(self.a, self.b, &self.m.b_to_a, ranges, |i, j| {
            (self.partners_b.of(self.b.para_of[j] as usize)).contains(&self.a.para_of[i])
        });
        let mut al = Alignment {
            a: a_paras,
            b: b_paras,
            ops,
            truncated_after,
            a_body_paragraphs,
            restyles,
            identical: self.a.text == self.b.text,
            verdict: String::new(),
            fallback,
        };
        al.verdict = verdict::verdict(self.a, self.b, &al, &self.partners_a, &self.partners_b);
        al
    }

    /// A paragraph's entry before labelling: furniture, or linked (label set later), or
    /// unlinked (added / dropped for now).
    fn blank(&self, side: Which, p: usize) -> Para {
        let (x, partners, size, unlinked) = match side {
            Which::A => (
                self.a,
                self.partners_a.of(p),
                self.a.side.sizes(),
                Label::Dropped,
            ),
            Which::B => (
                self.b,
                self.partners_b.of(p),
                self.b.side.sizes(),
                Label::Added,
            ),
        };
        let (start, end) = x.paragraph_bytes(p);
        let furniture = x.furniture_of(p, !partners.is_empty());
        let label = if furniture.is_some() {
            Label::Boilerplate
        } else if partners.is_empty() {
            unlinked
        } else {
            Label::Shared
        };
        let matched = match side {
            Which::A => self.partners_a.matched(p),
            Which::B => self.partners_b.matched(p),
        };
        let partners = match self.detail {
            Detail::Full => partners.to_vec(),
            Detail::Summary => Vec::new(),
        };
        Para {
            label,
            start,
            end,
            partners,
            kept: if size[p] == 0 {
                0.0
            } else {
                matched as f64 / size[p] as f64
            },
            furniture,
        }
    }

    /// Shared, restyled or edited.
    fn one_to_one(&self, p: usize, q: usize) -> Label {
        let (ra, rb) = (self.a.paragraph_bytes(p), self.b.paragraph_bytes(q));
        if self.a.slice(ra) == self.b.slice(rb) {
            Label::Shared
        } else if self.a.paragraph_tokens(p) == self.b.paragraph_tokens(q) {
            Label::Restyled
        } else {
            Label::Edited
        }
    }

    /// Connected groups of linked paragraphs.
    fn components(&self) -> Components {
        let na = self.partners_a.len();
        let mut parent: Vec<u32> = (0..(na + self.partners_b.len()) as u32).collect();
        fn find(parent: &mut [u32], mut x: u32) -> u32 {
            while parent[x as usize] != x {
                parent[x as usize] = parent[parent[x as usize] as usize];
                x = parent[x as usize];
            }
            x
        }
        for l in &self.links {
            let (x, y) = (find(&mut parent, l.a), find(&mut parent, na as u32 + l.b));
            parent[x.max(y) as usize] = x.min(y);
        }
        // Components numbered in B order of their first paragraph; per root its number.
        let mut number = vec![u32::MAX; parent.len()];
        let mut n = 0u32;
        let mut of_b = vec![usize::MAX; self.partners_b.len()];
        for (q, of_q) in of_b.iter_mut().enumerate() {
            if self.partners_b.of(q).is_empty() {
                continue;
            }
            let root = find(&mut parent, na as u32 + q as u32) as usize;
            if number[root] == u32::MAX {
                number[root] = n;
                n += 1;
            }
            *of_q = number[root] as usize;
        }
        let mut of_a = vec![usize::MAX; na];
        for (p, of_p) in of_a.iter_mut().enumerate() {
            if let Some(&q) = self.partners_a.of(p).first() {
                *of_p = of_b[q as usize];
            }
        }
        let mut words = vec![(0u32, 0u32); n as usize]; // (matched, of them moved)
        for l in &self.links {
            let w = &mut words[of_b[l.b as usize]];
            (w.0, w.1) = (w.0 + l.w, w.1 + l.moved);
        }
        let (a_start, a) = group(&of_a, n as usize);
        let (b_start, b) = group(&of_b, n as usize);
        Components {
            a_start,
            a,
            b_start,
            b,
            of_a,
            of_b,
            moved: words.iter().map(|&(w, moved)| moved * 2 > w).collect(),
        }
    }

    /// The operations, in B order (see [`Alignment::ops`]).
    fn ops(&self, comp: &Components, a_paras: &[Para], b_paras: &[Para]) -> Vec<Op> {
        let mut ops: Vec<Op> = Vec::with_capacity(b_paras.len() + 1);
        let mut emitted_a = vec![false; a_paras.len()];
        let mut next_a = 0usize; // insertion point in A for B-only operations
        let mut done = vec![false; comp.len()];
        // A's unlinked tail goes where B's story ends, before B's own trailing material.
        let last_linked_b = comp.of_b.iter().rposition(|&c| c != usize::MAX);
        for q in 0..b_paras.len() {
            let c = comp.of_b[q];
            if last_linked_b.is_some_and(|l| q == l + 1) {
                let all = 0..a_paras.len();
                self.emit_unlinked_a(&mut ops, a_paras, &mut emitted_a, all, q as u32, b_paras);
            }
            if c == usize::MAX {
                let kind = match b_paras[q].label {
                    Label::Boilerplate => OpKind::Boilerplate,
                    _ => OpKind::Added,
                };
                let at = Point {
                    para: next_a as u32,
                    byte: self.a_point(next_a),
                };
                let bytes = (b_paras[q].start, b_paras[q].end);
                push_one_sided(&mut ops, kind, false, q as u32, bytes, at);
                continue;
            }
            if done[c] {
                continue;
            }
            done[c] = true;
            let (pa, pb) = (comp.a_of(c), comp.b_of(c));
            let moved = comp.moved[c];
            let (a0, a1) = (pa[0] as usize, *pa.last().expect("linked") as usize + 1);
            let (b0, b1) = (pb[0] as usize, *pb.last().expect("linked") as usize + 1);
            if !moved {
                self.emit_unlinked_a(
                    &mut ops,
                    a_paras,
                    &mut emitted_a,
                    next_a..a0,
                    q as u32,
                    b_paras,
                );
                next_a = next_a.max(a1);
            }
            let kind = match (pa.len(), pb.len()) {
                // Moved paragraphs are labelled moved; their operation says how they differ.
                (1, 1) => match self.one_to_one(a0, b0) {
                    Label::Shared => OpKind::Shared,
                    Label::Restyled => OpKind::Restyled,
                    _ => OpKind::Edited,
                },
                (_, 1) => OpKind::Merged,
                (1, _) => OpKind::Split,
                _ => OpKind::Regrouped,
            };
            ops.push(Op {
                kind,
                a: (a0 as u32, a1 as u32),
                b: (b0 as u32, b1 as u32),
                a_bytes: (a_paras[a0].start, a_paras[a1 - 1].end),
                b_bytes: (b_paras[b0].start, b_paras[b1 - 1].end),
                moved,
                words: match (kind, self.detail) {
                    (OpKind::Shared | OpKind::Restyled, _) => Vec::new(), // same words
                    (OpKind::Edited, _) | (_, Detail::Full) => {
                        self.word_changes(comp, c, (a0, a1), (b0, b1))
                    }
                    (_, Detail::Summary) => Vec::new(), // the verdict quotes edits only
                },
            });
        }
        self.emit_unlinked_a(
            &mut ops,
            a_paras,
            &mut emitted_a,
            0..a_paras.len(),
            b_paras.len() as u32,
            b_paras,
        );
        ops
    }

    /// Byte offset in A where B-only material at A paragraph index `at` applies.
    fn a_point(&self, at: usize) -> u32 {
        let paras = &self.a.tok.paragraphs;
        match at {
            0 => paras.first().map_or(0, |p| p.start),
            _ => paras[(at - 1).min(paras.len() - 1)].end,
        }
    }

    fn b_point(&self, q: u32, b_paras: &[Para]) -> u32 {
        match q as usize {
            0 => b_paras.first().map_or(0, |p| p.start),
            q => b_paras[q - 1].end,
        }
    }

    /// Emit dropped / boilerplate operations for the unlinked A paragraphs of `range` not
    /// emitted yet, at B insertion point `q`.
    fn emit_unlinked_a(
        &self,
        ops: &mut Vec<Op>,
        a_paras: &[Para],
        emitted: &mut [bool],
        range: std::ops::Range<usize>,
        q: u32,
        b_paras: &[Para],
    ) {
        let at = Point {
            para: q,
            byte: self.b_point(q, b_paras),
        };
        for p in range {
            if emitted[p] || !self.partners_a.of(p).is_empty() {
                continue;
            }
            emitted[p] = true;
            let kind = match a_paras[p].label {
                Label::Boilerplate => OpKind::Boilerplate,
                _ => OpKind::Dropped,
            };
            let bytes = (a_paras[p].start, a_paras[p].end);
            push_one_sided(ops, kind, true, p as u32, bytes, at);
        }
    }

    /// Word changes between the tokens of component `c` (A paragraphs `ra`, B `rb`).
    fn word_changes(
        &self,
        comp: &Components,
        c: usize,
        ra: (usize, usize),
        rb: (usize, usize),
    ) -> Vec<WordChange> {
        let (ta, tb) = (&self.a.tok, &self.b.tok);
        let a_span = (
            ta.paragraphs[ra.0].tok_start as usize,
            ta.paragraphs[ra.1 - 1].tok_end as usize,
        );
        let b_span = (
            tb.paragraphs[rb.0].tok_start as usize,
            tb.paragraphs[rb.1 - 1].tok_end as usize,
        );
        let mut out = Vec::new();
        let (mut next_i, mut next_j) = (a_span.0, b_span.0);
        let change = |out: &mut Vec<WordChange>, i0: usize, i1: usize, j0: usize, j1: usize| {
            if i0 < i1 || j0 < j1 {
                out.push(WordChange {
                    a: token_bytes(ta, i0, i1, a_span.0),
                    b: token_bytes(tb, j0, j1, b_span.0),
                });
            }
        };
        // With one paragraph a side, every word of the spans is the component's.
        let single = ra.1 - ra.0 == 1 && rb.1 - rb.0 == 1;
        let of_c = |of: &[usize], para_of: &[u32], t: usize| single || of[para_of[t] as usize] == c;
        for j in b_span.0..b_span.1 {
            let i = self.m.b_to_a[j];
            if i == NONE || !of_c(&comp.of_b, &self.b.para_of, j) {
                continue;
            }
            let i = i as usize;
            if i < next_i || i >= a_span.1 || !of_c(&comp.of_a, &self.a.para_of, i) {
                continue;
            }
            change(&mut out, next_i, i, next_j, j);
            next_i = i + 1;
            next_j = j + 1;
        }
        change(&mut out, next_i, a_span.1, next_j, b_span.1);
        out
    }
}

/// Byte range of tokens `i0..i1`; for an empty range, the point after token `i0 - 1` (or
/// at token `span_start` when there is none before it).
fn token_bytes(t: &Tokenized, i0: usize, i1: usize, span_start: usize) -> (u32, u32) {
    if i0 < i1 {
        (t.token_spans[i0].0, t.token_spans[i1 - 1].1)
    } else if i0 > span_start {
        let e = t.token_spans[i0 - 1].1;
        (e, e)
    } else {
        let s = t.token_spans.get(i0).map_or(0, |s| s.0);
        (s, s)
    }
}

/// Where a one-sided operation applies on the side it does not touch: paragraph index and
/// byte offset.
#[derive(Clone, Copy)]
struct Point {
    para: u32,
    byte: u32,
}

/// Append an operation that touches only one side — `para` with byte range `bytes` on A
/// when `on_a`, else on B — at `at` on the other side; extend the previous operation instead
/// when it is of the same kind and the paragraphs are consecutive.
fn push_one_sided(
    ops: &mut Vec<Op>,
    kind: OpKind,
    on_a: bool,
    para: u32,
    bytes: (u32, u32),
    at: Point,
) {
    let point = ((at.para, at.para), (at.byte, at.byte));
    let this = ((para, para + 1), bytes);
    let ((a, a_bytes), (b, b_bytes)) = if on_a { (this, point) } else { (point, this) };
    if let Some(last) = ops.last_mut() {
        let follows = if on_a {
            last.a.1 == a.0 && last.b == b
        } else {
            last.b.1 == b.0 && last.a == a
        };
        if last.kind == kind && follows && !last.moved {
            if on_a {
                last.a.1 = a.1;
                last.a_bytes.1 = a_bytes.1;
            } else {
                last.b.1 = b.1;
                last.b_bytes.1 = b_bytes.1;
            }
            return;
        }
    }
    ops.push(Op {
        kind,
        a,
        b,
        a_bytes,
        b_bytes,
        moved: false,
        words: Vec::new(),
    });
}

/// Drop the links of learned-soft paragraphs outside the shared story: the span, on each
/// side, of the paragraphs linked without them.
fn inside_story(links: Vec<Link>, a: &Article, b: &Article) -> Vec<Link> {
    if a.learned_soft.is_empty() && b.learned_soft.is_empty() {
        return links;
    }
    let soft = |l: &Link| a.learned_soft(l.a as usize) || b.learned_soft(l.b as usize);
    let firm = links.iter().filter(|l| !soft(l));
    let span = |pick: fn(&Link) -> u32| {
        let v: Vec<u32> = firm.clone().map(pick).collect();
        (v.iter().min().copied(), v.iter().max().copied())
    };
    let (span_a, span_b) = (span(|l| l.a), span(|l| l.b));
    let inside = |(lo, hi): (Option<u32>, Option<u32>), p: u32| {
        lo.is_some_and(|lo| lo <= p) && hi.is_some_and(|hi| p <= hi)
    };
    links
        .into_iter()
        .filter(|l| {
            (!a.learned_soft(l.a as usize) || inside(span_a, l.a))
                && (!b.learned_soft(l.b as usize) || inside(span_b, l.b))
        })
        .collect()
}

/// Furniture by shape for an unlinked paragraph (see the module docs); `outside` = before
/// or after the shared story where short lines count as furniture.
fn shape_furniture(x: &Article, p: usize, outside: bool) -> Option<&'static str> {
    if x.lines_all(p, is_link_like) {
        Some("link_like")
    } else if outside && x.lines_all(p, |l| l.n_tokens() <= SHORT_LINE) {
        Some("outside_story")
    } else {
        None
    }
}

/// Linked paragraphs grouped, flat: per component its A and B paragraphs (ascending), in B
/// order. One list per side rather than a Vec per component: most pairs have dozens of
/// one-to-one components, and a Vec each cost more to grow and free than the labelling.
struct Components {
    /// Component `c`'s A paragraphs are `a[a_start[c]..a_start[c + 1]]`; likewise for B.
    a_start: Vec<u32>,
    a: Vec<u32>,
    b_start: Vec<u32>,
    b: Vec<u32>,
    of_a: Vec<usize>,
    of_b: Vec<usize>,
    /// Per component: most of its words were matched out of order.
    moved: Vec<bool>,
}

impl Components {
    fn len(&self) -> usize {
        self.moved.len()
    }

    fn a_of(&self, c: usize) -> &[u32] {
        &self.a[self.a_start[c] as usize..self.a_start[c + 1] as usize]
    }

    fn b_of(&self, c: usize) -> &[u32] {
        &self.b[self.b_start[c] as usize..self.b_start[c + 1] as usize]
    }
}

/// The paragraphs of each of `n` components, given the component of every paragraph
/// (`usize::MAX`: none): start offsets per component and the paragraphs, ascending.
fn group(of: &[usize], n: usize) -> (Vec<u32>, Vec<u32>) {
    let mut start = vec![0u32; n + 1];
    for &c in of.iter().filter(|&&c| c != usize::MAX) {
        start[c + 1] += 1;
    }
    for c in 0..n {
        start[c + 1] += start[c];
    }
    let mut list = vec![0u32; start[n] as usize];
    let mut next = start.clone();
    for (p, &c) in of.iter().enumerate().filter(|(_, c)| **c != usize::MAX) {
        list[next[c] as usize] = p as u32;
        next[c] += 1;
    }
    (start, list)
}

/// The links of one side's paragraphs, flat: per paragraph its linked paragraphs of the
/// other side (ascending) and the words matched with each.
struct Partners {
    /// The entries of paragraph `p` are `start[p]..start[p + 1]`.
    start: Vec<u32>,
    other: Vec<u32>,
    words: Vec<u32>,
}

impl Partners {
    /// For `n` paragraphs; `key` gives a link's paragraph on this side and on the other.
    fn new(n: usize, links: &[Link], key: impl Fn(&Link) -> (u32, u32)) -> Self {
        let mut start = vec![0u32; n + 1];
        for l in links {
            start[key(l).0 as usize + 1] += 1;
        }
        for p in 0..n {
            start[p + 1] += start[p];
        }
        let (mut other, mut words) = (vec![0; links.len()], vec![0; links.len()]);
        let mut next = start.clone();
        // Links are sorted by (a, b), so the entries of each paragraph come out ascending.
        for l in links {
            let (own, to) = key(l);
            let at = &mut next[own as usize];
            (other[*at as usize], words[*at as usize]) = (to, l.w);
            *at += 1;
        }
        Partners {
            start,
            other,
            words,
        }
    }

    /// Number of paragraphs.
    fn len(&self) -> usize {
        self.start.len() - 1
    }

    fn entries(&self, p: usize) -> std::ops::Range<usize> {
        self.start[p] as usize..self.start[p + 1] as usize
    }

    /// The linked paragraphs of paragraph `p`.
    fn of(&self, p: usize) -> &[u32] {
        &self.other[self.entries(p)]
    }

    /// Words of paragraph `p` matched with its linked paragraphs.
    fn matched(&self, p: usize) -> u32 {
        self.words[self.entries(p)].iter().sum()
    }
}
