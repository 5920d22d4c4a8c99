//! Retuning a running generator over real HTTP (PATCH, a JSON Merge Patch):
//! the rate and a field's weights change from the row the answer names,
//! with no gap or duplicate in the sequence; the revisions are listed; a
//! change of schema, destination or fields is refused with what to do; a
//! generator that is not running simply takes the patched definition.

mod common;
use common::*;
use serde_json::{Value, json};
use std::time::Duration;

fn definition(dir: &std::path::Path) -> Value {
    json!({
        "name": "retuned",
        "mode": "REALTIME",
        "rate": 2000,
        "seed": 3,
        "end_condition": { "type": "MANUAL" },
        "destination": { "type": "FILE", "config": { "path": dir.join("out.csv").to_string_lossy() } },
        "fields": [
            { "name": "order_id", "type": "SEQUENCE", "params": { "start": 1 } },
            { "name": "status", "type": "ENUM_RANDOM", "params": { "values": ["NEW", "PAID"], "weights": [1, 0] } },
            { "name": "amount", "type": "NUMERIC_RANGE", "params": { "min": 1, "max": 10 } }
        ]
    })
}

#[test]
fn a_running_generator_is_retuned_from_a_named_row_with_nothing_lost_or_repeated() {
    let dir = tempfile::tempdir().expect("tmp");
    let s = TestServer::start(config(dir.path()));
    let def = definition(dir.path());
    let id = create(&s, &def);
    assert_eq!(post_empty(&s.api(&format!("/generators/{id}/start"))).status, 200);
    wait_for("rows", 30, || delivered(&s, &id) >= 500);

    // New weights and a faster rate; `fields` comes whole (a merge patch replaces arrays).
    let mut fields = def["fields"].clone();
    fields[1]["params"]["weights"] = json!([0, 1]);
    let r = patch(&s.api(&format!("/generators/{id}")), &json!({ "rate": 4000, "fields": fields }));
    assert_eq!(r.status, 200, "{}", r.body);
    let from = r.body["applied_from_row"].as_u64().expect("applied_from_row");
    assert_eq!(r.body["revision"], 1);
    assert!(from >= 500, "{from}");
    assert_eq!(r.body["definition"]["rate"], 4000);
    wait_for("the new rate", 10, || {
        get(&s.api(&format!("/generators/{id}/metrics"))).body["target_rows_per_sec"] == json!(4000.0)
    });
    wait_for("rows after the retune", 30, || delivered(&s, &id) >= from + 2000);

    // Refused while running: each names what cannot change and what to do.
    for (body, word) in [
        (json!({ "destination": { "type": "BLACKHOLE" } }), "destination"),
        (json!({ "seed": 4 }), "seed"),
        (json!({ "fields": [def["fields"][0], def["fields"][1]] }), "fields"),
        (
            json!({ "fields": [def["fields"][0], { "name": "status", "type": "UUID_GENERATED" }, def["fields"][2]] }),
            "fields[1].type",
        ),
        (
            json!({ "fields": [{ "name": "order_id", "type": "SEQUENCE", "params": { "prefix": "O-" } }, def["fields"][1], def["fields"][2]] }),
            "schema",
        ),
    ] {
        let r = patch(&s.api(&format!("/generators/{id}")), &body);
        assert_eq!(r.status, 409, "{body}: {}", r.body);
        let detail = r.body["detail"].as_str().unwrap_or_default();
        assert!(detail.contains(word) && detail.contains("PUT"), "{body}: {detail}");
    }
    let r = patch(&s.api(&format!("/generators/{id}")), &json!({ "rate": -5 }));
    assert_eq!(r.status, 400, "{}", r.body);
    assert_eq!(r.body["errors"][0]["path"], "rate");
    let r = patch(&s.api(&format!("/generators/{id}")), &json!([1]));
    assert_eq!(r.status, 400, "{}", r.body);

    let revisions = get(&s.api(&format!("/generators/{id}/revisions")));
    assert_eq!(revisions.status, 200);
    let list = revisions.body.as_array().expect("list");
    assert_eq!(list.len(), 2, "{}", revisions.body);
    assert_eq!((list[0]["from_row"].as_u64(), list[1]["from_row"].as_u64()), (Some(0), Some(from)));
    assert_eq!(list[0]["definition"]["rate"], 2000);

    let stopped = post_empty(&s.api(&format!("/generators/{id}/stop")));
    assert_eq!(stopped.status, 200, "{}", stopped.body);
    // Every row once, in order; the weights changed exactly at `from`.
    let rows = csv_rows(&dir.path().join("out.csv"));
    assert!(rows.len() as u64 > from + 1000);
    for (i, line) in rows.iter().enumerate() {
        let mut cols = line.split(',');
        assert_eq!(cols.next(), Some((i + 1).to_string().as_str()), "row {i} of the sequence");
        let status = cols.next().unwrap_or_default();
        let want = if (i as u64) < from { "NEW" } else { "PAID" };
        assert_eq!(status, want, "row {i} (the retune applies from row {from})");
    }

    // Not running: the patch is the new definition (CREATED again).
    let r = patch(&s.api(&format!("/generators/{id}")), &json!({ "rate": 100, "description": "slower" }));
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!((r.body["status"].as_str(), r.body["definition"]["rate"].as_u64()), (Some("CREATED"), Some(100)));
    assert!(r.body.get("applied_from_row").is_none());
    assert_eq!(r.body["definition"]["description"], "slower");
    let r = patch(&s.api(&format!("/generators/{id}")), &json!({ "description": null }));
    assert!(r.body["definition"].get("description").is_none(), "null removes a key: {}", r.body);
    assert_eq!(patch(&s.api("/generators/nope"), &json!({ "rate": 1 })).status, 404);
    std::thread::sleep(Duration::from_millis(10));
}

#[test]
fn a_retuned_run_resumed_after_a_restart_keeps_its_revisions() {
    let dir = tempfile::tempdir().expect("tmp");
    let s = TestServer::start(config(dir.path()));
    let def = definition(dir.path());
    let id = create(&s, &def);
    assert_eq!(post_empty(&s.api(&format!("/generators/{id}/start"))).status, 200);
    wait_for("rows", 30, || delivered(&s, &id) >= 300);
    let mut fields = def["fields"].clone();
    fields[1]["params"]["weights"] = json!([0, 1]);
    let r = patch(&s.api(&format!("/generators/{id}")), &json!({ "fields": fields }));
    assert_eq!(r.status, 200, "{}", r.body);
    let from = r.body["applied_from_row"].as_u64().expect("from");
    wait_for("rows after the retune", 30, || delivered(&s, &id) >= from + 500);
    s.shutdown(); // the run stops; its checkpoint and revisions are stored

    let s = TestServer::start(config(dir.path()));
    let r = post_empty(&s.api(&format!("/generators/{id}/resume")));
    assert_eq!(r.status, 200, "{}", r.body);
    // The rows from the checkpoint on go beside the first file, named by that row.
    let next: u64 = std::fs::read_dir(dir.path())
        .expect("dir")
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .find_map(|n| n.strip_prefix("out.from-")?.strip_suffix(".csv")?.parse().ok())
        .expect("the continued file");
    assert!(next > from, "resumed after the retune row: {next} > {from}");
    wait_for("rows after the resume", 30, || delivered(&s, &id) >= next + 500);
    assert_eq!(post_empty(&s.api(&format!("/generators/{id}/stop"))).status, 200);
    assert_eq!(get(&s.api(&format!("/generators/{id}/revisions"))).body.as_array().map(Vec::len), Some(2));
    // The file of the first run, then the rows from the checkpoint on beside it.
    let first = csv_rows(&dir.path().join("out.csv"));
    let rest = csv_rows(&dir.path().join(format!("out.from-{next}.csv")));
    let all: Vec<&String> = first.iter().take(next as usize).chain(rest.iter()).collect();
    for (i, line) in all.iter().enumerate() {
        let mut cols = line.split(',');
        assert_eq!(cols.next(), Some((i + 1).to_string().as_str()), "row {i}");
        assert_eq!(cols.next(), Some(if (i as u64) < from { "NEW" } else { "PAID" }), "row {i}, retuned from {from}");
    }
}
