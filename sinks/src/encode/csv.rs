//! RFC 4180 CSV: a header line, comma separators, CRLF-free `\n` line ends,
//! fields quoted when they hold a comma, quote, or line break (quotes doubled).
//! Nulls are empty fields.

use super::cells::EncodeError;
use super::cells::Rendered;
use super::rows;
use arrow_array::RecordBatch;
use arrow_schema::Schema;
use sdg_engine::{BatchEncoder, Encoded, SinkError};

/// Encodes the rows of batches as CSV (the header is written by the sink, per file).
#[derive(Default)]
pub struct CsvEncoder {
    /// CSV has no per-column prefix; kept empty.
    none: Option<Rendered>,
}

impl std::fmt::Debug for CsvEncoder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CsvEncoder").finish_non_exhaustive()
    }
}

impl CsvEncoder {
    /// A CSV row encoder.
    pub fn new() -> Self {
        Self::default()
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
    pub fn encode_rows(&mut self, batch: &RecordBatch, out: &mut Encoded) -> Result<(), EncodeError> {
        let none = self.none.get_or_insert_with(|| Rendered::new(Vec::new()));
        rows::encode::<rows::Csv>(batch, out, none)
    }
}
