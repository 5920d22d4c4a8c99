//! Pacing for REALTIME (and capped BATCH) runs. The rate — constant or a
//! profile (`spec::rate`) — is a function of the profile clock τ, the run's
//! active time (pauses excluded) since the profile began. Row r is due when
//! the profile's integral reaches it: `τ(r) = time_of(rows0 + r − row0)`,
//! from an anchor (row0, rows0). The anchor moves on resume, on a rate
//! change (the new profile starts at 0), and when the run falls more than a
//! second behind, so output stays smooth and never bursts to catch up.
//! Poisson arrivals draw each batch's gap (a Gamma of its rows), keyed by
//! (seed, row): the mean holds, the spacing is not even.

use crate::rng::{RowRng, StreamKey};
use crate::spec::rate::Rate;
use parking_lot::Mutex;
use rand_distr::Distribution as _;
use std::time::Duration;

/// A wait longer than any run waits (stands in for an overflow).
const FAR: Duration = Duration::from_secs(365 * 24 * 3600);

/// How far behind schedule a run may fall before the schedule is re-anchored.
const MAX_LAG: f64 = 1.0;
/// Batches per second a paced run aims for: small batches, smooth output.
const BATCHES_PER_SEC: f64 = 100.0;

#[derive(Debug, Clone)]
struct Anchor {
    rate: Option<Rate>,
    /// The first row of the schedule, and the profile's rows before it.
    row0: u64,
    rows0: f64,
    /// Active seconds at which the profile's τ = 0.
    offset: f64,
    /// Poisson: the last (profile rows, τ) scheduled.
    last: (f64, f64),
}

impl Anchor {
    fn at(rate: Option<Rate>, row0: u64, rows0: f64, offset: f64) -> Self {
        let t = rate.as_ref().map_or(0.0, |r| r.time_of(rows0));
        Self { rate, row0, rows0, offset, last: (rows0, t) }
    }
}

/// The schedule of a paced run.
#[derive(Debug)]
pub(crate) struct Pacer {
    anchor: Mutex<Anchor>,
    key: StreamKey,
    /// A shard's round of the run's rows (`Interleave::period`): anchors fall
    /// on the start of a round, so shards started together keep the
    /// one-process schedule between them (each at its block's time in the
    /// round) instead of all releasing their blocks at once.
    round: Option<u64>,
}

impl Pacer {
    pub fn new(rate: Option<Rate>, row0: u64, seed: u64, round: Option<u64>) -> Self {
        let row0 = round.map_or(row0, |p| row0 / p * p);
        Self { anchor: Mutex::new(Anchor::at(rate, row0, 0.0, 0.0)), key: StreamKey::for_field(seed, "pacer"), round }
    }

    /// The first row of the round holding `row` (the row itself without rounds).
    fn aligned(&self, row: u64) -> u64 {
        self.round.map_or(row, |p| row / p * p)
    }

    /// Continues the schedule from `row` at active time `now` (start,
    /// resume): the profile's clock goes on where it was. A shard's
    /// schedule continues from the start of `row`'s round.
    pub fn reanchor(&self, row: u64, now: f64) {
        let row = self.aligned(row);
        let mut a = self.anchor.lock();
        let tau = now - a.offset;
        let rows0 = a.rate.as_ref().map_or(0.0, |r| r.rows_by(tau));
        *a = Anchor::at(a.rate.take(), row, rows0, a.offset);
    }

    /// A new rate from `row` on. It starts when the old schedule would have
    /// reached `row` (rows claimed before it keep their times, so a change
    /// never bursts), a profile at its τ = 0 then.
    pub fn set_rate(&self, row: u64, rate: Option<Rate>, now: f64) {
        let start = now + self.due(row, now).map_or(0.0, |d| d.as_secs_f64());
        *self.anchor.lock() = Anchor::at(rate, row, 0.0, start);
    }

    /// The rate in force at active time `now` (None when unpaced).
    pub fn rate_now(&self, now: f64) -> Option<f64> {
        let a = self.anchor.lock();
        a.rate.as_ref().map(|r| r.at(now - a.offset))
    }

    /// How long from active time `now` until the batch starting at `row` is
    /// due (zero when it is), or None when unpaced.
    pub fn due(&self, row: u64, now: f64) -> Option<Duration> {
        let mut a = self.anchor.lock();
        let rate = a.rate.clone()?;
        let tau = now - a.offset;
        let target = a.rows0 + row.saturating_sub(a.row0) as f64;
        let t = if rate.is_poisson() {
            let (last_rows, last_t) = a.last;
            let mean = rate.at(0.0);
            let t = if target > last_rows {
                let k = target - last_rows;
                let gap =
                    rand_distr::Gamma::new(k, 1.0).map_or(k, |g| g.sample(&mut RowRng::from_bits(self.key.at(row))));
                last_t + gap / mean
            } else {
                last_t - (last_rows - target) / mean
            };
            if target > last_rows {
                a.last = (target, t);
            }
            t
        } else {
            rate.time_of(target)
        };
        if tau > t + MAX_LAG {
            // Behind: `row` is due now (a shard: its round starts now, so its
            // block keeps its place in the round).
            let (rows0, offset) = (rate.rows_by(tau), a.offset);
            let row0 = self.aligned(row);
            *a = Anchor::at(Some(rate), row0, rows0, offset);
            let t = a.rate.as_ref().map_or(0.0, |r| r.time_of(rows0 + (row - row0) as f64));
            return Some(Duration::try_from_secs_f64((t - tau).max(0.0)).unwrap_or(FAR).min(FAR));
        }
        Some(Duration::try_from_secs_f64((t - tau).max(0.0)).unwrap_or(FAR).min(FAR))
    }

    /// Rows per batch for a paced run at `rate` rows/s: about 10 ms of rows, within `max`.
    pub fn batch_size(rate: Option<f64>, max: usize) -> usize {
        match rate {
            None => max,
            Some(r) => ((r / BATCHES_PER_SEC).ceil() as usize).clamp(1, max),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::rate::{Bursts, Profile};

    /// Rows due in each one-second window of `secs`, by stepping the schedule as a worker would.
    fn per_second(rate: Rate, secs: usize) -> Vec<u64> {
        let p = Pacer::new(Some(rate), 0, 7, None);
        let mut counts = vec![0u64; secs];
        let mut row = 0u64;
        let mut now = 0.0f64;
        while now < secs as f64 {
            let batch = Pacer::batch_size(p.rate_now(now), 8192) as u64;
            let wait = p.due(row, now).expect("paced").as_secs_f64();
            now += wait;
            if now >= secs as f64 {
                break;
            }
            counts[now as usize] += batch;
            row += batch;
        }
        counts
    }

    #[test]
    fn a_constant_rate_is_kept_every_second() {
        for c in per_second(Rate::Constant(5000.0), 10) {
            assert!((4900..=5100).contains(&c), "{c}");
        }
    }

    #[test]
    fn a_ramp_rises_as_it_says_and_then_holds() {
        let ramp = Rate::Profile(Profile::Ramp { from: 1000.0, to: 11_000.0, over: Duration::from_secs(10) });
        let c = per_second(ramp, 14);
        for (s, n) in c.iter().enumerate() {
            let want = if s < 10 { 1000.0 + 1000.0 * (s as f64 + 0.5) } else { 11_000.0 };
            assert!((*n as f64 - want).abs() <= 0.03 * want, "second {s}: {n}, want {want}");
        }
    }

    #[test]
    fn bursts_multiply_the_base_inside_their_windows() {
        let bursts = Rate::Profile(Profile::Bursts {
            base: 1000.0,
            bursts: Bursts { every: Duration::from_secs(5), duration: Duration::from_secs(1), factor: 10.0 },
        });
        let c = per_second(bursts, 10);
        for (s, n) in c.iter().enumerate() {
            let want = if s % 5 == 0 { 10_000.0 } else { 1000.0 };
            assert!((*n as f64 - want).abs() <= 0.03 * want, "second {s}: {n}, want {want}");
        }
    }

    #[test]
    fn poisson_gaps_are_uneven_and_their_mean_holds() {
        let p = Pacer::new(Some(Rate::Profile(Profile::Poisson { mean: 1000.0 })), 0, 3, None);
        let mut gaps = Vec::new();
        let mut now = 0.0;
        for row in (0..20_000u64).step_by(10) {
            let wait = p.due(row, now).expect("paced").as_secs_f64();
            gaps.push(wait);
            now += wait;
        }
        let mean = gaps.iter().sum::<f64>() / gaps.len() as f64;
        assert!((mean - 0.01).abs() < 0.0005, "10 rows at 1000/s: {mean}");
        let var = gaps.iter().map(|g| (g - mean).powi(2)).sum::<f64>() / gaps.len() as f64;
        // A Gamma(10) gap: sd = √10 / 1000 s.
        assert!((var.sqrt() - 10f64.sqrt() / 1000.0).abs() < 0.0006, "sd {}", var.sqrt());
    }

    #[test]
    fn a_rate_change_starts_where_the_old_schedule_was() {
        let p = Pacer::new(Some(Rate::Constant(100.0)), 0, 0, None);
        // Rows up to 50 are claimed (due up to 0.5 s); at 0.2 s the rate doubles.
        p.set_rate(50, Some(Rate::Constant(200.0)), 0.2);
        let first = p.due(50, 0.2).expect("paced").as_secs_f64();
        assert!((first - 0.3).abs() < 1e-9, "row 50 stays due at 0.5 s: {first}");
        let next = p.due(70, 0.2).expect("paced").as_secs_f64();
        assert!((next - 0.4).abs() < 1e-9, "then 200 rows/s: {next}");
    }

    #[test]
    fn a_run_that_falls_behind_is_reanchored_not_rushed() {
        let p = Pacer::new(Some(Rate::Constant(100.0)), 0, 0, None);
        assert_eq!(p.due(0, 0.0), Some(Duration::ZERO));
        // Five seconds late for row 100 (due at 1 s): due now, and the next batch 0.1 s later.
        assert_eq!(p.due(100, 6.0), Some(Duration::ZERO));
        let next = p.due(110, 6.0).expect("paced").as_secs_f64();
        assert!((next - 0.1).abs() < 1e-9, "{next}");
    }

    #[test]
    fn shards_keep_their_blocks_place_in_the_one_process_schedule() {
        // 4 shards of blocks of 100 rows at 1000 rows/s: a round is 400 rows, 0.4 s.
        let rate = Rate::Constant(1000.0);
        for shard in 0..4u64 {
            let first = shard * 100;
            let p = Pacer::new(Some(rate.clone()), first, 0, Some(400));
            p.reanchor(first, 0.0);
            let due = |row: u64| p.due(row, 0.0).map(|d| d.as_secs_f64()).unwrap_or(f64::NAN);
            // The shard's first block at its time in the round, its next one a round later.
            assert!((due(first) - first as f64 / 1000.0).abs() < 1e-9, "shard {shard}: {}", due(first));
            assert!((due(first + 400) - (first + 400) as f64 / 1000.0).abs() < 1e-9);
        }
        // Resumed in the middle of a block, the schedule goes on from its round.
        let p = Pacer::new(Some(rate), 0, 0, Some(400));
        p.reanchor(950, 5.0);
        let d = p.due(950, 5.0).map(|d| d.as_secs_f64()).unwrap_or(f64::NAN);
        assert!((d - 0.15).abs() < 1e-9, "{d}");
    }
}
