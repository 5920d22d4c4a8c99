//! The generators: records, their runs, and every lifecycle transition.
//! Records live in memory and in the store; a run's status and metrics are
//! read from the engine when asked, and written to the store on every
//! transition and once a second while it runs (the resume checkpoint).
//!
//! The generators lock guards memory only: a change bumps the record's
//! version under it, and the copy is written to the store after the lock is
//! released (the store skips a copy older than one it already wrote), so a
//! slow disk holds up the request that wrote, never the others.

use crate::error::ApiError;
use crate::model::{GeneratorResponse, Record, now};
use crate::store::{Store, Versioned};
use parking_lot::Mutex;
use sdg_destinations as destinations;
use sdg_engine::spec::{DestinationType, spec_from_value};
use sdg_engine::{GeneratorSpec, Plan, Resources, Run, RunConfig, Status};
use std::collections::BTreeMap;
use std::sync::Arc;

struct Entry {
    rec: Record,
    run: Option<Arc<Run>>,
    /// Status and checkpoint last written by `checkpoint`.
    stored: Option<(Status, u64)>,
    /// A start or resume is opening the destination (outside the lock).
    starting: bool,
    /// Bumped at every change that is to be stored.
    version: u64,
    /// The run whose end was announced (`Generators::checkpoint`): a weak
    /// handle keeps its address from being reused by a later run.
    announced: Option<std::sync::Weak<Run>>,
}

/// A run that ended (COMPLETED or FAILED), for `generator.*` webhooks.
#[derive(Debug, Clone)]
pub struct Ended {
    pub id: String,
    pub name: String,
    pub status: Status,
    pub rows_delivered: u64,
    pub error: Option<String>,
}

/// A copy of a record to store once the lock is released.
type Pending = (Record, u64);

fn versioned(pending: &[Pending]) -> Vec<Versioned<'_>> {
    pending.iter().map(|(r, v)| (r, *v)).collect()
}

impl Entry {
    fn new(rec: Record) -> Self {
        Self { rec, run: None, stored: None, starting: false, version: 0, announced: None }
    }

    /// The record as it is now, to be stored (a new version).
    fn changed(&mut self) -> Pending {
        self.version += 1;
        (self.rec.clone(), self.version)
    }

    /// Reads the run's status and metrics into the record; true if the status changed.
    fn sync(&mut self) -> bool {
        let Some(run) = &self.run else { return false };
        let m = run.metrics();
        let status = m.status;
        // A prefix of settled rows, not a count of acknowledgements (which
        // Kafka returns out of row order): see `Run::checkpoint`.
        self.rec.next_row = run.checkpoint();
        let changed = status != self.rec.status;
        if changed {
            self.rec.status = status;
            self.rec.updated_at = now();
            if status == Status::Failed {
                self.rec.status_reason = m.last_error.clone();
            }
        }
        self.rec.metrics = Some(m);
        changed
    }

    fn response(&self) -> GeneratorResponse {
        let name = self.rec.definition.get("name").and_then(|n| n.as_str()).unwrap_or_default().to_string();
        GeneratorResponse {
            id: self.rec.id.clone(),
            name,
            status: self.rec.status.as_str().to_string(),
            status_reason: self.rec.status_reason.clone(),
            created_at: self.rec.created_at.clone(),
            updated_at: self.rec.updated_at.clone(),
            definition: self.rec.definition.clone(),
            metrics: self.rec.metrics.clone(),
            next_row: self.rec.next_row,
            universe: self.rec.universe.clone(),
            shard: self.rec.shard.clone(),
            resumable: self.rec.status == Status::Stopped && self.rec.interrupted && self.run.is_none(),
        }
    }

    fn active(&self) -> bool {
        self.run.as_ref().is_some_and(|r| !r.status().is_terminal())
    }
}

/// Every generator of this server.
pub struct Generators {
    map: Mutex<BTreeMap<String, Entry>>,
    store: Arc<Store>,
    /// Worker threads per run.
    workers: usize,
    /// The pools every generator of this server compiles against.
    resources: Resources,
    /// The universes; their members are generators of `map`.
    universes: Mutex<BTreeMap<String, UniverseEntry>>,
    /// Held by a PATCH from reading the definition to recording the
    /// revision, so two retunes never interleave.
    patching: Mutex<()>,
}

struct UniverseEntry {
    rec: crate::model::UniverseRecord,
    /// The current or last run of every member together.
    run: Option<Arc<sdg_engine::universe::UniverseRun>>,
    /// A start is compiling and opening (outside the lock): a second one meanwhile is a conflict.
    starting: bool,
}

impl std::fmt::Debug for Generators {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Generators").field("count", &self.map.lock().len()).finish()
    }
}

/// Parses and checks a definition: structure, mappings, pools, destination.
pub fn check_definition(value: &serde_json::Value, resources: &Resources) -> Result<(GeneratorSpec, Plan), ApiError> {
    let spec = spec_from_value(value).map_err(|i| ApiError::issues(&i))?;
    let plan = destinations::check(&spec, resources).map_err(|i| ApiError::issues(&i))?;
    Ok((spec, plan))
}

fn not_found(id: &str) -> ApiError {
    ApiError::not_found(format!("there is no generator `{id}` (GET /api/v1/generators lists them)"))
}

impl Generators {
    /// The pools of this server.
    pub fn resources(&self) -> &Resources {
        &self.resources
    }

    /// Forgets pools declared by definitions that are neither stored nor
    /// running any more (a validated-only definition, an edited or deleted
    /// generator), so a long-lived server does not keep old pools' memory.
    pub fn settle_pools(&self) {
        let declared: Vec<sdg_engine::pool::PoolSpec> = {
            let map = self.map.lock();
            map.values()
                .filter_map(|e| e.rec.definition.get("pools").and_then(serde_json::Value::as_array).cloned())
                .flatten()
                .filter_map(|p| sdg_engine::pool::read_pool(&p, "", &mut sdg_engine::Issues::default()))
                .collect()
        };
        let gone = self.resources.prune(|spec| declared.contains(spec));
        if gone > 0 {
            tracing::info!(pools = gone, "forgot pools no generator declares any more");
        }
    }
}

/// A universe member runs with its universe: `action` on it alone is a conflict.
fn member_refuses(e: &Entry, action: &str) -> Result<(), ApiError> {
    match &e.rec.universe {
        Some(uid) => Err(ApiError::conflict(
            format!(
                "this generator is a member of universe {uid}: {action} the universe instead (POST /api/v1/universes/{uid}/start|stop, DELETE /api/v1/universes/{uid}); its keys depend on the other members"
            ),
            e.rec.status.as_str(),
        )),
        None => Ok(()),
    }
}

/// Marks a generator as being started; a second start meanwhile is a conflict.
fn claim(e: &mut Entry) -> Result<(), ApiError> {
    if e.starting {
        return Err(ApiError::conflict(
            "the generator is being started (its destination is opening); try again in a moment",
            e.rec.status.as_str(),
        ));
    }
    e.starting = true;
    Ok(())
}

fn refused(action: &str, status: Status, allowed: &str) -> ApiError {
    ApiError::conflict(
        format!("cannot {action} a generator that is {}; {action} applies to {allowed}", status.as_str()),
        status.as_str(),
    )
}

impl Generators {
    /// Loads the stored records. Generators that were RUNNING or PAUSED when
    /// the last process ended come back STOPPED, resumable from their last
    /// checkpoint.
    pub fn open(store: Arc<Store>, workers: usize, resources: Resources) -> anyhow::Result<Self> {
        let mut map = BTreeMap::new();
        let mut changed = Vec::new();
        for mut rec in store.load()? {
            // Stored by a version that did not draw seeds: one now, kept from here on.
            if rec.definition.get("seed").is_none_or(serde_json::Value::is_null) {
                with_seed(&mut rec.definition);
                changed.push(rec.id.clone());
            }
            if matches!(rec.status, Status::Running | Status::Paused) {
                tracing::warn!(id = %rec.id, next_row = rec.next_row, "generator was {} when the server stopped", rec.status.as_str());
                rec.status_reason = Some(format!(
                    "the server stopped while the generator was {}; POST …/resume continues from row {}",
                    rec.status.as_str(),
                    rec.next_row
                ));
                rec.status = Status::Stopped;
                rec.interrupted = true;
                rec.updated_at = now();
                if let Some(m) = &mut rec.metrics {
                    m.status = Status::Stopped;
                }
                changed.push(rec.id.clone());
            }
            map.insert(rec.id.clone(), Entry::new(rec));
        }
        let pending: Vec<Pending> =
            map.iter_mut().filter(|(id, _)| changed.contains(id)).map(|(_, e)| e.changed()).collect();
        store.put(&versioned(&pending)).map_err(|e| anyhow::anyhow!(e.body.detail))?;
        let universes = store
            .load_docs::<crate::model::UniverseRecord>(crate::store::UNIVERSES)?
            .into_iter()
            .map(|rec| (rec.id.clone(), UniverseEntry { rec, run: None, starting: false }))
            .collect();
        Ok(Self {
            map: Mutex::new(map),
            store,
            workers,
            resources,
            universes: Mutex::new(universes),
            patching: Mutex::new(()),
        })
    }

    /// Whether the store answers a read (for `/health`).
    pub fn check_store(&self) -> Result<(), String> {
        self.store.check()
    }

    pub fn list(&self) -> Vec<GeneratorResponse> {
        let mut map = self.map.lock();
        map.values_mut()
            .map(|e| {
                e.sync();
                e.response()
            })
            .collect()
    }

    pub fn get(&self, id: &str) -> Result<GeneratorResponse, ApiError> {
        let mut map = self.map.lock();
        let e = map.get_mut(id).ok_or_else(|| not_found(id))?;
        e.sync();
        Ok(e.response())
    }

    /// The live metrics (the last run's after it ended; zeros before any run).
    pub fn metrics(&self, id: &str) -> Result<sdg_engine::MetricsSnapshot, ApiError> {
        let mut map = self.map.lock();
        let e = map.get_mut(id).ok_or_else(|| not_found(id))?;
        e.sync();
        Ok(e.rec.metrics.clone().unwrap_or_else(|| sdg_engine::MetricsSnapshot::idle(e.rec.status)))
    }

    /// Every generator's id, name, status and metrics (for Prometheus).
    pub fn all_metrics(&self) -> Vec<(String, String, Status, Option<sdg_engine::MetricsSnapshot>)> {
        let mut map = self.map.lock();
        map.values_mut()
            .map(|e| {
                e.sync();
                let name = e.rec.definition.get("name").and_then(|n| n.as_str()).unwrap_or_default().to_string();
                (e.rec.id.clone(), name, e.rec.status, e.rec.metrics.clone())
            })
            .collect()
    }

    /// The compiled plan of a generator's definition (a universe member's
    /// compiled inside its universe).
    pub fn plan_of(&self, id: &str) -> Result<Arc<Plan>, ApiError> {
        let (definition, universe) = {
            let map = self.map.lock();
            let e = map.get(id).ok_or_else(|| not_found(id))?;
            (e.rec.definition.clone(), e.rec.universe.clone())
        };
        if let Some(uid) = universe {
            let name = definition.get("name").and_then(|n| n.as_str()).unwrap_or_default().to_string();
            let u = self.compile_universe(&uid)?;
            let m = u
                .member(&name)
                .ok_or_else(|| ApiError::internal(format!("universe `{uid}` has no member `{name}`")))?;
            m.standalone(&u).map_err(|e| ApiError::conflict(e, Status::Created.as_str()))?;
            return Ok(Arc::clone(&m.plan));
        }
        check_definition(&definition, &self.resources).map(|(_, plan)| Arc::new(plan))
    }

    /// Stores a new generator. A definition without a `seed` gets one here,
    /// once, so every run and every resume of it makes the same rows.
    pub fn create(&self, definition: serde_json::Value) -> Result<GeneratorResponse, ApiError> {
        let created = self.create_record(definition);
        self.settle_pools();
        created
    }

    fn create_record(&self, mut definition: serde_json::Value) -> Result<GeneratorResponse, ApiError> {
        check_definition(&definition, &self.resources)?;
        with_seed(&mut definition);
        let t = now();
        let rec = Record {
            id: uuid::Uuid::new_v4().to_string(),
            definition,
            status: Status::Created,
            status_reason: None,
            created_at: t.clone(),
            updated_at: t,
            next_row: 0,
            interrupted: false,
            metrics: None,
            universe: None,
            revisions: Vec::new(),
            shard: None,
        };
        let mut entry = Entry::new(rec);
        let pending = entry.changed();
        self.store.put(&versioned(&[pending]))?;
        let response = entry.response();
        self.map.lock().insert(response.id.clone(), entry);
        Ok(response)
    }

    /// Replaces the definition of a generator that is not running; it
    /// becomes CREATED (with a new seed when the definition names none).
    pub fn update(&self, id: &str, definition: serde_json::Value) -> Result<GeneratorResponse, ApiError> {
        let updated = self.update_record(id, definition);
        self.settle_pools();
        updated
    }

    fn update_record(&self, id: &str, mut definition: serde_json::Value) -> Result<GeneratorResponse, ApiError> {
        if let Some(e) = self.map.lock().get(id) {
            member_refuses(e, "replace")?;
        }
        check_definition(&definition, &self.resources)?;
        with_seed(&mut definition);
        let mut map = self.map.lock();
        let e = map.get_mut(id).ok_or_else(|| not_found(id))?;
        member_refuses(e, "replace")?;
        e.sync();
        if e.active() || e.starting {
            return Err(refused("update", e.rec.status, "generators that are not RUNNING or PAUSED (stop it first)"));
        }
        e.rec.definition = definition;
        e.rec.revisions.clear();
        e.rec.status = Status::Created;
        e.rec.status_reason = None;
        e.rec.updated_at = now();
        e.rec.next_row = 0;
        e.rec.interrupted = false;
        e.rec.metrics = None;
        e.run = None;
        let (pending, response) = (e.changed(), e.response());
        drop(map);
        self.store.put(&versioned(&[pending]))?;
        Ok(response)
    }

    /// Stops a running generator (blocking until its sink closed), then forgets it.
    pub fn delete(&self, id: &str) -> Result<(), ApiError> {
        let run = {
            let map = self.map.lock();
            let e = map.get(id).ok_or_else(|| not_found(id))?;
            member_refuses(e, "delete")?;
            e.run.clone()
        };
        if let Some(run) = run
            && run.request_stop().is_ok()
        {
            run.wait();
        }
        // From the store first: if that fails, the generator is still there, in memory too.
        self.store.delete(id)?;
        self.map.lock().remove(id);
        self.settle_pools();
        Ok(())
    }

    /// Starts a new run from row 0 (CREATED, COMPLETED, STOPPED, FAILED):
    /// of every row, or of shard `shard` (I, N) of them.
    pub fn start(&self, id: &str, shard: Option<(u64, u64)>) -> Result<GeneratorResponse, ApiError> {
        let definition = {
            let mut map = self.map.lock();
            let e = map.get_mut(id).ok_or_else(|| not_found(id))?;
            member_refuses(e, "start")?;
            e.sync();
            if e.active() {
                return Err(refused("start", e.rec.status, "CREATED, COMPLETED, STOPPED or FAILED generators"));
            }
            claim(e)?;
            e.rec.definition.clone()
        };
        self.launch(id, &definition, 0, shard, "start")
    }

    /// PAUSED → RUNNING; or, for a generator the server stopped mid-run, a
    /// new run from its checkpoint.
    pub fn resume(&self, id: &str) -> Result<GeneratorResponse, ApiError> {
        let (definition, from, shard) = {
            let mut map = self.map.lock();
            let e = map.get_mut(id).ok_or_else(|| not_found(id))?;
            e.sync();
            match (&e.run, e.rec.status) {
                (Some(run), Status::Paused) => {
                    run.resume().map_err(|t| refused("resume", t.current, "PAUSED generators"))?;
                    e.sync();
                    e.rec.status_reason = None;
                    let (pending, response) = (e.changed(), e.response());
                    drop(map);
                    self.store.put(&versioned(&[pending]))?;
                    return Ok(response);
                }
                (None, Status::Stopped) if e.rec.interrupted => {
                    member_refuses(e, "resume")?;
                    claim(e)?;
                    // The checkpoint counts the shard's own positions: resume the same shard.
                    let shard = match e.rec.shard.as_deref() {
                        None => None,
                        Some(s) => Some(sdg_engine::pipeline::shard::parse(s).map_err(|err| {
                            ApiError::internal(format!("the stored shard of this generator is unreadable ({err})"))
                        })?),
                    };
                    (e.rec.definition.clone(), e.rec.next_row, shard)
                }
                (_, s) => {
                    return Err(refused("resume", s, "PAUSED generators, and STOPPED ones the server interrupted"));
                }
            }
        };
        self.launch(id, &definition, from, shard, "resume")
    }

    /// Opens the destination and starts a run from row `from`; the caller
    /// claimed the entry (`claim`), and the claim is released here.
    fn launch(
        &self,
        id: &str,
        definition: &serde_json::Value,
        from: u64,
        shard: Option<(u64, u64)>,
        action: &str,
    ) -> Result<GeneratorResponse, ApiError> {
        let result = self.open_and_run(id, definition, from, shard, action);
        if let Some(e) = self.map.lock().get_mut(id) {
            e.starting = false;
        }
        result
    }

    fn open_and_run(
        &self,
        id: &str,
        definition: &serde_json::Value,
        from: u64,
        shard: Option<(u64, u64)>,
        action: &str,
    ) -> Result<GeneratorResponse, ApiError> {
        // A resume rebuilds the run as it was: its first definition, then
        // each retune from its row. A start begins one revision, from row 0.
        let revisions: Vec<crate::model::Revision> = match self.map.lock().get(id) {
            Some(e) if from > 0 => e.rec.revisions.clone(),
            _ => Vec::new(),
        };
        let base = revisions.first().map_or(definition, |r| &r.definition);
        let (mut spec, plan) = check_definition(base, &self.resources)?;
        let mut later = Vec::new();
        for r in revisions.iter().skip(1) {
            let (_, p) = check_definition(&r.definition, &self.resources)?;
            later.push((r.from_row, Arc::new(p)));
        }
        // A shard writes its own part of a file; its positions are its own.
        let shard = match shard {
            None => None,
            Some((i, n)) => {
                let s = sdg_engine::pipeline::shard::Shard::of(&plan, i, n).map_err(|e| {
                    ApiError::new(
                        axum::http::StatusCode::UNPROCESSABLE_ENTITY,
                        "SHARD_REFUSED",
                        format!("cannot {action}: {e}"),
                    )
                })?;
                destinations::for_shard(&mut spec.destination, (i, n));
                Some(s)
            }
        };
        let mut note = None;
        if from > 0 && spec.destination.kind == DestinationType::File {
            // The file of the interrupted run keeps its rows; the rest go beside it.
            if let Some(path) = spec.destination.config.get("path").and_then(|p| p.as_str()).filter(|p| *p != "-") {
                let continued = continued_path(path, from);
                note = Some(format!("rows from {from} on are written to {continued}"));
                spec.destination.config.insert("path".into(), continued.into());
            }
        }
        let plan = Arc::new(plan);
        let sink = destinations::open(&spec.destination, plan.schema());
        let mut map = self.map.lock();
        let e = map.get_mut(id).ok_or_else(|| not_found(id))?;
        if e.active() {
            return Err(refused(action, e.rec.status, "generators that are not running"));
        }
        let sink = match sink {
            Ok(s) => s,
            Err(err) => {
                e.rec.status = Status::Failed;
                e.rec.shard = shard.map(|s| s.label());
                e.rec.status_reason = Some(format!("opening the destination: {}", err.message));
                e.rec.updated_at = now();
                let pending = e.changed();
                drop(map);
                self.store.put(&versioned(&[pending]))?;
                // A destination that cannot be reached is the server side's
                // problem (502); one that refuses the generator — a column of
                // another type, a missing topic, a refused password — is the
                // definition's (422), and the message names what to change.
                let (status, code) = if err.retryable {
                    (axum::http::StatusCode::BAD_GATEWAY, "DESTINATION_ERROR")
                } else {
                    (axum::http::StatusCode::UNPROCESSABLE_ENTITY, "DESTINATION_REJECTED")
                };
                let mut api = ApiError::new(
                    status,
                    code,
                    format!("cannot {action}: opening the destination failed: {}", err.message),
                );
                api.body.current_status = Some(Status::Failed.as_str().into());
                return Err(api);
            }
        };
        let mut config = RunConfig { start_row: from, ..RunConfig::with_workers(self.workers) };
        if let Some(s) = shard {
            config = config.for_shard(s);
        }
        let run = Arc::new(Run::with_revisions(plan, later, config));
        run.start(sink).map_err(|t| refused(action, t.current, "generators that are not running"))?;
        e.run = Some(run);
        if from == 0 {
            e.rec.revisions =
                vec![crate::model::Revision { revision: 0, from_row: 0, at: now(), definition: definition.clone() }];
        }
        e.rec.interrupted = false;
        e.rec.shard = shard.map(|s| s.label());
        e.rec.status_reason = note;
        e.sync();
        e.rec.status = Status::Running;
        e.rec.updated_at = now();
        let (pending, response) = (e.changed(), e.response());
        drop(map);
        self.store.put(&versioned(&[pending]))?;
        Ok(response)
    }

    pub fn pause(&self, id: &str) -> Result<GeneratorResponse, ApiError> {
        let mut map = self.map.lock();
        let e = map.get_mut(id).ok_or_else(|| not_found(id))?;
        e.sync();
        let run = e.run.clone().filter(|_| e.rec.status == Status::Running);
        let Some(run) = run else { return Err(refused("pause", e.rec.status, "RUNNING generators")) };
        run.pause().map_err(|t| refused("pause", t.current, "RUNNING generators"))?;
        e.sync();
        let (pending, response) = (e.changed(), e.response());
        drop(map);
        self.store.put(&versioned(&[pending]))?;
        Ok(response)
    }

    /// Asks a RUNNING or PAUSED generator to stop; returns its run to wait on.
    pub fn request_stop(&self, id: &str) -> Result<Arc<Run>, ApiError> {
        let mut map = self.map.lock();
        let e = map.get_mut(id).ok_or_else(|| not_found(id))?;
        e.sync();
        let run = e.run.clone().filter(|_| matches!(e.rec.status, Status::Running | Status::Paused));
        let Some(run) = run else { return Err(refused("stop", e.rec.status, "RUNNING or PAUSED generators")) };
        run.request_stop().map_err(|t| refused("stop", t.current, "RUNNING or PAUSED generators"))?;
        Ok(run)
    }

    /// After a stop finished: records and stores the outcome.
    pub fn settle(&self, id: &str) -> Result<GeneratorResponse, ApiError> {
        let mut map = self.map.lock();
        let e = map.get_mut(id).ok_or_else(|| not_found(id))?;
        e.sync();
        let (pending, response) = (e.changed(), e.response());
        drop(map);
        self.store.put(&versioned(&[pending]))?;
        Ok(response)
    }

    /// Once a second: syncs every run and stores what changed since the last
    /// time (status or checkpoint).
    pub fn checkpoint(&self) -> Vec<Ended> {
        let mut ended = Vec::new();
        let dirty: Vec<Pending> = {
            let mut map = self.map.lock();
            map.values_mut()
                .filter_map(|e| {
                    let run = e.run.clone()?;
                    e.sync();
                    let told = e.announced.as_ref().is_some_and(|w| std::ptr::eq(w.as_ptr(), Arc::as_ptr(&run)));
                    if matches!(e.rec.status, Status::Completed | Status::Failed) && !told {
                        e.announced = Some(Arc::downgrade(&run));
                        let m = run.metrics();
                        ended.push(Ended {
                            id: e.rec.id.clone(),
                            name: e.rec.definition["name"].as_str().unwrap_or_default().to_string(),
                            status: e.rec.status,
                            rows_delivered: m.rows_delivered,
                            error: e.rec.status_reason.clone().or(m.last_error),
                        });
                    }
                    let now = (e.rec.status, e.rec.next_row);
                    (e.stored != Some(now)).then(|| {
                        e.stored = Some(now);
                        e.changed()
                    })
                })
                .collect()
        };
        if !dirty.is_empty()
            && let Err(e) = self.store.put(&versioned(&dirty))
        {
            tracing::error!(error = %e.body.detail, "storing generator checkpoints");
        }
        ended
    }

    /// Server shutdown: stops every run (sinks flushed and closed), stores
    /// them as interrupted, so `resume` continues after a restart.
    pub fn shutdown(&self) {
        // No member of a universe may start while the others stop.
        let universes: Vec<Arc<sdg_engine::universe::UniverseRun>> =
            self.universes.lock().values().filter_map(|u| u.run.clone()).collect();
        for u in &universes {
            u.stop();
        }
        let runs: Vec<(String, Arc<Run>)> = {
            let map = self.map.lock();
            map.iter().filter(|(_, e)| e.active()).filter_map(|(id, e)| Some((id.clone(), e.run.clone()?))).collect()
        };
        for (_, run) in &runs {
            let _ = run.request_stop();
        }
        for (_, run) in &runs {
            run.wait();
        }
        let pending: Vec<Pending> = {
            let mut map = self.map.lock();
            for (id, _) in &runs {
                if let Some(e) = map.get_mut(id) {
                    e.sync();
                    e.rec.interrupted = true;
                    e.rec.status_reason = Some(format!(
                        "stopped by a server shutdown; POST …/resume continues from row {}",
                        e.rec.next_row
                    ));
                    tracing::info!(%id, next_row = e.rec.next_row, "generator stopped for shutdown");
                }
            }
            map.values_mut().map(Entry::changed).collect()
        };
        if let Err(e) = self.store.put(&versioned(&pending)) {
            tracing::error!(error = %e.body.detail, "storing generators at shutdown");
        }
    }
}

/// Gives a definition without a `seed` one, drawn now: the definition is
/// stored with it, so every run and resume makes the same rows.
fn with_seed(definition: &mut serde_json::Value) {
    if let Some(obj) = definition.as_object_mut()
        && obj.get("seed").is_none_or(serde_json::Value::is_null)
    {
        obj.insert("seed".into(), sdg_engine::rng::random_seed().into());
    }
}

/// `out/orders.csv` → `out/orders.from-1200.csv`.
fn continued_path(path: &str, from: u64) -> String {
    let p = std::path::Path::new(path);
    let stem = p.file_stem().and_then(|s| s.to_str()).unwrap_or("out");
    let name = match p.extension().and_then(|e| e.to_str()) {
        Some(ext) => format!("{stem}.from-{from}.{ext}"),
        None => format!("{stem}.from-{from}"),
    };
    p.with_file_name(name).to_string_lossy().into_owned()
}

/// Reads a universe document (JSON or YAML): members must be inline (a
/// `{ file }` member is read by `sdg run`, relative to its file).
pub fn parse_universe(value: &serde_json::Value) -> Result<sdg_engine::universe::UniverseSpec, ApiError> {
    let no_files = |path: &str| -> Result<String, String> {
        Err(format!(
            "the server does not read member files ({path}): put the member's definition inline in the request (sdg run reads files)"
        ))
    };
    sdg_engine::universe::parse(value, &no_files).map_err(|i| ApiError::issues_of("universe", &i))
}

fn universe_not_found(id: &str) -> ApiError {
    ApiError::not_found(format!("there is no universe `{id}` (GET /api/v1/universes lists them)"))
}

/// The universe's status from its members'.
fn universe_status(members: &[Status]) -> Status {
    let any = |s: Status| members.contains(&s);
    if any(Status::Running) {
        Status::Running
    } else if any(Status::Paused) {
        Status::Paused
    } else if any(Status::Failed) {
        Status::Failed
    } else if !members.is_empty() && members.iter().all(|s| *s == Status::Completed) {
        Status::Completed
    } else if any(Status::Stopped) || any(Status::Completed) {
        Status::Stopped
    } else {
        Status::Created
    }
}

impl Generators {
    /// Checks a universe (every member compiled against its parents, every
    /// destination checked) and compiles it.
    pub fn check_universe(
        &self,
        spec: sdg_engine::universe::UniverseSpec,
    ) -> Result<sdg_engine::universe::Universe, ApiError> {
        sdg_engine::universe::Universe::compile(spec, &self.resources, &|g, r| destinations::check(g, r))
            .map_err(|i| ApiError::issues_of("universe", &i))
    }

    fn compile_universe(&self, uid: &str) -> Result<sdg_engine::universe::Universe, ApiError> {
        let definition = {
            let u = self.universes.lock();
            u.get(uid).ok_or_else(|| universe_not_found(uid))?.rec.definition.clone()
        };
        self.check_universe(parse_universe(&definition)?)
    }

    fn universe_response(&self, rec: &crate::model::UniverseRecord) -> crate::model::UniverseResponse {
        let spec = parse_universe(&rec.definition).ok();
        let parents_of = |name: &str| -> Vec<String> {
            let Some(g) = spec.as_ref().and_then(|s| s.generators.iter().find(|g| g.name == name)) else {
                return Vec::new();
            };
            let mut p: Vec<String> = Vec::new();
            for (_, parent) in sdg_engine::universe::references(g) {
                if !p.contains(&parent) {
                    p.push(parent);
                }
            }
            p
        };
        // Members not started yet, waiting for their parents: the universe is still running.
        let pending = self.universes.lock().get(&rec.id).and_then(|u| u.run.clone()).is_some_and(|r| r.pending());
        let mut map = self.map.lock();
        let members: Vec<crate::model::UniverseMember> = rec
            .members
            .iter()
            .map(|(name, gid)| {
                let (status, rows, reason) = match map.get_mut(gid) {
                    Some(e) => {
                        e.sync();
                        let rows = e.rec.metrics.as_ref().map_or(0, |m| m.rows_delivered);
                        (e.rec.status, rows, e.rec.status_reason.clone())
                    }
                    None => (Status::Failed, 0, Some("the member's generator record is missing".into())),
                };
                crate::model::UniverseMember {
                    name: name.clone(),
                    generator_id: gid.clone(),
                    status: status.as_str().to_string(),
                    parents: parents_of(name),
                    rows_delivered: rows,
                    status_reason: reason,
                }
            })
            .collect();
        let statuses: Vec<Status> =
            rec.members.iter().filter_map(|(_, gid)| map.get(gid).map(|e| e.rec.status)).collect();
        crate::model::UniverseResponse {
            id: rec.id.clone(),
            name: rec.name.clone(),
            status: if pending { Status::Running } else { universe_status(&statuses) }.as_str().to_string(),
            members,
            definition: rec.definition.clone(),
            created_at: rec.created_at.clone(),
            updated_at: rec.updated_at.clone(),
        }
    }

    pub fn list_universes(&self) -> Vec<crate::model::UniverseResponse> {
        let recs: Vec<crate::model::UniverseRecord> = self.universes.lock().values().map(|u| u.rec.clone()).collect();
        recs.iter().map(|r| self.universe_response(r)).collect()
    }

    pub fn get_universe(&self, uid: &str) -> Result<crate::model::UniverseResponse, ApiError> {
        let rec = self.universes.lock().get(uid).map(|u| u.rec.clone()).ok_or_else(|| universe_not_found(uid))?;
        Ok(self.universe_response(&rec))
    }

    /// Creates a universe and its members (each a generator, CREATED).
    pub fn create_universe(&self, definition: serde_json::Value) -> Result<crate::model::UniverseResponse, ApiError> {
        let mut spec = parse_universe(&definition)?;
        // Seeds fixed now, once: the members' records and the universe agree on every run.
        for g in &mut spec.generators {
            if g.seed.is_none() {
                g.seed = Some(sdg_engine::rng::random_seed());
            }
        }
        // The members written out as accepted (inline, seeds fixed).
        let members_json: Vec<serde_json::Value> = spec
            .generators
            .iter()
            .map(|g| serde_json::to_value(g).map_err(|e| ApiError::internal(e.to_string())))
            .collect::<Result<_, _>>()?;
        let mut stored = serde_json::json!({ "universe": spec.name, "generators": members_json });
        if let Some(d) = &spec.description {
            stored["description"] = d.clone().into();
        }
        if let Some(s) = spec.seed {
            stored["seed"] = s.into();
        }
        let name = spec.name.clone();
        if let Err(e) = self.check_universe(spec) {
            self.settle_pools();
            return Err(e);
        }
        let uid = uuid::Uuid::new_v4().to_string();
        let t = now();
        let mut members = Vec::new();
        let mut pending = Vec::new();
        let mut entries = Vec::new();
        for m in &members_json {
            let rec = Record {
                id: uuid::Uuid::new_v4().to_string(),
                definition: m.clone(),
                status: Status::Created,
                status_reason: None,
                created_at: t.clone(),
                updated_at: t.clone(),
                next_row: 0,
                interrupted: false,
                metrics: None,
                universe: Some(uid.clone()),
                revisions: Vec::new(),
                shard: None,
            };
            members.push((m.get("name").and_then(|n| n.as_str()).unwrap_or_default().to_string(), rec.id.clone()));
            let mut entry = Entry::new(rec);
            pending.push(entry.changed());
            entries.push(entry);
        }
        self.store.put(&versioned(&pending))?;
        let rec = crate::model::UniverseRecord {
            id: uid.clone(),
            name,
            definition: stored,
            members,
            created_at: t.clone(),
            updated_at: t,
        };
        self.store.put_doc(crate::store::UNIVERSES, &rec.id, &rec, 1)?;
        {
            let mut map = self.map.lock();
            for e in entries {
                map.insert(e.rec.id.clone(), e);
            }
        }
        self.universes.lock().insert(uid.clone(), UniverseEntry { rec: rec.clone(), run: None, starting: false });
        self.settle_pools();
        Ok(self.universe_response(&rec))
    }

    fn members_of(&self, uid: &str) -> Result<Vec<String>, ApiError> {
        let u = self.universes.lock();
        Ok(u.get(uid).ok_or_else(|| universe_not_found(uid))?.rec.members.iter().map(|(_, g)| g.clone()).collect())
    }

    /// Starts every member: parents first (BATCH children once their parents
    /// completed, REALTIME together, children bounded by what their parents delivered).
    pub fn start_universe(&self, uid: &str) -> Result<crate::model::UniverseResponse, ApiError> {
        {
            let mut u = self.universes.lock();
            let e = u.get_mut(uid).ok_or_else(|| universe_not_found(uid))?;
            if e.starting || e.run.as_ref().is_some_and(|r| r.pending()) {
                return Err(ApiError::conflict(
                    format!("universe `{uid}` is being started; try again in a moment"),
                    Status::Running.as_str(),
                ));
            }
            e.starting = true;
        }
        let started = self.start_universe_claimed(uid);
        if let Some(e) = self.universes.lock().get_mut(uid) {
            e.starting = false;
        }
        started
    }

    fn start_universe_claimed(&self, uid: &str) -> Result<crate::model::UniverseResponse, ApiError> {
        let ids = self.members_of(uid)?;
        {
            let mut map = self.map.lock();
            for id in &ids {
                if let Some(e) = map.get_mut(id) {
                    e.sync();
                    if e.active() || e.starting {
                        return Err(refused(
                            "start",
                            e.rec.status,
                            "universes none of whose members is RUNNING or PAUSED",
                        ));
                    }
                }
            }
        }
        let universe = self.compile_universe(uid)?;
        let names: Vec<String> = universe.members.iter().map(|m| m.spec.name.clone()).collect();
        let config = RunConfig::with_workers(self.workers);
        let open: Arc<sdg_engine::universe::OpenSink> = Arc::new(|m: &sdg_engine::universe::Member| {
            destinations::open(&m.spec.destination, m.plan.schema())
                .map_err(|e| format!("opening the destination: {}", e.message))
        });
        let run = Arc::new(sdg_engine::universe::UniverseRun::start(universe, &config, open));
        let member_ids: Vec<(String, String)> = {
            let u = self.universes.lock();
            u.get(uid).map(|e| e.rec.members.clone()).unwrap_or_default()
        };
        let mut pending = Vec::new();
        {
            let mut map = self.map.lock();
            for (name, member_run) in names.iter().zip(run.runs.iter().map(|(_, r)| r)) {
                let Some((_, gid)) = member_ids.iter().find(|(n, _)| n == name) else { continue };
                if let Some(e) = map.get_mut(gid) {
                    e.run = Some(Arc::clone(member_run));
                    e.rec.interrupted = false;
                    e.rec.status_reason = None;
                    e.rec.next_row = 0;
                    e.rec.metrics = None;
                    e.rec.status = Status::Created;
                    e.rec.updated_at = now();
                    e.sync();
                    pending.push(e.changed());
                }
            }
        }
        self.store.put(&versioned(&pending))?;
        match self.universes.lock().get_mut(uid) {
            Some(u) => {
                u.run = Some(run);
                u.rec.updated_at = now();
            }
            // Deleted meanwhile: nothing may keep running.
            None => {
                run.stop();
                return Err(universe_not_found(uid));
            }
        }
        self.get_universe(uid)
    }

    /// Pauses the RUNNING members, children first.
    pub fn pause_universe(&self, uid: &str) -> Result<crate::model::UniverseResponse, ApiError> {
        self.each_member(uid, true, Status::Running, "pause", |run| run.pause().is_ok())
    }

    /// Resumes the PAUSED members, parents first.
    pub fn resume_universe(&self, uid: &str) -> Result<crate::model::UniverseResponse, ApiError> {
        self.each_member(uid, false, Status::Paused, "resume", |run| run.resume().is_ok())
    }

    fn each_member(
        &self,
        uid: &str,
        children_first: bool,
        from: Status,
        action: &str,
        f: impl Fn(&Run) -> bool,
    ) -> Result<crate::model::UniverseResponse, ApiError> {
        let mut ids = self.members_of(uid)?;
        // Members are stored parents first.
        let order = self.universes.lock().get(uid).and_then(|u| u.run.as_ref().map(|r| r.runs.clone()));
        if let Some(order) = order {
            let rec = self.universes.lock().get(uid).map(|u| u.rec.members.clone()).unwrap_or_default();
            ids = order
                .iter()
                .filter_map(|(name, _)| rec.iter().find(|(n, _)| n == name).map(|(_, g)| g.clone()))
                .collect();
        }
        if children_first {
            ids.reverse();
        }
        let mut done = 0;
        let mut pending = Vec::new();
        {
            let mut map = self.map.lock();
            for id in &ids {
                if let Some(e) = map.get_mut(id) {
                    e.sync();
                    if e.rec.status == from
                        && let Some(run) = &e.run
                        && f(run)
                    {
                        done += 1;
                        e.sync();
                        pending.push(e.changed());
                    }
                }
            }
        }
        if done == 0 {
            let status = self.get_universe(uid)?.status;
            return Err(ApiError::conflict(
                format!("cannot {action} universe `{uid}`: none of its members is {}", from.as_str()),
                &status,
            ));
        }
        self.store.put(&versioned(&pending))?;
        self.get_universe(uid)
    }

    /// Stops every member, children first; answers once every sink closed.
    pub fn stop_universe(&self, uid: &str) -> Result<crate::model::UniverseResponse, ApiError> {
        let run = self.universes.lock().get(uid).ok_or_else(|| universe_not_found(uid))?.run.clone();
        let status = self.get_universe(uid)?.status;
        let Some(run) = run.filter(|_| status == Status::Running.as_str() || status == Status::Paused.as_str()) else {
            return Err(ApiError::conflict(
                format!("cannot stop universe `{uid}`: it is {status}; stop applies to RUNNING or PAUSED universes"),
                &status,
            ));
        };
        run.stop();
        run.wait();
        let mut pending = Vec::new();
        {
            let mut map = self.map.lock();
            for id in self.members_of(uid)? {
                if let Some(e) = map.get_mut(&id) {
                    e.sync();
                    pending.push(e.changed());
                }
            }
        }
        self.store.put(&versioned(&pending))?;
        self.get_universe(uid)
    }

    /// Stops a running universe, then deletes it and its members.
    pub fn delete_universe(&self, uid: &str) -> Result<(), ApiError> {
        let run = self.universes.lock().get(uid).ok_or_else(|| universe_not_found(uid))?.run.clone();
        if let Some(run) = run {
            run.stop();
            run.wait();
        }
        let ids = self.members_of(uid)?;
        for id in &ids {
            self.store.delete(id)?;
        }
        self.store.delete_docs(crate::store::UNIVERSES, &[uid])?;
        {
            let mut map = self.map.lock();
            for id in &ids {
                map.remove(id);
            }
        }
        self.universes.lock().remove(uid);
        self.settle_pools();
        Ok(())
    }
}

/// RFC 7396 JSON Merge Patch: objects merge key by key, `null` removes a
/// key, anything else (arrays included) replaces.
pub fn merge_patch(target: &mut serde_json::Value, patch: &serde_json::Value) {
    use serde_json::Value;
    let Value::Object(p) = patch else {
        *target = patch.clone();
        return;
    };
    if !target.is_object() {
        *target = Value::Object(Default::default());
    }
    if let Value::Object(t) = target {
        for (k, v) in p {
            if v.is_null() {
                t.remove(k);
            } else {
                merge_patch(t.entry(k.clone()).or_insert(Value::Null), v);
            }
        }
    }
}

/// What a retune may change: `rate`, and per field its `params`,
/// `null_ratio` and `blank_ratio`. The first other key that differs, by path.
pub(crate) fn fixed_part_differs(old: &serde_json::Value, new: &serde_json::Value) -> Option<String> {
    use serde_json::Value;
    let strip = |v: &Value| -> Value {
        let mut v = v.clone();
        if let Some(o) = v.as_object_mut() {
            o.remove("rate");
            if let Some(Value::Array(fields)) = o.get_mut("fields") {
                for f in fields.iter_mut().filter_map(Value::as_object_mut) {
                    for k in ["params", "null_ratio", "blank_ratio", "when"] {
                        f.remove(k);
                    }
                }
            }
        }
        v
    };
    first_difference(&strip(old), &strip(new), "")
}

fn first_difference(a: &serde_json::Value, b: &serde_json::Value, path: &str) -> Option<String> {
    use serde_json::Value;
    let here = |k: &str| if path.is_empty() { k.to_string() } else { format!("{path}.{k}") };
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            let mut keys: Vec<&String> = x.keys().chain(y.keys()).collect();
            keys.sort();
            keys.dedup();
            keys.into_iter().find_map(|k| match (x.get(k), y.get(k)) {
                (Some(p), Some(q)) => first_difference(p, q, &here(k)),
                (None, Some(Value::Null)) | (Some(Value::Null), None) => None,
                _ => Some(here(k)),
            })
        }
        (Value::Array(x), Value::Array(y)) if x.len() == y.len() => {
            x.iter().zip(y).enumerate().find_map(|(i, (p, q))| first_difference(p, q, &format!("{path}[{i}]")))
        }
        _ if a == b => None,
        _ => Some(if path.is_empty() { "the definition".into() } else { path.to_string() }),
    }
}

/// What `PATCH /generators/{id}` answers.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct PatchResponse {
    #[serde(flatten)]
    pub generator: GeneratorResponse,
    /// The first row built with the new definition (a running or paused
    /// generator); none when it was not running (the definition is simply replaced).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub applied_from_row: Option<u64>,
    /// The revision it became (GET /generators/{id}/revisions).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revision: Option<usize>,
}

impl Generators {
    /// Applies a JSON Merge Patch to a generator's definition. A RUNNING or
    /// PAUSED generator is retuned between batches — rate, field parameters,
    /// null and blank ratios; anything else, or a change of output type, is a
    /// conflict that says to stop and PUT. Another generator's definition is
    /// replaced, as a PUT would.
    pub fn patch(&self, id: &str, patch: &serde_json::Value) -> Result<PatchResponse, ApiError> {
        if !patch.is_object() {
            return Err(ApiError::validation(
                "the body must be a JSON object: a merge patch of the definition (RFC 7396), e.g. {\"rate\": 5000}",
            ));
        }
        let _serial = self.patching.lock();
        let (old, run) = {
            let mut map = self.map.lock();
            let e = map.get_mut(id).ok_or_else(|| not_found(id))?;
            member_refuses(e, "retune")?;
            e.sync();
            (e.rec.definition.clone(), e.run.clone().filter(|_| e.active()))
        };
        let mut new = old.clone();
        merge_patch(&mut new, patch);
        let Some(run) = run else {
            let generator = self.update(id, new)?;
            return Ok(PatchResponse { generator, applied_from_row: None, revision: None });
        };
        if let Some(path) = fixed_part_differs(&old, &new) {
            return Err(running_conflict(&path, run.status()));
        }
        let (_, plan) = check_definition(&new, &self.resources)?;
        let from = run.retune(Arc::new(plan)).map_err(|e| {
            ApiError::conflict(
                format!("{e}; a running generator keeps its schema: stop it, then PUT the new definition"),
                run.status().as_str(),
            )
        })?;
        let mut map = self.map.lock();
        let e = map.get_mut(id).ok_or_else(|| not_found(id))?;
        if e.rec.revisions.is_empty() {
            e.rec.revisions.push(crate::model::Revision { revision: 0, from_row: 0, at: now(), definition: old });
        }
        // Revisions at or after `from` (of the run a resume rebuilt) are replaced.
        let keep = e.rec.revisions.iter().position(|r| r.revision > 0 && r.from_row >= from);
        if let Some(k) = keep {
            e.rec.revisions.truncate(k);
        }
        let revision = e.rec.revisions.len();
        e.rec.revisions.push(crate::model::Revision { revision, from_row: from, at: now(), definition: new.clone() });
        e.rec.definition = new;
        e.rec.updated_at = now();
        e.sync();
        let (pending, generator) = (e.changed(), e.response());
        drop(map);
        self.store.put(&versioned(&[pending]))?;
        Ok(PatchResponse { generator, applied_from_row: Some(from), revision: Some(revision) })
    }

    /// The definitions of the current (or last) run, each with the row it applied from.
    pub fn revisions(&self, id: &str) -> Result<Vec<crate::model::Revision>, ApiError> {
        let map = self.map.lock();
        let e = map.get(id).ok_or_else(|| not_found(id))?;
        Ok(if e.rec.revisions.is_empty() {
            vec![crate::model::Revision {
                revision: 0,
                from_row: 0,
                at: e.rec.updated_at.clone(),
                definition: e.rec.definition.clone(),
            }]
        } else {
            e.rec.revisions.clone()
        })
    }
}

pub(crate) fn running_conflict(path: &str, status: Status) -> ApiError {
    ApiError::conflict(
        format!(
            "`{path}` cannot change while the generator runs: a retune changes `rate` and, per field, `params`, `null_ratio` and `blank_ratio` (keeping each field's output type); stop it, then PUT the new definition"
        ),
        status.as_str(),
    )
}

#[cfg(test)]
mod tests {
    use super::{Generators, Status};
    use crate::store::Store;
    use serde_json::json;
    use std::sync::Arc;
    use std::time::Duration;

    #[test]
    fn continued_paths_keep_the_extension() {
        assert_eq!(super::continued_path("out/orders.csv", 1200), "out/orders.from-1200.csv");
        assert_eq!(super::continued_path("data", 5), "data.from-5");
    }

    fn definition(name: &str) -> serde_json::Value {
        json!({
            "name": name,
            "destination": { "type": "BLACKHOLE" },
            "fields": [{ "name": "id", "type": "UUID_GENERATED" }]
        })
    }

    fn generators(dir: &std::path::Path) -> Arc<Generators> {
        Arc::new(
            Generators::open(Arc::new(Store::open(dir).expect("store")), 1, sdg_engine::Resources::new())
                .expect("generators"),
        )
    }

    /// Runs `f` on another thread; None when it has not returned within 10 s
    /// (it is blocked: the point of the test, not a speed limit).
    fn within<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> Option<T> {
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let _ = tx.send(f());
        });
        rx.recv_timeout(Duration::from_secs(10)).ok()
    }

    #[test]
    fn a_write_waiting_for_the_disk_does_not_hold_up_other_requests() {
        let dir = tempfile::tempdir().expect("tmp");
        let g = generators(dir.path());
        let a = g.create(definition("a")).expect("a").id;
        let b = g.create(definition("b")).expect("b").id;
        // A commit that takes long: the store's writers wait.
        let held = g.store.hold_writes();
        let writer = {
            let (g, a) = (Arc::clone(&g), a.clone());
            std::thread::spawn(move || g.update(&a, definition("a2")).map(|r| r.name))
        };
        std::thread::sleep(Duration::from_millis(200)); // the update is now waiting for the store
        let reads = within({
            let (g, b) = (Arc::clone(&g), b.clone());
            move || (g.get(&b).map(|r| r.name).ok(), g.list().len(), g.metrics(&b).map(|m| m.status).ok())
        });
        assert_eq!(
            reads,
            Some((Some("b".to_string()), 2, Some(Status::Created))),
            "reads waited for another generator's store write"
        );
        drop(held);
        assert_eq!(writer.join().expect("update thread").expect("updated"), "a2");
        // And the newer version is what is stored.
        drop(g);
        let again = generators(dir.path());
        assert_eq!(again.get(&a).expect("a").name, "a2");
    }

    #[test]
    fn a_definition_without_a_seed_gets_one_once_and_keeps_it() {
        let dir = tempfile::tempdir().expect("tmp");
        let g = generators(dir.path());
        let created = g.create(definition("s")).expect("created");
        let seed = created.definition["seed"].as_u64().expect("a seed was drawn");
        assert!(seed < 1 << 53, "exact in JSON numbers of any client");
        assert_eq!(g.get(&created.id).expect("get").definition["seed"].as_u64(), Some(seed));
        assert_eq!(g.plan_of(&created.id).expect("plan").seed(), seed, "every compile uses the stored seed");
        drop(g);
        let g = generators(dir.path());
        assert_eq!(g.plan_of(&created.id).expect("plan").seed(), seed, "and so does a restarted server");
        // A seed given is kept as it is.
        let mut given = definition("t");
        given["seed"] = json!(7);
        assert_eq!(g.create(given).expect("created").definition["seed"], json!(7));
    }
}
