//! The routes of trained models, jobs and uploaded datasets (seed 002 on
//! `/api/v1`): `/model-types`, `/models…`, `/jobs…`, `/datasets…`.

use crate::api::{JsonBody, OptionalJsonBody, PathId, blocking, query};
use crate::datasets::{DatasetRecord, DatasetUpload, Datasets, Upload, name_from_file};
use crate::error::{ApiError, ErrorBody, code_of};
use crate::jobs::{JobRecord, JobStatus, no_job};
use crate::models::{
    CreateModel, GenerateAccepted, GenerateBody, ModelCreated, ModelDetail, ModelFilter, ModelPage, ModelTypeInfo,
    Models,
};
use axum::Json;
use axum::body::Body;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Multipart, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use sdg_engine::Resources;
use serde::Deserialize;
use std::sync::Arc;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// What these routes share.
#[derive(Clone)]
pub struct Lab {
    pub models: Arc<Models>,
    pub datasets: Arc<Datasets>,
    pub resources: Resources,
}

/// The routes; `/datasets` uploads take up to `max_upload_bytes`.
pub fn routes(max_upload_bytes: usize) -> OpenApiRouter<Lab> {
    let uploads = OpenApiRouter::new()
        .routes(routes!(list_datasets, upload_dataset))
        .layer(axum::extract::DefaultBodyLimit::max(max_upload_bytes));
    OpenApiRouter::new()
        .routes(routes!(list_model_types))
        .routes(routes!(list_models, create_model))
        .routes(routes!(get_model, delete_model))
        .routes(routes!(download_model))
        .routes(routes!(generate_from_model))
        .routes(routes!(list_jobs))
        .routes(routes!(get_job, delete_job))
        .routes(routes!(cancel_job))
        .routes(routes!(download_job))
        .routes(routes!(get_dataset, delete_dataset))
        .merge(uploads)
}

/// The model types this build trains.
///
/// Seed 002 also names ctgan, copulagan and tvae (neural networks): this
/// build does not train them, so they are not listed, and `POST /models`
/// answers 422 for them.
#[utoipa::path(get, path = "/model-types", tag = "models",
    responses((status = 200, description = "{ model_types: [{ id, name, description, config }] }", body = Object)))]
async fn list_model_types(State(lab): State<Lab>) -> Json<serde_json::Value> {
    let types: Vec<ModelTypeInfo> = lab.models.types();
    Json(serde_json::json!({ "model_types": types }))
}

/// Train a model.
///
/// Answers at once (201, status `pending`) and trains in a background job
/// (`job_id`); `GET /models/{id}` shows `ready` (with the fidelity report)
/// or `failed` (with the reason). The dataset is a pool (`GET /pools`) or an
/// uploaded dataset (`POST /datasets`).
#[utoipa::path(post, path = "/models", tag = "models",
    request_body = CreateModel,
    responses(
        (status = 201, description = "Created; training is pending", body = ModelCreated),
        (status = 400, description = "The body or its config is not valid", body = ErrorBody),
        (status = 404, description = "No such dataset or pool", body = ErrorBody),
        (status = 409, description = "A model of that name exists", body = ErrorBody),
        (status = 422, description = "A model_type this build does not train (ctgan, copulagan, tvae), or a pool that did not load", body = ErrorBody),
    ))]
async fn create_model(State(lab): State<Lab>, JsonBody(body): JsonBody) -> Result<Response, ApiError> {
    let created = blocking(move || lab.models.create(body, &lab.datasets)).await?;
    Ok((StatusCode::CREATED, Json(created)).into_response())
}

/// List models, newest first: `{ items, total, limit, offset }`.
#[utoipa::path(get, path = "/models", tag = "models", params(ModelFilter),
    responses((status = 200, body = ModelPage), (status = 400, body = ErrorBody)))]
async fn list_models(
    State(lab): State<Lab>,
    q: Result<Query<ModelFilter>, QueryRejection>,
) -> Result<Json<ModelPage>, ApiError> {
    let filter = query(q, "list")?;
    if filter.limit.is_some_and(|l| l == 0 || l > 100) {
        return Err(ApiError::validation("limit must be 1 to 100"));
    }
    Ok(Json(lab.models.list(&filter)))
}

/// Get a model (by id or name) and its jobs: `{ model, jobs }`.
#[utoipa::path(get, path = "/models/{id}", tag = "models",
    params(("id" = String, Path, description = "Model id or name")),
    responses((status = 200, description = "The model (with its fidelity report once ready) and its jobs", body = ModelDetail),
              (status = 404, body = ErrorBody)))]
async fn get_model(State(lab): State<Lab>, PathId(id): PathId) -> Result<Json<ModelDetail>, ApiError> {
    lab.models.get(&id).map(Json)
}

/// Delete a model, its jobs and their files.
///
/// Generators running on it keep their copy; one started later that names
/// it is told it is gone.
#[utoipa::path(delete, path = "/models/{id}", tag = "models",
    params(("id" = String, Path, description = "Model id or name")),
    responses((status = 200, description = "{ ok: true, model_id }", body = Object), (status = 404, body = ErrorBody)))]
async fn delete_model(State(lab): State<Lab>, PathId(id): PathId) -> Result<Json<serde_json::Value>, ApiError> {
    let id = blocking(move || lab.models.delete(&id)).await?;
    Ok(Json(serde_json::json!({ "ok": true, "model_id": id })))
}

/// Download the trained model file (JSON): `copulas: [{ source: { model: FILE } }]` and `sdg fit` read it.
#[utoipa::path(get, path = "/models/{id}/download", tag = "models",
    params(("id" = String, Path, description = "Model id or name")),
    responses((status = 200, description = "The model file", content_type = "application/json", body = Object),
              (status = 404, body = ErrorBody), (status = 409, description = "Not ready yet", body = ErrorBody)))]
async fn download_model(State(lab): State<Lab>, PathId(id): PathId) -> Result<Response, ApiError> {
    let (name, artifact) = lab.models.artifact(&id)?;
    let text = serde_json::to_string_pretty(&artifact).map_err(|e| ApiError::internal(e.to_string()))?;
    let file = format!("{}.json", name_from_file(&name));
    Ok((
        [(header::CONTENT_TYPE, "application/json".to_string()), (header::CONTENT_DISPOSITION, attachment(&file))],
        text,
    )
        .into_response())
}

/// Generate rows from a ready model in a background job.
///
/// The same `seed` gives the same rows; `conditions` fix columns (numbers
/// exactly, a category by its slice) and the others follow them as the
/// model's correlation says. Poll `GET /jobs/{job_id}`, then download.
#[utoipa::path(post, path = "/models/{id}/generate", tag = "models",
    params(("id" = String, Path, description = "Model id or name")),
    request_body(content = GenerateBody, description = "Every key has a default; the body may be left out"),
    responses(
        (status = 200, description = "The generation job, pending", body = GenerateAccepted),
        (status = 400, description = "num_rows, format, a condition or a column is not valid", body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 409, description = "The model is not ready", body = ErrorBody),
    ))]
async fn generate_from_model(
    State(lab): State<Lab>,
    PathId(id): PathId,
    OptionalJsonBody(body): OptionalJsonBody,
) -> Result<Json<GenerateAccepted>, ApiError> {
    blocking(move || lab.models.generate(&id, body)).await.map(Json)
}

/// `GET /jobs` filters.
#[derive(Debug, Clone, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct JobFilter {
    /// Jobs of this model (id).
    model_id: Option<String>,
    /// Jobs of the models with this project_id.
    project_id: Option<String>,
    /// pending, running, completed, failed or cancelled.
    status: Option<JobStatus>,
    /// train, generate, sample or corpus.
    job_type: Option<String>,
    /// Page size, 1–100 (default 50).
    #[param(minimum = 1, maximum = 100)]
    limit: Option<usize>,
    /// Jobs to skip (default 0).
    #[param(minimum = 0)]
    offset: Option<usize>,
    /// The same as `offset` (seed 000's name).
    #[param(minimum = 0)]
    skip: Option<usize>,
    /// The `next_cursor` of the previous page: the page after it (stable while jobs are added).
    #[param(pattern = "^([0-9a-fA-F]{2})*$")]
    cursor: Option<String>,
}

/// `GET /jobs`.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
struct JobPage {
    items: Vec<JobRecord>,
    /// Jobs that pass the filters.
    total: usize,
    limit: usize,
    offset: usize,
    /// Pass as `cursor` for the next page; absent on the last.
    #[serde(skip_serializing_if = "Option::is_none")]
    next_cursor: Option<String>,
    /// More jobs after this page.
    has_more: bool,
}

/// A position in a newest-first list: the hex of `created_at|id`.
pub(crate) fn cursor_of(created_at: &str, id: &str) -> String {
    format!("{created_at}|{id}").bytes().map(|b| format!("{b:02x}")).collect()
}

/// The (created_at, id) a cursor names. A cursor is a position, not a
/// token: one this server did not give still names a place in the order
/// (`created_at|id`; without `|`, after every job at or before that time).
pub(crate) fn read_cursor(c: &str) -> Result<(String, String), ApiError> {
    if !c.len().is_multiple_of(2) || !c.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(ApiError::validation("`cursor` is hex digits, as next_cursor gave it (pass it as it is)"));
    }
    let bytes: Vec<u8> = (0..c.len()).step_by(2).filter_map(|i| u8::from_str_radix(&c[i..i + 2], 16).ok()).collect();
    let text = String::from_utf8_lossy(&bytes).into_owned();
    Ok(match text.split_once('|') {
        Some((at, id)) => (at.to_string(), id.to_string()),
        None => (text, String::new()),
    })
}

/// List jobs, newest first: `{ items, total, limit, offset }`.
#[utoipa::path(get, path = "/jobs", tag = "jobs", params(JobFilter),
    responses((status = 200, body = JobPage), (status = 400, body = ErrorBody)))]
async fn list_jobs(
    State(lab): State<Lab>,
    q: Result<Query<JobFilter>, QueryRejection>,
) -> Result<Json<JobPage>, ApiError> {
    let f = query(q, "list")?;
    let limit = f.limit.unwrap_or(50);
    if limit == 0 || limit > 100 {
        return Err(ApiError::validation("limit must be 1 to 100"));
    }
    let in_project: Option<Vec<String>> = f.project_id.as_ref().map(|p| {
        let page = lab.models.list(&ModelFilter {
            project_id: Some(p.clone()),
            status: None,
            model_type: None,
            dataset: None,
            limit: Some(usize::MAX),
            offset: None,
        });
        page.items.into_iter().map(|m| m.id).collect()
    });
    let all = lab.models.jobs().list(|j| {
        f.model_id.as_ref().is_none_or(|m| j.model_id.as_ref() == Some(m))
            && f.status.is_none_or(|s| j.status == s)
            && f.job_type.as_ref().is_none_or(|t| &j.job_type == t)
            && in_project.as_ref().is_none_or(|ids| j.model_id.as_ref().is_some_and(|m| ids.contains(m)))
    });
    let total = all.len();
    // Newest first (created_at descending, then id): a cursor starts after its job.
    let offset = match f.cursor.as_deref().filter(|c| !c.is_empty()) {
        Some(c) => {
            let (at, id) = read_cursor(c)?;
            all.iter().position(|j| j.created_at < at || j.created_at == at && j.id > id).unwrap_or(total)
        }
        None => f.offset.or(f.skip).unwrap_or(0),
    };
    let items: Vec<JobRecord> = all.into_iter().skip(offset).take(limit).collect();
    let has_more = offset + items.len() < total;
    let next_cursor = items.last().filter(|_| has_more).map(|j| cursor_of(&j.created_at, &j.id));
    Ok(Json(JobPage { items, total, limit, offset, next_cursor, has_more }))
}

/// Get a job: its status, progress, stage, error and output.
#[utoipa::path(get, path = "/jobs/{id}", tag = "jobs",
    params(("id" = String, Path, description = "Job id")),
    responses((status = 200, body = JobRecord), (status = 404, body = ErrorBody)))]
async fn get_job(State(lab): State<Lab>, PathId(id): PathId) -> Result<Json<JobRecord>, ApiError> {
    lab.models.jobs().get(&id).map(Json).ok_or_else(|| no_job(&id))
}

/// Cancel a pending or running job.
#[utoipa::path(post, path = "/jobs/{id}/cancel", tag = "jobs",
    params(("id" = String, Path, description = "Job id")),
    responses((status = 200, description = "The job (cancelled, or running until its work stops)", body = JobRecord),
              (status = 404, body = ErrorBody), (status = 409, description = "It has finished", body = ErrorBody)))]
async fn cancel_job(State(lab): State<Lab>, PathId(id): PathId) -> Result<Json<JobRecord>, ApiError> {
    blocking(move || lab.models.jobs().cancel(&id)).await.map(Json)
}

/// Delete a job and its output (a running one is cancelled). A model's training job goes with its model.
#[utoipa::path(delete, path = "/jobs/{id}", tag = "jobs",
    params(("id" = String, Path, description = "Job id")),
    responses((status = 200, description = "{ ok: true, job_id }", body = Object), (status = 404, body = ErrorBody),
              (status = 409, description = "The training job of a model (DELETE the model)", body = ErrorBody)))]
async fn delete_job(State(lab): State<Lab>, PathId(id): PathId) -> Result<Json<serde_json::Value>, ApiError> {
    let job = lab.models.jobs().get(&id).ok_or_else(|| no_job(&id))?;
    if job.job_type == "train"
        && let Some(m) = &job.model_id
        && lab.models.get(m).is_ok()
    {
        return Err(ApiError::conflict(
            format!("this job trained model {m}; it is deleted with the model (DELETE /api/v1/models/{m})"),
            job.status.as_str(),
        ));
    }
    let shown = id.clone();
    blocking(move || lab.models.jobs().delete(&[&id])).await?;
    Ok(Json(serde_json::json!({ "ok": true, "job_id": shown })))
}

fn attachment(file: &str) -> String {
    format!("attachment; filename=\"{}\"", file.replace(['"', '\\', '\r', '\n'], "_"))
}

/// Download a completed job's output: the generated rows (csv, jsonl,
/// parquet, arrow), or a training job's model file. 409 until it exists.
#[utoipa::path(get, path = "/jobs/{id}/download", tag = "jobs",
    params(("id" = String, Path, description = "Job id")),
    responses((status = 200, description = "The file", content_type = "text/csv"),
              (status = 404, body = ErrorBody),
              (status = 409, description = "The output is not available (yet): the job is not completed", body = ErrorBody)))]
async fn download_job(State(lab): State<Lab>, PathId(id): PathId) -> Result<Response, ApiError> {
    let (out, path) = lab.models.jobs().output(&id)?;
    let file = tokio::fs::File::open(&path)
        .await
        .map_err(|e| ApiError::internal(format!("the output file of job {id} cannot be read: {e}")))?;
    let stream = futures_util::stream::unfold(file, |mut f| async move {
        use tokio::io::AsyncReadExt;
        let mut buf = vec![0u8; 64 * 1024];
        match f.read(&mut buf).await {
            Ok(0) => None,
            Ok(n) => {
                buf.truncate(n);
                Some((Ok::<_, std::io::Error>(axum::body::Bytes::from(buf)), f))
            }
            Err(e) => Some((Err(e), f)),
        }
    });
    let name = format!("{}.{}", id, out.format);
    let r = (
        [
            (header::CONTENT_TYPE, out.content_type.clone()),
            (header::CONTENT_LENGTH, out.bytes.to_string()),
            (header::CONTENT_DISPOSITION, attachment(&name)),
        ],
        Body::from_stream(stream),
    )
        .into_response();
    Ok(crate::account::metered(r, 0, out.bytes))
}

fn multipart_error(e: axum::extract::multipart::MultipartError) -> ApiError {
    let status = e.status();
    let detail = if status == StatusCode::PAYLOAD_TOO_LARGE {
        "the upload is larger than this server accepts (max_upload_bytes in the serve config)".to_string()
    } else {
        format!("reading the upload: {}", e.body_text())
    };
    ApiError::new(status, code_of(status), detail)
}

/// Upload a dataset: a CSV (with a header line) or Parquet file, as
/// multipart/form-data (`file`, and optionally `name` and `format`).
///
/// It becomes a pool of the server under its name (FULL, in memory): models
/// train on it (`POST /models` with `dataset`), generators read it like any
/// pool. At most `max_upload_bytes` (serve config).
#[utoipa::path(post, path = "/datasets", tag = "datasets",
    request_body(content = DatasetUpload, content_type = "multipart/form-data"),
    responses(
        (status = 201, description = "Stored and loaded", body = DatasetRecord),
        (status = 400, description = "Not a multipart form with a `file`, or a bad name or format", body = ErrorBody),
        (status = 409, description = "A pool of that name exists", body = ErrorBody),
        (status = 413, description = "Larger than max_upload_bytes", body = ErrorBody),
        (status = 415, description = "Not multipart/form-data", body = ErrorBody),
        (status = 422, description = "The file is not a readable CSV or Parquet table", body = ErrorBody),
    ))]
async fn upload_dataset(
    State(lab): State<Lab>,
    multipart: Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> Result<Response, ApiError> {
    let mut form = multipart.map_err(|e| {
        let status = match e.status() {
            StatusCode::BAD_REQUEST => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            s => s,
        };
        ApiError::new(
            status,
            code_of(status),
            format!("send the dataset as multipart/form-data with a `file` part: {}", e.body_text()),
        )
    })?;
    let staged = lab.datasets.staging();
    let (mut name, mut format, mut file_name, mut got_file) = (None, None, None, false);
    let read = async {
        use tokio::io::AsyncWriteExt;
        while let Some(mut field) = form.next_field().await.map_err(multipart_error)? {
            match field.name().unwrap_or_default() {
                "file" => {
                    if got_file {
                        return Err(ApiError::validation("the form has two `file` parts; send one file"));
                    }
                    file_name = field.file_name().map(str::to_string);
                    let mut f = tokio::fs::File::create(&staged)
                        .await
                        .map_err(|e| ApiError::internal(format!("storing the upload: {e}")))?;
                    while let Some(chunk) = field.chunk().await.map_err(multipart_error)? {
                        f.write_all(&chunk)
                            .await
                            .map_err(|e| ApiError::internal(format!("storing the upload: {e}")))?;
                    }
                    f.flush().await.map_err(|e| ApiError::internal(format!("storing the upload: {e}")))?;
                    got_file = true;
                }
                "name" => name = Some(field.text().await.map_err(multipart_error)?.trim().to_string()),
                "format" => format = Some(field.text().await.map_err(multipart_error)?.trim().to_string()),
                other => {
                    return Err(ApiError::validation(format!(
                        "the form has a part {other:?}; it takes `file`, `name` and `format`"
                    )));
                }
            }
        }
        Ok(())
    }
    .await;
    if let Err(e) = read {
        let _ = tokio::fs::remove_file(&staged).await;
        return Err(e);
    }
    if !got_file {
        let _ = tokio::fs::remove_file(&staged).await;
        return Err(ApiError::validation("the form has no `file` part: send the CSV or Parquet file as `file`"));
    }
    let name = name.filter(|n| !n.is_empty()).unwrap_or_else(|| name_from_file(file_name.as_deref().unwrap_or("")));
    let upload = Upload { staged, name, format: format.filter(|f| !f.is_empty()), file_name };
    let rec = blocking(move || lab.datasets.add(upload, &lab.resources)).await?;
    Ok((StatusCode::CREATED, Json(rec)).into_response())
}

/// List uploaded datasets, newest first.
#[utoipa::path(get, path = "/datasets", tag = "datasets", responses((status = 200, body = [DatasetRecord])))]
async fn list_datasets(State(lab): State<Lab>) -> Json<Vec<DatasetRecord>> {
    Json(lab.datasets.list())
}

/// Get an uploaded dataset (by id or name).
#[utoipa::path(get, path = "/datasets/{id}", tag = "datasets",
    params(("id" = String, Path, description = "Dataset id or name")),
    responses((status = 200, body = DatasetRecord), (status = 404, body = ErrorBody)))]
async fn get_dataset(State(lab): State<Lab>, PathId(id): PathId) -> Result<Json<DatasetRecord>, ApiError> {
    lab.datasets.get(&id).map(Json)
}

/// Delete an uploaded dataset, its pool and its file.
///
/// Models trained on it keep working (they hold what they learnt); a model
/// still training on it is a conflict.
#[utoipa::path(delete, path = "/datasets/{id}", tag = "datasets",
    params(("id" = String, Path, description = "Dataset id or name")),
    responses((status = 200, description = "{ ok: true, dataset_id }", body = Object), (status = 404, body = ErrorBody),
              (status = 409, description = "A model is training on it", body = ErrorBody)))]
async fn delete_dataset(State(lab): State<Lab>, PathId(id): PathId) -> Result<Json<serde_json::Value>, ApiError> {
    let rec = lab.datasets.get(&id)?;
    let training = lab.models.training_on(&rec.name);
    if !training.is_empty() {
        return Err(ApiError::conflict(
            format!(
                "models are training on this dataset ({}); wait for them or cancel their jobs",
                training.join(", ")
            ),
            "training",
        ));
    }
    let rec = blocking(move || lab.datasets.delete(&rec.id, &lab.resources)).await?;
    Ok(Json(serde_json::json!({ "ok": true, "dataset_id": rec.id })))
}
