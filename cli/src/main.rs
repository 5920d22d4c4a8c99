//! The `sdg` command: the one place that wires the engine and the sinks.

mod cmd;
mod load;
mod pools;
mod progress;
mod to_url;

use clap::{Parser, Subcommand};
use std::process::ExitCode;

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// sdg — generate realistic synthetic data fast, into files, Kafka,
/// PostgreSQL and Dragonfly/Redis; from the command line or over HTTP.
///
/// A generator is a YAML (or JSON) file: fields with mapping types, a
/// destination, a mode, rate and end condition. See docs/CONFIG.md.
#[derive(Debug, Parser)]
#[command(name = "sdg", version, propagate_version = true, max_term_width = 100)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run a generator until its end condition (or Ctrl-C).
    Run(cmd::run::RunArgs),
    /// Check a generator file and report every problem with its path.
    Validate(cmd::validate::ValidateArgs),
    /// Print the first rows a generator makes, as a table.
    Preview(cmd::preview::PreviewArgs),
    /// Measure generation speed into memory (no I/O) and print rows/s.
    Bench(cmd::bench::BenchArgs),
    /// List the kinds of the semantic type catalog (type: CATALOG).
    Catalog(cmd::catalog::CatalogArgs),
    /// Propose a generator from column names (offline rules), as a file `sdg run` accepts.
    Infer(cmd::infer::InferArgs),
    /// Fit a Gaussian copula on data, write the model file and print its fidelity.
    Fit(cmd::fit::FitArgs),
    /// Serve the control API: generators over HTTP, live metrics, persistence.
    Serve(cmd::serve::ServeArgs),
    /// Make a new API key and the hash to put in the serve config.
    ApiKey(cmd::serve::ApiKeyArgs),
    /// Serve the MCP tools (capabilities, infer_schema, generate, validate,
    /// generator lifecycle and metrics) over stdio, for an agent that starts sdg.
    Mcp(cmd::serve::McpArgs),
}

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("SDG_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .init();
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Run(a) => cmd::run::run(a),
        Command::Validate(a) => cmd::validate::run(a),
        Command::Preview(a) => cmd::preview::run(a),
        Command::Bench(a) => cmd::bench::run(a),
        Command::Catalog(a) => cmd::catalog::run(a),
        Command::Infer(a) => cmd::infer::run(a),
        Command::Fit(a) => cmd::fit::run(a),
        Command::Serve(a) => cmd::serve::run(a),
        Command::ApiKey(a) => cmd::serve::api_key(a),
        Command::Mcp(a) => cmd::serve::mcp(a),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
