//! Uploaded datasets (`POST /datasets`): a CSV or Parquet file sent as
//! multipart, kept in `DATA_DIR/datasets` and made a pool (FULL) of the
//! server under the dataset's name, so models train on it and generators
//! read it like any pool. Records persist in the store; at start every
//! stored dataset's pool is loaded again.

use crate::error::ApiError;
use crate::model::{PoolColumn, now};
use crate::store::{DATASETS, Store};
use parking_lot::Mutex;
use sdg_engine::Resources;
use sdg_engine::pool::{PoolOrigin, PoolSource, PoolSpec, PoolStrategy};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use utoipa::ToSchema;

/// A dataset as stored and answered.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct DatasetRecord {
    /// The dataset's id (a UUID).
    pub id: String,
    /// Its name, which is also its pool's (`GET /pools/{name}`).
    pub name: String,
    /// csv or parquet.
    pub format: String,
    /// The uploaded file's name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file_name: Option<String>,
    /// Bytes of the file.
    pub bytes: u64,
    /// Rows read from it.
    pub rows: u64,
    /// Its columns and their types.
    pub columns: Vec<PoolColumn>,
    /// RFC 3339, UTC.
    pub created_at: String,
}

/// The form of `POST /datasets` (multipart/form-data).
#[derive(Debug, ToSchema)]
#[allow(dead_code)]
pub struct DatasetUpload {
    /// The data: a CSV file with a header line, or a Parquet file.
    #[schema(value_type = String, format = Binary)]
    pub file: Vec<u8>,
    /// The dataset's (and its pool's) name: letters, digits, `_`, `-`, `.` (default: the file's name without its extension).
    pub name: Option<String>,
    /// csv or parquet (default: from the file's first bytes).
    pub format: Option<String>,
}

/// An upload written to its staging file.
#[derive(Debug)]
pub struct Upload {
    /// The file it was written to (`Datasets::staging`).
    pub staged: PathBuf,
    /// The dataset's name.
    pub name: String,
    /// csv or parquet, when the form said.
    pub format: Option<String>,
    /// The uploaded file's name.
    pub file_name: Option<String>,
}

/// The datasets of this server.
pub struct Datasets {
    map: Mutex<BTreeMap<String, DatasetRecord>>,
    store: std::sync::Arc<Store>,
    dir: PathBuf,
}

impl std::fmt::Debug for Datasets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Datasets").field("count", &self.map.lock().len()).finish()
    }
}

fn no_dataset(id: &str) -> ApiError {
    ApiError::not_found(format!("there is no dataset `{id}` (GET /api/v1/datasets lists them)"))
}

/// The pool of a dataset's file.
fn pool_spec(name: &str, path: &Path, format: &str) -> PoolSpec {
    PoolSpec {
        name: name.to_string(),
        source: PoolSource::File { path: path.to_string_lossy().into_owned(), format: Some(format.to_string()) },
        query: None,
        strategy: PoolStrategy::Full,
        sample: None,
        index: Vec::new(),
        schema: Default::default(),
    }
}

/// A dataset name: 1–100 characters, letters, digits, `_`, `-` and `.`.
pub fn check_name(name: &str) -> Result<(), ApiError> {
    let ok = !name.is_empty()
        && name.len() <= 100
        && name.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
        && !name.starts_with('.');
    if ok {
        Ok(())
    } else {
        Err(ApiError::validation(format!(
            "the dataset name {name:?} is not valid: use 1 to 100 letters, digits, `_`, `-` or `.` (not first)"
        )))
    }
}

/// A default name from an uploaded file's name: its stem, other characters as `_`.
pub fn name_from_file(file_name: &str) -> String {
    let base = file_name.rsplit(['/', '\\']).next().unwrap_or(file_name);
    let stem = base.rsplit_once('.').map_or(base, |(s, _)| s);
    let cleaned: String = stem
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() || matches!(c, '_' | '-') { c } else { '_' })
        .take(100)
        .collect();
    if cleaned.is_empty() { "dataset".into() } else { cleaned }
}

impl Datasets {
    /// Loads the stored datasets and their pools into `resources`.
    pub fn open(store: std::sync::Arc<Store>, data_dir: &Path, resources: &Resources) -> anyhow::Result<Self> {
        let dir = data_dir.join("datasets");
        std::fs::create_dir_all(&dir).map_err(|e| anyhow::anyhow!("creating {}: {e}", dir.display()))?;
        let mut map = BTreeMap::new();
        for rec in store.load_docs::<DatasetRecord>(DATASETS)? {
            let path = dir.join(format!("{}.{}", rec.id, rec.format));
            let spec = pool_spec(&rec.name, &path, &rec.format);
            if let Err(e) = resources.add(spec, PoolOrigin::Dataset { id: rec.id.clone() }) {
                tracing::warn!(dataset = %rec.id, error = %e, "an uploaded dataset did not load; its pool is FAILED");
            }
            map.insert(rec.id.clone(), rec);
        }
        Ok(Self { map: Mutex::new(map), store, dir })
    }

    /// Where an upload is written before it is checked.
    pub fn staging(&self) -> PathBuf {
        self.dir.join(format!(".upload-{}", uuid::Uuid::new_v4()))
    }

    /// Makes an upload a dataset: checks it loads as a pool, then stores
    /// it. The staged file is moved or removed, whatever happens.
    pub fn add(&self, upload: Upload, resources: &Resources) -> Result<DatasetRecord, ApiError> {
        let staged = upload.staged.clone();
        let result = self.add_staged(upload, resources);
        let _ = std::fs::remove_file(staged);
        result
    }

    fn add_staged(&self, upload: Upload, resources: &Resources) -> Result<DatasetRecord, ApiError> {
        let Upload { staged, name, format, file_name } = upload;
        let staged = staged.as_path();
        check_name(&name)?;
        let bytes = std::fs::metadata(staged).map(|m| m.len()).map_err(|e| ApiError::internal(e.to_string()))?;
        if bytes == 0 {
            return Err(ApiError::validation("the uploaded file is empty"));
        }
        let format = match format.map(|f| f.to_ascii_lowercase()) {
            Some(f) if f == "csv" || f == "parquet" => f,
            Some(f) => return Err(ApiError::validation(format!("format `{f}` is not csv or parquet"))),
            None => sniff(staged, file_name.as_deref()),
        };
        if let Some(other) = resources.get(&name) {
            return Err(ApiError::conflict(
                format!(
                    "a pool named `{name}` exists already ({}); send another `name`, or DELETE the dataset of that name first",
                    other.spec().source_text()
                ),
                "exists",
            ));
        }
        let id = uuid::Uuid::new_v4().to_string();
        let path = self.dir.join(format!("{id}.{format}"));
        std::fs::rename(staged, &path).map_err(|e| ApiError::internal(format!("keeping the upload: {e}")))?;
        let spec = pool_spec(&name, &path, &format);
        let entry = match resources.add(spec, PoolOrigin::Dataset { id: id.clone() }) {
            Ok(e) => e,
            Err(e) => {
                resources.remove(&name);
                let _ = std::fs::remove_file(&path);
                return Err(ApiError::new(
                    axum::http::StatusCode::UNPROCESSABLE_ENTITY,
                    "VALIDATION_ERROR",
                    format!(
                        "the file is not a readable {format} table: {}",
                        e.replace(&path.to_string_lossy().into_owned(), "the upload")
                    ),
                ));
            }
        };
        let report = entry.report();
        let rec = DatasetRecord {
            id: id.clone(),
            name,
            format,
            file_name,
            bytes,
            rows: report.rows as u64,
            columns: report.columns.into_iter().map(|c| PoolColumn { name: c.name, kind: c.kind }).collect(),
            created_at: now(),
        };
        if let Err(e) = self.store.put_doc(DATASETS, &id, &rec, 1) {
            resources.remove(&rec.name);
            let _ = std::fs::remove_file(&path);
            return Err(e);
        }
        self.map.lock().insert(id, rec.clone());
        Ok(rec)
    }

    /// Every dataset, newest first.
    pub fn list(&self) -> Vec<DatasetRecord> {
        let mut all: Vec<DatasetRecord> = self.map.lock().values().cloned().collect();
        all.sort_by(|a, b| b.created_at.cmp(&a.created_at).then_with(|| a.id.cmp(&b.id)));
        all
    }

    /// A dataset by id or name.
    pub fn get(&self, key: &str) -> Result<DatasetRecord, ApiError> {
        let map = self.map.lock();
        map.get(key).or_else(|| map.values().find(|d| d.name == key)).cloned().ok_or_else(|| no_dataset(key))
    }

    /// The pool (and dataset id, for an upload) that `key` names: a dataset's
    /// id or name, or any pool's name.
    pub fn resolve(&self, key: &str, resources: &Resources) -> Result<(String, Option<String>), ApiError> {
        if let Ok(d) = self.get(key) {
            return Ok((d.name, Some(d.id)));
        }
        if resources.get(key).is_some() {
            return Ok((key.to_string(), None));
        }
        let mut known = resources.names();
        known.truncate(20);
        Err(ApiError::not_found(format!(
            "there is no dataset or pool `{key}`; upload one with POST /api/v1/datasets{}",
            if known.is_empty() { String::new() } else { format!(", or use a pool: {}", known.join(", ")) }
        )))
    }

    /// Deletes a dataset, its pool and its file (generators and models that
    /// read it keep the version they hold).
    pub fn delete(&self, key: &str, resources: &Resources) -> Result<DatasetRecord, ApiError> {
        let rec = self.get(key)?;
        self.store.delete_docs(DATASETS, &[&rec.id])?;
        self.map.lock().remove(&rec.id);
        resources.remove(&rec.name);
        let _ = std::fs::remove_file(self.dir.join(format!("{}.{}", rec.id, rec.format)));
        Ok(rec)
    }
}

/// Parquet by its magic bytes, else by the file name, else CSV.
fn sniff(path: &Path, file_name: Option<&str>) -> String {
    let mut head = [0u8; 4];
    let parquet = std::fs::File::open(path)
        .and_then(|mut f| std::io::Read::read_exact(&mut f, &mut head))
        .is_ok_and(|()| &head == b"PAR1");
    let named = file_name.is_some_and(|n| {
        let n = n.to_ascii_lowercase();
        n.ends_with(".parquet") || n.ends_with(".pq")
    });
    if parquet || named { "parquet".into() } else { "csv".into() }
}
