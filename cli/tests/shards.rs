//! `sdg run --shard I/N` (or JOB_COMPLETION_INDEX and SDG_SHARDS, as a
//! Kubernetes Indexed Job sets them): shard processes write parts whose
//! concatenation is byte-for-byte the one-process file — with late and
//! duplicate rows too — Parquet parts hold the same rows in the same order,
//! a rerun shard writes the same part, REALTIME shards together make the
//! one stream, shards fill one PostgreSQL table and one Kafka topic with
//! exactly the rows, and a run that cannot shard says why.

use std::path::Path;
use std::process::{Command, Output};

fn sdg(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut c = Command::new(env!("CARGO_BIN_EXE_sdg"));
    c.args(args).env_remove("JOB_COMPLETION_INDEX").env_remove("SDG_SHARDS");
    for (k, v) in env {
        c.env(k, v);
    }
    c.output().expect("runs sdg")
}

fn write_def(dir: &Path, extra: &str) -> String {
    let path = dir.join("orders.yaml");
    std::fs::write(
        &path,
        format!(
            "name: orders\nseed: 4\nbatch_size: 1000\nend_condition: {{ type: RECORD_COUNT, value: 100003 }}\n\
             destination: {{ type: FILE, config: {{ path: {} }} }}\n{extra}fields:\n\
             \x20 - {{ name: id, type: SEQUENCE }}\n\
             \x20 - {{ name: at, type: TIMESTAMP_GENERATED, params: {{ step: 10ms }} }}\n\
             \x20 - {{ name: status, type: ENUM_RANDOM, params: {{ values: [NEW, PAID, SHIPPED] }} }}\n\
             \x20 - {{ name: amount, type: NUMERIC_RANGE, params: {{ min: 1, max: 500, decimals: 2 }} }}\n",
            dir.join("orders.csv").display()
        ),
    )
    .expect("yaml");
    path.to_string_lossy().into_owned()
}

fn shards_concatenate_to_the_single_file(extra: &str) {
    let dir = tempfile::tempdir().expect("tmp");
    let def = write_def(dir.path(), extra);
    let one = sdg(&["run", &def, "-q"], &[]);
    assert!(one.status.success(), "{}", String::from_utf8_lossy(&one.stderr));
    let single = std::fs::read(dir.path().join("orders.csv")).expect("single file");
    // Four processes at once, as an Indexed Job runs them.
    let children: Vec<_> = (0..4)
        .map(|i| {
            Command::new(env!("CARGO_BIN_EXE_sdg"))
                .args(["run", &def, "-q", "--workers", "1"])
                .env("JOB_COMPLETION_INDEX", i.to_string())
                .env("SDG_SHARDS", "4")
                .spawn()
                .expect("spawn shard")
        })
        .collect();
    for mut c in children {
        assert!(c.wait().expect("shard").success());
    }
    let part = |i: u64| dir.path().join(format!("orders.part-{i:04}-of-0004.csv"));
    let mut joined = Vec::new();
    for i in 0..4 {
        joined.extend(std::fs::read(part(i)).expect("part"));
    }
    assert_eq!(joined.len(), single.len());
    assert!(joined == single, "the parts in order are the one-process file");
    // A shard run again (a retried pod) writes the same part.
    let before = std::fs::read(part(2)).expect("part");
    let again = sdg(&["run", &def, "-q", "--shard", "2/4"], &[]);
    assert!(again.status.success(), "{}", String::from_utf8_lossy(&again.stderr));
    assert_eq!(std::fs::read(part(2)).expect("part"), before);
}

#[test]
fn four_shards_concatenate_to_the_one_process_file() {
    shards_concatenate_to_the_single_file("");
}

#[test]
fn shards_of_a_disordered_run_concatenate_to_it_too() {
    shards_concatenate_to_the_single_file(
        "disorder: { late_ratio: 0.05, delay: { distribution: exponential, mean: 200ms }, max: 1s, rate: 5000 }\nduplicate_ratio: 0.01\n",
    );
}

#[test]
fn runs_that_cannot_shard_say_why() {
    let dir = tempfile::tempdir().expect("tmp");
    let def = write_def(dir.path(), "");
    let err = |args: &[&str], env: &[(&str, &str)]| {
        let o = sdg(args, env);
        assert!(!o.status.success(), "{args:?} should fail");
        String::from_utf8_lossy(&o.stderr).into_owned()
    };
    assert!(err(&["run", &def, "--shard", "4/4"], &[]).contains("0 ≤ I < N"));
    assert!(err(&["run", &def, "--shard", "x"], &[]).contains("I/N"));
    assert!(err(&["run", &def], &[("JOB_COMPLETION_INDEX", "1")]).contains("SDG_SHARDS"));
    // Sessions go to shards whole: no more shards than sessions.
    let sessions = dir.path().join("sessions.yaml");
    std::fs::write(
        &sessions,
        format!(
            "{}  - name: state\n    type: STATE_MACHINE\n    params: {{ entity: {{ count: 2 }}, initial: a, states: [a, b], transitions: {{ a: {{ b: 1 }} }}, final: [b] }}\n",
            std::fs::read_to_string(&def).expect("def")
        ),
    )
    .expect("yaml");
    let e = err(&["run", sessions.to_str().expect("path"), "--shard", "0/3"], &[]);
    assert!(e.contains("at most 2 shards"), "{e}");
}

fn parquet_rows(path: &Path) -> arrow_array::RecordBatch {
    let file = std::fs::File::open(path).expect("parquet file");
    let reader = parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(file)
        .expect("parquet")
        .build()
        .expect("reader");
    let batches: Vec<_> = reader.map(|b| b.expect("batch")).collect();
    arrow_select::concat::concat_batches(&batches[0].schema(), &batches).expect("concat")
}

#[test]
fn parquet_parts_hold_the_one_process_rows_in_order() {
    let dir = tempfile::tempdir().expect("tmp");
    let def = write_def(dir.path(), "");
    let single = dir.path().join("orders.parquet");
    let out = single.to_str().expect("path");
    let one = sdg(&["run", &def, "-q", "--out", out], &[]);
    assert!(one.status.success(), "{}", String::from_utf8_lossy(&one.stderr));
    let children: Vec<_> = (0..4)
        .map(|i| {
            Command::new(env!("CARGO_BIN_EXE_sdg"))
                .args(["run", &def, "-q", "--workers", "1", "--out", out, "--shard", &format!("{i}/4")])
                .spawn()
                .expect("spawn shard")
        })
        .collect();
    for mut c in children {
        assert!(c.wait().expect("shard").success());
    }
    let parts: Vec<_> =
        (0..4).map(|i| parquet_rows(&dir.path().join(format!("orders.part-{i:04}-of-0004.parquet")))).collect();
    assert!(parts.iter().all(|p| p.num_rows() > 0));
    let joined = arrow_select::concat::concat_batches(&parts[0].schema(), &parts).expect("concat");
    assert_eq!(joined, parquet_rows(&single), "the same rows in the same order");
}

#[test]
fn realtime_shards_pace_their_share_and_make_the_one_stream() {
    let dir = tempfile::tempdir().expect("tmp");
    let def = dir.path().join("stream.yaml");
    std::fs::write(
        &def,
        format!(
            "name: stream\nseed: 9\nmode: REALTIME\nrate: 20000\nbatch_size: 1000\nend_condition: {{ type: RECORD_COUNT, value: 12000 }}\n\
             destination: {{ type: FILE, config: {{ path: {} }} }}\nfields:\n\
             \x20 - {{ name: id, type: SEQUENCE }}\n\
             \x20 - {{ name: status, type: ENUM_RANDOM, params: {{ values: [NEW, PAID, SHIPPED] }} }}\n\
             \x20 - {{ name: amount, type: NUMERIC_RANGE, params: {{ min: 1, max: 500, decimals: 2 }} }}\n",
            dir.path().join("stream.csv").display()
        ),
    )
    .expect("yaml");
    let def = def.to_str().expect("path");
    let one = sdg(&["run", def, "-q"], &[]);
    assert!(one.status.success(), "{}", String::from_utf8_lossy(&one.stderr));
    let lines = |bytes: Vec<u8>| -> Vec<String> {
        String::from_utf8(bytes).expect("utf8").lines().filter(|l| !l.starts_with("id,")).map(str::to_string).collect()
    };
    let mut single = lines(std::fs::read(dir.path().join("stream.csv")).expect("single"));
    let children: Vec<_> = (0..3)
        .map(|i| {
            Command::new(env!("CARGO_BIN_EXE_sdg"))
                .args(["run", def, "--shard", &format!("{i}/3")])
                .stderr(std::process::Stdio::piped())
                .spawn()
                .expect("spawn shard")
        })
        .collect();
    let mut union = Vec::new();
    for (i, c) in children.into_iter().enumerate() {
        let out = c.wait_with_output().expect("shard");
        let log = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{log}");
        assert!(log.contains(&format!("shard {i}/3: blocks of")) && log.contains("4000 rows"), "{log}");
        union.extend(lines(std::fs::read(dir.path().join(format!("stream.part-{i:04}-of-0003.csv"))).expect("part")));
    }
    assert_eq!(union.len(), 12000);
    single.sort();
    union.sort();
    assert!(union == single, "the shards' rows are the one stream's");
}

fn in_root(args: &[&str]) -> Output {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("workspace root");
    let out = Command::new(env!("CARGO_BIN_EXE_sdg"))
        .args(args)
        .current_dir(root)
        .env_remove("JOB_COMPLETION_INDEX")
        .env_remove("SDG_SHARDS")
        .output()
        .expect("runs sdg");
    assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
    out
}

/// Shard 0 first (it creates the table or topic), then the other three at once.
fn four_shards(args: &[&str]) {
    let with = |i: u32| {
        let mut a: Vec<String> = args.iter().map(|s| s.to_string()).collect();
        a.extend(["--shard".into(), format!("{i}/4"), "-q".into()]);
        a
    };
    let first = with(0);
    in_root(&first.iter().map(String::as_str).collect::<Vec<_>>());
    let rest: Vec<_> = (1..4)
        .map(|i| {
            let a = with(i);
            std::thread::spawn(move || {
                in_root(&a.iter().map(String::as_str).collect::<Vec<_>>());
            })
        })
        .collect();
    for t in rest {
        t.join().expect("shard");
    }
}

#[test]
fn four_shards_fill_one_postgres_table_with_exactly_the_rows() {
    let Some(url) = sdg_testkit::server("SDG_TEST_POSTGRES_URL") else { return };
    let psql = |sql: &str| {
        let o = Command::new("psql").args([url.as_str(), "-qAtc", sql]).output().expect("psql");
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        String::from_utf8_lossy(&o.stdout).trim().to_string()
    };
    psql("DROP TABLE IF EXISTS sdg_shard_orders");
    let to = format!("{url}?table=sdg_shard_orders&create_table=true");
    four_shards(&["run", "configs/quickstart.yaml", "--rows", "20000", "--to", &to]);
    assert_eq!(
        psql("SELECT count(*), count(DISTINCT order_id), sum(order_id) FROM sdg_shard_orders"),
        "20000|20000|200010000"
    );
    psql("DROP TABLE sdg_shard_orders");
}

#[test]
fn four_shards_produce_one_topic_with_every_key_once() {
    let Some(brokers) = sdg_testkit::server("SDG_TEST_KAFKA_BROKERS") else { return };
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos());
    let topic = format!("sdg-shards-{}-{nanos}", std::process::id());
    let to = format!("kafka://{brokers}/{topic}?key_field=order_id");
    four_shards(&["run", "configs/quickstart.yaml", "--rows", "8000", "--to", &to]);
    let messages = sdg_testkit::kafka::consume(&brokers, &topic, 8000);
    assert_eq!(messages.len(), 8000, "exactly the run's rows, none twice");
    let keys: std::collections::HashSet<Vec<u8>> = messages.into_iter().filter_map(|m| m.key).collect();
    assert_eq!(keys.len(), 8000, "every key once, as in the single run");
    let expected: std::collections::HashSet<Vec<u8>> = (1..=8000).map(|k: u64| k.to_string().into_bytes()).collect();
    assert!(keys == expected, "the keys of the single run (order_id 1 … 8000)");
}
