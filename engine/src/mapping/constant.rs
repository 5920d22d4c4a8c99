//! CONSTANT: the same value on every row. Text becomes a one-entry dictionary
//! column (a zeroed key buffer per batch), numbers and booleans plain arrays.

use super::enum_random::dictionary_type;
use super::params::Params;
use super::{BatchCtx, ColumnMapper, GenError};
use crate::issue::Issues;
use arrow_array::types::Int32Type;
use arrow_array::{ArrayRef, BooleanArray, DictionaryArray, Float64Array, Int32Array, Int64Array, StringArray};
use arrow_buffer::{BooleanBuffer, NullBuffer, ScalarBuffer};
use arrow_schema::{DataType, Field};
use serde::Deserialize;
use serde_json::Value;
use std::sync::Arc;

/// CONSTANT: the same value on every row.
#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct ConstantParams {
    /// Text, a number (integers must fit 64 bits) or a boolean.
    #[schemars(schema_with = "crate::spec::schema::scalar")]
    value: Value,
}

pub(super) const KEYS: &[&str] = &["value"];

#[derive(Debug)]
pub(super) enum ConstantMapper {
    Text(ArrayRef),
    Int(i64),
    Float(f64),
    Bool(bool),
}

pub(super) fn compile(p: &Params<'_>, issues: &mut Issues) -> Option<(Field, ConstantMapper)> {
    let params: ConstantParams = p.parse(KEYS, issues)?;
    let (data_type, mapper) = match &params.value {
        Value::String(s) => (dictionary_type(), ConstantMapper::Text(Arc::new(StringArray::from(vec![s.as_str()])))),
        Value::Number(n) => match (n.as_i64(), n.is_f64(), n.as_f64()) {
            (Some(i), _, _) => (DataType::Int64, ConstantMapper::Int(i)),
            (None, true, Some(f)) => (DataType::Float64, ConstantMapper::Float(f)),
            _ => {
                p.problem(issues, "value", format!("{n} does not fit a 64-bit number"), None);
                return None;
            }
        },
        Value::Bool(b) => (DataType::Boolean, ConstantMapper::Bool(*b)),
        other => {
            p.problem(
                issues,
                "value",
                format!("expected text, a number or a boolean, found {}", crate::spec::describe(other)),
                Some("for an always-null column use null_ratio: 1.0"),
            );
            return None;
        }
    };
    Some((Field::new(&p.spec.name, data_type, true), mapper))
}

impl ColumnMapper for ConstantMapper {
    fn fill(&self, ctx: &BatchCtx, nulls: Option<&NullBuffer>) -> Result<ArrayRef, GenError> {
        let n = ctx.rows.len();
        Ok(match self {
            Self::Text(values) => {
                let keys = Int32Array::new(ScalarBuffer::from(vec![0i32; n]), nulls.cloned());
                Arc::new(DictionaryArray::<Int32Type>::try_new(keys, Arc::clone(values))?)
            }
            Self::Int(v) => Arc::new(Int64Array::new(ScalarBuffer::from(vec![*v; n]), nulls.cloned())),
            Self::Float(v) => Arc::new(Float64Array::new(ScalarBuffer::from(vec![*v; n]), nulls.cloned())),
            Self::Bool(v) => {
                let values = if *v { BooleanBuffer::new_set(n) } else { BooleanBuffer::new_unset(n) };
                Arc::new(BooleanArray::new(values, nulls.cloned()))
            }
        })
    }
}
