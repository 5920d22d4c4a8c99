//! `sdg bench FILE`: generates into memory (the blackhole sink) and prints
//! rows/s, rows/s per core and MB/s. `--format csv|jsonl` includes encoding.

use crate::load::{self, Overrides};
use crate::progress;
use anyhow::Result;
use clap::Args;
use sdg_engine::spec::{Destination, DestinationType};
use sdg_engine::{Run, RunConfig, Status};
use serde::Serialize;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

#[derive(Debug, Args)]
pub struct BenchArgs {
    /// Generator file (YAML or JSON); its destination, mode and rate are ignored.
    pub file: PathBuf,
    /// Rows to generate.
    #[arg(long, default_value_t = 10_000_000)]
    pub rows: u64,
    /// Threads generating batches [default: the number of cores].
    #[arg(long)]
    pub workers: Option<usize>,
    /// arrow: build Arrow batches only; csv/jsonl: also encode them.
    #[arg(long, default_value = "arrow", value_parser = ["arrow", "csv", "jsonl"])]
    pub format: String,
    /// Rows per batch.
    #[arg(long)]
    pub batch_size: Option<usize>,
    /// Print one JSON object instead of text.
    #[arg(long)]
    pub json: bool,
    /// In a universe file: the member to benchmark (its parents are compiled, not run).
    #[arg(long, short = 'g', value_name = "NAME")]
    pub generator: Option<String>,
    #[command(flatten)]
    pub pools: crate::pools::PoolArgs,
}

#[derive(Debug, Serialize)]
struct BenchResult {
    name: String,
    format: String,
    rows: u64,
    seconds: f64,
    rows_per_sec: f64,
    rows_per_sec_per_core: f64,
    bytes: u64,
    mb_per_sec: f64,
    workers: usize,
}

pub fn run(args: BenchArgs) -> Result<ExitCode> {
    let mut destination = Destination { kind: DestinationType::Blackhole, config: Default::default() };
    destination.config.insert("format".into(), args.format.clone().into());
    let overrides = Overrides {
        rows: Some(args.rows),
        batch_size: args.batch_size,
        destination: Some(destination),
        unpaced: true,
        shard: None,
        ..Default::default()
    };
    let (spec, plan) = load::load(&args.file, &overrides, &args.pools, args.generator.as_deref())?;
    let sink = sdg_destinations::open(&spec.destination, plan.schema())?;
    let config = args.workers.map(RunConfig::with_workers).unwrap_or_default();
    let workers = config.workers;
    let run = Run::new(plan, config);
    let t0 = Instant::now();
    run.start(sink)?;
    let m = progress::follow(&run, Some(args.rows), args.json);
    let seconds = t0.elapsed().as_secs_f64();
    if m.status != Status::Completed {
        anyhow::bail!("the benchmark ended {}: {}", m.status.as_str(), m.last_error.unwrap_or_default());
    }
    let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1);
    let rows_per_sec = m.rows_delivered as f64 / seconds;
    let r = BenchResult {
        name: spec.name,
        format: args.format,
        rows: m.rows_delivered,
        seconds,
        rows_per_sec,
        rows_per_sec_per_core: rows_per_sec / workers.min(cores) as f64,
        bytes: m.bytes,
        mb_per_sec: m.bytes as f64 / seconds / 1e6,
        workers,
    };
    if args.json {
        println!("{}", serde_json::to_string(&r)?);
    } else {
        println!(
            "{} ({}): {} rows in {:.3} s — {}rows/s, {}rows/s per core, {}/s, {} workers",
            r.name,
            r.format,
            r.rows,
            r.seconds,
            progress::si(r.rows_per_sec),
            progress::si(r.rows_per_sec_per_core),
            progress::bytes(r.bytes as f64 / r.seconds),
            r.workers
        );
    }
    Ok(ExitCode::SUCCESS)
}
