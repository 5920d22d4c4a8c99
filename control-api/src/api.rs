//! The routes of `/api/v1`, each with its OpenAPI description (utoipa): the
//! router and the document are built from the same annotations, so the
//! document lists every route.

use crate::error::{ApiError, ErrorBody, IssueBody, code_of};
use crate::model::{
    FieldType, GeneratorResponse, Health, PoolDetail, PoolResponse, UniverseResponse, ValidationResponse, now,
};
use crate::state::{Generators, check_definition};
use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{FromRequest, FromRequestParts, Path, Request, State};
use axum::http::StatusCode;
use axum::http::header::CONTENT_TYPE;
use axum::http::request::Parts;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use futures_util::Stream;
use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub type AppState = Arc<Generators>;

/// A JSON body (or YAML, sent as `application/yaml`, so a file made for
/// `sdg run` can be posted as it is), with errors that say what is wrong:
/// not JSON (with line and column), too large, another media type.
pub struct JsonBody(pub serde_json::Value);

fn is_yaml(content_type: &str) -> bool {
    ["application/yaml", "application/x-yaml", "text/yaml", "text/x-yaml"].iter().any(|t| content_type.starts_with(t))
}

/// Reads a JSON (or YAML) body; `None` for an empty one when `optional`.
async fn read_body<S: Send + Sync>(
    req: Request,
    state: &S,
    optional: bool,
) -> Result<Option<serde_json::Value>, ApiError> {
    let content_type = req.headers().get(CONTENT_TYPE).and_then(|v| v.to_str().ok()).map(str::to_string);
    let yaml = content_type.as_deref().is_some_and(is_yaml);
    if let Some(ct) = &content_type
        && !yaml
        && !ct.starts_with("application/json")
        && !ct.ends_with("+json")
    {
        return Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            code_of(StatusCode::UNSUPPORTED_MEDIA_TYPE),
            format!("the body must be JSON (Content-Type: application/json) or YAML (application/yaml), not {ct}"),
        ));
    }
    let bytes = Bytes::from_request(req, state).await.map_err(|e: BytesRejection| {
        let status = e.status();
        let detail = if status == StatusCode::PAYLOAD_TOO_LARGE {
            "the body is larger than this server accepts (max_body_bytes in the serve config)".to_string()
        } else {
            format!("reading the body: {}", e.body_text())
        };
        ApiError::new(status, code_of(status), detail)
    })?;
    if bytes.iter().all(u8::is_ascii_whitespace) {
        if optional {
            return Ok(None);
        }
        return Err(ApiError::validation("the body is empty; send the definition as JSON"));
    }
    if yaml {
        let text = std::str::from_utf8(&bytes)
            .map_err(|e| ApiError::validation(format!("the YAML body is not UTF-8: {e}")))?;
        return serde_norway::from_str(text).map(Some).map_err(|e| {
            let at = e.location().map(|l| format!(" at line {}, column {}", l.line(), l.column()));
            ApiError::validation(format!("the body is not valid YAML{}: {e}", at.unwrap_or_default()))
        });
    }
    serde_json::from_slice(&bytes).map(Some).map_err(|e| {
        ApiError::validation(format!("the body is not valid JSON at line {}, column {}: {e}", e.line(), e.column()))
    })
}

impl<S: Send + Sync> FromRequest<S> for JsonBody {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        Ok(JsonBody(read_body(req, state, false).await?.unwrap_or_default()))
    }
}

/// A JSON body that may be left out (every key has a default).
pub struct OptionalJsonBody(pub Option<serde_json::Value>);

impl<S: Send + Sync> FromRequest<S> for OptionalJsonBody {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        read_body(req, state, true).await.map(OptionalJsonBody)
    }
}

/// A path parameter (a generator id, a pool name), with the project's error
/// body when it cannot be read (e.g. percent-encoding that is not UTF-8).
pub struct PathId(pub String);

impl<S: Send + Sync> FromRequestParts<S> for PathId {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        Path::<String>::from_request_parts(parts, state).await.map(|Path(p)| PathId(p)).map_err(|e| {
            let status = e.status();
            ApiError::new(status, code_of(status), format!("the path is not valid: {}", e.body_text()))
        })
    }
}

/// Query parameters, or a 400 naming `what` and the parameter that is wrong.
pub(crate) fn query<T>(
    q: Result<axum::extract::Query<T>, axum::extract::rejection::QueryRejection>,
    what: &str,
) -> Result<T, ApiError> {
    q.map(|axum::extract::Query(t)| t)
        .map_err(|e| ApiError::validation(format!("{what} parameters: {}", e.body_text())))
}

/// Runs a blocking generator operation off the async threads.
pub async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, ApiError> + Send + 'static,
) -> Result<T, ApiError> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| ApiError::internal(format!("a generator operation panicked: {e}")))?
}

/// The `/api/v1` routes.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_generators, create_generator))
        .routes(routes!(validate_generator))
        .routes(routes!(get_generator, update_generator, patch_generator, delete_generator))
        .routes(routes!(generator_revisions))
        .routes(routes!(generator_plan))
        .routes(routes!(start_generator))
        .routes(routes!(pause_generator))
        .routes(routes!(resume_generator))
        .routes(routes!(stop_generator))
        .routes(routes!(generator_metrics))
        .routes(routes!(generator_metrics_stream))
        .routes(routes!(profile_generator))
        .routes(routes!(list_pools))
        .routes(routes!(get_pool))
        .routes(routes!(refresh_pool))
        .routes(routes!(list_catalog))
        .routes(routes!(list_universes, create_universe))
        .routes(routes!(get_universe, delete_universe))
        .routes(routes!(start_universe))
        .routes(routes!(pause_universe))
        .routes(routes!(resume_universe))
        .routes(routes!(stop_universe))
        .routes(routes!(health))
}

/// List generators.
#[utoipa::path(get, path = "/generators", tag = "generators",
    responses((status = 200, description = "Every generator, with live metrics for those running", body = [GeneratorResponse])))]
async fn list_generators(State(g): State<AppState>) -> Json<Vec<GeneratorResponse>> {
    Json(g.list())
}

/// Create a generator.
///
/// The body is the same model as the YAML file of `sdg run` (docs/CONFIG.md).
/// Every problem is reported at once, each with its path.
#[utoipa::path(post, path = "/generators", tag = "generators",
    request_body(content = Object, description = "A generator definition", content_type = "application/json"),
    responses(
        (status = 201, description = "Created (status CREATED)", body = GeneratorResponse),
        (status = 400, description = "Not valid: `errors` lists every problem", body = ErrorBody),
    ))]
async fn create_generator(State(g): State<AppState>, JsonBody(def): JsonBody) -> Result<Response, ApiError> {
    let created = blocking(move || g.create(def)).await?;
    Ok((StatusCode::CREATED, Json(created)).into_response())
}

/// Query parameters of `POST /generators/validate`.
#[derive(Debug, Clone, Copy, Default, serde::Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct ValidateParams {
    /// Also answer the first N rows of a valid definition (0 … 100; default 0).
    #[param(minimum = 0, maximum = 100)]
    preview: Option<usize>,
}

/// Validate a definition without creating it.
///
/// With `?preview=N`, a valid definition's answer also has its first N rows
/// (the rows every run of it starts with, but for wall-clock timestamps), each an object of column → text.
#[utoipa::path(post, path = "/generators/validate", tag = "generators",
    params(ValidateParams),
    request_body(content = Object, description = "A generator definition", content_type = "application/json"),
    responses((status = 200, description = "Whether the definition is valid, and every problem with its path", body = ValidationResponse),
              (status = 400, description = "The query parameters are not valid", body = ErrorBody)))]
async fn validate_generator(
    State(g): State<AppState>,
    params: Result<axum::extract::Query<ValidateParams>, axum::extract::rejection::QueryRejection>,
    JsonBody(def): JsonBody,
) -> Result<Json<ValidationResponse>, ApiError> {
    let params = query(params, "validate")?;
    let preview = params.preview.unwrap_or(0);
    if preview > 100 {
        return Err(ApiError::validation(format!("preview is {preview}; ask for 0 … 100 rows")));
    }
    blocking(move || {
        let answer = validate_answer(&g, &def, preview);
        // The plan is gone: pools only this request declared are forgotten (on every path).
        g.settle_pools();
        answer.map(Json)
    })
    .await
}

fn validate_answer(g: &Generators, def: &serde_json::Value, preview: usize) -> Result<ValidationResponse, ApiError> {
    match check_definition(def, g.resources()).map(|(_, plan)| plan) {
        Ok(plan) => {
            let (rows, preview_error) = match (preview > 0).then(|| preview_rows(&plan, preview)) {
                None => (None, None),
                Some(Ok(rows)) => (Some(rows), None),
                Some(Err(e)) => (None, Some(e)),
            };
            Ok(ValidationResponse {
                valid: true,
                errors: Vec::new(),
                fields: plan
                    .schema()
                    .fields()
                    .iter()
                    .map(|f| FieldType {
                        name: f.name().clone(),
                        data_type: f.data_type().to_string(),
                        nullable: f.is_nullable(),
                    })
                    .collect(),
                preview: rows,
                preview_error,
            })
        }
        Err(e) if e.status == StatusCode::BAD_REQUEST => {
            let mut errors = e.body.errors;
            if errors.is_empty() {
                errors.push(IssueBody { path: String::new(), message: e.body.detail, hint: None });
            }
            Ok(ValidationResponse { valid: false, errors, fields: Vec::new(), preview: None, preview_error: None })
        }
        Err(e) => Err(e),
    }
}

/// Rows 0 … n-1 of `plan` (fewer when the run has fewer), as column → text;
/// Err says why they cannot be made.
fn preview_rows(plan: &sdg_engine::Plan, n: usize) -> Result<Vec<serde_json::Map<String, serde_json::Value>>, String> {
    let n = plan.row_limit().map_or(n, |t| n.min(t as usize));
    let batch = plan.generate(0, n).map_err(|e| format!("the first rows cannot be made: {e}"))?;
    let cells = sdg_sinks::encode::render_cells(&batch).map_err(|e| e.to_string())?;
    let names: Vec<String> = batch.schema().fields().iter().map(|f| f.name().clone()).collect();
    Ok(cells
        .into_iter()
        .map(|row| {
            names.iter().cloned().zip(row.into_iter().map(|c| c.map_or(serde_json::Value::Null, Into::into))).collect()
        })
        .collect())
}

/// Get a generator (with live metrics while it runs).
#[utoipa::path(get, path = "/generators/{id}", tag = "generators",
    params(("id" = String, Path, description = "Generator id")),
    responses((status = 200, body = GeneratorResponse), (status = 404, body = ErrorBody)))]
async fn get_generator(State(g): State<AppState>, PathId(id): PathId) -> Result<Json<GeneratorResponse>, ApiError> {
    g.get(&id).map(Json)
}

/// Replace a generator's definition (not while RUNNING or PAUSED).
#[utoipa::path(put, path = "/generators/{id}", tag = "generators",
    params(("id" = String, Path, description = "Generator id")),
    request_body(content = Object, description = "A generator definition", content_type = "application/json"),
    responses(
        (status = 200, description = "Updated; the generator is CREATED again", body = GeneratorResponse),
        (status = 400, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, description = "RUNNING or PAUSED: stop it first", body = ErrorBody),
    ))]
async fn update_generator(
    State(g): State<AppState>,
    PathId(id): PathId,
    JsonBody(def): JsonBody,
) -> Result<Json<GeneratorResponse>, ApiError> {
    blocking(move || g.update(&id, def)).await.map(Json)
}

/// Retune a generator: a JSON Merge Patch (RFC 7396) of its definition.
///
/// On a RUNNING or PAUSED generator it changes what keeps the schema —
/// `rate` (constant or a profile) and, per field, `params` (enum values and
/// weights, bounds, distributions, pool picks, timestamp step and jitter …),
/// `null_ratio`, `blank_ratio` — between batches, from the row the answer
/// names (`applied_from_row`): no row lost or repeated, SEQUENCE and
/// row-keyed fields continue exactly, and the revision is kept
/// (`/revisions`) so a resume makes the same rows. Any other change, or a
/// parameter that changes a field's output type, is a 409 that says to stop
/// and PUT. A generator that is not running has its definition replaced, as
/// with PUT. `fields`, an array, is replaced whole by a patch.
#[utoipa::path(patch, path = "/generators/{id}", tag = "generators",
    params(("id" = String, Path, description = "Generator id")),
    request_body(content = Object, description = "A merge patch of the definition, e.g. {\"rate\": 5000}", content_type = "application/merge-patch+json"),
    responses(
        (status = 200, description = "Retuned (applied_from_row, revision) or replaced", body = crate::state::PatchResponse),
        (status = 400, description = "The patched definition is not valid: `errors` lists every problem", body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 409, description = "A change a running generator cannot take: stop it and PUT", body = ErrorBody),
    ))]
async fn patch_generator(
    State(g): State<AppState>,
    PathId(id): PathId,
    JsonBody(patch): JsonBody,
) -> Result<Json<crate::state::PatchResponse>, ApiError> {
    let patched = blocking(move || {
        let r = g.patch(&id, &patch);
        g.settle_pools();
        r
    })
    .await?;
    Ok(Json(patched))
}

/// The definitions of the current run, each with the row it applies from
/// (revision 0 the one it started with, then every retune).
#[utoipa::path(get, path = "/generators/{id}/revisions", tag = "generators",
    params(("id" = String, Path, description = "Generator id")),
    responses((status = 200, body = [crate::model::Revision]), (status = 404, body = ErrorBody)))]
async fn generator_revisions(
    State(g): State<AppState>,
    PathId(id): PathId,
) -> Result<Json<Vec<crate::model::Revision>>, ApiError> {
    g.revisions(&id).map(Json)
}

/// Delete a generator (a running one is stopped first, its sink flushed).
#[utoipa::path(delete, path = "/generators/{id}", tag = "generators",
    params(("id" = String, Path, description = "Generator id")),
    responses((status = 200, description = "Deleted", body = Object), (status = 404, body = ErrorBody)))]
async fn delete_generator(State(g): State<AppState>, PathId(id): PathId) -> Result<Json<serde_json::Value>, ApiError> {
    let shown = id.clone();
    blocking(move || g.delete(&id)).await?;
    Ok(Json(serde_json::json!({ "id": shown, "deleted": true })))
}

macro_rules! lifecycle {
    ($name:ident, $action:literal, $doc:literal, $call:expr $(, $extra:tt)*) => {
        #[doc = $doc]
        #[utoipa::path(post, path = concat!("/generators/{id}/", $action), tag = "lifecycle",
            params(("id" = String, Path, description = "Generator id")),
            responses(
                (status = 200, body = GeneratorResponse),
                (status = 404, body = ErrorBody),
                (status = 409, description = "Not allowed in the current status (named in the error)", body = ErrorBody),
                $($extra,)*
            ))]
        async fn $name(State(g): State<AppState>, PathId(id): PathId) -> Result<Json<GeneratorResponse>, ApiError> {
            let call: fn(&Generators, &str) -> Result<GeneratorResponse, ApiError> = $call;
            blocking(move || call(&g, &id)).await.map(Json)
        }
    };
}

/// `POST /generators/{id}/start` body (optional).
#[derive(Debug, Default, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct StartBody {
    /// Make shard I of N (I from 0) of the run, as `sdg run --shard I/N`
    /// does: its rows only, a FILE destination writing its own part
    /// (`GET /generators/{id}/plan?shards=N` answers each shard's rows).
    #[schema(example = "3/16", pattern = "^[0-9]+/[0-9]+$")]
    shard: Option<String>,
}

/// Start a new run from row 0 (CREATED, COMPLETED, STOPPED, FAILED); with
/// `{"shard": "I/N"}`, of that shard of the run.
#[utoipa::path(post, path = "/generators/{id}/start", tag = "lifecycle",
    params(("id" = String, Path, description = "Generator id")),
    request_body(content = Option<StartBody>, description = "Optional: the shard to make", content_type = "application/json"),
    responses(
        (status = 200, body = GeneratorResponse),
        (status = 400, description = "The body or its shard is malformed", body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 409, description = "Not allowed in the current status (named in the error)", body = ErrorBody),
        (status = 422, description = "The destination refused the generator (a table column of another type, a missing topic, refused credentials): the generator is FAILED; or the run cannot be split into that many shards", body = ErrorBody),
        (status = 502, description = "The destination could not be reached: the generator is FAILED; start again once it is up", body = ErrorBody)
    ))]
async fn start_generator(
    State(g): State<AppState>,
    PathId(id): PathId,
    OptionalJsonBody(body): OptionalJsonBody,
) -> Result<Json<GeneratorResponse>, ApiError> {
    let body: StartBody = match body {
        None | Some(serde_json::Value::Null) => StartBody::default(),
        Some(v) => serde_json::from_value(v).map_err(|e| ApiError::validation(format!("the start body: {e}")))?,
    };
    let shard =
        body.shard.as_deref().map(sdg_engine::pipeline::shard::parse).transpose().map_err(ApiError::validation)?;
    blocking(move || g.start(&id, shard)).await.map(Json)
}

/// Query parameters of `GET /generators/{id}/plan`.
#[derive(Debug, Clone, Copy, serde::Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct PlanParams {
    /// Shards to split the run into (1 … 100 000).
    #[param(minimum = 1, maximum = 100_000)]
    shards: u64,
}

/// How a run splits into shards: each shard's rows.
///
/// `basis` says how: `rows` (an unpaced RECORD_COUNT run: contiguous
/// `range`s of positions), `schedule` (a paced or open-ended run: every
/// N-th block of the schedule, `interleave` {period, offset, width}, each
/// shard paced at rate/N) or `sessions` (STATE_MACHINE sessions whole: the
/// session slots offset … offset+width of every round of `period` rows).
/// `rows` per shard when the run has a row count. Nothing runs.
#[utoipa::path(get, path = "/generators/{id}/plan", tag = "generators",
    params(("id" = String, Path, description = "Generator id"), PlanParams),
    responses((status = 200, description = "generator, shards, basis, rows, and per shard: shard, layout, rows", body = Object),
              (status = 400, body = ErrorBody), (status = 404, body = ErrorBody),
              (status = 409, description = "A universe member that cannot be compiled alone", body = ErrorBody),
              (status = 422, description = "The run cannot be split into that many shards", body = ErrorBody)))]
async fn generator_plan(
    State(g): State<AppState>,
    PathId(id): PathId,
    params: Result<axum::extract::Query<PlanParams>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let params = query(params, "plan")?;
    if !(1..=100_000).contains(&params.shards) {
        return Err(ApiError::validation(format!("shards is {}; split a run into 1 … 100000 shards", params.shards)));
    }
    blocking(move || {
        let plan = g.plan_of(&id)?;
        let shards = sdg_engine::pipeline::shard::Shard::all(&plan, params.shards)
            .map_err(|e| ApiError::new(axum::http::StatusCode::UNPROCESSABLE_ENTITY, "SHARD_REFUSED", e))?;
        let each: Vec<serde_json::Value> = shards
            .iter()
            .map(|s| serde_json::json!({ "shard": s.label(), "layout": s.layout, "rows": s.rows }))
            .collect();
        Ok(serde_json::json!({
            "generator": id,
            "shards": params.shards,
            "basis": shards.first().map(|s| s.basis),
            "rows": plan.row_limit(),
            "plan": each,
        }))
    })
    .await
    .map(Json)
}

lifecycle!(pause_generator, "pause", "Pause a RUNNING generator.", |g, id| g.pause(id));
lifecycle!(
    resume_generator,
    "resume",
    "Resume a PAUSED generator, or continue one the server stopped mid-run from its last delivered row.",
    |g, id| g.resume(id),
    (status = 422, description = "The destination refused the generator: the generator is FAILED", body = ErrorBody),
    (status = 502, description = "The destination could not be reached: the generator is FAILED", body = ErrorBody)
);
lifecycle!(
    stop_generator,
    "stop",
    "Stop a RUNNING or PAUSED generator; answers once rows in flight are delivered and the sink closed.",
    |g, id| {
        let run = g.request_stop(id)?;
        run.wait();
        g.settle(id)
    }
);

/// The engine's live metrics snapshot.
#[utoipa::path(get, path = "/generators/{id}/metrics", tag = "metrics",
    params(("id" = String, Path, description = "Generator id")),
    responses((status = 200, description = "rows_generated, rows_delivered, rows_failed, bytes, errors, rows_per_sec, queue_depth, latencies (µs), status", body = Object),
              (status = 404, body = ErrorBody)))]
async fn generator_metrics(State(g): State<AppState>, PathId(id): PathId) -> Result<Response, ApiError> {
    g.metrics(&id).map(|m| Json(m).into_response())
}

/// Server-Sent Events: a `metrics` event with the snapshot every second; ends after the run ends.
#[utoipa::path(get, path = "/generators/{id}/metrics/stream", tag = "metrics",
    params(("id" = String, Path, description = "Generator id")),
    responses((status = 200, description = "text/event-stream of `metrics` events", content_type = "text/event-stream"),
              (status = 404, body = ErrorBody)))]
async fn generator_metrics_stream(
    State(g): State<AppState>,
    PathId(id): PathId,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, ApiError> {
    g.metrics(&id)?;
    let mut ticker = tokio::time::interval(Duration::from_secs(1));
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    let stream = futures_util::stream::unfold((g, id, ticker, false), |(g, id, mut ticker, done)| async move {
        if done {
            return None;
        }
        ticker.tick().await;
        let m = g.metrics(&id).ok()?;
        let last = m.status.is_terminal();
        let event = Event::default().event("metrics").json_data(&m).unwrap_or_else(|_| Event::default());
        Some((Ok(event), (g, id, ticker, last)))
    });
    Ok(Sse::new(stream).keep_alive(KeepAlive::default()))
}

/// Query parameters of profiling.
#[derive(Debug, Clone, Copy, serde::Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
#[cfg_attr(not(feature = "profiling"), allow(dead_code))]
struct ProfileParams {
    /// Rows sampled from row 0, the first rows a run makes (1 … 1 000 000; default 10 000).
    #[param(minimum = 1, maximum = 1_000_000)]
    rows: Option<u64>,
    /// Most frequent values per field (0 … 100; default 10).
    #[param(minimum = 0, maximum = 100)]
    top_k: Option<usize>,
    /// Histogram bins for numbers and timestamps (1 … 1000; default 10).
    #[param(minimum = 1, maximum = 1000)]
    bins: Option<usize>,
}

/// Profile the generated data (DataFusion).
///
/// For the first `rows` rows the generator makes with its seed, per field:
/// count, nulls, distinct values (exact up to 200 000 rows, HyperLogLog
/// above), min/max/mean/stddev of numbers, min/max of timestamps, the most
/// frequent values and an equal-width histogram. Nothing is written anywhere.
#[utoipa::path(post, path = "/generators/{id}/profiling", tag = "generators",
    params(("id" = String, Path, description = "Generator id"), ProfileParams),
    responses((status = 200, description = "rows, seed, elapsed_ms and one profile per field", body = Object),
              (status = 400, body = ErrorBody), (status = 404, body = ErrorBody),
              (status = 501, description = "This build has no profiling (feature `profiling`)", body = ErrorBody)))]
async fn profile_generator(
    State(g): State<AppState>,
    PathId(id): PathId,
    params: Result<axum::extract::Query<ProfileParams>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let params = query(params, "profiling")?;
    blocking(move || profile(&g, &id, params)).await.map(Json)
}

#[cfg(feature = "profiling")]
fn profile(g: &Generators, id: &str, p: ProfileParams) -> Result<serde_json::Value, ApiError> {
    let d = sdg_profile::Options::default();
    let options = sdg_profile::Options {
        rows: p.rows.unwrap_or(d.rows),
        top_k: p.top_k.unwrap_or(d.top_k),
        bins: p.bins.unwrap_or(d.bins),
    };
    options.check().map_err(ApiError::validation)?;
    let plan = g.plan_of(id)?;
    let profile = sdg_profile::profile(&plan, &options).map_err(ApiError::internal)?;
    serde_json::to_value(profile).map_err(|e| ApiError::internal(e.to_string()))
}

#[cfg(not(feature = "profiling"))]
fn profile(g: &Generators, id: &str, _: ProfileParams) -> Result<serde_json::Value, ApiError> {
    g.plan_of(id)?;
    Err(ApiError::new(
        StatusCode::NOT_IMPLEMENTED,
        "NOT_IMPLEMENTED",
        "this sdg was built without profiling (cargo feature `profiling` of sdg-control-api)",
    ))
}

/// List reference-data pools.
///
/// The pools of the server (`sdg serve --pools DIR`) and those declared by
/// the generators' definitions (`pools:`), each with its status, size and
/// last error.
#[utoipa::path(get, path = "/pools", tag = "pools", responses((status = 200, body = [PoolResponse])))]
async fn list_pools(State(g): State<AppState>) -> Json<Vec<PoolResponse>> {
    Json(g.resources().list().iter().map(|e| PoolResponse::from(e.report())).collect())
}

fn no_pool(name: &str) -> ApiError {
    ApiError::not_found(format!("there is no pool `{name}` (GET /api/v1/pools lists them)"))
}

/// `?head=N` of a pool's detail.
#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
struct HeadParams {
    /// Rows to show, 0–1000 (default 10).
    head: Option<usize>,
}

/// Get a pool: its report, its columns and its first rows.
#[utoipa::path(get, path = "/pools/{poolName}", tag = "pools",
    params(("poolName" = String, Path, description = "Pool name"), HeadParams),
    responses((status = 200, body = PoolDetail), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn get_pool(
    State(g): State<AppState>,
    PathId(name): PathId,
    params: Result<axum::extract::Query<HeadParams>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<PoolDetail>, ApiError> {
    let params = query(params, "pool")?;
    let n = params.head.unwrap_or(10);
    if n > 1000 {
        return Err(ApiError::validation(format!("head={n} is more than 1000 rows; ask for fewer")));
    }
    let entry = g.resources().get(&name).ok_or_else(|| no_pool(&name))?;
    let head = match entry.current() {
        None => Vec::new(),
        Some(pool) => blocking(move || pool_head(&pool, n)).await?,
    };
    Ok(Json(PoolDetail { pool: PoolResponse::from(entry.report()), head }))
}

/// The first `n` rows of a pool as JSON objects.
fn pool_head(pool: &sdg_engine::pool::Pool, n: usize) -> Result<Vec<serde_json::Value>, ApiError> {
    let batch = pool.head(n).map_err(|e| ApiError::internal(e.to_string()))?;
    let mut w = arrow_json::ArrayWriter::new(Vec::new());
    w.write(&batch).map_err(|e| ApiError::internal(e.to_string()))?;
    w.finish().map_err(|e| ApiError::internal(e.to_string()))?;
    let bytes = w.into_inner();
    if bytes.is_empty() {
        return Ok(Vec::new());
    }
    serde_json::from_slice(&bytes).map_err(|e| ApiError::internal(e.to_string()))
}

/// Reload a pool from its source and swap the new version in.
///
/// Running generators keep going and read the new version from their next
/// batch (a batch always reads one version; the output changes with the
/// data). A refresh that fails (source unreachable, a column gone or of
/// another type) keeps the loaded version and answers 422 with the reason,
/// which the pool's report also shows as `last_error`.
#[utoipa::path(post, path = "/pools/{poolName}/refresh", tag = "pools",
    params(("poolName" = String, Path, description = "Pool name")),
    responses((status = 200, body = PoolResponse), (status = 404, body = ErrorBody),
              (status = 422, description = "The reload failed; the loaded version stays", body = ErrorBody)))]
async fn refresh_pool(State(g): State<AppState>, PathId(name): PathId) -> Result<Json<PoolResponse>, ApiError> {
    blocking(move || match g.resources().refresh(&name) {
        None => Err(no_pool(&name)),
        Some(Ok(entry)) => Ok(Json(PoolResponse::from(entry.report()))),
        Some(Err(e)) => Err(ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "POOL_REFRESH_FAILED", e)),
    })
    .await
}

/// The semantic type catalog: every kind of `type: CATALOG` with its
/// parameters, Arrow type, an example value and the locales with data.
#[utoipa::path(get, path = "/catalog", tag = "catalog",
    responses((status = 200, description = "Every kind", body = [Object])))]
async fn list_catalog() -> Json<serde_json::Value> {
    Json(sdg_engine::catalog::as_json())
}

/// List universes, each with its members' status and the dependency graph.
#[utoipa::path(get, path = "/universes", tag = "universes", responses((status = 200, body = [UniverseResponse])))]
async fn list_universes(State(g): State<AppState>) -> Json<Vec<UniverseResponse>> {
    Json(g.list_universes())
}

/// Create a universe and its members.
///
/// The body is a universe file (docs/CONFIG.md, Universes) as JSON, or as
/// YAML with `Content-Type: application/yaml`: `universe`, `description`,
/// `seed`, `generators` (each an inline generator definition). Every member
/// becomes a generator under `/generators` (CREATED); every problem of every
/// member is reported at once, with its path (`generators[1].fields[0]…`).
#[utoipa::path(post, path = "/universes", tag = "universes",
    request_body(content = Object, description = "A universe: { universe, description, seed, generators: [definition, …] }", content_type = "application/json"),
    responses(
        (status = 201, description = "Created, with its members (CREATED)", body = UniverseResponse),
        (status = 400, description = "Not valid: `errors` lists every problem", body = ErrorBody),
    ))]
async fn create_universe(State(g): State<AppState>, JsonBody(body): JsonBody) -> Result<Response, ApiError> {
    let created = blocking(move || g.create_universe(body)).await?;
    Ok((StatusCode::CREATED, Json(created)).into_response())
}

/// Get a universe: its members (status, rows delivered, parents) and definition.
#[utoipa::path(get, path = "/universes/{id}", tag = "universes",
    params(("id" = String, Path, description = "Universe id")),
    responses((status = 200, body = UniverseResponse), (status = 404, body = ErrorBody)))]
async fn get_universe(State(g): State<AppState>, PathId(id): PathId) -> Result<Json<UniverseResponse>, ApiError> {
    g.get_universe(&id).map(Json)
}

/// Delete a universe and its members (a running one is stopped first, children first).
#[utoipa::path(delete, path = "/universes/{id}", tag = "universes",
    params(("id" = String, Path, description = "Universe id")),
    responses((status = 200, description = "Deleted", body = Object), (status = 404, body = ErrorBody)))]
async fn delete_universe(State(g): State<AppState>, PathId(id): PathId) -> Result<Json<serde_json::Value>, ApiError> {
    let shown = id.clone();
    blocking(move || g.delete_universe(&id)).await?;
    Ok(Json(serde_json::json!({ "id": shown, "deleted": true })))
}

macro_rules! universe_lifecycle {
    ($name:ident, $action:literal, $doc:literal, $call:expr) => {
        #[doc = $doc]
        #[utoipa::path(post, path = concat!("/universes/{id}/", $action), tag = "universes",
            params(("id" = String, Path, description = "Universe id")),
            responses(
                (status = 200, body = UniverseResponse),
                (status = 404, body = ErrorBody),
                (status = 409, description = "Not allowed in the current status (named in the error)", body = ErrorBody),
            ))]
        async fn $name(State(g): State<AppState>, PathId(id): PathId) -> Result<Json<UniverseResponse>, ApiError> {
            let call: fn(&Generators, &str) -> Result<UniverseResponse, ApiError> = $call;
            blocking(move || call(&g, &id)).await.map(Json)
        }
    };
}

universe_lifecycle!(
    start_universe,
    "start",
    "Start every member from row 0, parents first: a BATCH child once its parents completed, REALTIME members together (a child references only rows its parents delivered).",
    |g, id| g.start_universe(id)
);
universe_lifecycle!(pause_universe, "pause", "Pause the RUNNING members, children first.", |g, id| g
    .pause_universe(id));
universe_lifecycle!(resume_universe, "resume", "Resume the PAUSED members, parents first.", |g, id| g
    .resume_universe(id));
universe_lifecycle!(
    stop_universe,
    "stop",
    "Stop every member, children first; answers once rows in flight are delivered and every sink closed.",
    |g, id| g.stop_universe(id)
);

/// Service health (never needs an API key): healthy when the generator
/// store answers a read.
#[utoipa::path(get, path = "/health", tag = "health",
    responses((status = 200, description = "healthy", body = Health),
              (status = 503, description = "unhealthy: `detail` says what failed", body = Health)))]
async fn health(State(g): State<AppState>) -> Response {
    // The probe commits to disk: off the async threads.
    let checked = tokio::task::spawn_blocking(move || g.check_store()).await;
    let (status, detail) = match checked.unwrap_or_else(|e| Err(format!("the check panicked: {e}"))) {
        Ok(()) => (StatusCode::OK, None),
        Err(e) => (StatusCode::SERVICE_UNAVAILABLE, Some(format!("the generator store does not answer: {e}"))),
    };
    let word = if status == StatusCode::OK { "healthy" } else { "unhealthy" };
    let body = Health { status: word.into(), version: env!("CARGO_PKG_VERSION").into(), timestamp: now(), detail };
    (status, Json(body)).into_response()
}
