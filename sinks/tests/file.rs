//! The FILE and BLACKHOLE destinations write what they were given, in every
//! format, and read back equal.

use arrow_array::RecordBatch;
use sdg_engine::Plan;
use sdg_engine::spec::{Destination, DestinationType, parse_yaml};
use std::path::Path;

const FIELDS: &str = r#"
name: f
seed: 3
destination: { type: BLACKHOLE }
fields:
  - { name: order_id,   type: SEQUENCE }
  - { name: id,         type: UUID_GENERATED }
  - { name: created_at, type: TIMESTAMP_GENERATED, params: { start: "2026-01-01T00:00:00Z", step: 250ms } }
  - { name: status,     type: ENUM_RANDOM, params: { values: ["a,b", "say \"hi\"", plain] } }
  - { name: amount,     type: NUMERIC_RANGE, params: { min: 1, max: 500, decimals: 2 } }
  - { name: flag,       type: CONSTANT, params: { value: true } }
  - { name: ref,        type: SEQUENCE, params: { prefix: "line\nbreak-" } }
  - { name: coupon,     type: ENUM_RANDOM, params: { values: [A10] }, null_ratio: 0.5 }
"#;

fn batches(rows: usize, per_batch: usize) -> (Plan, Vec<RecordBatch>) {
    let plan = Plan::compile(&parse_yaml(FIELDS).expect("valid")).expect("compiles");
    let batches =
        (0..rows).step_by(per_batch).map(|s| plan.generate(s as u64, per_batch.min(rows - s)).expect("gen")).collect();
    (plan, batches)
}

fn dest(config: serde_json::Value) -> Destination {
    let serde_json::Value::Object(config) = config else { panic!("config must be an object") };
    Destination { kind: DestinationType::File, config }
}

/// Writes every batch and closes: (rows, bytes) delivered. A file is written
/// in row order, so what it delivers is settled too (the resume checkpoint).
fn write_all(d: &Destination, plan: &Plan, batches: &[RecordBatch]) -> (u64, u64) {
    let mut sink = sdg_sinks::open_sink(d, plan.schema()).expect("opens");
    let mut total = sdg_engine::Delivered::default();
    for b in batches {
        total += sink.write(b, None).expect("writes");
    }
    total += sink.close().expect("closes");
    assert_eq!(total.settled, total.rows, "delivered rows of a file are settled: {d:?}");
    (total.rows, total.bytes)
}

fn size(p: &Path) -> u64 {
    std::fs::metadata(p).expect("file exists").len()
}

#[test]
fn csv_is_rfc4180_with_header_quotes_and_empty_nulls() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("sub/out.csv");
    let (plan, batches) = batches(1000, 300);
    let (rows, bytes) = write_all(&dest(serde_json::json!({ "path": path })), &plan, &batches);
    assert_eq!((rows, bytes), (1000, size(&path)));
    let text = std::fs::read_to_string(&path).expect("read");
    assert!(text.starts_with("order_id,id,created_at,status,amount,flag,ref,coupon\n1,"), "{}", &text[..80]);
    assert!(text.contains("\"a,b\"") && text.contains("\"say \"\"hi\"\"\""), "quoted values");
    assert!(text.contains("\"line\nbreak-1\""), "line breaks quoted");
    assert!(text.contains(",2026-01-01T00:00:00.250Z,"), "RFC 3339 timestamps");
    assert!(text.contains(",true,"));
    let nulls = text.matches(",\n").count();
    assert!((400..600).contains(&nulls), "about half the coupons are empty: {nulls}");
}

#[test]
fn jsonl_lines_are_json_objects() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("out.jsonl");
    let (plan, batches) = batches(500, 128);
    let (rows, bytes) = write_all(&dest(serde_json::json!({ "path": path })), &plan, &batches);
    assert_eq!((rows, bytes), (500, size(&path)));
    let text = std::fs::read_to_string(&path).expect("read");
    let lines: Vec<serde_json::Value> =
        text.lines().map(|l| serde_json::from_str(l).expect("a JSON object per line")).collect();
    assert_eq!(lines.len(), 500);
    assert_eq!(lines[0]["order_id"], 1);
    assert_eq!(lines[1]["created_at"], "2026-01-01T00:00:00.250Z");
    assert_eq!(lines[0]["id"].as_str().map(str::len), Some(36));
    assert_eq!(lines[0]["ref"], "line\nbreak-1");
    assert!(lines.iter().any(|l| l["coupon"].is_null()) && lines.iter().any(|l| l["coupon"] == "A10"));
    assert!(lines.iter().all(|l| l["amount"].is_f64() || l["amount"].is_i64()));
}

#[test]
fn parquet_reads_back_equal() {
    let dir = tempfile::tempdir().expect("tempdir");
    for codec in ["none", "snappy", "zstd", "lz4"] {
        let path = dir.path().join(format!("out-{codec}.parquet"));
        let (plan, batches) = batches(5000, 1024);
        let (rows, bytes) =
            write_all(&dest(serde_json::json!({ "path": path, "compression": codec })), &plan, &batches);
        assert_eq!((rows, bytes), (5000, size(&path)), "{codec}");
        let file = std::fs::File::open(&path).expect("open");
        let reader = parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(file)
            .expect("parquet")
            .build()
            .expect("reader");
        let read: Vec<RecordBatch> = reader.collect::<Result<_, _>>().expect("batches");
        let read = arrow_select::concat::concat_batches(&read[0].schema(), &read).expect("concat");
        let written = arrow_select::concat::concat_batches(&batches[0].schema(), &batches).expect("concat");
        assert_eq!(read.num_rows(), 5000);
        for name in ["order_id", "id", "created_at", "amount", "flag", "ref", "coupon", "status"] {
            let (a, b) = (read.column_by_name(name).expect("col"), written.column_by_name(name).expect("col"));
            let a = arrow_cast::cast(a, b.data_type()).expect("same logical type");
            assert_eq!(&a, b, "{codec}: column {name}");
        }
    }
}

#[test]
fn arrow_ipc_reads_back_identical() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("out.arrow");
    let (plan, batches) = batches(3000, 1000);
    let (rows, bytes) = write_all(&dest(serde_json::json!({ "path": path })), &plan, &batches);
    assert_eq!((rows, bytes), (3000, size(&path)));
    let reader = arrow_ipc::reader::FileReader::try_new(std::fs::File::open(&path).expect("open"), None).expect("ipc");
    let read: Vec<RecordBatch> = reader.collect::<Result<_, _>>().expect("batches");
    assert_eq!(read, batches);
}

#[test]
fn rotation_splits_files_by_rows() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("rot.csv");
    let (plan, batches) = batches(1000, 300);
    let (rows, _) = write_all(&dest(serde_json::json!({ "path": path, "rotate_rows": 250 })), &plan, &batches);
    assert_eq!(rows, 1000);
    let mut first_ids = Vec::new();
    for i in 0..4 {
        let text = std::fs::read_to_string(dir.path().join(format!("rot-{i:05}.csv"))).expect("rotated file");
        assert!(text.starts_with("order_id,"), "each file has its header");
        let ids: Vec<i64> = text.split('\n').filter_map(|l| l.split(',').next().and_then(|v| v.parse().ok())).collect();
        assert_eq!(ids.len(), 250, "file {i}");
        first_ids.push(ids[0]);
    }
    assert_eq!(first_ids, [1, 251, 501, 751]);
    assert!(!dir.path().join("rot-00004.csv").exists());
}

#[test]
fn blackhole_counts_encoded_bytes() {
    let (plan, batches) = batches(2000, 500);
    let mut csv_bytes = 0;
    for format in ["arrow", "csv", "jsonl"] {
        let mut config = serde_json::Map::new();
        config.insert("format".into(), format.into());
        let d = Destination { kind: DestinationType::Blackhole, config };
        let (rows, bytes) = write_all(&d, &plan, &batches);
        assert_eq!(rows, 2000);
        assert!(bytes > 2000 * 20, "{format}: {bytes}");
        if format == "csv" {
            csv_bytes = bytes;
        }
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("same.csv");
    write_all(&dest(serde_json::json!({ "path": path })), &plan, &batches);
    let header = sdg_sinks::encode::CsvEncoder::header(plan.schema()).len() as u64;
    assert_eq!(csv_bytes + header, size(&path), "blackhole csv bytes equal the file's rows");
}

#[test]
fn destination_config_problems_are_reported_with_paths() {
    let problems = |kind: DestinationType, config: serde_json::Value| -> String {
        let serde_json::Value::Object(config) = config else { panic!() };
        sdg_sinks::validate_destination(&Destination { kind, config }).to_string()
    };
    let p = problems(DestinationType::File, serde_json::json!({ "pth": "x.csv" }));
    assert!(p.contains("destination.config: unknown key `pth` — did you mean `path`?"), "{p}");
    let p = problems(DestinationType::File, serde_json::json!({}));
    assert!(p.contains("missing field `path`"), "{p}");
    let p = problems(
        DestinationType::File,
        serde_json::json!({ "path": "x.csv", "compression": "zstd", "rotate_rows": 0 }),
    );
    assert!(p.contains("compression applies only to the parquet format") && p.contains("rotate_rows is 0"), "{p}");
    let p = problems(DestinationType::File, serde_json::json!({ "path": "x", "format": "xml" }));
    assert!(p.contains("destination.config.format: unknown variant `xml`"), "{p}");
    let p = problems(DestinationType::Kafka, serde_json::json!({ "topic": "t" }));
    assert!(p.contains("destination.type: destination KAFKA is handled by its own crate"), "{p}");
    assert!(problems(DestinationType::File, serde_json::json!({ "path": "-" })).is_empty());
}

#[test]
fn unwritable_paths_are_reported_not_panicked() {
    let (plan, batches) = batches(10, 10);
    let mut sink =
        sdg_sinks::open_sink(&dest(serde_json::json!({ "path": "/proc/definitely/not/here.csv" })), plan.schema())
            .expect("opens lazily");
    let err = sink.write(&batches[0], None).expect_err("cannot create");
    assert!(err.message.contains("/proc/definitely/not/here.csv"), "{}", err.message);
}
