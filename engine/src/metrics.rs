//! Live metrics: counted per batch with atomics, latency histograms per
//! worker (merged on read), and a cheap snapshot at any time.

use crate::pipeline::Status;
use hdrhistogram::Histogram;
use parking_lot::Mutex;
use serde::{Deserialize, Serialize};
use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::time::{Duration, Instant};

/// Window over which `rows_per_sec` is measured.
const RATE_WINDOW: Duration = Duration::from_secs(1);
/// Minimum spacing of rate samples.
const SAMPLE_EVERY: Duration = Duration::from_millis(50);

/// Latency percentiles in microseconds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Latency {
    /// Median.
    pub p50: u64,
    /// 90th percentile.
    pub p90: u64,
    /// 99th percentile.
    pub p99: u64,
    /// Largest seen.
    pub max: u64,
}

/// A point-in-time view of a run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MetricsSnapshot {
    /// Lifecycle status.
    pub status: Status,
    /// Rows built by the workers.
    pub rows_generated: u64,
    /// Rows the destination acknowledged.
    pub rows_delivered: u64,
    /// Rows that could not be delivered (on_error CONTINUE, or lost to a stop while failing).
    pub rows_failed: u64,
    /// Rows emitted after later rows (`disorder:`).
    #[serde(default)]
    pub rows_late: u64,
    /// Second copies emitted (`duplicate_ratio:`); counted in rows_generated too.
    #[serde(default)]
    pub rows_duplicated: u64,
    /// Encoded bytes delivered.
    pub bytes: u64,
    /// Destination errors seen (including retried ones).
    pub errors: u64,
    /// Delivered rows per second over the last second.
    pub rows_per_sec: f64,
    /// The rate the run is paced at now (a profile's current rate); None when unpaced.
    #[serde(default)]
    pub target_rows_per_sec: Option<f64>,
    /// Delivered rows per second of running time since start.
    pub avg_rows_per_sec: f64,
    /// Batches generated but not yet delivered: how much backpressure there is.
    pub queue_depth: u64,
    /// Time to build one batch.
    pub gen_latency_us: Latency,
    /// Time for the sink to take one batch.
    pub sink_latency_us: Latency,
    /// Time since start, pauses included.
    pub elapsed_ms: u64,
    /// The last destination or generation error.
    pub last_error: Option<String>,
    /// The shard the run makes (`3/16`), when it is one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shard: Option<String>,
}

impl MetricsSnapshot {
    /// The snapshot of a generator that has not run: every counter zero.
    pub fn idle(status: Status) -> Self {
        Self {
            status,
            rows_generated: 0,
            rows_delivered: 0,
            rows_failed: 0,
            rows_late: 0,
            rows_duplicated: 0,
            bytes: 0,
            errors: 0,
            rows_per_sec: 0.0,
            target_rows_per_sec: None,
            avg_rows_per_sec: 0.0,
            queue_depth: 0,
            gen_latency_us: Latency::default(),
            sink_latency_us: Latency::default(),
            elapsed_ms: 0,
            last_error: None,
            shard: None,
        }
    }
}

#[derive(Debug, Default)]
struct Timing {
    started: Option<Instant>,
    ended: Option<Instant>,
    paused_since: Option<Instant>,
    paused_total: Duration,
}

/// Counters shared by the workers and the sink stage.
#[derive(Debug)]
pub struct Metrics {
    pub(crate) rows_generated: AtomicU64,
    pub(crate) rows_delivered: AtomicU64,
    pub(crate) rows_failed: AtomicU64,
    pub(crate) rows_late: AtomicU64,
    pub(crate) rows_duplicated: AtomicU64,
    pub(crate) bytes: AtomicU64,
    pub(crate) errors: AtomicU64,
    pub(crate) queue_depth: AtomicU64,
    gen_latency: Vec<Mutex<Histogram<u64>>>,
    sink_latency: Mutex<Histogram<u64>>,
    timing: Mutex<Timing>,
    samples: Mutex<VecDeque<(Instant, u64)>>,
    last_error: Mutex<Option<String>>,
    /// Percentiles of the last snapshot and when they were computed: merging
    /// and walking the histograms costs tens of µs, so snapshots within
    /// `LATENCY_REFRESH` of each other share them (counters are always live).
    latencies: Mutex<Option<(Instant, Latency, Latency)>>,
}

/// How long computed latency percentiles are reused by later snapshots.
const LATENCY_REFRESH: Duration = Duration::from_millis(100);

fn histogram() -> Histogram<u64> {
    // 1 µs .. 1 h at 2 significant digits: constant, valid bounds.
    Histogram::new_with_bounds(1, 3_600_000_000, 2).expect("constant histogram bounds are valid")
}

impl Metrics {
    /// Counters for a run with `workers` generating threads.
    pub fn new(workers: usize) -> Self {
        Self {
            rows_generated: AtomicU64::new(0),
            rows_delivered: AtomicU64::new(0),
            rows_failed: AtomicU64::new(0),
            rows_late: AtomicU64::new(0),
            rows_duplicated: AtomicU64::new(0),
            bytes: AtomicU64::new(0),
            errors: AtomicU64::new(0),
            queue_depth: AtomicU64::new(0),
            gen_latency: (0..workers.max(1)).map(|_| Mutex::new(histogram())).collect(),
            sink_latency: Mutex::new(histogram()),
            timing: Mutex::new(Timing::default()),
            samples: Mutex::new(VecDeque::new()),
            last_error: Mutex::new(None),
            latencies: Mutex::new(None),
        }
    }

    pub(crate) fn record_generated(&self, worker: usize, rows: u64, took: Duration) {
        self.rows_generated.fetch_add(rows, Relaxed);
        if let Some(h) = self.gen_latency.get(worker) {
            h.lock().saturating_record(took.as_micros() as u64);
        }
    }

    pub(crate) fn record_delivered(&self, rows: u64, bytes: u64, failed: u64) {
        let total = self.rows_delivered.fetch_add(rows, Relaxed) + rows;
        self.bytes.fetch_add(bytes, Relaxed);
        if failed > 0 {
            self.rows_failed.fetch_add(failed, Relaxed);
            self.errors.fetch_add(1, Relaxed);
        }
        let now = Instant::now();
        let mut s = self.samples.lock();
        if s.back().is_none_or(|(t, _)| now.duration_since(*t) >= SAMPLE_EVERY) {
            s.push_back((now, total));
            while s.front().is_some_and(|(t, _)| now.duration_since(*t) > RATE_WINDOW * 2) {
                s.pop_front();
            }
        }
    }

    pub(crate) fn record_sink_latency(&self, took: Duration) {
        self.sink_latency.lock().saturating_record(took.as_micros() as u64);
    }

    pub(crate) fn record_error(&self, message: String) {
        self.errors.fetch_add(1, Relaxed);
        *self.last_error.lock() = Some(message);
    }

    pub(crate) fn set_last_error(&self, message: String) {
        *self.last_error.lock() = Some(message);
    }

    pub(crate) fn mark_started(&self) {
        let now = Instant::now();
        self.timing.lock().started = Some(now);
        self.samples.lock().push_back((now, 0));
    }

    pub(crate) fn mark_paused(&self, paused: bool) {
        let mut t = self.timing.lock();
        let now = Instant::now();
        match (paused, t.paused_since) {
            (true, None) => t.paused_since = Some(now),
            (false, Some(since)) => {
                t.paused_total += now.duration_since(since);
                t.paused_since = None;
            }
            _ => {}
        }
    }

    pub(crate) fn mark_ended(&self) {
        let mut t = self.timing.lock();
        if t.ended.is_none() {
            t.ended = Some(Instant::now());
        }
    }

    /// Running time since start, pauses excluded.
    pub fn active_elapsed(&self) -> Duration {
        let t = self.timing.lock();
        let Some(started) = t.started else { return Duration::ZERO };
        let end = t.ended.or(t.paused_since).unwrap_or_else(Instant::now);
        end.saturating_duration_since(started).saturating_sub(t.paused_total)
    }

    /// A consistent-enough view of every counter.
    pub fn snapshot(&self, status: Status) -> MetricsSnapshot {
        let now = Instant::now();
        // Generated first: both only grow, so the pair never shows more rows
        // in flight than there were.
        let generated = self.rows_generated.load(std::sync::atomic::Ordering::SeqCst);
        let delivered = self.rows_delivered.load(std::sync::atomic::Ordering::SeqCst);
        let (elapsed, ended) = {
            let t = self.timing.lock();
            let end = t.ended.unwrap_or(now);
            (t.started.map(|s| end.saturating_duration_since(s)).unwrap_or_default(), t.ended.is_some())
        };
        let active = self.active_elapsed().as_secs_f64();
        let rows_per_sec = if ended || status != Status::Running {
            0.0
        } else {
            let s = self.samples.lock();
            match s.iter().find(|(t, _)| now.duration_since(*t) <= RATE_WINDOW) {
                Some((t, rows)) => {
                    let dt = now.duration_since(*t).as_secs_f64().max(RATE_WINDOW.as_secs_f64() / 2.0);
                    delivered.saturating_sub(*rows) as f64 / dt
                }
                None => 0.0,
            }
        };
        let (gen_latency_us, sink_latency_us) = {
            let mut cached = self.latencies.lock();
            match *cached {
                Some((at, g, k)) if !ended && now.duration_since(at) < LATENCY_REFRESH => (g, k),
                _ => {
                    let mut generation = histogram();
                    for h in &self.gen_latency {
                        let _ = generation.add(&*h.lock());
                    }
                    let fresh = (latency(&generation), latency(&self.sink_latency.lock()));
                    *cached = Some((now, fresh.0, fresh.1));
                    fresh
                }
            }
        };
        MetricsSnapshot {
            status,
            rows_generated: generated,
            rows_delivered: delivered,
            rows_failed: self.rows_failed.load(Relaxed),
            rows_late: self.rows_late.load(Relaxed),
            rows_duplicated: self.rows_duplicated.load(Relaxed),
            bytes: self.bytes.load(Relaxed),
            errors: self.errors.load(Relaxed),
            rows_per_sec,
            target_rows_per_sec: None,
            avg_rows_per_sec: if active > 0.0 { delivered as f64 / active } else { 0.0 },
            queue_depth: self.queue_depth.load(Relaxed),
            gen_latency_us,
            sink_latency_us,
            elapsed_ms: elapsed.as_millis() as u64,
            last_error: self.last_error.lock().clone(),
            shard: None,
        }
    }
}

fn latency(h: &Histogram<u64>) -> Latency {
    if h.is_empty() {
        return Latency::default();
    }
    Latency {
        p50: h.value_at_quantile(0.5),
        p90: h.value_at_quantile(0.9),
        p99: h.value_at_quantile(0.99),
        max: h.max(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_idle_snapshot_equals_that_of_fresh_counters() {
        assert_eq!(MetricsSnapshot::idle(Status::Created), Metrics::new(2).snapshot(Status::Created));
    }
}
