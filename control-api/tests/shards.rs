//! Shards over the control API, on two real servers (as two machines would
//! run them): `POST /generators/{id}/start` with `{"shard": "I/N"}` makes
//! that shard, writing its own part; the parts concatenate to the run one
//! server makes alone; metrics and the generator name the shard;
//! `GET /generators/{id}/plan?shards=N` answers each shard's rows; mistakes
//! get a 400 or 422 that says what to write.

mod common;
use common::*;
use serde_json::{Value, json};

fn definition(dir: &std::path::Path) -> Value {
    json!({
        "name": "orders",
        "seed": 5,
        "batch_size": 1000,
        "end_condition": { "type": "RECORD_COUNT", "value": 10_001 },
        "destination": { "type": "FILE", "config": { "path": dir.join("orders.csv").to_string_lossy() } },
        "fields": [
            { "name": "order_id", "type": "SEQUENCE", "params": { "start": 1 } },
            { "name": "status", "type": "ENUM_RANDOM", "params": { "values": ["NEW", "PAID", "SHIPPED"] } },
            { "name": "amount", "type": "NUMERIC_RANGE", "params": { "min": 1, "max": 100, "decimals": 2 } }
        ]
    })
}

fn wait_completed(s: &TestServer, id: &str) -> Value {
    let mut last = Value::Null;
    wait_for("completed", 60, || {
        last = get(&s.api(&format!("/generators/{id}"))).body;
        last["status"] == "COMPLETED"
    });
    last
}

#[test]
fn two_servers_make_two_shards_whose_parts_are_the_one_run() {
    let dir = tempfile::tempdir().expect("tmp");
    let (a_dir, b_dir) = (dir.path().join("a"), dir.path().join("b"));
    let (a, b) = (TestServer::start(config(&a_dir)), TestServer::start(config(&b_dir)));
    let def = definition(dir.path());
    let (ia, ib) = (create(&a, &def), create(&b, &def));

    let plan = get(&a.api(&format!("/generators/{ia}/plan?shards=2")));
    assert_eq!(plan.status, 200, "{}", plan.body);
    assert_eq!(plan.body["basis"], "rows");
    assert_eq!(
        plan.body["plan"][0],
        json!({ "shard": "0/2", "layout": { "kind": "range", "start": 0, "end": 5000 }, "rows": 5000 })
    );
    assert_eq!(plan.body["plan"][1]["rows"], 5001);

    for (s, id, shard) in [(&a, &ia, "0/2"), (&b, &ib, "1/2")] {
        let r = post(&s.api(&format!("/generators/{id}/start")), &json!({ "shard": shard }));
        assert_eq!(r.status, 200, "{}", r.body);
        assert_eq!(r.body["shard"], shard);
    }
    for (s, id, shard, rows) in [(&a, &ia, "0/2", 5000), (&b, &ib, "1/2", 5001)] {
        let done = wait_completed(s, id);
        assert_eq!(done["shard"], shard);
        let m = get(&s.api(&format!("/generators/{id}/metrics"))).body;
        assert_eq!((m["shard"].as_str(), m["rows_delivered"].as_u64()), (Some(shard), Some(rows)), "{m}");
    }
    let prom = agent().get(&b.url("/metrics")).call().expect("prom").body_mut().read_to_string().expect("text");
    assert!(
        prom.contains(&format!(
            "sdg_shard_info{{generator=\"{ib}\",name=\"orders\",shard=\"1/2\",index=\"1\",count=\"2\"}} 1"
        )),
        "{prom}"
    );
    // The same generator on one server, all of it.
    assert_eq!(post_empty(&a.api(&format!("/generators/{ia}/start"))).status, 200);
    let whole = wait_completed(&a, &ia);
    assert!(whole.get("shard").is_none(), "{whole}");
    let mut joined = std::fs::read(dir.path().join("orders.part-0000-of-0002.csv")).expect("part 0");
    joined.extend(std::fs::read(dir.path().join("orders.part-0001-of-0002.csv")).expect("part 1"));
    assert!(joined == std::fs::read(dir.path().join("orders.csv")).expect("whole"), "the parts are the one run");
}

#[test]
fn plans_of_paced_and_session_runs_and_shard_mistakes() {
    let dir = tempfile::tempdir().expect("tmp");
    let s = TestServer::start(config(dir.path()));
    let paced = create(&s, &paced(dir.path(), "paced", 1000));
    let plan = get(&s.api(&format!("/generators/{paced}/plan?shards=4"))).body;
    assert_eq!(plan["basis"], "schedule");
    assert_eq!(
        plan["plan"][3]["layout"],
        json!({ "kind": "interleave", "period": 4000, "offset": 3000, "width": 1000 })
    );
    assert_eq!(plan["plan"][3]["rows"], Value::Null);

    let mut sessions = definition(dir.path());
    sessions["fields"].as_array_mut().expect("fields").push(json!({
        "name": "state", "type": "STATE_MACHINE",
        "params": { "entity": { "count": 3 }, "initial": "a", "states": ["a", "b"], "transitions": { "a": { "b": 1 } }, "final": ["b"] }
    }));
    let id = create(&s, &sessions);
    assert_eq!(get(&s.api(&format!("/generators/{id}/plan?shards=3"))).body["basis"], "sessions");
    let too_many = get(&s.api(&format!("/generators/{id}/plan?shards=4")));
    assert_eq!(too_many.status, 422, "{}", too_many.body);
    assert!(too_many.body["detail"].as_str().expect("detail").contains("at most 3 shards"), "{}", too_many.body);
    let r = post(&s.api(&format!("/generators/{id}/start")), &json!({ "shard": "0/4" }));
    assert_eq!(r.status, 422, "{}", r.body);
    assert_eq!(get(&s.api(&format!("/generators/{id}"))).body["status"], "CREATED", "nothing started");

    for (body, says) in [
        (json!({ "shard": "4/4" }), "0 ≤ I < N"),
        (json!({ "shard": "x" }), "write I/N"),
        (json!({ "shards": "0/2" }), "unknown field"),
    ] {
        let r = post(&s.api(&format!("/generators/{paced}/start")), &body);
        assert_eq!(r.status, 400, "{body}: {}", r.body);
        assert!(r.body["detail"].as_str().expect("detail").contains(says), "{body}: {}", r.body);
    }
    for query in ["", "?shards=0", "?shards=x", "?shards=2&extra=1"] {
        let r = get(&s.api(&format!("/generators/{paced}/plan{query}")));
        assert_eq!(r.status, 400, "{query}: {}", r.body);
    }
    assert_eq!(get(&s.api("/generators/nope/plan?shards=2")).status, 404);
}
