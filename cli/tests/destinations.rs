//! `sdg run --to URL` end to end, against the real servers of
//! scripts/services.sh: the summary counts what the destination holds, and
//! the Kafka topic holds exactly the generator's rows.

use apache_avro::types::Value as AvroValue;
use arrow_array::Array;
use arrow_array::cast::AsArray;
use arrow_array::types::{Float64Type, Int32Type, Int64Type, TimestampMicrosecondType};
use arrow_schema::{DataType, TimeUnit};
use std::path::Path;
use std::process::{Command, Output};

fn env(name: &str) -> Option<String> {
    sdg_testkit::server(name)
}

fn sdg(args: &[&str]) -> Output {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("workspace root");
    Command::new(env!("CARGO_BIN_EXE_sdg")).args(args).current_dir(root).output().expect("runs sdg")
}

fn summary(out: &Output) -> String {
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.success(), "{stderr}");
    assert!(stderr.contains("COMPLETED"), "{stderr}");
    stderr
}

fn shell(cmd: &str, args: &[&str]) -> String {
    let out = Command::new(cmd).args(args).output().unwrap_or_else(|e| panic!("{cmd}: {e}"));
    assert!(out.status.success(), "{cmd} {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

#[test]
fn to_postgres() {
    let Some(url) = env("SDG_TEST_POSTGRES_URL") else { return };
    shell("psql", &[&url, "-qAtc", "DROP TABLE IF EXISTS sdg_cli_orders"]);
    let s = summary(&sdg(&[
        "run",
        "configs/quickstart.yaml",
        "--rows",
        "5000",
        "--to",
        &format!("{url}?table=sdg_cli_orders&create_table=true"),
    ]));
    assert!(s.contains("quickstart: 5000 rows in"), "{s}");
    assert_eq!(shell("psql", &[&url, "-qAtc", "SELECT count(*) FROM sdg_cli_orders"]), "5000");
}

#[test]
fn to_redis() {
    let Some(url) = env("SDG_TEST_REDIS_URL") else { return };
    let port = url.rsplit(':').next().unwrap_or("6379").to_string();
    shell("redis-cli", &["-p", &port, "del", "sdg:cli:stream"]);
    let s = summary(&sdg(&[
        "run",
        "configs/quickstart.yaml",
        "--rows",
        "3000",
        "--to",
        &format!("{url}?mode=stream&key=sdg:cli:stream"),
    ]));
    assert!(s.contains("quickstart: 3000 rows in"), "{s}");
    assert_eq!(shell("redis-cli", &["-p", &port, "xlen", "sdg:cli:stream"]), "3000");
}

/// Every message of `topic`: (key, value).
fn consume(brokers: &str, topic: &str, expected: usize) -> Vec<(Option<Vec<u8>>, Vec<u8>)> {
    sdg_testkit::kafka::consume(brokers, topic, expected).into_iter().map(|m| (m.key, m.value)).collect()
}

/// A decoded Avro value as comparable text (None for null).
fn avro_text(v: &AvroValue) -> Option<String> {
    match v {
        AvroValue::Null => None,
        AvroValue::Union(_, inner) => avro_text(inner),
        AvroValue::Long(n) | AvroValue::TimestampMicros(n) => Some(n.to_string()),
        AvroValue::Double(x) => Some(format!("{x:?}")),
        AvroValue::String(s) => Some(s.clone()),
        AvroValue::Uuid(u) => Some(u.to_string()),
        other => panic!("unexpected Avro value {other:?}"),
    }
}

/// Cell `row` of an Arrow column as the same text as [`avro_text`].
fn arrow_text(column: &dyn Array, row: usize) -> Option<String> {
    if column.is_null(row) {
        return None;
    }
    Some(match column.data_type() {
        DataType::Int64 => column.as_primitive::<Int64Type>().value(row).to_string(),
        DataType::Timestamp(TimeUnit::Microsecond, _) => {
            column.as_primitive::<TimestampMicrosecondType>().value(row).to_string()
        }
        DataType::Float64 => format!("{:?}", column.as_primitive::<Float64Type>().value(row)),
        DataType::FixedSizeBinary(16) => {
            uuid::Uuid::from_slice(column.as_fixed_size_binary().value(row)).expect("16 bytes").to_string()
        }
        DataType::Dictionary(..) => {
            let d = column.as_dictionary::<Int32Type>();
            d.values().as_string::<i32>().value(d.keys().value(row) as usize).to_string()
        }
        other => panic!("unexpected column type {other}"),
    })
}

#[test]
fn to_kafka() {
    let Some(brokers) = env("SDG_TEST_KAFKA_BROKERS") else { return };
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos());
    let topic = format!("sdg-cli-{}-{nanos}", std::process::id());
    let s = summary(&sdg(&[
        "run",
        "configs/quickstart.yaml",
        "--rows",
        "4000",
        "--to",
        &format!("kafka://{brokers}/{topic}?key_field=order_id&format=avro"),
    ]));
    assert!(s.contains("quickstart: 4000 rows in"), "delivery reports count every row: {s}");

    // What the topic holds: 4000 Avro datums, keyed by order_id, equal to the generator's rows.
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("workspace root");
    let yaml = std::fs::read_to_string(root.join("configs/quickstart.yaml")).expect("quickstart.yaml");
    let plan = sdg_engine::Plan::compile(&sdg_engine::spec::parse_yaml(&yaml).expect("parses")).expect("compiles");
    let expected = plan.generate(0, 4000).expect("generates");
    // The reader's schema as a consumer writes it from docs/DESTINATIONS.md (record `sdg.row`).
    let nullable =
        |name: &str, t: serde_json::Value| serde_json::json!({"name": name, "type": ["null", t], "default": null});
    let schema = serde_json::json!({"type": "record", "name": "row", "namespace": "sdg", "fields": [
        nullable("order_id", "long".into()),
        nullable("id", serde_json::json!({"type": "string", "logicalType": "uuid"})),
        nullable("created_at", serde_json::json!({"type": "long", "logicalType": "timestamp-micros"})),
        nullable("status", "string".into()),
        nullable("amount", "double".into()),
        nullable("region", "string".into()),
        nullable("coupon", "string".into()),
    ]});
    let schema = apache_avro::Schema::parse(&schema).expect("valid Avro schema");
    let messages = consume(&brokers, &topic, 4000);
    assert_eq!(messages.len(), 4000, "messages on {topic}");
    let mut seen = std::collections::HashSet::new();
    for (key, value) in &messages {
        let mut bytes = value.as_slice();
        let datum = apache_avro::from_avro_datum(&schema, &mut bytes, None).expect("an Avro datum");
        assert!(bytes.is_empty(), "{} bytes after the datum", bytes.len());
        let AvroValue::Record(fields) = datum else { panic!("a record: {datum:?}") };
        let cells: Vec<Option<String>> = fields.iter().map(|(_, v)| avro_text(v)).collect();
        let order_id: u64 = cells[0].as_deref().and_then(|id| id.parse().ok()).expect("an order_id");
        assert_eq!(key.as_deref(), cells[0].as_deref().map(str::as_bytes), "the key is the order_id");
        assert!((1..=4000).contains(&order_id) && seen.insert(order_id), "order_id {order_id} once");
        let row = (order_id - 1) as usize;
        let want: Vec<Option<String>> = expected.columns().iter().map(|c| arrow_text(c.as_ref(), row)).collect();
        assert_eq!(cells, want, "row {row}");
    }
    assert_eq!(seen.len(), 4000);
}

#[test]
fn bad_destination_urls_are_explained() {
    let out = sdg(&["run", "configs/quickstart.yaml", "--to", "kafka://127.0.0.1:9092"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("has no topic: write kafka://HOST:PORT/TOPIC"));
    let out = sdg(&["validate", "configs/quickstart.yaml"]);
    assert!(out.status.success());
    let out = sdg(&["run", "configs/quickstart.yaml", "--to", "redis://127.0.0.1:6379?key=o:{nope}"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("there is no field `nope`"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
