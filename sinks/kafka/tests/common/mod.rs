//! Helpers shared by the Kafka integration tests.

#![allow(dead_code)]

use rdkafka::config::ClientConfig;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::message::Headers;
use rdkafka::{Message, Offset, TopicPartitionList};
use sdg_engine::{Plan, Run, RunConfig};
use sdg_sink_kafka::{KafkaConfig, KafkaSink, ValueFormat};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

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
    let run = Run::new(Arc::new(plan), RunConfig { workers: 2, queue_batches: 6, start_row: 0 });
    run.start(Box::new(sink)).expect("starts");
    run
}

/// Every message of `topic` (all partitions, by assignment), until `expected` or 30 s.
/// A consumed message: key, value, and its `source` header.
pub type Consumed = (Option<Vec<u8>>, Vec<u8>, Option<String>);

pub fn consume(brokers: &str, topic: &str, partitions: i32, expected: usize) -> Vec<Consumed> {
    let consumer: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", brokers)
        .set("group.id", unique("reader"))
        .set("enable.auto.commit", "false")
        .create()
        .expect("consumer");
    let mut tpl = TopicPartitionList::new();
    for p in 0..partitions {
        tpl.add_partition_offset(topic, p, Offset::Beginning).expect("partition");
    }
    consumer.assign(&tpl).expect("assign");
    let mut out = Vec::new();
    let t0 = Instant::now();
    let mut last = Instant::now();
    // Until `expected` messages, then on until the topic is quiet for 2 s
    // (at-least-once sends may add duplicates beyond `expected`).
    while t0.elapsed() < Duration::from_secs(60) && (out.len() < expected || last.elapsed() < Duration::from_secs(2)) {
        if let Some(Ok(m)) = consumer.poll(Duration::from_millis(200)) {
            last = Instant::now();
            let header = m
                .headers()
                .and_then(|h| h.iter().find(|h| h.key == "source"))
                .and_then(|h| h.value)
                .map(|v| String::from_utf8_lossy(v).into_owned());
            out.push((m.key().map(<[u8]>::to_vec), m.payload().unwrap_or_default().to_vec(), header));
        }
    }
    out
}
