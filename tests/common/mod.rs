//! Helpers shared by the tests that run the `wirecopy` binary.
//!
//! The tests drive the real executable (`CARGO_BIN_EXE_wirecopy`) rather than the library so
//! that flag parsing, exit codes, stderr warnings and every output format are exercised the
//! way a user meets them. Captured stderr is a pipe, never a terminal, so no progress bar may
//! appear in it.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// The checked-in fixtures: `corpus-samples/` at the crate root.
pub fn samples_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus-samples")
}

/// A `wirecopy` command with stdin closed (tests that read stdin pipe their own).
pub fn wirecopy() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_wirecopy"));
    command.stdin(Stdio::null());
    command
}

/// What a finished run left behind.
pub struct Outcome {
    /// The exit code; a run killed by a signal has none and fails the test.
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

/// Run `command` to completion and capture its output.
pub fn run(command: &mut Command) -> Outcome {
    let output = command
        .output()
        .unwrap_or_else(|e| panic!("cannot start {command:?}: {e}"));
    Outcome {
        code: output
            .status
            .code()
            .unwrap_or_else(|| panic!("{command:?} was killed: {}", output.status)),
        stdout: String::from_utf8(output.stdout).expect("stdout is UTF-8"),
        stderr: String::from_utf8(output.stderr).expect("stderr is UTF-8"),
    }
}

/// Parse a `--format json` report.
pub fn parse_json(report: &str) -> serde_json::Value {
    serde_json::from_str(report).unwrap_or_else(|e| panic!("report is not JSON ({e}):\n{report}"))
}
