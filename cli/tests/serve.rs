//! `sdg serve` as a process: SIGTERM shuts down gracefully (generators
//! stopped, files complete); after SIGKILL a restarted server brings the
//! running generator back STOPPED and `resume` continues from its checkpoint.

use serde_json::{Value, json};
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

struct Serve {
    child: Child,
    base: String,
}

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts `sdg serve` on a free port and reads its address off stderr.
fn serve(data: &Path) -> Serve {
    let mut child = Command::new(env!("CARGO_BIN_EXE_sdg"))
        .args(["serve", "--addr", "127.0.0.1:0", "--data-dir", data.to_str().expect("path")])
        .stderr(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .expect("spawn sdg serve");
    let stderr = child.stderr.take().expect("stderr");
    let mut lines = BufReader::new(stderr).lines();
    let base = loop {
        let line = lines.next().expect("sdg serve printed its address").expect("read");
        if let Some(rest) = line.split("sdg control API on ").nth(1) {
            break rest.split(' ').next().expect("url").to_string();
        }
    };
    // Keep draining stderr so the server never blocks on a full pipe.
    std::thread::spawn(move || for _ in lines.by_ref() {});
    Serve { child, base }
}

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder().http_status_as_error(false).build().into()
}

fn call(method: &str, url: &str, body: Option<&Value>) -> Value {
    let a = agent();
    let r = match (method, body) {
        ("GET", _) => a.get(url).call(),
        (_, Some(b)) => a.post(url).send_json(b),
        _ => a.post(url).send_empty(),
    };
    let text = r.expect("http").body_mut().read_to_string().expect("body");
    serde_json::from_str(&text).expect("json")
}

fn generator(out: &Path) -> Value {
    json!({
        "name": "crash", "mode": "REALTIME", "rate": 20000, "batch_size": 1000,
        "end_condition": { "type": "MANUAL" },
        "destination": { "type": "FILE", "config": { "path": out.to_string_lossy() } },
        "fields": [{ "name": "id", "type": "SEQUENCE" }]
    })
}

fn ids(path: &Path) -> Vec<u64> {
    std::fs::read_to_string(path).expect("csv").lines().skip(1).map(|l| l.parse().expect("id")).collect()
}

fn wait_for(what: &str, f: impl FnMut() -> bool) {
    sdg_testkit::wait_for(what, 30, f);
}

/// The generator's rows delivered so far.
fn delivered(api: &str, id: &str) -> u64 {
    call("GET", &format!("{api}/generators/{id}/metrics"), None)["rows_delivered"].as_u64().expect("rows_delivered")
}

/// A server on `data` running the generator into `out`: (server, API base, generator id).
fn running(data: &Path, out: &Path) -> (Serve, String, String) {
    let s = serve(data);
    let api = format!("{}/api/v1", s.base);
    let id = call("POST", &format!("{api}/generators"), Some(&generator(out)))["id"].as_str().expect("id").to_string();
    assert_eq!(call("POST", &format!("{api}/generators/{id}/start"), None)["status"], "RUNNING");
    (s, api, id)
}

#[test]
fn after_a_crash_the_generator_comes_back_stopped_and_resumes_from_its_checkpoint() {
    let dir = tempfile::tempdir().expect("tmp");
    let data = dir.path().join("data");
    let out = dir.path().join("crash.csv");
    let (mut s, api, id) = running(&data, &out);
    wait_for("rows", || delivered(&api, &id) > 20_000);
    std::thread::sleep(Duration::from_millis(1500)); // a checkpoint lands once a second
    s.child.kill().expect("SIGKILL");
    s.child.wait().expect("dead");

    let s = serve(&data);
    let api = format!("{}/api/v1", s.base);
    let g = call("GET", &format!("{api}/generators/{id}"), None);
    assert_eq!(g["status"], "STOPPED", "{g}");
    assert!(g["status_reason"].as_str().expect("reason").contains("server stopped while the generator was RUNNING"));
    let next = g["next_row"].as_u64().expect("checkpoint");
    let before = ids(&out);
    assert!(next >= 10_000 && next <= before.len() as u64, "checkpoint {next}, file {} rows", before.len());
    assert_eq!(before, (1..=before.len() as u64).collect::<Vec<_>>(), "the file is whole rows, in order");

    assert_eq!(call("POST", &format!("{api}/generators/{id}/resume"), None)["status"], "RUNNING");
    wait_for("rows after resume", || delivered(&api, &id) > 5_000);
    assert_eq!(call("POST", &format!("{api}/generators/{id}/stop"), None)["status"], "STOPPED");
    let after = ids(&dir.path().join(format!("crash.from-{next}.csv")));
    assert_eq!(after[0], next + 1, "resumed right after the checkpoint");
    assert_eq!(after, (next + 1..next + 1 + after.len() as u64).collect::<Vec<_>>());
}

#[test]
fn sigterm_stops_generators_and_flushes_before_exiting() {
    let dir = tempfile::tempdir().expect("tmp");
    let data = dir.path().join("data");
    let out = dir.path().join("term.csv");
    let (mut s, _, id) = running(&data, &out);
    wait_for("rows", || ids(&out).len() > 5_000);
    let kill = Command::new("bash").args(["-c", &format!("kill -TERM {}", s.child.id())]).status().expect("kill");
    assert!(kill.success());
    let status = s.child.wait().expect("exits");
    assert!(status.success(), "clean exit on SIGTERM: {status:?}");

    let s = serve(&data);
    let g = call("GET", &format!("{}/api/v1/generators/{id}", s.base), None);
    assert_eq!(g["status"], "STOPPED");
    assert!(g["status_reason"].as_str().expect("reason").contains("server shutdown"), "{g}");
    // Graceful: the checkpoint is exactly what the file holds.
    assert_eq!(g["next_row"].as_u64(), Some(ids(&out).len() as u64));
}
