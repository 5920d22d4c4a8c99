//! `sdg fit DATA --columns a,b,c --out model.json`: fits a Gaussian copula on
//! a data file (CSV, Parquet, JSON Lines, Arrow) or a pool file, writes the
//! model file, and prints the fidelity report of rows sampled from it
//! against the data — the same fit `copulas:` runs in a generator.

use anyhow::{Context, Result, bail};
use clap::Args;
use sdg_engine::copula::{self, MarginalsSpec, fidelity};
use sdg_engine::pool::{PoolLoader, PoolSource, PoolSpec, PoolStrategy};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Debug, Args)]
pub struct FitArgs {
    /// A data file (csv, parquet, jsonl, arrow) or a pool file (.yaml, .yml).
    pub data: PathBuf,
    /// The columns to model together, comma-separated (default: every column).
    #[arg(long, value_delimiter = ',')]
    pub columns: Vec<String>,
    /// The marginal family of numeric columns: auto, empirical, norm, beta,
    /// truncnorm, gamma, uniform or kde; or per column, `amount=gamma,items=empirical` (others auto).
    #[arg(long, default_value = "auto")]
    pub marginals: String,
    /// Where to write the model file (JSON). Without it, only the report is printed.
    #[arg(long, short)]
    pub out: Option<PathBuf>,
    /// Rows sampled for the fidelity report (0: no report).
    #[arg(long, default_value_t = 10_000)]
    pub rows: usize,
    /// Seed of the fit (ties) and of the sampled rows.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Print the model summary and the report as JSON.
    #[arg(long)]
    pub json: bool,
    /// Report the fidelity of this file's rows (made by another tool, say)
    /// against DATA instead of rows sampled from the fitted model.
    #[arg(long, value_name = "FILE")]
    pub compare: Option<PathBuf>,
}

/// The columns `names` (all when empty) of a data or pool file.
fn read_columns(path: &std::path::Path, names: &[String]) -> Result<(Vec<String>, Vec<copula::FitColumn>)> {
    let lower = path.to_string_lossy().to_ascii_lowercase();
    let spec = if lower.ends_with(".yaml") || lower.ends_with(".yml") {
        sdg_pools::read_pool_file(path).map_err(anyhow::Error::msg)?
    } else {
        PoolSpec {
            name: "data".into(),
            source: PoolSource::File { path: path.to_string_lossy().into_owned(), format: None },
            query: None,
            strategy: PoolStrategy::Full,
            sample: None,
            index: Vec::new(),
            schema: Default::default(),
        }
    };
    let pool = crate::pools::loader(None)
        .load(&spec)
        .map_err(anyhow::Error::msg)
        .with_context(|| format!("reading {}", path.display()))?;
    let all: Vec<String> = pool.schema().fields().iter().map(|f| f.name().clone()).collect();
    let names = if names.is_empty() { all.clone() } else { names.to_vec() };
    let mut data = Vec::new();
    for n in &names {
        let Some(c) = pool.column_index(n) else {
            bail!("{} has no column `{n}` (its columns: {})", path.display(), all.join(", "));
        };
        data.push((n.clone(), pool.column(c)?));
    }
    Ok((names, data))
}

pub fn run(args: FitArgs) -> Result<ExitCode> {
    let (names, data) = read_columns(&args.data, &args.columns)?;
    let marginals = marginals(&args.marginals);
    let t0 = std::time::Instant::now();
    let model = copula::fit(&data, Some(&marginals), args.seed).map_err(anyhow::Error::msg)?;
    let fit_ms = t0.elapsed().as_secs_f64() * 1e3;
    if let Some(out) = &args.out {
        std::fs::write(out, model.to_json() + "\n").with_context(|| format!("writing {}", out.display()))?;
    }
    let report = if let Some(other) = &args.compare {
        let (_, generated) = read_columns(other, &names)?;
        Some(fidelity::report(&data, &generated).map_err(anyhow::Error::msg)?)
    } else if args.rows > 0 {
        Some(fidelity::of_model(&model, &data, args.rows, args.seed).map_err(anyhow::Error::msg)?)
    } else {
        None
    };
    if args.json {
        let out = serde_json::json!({
            "source_rows": model.source_rows,
            "fit_ms": fit_ms,
            "columns": model.columns.iter().map(|c| serde_json::json!({
                "name": c.name,
                "kind": c.kind,
                "marginal": c.marginal.as_ref().map(|m| m.family()),
                "categories": c.categories.len(),
                "null_rate": c.null_rate,
            })).collect::<Vec<_>>(),
            "repaired": model.repaired,
            "fidelity": report,
        });
        println!("{}", serde_json::to_string_pretty(&out)?);
        return Ok(ExitCode::SUCCESS);
    }
    println!("fitted {} columns on {} rows in {fit_ms:.0} ms", model.columns.len(), model.source_rows);
    for c in &model.columns {
        let what = match (&c.marginal, c.categories.len()) {
            (Some(m), _) => m.family().to_string(),
            (None, 0) => "always null".to_string(),
            (None, n) => format!("{n} categories"),
        };
        println!(
            "  {:<24} {:<12} {:<16} nulls {:.1} %",
            c.name,
            format!("{:?}", c.kind).to_lowercase(),
            what,
            100.0 * c.null_rate
        );
    }
    if model.repaired {
        println!("  (the data's correlation was not positive definite: repaired)");
    }
    if let Some(r) = report {
        match &args.compare {
            Some(other) => println!("fidelity of {} rows of {}:", r.rows, other.display()),
            None => println!("fidelity of {} sampled rows:", r.rows),
        }
        for c in &r.columns {
            println!("  {:<24} {} {:.4}", c.column, c.metric.to_uppercase(), c.value);
        }
        println!("  max |Δ Pearson|  {:.4}", r.max_pearson_delta);
        println!("  max |Δ Spearman| {:.4}", r.max_spearman_delta);
        println!(
            "  column shapes {:.4}, column pairs {:.4}, quality {:.4}",
            r.column_shapes, r.column_pairs, r.quality
        );
    }
    if let Some(out) = &args.out {
        eprintln!("model written to {}", out.display());
    }
    Ok(ExitCode::SUCCESS)
}

/// `auto` (one family) or `a=gamma,b=empirical` (per column).
fn marginals(text: &str) -> MarginalsSpec {
    if text.contains('=') {
        MarginalsSpec::PerColumn(
            text.split(',')
                .filter_map(|kv| kv.split_once('='))
                .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
                .collect(),
        )
    } else {
        MarginalsSpec::All(text.to_string())
    }
}
