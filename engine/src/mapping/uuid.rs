//! UUID_GENERATED: random (v4) or time-ordered (v7) UUIDs, stored as Arrow's
//! canonical `arrow.uuid` extension (FixedSizeBinary(16)); text encoders
//! render them in the usual hyphenated form.

use super::params::Params;
use super::{BatchCtx, ColumnMapper, GenError};
use crate::issue::Issues;
use crate::rng::StreamKey;
use crate::spec::{GenerationMode, parse_duration_value};
use arrow_array::{ArrayRef, FixedSizeBinaryArray};
use arrow_buffer::{Buffer, NullBuffer};
use arrow_schema::{DataType, Field};
use serde::Deserialize;
use serde_json::Value;
use std::collections::HashMap;
use std::sync::Arc;

/// The Arrow extension name for UUID columns.
pub const UUID_EXTENSION: &str = "arrow.uuid";

/// UUID_GENERATED: random (v4) or time-ordered (v7) UUIDs; `start` and `step` apply to version 7.
#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(extend("if" = { "not": { "required": ["version"], "properties": { "version": { "const": 7 } } } },
                  "then" = { "properties": { "start": { "type": "null" }, "step": { "type": "null" } } }))]
pub(super) struct UuidParams {
    /// 4 (random, default) or 7 (time-ordered).
    #[serde(default = "default_version")]
    #[schemars(extend("enum" = [4, 7]))]
    version: u8,
    /// Version 7: the simulated time of row 0 (default 2026-01-01T00:00:00Z; REALTIME: the wall clock).
    #[serde(default)]
    #[schemars(schema_with = "crate::spec::schema::optional_timestamp")]
    start: Option<String>,
    /// Version 7: simulated time between rows (default 1ms).
    #[serde(default)]
    #[schemars(schema_with = "crate::spec::schema::optional_duration")]
    step: Option<Value>,
}

pub(super) const KEYS: &[&str] = &["version", "start", "step"];

fn default_version() -> u8 {
    4
}

/// How a v7 UUID gets its timestamp.
#[derive(Debug, Clone, Copy)]
enum V7Clock {
    /// BATCH: `start` advancing `step` per row, deterministic.
    Simulated { start_us: i64, step_us: i64 },
    /// REALTIME: the batch's wall clock.
    Wall,
}

#[derive(Debug)]
pub(super) struct UuidMapper {
    key: StreamKey,
    low: StreamKey,
    v7: Option<V7Clock>,
}

pub(super) fn compile(p: &Params<'_>, issues: &mut Issues) -> Option<(Field, UuidMapper)> {
    let params: UuidParams = p.parse(KEYS, issues)?;
    let v7 = match params.version {
        4 => {
            if params.start.is_some() || params.step.is_some() {
                let key = if params.start.is_some() { "start" } else { "step" };
                p.problem(
                    issues,
                    key,
                    format!("`{key}` applies only to version 7"),
                    Some("remove it or set version: 7"),
                );
                return None;
            }
            None
        }
        7 => Some(match p.ctx.mode {
            GenerationMode::Realtime if params.start.is_none() => V7Clock::Wall,
            _ => {
                let start_us = super::timestamp::parse_start(p, params.start.as_deref(), issues)?;
                let step_us = match &params.step {
                    None => 1_000,
                    Some(v) => match parse_duration_value(v) {
                        Ok(d) => d.as_micros().min(i64::MAX as u128) as i64,
                        Err(e) => {
                            p.problem(issues, "step", e, None);
                            return None;
                        }
                    },
                };
                V7Clock::Simulated { start_us, step_us }
            }
        }),
        other => {
            p.problem(
                issues,
                "version",
                format!("UUID version {other} is not supported"),
                Some("use 4 (random) or 7 (time-ordered)"),
            );
            return None;
        }
    };
    let field = Field::new(&p.spec.name, DataType::FixedSizeBinary(16), true).with_metadata(HashMap::from([
        ("ARROW:extension:name".to_string(), UUID_EXTENSION.to_string()),
        ("ARROW:extension:metadata".to_string(), String::new()),
    ]));
    Some((field, UuidMapper { key: p.key, low: p.key.substream(0), v7 }))
}

impl ColumnMapper for UuidMapper {
    fn reproducible(&self) -> bool {
        !matches!(self.v7, Some(V7Clock::Wall))
    }

    fn fill(&self, ctx: &BatchCtx, nulls: Option<&NullBuffer>) -> Result<ArrayRef, GenError> {
        let mut bytes = vec![0u8; ctx.rows.len() * 16];
        for ((i, out), row) in bytes.chunks_exact_mut(16).enumerate().zip(ctx.rows.iter()) {
            let hi = self.key.at(row);
            let lo = self.low.at(row);
            let hi = match self.v7 {
                None => (hi & !0xF000) | 0x4000,
                Some(clock) => {
                    let us = match clock {
                        V7Clock::Simulated { start_us, step_us } => {
                            start_us.wrapping_add((row as i64).wrapping_mul(step_us))
                        }
                        V7Clock::Wall => ctx.wall_us + (i as f64 * ctx.row_interval_us) as i64,
                    };
                    let ms = us.div_euclid(1000) as u64 & 0xFFFF_FFFF_FFFF;
                    // RFC 9562 method 3: rand_a holds the sub-millisecond fraction, keeping order.
                    let sub = (us.rem_euclid(1000) as u64 * 4096 / 1000) & 0xFFF;
                    (ms << 16) | 0x7000 | sub
                }
            };
            let lo = (lo & 0x3FFF_FFFF_FFFF_FFFF) | 0x8000_0000_0000_0000;
            out[..8].copy_from_slice(&hi.to_be_bytes());
            out[8..].copy_from_slice(&lo.to_be_bytes());
        }
        let array = FixedSizeBinaryArray::try_new(16, Buffer::from_vec(bytes), nulls.cloned())?;
        Ok(Arc::new(array))
    }
}
