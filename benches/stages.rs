//! Per-stage micro-benchmarks on the in-process synthetic corpus ([`wirecopy::synth`]), so
//! they run on a fresh clone: tokenize, shingle, sketch (one-permutation MinHash against the
//! K-hash reference it replaces), features (a document's shingle set and signature), band
//! (LSH buckets and the containment index), verify, align (each clustered copy against its
//! canonical).
//! Each bench times one stage over the whole fixture and reports its throughput, so a
//! regression shows up in the stage that caused it rather than only end to end.
//!
//! `cargo bench --bench stages` (a filter narrows it: `cargo bench --bench stages -- sketch`).

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use std::hint::black_box;
use std::time::Duration;
use wirecopy::align::{AlignParams, Article, align};
use wirecopy::candidates::{containment_candidates, union};
use wirecopy::config::ScanConfig;
use wirecopy::features;
use wirecopy::input::{Corpus, ReadOptions, read_jsonl_bytes};
use wirecopy::lsh::band_candidates;
use wirecopy::normalize::{Tokenized, Tokenizer};
use wirecopy::progress::Progress;
use wirecopy::scan::{Analysis, ScanOutput, analyze_timed, scan};
use wirecopy::sketch::{minhash_oph, minhash_reference};
use wirecopy::synth::{SynthParams, generate};
use wirecopy::verify;

/// Documents in the fixture: enough for realistic bucket and candidate counts.
const DOCS: usize = 5000;
/// Documents the sketch benches use (the K-hash reference is slow by design).
const SKETCH_DOCS: usize = 500;
/// (canonical, copy) pairs the align bench aligns.
const ALIGN_PAIRS: usize = 300;

struct Fixture {
    corpus: Corpus,
    cfg: ScanConfig,
    /// Every document tokenized, in corpus order.
    tokenized: Vec<Tokenized>,
    analysis: Analysis,
    /// LSH and containment candidates, as the scan verifies them.
    candidates: Vec<u64>,
    /// The whole scan, for its clusters and boilerplate model.
    scanned: ScanOutput,
}

fn fixture() -> Fixture {
    let synth = generate(&SynthParams {
        n_docs: DOCS,
        ..Default::default()
    });
    let opts = ReadOptions {
        source_field: Some("source".into()),
        ..Default::default()
    };
    let corpus = read_jsonl_bytes("synth", synth.jsonl, &opts).expect("synthetic JSONL is valid");
    let cfg = ScanConfig::default();
    let mut tokenizer = Tokenizer::new(cfg.seed);
    let mut t = Tokenized::default();
    let tokenized = (0..corpus.len())
        .map(|d| {
            tokenizer.tokenize(&corpus.text(d), &mut t);
            t.clone()
        })
        .collect();
    let (analysis, _) = analyze_timed(&corpus, &cfg, &Progress::hidden());
    let candidates = union(lsh(&analysis, &cfg), containment(&analysis, &cfg));
    let scanned = scan(&corpus, &cfg, &Progress::hidden());
    Fixture {
        corpus,
        cfg,
        tokenized,
        analysis,
        candidates,
        scanned,
    }
}

fn lsh(a: &Analysis, cfg: &ScanConfig) -> Vec<u64> {
    let k = cfg.num_perm;
    band_candidates(
        &a.signatures,
        k,
        &a.active,
        cfg.banding,
        cfg.seed,
        cfg.bucket_cap,
    )
    .0
}

fn containment(a: &Analysis, cfg: &ScanConfig) -> Vec<u64> {
    let ratio = cfg.candidate_ratio();
    containment_candidates(
        &a.features,
        cfg.sample_rate,
        cfg.sample_min,
        ratio,
        cfg.bucket_cap,
    )
    .0
}

fn shingle_hashes(tokens: &[u32], cfg: &ScanConfig) -> Vec<u64> {
    let mut out = Vec::with_capacity(tokens.len());
    wirecopy::sketch::shingle_hashes(tokens, cfg.ngram, cfg.seed, &mut out);
    out
}

fn stages(c: &mut Criterion) {
    let fx = fixture();
    let bytes: u64 = (0..fx.corpus.len())
        .map(|d| fx.corpus.text(d).len() as u64)
        .sum();
    let n_tokens: u64 = fx.tokenized.iter().map(|t| t.tokens.len() as u64).sum();

    let mut g = c.benchmark_group("normalize");
    g.throughput(Throughput::Bytes(bytes));
    g.bench_function("tokenize", |b| {
        let mut tokenizer = Tokenizer::new(fx.cfg.seed);
        let mut t = Tokenized::default();
        b.iter(|| {
            for d in 0..fx.corpus.len() {
                tokenizer.tokenize(&fx.corpus.text(d), &mut t);
                black_box(&t);
            }
        })
    });
    g.finish();

    let mut g = c.benchmark_group("shingle");
    g.throughput(Throughput::Elements(n_tokens));
    g.bench_function("word_kgram_hashes", |b| {
        let mut hashes = Vec::new();
        b.iter(|| {
            for t in &fx.tokenized {
                wirecopy::sketch::shingle_hashes(&t.tokens, fx.cfg.ngram, fx.cfg.seed, &mut hashes);
                black_box(&hashes);
            }
        })
    });
    g.finish();

    let hashes: Vec<Vec<u64>> = fx.tokenized[..SKETCH_DOCS]
        .iter()
        .map(|t| shingle_hashes(&t.tokens, &fx.cfg))
        .collect();
    let n_shingles: u64 = hashes.iter().map(|h| h.len() as u64).sum();
    let mut g = c.benchmark_group("sketch");
    g.throughput(Throughput::Elements(n_shingles));
    for k in [fx.cfg.num_perm, 128] {
        let mut sig = vec![0u32; k];
        g.bench_with_input(BenchmarkId::new("oph", k), &k, |b, _| {
            b.iter(|| {
                for h in &hashes {
                    minhash_oph(h.iter().copied(), fx.cfg.seed, &mut sig);
                    black_box(&sig);
                }
            })
        });
        g.bench_with_input(BenchmarkId::new("reference", k), &k, |b, _| {
            b.iter(|| {
                for h in &hashes {
                    minhash_reference(h, fx.cfg.seed, &mut sig);
                    black_box(&sig);
                }
            })
        });
    }
    g.finish();

    // A document's features and signature from its tokens and furniture labels, as the
    // scan's sketch stage builds them (shingling, MinHash, sorting and deduplicating).
    let furniture: Vec<_> = (fx.tokenized.iter())
        .map(|t| fx.scanned.boilerplate.classify(t.view()))
        .collect();
    let mut g = c.benchmark_group("features");
    g.throughput(Throughput::Elements(n_tokens));
    g.bench_function("build", |b| {
        let mut sig = vec![0u32; fx.cfg.num_perm];
        let mut scratch = features::Scratch::default();
        b.iter(|| {
            for (t, f) in fx.tokenized.iter().zip(&furniture) {
                let (ngram, seed) = (fx.cfg.ngram, fx.cfg.seed);
                black_box(features::build(
                    t.view(),
                    f,
                    0,
                    ngram,
                    seed,
                    &mut sig,
                    &mut scratch,
                ));
            }
        })
    });
    g.finish();

    let mut g = c.benchmark_group("band");
    g.throughput(Throughput::Elements(fx.corpus.len() as u64));
    g.bench_function("lsh_band_candidates", |b| {
        b.iter(|| black_box(lsh(&fx.analysis, &fx.cfg)))
    });
    g.bench_function("containment_candidates", |b| {
        b.iter(|| black_box(containment(&fx.analysis, &fx.cfg)))
    });
    g.finish();

    let mut g = c.benchmark_group("verify");
    g.throughput(Throughput::Elements(fx.candidates.len() as u64));
    g.bench_function("score_candidates", |b| {
        let features = &fx.analysis.features;
        let mut scratch = verify::Scratch::default();
        b.iter(|| {
            for &key in &fx.candidates {
                let (a, z) = ((key >> 32) as usize, key as u32 as usize);
                black_box(verify::score(
                    &features[a],
                    &features[z],
                    fx.cfg.ngram,
                    &mut scratch,
                ));
            }
        })
    });
    g.bench_function("decide_candidates", |b| {
        let features = &fx.analysis.features;
        let params = fx.cfg.verify_params();
        let mut scratch = verify::Scratch::default();
        b.iter(|| {
            for &key in &fx.candidates {
                let (a, z) = ((key >> 32) as usize, key as u32 as usize);
                black_box(params.decide(&features[a], &features[z], &mut scratch, |_| false));
            }
        })
    });
    g.finish();

    // Corpus indices of (canonical, copy) pairs, as the reports align them.
    let out = &fx.scanned;
    let doc = |d: u32| out.order[d as usize] as usize;
    let pairs: Vec<(usize, usize)> = out
        .clusters
        .iter()
        .flat_map(|c| {
            c.members[1..]
                .iter()
                .map(|m| (doc(c.canonical), doc(m.doc)))
        })
        .take(ALIGN_PAIRS)
        .collect();
    let texts: Vec<(String, String)> = pairs
        .iter()
        .map(|&(a, b)| {
            (
                fx.corpus.text(a).into_owned(),
                fx.corpus.text(b).into_owned(),
            )
        })
        .collect();
    let article = |text| Article::new(text, fx.cfg.seed, &out.boilerplate);
    let articles: Vec<_> = texts
        .iter()
        .map(|(a, b)| (article(a), article(b)))
        .collect();
    let mut g = c.benchmark_group("align");
    g.throughput(Throughput::Elements(articles.len() as u64));
    g.bench_function("copy_with_canonical", |b| {
        let params = AlignParams::default();
        b.iter(|| {
            for (x, y) in &articles {
                black_box(align(x, y, &params));
            }
        })
    });
    g.finish();
}

criterion_group! {
    name = benches;
    // Small samples: each iteration covers the whole fixture, so the stage figures are
    // stable within a few percent and `cargo bench` stays within a couple of minutes.
    config = Criterion::default()
        .sample_size(10)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2));
    targets = stages
}
criterion_main!(benches);
