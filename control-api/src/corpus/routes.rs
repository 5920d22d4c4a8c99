//! The HTTP routes of seed 000 (and seed 004's identities) on `/api/v1`.

use super::Corpus;
use crate::api::{JsonBody, OptionalJsonBody, PathId, blocking, query};
use crate::error::{ApiError, ErrorBody, code_of};
use crate::jobs::{JobRecord, no_job};
use axum::Json;
use axum::body::Body;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn routes() -> OpenApiRouter<Corpus> {
    OpenApiRouter::new()
        .routes(routes!(analyze))
        .routes(routes!(sample))
        .routes(routes!(corpus))
        .routes(routes!(feedback))
        .routes(routes!(job_status))
        .routes(routes!(export))
        .routes(routes!(download_schema))
        .routes(routes!(identities))
}

/// Find the domain of a description, the tables it needs and their volumes.
///
/// Offline: keyword scoring over the ten domain templates (healthcare,
/// finance, retail, legal, logistics, telecom, hr, education, saas, iot —
/// `configs/domains/`); numbers in the text ("200 patients") set volumes,
/// the others follow the template's proportions.
#[utoipa::path(post, path = "/context/analyze", tag = "corpus",
    request_body(content = Object, description = "{ context, domain_hint }"),
    responses((status = 200, description = "domain, confidence, requirements, keywords, suggested_schemas", body = Object),
              (status = 400, body = ErrorBody)))]
async fn analyze(JsonBody(body): JsonBody) -> Result<Json<Value>, ApiError> {
    let context = body.get("context").and_then(Value::as_str).unwrap_or("");
    let hint = body.get("domain_hint").and_then(Value::as_str);
    if context.trim().is_empty() && hint.is_none() {
        return Err(ApiError::validation(
            "`context` is required: a description of the data, e.g. \"a clinic with 200 patients and their appointments\"",
        ));
    }
    if let Some(k) = body.as_object().and_then(|o| o.keys().find(|k| !["context", "domain_hint"].contains(&k.as_str())))
    {
        return Err(ApiError::validation(format!("unknown key `{k}`; send context and domain_hint")));
    }
    Ok(Json(serde_json::to_value(super::domains::analyze(context, hint)).unwrap_or_default()))
}

/// A few rows of every table of a domain, at once.
///
/// `context` or `domain_hint` (or `job_id` of an earlier sample), `sample_size`
/// (1–100, default 5), `schemas` (some tables; the tables they reference come
/// too), `seed`. Answers a completed `sample` job (`job_id`) with `schemas`
/// (fields, types, references) and `samples`; `/feedback` edits it.
#[utoipa::path(post, path = "/generate/sample", tag = "corpus",
    request_body(content = Object, description = "{ context, domain_hint, sample_size, schemas, seed }"),
    responses((status = 200, body = Object), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn sample(State(c): State<Corpus>, JsonBody(body): JsonBody) -> Result<Response, ApiError> {
    let v = blocking(move || c.sample(&body)).await?;
    let rows: u64 =
        v["samples"].as_object().map_or(0, |m| m.values().filter_map(Value::as_array).map(|a| a.len() as u64).sum());
    Ok(crate::account::metered(Json(v).into_response(), rows, 0))
}

/// Start a corpus: every table of a domain as a background job.
///
/// `context` / `domain_hint` / `job_id` (a reviewed sample), `corpus_size`
/// (total rows over the tables, split by the template's proportions; at
/// most `max_job_rows`), `batch_size`, `schemas`, `seed`, `export_format`
/// (export when done) and `options.sql_dialect`. The tables are a universe:
/// every foreign key is valid. Answers 202 with the job.
#[utoipa::path(post, path = "/generate/corpus", tag = "corpus",
    request_body(content = Object, description = "{ context, corpus_size, batch_size, schemas, export_format }"),
    responses((status = 202, description = "The job, pending", body = JobRecord), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn corpus(State(c): State<Corpus>, JsonBody(body): JsonBody) -> Result<Response, ApiError> {
    let job = blocking(move || c.start(&body)).await?;
    let body = json!({
        "job_id": job.id, "status": job.status.as_str(), "message": "Corpus generation started",
        "schemas": job.config["schemas"], "warnings": job.warnings, "job": job,
    });
    let rows = job.config["corpus_size"].as_u64().unwrap_or(0);
    Ok(crate::account::metered((StatusCode::ACCEPTED, Json(body)).into_response(), rows, 0))
}

/// Edit a sample's schemas: `schema_feedback` (per schema `field_adjustments`,
/// `add_fields`, `remove_fields`, or `feedback_type: remove`), `approved`,
/// and `start_corpus` with `corpus_size` to start its corpus (`corpus_job_id`).
#[utoipa::path(post, path = "/feedback", tag = "corpus",
    request_body(content = Object, description = "{ job_id, approved, schema_feedback, start_corpus, corpus_size }"),
    responses((status = 200, body = Object), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn feedback(State(c): State<Corpus>, JsonBody(body): JsonBody) -> Result<Json<Value>, ApiError> {
    blocking(move || c.feedback(&body).map(Json)).await
}

/// A job's status in brief: `{ job_id, status, stage, percent_complete }`.
#[utoipa::path(get, path = "/jobs/{id}/status", tag = "jobs",
    params(("id" = String, Path, description = "Job id")),
    responses((status = 200, body = Object), (status = 404, body = ErrorBody)))]
async fn job_status(State(c): State<Corpus>, PathId(id): PathId) -> Result<Json<Value>, ApiError> {
    let j = c.jobs.get(&id).ok_or_else(|| no_job(&id))?;
    let percent =
        j.detail.as_ref().and_then(|d| d["percent_complete"].as_f64()).unwrap_or((j.progress * 1000.0).round() / 10.0);
    Ok(Json(json!({
        "job_id": j.id, "status": j.status.as_str(), "stage": j.stage, "percent_complete": percent, "error": j.error,
    })))
}

/// Export a completed corpus: `format` (csv, json, jsonl, parquet, xlsx, sql),
/// `schemas` (default all), `options.sql_dialect` (postgresql, mysql, sqlite).
/// Answers `export_paths` (on the server), `downloads` (their URLs) and
/// `load_order` (parents first, for SQL).
#[utoipa::path(post, path = "/jobs/{id}/export", tag = "jobs",
    params(("id" = String, Path, description = "Job id")),
    request_body(content = Object, description = "{ format, schemas, options: { sql_dialect } }"),
    responses((status = 200, body = Object), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody),
              (status = 409, description = "Not a completed corpus", body = ErrorBody)))]
async fn export(
    State(c): State<Corpus>,
    PathId(id): PathId,
    OptionalJsonBody(body): OptionalJsonBody,
) -> Result<Json<Value>, ApiError> {
    blocking(move || c.export(&id, body.as_ref()).map(Json)).await
}

/// `GET /jobs/{id}/download/{schema}` parameters.
#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct DownloadParams {
    /// csv (default), json, jsonl, parquet, xlsx or sql.
    #[param(inline)]
    format: Option<ExportFormat>,
    /// For sql: postgresql (default), mysql or sqlite.
    #[param(inline)]
    sql_dialect: Option<Dialect>,
}

/// An export format.
#[derive(Debug, Clone, Copy, serde::Deserialize, serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
enum ExportFormat {
    Csv,
    Json,
    Jsonl,
    Parquet,
    Xlsx,
    Sql,
}

/// A SQL dialect.
#[derive(Debug, Clone, Copy, serde::Deserialize, serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
enum Dialect {
    Postgresql,
    Mysql,
    Sqlite,
}

fn name_of<T: serde::Serialize>(v: T) -> String {
    serde_json::to_value(v).ok().and_then(|v| v.as_str().map(str::to_string)).unwrap_or_default()
}

/// Download one table of a completed corpus in a format (exported now if it was not).
#[utoipa::path(get, path = "/jobs/{id}/download/{schema}", tag = "jobs",
    params(("id" = String, Path, description = "Job id"), ("schema" = String, Path, description = "Table name"), DownloadParams),
    responses((status = 200, description = "The file, with its Content-Type", content_type = "text/csv"),
              (status = 400, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn download_schema(
    State(c): State<Corpus>,
    path: Result<Path<(String, String)>, axum::extract::rejection::PathRejection>,
    q: Result<Query<DownloadParams>, QueryRejection>,
) -> Result<Response, ApiError> {
    let Path((id, schema)) = path.map_err(|e| {
        let status = e.status();
        ApiError::new(status, code_of(status), format!("the path is not valid: {}", e.body_text()))
    })?;
    let p = query(q, "download")?;
    let format = p.format.map_or_else(|| "csv".to_string(), name_of);
    let dialect = p.sql_dialect.map(name_of);
    let (file, content_type) = {
        let (id, schema, format) = (id.clone(), schema.clone(), format.clone());
        blocking(move || c.download(&id, &schema, &format, dialect.as_deref())).await?
    };
    let f = tokio::fs::File::open(&file)
        .await
        .map_err(|e| ApiError::internal(format!("reading {}: {e}", file.display())))?;
    let len = f.metadata().await.map(|m| m.len()).unwrap_or(0);
    let name =
        file.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| format!("{schema}.{format}"));
    let stream = tokio_util::io::ReaderStream::new(f);
    let r = (
        [
            (header::CONTENT_TYPE, content_type.to_string()),
            (header::CONTENT_LENGTH, len.to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{}-{}\"", id, name.replace(['"', '\\'], "_")),
            ),
        ],
        Body::from_stream(stream),
    )
        .into_response();
    Ok(crate::account::metered(r, 0, len))
}

/// Coherent synthetic people (seed 004): `count` (1 … max_sync_rows, default
/// 10), `locale`, `fields` (any of those listed by a 400; default all),
/// `seed`. A person's email and username follow from their name; address
/// fields are one real place of the locale.
#[utoipa::path(post, path = "/identities", tag = "corpus",
    request_body(content = Object, description = "{ count, locale, fields, seed }"),
    responses((status = 200, description = "{ data: [people], meta }", body = Object), (status = 400, body = ErrorBody),
              (status = 422, description = "More than max_sync_rows people", body = ErrorBody)))]
async fn identities(State(c): State<Corpus>, JsonBody(body): JsonBody) -> Result<Response, ApiError> {
    let v = blocking(move || c.identities(&body)).await?;
    let rows = v["meta"]["count"].as_u64().unwrap_or(0);
    Ok(crate::account::metered(Json(v).into_response(), rows, 0))
}
