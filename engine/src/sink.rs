//! The sink interface: the pipeline's last stage hands batches, in row order,
//! to one `Sink`, which reports what the destination acknowledged.
//!
//! Encoding (CSV, JSON, Avro, PostgreSQL binary …) is a step of its own: a
//! sink may hand each worker a [`BatchEncoder`], so batches are encoded in
//! parallel, ahead of the single sink thread, which then only moves bytes.

use arrow_array::RecordBatch;

/// What a destination acknowledged during a call (possibly for earlier batches).
///
/// `rows` counts acknowledgements as they come (the live metrics);
/// `settled` is what a resume may skip: it grows only when every row the
/// sink accepted before is acknowledged too. The two differ only for a sink
/// whose acknowledgements arrive out of row order (Kafka's, per partition).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Delivered {
    /// Rows the destination acknowledged.
    pub rows: u64,
    /// Encoded bytes those rows took.
    pub bytes: u64,
    /// Rows the destination finally refused after the sink's own retries
    /// (reported late, e.g. by Kafka delivery reports): counted as failed.
    /// They never count as settled, so a resume sends them again.
    pub failed: u64,
    /// How far the settled prefix grew: rows of batches the sink accepted
    /// (`write` returned `Ok`), counted in the order they were written,
    /// whose every row — and every row written before them — is now
    /// acknowledged. The run's checkpoint is built from it.
    pub settled: u64,
}

impl Delivered {
    /// `rows` rows of `bytes` bytes, acknowledged in the order they were
    /// written (so they are settled too): every sink but Kafka.
    pub fn new(rows: u64, bytes: u64) -> Self {
        Self { rows, bytes, failed: 0, settled: rows }
    }
}

/// Sums what several calls acknowledged (every field, `settled` included).
impl std::ops::AddAssign for Delivered {
    fn add_assign(&mut self, other: Self) {
        self.rows += other.rows;
        self.bytes += other.bytes;
        self.failed += other.failed;
        self.settled += other.settled;
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

/// Rows of one batch encoded for a destination: the bytes of all rows, back
/// to back, and where each row ends (so a sink can split a batch).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Encoded {
    /// The encoded rows.
    pub bytes: Vec<u8>,
    /// `row_ends[i]` is the end offset of row i in `bytes`.
    pub row_ends: Vec<usize>,
}

impl Encoded {
    /// Empties the buffers, keeping their capacity.
    pub fn clear(&mut self) {
        self.bytes.clear();
        self.row_ends.clear();
    }

    /// Marks the end of a row at the current length.
    #[inline(always)]
    pub fn end_row(&mut self) {
        self.row_ends.push(self.bytes.len());
    }

    /// Number of encoded rows.
    pub fn rows(&self) -> usize {
        self.row_ends.len()
    }

    /// The bytes of rows `[from, to)`.
    pub fn slice(&self, from: usize, to: usize) -> &[u8] {
        let start = if from == 0 { 0 } else { self.row_ends[from - 1] };
        let end = if to == 0 { 0 } else { self.row_ends[to - 1] };
        &self.bytes[start..end]
    }
}

/// Turns batches into a destination's wire format; one per worker.
pub trait BatchEncoder: Send {
    /// Appends the rows of `batch` to `out`.
    fn encode(&mut self, batch: &RecordBatch, out: &mut Encoded) -> Result<(), SinkError>;
}

/// A destination. Called from one thread, batch by batch, in row order.
pub trait Sink: Send {
    /// An encoder for one worker, when this sink sends encoded rows. Workers
    /// then encode each batch they build, in parallel, and `write` receives it.
    fn worker_encoder(&self) -> Option<Box<dyn BatchEncoder>> {
        None
    }

    /// Writes one batch (with its encoding, when the sink asked for one);
    /// returns what was acknowledged during the call. `Ok` means the sink
    /// took the whole batch (its rows settle later, in order); an error means
    /// it took none of it that will count: the pipeline retries the same
    /// batch or gives it up, as `on_error` says.
    fn write(&mut self, batch: &RecordBatch, encoded: Option<&Encoded>) -> Result<Delivered, SinkError>;

    /// Pushes buffered rows to the destination; returns what that acknowledged.
    fn flush(&mut self) -> Result<Delivered, SinkError> {
        Ok(Delivered::default())
    }

    /// Called when no batch is waiting after a write: a sink that groups
    /// batches (PostgreSQL's transactions) finishes the group here, so rows
    /// never wait on a quiet pipeline. Unlike `flush`, it need not wait for
    /// acknowledgements that arrive on their own (Kafka's).
    fn idle(&mut self) -> Result<Delivered, SinkError> {
        Ok(Delivered::default())
    }

    /// Finishes the output (file footers, producer flush). Called once, last.
    fn close(&mut self) -> Result<Delivered, SinkError> {
        self.flush()
    }
}
