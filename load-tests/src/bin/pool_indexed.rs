//! An INDEXED pool larger than it should be held in memory: writes a CSV of
//! `--rows` customers (~110 bytes a row: 20 M rows ≈ 2.2 GB), loads it as an
//! INDEXED pool (Arrow IPC cache file, memory-mapped, hash index of `id` on
//! the heap), then generates `--lookups` rows that each look a random
//! customer up by id (two columns gathered through the map), and reports the
//! load rate, lookups per second and the process's resident memory (VmRSS,
//! split into anonymous memory — the heap — and file pages of the map) after
//! each step. `load-tests/pools/run.sh` runs it in release.

use anyhow::{Context, Result};
use clap::Parser;
use sdg_engine::pool::{PoolOrigin, parse_pool_yaml};
use sdg_engine::{Plan, Resources};
use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

#[derive(Debug, Parser)]
struct Args {
    /// Rows of the pool.
    #[arg(long, default_value_t = 20_000_000)]
    rows: u64,
    /// Rows generated, one lookup each.
    #[arg(long, default_value_t = 5_000_000)]
    lookups: u64,
    /// Where the CSV and the cache file go (default: a temp dir, removed after).
    #[arg(long)]
    dir: Option<PathBuf>,
}

/// (VmRSS, RssAnon, RssFile) in MiB, from /proc/self/status.
fn rss() -> (f64, f64, f64) {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let kb = |key: &str| {
        status
            .lines()
            .find(|l| l.starts_with(key))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse::<f64>().ok())
            .unwrap_or(0.0)
            / 1024.0
    };
    (kb("VmRSS:"), kb("RssAnon:"), kb("RssFile:"))
}

fn report(step: &str) {
    let (all, anon, file) = rss();
    println!("{step:<28} RSS {all:>8.0} MiB  (anonymous {anon:>7.0} MiB, file pages {file:>7.0} MiB)");
}

fn main() -> Result<()> {
    let args = Args::parse();
    let tmp = tempfile::tempdir()?;
    let dir = args.dir.clone().unwrap_or_else(|| tmp.path().to_path_buf());
    std::fs::create_dir_all(&dir)?;
    let csv = dir.join("customers.csv");
    let t = Instant::now();
    {
        let mut f = std::io::BufWriter::with_capacity(1 << 20, std::fs::File::create(&csv).context("csv")?);
        writeln!(f, "id,token,name,email,city")?;
        for i in 0..args.rows {
            let h = sdg_engine::rng::mix64(i);
            writeln!(
                f,
                "{i},{h:016x}{:016x},Customer {i:08},customer.{i}@example.com,City {:05}",
                sdg_engine::rng::mix64(h),
                h % 40_000
            )?;
        }
    }
    let bytes = std::fs::metadata(&csv)?.len();
    println!("wrote {} rows, {:.2} GB of CSV in {:.1} s", args.rows, bytes as f64 / 1e9, t.elapsed().as_secs_f64());
    report("before loading");

    let resources = Resources::with_loader(Arc::new(sdg_pools::Loader::new(dir.join("cache"))));
    let spec = parse_pool_yaml(&format!(
        "name: customers\nsource: {{ type: file, path: '{}' }}\nstrategy: INDEXED\nindex: [id]\n",
        csv.display()
    ))
    .map_err(|e| anyhow::anyhow!("{e}"))?;
    let t = Instant::now();
    let entry = resources.add(spec, PoolOrigin::Server { file: None }).map_err(anyhow::Error::msg)?;
    let secs = t.elapsed().as_secs_f64();
    let r = entry.report();
    println!(
        "loaded INDEXED in {secs:.1} s ({:.2} M rows/s): heap (index) {:.0} MiB, mapped {:.0} MiB",
        args.rows as f64 / secs / 1e6,
        r.memory_bytes as f64 / 1048576.0,
        r.mapped_bytes as f64 / 1048576.0
    );
    report("after loading");

    let yaml = format!(
        "name: lookups\nseed: 1\ndestination: {{ type: BLACKHOLE }}\nfields:
  - {{ name: k, type: NUMERIC_RANGE, params: {{ min: 0, max: {} }} }}
  - {{ name: email, type: POOL_DERIVED, params: {{ pool: customers, key_field: k, key_column: id, column: email }} }}
  - {{ name: name, type: POOL_DERIVED, params: {{ pool: customers, key_field: k, key_column: id, column: name }} }}\n",
        args.rows - 1
    );
    let plan =
        Plan::compile_with(&sdg_engine::spec::parse_yaml(&yaml).map_err(|e| anyhow::anyhow!("{e}"))?, &resources)
            .map_err(|e| anyhow::anyhow!("{e}"))?;
    let t = Instant::now();
    let mut row = 0u64;
    let mut hits = 0usize;
    while row < args.lookups {
        let n = 8192.min(args.lookups - row) as usize;
        let b = plan.generate(row, n)?;
        hits += n - b.column(1).null_count();
        row += n as u64;
    }
    let secs = t.elapsed().as_secs_f64();
    println!(
        "{} lookups (random ids, 2 columns each) in {secs:.1} s: {:.2} M lookups/s on one core, {hits} hits",
        args.lookups,
        args.lookups as f64 / secs / 1e6
    );
    report("after the lookups");
    println!("pool size: {:.2} GB in the map", r.mapped_bytes as f64 / 1e9);
    Ok(())
}
