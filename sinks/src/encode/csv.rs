//! RFC 4180 CSV: a header line, comma separators, CRLF-free `\n` line ends,
//! fields quoted when they hold a comma, quote, or line break (quotes doubled).
//! Nulls are empty fields.

use super::cells::{Col, EncodeError, Rfc3339, columns, put_f64, put_i64, put_uuid};
use arrow_array::RecordBatch;
use arrow_schema::Schema;
use sdg_engine::{BatchEncoder, Encoded, SinkError};

/// Encodes the rows of batches as CSV (the header is written by the sink, per file).
#[derive(Debug, Default, Clone)]
pub struct CsvEncoder;

impl CsvEncoder {
    /// A CSV row encoder.
    pub fn new() -> Self {
        Self
    }

    /// The header line for `schema`.
    pub fn header(schema: &Schema) -> Vec<u8> {
        let mut out = Vec::new();
        for (i, f) in schema.fields().iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            put_field(&mut out, f.name().as_bytes());
        }
        out.push(b'\n');
        out
    }
}

fn needs_quotes(s: &[u8]) -> bool {
    s.iter().any(|&b| matches!(b, b',' | b'"' | b'\n' | b'\r'))
}

/// Appends `s` as one CSV field.
pub(crate) fn put_field(out: &mut Vec<u8>, s: &[u8]) {
    if !needs_quotes(s) {
        out.extend_from_slice(s);
        return;
    }
    out.push(b'"');
    for &b in s {
        if b == b'"' {
            out.push(b'"');
        }
        out.push(b);
    }
    out.push(b'"');
}

impl BatchEncoder for CsvEncoder {
    fn encode(&mut self, batch: &RecordBatch, out: &mut Encoded) -> Result<(), SinkError> {
        Ok(self.encode_rows(batch, out)?)
    }
}

impl CsvEncoder {
    /// Appends every row of `batch` to `out`.
    pub fn encode_rows(&mut self, batch: &RecordBatch, enc: &mut Encoded) -> Result<(), EncodeError> {
        let schema = batch.schema();
        let cols = columns(schema.fields(), batch.columns(), "CSV", |s| {
            let mut v = Vec::with_capacity(s.len() + 2);
            put_field(&mut v, s.as_bytes());
            v
        })?;
        enc.row_ends.reserve(batch.num_rows());
        let out = &mut enc.bytes;
        out.reserve(batch.num_rows() * 16 * cols.len());
        let mut ts = Rfc3339::default();
        for row in 0..batch.num_rows() {
            for (i, col) in cols.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                if col.is_null(row) {
                    continue;
                }
                match col {
                    Col::Int64(a) => put_i64(out, a.value(row)),
                    Col::Float64(a) => {
                        let v = a.value(row);
                        if !put_f64(out, v) {
                            out.extend_from_slice(if v.is_nan() {
                                b"NaN"
                            } else if v > 0.0 {
                                b"inf"
                            } else {
                                b"-inf"
                            });
                        }
                    }
                    Col::Bool(a) => out.extend_from_slice(if a.value(row) { b"true" } else { b"false" }),
                    Col::Utf8(a) => put_field(out, a.value(row).as_bytes()),
                    Col::Dict(keys, rendered) => {
                        if let Some(v) = rendered.get(keys.value(row) as usize) {
                            out.extend_from_slice(v);
                        }
                    }
                    Col::Uuid(a) => put_uuid(out, a.value(row)),
                    Col::TimestampUs(a) => ts.put_us(out, a.value(row)),
                    Col::TimestampMs(a) => ts.put_us(out, a.value(row).saturating_mul(1000)),
                }
            }
            out.push(b'\n');
            enc.row_ends.push(out.len());
        }
        Ok(())
    }
}
