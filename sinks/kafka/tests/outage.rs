//! A broker that stops answering mid-run (SIGSTOP, then SIGCONT: tansu keeps
//! its in-memory topics) loses nothing. A test binary of its own, so no other
//! test sees the broker freeze.

mod common;
use common::*;
use sdg_engine::{Run, Status};
use sdg_sink_kafka::ValueFormat;
use std::collections::HashSet;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// The tests here freeze the one broker: one at a time.
static BROKER: Mutex<()> = Mutex::new(());

/// Thaws the broker when dropped, so a failing assertion never leaves it frozen.
struct Frozen;

impl Drop for Frozen {
    fn drop(&mut self) {
        services("thaw");
    }
}

fn freeze() -> Frozen {
    services("freeze");
    Frozen
}

fn services(action: &str) {
    sdg_testkit::services(action, "kafka");
}

#[test]
fn a_broker_that_stops_answering_loses_nothing() {
    let Some(brokers) = brokers() else { return };
    let _one = BROKER.lock().unwrap_or_else(|e| e.into_inner());
    let topic = unique("outage");
    let run = run(plan(40_000, "rate: 20000\non_error: PAUSE"), config(&brokers, &topic, ValueFormat::Json));
    let t0 = Instant::now();
    while run.metrics().rows_delivered < 8_000 {
        assert!(t0.elapsed() < Duration::from_secs(30), "no progress");
        std::thread::sleep(Duration::from_millis(20));
    }
    let frozen = freeze();
    std::thread::sleep(Duration::from_secs(2));
    let during = run.metrics();
    drop(frozen);
    assert_eq!(run.wait(), Status::Completed, "{:?}", run.metrics().last_error);
    let m = run.metrics();
    assert_eq!((m.rows_delivered, m.rows_failed), (40_000, 0));
    assert!(during.rows_delivered < 40_000, "the outage happened mid-run");
    let ids: HashSet<i64> = consume(&brokers, &topic, 40_000)
        .iter()
        .map(|(_, v, _)| {
            serde_json::from_slice::<serde_json::Value>(v).expect("json")["order_id"].as_i64().expect("id")
        })
        .collect();
    assert_eq!(ids.len(), 40_000, "every row on the topic, none lost");
}

/// With a short `message_timeout_ms`, a longer freeze makes deliveries fail;
/// each policy then does what it promises.
fn failing_outage(brokers: &str, policy: &str) -> (Run, String, Frozen) {
    let topic = unique(&format!("fail-{}", policy.to_lowercase()));
    let mut c = config(brokers, &topic, ValueFormat::Json);
    c.message_timeout_ms = Some(1500);
    let run = run(plan(30_000, &format!("rate: 15000\non_error: {policy}")), c);
    let t0 = Instant::now();
    while run.metrics().rows_delivered < 6_000 {
        assert!(t0.elapsed() < Duration::from_secs(30), "no progress");
        std::thread::sleep(Duration::from_millis(20));
    }
    let frozen = freeze();
    eprintln!("{policy}: frozen at {:?}", run.metrics());
    (run, topic, frozen)
}

/// Waits for the end of the run, showing progress (a hung run shows where it is).
fn finish(run: &Run) -> Status {
    let t0 = Instant::now();
    while !run.wait_timeout(Duration::from_secs(5)) {
        eprintln!("waiting {:?}: {:?}", t0.elapsed(), run.metrics());
        assert!(t0.elapsed() < Duration::from_secs(120), "the run did not end");
    }
    run.status()
}

fn ids(brokers: &str, topic: &str, expected: usize) -> HashSet<i64> {
    consume(brokers, topic, expected)
        .iter()
        .map(|(_, v, _)| {
            serde_json::from_slice::<serde_json::Value>(v).expect("json")["order_id"].as_i64().expect("id")
        })
        .collect()
}

#[test]
fn failed_deliveries_follow_the_on_error_policy() {
    let Some(brokers) = brokers() else { return };
    let _one = BROKER.lock().unwrap_or_else(|e| e.into_inner());

    // PAUSE: the run pauses with the error; after resume the failed messages go first. Nothing lost.
    let (run, topic, frozen) = failing_outage(&brokers, "PAUSE");
    let t0 = Instant::now();
    while run.status() != Status::Paused {
        assert!(t0.elapsed() < Duration::from_secs(30), "never paused: {:?}", run.metrics());
        std::thread::sleep(Duration::from_millis(20));
    }
    drop(frozen);
    assert!(run.metrics().last_error.as_deref().unwrap_or("").contains("not delivered within message_timeout_ms"));
    run.resume().expect("resumes");
    assert_eq!(finish(&run), Status::Completed, "{:?}", run.metrics().last_error);
    assert_eq!(run.metrics().rows_failed, 0);
    assert_eq!(ids(&brokers, &topic, 30_000).len(), 30_000, "every row on the topic");

    // CONTINUE: failed messages are sent again after a backoff. Nothing lost.
    let (run, topic, frozen) = failing_outage(&brokers, "CONTINUE");
    std::thread::sleep(Duration::from_secs(3));
    drop(frozen);
    assert_eq!(finish(&run), Status::Completed, "{:?}", run.metrics().last_error);
    let m = run.metrics();
    assert!(m.errors > 0, "the failures were seen");
    assert_eq!(m.rows_failed, 0);
    assert_eq!(ids(&brokers, &topic, 30_000).len(), 30_000, "every row on the topic");

    // STOP: the run fails; rows it reports delivered are on the topic, the rest are counted failed.
    let (run, topic, frozen) = failing_outage(&brokers, "STOP");
    std::thread::sleep(Duration::from_secs(3));
    drop(frozen);
    assert_eq!(finish(&run), Status::Failed);
    let m = run.metrics();
    assert!(m.rows_failed > 0);
    let on_topic = ids(&brokers, &topic, m.rows_delivered as usize).len() as u64;
    assert!(on_topic >= m.rows_delivered, "{on_topic} on the topic, {} reported delivered", m.rows_delivered);
}
