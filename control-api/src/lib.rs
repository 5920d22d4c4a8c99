//! sdg's control API (`sdg serve`): the generator lifecycle service of seed
//! 001 over HTTP. `/api/v1` holds the routes (see `api`); `/openapi.json`,
//! `/docs` (Swagger UI), `/redoc` and `/metrics` (Prometheus) sit at the
//! root. Generators persist in `DATA_DIR/sdg.redb`; optional API keys and
//! per-IP rate limits guard every route (see `guard`).

mod account;
mod agent;
mod api;
mod api_models;
mod console;
mod corpus;
mod datasets;
mod error;
mod guard;
mod jobs;
mod mcp;
mod model;
mod models;
mod openapi;
mod prom;
mod request_id;
mod run_control;
mod state;
mod store;

pub use error::ErrorBody;
pub use guard::hash_key;
pub use model::GeneratorResponse;
pub use run_control::control_run;

use axum::extract::{DefaultBodyLimit, Request, State};
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router, middleware};
use error::{ApiError, code_of};
use serde::Deserialize;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use utoipa::OpenApi;

/// Settings of `sdg serve` (a YAML file given with `--config`; flags override).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ServeConfig {
    /// Address to listen on.
    pub addr: SocketAddr,
    /// Where generators are stored (`sdg.redb`).
    pub data_dir: PathBuf,
    /// SHA-256 hashes of the accepted API keys (`sha256:<hex>`, made by `sdg api-key`). Empty: no auth.
    pub api_keys: Vec<String>,
    /// Requests per client IP.
    pub rate_limit: RateLimitConfig,
    /// Largest request body, in bytes.
    pub max_body_bytes: usize,
    /// Worker threads per generator run (default: the cores).
    pub workers: Option<usize>,
    /// A directory of pool files (`*.yaml`), loaded at start and shared by every generator.
    pub pools_dir: Option<PathBuf>,
    /// Where INDEXED pools keep their memory-mapped files (default: $SDG_POOL_CACHE, else ~/.cache/sdg/pools).
    pub pool_cache: Option<PathBuf>,
    /// Largest dataset upload (`POST /api/v1/datasets`), in bytes.
    pub max_upload_bytes: usize,
    /// Jobs (model training, generation) run at once; the others wait, `pending`.
    pub job_workers: usize,
    /// The most rows one generation job may make.
    pub max_job_rows: u64,
    /// The most rows one synchronous request may make (`/generate`, `/generate-ai`, MCP `generate`); more is a corpus job.
    pub max_sync_rows: u64,
    /// The most rows one streamed request may make (`/generate-ai/stream`).
    pub max_stream_rows: u64,
    /// Attempts of one webhook delivery before it is `failed`.
    pub webhook_max_attempts: u32,
    /// The wait before a delivery's second attempt, in ms; it doubles each time (at most an hour).
    pub webhook_retry_base_ms: u64,
    /// How long an endpoint may take to answer, in ms.
    pub webhook_timeout_ms: u64,
}

/// Requests per client IP; 0 turns a window off.
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RateLimitConfig {
    pub per_minute: u32,
    pub per_hour: u32,
}

impl Default for RateLimitConfig {
    fn default() -> Self {
        Self { per_minute: 60, per_hour: 1000 }
    }
}

impl Default for ServeConfig {
    fn default() -> Self {
        Self {
            addr: SocketAddr::from(([127, 0, 0, 1], 50032)),
            data_dir: PathBuf::from("sdg-data"),
            api_keys: Vec::new(),
            rate_limit: RateLimitConfig::default(),
            max_body_bytes: 1 << 20,
            workers: None,
            pools_dir: None,
            pool_cache: None,
            max_upload_bytes: 256 << 20,
            job_workers: 2,
            max_job_rows: 100_000_000,
            max_sync_rows: 10_000,
            max_stream_rows: 1_000_000,
            webhook_max_attempts: 8,
            webhook_retry_base_ms: 1000,
            webhook_timeout_ms: 10_000,
        }
    }
}

impl ServeConfig {
    /// Reads a YAML config file, naming the key and line of any problem.
    pub fn from_file(path: &std::path::Path) -> anyhow::Result<Self> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| anyhow::anyhow!("reading the serve config {}: {e}", path.display()))?;
        let de = serde_norway::Deserializer::from_str(&text);
        serde_path_to_error::deserialize(de)
            .map_err(|e| anyhow::anyhow!("{}: `{}`: {}", path.display(), e.path(), e.inner()))
    }
}

#[derive(OpenApi)]
#[openapi(
    info(title = "sdg control API", description = "Generator lifecycle, live metrics, pools and universes of sdg, a synthetic data streaming engine. Errors: {detail, error_code, status_code}."),
    servers((url = "/api/v1")),
    components(schemas(ErrorBody)),
    modifiers(&ApiKeyScheme),
    security(("api_key" = [])),
    tags(
        (name = "generators", description = "Definitions"),
        (name = "lifecycle", description = "start, pause, resume, stop"),
        (name = "metrics", description = "Live metrics"),
        (name = "pools"), (name = "catalog", description = "The semantic type catalog"), (name = "universes"),
        (name = "models", description = "Trained models (Gaussian copulas): train on a dataset, generate rows"),
        (name = "jobs", description = "Background work: training and generation; progress, cancel, download"),
        (name = "datasets", description = "Uploaded CSV and Parquet files, each a pool"),
        (name = "corpus", description = "Seed 000: context analysis with domain templates, samples, feedback, corpus jobs with exports; seed 004's identities"),
        (name = "agents", description = "Seed 003: schema mode, AI mode (field names only), capabilities; agentic errors with Accept: application/vnd.agentic+json"),
        (name = "health"),
    )
)]
struct ApiDoc;

struct ApiKeyScheme;

impl utoipa::Modify for ApiKeyScheme {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{ApiKey, ApiKeyValue, SecurityScheme};
        let components = openapi.components.get_or_insert_with(Default::default);
        components
            .add_security_scheme("api_key", SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::new("X-API-Key"))));
    }
}

const REDOC_JS: &[u8] = include_bytes!("../assets/redoc/redoc.standalone.js");

const REDOC_HTML: &str = r#"<!DOCTYPE html>
<html><head><title>sdg control API — ReDoc</title><meta charset="utf-8"/>
<meta name="viewport" content="width=device-width, initial-scale=1"></head>
<body><redoc spec-url="/openapi.json"></redoc><script src="/redoc/redoc.standalone.js"></script></body></html>"#;

/// A running server's handles, for tests and the CLI.
#[derive(Debug)]
pub struct Server {
    pub addr: SocketAddr,
    generators: Arc<state::Generators>,
    jobs: Arc<jobs::Jobs>,
}

/// Builds the whole application: routes, docs, metrics, guards.
fn app(
    config: &ServeConfig,
    generators: Arc<state::Generators>,
    lab: api_models::Lab,
    agent: agent::Agent,
    corpus: corpus::Corpus,
    account: account::Account,
    shutdown: tokio_util::sync::CancellationToken,
) -> anyhow::Result<(Router, Arc<guard::Limits>)> {
    let keys = Arc::new(guard::Keys::parse(&config.api_keys)?);
    let gate = guard::Gate { config: Arc::clone(&keys), managed: Arc::clone(&account.keys) };
    let usage = Arc::clone(&account.usage);
    let limits = Arc::new(guard::Limits::new(config.rate_limit.per_minute, config.rate_limit.per_hour));
    let routes = api::routes()
        .with_state(Arc::clone(&generators))
        .merge(api_models::routes(config.max_upload_bytes).with_state(lab))
        .merge(agent::routes::routes().with_state(agent.clone()))
        .merge(corpus::routes::routes().with_state(corpus))
        .merge(account::routes().with_state(account));
    let (api, mut doc) =
        utoipa_axum::router::OpenApiRouter::with_openapi(ApiDoc::openapi()).nest("/api/v1", routes).split_for_parts();
    doc.servers = None;
    let rate_limited = config.rate_limit.per_minute > 0 || config.rate_limit.per_hour > 0;
    let doc = Arc::new(openapi::document(&doc, !keys.is_empty(), rate_limited, config.max_job_rows));
    let swagger = utoipa_swagger_ui::SwaggerUi::new("/docs").config(utoipa_swagger_ui::Config::from("/openapi.json"));
    let openapi_json = {
        let doc = Arc::clone(&doc);
        move || async move { Json(doc.as_ref().clone()) }
    };
    let mcp = mcp::SdgMcp { agent, generators: Arc::clone(&generators) };
    let router = api
        .nest_service("/mcp", mcp::http_service(mcp, config.addr.ip().is_loopback(), shutdown))
        .route("/metrics", get(prometheus).with_state(Arc::clone(&generators)))
        .route("/openapi.json", get(openapi_json))
        .route("/", get(console::index))
        .route("/assets/{file}", get(console::asset))
        .route("/redoc", get(|| async { Html(REDOC_HTML) }))
        .route(
            "/redoc/redoc.standalone.js",
            get(|| async { ([(header::CONTENT_TYPE, "application/javascript")], REDOC_JS) }),
        )
        .merge(swagger)
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(DefaultBodyLimit::max(config.max_body_bytes))
        .layer(middleware::from_fn_with_state(usage, account::meter))
        .layer(middleware::from_fn_with_state(gate, guard::require_key))
        .layer(middleware::from_fn_with_state(Arc::clone(&limits), guard::rate_limit))
        .layer(tower_http::catch_panic::CatchPanicLayer::custom(|_| {
            ApiError::internal("the server hit a bug handling this request (it was logged)").into_response()
        }))
        .layer(middleware::from_fn(request_id::tag));
    Ok((router, limits))
}

async fn prometheus(State(g): State<Arc<state::Generators>>) -> Response {
    let text = tokio::task::spawn_blocking(move || {
        let mut text = prom::render(&g.all_metrics());
        let pools: Vec<_> = g.resources().list().iter().map(|e| e.report()).collect();
        prom::render_pools(&mut text, &pools);
        text
    })
    .await
    .unwrap_or_default();
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], text).into_response()
}

async fn not_found(req: Request) -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        code_of(StatusCode::NOT_FOUND),
        format!("no route {} {} (the API is under /api/v1; /docs lists every route)", req.method(), req.uri().path()),
    )
}

async fn method_not_allowed(req: Request) -> ApiError {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        code_of(StatusCode::METHOD_NOT_ALLOWED),
        format!("{} is not allowed on {} (/docs lists the methods of every route)", req.method(), req.uri().path()),
    )
}

/// The server's pool registry, with the pool files of `pools_dir` loaded. A
/// file that is not a valid pool stops the start; a pool whose source fails
/// to load is kept as FAILED (GET /api/v1/pools shows why; a refresh retries).
fn load_pools(config: &ServeConfig) -> anyhow::Result<sdg_engine::Resources> {
    let loader = match &config.pool_cache {
        Some(d) => sdg_pools::Loader::new(d.clone()),
        None => sdg_pools::Loader::default(),
    };
    let resources = sdg_engine::Resources::with_loader(Arc::new(loader));
    #[cfg(feature = "plugins")]
    let resources = resources.with_plugins(sdg_plugins::shared()?);
    let Some(dir) = &config.pools_dir else { return Ok(resources) };
    for file in sdg_pools::pool_files(dir).map_err(anyhow::Error::msg)? {
        let spec = sdg_pools::read_pool_file(&file).map_err(anyhow::Error::msg)?;
        let origin = sdg_engine::pool::PoolOrigin::Server { file: Some(file.display().to_string()) };
        match resources.add(spec, origin) {
            Ok(entry) => tracing::info!(pool = %entry.spec().name, rows = entry.report().rows, "pool ready"),
            Err(e) => tracing::warn!(file = %file.display(), error = %e, "pool failed to load; it is listed as FAILED"),
        }
    }
    Ok(resources)
}

impl Server {
    /// Opens the store, binds `config.addr` and serves until `shutdown`
    /// resolves; then stops every generator (sinks flushed) and returns.
    pub async fn run(
        config: ServeConfig,
        shutdown: impl std::future::Future<Output = ()> + Send + 'static,
        bound: impl FnOnce(&Server) + Send,
    ) -> anyhow::Result<()> {
        let workers =
            config.workers.unwrap_or_else(|| std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1)).max(1);
        let store = Arc::new(store::Store::open(&config.data_dir)?);
        let resources = load_pools(&config)?;
        let datasets = Arc::new(datasets::Datasets::open(Arc::clone(&store), &config.data_dir, &resources)?);
        let jobs = jobs::Jobs::open(Arc::clone(&store), &config.data_dir, config.job_workers)?;
        let models = models::Models::open(
            Arc::clone(&store),
            resources.clone(),
            Arc::clone(&jobs),
            workers,
            config.max_job_rows,
        )?;
        let generators = Arc::new(state::Generators::open(Arc::clone(&store), workers, resources.clone())?);
        let agent = agent::Agent {
            resources: resources.clone(),
            limits: agent::Limits { max_rows: config.max_sync_rows, max_stream_rows: config.max_stream_rows },
        };
        let lab = api_models::Lab { models, datasets, resources };
        let corpus = corpus::Corpus {
            resources: lab.resources.clone(),
            jobs: Arc::clone(&jobs),
            workers,
            max_rows: config.max_job_rows,
            max_sync_rows: config.max_sync_rows,
        };
        let account = account::Account {
            keys: account::keys::KeyStore::open(Arc::clone(&store))?,
            usage: account::usage::Usage::open(Arc::clone(&store))?,
            webhooks: account::webhooks::Webhooks::open(
                Arc::clone(&store),
                account::webhooks::Policy {
                    max_attempts: config.webhook_max_attempts.max(1),
                    retry_base: Duration::from_millis(config.webhook_retry_base_ms),
                    timeout: Duration::from_millis(config.webhook_timeout_ms.max(1)),
                },
            )?,
            configured: !config.api_keys.is_empty(),
        };
        {
            let hooks = Arc::clone(&account.webhooks);
            jobs.listen(Box::new(move |j: &jobs::JobRecord| {
                let event = match j.status {
                    jobs::JobStatus::Completed => "job.completed",
                    jobs::JobStatus::Failed | jobs::JobStatus::Cancelled => "job.failed",
                    _ => return,
                };
                hooks.emit(
                    event,
                    serde_json::json!({
                        "job_id": j.id, "job_type": j.job_type, "status": j.status, "error": j.error,
                        "finished_at": j.finished_at, "output": j.output,
                    }),
                );
            }));
        }
        let mcp_sessions = tokio_util::sync::CancellationToken::new();
        let (router, limits) =
            app(&config, Arc::clone(&generators), lab, agent, corpus, account.clone(), mcp_sessions.clone())?;
        let listener = tokio::net::TcpListener::bind(config.addr).await.map_err(|e| {
            anyhow::anyhow!("listening on {}: {e} (is another server using it? try --addr)", config.addr)
        })?;
        let server =
            Server { addr: listener.local_addr()?, generators: Arc::clone(&generators), jobs: Arc::clone(&jobs) };
        if config.api_keys.is_empty() && account.keys.usable() == 0 {
            tracing::warn!("no API keys configured: the API is open to anyone who can reach {}", server.addr);
        } else {
            tracing::info!(keys = config.api_keys.len(), "API keys required (X-API-Key) on every route but health");
        }
        tracing::info!(
            addr = %server.addr,
            data_dir = %config.data_dir.display(),
            per_minute = config.rate_limit.per_minute,
            per_hour = config.rate_limit.per_hour,
            "sdg control API listening: /api/v1, /docs, /redoc, /openapi.json, /metrics"
        );
        bound(&server);
        let deliveries = tokio::spawn(Arc::clone(&account.webhooks).run(mcp_sessions.clone()));
        // Checkpoints once a second (and tells webhooks of runs that ended),
        // stores usage and keys' last use; forgets idle rate-limit clients once a minute.
        let ticker = {
            let generators = Arc::clone(&generators);
            let account = account.clone();
            tokio::spawn(async move {
                let mut tick = tokio::time::interval(Duration::from_secs(1));
                let mut n = 0u64;
                loop {
                    tick.tick().await;
                    let (g, a) = (Arc::clone(&generators), account.clone());
                    let _ = tokio::task::spawn_blocking(move || {
                        for e in g.checkpoint() {
                            let event = if e.status == sdg_engine::Status::Completed {
                                "generator.completed"
                            } else {
                                "generator.failed"
                            };
                            a.webhooks.emit(
                                event,
                                serde_json::json!({
                                    "generator_id": e.id, "name": e.name, "status": e.status.as_str(),
                                    "rows_delivered": e.rows_delivered, "error": e.error,
                                }),
                            );
                        }
                        a.usage.flush();
                        a.keys.flush();
                    })
                    .await;
                    n += 1;
                    if n.is_multiple_of(60) {
                        limits.forget_idle();
                    }
                }
            })
        };
        // MCP sessions hold their streams open: they end with the server.
        let shutdown = {
            let sessions = mcp_sessions.clone();
            async move {
                shutdown.await;
                sessions.cancel();
            }
        };
        axum::serve(listener, router.into_make_service_with_connect_info::<SocketAddr>())
            .with_graceful_shutdown(shutdown)
            .await?;
        ticker.abort();
        deliveries.abort();
        account.usage.flush();
        account.keys.flush();
        tracing::info!("shutting down: stopping generators and flushing their destinations");
        let (g, jobs) = (Arc::clone(&server.generators), Arc::clone(&server.jobs));
        tokio::task::spawn_blocking(move || {
            jobs.shutdown();
            g.shutdown();
        })
        .await?;
        Ok(())
    }
}

/// `sdg mcp`: the MCP tools over stdio (one client, the process that
/// started it), on the generator store of `config.data_dir`, until the
/// client closes stdin; then stops every generator (sinks flushed).
pub async fn serve_mcp_stdio(config: ServeConfig) -> anyhow::Result<()> {
    use rmcp::ServiceExt as _;
    let workers =
        config.workers.unwrap_or_else(|| std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1)).max(1);
    let store = Arc::new(store::Store::open(&config.data_dir)?);
    let resources = load_pools(&config)?;
    let generators = Arc::new(state::Generators::open(store, workers, resources.clone())?);
    let agent = agent::Agent {
        resources,
        limits: agent::Limits { max_rows: config.max_sync_rows, max_stream_rows: config.max_stream_rows },
    };
    let server = mcp::SdgMcp { agent, generators: Arc::clone(&generators) };
    tracing::info!(data_dir = %config.data_dir.display(), "sdg MCP server on stdio");
    let running = server
        .serve(rmcp::transport::stdio())
        .await
        .map_err(|e| anyhow::anyhow!("the MCP client did not initialise: {e}"))?;
    let _ = running.waiting().await;
    tokio::task::spawn_blocking(move || generators.shutdown()).await?;
    Ok(())
}

/// Resolves on Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serve_configs_name_the_key_that_is_wrong() {
        let dir = tempfile::tempdir().expect("tmp");
        let path = dir.path().join("serve.yaml");
        std::fs::write(&path, "addr: 0.0.0.0:9000\nrate_limit: { per_minute: 5 }\napi_keys: []\n").expect("write");
        let c = ServeConfig::from_file(&path).expect("valid");
        assert_eq!((c.addr.port(), c.rate_limit.per_minute, c.rate_limit.per_hour), (9000, 5, 1000));
        std::fs::write(&path, "rate_limit: { per_mnute: 5 }\n").expect("write");
        let e = ServeConfig::from_file(&path).expect_err("typo").to_string();
        assert!(e.contains("rate_limit") && e.contains("per_mnute"), "{e}");
        std::fs::write(&path, "max_body_bytes: lots\n").expect("write");
        let e = ServeConfig::from_file(&path).expect_err("type").to_string();
        assert!(e.contains("max_body_bytes"), "{e}");
    }
}
