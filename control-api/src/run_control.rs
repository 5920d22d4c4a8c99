//! `sdg run FILE --control ADDR`: the retune and lifecycle routes of one
//! run of the CLI, on a small HTTP server of its own (no store, no keys:
//! bind it to loopback). The same rules as `PATCH /api/v1/generators/{id}`.
//!
//! | Route | Does |
//! |---|---|
//! | `GET /metrics` | the run's live snapshot |
//! | `PATCH /` | a JSON Merge Patch of the definition: `{"rate": 5000}` |
//! | `GET /revisions` | each definition and the row it applies from |
//! | `POST /pause`, `/resume`, `/stop` | the lifecycle |

use crate::error::ApiError;
use crate::model::{Revision, now};
use crate::state::{check_definition, fixed_part_differs, merge_patch, running_conflict};
use axum::extract::State;
use axum::routing::{get, patch, post};
use axum::{Json, Router};
use parking_lot::Mutex;
use sdg_engine::{Resources, Run};
use std::net::SocketAddr;
use std::sync::Arc;

struct Control {
    run: Arc<Run>,
    resources: Resources,
    revisions: Mutex<Vec<Revision>>,
}

type Shared = Arc<Control>;

/// Serves the control routes of `run` on `addr` from a thread of its own,
/// until the process ends; the address it is bound to.
pub fn control_run(
    addr: SocketAddr,
    run: Arc<Run>,
    definition: serde_json::Value,
    resources: Resources,
) -> anyhow::Result<SocketAddr> {
    let listener = std::net::TcpListener::bind(addr)
        .map_err(|e| anyhow::anyhow!("--control {addr}: {e} (is the port taken? try another, or port 0)"))?;
    listener.set_nonblocking(true)?;
    let bound = listener.local_addr()?;
    let revision = Revision { revision: 0, from_row: 0, at: now(), definition };
    let state = Arc::new(Control { run, resources, revisions: Mutex::new(vec![revision]) });
    let app = Router::new()
        .route("/metrics", get(metrics))
        .route("/", patch(retune))
        .route("/revisions", get(revisions))
        .route("/pause", post(|State(c): State<Shared>| async move { lifecycle(&c, "pause") }))
        .route("/resume", post(|State(c): State<Shared>| async move { lifecycle(&c, "resume") }))
        .route("/stop", post(|State(c): State<Shared>| async move { lifecycle(&c, "stop") }))
        .with_state(state);
    std::thread::Builder::new().name("sdg-control".into()).spawn(move || {
        let rt = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
            Ok(rt) => rt,
            Err(e) => return tracing::error!(error = %e, "the control server did not start"),
        };
        rt.block_on(async move {
            match tokio::net::TcpListener::from_std(listener) {
                Ok(l) => {
                    if let Err(e) = axum::serve(l, app).await {
                        tracing::error!(error = %e, "the control server stopped");
                    }
                }
                Err(e) => tracing::error!(error = %e, "the control server did not start"),
            }
        });
    })?;
    Ok(bound)
}

async fn metrics(State(c): State<Shared>) -> Json<sdg_engine::MetricsSnapshot> {
    Json(c.run.metrics())
}

async fn revisions(State(c): State<Shared>) -> Json<Vec<Revision>> {
    Json(c.revisions.lock().clone())
}

async fn retune(
    State(c): State<Shared>,
    crate::api::JsonBody(patch): crate::api::JsonBody,
) -> Result<Json<serde_json::Value>, ApiError> {
    crate::api::blocking(move || {
        if !patch.is_object() {
            return Err(ApiError::validation(
                "the body must be a JSON object: a merge patch of the definition, e.g. {\"rate\": 5000}",
            ));
        }
        let status = c.run.status();
        if status.is_terminal() {
            return Err(ApiError::conflict(format!("the run has ended ({})", status.as_str()), status.as_str()));
        }
        let old = c.revisions.lock().last().map(|r| r.definition.clone()).unwrap_or_default();
        let mut new = old.clone();
        merge_patch(&mut new, &patch);
        if let Some(path) = fixed_part_differs(&old, &new) {
            return Err(running_conflict(&path, status));
        }
        let (_, plan) = check_definition(&new, &c.resources)?;
        let from = c.run.retune(Arc::new(plan)).map_err(|e| ApiError::conflict(e, status.as_str()))?;
        let mut revisions = c.revisions.lock();
        let revision = revisions.len();
        revisions.push(Revision { revision, from_row: from, at: now(), definition: new.clone() });
        Ok(Json(serde_json::json!({ "applied_from_row": from, "revision": revision, "definition": new })))
    })
    .await
}

fn lifecycle(c: &Control, action: &str) -> Result<Json<sdg_engine::MetricsSnapshot>, ApiError> {
    let done = match action {
        "pause" => c.run.pause(),
        "resume" => c.run.resume(),
        _ => c.run.request_stop(),
    };
    done.map_err(|t| {
        ApiError::conflict(format!("cannot {action} a run that is {}", t.current.as_str()), t.current.as_str())
    })?;
    Ok(Json(c.run.metrics()))
}
