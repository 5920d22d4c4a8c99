//! `sdg run FILE`: runs a generator to its destination with a progress bar,
//! then prints one summary line. Ctrl-C stops cleanly (flushes and reports);
//! a second Ctrl-C exits at once.

use crate::load::{self, Overrides};
use crate::progress;
use anyhow::{Context, Result};
use clap::Args;
use sdg_engine::{Run, RunConfig, Status};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

#[derive(Debug, Args)]
pub struct RunArgs {
    /// Generator file (YAML or JSON); `-` reads stdin.
    pub file: PathBuf,
    /// Generate exactly N rows (replaces the file's end condition).
    #[arg(long, value_name = "N")]
    pub rows: Option<u64>,
    /// Rows per second (replaces the file's rate; caps BATCH mode).
    #[arg(long, value_name = "R")]
    pub rate: Option<f64>,
    /// Threads generating batches [default: the number of cores].
    #[arg(long, value_name = "N")]
    pub workers: Option<usize>,
    /// Seed (same seed, same data).
    #[arg(long, value_name = "S")]
    pub seed: Option<u64>,
    /// Rows per batch.
    #[arg(long, value_name = "N")]
    pub batch_size: Option<usize>,
    /// Write to this file instead of the file's destination (`-` for stdout).
    #[arg(long, short = 'o', value_name = "PATH", conflicts_with = "to")]
    pub out: Option<String>,
    /// Send rows to this destination instead: kafka://HOST:PORT/TOPIC,
    /// postgres://…/DB?table=T, redis://HOST:PORT?mode=hash&key=K, file:PATH
    /// (query parameters are the destination's config keys).
    #[arg(long, value_name = "URL")]
    pub to: Option<String>,
    /// Output format of a FILE destination.
    #[arg(long, value_parser = ["csv", "jsonl", "parquet", "arrow"])]
    pub format: Option<String>,
    /// No progress bar and no summary line.
    #[arg(long, short = 'q')]
    pub quiet: bool,
    #[command(flatten)]
    pub pools: crate::pools::PoolArgs,
}

pub fn run(args: RunArgs) -> Result<ExitCode> {
    let overrides = Overrides {
        rows: args.rows,
        rate: args.rate,
        seed: args.seed,
        batch_size: args.batch_size,
        out: args.out.clone(),
        format: args.format.clone(),
        destination: args.to.as_deref().map(crate::to_url::parse).transpose().map_err(anyhow::Error::msg)?,
        unpaced: false,
    };
    let (spec, plan) = load::load(&args.file, &overrides, &args.pools)?;
    if args.format.is_some() && spec.destination.kind != sdg_engine::spec::DestinationType::File {
        anyhow::bail!(
            "--format applies to FILE destinations; this generator writes to {}",
            spec.destination.kind.as_str()
        );
    }
    let plan = Arc::new(plan);
    if !args.quiet {
        crate::pools::report_loaded(&plan);
    }
    let sink = sdg_destinations::open(&spec.destination, plan.schema()).context("opening the destination")?;
    let mut config = RunConfig::default();
    if let Some(w) = args.workers {
        config.workers = w.max(1);
        config.queue_batches = (2 * config.workers).max(4);
    }
    let workers = config.workers;
    let run = Arc::new(Run::new(Arc::clone(&plan), config));
    let interrupted = Arc::new(AtomicBool::new(false));
    {
        let (run, interrupted) = (Arc::clone(&run), Arc::clone(&interrupted));
        ctrlc::set_handler(move || {
            if interrupted.swap(true, Ordering::SeqCst) {
                eprintln!("\ninterrupted again: exiting without flushing");
                std::process::exit(130);
            }
            eprintln!("\nstopping: delivering rows in flight and closing the destination (Ctrl-C again to abort)");
            let _ = run.request_stop();
        })
        .context("installing the Ctrl-C handler")?;
    }
    let t0 = Instant::now();
    run.start(sink)?;
    let m = progress::follow(&run, plan.row_limit(), args.quiet);
    let secs = t0.elapsed().as_secs_f64();
    let target = spec.destination.config.get("path").and_then(|p| p.as_str()).unwrap_or("");
    if !args.quiet {
        eprintln!(
            "{}: {} rows in {:.2} s — {}rows/s, {}/s, {} workers{}{} ({}, seed {})",
            spec.name,
            m.rows_delivered,
            secs,
            progress::si(m.rows_delivered as f64 / secs.max(1e-9)),
            progress::bytes(m.bytes as f64 / secs.max(1e-9)),
            workers,
            if target.is_empty() { String::new() } else { format!(" → {target}") },
            if m.rows_failed > 0 { format!(", {} rows FAILED", m.rows_failed) } else { String::new() },
            m.status.as_str(),
            plan.seed(),
        );
    }
    Ok(match m.status {
        Status::Failed => {
            eprintln!("error: {}", m.last_error.unwrap_or_else(|| "the run failed".into()));
            ExitCode::FAILURE
        }
        Status::Stopped if interrupted.load(Ordering::SeqCst) => ExitCode::from(130),
        _ => ExitCode::SUCCESS,
    })
}
