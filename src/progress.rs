//! Progress bars on stderr for the long stages — only when stderr is a terminal and the
//! user did not ask for `--quiet`; otherwise every bar is hidden and costs nothing.

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::IsTerminal;

/// Hands out one bar per stage.
#[derive(Debug, Clone, Copy)]
pub struct Progress {
    enabled: bool,
}

impl Progress {
    /// Bars on when stderr is a terminal and not `quiet`.
    pub fn auto(quiet: bool) -> Self {
        Progress {
            enabled: !quiet && std::io::stderr().is_terminal(),
        }
    }

    /// No bars (library use, tests).
    pub fn hidden() -> Self {
        Progress { enabled: false }
    }

    /// A bar for a stage of `len` steps.
    pub fn bar(&self, stage: &'static str, len: u64) -> ProgressBar {
        if !self.enabled {
            return ProgressBar::hidden();
        }
        let bar = ProgressBar::with_draw_target(Some(len), ProgressDrawTarget::stderr());
        bar.set_style(
            ProgressStyle::with_template("{prefix:>10} [{bar:40}] {pos}/{len} ({eta})")
                .expect("valid template")
                .progress_chars("=> "),
        );
        bar.set_prefix(stage);
        bar
    }
}
