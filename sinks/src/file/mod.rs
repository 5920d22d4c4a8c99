//! The FILE destination: CSV, JSON Lines, Parquet or Arrow IPC, to a path or
//! stdout (`path: "-"`), optionally rotated every `rotate_rows` rows.
//!
//! Text formats go through sdg's encoders ([`crate::encode`]); Parquet and
//! Arrow IPC through the arrow-rs writers. Rows count as delivered once handed
//! to the operating system (text, Arrow) or once their Parquet row group is
//! written; everything is delivered when the sink closes.

pub mod config;

pub use config::{Compression, FileConfig, FileFormat};

use crate::encode::{BatchEncoder, CsvEncoder, Encoded, JsonLinesEncoder};
use arrow_array::RecordBatch;
use arrow_ipc::writer::{FileWriter, StreamWriter};
use arrow_schema::SchemaRef;
use parquet::arrow::ArrowWriter;
use parquet::file::properties::WriterProperties;
use sdg_engine::{Delivered, Sink, SinkError};
use std::fs::File;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// A writer that counts the bytes it passes on.
struct Counting {
    inner: Box<dyn Write + Send>,
    bytes: u64,
}

impl Write for Counting {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.bytes += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

enum Writer {
    Text { out: Counting },
    Parquet { writer: ArrowWriter<Counting>, rows: u64 },
    ArrowFile(FileWriter<Counting>),
    ArrowStream(StreamWriter<Counting>),
}

/// Writes batches to files.
pub struct FileSink {
    config: FileConfig,
    format: FileFormat,
    schema: SchemaRef,
    writer: Option<Writer>,
    file_index: u64,
    rows_in_file: u64,
    /// Bytes and (Parquet) rows of the current file already reported delivered.
    reported_bytes: u64,
    reported_rows: u64,
    /// Encodes here when a batch arrives without its encoding (direct use, not via the pipeline).
    scratch: Encoded,
}

impl std::fmt::Debug for FileSink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FileSink").field("path", &self.config.path).field("format", &self.format).finish()
    }
}

fn io_err(what: &str, path: &Path, e: impl std::fmt::Display) -> SinkError {
    SinkError::retryable(format!("{what} {}: {e}", path.display()))
}

impl FileSink {
    /// A sink for `config`; the first file is created on the first batch.
    pub fn new(config: FileConfig, schema: SchemaRef) -> Self {
        let format = config.resolved_format();
        Self {
            config,
            format,
            schema,
            writer: None,
            file_index: 0,
            rows_in_file: 0,
            reported_bytes: 0,
            reported_rows: 0,
            scratch: Encoded::default(),
        }
    }

    /// The row encoder of a text format (None for Parquet and Arrow).
    fn text_encoder(&self) -> Option<Box<dyn BatchEncoder>> {
        match self.format {
            FileFormat::Csv => Some(Box::new(CsvEncoder::new())),
            FileFormat::Jsonl => Some(Box::new(JsonLinesEncoder::new())),
            FileFormat::Parquet | FileFormat::Arrow => None,
        }
    }

    fn is_stdout(&self) -> bool {
        self.config.path == "-"
    }

    /// The path of the current file (with a rotation index when rotating).
    pub fn current_path(&self) -> PathBuf {
        let path = PathBuf::from(&self.config.path);
        if self.config.rotate_rows.is_none() {
            return path;
        }
        let stem = path.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
        let name = match path.extension() {
            Some(ext) => format!("{stem}-{:05}.{}", self.file_index, ext.to_string_lossy()),
            None => format!("{stem}-{:05}", self.file_index),
        };
        path.with_file_name(name)
    }

    fn open(&mut self) -> Result<Writer, SinkError> {
        let path = self.current_path();
        let inner: Box<dyn Write + Send> = if self.is_stdout() {
            Box::new(io::stdout())
        } else {
            if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                std::fs::create_dir_all(dir).map_err(|e| io_err("creating the directory of", &path, e))?;
            }
            Box::new(File::create(&path).map_err(|e| io_err("creating", &path, e))?)
        };
        let mut out = Counting { inner, bytes: 0 };
        let fatal = |e: &dyn std::fmt::Display| SinkError::fatal(format!("opening {}: {e}", path.display()));
        Ok(match self.format {
            FileFormat::Csv => {
                if self.config.header.unwrap_or(true) {
                    out.write_all(&CsvEncoder::header(&self.schema)).map_err(|e| io_err("writing", &path, e))?;
                }
                Writer::Text { out }
            }
            FileFormat::Jsonl => Writer::Text { out },
            FileFormat::Parquet => {
                let props = WriterProperties::builder()
                    .set_compression(self.config.compression.unwrap_or_default().to_parquet())
                    .build();
                let writer = ArrowWriter::try_new(out, self.schema.clone(), Some(props)).map_err(|e| fatal(&e))?;
                Writer::Parquet { writer, rows: 0 }
            }
            FileFormat::Arrow if self.is_stdout() => {
                Writer::ArrowStream(StreamWriter::try_new(out, &self.schema).map_err(|e| fatal(&e))?)
            }
            FileFormat::Arrow => Writer::ArrowFile(FileWriter::try_new(out, &self.schema).map_err(|e| fatal(&e))?),
        })
    }

    /// Writes part of a batch (with its encoded rows, for text formats) into the current file.
    fn write_piece(&mut self, batch: &RecordBatch, text: Option<&[u8]>) -> Result<Delivered, SinkError> {
        if self.writer.is_none() {
            self.writer = Some(self.open()?);
            self.rows_in_file = 0;
            self.reported_bytes = 0;
            self.reported_rows = 0;
        }
        let path = self.current_path();
        let rows = batch.num_rows() as u64;
        let Some(writer) = self.writer.as_mut() else { return Ok(Delivered::default()) };
        let werr = |e: &dyn std::fmt::Display| io_err("writing", &path, e);
        let delivered = match writer {
            Writer::Text { out } => {
                out.write_all(text.unwrap_or_default()).map_err(|e| werr(&e))?;
                // Everything not yet reported, the CSV header of a new file included.
                Delivered::new(rows, out.bytes - self.reported_bytes)
            }
            Writer::Parquet { writer, rows: written } => {
                writer.write(batch).map_err(|e| werr(&e))?;
                *written += rows;
                // Rows in row groups already written out count as delivered.
                let flushed = *written - writer.in_progress_rows() as u64;
                let bytes = writer.inner().bytes;
                let d = Delivered::new(flushed - self.reported_rows, bytes - self.reported_bytes);
                self.reported_rows = flushed;
                d
            }
            Writer::ArrowFile(w) => {
                w.write(batch).map_err(|e| werr(&e))?;
                Delivered::new(rows, w.get_ref().bytes - self.reported_bytes)
            }
            Writer::ArrowStream(w) => {
                w.write(batch).map_err(|e| werr(&e))?;
                Delivered::new(rows, w.get_ref().bytes - self.reported_bytes)
            }
        };
        self.reported_bytes += delivered.bytes;
        self.rows_in_file += rows;
        Ok(delivered)
    }

    /// Finishes the current file; returns what that delivered.
    fn finish_file(&mut self) -> Result<Delivered, SinkError> {
        let path = self.current_path();
        let Some(writer) = self.writer.take() else { return Ok(Delivered::default()) };
        let e = |e: &dyn std::fmt::Display| io_err("finishing", &path, e);
        let (rows, bytes) = match writer {
            Writer::Text { mut out, .. } => {
                out.flush().map_err(|x| e(&x))?;
                (0, out.bytes)
            }
            Writer::Parquet { writer, rows } => {
                let out = writer.into_inner().map_err(|x| e(&x))?;
                (rows - self.reported_rows, out.bytes)
            }
            Writer::ArrowFile(mut w) => {
                w.finish().map_err(|x| e(&x))?;
                let mut out = w.into_inner().map_err(|x| e(&x))?;
                out.flush().map_err(|x| e(&x))?;
                (0, out.bytes)
            }
            Writer::ArrowStream(mut w) => {
                w.finish().map_err(|x| e(&x))?;
                let mut out = w.into_inner().map_err(|x| e(&x))?;
                out.flush().map_err(|x| e(&x))?;
                (0, out.bytes)
            }
        };
        let d = Delivered::new(rows, bytes.saturating_sub(self.reported_bytes));
        self.file_index += 1;
        Ok(d)
    }
}

impl Sink for FileSink {
    fn worker_encoder(&self) -> Option<Box<dyn BatchEncoder>> {
        self.text_encoder()
    }

    fn write(&mut self, batch: &RecordBatch, encoded: Option<&Encoded>) -> Result<Delivered, SinkError> {
        let mut scratch = std::mem::take(&mut self.scratch);
        let text = match (self.text_encoder(), encoded) {
            (None, _) => None,
            (Some(_), Some(e)) => Some(e),
            (Some(mut enc), None) => {
                scratch.clear();
                enc.encode(batch, &mut scratch)?;
                Some(&scratch)
            }
        };
        let result = self.write_rows(batch, text);
        self.scratch = scratch;
        result
    }

    fn flush(&mut self) -> Result<Delivered, SinkError> {
        if let Some(Writer::Text { out, .. }) = self.writer.as_mut() {
            out.flush().map_err(|e| io_err("flushing", Path::new(&self.config.path), e))?;
        }
        Ok(Delivered::default())
    }

    fn close(&mut self) -> Result<Delivered, SinkError> {
        self.finish_file()
    }
}

impl FileSink {
    /// Writes a batch, starting new files at rotation boundaries.
    fn write_rows(&mut self, batch: &RecordBatch, text: Option<&Encoded>) -> Result<Delivered, SinkError> {
        let Some(limit) = self.config.rotate_rows else {
            return self.write_piece(batch, text.map(|e| e.bytes.as_slice()));
        };
        let mut total = Delivered::default();
        let mut offset = 0usize;
        while offset < batch.num_rows() {
            let room = (limit - self.rows_in_file.min(limit)).max(1) as usize;
            let take = room.min(batch.num_rows() - offset);
            let d = self.write_piece(&batch.slice(offset, take), text.map(|e| e.slice(offset, offset + take)))?;
            total += d;
            offset += take;
            if self.rows_in_file >= limit {
                total += self.finish_file()?;
            }
        }
        Ok(total)
    }
}
