//! The KAFKA destination against a real Kafka-protocol broker (tansu, started
//! by scripts/services.sh): what the generator says it delivered is on the
//! topic, equal to its deterministic output, in JSON, CSV and Avro. (A broker
//! that stops answering: tests/outage.rs, a binary of its own.)

use arrow_array::cast::AsArray;
use arrow_array::types::Int64Type;
use sdg_engine::Status;
use sdg_sink_kafka::{KafkaSink, ValueFormat};
use std::collections::HashSet;

mod common;
use common::*;

#[test]
fn json_rows_reach_the_topic_with_keys_and_headers() {
    let Some(brokers) = brokers() else { return };
    let topic = unique("json");
    let run = run(plan(20_000, ""), config(&brokers, &topic, ValueFormat::Json));
    assert_eq!(run.wait(), Status::Completed, "{:?}", run.metrics().last_error);
    let m = run.metrics();
    assert_eq!((m.rows_delivered, m.rows_failed), (20_000, 0));
    let messages = consume(&brokers, &topic, 20_000);
    assert_eq!(messages.len(), 20_000);
    let expected = plan(20_000, "").generate(0, 20_000).expect("gen");
    let text = sdg_sinks::encode::render_cells(&expected).expect("text");
    let mut seen = HashSet::new();
    for (key, value, header) in &messages {
        let v: serde_json::Value = serde_json::from_slice(value).expect("JSON value");
        let id = v["order_id"].as_i64().expect("order_id");
        assert_eq!(key.as_deref(), Some(id.to_string().as_bytes()), "key is the order_id");
        assert_eq!(header.as_deref(), Some("sdg"));
        let row = (id - 1) as usize;
        assert_eq!(v["id"].as_str(), text[row][1].as_deref());
        assert_eq!(v["status"].as_str(), text[row][3].as_deref());
        assert!(seen.insert(id));
    }
    assert_eq!(seen.len(), 20_000);
}

#[test]
fn csv_and_avro_values() {
    let Some(brokers) = brokers() else { return };
    let topic = unique("csv");
    let run1 = run(plan(2_000, ""), config(&brokers, &topic, ValueFormat::Csv));
    assert_eq!(run1.wait(), Status::Completed, "{:?}", run1.metrics().last_error);
    let messages = consume(&brokers, &topic, 2_000);
    assert_eq!(messages.len(), 2_000);
    for (key, value, _) in &messages {
        let line = String::from_utf8(value.clone()).expect("utf-8");
        assert_eq!(line.split(',').next().map(str::as_bytes), key.as_deref(), "first CSV field is the key");
        assert_eq!(line.split(',').count(), 6);
    }

    let topic = unique("avro");
    let p = plan(2_000, "");
    let expected = p.generate(0, 2_000).expect("gen");
    let schema_json = sdg_sink_kafka::avro::avro_schema(p.schema(), "row").expect("schema");
    let schema = apache_avro::Schema::parse(&schema_json).expect("valid Avro schema");
    let run2 = run(p, config(&brokers, &topic, ValueFormat::Avro));
    assert_eq!(run2.wait(), Status::Completed, "{:?}", run2.metrics().last_error);
    let messages = consume(&brokers, &topic, 2_000);
    assert_eq!(messages.len(), 2_000);
    let ids = expected.column(0).as_primitive::<Int64Type>();
    for (_, value, _) in messages.iter().take(200) {
        let datum = apache_avro::from_avro_datum(&schema, &mut value.as_slice(), None).expect("decodes");
        let apache_avro::types::Value::Record(fields) = datum else { panic!("a record") };
        let apache_avro::types::Value::Union(1, id) = &fields[0].1 else {
            panic!("nullable order_id: {:?}", fields[0])
        };
        let apache_avro::types::Value::Long(id) = **id else { panic!("long") };
        assert_eq!(id, ids.value((id - 1) as usize));
    }
}

#[test]
fn a_missing_topic_or_an_unreachable_broker_is_an_error_at_open() {
    let Some(brokers) = brokers() else { return };
    let schema = plan(10, "").schema().clone();
    let topic = unique("missing");
    let mut c = config(&brokers, &topic, ValueFormat::Json);
    c.create_topic = Some(false);
    let err = KafkaSink::open(c, schema.clone()).expect_err("the topic does not exist");
    assert!(!err.retryable, "{}", err.message);
    assert!(err.message.contains(&topic) && err.message.contains("create_topic"), "{}", err.message);

    // Nothing listens on port 1: refused, retried until the open timeout, then a clear error.
    let err = KafkaSink::open(config("127.0.0.1:1", &topic, ValueFormat::Json), schema).expect_err("unreachable");
    assert!(err.retryable, "{}", err.message);
    assert!(err.message.contains("cannot reach the Kafka brokers at 127.0.0.1:1"), "{}", err.message);
}
