//! Redis stopping mid-run loses nothing: hash and json modes end with exactly
//! the expected keys under PAUSE and CONTINUE, and STOP reports honestly.
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

/// 30k rows at 15k rows/s; Redis goes down for 1.5 s after 6k rows.
fn outage(url: &str, mode: Mode, prefix: &str, policy: &str) -> Run {
    Redis::connect(url).del_prefix(prefix);
    let p = plan(30_000, &format!("rate: 15000\non_error: {policy}"));
    let mut config = config(url, mode, &format!("{prefix}{{order_id}}"), None);
    config.timeout = Some(1);
    let s = sdg_sink_dragonfly::DragonflySink::open(config, p.schema().clone()).expect("opens");
    let run = run(p, s, 2);
    wait_for("6000 rows", 30, || run.metrics().rows_delivered >= 6_000);
    services("stop");
    std::thread::sleep(Duration::from_millis(1500));
    services("start");
    run
}

#[test]
fn redis_outages_lose_nothing() {
    let Some(url) = url() else { return };

    let run = outage(&url, Mode::Hash, "sdg:it:oh:", "PAUSE");
    let t0 = Instant::now();
    while !run.is_finished() && t0.elapsed() < Duration::from_secs(60) {
        if run.status() == Status::Paused {
            std::thread::sleep(Duration::from_millis(300));
            let _ = run.resume();
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(run.wait(), Status::Completed, "{:?}", run.metrics().last_error);
    let m = run.metrics();
    assert_eq!((m.rows_delivered, m.rows_failed), (30_000, 0));
    assert_eq!(Redis::connect(&url).count_prefix("sdg:it:oh:"), 30_000, "every hash, none lost");

    let run = outage(&url, Mode::Json, "sdg:it:oj:", "CONTINUE");
    assert_eq!(run.wait(), Status::Completed, "{:?}", run.metrics().last_error);
    let m = run.metrics();
    assert_eq!(m.rows_delivered + m.rows_failed, 30_000);
    let keys = Redis::connect(&url).count_prefix("sdg:it:oj:") as u64;
    // A batch whose replies were lost may still have been applied: keys ≥ delivered, never more than all rows.
    assert!(keys >= m.rows_delivered && keys <= 30_000, "{keys} keys for {} delivered", m.rows_delivered);

    let run = outage(&url, Mode::Hash, "sdg:it:os:", "STOP");
    let status = run.wait();
    let m = run.metrics();
    if status == Status::Failed {
        assert!(m.last_error.as_deref().unwrap_or("").contains("Redis"), "{:?}", m.last_error);
    } else {
        assert_eq!(status, Status::Completed, "the outage fell between two batches");
    }
    let keys = Redis::connect(&url).count_prefix("sdg:it:os:") as u64;
    assert!(keys >= m.rows_delivered, "{keys} keys for {} delivered", m.rows_delivered);
}
