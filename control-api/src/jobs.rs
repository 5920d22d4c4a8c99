//! Jobs: work the server does in the background for a request that answers
//! at once (training a model, generating a file of rows). A general
//! mechanism: a job has a type, a status (`pending` → `running` →
//! `completed` | `failed` | `cancelled`), a progress, a stage, an error and
//! an output file to download; it can be cancelled and deleted. Later
//! product routes submit their own work the same way.
//!
//! Work runs on a few threads of its own (`job_workers`), in the order it
//! was submitted; a job waiting for one is `pending`. Records persist in the
//! store at every change of status (not of progress); outputs are files in
//! `DATA_DIR/jobs`. A job that was pending or running when the server
//! stopped comes back `failed`, saying so (submit it again).

use crate::error::ApiError;
use crate::model::now;
use crate::store::{JOBS, Store};
use parking_lot::Mutex;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use utoipa::ToSchema;

/// Where a job is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum JobStatus {
    /// Waiting for a worker.
    Pending,
    /// Being worked on (seed 000 says `in_progress`: accepted as a filter).
    #[serde(alias = "in_progress")]
    Running,
    /// Done; its output, if it has one, can be downloaded.
    Completed,
    /// It could not be done: `error` says why.
    Failed,
    /// Cancelled before it was done.
    Cancelled,
}

impl JobStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            JobStatus::Pending => "pending",
            JobStatus::Running => "running",
            JobStatus::Completed => "completed",
            JobStatus::Failed => "failed",
            JobStatus::Cancelled => "cancelled",
        }
    }

    pub fn is_terminal(self) -> bool {
        matches!(self, JobStatus::Completed | JobStatus::Failed | JobStatus::Cancelled)
    }
}

/// A job's output file: `DATA_DIR/jobs/{job id}.{format}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct JobOutput {
    /// csv, jsonl, parquet, arrow, or json (a model file).
    pub format: String,
    /// Its media type, as the download sends it.
    pub content_type: String,
    /// Bytes of the file.
    pub bytes: u64,
    /// Rows it holds (generated data).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rows: Option<u64>,
}

/// A job as stored and answered.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct JobRecord {
    /// The job's id (a UUID).
    pub id: String,
    /// `train` or `generate`.
    pub job_type: String,
    /// pending, running, completed, failed or cancelled.
    pub status: JobStatus,
    /// The model it trains or samples.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model_type: Option<String>,
    /// What it was asked to do (defaults filled in, so it can be run again alike).
    #[schema(value_type = Object)]
    pub config: serde_json::Value,
    /// 0 to 1.
    pub progress: f64,
    /// What it is doing now (`loading`, `fitting`, `evaluating`, `writing` …).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stage: Option<String>,
    /// Why it failed or was cancelled.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// Its output, once completed (`GET /jobs/{id}/download`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output: Option<JobOutput>,
    /// The output's id, as seed 002 names it (the job's id when it has an output).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output_artifact_id: Option<String>,
    /// RFC 3339, UTC.
    pub created_at: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub started_at: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub finished_at: Option<String>,
    /// Progress in detail (a corpus: per schema, `percent_complete`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub detail: Option<serde_json::Value>,
    /// What the caller should know (a table added for its foreign keys).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
}

impl JobRecord {
    /// A new pending job.
    pub fn new(job_type: &str, config: serde_json::Value) -> Self {
        Self {
            id: uuid::Uuid::new_v4().to_string(),
            job_type: job_type.to_string(),
            status: JobStatus::Pending,
            model_id: None,
            model_name: None,
            model_type: None,
            config,
            progress: 0.0,
            stage: None,
            error: None,
            output: None,
            output_artifact_id: None,
            created_at: now(),
            started_at: None,
            finished_at: None,
            detail: None,
            warnings: Vec::new(),
        }
    }
}

/// What a job's work sees: its id, where to write, whether it was
/// cancelled, and a way to say how far it is.
pub struct JobCtx {
    pub id: String,
    /// The directory outputs go to.
    pub dir: PathBuf,
    cancel: Arc<AtomicBool>,
    jobs: std::sync::Weak<Jobs>,
}

impl JobCtx {
    /// True once the job was cancelled (or the server is stopping): the work
    /// should return soon, with any error.
    pub fn cancelled(&self) -> bool {
        self.cancel.load(Ordering::SeqCst)
    }

    /// Sets the progress (0 to 1) and the stage shown by `GET /jobs/{id}`.
    pub fn progress(&self, progress: f64, stage: &str) {
        if let Some(jobs) = self.jobs.upgrade()
            && let Some(e) = jobs.map.lock().get_mut(&self.id)
        {
            e.rec.progress = progress.clamp(0.0, 1.0);
            e.rec.stage = Some(stage.to_string());
        }
    }

    /// Sets the detailed progress (`detail` of the job).
    pub fn detail(&self, detail: serde_json::Value) {
        if let Some(jobs) = self.jobs.upgrade()
            && let Some(e) = jobs.map.lock().get_mut(&self.id)
        {
            e.rec.detail = Some(detail);
        }
    }

    /// A directory of this job's own (several outputs: a corpus's tables), made if missing.
    pub fn own_dir(&self) -> Result<PathBuf, String> {
        let d = self.dir.join(&self.id);
        std::fs::create_dir_all(&d).map_err(|e| format!("creating {}: {e}", d.display()))?;
        Ok(d)
    }

    /// The path of this job's output in `format`.
    pub fn output_path(&self, format: &str) -> PathBuf {
        output_path(&self.dir, &self.id, format)
    }
}

/// The work of a job: its output, or why it could not be made.
pub type Work = Box<dyn FnOnce(&JobCtx) -> Result<Option<JobOutput>, String> + Send>;

/// Called with the finished record (a model's training marks the model).
pub type OnDone = Box<dyn FnOnce(&JobRecord) + Send>;

struct JobEntry {
    rec: JobRecord,
    version: u64,
    cancel: Arc<AtomicBool>,
}

impl JobEntry {
    fn changed(&mut self) -> (JobRecord, u64) {
        self.version += 1;
        (self.rec.clone(), self.version)
    }
}

struct Queued {
    id: String,
    work: Work,
    done: Option<OnDone>,
}

/// The jobs of this server.
pub struct Jobs {
    map: Mutex<BTreeMap<String, JobEntry>>,
    store: Arc<Store>,
    dir: PathBuf,
    queue: Mutex<Option<std::sync::mpsc::Sender<Queued>>>,
    workers: Mutex<Vec<std::thread::JoinHandle<()>>>,
    /// Set by `shutdown`: cancelled work is then reported as interrupted.
    stopping: AtomicBool,
    /// Told of every job that finishes (webhooks).
    listener: Mutex<Option<Listener>>,
}

/// Called with every job that finishes, whatever its type.
pub type Listener = Box<dyn Fn(&JobRecord) + Send + Sync>;

impl std::fmt::Debug for Jobs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Jobs").field("count", &self.map.lock().len()).finish()
    }
}

/// The message of a job the server stopped.
const INTERRUPTED: &str = "the server stopped while this job was not finished; submit it again";

impl Jobs {
    /// Loads the stored jobs (an unfinished one becomes `failed`, saying the
    /// server stopped) and starts `workers` threads.
    pub fn open(store: Arc<Store>, data_dir: &Path, workers: usize) -> anyhow::Result<Arc<Self>> {
        let dir = data_dir.join("jobs");
        std::fs::create_dir_all(&dir).map_err(|e| anyhow::anyhow!("creating {}: {e}", dir.display()))?;
        let mut map = BTreeMap::new();
        for mut rec in store.load_docs::<JobRecord>(JOBS)? {
            let mut version = 1;
            if !rec.status.is_terminal() {
                rec.status = JobStatus::Failed;
                rec.error = Some(INTERRUPTED.into());
                rec.finished_at = Some(now());
                version = 2;
                store.put_doc(JOBS, &rec.id, &rec, version).map_err(|e| anyhow::anyhow!(e.body.detail))?;
            }
            map.insert(rec.id.clone(), JobEntry { rec, version, cancel: Arc::default() });
        }
        let (tx, rx) = std::sync::mpsc::channel::<Queued>();
        let jobs = Arc::new(Self {
            map: Mutex::new(map),
            store,
            dir,
            queue: Mutex::new(Some(tx)),
            workers: Mutex::new(Vec::new()),
            stopping: AtomicBool::new(false),
            listener: Mutex::new(None),
        });
        let rx = Arc::new(std::sync::Mutex::new(rx));
        for n in 0..workers.max(1) {
            let (rx, weak) = (Arc::clone(&rx), Arc::downgrade(&jobs));
            let handle = std::thread::Builder::new()
                .name(format!("sdg-job-{n}"))
                .spawn(move || {
                    loop {
                        let next = rx.lock().map_err(|_| ()).and_then(|r| r.recv().map_err(|_| ()));
                        let Ok(q) = next else { return };
                        let Some(jobs) = weak.upgrade() else { return };
                        jobs.execute(q);
                    }
                })
                .map_err(|e| anyhow::anyhow!("starting a job worker: {e}"))?;
            jobs.workers.lock().push(handle);
        }
        Ok(jobs)
    }

    /// Stores `rec` (pending) and queues its work; `done` is called with the
    /// finished record, whatever the outcome.
    pub fn submit(&self, rec: JobRecord, work: Work, done: Option<OnDone>) -> Result<JobRecord, ApiError> {
        let id = rec.id.clone();
        let cancel = Arc::new(AtomicBool::new(false));
        let pending = {
            let mut map = self.map.lock();
            let e = map.entry(id.clone()).or_insert(JobEntry { rec, version: 0, cancel });
            e.changed()
        };
        self.store.put_doc(JOBS, &id, &pending.0, pending.1)?;
        let queue = self.queue.lock();
        let sent = queue.as_ref().is_some_and(|q| q.send(Queued { id: id.clone(), work, done }).is_ok());
        drop(queue);
        if !sent {
            return Err(ApiError::new(
                axum::http::StatusCode::SERVICE_UNAVAILABLE,
                "SHUTTING_DOWN",
                "the server is shutting down; submit the job again once it is back",
            ));
        }
        Ok(pending.0)
    }

    fn execute(self: &Arc<Self>, q: Queued) {
        let Some(cancel) = self.begin(&q.id) else {
            // Cancelled or deleted while it waited (or the server is stopping).
            if let Some(done) = q.done
                && let Some(rec) = self.get(&q.id).filter(|r| r.status.is_terminal())
            {
                done(&rec);
            }
            return;
        };
        let ctx = JobCtx { id: q.id.clone(), dir: self.dir.clone(), cancel, jobs: Arc::downgrade(self) };
        let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| (q.work)(&ctx)))
            .unwrap_or_else(|_| Err("the job hit a bug and stopped (it was logged)".into()));
        let finished = {
            let mut map = self.map.lock();
            let Some(e) = map.get_mut(&q.id) else {
                // Deleted while it ran: its output goes too.
                if let Ok(Some(out)) = &outcome {
                    let _ = std::fs::remove_file(output_path(&self.dir, &q.id, &out.format));
                }
                let _ = std::fs::remove_dir_all(self.dir.join(&q.id));
                return;
            };
            let stopping = self.stopping.load(Ordering::SeqCst);
            if e.cancel.load(Ordering::SeqCst) {
                if let Ok(Some(out)) = &outcome {
                    let _ = std::fs::remove_file(output_path(&self.dir, &q.id, &out.format));
                }
                // A cancelled corpus keeps none of its tables.
                let _ = std::fs::remove_dir_all(self.dir.join(&q.id));
            }
            match outcome {
                _ if stopping && e.cancel.load(Ordering::SeqCst) => {
                    e.rec.status = JobStatus::Failed;
                    e.rec.error = Some(INTERRUPTED.into());
                }
                _ if e.cancel.load(Ordering::SeqCst) => {
                    e.rec.status = JobStatus::Cancelled;
                    e.rec.error.get_or_insert_with(|| "cancelled".into());
                }
                Ok(output) => {
                    e.rec.status = JobStatus::Completed;
                    e.rec.progress = 1.0;
                    e.rec.stage = Some("done".into());
                    e.rec.output_artifact_id = output.as_ref().map(|_| e.rec.id.clone());
                    e.rec.output = output;
                }
                Err(message) => {
                    e.rec.status = JobStatus::Failed;
                    e.rec.error = Some(message);
                }
            }
            e.rec.finished_at = Some(now());
            e.changed()
        };
        if let Err(e) = self.store.put_doc(JOBS, &q.id, &finished.0, finished.1) {
            tracing::error!(job = %q.id, error = %e.body.detail, "storing a finished job");
        }
        if let Some(done) = q.done {
            done(&finished.0);
        }
        self.tell(&finished.0);
    }

    /// Sets the listener told of every finished job.
    pub fn listen(&self, f: Listener) {
        *self.listener.lock() = Some(f);
    }

    fn tell(&self, rec: &JobRecord) {
        if let Some(l) = self.listener.lock().as_ref() {
            l(rec);
        }
    }

    /// pending → running; None if the job is gone or was cancelled.
    fn begin(&self, id: &str) -> Option<Arc<AtomicBool>> {
        let (pending, cancel) = {
            let mut map = self.map.lock();
            let e = map.get_mut(id)?;
            if e.rec.status != JobStatus::Pending || e.cancel.load(Ordering::SeqCst) {
                return None;
            }
            e.rec.status = JobStatus::Running;
            e.rec.started_at = Some(now());
            (e.changed(), Arc::clone(&e.cancel))
        };
        if let Err(e) = self.store.put_doc(JOBS, id, &pending.0, pending.1) {
            tracing::error!(job = %id, error = %e.body.detail, "storing a started job");
        }
        Some(cancel)
    }

    /// Stores a job that is done already (a sample answered at once).
    pub fn record(&self, rec: JobRecord) -> Result<JobRecord, ApiError> {
        let id = rec.id.clone();
        let stored = {
            let mut map = self.map.lock();
            let e = map.entry(id.clone()).or_insert(JobEntry { rec, version: 0, cancel: Arc::default() });
            e.changed()
        };
        self.store.put_doc(JOBS, &id, &stored.0, stored.1)?;
        Ok(stored.0)
    }

    /// Changes a finished job's record (its config, after feedback) and stores it.
    pub fn update(&self, id: &str, change: impl FnOnce(&mut JobRecord)) -> Result<JobRecord, ApiError> {
        let stored = {
            let mut map = self.map.lock();
            let e = map.get_mut(id).ok_or_else(|| no_job(id))?;
            change(&mut e.rec);
            e.changed()
        };
        self.store.put_doc(JOBS, id, &stored.0, stored.1)?;
        Ok(stored.0)
    }

    /// The directory of a job's own files (`DATA_DIR/jobs/{id}`).
    pub fn files_of(&self, id: &str) -> PathBuf {
        self.dir.join(id)
    }

    /// A job by id.
    pub fn get(&self, id: &str) -> Option<JobRecord> {
        self.map.lock().get(id).map(|e| e.rec.clone())
    }

    /// Every job that `keep` accepts, newest first.
    pub fn list(&self, keep: impl Fn(&JobRecord) -> bool) -> Vec<JobRecord> {
        let mut all: Vec<JobRecord> =
            self.map.lock().values().filter(|e| keep(&e.rec)).map(|e| e.rec.clone()).collect();
        all.sort_by(|a, b| b.created_at.cmp(&a.created_at).then_with(|| a.id.cmp(&b.id)));
        all
    }

    /// The output file of a completed job, or why there is none (404, 409).
    pub fn output(&self, id: &str) -> Result<(JobOutput, PathBuf), ApiError> {
        let rec = self.get(id).ok_or_else(|| no_job(id))?;
        match (&rec.output, rec.status) {
            (Some(out), JobStatus::Completed) => Ok((out.clone(), output_path(&self.dir, id, &out.format))),
            (None, JobStatus::Completed) => {
                Err(ApiError::conflict("this job completed with no file to download", "completed"))
            }
            (_, s) => Err(ApiError::conflict(
                format!(
                    "the job's output is not available: it is {}{}",
                    s.as_str(),
                    if s.is_terminal() {
                        ""
                    } else {
                        "; download it once it is completed (GET /jobs/{id} shows its progress)"
                    }
                ),
                s.as_str(),
            )),
        }
    }

    /// Cancels a pending or running job (the work stops at its next check).
    pub fn cancel(&self, id: &str) -> Result<JobRecord, ApiError> {
        let pending = {
            let mut map = self.map.lock();
            let e = map.get_mut(id).ok_or_else(|| no_job(id))?;
            if e.rec.status.is_terminal() {
                return Err(ApiError::conflict(
                    format!("the job is {}; only a pending or running job can be cancelled", e.rec.status.as_str()),
                    e.rec.status.as_str(),
                ));
            }
            e.cancel.store(true, Ordering::SeqCst);
            e.rec.error = Some("cancelled by a request".into());
            if e.rec.status == JobStatus::Pending {
                e.rec.status = JobStatus::Cancelled;
                e.rec.finished_at = Some(now());
            }
            e.changed()
        };
        self.store.put_doc(JOBS, id, &pending.0, pending.1)?;
        if pending.0.status.is_terminal() {
            self.tell(&pending.0);
        }
        Ok(pending.0)
    }

    /// Deletes jobs and their output files (a running one is cancelled first).
    pub fn delete(&self, ids: &[&str]) -> Result<(), ApiError> {
        let outputs: Vec<PathBuf> = {
            let mut map = self.map.lock();
            ids.iter()
                .filter_map(|id| map.remove(*id))
                .filter_map(|e| {
                    e.cancel.store(true, Ordering::SeqCst);
                    e.rec.output.map(|o| output_path(&self.dir, &e.rec.id, &o.format))
                })
                .collect()
        };
        self.store.delete_docs(JOBS, ids)?;
        for path in outputs {
            let _ = std::fs::remove_file(path);
        }
        for id in ids {
            let _ = std::fs::remove_dir_all(self.dir.join(id));
        }
        Ok(())
    }

    /// Cancels every unfinished job and waits for the workers to return (a
    /// job's work checks for cancellation at least once a second).
    pub fn shutdown(&self) {
        self.stopping.store(true, Ordering::SeqCst);
        for e in self.map.lock().values() {
            if !e.rec.status.is_terminal() {
                e.cancel.store(true, Ordering::SeqCst);
            }
        }
        self.queue.lock().take();
        let workers = std::mem::take(&mut *self.workers.lock());
        for w in workers {
            let _ = w.join();
        }
        // Jobs still queued never started: the next start reports them interrupted.
    }
}

fn output_path(dir: &Path, id: &str, format: &str) -> PathBuf {
    dir.join(format!("{id}.{format}"))
}

pub fn no_job(id: &str) -> ApiError {
    ApiError::not_found(format!("there is no job `{id}` (GET /api/v1/jobs lists them)"))
}
