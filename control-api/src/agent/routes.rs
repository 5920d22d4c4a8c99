//! The HTTP routes of seed 003 on `/api/v1`: `/capabilities`, `/validate`,
//! `/generate`, `/infer-schema`, `/generate-ai` and `/generate-ai/stream`.

use super::output::{Writer, content_type, objects};
use super::{Agent, AgentError, Prepared};
use crate::api::{JsonBody, blocking};
use crate::error::{ApiError, ErrorBody};
use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use std::convert::Infallible;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// The media type that asks for errors agents can act on.
pub const AGENTIC: &str = "application/vnd.agentic+json";

pub fn routes() -> OpenApiRouter<Agent> {
    OpenApiRouter::new()
        .routes(routes!(capabilities))
        .routes(routes!(validate))
        .routes(routes!(generate))
        .routes(routes!(infer_schema))
        .routes(routes!(generate_ai))
        .routes(routes!(generate_ai_stream))
}

/// True when the client asked for agentic errors.
pub fn wants_agentic(headers: &HeaderMap) -> bool {
    headers.get_all(header::ACCEPT).iter().any(|v| v.to_str().is_ok_and(|v| v.contains(AGENTIC)))
}

/// An error answer: the usual body, or with `Accept: application/vnd.agentic+json`
/// every issue with its allowed values and fix, and the corrected example.
pub fn refuse(e: AgentError, agentic: bool) -> Response {
    if !agentic || e.issues.is_empty() {
        return e.error.into_response();
    }
    let mut body = serde_json::to_value(&e.error.body).unwrap_or_default();
    body["errors"] = serde_json::to_value(&e.issues).unwrap_or_default();
    if let Some((fixed, valid)) = e.corrected {
        body["corrected_example"] = fixed;
        body["corrected_example_valid"] = json!(valid);
    }
    let mut r = (e.error.status, Json(body)).into_response();
    r.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static(AGENTIC));
    r
}

async fn off_thread<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, AgentError> + Send + 'static,
) -> Result<T, AgentError> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| AgentError::from(ApiError::internal(format!("a generation panicked: {e}"))))?
}

/// What the service can make: built-in types and catalog kinds (with their
/// constraints and locales), locales, output formats, SQL dialects, limits.
#[utoipa::path(get, path = "/capabilities", tag = "agents",
    responses((status = 200, description = "Types, locales, formats, limits", body = Object)))]
async fn capabilities(State(a): State<Agent>) -> Json<Value> {
    Json(a.capabilities())
}

/// Dry-run a schema-mode body: `{ valid, errors, fields, preview, definition }`,
/// or, when not valid, every problem with its path, allowed values and fix,
/// and a corrected example (checked again: `corrected_example_valid`).
#[utoipa::path(post, path = "/validate", tag = "agents",
    request_body(content = Object, description = "A schema-mode body, as POST /generate takes"),
    responses((status = 200, description = "Whether it is valid, and every problem", body = Object)))]
async fn validate(State(a): State<Agent>, JsonBody(body): JsonBody) -> Result<Json<Value>, ApiError> {
    if !body.is_object() {
        return Err(ApiError::validation(
            "the body is a JSON object: {\"count\": 10, \"schema_fields\": [{\"name\": \"id\", \"type\": \"uuid\"}]}",
        ));
    }
    blocking(move || Ok(Json(a.validate(&body)))).await
}

/// The rows of a prepared request as the answer: `{ data, meta }` for
/// json, the file itself for the other formats.
fn answer(p: &Prepared, meta: Value) -> Result<Response, AgentError> {
    let internal = |e: String| AgentError::from(ApiError::internal(format!("making the rows: {e}")));
    let mut headers = HeaderMap::new();
    headers.insert("x-sdg-seed", HeaderValue::from(p.seed));
    headers.insert("x-sdg-count", HeaderValue::from(p.count));
    if p.format == "json" {
        let mut data = Vec::with_capacity(p.count as usize);
        Agent::batches(p, |b| {
            data.extend(objects(&b)?.into_iter().map(Value::Object));
            Ok(())
        })
        .map_err(internal)?;
        let mut meta = meta;
        meta["count"] = json!(data.len());
        let r = (headers, Json(json!({ "data": data, "meta": meta }))).into_response();
        return Ok(crate::account::metered(r, p.count, 0));
    }
    let keys = sdg_sinks::encode::TableKeys::default();
    let mut w = Writer::new(&p.format, p.plan.schema(), Vec::new(), &p.table, p.dialect, &keys).map_err(internal)?;
    Agent::batches(p, |b| w.write(&b)).map_err(internal)?;
    let bytes = w.finish().map_err(internal)?;
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type(&p.format)));
    let file = format!(
        "attachment; filename=\"{}.{}\"",
        p.table.replace(|c: char| !c.is_ascii_alphanumeric() && c != '_', "_"),
        p.format
    );
    if let Ok(v) = HeaderValue::from_str(&file) {
        headers.insert(header::CONTENT_DISPOSITION, v);
    }
    let n = bytes.len() as u64;
    Ok(crate::account::metered((headers, bytes).into_response(), p.count, n))
}

fn meta(p: &Prepared) -> Value {
    json!({ "count": p.count, "seed": p.seed, "output_format": p.format, "fields": p.fields, "warnings": p.warnings })
}

/// Generate rows from explicit fields (schema mode).
///
/// `count` (default 10, at most the server's `max_sync_rows`), `locale`,
/// `output_format` (json, csv, jsonl, parquet, sql), `seed` (drawn and
/// answered when absent: the same seed gives the same rows), `schema_fields`
/// (`name`, `type` — a built-in type or a catalog kind, see
/// `/capabilities` — `locale`, `constraints`, `blankPercentage`,
/// `nullPercentage`), and for sql `table_name` and `sql_dialect`. json
/// answers `{ data, meta }`; the other formats answer the file, with the
/// seed in `X-Sdg-Seed`.
#[utoipa::path(post, path = "/generate", tag = "agents",
    request_body(content = Object, description = "A schema-mode body"),
    responses(
        (status = 200, description = "The rows: { data, meta } (json) or the file", body = Object),
        (status = 400, description = "Not valid: every problem with its path (agentic with Accept: application/vnd.agentic+json)", body = ErrorBody),
        (status = 422, description = "More rows than one request may make (ROW_LIMIT_EXCEEDED): use a corpus job", body = ErrorBody),
    ))]
async fn generate(State(a): State<Agent>, headers: HeaderMap, JsonBody(body): JsonBody) -> Response {
    let agentic = wants_agentic(&headers);
    off_thread(move || {
        let p = a.prepare(&body, false)?;
        answer(&p, meta(&p))
    })
    .await
    .unwrap_or_else(|e| refuse(e, agentic))
}

/// Propose types for column names (offline rules, deterministic).
///
/// Body: `field_names` (or `names`), `locale`, `domain_hint` (or `domain`).
/// Answers `proposed_schema` (schema-mode fields that `POST /generate` takes
/// as they are), `contract_hash` (equal hashes, equal types), `contract_id`,
/// the generator `definition`, and each field's mapping, `confidence` and
/// `reason`.
#[utoipa::path(post, path = "/infer-schema", tag = "agents",
    request_body(content = InferRequest),
    responses((status = 200, description = "The proposal", body = Object), (status = 400, body = ErrorBody)))]
async fn infer_schema(State(a): State<Agent>, headers: HeaderMap, JsonBody(body): JsonBody) -> Response {
    let agentic = wants_agentic(&headers);
    let known = ["field_names", "names", "locale", "domain_hint", "domain"];
    if let Some(k) = body.as_object().and_then(|o| o.keys().find(|k| !known.contains(&k.as_str()))) {
        let issue = super::unknown_key(k.clone(), k, &known);
        return refuse(AgentError::invalid("request", vec![issue]), agentic);
    }
    match a.infer(&body) {
        Ok(i) => Json(serde_json::to_value(i).unwrap_or_default()).into_response(),
        Err(e) => refuse(e, agentic),
    }
}

/// `POST /infer-schema`.
#[derive(Debug, serde::Deserialize, utoipa::ToSchema)]
#[allow(dead_code)] // read as JSON by `Agent::infer`; here for the document
struct InferRequest {
    /// Column names (snake_case, camelCase, kebab-case or with spaces), 1–1000.
    field_names: Option<Vec<String>>,
    /// The same as field_names (the name `sdg infer` used).
    names: Option<Vec<String>>,
    /// The locale of the proposed catalog fields (default en_US).
    locale: Option<String>,
    /// A hint that breaks ties, e.g. "retail loyalty".
    domain_hint: Option<String>,
    /// The same as domain_hint.
    domain: Option<String>,
}

/// Generate rows from column names only (AI mode).
///
/// The types are inferred as `POST /infer-schema` proposes them; then as
/// `POST /generate`. `require_validate: true` or `strict_contract: true`
/// need `expected_contract_hash` (400 without); with `strict_contract` a
/// hash that is no longer the inferred one is refused with 409
/// CONTRACT_CHANGED and both hashes; without it the rows follow the new
/// schema and `meta.warnings` says so.
#[utoipa::path(post, path = "/generate-ai", tag = "agents",
    request_body(content = Object, description = "field_names, count, locale, domain_hint, output_format, seed, require_validate, strict_contract, expected_contract_hash"),
    responses(
        (status = 200, description = "The rows: { data, meta } (json) or the file", body = Object),
        (status = 400, description = "Not valid", body = ErrorBody),
        (status = 409, description = "strict_contract: the inferred schema is not the expected contract", body = ErrorBody),
        (status = 422, description = "More rows than one request may make: use a corpus job", body = ErrorBody),
    ))]
async fn generate_ai(State(a): State<Agent>, headers: HeaderMap, JsonBody(body): JsonBody) -> Response {
    let agentic = wants_agentic(&headers);
    off_thread(move || {
        let (p, inferred, warnings) = a.generate_ai(&body, false)?;
        let mut m = meta(&p);
        m["contract_hash"] = json!(inferred.contract_hash);
        m["contract_id"] = json!(inferred.contract_id);
        m["proposed_schema"] = json!(inferred.proposed_schema);
        m["warnings"] = json!(warnings);
        answer(&p, m)
    })
    .await
    .unwrap_or_else(|e| refuse(e, agentic))
}

/// Stream rows from column names (AI mode) as Server-Sent Events.
///
/// The body of `POST /generate-ai` (rows are JSON objects; `output_format`
/// may be json or left out), plus `chunk_size` (default 1): one `row` event
/// per row (`id` = its index), or `chunk` events of `{ index, rows }`; then
/// one `summary` event (`count`, `seed`, `contract_hash`, …). At most
/// `max_stream_rows` rows; rows are made as the client reads them.
#[utoipa::path(post, path = "/generate-ai/stream", tag = "agents",
    request_body(content = Object, description = "As POST /generate-ai, plus chunk_size"),
    responses(
        (status = 200, description = "text/event-stream: row or chunk events, then summary", content_type = "text/event-stream"),
        (status = 400, description = "Not valid", body = ErrorBody),
        (status = 409, description = "strict_contract: the inferred schema is not the expected contract", body = ErrorBody),
    ))]
async fn generate_ai_stream(State(a): State<Agent>, headers: HeaderMap, JsonBody(body): JsonBody) -> Response {
    let agentic = wants_agentic(&headers);
    let chunk = match body.get("chunk_size") {
        None | Some(Value::Null) => 1,
        Some(v) => match v.as_u64().filter(|n| (1..=10_000).contains(n)) {
            Some(n) => n as usize,
            None => {
                let issue =
                    super::AgentIssue::new("chunk_size", format!("chunk_size is {v}; send 1 to 10000 rows per event"))
                        .fix(super::Fix::replace(json!(100)));
                return refuse(AgentError::invalid("request", vec![issue]), agentic);
            }
        },
    };
    if body
        .get("output_format")
        .is_some_and(|f| !f.is_null() && !f.as_str().is_some_and(|f| f.eq_ignore_ascii_case("json")))
    {
        let issue = super::AgentIssue::new(
            "output_format",
            "a stream sends rows as JSON objects; output_format is json or left out",
        )
        .allowed(vec!["json".into()])
        .fix(super::Fix::replace(json!("json")));
        return refuse(AgentError::invalid("request", vec![issue]), agentic);
    }
    let prepared = {
        let a = a.clone();
        off_thread(move || a.generate_ai(&body, true)).await
    };
    let (p, inferred, warnings) = match prepared {
        Ok(x) => x,
        Err(e) => return refuse(e, agentic),
    };
    let count = p.count;
    let (tx, rx) = tokio::sync::mpsc::channel::<Event>(8);
    tokio::task::spawn_blocking(move || {
        let started = std::time::Instant::now();
        let mut sent = 0u64;
        let mut pending: Vec<Value> = Vec::with_capacity(chunk);
        let mut index = 0u64;
        let send = |e: Event| tx.blocking_send(e).map_err(|_| "the client went away".to_string());
        let result = Agent::batches(&p, |b| {
            for row in objects(&b)? {
                if chunk == 1 {
                    let data = serde_json::to_string(&row).unwrap_or_default();
                    send(Event::default().event("row").id(sent.to_string()).data(data))?;
                } else {
                    pending.push(Value::Object(row));
                    if pending.len() == chunk {
                        let data = json!({ "index": index, "rows": std::mem::take(&mut pending) }).to_string();
                        send(Event::default().event("chunk").id(index.to_string()).data(data))?;
                        index += 1;
                    }
                }
                sent += 1;
            }
            Ok(())
        });
        if result.is_ok() && !pending.is_empty() {
            let data = json!({ "index": index, "rows": pending }).to_string();
            let _ = send(Event::default().event("chunk").id(index.to_string()).data(data));
        }
        let summary = match &result {
            Ok(()) => json!({
                "count": sent, "seed": p.seed, "contract_hash": inferred.contract_hash, "contract_id": inferred.contract_id,
                "fields": p.fields, "warnings": warnings, "elapsed_ms": started.elapsed().as_millis() as u64,
            }),
            Err(e) => json!({ "count": sent, "error": e }),
        };
        let _ =
            send(Event::default().event(if result.is_ok() { "summary" } else { "error" }).data(summary.to_string()));
    });
    let stream =
        futures_util::stream::unfold(rx, |mut rx| async move { rx.recv().await.map(|e| (Ok::<_, Infallible>(e), rx)) });
    crate::account::metered(Sse::new(stream).keep_alive(KeepAlive::default()).into_response(), count, 0)
}
