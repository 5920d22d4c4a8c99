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
    /// This process makes shard I of N: a FILE destination writes its part.
    pub shard: Option<(u64, u64)>,
}

/// The shard of this process: `--shard`, else `JOB_COMPLETION_INDEX` (a
/// Kubernetes Indexed Job) with `SDG_SHARDS`.
pub fn shard_of(flag: Option<&str>) -> Result<Option<(u64, u64)>, String> {
    use sdg_engine::pipeline::shard::parse;
    if let Some(f) = flag {
        return parse(f).map(Some).map_err(|e| format!("--{e}"));
    }
    match (std::env::var("JOB_COMPLETION_INDEX"), std::env::var("SDG_SHARDS")) {
        (Ok(i), Ok(n)) => parse(&format!("{i}/{n}"))
            .map(Some)
            .map_err(|e| format!("{e} (from JOB_COMPLETION_INDEX={i} and SDG_SHARDS={n})")),
        (Ok(i), Err(_)) => Err(format!(
            "JOB_COMPLETION_INDEX={i} is set but SDG_SHARDS is not: set SDG_SHARDS to the job's completions (or pass --shard I/N)"
        )),
        _ => Ok(None),
    }
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
        if let Some(r) = self.rate {
            spec.rate = Some(sdg_engine::spec::rate::Rate::Constant(r));
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
        // A shard writes its own part of a file.
        if let Some(shard) = self.shard {
            sdg_destinations::for_shard(&mut spec.destination, shard);
        }
    }
}

pub use sdg_destinations::check;

/// Reads, overrides and checks with the pools of `pools`; prints every
/// problem and fails if there is one. A universe file needs `member`: that
/// member is compiled inside its universe (its parents compiled, not run)
/// and the overrides apply to it alone.
pub fn load(
    path: &Path,
    overrides: &Overrides,
    pools: &PoolArgs,
    member: Option<&str>,
) -> Result<(GeneratorSpec, std::sync::Arc<Plan>)> {
    load_text(path, &read_text(path)?, overrides, pools, member)
}

/// As [`load`], with the file's text already read (stdin is read once).
pub fn load_text(
    path: &Path,
    text: &str,
    overrides: &Overrides,
    pools: &PoolArgs,
    member: Option<&str>,
) -> Result<(GeneratorSpec, std::sync::Arc<Plan>)> {
    if let Some(value) = universe_value(text) {
        let Some(name) = member else {
            let names = member_names(&value);
            anyhow::bail!(
                "{} is a universe of {} generators ({}): give --generator NAME for one of them{}",
                path.display(),
                names.len(),
                names.join(", "),
                if std::env::args().nth(1).as_deref() == Some("run") {
                    " (or no --generator to run them all)"
                } else {
                    ""
                }
            );
        };
        // A member alone recomputes its parents: the same seeds as a full run (--seed is every member's).
        let universe = universe(path, &value, pools, Some((name, overrides)), overrides.seed)?;
        if let Some(m) = universe.members.iter().find(|m| m.spec.seed.is_none()) {
            anyhow::bail!(
                "--generator {name}: member `{}` of universe `{}` has no seed, so a run of one member could not recompute the keys of a full run — add `seed:` to the universe (or to each member), or give --seed",
                m.spec.name,
                universe.spec.name
            );
        }
        let Some(i) = universe.members.iter().position(|m| m.spec.name == name) else {
            unreachable!("checked by universe()")
        };
        universe.members[i].standalone(&universe).map_err(anyhow::Error::msg)?;
        let mut members = universe.members;
        let m = members.swap_remove(i);
        return Ok((m.spec, m.plan));
    }
    if let Some(name) = member {
        anyhow::bail!("--generator {name}: {} is a generator, not a universe", path.display());
    }
    let mut spec = match sdg_engine::spec::parse_yaml(text) {
        Ok(s) => s,
        Err(issues) => return Err(report(path, &issues)),
    };
    overrides.apply(&mut spec);
    crate::pools::resolve_spec_paths(&mut spec, path);
    let resources = pools.resources()?;
    match check(&spec, &resources) {
        Ok(plan) => Ok((spec, std::sync::Arc::new(plan))),
        Err(issues) => Err(report(path, &issues)),
    }
}

/// The parsed document when `text` is a universe file.
pub fn universe_value(text: &str) -> Option<serde_json::Value> {
    sdg_engine::universe::document(text)
}

fn member_names(value: &serde_json::Value) -> Vec<String> {
    value
        .get("generators")
        .and_then(|g| g.as_array())
        .map(|g| {
            g.iter()
                .map(|m| m.get("name").or_else(|| m.get("file")).and_then(|n| n.as_str()).unwrap_or("?").to_string())
                .collect()
        })
        .unwrap_or_default()
}

/// The universe problems of `path` (parsing and compiling every member), or none.
pub fn universe_issues(path: &Path, value: &serde_json::Value, pools: &PoolArgs) -> Result<Issues> {
    match read_universe(path, value, pools, None, None)? {
        Ok(_) => Ok(Issues::default()),
        Err(issues) => Ok(issues),
    }
}

/// Compiles a universe file's members (every problem printed); `member`:
/// a member with overrides applied to it alone.
pub fn universe(
    path: &Path,
    value: &serde_json::Value,
    pools: &PoolArgs,
    member: Option<(&str, &Overrides)>,
    seed: Option<u64>,
) -> Result<sdg_engine::universe::Universe> {
    read_universe(path, value, pools, member, seed)?.map_err(|issues| report(path, &issues))
}

fn read_universe(
    path: &Path,
    value: &serde_json::Value,
    pools: &PoolArgs,
    member: Option<(&str, &Overrides)>,
    seed: Option<u64>,
) -> Result<std::result::Result<sdg_engine::universe::Universe, Issues>> {
    let base = sdg_pools::base_dir(path);
    let read = |file: &str| {
        let p = base.join(file);
        std::fs::read_to_string(&p).map_err(|e| format!("reading {}: {e}", p.display()))
    };
    let mut spec = match sdg_engine::universe::parse(value, &read) {
        Ok(s) => s,
        Err(issues) => return Ok(Err(issues)),
    };
    if let Some((name, _)) = member
        && !spec.generators.iter().any(|g| g.name == name)
    {
        let names: Vec<&str> = spec.generators.iter().map(|g| g.name.as_str()).collect();
        let hint = sdg_engine::issue::closest(name, &names)
            .map(|c| format!("did you mean `{c}`?"))
            .unwrap_or_else(|| format!("its generators: {}", names.join(", ")));
        anyhow::bail!("--generator {name}: universe `{}` has no generator `{name}` — {hint}", spec.name);
    }
    for g in &mut spec.generators {
        crate::pools::resolve_spec_paths(g, path);
        if seed.is_some() {
            g.seed = seed;
        }
        if let Some((name, overrides)) = member
            && g.name == name
        {
            overrides.apply(g);
        }
    }
    let resources = pools.resources()?;
    Ok(sdg_engine::universe::Universe::compile(spec, &resources, &|g, r| check(g, r)))
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
