//! The resolved configuration of a scan: validated values and the ones derived from them.
//!
//! The command line (see `cli`) holds what the user typed; [`ScanConfig`] holds what the
//! stages run with, e.g. bands × rows derived from the threshold. Stages never see clap.

use crate::boilerplate::BoilerplateParams;
use crate::lsh::{Banding, optimal_bands};
use crate::sketch::MAX_NGRAM;
use crate::verify::VerifyParams;

/// Defaults, shared by the CLI help and the library.
pub mod defaults {
    /// Word 5-grams: long enough that unrelated texts rarely share one by chance.
    pub const NGRAM: usize = 5;
    /// 64 MinHash slots. LSH only has to propose pairs — every one is verified exactly — and
    /// the containment index proposes the truncated and padded copies, so the signature
    /// needs a sharp S-curve around the threshold, not a precise estimate; 64 slots give
    /// P(candidate) ≥ 0.97 at Jaccard 0.6 and ≤ 0.1 at 0.3 (see `wirecopy scan --explain`),
    /// at half the time and index size of 128.
    pub const NUM_PERM: usize = 64;
    pub const THRESHOLD: f64 = 0.5;
    pub const CONTAINMENT: f64 = 0.5;
    pub const COVERAGE: f64 = 0.7;
    /// Shingles (≈ words) a shared passage needs before containment or coverage counts: more
    /// than one typical sentence, so a quoted sentence alone never makes a copy.
    pub const MIN_PASSAGE: u32 = 30;
    pub const SAMPLE_RATE: u32 = 16;
    pub const SAMPLE_MIN: u32 = 2;
    pub const BUCKET_CAP: usize = 500;
    pub const SEED: u64 = 1;
}

/// Which member of a cluster becomes its canonical (and, in `dedup`, the one kept).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum CanonicalPolicy {
    /// The earliest copy when every member has a date, otherwise the fullest.
    #[default]
    Auto,
    /// The fullest copy, dates ignored.
    Fullest,
    /// The earliest dated copy (undated ones last), then the fullest.
    Earliest,
    /// The first in input order.
    First,
    /// The copy from the best-ranked source of the list (unlisted sources last), then the
    /// fullest.
    Sources(Vec<String>),
}

impl CanonicalPolicy {
    /// Preference rank per document in internal order (lower wins; ties go to the fullest),
    /// or None for [`CanonicalPolicy::Auto`].
    pub fn priorities(&self, corpus: &crate::input::Corpus, order: &[u32]) -> Option<Vec<u64>> {
        let docs = &corpus.docs;
        match self {
            CanonicalPolicy::Auto => None,
            CanonicalPolicy::Fullest => Some(vec![0; order.len()]),
            CanonicalPolicy::First => Some(order.iter().map(|&d| d as u64).collect()),
            CanonicalPolicy::Earliest => {
                let mut dates: Vec<&str> = docs.iter().filter_map(|d| d.date.as_deref()).collect();
                dates.sort_unstable();
                dates.dedup();
                Some(
                    order
                        .iter()
                        .map(|&d| match docs[d as usize].date.as_deref() {
                            Some(x) => dates.binary_search(&x).unwrap_or(0) as u64,
                            None => u64::MAX,
                        })
                        .collect(),
                )
            }
            CanonicalPolicy::Sources(ranked) => Some(
                order
                    .iter()
                    .map(|&d| {
                        docs[d as usize]
                            .source
                            .as_deref()
                            .and_then(|s| ranked.iter().position(|r| r == s))
                            .map_or(u64::MAX, |p| p as u64)
                    })
                    .collect(),
            ),
        }
    }
}

/// Which scored pairs a scan keeps for output (`--pairs`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum PairsScope {
    /// None (clustering needs only the accepted pairs' ends).
    #[default]
    None,
    /// Accepted pairs with their scores.
    Accepted,
    /// Every verified candidate, accepted or not (for tuning thresholds).
    Candidates,
}

/// Everything the scan stages need, validated.
#[derive(Debug, Clone, PartialEq)]
pub struct ScanConfig {
    pub ngram: usize,
    pub num_perm: usize,
    pub threshold: f64,
    pub banding: Banding,
    /// Were bands × rows given explicitly?
    pub banding_explicit: bool,
    pub containment: f64,
    pub coverage: f64,
    pub min_passage: u32,
    pub sample_rate: u32,
    pub sample_min: u32,
    pub bucket_cap: usize,
    pub seed: u64,
    pub boilerplate: BoilerplateParams,
    pub canonical: CanonicalPolicy,
    pub keep_pairs: PairsScope,
}

/// A parameter that failed validation: the flag and what is wrong with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    pub flag: &'static str,
    pub message: String,
}

impl std::fmt::Display for ConfigError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "invalid value for {}: {}", self.flag, self.message)
    }
}

impl std::error::Error for ConfigError {}

/// What the user asked for; `None` means the default.
#[derive(Debug, Clone, Default)]
pub struct ScanRequest {
    pub ngram: Option<usize>,
    pub num_perm: Option<usize>,
    pub threshold: Option<f64>,
    pub bands: Option<usize>,
    pub rows: Option<usize>,
    pub containment: Option<f64>,
    pub coverage: Option<f64>,
    pub min_passage: Option<u32>,
    pub sample_rate: Option<u32>,
    pub sample_min: Option<u32>,
    pub bucket_cap: Option<usize>,
    pub seed: Option<u64>,
    pub no_boilerplate: bool,
}

fn unit(flag: &'static str, v: f64) -> Result<f64, ConfigError> {
    if v.is_finite() && v > 0.0 && v <= 1.0 {
        Ok(v)
    } else {
        Err(ConfigError {
            flag,
            message: format!("{v} is not in (0, 1]"),
        })
    }
}

fn at_least<T: PartialOrd + std::fmt::Display + Copy>(
    flag: &'static str,
    v: T,
    min: T,
) -> Result<T, ConfigError> {
    if v >= min {
        Ok(v)
    } else {
        Err(ConfigError {
            flag,
            message: format!("{v} is below the minimum {min}"),
        })
    }
}

impl ScanRequest {
    /// Validate and derive.
    pub fn resolve(&self) -> Result<ScanConfig, ConfigError> {
        let ngram = self.ngram.unwrap_or(defaults::NGRAM);
        if !(1..=MAX_NGRAM).contains(&ngram) {
            return Err(ConfigError {
                flag: "--ngram",
                message: format!("{ngram} is not in 1..={MAX_NGRAM}"),
            });
        }
        let num_perm = at_least("--num-perm", self.num_perm.unwrap_or(defaults::NUM_PERM), 1)?;
        if num_perm > 1024 {
            return Err(ConfigError {
                flag: "--num-perm",
                message: format!("{num_perm} is above the maximum 1024"),
            });
        }
        let threshold = unit("--threshold", self.threshold.unwrap_or(defaults::THRESHOLD))?;
        let (banding, banding_explicit) = match (self.bands, self.rows) {
            (None, None) => (optimal_bands(threshold, num_perm), false),
            (Some(b), Some(r)) => {
                let b = at_least("--bands", b, 1)?;
                let r = at_least("--rows", r, 1)?;
                if r > 64 {
                    return Err(ConfigError {
                        flag: "--rows",
                        message: format!("{r} is above the maximum 64"),
                    });
                }
                if b * r > num_perm {
                    return Err(ConfigError {
                        flag: "--bands",
                        message: format!(
                            "{b} bands × {r} rows = {} exceeds --num-perm {num_perm}",
                            b * r
                        ),
                    });
                }
                (Banding { bands: b, rows: r }, true)
            }
            (Some(_), None) => {
                return Err(ConfigError {
                    flag: "--bands",
                    message: "needs --rows too".into(),
                });
            }
            (None, Some(_)) => {
                return Err(ConfigError {
                    flag: "--rows",
                    message: "needs --bands too".into(),
                });
            }
        };
        Ok(ScanConfig {
            ngram,
            num_perm,
            threshold,
            banding,
            banding_explicit,
            containment: unit(
                "--containment",
                self.containment.unwrap_or(defaults::CONTAINMENT),
            )?,
            coverage: unit("--coverage", self.coverage.unwrap_or(defaults::COVERAGE))?,
            min_passage: at_least(
                "--min-passage",
                self.min_passage.unwrap_or(defaults::MIN_PASSAGE),
                1,
            )?,
            sample_rate: at_least(
                "--sample-rate",
                self.sample_rate.unwrap_or(defaults::SAMPLE_RATE),
                1,
            )?,
            sample_min: at_least(
                "--sample-min",
                self.sample_min.unwrap_or(defaults::SAMPLE_MIN),
                1,
            )?,
            bucket_cap: at_least(
                "--bucket-cap",
                self.bucket_cap.unwrap_or(defaults::BUCKET_CAP),
                2,
            )?,
            seed: self.seed.unwrap_or(defaults::SEED),
            boilerplate: BoilerplateParams {
                enabled: !self.no_boilerplate,
                ..Default::default()
            },
            canonical: CanonicalPolicy::Auto,
            keep_pairs: PairsScope::None,
        })
    }
}

impl ScanConfig {
    /// Share of the smaller document's samples a containment candidate must share: 0.6 ×
    /// the lower of the containment and coverage thresholds (0.3 by default), which leaves
    /// room for copies whose containment is low because OCR noise broke many shingles but
    /// whose coverage is high. Measured on the 100k benchmark corpus: half the candidates of
    /// a 0.2 ratio for 0.002 less cluster-pair recall.
    pub fn candidate_ratio(&self) -> f64 {
        0.6 * self.containment.min(self.coverage)
    }

    pub fn verify_params(&self) -> VerifyParams {
        VerifyParams {
            jaccard: self.threshold,
            containment: self.containment,
            coverage: self.coverage,
            min_passage: self.min_passage,
            ngram: self.ngram,
        }
    }
}

impl Default for ScanConfig {
    fn default() -> Self {
        ScanRequest::default()
            .resolve()
            .expect("defaults are valid")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn threshold_out_of_range_names_the_flag() {
        let e = ScanRequest {
            threshold: Some(1.5),
            ..Default::default()
        }
        .resolve()
        .unwrap_err();
        assert_eq!(e.flag, "--threshold");
    }

    #[test]
    fn explicit_banding_must_fit_the_signature() {
        let e = ScanRequest {
            bands: Some(40),
            rows: Some(4),
            ..Default::default()
        }
        .resolve()
        .unwrap_err();
        assert_eq!(e.flag, "--bands");
        let c = ScanRequest {
            num_perm: Some(128),
            bands: Some(32),
            rows: Some(4),
            ..Default::default()
        }
        .resolve()
        .unwrap();
        assert_eq!(c.banding, Banding { bands: 32, rows: 4 });
    }

    #[test]
    fn banding_is_derived_from_the_threshold() {
        let c = ScanConfig::default();
        assert!(!c.banding_explicit);
        assert!(c.banding.bands * c.banding.rows <= c.num_perm);
    }
}
