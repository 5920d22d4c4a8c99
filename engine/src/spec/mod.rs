//! The generator definition: one serde model, read from YAML or JSON, shared by
//! `sdg run` and (later) the body of `POST /api/v1/generators`.
//!
//! The model keeps `params` and destination `config` as JSON objects: their
//! shape depends on the mapping or destination type and is checked when the
//! plan is compiled (see [`crate::mapping`]) or by the sink crate, so that one
//! malformed field never hides the problems of the others.

pub mod disorder;
mod load;
pub mod rate;
pub mod schema;

pub(crate) use load::{clean as clean_message, describe};
pub use load::{parse_json, parse_yaml, spec_from_value};

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::time::Duration;

/// A generator definition (`POST /api/v1/generators`, `sdg run FILE`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GeneratorSpec {
    /// Human name, shown in listings and metrics labels.
    pub name: String,
    /// Free text for the people who share this generator.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// BATCH generates as fast as the destination accepts; REALTIME paces rows at `rate`.
    #[serde(default)]
    pub mode: GenerationMode,
    /// Rows per second, constant or a profile over time (ramp, steps, sine,
    /// poisson, bursts). Required for REALTIME; an optional cap for BATCH,
    /// where a profile shapes simulated event time instead.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rate: Option<rate::Rate>,
    /// Same seed, same data (wall-clock fields of REALTIME runs aside). A random seed is drawn when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seed: Option<u64>,
    /// Rows per Arrow batch; larger batches amortise per-batch costs, smaller ones cut latency.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub batch_size: Option<usize>,
    /// When the run ends by itself.
    #[serde(default)]
    pub end_condition: EndCondition,
    /// What a destination error does to the run.
    #[serde(default)]
    pub on_error: OnError,
    /// Where rows go.
    pub destination: Destination,
    /// The columns, in output order.
    pub fields: Vec<FieldSpec>,
    /// The default locale of CATALOG fields (en_US when absent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub locale: Option<String>,
    /// Pools of reference data this generator declares (read by POOL_REFERENCE
    /// and POOL_DERIVED fields, alongside the pools of the server or run).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub pools: Vec<crate::pool::PoolSpec>,
    /// Gaussian copulas this generator samples (COPULA_GENERATED fields).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub copulas: Vec<crate::copula::CopulaSpec>,
    /// Late, out-of-order events: some rows emitted after later ones.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disorder: Option<disorder::Disorder>,
    /// Share of rows emitted twice.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duplicate_ratio: Option<f64>,
}

/// `GenerationMode` of seed 001.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum GenerationMode {
    /// As fast as the pipeline and destination allow (optionally capped by `rate`).
    #[default]
    Batch,
    /// Paced at `rate` rows per second, timestamps from the wall clock.
    Realtime,
}

/// `EndCondition` of seed 001.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "SCREAMING_SNAKE_CASE", deny_unknown_fields)]
pub enum EndCondition {
    /// Stop after `value` rows.
    RecordCount {
        /// Total rows to generate.
        value: u64,
    },
    /// Stop after `value` of running time (pauses excluded), e.g. `"30s"`, `"5m"`.
    Duration {
        /// A humantime duration string or a number of seconds.
        #[serde(with = "duration_text")]
        value: Duration,
    },
    /// Run until stopped.
    #[default]
    Manual,
}

/// `OnError` of seed 001.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum OnError {
    /// Retry with backoff, count what could not be delivered, keep going.
    Continue,
    /// Go PAUSED with the error; `resume` retries the failed batch first.
    Pause,
    /// Go FAILED with the error.
    #[default]
    Stop,
}

/// `DestinationType` of seed 001.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum DestinationType {
    /// Apache Kafka (or any Kafka-protocol broker).
    Kafka,
    /// PostgreSQL through COPY.
    Postgres,
    /// Dragonfly or Redis.
    Dragonfly,
    /// A local file or stdout.
    File,
    /// Discards rows, counting them: for benchmarks.
    Blackhole,
}

/// Where rows go; `config` is interpreted by the sink of `type`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Destination {
    /// Which sink receives the rows.
    #[serde(rename = "type")]
    pub kind: DestinationType,
    /// Sink-specific settings (see docs/CONFIG.md).
    #[serde(default)]
    pub config: Map<String, Value>,
}

/// `FieldMappingType` of seed 001.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum MappingType {
    /// Random (v4) or time-ordered (v7) UUIDs.
    UuidGenerated,
    /// A simulated (BATCH) or wall (REALTIME) clock.
    TimestampGenerated,
    /// One of a list of values, optionally weighted.
    EnumRandom,
    /// Numbers from a distribution over [min, max].
    NumericRange,
    /// The same value on every row.
    Constant,
    /// start, start+step, …, optionally wrapping and formatted.
    Sequence,
    /// Computed by a WASM plugin from other fields (not yet supported).
    Computed,
    /// A column of a row picked from a pool (not yet supported).
    PoolReference,
    /// Derived from a picked pool row (not yet supported).
    PoolDerived,
    /// Drawn jointly from a fitted Gaussian copula (not yet supported).
    CopulaGenerated,
    /// A valid key of a universe parent (not yet supported).
    UniverseKeyReference,
    /// A kind of value from the semantic type catalog (`finance.iban`, `internet.ipv4`, …).
    Catalog,
    /// Sessions: a Markov chain per entity, many at once, their rows interleaved.
    StateMachine,
}

impl DestinationType {
    /// The name used in configs and the API.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Kafka => "KAFKA",
            Self::Postgres => "POSTGRES",
            Self::Dragonfly => "DRAGONFLY",
            Self::File => "FILE",
            Self::Blackhole => "BLACKHOLE",
        }
    }
}

impl MappingType {
    /// The name used in configs and the API.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::UuidGenerated => "UUID_GENERATED",
            Self::TimestampGenerated => "TIMESTAMP_GENERATED",
            Self::EnumRandom => "ENUM_RANDOM",
            Self::NumericRange => "NUMERIC_RANGE",
            Self::Constant => "CONSTANT",
            Self::Sequence => "SEQUENCE",
            Self::Computed => "COMPUTED",
            Self::PoolReference => "POOL_REFERENCE",
            Self::PoolDerived => "POOL_DERIVED",
            Self::CopulaGenerated => "COPULA_GENERATED",
            Self::UniverseKeyReference => "UNIVERSE_KEY_REFERENCE",
            Self::Catalog => "CATALOG",
            Self::StateMachine => "STATE_MACHINE",
        }
    }
}

/// One output column.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FieldSpec {
    /// Column name in every destination.
    pub name: String,
    /// How values are made.
    #[serde(rename = "type")]
    pub kind: MappingType,
    /// Type-specific parameters (see docs/CONFIG.md).
    #[serde(default, skip_serializing_if = "Map::is_empty")]
    pub params: Map<String, Value>,
    /// Share of rows whose value is null, 0.0–1.0.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub null_ratio: Option<f64>,
    /// Share of rows whose text is empty (`""`, not null), 0.0–1.0: text columns only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub blank_ratio: Option<f64>,
    /// Only on rows where another field has one of some values; null elsewhere.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub when: Option<When>,
}

/// `when:` of a field: `{ field: event, in: [paid] }`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct When {
    /// The field whose value decides.
    pub field: String,
    /// The values (as text: `paid`, `3`, `true`) on which this field has a value.
    #[serde(rename = "in")]
    pub values: Vec<Value>,
}

/// Durations as humantime text (`"250ms"`, `"1h 30m"`) or a number of seconds.
pub mod duration_text {
    use serde::{Deserialize, Deserializer, Serializer, de::Error};
    use std::time::Duration;

    /// Writes `"1m 30s"`-style text.
    pub fn serialize<S: Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&humantime::format_duration(*d).to_string())
    }

    /// Reads text or a non-negative number of seconds.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
        let v = serde_json::Value::deserialize(d)?;
        super::parse_duration_value(&v).map_err(D::Error::custom)
    }
}

/// Parses a duration given as text (`"250ms"`) or as a number of seconds.
pub fn parse_duration_value(v: &Value) -> Result<Duration, String> {
    match v {
        Value::String(s) => humantime::parse_duration(s.trim()).map_err(|e| {
            format!("`{s}` is not a duration ({e}); write it like \"250ms\", \"30s\", \"5m\" or \"1h 30m\"")
        }),
        Value::Number(n) => match n.as_f64() {
            Some(secs) if secs.is_finite() && secs >= 0.0 => Duration::try_from_secs_f64(secs)
                .map_err(|_| format!("{n} seconds is longer than sdg can count; use a shorter duration")),
            _ => Err(format!("{n} is not a valid number of seconds; use a non-negative number or text like \"30s\"")),
        },
        other => Err(format!("expected a duration like \"30s\" or a number of seconds, found {}", describe(other))),
    }
}
