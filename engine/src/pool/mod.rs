//! Pools of reference data: loaded once (FULL, SAMPLED or INDEXED), held as
//! Arrow columns, shared read-only by every worker and generator, read by the
//! POOL_REFERENCE and POOL_DERIVED mapping types.
//!
//! The engine owns the model ([`PoolSpec`]), the in-memory form ([`Pool`]:
//! columns in chunks, hash indexes, per-version pick tables), the seeded
//! samplers, inline sources, and the registry a plan compiles against
//! ([`Resources`]). Reading files, PostgreSQL and SQL queries lives in the
//! `sdg-pools` crate, which implements [`PoolLoader`]; so this crate needs
//! neither DataFusion nor a database client.

mod index;
mod inline;
mod registry;
mod sample;
mod spec;

pub(crate) use index::{KeyColumn, int_chunk, text_chunk};
pub use index::{KeyIndex, KeyKind, hash_int, hash_text};
pub use inline::inline_batch;
pub use registry::{
    ColumnReport, PoolEntry, PoolLoader, PoolOrigin, PoolReport, PoolStatus, Resolved, Resources, from_batches,
};
pub use sample::Sampler;
pub use spec::{
    DEFAULT_SAMPLE_SEED, FORMATS, POOL_KEYS, PoolSource, PoolSpec, PoolStrategy, SampleSpec, TYPE_NAMES, hide_password,
    parse_pool_yaml, read_pool,
};

use crate::mapping::alias::AliasTable;
use arrow_array::{Array, ArrayRef, RecordBatch, UInt32Array, make_array};
use arrow_buffer::{NullBuffer, ScalarBuffer};
use arrow_schema::{ArrowError, SchemaRef};
use parking_lot::Mutex;
use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

/// Rows per chunk of a memory-mapped pool.
pub const MAPPED_CHUNK_ROWS: usize = 1 << 16;

/// The loaded rows of a pool: one version, immutable.
pub struct Pool {
    schema: SchemaRef,
    /// `columns[c][k]`: chunk `k` of column `c`.
    columns: Vec<Vec<ArrayRef>>,
    chunk_rows: usize,
    rows: usize,
    /// Per column, its hash index when it is a key column.
    indexes: Vec<Option<KeyIndex>>,
    memory_bytes: usize,
    mapped_bytes: usize,
    /// Keeps what the columns point into (a memory map, its file) alive.
    _backing: Option<Box<dyn Send + Sync>>,
    /// Pick tables built for this version (weights, zipf), by (kind, column, parameter).
    tables: Mutex<HashMap<(u8, usize, u64), Arc<AliasTable>>>,
}

impl fmt::Debug for Pool {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Pool").field("rows", &self.rows).field("columns", &self.schema.fields().len()).finish()
    }
}

impl Pool {
    /// A pool held in memory: `batches` are concatenated into one chunk.
    pub fn in_memory(schema: SchemaRef, batches: &[RecordBatch], index: &[String]) -> Result<Self, String> {
        let batch = arrow_select::concat::concat_batches(&schema, batches).map_err(|e| e.to_string())?;
        let rows = batch.num_rows();
        let columns: Vec<Vec<ArrayRef>> = batch.columns().iter().map(|c| vec![Arc::clone(c)]).collect();
        let memory: usize = batch.columns().iter().map(|c| c.get_array_memory_size()).sum();
        Self::assemble(schema, columns, rows.max(1), rows, index, memory, 0, None)
    }

    /// A pool over chunks of `chunk_rows` rows (the last may be shorter) that
    /// live in `backing` (a memory-mapped file): only the indexes are on the heap.
    pub fn mapped(
        schema: SchemaRef,
        batches: Vec<RecordBatch>,
        chunk_rows: usize,
        index: &[String],
        mapped_bytes: usize,
        backing: Box<dyn Send + Sync>,
    ) -> Result<Self, String> {
        let rows: usize = batches.iter().map(RecordBatch::num_rows).sum();
        if let Some((k, b)) =
            batches.iter().enumerate().find(|(k, b)| *k + 1 < batches.len() && b.num_rows() != chunk_rows)
        {
            return Err(format!("chunk {k} has {} rows, expected {chunk_rows}", b.num_rows()));
        }
        let mut columns: Vec<Vec<ArrayRef>> = vec![Vec::with_capacity(batches.len()); schema.fields().len()];
        for b in &batches {
            for (c, col) in b.columns().iter().enumerate() {
                columns[c].push(Arc::clone(col));
            }
        }
        if batches.is_empty() {
            for (c, f) in schema.fields().iter().enumerate() {
                columns[c].push(arrow_array::new_empty_array(f.data_type()));
            }
        }
        Self::assemble(schema, columns, chunk_rows.max(1), rows, index, 0, mapped_bytes, Some(backing))
    }

    #[allow(clippy::too_many_arguments)]
    fn assemble(
        schema: SchemaRef,
        columns: Vec<Vec<ArrayRef>>,
        chunk_rows: usize,
        rows: usize,
        index: &[String],
        data_bytes: usize,
        mapped_bytes: usize,
        backing: Option<Box<dyn Send + Sync>>,
    ) -> Result<Self, String> {
        let mut indexes: Vec<Option<KeyIndex>> = (0..columns.len()).map(|_| None).collect();
        for name in index {
            let Some((c, _)) = schema.column_with_name(name) else {
                let names: Vec<&str> = schema.fields().iter().map(|f| f.name().as_str()).collect();
                return Err(format!(
                    "index column `{name}` is not a column of the pool (its columns: {})",
                    names.join(", ")
                ));
            };
            if indexes[c].is_none() {
                indexes[c] = Some(
                    KeyIndex::build(&columns[c], chunk_rows, rows)
                        .map_err(|e| format!("index column `{name}`: {e}"))?,
                );
            }
        }
        let index_bytes: usize = indexes.iter().flatten().map(KeyIndex::memory_bytes).sum();
        Ok(Self {
            schema,
            columns,
            chunk_rows,
            rows,
            indexes,
            memory_bytes: data_bytes + index_bytes,
            mapped_bytes,
            _backing: backing,
            tables: Mutex::new(HashMap::new()),
        })
    }

    /// Columns and their Arrow types.
    pub fn schema(&self) -> &SchemaRef {
        &self.schema
    }

    /// Rows in the pool.
    pub fn rows(&self) -> usize {
        self.rows
    }

    /// Bytes on the heap: in-memory columns and indexes.
    pub fn memory_bytes(&self) -> usize {
        self.memory_bytes
    }

    /// Bytes memory-mapped from the cache file (INDEXED), resident only as read.
    pub fn mapped_bytes(&self) -> usize {
        self.mapped_bytes
    }

    /// The position of column `name`.
    pub fn column_index(&self, name: &str) -> Option<usize> {
        self.schema.column_with_name(name).map(|(i, _)| i)
    }

    /// The index of column `c`, when it is a key column.
    pub fn index(&self, c: usize) -> Option<&KeyIndex> {
        self.indexes.get(c).and_then(Option::as_ref)
    }

    /// Chunks of column `c`.
    pub(crate) fn chunks(&self, c: usize) -> &[ArrayRef] {
        &self.columns[c]
    }

    /// Rows per chunk.
    pub(crate) fn chunk_rows(&self) -> usize {
        self.chunk_rows
    }

    /// Column `c`, whole (its chunks concatenated): what a copula fits on.
    pub fn column(&self, c: usize) -> Result<ArrayRef, ArrowError> {
        let chunks = &self.columns[c];
        if chunks.len() == 1 {
            return Ok(Arc::clone(&chunks[0]));
        }
        let refs: Vec<&dyn Array> = chunks.iter().map(|a| a.as_ref()).collect();
        arrow_select::concat::concat(&refs)
    }

    /// The first `n` rows, as one batch (reports, previews).
    pub fn head(&self, n: usize) -> Result<RecordBatch, ArrowError> {
        let picks: ScalarBuffer<u32> = (0..n.min(self.rows) as u32).collect();
        let columns = (0..self.columns.len()).map(|c| self.gather(c, &picks, None)).collect::<Result<Vec<_>, _>>()?;
        RecordBatch::try_new_with_options(
            Arc::clone(&self.schema),
            columns,
            &arrow_array::RecordBatchOptions::new().with_row_count(Some(picks.len())),
        )
    }

    /// Column `c` at the pool rows `picks`; rows null in `nulls` are null.
    /// (`picks` is shared, not copied, by the gathers of one group.)
    pub fn gather(
        &self,
        c: usize,
        picks: &ScalarBuffer<u32>,
        nulls: Option<&NullBuffer>,
    ) -> Result<ArrayRef, ArrowError> {
        let chunks = &self.columns[c];
        if chunks.len() == 1 {
            let indices = UInt32Array::new(picks.clone(), nulls.cloned());
            return arrow_select::take::take(chunks[0].as_ref(), &indices, None);
        }
        let per = self.chunk_rows;
        let pairs: Vec<(usize, usize)> = picks.iter().map(|&r| (r as usize / per, r as usize % per)).collect();
        let refs: Vec<&dyn Array> = chunks.iter().map(|a| a.as_ref()).collect();
        let out = arrow_select::interleave::interleave(&refs, &pairs)?;
        Ok(match nulls {
            None => out,
            Some(n) => {
                let merged = NullBuffer::union(out.logical_nulls().as_ref(), Some(n));
                let data = out.into_data().into_builder().nulls(merged).build()?;
                make_array(data)
            }
        })
    }

    /// A pick table of this version, built once (`build` runs on the first call).
    pub(crate) fn table(
        &self,
        key: (u8, usize, u64),
        build: impl FnOnce(&Self) -> Result<AliasTable, String>,
    ) -> Result<Arc<AliasTable>, String> {
        if let Some(t) = self.tables.lock().get(&key) {
            return Ok(Arc::clone(t));
        }
        let t = Arc::new(build(self)?);
        self.tables.lock().insert(key, Arc::clone(&t));
        Ok(t)
    }
}
