//! `sdg validate FILE`: every problem, with its path and a hint; exit 0 when valid.

use crate::load;
use anyhow::Result;
use clap::Args;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Debug, Args)]
pub struct ValidateArgs {
    /// Generator or universe file (YAML or JSON); `-` reads stdin.
    pub file: PathBuf,
    /// Print the problems as a JSON array instead of text.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub pools: crate::pools::PoolArgs,
}

pub fn run(args: ValidateArgs) -> Result<ExitCode> {
    let text = load::read_text(&args.file)?;
    let universe = load::universe_value(&text);
    let issues = match universe.as_ref().map(|u| load::universe_issues(&args.file, u, &args.pools)) {
        Some(issues) => issues?,
        None => match sdg_engine::spec::parse_yaml(&text) {
            Ok(mut spec) => {
                crate::pools::resolve_spec_paths(&mut spec, &args.file);
                load::check(&spec, &args.pools.resources()?).err().unwrap_or_default()
            }
            Err(issues) => issues,
        },
    };
    if args.json {
        println!("{}", serde_json::to_string_pretty(&issues)?);
    } else if issues.is_empty() {
        println!("{}: valid", args.file.display());
    } else {
        for issue in issues.iter() {
            println!("{}: {issue}", args.file.display());
        }
        eprintln!("{} problem{} found", issues.len(), if issues.len() == 1 { "" } else { "s" });
    }
    Ok(if issues.is_empty() { ExitCode::SUCCESS } else { ExitCode::FAILURE })
}
