//! The registry of pools a plan compiles against ([`Resources`]): owned by
//! the caller and kept between compiles (one per `sdg run`, one per
//! `sdg serve`), so a pool is loaded once, not on every validate or start.
//! A refresh loads a new version and swaps it in; plans read the current
//! version once per batch, so a batch always sees one version.

use super::{Pool, PoolSource, PoolSpec, PoolStrategy, Sampler};
use parking_lot::{Mutex, RwLock};
use serde::Serialize;
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Instant, SystemTime};

/// A pool entry with the version a compile read.
pub type Resolved = (Arc<PoolEntry>, Arc<Pool>);

/// Loads a pool's rows as its definition says (source, query, strategy).
pub trait PoolLoader: Send + Sync {
    /// Loads one version of the pool.
    fn load(&self, spec: &PoolSpec) -> Result<Pool, String>;
}

/// The loader built into the engine: inline sources only.
#[derive(Debug)]
struct InlineOnly;

impl PoolLoader for InlineOnly {
    fn load(&self, spec: &PoolSpec) -> Result<Pool, String> {
        if spec.query.is_some() {
            return Err("`query` needs the pool loaders of the sdg binary (built with the `query` feature)".into());
        }
        match &spec.source {
            PoolSource::Inline { columns } => {
                let batch = super::inline_batch(columns)?;
                from_batches(spec, batch.schema(), std::iter::once(Ok(batch)))
            }
            _ => Err(format!(
                "{} sources are read by the sdg binary's pool loaders (sdg-pools); this program has only inline pools",
                spec.source_text().split(' ').next().unwrap_or("these")
            )),
        }
    }
}

/// Builds an in-memory pool (FULL, SAMPLED, or INDEXED held in memory) from
/// a stream of batches, sampling as it goes so a SAMPLED pool never holds the
/// whole source.
pub fn from_batches(
    spec: &PoolSpec,
    schema: arrow_schema::SchemaRef,
    batches: impl Iterator<Item = Result<arrow_array::RecordBatch, String>>,
) -> Result<Pool, String> {
    match (spec.strategy, &spec.sample) {
        (PoolStrategy::Sampled, Some(sample)) => {
            let mut sampler = Sampler::new(sample, schema.clone());
            for b in batches {
                sampler.push(&b?)?;
            }
            Pool::in_memory(schema, &[sampler.finish()?], &spec.index)
        }
        _ => {
            let all = batches.collect::<Result<Vec<_>, _>>()?;
            Pool::in_memory(schema, &all, &spec.index)
        }
    }
}

/// Where a pool was declared.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum PoolOrigin {
    /// A pool of the server or run (`--pools DIR`, `--pool FILE`): shared by every generator.
    Server {
        /// The pool file, when there is one.
        #[serde(skip_serializing_if = "Option::is_none")]
        file: Option<String>,
    },
    /// The `pools:` of a generator definition.
    Generator {
        /// The generator's name.
        name: String,
    },
    /// A dataset uploaded to the server (`POST /api/v1/datasets`): shared
    /// by every generator, like a server pool, until the dataset is deleted.
    Dataset {
        /// The dataset's id.
        id: String,
    },
}

impl PoolOrigin {
    /// True for pools of the server itself (files, uploads), which every
    /// generator reads and no definition may redefine or prune.
    pub fn is_shared(&self) -> bool {
        !matches!(self, PoolOrigin::Generator { .. })
    }
}

/// `PoolStatus` of seed 001.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum PoolStatus {
    /// Being loaded (first load or refresh).
    Loading,
    /// Loaded; serving picks.
    Ready,
    /// The first load failed; `last_error` says why.
    Failed,
}

/// What a pool reports (the API's pool resource).
#[derive(Debug, Clone, Serialize)]
pub struct PoolReport {
    /// The pool's name.
    pub name: String,
    /// FULL, SAMPLED or INDEXED.
    pub strategy: PoolStrategy,
    /// The source, passwords hidden.
    pub source: String,
    /// Where the pool was declared.
    pub origin: PoolOrigin,
    /// LOADING, READY or FAILED.
    pub status: PoolStatus,
    /// Rows of the current version.
    pub rows: usize,
    /// Columns with their Arrow types.
    pub columns: Vec<ColumnReport>,
    /// Key columns with a hash index.
    pub index: Vec<String>,
    /// Heap bytes (columns held in memory and indexes).
    pub memory_bytes: usize,
    /// Bytes memory-mapped from the cache file (INDEXED).
    pub mapped_bytes: usize,
    /// When the current version was loaded (RFC 3339).
    pub loaded_at: Option<String>,
    /// How long that load took, ms.
    pub load_ms: Option<u64>,
    /// Versions loaded so far (1 after the first load; each refresh adds one).
    pub version: u64,
    /// The last load's error, if it failed (a failed refresh keeps the old version).
    pub last_error: Option<String>,
}

/// A column of a pool.
#[derive(Debug, Clone, Serialize)]
pub struct ColumnReport {
    /// The column name.
    pub name: String,
    /// Its Arrow type, e.g. `Utf8`, `Int64`.
    #[serde(rename = "type")]
    pub kind: String,
}

#[derive(Debug, Default)]
struct LoadState {
    loading: bool,
    last_error: Option<String>,
    loaded_at: Option<SystemTime>,
    load_ms: Option<u64>,
    version: u64,
}

/// A pool in the registry: its definition and its current version.
pub struct PoolEntry {
    spec: PoolSpec,
    origin: PoolOrigin,
    current: RwLock<Option<Arc<Pool>>>,
    state: Mutex<LoadState>,
    load_lock: Mutex<()>,
}

impl std::fmt::Debug for PoolEntry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PoolEntry").field("name", &self.spec.name).finish()
    }
}

impl PoolEntry {
    fn new(spec: PoolSpec, origin: PoolOrigin) -> Self {
        Self { spec, origin, current: RwLock::new(None), state: Mutex::default(), load_lock: Mutex::new(()) }
    }

    /// The pool's definition.
    pub fn spec(&self) -> &PoolSpec {
        &self.spec
    }

    /// Where it was declared.
    pub fn origin(&self) -> &PoolOrigin {
        &self.origin
    }

    /// The current version (None until the first load succeeds).
    pub fn current(&self) -> Option<Arc<Pool>> {
        self.current.read().clone()
    }

    /// The current version, loading it first if there is none yet.
    fn ensure(&self, loader: &dyn PoolLoader) -> Result<Arc<Pool>, String> {
        let _one = self.load_lock.lock();
        if let Some(p) = self.current() {
            return Ok(p);
        }
        self.load_locked(loader)
    }

    /// Loads a new version and swaps it in; on failure the old one stays.
    fn reload(&self, loader: &dyn PoolLoader) -> Result<Arc<Pool>, String> {
        let _one = self.load_lock.lock();
        self.load_locked(loader)
    }

    fn load_locked(&self, loader: &dyn PoolLoader) -> Result<Arc<Pool>, String> {
        self.state.lock().loading = true;
        let t0 = Instant::now();
        let result = loader.load(&self.spec).and_then(|pool| {
            if let Some(old) = self.current() {
                compatible(&old, &pool)?;
            }
            Ok(Arc::new(pool))
        });
        let mut st = self.state.lock();
        st.loading = false;
        match result {
            Ok(pool) => {
                *self.current.write() = Some(Arc::clone(&pool));
                st.last_error = None;
                st.loaded_at = Some(SystemTime::now());
                st.load_ms = Some(t0.elapsed().as_millis() as u64);
                st.version += 1;
                tracing::info!(pool = %self.spec.name, rows = pool.rows(), ms = st.load_ms, "pool loaded");
                Ok(pool)
            }
            Err(e) => {
                let e = format!("pool `{}`: {e}", self.spec.name);
                tracing::warn!(error = %e, "pool load failed");
                st.last_error = Some(e.clone());
                Err(e)
            }
        }
    }

    /// The report of the pool and its current version.
    pub fn report(&self) -> PoolReport {
        let pool = self.current();
        let st = self.state.lock();
        let status = match (&pool, st.loading) {
            (_, true) => PoolStatus::Loading,
            (Some(_), false) => PoolStatus::Ready,
            (None, false) if st.last_error.is_some() => PoolStatus::Failed,
            (None, false) => PoolStatus::Loading,
        };
        PoolReport {
            name: self.spec.name.clone(),
            strategy: self.spec.strategy,
            source: self.spec.source_text(),
            origin: self.origin.clone(),
            status,
            rows: pool.as_ref().map_or(0, |p| p.rows()),
            columns: pool
                .as_ref()
                .map(|p| {
                    p.schema()
                        .fields()
                        .iter()
                        .map(|f| ColumnReport { name: f.name().clone(), kind: f.data_type().to_string() })
                        .collect()
                })
                .unwrap_or_default(),
            index: self.spec.index.clone(),
            memory_bytes: pool.as_ref().map_or(0, |p| p.memory_bytes()),
            mapped_bytes: pool.as_ref().map_or(0, |p| p.mapped_bytes()),
            loaded_at: st.loaded_at.map(|t| chrono::DateTime::<chrono::Utc>::from(t).to_rfc3339()),
            load_ms: st.load_ms,
            version: st.version,
            last_error: st.last_error.clone(),
        }
    }
}

/// A new version must keep the columns and types plans compiled against.
fn compatible(old: &Pool, new: &Pool) -> Result<(), String> {
    for f in old.schema().fields() {
        match new.schema().field_with_name(f.name()) {
            Err(_) => return Err(format!("the new data has no column `{}`; kept the loaded version", f.name())),
            Ok(n) if n.data_type() != f.data_type() => {
                return Err(format!(
                    "column `{}` changed type from {} to {}; kept the loaded version",
                    f.name(),
                    f.data_type(),
                    n.data_type()
                ));
            }
            _ => {}
        }
    }
    if new.schema().fields().len() != old.schema().fields().len() {
        return Err("the new data has other columns than the loaded version; kept the loaded version".into());
    }
    if new.rows() == 0 && old.rows() > 0 {
        return Err("the new data has no rows; kept the loaded version".into());
    }
    Ok(())
}

/// The shared resources plans compile against: pools, and the parents a
/// universe member references (fitted models and compiled plugins as later
/// versions add them).
#[derive(Clone)]
pub struct Resources {
    inner: Arc<Inner>,
    /// Universe parents by generator name: scoped to one universe
    /// ([`Resources::for_universe`]), never shared between universes.
    parents: Arc<RwLock<BTreeMap<String, crate::universe::ParentRef>>>,
    /// The runtime of COMPUTED fields' plugins (none: COMPUTED is refused).
    plugins: Option<Arc<dyn crate::mapping::computed::PluginLoader>>,
}

struct Inner {
    loader: Arc<dyn PoolLoader>,
    pools: RwLock<BTreeMap<String, Arc<PoolEntry>>>,
    /// Copulas fitted on pools: (definition, pool version) → model, so a
    /// copula two generators declare alike is fitted once per version.
    fits: parking_lot::Mutex<Vec<FittedModel>>,
    /// Models by name (trained through the API, or loaded by the server):
    /// `copulas: [{ name, source: { trained: NAME } }]` reads them.
    models: RwLock<BTreeMap<String, Arc<crate::copula::Model>>>,
}

/// A fit kept for reuse.
struct FittedModel {
    key: String,
    pool: std::sync::Weak<super::Pool>,
    model: Arc<crate::copula::Model>,
}

impl std::fmt::Debug for Resources {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Resources").field("pools", &self.names()).finish()
    }
}

impl Default for Resources {
    fn default() -> Self {
        Self::new()
    }
}

impl Resources {
    /// A registry that loads inline pools only (tests, tools).
    pub fn new() -> Self {
        Self::with_loader(Arc::new(InlineOnly))
    }

    /// A registry loading pools with `loader` (the sdg binary passes sdg-pools').
    pub fn with_loader(loader: Arc<dyn PoolLoader>) -> Self {
        Self {
            inner: Arc::new(Inner {
                loader,
                pools: RwLock::new(BTreeMap::new()),
                fits: Default::default(),
                models: RwLock::new(BTreeMap::new()),
            }),
            parents: Default::default(),
            plugins: None,
        }
    }

    /// The same registry, loading COMPUTED fields' plugins with `loader`.
    pub fn with_plugins(mut self, loader: Arc<dyn crate::mapping::computed::PluginLoader>) -> Self {
        self.plugins = Some(loader);
        self
    }

    /// The plugin runtime, if this program has one.
    pub fn plugins(&self) -> Option<&Arc<dyn crate::mapping::computed::PluginLoader>> {
        self.plugins.as_ref()
    }

    /// The model fitted by `fit` for the definition `key` on this version
    /// of `pool`: fitted once, then shared (a refreshed pool is fitted again).
    pub fn fitted(
        &self,
        key: &str,
        pool: &Arc<super::Pool>,
        fit: impl FnOnce() -> Result<crate::copula::Model, String>,
    ) -> Result<Arc<crate::copula::Model>, String> {
        let mut fits = self.inner.fits.lock();
        fits.retain(|f| f.pool.strong_count() > 0);
        if let Some(f) = fits.iter().find(|f| f.key == key && f.pool.upgrade().is_some_and(|p| Arc::ptr_eq(&p, pool))) {
            return Ok(Arc::clone(&f.model));
        }
        let model = Arc::new(fit()?);
        fits.push(FittedModel { key: key.to_string(), pool: Arc::downgrade(pool), model: Arc::clone(&model) });
        Ok(model)
    }

    /// Registers a trained model under `name` (replacing one of that name).
    pub fn add_model(&self, name: &str, model: Arc<crate::copula::Model>) {
        self.inner.models.write().insert(name.to_string(), model);
    }

    /// Forgets the trained model `name`.
    pub fn remove_model(&self, name: &str) {
        self.inner.models.write().remove(name);
    }

    /// The trained model `name`.
    pub fn model(&self, name: &str) -> Option<Arc<crate::copula::Model>> {
        self.inner.models.read().get(name).cloned()
    }

    /// The names of the trained models.
    pub fn model_names(&self) -> Vec<String> {
        self.inner.models.read().keys().cloned().collect()
    }

    /// The same pools, with no parents yet: the registry one universe's
    /// members compile against.
    pub fn for_universe(&self) -> Self {
        Self { inner: Arc::clone(&self.inner), parents: Default::default(), plugins: self.plugins.clone() }
    }

    /// Registers a compiled universe member that later members may reference.
    pub fn add_parent(&self, name: &str, parent: crate::universe::ParentRef) {
        self.parents.write().insert(name.to_string(), parent);
    }

    /// The parent named `name`.
    pub fn parent(&self, name: &str) -> Option<crate::universe::ParentRef> {
        self.parents.read().get(name).cloned()
    }

    /// The names of the registered parents.
    pub fn parent_names(&self) -> Vec<String> {
        self.parents.read().keys().cloned().collect()
    }

    /// Adds a pool of the server or run and loads it. A pool that fails to
    /// load stays registered as FAILED (a refresh can retry it) and the error is returned.
    pub fn add(&self, spec: PoolSpec, origin: PoolOrigin) -> Result<Arc<PoolEntry>, String> {
        let entry = {
            let mut pools = self.inner.pools.write();
            if let Some(old) = pools.get(&spec.name)
                && old.origin.is_shared()
                && old.spec != spec
            {
                return Err(format!("two pools are named `{}`; give each its own name", spec.name));
            }
            let entry = Arc::new(PoolEntry::new(spec, origin));
            pools.insert(entry.spec.name.clone(), Arc::clone(&entry));
            entry
        };
        entry.ensure(self.inner.loader.as_ref())?;
        Ok(entry)
    }

    /// The pool a generator declares: an identical pool already loaded is
    /// shared; another generator's pool of that name is replaced (plans
    /// running on it keep their version); a server pool cannot be redefined.
    pub fn declare(&self, spec: &PoolSpec, generator: &str) -> Result<Resolved, String> {
        let entry = {
            let mut pools = self.inner.pools.write();
            match pools.get(&spec.name) {
                Some(e) if e.spec == *spec => Arc::clone(e),
                Some(e) if e.origin.is_shared() => {
                    return Err(format!(
                        "a pool named `{}` is already loaded ({}), with another definition; \
                         read that one without declaring it, or give this one another name",
                        spec.name,
                        e.spec.source_text()
                    ));
                }
                _ => {
                    let e =
                        Arc::new(PoolEntry::new(spec.clone(), PoolOrigin::Generator { name: generator.to_string() }));
                    pools.insert(spec.name.clone(), Arc::clone(&e));
                    e
                }
            }
        };
        let pool = entry.ensure(self.inner.loader.as_ref())?;
        Ok((entry, pool))
    }

    /// A pool by name, with its current version (loading it if it has none yet).
    pub fn resolve(&self, name: &str) -> Option<Result<Resolved, String>> {
        let entry = self.get(name)?;
        Some(entry.ensure(self.inner.loader.as_ref()).map(|p| (entry, p)))
    }

    /// A pool by name.
    pub fn get(&self, name: &str) -> Option<Arc<PoolEntry>> {
        self.inner.pools.read().get(name).cloned()
    }

    /// Every pool, by name.
    pub fn list(&self) -> Vec<Arc<PoolEntry>> {
        self.inner.pools.read().values().cloned().collect()
    }

    /// Names of the pools.
    pub fn names(&self) -> Vec<String> {
        self.inner.pools.read().keys().cloned().collect()
    }

    /// Forgets the pools that generators declared and nothing uses any more:
    /// no plan holds them and `keep` (the definitions still stored) does not
    /// name them. Returns how many went. Server pools always stay.
    pub fn prune(&self, keep: impl Fn(&PoolSpec) -> bool) -> usize {
        let mut pools = self.inner.pools.write();
        let before = pools.len();
        pools.retain(|_, e| e.origin.is_shared() || Arc::strong_count(e) > 1 || keep(&e.spec));
        before - pools.len()
    }

    /// Forgets the pool `name` (a deleted dataset); plans running on it keep
    /// their version. True if there was one.
    pub fn remove(&self, name: &str) -> bool {
        self.inner.pools.write().remove(name).is_some()
    }

    /// Reloads a pool from its source and swaps the new version in; running
    /// plans read it from their next batch. `None` if there is no such pool;
    /// on failure the old version stays and the error is returned (and reported).
    pub fn refresh(&self, name: &str) -> Option<Result<Arc<PoolEntry>, String>> {
        let entry = self.get(name)?;
        Some(entry.reload(self.inner.loader.as_ref()).map(|_| entry))
    }
}
