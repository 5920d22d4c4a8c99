//! A broker that stops answering mid-run (SIGSTOP, then SIGCONT: tansu keeps
//! its in-memory topics) loses nothing. A test binary of its own, so no other
//! test sees the broker freeze.

mod common;
use common::*;
use sdg_engine::Status;
use sdg_sink_kafka::ValueFormat;
use std::collections::HashSet;
use std::process::Command;
use std::time::{Duration, Instant};

fn services(action: &str) {
    let script = std::env::var("SDG_SERVICES").unwrap_or_else(|_| "scripts/services.sh".into());
    let status = Command::new("bash").args([script.as_str(), action, "kafka"]).status().expect("services.sh");
    assert!(status.success(), "services.sh {action} kafka");
}

#[test]
fn a_broker_that_stops_answering_loses_nothing() {
    let Some(brokers) = brokers() else { return };
    let topic = unique("outage");
    let run = run(plan(40_000, "rate: 20000\non_error: PAUSE"), config(&brokers, &topic, ValueFormat::Json));
    let t0 = Instant::now();
    while run.metrics().rows_delivered < 8_000 {
        assert!(t0.elapsed() < Duration::from_secs(30), "no progress");
        std::thread::sleep(Duration::from_millis(20));
    }
    services("freeze");
    std::thread::sleep(Duration::from_secs(2));
    let during = run.metrics();
    services("thaw");
    assert_eq!(run.wait(), Status::Completed, "{:?}", run.metrics().last_error);
    let m = run.metrics();
    assert_eq!((m.rows_delivered, m.rows_failed), (40_000, 0));
    assert!(during.rows_delivered < 40_000, "the outage happened mid-run");
    let ids: HashSet<i64> = consume(&brokers, &topic, 3, 40_000)
        .iter()
        .map(|(_, v, _)| {
            serde_json::from_slice::<serde_json::Value>(v).expect("json")["order_id"].as_i64().expect("id")
        })
        .collect();
    assert_eq!(ids.len(), 40_000, "every row on the topic, none lost");
}
