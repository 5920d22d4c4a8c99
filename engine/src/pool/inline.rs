//! Inline pool sources: columns written in the definition, typed by their YAML values.

use arrow_array::{ArrayRef, BooleanArray, Float64Array, Int64Array, RecordBatch, StringArray};
use arrow_schema::{DataType, Field, Schema};
use serde_json::{Map, Value};
use std::sync::Arc;

/// The batch of an inline source: integers → Int64, numbers → Float64,
/// booleans → Boolean, text → Utf8; nulls allowed; one type per column.
pub fn inline_batch(columns: &Map<String, Value>) -> Result<RecordBatch, String> {
    let mut fields = Vec::with_capacity(columns.len());
    let mut arrays: Vec<ArrayRef> = Vec::with_capacity(columns.len());
    let mut len = None;
    for (name, values) in columns {
        let Value::Array(vs) = values else {
            return Err(format!("column `{name}`: expected a list of values"));
        };
        if let Some((first, n)) = &len
            && *n != vs.len()
        {
            return Err(format!("column `{name}` has {} values, column `{first}` has {n}", vs.len()));
        }
        len.get_or_insert((name.clone(), vs.len()));
        let kind = column_type(name, vs)?;
        let array: ArrayRef = match kind {
            DataType::Int64 => Arc::new(vs.iter().map(Value::as_i64).collect::<Int64Array>()),
            DataType::Float64 => Arc::new(vs.iter().map(Value::as_f64).collect::<Float64Array>()),
            DataType::Boolean => Arc::new(vs.iter().map(Value::as_bool).collect::<BooleanArray>()),
            _ => Arc::new(vs.iter().map(Value::as_str).collect::<StringArray>()),
        };
        fields.push(Field::new(name, kind, true));
        arrays.push(array);
    }
    RecordBatch::try_new(Arc::new(Schema::new(fields)), arrays).map_err(|e| e.to_string())
}

fn column_type(name: &str, vs: &[Value]) -> Result<DataType, String> {
    let mut kind: Option<DataType> = None;
    for (i, v) in vs.iter().enumerate() {
        let t = match v {
            Value::Null => continue,
            Value::Bool(_) => DataType::Boolean,
            Value::Number(n) if n.is_i64() => DataType::Int64,
            Value::Number(n) if n.is_u64() => {
                return Err(format!("column `{name}`[{i}]: {n} is larger than a 64-bit signed integer"));
            }
            Value::Number(_) => DataType::Float64,
            Value::String(_) => DataType::Utf8,
            other => {
                return Err(format!(
                    "column `{name}`[{i}]: expected text, a number or a boolean, found {}",
                    crate::spec::describe(other)
                ));
            }
        };
        kind = Some(match (kind, t) {
            (None, t) => t,
            (Some(DataType::Int64), DataType::Float64) | (Some(DataType::Float64), DataType::Int64) => {
                DataType::Float64
            }
            (Some(k), t) if k == t => k,
            (Some(k), t) => {
                return Err(format!(
                    "column `{name}` mixes {} and {} (value [{i}]); an inline column holds one type",
                    type_word(&k),
                    type_word(&t)
                ));
            }
        });
    }
    Ok(kind.unwrap_or(DataType::Utf8))
}

fn type_word(t: &DataType) -> &'static str {
    match t {
        DataType::Int64 => "integers",
        DataType::Float64 => "numbers",
        DataType::Boolean => "booleans",
        _ => "text",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn inline_columns_take_their_yaml_types() {
        let cols = json!({ "c": ["DE", "FR", null], "w": [5, 3.5, 2], "n": [1, 2, 3], "b": [true, false, true] });
        let b = inline_batch(cols.as_object().expect("object")).expect("batch");
        let types: Vec<String> =
            b.schema().fields().iter().map(|f| format!("{}:{}", f.name(), f.data_type())).collect();
        assert!(types.contains(&"c:Utf8".to_string()) && types.contains(&"w:Float64".to_string()), "{types:?}");
        assert!(types.contains(&"n:Int64".to_string()) && types.contains(&"b:Boolean".to_string()), "{types:?}");
        let bad = json!({ "c": ["DE", 1] });
        let e = inline_batch(bad.as_object().expect("object")).expect_err("mixed");
        assert!(e.contains("mixes text and integers"), "{e}");
    }
}
