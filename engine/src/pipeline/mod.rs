//! The run-time pipeline: N worker threads build batches, a bounded credit
//! system keeps memory bounded, and one sink stage restores row order and
//! delivers batches to the [`Sink`].
//!
//! ```text
//!  workers (N)                              sink stage (1 thread)
//!  take credit ─► claim rows ─► pace ─► build ─► encode ─► queue ─► reorder ─► Sink::write ─► return credit
//! ```
//!
//! - When the sink provides a [`BatchEncoder`], each worker encodes the
//!   batches it builds, so encoding scales with the workers and the sink
//!   thread only moves bytes.
//!
//! - Claims come from one atomic row counter, so no row is built twice or
//!   skipped, whatever the worker count, pauses, or rate changes.
//! - A worker needs a credit to claim a batch; the sink stage returns it after
//!   delivering that batch. At most `queue_batches` batches exist at once, so a
//!   slow destination makes the workers wait (backpressure) and memory stays
//!   bounded.
//! - Pause: workers stop claiming (checked before every claim); batches already
//!   built are still delivered. Resume continues from the counter.

mod disorder;
mod pacer;
pub mod shard;
mod watermark;

use crate::mapping::{BatchCtx, GenError, LocalState};
use crate::metrics::{Metrics, MetricsSnapshot};
use crate::plan::Plan;
use crate::sink::{BatchEncoder, Delivered, Encoded, Sink, SinkError};
use crate::spec::OnError;
use arrow_array::RecordBatch;
use crossbeam_channel::{Receiver, RecvTimeoutError, Sender, bounded};
use pacer::Pacer;
use parking_lot::{Condvar, Mutex};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering::Relaxed, Ordering::SeqCst};
use std::thread::JoinHandle;
use std::time::{Duration, Instant, SystemTime};
use watermark::Watermark;

/// How often blocked threads look at the stop and pause flags.
const POLL: Duration = Duration::from_millis(20);
/// Attempts per batch under `on_error: CONTINUE` before its rows count as failed.
const CONTINUE_ATTEMPTS: u32 = 4;

/// `GeneratorStatus` of seed 001.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Status {
    /// Defined, never started.
    Created,
    /// Generating.
    Running,
    /// Paused by a user or by `on_error: PAUSE`.
    Paused,
    /// Reached its end condition.
    Completed,
    /// Stopped by a user.
    Stopped,
    /// Ended by an error.
    Failed,
}

impl Status {
    /// True once the run can no longer change.
    pub fn is_terminal(self) -> bool {
        matches!(self, Self::Completed | Self::Stopped | Self::Failed)
    }

    /// The name used in the API.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Created => "CREATED",
            Self::Running => "RUNNING",
            Self::Paused => "PAUSED",
            Self::Completed => "COMPLETED",
            Self::Stopped => "STOPPED",
            Self::Failed => "FAILED",
        }
    }
}

/// A lifecycle call that the current status does not allow.
#[derive(Debug, Clone, thiserror::Error)]
#[error("cannot {action} a generator that is {}", current.as_str())]
pub struct InvalidTransition {
    /// What was asked.
    pub action: &'static str,
    /// The status at the time.
    pub current: Status,
}

/// How a run uses the machine.
#[derive(Debug, Clone)]
pub struct RunConfig {
    /// Threads building batches (default: the cores).
    pub workers: usize,
    /// Batches built but not yet delivered, at most (bounds memory).
    pub queue_batches: usize,
    /// First row index (to continue a run that was interrupted).
    pub start_row: u64,
    /// Also publish the checkpoint here (the rows a universe child may
    /// reference while this run goes: every row below it is delivered).
    pub publish: Option<Arc<AtomicU64>>,
    /// The first row (emission position, under disorder) this run does not
    /// claim: the end of a shard's slice (default: the run's end condition).
    pub end_row: Option<u64>,
    /// The shard this run makes (see [`shard`]): its positions, counted from
    /// 0 with no gaps when they interleave with other shards' (`start_row`
    /// and the checkpoint count them then).
    pub shard: Option<shard::Shard>,
}

impl RunConfig {
    /// `workers` threads (at least one) and a queue of twice as many batches (at least 4).
    pub fn with_workers(workers: usize) -> Self {
        let workers = workers.max(1);
        Self { workers, queue_batches: (2 * workers).max(4), ..Self::default() }
    }
}

impl Default for RunConfig {
    fn default() -> Self {
        let workers = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1);
        Self { workers, queue_batches: (2 * workers).max(4), start_row: 0, publish: None, end_row: None, shard: None }
    }
}

impl RunConfig {
    /// Makes shard `shard` of the run: its range (from `start_row`, when a
    /// resume starts later in it), or its interleaved positions.
    pub fn for_shard(mut self, shard: shard::Shard) -> Self {
        if let shard::Layout::Range { start, end } = shard.layout {
            self.start_row = self.start_row.clamp(start, end);
            self.end_row = Some(end);
        }
        self.shard = Some(shard);
        self
    }
}

#[derive(Debug)]
struct Control {
    status: Status,
}

/// The plans of a run by the row they apply from (a retune adds one).
#[derive(Debug)]
struct Revisions {
    /// (first row, plan), rows ascending; the first from the run's start row.
    plans: Vec<(u64, Arc<Plan>)>,
}

impl Revisions {
    /// The plan rows from `row` on are built with, and its position.
    fn at(&self, row: u64) -> (usize, &Arc<Plan>) {
        let k = self.plans.partition_point(|(from, _)| *from <= row).saturating_sub(1);
        (k, &self.plans[k].1)
    }
}

#[derive(Debug)]
struct Shared {
    /// The plan the run was started with: its schema, end condition,
    /// batch size and error policy hold for every revision.
    plan: Arc<Plan>,
    /// The plans by row; claims read it (under the lock) so a retune applies
    /// exactly from the first row claimed after it.
    revisions: parking_lot::RwLock<Revisions>,
    config: RunConfig,
    control: Mutex<Control>,
    wake: Condvar,
    next_row: AtomicU64,
    batch_size: AtomicUsize,
    stop: AtomicBool,
    paused: AtomicBool,
    /// Set when the end condition (or a fatal error) ends claiming.
    exhausted: AtomicBool,
    failed: AtomicBool,
    /// Set by the sink stage once the sink is closed and the final status set.
    finished: AtomicBool,
    /// The resume checkpoint (see [`Run::checkpoint`]), published by the sink stage.
    checkpoint: AtomicU64,
    pacer: Pacer,
    metrics: Metrics,
    /// Late and duplicate rows (`disorder:`, `duplicate_ratio:`): the run
    /// claims emission positions, not rows.
    emission: Option<disorder::Emission>,
    /// A shard's blocks of the run's positions, when they interleave.
    interleave: Option<shard::Interleave>,
}

/// One run of a generator: start, pause, resume, stop, and live metrics.
#[derive(Debug)]
pub struct Run {
    shared: Arc<Shared>,
    threads: Mutex<Vec<JoinHandle<()>>>,
}

impl Run {
    /// A run of `plan`, in status CREATED.
    pub fn new(plan: Arc<Plan>, config: RunConfig) -> Self {
        Self::with_revisions(plan, Vec::new(), config)
    }

    /// A run of `plan` that switches to each of `later` from its row (a run
    /// resumed after retunes: the same rows as the run it continues).
    pub fn with_revisions(plan: Arc<Plan>, later: Vec<(u64, Arc<Plan>)>, mut config: RunConfig) -> Self {
        config.workers = config.workers.max(1);
        config.queue_batches = config.queue_batches.max(config.workers);
        let revisions = Revisions { plans: std::iter::once((0, Arc::clone(&plan))).chain(later).collect() };
        // The rate in force where the run starts.
        let rate = revisions.at(config.start_row).1.rate().cloned();
        let interleave = config.shard.and_then(|sh| match sh.layout {
            shard::Layout::Interleave(iv) => Some(iv),
            shard::Layout::Range { .. } => None,
        });
        let global = |row: u64| interleave.map_or(row, |iv| iv.global(row));
        let shared = Shared {
            batch_size: AtomicUsize::new(Pacer::batch_size(rate.as_ref().map(|r| r.at(0.0)), plan.batch_size())),
            next_row: AtomicU64::new(config.start_row),
            pacer: Pacer::new(rate, global(config.start_row), plan.seed(), interleave.map(|iv| iv.period)),
            metrics: Metrics::new(config.workers),
            control: Mutex::new(Control { status: Status::Created }),
            wake: Condvar::new(),
            stop: AtomicBool::new(false),
            paused: AtomicBool::new(false),
            exhausted: AtomicBool::new(false),
            failed: AtomicBool::new(false),
            finished: AtomicBool::new(false),
            checkpoint: AtomicU64::new(config.start_row),
            revisions: parking_lot::RwLock::new(revisions),
            emission: disorder::Emission::new(
                plan.spec().disorder.as_ref(),
                plan.spec().duplicate_ratio,
                plan.rate().map(|r| r.nominal()),
                plan.seed(),
            ),
            interleave,
            plan,
            config,
        };
        Self { shared: Arc::new(shared), threads: Mutex::new(Vec::new()) }
    }

    /// The compiled generator (as started).
    pub fn plan(&self) -> &Arc<Plan> {
        &self.shared.plan
    }

    /// Swaps in `plan` between batches: rows from the returned row on are
    /// built with it, the rows before with the plans before (none lost or
    /// repeated). Its rate replaces the run's. Err when it would change the
    /// schema (fields, their order or types), which a run cannot.
    pub fn retune(&self, plan: Arc<Plan>) -> Result<u64, String> {
        let s = &self.shared;
        if plan.schema() != s.plan.schema() {
            return Err("the new definition changes the output schema (fields, their order or types)".into());
        }
        let rate = plan.rate().cloned();
        let mut r = s.revisions.write();
        let from = s.next_row.load(SeqCst);
        let rate_changed = r.at(from).1.rate() != plan.rate();
        // The new plan holds from `from` on: it replaces any revision at or
        // after it (a later retune of the run this one resumed, or two
        // retunes before a row was claimed).
        let keep = r.plans.partition_point(|(f, _)| *f < from).max(1);
        r.plans.truncate(keep);
        r.plans.push((from, plan));
        if rate_changed {
            s.apply_rate(from, rate);
        }
        Ok(from)
    }

    /// The shard the run makes, when it is one.
    pub fn shard(&self) -> Option<&shard::Shard> {
        self.shared.config.shard.as_ref()
    }

    /// Each plan and the row it applies from.
    pub fn revisions(&self) -> Vec<(u64, Arc<Plan>)> {
        self.shared.revisions.read().plans.clone()
    }

    /// Starts the workers and the sink stage.
    pub fn start(&self, sink: Box<dyn Sink>) -> Result<(), InvalidTransition> {
        let s = &self.shared;
        {
            let mut c = s.control.lock();
            if c.status != Status::Created {
                return Err(InvalidTransition { action: "start", current: c.status });
            }
            c.status = Status::Running;
        }
        s.metrics.mark_started();
        s.pacer.reanchor(s.global(s.config.start_row), s.metrics.active_elapsed().as_secs_f64());
        let (credit_tx, credit_rx) = bounded::<()>(s.config.queue_batches);
        for _ in 0..s.config.queue_batches {
            // The channel holds exactly queue_batches credits.
            let _ = credit_tx.send(());
        }
        let (data_tx, data_rx) = bounded::<Built>(s.config.queue_batches);
        // Encoded buffers go back to the workers once written: no fresh
        // (page-faulting) megabytes per batch.
        let (recycle_tx, recycle_rx) = bounded::<Encoded>(s.config.queue_batches);
        let mut threads = self.threads.lock();
        for w in 0..s.config.workers {
            let (shared, credits, data, recycle) =
                (Arc::clone(s), credit_rx.clone(), data_tx.clone(), recycle_rx.clone());
            let encoder = sink.worker_encoder();
            let channels = WorkerChannels { credits, data, recycle };
            threads.push(
                std::thread::Builder::new()
                    .name(format!("sdg-worker-{w}"))
                    .spawn(move || worker(&shared, w, encoder, &channels))
                    .expect("spawning a worker thread"),
            );
        }
        drop(data_tx);
        let shared = Arc::clone(s);
        threads.push(
            std::thread::Builder::new()
                .name("sdg-sink".into())
                .spawn(move || sink_stage(&shared, sink, &data_rx, &credit_tx, &recycle_tx))
                .expect("spawning the sink thread"),
        );
        Ok(())
    }

    /// Marks a run that could not start (its destination did not open) as
    /// FAILED with `message`; nothing runs.
    pub fn fail_to_start(&self, message: String) {
        let s = &self.shared;
        let mut c = s.control.lock();
        if c.status == Status::Created {
            c.status = Status::Failed;
            s.metrics.set_last_error(message);
            s.failed.store(true, SeqCst);
            s.finished.store(true, SeqCst);
            s.wake.notify_all();
        }
    }

    /// Stops claiming new batches; in-flight ones are still delivered.
    pub fn pause(&self) -> Result<(), InvalidTransition> {
        let s = &self.shared;
        let mut c = s.control.lock();
        if c.status != Status::Running {
            return Err(InvalidTransition { action: "pause", current: c.status });
        }
        c.status = Status::Paused;
        s.paused.store(true, SeqCst);
        s.metrics.mark_paused(true);
        Ok(())
    }

    /// Continues with the next row after a pause.
    pub fn resume(&self) -> Result<(), InvalidTransition> {
        let s = &self.shared;
        let mut c = s.control.lock();
        if c.status != Status::Paused {
            return Err(InvalidTransition { action: "resume", current: c.status });
        }
        c.status = Status::Running;
        s.metrics.mark_paused(false);
        s.pacer.reanchor(s.global(s.next_row.load(SeqCst)), s.metrics.active_elapsed().as_secs_f64());
        s.paused.store(false, SeqCst);
        s.wake.notify_all();
        Ok(())
    }

    /// Ends the run: claimed batches are delivered, the sink is closed, and
    /// the status becomes STOPPED. Returns once everything has finished.
    pub fn stop(&self) -> Result<Status, InvalidTransition> {
        self.request_stop()?;
        Ok(self.wait())
    }

    /// Asks the run to stop and returns at once; [`Run::wait`] sees it end.
    pub fn request_stop(&self) -> Result<(), InvalidTransition> {
        let c = self.shared.control.lock();
        if !matches!(c.status, Status::Running | Status::Paused) {
            return Err(InvalidTransition { action: "stop", current: c.status });
        }
        self.shared.stop.store(true, SeqCst);
        self.shared.wake.notify_all();
        Ok(())
    }

    /// Changes the rate (rows per second) of a running run; None removes the cap.
    pub fn set_rate(&self, rate: Option<crate::spec::rate::Rate>) {
        let s = &self.shared;
        s.apply_rate(s.next_row.load(SeqCst), rate);
    }

    /// The current status.
    pub fn status(&self) -> Status {
        self.shared.control.lock().status
    }

    /// Live metrics.
    pub fn metrics(&self) -> MetricsSnapshot {
        let s = &self.shared;
        let status = self.status();
        let mut m = s.metrics.snapshot(status);
        m.shard = s.config.shard.map(|sh| sh.label());
        if status == Status::Running || status == Status::Paused {
            // An interleaved shard paces its share of the run's rate.
            let share = s.interleave.map_or(1.0, |iv| iv.width as f64 / iv.period as f64);
            m.target_rows_per_sec = s.pacer.rate_now(s.metrics.active_elapsed().as_secs_f64()).map(|r| r * share);
        }
        m
    }

    /// Waits for the run to end by itself (end condition, error, or `stop`).
    /// Safe to call from several threads; returns the final status (or
    /// CREATED at once for a run never started).
    pub fn wait(&self) -> Status {
        let threads: Vec<_> = std::mem::take(&mut *self.threads.lock());
        for t in threads {
            let _ = t.join();
        }
        let mut c = self.shared.control.lock();
        while c.status != Status::Created && !self.shared.finished.load(SeqCst) {
            self.shared.wake.wait_for(&mut c, POLL * 5);
        }
        c.status
    }

    /// Waits up to `timeout` for the run to end; true once it has.
    pub fn wait_timeout(&self, timeout: Duration) -> bool {
        let deadline = Instant::now() + timeout;
        let mut c = self.shared.control.lock();
        while !self.shared.finished.load(SeqCst) {
            if self.shared.wake.wait_until(&mut c, deadline).timed_out() {
                break;
            }
        }
        self.shared.finished.load(SeqCst)
    }

    /// The first row a resume must generate: every row below it is
    /// acknowledged by the destination, or was given up under
    /// `on_error: CONTINUE`. A prefix, unlike `rows_delivered`, which counts
    /// acknowledgements in the order they arrive (Kafka's are per partition).
    pub fn checkpoint(&self) -> u64 {
        self.shared.checkpoint.load(SeqCst)
    }

    /// True once the run has ended and its sink is closed.
    pub fn is_finished(&self) -> bool {
        self.shared.finished.load(SeqCst)
    }
}

impl Shared {
    /// Records the resume checkpoint (and publishes it, see
    /// [`RunConfig::publish`]: as the run's rows every shard has made,
    /// when shards keep pace, if this one's interleave with others').
    fn set_checkpoint(&self, row: u64) {
        self.checkpoint.store(row, SeqCst);
        if let Some(p) = &self.config.publish {
            p.store(self.published(row), SeqCst);
        }
    }

    /// The rows a universe child may reference once this run has delivered
    /// its positions below `local`: those of an interleaved shard end at
    /// the run's row after its last delivered one (the other shards, at the
    /// same schedule, have made the rows before it), within the row count.
    fn published(&self, local: u64) -> u64 {
        let Some(iv) = self.interleave else { return local };
        let bound = if local == 0 { 0 } else { iv.global(local - 1) + 1 };
        self.plan.row_limit().map_or(bound, |t| bound.min(t))
    }

    /// The run's position (the row, without disorder) of this run's position `local`.
    #[inline]
    fn global(&self, local: u64) -> u64 {
        self.interleave.map_or(local, |iv| iv.global(local))
    }

    /// Claims up to `size` positions: (first, how many); a shard's claim
    /// stays in one of its blocks.
    fn claim(&self, size: u64) -> (u64, u64) {
        let Some(iv) = self.interleave else { return (self.next_row.fetch_add(size, SeqCst), size) };
        let mut cur = self.next_row.load(SeqCst);
        loop {
            let n = size.min(iv.room(cur));
            match self.next_row.compare_exchange_weak(cur, cur + n, SeqCst, SeqCst) {
                Ok(_) => return (cur, n),
                Err(now) => cur = now,
            }
        }
    }

    /// Blocks while paused; false once the run should end.
    fn wait_while_paused(&self) -> bool {
        while self.paused.load(SeqCst) && !self.stop.load(SeqCst) {
            let mut c = self.control.lock();
            if self.paused.load(SeqCst) && !self.stop.load(SeqCst) {
                self.wake.wait_for(&mut c, POLL * 5);
            }
        }
        !self.stop.load(SeqCst)
    }

    /// `on_error: PAUSE`: pauses a running run (a user resumes it).
    fn pause_on_error(&self) {
        let mut c = self.control.lock();
        if c.status == Status::Running {
            c.status = Status::Paused;
            self.paused.store(true, SeqCst);
            self.metrics.mark_paused(true);
        }
    }

    /// Paces the run at `rate` from `row` on (batch size and schedule).
    fn apply_rate(&self, row: u64, rate: Option<crate::spec::rate::Rate>) {
        let now = self.metrics.active_elapsed().as_secs_f64();
        self.batch_size.store(Pacer::batch_size(rate.as_ref().map(|r| r.at(0.0)), self.plan.batch_size()), SeqCst);
        self.pacer.set_rate(self.global(row), rate, now);
    }

    fn fail(&self, message: String) {
        tracing::error!(error = %message, "generator failed");
        self.metrics.set_last_error(message);
        self.failed.store(true, SeqCst);
        self.stop.store(true, SeqCst);
        self.control.lock().status = Status::Failed;
        self.wake.notify_all();
    }
}

/// A batch on its way to the sink: its first row and what became of its rows.
struct Built {
    /// The first emission position (the first row, without disorder).
    start: u64,
    rows: u64,
    /// Positions the batch covers (its rows, without disorder).
    span: u64,
    outcome: Outcome,
}

/// What a worker made of the rows it claimed.
enum Outcome {
    /// The batch, and its encoding when the sink encodes on the workers.
    Made(RecordBatch, Option<Encoded>),
    /// Generation failed (a plugin trapped, a lookup missed) and
    /// `on_error: CONTINUE` gave the rows up: the sink stage counts them as
    /// failed and moves the checkpoint past them.
    GivenUp,
}

/// What a worker talks to the rest of the pipeline through.
struct WorkerChannels {
    /// One credit per batch it may build (returned by the sink stage).
    credits: Receiver<()>,
    /// Built batches, to the sink stage.
    data: Sender<Built>,
    /// Encoded buffers the sink stage is done with.
    recycle: Receiver<Encoded>,
}

fn worker(s: &Shared, w: usize, mut encoder: Option<Box<dyn BatchEncoder>>, ch: &WorkerChannels) {
    let (credits, data) = (&ch.credits, &ch.data);
    // Per-worker state belongs to one plan: made again after a retune.
    let mut revision = 0usize;
    let mut locals = s.plan.new_locals();
    let row_limit = s.plan.row_limit();
    // Under disorder, positions run a window past the last row (its late rows).
    // A shard's interleaved positions: those below the run's limit.
    let position_limit = s
        .config
        .end_row
        .or_else(|| row_limit.map(|t| t.saturating_add(s.emission.as_ref().map_or(0, disorder::Emission::window))))
        .map(|end| s.interleave.map_or(end, |iv| iv.below(end)));
    let mut reorder = disorder::Reorder::default();
    let duration_limit = s.plan.duration_limit();
    loop {
        if !s.wait_while_paused() || s.exhausted.load(SeqCst) {
            return;
        }
        match credits.recv_timeout(POLL) {
            Ok(()) => {}
            Err(RecvTimeoutError::Timeout) => continue,
            Err(RecvTimeoutError::Disconnected) => return,
        }
        // A pause may have come while waiting for the credit; keep it and wait.
        if !s.wait_while_paused() {
            return;
        }
        if duration_limit.is_some_and(|d| s.metrics.active_elapsed() >= d) {
            s.exhausted.store(true, SeqCst);
            return;
        }
        // A paced run's batches hold about 10 ms of rows at the rate now.
        let rate_now = s.pacer.rate_now(s.metrics.active_elapsed().as_secs_f64());
        let size = match rate_now {
            Some(r) => Pacer::batch_size(Some(r), s.plan.batch_size()) as u64,
            None => s.batch_size.load(SeqCst) as u64,
        };
        let (start, claimed, plan) = {
            let r = s.revisions.read();
            let (start, claimed) = s.claim(size);
            let (k, plan) = r.at(start);
            if k != revision {
                revision = k;
                locals = plan.new_locals();
            }
            (start, claimed, Arc::clone(plan))
        };
        let len = match position_limit {
            Some(end) if start >= end => {
                s.exhausted.store(true, SeqCst);
                return;
            }
            Some(end) => claimed.min(end - start),
            None => claimed,
        };
        // The run's rows of the claim (a shard's differ from its positions).
        let first = s.global(start);
        if let Some(wait) = s.pacer.due(first, s.metrics.active_elapsed().as_secs_f64()) {
            sleep_until(s, Instant::now() + wait);
        }
        let wall_us =
            SystemTime::now().duration_since(SystemTime::UNIX_EPOCH).map(|d| d.as_micros() as i64).unwrap_or(0);
        let row_interval_us = rate_now.map(|r| 1e6 / r).unwrap_or(0.0);
        let emitted = s.emission.as_ref().map(|e| reorder.range(e, first, first + len, row_limit));
        let ctx = match &emitted {
            None => BatchCtx::range(first, len as usize, wall_us, row_interval_us),
            // Wall clocks keep event time: a late row is stamped before the batch.
            Some(em) => BatchCtx {
                rows: crate::mapping::Rows::List(&em.rows),
                clock_row: Some(first),
                ..BatchCtx::range(first, 0, wall_us, row_interval_us)
            },
        };
        let rows = ctx.rows.len() as u64;
        let t0 = Instant::now();
        let batch = match generate(s, &plan, &ctx, first, len, &mut locals) {
            Generated::Batch(batch) => batch,
            Generated::GivenUp => {
                if data.send(Built { start, rows, span: len, outcome: Outcome::GivenUp }).is_err() {
                    return;
                }
                continue;
            }
            Generated::End => return,
        };
        let encoded = match encoder.as_mut() {
            None => None,
            Some(enc) => {
                let mut out = ch.recycle.try_recv().unwrap_or_default();
                out.clear();
                if let Err(e) = enc.encode(&batch, &mut out) {
                    s.fail(format!("encoding rows {first}..{}: {e}", first + len));
                    return;
                }
                Some(out)
            }
        };
        s.metrics.record_generated(w, rows, t0.elapsed());
        if let Some(em) = &emitted {
            s.metrics.rows_late.fetch_add(em.late, Relaxed);
            s.metrics.rows_duplicated.fetch_add(em.duplicated, Relaxed);
        }
        if data.send(Built { start, rows, span: len, outcome: Outcome::Made(batch, encoded) }).is_err() {
            return;
        }
    }
}

/// What [`generate`] made of a batch.
enum Generated {
    Batch(RecordBatch),
    /// Given up under `on_error: CONTINUE`.
    GivenUp,
    /// The run failed, or was stopped while paused on the error.
    End,
}

/// Generates the rows of `ctx` under the run's `on_error` policy. A mapper
/// failing at run time (a plugin that traps or returns a malformed column, a
/// lookup with `on_missing: error`) is the data's problem, handled like a
/// destination error: STOP fails the run, CONTINUE gives the rows up, PAUSE
/// pauses the run and tries the same rows again on resume (a plugin or pool
/// may have been replaced meanwhile). Any other error is a bug and fails the
/// run whatever the policy.
fn generate(s: &Shared, plan: &Plan, ctx: &BatchCtx, start: u64, len: u64, locals: &mut [LocalState]) -> Generated {
    let end = start + len;
    loop {
        let err = match plan.generate_ctx(ctx, locals) {
            Ok(batch) => return Generated::Batch(batch),
            Err(e) => e,
        };
        let message = format!("generating rows {start}..{end}: {err}");
        if !matches!(err, GenError::Mapper { .. }) {
            s.fail(message);
            return Generated::End;
        }
        s.metrics.record_error(message.clone());
        tracing::warn!(error = %message, "generation error");
        match s.plan.on_error() {
            OnError::Stop => {
                s.fail(message);
                return Generated::End;
            }
            OnError::Continue => return Generated::GivenUp,
            OnError::Pause => {
                s.pause_on_error();
                if !s.wait_while_paused() {
                    // Stopped while paused: the rows were never delivered and
                    // the checkpoint stays before them, so a resume makes them.
                    s.metrics.rows_failed.fetch_add(ctx.rows.len() as u64, Relaxed);
                    return Generated::End;
                }
            }
        }
    }
}

/// Sleeps until `due`, in slices, staying paused while paused; returns early on stop.
fn sleep_until(s: &Shared, due: Instant) {
    loop {
        if s.stop.load(SeqCst) {
            return;
        }
        if s.paused.load(SeqCst) {
            s.wait_while_paused();
            return;
        }
        let now = Instant::now();
        if now >= due {
            return;
        }
        std::thread::sleep((due - now).min(POLL));
    }
}

fn sink_stage(
    s: &Shared,
    mut sink: Box<dyn Sink>,
    data: &Receiver<Built>,
    credits: &Sender<()>,
    recycle: &Sender<Encoded>,
) {
    let mut pending: BTreeMap<u64, (u64, u64, Outcome)> = BTreeMap::new();
    let mut next = s.config.start_row;
    let mut marks = Watermark::new(s.config.start_row);
    let mut broken = false;
    // Batches were written since the sink was last told the pipeline is idle.
    let mut written = false;
    loop {
        match data.recv_timeout(POLL) {
            Ok(built) => {
                pending.insert(built.start, (built.rows, built.span, built.outcome));
            }
            Err(RecvTimeoutError::Timeout) => {}
            Err(RecvTimeoutError::Disconnected) => break,
        }
        while let Some((rows, span, outcome)) = pending.remove(&next) {
            next += span;
            s.metrics.queue_depth.store((data.len() + pending.len()) as u64, Relaxed);
            match outcome {
                // Positions that hold no row (a disorder's last window): nothing to send.
                Outcome::Made(batch, _) if batch.num_rows() == 0 => {
                    // (Never past a batch a broken sink did not take.)
                    if !broken {
                        marks.written(0, span);
                        s.set_checkpoint(marks.next_row());
                    }
                }
                Outcome::Made(batch, encoded) => {
                    if !broken && !deliver(s, &mut marks, sink.as_mut(), &batch, encoded.as_ref(), span) {
                        broken = true;
                    }
                    written = true;
                    if let Some(e) = encoded {
                        // Full means the workers hold enough buffers already: drop it.
                        let _ = recycle.try_send(e);
                    }
                }
                Outcome::GivenUp => {
                    s.metrics.rows_failed.fetch_add(rows, Relaxed);
                    marks.given_up(span);
                    s.set_checkpoint(marks.next_row());
                }
            }
            let _ = credits.send(());
        }
        s.metrics.queue_depth.store((data.len() + pending.len()) as u64, Relaxed);
        if written && !broken && data.is_empty() {
            written = false;
            if !with_policy(s, &mut marks, 0, 0, || sink.idle()) {
                broken = true;
            }
        }
    }
    // Workers finish every batch they claim, so nothing contiguous is left;
    // batches after a generation failure's gap are dropped, never delivered out of order.
    pending.clear();
    s.metrics.queue_depth.store(0, Relaxed);
    // What the destination still holds back (Kafka's in-flight messages) is
    // flushed under the same policy as writes, so a failure at the very end
    // pauses, retries or fails like any other.
    if !broken && !s.failed.load(SeqCst) {
        with_policy(s, &mut marks, 0, 0, || sink.flush());
    }
    match sink.close() {
        Ok(d) => {
            s.metrics.record_delivered(d.rows, d.bytes, d.failed);
            marks.settled(d.settled);
            s.set_checkpoint(marks.next_row());
        }
        Err(e) => {
            s.metrics.record_error(e.message.clone());
            if !s.failed.load(SeqCst) {
                s.fail(format!("closing the destination: {e}"));
            }
        }
    }
    s.metrics.mark_ended();
    let mut c = s.control.lock();
    c.status = if s.failed.load(SeqCst) {
        Status::Failed
    } else if s.stop.load(SeqCst) && !s.exhausted.load(SeqCst) {
        Status::Stopped
    } else {
        Status::Completed
    };
    s.finished.store(true, SeqCst);
    s.wake.notify_all();
}

/// Delivers one batch under the run's `on_error` policy; false when the run failed.
fn deliver(
    s: &Shared,
    marks: &mut Watermark,
    sink: &mut dyn Sink,
    batch: &RecordBatch,
    encoded: Option<&Encoded>,
    span: u64,
) -> bool {
    with_policy(s, marks, batch.num_rows() as u64, span, || sink.write(batch, encoded))
}

/// Runs a sink operation under the run's `on_error` policy (retrying, pausing
/// or failing): a write of `rows` rows, or (0) a flush or an idle call. The
/// rows count as failed when the write is given up; the checkpoint learns
/// what the sink accepted and settled. False when the run failed. `span`
/// is the emission positions the rows cover (their count, without disorder).
fn with_policy(
    s: &Shared,
    marks: &mut Watermark,
    rows: u64,
    span: u64,
    mut op: impl FnMut() -> Result<Delivered, SinkError>,
) -> bool {
    let mut attempt = 0u32;
    loop {
        let t0 = Instant::now();
        let result: Result<Delivered, SinkError> = op();
        s.metrics.record_sink_latency(t0.elapsed());
        let err = match result {
            Ok(d) => {
                s.metrics.record_delivered(d.rows, d.bytes, d.failed);
                marks.written(rows, span);
                marks.settled(d.settled);
                s.set_checkpoint(marks.next_row());
                return true;
            }
            Err(e) => e,
        };
        s.metrics.record_error(err.message.clone());
        tracing::warn!(error = %err.message, retryable = err.retryable, attempt, "destination error");
        match s.plan.on_error() {
            OnError::Stop => {
                s.metrics.rows_failed.fetch_add(rows, Relaxed);
                s.fail(format!("destination error: {err}"));
                return false;
            }
            OnError::Continue => {
                attempt += 1;
                if err.retryable && attempt < CONTINUE_ATTEMPTS {
                    std::thread::sleep(Duration::from_millis(50u64 << attempt.min(6)));
                    continue;
                }
                s.metrics.rows_failed.fetch_add(rows, Relaxed);
                marks.given_up(span);
                s.set_checkpoint(marks.next_row());
                return true;
            }
            OnError::Pause => {
                s.pause_on_error();
                if !s.wait_while_paused() {
                    // Stopped while paused on an error: the batch was never
                    // delivered, and the checkpoint stays before it, so a
                    // resume sends it.
                    s.metrics.rows_failed.fetch_add(rows, Relaxed);
                    return false;
                }
            }
        }
    }
}
