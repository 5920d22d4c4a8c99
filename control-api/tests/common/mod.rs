//! A real server on a loopback port, and a plain HTTP client.

#![allow(dead_code)]

use sdg_control_api::{ServeConfig, Server};
use serde_json::{Value, json};
use std::net::SocketAddr;
use std::path::Path;
use std::time::Duration;

/// A server running on its own runtime thread; dropping it shuts it down gracefully.
pub struct TestServer {
    pub addr: SocketAddr,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<anyhow::Result<()>>>,
}

impl TestServer {
    pub fn start(mut config: ServeConfig) -> Self {
        config.addr = "127.0.0.1:0".parse().expect("addr");
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let (tx, rx) = std::sync::mpsc::channel();
        let thread = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build()?;
            rt.block_on(Server::run(
                config,
                async move {
                    let _ = stopped.await;
                },
                move |s| {
                    let _ = tx.send(s.addr);
                },
            ))
        });
        let addr = rx.recv_timeout(Duration::from_secs(30)).expect("the server starts");
        Self { addr, stop: Some(stop), thread: Some(thread) }
    }

    /// Graceful shutdown; waits until generators are stopped and stored.
    pub fn shutdown(mut self) {
        self.stop_now();
    }

    fn stop_now(&mut self) {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
        if let Some(t) = self.thread.take() {
            t.join().expect("server thread").expect("server ran cleanly");
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    pub fn api(&self, path: &str) -> String {
        self.url(&format!("/api/v1{path}"))
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// A config with a data dir and no rate limits.
pub fn config(dir: &Path) -> ServeConfig {
    ServeConfig {
        data_dir: dir.to_path_buf(),
        rate_limit: sdg_control_api::RateLimitConfig { per_minute: 0, per_hour: 0 },
        workers: Some(2),
        ..ServeConfig::default()
    }
}

pub fn agent() -> ureq::Agent {
    ureq::Agent::config_builder().http_status_as_error(false).build().into()
}

/// Status, headers and JSON body (Null when not JSON).
pub struct Answer {
    pub status: u16,
    pub headers: ureq::http::HeaderMap,
    pub body: Value,
}

fn answer(r: Result<ureq::http::Response<ureq::Body>, ureq::Error>) -> Answer {
    let mut r = r.expect("HTTP exchange");
    let status = r.status().as_u16();
    let headers = r.headers().clone();
    let text = r.body_mut().read_to_string().unwrap_or_default();
    let body = serde_json::from_str(&text).unwrap_or(Value::Null);
    Answer { status, headers, body }
}

pub fn get(url: &str) -> Answer {
    answer(agent().get(url).call())
}

pub fn post(url: &str, body: &Value) -> Answer {
    answer(agent().post(url).send_json(body))
}

pub fn post_empty(url: &str) -> Answer {
    answer(agent().post(url).send_empty())
}

/// A JSON Merge Patch (RFC 7396).
pub fn patch(url: &str, body: &Value) -> Answer {
    let bytes = serde_json::to_vec(body).expect("json");
    answer(agent().patch(url).content_type("application/merge-patch+json").send(&bytes[..]))
}

pub fn put(url: &str, body: &Value) -> Answer {
    answer(agent().put(url).send_json(body))
}

pub fn delete(url: &str) -> Answer {
    answer(agent().delete(url).call())
}

/// Sends raw bytes with a content type.
pub fn post_raw(url: &str, content_type: &str, body: &[u8]) -> Answer {
    answer(agent().post(url).content_type(content_type).send(body))
}

/// A REALTIME generator into a CSV file under `dir`, running until stopped.
pub fn paced(dir: &Path, name: &str, rate: u64) -> Value {
    json!({
        "name": name,
        "mode": "REALTIME",
        "rate": rate,
        "seed": 7,
        "batch_size": 1000,
        "end_condition": { "type": "MANUAL" },
        "destination": { "type": "FILE", "config": { "path": dir.join(format!("{name}.csv")).to_string_lossy() } },
        "fields": [
            { "name": "order_id", "type": "SEQUENCE", "params": { "start": 1 } },
            { "name": "status", "type": "ENUM_RANDOM", "params": { "values": ["NEW", "PAID"] } },
            { "name": "amount", "type": "NUMERIC_RANGE", "params": { "min": 1, "max": 100, "decimals": 2 } }
        ]
    })
}

#[allow(unused_imports)] // not every test binary waits
pub use sdg_testkit::wait_for;

pub fn delivered(s: &TestServer, id: &str) -> u64 {
    get(&s.api(&format!("/generators/{id}/metrics"))).body["rows_delivered"].as_u64().expect("rows_delivered")
}

/// Data rows of a CSV file (header excluded).
pub fn csv_rows(path: &Path) -> Vec<String> {
    std::fs::read_to_string(path).expect("csv").lines().skip(1).map(str::to_string).collect()
}

/// Creates a generator; its id.
pub fn create(s: &TestServer, definition: &Value) -> String {
    let r = post(&s.api("/generators"), definition);
    assert_eq!(r.status, 201, "{}", r.body);
    r.body["id"].as_str().expect("id").to_string()
}

/// Runs `psql URL -v ON_ERROR_STOP=1 -At -q ARGS`; its output, trimmed (panics, with psql's error, when it fails).
pub fn psql(url: &str, args: &[&str]) -> String {
    let out = std::process::Command::new("psql")
        .arg(url)
        .args(["-v", "ON_ERROR_STOP=1", "-At", "-q"])
        .args(args)
        .output()
        .expect("psql (PostgreSQL's client, installed with the server by scripts/services.sh)");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}
