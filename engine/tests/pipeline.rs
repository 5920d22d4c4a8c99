//! The pipeline: determinism across workers and batch sizes, row ranges,
//! backpressure, pause/resume, stop, end conditions, on_error, metrics.

mod common;
use common::{Collect, digest, plan};
use sdg_engine::{Plan, Run, RunConfig, Status};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

const MIXED: &str = r#"
name: mixed
seed: 42
destination: { type: BLACKHOLE }
fields:
  - { name: order_id,   type: SEQUENCE }
  - { name: id,         type: UUID_GENERATED, params: { version: 7 } }
  - { name: created_at, type: TIMESTAMP_GENERATED, params: { step: 250ms, jitter: 100ms } }
  - { name: status,     type: ENUM_RANDOM, params: { values: [NEW, PAID, SHIPPED], weights: [5, 3, 2] } }
  - { name: amount,     type: NUMERIC_RANGE, params: { min: 1, max: 500, distribution: lognormal, decimals: 2 } }
  - { name: items,      type: NUMERIC_RANGE, params: { min: 1, max: 50, distribution: zipf } }
  - { name: region,     type: CONSTANT, params: { value: eu-west } }
  - { name: ref,        type: SEQUENCE, params: { prefix: R, padding: 8, end: 999 } }
  - { name: coupon,     type: ENUM_RANDOM, params: { values: [A10, B20] }, null_ratio: 0.7 }
"#;

fn config(workers: usize) -> RunConfig {
    RunConfig { workers, queue_batches: 2 * workers + 2, ..RunConfig::default() }
}

fn run_to_end(yaml: &str, workers: usize) -> Collect {
    let plan = Arc::new(plan(yaml));
    let sink = Collect::default();
    let run = Run::new(plan, config(workers));
    run.start(Box::new(sink.clone())).expect("starts");
    assert_eq!(run.wait(), Status::Completed, "{:?}", run.metrics().last_error);
    sink
}

/// Waits (at most 10 s) for `run` to go PAUSED.
fn wait_until_paused(run: &Run) {
    let t0 = Instant::now();
    while run.status() != Status::Paused {
        assert!(t0.elapsed() < Duration::from_secs(10), "never paused");
        std::thread::sleep(Duration::from_millis(5));
    }
}

fn with_rows_and_batch(rows: u64, batch: usize) -> String {
    format!("{MIXED}\nend_condition: {{ type: RECORD_COUNT, value: {rows} }}\nbatch_size: {batch}\n")
}

#[test]
fn same_seed_same_bytes_whatever_workers_and_batch_size() {
    let reference = run_to_end(&with_rows_and_batch(50_000, 8192), 1).concat();
    assert_eq!(reference.num_rows(), 50_000);
    let want = digest(&reference);
    for (workers, batch) in [(2, 8192), (4, 1000), (3, 777), (1, 65536)] {
        let got = run_to_end(&with_rows_and_batch(50_000, batch), workers).concat();
        assert_eq!(got, reference, "workers {workers}, batch {batch}");
        assert_eq!(digest(&got), want, "workers {workers}, batch {batch}");
    }
    let other_seed = run_to_end(&with_rows_and_batch(50_000, 8192).replace("seed: 42", "seed: 43"), 2).concat();
    assert_ne!(digest(&other_seed), want);
}

#[test]
fn a_row_range_alone_equals_that_slice_of_the_full_run() {
    let p = plan(&with_rows_and_batch(20_000, 4096));
    let full = p.generate(0, 20_000).expect("full");
    for (a, b) in [(0, 1), (4095, 4097), (12_345, 19_999), (7, 8000)] {
        let part = p.generate(a, (b - a) as usize).expect("part");
        assert_eq!(part, full.slice(a as usize, (b - a) as usize), "[{a}, {b})");
    }
    // Starting a run at row a continues the same sequence.
    let run =
        Run::new(Arc::new(p), RunConfig { workers: 2, queue_batches: 4, start_row: 15_000, ..RunConfig::default() });
    let sink = Collect::default();
    run.start(Box::new(sink.clone())).expect("starts");
    assert_eq!(run.wait(), Status::Completed);
    assert_eq!(sink.concat(), full.slice(15_000, 5_000));
}

#[test]
fn a_slow_sink_makes_generators_wait_with_bounded_memory() {
    let yaml = "name: slow\nseed: 1\nbatch_size: 1000\nend_condition: { type: RECORD_COUNT, value: 60000 }\ndestination: { type: BLACKHOLE }\nfields: [{ name: id, type: SEQUENCE }]";
    let sink = Collect { delay: Duration::from_millis(5), ..Default::default() };
    let cfg = RunConfig { workers: 4, queue_batches: 6, ..RunConfig::default() };
    let run = Run::new(Arc::new(plan(yaml)), cfg);
    run.start(Box::new(sink.clone())).expect("starts");
    let mut max_ahead = 0;
    let mut max_depth = 0;
    while !run.is_finished() {
        let m = run.metrics();
        max_ahead = max_ahead.max(m.rows_generated.saturating_sub(m.rows_delivered));
        max_depth = max_depth.max(m.queue_depth);
        std::thread::sleep(Duration::from_millis(2));
    }
    assert_eq!(run.wait(), Status::Completed);
    // Never more than queue_batches batches between generation and delivery.
    assert!(max_ahead <= 6 * 1000, "generated ran {max_ahead} rows ahead of delivery");
    assert!(max_depth <= 6, "queue depth {max_depth}");
    assert!(max_ahead >= 1000, "the sink was slow, so some rows should have queued (saw {max_ahead})");
    assert_eq!(sink.i64_column("id"), (1..=60_000).collect::<Vec<_>>());
}

#[test]
fn pause_holds_generation_and_resume_continues_without_gap_or_duplicate() {
    let yaml = "name: p\nseed: 1\nbatch_size: 500\nrate: 20000\ndestination: { type: BLACKHOLE }\nfields: [{ name: id, type: SEQUENCE }]";
    let sink = Collect::default();
    let run = Run::new(Arc::new(plan(yaml)), config(2));
    run.start(Box::new(sink.clone())).expect("starts");
    std::thread::sleep(Duration::from_millis(200));
    run.pause().expect("pauses");
    assert_eq!(run.status(), Status::Paused);
    // In-flight batches drain within the pause window; then nothing moves.
    std::thread::sleep(Duration::from_millis(150));
    let held = run.metrics();
    std::thread::sleep(Duration::from_millis(300));
    let later = run.metrics();
    assert_eq!(held.rows_generated, later.rows_generated, "generation continued while paused");
    assert_eq!(held.rows_delivered, later.rows_delivered);
    assert!(held.rows_delivered > 0);
    assert_eq!(later.rows_per_sec, 0.0);
    assert!(run.pause().is_err(), "pausing twice is an invalid transition");
    run.resume().expect("resumes");
    std::thread::sleep(Duration::from_millis(200));
    assert_eq!(run.stop().expect("stops"), Status::Stopped);
    let ids = sink.i64_column("id");
    assert!(ids.len() as u64 > held.rows_delivered, "resumed");
    assert_eq!(ids, (1..=ids.len() as i64).collect::<Vec<_>>(), "no gap, no duplicate");
    let m = run.metrics();
    assert_eq!(m.rows_delivered, ids.len() as u64);
    assert_eq!(m.rows_generated, m.rows_delivered, "stop delivers everything generated");
}

#[test]
fn lifecycle_transitions_are_checked() {
    let run = Run::new(
        Arc::new(plan("name: l\ndestination: { type: BLACKHOLE }\nfields: [{ name: id, type: SEQUENCE }]")),
        config(1),
    );
    assert_eq!(run.status(), Status::Created);
    assert_eq!(run.pause().expect_err("not running").to_string(), "cannot pause a generator that is CREATED");
    assert!(run.resume().is_err());
    assert!(run.stop().is_err());
    run.start(Box::new(Collect::default())).expect("starts");
    assert!(run.start(Box::new(Collect::default())).is_err(), "a run starts once");
    assert!(run.resume().is_err(), "resume needs PAUSED");
    assert_eq!(run.stop().expect("stops"), Status::Stopped);
    assert_eq!(run.stop().expect_err("already stopped").current, Status::Stopped);
}

#[test]
fn duration_end_condition_ends_the_run() {
    let yaml = "name: d\nmode: REALTIME\nrate: 1000\nend_condition: { type: DURATION, value: 300ms }\ndestination: { type: BLACKHOLE }\nfields: [{ name: id, type: SEQUENCE }]";
    let sink = Collect::default();
    let run = Run::new(Arc::new(plan(yaml)), config(2));
    let t0 = Instant::now();
    run.start(Box::new(sink.clone())).expect("starts");
    assert_eq!(run.wait(), Status::Completed);
    assert!(t0.elapsed() >= Duration::from_millis(300));
    assert!(sink.rows() > 0);
    assert_eq!(sink.i64_column("id"), (1..=sink.rows() as i64).collect::<Vec<_>>());
}

#[test]
fn on_error_stop_fails_the_run_with_the_error() {
    let yaml = "name: e\nbatch_size: 100\nend_condition: { type: RECORD_COUNT, value: 10000 }\non_error: STOP\ndestination: { type: BLACKHOLE }\nfields: [{ name: id, type: SEQUENCE }]";
    let sink = Collect { fail_from: 3, retryable: true, ..Default::default() };
    sink.fail_count.store(1, Ordering::SeqCst);
    let run = Run::new(Arc::new(plan(yaml)), config(2));
    run.start(Box::new(sink.clone())).expect("starts");
    assert_eq!(run.wait(), Status::Failed);
    let m = run.metrics();
    assert_eq!(m.rows_delivered, 300);
    assert_eq!(m.errors, 1);
    assert!(m.last_error.as_deref().unwrap_or("").contains("injected failure on write 3"), "{:?}", m.last_error);
    assert_eq!(sink.i64_column("id"), (1..=300).collect::<Vec<_>>());
}

#[test]
fn on_error_continue_retries_then_counts_failed_rows() {
    let yaml = "name: e\nbatch_size: 100\nend_condition: { type: RECORD_COUNT, value: 2000 }\non_error: CONTINUE\ndestination: { type: BLACKHOLE }\nfields: [{ name: id, type: SEQUENCE }]";
    // Two failures then success: the retry delivers the batch.
    let sink = Collect { fail_from: 5, retryable: true, ..Default::default() };
    sink.fail_count.store(2, Ordering::SeqCst);
    let run = Run::new(Arc::new(plan(yaml)), config(2));
    run.start(Box::new(sink.clone())).expect("starts");
    assert_eq!(run.wait(), Status::Completed);
    let m = run.metrics();
    assert_eq!((m.rows_delivered, m.rows_failed, m.errors), (2000, 0, 2));
    assert_eq!(sink.i64_column("id"), (1..=2000).collect::<Vec<_>>());

    // A non-retryable error: the batch's rows count as failed, the run goes on.
    let sink = Collect { fail_from: 5, retryable: false, ..Default::default() };
    sink.fail_count.store(1, Ordering::SeqCst);
    let run = Run::new(Arc::new(plan(yaml)), config(2));
    run.start(Box::new(sink.clone())).expect("starts");
    assert_eq!(run.wait(), Status::Completed);
    let m = run.metrics();
    assert_eq!((m.rows_delivered, m.rows_failed, m.errors), (1900, 100, 1));
    let ids = sink.i64_column("id");
    assert_eq!(ids.len(), 1900);
    assert!(!ids.contains(&501) && ids.contains(&500) && ids.contains(&601));
    assert_eq!(run.checkpoint(), 2000, "a given-up batch is behind the checkpoint, as the run went on past it");
}

#[test]
fn the_checkpoint_is_the_settled_prefix_not_the_count_of_acknowledgements() {
    // Acknowledged at once, settled two writes later; the 6th write fails and pauses the run.
    let yaml = "name: e
batch_size: 100
end_condition: { type: RECORD_COUNT, value: 3000 }
on_error: PAUSE
destination: { type: BLACKHOLE }
fields: [{ name: id, type: SEQUENCE }]";
    let sink = Collect { fail_from: 5, retryable: true, settle_lag: 2, ..Default::default() };
    sink.fail_count.store(1, Ordering::SeqCst);
    let run = Run::new(Arc::new(plan(yaml)), RunConfig { start_row: 1000, ..config(2) });
    run.start(Box::new(sink.clone())).expect("starts");
    wait_until_paused(&run);
    let m = run.metrics();
    assert_eq!(m.rows_delivered, 500, "five batches acknowledged");
    assert_eq!(run.checkpoint(), 1000 + 300, "three of them settled: a resume starts after those only");

    // Stopped while paused on the error: closing settles the five batches the
    // sink took; the sixth, which failed, was never delivered, so the
    // checkpoint stays before it and a resume sends it.
    run.stop().expect("stops");
    assert_eq!(run.checkpoint(), 1000 + 500);
    assert_eq!(run.metrics().rows_failed, 100);
}

#[test]
fn on_error_pause_pauses_and_resume_retries_the_failed_batch_first() {
    let yaml = "name: e\nbatch_size: 100\nend_condition: { type: RECORD_COUNT, value: 3000 }\non_error: PAUSE\ndestination: { type: BLACKHOLE }\nfields: [{ name: id, type: SEQUENCE }]";
    let sink = Collect { fail_from: 4, retryable: true, ..Default::default() };
    sink.fail_count.store(1, Ordering::SeqCst);
    let run = Run::new(Arc::new(plan(yaml)), config(2));
    run.start(Box::new(sink.clone())).expect("starts");
    wait_until_paused(&run);
    let m = run.metrics();
    assert_eq!(m.rows_delivered, 400);
    assert!(m.last_error.is_some());
    run.resume().expect("resumes");
    assert_eq!(run.wait(), Status::Completed);
    let m = run.metrics();
    assert_eq!((m.rows_delivered, m.rows_failed), (3000, 0));
    assert_eq!(run.checkpoint(), 3000);
    assert_eq!(sink.i64_column("id"), (1..=3000).collect::<Vec<_>>(), "nothing lost, nothing duplicated");
}

#[test]
fn metrics_snapshot_has_the_contract_names() {
    let sink = Collect::default();
    let run = Run::new(Arc::new(plan(&with_rows_and_batch(30_000, 1000))), config(2));
    run.start(Box::new(sink)).expect("starts");
    run.wait();
    let m = run.metrics();
    assert_eq!(m.rows_generated, 30_000);
    assert_eq!(m.rows_delivered, 30_000);
    assert!(m.bytes > 0 && m.avg_rows_per_sec > 0.0);
    assert!(m.gen_latency_us.max >= m.gen_latency_us.p50);
    let json = serde_json::to_value(&m).expect("serializes");
    for key in [
        "status",
        "rows_generated",
        "rows_delivered",
        "rows_failed",
        "bytes",
        "errors",
        "rows_per_sec",
        "avg_rows_per_sec",
        "queue_depth",
        "gen_latency_us",
        "sink_latency_us",
        "elapsed_ms",
        "last_error",
    ] {
        assert!(json.get(key).is_some(), "missing {key}");
    }
    for q in ["p50", "p90", "p99", "max"] {
        assert!(json["gen_latency_us"].get(q).is_some() && json["sink_latency_us"].get(q).is_some());
    }
    assert_eq!(json["status"], "COMPLETED");
}

#[test]
fn paced_runs_use_small_batches() {
    let p: Plan = plan(
        "name: r\nmode: REALTIME\nrate: 1000\nend_condition: { type: RECORD_COUNT, value: 50 }\ndestination: { type: BLACKHOLE }\nfields: [{ name: id, type: SEQUENCE }]",
    );
    let sink = Collect::default();
    let run = Run::new(Arc::new(p), config(2));
    run.start(Box::new(sink.clone())).expect("starts");
    assert_eq!(run.wait(), Status::Completed);
    // ~10 ms of rows per batch at 1000 rows/s: smooth, not once-per-second bursts.
    assert!(sink.batches.lock().iter().all(|b| b.num_rows() <= 10));
    assert_eq!(sink.rows(), 50);
}

/// A generator whose rows 301..=400 (the batch of rows 300..400) fail to
/// generate: their key is missing from the pool and the lookup says
/// `on_missing: error` (a plugin that traps fails the same way).
fn failing_batch(on_error: &str) -> String {
    let ids: Vec<String> = (1..=1000).filter(|i| !(301..=400).contains(i)).map(|i| i.to_string()).collect();
    format!(
        "name: e
batch_size: 100
end_condition: {{ type: RECORD_COUNT, value: 1000 }}
on_error: {on_error}
destination: {{ type: BLACKHOLE }}
pools:
  - name: known
    index: [id]
    source: {{ type: inline, columns: {{ id: [{}] }} }}
fields:
  - {{ name: id, type: SEQUENCE }}
  - {{ name: again, type: POOL_DERIVED, params: {{ pool: known, key_field: id, key_column: id, column: id, on_missing: error }} }}
",
        ids.join(", ")
    )
}

fn start_failing(on_error: &str) -> (Run, Collect) {
    let sink = Collect::default();
    let run = Run::new(Arc::new(plan(&failing_batch(on_error))), config(2));
    run.start(Box::new(sink.clone())).expect("starts");
    (run, sink)
}

#[test]
fn a_generation_error_is_handled_by_on_error_like_a_destination_error() {
    let names_the_field = |run: &Run| {
        let e = run.metrics().last_error.unwrap_or_default();
        assert!(e.contains("rows 300..400") && e.contains("field `again`") && e.contains("`301`"), "{e}");
    };
    // STOP: the run fails; every row before the failed batch is delivered.
    let (run, sink) = start_failing("STOP");
    assert_eq!(run.wait(), Status::Failed);
    names_the_field(&run);
    assert_eq!(sink.i64_column("id"), (1..=300).collect::<Vec<_>>());
    assert_eq!(run.checkpoint(), 300);

    // CONTINUE: the batch's rows count as failed and the run goes on past them.
    let (run, sink) = start_failing("CONTINUE");
    assert_eq!(run.wait(), Status::Completed);
    names_the_field(&run);
    let m = run.metrics();
    assert_eq!((m.rows_delivered, m.rows_failed, m.errors), (900, 100, 1));
    assert_eq!(sink.i64_column("id"), (1..=300).chain(401..=1000).collect::<Vec<_>>());
    assert_eq!(run.checkpoint(), 1000, "a given-up batch is behind the checkpoint, as for a destination error");

    // PAUSE: the run pauses on the batch; a resume tries it again (it fails
    // again here: the pool has not changed) and a stop leaves the checkpoint
    // before it, so a later resume makes those rows.
    let (run, sink) = start_failing("PAUSE");
    wait_until_paused(&run);
    names_the_field(&run);
    // The batches before it are delivered (the sink stage may still be at them
    // when the worker pauses the run), and nothing after it.
    let t0 = Instant::now();
    while run.metrics().rows_delivered < 300 {
        assert!(t0.elapsed() < Duration::from_secs(10), "the rows before the failed batch were not delivered");
        std::thread::sleep(Duration::from_millis(5));
    }
    std::thread::sleep(Duration::from_millis(100));
    assert_eq!(run.metrics().rows_delivered, 300);
    run.resume().expect("resumes");
    let t0 = Instant::now();
    while run.metrics().errors < 2 {
        assert!(t0.elapsed() < Duration::from_secs(10), "the batch was not tried again");
        std::thread::sleep(Duration::from_millis(5));
    }
    wait_until_paused(&run);
    assert_eq!(run.stop().expect("stops"), Status::Stopped);
    assert_eq!(sink.i64_column("id"), (1..=300).collect::<Vec<_>>());
    assert_eq!(run.checkpoint(), 300);
    assert_eq!(run.metrics().rows_failed, 100);
}

#[test]
fn a_rate_profile_in_batch_mode_shapes_event_time() {
    // A sine of period 1 h: 100 ± 90 rows/s, so an hour holds 360 000 rows.
    let p = plan(
        "name: day\nseed: 1\nrate: { profile: sine, base: 100, amplitude: 90, period: 1h }\n\
         end_condition: { type: RECORD_COUNT, value: 360000 }\ndestination: { type: BLACKHOLE }\n\
         fields:\n  - { name: at, type: TIMESTAMP_GENERATED, params: { start: '2026-01-01T00:00:00Z', format: epoch_millis } }\n  - { name: fixed, type: TIMESTAMP_GENERATED, params: { step: 1s, format: epoch_millis } }",
    );
    let batch = p.generate(0, 360_000).expect("rows");
    let at = batch.column(0).as_any().downcast_ref::<arrow_array::Int64Array>().expect("millis");
    let start = 1_767_225_600_000i64;
    // Rows per 6-minute bin against the integral of the rate over it.
    let mut bins = [0u64; 10];
    for v in at.values() {
        let k = ((v - start) / 360_000) as usize;
        bins[k.min(9)] += 1;
    }
    let rows_by =
        |t: f64| 100.0 * t + 90.0 * 3600.0 / std::f64::consts::TAU * (1.0 - (std::f64::consts::TAU * t / 3600.0).cos());
    for (k, n) in bins.iter().enumerate() {
        let want = rows_by(360.0 * (k + 1) as f64) - rows_by(360.0 * k as f64);
        assert!((*n as f64 - want).abs() <= 0.005 * want + 2.0, "bin {k}: {n} rows, the profile says {want:.0}");
    }
    assert!(bins[2] > 4 * bins[7], "a peak and a trough: {bins:?}");
    assert!(at.values().windows(2).all(|w| w[0] <= w[1]), "event time never goes back");
    // A field with its own `step` keeps it.
    let fixed = batch.column(1).as_any().downcast_ref::<arrow_array::Int64Array>().expect("millis");
    assert_eq!(fixed.value(10) - fixed.value(0), 10_000);
}

#[test]
fn a_paced_run_reports_the_rate_of_its_profile_now() {
    let p = plan(
        "name: r\nmode: REALTIME\nrate: { profile: ramp, from: 500, to: 20000, over: 1h }\n\
         end_condition: { type: MANUAL }\ndestination: { type: BLACKHOLE }\nfields: [{ name: id, type: SEQUENCE }]",
    );
    let sink = Collect::default();
    let run = Run::new(Arc::new(p), config(2));
    run.start(Box::new(sink.clone())).expect("starts");
    std::thread::sleep(Duration::from_millis(300));
    let target = run.metrics().target_rows_per_sec.expect("a paced run has a target");
    // 0.3 s into a ramp of 1 h: just above where it starts.
    assert!((500.0..600.0).contains(&target), "{target}");
    run.stop().expect("stops");
    assert_eq!(run.metrics().target_rows_per_sec, None, "a stopped run has none");
    // Rows are one unbroken sequence.
    let ids: Vec<i64> = sink
        .batches
        .lock()
        .iter()
        .flat_map(|b| {
            let a = b.column(0).as_any().downcast_ref::<arrow_array::Int64Array>().map(|a| a.values().to_vec());
            a.unwrap_or_default()
        })
        .collect();
    assert!(!ids.is_empty() && ids.windows(2).all(|w| w[1] == w[0] + 1));
}

#[test]
fn a_retune_applies_from_its_row_and_a_rebuilt_run_makes_the_same_rows() {
    let def = |weights: &str| {
        format!(
            "name: t\nseed: 9\nbatch_size: 500\nend_condition: {{ type: RECORD_COUNT, value: 200000 }}\ndestination: {{ type: BLACKHOLE }}\n\
             fields:\n  - {{ name: id, type: SEQUENCE }}\n  - {{ name: s, type: ENUM_RANDOM, params: {{ values: [a, b], weights: {weights} }} }}\n  - {{ name: x, type: NUMERIC_RANGE, params: {{ min: 0, max: 9 }} }}"
        )
    };
    let (before, after) = (Arc::new(plan(&def("[1, 0]"))), Arc::new(plan(&def("[0, 1]"))));
    // A sink slow enough that the retune lands mid-run.
    let sink = Collect { delay: Duration::from_micros(300), ..Collect::default() };
    let run = Run::new(Arc::clone(&before), config(3));
    run.start(Box::new(sink.clone())).expect("starts");
    std::thread::sleep(Duration::from_millis(20));
    let from = run.retune(Arc::clone(&after)).expect("same schema");
    assert_eq!(run.wait(), Status::Completed);
    assert!(from > 0 && from < 200_000, "{from}");
    assert_eq!(run.revisions().len(), 2);
    let rows: Vec<(i64, String)> = sink
        .batches
        .lock()
        .iter()
        .flat_map(|b| {
            let id = b.column(0).as_any().downcast_ref::<arrow_array::Int64Array>().expect("id").clone();
            let f =
                arrow_cast::display::ArrayFormatter::try_new(b.column(1).as_ref(), &Default::default()).expect("fmt");
            let s: Vec<String> = (0..b.num_rows()).map(|i| f.value(i).to_string()).collect();
            id.values().iter().copied().zip(s).collect::<Vec<_>>()
        })
        .collect();
    assert_eq!(rows.len(), 200_000);
    for (i, (id, s)) in rows.iter().enumerate() {
        assert_eq!(*id, i as i64 + 1, "no row lost or repeated (the sequence starts at 1)");
        assert_eq!(s, if (i as u64) < from { "a" } else { "b" }, "row {i}, retuned from {from}");
    }
    // The same revisions rebuilt (a resume after a restart): the same bytes, from any row.
    let again = Collect::default();
    let rebuilt = Run::with_revisions(Arc::clone(&before), vec![(from, Arc::clone(&after))], config(2));
    rebuilt.start(Box::new(again.clone())).expect("starts");
    assert_eq!(rebuilt.wait(), Status::Completed);
    assert_eq!(again.concat(), sink.concat());
    // A run rebuilt with a revision ahead of it, retuned before it gets there:
    // the new plan replaces the later one (plans stay in row order).
    let third = Arc::new(plan(&def("[1, 1]")));
    let resumed = Run::with_revisions(
        Arc::clone(&before),
        vec![(150_000, Arc::clone(&after))],
        RunConfig { start_row: 100_000, ..config(1) },
    );
    let at = resumed.retune(Arc::clone(&third)).expect("same schema");
    let rows: Vec<u64> = resumed.revisions().iter().map(|(f, _)| *f).collect();
    assert_eq!(rows, vec![0, at], "the revision at 150 000 is replaced");
    // A definition of another schema is refused.
    let other =
        Arc::new(plan("name: o\ndestination: { type: BLACKHOLE }\nfields: [{ name: id, type: UUID_GENERATED }]"));
    let running = Run::new(before, config(1));
    assert!(running.retune(other).is_err());
}

const DISORDERED: &str = r#"
name: late
seed: 21
batch_size: 777
end_condition: { type: RECORD_COUNT, value: 100000 }
destination: { type: BLACKHOLE }
disorder: { late_ratio: 0.05, delay: { distribution: exponential, mean: 100ms }, max: 1s, rate: 10000 }
duplicate_ratio: 0.01
fields:
  - { name: id, type: SEQUENCE }
  - { name: at, type: TIMESTAMP_GENERATED, params: { start: "2026-01-01T00:00:00Z", step: 100us, format: epoch_millis } }
"#;

#[test]
fn late_and_duplicate_rows_are_bounded_counted_and_the_same_on_any_worker_count() {
    let run = |workers: usize, batch: usize, start_row: u64, stop_after: Option<u64>| {
        let yaml = DISORDERED.replace("batch_size: 777", &format!("batch_size: {batch}"));
        let sink = Collect::default();
        let cfg = RunConfig { start_row, ..config(workers) };
        let run = Run::new(Arc::new(plan(&yaml)), cfg);
        run.start(Box::new(sink.clone())).expect("starts");
        if let Some(n) = stop_after {
            while sink.rows() < n as usize {
                std::thread::sleep(Duration::from_millis(1));
            }
            run.stop().expect("stops");
        } else {
            assert_eq!(run.wait(), Status::Completed);
        }
        (sink, run.metrics(), run.checkpoint())
    };
    let (one, m, _) = run(1, 777, 0, None);
    let ids = one.i64_column("id");
    let at = one.i64_column("at");
    assert_eq!(ids.len() as u64, 100_000 + m.rows_duplicated, "every row, plus the copies");
    assert_eq!(m.rows_generated, ids.len() as u64);
    let mut counts = std::collections::HashMap::<i64, u32>::new();
    for id in &ids {
        *counts.entry(*id).or_default() += 1;
    }
    assert_eq!(counts.len(), 100_000, "no row lost");
    assert_eq!(counts.values().filter(|n| **n == 2).count() as u64, m.rows_duplicated);
    assert!((700..1300).contains(&m.rows_duplicated), "{} copies at 1 %", m.rows_duplicated);
    assert!((4000..6000).contains(&m.rows_late), "{} late at 5 %", m.rows_late);
    // Event time unchanged (row r at start + r × 100 µs, in ms), lateness bounded by `max`.
    let start = 1_767_225_600_000i64;
    let mut newest = i64::MIN;
    let mut behind = 0;
    for (id, t) in ids.iter().zip(&at) {
        assert_eq!(*t, start + (id - 1) / 10, "row {id} keeps its event time");
        assert!(*t >= newest.saturating_sub(2000), "row {id} is {} ms behind (max 1 s, its copy 2 s)", newest - t);
        behind += u64::from(*t < newest);
        newest = newest.max(*t);
    }
    assert!(behind > 3000, "{behind} rows came after later ones");
    // The same stream on other worker counts and batch sizes.
    for (w, b) in [(3, 777), (2, 4096)] {
        let (other, _, _) = run(w, b, 0, None);
        assert_eq!(other.i64_column("id"), ids, "workers {w}, batch {b}");
    }
    // Stopped mid-run and resumed from its checkpoint: the same stream, nothing twice.
    let (first, _, checkpoint) = run(2, 777, 0, Some(30_000));
    let (rest, _, _) = run(2, 777, checkpoint, None);
    let mut joined = first.i64_column("id");
    joined.truncate(joined.len());
    joined.extend(rest.i64_column("id"));
    assert_eq!(joined, ids, "resumed at position {checkpoint}");
}
