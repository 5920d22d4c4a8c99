//! sdg-pools: the pool loaders of the sdg binary. It implements the engine's
//! [`PoolLoader`]: a source (file, PostgreSQL, inline) is read as a stream
//! of Arrow batches, an optional `query` runs over it (DataFusion, feature
//! `query`), and the strategy decides how the rows are held: FULL and
//! SAMPLED in memory (a SAMPLED pool samples while reading, never holding
//! the source), INDEXED written once to an Arrow IPC file in the cache
//! directory and memory-mapped, with only its hash indexes on the heap.

mod files;
mod mapped;
mod postgres;
#[cfg(feature = "query")]
mod query;

use arrow_array::RecordBatch;
use arrow_schema::{DataType, Field, Schema, SchemaRef, TimeUnit};
use sdg_engine::pool::{Pool, PoolLoader, PoolSource, PoolSpec, PoolStrategy};
use std::path::PathBuf;
use std::sync::Arc;

/// Rows per batch read from a source.
pub(crate) const READ_BATCH: usize = 65_536;

/// A source read as batches.
pub(crate) type Batches = Box<dyn Iterator<Item = Result<RecordBatch, String>>>;

/// Whether this build runs `query:` (the `query` feature, with DataFusion).
pub const QUERY: bool = cfg!(feature = "query");

/// The pool loader of the sdg binary.
#[derive(Debug, Clone)]
pub struct Loader {
    cache_dir: PathBuf,
}

impl Default for Loader {
    fn default() -> Self {
        Self::new(default_cache_dir())
    }
}

/// `$SDG_POOL_CACHE`, else `$XDG_CACHE_HOME/sdg/pools`, else `~/.cache/sdg/pools`, else the temp dir.
pub fn default_cache_dir() -> PathBuf {
    if let Some(d) = std::env::var_os("SDG_POOL_CACHE") {
        return PathBuf::from(d);
    }
    if let Some(d) = std::env::var_os("XDG_CACHE_HOME") {
        return PathBuf::from(d).join("sdg/pools");
    }
    match std::env::var_os("HOME") {
        Some(h) => PathBuf::from(h).join(".cache/sdg/pools"),
        None => std::env::temp_dir().join("sdg-pools"),
    }
}

impl Loader {
    /// A loader keeping INDEXED pools' files in `cache_dir`.
    pub fn new(cache_dir: PathBuf) -> Self {
        Self { cache_dir }
    }

    /// Where INDEXED pools' files go.
    pub fn cache_dir(&self) -> &std::path::Path {
        &self.cache_dir
    }
}

impl PoolLoader for Loader {
    fn load(&self, spec: &PoolSpec) -> Result<Pool, String> {
        let (schema, batches) = open(spec)?;
        let (schema, batches) = match &spec.query {
            None => (schema, batches),
            Some(sql) => run_query(spec, sql, schema, batches)?,
        };
        // Index columns of dictionary text are indexed as plain text.
        let (schema, batches) = plain_index_columns(spec, schema, batches)?;
        match spec.strategy {
            PoolStrategy::Indexed => mapped::load(spec, schema, batches, &self.cache_dir),
            _ => sdg_engine::pool::from_batches(spec, schema, batches),
        }
    }
}

#[cfg(feature = "query")]
fn run_query(spec: &PoolSpec, sql: &str, schema: SchemaRef, batches: Batches) -> Result<(SchemaRef, Batches), String> {
    query::run(&spec.name, sql, schema, batches)
}

#[cfg(not(feature = "query"))]
fn run_query(_: &PoolSpec, _: &str, _: SchemaRef, _: Batches) -> Result<(SchemaRef, Batches), String> {
    Err("`query` needs sdg built with the `query` feature (DataFusion): \
         cargo install --path cli --features query; or filter the rows in the source (a PostgreSQL query, a prepared file)"
        .into())
}

/// Opens the source as a stream of batches with the `schema:` overrides applied.
fn open(spec: &PoolSpec) -> Result<(SchemaRef, Batches), String> {
    let overrides = overrides(spec)?;
    let (schema, batches) = match &spec.source {
        PoolSource::File { path, format } => files::open(path, format.as_deref(), &overrides)?,
        PoolSource::Postgres { url, query } => postgres::open(url, query)?,
        PoolSource::Inline { columns } => {
            let b = sdg_engine::pool::inline_batch(columns)?;
            (b.schema(), Box::new(std::iter::once(Ok(b))) as Batches)
        }
    };
    cast_to(schema, batches, &overrides)
}

/// The `schema:` of a pool as Arrow types.
pub(crate) fn overrides(spec: &PoolSpec) -> Result<Vec<(String, DataType)>, String> {
    spec.schema
        .iter()
        .map(|(col, t)| {
            let dt = match t.to_ascii_lowercase().as_str() {
                "string" => DataType::Utf8,
                "int64" => DataType::Int64,
                "int32" => DataType::Int32,
                "float64" => DataType::Float64,
                "boolean" => DataType::Boolean,
                "date" => DataType::Date32,
                "timestamp" => DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into())),
                other => return Err(format!("schema: unknown type `{other}` for column `{col}`")),
            };
            Ok((col.clone(), dt))
        })
        .collect()
}

/// Casts the columns named in `overrides` (and fails on names that are not columns).
fn cast_to(
    schema: SchemaRef,
    batches: Batches,
    overrides: &[(String, DataType)],
) -> Result<(SchemaRef, Batches), String> {
    let mut targets = Vec::new();
    for (col, dt) in overrides {
        let Some((i, f)) = schema.column_with_name(col) else {
            let names: Vec<&str> = schema.fields().iter().map(|f| f.name().as_str()).collect();
            return Err(format!("schema: `{col}` is not a column of the source (its columns: {})", names.join(", ")));
        };
        if f.data_type() != dt {
            targets.push((i, dt.clone()));
        }
    }
    if targets.is_empty() {
        return Ok((schema, batches));
    }
    let fields: Vec<Field> = schema
        .fields()
        .iter()
        .enumerate()
        .map(|(i, f)| match targets.iter().find(|(t, _)| *t == i) {
            Some((_, dt)) => Field::new(f.name(), dt.clone(), true),
            None => f.as_ref().clone(),
        })
        .collect();
    let new_schema = Arc::new(Schema::new(fields));
    let out = Arc::clone(&new_schema);
    let names: Vec<String> = schema.fields().iter().map(|f| f.name().clone()).collect();
    let iter = batches.map(move |b| {
        let b = b?;
        let mut cols = b.columns().to_vec();
        for (i, dt) in &targets {
            cols[*i] = arrow_cast::cast(&cols[*i], dt).map_err(|e| format!("column `{}` as {dt}: {e}", names[*i]))?;
        }
        RecordBatch::try_new(Arc::clone(&out), cols).map_err(|e| e.to_string())
    });
    Ok((new_schema, Box::new(iter)))
}

/// Dictionary-encoded text key columns become plain text (what the index reads).
fn plain_index_columns(spec: &PoolSpec, schema: SchemaRef, batches: Batches) -> Result<(SchemaRef, Batches), String> {
    let dict: Vec<(String, DataType)> = spec
        .index
        .iter()
        .filter_map(|c| schema.field_with_name(c).ok())
        .filter(|f| matches!(f.data_type(), DataType::Dictionary(_, _)))
        .map(|f| (f.name().clone(), DataType::Utf8))
        .collect();
    cast_to(schema, batches, &dict)
}

/// Makes a pool's relative file path relative to `base` (the declaring file's directory).
pub fn resolve_paths(pool: &mut PoolSpec, base: &std::path::Path) {
    if let PoolSource::File { path, .. } = &mut pool.source
        && std::path::Path::new(path.as_str()).is_relative()
    {
        *path = base.join(path.as_str()).to_string_lossy().into_owned();
    }
}

/// The directory of a file (`-` and bare names: the working directory).
pub fn base_dir(file: &std::path::Path) -> PathBuf {
    match file.parent() {
        Some(p) if !p.as_os_str().is_empty() && file.as_os_str() != "-" => p.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// Reads one pool file (the keys of one `pools:` entry), its relative paths
/// made relative to the file; every problem is reported with the file's name.
pub fn read_pool_file(path: &std::path::Path) -> Result<PoolSpec, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("reading pool file {}: {e}", path.display()))?;
    let mut spec = sdg_engine::pool::parse_pool_yaml(&text).map_err(|issues| {
        let all: Vec<String> = issues.iter().map(|i| format!("{}: {i}", path.display())).collect();
        all.join("\n")
    })?;
    resolve_paths(&mut spec, &base_dir(path));
    Ok(spec)
}

/// The pool files of a directory (`*.yaml`, `*.yml`), sorted by name.
pub fn pool_files(dir: &std::path::Path) -> Result<Vec<PathBuf>, String> {
    let entries = std::fs::read_dir(dir).map_err(|e| format!("reading the pools directory {}: {e}", dir.display()))?;
    let mut files: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "yaml" || x == "yml"))
        .collect();
    files.sort();
    Ok(files)
}
