//! The generators: records, their runs, and every lifecycle transition.
//! Records live in memory and in the store; a run's status and metrics are
//! read from the engine when asked, and written to the store on every
//! transition and once a second while it runs (the resume checkpoint).

use crate::destinations;
use crate::error::ApiError;
use crate::model::{GeneratorResponse, Record, now};
use crate::store::Store;
use parking_lot::Mutex;
use sdg_engine::spec::{DestinationType, spec_from_value};
use sdg_engine::{GeneratorSpec, Plan, Run, RunConfig, Status};
use std::collections::BTreeMap;
use std::sync::Arc;

struct Entry {
    rec: Record,
    run: Option<Arc<Run>>,
    /// The first row of the current run.
    run_start: u64,
    /// Status and checkpoint last written by `checkpoint`.
    stored: Option<(Status, u64)>,
    /// A start or resume is opening the destination (outside the lock).
    starting: bool,
}

impl Entry {
    /// Reads the run's status and metrics into the record; true if the status changed.
    fn sync(&mut self) -> bool {
        let Some(run) = &self.run else { return false };
        let m = run.metrics();
        let status = m.status;
        self.rec.next_row = self.run_start + m.rows_delivered + m.rows_failed;
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
        }
    }

    fn active(&self) -> bool {
        self.run.as_ref().is_some_and(|r| !r.status().is_terminal())
    }
}

/// Every generator of this server.
pub struct Generators {
    map: Mutex<BTreeMap<String, Entry>>,
    store: Store,
    /// Worker threads per run.
    workers: usize,
}

impl std::fmt::Debug for Generators {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Generators").field("count", &self.map.lock().len()).finish()
    }
}

/// Parses and checks a definition: structure, mappings, destination.
pub fn check_definition(value: &serde_json::Value) -> Result<(GeneratorSpec, Plan), ApiError> {
    let spec = spec_from_value(value).map_err(|i| ApiError::issues(&i))?;
    let plan = destinations::check(&spec).map_err(|i| ApiError::issues(&i))?;
    Ok((spec, plan))
}

fn not_found(id: &str) -> ApiError {
    ApiError::not_found(format!("there is no generator `{id}` (GET /api/v1/generators lists them)"))
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
    pub fn open(store: Store, workers: usize) -> anyhow::Result<Self> {
        let mut map = BTreeMap::new();
        let mut changed = Vec::new();
        for mut rec in store.load()? {
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
            map.insert(rec.id.clone(), Entry { rec, run: None, run_start: 0, stored: None, starting: false });
        }
        let this = Self { map: Mutex::new(map), store, workers };
        {
            let map = this.map.lock();
            let recs: Vec<&Record> = changed.iter().filter_map(|id| map.get(id)).map(|e| &e.rec).collect();
            this.store.put(&recs).map_err(|e| anyhow::anyhow!(e.body.detail))?;
        }
        Ok(this)
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

    /// The compiled plan of a generator's definition.
    pub fn plan_of(&self, id: &str) -> Result<Plan, ApiError> {
        let definition = {
            let map = self.map.lock();
            map.get(id).ok_or_else(|| not_found(id))?.rec.definition.clone()
        };
        check_definition(&definition).map(|(_, plan)| plan)
    }

    pub fn create(&self, definition: serde_json::Value) -> Result<GeneratorResponse, ApiError> {
        check_definition(&definition)?;
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
        };
        self.store.put(&[&rec])?;
        let entry = Entry { rec, run: None, run_start: 0, stored: None, starting: false };
        let response = entry.response();
        self.map.lock().insert(response.id.clone(), entry);
        Ok(response)
    }

    /// Replaces the definition of a generator that is not running; it becomes CREATED.
    pub fn update(&self, id: &str, definition: serde_json::Value) -> Result<GeneratorResponse, ApiError> {
        check_definition(&definition)?;
        let mut map = self.map.lock();
        let e = map.get_mut(id).ok_or_else(|| not_found(id))?;
        e.sync();
        if e.active() || e.starting {
            return Err(refused("update", e.rec.status, "generators that are not RUNNING or PAUSED (stop it first)"));
        }
        e.rec.definition = definition;
        e.rec.status = Status::Created;
        e.rec.status_reason = None;
        e.rec.updated_at = now();
        e.rec.next_row = 0;
        e.rec.interrupted = false;
        e.rec.metrics = None;
        e.run = None;
        self.store.put(&[&e.rec])?;
        Ok(e.response())
    }

    /// Stops a running generator (blocking until its sink closed), then forgets it.
    pub fn delete(&self, id: &str) -> Result<(), ApiError> {
        let run = {
            let map = self.map.lock();
            let e = map.get(id).ok_or_else(|| not_found(id))?;
            e.run.clone()
        };
        if let Some(run) = run
            && run.request_stop().is_ok()
        {
            run.wait();
        }
        self.map.lock().remove(id);
        self.store.delete(id)
    }

    /// Starts a new run from row 0 (CREATED, COMPLETED, STOPPED, FAILED).
    pub fn start(&self, id: &str) -> Result<GeneratorResponse, ApiError> {
        let definition = {
            let mut map = self.map.lock();
            let e = map.get_mut(id).ok_or_else(|| not_found(id))?;
            e.sync();
            if e.active() {
                return Err(refused("start", e.rec.status, "CREATED, COMPLETED, STOPPED or FAILED generators"));
            }
            claim(e)?;
            e.rec.definition.clone()
        };
        self.launch(id, &definition, 0, "start")
    }

    /// PAUSED → RUNNING; or, for a generator the server stopped mid-run, a
    /// new run from its checkpoint.
    pub fn resume(&self, id: &str) -> Result<GeneratorResponse, ApiError> {
        let (definition, from) = {
            let mut map = self.map.lock();
            let e = map.get_mut(id).ok_or_else(|| not_found(id))?;
            e.sync();
            match (&e.run, e.rec.status) {
                (Some(run), Status::Paused) => {
                    run.resume().map_err(|t| refused("resume", t.current, "PAUSED generators"))?;
                    e.sync();
                    e.rec.status_reason = None;
                    self.store.put(&[&e.rec])?;
                    return Ok(e.response());
                }
                (None, Status::Stopped) if e.rec.interrupted => {
                    claim(e)?;
                    (e.rec.definition.clone(), e.rec.next_row)
                }
                (_, s) => {
                    return Err(refused("resume", s, "PAUSED generators, and STOPPED ones the server interrupted"));
                }
            }
        };
        self.launch(id, &definition, from, "resume")
    }

    /// Opens the destination and starts a run from row `from`; the caller
    /// claimed the entry (`claim`), and the claim is released here.
    fn launch(
        &self,
        id: &str,
        definition: &serde_json::Value,
        from: u64,
        action: &str,
    ) -> Result<GeneratorResponse, ApiError> {
        let result = self.open_and_run(id, definition, from, action);
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
        action: &str,
    ) -> Result<GeneratorResponse, ApiError> {
        let (mut spec, plan) = check_definition(definition)?;
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
                e.rec.status_reason = Some(format!("opening the destination: {}", err.message));
                e.rec.updated_at = now();
                self.store.put(&[&e.rec])?;
                let mut api = ApiError::new(
                    axum::http::StatusCode::BAD_GATEWAY,
                    "DESTINATION_ERROR",
                    format!("cannot {action}: opening the destination failed: {}", err.message),
                );
                api.body.current_status = Some(Status::Failed.as_str().into());
                return Err(api);
            }
        };
        let config = RunConfig { workers: self.workers, queue_batches: (2 * self.workers).max(4), start_row: from };
        let run = Arc::new(Run::new(plan, config));
        run.start(sink).map_err(|t| refused(action, t.current, "generators that are not running"))?;
        e.run = Some(run);
        e.run_start = from;
        e.rec.interrupted = false;
        e.rec.status_reason = note;
        e.sync();
        e.rec.status = Status::Running;
        e.rec.updated_at = now();
        self.store.put(&[&e.rec])?;
        Ok(e.response())
    }

    pub fn pause(&self, id: &str) -> Result<GeneratorResponse, ApiError> {
        let mut map = self.map.lock();
        let e = map.get_mut(id).ok_or_else(|| not_found(id))?;
        e.sync();
        let run = e.run.clone().filter(|_| e.rec.status == Status::Running);
        let Some(run) = run else { return Err(refused("pause", e.rec.status, "RUNNING generators")) };
        run.pause().map_err(|t| refused("pause", t.current, "RUNNING generators"))?;
        e.sync();
        self.store.put(&[&e.rec])?;
        Ok(e.response())
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
        self.store.put(&[&e.rec])?;
        Ok(e.response())
    }

    /// Once a second: syncs every run and stores what changed since the last
    /// time (status or checkpoint). The store is written after the lock is
    /// released, so requests never wait for the disk.
    pub fn checkpoint(&self) {
        let dirty: Vec<Record> = {
            let mut map = self.map.lock();
            map.values_mut()
                .filter_map(|e| {
                    e.run.as_ref()?;
                    e.sync();
                    let now = (e.rec.status, e.rec.next_row);
                    (e.stored != Some(now)).then(|| {
                        e.stored = Some(now);
                        e.rec.clone()
                    })
                })
                .collect()
        };
        if dirty.is_empty() {
            return;
        }
        if let Err(e) = self.store.put(&dirty.iter().collect::<Vec<_>>()) {
            tracing::error!(error = %e.body.detail, "storing generator checkpoints");
        }
    }

    /// Server shutdown: stops every run (sinks flushed and closed), stores
    /// them as interrupted, so `resume` continues after a restart.
    pub fn shutdown(&self) {
        let runs: Vec<(String, Arc<Run>)> = {
            let map = self.map.lock();
            map.iter().filter(|(_, e)| e.active()).filter_map(|(id, e)| Some((id.clone(), e.run.clone()?))).collect()
        };
        for (_, run) in &runs {
            let _ = run.request_stop();
        }
        let mut map = self.map.lock();
        for (id, run) in runs {
            run.wait();
            if let Some(e) = map.get_mut(&id) {
                e.sync();
                e.rec.interrupted = true;
                e.rec.status_reason =
                    Some(format!("stopped by a server shutdown; POST …/resume continues from row {}", e.rec.next_row));
                tracing::info!(%id, next_row = e.rec.next_row, "generator stopped for shutdown");
            }
        }
        let recs: Vec<&Record> = map.values().map(|e| &e.rec).collect();
        if let Err(e) = self.store.put(&recs) {
            tracing::error!(error = %e.body.detail, "storing generators at shutdown");
        }
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

#[cfg(test)]
mod tests {
    #[test]
    fn continued_paths_keep_the_extension() {
        assert_eq!(super::continued_path("out/orders.csv", 1200), "out/orders.from-1200.csv");
        assert_eq!(super::continued_path("data", 5), "data.from-5");
    }
}
