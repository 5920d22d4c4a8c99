//! JSON Lines: one object per row, keys in field order, nulls as `null`,
//! UUIDs and timestamps as strings, non-finite floats as `null`.

use super::cells::EncodeError;
use super::cells::Rendered;
use super::rows;
use arrow_array::RecordBatch;
use sdg_engine::{BatchEncoder, Encoded, SinkError};

/// Encodes batches as JSON Lines.
#[derive(Default)]
pub struct JsonLinesEncoder {
    /// `"name":` per column (with the comma before all but the first), rendered once per schema.
    prefixes: Option<(usize, Rendered)>,
}

impl std::fmt::Debug for JsonLinesEncoder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JsonLinesEncoder").finish_non_exhaustive()
    }
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
    pub fn encode_rows(&mut self, batch: &RecordBatch, out: &mut Encoded) -> Result<(), EncodeError> {
        let schema = batch.schema();
        if self.prefixes.as_ref().is_none_or(|(n, _)| *n != schema.fields().len()) {
            let keys = schema
                .fields()
                .iter()
                .enumerate()
                .map(|(i, f)| {
                    let mut k = if i == 0 { Vec::new() } else { vec![b','] };
                    put_str(&mut k, f.name());
                    k.push(b':');
                    k
                })
                .collect();
            self.prefixes = Some((schema.fields().len(), Rendered::new(keys)));
        }
        match &self.prefixes {
            Some((_, prefixes)) => rows::encode::<rows::Json>(batch, out, prefixes),
            None => Ok(()),
        }
    }
}
