//! Row encoders: CSV (RFC 4180), JSON Lines and SQL scripts, reusable by every sink that
//! sends text (file, Kafka values, Redis values).
//!
//! The arrow-rs CSV/JSON writers format every cell through `Display`, which
//! costs hundreds of nanoseconds per row and knows nothing of the `arrow.uuid`
//! extension. These encoders downcast each column once per batch, pre-render
//! dictionary values once per batch, and format numbers with itoa/zmij and
//! timestamps with a hand-written RFC 3339 writer into one reused buffer.
//! They implement the engine's [`BatchEncoder`], so each pipeline worker
//! encodes the batches it builds and encoding scales with the workers.

mod cells;
mod csv;
mod json;
mod rows;
mod sql;

pub use cells::{EncodeError, TextCells, render_cells};
pub use csv::CsvEncoder;
pub use json::JsonLinesEncoder;
pub use sdg_engine::{BatchEncoder, Encoded};
pub use sql::{ForeignKey, SqlDialect, SqlEncoder, TableKeys};

impl From<EncodeError> for sdg_engine::SinkError {
    fn from(e: EncodeError) -> Self {
        sdg_engine::SinkError::fatal(e.to_string())
    }
}
