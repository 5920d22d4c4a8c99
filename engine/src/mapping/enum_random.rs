//! ENUM_RANDOM: one of `values`, uniformly or by `weights` (Vose's alias
//! method: one random word and one comparison per row). Stored as a
//! dictionary column (Int32 keys into the values), so a batch costs only keys.

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

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct EnumParams {
    values: Vec<Value>,
    weights: Option<Vec<f64>>,
}

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
    /// Alias table: column i is kept when the coin is below `keep[i]`, else `alias[i]`.
    alias: Option<(Vec<u64>, Vec<i32>)>,
}

pub(super) fn compile(p: &Params<'_>, issues: &mut Issues) -> Option<(Field, EnumMapper)> {
    let params: EnumParams = p.parse(&["values", "weights"], issues)?;
    let before = issues.len();
    if params.values.is_empty() {
        p.problem(issues, "values", "the list of values is empty", Some("give at least one value, e.g. values: [NEW, PAID]"));
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
    if let Some(w) = &params.weights {
        if w.len() != params.values.len() {
            p.problem(
                issues,
                "weights",
                format!("{} weights for {} values", w.len(), params.values.len()),
                Some("give exactly one weight per value, or remove `weights` for a uniform pick"),
            );
        } else if let Some((i, bad)) = w.iter().enumerate().find(|(_, x)| !x.is_finite() || **x < 0.0) {
            p.problem(issues, &format!("weights[{i}]"), format!("weight {bad} is negative or not finite"), Some("weights are relative frequencies ≥ 0"));
        } else if w.iter().sum::<f64>() <= 0.0 {
            p.problem(issues, "weights", "all weights are zero", Some("give at least one value a positive weight"));
        }
    }
    if issues.len() > before {
        return None;
    }
    let n = texts.len();
    let alias = params.weights.as_deref().map(alias_table);
    let values: ArrayRef = Arc::new(StringArray::from(texts));
    Some((Field::new(&p.spec.name, dictionary_type(), true), EnumMapper { key: p.key, values, n: n as u64, alias }))
}

/// Vose's alias method with integer thresholds.
fn alias_table(weights: &[f64]) -> (Vec<u64>, Vec<i32>) {
    let n = weights.len();
    let total: f64 = weights.iter().sum();
    let mut prob: Vec<f64> = weights.iter().map(|w| w * n as f64 / total).collect();
    let mut alias: Vec<i32> = (0..n as i32).collect();
    let (mut small, mut large): (Vec<usize>, Vec<usize>) = (0..n).partition(|&i| prob[i] < 1.0);
    while let (Some(s), Some(&l)) = (small.pop(), large.last()) {
        alias[s] = l as i32;
        prob[l] -= 1.0 - prob[s];
        if prob[l] < 1.0 {
            large.pop();
            small.push(l);
        }
    }
    // Columns left over are full (probability 1) up to rounding.
    for i in small.into_iter().chain(large) {
        prob[i] = 1.0;
    }
    let keep = prob
        .iter()
        .map(|&p| if p >= 1.0 { u64::MAX } else { (p * 18_446_744_073_709_551_616.0) as u64 })
        .collect();
    (keep, alias)
}

impl ColumnMapper for EnumMapper {
    fn fill(&self, ctx: &BatchCtx, nulls: Option<&NullBuffer>) -> Result<ArrayRef, GenError> {
        let n = self.n as u128;
        let keys: ScalarBuffer<i32> = match &self.alias {
            None => (0..ctx.len as u64)
                .map(|i| ((self.key.at(ctx.start_row + i) as u128 * n) >> 64) as i32)
                .collect(),
            Some((keep, alias)) => (0..ctx.len as u64)
                .map(|i| {
                    let wide = self.key.at(ctx.start_row + i) as u128 * n;
                    let col = (wide >> 64) as usize;
                    // The low half of the product is a fresh uniform coin.
                    if (wide as u64) < keep[col] { col as i32 } else { alias[col] }
                })
                .collect(),
        };
        let keys = Int32Array::new(keys, nulls.cloned());
        let array = DictionaryArray::<Int32Type>::try_new(keys, Arc::clone(&self.values))?;
        Ok(Arc::new(array))
    }
}

#[cfg(test)]
mod tests {
    use super::alias_table;

    #[test]
    fn alias_table_reproduces_weights() {
        let (keep, alias) = alias_table(&[5.0, 3.0, 2.0]);
        let n = 3u128;
        let mut counts = [0u64; 3];
        let key = crate::rng::StreamKey::for_field(7, "s");
        for r in 0..300_000 {
            let wide = key.at(r) as u128 * n;
            let col = (wide >> 64) as usize;
            let pick = if (wide as u64) < keep[col] { col } else { alias[col] as usize };
            counts[pick] += 1;
        }
        let share: Vec<f64> = counts.iter().map(|c| *c as f64 / 300_000.0).collect();
        assert!((share[0] - 0.5).abs() < 0.01 && (share[1] - 0.3).abs() < 0.01 && (share[2] - 0.2).abs() < 0.01, "{share:?}");
    }

    #[test]
    fn zero_weight_is_never_picked() {
        let (keep, alias) = alias_table(&[0.0, 1.0]);
        let key = crate::rng::StreamKey::for_field(1, "z");
        for r in 0..50_000 {
            let wide = key.at(r) as u128 * 2;
            let col = (wide >> 64) as usize;
            let pick = if (wide as u64) < keep[col] { col } else { alias[col] as usize };
            assert_eq!(pick, 1);
        }
    }
}
