//! Trained models (seed 002): a model is trained on a dataset (a pool,
//! perhaps an upload) by a `train` job, then samples rows by `generate` jobs
//! and feeds generators (`copulas: [{ source: { trained: NAME } }]`).
//!
//! Model types plug in through [`ModelType`]: what a type accepts as
//! `config`, how it trains, how its artifact is made available to
//! generators, and the generator definition that samples it (so a generate
//! job runs through the same pipeline and sinks as any generator). This
//! build has one, `gaussian_copula` ([`GaussianCopula`]); the neural types
//! seed 002 also names (`ctgan`, `copulagan`, `tvae`) are answered with a
//! 422 that says they are not in this build — one more `ModelType` each
//! makes them work.

use crate::error::ApiError;
use crate::jobs::{JobCtx, JobOutput, JobRecord, JobStatus, Jobs, OnDone, Work};
use crate::model::now;
use crate::store::{MODELS, Store};
use axum::http::StatusCode;
use parking_lot::Mutex;
use sdg_engine::Resources;
use sdg_engine::copula::{self, FitColumn, MarginalsSpec, Model, fidelity};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
use std::collections::BTreeMap;
use std::sync::Arc;
use utoipa::ToSchema;

/// A model type of `GET /model-types`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ModelTypeInfo {
    /// The `model_type` of `POST /models`.
    pub id: String,
    pub name: String,
    pub description: String,
    /// The keys of its `config`, each with its meaning and default.
    #[schema(value_type = Object)]
    pub config: Value,
}

/// What training produced.
pub struct Trained {
    /// The model file (JSON): what generators load and `GET /models/{id}/download` sends.
    pub artifact: Value,
    /// Rows of the dataset it was trained on.
    pub source_rows: u64,
    /// Its columns and what each holds.
    pub columns: Vec<ColumnInfo>,
    /// The fidelity report of rows it samples against the dataset.
    pub fidelity: Option<Value>,
}

/// One column of a trained model.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ColumnInfo {
    pub name: String,
    /// float, integer, timestamp, categorical or boolean.
    pub kind: String,
    /// The marginal family (numeric columns), or the number of categories.
    pub detail: String,
    /// The share of null rows in the dataset.
    pub null_rate: f64,
}

/// A generation request, checked.
#[derive(Debug, Clone, Serialize)]
pub struct GenerateRequest {
    pub num_rows: u64,
    pub seed: u64,
    pub conditions: Map<String, Value>,
    pub format: String,
    /// The columns to generate (all when empty).
    pub columns: Vec<String>,
}

/// A kind of model this server trains.
pub trait ModelType: Send + Sync {
    fn info(&self) -> ModelTypeInfo;
    /// Checks `config` against the dataset's columns; the config with every
    /// default filled in (stored, so a model can be trained again alike).
    fn configure(&self, config: &Map<String, Value>, columns: &[String]) -> Result<Value, ApiError>;
    /// Trains on `data` (the configured columns of the dataset).
    fn train(&self, data: &[FitColumn], config: &Value, ctx: &JobCtx) -> Result<Trained, String>;
    /// Makes a trained artifact available to generators under each of `names`.
    fn register(&self, artifact: &Value, names: &[&str], resources: &Resources) -> Result<(), String>;
    /// Checks generation conditions and columns against the artifact.
    fn check_generate(&self, artifact: &Value, req: &GenerateRequest) -> Result<(), String>;
    /// The generator definition a generate job runs (its destination is filled in by the job).
    fn generator(&self, model_id: &str, artifact: &Value, req: &GenerateRequest) -> Value;
}

/// Model types seed 002 names that this build cannot train.
const ELSEWHERE: &[(&str, &str)] = &[("ctgan", "CTGAN"), ("copulagan", "CopulaGAN"), ("tvae", "TVAE")];

/// The Gaussian copula of `sdg fit` and `copulas:` (sdg_engine::copula).
pub struct GaussianCopula;

/// `config` of a gaussian_copula model.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct CopulaConfig {
    /// The columns to model together (default: every column of the dataset).
    #[serde(default)]
    columns: Vec<String>,
    /// `auto`, a family, or one per column.
    #[serde(default)]
    marginals: Option<MarginalsSpec>,
    /// The fit's seed (ties), and the fidelity sample's.
    #[serde(default)]
    seed: Option<u64>,
    /// Rows sampled for the fidelity report (0: none).
    #[serde(default)]
    fidelity_rows: Option<usize>,
}

const FIDELITY_ROWS: usize = 10_000;
const MAX_FIDELITY_ROWS: usize = 1_000_000;

fn copula_of(artifact: &Value) -> Result<Model, String> {
    Model::from_json(&artifact.to_string())
}

impl ModelType for GaussianCopula {
    fn info(&self) -> ModelTypeInfo {
        ModelTypeInfo {
            id: "gaussian_copula".into(),
            name: "Gaussian Copula".into(),
            description: "Statistical copula model: per-column marginals (auto-chosen by KS) joined by the correlation of normal scores; fits in a second, samples millions of rows a second, conditions exactly".into(),
            config: json!({
                "columns": { "type": "array of column names", "default": "every column of the dataset" },
                "marginals": { "type": "auto | empirical | norm | beta | truncnorm | gamma | uniform | kde, or { column: family }", "default": "auto" },
                "seed": { "type": "integer", "default": 0, "description": "Random seed for reproducibility (ties in the data, the fidelity sample)" },
                "fidelity_rows": { "type": "integer", "default": FIDELITY_ROWS, "description": "Rows sampled for the fidelity report, 0–1000000 (0: no report)" },
            }),
        }
    }

    fn configure(&self, config: &Map<String, Value>, columns: &[String]) -> Result<Value, ApiError> {
        let mut c: CopulaConfig = serde_json::from_value(Value::Object(config.clone())).map_err(|e| {
            ApiError::validation(format!(
                "config: {e} (gaussian_copula takes columns, marginals, seed and fidelity_rows; GET /api/v1/model-types)"
            ))
        })?;
        if c.columns.is_empty() {
            c.columns = columns.to_vec();
        }
        for (k, name) in c.columns.iter().enumerate() {
            if !columns.contains(name) {
                let refs: Vec<&str> = columns.iter().map(String::as_str).collect();
                let hint = match sdg_engine::issue::closest(name, &refs) {
                    Some(x) => format!("did you mean `{x}`?"),
                    None => format!("its columns: {}", columns.join(", ")),
                };
                return Err(ApiError::validation(format!(
                    "config.columns[{k}]: the dataset has no column `{name}`; {hint}"
                )));
            }
            if c.columns[..k].contains(name) {
                return Err(ApiError::validation(format!("config.columns[{k}]: `{name}` is listed twice")));
            }
            MarginalsSpec::family(c.marginals.as_ref(), name)
                .map_err(|e| ApiError::validation(format!("config.marginals: {e}")))?;
        }
        if let Some(MarginalsSpec::PerColumn(m)) = &c.marginals
            && let Some(other) = m.keys().find(|k| !c.columns.contains(k))
        {
            return Err(ApiError::validation(format!(
                "config.marginals names `{other}`, which is not a column of the model ({})",
                c.columns.join(", ")
            )));
        }
        let rows = c.fidelity_rows.unwrap_or(FIDELITY_ROWS);
        if rows > MAX_FIDELITY_ROWS {
            return Err(ApiError::validation(format!(
                "config.fidelity_rows is {rows}; the report samples at most {MAX_FIDELITY_ROWS} rows"
            )));
        }
        c.fidelity_rows = Some(rows);
        c.seed = Some(c.seed.unwrap_or(0));
        c.marginals = Some(c.marginals.unwrap_or_else(|| MarginalsSpec::All("auto".into())));
        serde_json::to_value(c).map_err(|e| ApiError::internal(e.to_string()))
    }

    fn train(&self, data: &[FitColumn], config: &Value, ctx: &JobCtx) -> Result<Trained, String> {
        let c: CopulaConfig = serde_json::from_value(config.clone()).map_err(|e| format!("the stored config: {e}"))?;
        let seed = c.seed.unwrap_or(0);
        ctx.progress(0.1, "fitting");
        let model = copula::fit(data, c.marginals.as_ref(), seed)?;
        if ctx.cancelled() {
            return Err("cancelled".into());
        }
        let rows = c.fidelity_rows.unwrap_or(FIDELITY_ROWS);
        let report = if rows > 0 {
            ctx.progress(0.6, "evaluating");
            let r = fidelity::of_model(&model, data, rows, seed)?;
            Some(serde_json::to_value(r).map_err(|e| e.to_string())?)
        } else {
            None
        };
        let columns = model
            .columns
            .iter()
            .map(|c| ColumnInfo {
                name: c.name.clone(),
                kind: serde_json::to_value(c.kind)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_string))
                    .unwrap_or_default(),
                detail: match (&c.marginal, c.categories.len()) {
                    (Some(m), _) => m.family().to_string(),
                    (None, 0) => "always null".into(),
                    (None, n) => format!("{n} categories"),
                },
                null_rate: c.null_rate,
            })
            .collect();
        let artifact = serde_json::to_value(&model).map_err(|e| e.to_string())?;
        Ok(Trained { artifact, source_rows: model.source_rows, columns, fidelity: report })
    }

    fn register(&self, artifact: &Value, names: &[&str], resources: &Resources) -> Result<(), String> {
        let model = Arc::new(copula_of(artifact)?);
        for n in names {
            resources.add_model(n, Arc::clone(&model));
        }
        Ok(())
    }

    fn check_generate(&self, artifact: &Value, req: &GenerateRequest) -> Result<(), String> {
        let model = copula_of(artifact)?;
        let model = if req.columns.is_empty() { model } else { model.select(&req.columns)? };
        copula::Sampler::new(model, &req.conditions).map(|_| ())
    }

    fn generator(&self, model_id: &str, artifact: &Value, req: &GenerateRequest) -> Value {
        let names: Vec<String> = if req.columns.is_empty() {
            artifact["columns"]
                .as_array()
                .map(|cs| cs.iter().filter_map(|c| c["name"].as_str().map(str::to_string)).collect())
                .unwrap_or_default()
        } else {
            req.columns.clone()
        };
        let fields: Vec<Value> = names
            .iter()
            .map(|n| json!({ "name": n, "type": "COPULA_GENERATED", "params": { "model": "m", "column": n } }))
            .collect();
        json!({
            "name": format!("model {model_id}"),
            "seed": req.seed,
            "batch_size": 8192,
            "end_condition": { "type": "RECORD_COUNT", "value": req.num_rows },
            "copulas": [{ "name": "m", "source": { "trained": model_id }, "columns": names, "conditions": req.conditions }],
            "fields": fields,
        })
    }
}

/// A model as stored: what the routes answer, and the trained model file.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ModelRecord {
    #[serde(flatten)]
    pub model: ModelResponse,
    /// The trained model file.
    #[serde(default)]
    pub artifact: Option<Value>,
}

impl std::ops::Deref for ModelRecord {
    type Target = ModelResponse;
    fn deref(&self) -> &ModelResponse {
        &self.model
    }
}

impl std::ops::DerefMut for ModelRecord {
    fn deref_mut(&mut self) -> &mut ModelResponse {
        &mut self.model
    }
}

/// A model, as the model routes answer it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ModelResponse {
    /// The model's id (a UUID).
    pub id: String,
    pub name: String,
    /// gaussian_copula.
    pub model_type: String,
    /// pending (its training job waits), training, ready or failed.
    pub status: String,
    /// Why it failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status_reason: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub project_id: Option<String>,
    /// The pool it was trained on.
    pub dataset_name: String,
    /// The uploaded dataset (`POST /datasets`), when the pool is one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dataset_id: Option<String>,
    /// The pool's version it was trained on (0 until trained).
    pub dataset_version: u64,
    /// The config, with every default filled in.
    #[schema(value_type = Object)]
    pub config: Value,
    /// Its training job.
    pub train_job_id: String,
    /// RFC 3339, UTC.
    pub created_at: String,
    pub updated_at: String,
    /// Rows of the dataset it was trained on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_rows: Option<u64>,
    /// Its columns, once trained.
    pub columns: Vec<ColumnInfo>,
    /// The fidelity report once ready: per column KS (numbers) or TV
    /// (categories), max |Δ Pearson| and |Δ Spearman|, column shapes, pairs, quality.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub fidelity: Option<Value>,
}

/// `GET /models`.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ModelPage {
    pub items: Vec<ModelResponse>,
    /// Models that pass the filters.
    pub total: usize,
    pub limit: usize,
    pub offset: usize,
}

/// `GET /models/{id}`.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ModelDetail {
    pub model: ModelResponse,
    /// Its training and generation jobs, newest first.
    pub jobs: Vec<JobRecord>,
}

/// `POST /models` answers.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ModelCreated {
    /// The model's id.
    pub id: String,
    /// The same (seed 002 has both).
    pub model_id: String,
    /// Its training job.
    pub job_id: String,
    /// pending.
    pub status: String,
}

/// `POST /models/{id}/generate` answers.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct GenerateAccepted {
    /// The generation job (`GET /jobs/{job_id}`, then `/download`).
    pub job_id: String,
    /// The same (seed 002 has both).
    pub synthgen_job_id: String,
    pub model_id: String,
    /// pending.
    pub status: String,
}

/// `POST /models`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateModel {
    /// The model's name (unique on this server): generators use it, `copulas: [{ source: { trained: NAME } }]`.
    #[schema(min_length = 1, max_length = 200, pattern = "\\S")]
    pub name: String,
    /// What to train (default gaussian_copula, the only type this build trains).
    #[schema(value_type = Option<String>, example = "gaussian_copula")]
    pub model_type: Option<String>,
    /// The data to train on: a pool's name (`GET /pools`), or an uploaded dataset's id or name (`POST /datasets`).
    pub dataset: Option<String>,
    /// An uploaded dataset's id (seed 002's name for it; the same as `dataset`).
    pub dataset_version_id: Option<String>,
    /// A label to filter by (`GET /models?project_id=`).
    pub project_id: Option<String>,
    /// The model type's options (`GET /model-types`): for gaussian_copula `columns`, `marginals`, `seed`, `fidelity_rows`.
    #[schema(value_type = Option<Object>)]
    pub config: Option<Map<String, Value>>,
}

/// `POST /models/{id}/generate`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct GenerateBody {
    /// Rows to generate (default 1000; at most the server's `max_job_rows`).
    #[schema(minimum = 1)]
    pub num_rows: Option<u64>,
    /// The seed: the same seed gives the same rows (default: one is drawn and recorded in the job's config).
    pub seed: Option<u64>,
    /// Values every row has (column → value): numbers exactly, a category by its slice.
    #[schema(value_type = Option<Object>)]
    pub conditions: Option<Map<String, Value>>,
    /// csv (default), jsonl, parquet or arrow.
    #[schema(value_type = Option<String>, example = "csv")]
    pub format: Option<String>,
    /// The model's columns to generate (default: all).
    pub columns: Option<Vec<String>>,
}

const FORMATS: &[(&str, &str)] = &[
    ("csv", "text/csv"),
    ("jsonl", "application/x-ndjson"),
    ("parquet", "application/vnd.apache.parquet"),
    ("arrow", "application/vnd.apache.arrow.file"),
];

struct ModelEntry {
    rec: ModelRecord,
    version: u64,
}

/// The trained models of this server.
pub struct Models {
    map: Mutex<BTreeMap<String, ModelEntry>>,
    store: Arc<Store>,
    resources: Resources,
    jobs: Arc<Jobs>,
    types: Vec<Arc<dyn ModelType>>,
    /// Worker threads of a generate job's run.
    workers: usize,
    /// The most rows one generate job may make.
    max_rows: u64,
}

impl std::fmt::Debug for Models {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Models").field("count", &self.map.lock().len()).finish()
    }
}

fn no_model(id: &str) -> ApiError {
    ApiError::not_found(format!("there is no model `{id}` (GET /api/v1/models lists them)"))
}

fn unprocessable(detail: impl Into<String>) -> ApiError {
    ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "VALIDATION_ERROR", detail)
}

impl Models {
    /// Loads the stored models and makes the ready ones available to
    /// generators; one whose training the server interrupted is failed.
    pub fn open(
        store: Arc<Store>,
        resources: Resources,
        jobs: Arc<Jobs>,
        workers: usize,
        max_rows: u64,
    ) -> anyhow::Result<Arc<Self>> {
        let types: Vec<Arc<dyn ModelType>> = vec![Arc::new(GaussianCopula)];
        let mut map = BTreeMap::new();
        for mut rec in store.load_docs::<ModelRecord>(MODELS)? {
            let mut version = 1;
            let ty = types.iter().find(|t| t.info().id == rec.model_type);
            match (&rec.artifact, ty) {
                (Some(a), Some(ty)) if rec.status == "ready" => {
                    if let Err(e) = ty.register(a, &[&rec.id, &rec.name], &resources) {
                        tracing::error!(model = %rec.id, error = %e, "a stored model cannot be read; it is failed");
                        rec.status = "failed".into();
                        rec.status_reason = Some(format!("the stored model cannot be read: {e}; train it again"));
                        version = 2;
                    }
                }
                _ if matches!(rec.status.as_str(), "pending" | "training") => {
                    rec.status = "failed".into();
                    rec.status_reason =
                        Some("the server stopped while the model trained; train it again (POST /api/v1/models)".into());
                    version = 2;
                }
                _ => {}
            }
            if version > 1 {
                rec.updated_at = now();
                store.put_doc(MODELS, &rec.id, &rec, version).map_err(|e| anyhow::anyhow!(e.body.detail))?;
            }
            map.insert(rec.id.clone(), ModelEntry { rec, version });
        }
        Ok(Arc::new(Self { map: Mutex::new(map), store, resources, jobs, types, workers, max_rows }))
    }

    pub fn jobs(&self) -> &Arc<Jobs> {
        &self.jobs
    }

    /// The model types this build trains.
    pub fn types(&self) -> Vec<ModelTypeInfo> {
        self.types.iter().map(|t| t.info()).collect()
    }

    fn model_type(&self, id: &str) -> Result<Arc<dyn ModelType>, ApiError> {
        if let Some(t) = self.types.iter().find(|t| t.info().id == id) {
            return Ok(Arc::clone(t));
        }
        let here: Vec<String> = self.types.iter().map(|t| t.info().id).collect();
        Err(unprocessable(match ELSEWHERE.iter().find(|(k, _)| *k == id) {
            Some((_, name)) => format!(
                "model_type `{id}` ({name}, a neural network) cannot be trained by this build of sdg: it trains {} (GET /api/v1/model-types)",
                here.join(", ")
            ),
            None => {
                format!("unknown model_type `{id}`; this build trains {} (GET /api/v1/model-types)", here.join(", "))
            }
        }))
    }

    /// A model by id or name.
    fn find<'a>(map: &'a BTreeMap<String, ModelEntry>, key: &str) -> Option<&'a ModelEntry> {
        map.get(key).or_else(|| map.values().find(|e| e.rec.name == key))
    }

    /// Checks a `POST /models` body, stores the model (pending) and submits its training.
    pub fn create(
        self: &Arc<Self>,
        body: Value,
        datasets: &crate::datasets::Datasets,
    ) -> Result<ModelCreated, ApiError> {
        let req: CreateModel = serde_json::from_value(body).map_err(|e| {
            ApiError::validation(format!(
                "the body: {e} (send {{\"name\": \"spend\", \"dataset\": \"POOL\", \"model_type\": \"gaussian_copula\"}})"
            ))
        })?;
        let name = req.name.trim().to_string();
        if name.is_empty() || name.len() > 200 {
            return Err(ApiError::validation("`name` must have 1 to 200 characters, not only spaces"));
        }
        let ty = self.model_type(req.model_type.as_deref().unwrap_or("gaussian_copula"))?;
        let wanted = match (&req.dataset, &req.dataset_version_id) {
            (Some(d), None) | (None, Some(d)) => d.clone(),
            (Some(a), Some(b)) if a == b => a.clone(),
            (Some(_), Some(_)) => {
                return Err(ApiError::validation("`dataset` and `dataset_version_id` name different data; send one"));
            }
            (None, None) => {
                return Err(ApiError::validation(
                    "name the data to train on: `dataset`, a pool (GET /api/v1/pools) or an uploaded dataset (POST /api/v1/datasets)",
                ));
            }
        };
        let (pool, dataset_id) = datasets.resolve(&wanted, &self.resources)?;
        let entry =
            self.resources.get(&pool).ok_or_else(|| ApiError::not_found(format!("there is no pool `{pool}`")))?;
        let columns: Vec<String> = entry.report().columns.into_iter().map(|c| c.name).collect();
        if columns.is_empty() {
            return Err(unprocessable(format!(
                "pool `{pool}` has no columns loaded ({}); fix its source, then POST /api/v1/pools/{pool}/refresh",
                entry.report().last_error.unwrap_or_else(|| "it did not load".into())
            )));
        }
        let config = ty.configure(&req.config.unwrap_or_default(), &columns)?;
        let info = ty.info();
        let mut job = JobRecord::new("train", config.clone());
        let t = now();
        let rec = ModelRecord {
            model: ModelResponse {
                id: uuid::Uuid::new_v4().to_string(),
                name: name.clone(),
                model_type: info.id.clone(),
                status: "pending".into(),
                status_reason: None,
                project_id: req.project_id,
                dataset_name: pool.clone(),
                dataset_id,
                dataset_version: 0,
                config: config.clone(),
                train_job_id: job.id.clone(),
                created_at: t.clone(),
                updated_at: t,
                source_rows: None,
                columns: Vec::new(),
                fidelity: None,
            },
            artifact: None,
        };
        job.model_id = Some(rec.id.clone());
        job.model_name = Some(name.clone());
        job.model_type = Some(info.id);
        let (id, job_id) = (rec.id.clone(), job.id.clone());
        {
            let mut map = self.map.lock();
            if let Some(other) = map.values().find(|e| e.rec.name == name || e.rec.id == name) {
                return Err(ApiError::conflict(
                    format!(
                        "a model named `{name}` exists already ({}); choose another name, or DELETE /api/v1/models/{} first",
                        other.rec.id, other.rec.id
                    ),
                    &other.rec.status,
                ));
            }
            map.insert(id.clone(), ModelEntry { rec: rec.clone(), version: 1 });
        }
        self.store.put_doc(MODELS, &id, &rec, 1)?;
        // The work trains and leaves its result here; once the job is
        // completed (and stored) the model becomes ready, so a ready model's
        // training job is always completed.
        let slot: Arc<Mutex<Option<Trained>>> = Arc::default();
        let work = self.train_work(&id, pool.clone(), config, Arc::clone(&ty), Arc::clone(&slot));
        let done: OnDone = {
            let models = Arc::downgrade(self);
            let id = id.clone();
            Box::new(move |job: &JobRecord| {
                let Some(m) = models.upgrade() else { return };
                match slot.lock().take() {
                    Some(trained) if job.status == JobStatus::Completed => {
                        if let Err(e) = m.ready(&id, ty.as_ref(), trained, &pool) {
                            m.fail(&id, format!("the trained model cannot be used: {e}"));
                        }
                    }
                    _ => m.fail(&id, job.error.clone().unwrap_or_else(|| "training did not finish".into())),
                }
            })
        };
        if let Err(e) = self.jobs.submit(job, work, Some(done)) {
            self.map.lock().remove(&id);
            let _ = self.store.delete_docs(MODELS, &[&id]);
            return Err(e);
        }
        Ok(ModelCreated { id: id.clone(), model_id: id, job_id, status: "pending".into() })
    }

    fn train_work(
        self: &Arc<Self>,
        id: &str,
        pool: String,
        config: Value,
        ty: Arc<dyn ModelType>,
        slot: Arc<Mutex<Option<Trained>>>,
    ) -> Work {
        let (models, id) = (Arc::downgrade(self), id.to_string());
        Box::new(move |ctx: &JobCtx| {
            let m = models.upgrade().ok_or("the server is stopping")?;
            m.update(&id, |r| r.status = "training".into());
            ctx.progress(0.0, "loading");
            let (_, version) = match m.resources.resolve(&pool) {
                Some(r) => r?,
                None => return Err(format!("pool `{pool}` is gone (deleted while the job waited)")),
            };
            let names: Vec<String> = serde_json::from_value(config["columns"].clone()).map_err(|e| e.to_string())?;
            let mut data = Vec::with_capacity(names.len());
            for n in &names {
                let c = version
                    .column_index(n)
                    .ok_or_else(|| format!("pool `{pool}` has no column `{n}` any more (it was refreshed)"))?;
                data.push((n.clone(), version.column(c).map_err(|e| e.to_string())?));
            }
            let trained = ty.train(&data, &config, ctx)?;
            if ctx.cancelled() {
                return Err("cancelled".into());
            }
            ctx.progress(0.95, "saving");
            let text = serde_json::to_string_pretty(&trained.artifact).map_err(|e| e.to_string())?;
            std::fs::write(ctx.output_path("json"), text.as_bytes())
                .map_err(|e| format!("writing the model file: {e}"))?;
            *slot.lock() = Some(trained);
            Ok(Some(JobOutput {
                format: "json".into(),
                content_type: "application/json".into(),
                bytes: text.len() as u64,
                rows: None,
            }))
        })
    }

    /// Registers a trained model for generators and marks it ready.
    fn ready(&self, id: &str, ty: &dyn ModelType, trained: Trained, pool: &str) -> Result<(), String> {
        let name = self.map.lock().get(id).map(|e| e.rec.name.clone()).ok_or("the model was deleted")?;
        ty.register(&trained.artifact, &[id, &name], &self.resources)?;
        let pool_version = self.resources.get(pool).map_or(0, |e| e.report().version);
        self.update(id, |r| {
            r.status = "ready".into();
            r.status_reason = None;
            r.dataset_version = pool_version;
            r.source_rows = Some(trained.source_rows);
            r.columns = trained.columns;
            r.fidelity = trained.fidelity;
            r.artifact = Some(trained.artifact);
        });
        Ok(())
    }

    /// Changes a model's record and stores it.
    fn update(&self, id: &str, change: impl FnOnce(&mut ModelRecord)) {
        let pending = {
            let mut map = self.map.lock();
            let Some(e) = map.get_mut(id) else { return };
            change(&mut e.rec);
            e.rec.updated_at = now();
            e.version += 1;
            (e.rec.clone(), e.version)
        };
        if let Err(e) = self.store.put_doc(MODELS, id, &pending.0, pending.1) {
            tracing::error!(model = %id, error = %e.body.detail, "storing a model");
        }
    }

    fn fail(&self, id: &str, reason: String) {
        self.update(id, |r| {
            if r.status != "ready" {
                r.status = "failed".into();
                r.status_reason = Some(reason);
            }
        });
    }

    /// `GET /models`: newest first, filtered, one page.
    pub fn list(&self, filter: &ModelFilter) -> ModelPage {
        let map = self.map.lock();
        let mut all: Vec<&ModelRecord> = map
            .values()
            .map(|e| &e.rec)
            .filter(|r| filter.project_id.as_ref().is_none_or(|p| r.project_id.as_ref() == Some(p)))
            .filter(|r| filter.status.as_ref().is_none_or(|s| &r.status == s))
            .filter(|r| filter.model_type.as_ref().is_none_or(|t| &r.model_type == t))
            .filter(|r| {
                filter.dataset.as_ref().is_none_or(|d| &r.dataset_name == d || r.dataset_id.as_ref() == Some(d))
            })
            .collect();
        all.sort_by(|a, b| b.created_at.cmp(&a.created_at).then_with(|| a.id.cmp(&b.id)));
        let (limit, offset) = (filter.limit.unwrap_or(50), filter.offset.unwrap_or(0));
        let items: Vec<ModelResponse> = all.iter().skip(offset).take(limit).map(|r| r.model.clone()).collect();
        ModelPage { items, total: all.len(), limit, offset }
    }

    /// `GET /models/{id}`: the model and its jobs.
    pub fn get(&self, key: &str) -> Result<ModelDetail, ApiError> {
        let model = {
            let map = self.map.lock();
            Self::find(&map, key).ok_or_else(|| no_model(key))?.rec.model.clone()
        };
        let jobs = self.jobs.list(|j| j.model_id.as_deref() == Some(&model.id));
        Ok(ModelDetail { model, jobs })
    }

    /// The trained model file (`GET /models/{id}/download`).
    pub fn artifact(&self, key: &str) -> Result<(String, Value), ApiError> {
        let map = self.map.lock();
        let e = Self::find(&map, key).ok_or_else(|| no_model(key))?;
        match &e.rec.artifact {
            Some(a) if e.rec.status == "ready" => Ok((e.rec.name.clone(), a.clone())),
            _ => Err(ApiError::conflict(
                format!("the model is {}; its file exists once it is ready", e.rec.status),
                &e.rec.status,
            )),
        }
    }

    /// `DELETE /models/{id}`: the model, its jobs and their files. Generators
    /// running on it keep their copy; a generator started later that names
    /// it is told it is gone.
    pub fn delete(&self, key: &str) -> Result<String, ApiError> {
        let rec = {
            let mut map = self.map.lock();
            let id = Self::find(&map, key).ok_or_else(|| no_model(key))?.rec.id.clone();
            map.remove(&id).map(|e| e.rec).ok_or_else(|| no_model(key))?
        };
        self.resources.remove_model(&rec.id);
        self.resources.remove_model(&rec.name);
        let jobs: Vec<String> =
            self.jobs.list(|j| j.model_id.as_deref() == Some(&rec.id)).into_iter().map(|j| j.id).collect();
        let refs: Vec<&str> = jobs.iter().map(String::as_str).collect();
        self.jobs.delete(&refs)?;
        self.store.delete_docs(MODELS, &[&rec.id])?;
        Ok(rec.model.id)
    }

    /// Models trained on the pool `pool` (a dataset may not be deleted while it has some in training).
    pub fn training_on(&self, pool: &str) -> Vec<String> {
        self.map
            .lock()
            .values()
            .filter(|e| e.rec.dataset_name == pool && matches!(e.rec.status.as_str(), "pending" | "training"))
            .map(|e| e.rec.id.clone())
            .collect()
    }

    /// `POST /models/{id}/generate`: checks the request and submits a generate job.
    pub fn generate(self: &Arc<Self>, key: &str, body: Option<Value>) -> Result<GenerateAccepted, ApiError> {
        if Self::find(&self.map.lock(), key).is_none() {
            return Err(no_model(key));
        }
        let body: GenerateBody = match body {
            None => GenerateBody { num_rows: None, seed: None, conditions: None, format: None, columns: None },
            Some(b) => serde_json::from_value(b).map_err(|e| {
                ApiError::validation(format!("the body: {e} (send {{\"num_rows\": 10000, \"seed\": 42}})"))
            })?,
        };
        let num_rows = body.num_rows.unwrap_or(1000);
        if num_rows == 0 || num_rows > self.max_rows {
            return Err(ApiError::validation(format!(
                "num_rows is {num_rows}; ask for 1 to {} rows (the server's max_job_rows)",
                self.max_rows
            )));
        }
        let format = body.format.unwrap_or_else(|| "csv".into()).to_ascii_lowercase();
        let Some((_, content_type)) = FORMATS.iter().find(|(f, _)| *f == format) else {
            return Err(ApiError::validation(format!(
                "format `{format}` is not one of {}",
                FORMATS.iter().map(|(f, _)| *f).collect::<Vec<_>>().join(", ")
            )));
        };
        let req = GenerateRequest {
            num_rows,
            seed: body.seed.unwrap_or_else(rand_seed),
            conditions: body.conditions.unwrap_or_default(),
            format: format.clone(),
            columns: body.columns.unwrap_or_default(),
        };
        let (rec, ty) = {
            let map = self.map.lock();
            let e = Self::find(&map, key).ok_or_else(|| no_model(key))?;
            if e.rec.status != "ready" {
                return Err(ApiError::conflict(
                    format!(
                        "the model is {}; it generates once it is ready (GET /api/v1/models/{})",
                        e.rec.status, e.rec.id
                    ),
                    &e.rec.status,
                ));
            }
            let ty = self.types.iter().find(|t| t.info().id == e.rec.model_type).cloned();
            (e.rec.clone(), ty.ok_or_else(|| ApiError::internal("a ready model of a type this build lacks"))?)
        };
        let artifact = rec.artifact.clone().unwrap_or_default();
        ty.check_generate(&artifact, &req).map_err(ApiError::validation)?;
        let mut job = JobRecord::new("generate", serde_json::to_value(&req).unwrap_or_default());
        job.model_id = Some(rec.id.clone());
        job.model_name = Some(rec.name.clone());
        job.model_type = Some(rec.model_type.clone());
        let mut definition = ty.generator(&rec.id, &artifact, &req);
        let (resources, workers, content_type) = (self.resources.clone(), self.workers, content_type.to_string());
        let work: Work = Box::new(move |ctx: &JobCtx| {
            let path = ctx.output_path(&req.format);
            definition["destination"] = json!({
                "type": "FILE",
                "config": { "path": path.to_string_lossy(), "format": req.format }
            });
            let result = run_to_file(&definition, &resources, workers, req.num_rows, ctx);
            match result {
                Ok(rows) => {
                    let bytes = std::fs::metadata(&path).map(|m| m.len()).map_err(|e| format!("the output: {e}"))?;
                    Ok(Some(JobOutput { format: req.format.clone(), content_type, bytes, rows: Some(rows) }))
                }
                Err(e) => {
                    let _ = std::fs::remove_file(&path);
                    Err(e)
                }
            }
        });
        let job = self.jobs.submit(job, work, None)?;
        Ok(GenerateAccepted {
            job_id: job.id.clone(),
            synthgen_job_id: job.id,
            model_id: rec.model.id,
            status: job.status.as_str().into(),
        })
    }
}

/// Runs `definition` (a FILE destination) to its end, reporting progress
/// and stopping when the job is cancelled; the rows written.
fn run_to_file(
    definition: &Value,
    resources: &Resources,
    workers: usize,
    rows: u64,
    ctx: &JobCtx,
) -> Result<u64, String> {
    let flatten = |e: ApiError| match e.body.errors.first() {
        Some(i) => format!("{}: {}", i.path, i.message),
        None => e.body.detail,
    };
    let (spec, plan) = crate::state::check_definition(definition, resources).map_err(flatten)?;
    let plan = Arc::new(plan);
    let sink = sdg_destinations::open(&spec.destination, plan.schema()).map_err(|e| e.message)?;
    let run = sdg_engine::Run::new(plan, sdg_engine::RunConfig::with_workers(workers));
    run.start(sink).map_err(|t| format!("the run did not start ({})", t.current.as_str()))?;
    let mut stopping = false;
    while !run.wait_timeout(std::time::Duration::from_millis(200)) {
        if ctx.cancelled() && !stopping {
            let _ = run.request_stop();
            stopping = true;
        }
        ctx.progress(run.metrics().rows_delivered as f64 / rows.max(1) as f64, "generating");
    }
    let status = run.wait();
    let m = run.metrics();
    match status {
        sdg_engine::Status::Completed => Ok(m.rows_delivered),
        other => Err(m.last_error.unwrap_or_else(|| format!("the run ended {}", other.as_str()))),
    }
}

fn rand_seed() -> u64 {
    let u = uuid::Uuid::new_v4();
    let (hi, lo) = u.as_u64_pair();
    (hi ^ lo) >> 11
}

/// `GET /models` filters.
#[derive(Debug, Clone, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ModelFilter {
    /// Only the models with this project_id.
    pub project_id: Option<String>,
    /// pending, training, ready or failed.
    pub status: Option<String>,
    pub model_type: Option<String>,
    /// Trained on this pool or dataset id.
    pub dataset: Option<String>,
    /// Page size, 1–100 (default 50).
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<usize>,
    /// Models to skip (default 0).
    #[param(minimum = 0)]
    pub offset: Option<usize>,
}
