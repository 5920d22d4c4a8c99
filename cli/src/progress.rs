//! Progress on stderr while a run goes (only when stderr is a terminal), and
//! the one-line summary at the end.

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use sdg_engine::{MetricsSnapshot, Run};
use std::io::IsTerminal;
use std::time::Duration;

/// Draws progress until the run finishes; returns the final snapshot.
pub fn follow(run: &Run, total: Option<u64>, quiet: bool) -> MetricsSnapshot {
    let visible = !quiet && std::io::stderr().is_terminal();
    let bar = match (visible, total) {
        (false, _) => ProgressBar::hidden(),
        (true, Some(n)) => ProgressBar::with_draw_target(Some(n), ProgressDrawTarget::stderr()).with_style(
            ProgressStyle::with_template(
                "{spinner} [{elapsed_precise}] {wide_bar} {percent:>3}% {human_pos}/{human_len} rows  {msg}",
            )
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
        ),
        (true, None) => ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr()).with_style(
            ProgressStyle::with_template("{spinner} [{elapsed_precise}] {human_pos} rows  {msg}")
                .unwrap_or_else(|_| ProgressStyle::default_spinner()),
        ),
    };
    let mut told_paused = false;
    while !run.wait_timeout(Duration::from_millis(100)) {
        let m = run.metrics();
        if m.status == sdg_engine::Status::Paused && !told_paused {
            told_paused = true;
            bar.suspend(|| {
                eprintln!(
                    "paused after a destination error (on_error: PAUSE): {}\nCtrl-C stops the run; rows not delivered are reported as failed",
                    m.last_error.as_deref().unwrap_or("unknown error")
                )
            });
        }
        bar.set_position(m.rows_delivered);
        bar.set_message(format!(
            "{}/s  {}/s  queue {}  {}",
            si(m.rows_per_sec),
            bytes(m.bytes as f64 / (m.elapsed_ms.max(1) as f64 / 1000.0)),
            m.queue_depth,
            m.status.as_str()
        ));
    }
    run.wait();
    bar.finish_and_clear();
    run.metrics()
}

/// `1.23 M` style numbers.
pub fn si(v: f64) -> String {
    match v {
        v if v >= 1e9 => format!("{:.2} G", v / 1e9),
        v if v >= 1e6 => format!("{:.2} M", v / 1e6),
        v if v >= 1e3 => format!("{:.1} k", v / 1e3),
        v => format!("{v:.0} "),
    }
}

/// `12.3 MB` style sizes (decimal units).
pub fn bytes(v: f64) -> String {
    match v {
        v if v >= 1e9 => format!("{:.2} GB", v / 1e9),
        v if v >= 1e6 => format!("{:.1} MB", v / 1e6),
        v if v >= 1e3 => format!("{:.1} kB", v / 1e3),
        v => format!("{v:.0} B"),
    }
}
