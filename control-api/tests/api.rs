//! The control API over real HTTP: lifecycle, errors, auth, rate limits,
//! persistence across a restart, metrics in three forms, the OpenAPI document.

mod common;
use common::*;
use serde_json::json;
use std::io::{BufRead, BufReader};
use std::time::Duration;

#[test]
fn a_file_generator_goes_through_its_whole_lifecycle() {
    let dir = tempfile::tempdir().expect("tmp");
    let s = TestServer::start(config(dir.path()));
    let created = post(&s.api("/generators"), &paced(dir.path(), "life", 20_000));
    assert_eq!(created.status, 201, "{}", created.body);
    assert_eq!(created.body["status"], "CREATED");
    assert_eq!(created.body["name"], "life");
    assert!(created.body["created_at"].as_str().is_some_and(|t| t.ends_with('Z')));
    let id = created.body["id"].as_str().expect("id").to_string();
    let one = |p: &str| s.api(&format!("/generators/{id}{p}"));

    // Not started yet: only start is allowed.
    for action in ["pause", "resume", "stop"] {
        let r = post_empty(&one(&format!("/{action}")));
        assert_eq!((r.status, r.body["current_status"].as_str()), (409, Some("CREATED")), "{action}: {}", r.body);
        assert!(r.body["detail"].as_str().expect("detail").contains("CREATED"));
    }

    let r = post_empty(&one("/start"));
    assert_eq!((r.status, r.body["status"].as_str()), (200, Some("RUNNING")), "{}", r.body);
    let r = post_empty(&one("/start"));
    assert_eq!((r.status, r.body["current_status"].as_str()), (409, Some("RUNNING")));

    // Metrics rise, in the generator and on their own route.
    wait_for("rows delivered", 20, || delivered(&s, &id) > 2_000);
    let first = delivered(&s, &id);
    wait_for("more rows", 20, || delivered(&s, &id) > first + 2_000);
    let g = get(&one(""));
    assert_eq!(g.body["status"], "RUNNING");
    assert!(g.body["metrics"]["rows_delivered"].as_u64().expect("metrics") > first);

    // A running generator cannot be edited.
    let r = put(&one(""), &paced(dir.path(), "life", 10));
    assert_eq!((r.status, r.body["error_code"].as_str()), (409, Some("CONFLICT")));

    let r = post_empty(&one("/pause"));
    assert_eq!(r.body["status"], "PAUSED", "{}", r.body);
    let paused_at = delivered(&s, &id);
    std::thread::sleep(Duration::from_millis(400));
    assert_eq!(delivered(&s, &id), paused_at, "no rows while paused");
    let r = post_empty(&one("/pause"));
    assert_eq!((r.status, r.body["current_status"].as_str()), (409, Some("PAUSED")));

    let r = post_empty(&one("/resume"));
    assert_eq!(r.body["status"], "RUNNING", "{}", r.body);
    wait_for("rows after resume", 20, || delivered(&s, &id) > paused_at + 1_000);

    let r = post_empty(&one("/stop"));
    assert_eq!((r.status, r.body["status"].as_str()), (200, Some("STOPPED")), "{}", r.body);
    let total = r.body["metrics"]["rows_delivered"].as_u64().expect("rows");
    // Stop answers after the sink closed: the file holds exactly the delivered rows, in order.
    let rows = csv_rows(&dir.path().join("life.csv"));
    assert_eq!(rows.len() as u64, total);
    assert!(rows.iter().enumerate().all(|(i, r)| r.starts_with(&format!("{},", i + 1))));

    // Edited when stopped: CREATED again. Deleted: gone.
    let r = put(&one(""), &paced(dir.path(), "life2", 10));
    assert_eq!((r.status, r.body["status"].as_str(), r.body["name"].as_str()), (200, Some("CREATED"), Some("life2")));
    assert_eq!(delete(&one("")).status, 200);
    let r = get(&one(""));
    assert_eq!((r.status, r.body["error_code"].as_str()), (404, Some("NOT_FOUND")));
    assert_eq!(get(&s.api("/generators")).body, json!([]));
}

#[test]
fn deleting_a_running_generator_stops_it_first() {
    let dir = tempfile::tempdir().expect("tmp");
    let s = TestServer::start(config(dir.path()));
    let id = create(&s, &paced(dir.path(), "del", 20_000));
    post_empty(&s.api(&format!("/generators/{id}/start")));
    wait_for("rows", 20, || delivered(&s, &id) > 1_000);
    assert_eq!(delete(&s.api(&format!("/generators/{id}"))).status, 200);
    // The sink was closed: the file is complete CSV (every line whole), and nothing writes to it any more.
    let n = csv_rows(&dir.path().join("del.csv")).len();
    std::thread::sleep(Duration::from_millis(300));
    let rows = csv_rows(&dir.path().join("del.csv"));
    assert_eq!(rows.len(), n);
    assert!(rows.iter().all(|r| r.split(',').count() == 3), "whole rows only");
}

#[test]
fn definitions_are_validated_with_every_problem_and_its_path() {
    let dir = tempfile::tempdir().expect("tmp");
    let s = TestServer::start(config(dir.path()));
    let mut bad = paced(dir.path(), "bad", 10);
    bad["fields"][2]["params"] = json!({ "min": 10, "max": 5 });
    bad["fields"][1]["params"] = json!({ "values": ["A", "B"], "weights": [1] });
    let r = post(&s.api("/generators"), &bad);
    assert_eq!((r.status, r.body["error_code"].as_str()), (400, Some("VALIDATION_ERROR")), "{}", r.body);
    assert_eq!(r.body["status_code"], 400);
    let paths: Vec<&str> =
        r.body["errors"].as_array().expect("errors").iter().filter_map(|e| e["path"].as_str()).collect();
    assert!(paths.iter().any(|p| p.starts_with("fields[2].params")), "{paths:?}");
    assert!(paths.iter().any(|p| p.starts_with("fields[1].params")), "{paths:?}");
    let mut typo = paced(dir.path(), "typo", 10);
    typo["fields"][0]["nmae"] = typo["fields"][0]["name"].take();
    let r = post(&s.api("/generators"), &typo);
    assert!(r.body.to_string().contains("did you mean `name`"), "{}", r.body);
    assert_eq!(get(&s.api("/generators")).body, json!([]), "nothing was created");

    let r = post(&s.api("/generators/validate"), &bad);
    assert_eq!((r.status, r.body["valid"].as_bool()), (200, Some(false)));
    assert!(r.body["errors"].as_array().expect("errors").len() >= 2);
    let r = post(&s.api("/generators/validate"), &paced(dir.path(), "ok", 10));
    assert_eq!(r.body["valid"], true, "{}", r.body);
    assert_eq!(r.body["fields"][0]["name"], "order_id");
    assert_eq!(r.body["fields"][0]["data_type"], "Int64");
}

#[test]
fn malformed_requests_get_a_4xx_that_says_what_is_wrong() {
    let dir = tempfile::tempdir().expect("tmp");
    let mut c = config(dir.path());
    c.max_body_bytes = 4096;
    let s = TestServer::start(c);
    let url = s.api("/generators");
    let cases: Vec<(Answer, u16, &str)> = vec![
        (post_raw(&url, "application/json", b"{\"name\": "), 400, "not valid JSON at line 1"),
        (post_raw(&url, "application/json", b""), 400, "the body is empty"),
        (post_raw(&url, "text/plain", b"name: x"), 415, "must be JSON"),
        (post_raw(&url, "application/yaml", b"name: [x"), 400, "not valid YAML at line"),
        (post(&url, &json!([1, 2])), 400, "not valid"),
        (post(&url, &json!({ "name": 5, "fields": "no" })), 400, "name"),
        (post_raw(&url, "application/json", &vec![b' '; 10_000]), 413, "larger than this server accepts"),
        (post_empty(&s.api("/generators/nope/start")), 404, "no generator `nope`"),
        (get(&s.api("/nothing")), 404, "no route GET /api/v1/nothing"),
        (delete(&s.api("/health")), 405, "DELETE is not allowed"),
        (post(&s.api("/universes"), &json!({ "name": 3 })), 400, "universe is not valid"),
    ];
    for (i, (r, status, text)) in cases.iter().enumerate() {
        assert_eq!(r.status, *status, "case {i}: {}", r.body);
        assert_eq!(r.body["status_code"], *status, "case {i}");
        let detail = r.body["detail"].as_str().unwrap_or_default();
        assert!(detail.contains(text), "case {i}: `{detail}` should contain `{text}`");
        assert!(r.body["error_code"].as_str().is_some_and(|c| !c.is_empty()));
    }
}

#[test]
fn api_keys_guard_every_route_but_health() {
    let dir = tempfile::tempdir().expect("tmp");
    let mut c = config(dir.path());
    c.api_keys = vec![sdg_control_api::hash_key("k-123456")];
    let s = TestServer::start(c);
    let with = |key: Option<&str>, path: &str| {
        let mut req = agent().get(&s.url(path));
        if let Some(k) = key {
            req = req.header("X-API-Key", k);
        }
        req.call().expect("http").status().as_u16()
    };
    assert_eq!(with(None, "/api/v1/health"), 200);
    for path in ["/api/v1/generators", "/api/v1/pools", "/metrics", "/openapi.json"] {
        assert_eq!(with(None, path), 401, "{path} without a key");
        assert_eq!(with(Some("k-12345"), path), 401, "{path} with a wrong key");
        assert_eq!(with(Some("k-123456"), path), 200, "{path} with the key");
    }
    let r = get(&s.api("/generators"));
    assert_eq!((r.body["error_code"].as_str(), r.body["status_code"].as_u64()), (Some("UNAUTHORIZED"), Some(401)));
    assert!(r.body["detail"].as_str().expect("detail").contains("X-API-Key"));
    // The document says the key is required, on every route but health, and documents the 401.
    let mut doc = agent().get(&s.url("/openapi.json")).header("X-API-Key", "k-123456").call().expect("doc");
    let doc: serde_json::Value = serde_json::from_str(&doc.body_mut().read_to_string().expect("body")).expect("json");
    assert_eq!(doc["security"], json!([{ "api_key": [] }]));
    assert_eq!(doc["paths"]["/api/v1/health"]["get"]["security"], json!([{}]));
    assert!(doc["paths"]["/api/v1/generators"]["get"]["responses"]["401"].is_object());
}

#[test]
fn rate_limits_count_per_client_and_answer_429() {
    let dir = tempfile::tempdir().expect("tmp");
    let mut c = config(dir.path());
    c.rate_limit.per_minute = 5;
    c.rate_limit.per_hour = 1000;
    let s = TestServer::start(c);
    let mut remaining = Vec::new();
    for _ in 0..5 {
        let r = get(&s.api("/health"));
        assert_eq!(r.status, 200);
        assert_eq!(r.headers["x-ratelimit-limit"], "5");
        let reset: u64 = r.headers["x-ratelimit-reset"].to_str().expect("reset").parse().expect("number");
        let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).expect("clock").as_secs();
        assert!(reset >= now && reset <= now + 61, "reset {reset} now {now}");
        remaining.push(r.headers["x-ratelimit-remaining"].to_str().expect("h").parse::<u32>().expect("n"));
    }
    assert_eq!(remaining, [4, 3, 2, 1, 0]);
    let r = get(&s.api("/generators"));
    assert_eq!((r.status, r.body["error_code"].as_str()), (429, Some("RATE_LIMITED")), "{}", r.body);
    assert_eq!(r.headers["x-ratelimit-remaining"], "0");
    assert!(r.headers.contains_key("retry-after"));
}

#[test]
fn generators_survive_a_restart_and_resume_where_they_stopped() {
    let dir = tempfile::tempdir().expect("tmp");
    let s = TestServer::start(config(dir.path()));
    let idle = create(&s, &paced(dir.path(), "idle", 10));
    let id = create(&s, &paced(dir.path(), "busy", 20_000));
    post_empty(&s.api(&format!("/generators/{id}/start")));
    wait_for("rows", 20, || delivered(&s, &id) > 3_000);
    s.shutdown(); // graceful: the run is stopped, its file closed, its checkpoint stored

    let first = csv_rows(&dir.path().join("busy.csv"));
    let s = TestServer::start(config(dir.path()));
    let g = get(&s.api(&format!("/generators/{id}")));
    assert_eq!(g.body["status"], "STOPPED", "{}", g.body);
    assert!(g.body["status_reason"].as_str().expect("reason").contains("resume"), "{}", g.body);
    let next = g.body["next_row"].as_u64().expect("next_row");
    assert_eq!(next, first.len() as u64, "the checkpoint is the last delivered row");
    assert_eq!(get(&s.api(&format!("/generators/{idle}"))).body["status"], "CREATED");

    let r = post_empty(&s.api(&format!("/generators/{id}/resume")));
    assert_eq!(r.body["status"], "RUNNING", "{}", r.body);
    wait_for("rows after resume", 20, || delivered(&s, &id) > 1_000);
    let r = post_empty(&s.api(&format!("/generators/{id}/stop")));
    assert_eq!(r.body["status"], "STOPPED");
    // The rest went beside the first file, continuing the sequence exactly.
    let rest = csv_rows(&dir.path().join(format!("busy.from-{next}.csv")));
    assert!(rest[0].starts_with(&format!("{},", next + 1)), "{} then {}", first.last().expect("row"), rest[0]);
    // A user's STOPPED generator does not resume (it starts again instead).
    let r = post_empty(&s.api(&format!("/generators/{id}/resume")));
    assert_eq!((r.status, r.body["current_status"].as_str()), (409, Some("STOPPED")));
}

#[test]
fn metrics_as_json_sse_and_prometheus() {
    let dir = tempfile::tempdir().expect("tmp");
    let s = TestServer::start(config(dir.path()));
    let id = create(&s, &paced(dir.path(), "m", 5_000));
    let m = get(&s.api(&format!("/generators/{id}/metrics")));
    assert_eq!(
        (m.status, m.body["status"].as_str(), m.body["rows_delivered"].as_u64()),
        (200, Some("CREATED"), Some(0))
    );
    post_empty(&s.api(&format!("/generators/{id}/start")));

    // Two snapshots a second apart from the event stream, rows rising.
    let mut r = agent().get(&s.api(&format!("/generators/{id}/metrics/stream"))).call().expect("sse");
    assert_eq!(r.headers()["content-type"], "text/event-stream");
    let mut lines = BufReader::new(r.body_mut().as_reader()).lines();
    let mut seen = Vec::new();
    while seen.len() < 2 {
        let line = lines.next().expect("an event").expect("read");
        if let Some(data) = line.strip_prefix("data: ") {
            let v: serde_json::Value = serde_json::from_str(data).expect("json");
            seen.push(v["rows_delivered"].as_u64().expect("rows"));
        }
    }
    assert!(seen[1] > seen[0], "{seen:?}");

    let text = agent().get(&s.url("/metrics")).call().expect("prom").body_mut().read_to_string().expect("text");
    let line = text
        .lines()
        .find(|l| l.starts_with("sdg_rows_delivered_total{") && l.contains(&id))
        .expect("a series for the generator");
    assert!(line.contains("name=\"m\""), "{line}");
    assert!(line.rsplit(' ').next().and_then(|v| v.parse::<f64>().ok()).expect("value") > 0.0);
    assert!(text.contains(&format!("sdg_generator_status{{generator=\"{id}\",name=\"m\",status=\"RUNNING\"}} 1")));
    assert!(text.contains("sdg_sink_latency_microseconds{") && text.contains("quantile=\"0.99\""));
    post_empty(&s.api(&format!("/generators/{id}/stop")));
}

#[test]
fn the_openapi_document_lists_every_route_and_the_docs_work_offline() {
    let dir = tempfile::tempdir().expect("tmp");
    let s = TestServer::start(config(dir.path()));
    let doc = get(&s.url("/openapi.json")).body;
    assert!(doc["openapi"].as_str().expect("version").starts_with("3."));
    // The document says what the server accepts: keys optional here (none configured),
    // the definition in full, query parameters with their bounds.
    assert_eq!(doc["security"], json!([{}, { "api_key": [] }]));
    let def = &doc["components"]["schemas"]["GeneratorDefinition"];
    assert_eq!(def["required"], json!(["name", "destination", "fields"]));
    assert_eq!(def["additionalProperties"], false);
    let types: Vec<&str> = def["properties"]["fields"]["items"]["oneOf"]
        .as_array()
        .expect("one per type")
        .iter()
        .filter_map(|t| t["title"].as_str())
        .collect();
    assert_eq!(
        types,
        [
            "UUID_GENERATED",
            "TIMESTAMP_GENERATED",
            "ENUM_RANDOM",
            "NUMERIC_RANGE",
            "CONSTANT",
            "SEQUENCE",
            "POOL_REFERENCE",
            "POOL_DERIVED",
            "CATALOG",
            "UNIVERSE_KEY_REFERENCE",
            "COMPUTED",
            "COPULA_GENERATED",
            "STATE_MACHINE"
        ]
    );
    assert_eq!(def["properties"]["copulas"]["items"]["required"], json!(["name", "source"]));
    assert_eq!(def["properties"]["pools"]["items"]["required"], json!(["name", "source"]));
    let body = &doc["paths"]["/api/v1/generators"]["post"]["requestBody"]["content"]["application/json"]["schema"];
    assert_eq!(body["$ref"], "#/components/schemas/GeneratorDefinition");
    let params = doc["paths"]["/api/v1/generators/{id}/profiling"]["post"]["parameters"].as_array().expect("params");
    let rows = params.iter().find(|p| p["name"] == "rows").expect("rows");
    assert_eq!((rows["schema"]["minimum"].as_u64(), rows["schema"]["maximum"].as_u64()), (Some(1), Some(1_000_000)));
    let expected = [
        ("get", "/api/v1/generators"),
        ("post", "/api/v1/generators"),
        ("get", "/api/v1/generators/{id}"),
        ("put", "/api/v1/generators/{id}"),
        ("patch", "/api/v1/generators/{id}"),
        ("get", "/api/v1/generators/{id}/revisions"),
        ("get", "/api/v1/generators/{id}/plan"),
        ("delete", "/api/v1/generators/{id}"),
        ("post", "/api/v1/generators/{id}/start"),
        ("post", "/api/v1/generators/{id}/pause"),
        ("post", "/api/v1/generators/{id}/resume"),
        ("post", "/api/v1/generators/{id}/stop"),
        ("get", "/api/v1/generators/{id}/metrics"),
        ("get", "/api/v1/generators/{id}/metrics/stream"),
        ("post", "/api/v1/generators/{id}/profiling"),
        ("post", "/api/v1/generators/validate"),
        ("get", "/api/v1/pools"),
        ("get", "/api/v1/pools/{poolName}"),
        ("post", "/api/v1/pools/{poolName}/refresh"),
        ("get", "/api/v1/catalog"),
        ("post", "/api/v1/infer-schema"),
        ("get", "/api/v1/capabilities"),
        ("post", "/api/v1/validate"),
        ("post", "/api/v1/generate"),
        ("post", "/api/v1/generate-ai"),
        ("post", "/api/v1/generate-ai/stream"),
        ("post", "/api/v1/context/analyze"),
        ("post", "/api/v1/generate/sample"),
        ("post", "/api/v1/generate/corpus"),
        ("post", "/api/v1/feedback"),
        ("get", "/api/v1/jobs/{id}/status"),
        ("post", "/api/v1/jobs/{id}/export"),
        ("get", "/api/v1/jobs/{id}/download/{schema}"),
        ("post", "/api/v1/identities"),
        ("get", "/api/v1/api-keys"),
        ("post", "/api/v1/api-keys"),
        ("get", "/api/v1/api-keys/{id}"),
        ("delete", "/api/v1/api-keys/{id}"),
        ("post", "/api/v1/api-keys/{id}/rotate"),
        ("get", "/api/v1/account/usage"),
        ("get", "/api/v1/webhooks"),
        ("post", "/api/v1/webhooks"),
        ("get", "/api/v1/webhooks/{id}"),
        ("patch", "/api/v1/webhooks/{id}"),
        ("delete", "/api/v1/webhooks/{id}"),
        ("get", "/api/v1/webhooks/{id}/deliveries"),
        ("get", "/api/v1/universes"),
        ("post", "/api/v1/universes"),
        ("get", "/api/v1/universes/{id}"),
        ("delete", "/api/v1/universes/{id}"),
        ("post", "/api/v1/universes/{id}/start"),
        ("post", "/api/v1/universes/{id}/pause"),
        ("post", "/api/v1/universes/{id}/resume"),
        ("post", "/api/v1/universes/{id}/stop"),
        ("get", "/api/v1/model-types"),
        ("get", "/api/v1/models"),
        ("post", "/api/v1/models"),
        ("get", "/api/v1/models/{id}"),
        ("delete", "/api/v1/models/{id}"),
        ("get", "/api/v1/models/{id}/download"),
        ("post", "/api/v1/models/{id}/generate"),
        ("get", "/api/v1/jobs"),
        ("get", "/api/v1/jobs/{id}"),
        ("delete", "/api/v1/jobs/{id}"),
        ("post", "/api/v1/jobs/{id}/cancel"),
        ("get", "/api/v1/jobs/{id}/download"),
        ("get", "/api/v1/datasets"),
        ("post", "/api/v1/datasets"),
        ("get", "/api/v1/datasets/{id}"),
        ("delete", "/api/v1/datasets/{id}"),
        ("get", "/api/v1/health"),
    ];
    for (method, path) in expected {
        assert!(doc["paths"][path][method].is_object(), "{method} {path} is in the document");
    }
    let documented: usize =
        doc["paths"].as_object().expect("paths").values().map(|p| p.as_object().map_or(0, |o| o.len())).sum();
    assert_eq!(documented, expected.len(), "no route undocumented, none extra");
    // Every documented route answers (not the 404 fallback).
    for (method, path) in expected {
        let url = s.url(&path.replace("{id}", "x").replace("{poolName}", "p"));
        let r = match method {
            "get" => get(&url),
            "delete" => delete(&url),
            "put" => put(&url, &json!({})),
            "patch" => patch(&url, &json!({})),
            _ => post(&url, &json!({ "name": "u" })),
        };
        assert!(!r.body["detail"].as_str().unwrap_or_default().starts_with("no route"), "{method} {path}: {}", r.body);
    }
    let mut docs = agent().get(&s.url("/docs/")).call().expect("docs");
    assert_eq!(docs.status(), 200);
    assert!(docs.body_mut().read_to_string().expect("html").contains("swagger"));
    let mut redoc = agent().get(&s.url("/redoc")).call().expect("redoc");
    assert!(redoc.body_mut().read_to_string().expect("html").contains("/redoc/redoc.standalone.js"));
    let js = agent().get(&s.url("/redoc/redoc.standalone.js")).call().expect("js");
    assert_eq!(js.status(), 200);
    let h = get(&s.api("/health"));
    assert_eq!(
        (h.body["status"].as_str(), h.body["version"].as_str()),
        (Some("healthy"), Some(env!("CARGO_PKG_VERSION")))
    );
    assert_eq!(get(&s.api("/pools")).body, json!([]));
    assert_eq!(get(&s.api("/universes")).body, json!([]));
}

#[cfg(feature = "profiling")]
#[test]
fn profiling_describes_the_rows_a_run_makes() {
    let dir = tempfile::tempdir().expect("tmp");
    let s = TestServer::start(config(dir.path()));
    let id = create(&s, &paced(dir.path(), "prof", 10));
    let r = post_empty(&s.api(&format!("/generators/{id}/profiling?rows=5000&top_k=2&bins=5")));
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!((r.body["rows"].as_u64(), r.body["seed"].as_u64()), (Some(5000), Some(7)));
    let f = &r.body["fields"];
    assert_eq!(f[0]["name"], "order_id");
    assert_eq!((f[0]["distinct"].as_u64(), f[0]["max"].as_str()), (Some(5000), Some("5000")));
    assert_eq!(f[0]["histogram"].as_array().expect("bins").len(), 5);
    assert_eq!(f[1]["top"].as_array().expect("top").len(), 2, "NEW and PAID");
    assert!((40.0..60.0).contains(&f[2]["mean"].as_f64().expect("mean")));
    // Nothing was written: profiling generates in memory only.
    assert!(!dir.path().join("prof.csv").exists());

    let r = post_empty(&s.api(&format!("/generators/{id}/profiling?rows=0")));
    assert_eq!((r.status, r.body["error_code"].as_str()), (400, Some("VALIDATION_ERROR")));
    assert!(r.body["detail"].as_str().expect("detail").contains("rows must be between 1 and"));
    let r = post_empty(&s.api(&format!("/generators/{id}/profiling?rowz=5")));
    assert_eq!(r.status, 400, "{}", r.body);
    assert!(r.body["detail"].as_str().expect("detail").contains("rowz"));
    assert_eq!(post_empty(&s.api("/generators/nope/profiling")).status, 404);
}

#[test]
fn a_yaml_file_can_be_posted_as_it_is() {
    let dir = tempfile::tempdir().expect("tmp");
    let s = TestServer::start(config(dir.path()));
    let yaml = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/../configs/quickstart.yaml")).expect("config");
    let r = post_raw(&s.api("/generators"), "application/yaml", &yaml);
    assert_eq!((r.status, r.body["name"].as_str()), (201, Some("quickstart")), "{}", r.body);
    assert_eq!(r.body["definition"]["end_condition"]["value"], 1_000_000);
}

#[test]
fn a_path_that_cannot_be_read_gets_the_error_body() {
    let dir = tempfile::tempdir().expect("tmp");
    let s = TestServer::start(config(dir.path()));
    // %FF is not UTF-8: axum's own rejection would be plain text.
    let r = get(&s.api("/generators/%FF"));
    assert_eq!(r.status, 400, "{}", r.body);
    assert_eq!(r.body["error_code"], "VALIDATION_ERROR", "{}", r.body);
    assert!(r.body["detail"].as_str().expect("detail").contains("path"), "{}", r.body);
    // The document promises only what the routes answer.
    let doc = get(&s.url("/openapi.json")).body;
    let universes = &doc["paths"]["/api/v1/universes"]["post"]["responses"];
    assert!(universes.get("201").is_some() && universes.get("501").is_none(), "{universes}");
}

#[test]
fn a_destination_that_refuses_the_schema_is_a_client_error_naming_the_column() {
    let Some(url) = sdg_testkit::server("SDG_TEST_POSTGRES_URL") else { return };
    let table = format!("sdg_api_mismatch_{}", std::process::id());
    let psql = |sql: &str| {
        let out = std::process::Command::new("psql").args([url.as_str(), "-qAtc", sql]).output().expect("psql");
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    };
    psql(&format!("DROP TABLE IF EXISTS {table}; CREATE TABLE {table} (order_id bigint, amount text)"));
    let dir = tempfile::tempdir().expect("tmp");
    let s = TestServer::start(config(dir.path()));
    let id = create(
        &s,
        &json!({
            "name": "mismatch",
            "destination": { "type": "POSTGRES", "config": { "url": url, "table": table } },
            "fields": [
                { "name": "order_id", "type": "SEQUENCE" },
                { "name": "amount", "type": "NUMERIC_RANGE", "params": { "min": 1, "max": 9 } }
            ]
        }),
    );
    let r = post_empty(&s.api(&format!("/generators/{id}/start")));
    assert_eq!((r.status, r.body["error_code"].as_str()), (422, Some("DESTINATION_REJECTED")), "{}", r.body);
    assert!(r.body["detail"].as_str().expect("detail").contains("column `amount`"), "{}", r.body);
    assert_eq!(r.body["current_status"], "FAILED");
    psql(&format!("DROP TABLE {table}"));
}

#[test]
fn the_catalog_lists_every_kind_with_a_real_example() {
    let dir = tempfile::tempdir().expect("tmp");
    let s = TestServer::start(config(dir.path()));
    let r = get(&s.api("/catalog"));
    assert_eq!(r.status, 200);
    let kinds = r.body.as_array().expect("list");
    assert_eq!(kinds.len(), sdg_engine::catalog::KINDS.len());
    let iban = kinds.iter().find(|k| k["kind"] == "finance.iban").expect("iban");
    assert!(iban["aliases"].as_array().expect("aliases").contains(&json!("iban")));
    assert!(iban["example"].as_str().is_some_and(|e| e.starts_with("DE") && e.len() == 22), "{iban}");
    assert_eq!(iban["params"][0]["name"], "country");
}

#[test]
fn infer_schema_proposes_a_definition_the_server_accepts() {
    let dir = tempfile::tempdir().expect("tmp");
    let s = TestServer::start(config(dir.path()));
    let r = post(
        &s.api("/infer-schema"),
        &json!({ "names": ["customer_id", "email", "risk_tier", "last_login_at"], "locale": "en_AE" }),
    );
    assert_eq!(r.status, 400, "{}", r.body);
    assert!(r.body["detail"].as_str().expect("detail").contains("the locale `en_AE` has no data"), "{}", r.body);
    let r = post(
        &s.api("/infer-schema"),
        &json!({ "names": ["customer_id", "email", "risk_tier", "last_login_at"], "domain": "retail loyalty" }),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(r.body["contract_hash"].as_str().expect("hash").starts_with("xxh3:"));
    assert_eq!(r.body["fields"][1]["params"]["kind"], "internet.email");
    assert!(r.body["fields"][0]["confidence"].as_f64().expect("confidence") > 0.5);
    let v = post(&s.api("/generators/validate"), &r.body["definition"]);
    assert_eq!(v.body["valid"], true, "{}", v.body);
    assert_eq!(post(&s.api("/infer-schema"), &json!({ "names": [] })).status, 400);
    assert_eq!(post(&s.api("/infer-schema"), &json!({ "nmes": ["a"] })).status, 400);
}
