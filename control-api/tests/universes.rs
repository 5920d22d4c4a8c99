//! The universe routes over real HTTP: a universe posted as YAML (the file
//! of `sdg run`) creates its members as generators; start runs them parents
//! first and every key points at a parent row; the members and graph are
//! listed; pause, resume and stop go through every member; a member alone
//! refuses lifecycle calls with the way out; every validation problem has
//! its path; DELETE removes the universe and its members; it is persisted.

mod common;
use common::*;
use std::collections::{HashMap, HashSet};
use std::time::{Duration, Instant};

fn shop(dir: &std::path::Path, mode: &str) -> String {
    let out = dir.to_string_lossy();
    let pace =
        |rate: u32| if mode == "REALTIME" { format!("\n    mode: REALTIME\n    rate: {rate}") } else { String::new() };
    let end = |n: u32| {
        if mode == "REALTIME" {
            "{ type: MANUAL }".to_string()
        } else {
            format!("{{ type: RECORD_COUNT, value: {n} }}")
        }
    };
    format!(
        "universe: shop\nseed: 42\ngenerators:
  - name: customers{}
    end_condition: {}
    destination: {{ type: FILE, config: {{ path: \"{out}/customers.csv\" }} }}
    fields:
      - {{ name: customer_id, type: SEQUENCE, params: {{ start: 1 }} }}
      - {{ name: country, type: ENUM_RANDOM, params: {{ values: [DE, FR, US] }} }}
  - name: accounts{}
    end_condition: {}
    destination: {{ type: FILE, config: {{ path: \"{out}/accounts.csv\" }} }}
    fields:
      - {{ name: account_id, type: SEQUENCE, params: {{ start: 100 }} }}
      - {{ name: customer_id, type: UNIVERSE_KEY_REFERENCE, params: {{ generator: customers, field: customer_id }} }}
      - {{ name: country, type: UNIVERSE_KEY_REFERENCE, params: {{ from: customer_id, field: country }} }}
",
        pace(500),
        end(2000),
        pace(500),
        end(5000),
    )
}

fn wait_status(s: &TestServer, uid: &str, status: &str) -> serde_json::Value {
    let t0 = Instant::now();
    loop {
        let u = get(&s.api(&format!("/universes/{uid}")));
        assert_eq!(u.status, 200, "{}", u.body);
        if u.body["status"] == status {
            return u.body;
        }
        assert!(t0.elapsed() < Duration::from_secs(30), "universe never {status}: {}", u.body);
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn a_universe_is_created_run_listed_and_deleted() {
    let dir = tempfile::tempdir().expect("tmp");
    let s = TestServer::start(config(dir.path()));
    let created = post_raw(&s.api("/universes"), "application/yaml", shop(dir.path(), "BATCH").as_bytes());
    assert_eq!(created.status, 201, "{}", created.body);
    let uid = created.body["id"].as_str().expect("id").to_string();
    let members = created.body["members"].as_array().expect("members").clone();
    let names: Vec<&str> = members.iter().map(|m| m["name"].as_str().expect("name")).collect();
    assert_eq!(names, ["customers", "accounts"]);
    assert_eq!(members[1]["parents"], serde_json::json!(["customers"]));
    assert_eq!(created.body["status"], "CREATED");
    // Members are generators of the universe, and refuse to be run alone.
    let child = members[1]["generator_id"].as_str().expect("gid").to_string();
    let g = get(&s.api(&format!("/generators/{child}")));
    assert_eq!((g.status, g.body["universe"].as_str()), (200, Some(uid.as_str())), "{}", g.body);
    let alone = post_empty(&s.api(&format!("/generators/{child}/start")));
    assert_eq!(alone.status, 409, "{}", alone.body);
    assert!(alone.body["detail"].as_str().expect("detail").contains(&format!("/api/v1/universes/{uid}/start")));
    assert_eq!(delete(&s.api(&format!("/generators/{child}"))).status, 409);

    assert_eq!(post_empty(&s.api(&format!("/universes/{uid}/start"))).status, 200);
    let done = wait_status(&s, &uid, "COMPLETED");
    assert_eq!(done["members"][1]["rows_delivered"], 5000, "{done}");
    // Every account's customer exists, with the customer's country.
    let customers: HashMap<String, String> = csv_rows(&dir.path().join("customers.csv"))
        .into_iter()
        .map(|l| {
            let (id, c) = l.split_once(',').expect("row");
            (id.to_string(), c.to_string())
        })
        .collect();
    assert_eq!(customers.len(), 2000);
    for row in csv_rows(&dir.path().join("accounts.csv")) {
        let cols: Vec<&str> = row.split(',').collect();
        assert_eq!(customers.get(cols[1]).map(String::as_str), Some(cols[2]), "{row}");
    }
    assert_eq!(post_empty(&s.api(&format!("/universes/{uid}/stop"))).status, 409, "nothing to stop");
    let list = get(&s.api("/universes"));
    assert_eq!(list.body.as_array().map(Vec::len), Some(1));
    assert_eq!(delete(&s.api(&format!("/universes/{uid}"))).status, 200);
    assert_eq!(get(&s.api(&format!("/universes/{uid}"))).status, 404);
    assert_eq!(get(&s.api(&format!("/generators/{child}"))).status, 404, "members go with it");
}

#[test]
fn a_realtime_universe_pauses_resumes_and_stops_and_is_kept_across_restarts() {
    let dir = tempfile::tempdir().expect("tmp");
    let uid;
    {
        let s = TestServer::start(config(dir.path()));
        let created = post_raw(&s.api("/universes"), "application/yaml", shop(dir.path(), "REALTIME").as_bytes());
        assert_eq!(created.status, 201, "{}", created.body);
        uid = created.body["id"].as_str().expect("id").to_string();
        assert_eq!(post_empty(&s.api(&format!("/universes/{uid}/start"))).status, 200);
        let running = wait_status(&s, &uid, "RUNNING");
        assert_eq!(post_empty(&s.api(&format!("/universes/{uid}/start"))).status, 409, "{running}");
        // Both members run: the child once its parent delivered a row.
        let t0 = Instant::now();
        while get(&s.api(&format!("/universes/{uid}"))).body["members"][1]["status"] != "RUNNING" {
            assert!(t0.elapsed() < Duration::from_secs(10), "the child never started");
            std::thread::sleep(Duration::from_millis(50));
        }
        let paused = post_empty(&s.api(&format!("/universes/{uid}/pause")));
        assert_eq!((paused.status, paused.body["status"].as_str()), (200, Some("PAUSED")), "{}", paused.body);
        assert_eq!(post_empty(&s.api(&format!("/universes/{uid}/resume"))).status, 200);
        std::thread::sleep(Duration::from_millis(400));
        let stopped = post_empty(&s.api(&format!("/universes/{uid}/stop")));
        assert_eq!((stopped.status, stopped.body["status"].as_str()), (200, Some("STOPPED")), "{}", stopped.body);
        // A REALTIME child only references rows its parent delivered.
        let customers: HashSet<String> = csv_rows(&dir.path().join("customers.csv"))
            .into_iter()
            .map(|l| l.split(',').next().expect("id").to_string())
            .collect();
        let accounts = csv_rows(&dir.path().join("accounts.csv"));
        assert!(!accounts.is_empty());
        for row in accounts {
            assert!(customers.contains(row.split(',').nth(1).expect("fk")), "{row}");
        }
    }
    let s = TestServer::start(config(dir.path()));
    let again = get(&s.api(&format!("/universes/{uid}")));
    assert_eq!((again.status, again.body["name"].as_str()), (200, Some("shop")), "{}", again.body);
    assert_eq!(again.body["members"].as_array().map(Vec::len), Some(2));
}

#[test]
fn universe_problems_are_answered_400_with_their_paths() {
    let dir = tempfile::tempdir().expect("tmp");
    let s = TestServer::start(config(dir.path()));
    let bad = shop(dir.path(), "BATCH")
        .replace("field: customer_id }", "field: customer_idd }")
        .replace("  - name: customers", "  - { file: customers.yaml }\n  - name: customers");
    let r = post_raw(&s.api("/universes"), "application/yaml", bad.as_bytes());
    assert_eq!(r.status, 400, "{}", r.body);
    let paths: Vec<&str> =
        r.body["errors"].as_array().expect("errors").iter().map(|e| e["path"].as_str().expect("path")).collect();
    assert!(paths.contains(&"generators[0].file"), "{}", r.body);
    let r = post_raw(
        &s.api("/universes"),
        "application/yaml",
        shop(dir.path(), "BATCH").replace("field: customer_id }", "field: customer_idd }").as_bytes(),
    );
    assert_eq!(r.status, 400, "{}", r.body);
    assert!(r.body["errors"][0]["path"] == "generators[1].fields[1].params.field", "{}", r.body);
    assert!(r.body["errors"][0]["hint"].as_str().expect("hint").contains("did you mean `customer_id`"), "{}", r.body);
    assert_eq!(get(&s.api("/universes/nope")).status, 404);
    assert_eq!(post_empty(&s.api("/universes/nope/start")).status, 404);
    assert_eq!(get(&s.api("/universes")).body, serde_json::json!([]));
}
