//! The BLACKHOLE destination: counts rows and bytes, keeps nothing. With
//! `format: csv|jsonl` it encodes every batch first, so benchmarks include
//! the encoding cost; with `format: arrow` (default) bytes are the batch's
//! Arrow buffer size.

use crate::encode::{BatchEncoder, CsvEncoder, JsonLinesEncoder};
use arrow_array::RecordBatch;
use sdg_engine::{Delivered, Sink, SinkError};
use serde::Deserialize;

/// Settings of the BLACKHOLE destination.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BlackholeConfig {
    /// arrow (default): count Arrow bytes; csv or jsonl: encode, then discard.
    #[serde(default)]
    pub format: BlackholeFormat,
}

/// What the blackhole does with a batch.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
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

pub(crate) const BLACKHOLE_KEYS: &[&str] = &["format"];

/// Discards batches, counting them.
pub struct BlackholeSink {
    encoder: Option<Box<dyn BatchEncoder>>,
    buf: Vec<u8>,
}

impl std::fmt::Debug for BlackholeSink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BlackholeSink").finish_non_exhaustive()
    }
}

impl BlackholeSink {
    /// A blackhole for `format`.
    pub fn new(format: BlackholeFormat) -> Self {
        let encoder: Option<Box<dyn BatchEncoder>> = match format {
            BlackholeFormat::Arrow => None,
            BlackholeFormat::Csv => Some(Box::new(CsvEncoder::new(true))),
            BlackholeFormat::Jsonl => Some(Box::new(JsonLinesEncoder::new())),
        };
        Self { encoder, buf: Vec::new() }
    }
}

impl Sink for BlackholeSink {
    fn write(&mut self, batch: &RecordBatch) -> Result<Delivered, SinkError> {
        let bytes = match &mut self.encoder {
            None => batch.get_array_memory_size() as u64,
            Some(enc) => {
                self.buf.clear();
                enc.encode(batch, &mut self.buf).map_err(|e| SinkError::fatal(e.to_string()))?;
                std::hint::black_box(&self.buf);
                self.buf.len() as u64
            }
        };
        Ok(Delivered::new(batch.num_rows() as u64, bytes))
    }
}
