//! RFC 4180 CSV: a header line, comma separators, CRLF-free `\n` line ends,
//! fields quoted when they hold a comma, quote, or line break (quotes doubled).
//! Nulls are empty fields.

use super::BatchEncoder;
use super::cells::{Col, EncodeError, Rfc3339, columns, put_f64, put_i64, put_uuid};
use arrow_array::RecordBatch;

/// Encodes batches as CSV; writes the header before the first batch.
#[derive(Debug)]
pub struct CsvEncoder {
    header: bool,
    header_done: bool,
}

impl CsvEncoder {
    /// A CSV encoder; `header` writes the column names first.
    pub fn new(header: bool) -> Self {
        Self { header, header_done: false }
    }

    /// Writes the header again before the next batch (a new file after rotation).
    pub fn reset(&mut self) {
        self.header_done = false;
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
    fn encode(&mut self, batch: &RecordBatch, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        let schema = batch.schema();
        if self.header && !self.header_done {
            for (i, f) in schema.fields().iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                put_field(out, f.name().as_bytes());
            }
            out.push(b'\n');
        }
        self.header_done = true;
        let cols = columns(schema.fields(), batch.columns(), "CSV", |s| {
            let mut v = Vec::with_capacity(s.len() + 2);
            put_field(&mut v, s.as_bytes());
            v
        })?;
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
                            out.extend_from_slice(if v.is_nan() { b"NaN" } else if v > 0.0 { b"inf" } else { b"-inf" });
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
        }
        Ok(())
    }
}
