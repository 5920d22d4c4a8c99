//! The web console (web/), served at `/` from files embedded at build time
//! (build.rs): `index.html` at `/`, hashed bundles under `/assets/` cached
//! for a year. No key is needed to load the console itself — it holds no
//! data; it asks for a key and sends it with every API call.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};

include!(concat!(env!("OUT_DIR"), "/console.rs"));

fn content_type(path: &str) -> &'static str {
    match path.rsplit('.').next() {
        Some("html") => "text/html; charset=utf-8",
        Some("js") | Some("mjs") => "text/javascript; charset=utf-8",
        Some("css") => "text/css; charset=utf-8",
        Some("svg") => "image/svg+xml",
        Some("json") => "application/json",
        Some("png") => "image/png",
        Some("woff2") => "font/woff2",
        _ => "application/octet-stream",
    }
}

/// The embedded file at `path` (relative, e.g. `assets/index-abc.js`).
pub fn file(path: &str) -> Option<&'static [u8]> {
    FILES.iter().find(|(p, _)| *p == path).map(|(_, b)| *b)
}

/// `GET /`: the console.
pub async fn index() -> Response {
    match file("index.html") {
        Some(html) => {
            let mut r = Html(html).into_response();
            r.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
            r
        }
        None => Html(
            "<!doctype html><title>sdg</title><p>This build of sdg has no web console: build it with \
             <code>cd web &amp;&amp; npm ci &amp;&amp; npm run build</code>, then rebuild sdg. \
             The API is at <a href=\"/docs\">/docs</a>.</p>",
        )
        .into_response(),
    }
}

/// `GET /assets/{file}`.
pub async fn asset(axum::extract::Path(name): axum::extract::Path<String>) -> Response {
    let path = format!("assets/{name}");
    match file(&path) {
        Some(bytes) => (
            [
                (header::CONTENT_TYPE, HeaderValue::from_static(content_type(&path))),
                (header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=31536000, immutable")),
            ],
            bytes,
        )
            .into_response(),
        None => crate::error::ApiError::new(
            StatusCode::NOT_FOUND,
            "NOT_FOUND",
            format!("the console has no file {path} (a newer page of an older server? reload /)"),
        )
        .into_response(),
    }
}
