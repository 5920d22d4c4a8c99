//! Seed 004's account surface: API keys over the API, usage per key,
//! webhooks. The guard (`crate::guard`) accepts configured and managed keys
//! and names the caller; `meter` counts each request against it.

pub mod keys;
pub mod usage;
pub mod webhooks;

use crate::api::{JsonBody, OptionalJsonBody, PathId, blocking, query};
use crate::error::{ApiError, ErrorBody};
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, Request, State};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use keys::{KeyRecord, KeyStore};
use serde_json::{Value, json};
use std::sync::Arc;
use usage::{Metered, Usage};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use webhooks::{Delivery, WebhookView, Webhooks};

/// Who made a request: a managed key's id, `config-N`, or `anonymous` (no keys configured).
#[derive(Debug, Clone)]
pub struct Caller(pub String);

/// What the account routes share.
#[derive(Clone)]
pub struct Account {
    pub keys: Arc<KeyStore>,
    pub usage: Arc<Usage>,
    pub webhooks: Arc<Webhooks>,
    /// Keys configured (`api_keys`, `--api-key-hash`): without them, keys cannot be managed.
    pub configured: bool,
}

impl std::fmt::Debug for Account {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Account").finish_non_exhaustive()
    }
}

/// Counts the request (and the rows and bytes its answer reports) against its caller.
pub async fn meter(State(usage): State<Arc<Usage>>, req: Request, next: Next) -> Response {
    let caller = req.extensions().get::<Caller>().map(|c| c.0.clone());
    let response = next.run(req).await;
    if let Some(c) = caller {
        let m = response.extensions().get::<Metered>().copied().unwrap_or_default();
        usage.count(&c, m);
    }
    response
}

/// Adds what an answer made to its usage.
pub fn metered(mut r: Response, rows: u64, bytes: u64) -> Response {
    r.extensions_mut().insert(Metered { rows, bytes });
    r
}

pub fn routes() -> OpenApiRouter<Account> {
    OpenApiRouter::new()
        .routes(routes!(list_keys, create_key))
        .routes(routes!(get_key, revoke_key))
        .routes(routes!(rotate_key))
        .routes(routes!(account_usage))
        .routes(routes!(list_webhooks, create_webhook))
        .routes(routes!(get_webhook, update_webhook, delete_webhook))
        .routes(routes!(webhook_deliveries))
}

fn managing(a: &Account) -> Result<(), ApiError> {
    if a.configured || a.keys.usable() > 0 { Ok(()) } else { Err(keys::open_server()) }
}

/// Cursor pages of a newest-first list: `{ items, total, next_cursor, has_more }`.
#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct PageParams {
    /// Page size, 1–100 (default 50).
    #[param(minimum = 1, maximum = 100)]
    limit: Option<usize>,
    /// The `next_cursor` of the previous page.
    #[param(pattern = "^([0-9a-fA-F]{2})*$")]
    cursor: Option<String>,
}

fn page<T: serde::Serialize>(
    items: Vec<T>,
    at: impl Fn(&T) -> (String, String),
    p: PageParams,
) -> Result<Value, ApiError> {
    let limit = p.limit.unwrap_or(50);
    if limit == 0 || limit > 100 {
        return Err(ApiError::validation("limit must be 1 to 100"));
    }
    let total = items.len();
    let start = match p.cursor.as_deref().filter(|c| !c.is_empty()) {
        Some(c) => {
            let (t, id) = crate::api_models::read_cursor(c)?;
            items
                .iter()
                .position(|x| {
                    let (xt, xid) = at(x);
                    xt < t || xt == t && xid > id
                })
                .unwrap_or(total)
        }
        None => 0,
    };
    let has_more = start + limit < total;
    let shown: Vec<&T> = items.iter().skip(start).take(limit).collect();
    let next = shown.last().filter(|_| has_more).map(|x| {
        let (t, id) = at(x);
        crate::api_models::cursor_of(&t, &id)
    });
    Ok(json!({ "items": shown, "total": total, "limit": limit, "next_cursor": next, "has_more": has_more }))
}

/// List API keys (never the keys): `{ items, total, next_cursor, has_more }`.
///
/// Managed keys (id, name, prefix, created_at, last_used_at, status:
/// active, rotating, expired, revoked); keys of the config are not listed
/// (only their hashes are known; they are changed in the config).
#[utoipa::path(get, path = "/api-keys", tag = "account", params(PageParams),
    responses((status = 200, body = Object), (status = 403, description = "A server without keys manages none", body = ErrorBody)))]
async fn list_keys(
    State(a): State<Account>,
    q: Result<Query<PageParams>, QueryRejection>,
) -> Result<Json<Value>, ApiError> {
    managing(&a)?;
    let p = query(q, "list")?;
    page(a.keys.list(), |k: &KeyRecord| (k.created_at.clone(), k.id.clone()), p).map(Json)
}

/// Create an API key: `{ name }` → 201 with `key`, shown this once (store it: only its hash is kept).
#[utoipa::path(post, path = "/api-keys", tag = "account",
    request_body(content = Object, description = "{ name }"),
    responses((status = 201, description = "The key's record and `key`", body = Object), (status = 400, body = ErrorBody),
              (status = 403, description = "A server without keys manages none: start it with a first key", body = ErrorBody)))]
async fn create_key(State(a): State<Account>, OptionalJsonBody(body): OptionalJsonBody) -> Result<Response, ApiError> {
    managing(&a)?;
    let name = match body.as_ref().and_then(|b| b.get("name")) {
        None | Some(Value::Null) => "key".to_string(),
        Some(Value::String(n)) if !n.trim().is_empty() && n.len() <= 100 => n.clone(),
        Some(v) => return Err(ApiError::validation(format!("name is {v}; give text of 1 to 100 characters"))),
    };
    let (rec, key) = blocking(move || a.keys.create(&name)).await?;
    let mut v = serde_json::to_value(&rec).unwrap_or_default();
    v["key"] = json!(key);
    v["note"] = json!("the key is shown this once: only its hash is stored");
    Ok((StatusCode::CREATED, Json(v)).into_response())
}

/// Get an API key's record.
#[utoipa::path(get, path = "/api-keys/{id}", tag = "account", params(("id" = String, Path, description = "Key id")),
    responses((status = 200, body = KeyRecord), (status = 404, body = ErrorBody),
              (status = 403, description = "A server without keys manages none", body = ErrorBody)))]
async fn get_key(State(a): State<Account>, PathId(id): PathId) -> Result<Json<KeyRecord>, ApiError> {
    managing(&a)?;
    a.keys.get(&id).map(Json)
}

/// Revoke an API key at once (requests with it get 401 from now on).
#[utoipa::path(delete, path = "/api-keys/{id}", tag = "account", params(("id" = String, Path, description = "Key id")),
    responses((status = 200, body = KeyRecord), (status = 404, body = ErrorBody), (status = 409, description = "Revoked already, or the last key of a server without configured keys", body = ErrorBody),
              (status = 403, description = "A server without keys manages none", body = ErrorBody)))]
async fn revoke_key(State(a): State<Account>, PathId(id): PathId) -> Result<Json<KeyRecord>, ApiError> {
    managing(&a)?;
    let keep_one = !a.configured;
    blocking(move || a.keys.revoke(&id, keep_one)).await.map(Json)
}

/// Rotate an API key: a new key (shown once) replaces it; the old one keeps
/// working for `grace_seconds` (default 86400, 0 … 2592000), then stops.
#[utoipa::path(post, path = "/api-keys/{id}/rotate", tag = "account", params(("id" = String, Path, description = "Key id")),
    request_body(content = Object, description = "{ grace_seconds, name }"),
    responses((status = 200, description = "{ key, new, old }", body = Object), (status = 404, body = ErrorBody),
              (status = 409, description = "Not an active key", body = ErrorBody),
              (status = 403, description = "A server without keys manages none", body = ErrorBody)))]
async fn rotate_key(
    State(a): State<Account>,
    PathId(id): PathId,
    OptionalJsonBody(body): OptionalJsonBody,
) -> Result<Json<Value>, ApiError> {
    managing(&a)?;
    let grace = match body.as_ref().and_then(|b| b.get("grace_seconds")) {
        None | Some(Value::Null) => keys::DEFAULT_GRACE_SECS,
        Some(v) => v
            .as_u64()
            .filter(|g| *g <= 30 * 86400)
            .ok_or_else(|| ApiError::validation(format!("grace_seconds is {v}; give 0 to 2592000 (30 days)")))?,
    };
    let name = body.as_ref().and_then(|b| b.get("name")).and_then(Value::as_str).map(str::to_string);
    let (new, key, old) = blocking(move || a.keys.rotate(&id, grace, name.as_deref())).await?;
    Ok(Json(json!({ "key": key, "new": new, "old": old, "grace_seconds": grace })))
}

/// `GET /account/usage` parameters.
#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct UsageParams {
    /// hour, day (default) or month.
    #[param(inline)]
    period: Option<Period>,
    /// Only periods that end after this time (RFC 3339).
    #[param(value_type = Option<String>, format = DateTime)]
    from: Option<String>,
    /// Only this caller (a key id, `config-N`, `anonymous`); default: every one.
    key: Option<String>,
}

/// A period of `/account/usage`.
#[derive(Debug, Clone, Copy, serde::Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
enum Period {
    Hour,
    Day,
    Month,
}

/// Usage per key and period: requests, rows generated, bytes exported.
#[utoipa::path(get, path = "/account/usage", tag = "account", params(UsageParams),
    responses((status = 200, description = "{ period, usage: [{ key, period_start, requests, rows_generated, bytes_exported }], totals, caller }", body = Object),
              (status = 400, body = ErrorBody)))]
async fn account_usage(
    State(a): State<Account>,
    caller: Option<Extension<Caller>>,
    q: Result<Query<UsageParams>, QueryRejection>,
) -> Result<Json<Value>, ApiError> {
    let p = query(q, "usage")?;
    let period = match p.period.unwrap_or(Period::Day) {
        Period::Hour => "hour",
        Period::Day => "day",
        Period::Month => "month",
    }
    .to_string();
    let from = p
        .from
        .as_deref()
        .map(|f| {
            chrono::DateTime::parse_from_rfc3339(f)
                .map(|d| d.with_timezone(&chrono::Utc))
                .map_err(|e| ApiError::validation(format!("from `{f}` is not an RFC 3339 time: {e}")))
        })
        .transpose()?;
    a.usage.flush();
    let rows = a.usage.report(&period, from, p.key.as_deref());
    let mut totals = usage::Counters::default();
    let usage: Vec<Value> = rows
        .iter()
        .map(|(k, start, c)| {
            totals.requests += c.requests;
            totals.rows_generated += c.rows_generated;
            totals.bytes_exported += c.bytes_exported;
            json!({ "key": k, "period_start": start, "requests": c.requests, "rows_generated": c.rows_generated, "bytes_exported": c.bytes_exported })
        })
        .collect();
    Ok(Json(json!({ "period": period, "usage": usage, "totals": totals, "caller": caller.map(|c| c.0.0) })))
}

/// List webhooks (secrets shown by prefix only).
#[utoipa::path(get, path = "/webhooks", tag = "account", params(PageParams),
    responses((status = 200, description = "{ items, total, next_cursor, has_more }", body = Object)))]
async fn list_webhooks(
    State(a): State<Account>,
    q: Result<Query<PageParams>, QueryRejection>,
) -> Result<Json<Value>, ApiError> {
    let p = query(q, "list")?;
    let views: Vec<WebhookView> = a.webhooks.list().iter().map(|w| w.view(false)).collect();
    page(views, |w: &WebhookView| (w.created_at.clone(), w.id.clone()), p).map(Json)
}

/// Register a webhook: `url`, `events` (job.completed, job.failed,
/// generator.completed, generator.failed), `secret` (≥ 16 characters; made
/// when absent, and answered this once), `description`, `active`.
#[utoipa::path(post, path = "/webhooks", tag = "account",
    request_body(content = Object, description = "{ url, events, secret, description, active }"),
    responses((status = 201, body = WebhookView), (status = 400, body = ErrorBody)))]
async fn create_webhook(State(a): State<Account>, JsonBody(body): JsonBody) -> Result<Response, ApiError> {
    let w = blocking(move || a.webhooks.create(&body)).await?;
    Ok((StatusCode::CREATED, Json(w.view(true))).into_response())
}

/// Get a webhook.
#[utoipa::path(get, path = "/webhooks/{id}", tag = "account", params(("id" = String, Path, description = "Webhook id")),
    responses((status = 200, body = WebhookView), (status = 404, body = ErrorBody)))]
async fn get_webhook(State(a): State<Account>, PathId(id): PathId) -> Result<Json<WebhookView>, ApiError> {
    a.webhooks.get(&id).map(|w| Json(w.view(false)))
}

/// Change a webhook: `url`, `events`, `secret`, `description`, `active`, or `rotate_secret: true` (the new secret is answered once).
#[utoipa::path(patch, path = "/webhooks/{id}", tag = "account", params(("id" = String, Path, description = "Webhook id")),
    request_body(content = Object, description = "The keys to change"),
    responses((status = 200, body = WebhookView), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn update_webhook(
    State(a): State<Account>,
    PathId(id): PathId,
    JsonBody(body): JsonBody,
) -> Result<Json<WebhookView>, ApiError> {
    let (w, shown) = blocking(move || a.webhooks.update(&id, &body)).await?;
    Ok(Json(w.view(shown)))
}

/// Delete a webhook and its deliveries.
#[utoipa::path(delete, path = "/webhooks/{id}", tag = "account", params(("id" = String, Path, description = "Webhook id")),
    responses((status = 200, description = "{ ok: true, id }", body = Object), (status = 404, body = ErrorBody)))]
async fn delete_webhook(State(a): State<Account>, PathId(id): PathId) -> Result<Json<Value>, ApiError> {
    let shown = id.clone();
    blocking(move || a.webhooks.delete(&id)).await?;
    Ok(Json(json!({ "ok": true, "id": shown })))
}

/// A webhook's deliveries, newest first, each with its attempts.
#[utoipa::path(get, path = "/webhooks/{id}/deliveries", tag = "account",
    params(("id" = String, Path, description = "Webhook id"), PageParams),
    responses((status = 200, description = "{ items: [Delivery], total, next_cursor, has_more }", body = Object), (status = 404, body = ErrorBody)))]
async fn webhook_deliveries(
    State(a): State<Account>,
    PathId(id): PathId,
    q: Result<Query<PageParams>, QueryRejection>,
) -> Result<Json<Value>, ApiError> {
    let p = query(q, "list")?;
    page(a.webhooks.deliveries(&id)?, |d: &Delivery| (d.created_at.clone(), d.id.clone()), p).map(Json)
}
