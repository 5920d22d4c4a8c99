//! What the API stores and answers.

use sdg_engine::{MetricsSnapshot, Status};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// A generator as stored (`DATA_DIR/sdg.redb`).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Record {
    pub id: String,
    /// The definition as accepted (the model of `sdg run`'s YAML, as JSON).
    pub definition: serde_json::Value,
    /// The last known status.
    pub status: Status,
    /// Why the status is what it is (an error, an interrupted run).
    #[serde(default)]
    pub status_reason: Option<String>,
    pub created_at: String,
    pub updated_at: String,
    /// Every row before this index was acknowledged by the destination (or
    /// given up under `on_error: CONTINUE`): where `resume` continues after
    /// the server stopped mid-run (`Run::checkpoint`).
    #[serde(default)]
    pub next_row: u64,
    /// Stopped by a server shutdown or crash: `resume` continues from `next_row`.
    #[serde(default)]
    pub interrupted: bool,
    /// The last metrics of the last run.
    #[serde(default)]
    pub metrics: Option<MetricsSnapshot>,
    /// The universe this generator is a member of (its id).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub universe: Option<String>,
    /// The definitions of the current run and the row each applied from:
    /// the one it started with, then every retune (`PATCH`). A resume
    /// rebuilds the run from them, so it makes the rows the run would have.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub revisions: Vec<Revision>,
    /// The shard the current run makes (`3/16`), kept for its resume.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shard: Option<String>,
}

/// One definition of a run, from a row on.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Revision {
    /// 0 for the definition the run started with, then 1, 2, … per retune.
    pub revision: usize,
    /// The first row built with it.
    pub from_row: u64,
    /// When it was applied (RFC 3339, UTC).
    pub at: String,
    /// The whole definition from that row on.
    #[schema(value_type = Object)]
    pub definition: serde_json::Value,
}

/// A generator, as every generator route answers it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct GeneratorResponse {
    /// The generator's id (a UUID).
    pub id: String,
    /// The definition's `name`.
    pub name: String,
    /// CREATED, RUNNING, PAUSED, COMPLETED, STOPPED or FAILED.
    #[schema(example = "RUNNING")]
    pub status: String,
    /// Why: the error of a FAILED run, or that the server stopped while the generator ran.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status_reason: Option<String>,
    /// RFC 3339, UTC.
    pub created_at: String,
    /// RFC 3339, UTC: the last change of definition or status.
    pub updated_at: String,
    /// The definition: the same model as the YAML file of `sdg run` (see docs/CONFIG.md).
    #[schema(value_type = Object)]
    pub definition: serde_json::Value,
    /// The engine's live snapshot while a run exists (the last one's after it ended).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<MetricsSchema>)]
    pub metrics: Option<MetricsSnapshot>,
    /// Where `resume` continues when the server stopped mid-run.
    pub next_row: u64,
    /// The universe this generator is a member of (`GET /universes/{id}`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub universe: Option<String>,
    /// The shard the current (or last) run makes, `I/N`, when it was started as one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(example = "3/16")]
    pub shard: Option<String>,
    /// True for a STOPPED generator the server interrupted mid-run:
    /// `resume` continues it from `next_row`.
    #[serde(default)]
    pub resumable: bool,
}

/// `GET /health`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Health {
    #[schema(example = "healthy")]
    pub status: String,
    pub version: String,
    /// RFC 3339, UTC.
    pub timestamp: String,
    /// What is wrong, when unhealthy.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

/// `POST /generators/validate`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ValidationResponse {
    pub valid: bool,
    /// Every problem, each with its path and a hint.
    pub errors: Vec<crate::error::IssueBody>,
    /// The Arrow schema the generator produces (name and type per field), when valid.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fields: Vec<FieldType>,
    /// With `?preview=N` and a valid definition: its first N rows (rows 0 … N-1
    /// of every run), each an object of column → text (null for a null).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Vec<Object>>)]
    pub preview: Option<Vec<serde_json::Map<String, serde_json::Value>>>,
    /// Why the first rows could not be made for a valid definition (a
    /// lookup that misses, a plugin that traps): the definition is still valid.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub preview_error: Option<String>,
}

/// The engine's metrics snapshot (`GET /generators/{id}/metrics`, and
/// `metrics` of a generator): the OpenAPI shape of
/// `sdg_engine::MetricsSnapshot`, which a test keeps in step with it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[schema(as = MetricsSnapshot)]
#[allow(dead_code)]
pub struct MetricsSchema {
    /// CREATED, RUNNING, PAUSED, COMPLETED, STOPPED or FAILED.
    pub status: String,
    /// Rows built by the workers.
    pub rows_generated: u64,
    /// Rows the destination acknowledged.
    pub rows_delivered: u64,
    /// Rows that could not be delivered.
    pub rows_failed: u64,
    /// Rows emitted after later rows (`disorder:`).
    pub rows_late: u64,
    /// Second copies emitted (`duplicate_ratio:`).
    pub rows_duplicated: u64,
    /// Encoded bytes delivered.
    pub bytes: u64,
    /// Destination errors seen (retried ones included).
    pub errors: u64,
    /// Delivered rows per second over the last second.
    pub rows_per_sec: f64,
    /// The rate a paced run aims at now; null when unpaced or not running.
    pub target_rows_per_sec: Option<f64>,
    /// Delivered rows per second of running time.
    pub avg_rows_per_sec: f64,
    /// Batches generated and not yet delivered (backpressure).
    pub queue_depth: u64,
    /// Time to build one batch, µs.
    pub gen_latency_us: LatencySchema,
    /// Time for the sink to take one batch, µs.
    pub sink_latency_us: LatencySchema,
    /// Time since start, pauses included.
    pub elapsed_ms: u64,
    /// The last destination or generation error.
    pub last_error: Option<String>,
    /// The shard (`I/N`) the run makes, when it is one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shard: Option<String>,
}

/// Per-batch latency quantiles, µs.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[schema(as = Latency)]
#[allow(dead_code)]
pub struct LatencySchema {
    pub p50: u64,
    pub p90: u64,
    pub p99: u64,
    pub max: u64,
}

/// One output column.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct FieldType {
    pub name: String,
    pub data_type: String,
    pub nullable: bool,
}

/// A reference-data pool and its current version.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct PoolResponse {
    pub name: String,
    /// FULL, SAMPLED or INDEXED.
    pub load_strategy: String,
    /// The source, passwords hidden (`file data/customers.csv`, `postgres postgres://u:***@h/db`, `inline (3 columns)`).
    pub source: String,
    /// `server` (a pool file of `sdg serve --pools`), `generator` (the `pools:` of a definition) or `dataset` (an upload, `POST /datasets`).
    pub origin: String,
    /// The pool file, the generator that declared the pool, or the dataset's id.
    pub declared_in: Option<String>,
    /// LOADING, READY or FAILED.
    pub status: String,
    pub rows: u64,
    /// Columns and their Arrow types.
    pub columns: Vec<PoolColumn>,
    /// Key columns with a hash index (lookups).
    pub index: Vec<String>,
    /// Heap bytes: columns held in memory and indexes.
    pub memory_bytes: u64,
    /// Bytes memory-mapped from the cache file (INDEXED pools); resident only as read.
    pub mapped_bytes: u64,
    /// When the current version was loaded (RFC 3339).
    pub loaded_at: Option<String>,
    /// How long that load took, ms.
    pub load_ms: Option<u64>,
    /// Versions loaded so far: 1 after the first load, one more per successful refresh.
    pub version: u64,
    /// The last load's error (a failed refresh keeps the loaded version and reports it here).
    pub last_error: Option<String>,
}

/// A column of a pool.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct PoolColumn {
    pub name: String,
    /// The Arrow type, e.g. `Utf8`, `Int64`, `Float64`.
    #[serde(rename = "type")]
    pub kind: String,
}

/// `GET /pools/{poolName}`: the report, and the first rows.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct PoolDetail {
    #[serde(flatten)]
    pub pool: PoolResponse,
    /// The first rows (at most `head`, default 10), one JSON object each.
    pub head: Vec<serde_json::Value>,
}

impl From<sdg_engine::pool::PoolReport> for PoolResponse {
    fn from(r: sdg_engine::pool::PoolReport) -> Self {
        let (origin, declared_in) = match r.origin {
            sdg_engine::pool::PoolOrigin::Server { file } => ("server", file),
            sdg_engine::pool::PoolOrigin::Generator { name } => ("generator", Some(name)),
            sdg_engine::pool::PoolOrigin::Dataset { id } => ("dataset", Some(id)),
        };
        Self {
            name: r.name,
            load_strategy: r.strategy.as_str().to_string(),
            source: r.source,
            origin: origin.to_string(),
            declared_in,
            status: serde_json::to_value(r.status)
                .ok()
                .and_then(|v| v.as_str().map(str::to_string))
                .unwrap_or_default(),
            rows: r.rows as u64,
            columns: r.columns.into_iter().map(|c| PoolColumn { name: c.name, kind: c.kind }).collect(),
            index: r.index,
            memory_bytes: r.memory_bytes as u64,
            mapped_bytes: r.mapped_bytes as u64,
            loaded_at: r.loaded_at,
            load_ms: r.load_ms,
            version: r.version,
            last_error: r.last_error,
        }
    }
}

/// A stored universe: its definition (members inline, seeds fixed) and the
/// generator id of each member.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct UniverseRecord {
    pub id: String,
    pub name: String,
    /// The universe file as accepted (JSON), every member inline with its seed.
    pub definition: serde_json::Value,
    /// (member name, generator id), in file order.
    pub members: Vec<(String, String)>,
    pub created_at: String,
    pub updated_at: String,
}

/// A member of a universe, as the universe routes answer it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct UniverseMember {
    /// The member's name (the `generator` its children reference).
    pub name: String,
    /// Its id under `/generators`.
    pub generator_id: String,
    /// CREATED, RUNNING, PAUSED, COMPLETED, STOPPED or FAILED.
    pub status: String,
    /// The members it references (the dependency graph's edges into it).
    pub parents: Vec<String>,
    /// Rows its destination acknowledged in the current or last run.
    pub rows_delivered: u64,
    /// The error of a FAILED member, or why it did not start.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status_reason: Option<String>,
}

/// A universe: generators whose foreign keys stay valid together.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct UniverseResponse {
    /// The universe's id (a UUID).
    pub id: String,
    /// The file's `universe:` name.
    pub name: String,
    /// From its members: RUNNING or PAUSED while one is, FAILED when one
    /// failed, COMPLETED when all did, else STOPPED or CREATED.
    pub status: String,
    /// The members, parents before children.
    pub members: Vec<UniverseMember>,
    /// The universe file as accepted (members inline, with their seeds).
    #[schema(value_type = Object)]
    pub definition: serde_json::Value,
    /// RFC 3339, UTC.
    pub created_at: String,
    /// RFC 3339, UTC.
    pub updated_at: String,
}

/// Now, RFC 3339 with milliseconds, UTC.
pub fn now() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}
