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
    pub fn bar(&self, stage: &'static str, len: u64) -> StageBar {
        if !self.enabled {
            return StageBar(None);
        }
        let bar = ProgressBar::with_draw_target(Some(len), ProgressDrawTarget::stderr());
        bar.set_style(
            ProgressStyle::with_template("{prefix:>10} [{bar:40}] {pos}/{len} ({eta})")
                .expect("valid template")
                .progress_chars("=> "),
        );
        bar.set_prefix(stage);
        StageBar(Some(bar))
    }
}

/// The bar of one stage, or nothing when bars are off. A hidden indicatif bar still does
/// an atomic add on a counter every thread shares, and reads the clock, on every step: at
/// a step per candidate pair that is a cache line passed between the cores half a million
/// times per 100k documents. Without a bar a step costs nothing.
pub struct StageBar(Option<ProgressBar>);

impl StageBar {
    /// `n` more steps done.
    #[inline]
    pub fn inc(&self, n: u64) {
        if let Some(bar) = &self.0 {
            bar.inc(n);
        }
    }

    /// The stage is over: take the bar off the screen.
    pub fn finish_and_clear(&self) {
        if let Some(bar) = &self.0 {
            bar.finish_and_clear();
        }
    }
}
