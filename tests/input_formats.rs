//! Integration tests of `wirecopy::input::read_corpus` on real files of every input format.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use wirecopy::input::{InputError, InputPath, ReadOptions, RejectReason, read_corpus};

const JSONL: &str = concat!(
    r#"{"id":"wire-1","text":"Storms hit the coast on Monday.","source":"AP"}"#,
    "\n",
    r#"{"id":2,"text":"Markets \"rallied\"\nafter the vote.","source":null}"#,
    "\n",
);

fn write(dir: &Path, relative: &str, bytes: &[u8]) -> PathBuf {
    let path = dir.join(relative);
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    fs::write(&path, bytes).unwrap();
    path
}

fn path_inputs(paths: &[&Path]) -> Vec<InputPath> {
    paths
        .iter()
        .map(|path| InputPath::Path(path.to_path_buf()))
        .collect()
}

fn options() -> ReadOptions {
    ReadOptions {
        source_field: Some("source".into()),
        ..ReadOptions::default()
    }
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    encoder.write_all(bytes).unwrap();
    encoder.finish().unwrap()
}

/// Checks the two records of `JSONL`.
fn assert_sample(corpus: &wirecopy::input::Corpus) {
    let ids: Vec<&str> = corpus.docs.iter().map(|doc| doc.id.as_str()).collect();
    assert_eq!(ids, ["wire-1", "2"]);
    assert!(corpus.rejects.is_empty(), "{:?}", corpus.rejects);
    assert_eq!(corpus.text(0), "Storms hit the coast on Monday.");
    assert_eq!(corpus.text(1), "Markets \"rallied\"\nafter the vote.");
    // Read from the file when mapped, from memory otherwise: the same texts.
    for d in 0..2 {
        assert_eq!(corpus.text_read(d), corpus.text(d));
    }
    assert_eq!(corpus.docs[0].source.as_deref(), Some("AP"));
    assert_eq!(corpus.docs[1].source, None);
    assert_eq!(corpus.docs[1].line, 2);
    assert_eq!(
        corpus.record_bytes(1),
        JSONL.lines().nth(1).unwrap().as_bytes()
    );
    assert_eq!(corpus.total_bytes(), JSONL.len() as u64);
}

#[test]
fn plain_jsonl_with_and_without_mmap() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "corpus.jsonl", JSONL.as_bytes());
    for mmap in [true, false] {
        let opts = ReadOptions { mmap, ..options() };
        let corpus = read_corpus(&path_inputs(&[&path]), &opts).unwrap();
        assert_sample(&corpus);
        assert_eq!(corpus.input_name(0), path.to_string_lossy());
    }
}

#[test]
fn gzip_jsonl() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "corpus.jsonl.gz", &gzip(JSONL.as_bytes()));
    assert_sample(&read_corpus(&path_inputs(&[&path]), &options()).unwrap());
}

#[test]
fn zstd_jsonl() {
    let dir = tempfile::tempdir().unwrap();
    let compressed = zstd::encode_all(JSONL.as_bytes(), 3).unwrap();
    let path = write(dir.path(), "corpus.jsonl.zst", &compressed);
    assert_sample(&read_corpus(&path_inputs(&[&path]), &options()).unwrap());
}

#[test]
fn truncated_gzip_keeps_complete_lines() {
    let dir = tempfile::tempdir().unwrap();
    let jsonl: String = (0..3000)
        .map(|i| format!("{{\"id\":\"{i}\",\"text\":\"story number {i}\"}}\n"))
        .collect();
    let compressed = gzip(jsonl.as_bytes());
    let path = write(
        dir.path(),
        "cut.gz",
        &compressed[..compressed.len() * 2 / 3],
    );
    let corpus = read_corpus(&path_inputs(&[&path]), &options()).unwrap();
    assert!(!corpus.is_empty() && corpus.len() < 3000);
    assert_eq!(corpus.rejects.len(), 1);
    assert_eq!(corpus.rejects[0].reason, RejectReason::TruncatedInput);
    assert_eq!(corpus.rejects[0].line, corpus.len() as u64 + 1);
}

#[test]
fn directory_of_text_files() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("articles");
    write(&root, "sport/001.txt", b"Cup final tonight.");
    write(&root, "business/001.txt", b"Shares fell.");
    write(&root, ".DS_Store", b"\0\0");
    write(&root, "tech/empty.txt", b"\n");
    let corpus = read_corpus(&path_inputs(&[&root]), &options()).unwrap();
    let ids: Vec<&str> = corpus.docs.iter().map(|doc| doc.id.as_str()).collect();
    assert_eq!(ids, ["business/001.txt", "sport/001.txt"]);
    assert_eq!(corpus.text(1), "Cup final tonight.");
    assert_eq!(corpus.record_bytes(0), b"Shares fell.");
    assert_eq!(corpus.docs[0].line, 0);
    assert_eq!(corpus.reject_counts(), [("empty_text", 1)]);
    assert_eq!(
        corpus.rejects[0].to_string(),
        format!(
            "{}/tech/empty.txt: empty_text: file is empty or only whitespace",
            root.display()
        )
    );
}

#[test]
fn ids_are_global_across_formats() {
    let dir = tempfile::tempdir().unwrap();
    let plain = write(dir.path(), "a.jsonl", JSONL.as_bytes());
    let again = write(dir.path(), "b.jsonl.gz", &gzip(JSONL.as_bytes()));
    let corpus = read_corpus(&path_inputs(&[&plain, &again]), &options()).unwrap();
    assert_eq!(corpus.len(), 2);
    assert_eq!(corpus.reject_counts(), [("duplicate_id", 2)]);
    assert_eq!(
        corpus.rejects[0].detail,
        format!(
            "duplicate id \"wire-1\" (first seen at {}:1)",
            plain.display()
        )
    );
}

#[test]
fn bad_records_and_missing_files_are_rejected_not_fatal() {
    let dir = tempfile::tempdir().unwrap();
    let bad = write(
        dir.path(),
        "bad.jsonl",
        b"{\"id\":\"a\",\"text\":\"fine\"}\n{\"id\":\"b\",\"text\":17}\nnot json\n",
    );
    let missing = dir.path().join("missing.jsonl");
    let corpus = read_corpus(&path_inputs(&[&missing, &bad]), &options()).unwrap();
    assert_eq!(corpus.len(), 1);
    assert_eq!(corpus.input_names.len(), 2);
    let reasons: Vec<(u64, &str)> = corpus
        .rejects
        .iter()
        .map(|reject| (reject.line, reject.reason.as_str()))
        .collect();
    assert_eq!(
        reasons,
        [
            (0, "unreadable_file"),
            (2, "not_a_string"),
            (3, "malformed_json")
        ]
    );
    assert_eq!(
        corpus.rejects[1].to_string(),
        format!(
            "{}:2: not_a_string: field \"text\" is a number, expected a string",
            bad.display()
        )
    );
}

#[test]
fn strict_mode_stops_at_the_first_bad_record() {
    let dir = tempfile::tempdir().unwrap();
    let bad = write(
        dir.path(),
        "bad.jsonl",
        b"{\"id\":\"a\",\"text\":\"ok\"}\n{\"id\":\n",
    );
    let opts = ReadOptions {
        strict: true,
        ..options()
    };
    let error = read_corpus(&path_inputs(&[&bad]), &opts).err().unwrap();
    let InputError::Strict(reject) = &error;
    assert_eq!(
        (reject.line, reject.reason),
        (2, RejectReason::MalformedJson)
    );
    assert!(
        error
            .to_string()
            .starts_with(&format!("{}:2: malformed_json: ", bad.display())),
        "{error}"
    );
}
