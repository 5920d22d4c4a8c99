//! Redis stopping mid-run: hash and json modes end with exactly the expected
//! keys under PAUSE and CONTINUE, and STOP fails the run. Every case checks
//! that the outage really hit the run (the run was still writing when Redis
//! went down, and recorded a Redis error), so none can pass without the fault.
//! A test binary of its own: cargo runs test binaries one at a time, so no
//! other test sees the server go down.

mod common;
use common::*;
use sdg_engine::{Run, Status};
use sdg_sink_dragonfly::Mode;
use std::time::{Duration, Instant};

fn services(action: &str) {
    sdg_testkit::services(action, "redis");
}

use sdg_testkit::wait_for;

/// Rows per run, at `RATE` rows/s: 3 s of writing, of which the outage
/// (starting after `BEFORE` rows, 0.4 s in) takes 1.5 s.
const ROWS: u64 = 45_000;
const RATE: u64 = 15_000;
const BEFORE: u64 = 6_000;

/// Starts a run, and stops Redis for 1.5 s once `BEFORE` rows are delivered.
fn outage(url: &str, mode: Mode, prefix: &str, policy: &str) -> Run {
    Redis::connect(url).del_prefix(prefix);
    let p = plan(ROWS, &format!("rate: {RATE}\non_error: {policy}"));
    let mut config = config(url, mode, &format!("{prefix}{{order_id}}"), None);
    config.timeout = Some(1);
    let s = sdg_sink_dragonfly::DragonflySink::open(config, p.schema().clone()).expect("opens");
    let run = run(p, s, 2);
    wait_for("the first rows", 30, || run.metrics().rows_delivered >= BEFORE);
    services("stop");
    // Redis is down now (services.sh waits for its port to close). The run
    // must still have at least a second of rows to write, so that it writes
    // while Redis is down: otherwise the case would prove nothing. (Under
    // STOP it may have failed on the outage already.)
    let delivered = run.metrics().rows_delivered;
    assert!(delivered + RATE < ROWS, "{delivered} of {ROWS} rows delivered before Redis was down: make the run longer");
    std::thread::sleep(Duration::from_millis(1500));
    services("start");
    run
}

/// The run recorded the outage: errors counted, and the last one is Redis's.
fn assert_outage_seen(run: &Run) {
    let m = run.metrics();
    assert!(m.errors > 0, "no destination error was recorded: the outage did not hit the run");
    assert!(m.last_error.as_deref().unwrap_or("").contains("Redis"), "{:?}", m.last_error);
}

#[test]
fn redis_outages_lose_nothing() {
    let Some(url) = url() else { return };
    let _restart = sdg_testkit::RestartOnPanic("redis");

    // PAUSE: the run pauses on the error, every resume retries the batch first.
    let run = outage(&url, Mode::Hash, "sdg:it:oh:", "PAUSE");
    let t0 = Instant::now();
    let mut pauses = 0;
    while !run.is_finished() && t0.elapsed() < Duration::from_secs(60) {
        if run.status() == Status::Paused {
            pauses += 1;
            let error = run.metrics().last_error.unwrap_or_default();
            assert!(error.contains("Redis"), "paused with the Redis error, not {error:?}");
            std::thread::sleep(Duration::from_millis(300));
            let _ = run.resume();
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(run.wait(), Status::Completed, "{:?}", run.metrics().last_error);
    assert!(pauses > 0, "the run never went PAUSED");
    assert_outage_seen(&run);
    let m = run.metrics();
    assert_eq!((m.rows_delivered, m.rows_failed), (ROWS, 0));
    assert_eq!(Redis::connect(&url).count_prefix("sdg:it:oh:") as u64, ROWS, "every hash, none lost");

    // CONTINUE: retried with backoff; what could not be delivered is counted as failed.
    let run = outage(&url, Mode::Json, "sdg:it:oj:", "CONTINUE");
    assert_eq!(run.wait(), Status::Completed, "{:?}", run.metrics().last_error);
    assert_outage_seen(&run);
    let m = run.metrics();
    assert_eq!(m.rows_delivered + m.rows_failed, ROWS);
    let keys = Redis::connect(&url).count_prefix("sdg:it:oj:") as u64;
    // A batch whose replies were lost may still have been applied: keys ≥ delivered, never more than all rows.
    assert!(keys >= m.rows_delivered && keys <= ROWS, "{keys} keys for {} delivered", m.rows_delivered);

    // STOP: the first failed write fails the run with the Redis error.
    let run = outage(&url, Mode::Hash, "sdg:it:os:", "STOP");
    assert_eq!(run.wait(), Status::Failed, "{:?}", run.metrics().last_error);
    assert_outage_seen(&run);
    let m = run.metrics();
    assert!(m.rows_delivered < ROWS, "{} delivered", m.rows_delivered);
    let keys = Redis::connect(&url).count_prefix("sdg:it:os:") as u64;
    assert!(keys >= m.rows_delivered, "{keys} keys for {} delivered", m.rows_delivered);
}
