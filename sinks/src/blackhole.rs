//! The BLACKHOLE destination: counts rows and bytes, keeps nothing. With
//! `format: csv|jsonl` it encodes every batch first, so benchmarks include
//! the encoding cost; with `format: arrow` (default) bytes are the batch's
//! Arrow buffer size.

use crate::encode::{BatchEncoder, CsvEncoder, Encoded, JsonLinesEncoder};
use arrow_array::RecordBatch;
use sdg_engine::{Delivered, Sink, SinkError};
use serde::Deserialize;

/// Settings of the BLACKHOLE destination.
#[derive(Debug, Clone, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct BlackholeConfig {
    /// arrow (default): count Arrow bytes; csv or jsonl: encode, then discard.
    #[serde(default)]
    pub format: BlackholeFormat,
}

/// What the blackhole does with a batch.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, serde::Serialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum BlackholeFormat {
    /// Counts the Arrow buffers.
    #[default]
    Arrow,
    /// Encodes CSV.
    Csv,
    /// Encodes JSON Lines.
    #[serde(alias = "json")]
    Jsonl,
}

pub const BLACKHOLE_KEYS: &[&str] = &["format"];

/// Discards batches, counting them.
pub struct BlackholeSink {
    format: BlackholeFormat,
    scratch: Encoded,
}

impl std::fmt::Debug for BlackholeSink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BlackholeSink").finish_non_exhaustive()
    }
}

impl BlackholeSink {
    /// A blackhole for `format`.
    pub fn new(format: BlackholeFormat) -> Self {
        Self { format, scratch: Encoded::default() }
    }
}

impl Sink for BlackholeSink {
    fn worker_encoder(&self) -> Option<Box<dyn BatchEncoder>> {
        match self.format {
            BlackholeFormat::Arrow => None,
            BlackholeFormat::Csv => Some(Box::new(CsvEncoder::new())),
            BlackholeFormat::Jsonl => Some(Box::new(JsonLinesEncoder::new())),
        }
    }

    fn write(&mut self, batch: &RecordBatch, encoded: Option<&Encoded>) -> Result<Delivered, SinkError> {
        let bytes = match (self.worker_encoder(), encoded) {
            (None, _) => batch.get_array_memory_size() as u64,
            (Some(_), Some(e)) => std::hint::black_box(e).bytes.len() as u64,
            (Some(mut enc), None) => {
                self.scratch.clear();
                enc.encode(batch, &mut self.scratch)?;
                std::hint::black_box(&self.scratch).bytes.len() as u64
            }
        };
        Ok(Delivered::new(batch.num_rows() as u64, bytes))
    }
}
