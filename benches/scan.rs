//! End-to-end benchmark: read a synthetic corpus from memory and scan it, on all cores and
//! on one thread. The corpus is generated in process ([`wirecopy::synth`], fixed seed), so
//! the bench runs on a fresh clone; the peer comparison on the shared 10k/100k/1M corpora
//! is `scripts/compare_peers.py`.
//!
//! `cargo bench --bench scan`.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use std::hint::black_box;
use std::time::Duration;
use wirecopy::config::ScanConfig;
use wirecopy::input::{ReadOptions, read_jsonl_bytes};
use wirecopy::progress::Progress;
use wirecopy::scan::scan;
use wirecopy::synth::{SynthParams, generate};

const DOCS: usize = 5000;

fn end_to_end(c: &mut Criterion) {
    let jsonl = generate(&SynthParams {
        n_docs: DOCS,
        ..Default::default()
    })
    .jsonl;
    let opts = ReadOptions {
        source_field: Some("source".into()),
        ..Default::default()
    };
    let cfg = ScanConfig::default();
    let run = || {
        let corpus = read_jsonl_bytes("synth", jsonl.clone(), &opts).expect("valid JSONL");
        black_box(scan(&corpus, &cfg, &Progress::hidden()).clusters.len())
    };
    let mut g = c.benchmark_group("scan");
    g.throughput(Throughput::Bytes(jsonl.len() as u64));
    g.bench_function(format!("read_and_scan_{DOCS}_docs"), |b| b.iter(run));
    let one = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .expect("a one-thread pool");
    g.bench_function(format!("read_and_scan_{DOCS}_docs_1_thread"), |b| {
        b.iter(|| one.install(run))
    });
    g.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(5));
    targets = end_to_end
}
criterion_main!(benches);
