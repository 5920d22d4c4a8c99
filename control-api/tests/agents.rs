//! Seed 003 over real HTTP: capabilities, schema mode in every output
//! format (SQL loaded into a real PostgreSQL and SQLite), agentic errors
//! and their corrected examples, row limits, an agent session from
//! infer-schema to a strict-contract generate-ai, the SSE stream, and the
//! request id of every answer.

mod common;

use common::{TestServer, agent, config, get, post};
use serde_json::{Value, json};

fn raw(url: &str, body: &Value, accept: Option<&str>) -> (u16, ureq::http::HeaderMap, Vec<u8>) {
    let mut req = agent().post(url);
    if let Some(a) = accept {
        req = req.header("Accept", a);
    }
    let mut r = req.send_json(body).expect("HTTP exchange");
    let status = r.status().as_u16();
    let headers = r.headers().clone();
    let bytes = r.body_mut().with_config().limit(64 << 20).read_to_vec().expect("body");
    (status, headers, bytes)
}

fn header<'a>(h: &'a ureq::http::HeaderMap, name: &str) -> &'a str {
    h.get(name).and_then(|v| v.to_str().ok()).unwrap_or("")
}

/// Seed 003's schema-mode example.
fn orders(count: u64, format: &str) -> Value {
    json!({
        "count": count, "locale": "en_US", "output_format": format, "seed": 7,
        "schema_fields": [
            { "name": "order_id", "type": "uuid" },
            { "name": "line_total", "type": "amount" },
            { "name": "customer_email", "type": "email", "blankPercentage": 20 },
            { "name": "qty", "type": "integer", "constraints": { "min": 1, "max": 9 } },
            { "name": "placed_at", "type": "timestamp", "constraints": { "start": "2026-03-01T00:00:00Z", "step": "1m" } },
            { "name": "paid", "type": "boolean", "constraints": { "true_ratio": 0.8 } },
        ]
    })
}

#[test]
fn capabilities_list_types_locales_formats_and_limits() {
    let dir = tempfile::tempdir().expect("tmp");
    let s = TestServer::start(config(dir.path()));
    let r = get(&s.api("/capabilities"));
    assert_eq!(r.status, 200, "{}", r.body);
    let types: Vec<&str> =
        r.body["types"]["built_in"].as_array().expect("built-ins").iter().filter_map(|t| t["type"].as_str()).collect();
    assert!(types.contains(&"uuid") && types.contains(&"integer") && types.contains(&"enum"), "{types:?}");
    let kinds = r.body["types"]["catalog"].as_array().expect("kinds");
    assert!(kinds.iter().any(|k| k["type"] == "internet.email" && k["aliases"][0] == "email"));
    assert!(r.body["locales"].as_array().expect("locales").contains(&json!("de_DE")));
    assert_eq!(r.body["output_formats"], json!(["json", "csv", "jsonl", "parquet", "sql"]));
    assert_eq!(r.body["limits"]["max_rows_per_request"], 10_000);
}

#[test]
fn schema_mode_makes_the_same_rows_in_every_format() {
    let dir = tempfile::tempdir().expect("tmp");
    let s = TestServer::start(config(dir.path()));
    let r = post(&s.api("/generate"), &orders(50, "json"));
    assert_eq!(r.status, 200, "{}", r.body);
    let data = r.body["data"].as_array().expect("data");
    assert_eq!(data.len(), 50);
    assert_eq!(r.body["meta"]["seed"], 7);
    assert_eq!(r.body["meta"]["count"], 50);
    let first = &data[0];
    assert_eq!(first["order_id"].as_str().expect("uuid").len(), 36);
    assert!(first["line_total"].is_number(), "{first}");
    let qty: Vec<i64> = data.iter().map(|d| d["qty"].as_i64().expect("qty")).collect();
    assert!(qty.iter().all(|q| (1..=9).contains(q)), "{qty:?}");
    let blanks = data.iter().filter(|d| d["customer_email"] == "").count();
    assert!((3..=20).contains(&blanks), "about 20 % blank emails, got {blanks}");
    assert!(
        data.iter()
            .filter(|d| d["customer_email"] != "")
            .all(|d| d["customer_email"].as_str().is_some_and(|e| e.contains('@')))
    );
    assert_eq!(data[1]["placed_at"], "2026-03-01T00:01:00.000Z");
    let paid = data.iter().filter(|d| d["paid"] == "true").count();
    assert!(paid > 25, "true_ratio 0.8: {paid} of 50");
    // The same seed, the same rows; CSV has the same values.
    assert_eq!(post(&s.api("/generate"), &orders(50, "json")).body["data"], r.body["data"]);
    let (status, h, csv) = raw(&s.api("/generate"), &orders(50, "csv"), None);
    assert_eq!(status, 200);
    assert_eq!(header(&h, "content-type"), "text/csv; charset=utf-8");
    assert_eq!(header(&h, "x-sdg-seed"), "7");
    let csv = String::from_utf8(csv).expect("utf8");
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines.len(), 51);
    assert_eq!(lines[0], "order_id,line_total,customer_email,qty,placed_at,paid");
    assert!(lines[1].starts_with(first["order_id"].as_str().expect("id")), "{}", lines[1]);
    let (_, h, jsonl) = raw(&s.api("/generate"), &orders(50, "jsonl"), None);
    assert_eq!(header(&h, "content-type"), "application/x-ndjson");
    let rows: Vec<Value> =
        String::from_utf8(jsonl).expect("utf8").lines().map(|l| serde_json::from_str(l).expect("row")).collect();
    assert_eq!(&rows[..], &data[..]);
    // Parquet: the same rows, read back.
    let (_, h, parquet) = raw(&s.api("/generate"), &orders(50, "parquet"), None);
    assert_eq!(header(&h, "content-type"), "application/vnd.apache.parquet");
    let path = dir.path().join("rows.parquet");
    std::fs::write(&path, parquet).expect("write");
    let file = std::fs::File::open(&path).expect("open");
    let reader = parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(file)
        .expect("parquet")
        .build()
        .expect("reader");
    let n: usize = reader.map(|b| b.expect("batch").num_rows()).sum();
    assert_eq!(n, 50);
    // No seed: one is drawn and answered, and it replays the rows.
    let mut unseeded = orders(5, "json");
    unseeded.as_object_mut().expect("obj").remove("seed");
    let a = post(&s.api("/generate"), &unseeded);
    let seed = a.body["meta"]["seed"].as_u64().expect("a seed is answered");
    unseeded["seed"] = json!(seed);
    assert_eq!(post(&s.api("/generate"), &unseeded).body["data"], a.body["data"]);
}

#[test]
fn sql_output_loads_into_postgresql_and_sqlite() {
    let dir = tempfile::tempdir().expect("tmp");
    let s = TestServer::start(config(dir.path()));
    let mut body = orders(1200, "sql");
    body["table_name"] = json!("agent_orders");
    // SQLite.
    body["sql_dialect"] = json!("sqlite");
    let (status, h, sql) = raw(&s.api("/generate"), &body, None);
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&sql));
    assert_eq!(header(&h, "content-type"), "application/sql; charset=utf-8");
    let db = dir.path().join("t.db");
    let file = dir.path().join("sqlite.sql");
    std::fs::write(&file, &sql).expect("write");
    let out = std::process::Command::new("sqlite3")
        .arg(&db)
        .arg(format!(".read {}", file.display()))
        .output()
        .expect("sqlite3 (apt-get install sqlite3; scripts/test.sh installs it)");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let q = std::process::Command::new("sqlite3")
        .arg(&db)
        .arg("SELECT count(*), min(qty), max(qty), sum(paid = 'true') > 600 FROM agent_orders")
        .output()
        .expect("sqlite3");
    assert_eq!(String::from_utf8_lossy(&q.stdout).trim(), "1200|1|9|1");
    // PostgreSQL.
    let Some(url) = sdg_testkit::server("SDG_TEST_POSTGRES_URL") else { return };
    body["sql_dialect"] = json!("postgresql");
    let (_, _, sql) = raw(&s.api("/generate"), &body, None);
    let file = dir.path().join("pg.sql");
    let mut script = b"DROP TABLE IF EXISTS agent_orders;\n".to_vec();
    script.extend_from_slice(&sql);
    std::fs::write(&file, script).expect("write");
    let psql = |args: &[&str]| common::psql(&url, args);
    psql(&["-q", "-f", file.to_str().expect("path")]);
    let got = psql(&[
        "-c",
        "SELECT count(*), count(DISTINCT order_id), min(qty), max(qty), min(placed_at) AT TIME ZONE 'UTC' FROM agent_orders",
    ]);
    assert_eq!(got, "1200|1200|1|9|2026-03-01 00:00:00");
    let types = psql(&[
        "-c",
        "SELECT string_agg(data_type, ',' ORDER BY ordinal_position) FROM information_schema.columns WHERE table_name = 'agent_orders'",
    ]);
    assert_eq!(types, "uuid,double precision,text,bigint,timestamp with time zone,text");
    psql(&["-c", "DROP TABLE agent_orders"]);
}

#[test]
fn agentic_errors_name_every_problem_and_a_corrected_example_that_works() {
    let dir = tempfile::tempdir().expect("tmp");
    let s = TestServer::start(config(dir.path()));
    let body = json!({
        "count": 5, "locale": "en_AE", "output_format": "jsn",
        "schema_fields": [
            { "name": "order_id", "type": "uuid" },
            { "name": "customer_email", "type": "emial" },
            { "name": "qty", "type": "integer", "constraints": { "mni": 1, "max": 9 } },
            { "name": "tier", "type": "enum", "constraints": { "values": ["a", "b"], "weigths": [1, 2] } },
        ]
    });
    // Plain: the usual error body, with every problem's path.
    let r = post(&s.api("/generate"), &body);
    assert_eq!(r.status, 400, "{}", r.body);
    let paths: Vec<&str> =
        r.body["errors"].as_array().expect("errors").iter().filter_map(|e| e["path"].as_str()).collect();
    assert_eq!(paths, ["locale", "output_format", "schema_fields[1].type"], "first the body's problems: {}", r.body);
    assert_eq!(r.body["request_id"].as_str(), Some(header(&r.headers, "x-request-id")));
    // Agentic: allowed values, fixes, and a corrected example.
    let (status, h, bytes) = raw(&s.api("/generate"), &body, Some("application/json, application/vnd.agentic+json"));
    assert_eq!(status, 400);
    assert_eq!(header(&h, "content-type"), "application/vnd.agentic+json");
    let e: Value = serde_json::from_slice(&bytes).expect("json");
    let errors = e["errors"].as_array().expect("errors");
    assert_eq!(errors[0]["fix"], json!({ "op": "replace", "pointer": "/locale", "value": "ar_AE" }), "{e}");
    assert!(errors[0]["allowed_values"].as_array().expect("locales").contains(&json!("de_DE")));
    assert_eq!(errors[1]["fix"]["value"], "json");
    assert_eq!(errors[2]["fix"], json!({ "op": "replace", "pointer": "/schema_fields/1/type", "value": "email" }));
    // The corrected example fixes those; the engine then finds the constraint typos.
    let fixed = &e["corrected_example"];
    assert_eq!(fixed["schema_fields"][1]["type"], "email");
    let (status, _, bytes) = raw(&s.api("/generate"), fixed, Some("application/vnd.agentic+json"));
    assert_eq!(status, 400);
    let e: Value = serde_json::from_slice(&bytes).expect("json");
    let errors = e["errors"].as_array().expect("errors");
    assert!(
        errors.iter().any(|i| i["path"] == "schema_fields[2].constraints.mni"
            && i["fix"] == json!({ "op": "rename", "pointer": "/schema_fields/2/constraints/mni", "value": "min" })),
        "{e}"
    );
    assert!(
        errors.iter().any(|i| i["path"] == "schema_fields[3].constraints.weigths" && i["fix"]["value"] == "weights"),
        "{e}"
    );
    assert_eq!(e["corrected_example_valid"], true, "{e}");
    // Applying the second correction: rows.
    let r = post(&s.api("/generate"), &e["corrected_example"]);
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["data"].as_array().expect("rows").len(), 5);
    // /validate answers the same problems with 200, and a valid body's fields and first rows.
    let v = post(&s.api("/validate"), &body);
    assert_eq!((v.status, &v.body["valid"]), (200, &json!(false)));
    assert_eq!(v.body["errors"][2]["fix"]["value"], "email");
    let v = post(&s.api("/validate"), &e["corrected_example"]);
    assert_eq!(v.body["valid"], true, "{}", v.body);
    assert_eq!(v.body["fields"][1], json!({ "name": "customer_email", "type": "email", "arrow_type": "Utf8" }));
    assert_eq!(v.body["preview"].as_array().expect("preview").len(), 3);
}

#[test]
fn one_request_is_limited_and_told_to_use_a_corpus_job() {
    let dir = tempfile::tempdir().expect("tmp");
    let s = TestServer::start(sdg_control_api::ServeConfig { max_sync_rows: 100, ..config(dir.path()) });
    let r = post(&s.api("/generate"), &orders(101, "json"));
    assert_eq!(r.status, 422, "{}", r.body);
    assert_eq!(r.body["error_code"], "ROW_LIMIT_EXCEEDED");
    let hint = r.body["errors"][0]["hint"].as_str().expect("hint");
    assert!(hint.contains("/api/v1/generate/corpus"), "{hint}");
    assert_eq!(post(&s.api("/generate"), &orders(100, "json")).status, 200);
    let r = post(&s.api("/generate-ai"), &json!({ "field_names": ["a"], "count": 500 }));
    assert_eq!(r.status, 422, "{}", r.body);
    for bad in
        [json!({ "count": 0, "schema_fields": [{ "name": "a", "type": "uuid" }] }), json!([1]), json!({ "count": 1 })]
    {
        assert_eq!(post(&s.api("/generate"), &bad).status, 400, "{bad}");
    }
}

/// Seed 003's contract-first agent session.
#[test]
fn an_agent_session_from_infer_schema_to_a_strict_contract_generate() {
    let dir = tempfile::tempdir().expect("tmp");
    let s = TestServer::start(config(dir.path()));
    let names = json!(["customer_id", "email", "risk_tier", "last_login_at"]);
    let infer = post(
        &s.api("/infer-schema"),
        &json!({ "field_names": names, "locale": "ar_AE", "domain_hint": "UAE retail loyalty program" }),
    );
    assert_eq!(infer.status, 200, "{}", infer.body);
    let hash = infer.body["contract_hash"].as_str().expect("hash").to_string();
    assert!(infer.body["contract_id"].as_str().expect("id").starts_with("ctr_"));
    let proposed = &infer.body["proposed_schema"];
    assert_eq!(proposed[1], json!({ "name": "email", "type": "internet.email" }));
    assert_eq!(proposed[3]["type"], "timestamp");
    // The proposed schema is a schema-mode body as it is.
    let r = post(&s.api("/generate"), &json!({ "count": 3, "locale": "ar_AE", "schema_fields": proposed }));
    assert_eq!(r.status, 200, "{}", r.body);
    // Strict contract, the hash unchanged: rows, with the contract in meta.
    let ask = |names: &Value, expected: &str, strict: bool| {
        post(
            &s.api("/generate-ai"),
            &json!({
                "field_names": names, "count": 15, "locale": "ar_AE", "domain_hint": "UAE retail loyalty program",
                "output_format": "json", "seed": 3, "require_validate": true, "strict_contract": strict,
                "expected_contract_hash": expected,
            }),
        )
    };
    let r = ask(&names, &hash, true);
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["data"].as_array().expect("rows").len(), 15);
    assert_eq!(r.body["meta"]["contract_hash"], hash);
    // ar_AE has no email data: made in en_US, and said.
    let warnings = r.body["meta"]["warnings"].as_array().expect("warnings");
    assert!(warnings.iter().all(|w| !w.as_str().unwrap_or("").contains("differs")), "{warnings:?}");
    assert!(
        warnings[0].as_str().expect("w").starts_with("email: internet.email has no data for ar_AE"),
        "{warnings:?}"
    );
    assert!(r.body["data"][0]["email"].as_str().expect("email").contains('@'));
    // The fields changed: strict refuses with both hashes; not strict warns.
    let changed = json!(["customer_id", "email", "risk_tier", "last_login_at", "phone"]);
    let r = ask(&changed, &hash, true);
    assert_eq!(r.status, 409, "{}", r.body);
    assert_eq!(r.body["error_code"], "CONTRACT_CHANGED");
    assert_eq!(r.body["expected_contract_hash"], hash);
    let actual = r.body["actual_contract_hash"].as_str().expect("actual");
    assert_ne!(actual, hash);
    let r = ask(&changed, &hash, false);
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(r.body["meta"]["warnings"][0].as_str().expect("warning").contains("differs"), "{}", r.body);
    assert_eq!(r.body["meta"]["contract_hash"], actual);
    // require_validate without a hash: told to infer first.
    let r = post(&s.api("/generate-ai"), &json!({ "field_names": names, "require_validate": true }));
    assert_eq!(r.status, 400);
    assert_eq!(r.body["errors"][0]["path"], "expected_contract_hash");
    // A mistake in an AI-mode body: fixed in the body as sent, and checked.
    let (status, _, bytes) = raw(
        &s.api("/generate-ai"),
        &json!({ "field_names": names, "cuont": 5, "output_format": "cvs" }),
        Some("application/vnd.agentic+json"),
    );
    assert_eq!(status, 400);
    let e: Value = serde_json::from_slice(&bytes).expect("json");
    assert_eq!(e["corrected_example"]["count"], 5, "{e}");
    let (status, _, bytes) = raw(&s.api("/generate-ai"), &e["corrected_example"], Some("application/vnd.agentic+json"));
    let e2: Value = serde_json::from_slice(&bytes).expect("json");
    assert_eq!(status, 400, "the format is checked once the keys are known: {e2}");
    assert_eq!(e2["corrected_example"]["output_format"], "csv", "{e2}");
    assert_eq!(e2["corrected_example_valid"], true, "{e2}");
    let (status, _, _) = raw(&s.api("/generate-ai"), &e2["corrected_example"], None);
    assert_eq!(status, 200);
    // The minimal body: 10 rows of inferred types.
    let r = post(&s.api("/generate-ai"), &json!({ "field_names": names }));
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["data"].as_array().expect("rows").len(), 10);
    // The old spelling of infer-schema still works, and mistakes are named.
    let old = post(
        &s.api("/infer-schema"),
        &json!({ "names": names, "domain": "UAE retail loyalty program", "locale": "ar_AE" }),
    );
    assert_eq!(old.body["contract_hash"], hash);
    let r = post(&s.api("/infer-schema"), &json!({ "field_names": names, "locale": "en_AE" }));
    assert_eq!(r.status, 400);
    assert!(r.body["errors"][0]["hint"].as_str().expect("hint").contains("ar_AE"), "{}", r.body);
    assert_eq!(
        post(&s.api("/infer-schema"), &json!({ "field_nmes": ["a"] })).body["errors"][0]["hint"],
        "did you mean `field_names`?"
    );
}

/// Server-Sent Events of a response body: (event, id, data).
fn events(text: &str) -> Vec<(String, String, Value)> {
    text.split("\n\n")
        .filter(|e| !e.trim().is_empty())
        .filter_map(|e| {
            let (mut name, mut id, mut data) = (String::new(), String::new(), String::new());
            for line in e.lines() {
                if let Some(v) = line.strip_prefix("event:") {
                    name = v.trim().to_string();
                } else if let Some(v) = line.strip_prefix("id:") {
                    id = v.trim().to_string();
                } else if let Some(v) = line.strip_prefix("data:") {
                    data.push_str(v.trim_start());
                }
            }
            (!name.is_empty()).then(|| (name, id, serde_json::from_str(&data).unwrap_or(Value::Null)))
        })
        .collect()
}

#[test]
fn the_stream_sends_each_row_then_a_summary() {
    let dir = tempfile::tempdir().expect("tmp");
    let s = TestServer::start(config(dir.path()));
    let body = json!({ "field_names": ["order_id", "email", "amount"], "count": 25, "seed": 11 });
    let (status, h, bytes) = raw(&s.api("/generate-ai/stream"), &body, None);
    assert_eq!(status, 200);
    assert!(header(&h, "content-type").starts_with("text/event-stream"));
    let ev = events(&String::from_utf8(bytes).expect("utf8"));
    assert_eq!(ev.len(), 26);
    assert!(ev[..25].iter().enumerate().all(|(i, (n, id, _))| n == "row" && id == &i.to_string()));
    let (name, _, summary) = &ev[25];
    assert_eq!(name, "summary");
    assert_eq!((summary["count"].as_u64(), summary["seed"].as_u64()), (Some(25), Some(11)));
    // The rows are those of generate-ai with the same seed.
    let same = post(&s.api("/generate-ai"), &body);
    let streamed: Vec<Value> = ev[..25].iter().map(|e| e.2.clone()).collect();
    assert_eq!(same.body["data"], json!(streamed));
    assert_eq!(summary["contract_hash"], same.body["meta"]["contract_hash"]);
    // In chunks.
    let mut chunked = body.clone();
    chunked["chunk_size"] = json!(10);
    let (_, _, bytes) = raw(&s.api("/generate-ai/stream"), &chunked, None);
    let ev = events(&String::from_utf8(bytes).expect("utf8"));
    let sizes: Vec<usize> =
        ev.iter().filter(|e| e.0 == "chunk").map(|e| e.2["rows"].as_array().map_or(0, Vec::len)).collect();
    assert_eq!(sizes, [10, 10, 5]);
    assert_eq!(ev.last().map(|e| e.0.as_str()), Some("summary"));
    // Mistakes are answered before any event.
    chunked["chunk_size"] = json!(0);
    assert_eq!(post(&s.api("/generate-ai/stream"), &chunked).status, 400);
    chunked["chunk_size"] = json!(5);
    chunked["output_format"] = json!("csv");
    assert_eq!(post(&s.api("/generate-ai/stream"), &chunked).status, 400);
}

#[test]
fn every_answer_has_a_request_id() {
    let dir = tempfile::tempdir().expect("tmp");
    let s = TestServer::start(config(dir.path()));
    let r = get(&s.api("/health"));
    assert_eq!(header(&r.headers, "x-request-id").len(), 36, "a UUID");
    let mut given = agent().get(&s.api("/generators/nope")).header("X-Request-Id", "trace-42").call().expect("call");
    assert_eq!(given.status().as_u16(), 404);
    assert_eq!(header(given.headers(), "x-request-id"), "trace-42");
    let body: Value = serde_json::from_str(&given.body_mut().read_to_string().expect("body")).expect("json");
    assert_eq!(body["request_id"], "trace-42");
    // Errors from the guards and the fallback too.
    let r = get(&s.url("/no/such/route"));
    assert_eq!(r.body["request_id"].as_str(), Some(header(&r.headers, "x-request-id")));
}
