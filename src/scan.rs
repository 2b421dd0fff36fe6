//! The scan pipeline: tokenize → learn boilerplate → features and signatures → candidates
//! → verify → cluster. Each stage is a library function over plain data; this module only
//! runs them in order, times them, and counts what they did.
//!
//! Documents are processed in id order (not input order), so every tie anywhere downstream
//! is broken by id and the result does not depend on how the input was ordered.

use crate::boilerplate::{BoilerplateModel, LineRecord, count_line_records, line_records};
use crate::candidates::{containment_candidates, union};
use crate::cluster::{Cluster, ClusterInput, cluster};
use crate::config::{PairsScope, ScanConfig};
use crate::features::{self, DocFeatures};
use crate::input::Corpus;
use crate::lsh::band_candidates;
use crate::normalize::{Tokenized, TokenizedBatch, TokenizedRef, Tokenizer, line_hash};
use crate::progress::Progress;
use crate::verify::{self, Fetch, PairScore};
use rayon::prelude::*;
use std::collections::BTreeMap;
use std::time::Instant;

/// Counts of what each stage did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct ScanStats {
    pub documents: u64,
    pub bytes: u64,
    pub skipped: Vec<(&'static str, usize)>,
    pub empty_body: u64,
    pub boilerplate_lines_learned: u64,
    pub furniture_lines: u64,
    pub lsh_candidates: u64,
    pub containment_candidates: u64,
    pub candidates: u64,
    pub capped_buckets: u64,
    pub skipped_common_samples: u64,
    pub verified_pairs: u64,
    pub clusters: u64,
    pub clustered_documents: u64,
    pub chained_members: u64,
}

/// Documents tokenized between two releases of the input pages they were read from.
const TOKENIZE_BATCH: usize = 16_384;

/// Documents whose token streams pass 1 keeps together, tokenized by one thread: enough
/// to make a chunk's three buffers large, few enough that the last chunk of a batch does
/// not keep the other threads waiting long. A batch holds whole chunks.
const CHUNK: usize = 256;
const _: () = assert!(TOKENIZE_BATCH.is_multiple_of(CHUNK));

/// Candidate pairs a verifier thread takes at a time.
const VERIFY_CHUNK: usize = 1024;
/// Pairs ahead of the one being scored whose second document's arrays are fetched (its
/// record is fetched twice as far ahead).
const PREFETCH_AHEAD: usize = 4;

/// The token streams of `CHUNK` consecutive documents (input order) and the hashes of
/// their texts.
#[derive(Default)]
struct Chunk {
    texts: TokenizedBatch,
    text_hashes: Vec<u64>,
}

/// What one stage cost: wall-clock seconds and, where the system reports it, the process's
/// peak resident set size (MB) when the stage ended. The peak only grows, so the stage where
/// it jumps is the stage that holds the memory.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Stage {
    pub name: &'static str,
    pub seconds: f64,
    pub peak_rss_mb: Option<f64>,
}

impl Stage {
    /// A stage that has just ended, after `seconds`.
    pub fn ended(name: &'static str, seconds: f64) -> Self {
        Stage {
            name,
            seconds,
            peak_rss_mb: peak_rss_mb(),
        }
    }
}

/// The stages of a run, in order.
pub type Timings = Vec<Stage>;

/// Peak resident set size of this process so far, in MB (Linux: `VmHWM` of
/// /proc/self/status; None elsewhere).
pub fn peak_rss_mb() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some((kb / 1024.0).round())
}

/// Per-document matching data of a corpus, before any pair is looked at.
pub struct Analysis {
    /// Internal document index (id order) → index in `Corpus::docs`.
    pub order: Vec<u32>,
    pub features: Vec<DocFeatures>,
    /// MinHash signatures, `num_perm` slots per document, row-major in internal order.
    pub signatures: Vec<u32>,
    /// Documents with at least one body shingle.
    pub active: Vec<bool>,
    /// The furniture learned from this corpus.
    pub boilerplate: BoilerplateModel,
}

/// A scored candidate pair (internal document indices, `a < b`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ScoredPair {
    pub a: u32,
    pub b: u32,
    pub score: PairScore,
    pub accepted: bool,
}

/// Everything a report needs.
pub struct ScanOutput {
    /// Internal document index (id order) → index in `Corpus::docs`.
    pub order: Vec<u32>,
    pub features: Vec<DocFeatures>,
    pub boilerplate: BoilerplateModel,
    pub clusters: Vec<Cluster>,
    /// Scored pairs, as many as `ScanConfig::keep_pairs` asks for.
    pub pairs: Vec<ScoredPair>,
    pub stats: ScanStats,
    pub timings: Timings,
}

struct Timer {
    start: Instant,
    timings: Timings,
}

impl Timer {
    fn new() -> Self {
        Timer {
            start: Instant::now(),
            timings: Vec::new(),
        }
    }

    fn lap(&mut self, name: &'static str) {
        let now = Instant::now();
        let seconds = now.duration_since(self.start).as_secs_f64();
        self.timings.push(Stage::ended(name, seconds));
        self.start = now;
    }
}

/// Run the scan over a corpus that has been read.
pub fn scan(corpus: &Corpus, cfg: &ScanConfig, progress: &Progress) -> ScanOutput {
    let mut timer = Timer::new();
    let analysis = analyze(corpus, cfg, None, progress, &mut timer);
    detect(corpus, cfg, analysis, progress, &mut timer)
}

/// Tokenize, learn boilerplate, and build features and signatures, in id order.
/// `timings` receives one entry per stage.
pub fn analyze_timed(
    corpus: &Corpus,
    cfg: &ScanConfig,
    progress: &Progress,
) -> (Analysis, Timings) {
    let mut timer = Timer::new();
    let a = analyze(corpus, cfg, None, progress, &mut timer);
    (a, timer.timings)
}

/// [`analyze_timed`] with furniture known from elsewhere (the model stored in a snapshot
/// index) added to what this corpus teaches, so that new documents lose the same template
/// lines the indexed ones lost.
pub fn analyze_with_furniture(
    corpus: &Corpus,
    cfg: &ScanConfig,
    known: &BoilerplateModel,
    progress: &Progress,
) -> (Analysis, Timings) {
    let mut timer = Timer::new();
    let a = analyze(corpus, cfg, Some(known), progress, &mut timer);
    (a, timer.timings)
}

/// Candidates, verification and clustering over an [`Analysis`] (possibly narrowed to some
/// documents by the caller); `timings` of the result hold these stages only.
pub fn detect_timed(
    corpus: &Corpus,
    cfg: &ScanConfig,
    analysis: Analysis,
    progress: &Progress,
) -> ScanOutput {
    let mut timer = Timer::new();
    detect(corpus, cfg, analysis, progress, &mut timer)
}

fn analyze(
    corpus: &Corpus,
    cfg: &ScanConfig,
    known: Option<&BoilerplateModel>,
    progress: &Progress,
    timer: &mut Timer,
) -> Analysis {
    let n = corpus.docs.len();
    let mut order: Vec<u32> = (0..n as u32).collect();
    order.par_sort_by(|&a, &b| corpus.docs[a as usize].id.cmp(&corpus.docs[b as usize].id));

    let mut source_ids: BTreeMap<&str, u32> = BTreeMap::new();
    for d in &order {
        if let Some(s) = &corpus.docs[*d as usize].source {
            let next = source_ids.len() as u32;
            source_ids.entry(s.as_str()).or_insert(next);
        }
    }
    let sources: Vec<Option<u32>> = order
        .iter()
        .map(|&d| {
            corpus.docs[d as usize]
                .source
                .as_deref()
                .map(|s| source_ids[s])
        })
        .collect();

    // Pass 1, in input order so that the pages of a memory-mapped input can be given back
    // batch by batch: tokenize every text once and keep the token streams for pass 2, in
    // chunks of consecutive texts.
    let bar = progress.bar("tokenize", n as u64);
    let mut chunks: Vec<Chunk> = Vec::with_capacity(n.div_ceil(CHUNK));
    for lo in (0..n).step_by(TOKENIZE_BATCH) {
        let hi = (lo + TOKENIZE_BATCH).min(n);
        let batch: Vec<Chunk> = (0..(hi - lo).div_ceil(CHUNK))
            .into_par_iter()
            .map_init(
                || (Tokenizer::new(cfg.seed), Tokenized::default()),
                |(tok, scratch), c| {
                    let mut chunk = Chunk::default();
                    for d in lo + c * CHUNK..(lo + (c + 1) * CHUNK).min(hi) {
                        let text = corpus.text(d);
                        tok.tokenize(&text, scratch);
                        chunk.texts.push(scratch);
                        (chunk.text_hashes).push(xxhash_rust::xxh3::xxh3_64(text.as_bytes()));
                    }
                    bar.inc(chunk.texts.len() as u64);
                    chunk
                },
            )
            .collect();
        corpus.release_resident_pages_of(lo..hi);
        chunks.extend(batch);
    }
    bar.finish_and_clear();
    // Document `i` in id order: its tokens and the hash of its text.
    let doc = |i: usize| {
        let d = order[i] as usize;
        let chunk = &chunks[d / CHUNK];
        (chunk.texts.get(d % CHUNK), chunk.text_hashes[d % CHUNK])
    };
    let records = all_line_records(n, &doc, &sources);
    timer.lap("tokenize");

    // Boilerplate.
    let (mut model, holders) = BoilerplateModel::learn_lines(cfg.boilerplate, records);
    for d in holders {
        model.add_near_lines(doc(d as usize).0);
    }
    if let Some(known) = known {
        model.merge(known);
    }
    timer.lap("boilerplate");

    // Features and signatures, in input order chunk by chunk so that the token streams of a
    // chunk are freed as soon as it is done (the features take their place), then put in id
    // order.
    let k = cfg.num_perm;
    let bar = progress.bar("sketch", n as u64);
    let mut signatures_by_input = vec![0u32; n * k];
    let built: Vec<Vec<(DocFeatures, bool)>> = signatures_by_input
        .par_chunks_mut((CHUNK * k).max(1))
        .zip(chunks.into_par_iter())
        .map_init(features::Scratch::default, |scratch, (sigs, chunk)| {
            let built = (sigs.chunks_mut(k.max(1)).enumerate())
                .map(|(j, sig)| {
                    let t = chunk.texts.get(j);
                    let furniture = model.classify(t);
                    let hash = chunk.text_hashes[j];
                    features::build(t, &furniture, hash, cfg.ngram, cfg.seed, sig, scratch)
                })
                .collect();
            bar.inc(chunk.texts.len() as u64);
            built
        })
        .collect();
    bar.finish_and_clear();
    let mut signatures = vec![0u32; n * k];
    (signatures.par_chunks_mut(k.max(1)).zip(&order)).for_each(|(sig, &d)| {
        sig.copy_from_slice(&signatures_by_input[d as usize * k..][..k]);
    });
    drop(signatures_by_input);
    let mut built: Vec<(DocFeatures, bool)> = built.into_iter().flatten().collect();
    let (features, active): (Vec<DocFeatures>, Vec<bool>) = (order.iter())
        .map(|&d| std::mem::take(&mut built[d as usize]))
        .unzip();
    timer.lap("sketch");
    Analysis {
        order,
        features,
        signatures,
        active,
        boilerplate: model,
    }
}

/// What the boilerplate learner needs of every line: the [`line_records`] of each of the `n`
/// documents (`doc(i)`: document `i` in id order, `sources` per document), in one
/// allocation of the exact size filled in place. Collecting them would grow and copy the
/// millions of records of a large corpus.
fn all_line_records<'a>(
    n: usize,
    doc: &(impl Fn(usize) -> (TokenizedRef<'a>, u64) + Sync),
    sources: &[Option<u32>],
) -> Vec<LineRecord> {
    let counts: Vec<usize> = (0..n)
        .into_par_iter()
        .map(|i| count_line_records(doc(i).0))
        .collect();
    let mut records: Vec<LineRecord> = vec![[0; 6]; counts.iter().sum()];
    let mut per_doc = Vec::with_capacity(n);
    let mut rest = &mut records[..];
    for &c in &counts {
        let (doc, after) = rest.split_at_mut(c);
        per_doc.push(doc);
        rest = after;
    }
    (per_doc.into_par_iter().enumerate()).for_each(|(i, out)| {
        let t = doc(i).0;
        let doc = line_records(t, i as u32, line_hash(t.tokens), sources[i]);
        for (slot, r) in out.iter_mut().zip(doc) {
            *slot = r;
        }
    });
    records
}

fn detect(
    corpus: &Corpus,
    cfg: &ScanConfig,
    analysis: Analysis,
    progress: &Progress,
    timer: &mut Timer,
) -> ScanOutput {
    let Analysis {
        order,
        features,
        signatures,
        active,
        boilerplate: model,
    } = analysis;
    let n = order.len();
    let k = cfg.num_perm;

    // Candidates.
    let (lsh_pairs, lsh_stats) = band_candidates(
        &signatures,
        k,
        &active,
        cfg.banding,
        cfg.seed,
        cfg.bucket_cap,
    );
    drop(signatures);
    let (sample_pairs, sample_stats) = containment_candidates(
        &features,
        cfg.sample_rate,
        cfg.sample_min,
        cfg.candidate_ratio(),
        cfg.bucket_cap,
    );
    let mut stats = ScanStats {
        documents: n as u64,
        bytes: corpus.total_bytes(),
        skipped: corpus.reject_counts(),
        empty_body: active.iter().filter(|a| !**a).count() as u64,
        boilerplate_lines_learned: model.learned_lines() as u64,
        furniture_lines: features.iter().map(|f| f.furniture_lines as u64).sum(),
        lsh_candidates: lsh_pairs.len() as u64,
        containment_candidates: sample_pairs.len() as u64,
        capped_buckets: lsh_stats.capped_buckets,
        skipped_common_samples: sample_stats.skipped_common,
        ..Default::default()
    };
    let candidates = union(lsh_pairs, sample_pairs);
    stats.candidates = candidates.len() as u64;
    timer.lap("candidates");

    // Verify.
    let vparams = cfg.verify_params();
    let bar = progress.bar("verify", candidates.len() as u64);
    let keep = cfg.keep_pairs;
    let decide = |s: &mut verify::Scratch, key: u64| {
        let (a, b) = ((key >> 32) as u32, key as u32);
        let (fa, fb) = (&features[a as usize], &features[b as usize]);
        let (accepted, score) = vparams.decide(fa, fb, s, |accepted| match keep {
            PairsScope::None => false,
            PairsScope::Accepted => accepted,
            PairsScope::Candidates => true,
        });
        (accepted || keep == PairsScope::Candidates).then(|| ScoredPair {
            a,
            b,
            score: match keep {
                PairsScope::None => PairScore::default(),
                _ => score.expect("decide scores every pair the report keeps"),
            },
            accepted,
        })
    };
    let scored: Vec<ScoredPair> = candidates
        .par_chunks(VERIFY_CHUNK)
        .map_init(verify::Scratch::default, |s, chunk| {
            // The second documents of the pairs ahead are fetched while this one is
            // scored: first their records, then (a few pairs later) their arrays.
            let second = |t: usize| chunk.get(t).map(|&key| &features[key as u32 as usize]);
            let mut kept = Vec::new();
            for (t, &key) in chunk.iter().enumerate() {
                if let Some(f) = second(t + 2 * PREFETCH_AHEAD) {
                    verify::prefetch(f, Fetch::Record);
                }
                if let Some(f) = second(t + PREFETCH_AHEAD) {
                    verify::prefetch(f, Fetch::Arrays);
                }
                kept.extend(decide(s, key));
            }
            bar.inc(chunk.len() as u64);
            kept
        })
        .flatten_iter()
        .collect();
    bar.finish_and_clear();
    let edges: Vec<(u32, u32)> = scored
        .iter()
        .filter(|p| p.accepted)
        .map(|p| (p.a, p.b))
        .collect();
    let pairs = if keep == PairsScope::None {
        Vec::new()
    } else {
        scored
    };
    stats.verified_pairs = edges.len() as u64;
    timer.lap("verify");

    // Cluster.
    let dates: Vec<Option<&str>> = order
        .iter()
        .map(|&d| corpus.docs[d as usize].date.as_deref())
        .collect();
    let priority = cfg.canonical.priorities(corpus, &order);
    let clusters = cluster(
        &ClusterInput {
            features: &features,
            dates: &dates,
            priority: priority.as_deref(),
            params: vparams,
        },
        &edges,
    );
    stats.clusters = clusters.len() as u64;
    stats.clustered_documents = clusters.iter().map(|c| c.members.len() as u64).sum();
    stats.chained_members = clusters
        .iter()
        .flat_map(|c| &c.members)
        .filter(|m| m.chained)
        .count() as u64;
    timer.lap("cluster");

    ScanOutput {
        order,
        features,
        boilerplate: model,
        clusters,
        pairs,
        stats,
        timings: std::mem::take(&mut timer.timings),
    }
}
