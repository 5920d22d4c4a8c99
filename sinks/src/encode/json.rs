//! JSON Lines: one object per row, keys in field order, nulls as `null`,
//! UUIDs and timestamps as strings, non-finite floats as `null`.

use super::cells::{Col, EncodeError, Rfc3339, columns, put_f64, put_i64, put_uuid};
use arrow_array::RecordBatch;
use sdg_engine::{BatchEncoder, Encoded, SinkError};

/// Encodes batches as JSON Lines.
#[derive(Debug, Default, Clone)]
pub struct JsonLinesEncoder {
    /// `{"name":` / `,"name":` per column, rendered once per schema.
    keys: Vec<Vec<u8>>,
}

impl JsonLinesEncoder {
    /// A JSON Lines encoder.
    pub fn new() -> Self {
        Self::default()
    }
}

/// Appends `s` as a JSON string literal.
pub(crate) fn put_str(out: &mut Vec<u8>, s: &str) {
    out.push(b'"');
    let bytes = s.as_bytes();
    if !bytes.iter().any(|&b| b < 0x20 || b == b'"' || b == b'\\') {
        out.extend_from_slice(bytes);
    } else {
        for &b in bytes {
            match b {
                b'"' => out.extend_from_slice(b"\\\""),
                b'\\' => out.extend_from_slice(b"\\\\"),
                b'\n' => out.extend_from_slice(b"\\n"),
                b'\r' => out.extend_from_slice(b"\\r"),
                b'\t' => out.extend_from_slice(b"\\t"),
                0..=0x1F => {
                    const HEX: &[u8; 16] = b"0123456789abcdef";
                    out.extend_from_slice(b"\\u00");
                    out.push(HEX[(b >> 4) as usize]);
                    out.push(HEX[(b & 0xF) as usize]);
                }
                _ => out.push(b),
            }
        }
    }
    out.push(b'"');
}

impl BatchEncoder for JsonLinesEncoder {
    fn encode(&mut self, batch: &RecordBatch, out: &mut Encoded) -> Result<(), SinkError> {
        Ok(self.encode_rows(batch, out)?)
    }
}

impl JsonLinesEncoder {
    /// Appends every row of `batch` to `out`.
    pub fn encode_rows(&mut self, batch: &RecordBatch, enc: &mut Encoded) -> Result<(), EncodeError> {
        let schema = batch.schema();
        if self.keys.len() != schema.fields().len() {
            self.keys = schema
                .fields()
                .iter()
                .enumerate()
                .map(|(i, f)| {
                    let mut k = vec![if i == 0 { b'{' } else { b',' }];
                    put_str(&mut k, f.name());
                    k.push(b':');
                    k
                })
                .collect();
        }
        let cols = columns(schema.fields(), batch.columns(), "JSON", |s| {
            let mut v = Vec::with_capacity(s.len() + 2);
            put_str(&mut v, s);
            v
        })?;
        enc.row_ends.reserve(batch.num_rows());
        let out = &mut enc.bytes;
        out.reserve(batch.num_rows() * 24 * cols.len());
        let mut ts = Rfc3339::default();
        for row in 0..batch.num_rows() {
            for (col, key) in cols.iter().zip(&self.keys) {
                out.extend_from_slice(key);
                if col.is_null(row) {
                    out.extend_from_slice(b"null");
                    continue;
                }
                match col {
                    Col::Int64(a) => put_i64(out, a.value(row)),
                    Col::Float64(a) => {
                        if !put_f64(out, a.value(row)) {
                            out.extend_from_slice(b"null");
                        }
                    }
                    Col::Bool(a) => out.extend_from_slice(if a.value(row) { b"true" } else { b"false" }),
                    Col::Utf8(a) => put_str(out, a.value(row)),
                    Col::Dict(keys, rendered) => {
                        if let Some(v) = rendered.get(keys.value(row) as usize) {
                            out.extend_from_slice(v);
                        }
                    }
                    Col::Uuid(a) => {
                        out.push(b'"');
                        put_uuid(out, a.value(row));
                        out.push(b'"');
                    }
                    Col::TimestampUs(a) => {
                        out.push(b'"');
                        ts.put_us(out, a.value(row));
                        out.push(b'"');
                    }
                    Col::TimestampMs(a) => {
                        out.push(b'"');
                        ts.put_us(out, a.value(row).saturating_mul(1000));
                        out.push(b'"');
                    }
                }
            }
            if cols.is_empty() {
                out.push(b'{');
            }
            out.extend_from_slice(b"}\n");
            enc.row_ends.push(out.len());
        }
        Ok(())
    }
}
