//! `sdg preview FILE [-n 10]`: the first rows as a table on stdout.

use crate::load::{self, Overrides};
use anyhow::{Context, Result};
use clap::Args;
use std::fmt::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Debug, Args)]
pub struct PreviewArgs {
    /// Generator or universe file (YAML or JSON); `-` reads stdin.
    pub file: PathBuf,
    /// Rows to show.
    #[arg(short = 'n', long, default_value_t = 10)]
    pub rows: usize,
    /// Seed to use instead of the file's.
    #[arg(long)]
    pub seed: Option<u64>,
    /// In a universe file: the member to preview [default: every member].
    #[arg(long, short = 'g', value_name = "NAME")]
    pub generator: Option<String>,
    #[command(flatten)]
    pub pools: crate::pools::PoolArgs,
}

/// Longest cell shown before it is cut with `…`.
const MAX_CELL: usize = 40;

pub fn run(args: PreviewArgs) -> Result<ExitCode> {
    let overrides = Overrides { seed: args.seed, ..Default::default() };
    let text = load::read_text(&args.file)?;
    if args.generator.is_none()
        && let Some(value) = load::universe_value(&text)
    {
        // Every member, parents first, each under its name.
        let universe = load::universe(&args.file, &value, &args.pools, None, args.seed)?;
        for (i, m) in universe.members.iter().enumerate() {
            let batch = m.plan.generate(0, args.rows.min(10_000)).context("generating the preview rows")?;
            let cells = sdg_sinks::encode::render_cells(&batch)?;
            let names: Vec<String> = m.plan.schema().fields().iter().map(|f| f.name().clone()).collect();
            print!("{}== {}\n{}", if i > 0 { "\n" } else { "" }, m.spec.name, table(&names, &cells));
        }
        return Ok(ExitCode::SUCCESS);
    }
    let (_, plan) = load::load_text(&args.file, &text, &overrides, &args.pools, args.generator.as_deref())?;
    let n = args.rows.min(10_000);
    let batch = plan.generate(0, n).context("generating the preview rows")?;
    let cells = sdg_sinks::encode::render_cells(&batch)?;
    let names: Vec<String> = plan.schema().fields().iter().map(|f| f.name().clone()).collect();
    print!("{}", table(&names, &cells));
    Ok(ExitCode::SUCCESS)
}

fn cut(s: &str) -> String {
    if s.chars().count() <= MAX_CELL { s.to_string() } else { s.chars().take(MAX_CELL - 1).chain(['…']).collect() }
}

/// A plain-text table: header, rule, rows; nulls shown as `∅`.
pub fn table(names: &[String], rows: &[Vec<Option<String>>]) -> String {
    let text: Vec<Vec<String>> =
        rows.iter().map(|r| r.iter().map(|c| c.as_deref().map(cut).unwrap_or_else(|| "∅".into())).collect()).collect();
    let widths: Vec<usize> = names
        .iter()
        .enumerate()
        .map(|(i, n)| text.iter().map(|r| r[i].chars().count()).chain([n.chars().count()]).max().unwrap_or(0))
        .collect();
    let mut out = String::new();
    let line = |out: &mut String, cells: &mut dyn Iterator<Item = &String>| {
        let parts: Vec<String> =
            cells.zip(&widths).map(|(c, w)| format!("{c}{}", " ".repeat(w - c.chars().count()))).collect();
        let _ = writeln!(out, "{}", parts.join(" │ ").trim_end());
    };
    line(&mut out, &mut names.iter());
    let _ = writeln!(out, "{}", widths.iter().map(|w| "─".repeat(*w)).collect::<Vec<_>>().join("─┼─"));
    for r in &text {
        line(&mut out, &mut r.iter());
    }
    out
}
