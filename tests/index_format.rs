//! The snapshot index file: it round-trips, and every kind of damage is an error, never a
//! panic or a different index.

use std::fs;
use std::process::Command;
use wirecopy::config::ScanConfig;
use wirecopy::index::{FORMAT_VERSION, HEADER_LEN, IndexError, SnapshotIndex};
use wirecopy::input::{Corpus, ReadOptions, read_jsonl_bytes};
use wirecopy::progress::Progress;
use wirecopy::scan::analyze_timed;
use wirecopy::synth::{SynthParams, generate};

fn corpus(n_docs: usize, seed: u64) -> Corpus {
    let synth = generate(&SynthParams {
        n_docs,
        seed,
        ..Default::default()
    });
    let opts = ReadOptions {
        source_field: Some("source".into()),
        ..Default::default()
    };
    read_jsonl_bytes("synth.jsonl", synth.jsonl, &opts).unwrap()
}

fn index_of(corpus: &Corpus) -> SnapshotIndex {
    let cfg = ScanConfig::default();
    let (analysis, _) = analyze_timed(corpus, &cfg, &Progress::hidden());
    let mut index = SnapshotIndex::new(&cfg);
    index.add(corpus, &analysis);
    index
}

fn bytes_of(index: &SnapshotIndex) -> Vec<u8> {
    let mut out = Vec::new();
    index.write(&mut out).unwrap();
    out
}

fn format_error(bytes: &[u8]) -> String {
    match SnapshotIndex::read(bytes) {
        Err(IndexError::Format(m)) => m,
        Err(e) => panic!("unexpected error {e}"),
        Ok(_) => panic!("damaged index was accepted"),
    }
}

#[test]
fn an_index_round_trips() {
    let corpus = corpus(300, 7);
    let index = index_of(&corpus);
    assert_eq!(index.len(), corpus.len());
    let bytes = bytes_of(&index);
    let back = SnapshotIndex::read(&bytes).unwrap();
    assert_eq!(back, index);
    assert_eq!(bytes_of(&back), bytes);
    let d = (0..back.len())
        .find(|&d| back.id(d) == corpus.docs[0].id)
        .unwrap();
    assert_eq!(back.source(d), corpus.docs[0].source.as_deref());
    assert!(!back.doc(d).sketch_hashes.is_empty());
    // Well under the 600 bytes per document the format aims at.
    assert!(bytes.len() / index.len() < 600, "{} bytes", bytes.len());
}

#[test]
fn damaged_files_are_errors() {
    let bytes = bytes_of(&index_of(&corpus(60, 3)));
    assert!(format_error(b"").contains("not a wirecopy index"));
    assert!(format_error(b"{\"id\":1}\n").contains("not a wirecopy index"));
    assert!(format_error(&bytes[..20]).contains("truncated"));
    // Every truncation and every single flipped bit is caught.
    for len in (HEADER_LEN..bytes.len()).step_by(13) {
        assert!(
            format_error(&bytes[..len]).contains("truncated"),
            "at {len}"
        );
    }
    let mut appended = bytes.clone();
    appended.push(0);
    assert!(format_error(&appended).contains("trailing bytes"));
    for at in (0..bytes.len()).step_by(17) {
        for bit in [0, 3, 7] {
            let mut damaged = bytes.clone();
            damaged[at] ^= 1 << bit;
            let message = format_error(&damaged);
            if at >= HEADER_LEN {
                assert!(message.contains("checksum mismatch"), "at {at}: {message}");
            }
        }
    }
}

#[test]
fn another_format_version_is_refused_by_name() {
    let mut bytes = bytes_of(&index_of(&corpus(30, 4)));
    bytes[8..12].copy_from_slice(&(FORMAT_VERSION + 1).to_le_bytes());
    let message = format_error(&bytes);
    assert!(
        message.contains(&format!("version {}", FORMAT_VERSION + 1))
            && message.contains("wirecopy index build"),
        "{message}"
    );
}

/// A payload that passes the checksum but is not what the writer writes (a bug or a
/// forgery) is still parsed safely: never a panic, never an oversized allocation.
#[test]
fn inconsistent_payloads_with_a_valid_checksum_do_not_panic() {
    let bytes = bytes_of(&index_of(&corpus(40, 5)));
    let mut x = 0x2545_f491_4f6c_dd1d_u64;
    let mut rejected = 0;
    for _ in 0..3000 {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let mut damaged = bytes.clone();
        let at = HEADER_LEN + (x as usize % (bytes.len() - HEADER_LEN));
        damaged[at] = (x >> 32) as u8;
        let checksum = xxhash_rust::xxh3::xxh3_64(&damaged[HEADER_LEN..]);
        damaged[24..32].copy_from_slice(&checksum.to_le_bytes());
        if SnapshotIndex::read(&damaged).is_err() {
            rejected += 1;
        }
    }
    assert!(rejected > 0);
}

#[test]
fn cli_build_add_and_info() {
    let dir = tempfile::tempdir().unwrap();
    let synth = generate(&SynthParams {
        n_docs: 200,
        seed: 9,
        ..Default::default()
    });
    let text = String::from_utf8(synth.jsonl).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    let (first, second) = lines.split_at(120);
    let part = |name: &str, lines: &[&str]| {
        let path = dir.path().join(name);
        fs::write(&path, lines.join("\n") + "\n").unwrap();
        path
    };
    let (a, b) = (part("a.jsonl", first), part("b.jsonl", second));
    let wcx = dir.path().join("corpus.wcx");
    let wirecopy = |args: &[&std::ffi::OsStr]| {
        Command::new(env!("CARGO_BIN_EXE_wirecopy"))
            .args(args)
            .output()
            .unwrap()
    };
    let o = wirecopy(&[
        "index".as_ref(),
        "build".as_ref(),
        a.as_ref(),
        "-q".as_ref(),
        "-o".as_ref(),
        wcx.as_ref(),
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(
        SnapshotIndex::read(&fs::read(&wcx).unwrap()).unwrap().len(),
        120
    );
    let o = wirecopy(&[
        "index".as_ref(),
        "add".as_ref(),
        wcx.as_ref(),
        b.as_ref(),
        a.as_ref(),
        "-q".as_ref(),
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("120 documents whose id is already indexed")
    );
    assert_eq!(
        SnapshotIndex::read(&fs::read(&wcx).unwrap()).unwrap().len(),
        200
    );
    let o = wirecopy(&["index".as_ref(), "info".as_ref(), wcx.as_ref()]);
    assert!(o.status.success());
    assert!(String::from_utf8_lossy(&o.stdout).contains("documents        200"));
    // A damaged index is an input error naming the file; `add` leaves it as it was.
    let mut bytes = fs::read(&wcx).unwrap();
    let last = bytes.len() - 1;
    bytes[last] ^= 0xff;
    fs::write(&wcx, &bytes).unwrap();
    let o = wirecopy(&[
        "index".as_ref(),
        "add".as_ref(),
        wcx.as_ref(),
        b.as_ref(),
        "-q".as_ref(),
    ]);
    assert_eq!(o.status.code(), Some(3));
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(
        stderr.contains("corpus.wcx") && stderr.contains("checksum mismatch"),
        "{stderr}"
    );
    assert_eq!(fs::read(&wcx).unwrap(), bytes);
}
