//! `blank_ratio`: empty strings (not nulls) in a share of a text column's
//! rows, seed 003's `blankPercentage`. Applied to the filled column before
//! any later group reads it, so a field computed from it sees the blanks.

use arrow_array::cast::AsArray;
use arrow_array::types::Int32Type;
use arrow_array::{Array, ArrayRef, DictionaryArray, Int32Array, StringArray};
use arrow_buffer::{NullBuffer, OffsetBuffer, ScalarBuffer};
use arrow_schema::{ArrowError, DataType};
use std::sync::Arc;

/// Whether a column of `t` can take blanks.
pub(crate) fn supports(t: &DataType) -> bool {
    match t {
        DataType::Utf8 => true,
        DataType::Dictionary(k, v) => **k == DataType::Int32 && **v == DataType::Utf8,
        _ => false,
    }
}

/// `column` with the rows null in `keep` made empty (null rows stay null).
pub(crate) fn apply(column: &ArrayRef, keep: &NullBuffer) -> Result<ArrayRef, ArrowError> {
    match column.data_type() {
        DataType::Utf8 => {
            let s = column.as_string::<i32>();
            let (offsets, values) = (s.value_offsets(), s.values());
            let mut bytes = Vec::with_capacity(values.len());
            let mut out = Vec::with_capacity(s.len() + 1);
            out.push(0i32);
            for i in 0..s.len() {
                if keep.is_valid(i) {
                    bytes.extend_from_slice(&values[offsets[i] as usize..offsets[i + 1] as usize]);
                }
                out.push(bytes.len() as i32);
            }
            let offsets = OffsetBuffer::new(ScalarBuffer::from(out));
            Ok(Arc::new(StringArray::try_new(offsets, bytes.into(), s.nulls().cloned())?))
        }
        DataType::Dictionary(..) => {
            let d = column.as_dictionary::<Int32Type>();
            let values = d.values().as_string::<i32>();
            // The dictionary plus one empty value at its end.
            let blank = values.len() as i32;
            let values: StringArray = values.iter().chain(std::iter::once(Some(""))).collect();
            let keys: ScalarBuffer<i32> =
                d.keys().values().iter().enumerate().map(|(i, &k)| if keep.is_valid(i) { k } else { blank }).collect();
            let keys = Int32Array::new(keys, d.keys().nulls().cloned());
            Ok(Arc::new(DictionaryArray::<Int32Type>::try_new(keys, Arc::new(values))?))
        }
        other => Err(ArrowError::InvalidArgumentError(format!("blank_ratio on a {other} column"))),
    }
}
