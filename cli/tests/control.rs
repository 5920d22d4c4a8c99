//! `sdg run FILE --control ADDR`: a running CLI generator is retuned over
//! HTTP (rate and enum weights from the row the answer names, the sequence
//! unbroken), refuses a change of schema, and stops on request.

use serde_json::{Value, json};
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder().http_status_as_error(false).build().into()
}

fn answer(r: Result<ureq::http::Response<ureq::Body>, ureq::Error>) -> (u16, Value) {
    let mut r = r.expect("http");
    let status = r.status().as_u16();
    (status, serde_json::from_str(&r.body_mut().read_to_string().unwrap_or_default()).unwrap_or(Value::Null))
}

fn wait_for(what: &str, mut f: impl FnMut() -> bool) {
    let t0 = Instant::now();
    while !f() {
        assert!(t0.elapsed() < Duration::from_secs(30), "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn a_cli_run_is_retuned_through_its_control_address() {
    let dir = tempfile::tempdir().expect("tmp");
    let out = dir.path().join("events.csv");
    let file = dir.path().join("live.yaml");
    std::fs::write(
        &file,
        format!(
            "name: live\nmode: REALTIME\nrate: 2000\nseed: 5\nend_condition: {{ type: MANUAL }}\n\
             destination: {{ type: FILE, config: {{ path: {} }} }}\nfields:\n\
             \x20 - {{ name: id, type: SEQUENCE }}\n\
             \x20 - {{ name: kind, type: ENUM_RANDOM, params: {{ values: [view, buy], weights: [1, 0] }} }}\n",
            out.display()
        ),
    )
    .expect("yaml");
    let mut child = Command::new(env!("CARGO_BIN_EXE_sdg"))
        .args(["run", file.to_str().expect("path"), "--control", "127.0.0.1:0", "--quiet"])
        .stderr(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .expect("spawn sdg run");
    let mut lines = BufReader::new(child.stderr.take().expect("stderr")).lines();
    let base = loop {
        let line = lines.next().expect("sdg run printed its control address").expect("read");
        if let Some(rest) = line.split("control: ").nth(1) {
            break rest.split(' ').next().expect("url").to_string();
        }
    };
    std::thread::spawn(move || for _ in lines.by_ref() {});
    let metrics = || answer(agent().get(&format!("{base}/metrics")).call()).1;
    wait_for("rows", || metrics()["rows_delivered"].as_u64().unwrap_or(0) >= 400);

    let patch = |body: Value| answer(agent().patch(&format!("{base}/")).send_json(body));
    let fields = json!([
        { "name": "id", "type": "SEQUENCE" },
        { "name": "kind", "type": "ENUM_RANDOM", "params": { "values": ["view", "buy"], "weights": [0, 1] } }
    ]);
    let (status, body) = patch(json!({ "rate": 3000, "fields": fields }));
    assert_eq!(status, 200, "{body}");
    let from = body["applied_from_row"].as_u64().expect("from");
    assert_eq!(body["revision"], 1);
    wait_for("the new rate", || metrics()["target_rows_per_sec"] == json!(3000.0));
    let (status, body) = patch(json!({ "fields": [{ "name": "id", "type": "UUID_GENERATED" }, fields[1]] }));
    assert_eq!(status, 409, "{body}");
    assert!(body["detail"].as_str().unwrap_or_default().contains("fields[0].type"), "{body}");
    let (_, revisions) = answer(agent().get(&format!("{base}/revisions")).call());
    assert_eq!(revisions.as_array().map(Vec::len), Some(2));
    wait_for("rows after the retune", || metrics()["rows_delivered"].as_u64().unwrap_or(0) >= from + 500);

    let (status, body) = answer(agent().post(&format!("{base}/stop")).send_empty());
    assert_eq!(status, 200, "{body}");
    let exit = child.wait().expect("sdg run exits");
    assert!(exit.success(), "{exit:?}");
    let text = std::fs::read_to_string(&out).expect("out");
    let rows: Vec<&str> = text.lines().skip(1).collect();
    assert!(rows.len() as u64 >= from + 500);
    for (i, line) in rows.iter().enumerate() {
        let (id, kind) = line.split_once(',').expect("two columns");
        assert_eq!(id, (i + 1).to_string(), "row {i}");
        assert_eq!(kind, if (i as u64) < from { "view" } else { "buy" }, "row {i}, retuned from {from}");
    }
}
