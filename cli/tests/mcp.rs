//! The MCP server with a real MCP client: the official Python SDK's (PyPI
//! `mcp`, installed by scripts/test.sh) runs an agent's session —
//! capabilities, infer_schema, a strict-contract generate_ai, a mistake
//! and its corrected example, CSV, validate, a generator's whole lifecycle
//! — against `sdg mcp` over stdio and against `sdg serve`'s `/mcp` with an
//! API key (refused without it).

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};

fn client(args: &[&str]) {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/mcp_client.py");
    let out = Command::new("python3")
        .arg(&script)
        .args(args)
        .output()
        .expect("python3 runs (the MCP client is PyPI `mcp`, installed by scripts/test.sh)");
    assert!(
        out.status.success(),
        "the MCP client's checks failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn an_agent_session_over_stdio() {
    let dir = tempfile::tempdir().expect("tmp");
    let data = dir.path().join("data");
    let out = dir.path().to_str().expect("path");
    client(&["stdio", env!("CARGO_BIN_EXE_sdg"), data.to_str().expect("path"), out]);
}

#[test]
fn an_agent_session_over_http_with_an_api_key() {
    let dir = tempfile::tempdir().expect("tmp");
    let key = "sdg_mcp_test_key_0123456789abcdef";
    let hash = sdg_control_api::hash_key(key);
    let mut child = Command::new(env!("CARGO_BIN_EXE_sdg"))
        .args(["serve", "--addr", "127.0.0.1:0", "--api-key-hash", &hash])
        .args(["--data-dir", dir.path().join("data").to_str().expect("path")])
        .stderr(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .expect("spawn sdg serve");
    let mut lines = BufReader::new(child.stderr.take().expect("stderr")).lines();
    let base = loop {
        let line = lines.next().expect("sdg serve printed its address").expect("read");
        if let Some(rest) = line.split("sdg control API on ").nth(1) {
            break rest.split(' ').next().expect("url").to_string();
        }
    };
    std::thread::spawn(move || for _ in lines.by_ref() {});
    let url = format!("{base}/mcp");
    let done = std::panic::catch_unwind(|| client(&["http", &url, key, dir.path().to_str().expect("path")]));
    let _ = child.kill();
    let _ = child.wait();
    if let Err(e) = done {
        std::panic::resume_unwind(e);
    }
}
