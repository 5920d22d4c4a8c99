//! Pacing for REALTIME (and capped BATCH) runs: each batch has a due time
//! computed from its first row, `t0 + (row - row0) / rate`. The anchor
//! (t0, row0) moves on resume, on a rate change, and when the run falls more
//! than a second behind, so output stays smooth and never bursts to catch up.

use parking_lot::Mutex;
use std::time::{Duration, Instant};

/// A due time further out than any run waits (stands in for an overflow).
const FAR: Duration = Duration::from_secs(365 * 24 * 3600);

/// How far behind schedule a run may fall before the schedule is re-anchored.
const MAX_LAG: Duration = Duration::from_secs(1);
/// Batches per second a paced run aims for: small batches, smooth output.
const BATCHES_PER_SEC: f64 = 100.0;

#[derive(Debug, Clone, Copy)]
struct Anchor {
    t0: Instant,
    row0: u64,
    rate: Option<f64>,
}

/// The schedule of a paced run.
#[derive(Debug)]
pub(crate) struct Pacer {
    anchor: Mutex<Anchor>,
}

impl Pacer {
    pub fn new(rate: Option<f64>, row0: u64) -> Self {
        Self { anchor: Mutex::new(Anchor { t0: Instant::now(), row0, rate }) }
    }

    /// Starts the schedule again from `row` now (start, resume, retune).
    pub fn reanchor(&self, row: u64, rate: Option<f64>) {
        *self.anchor.lock() = Anchor { t0: Instant::now(), row0: row, rate };
    }

    pub fn rate(&self) -> Option<f64> {
        self.anchor.lock().rate
    }

    /// When the batch starting at `row` is due, or None when unpaced.
    pub fn due(&self, row: u64) -> Option<Instant> {
        let mut a = self.anchor.lock();
        let rate = a.rate?;
        // A due time past what a Duration or an Instant holds (a rate near 0)
        // is as good as never: a year from the anchor.
        let offset = Duration::try_from_secs_f64(row.saturating_sub(a.row0) as f64 / rate).unwrap_or(FAR);
        let due = a.t0.checked_add(offset).or_else(|| a.t0.checked_add(FAR)).unwrap_or(a.t0);
        let now = Instant::now();
        if now > due + MAX_LAG {
            *a = Anchor { t0: now, row0: row, rate: a.rate };
            return Some(now);
        }
        Some(due)
    }

    /// Rows per batch for a paced run: about 10 ms of rows, within `max`.
    pub fn batch_size(rate: Option<f64>, max: usize) -> usize {
        match rate {
            None => max,
            Some(r) => ((r / BATCHES_PER_SEC).ceil() as usize).clamp(1, max),
        }
    }
}
