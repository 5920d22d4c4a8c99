//! TIMESTAMP_GENERATED: a simulated clock (BATCH: `start` advancing `step` per
//! row, plus a uniform `jitter` in [0, jitter], so no value precedes `start`) or the wall clock (REALTIME), stored
//! as Timestamp(µs, UTC) or, with `format: epoch_millis`, as Int64 millis.

use super::params::Params;
use super::{BatchCtx, ColumnMapper, GenError};
use crate::issue::Issues;
use crate::rng::{StreamKey, below};
use crate::spec::{GenerationMode, parse_duration_value};
use arrow_array::{ArrayRef, Int64Array, TimestampMicrosecondArray};
use arrow_buffer::{NullBuffer, ScalarBuffer};
use arrow_schema::{DataType, Field, TimeUnit};
use serde::Deserialize;
use serde_json::Value;
use std::sync::Arc;

/// Default start of simulated clocks.
pub(super) const DEFAULT_START: &str = "2026-01-01T00:00:00Z";

/// TIMESTAMP_GENERATED: a simulated clock (BATCH) or the wall clock (REALTIME).
#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct TimestampParams {
    /// The simulated time of row 0 (default 2026-01-01T00:00:00Z).
    #[serde(default)]
    #[schemars(schema_with = "crate::spec::schema::optional_timestamp")]
    start: Option<String>,
    /// Simulated time between rows (default 1s).
    #[serde(default)]
    #[schemars(schema_with = "crate::spec::schema::optional_duration")]
    step: Option<Value>,
    /// Each row moves by up to ± this much (default 0).
    #[serde(default)]
    #[schemars(schema_with = "crate::spec::schema::optional_duration")]
    jitter: Option<Value>,
    /// rfc3339 (a timestamp column, default) or epoch_millis (an integer column).
    #[serde(default)]
    format: Format,
    /// simulated or wall (default: simulated for BATCH, wall for REALTIME).
    clock: Option<ClockKind>,
}

pub(super) const KEYS: &[&str] = &["start", "step", "jitter", "format", "clock"];

#[derive(Deserialize, serde::Serialize, schemars::JsonSchema, Default, Debug, Clone, Copy, PartialEq)]
#[serde(rename_all = "snake_case")]
enum Format {
    #[default]
    Rfc3339,
    EpochMillis,
}

#[derive(Deserialize, schemars::JsonSchema, Debug, Clone, Copy, PartialEq)]
#[serde(rename_all = "snake_case")]
enum ClockKind {
    Simulated,
    Wall,
}

#[derive(Debug)]
pub(super) struct TimestampMapper {
    jitter_key: StreamKey,
    clock: ClockKind,
    start_us: i64,
    step_us: i64,
    jitter_us: u64,
    format: Format,
    /// BATCH under a rate profile: event time follows the profile, not `step`.
    profile: Option<crate::spec::rate::Rate>,
}

/// Parses an RFC 3339 `start` (or the default) to µs since the epoch.
pub(super) fn parse_start(p: &Params<'_>, start: Option<&str>, issues: &mut Issues) -> Option<i64> {
    let text = start.unwrap_or(DEFAULT_START);
    match chrono::DateTime::parse_from_rfc3339(text) {
        Ok(t) => Some(t.timestamp_micros()),
        Err(e) => {
            p.problem(
                issues,
                "start",
                format!("`{text}` is not an RFC 3339 timestamp ({e})"),
                Some("write it like \"2026-01-01T00:00:00Z\""),
            );
            None
        }
    }
}

fn duration_us(p: &Params<'_>, key: &str, v: Option<&Value>, default_us: i64, issues: &mut Issues) -> Option<i64> {
    match v {
        None => Some(default_us),
        Some(v) => match parse_duration_value(v) {
            Ok(d) => Some(d.as_micros().min(i64::MAX as u128 / 4) as i64),
            Err(e) => {
                p.problem(issues, key, e, None);
                None
            }
        },
    }
}

pub(super) fn compile(p: &Params<'_>, issues: &mut Issues) -> Option<(Field, TimestampMapper)> {
    let params: TimestampParams = p.parse(KEYS, issues)?;
    let start_us = parse_start(p, params.start.as_deref(), issues);
    let step_us = duration_us(p, "step", params.step.as_ref(), 1_000_000, issues);
    let jitter_us = duration_us(p, "jitter", params.jitter.as_ref(), 0, issues);
    // BATCH with a rate profile and no `step`: the profile shapes event time.
    let profile = match (p.ctx.mode, p.ctx.rate, &params.step) {
        (GenerationMode::Batch, Some(r @ crate::spec::rate::Rate::Profile(_)), None) => Some(r.clone()),
        _ => None,
    };
    let clock = params.clock.unwrap_or(match p.ctx.mode {
        GenerationMode::Batch => ClockKind::Simulated,
        GenerationMode::Realtime => ClockKind::Wall,
    });
    let data_type = match params.format {
        Format::Rfc3339 => DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into())),
        Format::EpochMillis => DataType::Int64,
    };
    let mapper = TimestampMapper {
        jitter_key: p.key,
        clock,
        start_us: start_us?,
        step_us: step_us?,
        jitter_us: jitter_us? as u64,
        format: params.format,
        profile,
    };
    Some((Field::new(&p.spec.name, data_type, true), mapper))
}

impl ColumnMapper for TimestampMapper {
    fn reproducible(&self) -> bool {
        !matches!(self.clock, ClockKind::Wall)
    }

    fn fill(&self, ctx: &BatchCtx, nulls: Option<&NullBuffer>) -> Result<ArrayRef, GenError> {
        let jitter = |row: u64| -> i64 {
            if self.jitter_us == 0 { 0 } else { below(self.jitter_key.at(row), self.jitter_us + 1) as i64 }
        };
        let values: ScalarBuffer<i64> = match self.clock {
            ClockKind::Simulated => match &self.profile {
                None => ctx.rows.collect(|row| {
                    self.start_us.wrapping_add((row as i64).wrapping_mul(self.step_us)).wrapping_add(jitter(row))
                }),
                Some(rate) => ctx.rows.collect(|row| {
                    let at_us = (rate.time_of(row as f64) * 1e6) as i64;
                    self.start_us.wrapping_add(at_us).wrapping_add(jitter(row))
                }),
            },
            ClockKind::Wall => ctx.rows.collect_indexed(|i, row| {
                let offset = ctx.clock_row.map_or(i as f64, |c| row as f64 - c as f64);
                ctx.wall_us + (offset * ctx.row_interval_us) as i64 + jitter(row)
            }),
        };
        Ok(match self.format {
            Format::Rfc3339 => Arc::new(TimestampMicrosecondArray::new(values, nulls.cloned()).with_timezone("UTC")),
            Format::EpochMillis => {
                let millis: ScalarBuffer<i64> = values.iter().map(|us| us.div_euclid(1000)).collect();
                Arc::new(Int64Array::new(millis, nulls.cloned()))
            }
        })
    }
}
