//! The pool routes over real HTTP: pools of `--pools DIR` and of posted
//! definitions, their reports, detail with the first rows, refresh under a
//! running generator (and a failed one that keeps the data), validation
//! errors naming pools, and the Prometheus series.

mod common;
use common::*;
use serde_json::json;
use std::time::Duration;

fn write_pool_dir(dir: &std::path::Path, version: u32) {
    let mut csv = String::from("code,city,version\n");
    for (i, c) in ["10115", "75001", "01067", "20095"].iter().enumerate() {
        csv.push_str(&format!("{c},city{i},{version}\n"));
    }
    std::fs::write(dir.join("places.csv"), csv).expect("csv");
    std::fs::write(
        dir.join("places.yaml"),
        "name: places\nsource: { type: file, path: places.csv }\nindex: [code]\nschema: { code: string }\n",
    )
    .expect("yaml");
}

#[test]
fn pools_are_listed_described_refreshed_and_measured() {
    let dir = tempfile::tempdir().expect("tmp");
    let pools = dir.path().join("pools");
    std::fs::create_dir(&pools).expect("dir");
    write_pool_dir(&pools, 1);
    // A file that loads as FAILED (its source is missing) does not stop the server.
    std::fs::write(pools.join("broken.yaml"), "name: broken\nsource: { type: file, path: nope.csv }\n").expect("yaml");
    let mut cfg = config(dir.path());
    cfg.pools_dir = Some(pools.clone());
    cfg.pool_cache = Some(dir.path().join("cache"));
    let s = TestServer::start(cfg);

    let list = get(&s.api("/pools"));
    assert_eq!(list.status, 200);
    let by_name =
        |name: &str| list.body.as_array().expect("list").iter().find(|p| p["name"] == name).cloned().expect(name);
    let places = by_name("places");
    assert_eq!((places["status"].as_str(), places["rows"].as_u64()), (Some("READY"), Some(4)), "{places}");
    assert_eq!(places["load_strategy"], "FULL");
    assert_eq!(places["origin"], "server");
    assert_eq!(
        places["columns"],
        json!([{ "name": "code", "type": "Utf8" }, { "name": "city", "type": "Utf8" }, { "name": "version", "type": "Int64" }])
    );
    assert!(places["memory_bytes"].as_u64().expect("bytes") > 0 && places["loaded_at"].as_str().is_some());
    let broken = by_name("broken");
    assert_eq!(broken["status"], "FAILED");
    assert!(broken["last_error"].as_str().expect("error").contains("does not exist"), "{broken}");

    let detail = get(&s.api("/pools/places?head=2"));
    assert_eq!(detail.status, 200, "{}", detail.body);
    assert_eq!(
        detail.body["head"],
        json!([{ "code": "10115", "city": "city0", "version": 1 }, { "code": "75001", "city": "city1", "version": 1 }])
    );
    assert_eq!(get(&s.api("/pools/nope")).status, 404);
    assert_eq!(get(&s.api("/pools/places?head=5000")).status, 400);
    assert_eq!(post_empty(&s.api("/pools/nope/refresh")).status, 404);

    // A running generator reads the server's pool; a refresh swaps the data under it.
    let out = dir.path().join("rows.csv");
    let def = json!({
        "name": "lookups", "mode": "REALTIME", "rate": 5000, "seed": 1, "batch_size": 250,
        "end_condition": { "type": "MANUAL" },
        "destination": { "type": "FILE", "config": { "path": out.to_string_lossy() } },
        "fields": [
            { "name": "code", "type": "POOL_REFERENCE", "params": { "pool": "places", "column": "code" } },
            { "name": "version", "type": "POOL_DERIVED", "params": { "from": "code", "column": "version" } },
            { "name": "city", "type": "POOL_DERIVED", "params": { "pool": "places", "key_field": "code", "key_column": "code", "column": "city" } }
        ]
    });
    let created = post(&s.api("/generators"), &def);
    assert_eq!(created.status, 201, "{}", created.body);
    let id = created.body["id"].as_str().expect("id").to_string();
    assert_eq!(post_empty(&s.api(&format!("/generators/{id}/start"))).status, 200);
    let rows_written = || std::fs::read_to_string(&out).map(|t| t.lines().count()).unwrap_or(0);
    wait_for("rows of version 1", 20, || rows_written() > 1000);
    write_pool_dir(&pools, 2);
    let r = post_empty(&s.api("/pools/places/refresh"));
    assert_eq!((r.status, r.body["version"].as_u64()), (200, Some(2)), "{}", r.body);
    let before = rows_written();
    wait_for("rows of version 2", 20, || rows_written() > before + 1000);
    // A refresh that would change a column's type fails and keeps version 2.
    std::fs::write(pools.join("places.csv"), "code,city,version\n10115,x,not-a-number\n").expect("csv");
    let r = post_empty(&s.api("/pools/places/refresh"));
    assert_eq!((r.status, r.body["error_code"].as_str()), (422, Some("POOL_REFRESH_FAILED")), "{}", r.body);
    assert!(r.body["detail"].as_str().expect("detail").contains("changed type"), "{}", r.body);
    let p = get(&s.api("/pools/places")).body;
    assert_eq!((p["status"].as_str(), p["version"].as_u64()), (Some("READY"), Some(2)));
    assert!(p["last_error"].as_str().is_some_and(|e| e.contains("kept the loaded version")));
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(post_empty(&s.api(&format!("/generators/{id}/stop"))).status, 200);
    let text = std::fs::read_to_string(&out).expect("rows");
    let versions: Vec<&str> = text.lines().skip(1).map(|l| l.split(',').nth(1).expect("version")).collect();
    let switch = versions.iter().position(|v| *v == "2").expect("rows of version 2");
    assert!(
        switch > 0 && versions[..switch].iter().all(|v| *v == "1") && versions[switch..].iter().all(|v| *v == "2"),
        "the run kept going and switched once"
    );
    for l in text.lines().skip(1) {
        let cols: Vec<&str> = l.split(',').collect();
        assert!(cols[2].starts_with("city"), "lookups hit: {l}");
    }

    // Prometheus: rows and memory per pool.
    let mut r = agent().get(&s.url("/metrics")).call().expect("metrics");
    let prom = r.body_mut().read_to_string().expect("text");
    assert!(prom.contains("sdg_pool_rows{pool=\"places\",strategy=\"FULL\"} 4"), "{prom}");
    assert!(prom.contains("sdg_pool_memory_bytes{pool=\"places\""));
    assert!(prom.contains("sdg_pool_ready{pool=\"broken\",strategy=\"FULL\"} 0"));
}

#[test]
fn definitions_declare_pools_and_their_problems_are_reported() {
    let dir = tempfile::tempdir().expect("tmp");
    let s = TestServer::start(config(dir.path()));
    let def = json!({
        "name": "inline", "seed": 3,
        "end_condition": { "type": "RECORD_COUNT", "value": 1000 },
        "destination": { "type": "BLACKHOLE" },
        "pools": [{ "name": "colors", "source": { "type": "inline", "columns": { "color": ["red", "green"], "w": [3, 1] } } }],
        "fields": [{ "name": "c", "type": "POOL_REFERENCE", "params": { "pool": "colors", "column": "color", "pick": "weighted", "weight_column": "w" } }]
    });
    let v = post(&s.api("/generators/validate"), &def);
    assert_eq!(v.body["valid"], true, "{}", v.body);
    assert_eq!(v.body["fields"][0]["data_type"], "Utf8", "{}", v.body);
    let created = post(&s.api("/generators"), &def);
    assert_eq!(created.status, 201, "{}", created.body);
    let list = get(&s.api("/pools")).body;
    let colors = list.as_array().expect("list").iter().find(|p| p["name"] == "colors").expect("declared pool listed");
    assert_eq!((colors["origin"].as_str(), colors["declared_in"].as_str()), (Some("generator"), Some("inline")));
    assert_eq!(colors["version"], 1, "validate and create load the pool once");
    let id = created.body["id"].as_str().expect("id").to_string();
    assert_eq!(post_empty(&s.api(&format!("/generators/{id}/start"))).status, 200);
    assert_eq!(get(&s.api("/pools/colors")).body["version"], 1, "starting reuses the loaded pool");
    // A definition only validated does not keep its pool; a deleted generator's pool goes too.
    let mut other = def.clone();
    other["pools"][0]["name"] = json!("shades");
    other["fields"][0]["params"]["pool"] = json!("shades");
    assert_eq!(post(&s.api("/generators/validate"), &other).body["valid"], true);
    assert_eq!(get(&s.api("/pools/shades")).status, 404, "forgotten after validation");
    wait_for("the run to complete", 20, || get(&s.api(&format!("/generators/{id}"))).body["status"] == "COMPLETED");
    assert_eq!(delete(&s.api(&format!("/generators/{id}"))).status, 200);
    assert_eq!(get(&s.api("/pools/colors")).status, 404, "forgotten with its generator");

    let mut bad = def.clone();
    bad["fields"][0]["params"] = json!({ "pool": "colour", "column": "color" });
    bad["pools"][0]["strategy"] = json!("SAMPLED");
    let r = post(&s.api("/generators"), &bad);
    assert_eq!(r.status, 400, "{}", r.body);
    let errors = r.body["errors"].as_array().expect("errors");
    let paths: Vec<&str> = errors.iter().filter_map(|e| e["path"].as_str()).collect();
    assert!(paths.contains(&"pools[0].sample"), "{paths:?}");
    let mut bad = def.clone();
    bad["fields"][0]["params"] = json!({ "pool": "colour", "column": "color" });
    let r = post(&s.api("/generators/validate"), &bad);
    assert_eq!(r.body["valid"], false);
    assert_eq!(r.body["errors"][0]["path"], "fields[0].params.pool", "{}", r.body);
    assert!(r.body["errors"][0]["hint"].as_str().is_some_and(|h| h.contains("colors")), "{}", r.body);
}
