//! The web console as `sdg serve` serves it (the committed bundle of web/,
//! embedded at build time), and the API it relies on: `/` and its assets
//! load without a key while every API route still needs one, a definition's
//! first rows come with its validation (`?preview=N`), and the documented
//! metrics schema — the console's types are generated from it — lists
//! exactly the keys the server sends.

mod common;
use common::*;
use serde_json::{Value, json};

#[test]
fn the_console_loads_without_a_key_and_the_api_still_needs_one() {
    let dir = tempfile::tempdir().expect("tmp");
    let mut c = config(dir.path());
    c.api_keys = vec![sdg_control_api::hash_key("k-console-123456")];
    let s = TestServer::start(c);
    let mut index = agent().get(&s.url("/")).call().expect("GET /");
    assert_eq!(index.status(), 200);
    assert!(index.headers()["content-type"].to_str().expect("type").starts_with("text/html"));
    let html = index.body_mut().read_to_string().expect("html");
    assert!(html.contains("<div id=\"root\">"), "{html}");
    // Every file index.html names is served, with its type and a long cache life.
    let assets: Vec<&str> = html.split('"').filter(|p| p.starts_with("/assets/")).collect();
    assert!(assets.iter().any(|a| a.ends_with(".js")) && assets.iter().any(|a| a.ends_with(".css")), "{html}");
    for a in assets {
        let r = agent().get(&s.url(a)).call().expect("asset");
        assert_eq!(r.status(), 200, "{a}");
        let kind = r.headers()["content-type"].to_str().expect("type").to_string();
        assert!(kind.starts_with(if a.ends_with(".js") { "text/javascript" } else { "text/css" }), "{a}: {kind}");
        assert!(r.headers()["cache-control"].to_str().expect("cache").contains("immutable"));
    }
    let missing = agent().get(&s.url("/assets/nope.js")).call().expect("missing");
    assert_eq!(missing.status(), 404);
    assert_eq!(agent().get(&s.api("/generators")).call().expect("api").status(), 401);
    let with_key = agent().get(&s.api("/generators")).header("X-API-Key", "k-console-123456").call().expect("api");
    assert_eq!(with_key.status(), 200);
}

fn definition() -> Value {
    json!({
        "name": "preview",
        "seed": 3,
        "destination": { "type": "BLACKHOLE" },
        "fields": [
            { "name": "id", "type": "SEQUENCE" },
            { "name": "status", "type": "ENUM_RANDOM", "params": { "values": ["NEW", "PAID"] } },
            { "name": "coupon", "type": "ENUM_RANDOM", "params": { "values": ["A"] }, "null_ratio": 1.0 }
        ]
    })
}

#[test]
fn validation_answers_the_first_rows_on_request() {
    let dir = tempfile::tempdir().expect("tmp");
    let s = TestServer::start(config(dir.path()));
    let r = post(&s.api("/generators/validate?preview=3"), &definition());
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["valid"], true);
    let rows = r.body["preview"].as_array().expect("preview");
    assert_eq!(rows.len(), 3);
    assert_eq!(rows[0]["id"], "1");
    assert_eq!(rows[2]["id"], "3");
    assert!(["NEW", "PAID"].contains(&rows[1]["status"].as_str().expect("status")));
    assert_eq!(rows[0]["coupon"], Value::Null);
    // Without the parameter, no rows; a bad one is a 400 that says the bounds.
    assert!(post(&s.api("/generators/validate"), &definition()).body.get("preview").is_none());
    let bad = post(&s.api("/generators/validate?preview=101"), &definition());
    assert_eq!(bad.status, 400);
    assert!(bad.body["detail"].as_str().expect("detail").contains("0 … 100"), "{}", bad.body);
    // An invalid definition has its problems, and no rows.
    let mut broken = definition();
    broken["fields"][1]["params"]["values"] = json!([]);
    let r = post(&s.api("/generators/validate?preview=3"), &broken);
    assert_eq!(r.body["valid"], false);
    assert!(r.body.get("preview").is_none());
    assert_eq!(r.body["errors"][0]["path"], "fields[1].params.values", "{}", r.body);
}

#[test]
fn the_documented_metrics_are_the_metrics_the_server_sends() {
    let dir = tempfile::tempdir().expect("tmp");
    let s = TestServer::start(config(dir.path()));
    let doc = get(&s.url("/openapi.json")).body;
    let schema = &doc["components"]["schemas"]["MetricsSnapshot"]["properties"];
    let mut documented: Vec<&String> = schema.as_object().expect("MetricsSnapshot").keys().collect();
    let mut latency: Vec<&String> =
        doc["components"]["schemas"]["Latency"]["properties"].as_object().expect("Latency").keys().collect();
    let mut def = definition();
    def["end_condition"] = json!({ "type": "RECORD_COUNT", "value": 1000 });
    let id = create(&s, &def);
    let started = post(&s.api(&format!("/generators/{id}/start")), &json!({ "shard": "0/2" }));
    assert_eq!(started.status, 200, "{}", started.body);
    wait_for("completed", 30, || get(&s.api(&format!("/generators/{id}"))).body["status"] == "COMPLETED");
    let m = get(&s.api(&format!("/generators/{id}/metrics"))).body;
    let mut sent: Vec<&String> = m.as_object().expect("metrics").keys().collect();
    let mut sent_latency: Vec<&String> = m["gen_latency_us"].as_object().expect("latency").keys().collect();
    documented.sort();
    sent.sort();
    latency.sort();
    sent_latency.sort();
    assert_eq!(documented, sent, "MetricsSchema (control-api/src/model.rs) and sdg_engine::MetricsSnapshot");
    assert_eq!(latency, sent_latency);
    // The generator's answer points at the same schema.
    assert_eq!(
        doc["components"]["schemas"]["GeneratorResponse"]["properties"]["metrics"]["oneOf"][1]["$ref"],
        "#/components/schemas/MetricsSnapshot",
        "{}",
        doc["components"]["schemas"]["GeneratorResponse"]["properties"]["metrics"]
    );
}
