//! Reading a generator file, applying command-line overrides, and checking
//! everything (engine and destination) before anything runs.

use crate::pools::PoolArgs;
use anyhow::{Context, Result};
use sdg_engine::spec::{Destination, DestinationType, EndCondition, GeneratorSpec};
use sdg_engine::{Issues, Plan};
use std::io::Read;
use std::path::Path;

/// Reads `path` (`-` for stdin).
pub fn read_text(path: &Path) -> Result<String> {
    if path.as_os_str() == "-" {
        let mut s = String::new();
        std::io::stdin().read_to_string(&mut s).context("reading the generator from stdin")?;
        return Ok(s);
    }
    std::fs::read_to_string(path).with_context(|| format!("reading generator file {}", path.display()))
}

/// Command-line settings that replace those of the file.
#[derive(Debug, Default, Clone)]
pub struct Overrides {
    pub rows: Option<u64>,
    pub rate: Option<f64>,
    pub seed: Option<u64>,
    pub batch_size: Option<usize>,
    pub out: Option<String>,
    pub format: Option<String>,
    pub destination: Option<Destination>,
    /// BATCH mode without a rate cap (benchmarks).
    pub unpaced: bool,
}

impl Overrides {
    pub fn apply(&self, spec: &mut GeneratorSpec) {
        if self.unpaced {
            spec.mode = sdg_engine::spec::GenerationMode::Batch;
            spec.rate = None;
        }
        if let Some(rows) = self.rows {
            spec.end_condition = EndCondition::RecordCount { value: rows };
        }
        if self.rate.is_some() {
            spec.rate = self.rate;
        }
        if self.seed.is_some() {
            spec.seed = self.seed;
        }
        if self.batch_size.is_some() {
            spec.batch_size = self.batch_size;
        }
        if let Some(dest) = &self.destination {
            spec.destination = dest.clone();
        }
        if let Some(out) = &self.out {
            // A new path: keep the file's rotation, let the format follow the new path.
            let rotate = match spec.destination.kind {
                DestinationType::File => spec.destination.config.get("rotate_rows").cloned(),
                _ => None,
            };
            spec.destination = Destination { kind: DestinationType::File, config: Default::default() };
            spec.destination.config.insert("path".into(), out.clone().into());
            if let Some(r) = rotate.filter(|_| out != "-") {
                spec.destination.config.insert("rotate_rows".into(), r);
            }
        }
        if let Some(format) = &self.format {
            let c = &mut spec.destination.config;
            c.insert("format".into(), format.clone().into());
            if format != "parquet" {
                c.remove("compression");
            }
            if format != "csv" {
                c.remove("header");
            }
        }
    }
}

pub use sdg_destinations::check;

/// Reads, overrides and checks with the pools of `pools`; prints every
/// problem and fails if there is one.
pub fn load(path: &Path, overrides: &Overrides, pools: &PoolArgs) -> Result<(GeneratorSpec, Plan)> {
    let text = read_text(path)?;
    let mut spec = match sdg_engine::spec::parse_yaml(&text) {
        Ok(s) => s,
        Err(issues) => return Err(report(path, &issues)),
    };
    overrides.apply(&mut spec);
    crate::pools::resolve_spec_paths(&mut spec, path);
    let resources = pools.resources()?;
    match check(&spec, &resources) {
        Ok(plan) => Ok((spec, plan)),
        Err(issues) => Err(report(path, &issues)),
    }
}

/// Prints the problems and returns an error that says how many there were.
pub fn report(path: &Path, issues: &Issues) -> anyhow::Error {
    for issue in issues.iter() {
        eprintln!("{}: {issue}", path.display());
    }
    anyhow::anyhow!(
        "{} is not a valid generator: {} problem{} found",
        path.display(),
        issues.len(),
        if issues.len() == 1 { "" } else { "s" }
    )
}
