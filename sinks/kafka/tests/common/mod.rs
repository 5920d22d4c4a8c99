//! Helpers shared by the Kafka integration tests.

#![allow(dead_code)]

use sdg_engine::{Plan, Run, RunConfig};
use sdg_sink_kafka::{KafkaConfig, KafkaSink, ValueFormat};
use std::collections::BTreeMap;
use std::sync::Arc;

/// The broker address, or None to skip (see sdg_testkit::server).
pub fn brokers() -> Option<String> {
    sdg_testkit::server("SDG_TEST_KAFKA_BROKERS")
}

pub fn unique(name: &str) -> String {
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(0);
    format!("sdg-it-{name}-{}-{nanos}", std::process::id())
}

pub fn plan(rows: u64, extra: &str) -> Plan {
    let head = format!(
        "name: kafka\nseed: 21\nbatch_size: 1000\n{extra}\ndestination: {{ type: KAFKA, config: {{ brokers: x, topic: x }} }}"
    );
    sdg_testkit::orders_plan(&head, rows, "")
}

pub fn config(brokers: &str, topic: &str, format: ValueFormat) -> KafkaConfig {
    KafkaConfig {
        brokers: brokers.into(),
        topic: topic.into(),
        key_field: Some("order_id".into()),
        format,
        compression: Some("lz4".into()),
        acks: None,
        idempotence: None,
        linger_ms: None,
        batch_bytes: None,
        queue_messages: Some(20_000),
        message_timeout_ms: None,
        create_topic: None,
        partitions: Some(3),
        replication_factor: None,
        headers: BTreeMap::from([("source".to_string(), "sdg".to_string())]),
        properties: BTreeMap::new(),
    }
}

pub fn run(plan: Plan, config: KafkaConfig) -> Run {
    let sink = KafkaSink::open(config, plan.schema().clone()).expect("opens");
    let run = Run::new(Arc::new(plan), RunConfig { workers: 2, queue_batches: 6, ..RunConfig::default() });
    run.start(Box::new(sink)).expect("starts");
    run
}

/// A consumed message: key, value, and its `source` header.
pub type Consumed = (Option<Vec<u8>>, Vec<u8>, Option<String>);

/// Every message of `topic` (see `sdg_testkit::kafka::consume`).
pub fn consume(brokers: &str, topic: &str, expected: usize) -> Vec<Consumed> {
    sdg_testkit::kafka::consume(brokers, topic, expected)
        .into_iter()
        .map(|m| {
            let source = m.header("source");
            (m.key, m.value, source)
        })
        .collect()
}
