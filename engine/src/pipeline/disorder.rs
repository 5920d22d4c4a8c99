//! Emission order under `disorder:` and `duplicate_ratio:`. Every row r
//! has an emission position k(r): r itself, or r + its delay in rows for a
//! late row; a duplicated row has a second one. The run claims ranges of
//! positions instead of rows, and a batch holds the rows whose positions
//! fall in its range, by position — so the stream, its batches and a resume
//! from a checkpoint (a position) are the same on every run, whatever the
//! worker count, and no row is lost or emitted more often than it should.
//!
//! A worker scans rows once, in order, keeping the displaced ones (late
//! rows and copies) whose position is still ahead: O(workers) hash draws a
//! row, and memory for the late rows of one window.

use crate::rng::{StreamKey, unit_f64};
use crate::spec::disorder::Disorder;
use std::collections::BTreeSet;

/// The emission rules of a run.
#[derive(Debug, Clone)]
pub(crate) struct Emission {
    late_ratio: f64,
    dup_ratio: f64,
    disorder: Option<Disorder>,
    /// Rows per second the delays convert at.
    per_sec: f64,
    /// The most a row is late, in rows.
    max_rows: u64,
    late: StreamKey,
    delay: StreamKey,
    dup: StreamKey,
    dup_delay: StreamKey,
}

/// Where row r is emitted: its position, and its copy's if it is duplicated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Place {
    at: u64,
    copy: Option<u64>,
}

impl Emission {
    /// The rules of a plan, or None when rows go out in order.
    pub fn new(
        disorder: Option<&Disorder>,
        duplicate_ratio: Option<f64>,
        nominal_rate: Option<f64>,
        seed: u64,
    ) -> Option<Self> {
        let dup_ratio = duplicate_ratio.unwrap_or(0.0);
        let late_ratio = disorder.map_or(0.0, |d| d.late_ratio);
        if late_ratio <= 0.0 && dup_ratio <= 0.0 {
            return None;
        }
        let per_sec = disorder.and_then(|d| d.rate).or(nominal_rate).unwrap_or(0.0);
        let max_rows = disorder.map_or(0, |d| (d.max.as_secs_f64() * per_sec).ceil() as u64);
        let key = |name: &str| StreamKey::for_field(seed, name);
        Some(Self {
            late_ratio,
            dup_ratio,
            disorder: disorder.cloned(),
            per_sec,
            max_rows,
            late: key("disorder:late"),
            delay: key("disorder:delay"),
            dup: key("disorder:duplicate"),
            dup_delay: key("disorder:duplicate-delay"),
        })
    }

    /// How far behind its position a row may be emitted (late rows and copies).
    pub fn window(&self) -> u64 {
        crate::spec::disorder::window_rows(self.disorder.as_ref(), Some(self.per_sec)).max(2 * self.max_rows + 1)
    }

    /// A delay of row r in rows (at least 1), drawn from `key`.
    fn delay_rows(&self, key: StreamKey, r: u64) -> u64 {
        let Some(d) = &self.disorder else { return 1 };
        let secs = d.delay.seconds(unit_f64(key.at(r)));
        (crate::rng::round(secs * self.per_sec) as u64).clamp(1, self.max_rows.max(1))
    }

    fn place(&self, r: u64) -> Place {
        let late = self.late_ratio > 0.0 && unit_f64(self.late.at(r)) < self.late_ratio;
        let at = if late { r.saturating_add(self.delay_rows(self.delay, r)) } else { r };
        let dup = self.dup_ratio > 0.0 && unit_f64(self.dup.at(r)) < self.dup_ratio;
        let copy = dup
            .then(|| if self.disorder.is_some() { at.saturating_add(self.delay_rows(self.dup_delay, r)) } else { at });
        Place { at, copy }
    }
}

/// A worker's view of the displaced rows ahead of it.
#[derive(Debug, Default)]
pub(crate) struct Reorder {
    /// Rows below this have been scanned.
    scanned_to: u64,
    /// Displaced rows not yet emitted: (position, row, copy).
    pending: BTreeSet<(u64, u64, u8)>,
}

/// The rows of one range of positions, in emission order.
#[derive(Debug, Default)]
pub(crate) struct Emitted {
    pub rows: Vec<u64>,
    /// Of them, rows emitted after their place.
    pub late: u64,
    /// Of them, second copies.
    pub duplicated: u64,
}

impl Reorder {
    /// The rows emitted at positions `[a, b)`; rows at or past `limit` are
    /// never made (a RECORD_COUNT run).
    pub fn range(&mut self, e: &Emission, a: u64, b: u64, limit: Option<u64>) -> Emitted {
        let lo = a.saturating_sub(e.window());
        if self.scanned_to < lo || self.scanned_to > b {
            // Far ahead of this worker's last range (a resume, another
            // worker's many batches), or behind it (a retry): scan afresh.
            self.scanned_to = lo;
            self.pending.clear();
        }
        let end = limit.map_or(b, |l| l.min(b));
        for r in self.scanned_to..end {
            let p = e.place(r);
            if p.at != r {
                self.pending.insert((p.at, r, 0));
            }
            if let Some(c) = p.copy {
                self.pending.insert((c, r, 1));
            }
        }
        self.scanned_to = self.scanned_to.max(end);
        // What other workers emitted (positions before this range) is theirs.
        self.pending = self.pending.split_off(&(a, 0, 0));
        let mut out: Vec<(u64, u64, u8)> = self.pending.range((a, 0, 0)..(b, 0, 0)).copied().collect();
        let mut emitted = Emitted::default();
        for &(at, r, copy) in &out {
            if copy == 1 {
                emitted.duplicated += 1;
            } else if at != r {
                emitted.late += 1;
            }
        }
        for r in a..end {
            if e.place(r).at == r {
                out.push((r, r, 0));
            }
        }
        out.sort_unstable();
        emitted.rows = out.into_iter().map(|(_, r, _)| r).collect();
        emitted
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::disorder::Delay;
    use std::time::Duration;

    fn emission(late: f64, dup: f64) -> Emission {
        let d = Disorder {
            late_ratio: late,
            delay: Delay::Exponential { mean: Duration::from_millis(20) },
            max: Duration::from_millis(100),
            rate: Some(10_000.0),
        };
        Emission::new(Some(&d), Some(dup), None, 5).expect("rules")
    }

    /// Every row once (twice when duplicated), each within its window, whatever the ranges.
    #[test]
    fn ranges_emit_every_row_once_within_the_window() {
        let e = emission(0.1, 0.01);
        let total = 50_000u64;
        let end = total + e.window();
        let mut seen = std::collections::HashMap::<u64, u32>::new();
        let mut late = 0;
        let mut dups = 0;
        let (mut order, mut a) = (Vec::new(), 0u64);
        let mut r = Reorder::default();
        let mut size = 1u64;
        while a < end {
            let b = (a + size).min(end);
            let out = r.range(&e, a, b, Some(total));
            late += out.late;
            dups += out.duplicated;
            for row in &out.rows {
                *seen.entry(*row).or_default() += 1;
                // Emitted in the range of its place (or its copy's), at most `max` late.
                let p = e.place(*row);
                let here = |k: u64| (a..b).contains(&k);
                assert!(here(p.at) || p.copy.is_some_and(here), "row {row} in [{a}, {b})");
                assert!(p.at - row <= e.max_rows && p.copy.is_none_or(|c| c - row <= 2 * e.max_rows));
            }
            order.extend(out.rows);
            a = b;
            size = size % 977 + 13;
        }
        assert_eq!(seen.len() as u64, total, "every row emitted");
        assert_eq!(seen.values().filter(|n| **n == 2).count() as u64, dups);
        assert!(seen.values().all(|n| *n <= 2));
        assert!((4000..6000).contains(&late), "{late} late of 50 000 at 10 %");
        assert!((300..700).contains(&dups), "{dups}");
        // The same ranges from another worker layout: the same stream.
        let mut again = Vec::new();
        let mut r2 = Reorder::default();
        let mut a = 0;
        while a < end {
            let b = (a + 500).min(end);
            again.extend(r2.range(&e, a, b, Some(total)).rows);
            a = b;
        }
        assert_eq!(again, order);
    }

    #[test]
    fn nothing_moves_without_rules() {
        assert!(Emission::new(None, None, Some(100.0), 1).is_none());
        let e = emission(0.0, 0.5);
        let mut r = Reorder::default();
        let out = r.range(&e, 0, 1000, None);
        // Half the rows come twice (with a disorder, the copy a delay after its original).
        assert!(out.duplicated > 300, "{}", out.duplicated);
    }
}
