//! Boilerplate: site furniture that must neither create matches nor hide them.
//!
//! Outlets wrap wire copy in their own templates: newsletter sign-ups, copyright lines,
//! share buttons, "Read more »" and "Similar News" link lists. Two different stories from one
//! site share all of that, and a padded copy of a story looks less like its original because
//! of it. Nothing here knows any site's strings; furniture is recognised in two ways.
//!
//! **Learned from the corpus** (line document frequency). Every non-blank line is hashed
//! over its normalized words; exact duplicate documents count once. A line is furniture when
//! * it recurs in at least [`BoilerplateParams::site_min_docs`] documents, in at least twice
//!   as many documents as it has distinct sources (one outlet repeating its own template;
//!   copies of a story come from different outlets), and in at least [`SITE_SHARE`] of the
//!   documents of those sources (a template is on a good part of its sites' pages; a sentence
//!   that recurs across a large corpus lands on the same outlets again by chance, but on a
//!   tiny share of their pages), or
//! * it recurs in documents whose neighbouring lines differ (three quarters of the
//!   occurrences have distinct previous lines and distinct next lines) often enough for its
//!   shape: in [`BoilerplateParams::common_min_docs`] documents for a line that does not end
//!   like a sentence (a label, a link, a heading); in as many, or 0.05 % of the corpus if that
//!   is more, for a sentence of at most [`SHORT_LINE`] words; in
//!   [`BoilerplateParams::widespread_docs`] documents, or 0.05 % of the corpus, for a longer
//!   sentence. Sentences quoted across a corpus recur more often the larger it grows, without
//!   becoming templates. A paragraph of a syndicated story recurs with the same neighbours in
//!   every copy, so it fails the context test; a template line sits between unrelated texts.
//!
//! **Seen in the document's shape**, which works on a corpus of two:
//! * a short line that occurs twice or more in the same document ("Read more »");
//! * a link list: a run of at least three link-like lines (short, not ending a sentence)
//!   in which non-link-like lines appear only singly and are at most half as many;
//! * a trailing run of two or more link-like lines after the last line of prose.
//!
//! A line of 4 to 60 words at least half of whose word trigrams occur in learned furniture
//! lines is furniture too: OCR noise or one changed word must not turn a template back into
//! text.

use crate::normalize::{Line, Tokenized, TokenizedRef};
use rayon::prelude::*;
use std::collections::{HashMap, HashSet};
use std::hash::BuildHasherDefault;

/// Lines of at most this many words count as short.
pub const SHORT_LINE: u32 = 12;
/// Share of its sources' documents a line must be in to be their template.
const SITE_SHARE: f64 = 0.05;
/// Link-like lines have at most this many words and do not end a sentence.
pub const LINK_LINE: u32 = 25;

/// Lines of this many words at least and at most are compared with furniture trigrams.
const NEAR_MIN_WORDS: u32 = 4;
const NEAR_MAX_WORDS: u32 = 60;

/// Hashes of the word trigrams of a token sequence (one for shorter sequences).
fn trigrams(tokens: &[u32]) -> impl Iterator<Item = u64> + '_ {
    tokens
        .windows(3.min(tokens.len()).max(1))
        .map(crate::normalize::line_hash)
}

/// What a line looks like, for the thresholds of the learner.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum LineShape {
    /// Ends like a sentence, more than [`SHORT_LINE`] words.
    Sentence = 0,
    /// Ends like a sentence, at most [`SHORT_LINE`] words.
    ShortSentence = 1,
    /// Does not end like a sentence (a heading, a link, a label).
    NotSentence = 2,
}

/// One occurrence of a non-blank line as the learner sees it:
/// `[line hash, document hash, source, previous line, next line, shape << 32 | document]`
/// (shape: a [`LineShape`]; document: its index). Shape and document share the last word,
/// shape in the high half, so records sort exactly as they would with the two apart, in a
/// seventh less memory: a corpus has millions of lines.
pub type LineRecord = [u64; 6];

/// The document index of a line record.
fn record_doc(r: &LineRecord) -> u32 {
    r[5] as u32
}

/// The [`LineShape`] of a line record, as a number.
fn record_shape(r: &LineRecord) -> u64 {
    r[5] >> 32
}

/// How many records [`line_records`] gives for a document: one per line with words.
pub fn count_line_records(t: TokenizedRef) -> usize {
    t.lines.iter().filter(|l| l.hash != 0).count()
}

/// The line records of one document. `doc_hash` identifies exact duplicates (they count
/// once); an unknown `source` counts as a source of its own.
pub fn line_records<'a>(
    t: TokenizedRef<'a>,
    doc: u32,
    doc_hash: u64,
    source: Option<u32>,
) -> impl Iterator<Item = LineRecord> + 'a {
    let src = source.map_or(doc_hash | 1 << 63, |s| s as u64);
    let lines = t.lines;
    (0..lines.len()).filter_map(move |i| {
        let h = lines[i].hash;
        if h == 0 {
            return None;
        }
        // Text start and end are unique contexts per document.
        let prev = if i > 0 {
            lines[i - 1].hash
        } else {
            doc_hash ^ 0x51
        };
        let next = lines.get(i + 1).map_or(doc_hash ^ 0x52, |l| l.hash);
        let shape = if !lines[i].ends_sentence {
            LineShape::NotSentence
        } else if lines[i].n_tokens() <= SHORT_LINE {
            LineShape::ShortSentence
        } else {
            LineShape::Sentence
        };
        Some([
            h,
            doc_hash,
            src,
            prev,
            next,
            (shape as u64) << 32 | doc as u64,
        ])
    })
}

/// Deterministic hasher for sets of already-mixed 64-bit hashes.
#[derive(Default, Clone, Copy)]
pub struct IdentityHasher(u64);

impl std::hash::Hasher for IdentityHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0 << 8) | b as u64;
        }
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

pub type HashSet64 = HashSet<u64, BuildHasherDefault<IdentityHasher>>;

/// Thresholds of the corpus-learned rules (see the module docs).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BoilerplateParams {
    pub site_min_docs: u32,
    pub common_min_docs: u32,
    pub widespread_docs: u32,
    /// Turn the whole detector off (`--no-boilerplate`).
    pub enabled: bool,
}

impl Default for BoilerplateParams {
    fn default() -> Self {
        BoilerplateParams {
            site_min_docs: 3,
            common_min_docs: 4,
            widespread_docs: 50,
            enabled: true,
        }
    }
}

/// Why a line is furniture.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Furniture {
    /// Repeated by one outlet across its documents.
    SiteTemplate,
    /// Recurs between unrelated texts across the corpus.
    Common,
    /// Part of a list of links or headlines.
    LinkList,
    /// A short line repeated within the document.
    Repeated,
    /// Mostly the words of a learned furniture line (OCR damage, a changed word).
    NearTemplate,
}

impl Furniture {
    pub fn as_str(&self) -> &'static str {
        match self {
            Furniture::SiteTemplate => "site_template",
            Furniture::Common => "common",
            Furniture::LinkList => "link_list",
            Furniture::Repeated => "repeated",
            Furniture::NearTemplate => "near_template",
        }
    }
}

/// The learned state of a [`BoilerplateModel`] as sorted hash lists, to save and restore it.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct LearnedFurniture {
    /// Line hashes of site templates.
    pub site: Vec<u64>,
    /// Line hashes of lines common between unrelated texts.
    pub common: Vec<u64>,
    /// Word-trigram hashes of learned furniture lines.
    pub near: Vec<u64>,
}

/// The corpus-level knowledge: which line hashes are furniture and why.
#[derive(Debug, Default, Clone)]
pub struct BoilerplateModel {
    pub params: BoilerplateParams,
    site: HashSet64,
    common: HashSet64,
    /// Word trigrams of learned furniture lines.
    near: HashSet64,
}

impl BoilerplateModel {
    /// A model that learned nothing (structural rules only).
    pub fn structural_only(params: BoilerplateParams) -> Self {
        BoilerplateModel {
            params,
            ..Default::default()
        }
    }

    /// Number of distinct furniture lines learned.
    pub fn learned_lines(&self) -> usize {
        self.site.len() + self.common.len()
    }

    /// Add what `other` learned to this model (e.g. the furniture stored in a snapshot
    /// index to what a new batch of documents teaches).
    pub fn merge(&mut self, other: &BoilerplateModel) {
        self.site.extend(&other.site);
        self.common.extend(&other.common);
        self.near.extend(&other.near);
    }

    /// What the model learned, as sorted hash lists, for saving.
    pub fn export(&self) -> LearnedFurniture {
        let sorted = |set: &HashSet64| {
            let mut v: Vec<u64> = set.iter().copied().collect();
            v.sort_unstable();
            v
        };
        LearnedFurniture {
            site: sorted(&self.site),
            common: sorted(&self.common),
            near: sorted(&self.near),
        }
    }

    /// A model that knows what [`BoilerplateModel::export`] saved.
    pub fn import(params: BoilerplateParams, learned: &LearnedFurniture) -> Self {
        BoilerplateModel {
            params,
            site: learned.site.iter().copied().collect(),
            common: learned.common.iter().copied().collect(),
            near: learned.near.iter().copied().collect(),
        }
    }

    /// Furniture learned for this line hash, if any.
    pub fn learned(&self, hash: u64) -> Option<Furniture> {
        if hash == 0 {
            None
        } else if self.site.contains(&hash) {
            Some(Furniture::SiteTemplate)
        } else if self.common.contains(&hash) {
            Some(Furniture::Common)
        } else {
            None
        }
    }

    /// Learn furniture lines from documents. `doc_hash[d]` identifies exact duplicates;
    /// `source[d]` is the outlet (None when unknown). Holds every document's tokens; the scan
    /// streams instead: [`line_records`] per document, [`BoilerplateModel::learn_lines`],
    /// then [`BoilerplateModel::add_near_lines`] on the documents it names.
    pub fn learn(
        params: BoilerplateParams,
        docs: &[&Tokenized],
        doc_hash: &[u64],
        source: &[Option<u32>],
    ) -> Self {
        let records: Vec<LineRecord> = docs
            .par_iter()
            .enumerate()
            .flat_map_iter(|(d, t)| line_records(t.view(), d as u32, doc_hash[d], source[d]))
            .collect();
        let (mut model, holders) = Self::learn_lines(params, records);
        for d in holders {
            model.add_near_lines(docs[d as usize].view());
        }
        model
    }

    /// Learn furniture from the line records of a whole corpus (see [`line_records`]).
    /// Returns the model, whose near-template trigrams are still to be added, and the
    /// documents that hold the first occurrence of each learned line: passing those to
    /// [`BoilerplateModel::add_near_lines`] completes it.
    pub fn learn_lines(
        params: BoilerplateParams,
        mut records: Vec<LineRecord>,
    ) -> (Self, Vec<u32>) {
        if !params.enabled {
            return (Self::structural_only(params), Vec::new());
        }
        // A sentence counts as widespread in 50 documents (4 for a short one), or in 0.05 %
        // of a large corpus: a quoted sentence recurs more often as a corpus grows, without
        // becoming a template.
        let n_docs = (records.iter().map(record_doc).max()).map_or(0, |m| m as u64 + 1);
        let corpus_share = (n_docs / 2000) as u32;
        let thresholds = Thresholds {
            params,
            widespread_docs: params.widespread_docs.max(corpus_share),
            short_sentence_docs: params.common_min_docs.max(corpus_share),
            source_docs: documents_per_source(&records),
        };
        records.par_sort_unstable();
        records.dedup_by(|a, b| a[0] == b[0] && a[1] == b[1]); // exact duplicates count once
        let decisions: Vec<(u64, Furniture, u32)> = records
            .par_chunk_by(|a, b| a[0] == b[0])
            .filter(|run| run.len() as u32 >= params.site_min_docs.min(params.common_min_docs))
            .filter_map(|run| {
                let first = run.iter().map(record_doc).min().unwrap_or(0);
                decide(run, &thresholds).map(|f| (run[0][0], f, first))
            })
            .collect();
        let mut model = Self::structural_only(params);
        let mut holders = Vec::with_capacity(decisions.len());
        for (h, f, first) in decisions {
            if f == Furniture::SiteTemplate {
                model.site.insert(h);
            } else {
                model.common.insert(h);
            }
            holders.push(first);
        }
        holders.sort_unstable();
        holders.dedup();
        (model, holders)
    }

    /// Add the word trigrams of the learned lines in `t`, for recognising damaged copies of
    /// them.
    pub fn add_near_lines(&mut self, t: TokenizedRef) {
        let grams: Vec<u64> = t
            .lines
            .iter()
            .filter(|l| self.learned(l.hash).is_some())
            .flat_map(|l| trigrams(&t.tokens[l.tok_start as usize..l.tok_end as usize]))
            .collect();
        self.near.extend(grams);
    }

    /// Is this line mostly made of the word trigrams of learned furniture (a template line
    /// with OCR damage or a changed word)?
    fn near_learned(&self, t: TokenizedRef, l: &Line) -> bool {
        let n = l.n_tokens();
        if self.near.is_empty() || !(NEAR_MIN_WORDS..=NEAR_MAX_WORDS).contains(&n) {
            return false;
        }
        let tokens = &t.tokens[l.tok_start as usize..l.tok_end as usize];
        // Most lines share nothing with furniture: probe four trigrams before counting all.
        let last = tokens.len() - 3;
        let probes = [0, last / 3, 2 * last / 3, last]
            .iter()
            .filter(|&&i| {
                self.near
                    .contains(&crate::normalize::line_hash(&tokens[i..i + 3]))
            })
            .count();
        if probes < 2 {
            return false;
        }
        let (mut hits, mut total) = (0u32, 0u32);
        for g in trigrams(tokens) {
            total += 1;
            hits += self.near.contains(&g) as u32;
        }
        hits * 2 >= total
    }

    /// Furniture label of every line of one document (None = body text).
    pub fn classify(&self, t: TokenizedRef) -> Vec<Option<Furniture>> {
        let lines = t.lines;
        if !self.params.enabled {
            return vec![None; lines.len()];
        }
        let mut out: Vec<Option<Furniture>> = lines
            .iter()
            .map(|l| {
                self.learned(l.hash)
                    .or_else(|| self.near_learned(t, l).then_some(Furniture::NearTemplate))
            })
            .collect();
        // Short lines repeated inside the document.
        let mut seen: Vec<(u64, usize)> = lines
            .iter()
            .enumerate()
            .filter(|(_, l)| l.hash != 0 && l.n_tokens() <= SHORT_LINE)
            .map(|(i, l)| (l.hash, i))
            .collect();
        seen.sort_unstable();
        for run in seen.chunk_by(|a, b| a.0 == b.0) {
            if run.len() > 1 {
                for &(_, i) in run {
                    out[i].get_or_insert(Furniture::Repeated);
                }
            }
        }
        let link_like: Vec<bool> = lines
            .iter()
            .zip(&out)
            .map(|(l, f)| f.is_some() || is_link_like(l))
            .collect();
        mark_link_lists(&link_like, &mut out);
        // Trailing link-like lines after the last line of prose.
        let last_prose = lines
            .iter()
            .zip(&out)
            .rposition(|(l, f)| f.is_none() && l.ends_sentence && l.n_tokens() >= 8);
        let tail_start = last_prose.map_or(0, |i| i + 1);
        if last_prose.is_some()
            && lines.len() - tail_start >= 2
            && link_like[tail_start..].iter().all(|&x| x)
        {
            for f in &mut out[tail_start..] {
                f.get_or_insert(Furniture::LinkList);
            }
        }
        out
    }
}

/// Short and not ending a sentence: how a link, a headline or a "Read more" line looks.
pub fn is_link_like(l: &Line) -> bool {
    l.n_tokens() <= LINK_LINE && !l.ends_sentence
}

/// Mark runs of link-like lines (see the module docs).
fn mark_link_lists(link_like: &[bool], out: &mut [Option<Furniture>]) {
    let n = link_like.len();
    let mut i = 0;
    while i < n {
        if !link_like[i] {
            i += 1;
            continue;
        }
        // Extend the run while non-link-like lines come singly between link-like ones.
        let start = i;
        let mut end = i + 1; // exclusive, always after a link-like line
        let mut j = i + 1;
        while j < n {
            if link_like[j] {
                end = j + 1;
                j += 1;
            } else if j + 1 < n && link_like[j + 1] {
                j += 2;
                end = j;
            } else {
                break;
            }
        }
        let links = link_like[start..end].iter().filter(|&&x| x).count();
        let others = end - start - links;
        if links >= 3 && others * 2 <= links {
            for f in &mut out[start..end] {
                f.get_or_insert(Furniture::LinkList);
            }
        }
        i = end;
    }
}

/// Decide one line from its occurrence records (see [`LineRecord`]).
/// The learner's thresholds for one corpus.
struct Thresholds {
    params: BoilerplateParams,
    /// Documents a longer sentence must recur in: `params.widespread_docs`, or the corpus
    /// share if that is more.
    widespread_docs: u32,
    /// Documents a short sentence must recur in: `params.common_min_docs`, or the corpus
    /// share if that is more.
    short_sentence_docs: u32,
    /// Documents per source (as `line_records` numbers sources).
    source_docs: SourceDocs,
}

/// Documents per source.
type SourceDocs = HashMap<u64, u32, BuildHasherDefault<IdentityHasher>>;

/// How many documents each source has, from records that come document by document.
fn documents_per_source(records: &[LineRecord]) -> SourceDocs {
    let mut counts = SourceDocs::default();
    for doc in records.chunk_by(|a, b| record_doc(a) == record_doc(b)) {
        *counts.entry(doc[0][2]).or_default() += 1;
    }
    counts
}

fn decide(run: &[LineRecord], t: &Thresholds) -> Option<Furniture> {
    let p = &t.params;
    let docs = run.len() as u32;
    let distinct = |col: usize| {
        let mut v: Vec<u64> = run.iter().map(|r| r[col]).collect();
        v.sort_unstable();
        v.dedup();
        v
    };
    let sources = distinct(2);
    if docs >= p.site_min_docs && docs >= 2 * sources.len() as u32 {
        // A template is on a good part of its sites' pages. A sentence that recurs across
        // a large corpus lands on the same outlets again by chance, on a tiny share of them.
        let pages: u64 = sources
            .iter()
            .map(|s| t.source_docs.get(s).copied().unwrap_or(1) as u64)
            .sum();
        if docs as f64 >= SITE_SHARE * pages as f64 {
            return Some(Furniture::SiteTemplate);
        }
    }
    let shape = record_shape(&run[0]);
    let min_docs = if shape == LineShape::NotSentence as u64 {
        p.common_min_docs
    } else if shape == LineShape::ShortSentence as u64 {
        t.short_sentence_docs
    } else {
        t.widespread_docs
    };
    if docs >= min_docs {
        let (prev, next) = (distinct(3).len() as u32, distinct(4).len() as u32);
        if prev * 4 >= docs * 3 && next * 4 >= docs * 3 {
            return Some(Furniture::Common);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::normalize::Tokenizer;

    /// 40 outlets with 100 pages each. Outlet 0 puts a sign-up line on half its pages; one
    /// story is syndicated to 148 pages, so its outlets repeat (148 pages, at most 40 outlets).
    fn corpus() -> (Vec<Tokenized>, Vec<Option<u32>>) {
        let mut tok = Tokenizer::new(1);
        let (mut docs, mut sources) = (Vec::new(), Vec::new());
        for s in 0..40u32 {
            for d in 0..100u32 {
                let mut text = format!(
                    "Local report {s} {d} covers council matters in district {d} of town {s}.\n\n"
                );
                if (s * 100 + d) % 27 == 0 {
                    text.push_str(
                        "The ministry said the new rail link would open next spring after delays.\n\n\
                         Engineers found cracks in two of the viaducts during the final inspection.\n\n",
                    );
                }
                if s == 0 && d % 2 == 0 {
                    text.push_str("Sign up for the Morning Brief newsletter today.\n");
                }
                let mut t = Tokenized::default();
                tok.tokenize(&text, &mut t);
                docs.push(t);
                sources.push(Some(s));
            }
        }
        (docs, sources)
    }

    #[test]
    fn a_syndicated_story_on_repeating_outlets_is_no_template_but_a_site_line_is() {
        let (docs, sources) = corpus();
        let refs: Vec<&Tokenized> = docs.iter().collect();
        let hashes: Vec<u64> = (0..docs.len() as u64).collect();
        let model = BoilerplateModel::learn(BoilerplateParams::default(), &refs, &hashes, &sources);
        let story = &docs[0]; // page 0 of outlet 0 carries the story and the sign-up line
        assert_eq!(story.lines.len(), 4);
        let labels = model.classify(story.view());
        assert_eq!(labels[1], None, "story paragraph");
        assert_eq!(labels[2], None, "story paragraph");
        assert_eq!(labels[3], Some(Furniture::SiteTemplate), "sign-up line");
    }
}
