//! `sdg serve`: the control API. `sdg api-key`: a new key and its hash.

use anyhow::Result;
use clap::Args;
use sdg_control_api::{ServeConfig, Server};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on [default: 127.0.0.1:50032].
    #[arg(long, value_name = "HOST:PORT")]
    pub addr: Option<SocketAddr>,
    /// Directory of the generator store (sdg.redb) [default: ./sdg-data].
    #[arg(long, value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    /// Serve config (YAML): addr, data_dir, api_keys, rate_limit, max_body_bytes, workers,
    /// pools_dir, pool_cache. Flags override it. See docs/API.md.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// A directory of pool files (`*.yaml`, one pool each): loaded at start,
    /// shared by every generator of the server.
    #[arg(long, value_name = "DIR")]
    pub pools: Option<PathBuf>,
    /// Where INDEXED pools keep their memory-mapped files
    /// [default: $SDG_POOL_CACHE, else ~/.cache/sdg/pools].
    #[arg(long, value_name = "DIR")]
    pub pool_cache: Option<PathBuf>,
    /// Also accept the API key of this hash (`sha256:…`, from `sdg api-key`);
    /// repeatable, or comma-separated — for a hash kept in a Kubernetes
    /// Secret and passed through the environment (deploy/k8s/serve.yaml).
    #[arg(long, value_name = "HASH", value_delimiter = ',')]
    pub api_key_hash: Vec<String>,
}

/// The serve config of `--config`, with `--data-dir` and `--pools` over it.
fn config_of(file: Option<&std::path::Path>, data_dir: Option<PathBuf>, pools: Option<PathBuf>) -> Result<ServeConfig> {
    let mut config = match file {
        Some(path) => ServeConfig::from_file(path)?,
        None => ServeConfig::default(),
    };
    if let Some(dir) = data_dir {
        config.data_dir = dir;
    }
    if pools.is_some() {
        config.pools_dir = pools;
    }
    Ok(config)
}

pub fn run(args: ServeArgs) -> Result<ExitCode> {
    let mut config = config_of(args.config.as_deref(), args.data_dir, args.pools)?;
    if let Some(addr) = args.addr {
        config.addr = addr;
    }
    if args.pool_cache.is_some() {
        config.pool_cache = args.pool_cache;
    }
    config.api_keys.extend(args.api_key_hash.into_iter().map(|h| h.trim().to_string()).filter(|h| !h.is_empty()));
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build()?;
    runtime.block_on(Server::run(config, sdg_control_api::shutdown_signal(), |s| {
        eprintln!("sdg control API on http://{} — docs at http://{}/docs (Ctrl-C stops)", s.addr, s.addr);
    }))?;
    Ok(ExitCode::SUCCESS)
}

#[derive(Debug, Args)]
#[command(
    after_help = "An agent's MCP configuration starts it, e.g.\n  {\"mcpServers\": {\"sdg\": {\"command\": \"sdg\", \"args\": [\"mcp\", \"--data-dir\", \"/path/to/sdg-data\"]}}}\nThe same tools are served over HTTP by `sdg serve` at /mcp (with its API keys). docs/MCP.md."
)]
pub struct McpArgs {
    /// Directory of the generator store (sdg.redb) [default: ./sdg-data]; not
    /// one a running `sdg serve` holds (use its /mcp instead).
    #[arg(long, value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    /// Serve config (YAML): data_dir, workers, pools_dir, pool_cache,
    /// max_sync_rows are read; the HTTP keys are not used over stdio.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// A directory of pool files (`*.yaml`) loaded at start.
    #[arg(long, value_name = "DIR")]
    pub pools: Option<PathBuf>,
}

/// `sdg mcp`: MCP over stdio until the client closes it.
pub fn mcp(args: McpArgs) -> Result<ExitCode> {
    let config = config_of(args.config.as_deref(), args.data_dir, args.pools)?;
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build()?;
    runtime.block_on(sdg_control_api::serve_mcp_stdio(config))?;
    Ok(ExitCode::SUCCESS)
}

#[derive(Debug, Args)]
pub struct ApiKeyArgs {
    /// Hash this key instead of making a new one.
    #[arg(long, value_name = "KEY")]
    pub hash: Option<String>,
}

pub fn api_key(args: ApiKeyArgs) -> Result<ExitCode> {
    match args.hash {
        Some(key) => println!("{}", sdg_control_api::hash_key(&key)),
        None => {
            let key = format!("sdg_{}{}", uuid::Uuid::new_v4().simple(), uuid::Uuid::new_v4().simple());
            println!("key:  {key}");
            println!("hash: {}", sdg_control_api::hash_key(&key));
            eprintln!(
                "Give the key to the client (X-API-Key header); put the hash under api_keys: in the serve config."
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}
