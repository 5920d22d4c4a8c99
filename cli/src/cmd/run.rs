//! `sdg run FILE`: runs a generator to its destination with a progress bar,
//! then prints one summary line. Ctrl-C stops cleanly (flushes and reports);
//! a second Ctrl-C exits at once. A universe file runs every member (a
//! progress bar and a summary line each): in BATCH a child starts once its
//! parents have completed, in REALTIME all run together; `--generator NAME`
//! runs one member alone (its parents compiled, not run).

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
    /// Generator or universe file (YAML or JSON); `-` reads stdin.
    pub file: PathBuf,
    /// In a universe file: run only this member (its parents are not run:
    /// their keys are recomputed, the same as in a full run).
    #[arg(long, short = 'g', value_name = "NAME")]
    pub generator: Option<String>,
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
    /// Serve this run's controls on ADDR while it runs (no auth: keep it on
    /// loopback): `PATCH /` with a JSON Merge Patch of the definition
    /// retunes it (`{"rate": 5000}`, field params), `GET /metrics`,
    /// `GET /revisions`, `POST /pause|resume|stop`. Port 0 picks a free one.
    #[arg(long, value_name = "ADDR")]
    pub control: Option<std::net::SocketAddr>,
    /// Make shard I of N (I from 0): rows [⌊I·T/N⌋, ⌊(I+1)·T/N⌋) of an
    /// unpaced RECORD_COUNT run of T rows; every N-th block of the schedule
    /// of a paced or open-ended run (at rate/N); whole sessions of a
    /// STATE_MACHINE generator; every member of a universe. A FILE
    /// destination writes `NAME.part-000I-of-000N.EXT` (CSV headers in part
    /// 0 only). Without it, JOB_COMPLETION_INDEX and SDG_SHARDS select the
    /// shard (a Kubernetes Indexed Job).
    #[arg(long, value_name = "I/N")]
    pub shard: Option<String>,
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
        shard: load::shard_of(args.shard.as_deref()).map_err(anyhow::Error::msg)?,
    };
    let text = load::read_text(&args.file)?;
    if args.generator.is_none()
        && let Some(value) = load::universe_value(&text)
    {
        return run_universe(&args, &value);
    }
    let (spec, plan) = load::load_text(&args.file, &text, &overrides, &args.pools, args.generator.as_deref())?;
    if args.format.is_some() && spec.destination.kind != sdg_engine::spec::DestinationType::File {
        anyhow::bail!(
            "--format applies to FILE destinations; this generator writes to {}",
            spec.destination.kind.as_str()
        );
    }
    if !args.quiet {
        crate::pools::report_loaded(&plan);
    }
    let sink = sdg_destinations::open(&spec.destination, plan.schema()).context("opening the destination")?;
    let mut config = args.workers.map(RunConfig::with_workers).unwrap_or_default();
    if let Some((i, n)) = overrides.shard {
        let shard = sdg_engine::pipeline::shard::Shard::of(&plan, i, n).map_err(|e| anyhow::anyhow!("--{e}"))?;
        if !args.quiet {
            eprintln!("{shard}");
        }
        config = config.for_shard(shard);
    }
    let workers = config.workers;
    let expected = match config.shard {
        Some(shard) => shard.rows,
        None => plan.row_limit(),
    };
    let run = Arc::new(Run::new(Arc::clone(&plan), config));
    let interrupted = {
        let run = Arc::clone(&run);
        on_ctrl_c("stopping: delivering rows in flight and closing the destination", move || {
            let _ = run.request_stop();
        })?
    };
    let t0 = Instant::now();
    run.start(sink)?;
    if let Some(addr) = args.control {
        let definition = serde_json::to_value(&spec).context("the definition as JSON")?;
        let bound = sdg_control_api::control_run(addr, Arc::clone(&run), definition, args.pools.resources()?)?;
        if !bound.ip().is_loopback() {
            eprintln!("warning: --control {bound} is not a loopback address and has no authentication");
        }
        eprintln!(
            "control: http://{bound} — curl -X PATCH http://{bound}/ -H 'Content-Type: application/json' -d '{{\"rate\": 5000}}'"
        );
    }
    let m = progress::follow(&run, expected, args.quiet);
    if !args.quiet {
        summary(&spec, &plan, &m, t0.elapsed().as_secs_f64(), workers);
    }
    Ok(exit_code(&m, interrupted.load(Ordering::SeqCst)))
}

/// Ctrl-C runs `stop` (after printing `what`); a second one exits at once.
/// The flag says whether it was pressed.
fn on_ctrl_c(what: &'static str, stop: impl Fn() + Send + 'static) -> Result<Arc<AtomicBool>> {
    let interrupted = Arc::new(AtomicBool::new(false));
    let flag = Arc::clone(&interrupted);
    ctrlc::set_handler(move || {
        if flag.swap(true, Ordering::SeqCst) {
            eprintln!("\ninterrupted again: exiting without flushing");
            std::process::exit(130);
        }
        eprintln!("\n{what} (Ctrl-C again to abort)");
        stop();
    })
    .context("installing the Ctrl-C handler")?;
    Ok(interrupted)
}

/// One line per run: rows, time, rates, destination, status and seed.
fn summary(
    spec: &sdg_engine::GeneratorSpec,
    plan: &sdg_engine::Plan,
    m: &sdg_engine::MetricsSnapshot,
    secs: f64,
    workers: usize,
) {
    let target = spec.destination.config.get("path").and_then(|p| p.as_str()).unwrap_or("");
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

fn exit_code(m: &sdg_engine::MetricsSnapshot, interrupted: bool) -> ExitCode {
    match m.status {
        Status::Failed => {
            eprintln!("error: {}", m.last_error.clone().unwrap_or_else(|| "the run failed".into()));
            ExitCode::FAILURE
        }
        Status::Stopped if interrupted => ExitCode::from(130),
        _ => ExitCode::SUCCESS,
    }
}

/// Every member of a universe: parents first; each member's progress bar
/// from its start to its end, then its summary line.
fn run_universe(args: &RunArgs, value: &serde_json::Value) -> Result<ExitCode> {
    if args.control.is_some() {
        anyhow::bail!("--control retunes one generator: run a member alone with --generator NAME");
    }
    let shard = load::shard_of(args.shard.as_deref()).map_err(anyhow::Error::msg)?;
    let per_member = [
        ("--rows", args.rows.is_some()),
        ("--rate", args.rate.is_some()),
        ("--out", args.out.is_some()),
        ("--to", args.to.is_some()),
        ("--format", args.format.is_some()),
        ("--batch-size", args.batch_size.is_some()),
    ];
    if let Some((flag, _)) = per_member.iter().find(|(_, set)| *set) {
        anyhow::bail!(
            "{flag} applies to one generator and {} is a universe: add --generator NAME, or set it in the member",
            args.file.display()
        );
    }
    // --seed: the seed of every member (over the universe's `seed:` and the members' own).
    let universe = load::universe(&args.file, value, &args.pools, None, args.seed)?;
    let config = args.workers.map(RunConfig::with_workers).unwrap_or_default();
    let workers = config.workers;
    if !args.quiet {
        let order: Vec<&str> = universe.members.iter().map(|m| m.spec.name.as_str()).collect();
        eprintln!("universe {}: {}", universe.spec.name, order.join(" → "));
    }
    let members: Vec<(sdg_engine::GeneratorSpec, Arc<sdg_engine::Plan>)> =
        universe.members.iter().map(|m| (m.spec.clone(), Arc::clone(&m.plan))).collect();
    let open: Arc<sdg_engine::universe::OpenSink> = Arc::new(move |m: &sdg_engine::universe::Member| {
        let mut destination = m.spec.destination.clone();
        if let Some(shard) = shard {
            sdg_destinations::for_shard(&mut destination, shard);
        }
        sdg_destinations::open(&destination, m.plan.schema()).map_err(|e| format!("opening the destination: {e:#}"))
    });
    let run = match shard {
        None => sdg_engine::universe::UniverseRun::start(universe, &config, open),
        Some(s) => sdg_engine::universe::UniverseRun::start_shard(universe, &config, s, open)
            .map_err(|e| anyhow::anyhow!("--shard {}/{}: {e}", s.0, s.1))?,
    };
    let run = Arc::new(run);
    let interrupted = {
        let run = Arc::clone(&run);
        on_ctrl_c("stopping every member: delivering rows in flight and closing the destinations", move || run.stop())?
    };
    let mut code = ExitCode::SUCCESS;
    for (i, ((spec, plan), (_, member_run))) in members.iter().zip(&run.runs).enumerate() {
        if !run.wait_decided(i) {
            if !args.quiet {
                eprintln!("{}: not started (a parent did not complete)", spec.name);
            }
            code = ExitCode::FAILURE;
            continue;
        }
        let expected = member_run.shard().map_or(plan.row_limit(), |s| s.rows);
        if !args.quiet
            && let Some(s) = member_run.shard()
        {
            eprintln!("{}: {s}", spec.name);
        }
        let m = progress::follow(member_run, expected, args.quiet);
        if !args.quiet {
            // The member's own running time (REALTIME members run side by side).
            summary(spec, plan, &m, m.elapsed_ms as f64 / 1000.0, workers);
        }
        let member_code = exit_code(&m, interrupted.load(Ordering::SeqCst));
        if member_code != ExitCode::SUCCESS {
            code = member_code;
        }
    }
    Ok(code)
}
