//! SEQUENCE: start, start+step, …; with `end` it wraps back to `start` after
//! reaching it; with `prefix` or `padding` it becomes text (`ORD-000042`).
//! The value of row r is computed from r alone, so sequences never repeat or
//! skip whatever the worker count, batch size, or pauses.

use super::params::Params;
use super::{BatchCtx, ColumnMapper, GenError};
use crate::issue::Issues;
use arrow_array::builder::StringBuilder;
use arrow_array::{ArrayRef, Int64Array};
use arrow_buffer::{NullBuffer, ScalarBuffer};
use arrow_schema::{DataType, Field};
use serde::Deserialize;
use std::fmt::Write;
use std::sync::Arc;

/// SEQUENCE: start, start+step, …; with `prefix` or `padding` the values are text (`ORD-000042`).
#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct SequenceParams {
    /// The first value.
    #[serde(default = "one")]
    start: i64,
    /// Added per row; not 0.
    #[serde(default = "one")]
    #[schemars(extend("not" = { "const": 0 }))]
    step: i64,
    /// Last value before wrapping back to `start` (in the direction of `step`).
    end: Option<i64>,
    /// Text before the number.
    prefix: Option<String>,
    /// Zero-pad the number to this many digits.
    #[schemars(range(max = 32))]
    padding: Option<usize>,
}

pub(super) const KEYS: &[&str] = &["start", "step", "end", "prefix", "padding"];

fn one() -> i64 {
    1
}

/// Widest `padding` accepted (an i64 has at most 19 digits).
const MAX_PADDING: usize = 32;

#[derive(Debug)]
pub(super) struct SequenceMapper {
    start: i64,
    step: i64,
    /// Number of distinct values before wrapping (None: never wraps).
    period: Option<u64>,
    text: Option<(String, usize)>,
}

pub(super) fn compile(p: &Params<'_>, issues: &mut Issues) -> Option<(Field, SequenceMapper)> {
    let params: SequenceParams = p.parse(KEYS, issues)?;
    let before = issues.len();
    if params.step == 0 {
        p.problem(
            issues,
            "step",
            "step is 0, so every row would get the same value",
            Some("use a non-zero step, or CONSTANT"),
        );
    }
    let mut period = None;
    if let Some(end) = params.end {
        if params.step > 0 && end < params.start {
            p.problem(
                issues,
                "end",
                format!("end ({end}) is less than start ({}) with a positive step", params.start),
                Some("set end ≥ start, or use a negative step"),
            );
        } else if params.step < 0 && end > params.start {
            p.problem(
                issues,
                "end",
                format!("end ({end}) is greater than start ({}) with a negative step", params.start),
                Some("set end ≤ start, or use a positive step"),
            );
        } else if params.step != 0 {
            let span = (end as i128 - params.start as i128).unsigned_abs();
            period = Some((span / params.step.unsigned_abs() as u128 + 1).min(u64::MAX as u128) as u64);
        }
    }
    if let Some(w) = params.padding
        && w > MAX_PADDING
    {
        p.problem(issues, "padding", format!("padding {w} is wider than {MAX_PADDING}"), None);
    }
    if issues.len() > before {
        return None;
    }
    let text = (params.prefix.is_some() || params.padding.is_some())
        .then(|| (params.prefix.unwrap_or_default(), params.padding.unwrap_or(0)));
    let data_type = if text.is_some() { DataType::Utf8 } else { DataType::Int64 };
    Some((
        Field::new(&p.spec.name, data_type, true),
        SequenceMapper { start: params.start, step: params.step, period, text },
    ))
}

impl SequenceMapper {
    #[inline(always)]
    fn value(&self, row: u64) -> i64 {
        let k = match self.period {
            Some(p) => row % p,
            None => row,
        };
        self.start.wrapping_add((k as i64).wrapping_mul(self.step))
    }
}

impl ColumnMapper for SequenceMapper {
    fn fill(&self, ctx: &BatchCtx, nulls: Option<&NullBuffer>) -> Result<ArrayRef, GenError> {
        let rows = ctx.rows;
        let Some((prefix, padding)) = &self.text else {
            let values: ScalarBuffer<i64> = rows.collect(|r| self.value(r));
            return Ok(Arc::new(Int64Array::new(values, nulls.cloned())));
        };
        let width = prefix.len() + (*padding).max(20);
        let mut b = StringBuilder::with_capacity(rows.len(), rows.len() * width);
        let mut digits = itoa::Buffer::new();
        for (i, row) in rows.iter().enumerate() {
            if nulls.is_some_and(|n| n.is_null(i)) {
                b.append_null();
                continue;
            }
            let v = self.value(row);
            let text = digits.format(v.unsigned_abs());
            // Writing into a StringBuilder cannot fail.
            let _ = b.write_str(prefix);
            if v < 0 {
                let _ = b.write_char('-');
            }
            for _ in text.len()..*padding {
                let _ = b.write_char('0');
            }
            let _ = b.write_str(text);
            b.append_value("");
        }
        Ok(Arc::new(b.finish()))
    }
}
