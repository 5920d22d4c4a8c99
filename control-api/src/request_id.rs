//! A request id on every response: the client's `X-Request-Id` when it sent
//! a usable one (1–128 visible ASCII characters), else a new UUID; answered
//! in the `X-Request-Id` header and, in every JSON error body, as
//! `request_id`, and logged with each request that fails, so a client's
//! report and the server's log meet.

use axum::body::Body;
use axum::extract::Request;
use axum::http::{HeaderValue, header};
use axum::middleware::Next;
use axum::response::Response;

pub const HEADER: &str = "x-request-id";

/// The largest error body rewritten to carry the id (larger ones — an
/// agentic error repeating a large request — keep their body, without it).
const MAX_ERROR_BODY: u64 = 16 << 20;

fn usable(v: &HeaderValue) -> Option<String> {
    let s = v.to_str().ok()?;
    (!s.is_empty() && s.len() <= 128 && s.bytes().all(|b| b.is_ascii_graphic())).then(|| s.to_string())
}

/// The middleware (outermost, so every answer — 401, 429, 404 — has an id).
pub async fn tag(mut req: Request, next: Next) -> Response {
    let id = req.headers().get(HEADER).and_then(usable).unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
    let value = HeaderValue::from_str(&id).unwrap_or_else(|_| HeaderValue::from_static("invalid"));
    req.headers_mut().insert(HEADER, value.clone());
    let (method, path) = (req.method().clone(), req.uri().path().to_string());
    let mut response = next.run(req).await;
    let status = response.status();
    if status.is_client_error() || status.is_server_error() {
        tracing::info!(request_id = %id, %method, %path, status = status.as_u16(), "request refused");
        let json = response
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|t| t.starts_with("application/json") || t.ends_with("+json"));
        let small = {
            use axum::body::HttpBody as _;
            response.body().size_hint().upper().is_some_and(|n| n <= MAX_ERROR_BODY)
        };
        if json && small {
            let (mut parts, body) = response.into_parts();
            let bytes = axum::body::to_bytes(body, MAX_ERROR_BODY as usize).await.unwrap_or_default();
            let bytes = match serde_json::from_slice::<serde_json::Value>(&bytes) {
                Ok(serde_json::Value::Object(mut m)) => {
                    m.insert("request_id".into(), serde_json::Value::String(id.clone()));
                    serde_json::to_vec(&m).unwrap_or_else(|_| bytes.to_vec())
                }
                _ => bytes.to_vec(),
            };
            parts.headers.remove(header::CONTENT_LENGTH);
            response = Response::from_parts(parts, Body::from(bytes));
        }
    }
    response.headers_mut().insert(HEADER, value);
    response
}
