//! Helpers shared by the engine's black-box tests: definitions from YAML and
//! an in-process sink that keeps what it receives (the engine's own contract,
//! not a stand-in for any server).

#![allow(dead_code)]

use arrow_array::RecordBatch;
use parking_lot::Mutex;
use sdg_engine::{Delivered, GeneratorSpec, Plan, Sink, SinkError};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

pub fn spec(yaml: &str) -> GeneratorSpec {
    match sdg_engine::spec::parse_yaml(yaml) {
        Ok(s) => s,
        Err(e) => panic!("test definition is invalid:\n{e}"),
    }
}

pub fn plan(yaml: &str) -> Plan {
    match Plan::compile(&spec(yaml)) {
        Ok(p) => p,
        Err(e) => panic!("test definition does not compile:\n{e}"),
    }
}

/// Problems reported for a definition (parse + compile).
pub fn problems(yaml: &str) -> Vec<String> {
    match sdg_engine::spec::parse_yaml(yaml) {
        Err(e) => e.iter().map(ToString::to_string).collect(),
        Ok(s) => match Plan::compile(&s) {
            Ok(_) => vec![],
            Err(e) => e.iter().map(ToString::to_string).collect(),
        },
    }
}

/// Wraps field definitions in a minimal generator.
pub fn with_fields(fields: &str) -> String {
    format!("name: t\nseed: 1\ndestination: {{ type: BLACKHOLE }}\nfields:\n{fields}")
}

/// Keeps every batch; can be slowed down and made to fail.
#[derive(Clone, Default)]
pub struct Collect {
    pub batches: Arc<Mutex<Vec<RecordBatch>>>,
    pub delay: Duration,
    /// Fail this many writes (from the `fail_from`-th write on).
    pub fail_count: Arc<AtomicU64>,
    pub fail_from: u64,
    pub writes: Arc<AtomicU64>,
    pub retryable: bool,
    /// Acknowledge each batch at once but settle it only this many writes
    /// later (as a destination that acknowledges out of row order would).
    pub settle_lag: usize,
    pub unsettled: Arc<Mutex<std::collections::VecDeque<u64>>>,
}

impl Sink for Collect {
    fn write(&mut self, batch: &RecordBatch, _encoded: Option<&sdg_engine::Encoded>) -> Result<Delivered, SinkError> {
        let n = self.writes.fetch_add(1, Ordering::SeqCst);
        if !self.delay.is_zero() {
            std::thread::sleep(self.delay);
        }
        if n >= self.fail_from && self.fail_count.load(Ordering::SeqCst) > 0 {
            self.fail_count.fetch_sub(1, Ordering::SeqCst);
            return Err(SinkError { message: format!("injected failure on write {n}"), retryable: self.retryable });
        }
        self.batches.lock().push(batch.clone());
        let rows = batch.num_rows() as u64;
        let mut d = Delivered::new(rows, batch.get_array_memory_size() as u64);
        let mut unsettled = self.unsettled.lock();
        unsettled.push_back(rows);
        d.settled = 0;
        while unsettled.len() > self.settle_lag {
            d.settled += unsettled.pop_front().unwrap_or(0);
        }
        Ok(d)
    }

    fn close(&mut self) -> Result<Delivered, SinkError> {
        let settled = self.unsettled.lock().drain(..).sum();
        Ok(Delivered { settled, ..Delivered::default() })
    }
}

impl Collect {
    pub fn rows(&self) -> usize {
        self.batches.lock().iter().map(RecordBatch::num_rows).sum()
    }

    /// All received rows as one batch.
    pub fn concat(&self) -> RecordBatch {
        let batches = self.batches.lock();
        let schema = batches[0].schema();
        arrow_select::concat::concat_batches(&schema, batches.iter()).expect("same schema")
    }

    /// Values of an Int64 column across all batches.
    pub fn i64_column(&self, name: &str) -> Vec<i64> {
        use arrow_array::cast::AsArray;
        use arrow_array::types::Int64Type;
        self.batches
            .lock()
            .iter()
            .flat_map(|b| b.column_by_name(name).expect("column exists").as_primitive::<Int64Type>().values().to_vec())
            .collect()
    }
}

/// A stable digest of batches' contents (Arrow IPC bytes of each, hashed).
pub fn digest(batch: &RecordBatch) -> u64 {
    let mut buf = Vec::new();
    {
        let mut w = arrow_ipc::writer::StreamWriter::try_new(&mut buf, &batch.schema()).expect("ipc writer");
        w.write(batch).expect("ipc write");
        w.finish().expect("ipc finish");
    }
    xxhash_rust::xxh3::xxh3_64(&buf)
}

/// Runs `script` with Python over the values (one JSON object of lists on stdin).
pub fn python_check(script: &str, values: &serde_json::Value) {
    use std::io::Write;
    let mut child = std::process::Command::new("python3")
        .args(["-c", script])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("python3 runs");
    child.stdin.take().expect("stdin").write_all(values.to_string().as_bytes()).expect("write");
    let out = child.wait_with_output().expect("python3");
    assert!(
        out.status.success(),
        "validators refused values (or are missing: scripts/test.sh installs python-stdnum, vininfo, phonenumbers and ua-parser):\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(said.contains("checked"), "{said}");
}
