//! A progress bar on stderr for work that takes more than about a second (big payloads, many
//! packages to verify), and only when stderr is a terminal and `--quiet` is not given: a pipe
//! or a log file gets nothing.

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::IsTerminal;
use std::sync::Mutex;
use std::time::Duration;

/// Work shorter than this shows no bar at all.
const SHOW_AFTER: Duration = Duration::from_secs(1);

/// The bar of the work under way; `step` advances it from any thread.
static CURRENT: Mutex<Option<ProgressBar>> = Mutex::new(None);

/// The bar of one piece of work: cleared from the terminal when dropped.
pub struct Bar {
    bar: Option<ProgressBar>,
}

impl Bar {
    /// A bar over `total` steps, drawn from `SHOW_AFTER` on if the work is not done by then.
    pub fn start(what: &'static str, total: usize) -> Bar {
        if super::terminal::quiet() || !std::io::stderr().is_terminal() {
            return Bar { bar: None };
        }
        let bar = ProgressBar::with_draw_target(Some(total as u64), ProgressDrawTarget::hidden());
        if let Ok(style) = ProgressStyle::with_template("{msg} [{bar:30}] {pos}/{len} {elapsed}") {
            bar.set_style(style.progress_chars("=> "));
        }
        bar.set_message(what);
        *CURRENT.lock().unwrap_or_else(|e| e.into_inner()) = Some(bar.clone());
        let shown = bar.clone();
        std::thread::spawn(move || {
            std::thread::sleep(SHOW_AFTER);
            if !shown.is_finished() {
                shown.set_draw_target(ProgressDrawTarget::stderr());
                shown.enable_steady_tick(Duration::from_millis(200));
            }
        });
        Bar { bar: Some(bar) }
    }
}

impl Drop for Bar {
    fn drop(&mut self) {
        if let Some(bar) = self.bar.take() {
            bar.finish_and_clear();
            *CURRENT.lock().unwrap_or_else(|e| e.into_inner()) = None;
        }
    }
}

/// One step of the current work done.
pub fn step() {
    if let Some(bar) = CURRENT.lock().unwrap_or_else(|e| e.into_inner()).as_ref() {
        bar.inc(1);
    }
}
