//! Pools for the CLI: `--pool FILE` (repeatable) and `--pool-cache DIR`,
//! one registry per command, and relative paths made relative to the file
//! that declares them.

use anyhow::Result;
use clap::Args;
use sdg_engine::pool::PoolOrigin;
use sdg_engine::{GeneratorSpec, Resources};
use std::path::{Path, PathBuf};
use std::sync::Arc;

#[derive(Debug, Args, Default, Clone)]
pub struct PoolArgs {
    /// A pool file (the keys of one `pools:` entry) to load for this run;
    /// repeat for several. Its relative paths are relative to the pool file.
    #[arg(long = "pool", value_name = "FILE")]
    pub pools: Vec<PathBuf>,
    /// Where INDEXED pools keep their memory-mapped files
    /// [default: $SDG_POOL_CACHE, else ~/.cache/sdg/pools].
    #[arg(long, value_name = "DIR")]
    pub pool_cache: Option<PathBuf>,
}

/// The loader of this binary, with the cache directory of `cache`.
pub fn loader(cache: Option<&Path>) -> sdg_pools::Loader {
    match cache {
        Some(d) => sdg_pools::Loader::new(d.to_path_buf()),
        None => sdg_pools::Loader::default(),
    }
}

impl PoolArgs {
    /// A registry with the `--pool` files loaded (failing on the first that does not load).
    pub fn resources(&self) -> Result<Resources> {
        let resources = Resources::with_loader(Arc::new(loader(self.pool_cache.as_deref())));
        #[cfg(feature = "plugins")]
        let resources = resources.with_plugins(sdg_plugins::shared()?);
        for path in &self.pools {
            let spec = sdg_pools::read_pool_file(path).map_err(anyhow::Error::msg)?;
            let origin = PoolOrigin::Server { file: Some(path.display().to_string()) };
            resources.add(spec, origin).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
        }
        Ok(resources)
    }
}

/// One line per pool the plan reads: rows, strategy, memory, load time.
pub fn report_loaded(plan: &sdg_engine::Plan) {
    for entry in plan.pools() {
        let r = entry.report();
        let mapped = if r.mapped_bytes > 0 {
            format!(", {} mapped", crate::progress::bytes(r.mapped_bytes as f64))
        } else {
            String::new()
        };
        eprintln!(
            "pool {}: {} rows, {}, {} in memory{mapped}, loaded in {} ms",
            r.name,
            r.rows,
            r.strategy.as_str(),
            crate::progress::bytes(r.memory_bytes as f64),
            r.load_ms.unwrap_or(0)
        );
    }
}

/// Resolves the relative paths of a generator file's own pools, of its
/// COMPUTED fields' plugins and of its copulas' model files (relative to the
/// file, as written).
pub fn resolve_spec_paths(spec: &mut GeneratorSpec, file: &Path) {
    let base = sdg_pools::base_dir(file);
    for p in &mut spec.pools {
        sdg_pools::resolve_paths(p, &base);
    }
    for f in spec.fields.iter_mut().filter(|f| f.kind == sdg_engine::spec::MappingType::Computed) {
        if let Some(serde_json::Value::String(plugin)) = f.params.get_mut("plugin")
            && Path::new(plugin.as_str()).is_relative()
        {
            *plugin = base.join(&*plugin).to_string_lossy().into_owned();
        }
    }
    for c in &mut spec.copulas {
        if let sdg_engine::copula::CopulaSource::Model { model } = &mut c.source
            && Path::new(model.as_str()).is_relative()
        {
            *model = base.join(&*model).to_string_lossy().into_owned();
        }
    }
}
