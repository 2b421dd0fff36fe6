//! The snapshot index: what `wirecopy check` needs to compare new documents with a corpus
//! it no longer reads, in a versioned, checksummed binary file (`.wcx`).
//!
//! A CI job that guards a corpus snapshot must not rescan the snapshot on every run, and it
//! cannot keep every shingle of every document either (a 500-word article has about 500).
//! So the index keeps, per document, its metadata and a *sketch*:
//!
//! * the LSH band keys of its MinHash signature (4 bytes per band instead of 4 per slot),
//!   which propose near-identical copies;
//! * the shingles the containment index of a scan would hold — every shingle of the lead
//!   ([`crate::candidates::LEAD_SHINGLES`]) and the consistent 1-in-`sample_rate` sample of
//!   the rest ([`crate::candidates::sampled`]) — each with its body token position. They
//!   propose truncated and padded copies, and they are what scores against an indexed
//!   document are *estimated* from (see `check`): where the sketch meets a new document's
//!   shingles, and in what order;
//! * its shingle and body word counts, and the hashes that make exact and restyled copies
//!   certain (`text_hash`, `body_hash`).
//!
//! The boilerplate model learned from the corpus is stored too, so new documents lose the
//! same template lines the indexed ones lost. About 350 bytes per document for news-length
//! texts at the defaults.
//!
//! # File layout (format version 2)
//!
//! All integers are little-endian; `varint` is unsigned LEB128; `str` is a varint byte
//! length followed by UTF-8 bytes.
//!
//! ```text
//! header, 32 bytes
//!   0  magic          8 bytes  89 57 43 58 0D 0A 1A 0A  ("\x89WCX\r\n\x1a\n": catches
//!                              text-mode transfers that mangle line ends or the high bit)
//!   8  version        u32      FORMAT_VERSION
//!  12  flags          u32      0 (reserved)
//!  16  payload_len    u64      bytes after the header; the file is exactly 32 + this long
//!  24  checksum       u64      xxh3-64 (seed 0) of the payload
//! payload
//!   parameters  ngram u32, num_perm u32, bands u32, rows u32, seed u64, sample_rate u32,
//!               lead u32, boilerplate u8 (0 or 1)
//!   sources     varint count, count × str                  (outlet names, in first-seen order)
//!   documents   varint count, then per document:
//!                 id str; source varint (0 = none, i + 1 = sources[i]); date varint
//!                 (0 = none, else byte length + 1, then the bytes); shingles varint;
//!                 body_tokens varint; text_hash u64; body_hash u64;
//!                 band keys: bands × u32 (low half of `lsh::band_key`), only when shingles > 0;
//!                 sketch: varint count, count × u32 shingle hashes (strictly ascending),
//!                 position shift u8, count × u16 body token positions >> shift (the
//!                 shift is 0 unless the text has more than 65,535 body words)
//!   furniture   three lists, each a varint count and count × u64, strictly ascending:
//!               site-template line hashes, common line hashes, furniture word trigrams
//! ```
//!
//! Reading checks, in order: the magic, the version, the flags, the length, the checksum,
//! then every count against the bytes left and every value against its range, so a
//! corrupted, truncated or foreign file is an [`IndexError`] naming what is wrong, never a
//! panic or an answer computed from garbage. Writing goes through
//! [`crate::report::write_atomic`], so `index add` never leaves half an index behind.

use crate::boilerplate::{BoilerplateModel, BoilerplateParams, LearnedFurniture};
use crate::candidates::{LEAD_SHINGLES, sampled};
use crate::config::{ConfigError, ScanConfig, ScanRequest};
use crate::features::DocFeatures;
use crate::input::Corpus;
use crate::lsh::{Banding, band_key};
use crate::scan::Analysis;
use crate::sketch::MAX_NGRAM;
use std::collections::{BTreeMap, HashSet};
use std::fmt;
use std::io::Write;
use xxhash_rust::xxh3::xxh3_64;

/// First bytes of every index file.
pub const MAGIC: [u8; 8] = *b"\x89WCX\r\n\x1a\n";
/// Version of the layout above; bumped on any incompatible change, including a change of the
/// token hashes the stored shingles and line hashes are made of (version 2: short words are
/// mixed from their bytes instead of hashed with xxh3, see `normalize`).
pub const FORMAT_VERSION: u32 = 2;
/// Bytes before the payload.
pub const HEADER_LEN: usize = 32;

/// The parameters a sketch depends on. Documents checked against an index must be
/// sketched with the same ones.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SketchParams {
    pub ngram: u32,
    pub num_perm: u32,
    pub bands: u32,
    pub rows: u32,
    pub seed: u64,
    pub sample_rate: u32,
    /// Lead shingles kept whether sampled or not.
    pub lead: u32,
    pub boilerplate: bool,
}

impl SketchParams {
    /// The sketch parameters of a scan configuration.
    pub fn of(cfg: &ScanConfig) -> Self {
        SketchParams {
            ngram: cfg.ngram as u32,
            num_perm: cfg.num_perm as u32,
            bands: cfg.banding.bands as u32,
            rows: cfg.banding.rows as u32,
            seed: cfg.seed,
            sample_rate: cfg.sample_rate,
            lead: LEAD_SHINGLES,
            boilerplate: cfg.boilerplate.enabled,
        }
    }

    pub fn banding(&self) -> Banding {
        Banding {
            bands: self.bands as usize,
            rows: self.rows as usize,
        }
    }

    /// Make `cfg` sketch like the index. A flag the user gave explicitly (in `req`) that
    /// disagrees with the index is an error naming the flag; verification thresholds
    /// (`--threshold`, `--containment`, ...) stay the user's.
    pub fn apply(&self, req: &ScanRequest, cfg: &mut ScanConfig) -> Result<(), ConfigError> {
        let clash = |flag: &'static str, given: String, stored: String| ConfigError {
            flag,
            message: format!(
                "{given} does not match the index, which was built with {stored}; leave the \
                 flag out or rebuild the index"
            ),
        };
        let checks: [(&'static str, Option<String>, String); 5] = [
            (
                "--ngram",
                req.ngram.map(|v| v.to_string()),
                self.ngram.to_string(),
            ),
            (
                "--num-perm",
                req.num_perm.map(|v| v.to_string()),
                self.num_perm.to_string(),
            ),
            (
                "--bands",
                req.bands.map(|v| v.to_string()),
                self.bands.to_string(),
            ),
            (
                "--rows",
                req.rows.map(|v| v.to_string()),
                self.rows.to_string(),
            ),
            (
                "--seed",
                req.seed.map(|v| v.to_string()),
                self.seed.to_string(),
            ),
        ];
        for (flag, given, stored) in checks {
            if let Some(given) = given
                && given != stored
            {
                return Err(clash(flag, given, stored));
            }
        }
        if let Some(rate) = req.sample_rate
            && rate != self.sample_rate
        {
            return Err(clash(
                "--sample-rate",
                rate.to_string(),
                self.sample_rate.to_string(),
            ));
        }
        if req.no_boilerplate && self.boilerplate {
            return Err(clash(
                "--no-boilerplate",
                "boilerplate off".into(),
                "boilerplate on".into(),
            ));
        }
        cfg.ngram = self.ngram as usize;
        cfg.num_perm = self.num_perm as usize;
        cfg.banding = self.banding();
        cfg.banding_explicit = true;
        cfg.seed = self.seed;
        cfg.sample_rate = self.sample_rate;
        cfg.boilerplate.enabled = self.boilerplate;
        Ok(())
    }
}

/// What is wrong with an index file.
#[derive(Debug)]
pub enum IndexError {
    Io(std::io::Error),
    /// Not an index, another format version, truncated, corrupted or inconsistent.
    Format(String),
}

impl fmt::Display for IndexError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            IndexError::Io(e) => write!(f, "cannot read: {e}"),
            IndexError::Format(m) => f.write_str(m),
        }
    }
}

impl std::error::Error for IndexError {}

/// One document's sketch entry: a shingle hash and its body token position.
pub type Entry = (u32, u32);

/// The sketch of a document (see the module docs): lead and sampled shingles with their
/// positions, ascending by hash, into `out`.
pub fn sketch_of(f: &DocFeatures, params: &SketchParams, out: &mut Vec<Entry>) {
    out.clear();
    out.extend(
        f.shingles
            .iter()
            .zip(&f.positions)
            .map(|(&h, &p)| (h, (p as u32) << f.pos_shift))
            .filter(|&(h, pos)| pos < params.lead || sampled(h, params.sample_rate)),
    );
}

/// The band keys of one signature as stored (the low 32 bits of each key).
pub fn band_keys_of(signature: &[u32], params: &SketchParams, out: &mut Vec<u32>) {
    out.clear();
    let banding = params.banding();
    out.extend((0..banding.bands).map(|b| band_key(signature, banding, b, params.seed) as u32));
}

/// An indexed document's matching data, borrowed from the index.
#[derive(Debug, Clone, Copy)]
pub struct IndexedDoc<'a> {
    pub shingles: u32,
    pub body_tokens: u32,
    pub text_hash: u64,
    pub body_hash: u64,
    /// Empty when the document has no body shingles.
    pub band_keys: &'a [u32],
    pub sketch_hashes: &'a [u32],
    pub sketch_positions: &'a [u32],
}

/// A snapshot index in memory, columnar: document `d`'s values are at `d` in each column.
#[derive(Debug, Clone, PartialEq)]
pub struct SnapshotIndex {
    pub params: SketchParams,
    sources: Vec<String>,
    ids: Vec<String>,
    /// 0 = none, i + 1 = `sources[i]`.
    source: Vec<u32>,
    dates: Vec<Option<String>>,
    shingles: Vec<u32>,
    body_tokens: Vec<u32>,
    text_hash: Vec<u64>,
    body_hash: Vec<u64>,
    /// Start of each document's band keys in `band_keys` (n + 1 offsets).
    band_start: Vec<u32>,
    band_keys: Vec<u32>,
    /// Start of each document's entries in `sketch_hashes` / `sketch_positions` (n + 1).
    sketch_start: Vec<u32>,
    sketch_hashes: Vec<u32>,
    sketch_positions: Vec<u32>,
    furniture: LearnedFurniture,
}

impl SnapshotIndex {
    /// An empty index for documents sketched with `cfg`.
    pub fn new(cfg: &ScanConfig) -> Self {
        SnapshotIndex {
            params: SketchParams::of(cfg),
            sources: Vec::new(),
            ids: Vec::new(),
            source: Vec::new(),
            dates: Vec::new(),
            shingles: Vec::new(),
            body_tokens: Vec::new(),
            text_hash: Vec::new(),
            body_hash: Vec::new(),
            band_start: vec![0],
            band_keys: Vec::new(),
            sketch_start: vec![0],
            sketch_hashes: Vec::new(),
            sketch_positions: Vec::new(),
            furniture: LearnedFurniture::default(),
        }
    }

    /// Documents indexed.
    pub fn len(&self) -> usize {
        self.ids.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }

    pub fn id(&self, d: usize) -> &str {
        &self.ids[d]
    }

    pub fn source(&self, d: usize) -> Option<&str> {
        match self.source[d] {
            0 => None,
            s => Some(&self.sources[s as usize - 1]),
        }
    }

    pub fn date(&self, d: usize) -> Option<&str> {
        self.dates[d].as_deref()
    }

    pub fn doc(&self, d: usize) -> IndexedDoc<'_> {
        let bands = self.band_start[d] as usize..self.band_start[d + 1] as usize;
        let sketch = self.sketch_start[d] as usize..self.sketch_start[d + 1] as usize;
        IndexedDoc {
            shingles: self.shingles[d],
            body_tokens: self.body_tokens[d],
            text_hash: self.text_hash[d],
            body_hash: self.body_hash[d],
            band_keys: &self.band_keys[bands],
            sketch_hashes: &self.sketch_hashes[sketch.clone()],
            sketch_positions: &self.sketch_positions[sketch],
        }
    }

    /// The ids of all indexed documents, for membership tests.
    pub fn id_set(&self) -> HashSet<&str> {
        self.ids.iter().map(String::as_str).collect()
    }

    /// Sketch entries of all documents.
    pub fn sketch_entries(&self) -> usize {
        self.sketch_hashes.len()
    }

    /// The stored furniture.
    pub fn furniture(&self) -> &LearnedFurniture {
        &self.furniture
    }

    /// The stored boilerplate model.
    pub fn boilerplate(&self) -> BoilerplateModel {
        BoilerplateModel::import(
            BoilerplateParams {
                enabled: self.params.boilerplate,
                ..Default::default()
            },
            &self.furniture,
        )
    }

    /// Add the documents of `analysis` (made with the index's parameters, see
    /// [`SketchParams::apply`]) in analysis order, and what its boilerplate model learned.
    /// Documents whose id is already indexed must have been left out by the caller
    /// ([`narrow`]).
    pub fn add(&mut self, corpus: &Corpus, analysis: &Analysis) {
        let k = self.params.num_perm as usize;
        let mut source_ids: BTreeMap<String, u32> = self
            .sources
            .iter()
            .enumerate()
            .map(|(i, s)| (s.clone(), i as u32 + 1))
            .collect();
        let mut entries = Vec::new();
        let mut keys = Vec::new();
        for (i, &d) in analysis.order.iter().enumerate() {
            let meta = &corpus.docs[d as usize];
            let f = &analysis.features[i];
            self.ids.push(meta.id.clone());
            self.source.push(match &meta.source {
                None => 0,
                Some(s) => *source_ids.entry(s.clone()).or_insert_with(|| {
                    self.sources.push(s.clone());
                    self.sources.len() as u32
                }),
            });
            self.dates.push(meta.date.clone());
            self.shingles.push(f.n_shingles() as u32);
            self.body_tokens.push(f.body_tokens);
            self.text_hash.push(f.text_hash);
            self.body_hash.push(f.body_hash);
            if analysis.active[i] && f.n_shingles() > 0 {
                band_keys_of(&analysis.signatures[i * k..][..k], &self.params, &mut keys);
                self.band_keys.extend_from_slice(&keys);
            }
            self.band_start.push(self.band_keys.len() as u32);
            sketch_of(f, &self.params, &mut entries);
            self.sketch_hashes.extend(entries.iter().map(|e| e.0));
            self.sketch_positions.extend(entries.iter().map(|e| e.1));
            self.sketch_start.push(self.sketch_hashes.len() as u32);
        }
        let mut model = self.boilerplate();
        model.merge(&analysis.boilerplate);
        self.furniture = model.export();
    }

    /// Serialize (see the module docs for the layout).
    pub fn write(&self, w: &mut dyn Write) -> std::io::Result<()> {
        let payload = self.payload();
        w.write_all(&MAGIC)?;
        w.write_all(&FORMAT_VERSION.to_le_bytes())?;
        w.write_all(&0u32.to_le_bytes())?;
        w.write_all(&(payload.len() as u64).to_le_bytes())?;
        w.write_all(&xxh3_64(&payload).to_le_bytes())?;
        w.write_all(&payload)
    }

    fn payload(&self) -> Vec<u8> {
        let p = &self.params;
        let mut out = Vec::with_capacity(64 + self.len() * 400);
        for v in [p.ngram, p.num_perm, p.bands, p.rows] {
            out.extend_from_slice(&v.to_le_bytes());
        }
        out.extend_from_slice(&p.seed.to_le_bytes());
        out.extend_from_slice(&p.sample_rate.to_le_bytes());
        out.extend_from_slice(&p.lead.to_le_bytes());
        out.push(p.boilerplate as u8);
        put_varint(&mut out, self.sources.len() as u64);
        for s in &self.sources {
            put_str(&mut out, s);
        }
        put_varint(&mut out, self.len() as u64);
        for d in 0..self.len() {
            put_str(&mut out, &self.ids[d]);
            put_varint(&mut out, self.source[d] as u64);
            match &self.dates[d] {
                None => put_varint(&mut out, 0),
                Some(date) => {
                    put_varint(&mut out, date.len() as u64 + 1);
                    out.extend_from_slice(date.as_bytes());
                }
            }
            let doc = self.doc(d);
            put_varint(&mut out, doc.shingles as u64);
            put_varint(&mut out, doc.body_tokens as u64);
            out.extend_from_slice(&doc.text_hash.to_le_bytes());
            out.extend_from_slice(&doc.body_hash.to_le_bytes());
            for key in doc.band_keys {
                out.extend_from_slice(&key.to_le_bytes());
            }
            put_varint(&mut out, doc.sketch_hashes.len() as u64);
            for h in doc.sketch_hashes {
                out.extend_from_slice(&h.to_le_bytes());
            }
            let last = doc.sketch_positions.iter().max().copied().unwrap_or(0);
            let shift = (0..16).find(|s| last >> s <= u16::MAX as u32).unwrap_or(16);
            out.push(shift as u8);
            for pos in doc.sketch_positions {
                out.extend_from_slice(&((pos >> shift) as u16).to_le_bytes());
            }
        }
        for list in [
            &self.furniture.site,
            &self.furniture.common,
            &self.furniture.near,
        ] {
            put_varint(&mut out, list.len() as u64);
            for h in list {
                out.extend_from_slice(&h.to_le_bytes());
            }
        }
        out
    }

    /// Parse and validate an index file's bytes.
    pub fn read(bytes: &[u8]) -> Result<Self, IndexError> {
        let bad = |m: String| IndexError::Format(m);
        if bytes.len() < MAGIC.len() || bytes[..MAGIC.len()] != MAGIC {
            return Err(bad(
                "not a wirecopy index (its first bytes are not the index \
                            magic); build one with `wirecopy index build`"
                    .into(),
            ));
        }
        if bytes.len() < HEADER_LEN {
            return Err(bad(format!(
                "truncated: {} bytes, shorter than the {HEADER_LEN}-byte header",
                bytes.len()
            )));
        }
        let u32_at = |at: usize| u32::from_le_bytes(bytes[at..at + 4].try_into().expect("4"));
        let u64_at = |at: usize| u64::from_le_bytes(bytes[at..at + 8].try_into().expect("8"));
        let version = u32_at(8);
        if version != FORMAT_VERSION {
            return Err(bad(format!(
                "index format version {version}, but this wirecopy reads version \
                 {FORMAT_VERSION}; rebuild the index with `wirecopy index build`"
            )));
        }
        let flags = u32_at(12);
        if flags != 0 {
            return Err(bad(format!("unsupported header flags {flags:#x}")));
        }
        let payload = &bytes[HEADER_LEN..];
        let declared = u64_at(16);
        if declared != payload.len() as u64 {
            let what = if (payload.len() as u64) < declared {
                "truncated"
            } else {
                "trailing bytes"
            };
            return Err(bad(format!(
                "{what}: the header announces {declared} bytes of payload, the file has {}",
                payload.len()
            )));
        }
        let stored = u64_at(24);
        let actual = xxh3_64(payload);
        if stored != actual {
            return Err(bad(format!(
                "checksum mismatch (stored {stored:016x}, computed {actual:016x}): the file \
                 is corrupted"
            )));
        }
        Self::parse(payload).map_err(|e| {
            bad(format!(
                "malformed payload at byte {}: {}",
                HEADER_LEN + e.at,
                e.what
            ))
        })
    }

    fn parse(payload: &[u8]) -> Result<Self, ParseError> {
        let mut r = Reader {
            buf: payload,
            at: 0,
        };
        let params = SketchParams {
            ngram: r.u32()?,
            num_perm: r.u32()?,
            bands: r.u32()?,
            rows: r.u32()?,
            seed: r.u64()?,
            sample_rate: r.u32()?,
            lead: r.u32()?,
            boilerplate: match r.u8()? {
                0 => false,
                1 => true,
                v => return Err(r.error(format!("boilerplate flag {v} is not 0 or 1"))),
            },
        };
        let p = &params;
        if !(1..=MAX_NGRAM as u32).contains(&p.ngram)
            || !(1..=1024).contains(&p.num_perm)
            || !(1..=64).contains(&p.rows)
            || p.bands == 0
            || p.bands as u64 * p.rows as u64 > p.num_perm as u64
            || p.sample_rate == 0
        {
            return Err(r.error(format!("parameters out of range: {p:?}")));
        }
        let n_sources = r.count(1)?;
        let mut sources = Vec::with_capacity(n_sources);
        for _ in 0..n_sources {
            sources.push(r.string()?);
        }
        let n = r.count(20)?;
        let mut index = SnapshotIndex {
            params,
            sources,
            ids: Vec::with_capacity(n),
            source: Vec::with_capacity(n),
            dates: Vec::with_capacity(n),
            shingles: Vec::with_capacity(n),
            body_tokens: Vec::with_capacity(n),
            text_hash: Vec::with_capacity(n),
            body_hash: Vec::with_capacity(n),
            band_start: Vec::with_capacity(n + 1),
            band_keys: Vec::with_capacity(n * params.bands as usize),
            sketch_start: Vec::with_capacity(n + 1),
            sketch_hashes: Vec::new(),
            sketch_positions: Vec::new(),
            furniture: LearnedFurniture::default(),
        };
        index.band_start.push(0);
        index.sketch_start.push(0);
        for _ in 0..n {
            index.ids.push(r.string()?);
            let source = r.varint()?;
            if source > index.sources.len() as u64 {
                return Err(r.error(format!(
                    "source {source} of document {:?} is not in the table of {} sources",
                    index.ids.last().expect("pushed"),
                    index.sources.len()
                )));
            }
            index.source.push(source as u32);
            let date = match r.varint()? {
                0 => None,
                len => Some(r.str_of_len(len - 1)?),
            };
            index.dates.push(date);
            let shingles = r.u32_varint()?;
            index.shingles.push(shingles);
            let body_tokens = r.u32_varint()?;
            index.body_tokens.push(body_tokens);
            index.text_hash.push(r.u64()?);
            index.body_hash.push(r.u64()?);
            if shingles > 0 {
                for _ in 0..params.bands {
                    index.band_keys.push(r.u32()?);
                }
            }
            index.band_start.push(index.band_keys.len() as u32);
            let m = r.count(6)?;
            let first = index.sketch_hashes.len();
            for _ in 0..m {
                index.sketch_hashes.push(r.u32()?);
            }
            if !index.sketch_hashes[first..].is_sorted_by(|a, b| a < b) {
                return Err(r.error("sketch hashes are not strictly ascending".into()));
            }
            let shift = r.u8()?;
            if shift > 16 {
                return Err(r.error(format!("position shift {shift} is above 16")));
            }
            for _ in 0..m {
                let pos = (r.u16()? as u32) << shift;
                if pos >= body_tokens {
                    return Err(r.error(format!(
                        "sketch position {pos} is beyond the {body_tokens} body words"
                    )));
                }
                index.sketch_positions.push(pos);
            }
            index.sketch_start.push(index.sketch_hashes.len() as u32);
        }
        let mut lists = Vec::with_capacity(3);
        for _ in 0..3 {
            let len = r.count(8)?;
            let mut list = Vec::with_capacity(len);
            for _ in 0..len {
                list.push(r.u64()?);
            }
            if !list.is_sorted_by(|a, b| a < b) {
                return Err(r.error("furniture hashes are not strictly ascending".into()));
            }
            lists.push(list);
        }
        let [site, common, near]: [Vec<u64>; 3] = lists.try_into().expect("three lists");
        index.furniture = LearnedFurniture { site, common, near };
        if r.at != payload.len() {
            return Err(r.error(format!(
                "{} bytes left after the index",
                payload.len() - r.at
            )));
        }
        let mut ids: Vec<&str> = index.ids.iter().map(String::as_str).collect();
        ids.sort_unstable();
        if let Some(w) = ids.windows(2).find(|w| w[0] == w[1]) {
            return Err(ParseError {
                at: 0,
                what: format!("document id {:?} appears twice", w[0]),
            });
        }
        Ok(index)
    }
}

/// The documents of `analysis` whose id `keep` accepts, in the same order; the boilerplate
/// model is kept whole.
pub fn narrow(corpus: &Corpus, analysis: Analysis, keep: impl Fn(&str) -> bool) -> Analysis {
    let k = analysis.signatures.len() / analysis.order.len().max(1);
    let keep: Vec<bool> = analysis
        .order
        .iter()
        .map(|&d| keep(&corpus.docs[d as usize].id))
        .collect();
    let pick = |i: &usize| keep[*i];
    let n = analysis.order.len();
    Analysis {
        order: (0..n).filter(pick).map(|i| analysis.order[i]).collect(),
        signatures: (0..n)
            .filter(pick)
            .flat_map(|i| analysis.signatures[i * k..][..k].iter().copied())
            .collect(),
        active: (0..n).filter(pick).map(|i| analysis.active[i]).collect(),
        features: analysis
            .features
            .into_iter()
            .zip(&keep)
            .filter_map(|(f, &k)| k.then_some(f))
            .collect(),
        boilerplate: analysis.boilerplate,
    }
}

fn put_varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push(v as u8 | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

fn put_str(out: &mut Vec<u8>, s: &str) {
    put_varint(out, s.len() as u64);
    out.extend_from_slice(s.as_bytes());
}

/// A structural error at a payload offset.
struct ParseError {
    at: usize,
    what: String,
}

/// A bounds-checked cursor over the payload.
struct Reader<'a> {
    buf: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    fn error(&self, what: String) -> ParseError {
        ParseError { at: self.at, what }
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8], ParseError> {
        if self.buf.len() - self.at < n {
            return Err(self.error(format!(
                "needs {n} more bytes, {} left",
                self.buf.len() - self.at
            )));
        }
        let s = &self.buf[self.at..self.at + n];
        self.at += n;
        Ok(s)
    }

    fn u8(&mut self) -> Result<u8, ParseError> {
        Ok(self.take(1)?[0])
    }

    fn u16(&mut self) -> Result<u16, ParseError> {
        Ok(u16::from_le_bytes(self.take(2)?.try_into().expect("2")))
    }

    fn u32(&mut self) -> Result<u32, ParseError> {
        Ok(u32::from_le_bytes(self.take(4)?.try_into().expect("4")))
    }

    fn u64(&mut self) -> Result<u64, ParseError> {
        Ok(u64::from_le_bytes(self.take(8)?.try_into().expect("8")))
    }

    fn varint(&mut self) -> Result<u64, ParseError> {
        let start = self.at;
        let mut v = 0u64;
        for shift in (0..64).step_by(7) {
            let b = self.u8()?;
            v |= ((b & 0x7f) as u64) << shift;
            if b & 0x80 == 0 {
                return Ok(v);
            }
        }
        Err(ParseError {
            at: start,
            what: "varint longer than 10 bytes".into(),
        })
    }

    fn u32_varint(&mut self) -> Result<u32, ParseError> {
        let v = self.varint()?;
        u32::try_from(v).map_err(|_| self.error(format!("{v} does not fit 32 bits")))
    }

    /// A count of items at least `min_bytes` long each, checked against the bytes left so
    /// a corrupted count cannot trigger a huge allocation.
    fn count(&mut self, min_bytes: usize) -> Result<usize, ParseError> {
        let v = self.varint()?;
        let left = (self.buf.len() - self.at) as u64;
        if v.saturating_mul(min_bytes as u64) > left {
            return Err(self.error(format!("count {v} cannot fit in the {left} bytes left")));
        }
        Ok(v as usize)
    }

    fn str_of_len(&mut self, len: u64) -> Result<String, ParseError> {
        let start = self.at;
        let len = usize::try_from(len).map_err(|_| self.error("length overflows".into()))?;
        let bytes = self.take(len)?;
        std::str::from_utf8(bytes)
            .map(str::to_owned)
            .map_err(|_| ParseError {
                at: start,
                what: "string is not UTF-8".into(),
            })
    }

    fn string(&mut self) -> Result<String, ParseError> {
        let len = self.varint()?;
        self.str_of_len(len)
    }
}
