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
//!
//! The workers encode each batch straight into RESP (`resp`), so the sink
//! thread only writes the bytes and counts the replies (`conn`): a client
//! library building one command object per row cost a third of the
//! throughput. fred parses the URL (and reads data back in the tests). A
//! broken connection fails the batch as retryable; the next write reconnects,
//! and the run's `on_error` policy decides about the batch.

mod conn;
mod resp;

use arrow_array::RecordBatch;
use arrow_schema::SchemaRef;
use conn::{Conn, Target};
use fred::types::config::{Config, ServerConfig};
use resp::{Layout, RespEncoder};
use sdg_engine::issue::{Issue, Issues};
use sdg_engine::spec::Destination;
use sdg_engine::{BatchEncoder, Delivered, Encoded, Sink, SinkError};
use serde::Deserialize;
use std::sync::Arc;
use std::time::Duration;

/// Settings of the DRAGONFLY destination.
#[derive(Debug, Clone, Deserialize, PartialEq, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DragonflyConfig {
    /// Server URL, e.g. `redis://127.0.0.1:6379` (`redis://:password@host:port/db`).
    #[schemars(pattern(r"^rediss?://."))]
    pub url: String,
    /// How rows are written (default `hash`).
    #[serde(default)]
    pub mode: Mode,
    /// Key (or stream/list/channel name) template: `{field}` is replaced by the field's text (it must name a field).
    #[schemars(length(min = 1))]
    pub key: String,
    /// Seconds until written keys expire (hash, json: per key; stream, list: per key, renewed each batch).
    #[serde(default)]
    #[schemars(range(min = 1))]
    pub ttl: Option<u64>,
    /// Approximate cap of a stream's length (`XADD … MAXLEN ~ n`).
    #[serde(default)]
    pub maxlen: Option<u64>,
    /// Seconds a batch may wait for its replies before it counts as failed (default 30).
    #[serde(default)]
    #[schemars(range(min = 1))]
    pub timeout: Option<u64>,
}

/// The keys `DragonflyConfig` accepts.
pub const KEYS: &[&str] = &["url", "mode", "key", "ttl", "maxlen", "timeout"];

/// How rows are written.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, serde::Serialize, schemars::JsonSchema)]
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
pub(crate) enum Piece {
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
            Issue::new(
                "destination.config.url",
                format!("`{}` is not a Redis URL: {e}", sdg_sinks::redact_url(&cfg.url)),
            )
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
    target: Target,
    layout: Arc<Layout>,
    conn: Option<Conn>,
    scratch: Encoded,
}

impl std::fmt::Debug for DragonflySink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DragonflySink").field("target", &self.target.shown).field("mode", &self.layout.mode).finish()
    }
}

/// Host, port, credentials and database of a `redis://` URL.
fn target(config: &DragonflyConfig) -> Result<Target, SinkError> {
    let shown = sdg_sinks::redact_url(&config.url);
    let parsed =
        Config::from_url(&config.url).map_err(|e| SinkError::fatal(format!("`{shown}` is not a Redis URL: {e}")))?;
    let ServerConfig::Centralized { server } = &parsed.server else {
        return Err(SinkError::fatal(format!(
            "`{shown}` names a cluster or sentinel deployment; sdg writes to one server (redis://host:port)"
        )));
    };
    Ok(Target {
        host: server.host.to_string(),
        port: server.port,
        username: parsed.username.clone(),
        password: parsed.password.clone(),
        database: parsed.database,
        shown,
        timeout: Duration::from_secs(config.timeout.unwrap_or(30)),
    })
}

impl DragonflySink {
    /// Connects (and checks the connection with PING) and checks the key template.
    pub fn open(config: DragonflyConfig, schema: SchemaRef) -> Result<Self, SinkError> {
        let names: Vec<&str> = schema.fields().iter().map(|f| f.name().as_str()).collect();
        let key = template(&config.key, &names).map_err(SinkError::fatal)?;
        let target = target(&config)?;
        let conn = Conn::open(&target)?;
        let layout = Arc::new(Layout {
            mode: config.mode,
            key,
            names: names.iter().map(|n| n.as_bytes().to_vec()).collect(),
            ttl: config.ttl,
            maxlen: config.maxlen,
        });
        Ok(Self { target, layout, conn: Some(conn), scratch: Encoded::default() })
    }

    /// Sends one encoded batch as one pipeline, reconnecting first if the
    /// last connection broke.
    fn send(&mut self, commands: &Encoded) -> Result<(), SinkError> {
        let mut conn = match self.conn.take() {
            Some(c) => c,
            None => Conn::open(&self.target)?,
        };
        match conn.pipeline(&self.target, &commands.bytes, commands.rows()) {
            Ok(reply_error) => {
                self.conn = Some(conn);
                reply_error.map_or(Ok(()), Err)
            }
            // The connection is dropped; the next write opens a new one.
            Err(e) => Err(e),
        }
    }
}

impl Sink for DragonflySink {
    fn worker_encoder(&self) -> Option<Box<dyn BatchEncoder>> {
        Some(Box::new(RespEncoder::new(Arc::clone(&self.layout))))
    }

    fn write(&mut self, batch: &RecordBatch, encoded: Option<&Encoded>) -> Result<Delivered, SinkError> {
        let mut scratch = std::mem::take(&mut self.scratch);
        let commands = match encoded {
            Some(e) => e,
            None => {
                scratch.clear();
                RespEncoder::new(Arc::clone(&self.layout)).encode(batch, &mut scratch)?;
                &scratch
            }
        };
        let result = self.send(commands).map(|()| Delivered::new(batch.num_rows() as u64, commands.bytes.len() as u64));
        self.scratch = scratch;
        result
    }

    fn close(&mut self) -> Result<Delivered, SinkError> {
        self.conn = None;
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
