//! The DRAGONFLY destination (Dragonfly, or anything speaking the Redis
//! protocol), through fred. Modes:
//!
//! | mode     | per row                                   |
//! |----------|-------------------------------------------|
//! | `hash`   | `HSET key field value …` (nulls omitted)  |
//! | `json`   | `SET key <row as JSON> [EX ttl]`          |
//! | `stream` | `XADD key [MAXLEN ~ n] * field value …`   |
//! | `list`   | `RPUSH key <row as JSON>` (one per batch) |
//! | `pubsub` | `PUBLISH key <row as JSON>`               |
//!
//! `key` is a template: `order:{order_id}` takes fields' text. Every batch is
//! one pipeline; it counts as delivered when every reply came back. `hash` and
//! `json` writes are idempotent (a retried batch rewrites the same keys), so a
//! retry never duplicates; streams, lists and channels get at-least-once.
//! fred reconnects with backoff on its own.

use arrow_array::RecordBatch;
use arrow_schema::SchemaRef;
use bytes::Bytes;
use fred::prelude::*;
use fred::types::{ClusterHash, CustomCommand};
use sdg_engine::issue::{Issue, Issues};
use sdg_engine::spec::Destination;
use sdg_engine::{BatchEncoder, Delivered, Encoded, Sink, SinkError};
use sdg_sinks::encode::{JsonLinesEncoder, TextCells};
use serde::Deserialize;
use std::time::Duration;

/// Settings of the DRAGONFLY destination.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct DragonflyConfig {
    /// Server URL, e.g. `redis://127.0.0.1:6379` (`redis://:password@host:port/db`).
    pub url: String,
    /// How rows are written (default `hash`).
    #[serde(default)]
    pub mode: Mode,
    /// Key (or stream/list/channel name) template: `{field}` is replaced by the field's text.
    pub key: String,
    /// Seconds until written keys expire (hash, json: per key; stream, list: per key, renewed each batch).
    #[serde(default)]
    pub ttl: Option<u64>,
    /// Approximate cap of a stream's length (`XADD … MAXLEN ~ n`).
    #[serde(default)]
    pub maxlen: Option<u64>,
    /// Seconds a batch may wait for its replies before it counts as failed (default 30).
    #[serde(default)]
    pub timeout: Option<u64>,
}

/// The keys `DragonflyConfig` accepts.
pub const KEYS: &[&str] = &["url", "mode", "key", "ttl", "maxlen", "timeout"];

/// How rows are written.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// One hash per row.
    #[default]
    Hash,
    /// One JSON string per row.
    Json,
    /// One stream entry per row.
    Stream,
    /// Rows appended to a list, as JSON.
    List,
    /// Rows published to a channel, as JSON.
    Pubsub,
}

/// A piece of a key template.
#[derive(Debug, Clone, PartialEq)]
enum Piece {
    Text(Vec<u8>),
    Field(usize),
}

/// Parses `order:{order_id}` against the field names.
fn template(key: &str, fields: &[&str]) -> Result<Vec<Piece>, String> {
    let mut pieces = Vec::new();
    let mut rest = key;
    while let Some(open) = rest.find('{') {
        if open > 0 {
            pieces.push(Piece::Text(rest.as_bytes()[..open].to_vec()));
        }
        let Some(close) = rest[open..].find('}') else {
            return Err(format!("`{{` at byte {} of the key is never closed", key.len() - rest.len() + open));
        };
        let name = &rest[open + 1..open + close];
        match fields.iter().position(|f| *f == name) {
            Some(i) => pieces.push(Piece::Field(i)),
            None => {
                return Err(format!(
                    "the key uses `{{{name}}}`, but there is no field `{name}` (fields: {})",
                    fields.join(", ")
                ));
            }
        }
        rest = &rest[open + close + 1..];
    }
    if !rest.is_empty() {
        pieces.push(Piece::Text(rest.as_bytes().to_vec()));
    }
    Ok(pieces)
}

/// Reads and checks the config, reporting every problem with its path.
pub fn config(dest: &Destination, issues: &mut Issues) -> Option<DragonflyConfig> {
    let cfg: DragonflyConfig = sdg_sinks::config::parse(dest, KEYS, issues)?;
    let before = issues.len();
    if let Err(e) = Config::from_url(&cfg.url) {
        issues.push(
            Issue::new("destination.config.url", format!("`{}` is not a Redis URL: {e}", redact(&cfg.url)))
                .hint("write it like redis://127.0.0.1:6379"),
        );
    }
    if cfg.key.is_empty() {
        issues.push(Issue::new("destination.config.key", "the key is empty").hint("e.g. key: \"order:{order_id}\""));
    }
    if cfg.maxlen.is_some() && cfg.mode != Mode::Stream {
        issues.push(Issue::new("destination.config.maxlen", "maxlen applies only to mode: stream"));
    }
    if cfg.timeout == Some(0) {
        issues.push(
            Issue::new("destination.config.timeout", "timeout 0 would wait forever")
                .hint("use seconds ≥ 1 (default 30)"),
        );
    }
    if cfg.ttl == Some(0) {
        issues.push(
            Issue::new("destination.config.ttl", "ttl 0 would expire keys at once")
                .hint("use seconds ≥ 1, or remove ttl"),
        );
    }
    if cfg.ttl.is_some() && cfg.mode == Mode::Pubsub {
        issues.push(Issue::new("destination.config.ttl", "ttl does not apply to mode: pubsub"));
    }
    (issues.len() == before).then_some(cfg)
}

/// Checks the config, and the key template against the fields when known.
pub fn validate(dest: &Destination, schema: Option<&SchemaRef>) -> Issues {
    let mut issues = Issues::default();
    if let (Some(cfg), Some(schema)) = (config(dest, &mut issues), schema) {
        let names: Vec<&str> = schema.fields().iter().map(|f| f.name().as_str()).collect();
        if let Err(e) = template(&cfg.key, &names) {
            issues.push(Issue::new("destination.config.key", e));
        }
    }
    issues
}

/// Writes batches to Dragonfly/Redis.
pub struct DragonflySink {
    config: DragonflyConfig,
    runtime: tokio::runtime::Runtime,
    client: Client,
    key: Vec<Piece>,
    names: Vec<Bytes>,
    scratch: Encoded,
}

impl std::fmt::Debug for DragonflySink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DragonflySink").field("mode", &self.config.mode).field("key", &self.config.key).finish()
    }
}

fn fred_error(context: &str, e: &Error) -> SinkError {
    let message = format!("{context}: {e}");
    match e.kind() {
        ErrorKind::Config | ErrorKind::InvalidArgument | ErrorKind::InvalidCommand | ErrorKind::Parse => {
            SinkError::fatal(message)
        }
        _ => SinkError::retryable(message),
    }
}

impl DragonflySink {
    /// Connects (fred then reconnects on its own, with backoff) and checks the key template.
    pub fn open(config: DragonflyConfig, schema: SchemaRef) -> Result<Self, SinkError> {
        let names: Vec<&str> = schema.fields().iter().map(|f| f.name().as_str()).collect();
        let key = template(&config.key, &names).map_err(SinkError::fatal)?;
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| SinkError::fatal(format!("starting the Redis client runtime: {e}")))?;
        let redis_config = Config::from_url(&config.url).map_err(|e| fred_error("the Redis URL", &e))?;
        let timeout = Duration::from_secs(config.timeout.unwrap_or(30));
        let client = Builder::from_config(redis_config)
            .with_connection_config(|c| {
                c.connection_timeout = Duration::from_secs(5);
                c.internal_command_timeout = timeout;
            })
            .with_performance_config(|p| {
                p.default_command_timeout = timeout;
            })
            .set_policy(ReconnectPolicy::new_exponential(0, 100, 5_000, 2))
            .build()
            .map_err(|e| fred_error("configuring the Redis client", &e))?;
        runtime.block_on(async {
            client
                .init()
                .await
                .map(|_| ())
                .map_err(|e| fred_error(&format!("connecting to {}", redact(&config.url)), &e))
        })?;
        let names = schema.fields().iter().map(|f| Bytes::from(f.name().clone())).collect();
        Ok(Self { config, runtime, client, key, names, scratch: Encoded::default() })
    }

    /// The key of `row` into `out`.
    fn key_of(&self, cells: &mut TextCells<'_>, row: usize, out: &mut Vec<u8>) {
        out.clear();
        for piece in &self.key {
            match piece {
                Piece::Text(t) => out.extend_from_slice(t),
                Piece::Field(c) => {
                    cells.put(*c, row, out);
                }
            }
        }
    }

    /// Sends one batch as one pipeline; returns (rows, bytes of values sent).
    fn send(&mut self, batch: &RecordBatch, json: &Encoded) -> Result<(u64, u64), SinkError> {
        let mut cells = TextCells::new(batch).map_err(|e| SinkError::fatal(e.to_string()))?;
        let rows = batch.num_rows();
        let pipeline = self.client.pipeline();
        let mut key = Vec::with_capacity(64);
        let mut text = Vec::with_capacity(64);
        let mut commands: Vec<(&'static str, Vec<Value>)> = Vec::with_capacity(rows + 1);
        let mut bytes = 0u64;
        let json_row = |i: usize| -> Bytes {
            let s = json.slice(i, i + 1);
            Bytes::copy_from_slice(s.strip_suffix(b"\n").unwrap_or(s))
        };
        let ttl = self.config.ttl.map(|t| Value::Integer(t as i64));
        match self.config.mode {
            Mode::Hash | Mode::Stream => {
                let (cmd, stream) = match self.config.mode {
                    Mode::Hash => ("HSET", false),
                    _ => ("XADD", true),
                };
                for row in 0..rows {
                    self.key_of(&mut cells, row, &mut key);
                    let key_value = Value::Bytes(Bytes::copy_from_slice(&key));
                    let mut args = Vec::with_capacity(2 + 2 * self.names.len() + 3);
                    args.push(key_value.clone());
                    if stream {
                        if let Some(n) = self.config.maxlen {
                            args.extend([
                                Value::from_static_str("MAXLEN"),
                                Value::from_static_str("~"),
                                Value::Integer(n as i64),
                            ]);
                        }
                        args.push(Value::from_static_str("*"));
                    }
                    let fixed = args.len();
                    for (c, name) in self.names.iter().enumerate() {
                        text.clear();
                        if cells.put(c, row, &mut text) {
                            bytes += (name.len() + text.len()) as u64;
                            args.push(Value::Bytes(name.clone()));
                            args.push(Value::Bytes(Bytes::copy_from_slice(&text)));
                        }
                    }
                    if args.len() == fixed {
                        // Every field null: Redis has no empty hash or entry; nothing to write.
                        continue;
                    }
                    commands.push((cmd, args));
                    if let Some(ttl) = &ttl {
                        commands.push(("EXPIRE", vec![key_value, ttl.clone()]));
                    }
                }
            }
            Mode::Json => {
                for row in 0..rows {
                    self.key_of(&mut cells, row, &mut key);
                    let mut args = vec![Value::Bytes(Bytes::copy_from_slice(&key)), Value::Bytes(json_row(row))];
                    if let Some(ttl) = &ttl {
                        args.extend([Value::from_static_str("EX"), ttl.clone()]);
                    }
                    commands.push(("SET", args));
                }
            }
            Mode::List => {
                // One RPUSH per list key, in row order.
                let mut current: Option<(Vec<u8>, Vec<Value>)> = None;
                for row in 0..rows {
                    self.key_of(&mut cells, row, &mut key);
                    match &mut current {
                        Some((k, values)) if *k == key => values.push(Value::Bytes(json_row(row))),
                        _ => {
                            if let Some(done) = current.take() {
                                push_list(&mut commands, done, ttl.as_ref());
                            }
                            current = Some((key.clone(), vec![Value::Bytes(json_row(row))]));
                        }
                    }
                }
                if let Some(done) = current {
                    push_list(&mut commands, done, ttl.as_ref());
                }
            }
            Mode::Pubsub => {
                for row in 0..rows {
                    self.key_of(&mut cells, row, &mut key);
                    commands.push((
                        "PUBLISH",
                        vec![Value::Bytes(Bytes::copy_from_slice(&key)), Value::Bytes(json_row(row))],
                    ));
                }
            }
        }
        let result: Result<(), Error> = self.runtime.block_on(async {
            for (cmd, args) in commands {
                let command = CustomCommand::new_static(cmd, ClusterHash::FirstKey, false);
                pipeline.custom::<Value, Value>(command, args).await?;
            }
            let replies: Vec<Result<Value, Error>> = pipeline.try_all().await;
            match replies.into_iter().find_map(Result::err) {
                Some(e) => Err(e),
                None => Ok(()),
            }
        });
        let bytes = if bytes > 0 { bytes } else { json.bytes.len() as u64 };
        result.map(|()| (rows as u64, bytes)).map_err(|e| fred_error("writing to Redis", &e))
    }
}

/// One `RPUSH key v…` (and its `EXPIRE` when a ttl is set).
fn push_list(
    commands: &mut Vec<(&'static str, Vec<Value>)>,
    (key, mut values): (Vec<u8>, Vec<Value>),
    ttl: Option<&Value>,
) {
    let key = Value::Bytes(Bytes::from(key));
    values.insert(0, key.clone());
    commands.push(("RPUSH", values));
    if let Some(ttl) = ttl {
        commands.push(("EXPIRE", vec![key, ttl.clone()]));
    }
}

/// Hides the password of a URL for messages.
fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => format!("{}***{}", &url[..s + 3], &url[at..]),
        _ => url.to_string(),
    }
}

impl Sink for DragonflySink {
    fn worker_encoder(&self) -> Option<Box<dyn BatchEncoder>> {
        match self.config.mode {
            Mode::Json | Mode::List | Mode::Pubsub => Some(Box::new(JsonLinesEncoder::new())),
            Mode::Hash | Mode::Stream => None,
        }
    }

    fn write(&mut self, batch: &RecordBatch, encoded: Option<&Encoded>) -> Result<Delivered, SinkError> {
        let mut scratch = std::mem::take(&mut self.scratch);
        let json = match (self.worker_encoder(), encoded) {
            (None, _) => &scratch,
            (Some(_), Some(e)) => e,
            (Some(mut enc), None) => {
                scratch.clear();
                enc.encode(batch, &mut scratch)?;
                &scratch
            }
        };
        let result = self.send(batch, json).map(|(rows, bytes)| Delivered::new(rows, bytes));
        self.scratch = scratch;
        result
    }

    fn close(&mut self) -> Result<Delivered, SinkError> {
        let _ = self.runtime.block_on(self.client.quit());
        Ok(Delivered::default())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_templates_take_fields() {
        let fields = ["order_id", "region"];
        assert_eq!(
            template("order:{order_id}:{region}", &fields),
            Ok(vec![Piece::Text(b"order:".to_vec()), Piece::Field(0), Piece::Text(b":".to_vec()), Piece::Field(1)])
        );
        assert_eq!(template("orders", &fields), Ok(vec![Piece::Text(b"orders".to_vec())]));
        assert!(template("o:{nope}", &fields).expect_err("invalid").contains("no field `nope`"));
        assert!(template("o:{order_id", &fields).expect_err("invalid").contains("never closed"));
    }
}
