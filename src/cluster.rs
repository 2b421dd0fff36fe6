//! Clusters from verified pairs, their canonical copy, and each member's relation to it.
//!
//! Connected components of the accepted pairs are only a first grouping: a component can be
//! held together by a chain (A copies B, B shares a passage with C, ...). So each component
//! is settled around its canonical member:
//!
//! 1. The canonical member follows the policy (`CanonicalPolicy`); by default it is the
//!    earliest by date when every member has one, otherwise the fullest copy: the one with
//!    the most *supported* body shingles (shingles another member also has, i.e. the most of
//!    the shared story), then the most body shingles, then the smaller id. Support keeps a
//!    page padded with widgets the boilerplate detector did not learn from beating the
//!    cleaner full copy; the second key makes the full story beat its truncated copies.
//! 2. Members whose pair with the canonical passes the verifier stay. Members reached only
//!    through another member stay, flagged `chained`, if they still pass half of each
//!    threshold against the canonical, or if they are a near-duplicate or a part of the kept
//!    member that reached them (a copy of a copy adds no new story) and still share an
//!    in-order passage of half the minimum length with the canonical; the rest are split off
//!    and settled again as a component of their own.
//!
//! Each member is then compared with the canonical paragraph by paragraph: a paragraph is
//! present in the other text when at least [`PARAGRAPH_PRESENT`] of its shingles are shared.
//! From which paragraphs are missing on either side follows the relation (see [`Relation`]).
//!
//! A member that lacks body text of the canonical but adds none of its own is a truncated or
//! edited copy when it starts where the canonical starts, and an excerpt otherwise. The
//! canonical is the fullest copy, so it is often a copy itself, with an outlet's byline or
//! dateline paragraph on top that no other member has. So a member that holds at least half
//! of the canonical's body words still "starts" when the canonical paragraphs before the
//! first one it shares hold at most [`LEAD_WINDOW`] words — the window the verifier uses for
//! the lead of a text: a full copy without the byline is not an excerpt of the bylined one,
//! while a part that begins a real paragraph or more into the story (wire leads run longer
//! than a byline) still is. A smaller part must keep the canonical's first paragraph itself:
//! one paragraph shared after a short lead may be a sentence that another story quotes (on
//! the generated 100k corpus, forgiving the lead there too would relabel 403 truncated
//! copies, but also 20 members of other stories, as truncated, and dedup would drop them).

use crate::features::DocFeatures;
use crate::rows::Rows;
use crate::verify::{LEAD_WINDOW, PairScore, Scratch, VerifyParams, score};
use std::collections::BTreeMap;

/// Share of a paragraph's shingles that must be shared for it to count as present.
pub const PARAGRAPH_PRESENT: f64 = 0.2;

/// How a member relates to its cluster's canonical copy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Relation {
    /// The canonical member itself.
    Canonical,
    /// Byte-identical text.
    Exact,
    /// Same words; quotes, dashes, case, spacing, paragraph breaks or furniture differ.
    Restyled,
    /// Same paragraphs with word-level changes, or some paragraphs removed but at least
    /// half of the canonical kept from its beginning (see `Truncated`).
    Edited,
    /// Keeps the beginning of the canonical and drops its tail; adds no body text. When it
    /// holds at least half of the canonical, the beginning may lack up to [`LEAD_WINDOW`]
    /// words of it (a byline).
    Truncated,
    /// All of the canonical plus body text of its own.
    Extended,
    /// Each has body text the other lacks.
    Version,
    /// A part that starts more than [`LEAD_WINDOW`] words into the canonical, or less than
    /// half of it that is not a truncated copy (which keeps the first paragraph then).
    Excerpt,
}

impl Relation {
    pub fn as_str(&self) -> &'static str {
        match self {
            Relation::Canonical => "canonical",
            Relation::Exact => "exact",
            Relation::Restyled => "restyled",
            Relation::Edited => "edited",
            Relation::Truncated => "truncated",
            Relation::Extended => "extended",
            Relation::Version => "version",
            Relation::Excerpt => "excerpt",
        }
    }

    pub fn parse(s: &str) -> Option<Relation> {
        [
            Relation::Exact,
            Relation::Restyled,
            Relation::Edited,
            Relation::Truncated,
            Relation::Extended,
            Relation::Version,
            Relation::Excerpt,
        ]
        .into_iter()
        .find(|r| r.as_str() == s)
    }
}

/// Paragraph-level comparison of a member with the canonical.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct ParagraphMatch {
    /// Member body paragraphs present in the canonical.
    pub shared_paragraphs: u32,
    /// Member body paragraphs.
    pub paragraphs: u32,
    /// Canonical body paragraphs present in the member.
    pub canonical_shared: u32,
    /// Canonical body paragraphs.
    pub canonical_paragraphs: u32,
    /// Body words of member paragraphs absent from the canonical.
    pub added_words: u32,
    /// Body words of canonical paragraphs absent from the member.
    pub dropped_words: u32,
    /// Last canonical paragraph (0-based, among all its paragraphs) present in the member,
    /// when the member drops the canonical's tail.
    pub truncated_after: Option<u32>,
    /// Body words of the canonical paragraphs before the first one present in the member
    /// (0 when its first body paragraph is present; all its body words when none is).
    pub lead_dropped_words: u32,
}

/// One member of a cluster.
#[derive(Debug, Clone, PartialEq)]
pub struct Member {
    pub doc: u32,
    pub relation: Relation,
    /// Scores against the canonical (A = canonical, B = this member).
    pub score: PairScore,
    pub paragraphs: ParagraphMatch,
    /// Reached the cluster through another member, not directly from the canonical.
    pub chained: bool,
}

/// A group of copies of one story.
#[derive(Debug, Clone, PartialEq)]
pub struct Cluster {
    pub canonical: u32,
    /// Canonical first, then the others by document index.
    pub members: Vec<Member>,
}

/// Union-find with path halving; union by smaller root for determinism.
struct DisjointSet(Vec<u32>);

impl DisjointSet {
    fn find(&mut self, mut x: u32) -> u32 {
        while self.0[x as usize] != x {
            let p = self.0[self.0[x as usize] as usize];
            self.0[x as usize] = p;
            x = p;
        }
        x
    }
    fn union(&mut self, a: u32, b: u32) {
        let (ra, rb) = (self.find(a), self.find(b));
        if ra != rb {
            let (lo, hi) = (ra.min(rb), ra.max(rb));
            self.0[hi as usize] = lo;
        }
    }
}

/// Inputs the clustering needs about every document.
pub struct ClusterInput<'a> {
    pub features: &'a [DocFeatures],
    /// Dates, comparable as strings (ISO 8601); None when absent.
    pub dates: &'a [Option<&'a str>],
    /// Preference rank per document (lower wins, ties go to the fullest); None: earliest
    /// when every member is dated, else fullest.
    pub priority: Option<&'a [u64]>,
    pub params: VerifyParams,
}

/// Cluster documents from accepted pairs (`edges` as (a, b) document indices, document
/// index order = id order). Clusters come sorted by size (largest first), then canonical.
pub fn cluster(input: &ClusterInput, edges: &[(u32, u32)]) -> Vec<Cluster> {
    let n = input.features.len();
    let mut ds = DisjointSet((0..n as u32).collect());
    for &(a, b) in edges {
        ds.union(a, b);
    }
    // The accepted pairs as neighbour lists, each in the order of the pairs.
    let adjacency = Rows::new(n, || edges.iter().flat_map(|&(a, b)| [(a, b), (b, a)]));
    // Components in order of their smallest member (every root is its component's smallest
    // member, so it comes first), members ascending.
    let mut comps: Vec<Vec<u32>> = Vec::new();
    let mut comp_of_root = vec![u32::MAX; n];
    for d in 0..n as u32 {
        if adjacency.of(d).is_empty() {
            continue;
        }
        let root = ds.find(d) as usize;
        if comp_of_root[root] == u32::MAX {
            comp_of_root[root] = comps.len() as u32;
            comps.push(Vec::new());
        }
        comps[comp_of_root[root] as usize].push(d);
    }
    use rayon::prelude::*;
    let mut clusters: Vec<Cluster> = comps
        .par_iter()
        .flat_map_iter(|c| settle(input, &adjacency, c.clone()))
        .collect();
    clusters.sort_by(|a, b| {
        b.members
            .len()
            .cmp(&a.members.len())
            .then(a.canonical.cmp(&b.canonical))
    });
    clusters
}

/// Settle one component into one or more clusters (see the module docs).
fn settle(input: &ClusterInput, adj: &Rows, comp: Vec<u32>) -> Vec<Cluster> {
    let mut out = Vec::new();
    let mut pending = vec![comp];
    let mut scratch = Scratch::default();
    let k = input.params.ngram;
    while let Some(comp) = pending.pop() {
        if comp.len() < 2 {
            continue;
        }
        let canon = pick_canonical(input, &comp);
        let cf = &input.features[canon as usize];
        let canonical_paragraphs = ParagraphShingles::of(cf);
        // Every member scored once against the canonical, and compared with it paragraph by
        // paragraph from the same list of shared shingles.
        let to_canon: BTreeMap<u32, (PairScore, ParagraphMatch)> = comp
            .iter()
            .filter(|&&m| m != canon)
            .map(|&m| {
                let mf = &input.features[m as usize];
                (m, compare(cf, &canonical_paragraphs, mf, k, &mut scratch))
            })
            .collect();
        let mut kept: BTreeMap<u32, bool> = to_canon
            .iter()
            .filter(|&(&m, (sc, _))| input.params.accept(sc, cf, &input.features[m as usize]))
            .map(|(&m, _)| (m, false))
            .collect();
        // Members reached through kept members: kept when still related to the canonical,
        // or when they are a near-duplicate or a part of the kept member that reached them.
        let mut frontier: Vec<u32> = kept.keys().copied().collect();
        frontier.push(canon);
        while let Some(x) = frontier.pop() {
            for &y in adj.of(x) {
                if y == canon || kept.contains_key(&y) || comp.binary_search(&y).is_err() {
                    continue;
                }
                let yf = &input.features[y as usize];
                let sc = to_canon[&y].0;
                let xf = &input.features[x as usize];
                let related = sc.aligned * 2 >= input.params.min_passage;
                if input.params.accept_relaxed(&sc, cf, yf)
                    || (related && input.params.part_of(&score(xf, yf, k, &mut scratch), yf))
                {
                    kept.insert(y, true);
                    frontier.push(y);
                }
            }
        }
        let rest: Vec<u32> = comp
            .iter()
            .copied()
            .filter(|d| *d != canon && !kept.contains_key(d))
            .collect();
        if !kept.is_empty() {
            let all_shared = cf.positions.iter().map(|&p| {
                let at = (p as u32) << cf.pos_shift;
                (at, at)
            });
            let mut members = vec![Member {
                doc: canon,
                relation: Relation::Canonical,
                score: PairScore::identity(cf.n_shingles()),
                paragraphs: paragraph_match(cf, &canonical_paragraphs, cf, all_shared),
                chained: false,
            }];
            for (doc, chained) in kept {
                let mf = &input.features[doc as usize];
                let (sc, pm) = to_canon[&doc];
                members.push(Member {
                    doc,
                    relation: relation(cf, mf, &pm),
                    score: sc,
                    paragraphs: pm,
                    chained,
                });
            }
            out.push(Cluster {
                canonical: canon,
                members,
            });
        }
        // What was split off forms components of its own among themselves.
        for part in components_within(adj, &rest) {
            pending.push(part);
        }
    }
    out
}

/// Member `m` scored against canonical `c` (whose [`ParagraphShingles`] are
/// `c_paragraphs`) and compared with it paragraph by paragraph, both from one listing of the
/// shingles they share.
fn compare(
    c: &DocFeatures,
    c_paragraphs: &ParagraphShingles,
    m: &DocFeatures,
    ngram: usize,
    scratch: &mut Scratch,
) -> (PairScore, ParagraphMatch) {
    let sc = score(c, m, ngram, scratch);
    let (xs, ys) = scratch.shared_positions();
    let shared = xs.iter().copied().zip(ys.iter().copied());
    (sc, paragraph_match(c, c_paragraphs, m, shared))
}

/// Connected components of the subgraph induced by `nodes` (sorted).
fn components_within(adj: &Rows, nodes: &[u32]) -> Vec<Vec<u32>> {
    let mut seen = std::collections::BTreeSet::new();
    let mut parts = Vec::new();
    for &start in nodes {
        if !seen.insert(start) {
            continue;
        }
        let mut part = vec![start];
        let mut stack = vec![start];
        while let Some(x) = stack.pop() {
            for &y in adj.of(x) {
                if nodes.binary_search(&y).is_ok() && seen.insert(y) {
                    part.push(y);
                    stack.push(y);
                }
            }
        }
        part.sort_unstable();
        parts.push(part);
    }
    parts
}

/// The canonical member of a component (see the module docs).
fn pick_canonical(input: &ClusterInput, comp: &[u32]) -> u32 {
    let dated = comp.iter().all(|&d| input.dates[d as usize].is_some());
    if input.priority.is_none() && dated {
        return *comp
            .iter()
            .min_by(|&&a, &&b| {
                input.dates[a as usize]
                    .cmp(&input.dates[b as usize])
                    .then(a.cmp(&b))
            })
            .expect("non-empty component");
    }
    // In a pair each member's support is what the two share, the same for both: it cannot
    // decide between them (most components are pairs).
    let support = if comp.len() > 2 {
        supported_shingles(input.features, comp)
    } else {
        vec![0; comp.len()]
    };
    let key = |i: usize| (support[i], input.features[comp[i] as usize].n_shingles());
    let rank = |i: usize| input.priority.map_or(0, |p| p[comp[i] as usize]);
    let best = (0..comp.len())
        .max_by(|&i, &j| {
            rank(j)
                .cmp(&rank(i))
                .then(key(i).cmp(&key(j)))
                .then(comp[j].cmp(&comp[i]))
        })
        .expect("non-empty component");
    comp[best]
}

/// For each member, how many of its shingles another member also has.
///
/// Every shingle is counted in an open-addressing table indexed by the top bits of its
/// hash, then each member's shingles are looked up. A member's shingles ascend, so both
/// passes walk the table from start to end, like a merge: the table of a large component
/// stays cheap to reach, where sorting all the shingles of the component cost twice as much.
fn supported_shingles(features: &[DocFeatures], comp: &[u32]) -> Vec<usize> {
    let shingles = |d: u32| features[d as usize].shingles.as_slice();
    let total: usize = comp.iter().map(|&d| shingles(d).len()).sum();
    let mut table = ShingleCounts::with_room(total);
    for &d in comp {
        for &h in shingles(d) {
            table.add(h);
        }
    }
    comp.iter()
        .map(|&d| shingles(d).iter().filter(|&&h| table.count(h) > 1).count())
        .collect()
}

/// How many members hold each shingle: open addressing with linear probing, slots chosen
/// by the top bits of the (uniform) shingle hash.
struct ShingleCounts {
    keys: Vec<u32>,
    /// Members holding `keys[slot]`, saturating; 0 marks an empty slot.
    counts: Vec<u8>,
    shift: u32,
}

impl ShingleCounts {
    /// A table with room for `n` distinct shingles, at most half full.
    fn with_room(n: usize) -> Self {
        let size = (2 * n).next_power_of_two().clamp(2, 1 << 31);
        ShingleCounts {
            keys: vec![0; size],
            counts: vec![0; size],
            shift: 32 - size.trailing_zeros(),
        }
    }

    /// The slot holding `h`, or the empty slot where it belongs.
    #[inline]
    fn slot(&self, h: u32) -> usize {
        let mask = self.keys.len() - 1;
        let mut s = (h >> self.shift) as usize;
        while self.counts[s] != 0 && self.keys[s] != h {
            s = (s + 1) & mask;
        }
        s
    }

    fn add(&mut self, h: u32) {
        let s = self.slot(h);
        self.keys[s] = h;
        self.counts[s] = self.counts[s].saturating_add(1);
    }

    fn count(&self, h: u32) -> u8 {
        self.counts[self.slot(h)]
    }
}

/// Which paragraph each body position of a document is in, and how many shingles each
/// paragraph owns: computed once for a canonical, read for every member.
pub struct ParagraphShingles {
    para: Vec<u32>,
    owned: Vec<u32>,
}

impl ParagraphShingles {
    pub fn of(f: &DocFeatures) -> Self {
        let para = paragraph_by_position(f);
        let mut owned = vec![0u32; f.para_starts.len()];
        for &p in &f.positions {
            owned[para[((p as u32) << f.pos_shift) as usize] as usize] += 1;
        }
        ParagraphShingles { para, owned }
    }
}

/// Compare member `m` with canonical `c` (whose [`ParagraphShingles`] are `c_paragraphs`)
/// paragraph by paragraph, given the positions (unscaled, in `c` and in `m`) of every shingle
/// they share, in any order.
pub fn paragraph_match(
    c: &DocFeatures,
    c_paragraphs: &ParagraphShingles,
    m: &DocFeatures,
    shared: impl IntoIterator<Item = (u32, u32)>,
) -> ParagraphMatch {
    let m_paragraphs = ParagraphShingles::of(m);
    let (para_c, owned_c) = (&c_paragraphs.para, &c_paragraphs.owned);
    let (para_m, owned_m) = (&m_paragraphs.para, &m_paragraphs.owned);
    let mut hits_c = vec![0u32; owned_c.len()];
    let mut hits_m = vec![0u32; owned_m.len()];
    for (pc, pm) in shared {
        hits_c[para_c[pc as usize] as usize] += 1;
        hits_m[para_m[pm as usize] as usize] += 1;
    }
    let present = |hits: &[u32], owned: &[u32], f: &DocFeatures| -> Vec<Option<bool>> {
        (0..owned.len())
            .map(|p| {
                (f.para_body[p] && owned[p] > 0)
                    .then(|| hits[p] as f64 >= PARAGRAPH_PRESENT * owned[p] as f64)
            })
            .collect()
    };
    let (pres_c, pres_m) = (present(&hits_c, owned_c, c), present(&hits_m, owned_m, m));
    let mut pm = ParagraphMatch::default();
    for (p, s) in pres_m.iter().enumerate() {
        match s {
            Some(true) => {
                pm.shared_paragraphs += 1;
                pm.paragraphs += 1;
            }
            Some(false) => {
                pm.paragraphs += 1;
                pm.added_words += m.paragraph_tokens(p);
            }
            None => {}
        }
    }
    for (p, s) in pres_c.iter().enumerate() {
        match s {
            Some(true) => {
                pm.canonical_shared += 1;
                pm.canonical_paragraphs += 1;
            }
            Some(false) => {
                pm.canonical_paragraphs += 1;
                pm.dropped_words += c.paragraph_tokens(p);
            }
            None => {}
        }
    }
    let first_present = pres_c.iter().position(|s| *s == Some(true));
    pm.lead_dropped_words = (0..first_present.unwrap_or(pres_c.len()))
        .filter(|&p| pres_c[p].is_some())
        .map(|p| c.paragraph_tokens(p))
        .sum();
    let last_present = pres_c.iter().rposition(|s| *s == Some(true));
    let last_body = pres_c.iter().rposition(|s| s.is_some());
    if let (Some(lp), Some(lb)) = (last_present, last_body)
        && lp < lb
    {
        pm.truncated_after = Some(lp as u32);
    }
    pm
}

/// [`DocFeatures::paragraph_of`] for every body token position, as a table: a pair compares
/// every shingle's paragraph, and one pass over the paragraphs is cheaper than a binary
/// search per shingle.
fn paragraph_by_position(f: &DocFeatures) -> Vec<u32> {
    let mut para = Vec::with_capacity(f.body_tokens as usize);
    for (p, &start) in f.para_starts.iter().enumerate() {
        let end = f.para_starts.get(p + 1).copied().unwrap_or(f.body_tokens);
        para.extend(std::iter::repeat_n(p as u32, (end - start) as usize));
    }
    para
}

/// Does a word count matter relative to a text of `total` words?
fn significant(words: u32, total: u32) -> bool {
    words >= 10 && words as f64 >= 0.05 * total as f64
}

/// The relation of member `m` to canonical `c` (see [`Relation`]).
pub fn relation(c: &DocFeatures, m: &DocFeatures, pm: &ParagraphMatch) -> Relation {
    if c.text_hash == m.text_hash {
        return Relation::Exact;
    }
    if c.body_hash == m.body_hash {
        return Relation::Restyled;
    }
    let adds = significant(pm.added_words, m.body_tokens);
    let drops = significant(pm.dropped_words, c.body_tokens);
    match (adds, drops) {
        (false, false) => Relation::Edited,
        (true, false) => Relation::Extended,
        (true, true) => Relation::Version,
        (false, true) => {
            let kept_share = 1.0 - pm.dropped_words as f64 / c.body_tokens.max(1) as f64;
            // A short missing lead is forgiven only to a member that holds most of the
            // canonical: a smaller part without the first paragraph is as likely a passage
            // quoted from further down (see the module docs).
            let starts_at_lead = pm.lead_dropped_words == 0
                || (kept_share >= 0.5 && pm.lead_dropped_words <= LEAD_WINDOW);
            if starts_at_lead && pm.truncated_after.is_some() {
                Relation::Truncated
            } else if starts_at_lead && kept_share >= 0.5 {
                Relation::Edited
            } else {
                Relation::Excerpt
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::features::{Scratch as FeatureScratch, build};
    use crate::normalize::{Tokenized, Tokenizer};

    /// A byline paragraph: with six story paragraphs, as much text as makes a difference
    /// (see `significant`), as the bylines of the generated corpus do.
    const BYLINE: &str = "By Barbara Johnson, Senior Political Reporter\n\
                          Published August 9, 2024 12:50 a.m. Updated daily";
    const BYLINE_WORDS: u32 = 16;

    #[test]
    fn support_counts_the_shingles_another_member_holds() {
        // Members drawn from small value ranges share many shingles; the top of the u32
        // range (and 0) tests the table's first and last slots.
        let mut rng = crate::synth::Rng::new(0x853c_49e6_748f_ea9b);
        let mut next = |m: u64| rng.below(m as usize) as u64;
        for round in 0..50 {
            let n_members = 1 + next(8) as usize;
            let features: Vec<DocFeatures> = (0..n_members)
                .map(|_| {
                    let range = [50, 400, 1 << 32][round % 3];
                    let mut shingles: Vec<u32> = (0..next(120))
                        .map(|_| (u32::MAX as u64 - next(range)) as u32)
                        .chain([0])
                        .collect();
                    shingles.sort_unstable();
                    shingles.dedup();
                    DocFeatures {
                        shingles,
                        ..Default::default()
                    }
                })
                .collect();
            let comp: Vec<u32> = (0..n_members as u32).collect();
            let expected: Vec<usize> = (features.iter().enumerate())
                .map(|(i, f)| {
                    (f.shingles.iter())
                        .filter(|h| {
                            (features.iter().enumerate())
                                .any(|(j, g)| j != i && g.shingles.binary_search(h).is_ok())
                        })
                        .count()
                })
                .collect();
            assert_eq!(supported_shingles(&features, &comp), expected);
        }
    }

    #[test]
    fn paragraph_table_agrees_with_paragraph_of() {
        // Empty paragraphs (all furniture) start where the next one does.
        let f = DocFeatures {
            para_starts: vec![0, 0, 4, 9, 9, 9, 15],
            body_tokens: 20,
            ..Default::default()
        };
        let table = paragraph_by_position(&f);
        for pos in 0..f.body_tokens {
            assert_eq!(table[pos as usize] as usize, f.paragraph_of(pos), "{pos}");
        }
    }

    /// Story paragraph `p`: 35 words that occur nowhere else.
    fn paragraph(p: usize) -> String {
        (0..35)
            .map(|i| format!("w{p}x{i}"))
            .collect::<Vec<_>>()
            .join(" ")
    }

    fn text(byline: bool, paragraphs: std::ops::Range<usize>) -> String {
        let mut parts: Vec<String> = byline.then(|| BYLINE.to_string()).into_iter().collect();
        parts.extend(paragraphs.map(paragraph));
        parts.join("\n\n")
    }

    fn features(text: &str) -> DocFeatures {
        let mut tok = Tokenized::default();
        Tokenizer::new(1).tokenize(text, &mut tok);
        let furniture = vec![None; tok.lines.len()];
        let hash = xxhash_rust::xxh3::xxh3_64(text.as_bytes());
        let mut signature = [0u32; 16];
        build(
            tok.view(),
            &furniture,
            hash,
            5,
            1,
            &mut signature,
            &mut FeatureScratch::default(),
        )
        .0
    }

    /// The relation of `member` to `canonical`, and the words of the canonical's lead it lacks.
    fn relation_of(canonical: &str, member: &str) -> (Relation, u32) {
        let (c, m) = (features(canonical), features(member));
        let (_, pm) = compare(
            &c,
            &ParagraphShingles::of(&c),
            &m,
            5,
            &mut Scratch::default(),
        );
        (relation(&c, &m, &pm), pm.lead_dropped_words)
    }

    #[test]
    fn a_full_copy_without_the_canonicals_byline_is_edited() {
        let (rel, lead_dropped) = relation_of(&text(true, 0..6), &text(false, 0..6));
        assert_eq!(lead_dropped, BYLINE_WORDS);
        assert_eq!(rel, Relation::Edited);
    }

    #[test]
    fn a_truncated_copy_without_the_canonicals_byline_is_truncated() {
        assert_eq!(
            relation_of(&text(true, 0..6), &text(false, 0..4)),
            (Relation::Truncated, BYLINE_WORDS)
        );
    }

    #[test]
    fn a_part_that_starts_a_paragraph_into_the_story_is_an_excerpt() {
        // Two thirds of the story, but without its first paragraph.
        assert_eq!(
            relation_of(&text(true, 0..6), &text(false, 1..6)),
            (Relation::Excerpt, BYLINE_WORDS + 35)
        );
        assert_eq!(
            relation_of(&text(false, 0..6), &text(false, 2..6)).0,
            Relation::Excerpt
        );
    }

    #[test]
    fn a_middle_part_is_an_excerpt() {
        assert_eq!(
            relation_of(&text(false, 0..6), &text(false, 2..4)).0,
            Relation::Excerpt
        );
    }

    #[test]
    fn a_short_part_must_keep_the_first_paragraph_to_be_truncated() {
        // The first story paragraph after the byline: the lead is short, but so is the part.
        assert_eq!(
            relation_of(&text(true, 0..6), &text(false, 0..2)),
            (Relation::Excerpt, BYLINE_WORDS)
        );
        assert_eq!(
            relation_of(&text(true, 0..6), &text(true, 0..2)),
            (Relation::Truncated, 0)
        );
    }
}
