//! The sink interface: the pipeline's last stage hands batches, in row order,
//! to one `Sink`, which reports what the destination acknowledged.

use arrow_array::RecordBatch;

/// What a destination acknowledged during a call (possibly for earlier batches).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Delivered {
    /// Rows the destination acknowledged.
    pub rows: u64,
    /// Encoded bytes those rows took.
    pub bytes: u64,
}

impl Delivered {
    /// `rows` rows of `bytes` bytes.
    pub fn new(rows: u64, bytes: u64) -> Self {
        Self { rows, bytes }
    }
}

/// A destination failure; says whether retrying can help.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{message}")]
pub struct SinkError {
    /// What went wrong, for people.
    pub message: String,
    /// True when the same write may succeed later (connection lost, broker busy).
    pub retryable: bool,
}

impl SinkError {
    /// An error that retrying will not fix (bad config, schema mismatch).
    pub fn fatal(message: impl Into<String>) -> Self {
        Self { message: message.into(), retryable: false }
    }

    /// An error that may go away (I/O, network).
    pub fn retryable(message: impl Into<String>) -> Self {
        Self { message: message.into(), retryable: true }
    }
}

/// A destination. Called from one thread, batch by batch, in row order.
pub trait Sink: Send {
    /// Writes one batch; returns what was acknowledged during the call.
    fn write(&mut self, batch: &RecordBatch) -> Result<Delivered, SinkError>;

    /// Pushes buffered rows to the destination; returns what that acknowledged.
    fn flush(&mut self) -> Result<Delivered, SinkError> {
        Ok(Delivered::default())
    }

    /// Finishes the output (file footers, producer flush). Called once, last.
    fn close(&mut self) -> Result<Delivered, SinkError> {
        self.flush()
    }
}
