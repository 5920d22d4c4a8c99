//! `sdg serve` as a process: SIGTERM shuts down gracefully (generators
//! stopped, files complete); after SIGKILL a restarted server brings the
//! running generator back STOPPED and `resume` continues from its checkpoint
//! with the very rows the first run would have made (the seed is drawn once,
//! when the generator is created); a Kafka checkpoint taken while the broker
//! is frozen covers only rows that are on the topic.

use serde_json::{Value, json};
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

struct Serve {
    child: Child,
    base: String,
}

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts `sdg serve` on a free port and reads its address off stderr.
fn serve(data: &Path) -> Serve {
    let mut child = Command::new(env!("CARGO_BIN_EXE_sdg"))
        .args(["serve", "--addr", "127.0.0.1:0", "--data-dir", data.to_str().expect("path")])
        .stderr(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .expect("spawn sdg serve");
    let stderr = child.stderr.take().expect("stderr");
    let mut lines = BufReader::new(stderr).lines();
    let base = loop {
        let line = lines.next().expect("sdg serve printed its address").expect("read");
        if let Some(rest) = line.split("sdg control API on ").nth(1) {
            break rest.split(' ').next().expect("url").to_string();
        }
    };
    // Keep draining stderr so the server never blocks on a full pipe.
    std::thread::spawn(move || for _ in lines.by_ref() {});
    Serve { child, base }
}

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder().http_status_as_error(false).build().into()
}

fn call(method: &str, url: &str, body: Option<&Value>) -> Value {
    let a = agent();
    let r = match (method, body) {
        ("GET", _) => a.get(url).call(),
        (_, Some(b)) => a.post(url).send_json(b),
        _ => a.post(url).send_empty(),
    };
    let text = r.expect("http").body_mut().read_to_string().expect("body");
    serde_json::from_str(&text).expect("json")
}

/// No seed: the server draws one. Every field but `id` depends on it.
fn generator(out: &Path) -> Value {
    json!({
        "name": "crash", "mode": "REALTIME", "rate": 20000, "batch_size": 1000,
        "end_condition": { "type": "MANUAL" },
        "destination": { "type": "FILE", "config": { "path": out.to_string_lossy() } },
        "fields": [
            { "name": "id", "type": "SEQUENCE" },
            { "name": "uuid", "type": "UUID_GENERATED" },
            { "name": "amount", "type": "NUMERIC_RANGE", "params": { "min": 1, "max": 500, "decimals": 2 } },
            { "name": "status", "type": "ENUM_RANDOM", "params": { "values": ["NEW", "PAID", "SHIPPED"] }, "null_ratio": 0.2 }
        ]
    })
}

/// The data lines of a CSV file (header skipped).
fn lines(path: &Path) -> Vec<String> {
    std::fs::read_to_string(path).expect("csv").lines().skip(1).map(str::to_string).collect()
}

fn ids(path: &Path) -> Vec<u64> {
    lines(path).iter().map(|l| l.split(',').next().expect("id").parse().expect("id")).collect()
}

/// Rows `[0, rows)` of `definition` made by `sdg run` with `seed`, as CSV lines.
fn reference(definition: &Value, seed: u64, rows: u64, dir: &Path) -> Vec<String> {
    let mut def = definition.clone();
    def["mode"] = json!("BATCH");
    def.as_object_mut().expect("object").remove("rate");
    let (file, out) = (dir.join("reference.json"), dir.join("reference.csv"));
    std::fs::write(&file, def.to_string()).expect("write");
    let run = Command::new(env!("CARGO_BIN_EXE_sdg"))
        .args(["run", file.to_str().expect("path"), "-q", "--seed", &seed.to_string(), "--rows", &rows.to_string()])
        .args(["--out", out.to_str().expect("path")])
        .output()
        .expect("sdg run");
    assert!(run.status.success(), "{}", String::from_utf8_lossy(&run.stderr));
    lines(&out)
}

fn wait_for(what: &str, f: impl FnMut() -> bool) {
    sdg_testkit::wait_for(what, 30, f);
}

/// The generator's rows delivered so far.
fn delivered(api: &str, id: &str) -> u64 {
    call("GET", &format!("{api}/generators/{id}/metrics"), None)["rows_delivered"].as_u64().expect("rows_delivered")
}

/// A server on `data` running the generator into `out`: (server, API base, generator id).
fn running(data: &Path, out: &Path) -> (Serve, String, String) {
    let s = serve(data);
    let api = format!("{}/api/v1", s.base);
    let id = call("POST", &format!("{api}/generators"), Some(&generator(out)))["id"].as_str().expect("id").to_string();
    assert_eq!(call("POST", &format!("{api}/generators/{id}/start"), None)["status"], "RUNNING");
    (s, api, id)
}

#[test]
fn after_a_crash_the_generator_comes_back_stopped_and_resumes_from_its_checkpoint() {
    let dir = tempfile::tempdir().expect("tmp");
    let data = dir.path().join("data");
    let out = dir.path().join("crash.csv");
    let (mut s, api, id) = running(&data, &out);
    wait_for("rows", || delivered(&api, &id) > 20_000);
    std::thread::sleep(Duration::from_millis(1500)); // a checkpoint lands once a second
    s.child.kill().expect("SIGKILL");
    s.child.wait().expect("dead");

    let s = serve(&data);
    let api = format!("{}/api/v1", s.base);
    let g = call("GET", &format!("{api}/generators/{id}"), None);
    assert_eq!(g["status"], "STOPPED", "{g}");
    assert!(g["status_reason"].as_str().expect("reason").contains("server stopped while the generator was RUNNING"));
    let next = g["next_row"].as_u64().expect("checkpoint");
    let seed = g["definition"]["seed"].as_u64().expect("the seed drawn at creation is in the definition");
    let before = ids(&out);
    assert!(next >= 10_000 && next <= before.len() as u64, "checkpoint {next}, file {} rows", before.len());
    assert_eq!(before, (1..=before.len() as u64).collect::<Vec<_>>(), "the file is whole rows, in order");

    assert_eq!(call("POST", &format!("{api}/generators/{id}/resume"), None)["status"], "RUNNING");
    wait_for("rows after resume", || delivered(&api, &id) > 5_000);
    assert_eq!(call("POST", &format!("{api}/generators/{id}/stop"), None)["status"], "STOPPED");
    let continued = dir.path().join(format!("crash.from-{next}.csv"));
    let after = ids(&continued);
    assert_eq!(after[0], next + 1, "resumed right after the checkpoint");
    assert_eq!(after, (next + 1..next + 1 + after.len() as u64).collect::<Vec<_>>());

    // The rows of both runs are the rows one uninterrupted run with that seed makes.
    let made: Vec<String> = lines(&out).into_iter().take(next as usize).chain(lines(&continued)).collect();
    let expected = reference(&generator(&out), seed, made.len() as u64, dir.path());
    assert_eq!(made.len(), expected.len());
    let first_difference = made.iter().zip(&expected).position(|(a, b)| a != b);
    assert_eq!(first_difference, None, "the resumed run made other values than the first run would have");
}

/// Every `order_id` on `topic`, counted (at-least-once: a row may be there twice).
fn order_ids_on(brokers: &str, topic: &str, at_least: usize) -> std::collections::BTreeMap<u64, u32> {
    let mut seen = std::collections::BTreeMap::new();
    for m in sdg_testkit::kafka::consume(brokers, topic, at_least) {
        let row: Value = serde_json::from_slice(&m.value).expect("a JSON row");
        *seen.entry(row["order_id"].as_u64().expect("order_id")).or_insert(0) += 1;
    }
    seen
}

#[test]
fn a_kafka_checkpoint_taken_while_the_broker_is_frozen_covers_only_rows_on_the_topic() {
    const ROWS: u64 = 100_000;
    let Some(brokers) = sdg_testkit::server("SDG_TEST_KAFKA_BROKERS") else { return };
    let topic = format!("sdg-serve-crash-{}-{}", std::process::id(), nanos());
    let partitions = 8;
    let dir = tempfile::tempdir().expect("tmp");
    let data = dir.path().join("data");
    let mut s = serve(&data);
    let api = format!("{}/api/v1", s.base);
    // A hot key puts most rows on one partition; one small request in flight
    // at a time, partitions taking turns, makes that partition fall behind
    // while the others' later rows are acknowledged: acknowledgements arrive
    // far out of row order, and the hot partition's backlog, still in the
    // producer's memory, dies with it.
    let definition = json!({
        "name": "kafka-crash", "batch_size": 1000,
        "end_condition": { "type": "RECORD_COUNT", "value": ROWS },
        "destination": { "type": "KAFKA", "config": {
            "brokers": brokers, "topic": topic, "key_field": "region", "partitions": partitions,
            "linger_ms": 1, "queue_messages": 50000,
            "properties": { "max.in.flight.requests.per.connection": "1", "batch.num.messages": "20" } } },
        "fields": [
            { "name": "order_id", "type": "SEQUENCE" },
            { "name": "region", "type": "ENUM_RANDOM", "params": {
                "values": ["hot", "r1", "r2", "r3", "r4", "r5", "r6", "r7", "r8", "r9"],
                "weights": [20, 1, 1, 1, 1, 1, 1, 1, 1, 1] } }
        ]
    });
    let id = call("POST", &format!("{api}/generators"), Some(&definition))["id"].as_str().expect("id").to_string();
    assert_eq!(call("POST", &format!("{api}/generators/{id}/start"), None)["status"], "RUNNING");
    // Past two whole batches settled, so the checkpoint taken below is not 0.
    wait_for("a checkpoint past two batches", || {
        call("GET", &format!("{api}/generators/{id}"), None)["next_row"].as_u64().is_some_and(|n| n > 2_000)
            && delivered(&api, &id) > 5_000
    });

    // The broker stops answering mid-run: requests in flight stay unanswered.
    sdg_testkit::services("freeze", "kafka");
    let frozen = Thaw;
    std::thread::sleep(Duration::from_millis(2500)); // two checkpoints land meanwhile
    let at_kill = call("GET", &format!("{api}/generators/{id}"), None);
    s.child.kill().expect("SIGKILL");
    s.child.wait().expect("dead");
    drop(frozen);

    let s = serve(&data);
    let api = format!("{}/api/v1", s.base);
    let g = call("GET", &format!("{api}/generators/{id}"), None);
    assert_eq!(g["status"], "STOPPED", "{g}");
    let next = g["next_row"].as_u64().expect("checkpoint");
    let acknowledged = at_kill["metrics"]["rows_delivered"].as_u64().expect("delivered");
    assert!(next > 0 && next <= acknowledged, "checkpoint {next}, acknowledged {acknowledged}");
    // Every row below the checkpoint reached the topic (order_id = row + 1).
    let on_topic = order_ids_on(&brokers, &topic, next as usize);
    let missing: Vec<u64> = (1..=next).filter(|r| !on_topic.contains_key(r)).take(5).collect();
    assert!(missing.is_empty(), "rows below the checkpoint {next} are not on the topic, e.g. order_id {missing:?}");

    // Resumed from the checkpoint, the run completes: every row is there.
    assert_eq!(call("POST", &format!("{api}/generators/{id}/resume"), None)["status"], "RUNNING");
    wait_for("the resumed run to complete", || {
        call("GET", &format!("{api}/generators/{id}"), None)["status"] == "COMPLETED"
    });
    let on_topic = order_ids_on(&brokers, &topic, ROWS as usize);
    let missing: Vec<u64> = (1..=ROWS).filter(|r| !on_topic.contains_key(r)).take(5).collect();
    assert!(missing.is_empty(), "rows lost across the crash, e.g. order_id {missing:?}");
}

/// Thaws the broker when dropped, even when the test fails half way.
struct Thaw;

impl Drop for Thaw {
    fn drop(&mut self) {
        sdg_testkit::services("thaw", "kafka");
    }
}

fn nanos() -> u128 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(0)
}

#[test]
fn sigterm_stops_generators_and_flushes_before_exiting() {
    let dir = tempfile::tempdir().expect("tmp");
    let data = dir.path().join("data");
    let out = dir.path().join("term.csv");
    let (mut s, _, id) = running(&data, &out);
    // The file appears with the first batch.
    wait_for("rows", || out.exists() && ids(&out).len() > 5_000);
    let kill = Command::new("bash").args(["-c", &format!("kill -TERM {}", s.child.id())]).status().expect("kill");
    assert!(kill.success());
    let status = s.child.wait().expect("exits");
    assert!(status.success(), "clean exit on SIGTERM: {status:?}");

    let s = serve(&data);
    let g = call("GET", &format!("{}/api/v1/generators/{id}", s.base), None);
    assert_eq!(g["status"], "STOPPED");
    assert!(g["status_reason"].as_str().expect("reason").contains("server shutdown"), "{g}");
    // Graceful: the checkpoint is exactly what the file holds.
    assert_eq!(g["next_row"].as_u64(), Some(ids(&out).len() as u64));
}
