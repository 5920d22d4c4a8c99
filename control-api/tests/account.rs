//! Seed 004's account surface over real HTTP: API keys created, used,
//! rotated with a grace period, revoked, stored hashed and kept across a
//! restart; usage per key; webhooks delivered to a real HTTP receiver
//! started by the test, signed (the receiver checks the HMAC), retried
//! after failures, recorded with their attempts, and delivered after a
//! server restart.

mod common;

use common::{TestServer, agent, config};
use hmac::{Hmac, Mac};
use serde_json::{Value, json};
use std::collections::VecDeque;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// A request the receiver got.
#[derive(Debug, Clone)]
struct Got {
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Got {
    fn header(&self, name: &str) -> String {
        self.headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.clone()).unwrap_or_default()
    }
}

/// A real HTTP endpoint: answers each POST with the next status of `plan` (then 200), recording it.
struct Receiver {
    url: String,
    got: Arc<Mutex<Vec<Got>>>,
}

fn receiver(listener: TcpListener, plan: Vec<u16>) -> Receiver {
    let url = format!("http://{}/hook", listener.local_addr().expect("addr"));
    let got = Arc::new(Mutex::new(Vec::new()));
    let plan = Arc::new(Mutex::new(VecDeque::from(plan)));
    let (g, p) = (Arc::clone(&got), Arc::clone(&plan));
    std::thread::spawn(move || {
        for conn in listener.incoming() {
            let Ok(mut conn) = conn else { continue };
            let mut reader = BufReader::new(conn.try_clone().expect("clone"));
            let mut line = String::new();
            if reader.read_line(&mut line).is_err() || line.is_empty() {
                continue;
            }
            let mut headers = Vec::new();
            loop {
                let mut h = String::new();
                if reader.read_line(&mut h).is_err() || h == "\r\n" || h.is_empty() {
                    break;
                }
                if let Some((k, v)) = h.trim_end().split_once(':') {
                    headers.push((k.trim().to_string(), v.trim().to_string()));
                }
            }
            let len: usize = headers
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case("content-length"))
                .and_then(|(_, v)| v.parse().ok())
                .unwrap_or(0);
            let mut body = vec![0; len];
            let _ = reader.read_exact(&mut body);
            let status = p.lock().expect("plan").pop_front().unwrap_or(200);
            g.lock().expect("got").push(Got { headers, body });
            let _ = write!(conn, "HTTP/1.1 {status} X\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
        }
    });
    Receiver { url, got }
}

fn call(method: &str, url: &str, key: Option<&str>, body: Option<&Value>) -> (u16, Value) {
    let a = agent();
    let mut r = match method {
        "GET" => {
            let mut q = a.get(url);
            if let Some(k) = key {
                q = q.header("X-API-Key", k);
            }
            q.call()
        }
        "DELETE" => {
            let mut q = a.delete(url);
            if let Some(k) = key {
                q = q.header("X-API-Key", k);
            }
            q.call()
        }
        _ => {
            let mut q = if method == "PATCH" { a.patch(url) } else { a.post(url) };
            if let Some(k) = key {
                q = q.header("X-API-Key", k);
            }
            match body {
                Some(b) => q.send_json(b),
                None => q.send_empty(),
            }
        }
    }
    .expect("HTTP");
    let status = r.status().as_u16();
    let text = r.body_mut().read_to_string().unwrap_or_default();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

fn wait(what: &str, secs: u64, mut f: impl FnMut() -> bool) {
    let t = Instant::now();
    while !f() {
        assert!(t.elapsed() < Duration::from_secs(secs), "{what}");
        std::thread::sleep(Duration::from_millis(25));
    }
}

const ROOT: &str = "sdg_root_key_for_the_account_tests_0001";

fn keyed(dir: &std::path::Path) -> sdg_control_api::ServeConfig {
    sdg_control_api::ServeConfig {
        api_keys: vec![sdg_control_api::hash_key(ROOT)],
        webhook_retry_base_ms: 100,
        webhook_timeout_ms: 2000,
        ..config(dir)
    }
}

#[test]
fn api_keys_are_created_rotated_revoked_and_stored_hashed() {
    let dir = tempfile::tempdir().expect("tmp");
    // A server without keys manages none (its first key comes from the config).
    {
        let open = TestServer::start(config(&dir.path().join("open")));
        let (status, body) = call("POST", &open.api("/api-keys"), None, Some(&json!({ "name": "x" })));
        assert_eq!(status, 403, "{body}");
        assert!(body["detail"].as_str().expect("detail").contains("sdg api-key"));
    }
    let s = TestServer::start(keyed(dir.path()));
    assert_eq!(call("GET", &s.api("/generators"), None, None).0, 401);
    let (status, k1) = call("POST", &s.api("/api-keys"), Some(ROOT), Some(&json!({ "name": "ci" })));
    assert_eq!(status, 201, "{k1}");
    let key1 = k1["key"].as_str().expect("the key is shown once").to_string();
    let id1 = k1["id"].as_str().expect("id").to_string();
    assert_eq!(k1["prefix"].as_str(), Some(&key1[..12]));
    assert_eq!(call("GET", &s.api("/generators"), Some(&key1), None).0, 200);
    // Seed 004's header works the same.
    let bearer =
        agent().get(&s.api("/generators")).header("Authorization", &format!("Bearer {key1}")).call().expect("GET");
    assert_eq!(bearer.status().as_u16(), 200);
    let (_, list) = call("GET", &s.api("/api-keys"), Some(&key1), None);
    let item = &list["items"][0];
    assert_eq!((item["name"].as_str(), item["status"].as_str()), (Some("ci"), Some("active")));
    assert!(item.get("key").is_none() && item.get("hash").is_none(), "{item}");
    assert!(item["last_used_at"].is_string(), "last use is noted: {item}");
    // Rotation: the new key works at once, the old one for the grace period only.
    let (status, rot) =
        call("POST", &s.api(&format!("/api-keys/{id1}/rotate")), Some(&key1), Some(&json!({ "grace_seconds": 2 })));
    assert_eq!(status, 200, "{rot}");
    let key2 = rot["key"].as_str().expect("new key").to_string();
    let id2 = rot["new"]["id"].as_str().expect("id").to_string();
    assert_eq!(rot["old"]["status"], "rotating");
    assert_eq!(call("GET", &s.api("/generators"), Some(&key2), None).0, 200);
    assert_eq!(call("GET", &s.api("/generators"), Some(&key1), None).0, 200, "in its grace period");
    wait("the old key expires", 10, || call("GET", &s.api("/generators"), Some(&key1), None).0 == 401);
    assert_eq!(call("GET", &s.api(&format!("/api-keys/{id1}")), Some(&key2), None).1["status"], "expired");
    assert_eq!(call("POST", &s.api(&format!("/api-keys/{id1}/rotate")), Some(&key2), None).0, 409);
    // Stored hashed: the data directory holds the hash, never the key.
    s.shutdown();
    let db = std::fs::read(dir.path().join("sdg.redb")).expect("store");
    let has = |needle: &str| db.windows(needle.len()).any(|w| w == needle.as_bytes());
    assert!(!has(&key2) && !has(&key1), "no key in the store");
    assert!(has(sdg_control_api::hash_key(&key2).trim_start_matches("sha256:")), "its hash is");
    // Kept across a restart; revoked at once.
    let s = TestServer::start(keyed(dir.path()));
    assert_eq!(call("GET", &s.api("/generators"), Some(&key2), None).0, 200);
    let (status, revoked) = call("DELETE", &s.api(&format!("/api-keys/{id2}")), Some(ROOT), None);
    assert_eq!((status, revoked["status"].as_str()), (200, Some("revoked")));
    let (status, e) = call("GET", &s.api("/generators"), Some(&key2), None);
    assert_eq!(status, 401);
    assert!(e["detail"].as_str().expect("detail").contains("revoked"));
    assert_eq!(call("DELETE", &s.api(&format!("/api-keys/{id2}")), Some(ROOT), None).0, 409);
    assert_eq!(call("DELETE", &s.api("/api-keys/key_nope"), Some(ROOT), None).0, 404);
    // Pages.
    for i in 0..3 {
        call("POST", &s.api("/api-keys"), Some(ROOT), Some(&json!({ "name": format!("k{i}") })));
    }
    let (_, p1) = call("GET", &s.api("/api-keys?limit=3"), Some(ROOT), None);
    assert_eq!((p1["total"].as_u64(), p1["has_more"].as_bool()), (Some(5), Some(true)));
    let (_, p2) = call(
        "GET",
        &s.api(&format!("/api-keys?limit=3&cursor={}", p1["next_cursor"].as_str().expect("c"))),
        Some(ROOT),
        None,
    );
    assert_eq!((p2["items"].as_array().map(Vec::len), p2["has_more"].as_bool()), (Some(2), Some(false)));
}

#[test]
fn usage_is_counted_per_key() {
    let dir = tempfile::tempdir().expect("tmp");
    let s = TestServer::start(keyed(dir.path()));
    let (_, k) = call("POST", &s.api("/api-keys"), Some(ROOT), Some(&json!({ "name": "meter" })));
    let (key, id) = (k["key"].as_str().expect("key").to_string(), k["id"].as_str().expect("id").to_string());
    let body = json!({ "count": 25, "schema_fields": [{ "name": "id", "type": "uuid" }] });
    for _ in 0..2 {
        assert_eq!(call("POST", &s.api("/generate"), Some(&key), Some(&body)).0, 200);
    }
    assert_eq!(call("POST", &s.api("/identities"), Some(&key), Some(&json!({ "count": 10 }))).0, 200);
    let (_, u) = call("GET", &s.api(&format!("/account/usage?period=hour&key={id}")), Some(&key), None);
    assert_eq!(u["caller"], id);
    assert_eq!(u["usage"].as_array().map(Vec::len), Some(1), "{u}");
    assert_eq!(u["usage"][0]["requests"], 3, "the usage request itself is counted once it is answered: {u}");
    assert_eq!(u["usage"][0]["rows_generated"], 60);
    let (_, all) = call("GET", &s.api("/account/usage?period=month"), Some(ROOT), None);
    let keys: Vec<&str> = all["usage"].as_array().expect("usage").iter().filter_map(|x| x["key"].as_str()).collect();
    assert!(keys.contains(&"config-0") && keys.contains(&id.as_str()), "{all}");
    assert_eq!(call("GET", &s.api("/account/usage?period=week"), Some(ROOT), None).0, 400);
}

fn verify(g: &Got, secret: &str) -> Value {
    let sig = g.header("X-Sdg-Signature");
    let (t, v1) = sig.split_once(',').expect("t=…,v1=…");
    let t = t.strip_prefix("t=").expect("t");
    assert_eq!(t, g.header("X-Sdg-Timestamp"));
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()).expect("hmac");
    mac.update(format!("{t}.").as_bytes());
    mac.update(&g.body);
    let want: String = mac.finalize().into_bytes().iter().map(|b| format!("{b:02x}")).collect();
    assert_eq!(v1.strip_prefix("v1=").expect("v1"), want, "the signature verifies");
    serde_json::from_slice(&g.body).expect("json payload")
}

#[test]
fn webhooks_are_signed_retried_recorded_and_survive_a_restart() {
    let dir = tempfile::tempdir().expect("tmp");
    let secret = "whsec_the_receivers_own_secret";
    let r = receiver(TcpListener::bind("127.0.0.1:0").expect("bind"), vec![500, 503]);
    let s = TestServer::start(keyed(dir.path()));
    let (status, w) = call(
        "POST",
        &s.api("/webhooks"),
        Some(ROOT),
        Some(&json!({ "url": r.url, "events": ["job.completed", "generator.completed"], "secret": secret })),
    );
    assert_eq!(status, 201, "{w}");
    assert_eq!(w["secret"], secret, "answered once");
    let wid = w["id"].as_str().expect("id").to_string();
    assert!(call("GET", &s.api(&format!("/webhooks/{wid}")), Some(ROOT), None).1.get("secret").is_none());
    // A job completes: refused twice, then delivered.
    let (_, job) =
        call("POST", &s.api("/generate/corpus"), Some(ROOT), Some(&json!({ "domain_hint": "hr", "corpus_size": 200 })));
    let job_id = job["job_id"].as_str().expect("job").to_string();
    wait("three attempts", 30, || r.got.lock().expect("got").len() >= 3);
    let got = r.got.lock().expect("got").clone();
    let payload = verify(&got[2], secret);
    assert_eq!(
        (payload["event"].as_str(), payload["data"]["job_id"].as_str()),
        (Some("job.completed"), Some(job_id.as_str()))
    );
    assert_eq!(got[0].header("X-Sdg-Delivery"), got[2].header("X-Sdg-Delivery"), "the same delivery, retried");
    assert_eq!(got[0].header("X-Sdg-Event"), "job.completed");
    wait("recorded", 10, || {
        call("GET", &s.api(&format!("/webhooks/{wid}/deliveries")), Some(ROOT), None).1["items"][0]["status"]
            == "succeeded"
    });
    let (_, d) = call("GET", &s.api(&format!("/webhooks/{wid}/deliveries")), Some(ROOT), None);
    let attempts: Vec<Value> =
        d["items"][0]["attempts"].as_array().expect("attempts").iter().map(|a| a["status_code"].clone()).collect();
    assert_eq!(attempts, [json!(500), json!(503), json!(200)]);
    // A generator completes.
    let out = dir.path().join("g.csv");
    let def = json!({
        "name": "hooked", "end_condition": { "type": "RECORD_COUNT", "value": 500 },
        "destination": { "type": "FILE", "config": { "path": out.to_string_lossy() } },
        "fields": [{ "name": "n", "type": "SEQUENCE" }],
    });
    let (_, g) = call("POST", &s.api("/generators"), Some(ROOT), Some(&def));
    let gid = g["id"].as_str().expect("gid").to_string();
    assert_eq!(call("POST", &s.api(&format!("/generators/{gid}/start")), Some(ROOT), None).0, 200);
    wait("generator.completed", 30, || r.got.lock().expect("got").len() >= 4);
    let p = verify(&r.got.lock().expect("got")[3], secret);
    assert_eq!(
        (p["event"].as_str(), p["data"]["generator_id"].as_str(), p["data"]["rows_delivered"].as_u64()),
        (Some("generator.completed"), Some(gid.as_str()), Some(500))
    );
    // Inactive: nothing sent.
    let (status, w2) =
        call("PATCH", &s.api(&format!("/webhooks/{wid}")), Some(ROOT), Some(&json!({ "active": false })));
    assert_eq!((status, w2["active"].as_bool()), (200, Some(false)));
    call("POST", &s.api("/generate/corpus"), Some(ROOT), Some(&json!({ "domain_hint": "hr", "corpus_size": 100 })));
    std::thread::sleep(Duration::from_millis(1500));
    assert_eq!(r.got.lock().expect("got").len(), 4);
    call("PATCH", &s.api(&format!("/webhooks/{wid}")), Some(ROOT), Some(&json!({ "active": true })));

    // An endpoint that is down: the delivery waits, and is sent after a restart.
    let down = TcpListener::bind("127.0.0.1:0").expect("bind");
    let down_addr = down.local_addr().expect("addr");
    drop(down);
    let (_, w3) = call(
        "POST",
        &s.api("/webhooks"),
        Some(ROOT),
        Some(&json!({ "url": format!("http://{down_addr}/hook"), "events": ["job.completed"], "secret": secret })),
    );
    let w3id = w3["id"].as_str().expect("id").to_string();
    call("POST", &s.api("/generate/corpus"), Some(ROOT), Some(&json!({ "domain_hint": "hr", "corpus_size": 100 })));
    wait("a failed attempt", 30, || {
        call("GET", &s.api(&format!("/webhooks/{w3id}/deliveries")), Some(ROOT), None).1["items"][0]["attempts"]
            .as_array()
            .is_some_and(|a| !a.is_empty())
    });
    s.shutdown();
    let back = receiver(TcpListener::bind(down_addr).expect("the same port"), vec![]);
    let s = TestServer::start(keyed(dir.path()));
    wait("delivered after the restart", 60, || !back.got.lock().expect("got").is_empty());
    let p = verify(&back.got.lock().expect("got")[0], secret);
    assert_eq!(p["event"], "job.completed");
    wait("recorded as succeeded", 10, || {
        call("GET", &s.api(&format!("/webhooks/{w3id}/deliveries")), Some(ROOT), None).1["items"][0]["status"]
            == "succeeded"
    });
    // Mistakes, pages, delete.
    let (status, e) =
        call("POST", &s.api("/webhooks"), Some(ROOT), Some(&json!({ "url": "ftp://x", "events": ["job.completed"] })));
    assert_eq!(status, 400, "{e}");
    let (status, e) =
        call("POST", &s.api("/webhooks"), Some(ROOT), Some(&json!({ "url": r.url, "events": ["job.complete"] })));
    assert_eq!((status, e["errors"][0]["hint"].as_str()), (400, Some("did you mean `job.completed`?")));
    let (_, made) =
        call("POST", &s.api("/webhooks"), Some(ROOT), Some(&json!({ "url": r.url, "events": ["job.failed"] })));
    assert!(made["secret"].as_str().expect("a secret is made").starts_with("whsec_"));
    let (_, page) = call("GET", &s.api("/webhooks?limit=2"), Some(ROOT), None);
    assert_eq!((page["total"].as_u64(), page["has_more"].as_bool()), (Some(3), Some(true)));
    assert_eq!(call("DELETE", &s.api(&format!("/webhooks/{w3id}")), Some(ROOT), None).0, 200);
    assert_eq!(call("GET", &s.api(&format!("/webhooks/{w3id}/deliveries")), Some(ROOT), None).0, 404);
}
