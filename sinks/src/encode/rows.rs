//! The text encoders' engine: a batch is encoded in chunks of rows; each
//! column of a chunk is rendered on its own (a tight, monomorphic loop per
//! type, the column's separator or JSON key included), then rows are stitched
//! together by copying each cell with a fixed-size move. No per-cell dispatch,
//! no run-time-length `memcpy` for ordinary cells.

use super::cells::{Col, EncodeError, Rfc3339, columns, put_f64, put_fixed, put_i64, put_uuid};
use super::csv::put_field;
use super::json::put_str;
use arrow_array::{Array, RecordBatch};
use sdg_engine::Encoded;

/// Rows rendered per chunk: small enough that a chunk's cells stay in cache.
const CHUNK: usize = 256;
/// Cells up to this size are stitched with one fixed-size copy.
const CELL: usize = 64;

/// The text of one column for one chunk: cells back to back.
#[derive(Default)]
pub(crate) struct Cells {
    bytes: Vec<u8>,
    ends: Vec<usize>,
}

impl Cells {
    fn clear(&mut self) {
        self.bytes.clear();
        self.ends.clear();
    }

    #[inline(always)]
    fn end(&mut self) {
        self.ends.push(self.bytes.len());
    }

    /// Appends cell `i` to `out`.
    #[inline(always)]
    fn copy(&self, i: usize, out: &mut Vec<u8>) {
        let start = if i == 0 { 0 } else { self.ends[i - 1] };
        let end = self.ends[i];
        match self.bytes.get(start..start + CELL).and_then(|s| <&[u8; CELL]>::try_from(s).ok()) {
            Some(fixed) if end - start <= CELL => {
                let at = out.len();
                out.extend_from_slice(fixed);
                out.truncate(at + end - start);
            }
            _ => out.extend_from_slice(&self.bytes[start..end]),
        }
    }
}

/// What differs between the text formats.
pub(crate) trait Format {
    /// Text of a null cell.
    const NULL: &'static [u8];
    /// Bytes closing a row.
    const ROW_END: &'static [u8];
    /// Quote UUIDs and timestamps.
    const QUOTE_TEXT: bool;
    /// Appends a string value.
    fn put_text(out: &mut Vec<u8>, s: &str);
    /// Appends a non-finite float.
    fn put_nonfinite(out: &mut Vec<u8>, v: f64);
    /// Name of the format in errors.
    const NAME: &'static str;
}

/// CSV (RFC 4180).
pub(crate) struct Csv;

impl Format for Csv {
    const NULL: &'static [u8] = b"";
    const ROW_END: &'static [u8] = b"\n";
    const QUOTE_TEXT: bool = false;
    const NAME: &'static str = "CSV";
    fn put_text(out: &mut Vec<u8>, s: &str) {
        put_field(out, s.as_bytes());
    }
    fn put_nonfinite(out: &mut Vec<u8>, v: f64) {
        out.extend_from_slice(if v.is_nan() {
            b"NaN"
        } else if v > 0.0 {
            b"inf"
        } else {
            b"-inf"
        });
    }
}

/// JSON Lines.
pub(crate) struct Json;

impl Format for Json {
    const NULL: &'static [u8] = b"null";
    const ROW_END: &'static [u8] = b"}\n";
    const QUOTE_TEXT: bool = true;
    const NAME: &'static str = "JSON";
    fn put_text(out: &mut Vec<u8>, s: &str) {
        put_str(out, s);
    }
    fn put_nonfinite(out: &mut Vec<u8>, _v: f64) {
        out.extend_from_slice(b"null");
    }
}

/// Encodes every row of `batch` into `enc`; `prefixes[c]` precedes column c's
/// value in every row (`,` in CSV, `,"name":` in JSON), `row_start` opens a row.
pub(crate) fn encode<F: Format>(
    batch: &RecordBatch,
    enc: &mut Encoded,
    prefixes: &[Vec<u8>],
    row_start: &[u8],
    scratch: &mut Vec<Cells>,
) -> Result<(), EncodeError> {
    let schema = batch.schema();
    let cols = columns(schema.fields(), batch.columns(), F::NAME, |s| {
        let mut v = Vec::with_capacity(s.len() + 2);
        F::put_text(&mut v, s);
        v
    })?;
    scratch.resize_with(cols.len(), Cells::default);
    let rows = batch.num_rows();
    enc.row_ends.reserve(rows);
    enc.bytes.reserve(rows * (8 + 16 * cols.len()));
    let mut ts = Rfc3339::default();
    let mut first = 0;
    while first < rows {
        let last = (first + CHUNK).min(rows);
        for ((col, cells), prefix) in cols.iter().zip(scratch.iter_mut()).zip(prefixes) {
            cells.clear();
            render::<F>(col, first, last, prefix, cells, &mut ts);
            // Slack so every cell can be copied with a fixed-size move.
            cells.bytes.extend_from_slice(&[0u8; CELL]);
        }
        for i in 0..last - first {
            enc.bytes.extend_from_slice(row_start);
            for cells in scratch.iter() {
                cells.copy(i, &mut enc.bytes);
            }
            enc.bytes.extend_from_slice(F::ROW_END);
            enc.row_ends.push(enc.bytes.len());
        }
        first = last;
    }
    Ok(())
}

/// Renders rows `[first, last)` of one column, each cell preceded by `prefix`.
fn render<F: Format>(col: &Col<'_>, first: usize, last: usize, prefix: &[u8], cells: &mut Cells, ts: &mut Rfc3339) {
    let mut fixed = [0u8; CELL];
    let short = prefix.len() <= CELL;
    if short {
        fixed[..prefix.len()].copy_from_slice(prefix);
    }
    macro_rules! each {
        ($array:expr, |$out:ident, $row:ident| $body:expr) => {
            for $row in first..last {
                if short {
                    if !prefix.is_empty() {
                        put_fixed(&mut cells.bytes, &fixed, prefix.len());
                    }
                } else {
                    cells.bytes.extend_from_slice(prefix);
                }
                if $array.is_null($row) {
                    cells.bytes.extend_from_slice(F::NULL);
                } else {
                    let $out = &mut cells.bytes;
                    $body;
                }
                cells.end();
            }
        };
    }
    let quote = |out: &mut Vec<u8>| {
        if F::QUOTE_TEXT {
            out.push(b'"');
        }
    };
    match col {
        Col::Int64(a) => each!(a, |out, r| put_i64(out, a.value(r))),
        Col::Float64(a) => each!(a, |out, r| {
            let v = a.value(r);
            if !put_f64(out, v) {
                F::put_nonfinite(out, v);
            }
        }),
        Col::Bool(a) => each!(a, |out, r| out.extend_from_slice(if a.value(r) { b"true" } else { b"false" })),
        Col::Utf8(a) => each!(a, |out, r| F::put_text(out, a.value(r))),
        Col::Dict(keys, rendered) => each!(keys, |out, r| rendered.put(out, keys.value(r))),
        Col::Uuid(a) => each!(a, |out, r| {
            quote(out);
            put_uuid(out, a.value(r));
            quote(out);
        }),
        Col::TimestampUs(a) => each!(a, |out, r| {
            quote(out);
            ts.put_us(out, a.value(r));
            quote(out);
        }),
        Col::TimestampMs(a) => each!(a, |out, r| {
            quote(out);
            ts.put_us(out, a.value(r).saturating_mul(1000));
            quote(out);
        }),
    }
}
