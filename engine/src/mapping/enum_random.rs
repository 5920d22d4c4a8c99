//! ENUM_RANDOM: one of `values`, uniformly or by `weights` (Vose's alias
//! method: one random word and one comparison per row). Stored as a
//! dictionary column (Int32 keys into the values), so a batch costs only keys.

use super::alias::AliasTable;
use super::params::Params;
use super::{BatchCtx, ColumnMapper, GenError};
use crate::issue::Issues;
use crate::rng::StreamKey;
use arrow_array::types::Int32Type;
use arrow_array::{ArrayRef, DictionaryArray, Int32Array, StringArray};
use arrow_buffer::{NullBuffer, ScalarBuffer};
use arrow_schema::{DataType, Field};
use serde::Deserialize;
use serde_json::Value;
use std::sync::Arc;

/// ENUM_RANDOM: one of `values` per row, uniformly or by `weights`.
#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct EnumParams {
    /// The values: text, numbers or booleans (the column is text).
    #[schemars(schema_with = "crate::spec::schema::scalars")]
    values: Vec<Value>,
    /// One non-negative weight per value (not all 0); uniform when absent.
    #[schemars(inner(range(min = 0.0)))]
    weights: Option<Vec<f64>>,
}

pub(super) const KEYS: &[&str] = &["values", "weights"];

/// The Arrow type of enum-like text columns.
pub(super) fn dictionary_type() -> DataType {
    DataType::Dictionary(Box::new(DataType::Int32), Box::new(DataType::Utf8))
}

/// Text of a scalar config value (`PAID`, `42`, `true`), or None for lists/maps/null.
pub(super) fn scalar_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

#[derive(Debug)]
pub(super) struct EnumMapper {
    key: StreamKey,
    values: ArrayRef,
    n: u64,
    /// Present when weighted.
    alias: Option<AliasTable>,
}

pub(super) fn compile(p: &Params<'_>, issues: &mut Issues) -> Option<(Field, EnumMapper)> {
    let params: EnumParams = p.parse(KEYS, issues)?;
    let before = issues.len();
    if params.values.is_empty() {
        p.problem(
            issues,
            "values",
            "the list of values is empty",
            Some("give at least one value, e.g. values: [NEW, PAID]"),
        );
    }
    if params.values.len() > i32::MAX as usize {
        p.problem(issues, "values", "too many values", None);
    }
    let mut texts = Vec::with_capacity(params.values.len());
    for (i, v) in params.values.iter().enumerate() {
        match scalar_text(v) {
            Some(t) => texts.push(t),
            None => p.problem(
                issues,
                &format!("values[{i}]"),
                format!("expected text, a number or a boolean, found {}", crate::spec::describe(v)),
                None,
            ),
        }
    }
    if let Some(w) = params.weights.as_ref().filter(|_| !params.values.is_empty()) {
        if w.len() != params.values.len() {
            p.problem(
                issues,
                "weights",
                format!("{} weights for {} values", w.len(), params.values.len()),
                Some("give exactly one weight per value, or remove `weights` for a uniform pick"),
            );
        } else if let Some((i, bad)) = w.iter().enumerate().find(|(_, x)| !x.is_finite() || **x < 0.0) {
            p.problem(
                issues,
                &format!("weights[{i}]"),
                format!("weight {bad} is negative or not finite"),
                Some("weights are relative frequencies ≥ 0"),
            );
        } else if w.iter().sum::<f64>() <= 0.0 {
            p.problem(issues, "weights", "all weights are zero", Some("give at least one value a positive weight"));
        }
    }
    if issues.len() > before {
        return None;
    }
    let n = texts.len();
    let alias = params.weights.as_deref().map(AliasTable::new);
    let values: ArrayRef = Arc::new(StringArray::from(texts));
    Some((Field::new(&p.spec.name, dictionary_type(), true), EnumMapper { key: p.key, values, n: n as u64, alias }))
}

impl ColumnMapper for EnumMapper {
    fn fill(&self, ctx: &BatchCtx, nulls: Option<&NullBuffer>) -> Result<ArrayRef, GenError> {
        let n = self.n as u128;
        let keys: ScalarBuffer<i32> = match &self.alias {
            None => ctx.rows.collect(|row| ((self.key.at(row) as u128 * n) >> 64) as i32),
            Some(table) => ctx.rows.collect(|row| table.sample(self.key.at(row)) as i32),
        };
        let keys = Int32Array::new(keys, nulls.cloned());
        let array = DictionaryArray::<Int32Type>::try_new(keys, Arc::clone(&self.values))?;
        Ok(Arc::new(array))
    }
}
