//! Row encoders: CSV (RFC 4180) and JSON Lines, reusable by every sink that
//! sends text (file, Kafka values, Redis values).
//!
//! The arrow-rs CSV/JSON writers format every cell through `Display`, which
//! costs hundreds of nanoseconds per row and knows nothing of the `arrow.uuid`
//! extension. These encoders downcast each column once per batch, pre-render
//! dictionary values once per batch, and format numbers with itoa/zmij and
//! timestamps with a hand-written RFC 3339 writer into one reused buffer.

mod cells;
mod csv;
mod json;

pub use cells::{EncodeError, render_cells};
pub use csv::CsvEncoder;
pub use json::JsonLinesEncoder;

use arrow_array::RecordBatch;

/// Encodes whole batches into bytes appended to `out`.
pub trait BatchEncoder: Send {
    /// Appends the encoding of `batch` to `out`.
    fn encode(&mut self, batch: &RecordBatch, out: &mut Vec<u8>) -> Result<(), EncodeError>;
}

/// Text formats the encoders produce.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TextFormat {
    /// RFC 4180 CSV with a header line.
    Csv,
    /// One JSON object per line.
    JsonLines,
}

/// A boxed encoder for `format`.
pub fn encoder(format: TextFormat, header: bool) -> Box<dyn BatchEncoder> {
    match format {
        TextFormat::Csv => Box::new(CsvEncoder::new(header)),
        TextFormat::JsonLines => Box::new(JsonLinesEncoder::new()),
    }
}
