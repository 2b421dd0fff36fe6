//! wirecopy: find syndicated copies in news corpora.
//!
//! The pipeline, one module per stage:
//! `input` → `normalize` → `boilerplate` → `features` (shingles, `sketch`) → `lsh` and
//! `candidates` → `verify` → `cluster` → `report`. `scan` runs them in order; `config` holds
//! the validated parameters; the binary (`src/main.rs`, `cli`) is a thin shell over them.

pub mod align;
pub mod boilerplate;
pub mod candidates;
pub mod check;
pub mod cli;
pub mod cluster;
pub mod config;
pub mod dedup;
pub mod features;
pub mod index;
pub mod input;
pub mod lsh;
pub mod normalize;
pub mod progress;
pub mod report;
pub mod rows;
pub mod scan;
pub mod sketch;
pub mod synth;
pub mod verify;
