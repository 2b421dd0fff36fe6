//! Reading articles: JSONL (plain, gzip, zstd, stdin) and directories of text files.
//!
//! Two properties shape this module:
//!
//! * **The corpus is held in memory once.** Corpora run to hundreds of megabytes, so the
//!   reader never stores decoded article texts. A [`Corpus`] owns the input buffers (a
//!   memory map for plain files, a decompressed `Vec` for gzip/zstd and stdin, one `Vec`
//!   per file of a directory) and remembers, for each accepted document, where its record
//!   and its text value lie in those buffers. [`Corpus::text`] decodes a text on demand and
//!   borrows it outright when the JSON string holds no escapes. Each JSONL line is
//!   validated by serde_json without allocating per field: wanted fields are captured as
//!   borrowed [`RawValue`]s and everything else is skipped with [`IgnoredAny`].
//!
//! * **The result is deterministic.** Lines are parsed in parallel, in fixed-size chunks
//!   cut at newline boundaries, and the per-chunk results are concatenated in input order,
//!   so documents and rejects come out the same whatever the thread count. Directory
//!   files are visited in byte order of their relative paths. Ids are global across all
//!   inputs: the first occurrence of an id wins and later ones are rejected.
//!
//! Bad records never abort a run unless [`ReadOptions::strict`] is set: they are skipped
//! and listed in [`Corpus::rejects`] with their input, line and a [`RejectReason`].

use std::borrow::Cow;
use std::collections::hash_map::Entry;
use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::fs::{self, File, Metadata};
use std::hash::BuildHasherDefault;
use std::io::{self, Read};
use std::ops::Range;
use std::path::{Path, PathBuf};

use crate::boilerplate::IdentityHasher;
use memchr::{memchr, memmem};
use memmap2::Mmap;
use rayon::prelude::*;
use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, Visitor};
use serde_json::value::RawValue;
use xxhash_rust::xxh3::xxh3_64;

/// One input named on the command line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InputPath {
    /// `-`: JSONL on standard input.
    Stdin,
    /// A JSONL file (plain, gzip or zstd, detected by magic bytes) or a directory.
    Path(PathBuf),
}

/// Which JSON fields hold what, and how strictly to read.
#[derive(Debug, Clone)]
pub struct ReadOptions {
    pub id_field: String,
    pub text_field: String,
    pub source_field: Option<String>,
    pub date_field: Option<String>,
    pub title_field: Option<String>,
    /// First bad record is fatal.
    pub strict: bool,
    /// Memory-map plain files (the default); `false` reads them into memory instead.
    pub mmap: bool,
}

impl Default for ReadOptions {
    fn default() -> Self {
        ReadOptions {
            id_field: "id".into(),
            text_field: "text".into(),
            source_field: None,
            date_field: None,
            title_field: None,
            strict: false,
            mmap: true,
        }
    }
}

/// Why a record was skipped. `as_str` gives the stable snake_case name used in `stats`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum RejectReason {
    MalformedJson,
    MissingField,
    NotAString,
    InvalidUtf8,
    EmptyText,
    DuplicateId,
    UnreadableFile,
    TruncatedInput,
}

impl RejectReason {
    /// The stable snake_case name of the reason, e.g. `"malformed_json"`.
    pub fn as_str(&self) -> &'static str {
        match self {
            RejectReason::MalformedJson => "malformed_json",
            RejectReason::MissingField => "missing_field",
            RejectReason::NotAString => "not_a_string",
            RejectReason::InvalidUtf8 => "invalid_utf8",
            RejectReason::EmptyText => "empty_text",
            RejectReason::DuplicateId => "duplicate_id",
            RejectReason::UnreadableFile => "unreadable_file",
            RejectReason::TruncatedInput => "truncated_input",
        }
    }
}

impl fmt::Display for RejectReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Metadata of one accepted document.
#[derive(Debug, Clone)]
pub struct DocMeta {
    pub id: String,
    pub source: Option<String>,
    pub date: Option<String>,
    pub title: Option<String>,
    /// Index into `Corpus::input_names`.
    pub input: u32,
    /// 1-based line number in a JSONL input; 0 for a file of a directory input.
    pub line: u64,
}

/// A skipped record.
#[derive(Debug, Clone)]
pub struct Reject {
    /// The input name; for a file of a directory input, `dir/relative/path`.
    pub input: String,
    /// 1-based line number in a JSONL input; 0 when the reject concerns a whole file.
    pub line: u64,
    pub reason: RejectReason,
    pub detail: String,
}

impl fmt::Display for Reject {
    /// `input:line: reason: detail`, without `:line` when the line is 0.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line == 0 {
            write!(f, "{}: {}: {}", self.input, self.reason, self.detail)
        } else {
            write!(
                f,
                "{}:{}: {}: {}",
                self.input, self.line, self.reason, self.detail
            )
        }
    }
}

#[derive(Debug)]
pub enum InputError {
    /// `ReadOptions::strict` was set and this record was bad.
    Strict(Reject),
}

impl fmt::Display for InputError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            InputError::Strict(reject) => reject.fmt(f),
        }
    }
}

impl std::error::Error for InputError {}

/// All accepted documents of a run, their rejects, and the buffers their bytes live in.
pub struct Corpus {
    /// Accepted documents in input order.
    pub docs: Vec<DocMeta>,
    /// Skipped records in input order.
    pub rejects: Vec<Reject>,
    /// One name per input given to [`read_corpus`], in the same order (`<stdin>` for stdin),
    /// including inputs that could not be read.
    pub input_names: Vec<String>,
    /// Where the bytes of `docs[i]` are; parallel to `docs`.
    spans: Vec<DocSpan>,
    /// (index in `rejects`, buffer, byte range) of the rejected JSONL lines, ascending.
    reject_records: Vec<(usize, u32, Range<usize>)>,
    buffers: Vec<Buffer>,
    total_bytes: u64,
}

impl Corpus {
    /// Number of accepted documents.
    pub fn len(&self) -> usize {
        self.docs.len()
    }

    pub fn is_empty(&self) -> bool {
        self.docs.is_empty()
    }

    /// The name of input `input` (as in `DocMeta::input`).
    pub fn input_name(&self, input: u32) -> &str {
        &self.input_names[input as usize]
    }

    /// Bytes read from all inputs (decompressed size for gzip/zstd), for throughput figures.
    pub fn total_bytes(&self) -> u64 {
        self.total_bytes
    }

    /// The decoded article text of document `doc`; borrowed unless the JSON string has
    /// escapes. Panics if `doc >= self.len()`.
    pub fn text(&self, doc: usize) -> Cow<'_, str> {
        let span = &self.spans[doc];
        decode_text(
            &self.buffers[span.buffer as usize].bytes()[span.text.clone()],
            span.text_encoding,
        )
    }

    /// [`Corpus::text`], but a text in a memory-mapped file is read from the file (one
    /// positioned read) instead of through the map. For a pass that revisits documents in
    /// no particular order after the map's pages were given back: every access through the
    /// map would fault in the 64 KiB around it (Linux's fault-around), so touching a few
    /// thousand scattered texts makes the whole input resident again, while giving those
    /// pages back after each batch costs more than the reads.
    pub fn text_read(&self, doc: usize) -> Cow<'_, str> {
        let span = &self.spans[doc];
        #[cfg(unix)]
        if let Buffer::Mapped(_, file) = &self.buffers[span.buffer as usize] {
            use std::os::unix::fs::FileExt;
            let text = READ_BUFFER.with_borrow_mut(|buffer| {
                let n = span.text.len();
                if buffer.len() < n {
                    buffer.resize(n, 0);
                }
                let bytes = &mut buffer[..n];
                let read = file.read_exact_at(bytes, span.text.start as u64);
                read.ok()
                    .map(|()| decode_text(bytes, span.text_encoding).into_owned())
            });
            if let Some(text) = text {
                return Cow::Owned(text);
            }
        }
        self.text(doc)
    }

    /// Give the pages of memory-mapped inputs that hold documents `docs` back to the system
    /// once a pass has read them; later reads fault them in again. A pass in input order
    /// that releases each batch behind it keeps the resident size of a run near what the
    /// stages hold rather than the corpus size. Failures are ignored: this is only an
    /// optimisation.
    pub fn release_resident_pages_of(&self, docs: Range<usize>) {
        let spans = &self.spans[docs];
        for (b, buffer) in self.buffers.iter().enumerate() {
            let Buffer::Mapped(map, _) = buffer else {
                continue;
            };
            let held = spans.iter().filter(|s| s.buffer as usize == b);
            let lo = held.clone().map(|s| s.record.start).min();
            let hi = held.map(|s| s.record.end).max();
            if let (Some(lo), Some(hi)) = (lo, hi) {
                let _ = release_resident_range(map, lo..hi);
            }
        }
    }

    /// The exact bytes of document `doc`'s record as read: its JSONL line without the line
    /// terminator (`\n` or `\r\n`) and without a leading UTF-8 BOM, or the whole file for a
    /// file of a directory input. Panics if `doc >= self.len()`.
    pub fn record_bytes(&self, doc: usize) -> &[u8] {
        let span = &self.spans[doc];
        &self.buffers[span.buffer as usize].bytes()[span.record.clone()]
    }

    /// The exact bytes of rejected record `reject` (an index into `rejects`) when it is a
    /// line of a JSONL input, without its line terminator; None for a reject that concerns
    /// a whole file or a truncated stream.
    pub fn reject_bytes(&self, reject: usize) -> Option<&[u8]> {
        let at = self
            .reject_records
            .binary_search_by_key(&reject, |r| r.0)
            .ok()?;
        let (_, buffer, range) = &self.reject_records[at];
        Some(&self.buffers[*buffer as usize].bytes()[range.clone()])
    }

    /// Where document `doc` came from, for messages: `input:line`, or `dir/relative/path`
    /// for a file of a directory input.
    pub fn location(&self, doc: usize) -> String {
        let meta = &self.docs[doc];
        let input = self.input_name(meta.input);
        if meta.line == 0 {
            join_path_display(input, &meta.id)
        } else {
            format!("{input}:{}", meta.line)
        }
    }

    /// How many records were rejected for each reason, sorted by reason name; reasons that
    /// never occurred are left out.
    pub fn reject_counts(&self) -> Vec<(&'static str, usize)> {
        let mut counts = BTreeMap::new();
        for reject in &self.rejects {
            *counts.entry(reject.reason.as_str()).or_insert(0) += 1;
        }
        counts.into_iter().collect()
    }
}

/// Reads every input in order into one corpus. Unreadable inputs and bad records are
/// listed in `Corpus::rejects` (or returned as an error with `opts.strict`).
pub fn read_corpus(inputs: &[InputPath], opts: &ReadOptions) -> Result<Corpus, InputError> {
    let mut builder = CorpusBuilder::new(opts);
    for input in inputs {
        match input {
            InputPath::Stdin => {
                let name = STDIN_NAME.to_owned();
                match read_stdin() {
                    Ok(bytes) => builder.add_jsonl(name, Buffer::Owned(bytes))?,
                    Err(error) => builder.add_unreadable(name, &error)?,
                }
            }
            InputPath::Path(path) => builder.add_path(path)?,
        }
    }
    Ok(builder.corpus)
}

/// Reads one in-memory JSONL buffer (plain, gzip or zstd) as if it were an input called
/// `name`; this is what `read_corpus` does with stdin.
pub fn read_jsonl_bytes(
    name: &str,
    bytes: Vec<u8>,
    opts: &ReadOptions,
) -> Result<Corpus, InputError> {
    let mut builder = CorpusBuilder::new(opts);
    builder.add_jsonl(name.to_owned(), Buffer::Owned(bytes))?;
    Ok(builder.corpus)
}

const STDIN_NAME: &str = "<stdin>";
const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";
const GZIP_MAGIC: &[u8] = b"\x1F\x8B";
const ZSTD_MAGIC: &[u8] = b"\x28\xB5\x2F\xFD";
/// Target size of the pieces a JSONL buffer is cut into for parallel parsing. Fixed, so
/// the split never depends on the thread count.
const CHUNK_BYTES: usize = 2 << 20;

/// Bytes an input was read into.
enum Buffer {
    /// A memory-mapped file, with the file kept open for [`Corpus::text_read`].
    Mapped(Mmap, File),
    Owned(Vec<u8>),
}

impl Buffer {
    fn bytes(&self) -> &[u8] {
        match self {
            Buffer::Mapped(map, _) => map,
            Buffer::Owned(bytes) => bytes,
        }
    }
}

/// Memory-maps a whole regular, non-empty file.
///
/// This and [`release_resident_range`] are the only `unsafe` code of the reader.
fn map_file(file: &File) -> io::Result<Mmap> {
    // SAFETY: the map is read-only and private to this process, but another process may
    // truncate or rewrite the file while we hold it. That is undefined behaviour as far as
    // Rust is concerned and cannot be prevented for files we do not own. Like ripgrep, we
    // accept the risk for a large speed and memory win on corpora nobody edits during a
    // run; users who cannot accept it pass `--no-mmap` (`ReadOptions::mmap = false`).
    // Everything read from the map is re-validated before it is trusted as `str`.
    unsafe { Mmap::map(file) }
}

#[cfg(unix)]
thread_local! {
    /// This thread's buffer for [`Corpus::text_read`]: the bytes read are decoded into a
    /// new string at once, so one buffer, grown to the longest text, serves every read
    /// instead of a zeroed allocation per text.
    static READ_BUFFER: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// A document's text from the bytes of its span. The bytes were validated when read; they
/// can only fail to decode now if a memory-mapped file was changed under us, and then the
/// text degrades gracefully rather than panic.
fn decode_text(bytes: &[u8], encoding: TextEncoding) -> Cow<'_, str> {
    match encoding {
        TextEncoding::Plain => String::from_utf8_lossy(bytes),
        TextEncoding::JsonString => std::str::from_utf8(bytes)
            .ok()
            .and_then(|json| unescape_json_string(json).or_else(|| serde_json::from_str(json).ok()))
            .map_or_else(
                || Cow::Owned(String::from_utf8_lossy(bytes).into_owned()),
                Cow::Owned,
            ),
    }
}

/// Drop the pages of a map overlapping byte range `range` from this process's resident set
/// (memmap2 widens the range to whole pages); the next access reads them again (from the
/// page cache, usually).
fn release_resident_range(map: &Mmap, range: Range<usize>) -> io::Result<()> {
    // SAFETY: the map is read-only and we never wrote to it, so MADV_DONTNEED discards no
    // data: later reads see the same file bytes, re-read on demand. No reference into the map
    // is invalidated (the mapping itself stays). The file-modification risk is the one
    // accepted in `map_file`.
    unsafe {
        map.unchecked_advise_range(memmap2::UncheckedAdvice::DontNeed, range.start, range.len())
    }
}

/// How a document's text is stored in its buffer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum TextEncoding {
    /// Valid UTF-8 text to be used as is (a JSON string without escapes, quotes excluded,
    /// or a directory file without its BOM).
    Plain,
    /// A JSON string with escapes, quotes included.
    JsonString,
}

/// Where one document's bytes are.
struct DocSpan {
    buffer: u32,
    record: Range<usize>,
    text: Range<usize>,
    text_encoding: TextEncoding,
}

struct CorpusBuilder<'o> {
    corpus: Corpus,
    fields: FieldNames<'o>,
    strict: bool,
    use_mmap: bool,
    /// Every accepted id and the index of its document.
    first_seen: FirstSeen,
}

/// The first document of each id. Keyed by the id's hash (xxh3-64), with the id itself read
/// back from the corpus, so that an id is hashed once and not copied: a string-keyed map
/// took a tenth of what the main thread does alone in a scan. Only looked up, never
/// iterated, so nothing of it reaches the output.
#[derive(Default)]
struct FirstSeen {
    by_hash: HashMap<u64, usize, BuildHasherDefault<IdentityHasher>>,
    /// Ids whose hash an earlier, different id has.
    collided: HashMap<String, usize>,
}

impl FirstSeen {
    /// The document that first had `id` (hashed to `hash`), or None after recording
    /// `next` as its first; `id_of` gives the id of a recorded document.
    fn first_or_insert<'d>(
        &mut self,
        id: &str,
        hash: u64,
        next: usize,
        id_of: impl Fn(usize) -> &'d str,
    ) -> Option<usize> {
        let slot = match self.by_hash.entry(hash) {
            Entry::Vacant(slot) => {
                slot.insert(next);
                return None;
            }
            Entry::Occupied(slot) => *slot.get(),
        };
        if id_of(slot) == id {
            return Some(slot);
        }
        match self.collided.entry(id.to_string()) {
            Entry::Vacant(entry) => {
                entry.insert(next);
                None
            }
            Entry::Occupied(entry) => Some(*entry.get()),
        }
    }
}

impl<'o> CorpusBuilder<'o> {
    fn new(opts: &'o ReadOptions) -> Self {
        CorpusBuilder {
            corpus: Corpus {
                docs: Vec::new(),
                rejects: Vec::new(),
                input_names: Vec::new(),
                spans: Vec::new(),
                reject_records: Vec::new(),
                buffers: Vec::new(),
                total_bytes: 0,
            },
            fields: FieldNames {
                id: &opts.id_field,
                text: &opts.text_field,
                source: opts.source_field.as_deref(),
                date: opts.date_field.as_deref(),
                title: opts.title_field.as_deref(),
            },
            strict: opts.strict,
            use_mmap: opts.mmap,
            first_seen: FirstSeen::default(),
        }
    }

    /// Registers a new input and returns its index.
    fn begin_input(&mut self, name: String) -> u32 {
        self.corpus.input_names.push(name);
        u32::try_from(self.corpus.input_names.len() - 1).expect("more than u32::MAX inputs")
    }

    fn add_path(&mut self, path: &Path) -> Result<(), InputError> {
        let name = path.to_string_lossy().into_owned();
        let metadata = match fs::metadata(path) {
            Ok(metadata) => metadata,
            Err(error) => return self.add_unreadable(name, &error),
        };
        if metadata.is_dir() {
            return self.add_directory(name, path);
        }
        match load_file(path, &metadata, self.use_mmap) {
            Ok(buffer) => self.add_jsonl(name, buffer),
            Err(error) => self.add_unreadable(name, &error),
        }
    }

    fn add_unreadable(&mut self, name: String, error: &io::Error) -> Result<(), InputError> {
        self.begin_input(name.clone());
        let first_reject = self.corpus.rejects.len();
        self.corpus.rejects.push(Reject {
            input: name,
            line: 0,
            reason: RejectReason::UnreadableFile,
            detail: error.to_string(),
        });
        self.finish_input(first_reject)
    }

    /// Strict mode: fails with the first reject added since `first_reject`.
    fn finish_input(&self, first_reject: usize) -> Result<(), InputError> {
        match self.corpus.rejects.get(first_reject) {
            Some(reject) if self.strict => Err(InputError::Strict(reject.clone())),
            _ => Ok(()),
        }
    }

    /// Adds a JSONL input, decompressing it first if it starts with gzip or zstd magic.
    fn add_jsonl(&mut self, name: String, raw: Buffer) -> Result<(), InputError> {
        let input = self.begin_input(name.clone());
        let first_reject = self.corpus.rejects.len();
        let (buffer, truncation) = match Compression::detect(raw.bytes()) {
            Some(compression) => {
                let decoded = decompress(compression, raw.bytes());
                drop(raw); // Hold the compressed and decompressed bytes together only briefly.
                (Buffer::Owned(decoded.data), decoded.truncation)
            }
            None => (raw, None),
        };
        self.corpus.total_bytes += buffer.bytes().len() as u64;
        // A mapped input gives its pages back chunk by chunk as they are parsed, so reading
        // a corpus does not leave all of it resident.
        let release = |chunk: Range<usize>| {
            if let Buffer::Mapped(map, _) = &buffer {
                let _ = release_resident_range(map, chunk);
            }
        };
        let parsed = parse_jsonl(buffer.bytes(), &self.fields, CHUNK_BYTES, release);

        let buffer_index = self.next_buffer_index();
        // Each reject with the byte range of its line, when it has one.
        let mut rejects: Vec<(Reject, Option<Range<usize>>)> = parsed
            .rejects
            .into_iter()
            .map(|line_reject| {
                let reject = Reject {
                    input: name.clone(),
                    line: line_reject.line,
                    reason: line_reject.reason,
                    detail: line_reject.detail,
                };
                (reject, Some(line_reject.record))
            })
            .collect();
        let docs_before = self.corpus.docs.len();
        for doc in parsed.docs {
            let span = DocSpan {
                buffer: buffer_index,
                record: doc.record,
                text: doc.text,
                text_encoding: doc.text_encoding,
            };
            let meta = DocMeta {
                id: doc.id,
                source: doc.source,
                date: doc.date,
                title: doc.title,
                input,
                line: doc.line,
            };
            let record = span.record.clone();
            if let Err(detail) = self.accept(meta, span) {
                let reject = Reject {
                    input: name.clone(),
                    line: doc.line,
                    reason: RejectReason::DuplicateId,
                    detail,
                };
                rejects.push((reject, Some(record)));
            }
        }
        if let Some(truncation) = truncation {
            let reject = Reject {
                input: name,
                line: parsed.lines + 1,
                reason: RejectReason::TruncatedInput,
                detail: truncation.detail(),
            };
            rejects.push((reject, None));
        }
        // Parse rejects and duplicate rejects are each in line order and never share a
        // line; a stable sort interleaves them.
        rejects.sort_by_key(|(reject, _)| reject.line);
        let mut keep_buffer = self.corpus.docs.len() > docs_before;
        for (reject, record) in rejects {
            if let Some(record) = record {
                let index = self.corpus.rejects.len();
                self.corpus
                    .reject_records
                    .push((index, buffer_index, record));
                keep_buffer = true;
            }
            self.corpus.rejects.push(reject);
        }
        if keep_buffer {
            self.corpus.buffers.push(buffer);
        }
        self.finish_input(first_reject)
    }

    /// Adds every regular file under `dir` as one document, in byte order of relative path.
    fn add_directory(&mut self, name: String, dir: &Path) -> Result<(), InputError> {
        let input = self.begin_input(name.clone());
        let first_reject = self.corpus.rejects.len();
        let mut entries = Vec::new();
        if let Err(error) = walk_directory(dir, "", &mut entries) {
            self.corpus.rejects.push(Reject {
                input: name,
                line: 0,
                reason: RejectReason::UnreadableFile,
                detail: error.to_string(),
            });
            return self.finish_input(first_reject);
        }
        entries.sort_by(|a, b| a.relative.cmp(&b.relative));
        let contents: Vec<Result<Vec<u8>, (RejectReason, String)>> = entries
            .par_iter()
            .map(|entry| match &entry.found {
                Ok(path) => fs::read(path)
                    .map_err(|error| (RejectReason::UnreadableFile, error.to_string())),
                Err(problem) => Err(problem.clone()),
            })
            .collect();

        for (entry, content) in entries.into_iter().zip(contents) {
            if let Ok(bytes) = &content {
                self.corpus.total_bytes += bytes.len() as u64;
            }
            let checked = content.and_then(|bytes| {
                let text = check_plain_text(&bytes)?;
                Ok((bytes, text))
            });
            let reject = match checked {
                Ok((bytes, text)) => {
                    let span = DocSpan {
                        buffer: self.next_buffer_index(),
                        record: 0..bytes.len(),
                        text,
                        text_encoding: TextEncoding::Plain,
                    };
                    let meta = DocMeta {
                        id: entry.relative.clone(),
                        source: None,
                        date: None,
                        title: None,
                        input,
                        line: 0,
                    };
                    match self.accept(meta, span) {
                        Ok(()) => {
                            self.corpus.buffers.push(Buffer::Owned(bytes));
                            None
                        }
                        Err(detail) => Some((RejectReason::DuplicateId, detail)),
                    }
                }
                Err(problem) => Some(problem),
            };
            if let Some((reason, detail)) = reject {
                self.corpus.rejects.push(Reject {
                    input: join_path_display(&name, &entry.relative),
                    line: 0,
                    reason,
                    detail,
                });
            }
        }
        self.finish_input(first_reject)
    }

    fn next_buffer_index(&self) -> u32 {
        u32::try_from(self.corpus.buffers.len()).expect("more than u32::MAX input buffers")
    }

    /// Adds a document unless its id was seen before; then returns the reject detail.
    fn accept(&mut self, meta: DocMeta, span: DocSpan) -> Result<(), String> {
        let docs = &self.corpus.docs;
        let hash = xxh3_64(meta.id.as_bytes());
        let seen = (self.first_seen).first_or_insert(&meta.id, hash, docs.len(), |d| &docs[d].id);
        if let Some(first) = seen {
            return Err(format!(
                "duplicate id {:?} (first seen at {})",
                meta.id,
                self.corpus.location(first)
            ));
        }
        self.corpus.docs.push(meta);
        self.corpus.spans.push(span);
        Ok(())
    }
}

fn read_stdin() -> io::Result<Vec<u8>> {
    let mut bytes = Vec::new();
    io::stdin().lock().read_to_end(&mut bytes)?;
    Ok(bytes)
}

/// Reads a file into memory, memory-mapping it when allowed and possible. Pipes and
/// special files (e.g. `<(zcat ...)`) are read, not mapped; empty files cannot be mapped
/// on every platform and are read too.
fn load_file(path: &Path, metadata: &Metadata, use_mmap: bool) -> io::Result<Buffer> {
    let mut file = File::open(path)?;
    if use_mmap && metadata.is_file() && metadata.len() > 0 {
        return map_file(&file).map(|map| Buffer::Mapped(map, file));
    }
    let mut bytes = Vec::new();
    file.read_to_end(&mut bytes)?;
    Ok(Buffer::Owned(bytes))
}

/// `dir/relative`, without doubling a trailing slash of `dir`.
fn join_path_display(dir: &str, relative: &str) -> String {
    if dir.ends_with('/') {
        format!("{dir}{relative}")
    } else {
        format!("{dir}/{relative}")
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Compression {
    Gzip,
    Zstd,
}

impl Compression {
    fn detect(bytes: &[u8]) -> Option<Compression> {
        if bytes.starts_with(GZIP_MAGIC) {
            Some(Compression::Gzip)
        } else if bytes.starts_with(ZSTD_MAGIC) {
            Some(Compression::Zstd)
        } else {
            None
        }
    }
}

struct Decompressed {
    /// Complete lines only when `truncation` is set; everything otherwise.
    data: Vec<u8>,
    truncation: Option<Truncation>,
}

/// A compressed stream that ended early or was corrupt.
struct Truncation {
    error: io::Error,
    /// Decoded bytes of the incomplete last line that were dropped.
    dropped_bytes: usize,
}

impl Truncation {
    fn detail(&self) -> String {
        format!(
            "compressed stream is truncated or corrupt ({}); dropped {} bytes of an incomplete line",
            self.error, self.dropped_bytes
        )
    }
}

/// Decompresses a whole gzip (possibly multi-member) or zstd stream. On a decoding error
/// every complete line decoded so far is kept and the partial tail is dropped.
fn decompress(compression: Compression, compressed: &[u8]) -> Decompressed {
    let mut data = Vec::new();
    let result = match compression {
        Compression::Gzip => flate2::read::MultiGzDecoder::new(compressed).read_to_end(&mut data),
        Compression::Zstd => zstd::stream::read::Decoder::with_buffer(compressed)
            .and_then(|mut decoder| decoder.read_to_end(&mut data)),
    };
    // `read_to_end` keeps the bytes it read before an error.
    let truncation = result.err().map(|error| {
        let complete = memchr::memrchr(b'\n', &data).map_or(0, |newline| newline + 1);
        let dropped_bytes = data.len() - complete;
        data.truncate(complete);
        Truncation {
            error,
            dropped_bytes,
        }
    });
    Decompressed { data, truncation }
}

/// A file found under a directory input.
struct DirEntryFound {
    /// Path relative to the directory input, with `/` separators: the document id.
    relative: String,
    /// The path to read, or why the entry cannot be a document.
    found: Result<PathBuf, (RejectReason, String)>,
}

/// Collects the regular files under `dir` (recursively, skipping hidden entries and not
/// following symlinked directories). Errors below the top level become entries with a
/// reject; an error reading `dir` itself is returned.
fn walk_directory(dir: &Path, prefix: &str, out: &mut Vec<DirEntryFound>) -> io::Result<()> {
    for entry in fs::read_dir(dir)? {
        let entry = entry?;
        let file_name = entry.file_name();
        let Some(file_name_str) = file_name.to_str() else {
            out.push(DirEntryFound {
                relative: format!("{prefix}{}", file_name.to_string_lossy()),
                found: Err((
                    RejectReason::InvalidUtf8,
                    "file name is not valid UTF-8".into(),
                )),
            });
            continue;
        };
        if file_name_str.starts_with('.') {
            continue;
        }
        let relative = format!("{prefix}{file_name_str}");
        let path = entry.path();
        let file_type = match entry.file_type() {
            Ok(file_type) => file_type,
            Err(error) => {
                out.push(unreadable_entry(relative, &error));
                continue;
            }
        };
        if file_type.is_dir() {
            if let Err(error) = walk_directory(&path, &format!("{relative}/"), out) {
                out.push(unreadable_entry(relative, &error));
            }
        } else if file_type.is_file() {
            out.push(DirEntryFound {
                relative,
                found: Ok(path),
            });
        } else if file_type.is_symlink() {
            // Symlinks to files are read; symlinked directories are not followed.
            match fs::metadata(&path) {
                Ok(target) if target.is_file() => out.push(DirEntryFound {
                    relative,
                    found: Ok(path),
                }),
                Ok(_) => {}
                Err(error) => out.push(unreadable_entry(relative, &error)),
            }
        }
    }
    Ok(())
}

fn unreadable_entry(relative: String, error: &io::Error) -> DirEntryFound {
    DirEntryFound {
        relative,
        found: Err((RejectReason::UnreadableFile, error.to_string())),
    }
}

/// Checks the content of a directory file and returns the byte range of its text (the
/// whole file minus a UTF-8 BOM).
fn check_plain_text(bytes: &[u8]) -> Result<Range<usize>, (RejectReason, String)> {
    if memchr(0, bytes).is_some() {
        return Err((RejectReason::InvalidUtf8, "binary file (NUL byte)".into()));
    }
    let text = std::str::from_utf8(bytes).map_err(|error| {
        (
            RejectReason::InvalidUtf8,
            format!("invalid UTF-8 at byte {}", error.valid_up_to()),
        )
    })?;
    if text.trim().is_empty() {
        return Err((
            RejectReason::EmptyText,
            "file is empty or only whitespace".into(),
        ));
    }
    let start = if bytes.starts_with(UTF8_BOM) {
        UTF8_BOM.len()
    } else {
        0
    };
    Ok(start..bytes.len())
}

// ---------------------------------------------------------------------------------------
// JSONL parsing
// ---------------------------------------------------------------------------------------

/// The JSON keys that hold each role. One key may serve several roles.
struct FieldNames<'o> {
    id: &'o str,
    text: &'o str,
    source: Option<&'o str>,
    date: Option<&'o str>,
    title: Option<&'o str>,
}

const ROLE_ID: u8 = 1;
const ROLE_TEXT: u8 = 1 << 1;
const ROLE_SOURCE: u8 = 1 << 2;
const ROLE_DATE: u8 = 1 << 3;
const ROLE_TITLE: u8 = 1 << 4;

impl FieldNames<'_> {
    /// The roles (bit set of `ROLE_*`) a key serves; 0 for keys we skip.
    fn roles_of(&self, key: &str) -> u8 {
        let mut roles = 0;
        if key == self.id {
            roles |= ROLE_ID;
        }
        if key == self.text {
            roles |= ROLE_TEXT;
        }
        if self.source == Some(key) {
            roles |= ROLE_SOURCE;
        }
        if self.date == Some(key) {
            roles |= ROLE_DATE;
        }
        if self.title == Some(key) {
            roles |= ROLE_TITLE;
        }
        roles
    }
}

/// The wanted fields of one JSON object, as borrowed raw JSON values.
#[derive(Default)]
struct RawFields<'a> {
    id: Option<&'a RawValue>,
    text: Option<&'a RawValue>,
    source: Option<&'a RawValue>,
    date: Option<&'a RawValue>,
    title: Option<&'a RawValue>,
}

/// Deserializes a top-level JSON object into [`RawFields`], skipping unwanted values.
struct ObjectSeed<'f, 'o>(&'f FieldNames<'o>);

impl<'de> DeserializeSeed<'de> for ObjectSeed<'_, '_> {
    type Value = RawFields<'de>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for ObjectSeed<'_, '_> {
    type Value = RawFields<'de>;

    fn expecting(&self, formatter: &mut fmt::Formatter) -> fmt::Result {
        formatter.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut fields = RawFields::default();
        while let Some(roles) = map.next_key_seed(KeySeed(self.0))? {
            if roles == 0 {
                map.next_value::<IgnoredAny>()?;
                continue;
            }
            let value: &'de RawValue = map.next_value()?;
            for (role, slot) in [
                (ROLE_ID, &mut fields.id),
                (ROLE_TEXT, &mut fields.text),
                (ROLE_SOURCE, &mut fields.source),
                (ROLE_DATE, &mut fields.date),
                (ROLE_TITLE, &mut fields.title),
            ] {
                if roles & role != 0 {
                    *slot = Some(value);
                }
            }
        }
        Ok(fields)
    }
}

/// Deserializes an object key straight into its roles, without allocating (escaped keys
/// arrive as a temporary `&str`).
struct KeySeed<'f, 'o>(&'f FieldNames<'o>);

impl<'de> DeserializeSeed<'de> for KeySeed<'_, '_> {
    type Value = u8;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<u8, D::Error> {
        deserializer.deserialize_str(self)
    }
}

impl Visitor<'_> for KeySeed<'_, '_> {
    type Value = u8;

    fn expecting(&self, formatter: &mut fmt::Formatter) -> fmt::Result {
        formatter.write_str("a field name")
    }

    fn visit_str<E: de::Error>(self, key: &str) -> Result<u8, E> {
        Ok(self.0.roles_of(key))
    }
}

/// An accepted JSONL record, located in its input buffer.
struct ParsedDoc {
    id: String,
    source: Option<String>,
    date: Option<String>,
    title: Option<String>,
    line: u64,
    record: Range<usize>,
    text: Range<usize>,
    text_encoding: TextEncoding,
}

/// A rejected JSONL line.
struct LineReject {
    line: u64,
    reason: RejectReason,
    detail: String,
    /// Where the line is in the buffer, without its terminator.
    record: Range<usize>,
}

/// The outcome of parsing a whole buffer or one chunk of it.
#[derive(Default)]
struct ParsedLines {
    docs: Vec<ParsedDoc>,
    rejects: Vec<LineReject>,
    /// Lines seen, blank ones included.
    lines: u64,
}

/// Parses a JSONL buffer in parallel, in chunks of about `chunk_bytes` cut after newlines;
/// `parsed(chunk)` is called once each chunk is done with.
fn parse_jsonl(
    data: &[u8],
    fields: &FieldNames,
    chunk_bytes: usize,
    parsed: impl Fn(Range<usize>) + Sync,
) -> ParsedLines {
    let body_start = if data.starts_with(UTF8_BOM) {
        UTF8_BOM.len()
    } else {
        0
    };
    let chunks = split_at_newlines(data, body_start, chunk_bytes);
    let chunks: Vec<ParsedLines> = chunks
        .into_par_iter()
        .map(|chunk| {
            let lines = parse_chunk(data, chunk.clone(), fields);
            parsed(chunk);
            lines
        })
        .collect();

    let mut all = ParsedLines::default();
    for mut chunk in chunks {
        let base = all.lines;
        all.docs.extend(chunk.docs.into_iter().map(|mut doc| {
            doc.line += base;
            doc
        }));
        for reject in &mut chunk.rejects {
            reject.line += base;
        }
        all.rejects.append(&mut chunk.rejects);
        all.lines += chunk.lines;
    }
    all
}

/// Cuts `data[start..]` into ranges of at least `chunk_bytes` (but the last) that each
/// end just after a newline or at the end of the data.
fn split_at_newlines(data: &[u8], start: usize, chunk_bytes: usize) -> Vec<Range<usize>> {
    let mut chunks = Vec::new();
    let mut chunk_start = start;
    while chunk_start < data.len() {
        let target = chunk_start.saturating_add(chunk_bytes.max(1));
        let chunk_end = if target >= data.len() {
            data.len()
        } else {
            memchr(b'\n', &data[target..]).map_or(data.len(), |newline| target + newline + 1)
        };
        chunks.push(chunk_start..chunk_end);
        chunk_start = chunk_end;
    }
    chunks
}

/// Parses the lines of `data[chunk]`; line numbers are relative to the chunk (from 1),
/// ranges absolute in `data`.
fn parse_chunk(data: &[u8], chunk: Range<usize>, fields: &FieldNames) -> ParsedLines {
    let mut parsed = ParsedLines::default();
    let mut line_start = chunk.start;
    while line_start < chunk.end {
        let newline = memchr(b'\n', &data[line_start..chunk.end]).map(|at| line_start + at);
        let mut line_end = newline.unwrap_or(chunk.end);
        if line_end > line_start && data[line_end - 1] == b'\r' {
            line_end -= 1;
        }
        parsed.lines += 1;
        let line = parsed.lines;
        let bytes = &data[line_start..line_end];
        if !bytes.trim_ascii().is_empty() {
            match parse_record(bytes, line_start, fields) {
                Ok(record) => parsed.docs.push(ParsedDoc {
                    id: record.id,
                    source: record.source,
                    date: record.date,
                    title: record.title,
                    line,
                    record: line_start..line_end,
                    text: record.text,
                    text_encoding: record.text_encoding,
                }),
                Err((reason, detail)) => parsed.rejects.push(LineReject {
                    line,
                    reason,
                    detail,
                    record: line_start..line_end,
                }),
            }
        }
        line_start = newline.map_or(chunk.end, |at| at + 1);
    }
    parsed
}

/// The fields of one valid record; `text` is absolute in the buffer.
struct Record {
    id: String,
    source: Option<String>,
    date: Option<String>,
    title: Option<String>,
    text: Range<usize>,
    text_encoding: TextEncoding,
}

/// Parses one non-blank JSONL line that starts at `offset` in its buffer.
fn parse_record(
    bytes: &[u8],
    offset: usize,
    fields: &FieldNames,
) -> Result<Record, (RejectReason, String)> {
    let line = std::str::from_utf8(bytes).map_err(|error| {
        (
            RejectReason::InvalidUtf8,
            format!(
                "invalid UTF-8 at byte {} of the line",
                error.valid_up_to() + 1
            ),
        )
    })?;
    let malformed = |error: serde_json::Error| (RejectReason::MalformedJson, error.to_string());

    let mut deserializer = serde_json::Deserializer::from_str(line);
    let raw = ObjectSeed(fields)
        .deserialize(&mut deserializer)
        .map_err(malformed)?;
    deserializer.end().map_err(malformed)?;

    let missing = |name: &str| {
        (
            RejectReason::MissingField,
            format!("missing field {name:?}"),
        )
    };
    let id_raw = raw.id.ok_or_else(|| missing(fields.id))?;
    let text_raw = raw.text.ok_or_else(|| missing(fields.text))?;

    let id = match JsonKind::of(id_raw) {
        JsonKind::String => decode_string_in(line, id_raw)?,
        JsonKind::Number => id_raw.get().to_owned(),
        other => {
            return Err((
                RejectReason::NotAString,
                format!(
                    "field {:?} is {}, expected a string or a number",
                    fields.id,
                    other.described()
                ),
            ));
        }
    };

    let kind = JsonKind::of(text_raw);
    if kind != JsonKind::String {
        return Err((
            RejectReason::NotAString,
            format!(
                "field {:?} is {}, expected a string",
                fields.text,
                kind.described()
            ),
        ));
    }
    let quoted = text_raw.get();
    let inner = &quoted[1..quoted.len() - 1];
    let escaped = memchr(b'\\', inner.as_bytes()).is_some();
    let blank = if !escaped {
        inner.trim().is_empty()
    } else if has_surrogate_escape(inner.as_bytes()) || inner.trim_start().starts_with('\\') {
        // Rare: decode to check surrogate pairs (skipping a value does not) or to see
        // whether leading escapes are all whitespace.
        decode_string_in(line, text_raw)?.trim().is_empty()
    } else {
        // Starts with a character that is neither whitespace nor an escape.
        false
    };
    if blank {
        return Err((
            RejectReason::EmptyText,
            format!("field {:?} is empty or only whitespace", fields.text),
        ));
    }

    // The raw value borrows from `line`, so its position in the line is a pointer offset.
    let quoted_start = offset + (quoted.as_ptr() as usize - line.as_ptr() as usize);
    let (text, text_encoding) = if escaped {
        (
            quoted_start..quoted_start + quoted.len(),
            TextEncoding::JsonString,
        )
    } else {
        (
            quoted_start + 1..quoted_start + quoted.len() - 1,
            TextEncoding::Plain,
        )
    };

    Ok(Record {
        id,
        source: optional_text(line, raw.source)?,
        date: optional_text(line, raw.date)?,
        title: optional_text(line, raw.title)?,
        text,
        text_encoding,
    })
}

/// The type of a raw JSON value, read from its first byte.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum JsonKind {
    String,
    Number,
    Boolean,
    Null,
    Object,
    Array,
}

impl JsonKind {
    fn of(raw: &RawValue) -> JsonKind {
        match raw.get().as_bytes().first() {
            Some(b'"') => JsonKind::String,
            Some(b't' | b'f') => JsonKind::Boolean,
            Some(b'n') => JsonKind::Null,
            Some(b'{') => JsonKind::Object,
            Some(b'[') => JsonKind::Array,
            _ => JsonKind::Number,
        }
    }

    fn described(self) -> &'static str {
        match self {
            JsonKind::String => "a string",
            JsonKind::Number => "a number",
            JsonKind::Boolean => "a boolean",
            JsonKind::Null => "null",
            JsonKind::Object => "an object",
            JsonKind::Array => "an array",
        }
    }
}

/// Decodes a raw JSON string value borrowed from `line`. The rare decoding errors that
/// skipping the value did not catch (unpaired surrogate escapes) make the line malformed.
fn decode_string_in(line: &str, raw: &RawValue) -> Result<String, (RejectReason, String)> {
    let quoted = raw.get();
    let inner = &quoted[1..quoted.len() - 1];
    if !inner.contains('\\') {
        return Ok(inner.to_owned());
    }
    serde_json::from_str(quoted).map_err(|error| {
        (
            RejectReason::MalformedJson,
            relocated_message(&error, line, quoted),
        )
    })
}

/// serde_json's message for an error in `value` decoded on its own, with the position
/// moved to where `value` sits in `line` (a JSON value has no raw newlines, so the error
/// is always on line 1 and only the column shifts).
fn relocated_message(error: &serde_json::Error, line: &str, value: &str) -> String {
    let message = error.to_string();
    let position = format!(" at line {} column {}", error.line(), error.column());
    match message.strip_suffix(&position) {
        Some(description) if error.line() == 1 => {
            let offset = value.as_ptr() as usize - line.as_ptr() as usize;
            format!("{description} at line 1 column {}", offset + error.column())
        }
        _ => message,
    }
}

/// An optional metadata field: a string, or a number as its literal text; anything else
/// (null, boolean, object, array) or absence is `None`.
fn optional_text(
    line: &str,
    raw: Option<&RawValue>,
) -> Result<Option<String>, (RejectReason, String)> {
    match raw {
        Some(raw) => match JsonKind::of(raw) {
            JsonKind::String => decode_string_in(line, raw).map(Some),
            JsonKind::Number => Ok(Some(raw.get().to_owned())),
            _ => Ok(None),
        },
        None => Ok(None),
    }
}

/// Decode a JSON string literal (quotes included) that was validated when it was read: the
/// common escapes and `\u` escapes, surrogate pairs included. Every scan reads every text
/// at least once, so this runs over the whole corpus; it is a copy between backslashes
/// rather than serde_json's general parser. Returns None for anything irregular (a lone
/// surrogate, an unknown escape), which the caller hands to serde_json instead.
fn unescape_json_string(quoted: &str) -> Option<String> {
    let inner = quoted.strip_prefix('"')?.strip_suffix('"')?;
    let bytes = inner.as_bytes();
    let mut out = String::with_capacity(inner.len());
    let mut at = 0;
    while let Some(found) = memchr::memchr(b'\\', &bytes[at..]) {
        let escape = at + found;
        out.push_str(&inner[at..escape]);
        let kind = *bytes.get(escape + 1)?;
        at = escape + 2;
        let decoded = match kind {
            b'"' => '"',
            b'\\' => '\\',
            b'/' => '/',
            b'b' => '\u{8}',
            b'f' => '\u{c}',
            b'n' => '\n',
            b'r' => '\r',
            b't' => '\t',
            b'u' => {
                let unit = |from: usize| {
                    let hex = inner.get(from..from + 4)?;
                    if hex.bytes().all(|b| b.is_ascii_hexdigit()) {
                        u32::from_str_radix(hex, 16).ok()
                    } else {
                        None
                    }
                };
                let first = unit(at)?;
                at += 4;
                match first {
                    0xd800..=0xdbff => {
                        if inner.get(at..at + 2) != Some("\\u") {
                            return None;
                        }
                        let second = unit(at + 2)?;
                        if !(0xdc00..=0xdfff).contains(&second) {
                            return None;
                        }
                        at += 6;
                        char::from_u32(0x10000 + ((first - 0xd800) << 10) + (second - 0xdc00))?
                    }
                    _ => char::from_u32(first)?, // None for a lone trailing surrogate
                }
            }
            _ => return None,
        };
        out.push(decoded);
    }
    out.push_str(&inner[at..]);
    Some(out)
}

/// Whether a JSON string body may contain a `\uD800`-`\uDFFF` escape, which serde_json
/// only checks for pairing when it decodes the string. (An escaped backslash followed by
/// `uD8..` also matches; that merely costs a decode.)
fn has_surrogate_escape(inner: &[u8]) -> bool {
    memmem::find_iter(inner, b"\\u").any(|at| {
        matches!(
            inner.get(at + 2..at + 4),
            Some([b'd' | b'D', b'8'..=b'9' | b'a'..=b'f' | b'A'..=b'F'])
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn options() -> ReadOptions {
        ReadOptions::default()
    }

    #[test]
    fn ids_that_share_a_hash_stay_apart() {
        // Every id hashed to the same value: only equal ids are duplicates.
        let ids = ["a", "b", "a", "c", "b", "b"];
        let mut seen = FirstSeen::default();
        let firsts: Vec<Option<usize>> = (0..ids.len())
            .map(|d| seen.first_or_insert(ids[d], 7, d, |e| ids[e]))
            .collect();
        assert_eq!(firsts, [None, None, Some(0), None, Some(1), Some(1)]);
    }

    #[test]
    fn json_strings_decode_as_serde_json_decodes_them() {
        for literal in [
            r#""plain""#,
            r#""""#,
            r#""a\nb\r\n\t\"q\" \\ \/ \b\f""#,
            r#""caf\u00e9 \u201cquoted\u201d \u2014 dash""#,
            r#""emoji \ud83d\ude00 and \uD83D\uDE00 end""#,
            r#""\u0000 nul and \\u1234 literal""#,
            "\"unescaped \u{e9}t\u{e9} \u{1f600}\"",
        ] {
            let expected: String = serde_json::from_str(literal).unwrap();
            assert_eq!(unescape_json_string(literal), Some(expected), "{literal}");
        }
        // Irregular escapes are left to serde_json.
        for literal in [
            r#""\ud83d alone""#,
            r#""\ude00 alone""#,
            r#""\x""#,
            r#""\u12""#,
        ] {
            assert_eq!(unescape_json_string(literal), None, "{literal}");
        }
    }

    fn write_file(dir: &Path, relative: &str, bytes: &[u8]) -> PathBuf {
        let path = dir.join(relative);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(&path, bytes).unwrap();
        path
    }

    fn read_paths(paths: &[&Path], opts: &ReadOptions) -> Result<Corpus, InputError> {
        let inputs: Vec<InputPath> = paths
            .iter()
            .map(|path| InputPath::Path(path.to_path_buf()))
            .collect();
        read_corpus(&inputs, opts)
    }

    fn read_bytes(bytes: &[u8]) -> Corpus {
        read_jsonl_bytes("t.jsonl", bytes.to_vec(), &options()).unwrap()
    }

    fn ids(corpus: &Corpus) -> Vec<&str> {
        corpus.docs.iter().map(|doc| doc.id.as_str()).collect()
    }

    fn texts(corpus: &Corpus) -> Vec<String> {
        (0..corpus.len())
            .map(|doc| corpus.text(doc).into_owned())
            .collect()
    }

    /// `(line, reason)` of every reject.
    fn rejects(corpus: &Corpus) -> Vec<(u64, &'static str)> {
        corpus
            .rejects
            .iter()
            .map(|reject| (reject.line, reject.reason.as_str()))
            .collect()
    }

    fn gzip(bytes: &[u8]) -> Vec<u8> {
        let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        encoder.write_all(bytes).unwrap();
        encoder.finish().unwrap()
    }

    fn zstd_compress(bytes: &[u8]) -> Vec<u8> {
        zstd::encode_all(bytes, 3).unwrap()
    }

    /// `count` records with ids `d0..` and varied texts.
    fn numbered_jsonl(count: usize) -> String {
        (0..count)
            .map(|i| {
                format!(
                    "{{\"id\":\"d{i}\",\"text\":\"article {i} says \\\"{}\\\"\"}}\n",
                    "words ".repeat(i % 37)
                )
            })
            .collect()
    }

    const SAMPLE: &str = concat!(
        r#"{"id":"a","text":"Plain text.","source":"AP","date":"2024-01-02","title":"T"}"#,
        "\n",
        r#"{"text":"Line one\nline \"two\" caf\u00e9","id":"b","extra":[1,{"x":null}]}"#,
        "\n",
    );

    #[test]
    fn plain_jsonl_fields_texts_and_records() {
        let dir = tempfile::tempdir().unwrap();
        let path = write_file(dir.path(), "c.jsonl", SAMPLE.as_bytes());
        let opts = ReadOptions {
            source_field: Some("source".into()),
            date_field: Some("date".into()),
            title_field: Some("title".into()),
            ..options()
        };
        for mmap in [true, false] {
            let corpus = read_paths(
                &[&path],
                &ReadOptions {
                    mmap,
                    ..opts.clone()
                },
            )
            .unwrap();
            assert_eq!(ids(&corpus), ["a", "b"]);
            assert!(corpus.rejects.is_empty());
            assert!(matches!(corpus.text(0), Cow::Borrowed("Plain text.")));
            assert!(matches!(corpus.text(1), Cow::Owned(_)));
            assert_eq!(corpus.text(1), "Line one\nline \"two\" café");
            let first = &corpus.docs[0];
            assert_eq!(first.source.as_deref(), Some("AP"));
            assert_eq!(first.date.as_deref(), Some("2024-01-02"));
            assert_eq!(first.title.as_deref(), Some("T"));
            assert_eq!((first.input, first.line), (0, 1));
            assert_eq!(corpus.docs[1].source, None);
            assert_eq!(corpus.docs[1].line, 2);
            let lines: Vec<&str> = SAMPLE.lines().collect();
            assert_eq!(corpus.record_bytes(0), lines[0].as_bytes());
            assert_eq!(corpus.record_bytes(1), lines[1].as_bytes());
            assert_eq!(corpus.input_name(0), path.to_string_lossy());
            assert_eq!(corpus.total_bytes(), SAMPLE.len() as u64);
            assert_eq!(corpus.location(1), format!("{}:2", path.display()));
            assert_eq!(corpus.len(), 2);
            assert!(!corpus.is_empty());
        }
    }

    #[test]
    fn gzip_multi_member_and_zstd_are_detected_by_magic() {
        let dir = tempfile::tempdir().unwrap();
        let (first, second) = SAMPLE.split_at(SAMPLE.find('\n').unwrap() + 1);
        let mut multi_member = gzip(first.as_bytes());
        multi_member.extend(gzip(second.as_bytes()));
        // Extensions are deliberately misleading: only the magic bytes count.
        let gz = write_file(dir.path(), "c.txt", &multi_member);
        let zst = write_file(dir.path(), "c.gz", &zstd_compress(SAMPLE.as_bytes()));
        for path in [&gz, &zst] {
            let corpus = read_paths(&[path], &options()).unwrap();
            assert_eq!(ids(&corpus), ["a", "b"], "{}", path.display());
            assert!(corpus.rejects.is_empty());
            assert_eq!(corpus.text(1), "Line one\nline \"two\" café");
            assert_eq!(
                corpus.record_bytes(0),
                SAMPLE.lines().next().unwrap().as_bytes()
            );
            assert_eq!(corpus.total_bytes(), SAMPLE.len() as u64);
        }
    }

    #[test]
    fn truncated_compressed_input_keeps_complete_lines() {
        let jsonl = numbered_jsonl(2000);
        for compressed in [gzip(jsonl.as_bytes()), zstd_compress(jsonl.as_bytes())] {
            let cut = &compressed[..compressed.len() / 2];
            let corpus = read_bytes(cut);
            let kept = corpus.len();
            assert!(kept > 0 && kept < 2000, "kept {kept}");
            let expected_ids: Vec<String> = (0..kept).map(|i| format!("d{i}")).collect();
            assert_eq!(ids(&corpus), expected_ids);
            assert_eq!(rejects(&corpus), [(kept as u64 + 1, "truncated_input")]);
            assert!(corpus.rejects[0].detail.contains("truncated or corrupt"));
            let last = kept - 1;
            assert_eq!(
                corpus.record_bytes(last),
                jsonl.lines().nth(last).unwrap().as_bytes()
            );
        }
    }

    #[test]
    fn byte_buffer_input_like_stdin() {
        let corpus = read_jsonl_bytes(STDIN_NAME, gzip(SAMPLE.as_bytes()), &options()).unwrap();
        assert_eq!(ids(&corpus), ["a", "b"]);
        assert_eq!(corpus.input_names, ["<stdin>"]);
        let corpus = read_jsonl_bytes(STDIN_NAME, Vec::new(), &options()).unwrap();
        assert!(corpus.is_empty() && corpus.rejects.is_empty());
    }

    #[test]
    fn empty_file_has_no_records() {
        let dir = tempfile::tempdir().unwrap();
        let path = write_file(dir.path(), "empty.jsonl", b"");
        for mmap in [true, false] {
            let corpus = read_paths(&[&path], &ReadOptions { mmap, ..options() }).unwrap();
            assert!(corpus.is_empty() && corpus.rejects.is_empty());
            assert_eq!(corpus.input_names.len(), 1);
        }
    }

    #[test]
    fn directory_input_one_document_per_file() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("news");
        write_file(&root, "b.txt", b"Second article.\n");
        write_file(&root, "a/z.txt", b"Nested article.");
        write_file(&root, "a.txt", b"\xEF\xBB\xBFBOM article.");
        write_file(&root, ".hidden", b"skipped");
        write_file(&root, ".git/config", b"skipped");
        write_file(&root, "empty.txt", b" \n\t");
        write_file(&root, "binary.dat", b"ab\0cd");
        write_file(&root, "latin1.txt", b"caf\xE9");
        let corpus = read_paths(&[&root], &options()).unwrap();
        // Byte order of relative paths: '.' (0x2E) sorts before '/' (0x2F).
        assert_eq!(ids(&corpus), ["a.txt", "a/z.txt", "b.txt"]);
        assert_eq!(
            texts(&corpus),
            ["BOM article.", "Nested article.", "Second article.\n"]
        );
        assert_eq!(corpus.record_bytes(0), b"\xEF\xBB\xBFBOM article.");
        assert!(
            corpus
                .docs
                .iter()
                .all(|doc| doc.line == 0 && doc.input == 0)
        );
        assert_eq!(corpus.location(1), format!("{}/a/z.txt", root.display()));
        let shown: Vec<String> = corpus.rejects.iter().map(ToString::to_string).collect();
        let root = root.display();
        assert_eq!(
            shown,
            [
                format!("{root}/binary.dat: invalid_utf8: binary file (NUL byte)"),
                format!("{root}/empty.txt: empty_text: file is empty or only whitespace"),
                format!("{root}/latin1.txt: invalid_utf8: invalid UTF-8 at byte 3"),
            ]
        );
    }

    #[cfg(unix)]
    #[test]
    fn directory_input_does_not_follow_symlinked_directories() {
        let dir = tempfile::tempdir().unwrap();
        let outside = dir.path().join("outside");
        write_file(&outside, "x.txt", b"outside");
        let root = dir.path().join("root");
        write_file(&root, "in.txt", b"inside");
        std::os::unix::fs::symlink(&outside, root.join("linked_dir")).unwrap();
        std::os::unix::fs::symlink(root.join("in.txt"), root.join("linked_file.txt")).unwrap();
        let corpus = read_paths(&[&root], &options()).unwrap();
        assert_eq!(ids(&corpus), ["in.txt", "linked_file.txt"]);
    }

    #[test]
    fn each_line_reject_reason() {
        let input = [
            concat!(
                "{\"id\":\"ok\",\"text\":\"fine\"}\n",  // 1
                "{\n",                                  // 2 malformed
                "[]\n",                                 // 3 malformed: not an object
                "\"str\"\n",                            // 4 malformed
                "{\"id\":\"x\",\"text\":\"t\"} tail\n", // 5 malformed: trailing characters
                "{\"text\":\"no id\"}\n",               // 6 missing id
                "{\"id\":\"no text\"}\n",               // 7 missing text
                "{\"id\":\"n\",\"text\":42}\n",         // 8 text not a string
                "{\"id\":null,\"text\":\"t\"}\n",       // 9 id not a string
            )
            .as_bytes(),
            b"{\"id\":\"u\",\"text\":\"\xFF\"}\n", // 10 invalid UTF-8
            concat!(
                "{\"id\":\"e\",\"text\":\"  \"}\n",            // 11 empty text
                "{\"id\":\"w\",\"text\":\"\\n\\t\\u0020\"}\n", // 12 whitespace escapes
                "{\"id\":\"ok\",\"text\":\"again\"}\n",        // 13 duplicate id
                "{\"id\":\"s\",\"text\":\"\\ud800\"}\n",       // 14 lone surrogate
            )
            .as_bytes(),
        ]
        .concat();
        let corpus = read_bytes(&input);
        assert_eq!(ids(&corpus), ["ok"]);
        assert_eq!(
            rejects(&corpus),
            [
                (2, "malformed_json"),
                (3, "malformed_json"),
                (4, "malformed_json"),
                (5, "malformed_json"),
                (6, "missing_field"),
                (7, "missing_field"),
                (8, "not_a_string"),
                (9, "not_a_string"),
                (10, "invalid_utf8"),
                (11, "empty_text"),
                (12, "empty_text"),
                (13, "duplicate_id"),
                (14, "malformed_json"),
            ]
        );
        let detail = |line: u64| {
            corpus
                .rejects
                .iter()
                .find(|reject| reject.line == line)
                .unwrap()
                .detail
                .as_str()
        };
        assert_eq!(detail(6), "missing field \"id\"");
        assert_eq!(detail(8), "field \"text\" is a number, expected a string");
        assert_eq!(
            detail(9),
            "field \"id\" is null, expected a string or a number"
        );
        assert_eq!(detail(13), "duplicate id \"ok\" (first seen at t.jsonl:1)");
        // serde_json's message, positioned in the line rather than in the value.
        assert_eq!(
            detail(14),
            "unexpected end of hex escape at line 1 column 25"
        );
        assert_eq!(
            corpus.reject_counts(),
            [
                ("duplicate_id", 1),
                ("empty_text", 2),
                ("invalid_utf8", 1),
                ("malformed_json", 5),
                ("missing_field", 2),
                ("not_a_string", 2),
            ]
        );
    }

    #[test]
    fn unicode_escapes_and_numeric_ids() {
        let input = concat!(
            "{\"id\":1,\"text\":\"\\u00e9\"}\n",
            "{\"id\":-2.5e3,\"text\":\"\\ud83d\\ude00 ok\"}\n",
            "{\"i\\u0064\":\"escaped-key\",\"text\":\"t\"}\n",
        );
        let corpus = read_bytes(input.as_bytes());
        assert!(corpus.rejects.is_empty(), "{:?}", corpus.rejects);
        assert_eq!(ids(&corpus), ["1", "-2.5e3", "escaped-key"]);
        assert_eq!(texts(&corpus), ["é", "😀 ok", "t"]);
    }

    #[test]
    fn optional_fields_accept_strings_and_numbers_only() {
        let opts = ReadOptions {
            source_field: Some("s".into()),
            date_field: Some("d".into()),
            title_field: Some("t".into()),
            ..options()
        };
        let input = concat!(
            "{\"id\":\"1\",\"text\":\"x\",\"s\":7,\"d\":null,\"t\":true}\n",
            "{\"id\":\"2\",\"text\":\"x\",\"s\":{},\"d\":[1],\"t\":\"T\\u00edtulo\"}\n",
        );
        let corpus = read_jsonl_bytes("m", input.as_bytes().to_vec(), &opts).unwrap();
        let meta: Vec<_> = corpus
            .docs
            .iter()
            .map(|doc| {
                (
                    doc.source.as_deref(),
                    doc.date.as_deref(),
                    doc.title.as_deref(),
                )
            })
            .collect();
        assert_eq!(
            meta,
            [(Some("7"), None, None), (None, None, Some("Título"))]
        );
    }

    #[test]
    fn blank_lines_bom_and_crlf() {
        let input = b"\xEF\xBB\xBF{\"id\":\"a\",\"text\":\"one\"}\r\n  \r\n\n{\"id\":\"b\",\"text\":\"two\"}\r\n";
        let corpus = read_bytes(input);
        assert!(corpus.rejects.is_empty(), "{:?}", corpus.rejects);
        assert_eq!(ids(&corpus), ["a", "b"]);
        assert_eq!(texts(&corpus), ["one", "two"]);
        assert_eq!(corpus.docs[1].line, 4);
        assert_eq!(corpus.record_bytes(0), br#"{"id":"a","text":"one"}"#);
        assert_eq!(corpus.record_bytes(1), br#"{"id":"b","text":"two"}"#);
    }

    #[test]
    fn duplicate_ids_across_inputs_and_unreadable_input() {
        let dir = tempfile::tempdir().unwrap();
        let first = write_file(
            dir.path(),
            "first.jsonl",
            b"{\"id\":\"x\",\"text\":\"1\"}\n",
        );
        let missing = dir.path().join("missing.jsonl");
        let second = write_file(
            dir.path(),
            "second.jsonl",
            b"{\"id\":\"y\",\"text\":\"2\"}\n{\"id\":\"x\",\"text\":\"3\"}\n",
        );
        let corpus = read_paths(&[&first, &missing, &second], &options()).unwrap();
        assert_eq!(ids(&corpus), ["x", "y"]);
        assert_eq!(texts(&corpus), ["1", "2"]);
        assert_eq!(corpus.docs[1].input, 2);
        assert_eq!(corpus.input_names.len(), 3);
        assert_eq!(
            rejects(&corpus),
            [(0, "unreadable_file"), (2, "duplicate_id")]
        );
        assert_eq!(corpus.rejects[0].input, missing.to_string_lossy());
        assert_eq!(
            corpus.rejects[1].detail,
            format!("duplicate id \"x\" (first seen at {}:1)", first.display())
        );
    }

    #[test]
    fn strict_mode_returns_the_first_reject() {
        let input = concat!(
            "{\"id\":\"a\",\"text\":\"t\"}\n",
            "{\"id\":\"a\",\"text\":\"t\"}\n",
            "{\"id\":\"b\",\"text\":}\n",
        );
        let strict = ReadOptions {
            strict: true,
            ..options()
        };
        let error = read_jsonl_bytes("c.jsonl", input.as_bytes().to_vec(), &strict)
            .err()
            .unwrap();
        let InputError::Strict(reject) = &error;
        assert_eq!(reject.reason, RejectReason::DuplicateId);
        assert_eq!(
            error.to_string(),
            "c.jsonl:2: duplicate_id: duplicate id \"a\" (first seen at c.jsonl:1)"
        );

        let error = read_jsonl_bytes("c.jsonl", b"{\"id\":1,\"text\":}".to_vec(), &strict)
            .err()
            .unwrap();
        assert_eq!(
            error.to_string(),
            "c.jsonl:1: malformed_json: expected value at line 1 column 16"
        );

        let missing = InputPath::Path(PathBuf::from("/nonexistent/wirecopy/input"));
        let error = read_corpus(&[missing], &strict).err().unwrap();
        assert!(
            error
                .to_string()
                .starts_with("/nonexistent/wirecopy/input: unreadable_file: "),
            "{error}"
        );
        assert!(read_jsonl_bytes("ok", SAMPLE.as_bytes().to_vec(), &strict).is_ok());
    }

    #[test]
    fn chunks_cover_the_buffer_and_end_at_newlines() {
        let data = b"ab\ncdef\n\ng\nhij";
        for chunk_bytes in 0..20 {
            let chunks = split_at_newlines(data, 0, chunk_bytes);
            assert_eq!(chunks.first().unwrap().start, 0);
            assert_eq!(chunks.last().unwrap().end, data.len());
            for pair in chunks.windows(2) {
                assert_eq!(pair[0].end, pair[1].start);
                assert_eq!(data[pair[0].end - 1], b'\n');
            }
        }
        assert!(split_at_newlines(b"", 0, 4).is_empty());
    }

    #[test]
    fn results_do_not_depend_on_chunking_or_thread_count() {
        let mut jsonl = numbered_jsonl(500);
        jsonl.push_str(
            "{broken\n\n{\"id\":\"d7\",\"text\":\"dup\"}\n{\"id\":\"last\",\"text\":\"x\"}",
        );
        let summary = |corpus: &Corpus| {
            let docs: Vec<(String, u64, Vec<u8>, String)> = (0..corpus.len())
                .map(|doc| {
                    (
                        corpus.docs[doc].id.clone(),
                        corpus.docs[doc].line,
                        corpus.record_bytes(doc).to_vec(),
                        corpus.text(doc).into_owned(),
                    )
                })
                .collect();
            (docs, rejects(corpus))
        };
        let fields = FieldNames {
            id: "id",
            text: "text",
            source: None,
            date: None,
            title: None,
        };
        let reference = read_bytes(jsonl.as_bytes());
        assert_eq!(reference.len(), 501);
        assert_eq!(
            rejects(&reference),
            [(501, "malformed_json"), (503, "duplicate_id")]
        );
        let whole = parse_jsonl(jsonl.as_bytes(), &fields, usize::MAX, drop);
        for threads in [1, 3] {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap();
            let corpus = pool.install(|| read_bytes(jsonl.as_bytes()));
            assert_eq!(summary(&corpus), summary(&reference));
            for chunk_bytes in [1, 100, 4096] {
                let chunked =
                    pool.install(|| parse_jsonl(jsonl.as_bytes(), &fields, chunk_bytes, drop));
                let key = |parsed: &ParsedLines| {
                    let docs: Vec<_> = parsed
                        .docs
                        .iter()
                        .map(|doc| {
                            (
                                doc.id.clone(),
                                doc.line,
                                doc.record.clone(),
                                doc.text.clone(),
                            )
                        })
                        .collect();
                    let rejects: Vec<_> = parsed
                        .rejects
                        .iter()
                        .map(|reject| (reject.line, reject.reason, reject.detail.clone()))
                        .collect();
                    (docs, rejects, parsed.lines)
                };
                assert_eq!(key(&chunked), key(&whole), "chunk size {chunk_bytes}");
            }
        }
    }

    #[test]
    fn garbage_never_panics() {
        let lines: [&[u8]; 14] = [
            b"{",
            b"}",
            b"[]",
            b"\"str\"",
            b"nul",
            b"{\"id\":\"a\",\"text\":\"\\ud800\\u0041\"}",
            b"{\"id\":\"a\",\"text\":\"\\udc00\"}",
            b"{\"id\":\"\\ud800\",\"text\":\"x\"}",
            b"{\"id\":\"a\",\"text\":\"\\x\"}",
            b"{\"id\":\"a\",\"text\":\"tab\there\"}",
            b"{\"id\":\"a\",\"text\":\"x\"",
            b"\xEF\xBB\xBF",
            b"\r",
            b"\0",
        ];
        for line in lines {
            let corpus = read_bytes(line);
            assert!(corpus.is_empty(), "{:?}", String::from_utf8_lossy(line));
        }
        let corpus = read_bytes(&lines.join(&b'\n'));
        assert!(corpus.is_empty());
        assert!(
            corpus
                .rejects
                .iter()
                .all(|reject| reject.reason == RejectReason::MalformedJson)
        );
    }
}
