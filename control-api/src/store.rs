//! Persistence of generator records in an embedded redb database
//! (`DATA_DIR/sdg.redb`): one table per kind (generators, universes,
//! models, jobs, datasets), id → the record as JSON. redb is pure
//! Rust (no C toolchain, unlike SQLite), ACID with copy-on-write pages, and a
//! crash leaves the last committed transaction intact.
//!
//! Callers write after releasing their own locks, so a slow commit holds up
//! only the writers, never a request that reads. Every write carries the
//! record's version (bumped under the generators lock at each change), and
//! a write older than the one already stored is skipped: two transitions of
//! one generator may reach the disk in either order, the newer one wins.

use crate::error::ApiError;
use crate::model::Record;
use parking_lot::Mutex;
use redb::{Database, ReadableDatabase, ReadableTable, TableDefinition, TableHandle};
use std::collections::HashMap;
use std::path::Path;

const GENERATORS: TableDefinition<&str, &[u8]> = TableDefinition::new("generators");

/// A table of JSON documents by id.
#[derive(Clone, Copy)]
pub struct Docs(TableDefinition<'static, &'static str, &'static [u8]>);

/// Universes: id → the universe record (its members are generators).
pub const UNIVERSES: Docs = Docs(TableDefinition::new("universes"));
/// Trained models: id → the model record, the fitted model inside.
pub const MODELS: Docs = Docs(TableDefinition::new("models"));
/// Jobs (training, generation): id → the job record.
pub const JOBS: Docs = Docs(TableDefinition::new("jobs"));
/// Uploaded datasets: id → the dataset record (the file is in DATA_DIR/datasets).
pub const DATASETS: Docs = Docs(TableDefinition::new("datasets"));
/// Managed API keys: id → the key's record and hash.
pub const API_KEYS: Docs = Docs(TableDefinition::new("api_keys"));
/// Usage counters: `usage|caller|hour` → requests, rows, bytes.
pub const USAGE: Docs = Docs(TableDefinition::new("usage"));
/// Webhooks: id → url, events, secret.
pub const WEBHOOKS: Docs = Docs(TableDefinition::new("webhooks"));
/// Webhook deliveries: id → payload, status, attempts.
pub const DELIVERIES: Docs = Docs(TableDefinition::new("webhook_deliveries"));
/// One row, rewritten by the health check: a commit proves the disk takes writes.
const HEALTH: TableDefinition<&str, u64> = TableDefinition::new("health");
/// How long a health check's result is reused (a check commits to disk).
const HEALTH_REUSE: std::time::Duration = std::time::Duration::from_secs(1);
/// How long a running probe may take before checks say the store is unhealthy.
const PROBE_PATIENCE: std::time::Duration = std::time::Duration::from_secs(5);

/// The open database.
pub struct Store {
    db: Database,
    /// The version of each record last written (`u64::MAX` once deleted);
    /// held while writing, so writes are serialised (as redb's are anyway).
    written: Mutex<HashMap<String, u64>>,
    /// The last health check: when, and what it found.
    health: Mutex<Option<(std::time::Instant, Result<(), String>)>>,
    /// When the probe now running started (one at a time).
    probing: Mutex<Option<std::time::Instant>>,
}

/// A record as of one version of it.
pub type Versioned<'a> = (&'a Record, u64);

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store").finish_non_exhaustive()
    }
}

fn internal(e: impl std::fmt::Display) -> ApiError {
    ApiError::internal(format!("the generator store: {e}"))
}

impl Store {
    /// Opens (or creates) `dir/sdg.redb`.
    pub fn open(dir: &Path) -> anyhow::Result<Self> {
        std::fs::create_dir_all(dir)
            .map_err(|e| anyhow::anyhow!("creating the data directory {}: {e}", dir.display()))?;
        let path = dir.join("sdg.redb");
        let db = Database::create(&path).map_err(|e| {
            anyhow::anyhow!("opening {}: {e} (is another `sdg serve` using this --data-dir?)", path.display())
        })?;
        Self::with_database(db)
    }

    fn with_database(db: Database) -> anyhow::Result<Self> {
        let tx = db.begin_write()?;
        tx.open_table(GENERATORS)?;
        for docs in [UNIVERSES, MODELS, JOBS, DATASETS, API_KEYS, USAGE, WEBHOOKS, DELIVERIES] {
            tx.open_table(docs.0)?;
        }
        tx.commit()?;
        Ok(Self { db, written: Mutex::new(HashMap::new()), health: Mutex::new(None), probing: Mutex::new(None) })
    }

    /// Every stored record.
    pub fn load(&self) -> anyhow::Result<Vec<Record>> {
        let tx = self.db.begin_read()?;
        let table = tx.open_table(GENERATORS)?;
        let mut out = Vec::new();
        for entry in table.iter()? {
            let (id, value) = entry?;
            match serde_json::from_slice::<Record>(value.value()) {
                Ok(r) => out.push(r),
                Err(e) => tracing::error!(id = id.value(), error = %e, "skipping an unreadable generator record"),
            }
        }
        Ok(out)
    }

    /// Writes records (one transaction), skipping any whose stored version
    /// is newer (or that was deleted).
    pub fn put(&self, records: &[Versioned<'_>]) -> Result<(), ApiError> {
        let mut written = self.written.lock();
        let fresh: Vec<Versioned<'_>> =
            records.iter().copied().filter(|(r, v)| written.get(&r.id).is_none_or(|w| w < v)).collect();
        if fresh.is_empty() {
            return Ok(());
        }
        let tx = self.db.begin_write().map_err(internal)?;
        {
            let mut table = tx.open_table(GENERATORS).map_err(internal)?;
            for (r, _) in &fresh {
                let bytes = serde_json::to_vec(r).map_err(internal)?;
                table.insert(r.id.as_str(), bytes.as_slice()).map_err(internal)?;
            }
        }
        tx.commit().map_err(internal)?;
        for (r, v) in fresh {
            written.insert(r.id.clone(), v);
        }
        Ok(())
    }

    /// Every document of `table` (a document that cannot be read is logged and skipped).
    pub fn load_docs<T: serde::de::DeserializeOwned>(&self, table: Docs) -> anyhow::Result<Vec<T>> {
        let tx = self.db.begin_read()?;
        let t = tx.open_table(table.0)?;
        let mut out = Vec::new();
        for entry in t.iter()? {
            let (id, value) = entry?;
            match serde_json::from_slice(value.value()) {
                Ok(r) => out.push(r),
                Err(e) => {
                    tracing::error!(table = table.0.name(), id = id.value(), error = %e, "skipping an unreadable record")
                }
            }
        }
        Ok(out)
    }

    /// Writes a document of `table` as of `version`; skipped when a newer
    /// version of it (or its deletion) was written already. Versions of one
    /// id only ever grow; ids are unique across tables (UUIDs).
    pub fn put_doc<T: serde::Serialize>(&self, table: Docs, id: &str, doc: &T, version: u64) -> Result<(), ApiError> {
        let mut written = self.written.lock();
        if written.get(id).is_some_and(|w| *w >= version) {
            return Ok(());
        }
        let tx = self.db.begin_write().map_err(internal)?;
        {
            let mut t = tx.open_table(table.0).map_err(internal)?;
            let bytes = serde_json::to_vec(doc).map_err(internal)?;
            t.insert(id, bytes.as_slice()).map_err(internal)?;
        }
        tx.commit().map_err(internal)?;
        written.insert(id.to_string(), version);
        Ok(())
    }

    /// Removes documents of `table` (one transaction); later writes of them are skipped.
    pub fn delete_docs(&self, table: Docs, ids: &[&str]) -> Result<(), ApiError> {
        let mut written = self.written.lock();
        let tx = self.db.begin_write().map_err(internal)?;
        {
            let mut t = tx.open_table(table.0).map_err(internal)?;
            for id in ids {
                t.remove(*id).map_err(internal)?;
            }
        }
        tx.commit().map_err(internal)?;
        for id in ids {
            written.insert((*id).to_string(), u64::MAX);
        }
        Ok(())
    }

    /// Removes a record; later writes of it are skipped.
    pub fn delete(&self, id: &str) -> Result<(), ApiError> {
        let mut written = self.written.lock();
        let tx = self.db.begin_write().map_err(internal)?;
        {
            let mut table = tx.open_table(GENERATORS).map_err(internal)?;
            table.remove(id).map_err(internal)?;
        }
        tx.commit().map_err(internal)?;
        written.insert(id.to_string(), u64::MAX);
        Ok(())
    }

    /// Whether the database reads and commits (for `/health`): what every
    /// request that stores a generator needs. Reused for a second, so a
    /// health check hammered by a probe costs one commit a second.
    /// While a probe runs, other checks answer at once: the last result, or
    /// unhealthy once the probe has taken longer than a few seconds (a
    /// stalled disk never makes a check wait).
    pub fn check(&self) -> Result<(), String> {
        if let Some((at, result)) = &*self.health.lock()
            && at.elapsed() < HEALTH_REUSE
        {
            return result.clone();
        }
        {
            let mut probing = self.probing.lock();
            if let Some(since) = *probing {
                let waited = since.elapsed();
                if waited >= PROBE_PATIENCE {
                    return Err(format!(
                        "a write to the store has not finished in {} s — check the disk of --data-dir",
                        waited.as_secs()
                    ));
                }
                return self.health.lock().as_ref().map_or(Ok(()), |(_, r)| r.clone());
            }
            *probing = Some(std::time::Instant::now());
        }
        let result = self.probe().map_err(|e| e.to_string());
        *self.health.lock() = Some((std::time::Instant::now(), result.clone()));
        *self.probing.lock() = None;
        result
    }

    fn probe(&self) -> Result<(), redb::Error> {
        self.db.begin_read()?.open_table(GENERATORS)?;
        let tx = self.db.begin_write()?;
        {
            let secs = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs());
            tx.open_table(HEALTH)?.insert("probe", secs)?;
        }
        tx.commit()?;
        Ok(())
    }

    /// Holds the write lock, as a commit that takes long would (tests).
    #[cfg(test)]
    pub(crate) fn hold_writes(&self) -> parking_lot::MutexGuard<'_, HashMap<String, u64>> {
        self.written.lock()
    }
}

#[cfg(test)]
mod tests {
    use super::Store;
    use redb::StorageBackend;
    use redb::backends::InMemoryBackend;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};

    /// Storage whose writes start failing on demand, as a full or lost disk's do.
    #[derive(Debug)]
    struct Failing(InMemoryBackend, Arc<AtomicBool>);

    impl Failing {
        fn check(&self) -> std::io::Result<()> {
            if self.1.load(Ordering::SeqCst) { Err(std::io::Error::other("no space left on device")) } else { Ok(()) }
        }
    }

    impl StorageBackend for Failing {
        fn len(&self) -> std::io::Result<u64> {
            self.0.len()
        }
        fn read(&self, offset: u64, out: &mut [u8]) -> std::io::Result<()> {
            self.0.read(offset, out)
        }
        fn set_len(&self, len: u64) -> std::io::Result<()> {
            self.check()?;
            self.0.set_len(len)
        }
        fn sync_data(&self) -> std::io::Result<()> {
            self.check()?;
            self.0.sync_data()
        }
        fn write(&self, offset: u64, data: &[u8]) -> std::io::Result<()> {
            self.check()?;
            self.0.write(offset, data)
        }
    }

    #[test]
    fn the_health_check_fails_when_the_disk_refuses_writes() {
        let broken = Arc::new(AtomicBool::new(false));
        let db = redb::Database::builder()
            .create_with_backend(Failing(InMemoryBackend::new(), Arc::clone(&broken)))
            .expect("database");
        let store = Store::with_database(db).expect("store");
        assert_eq!(store.check(), Ok(()));
        broken.store(true, Ordering::SeqCst);
        *store.health.lock() = None; // past the reuse second
        let err = store.check().expect_err("a store that cannot commit is not healthy");
        assert!(err.contains("no space left"), "{err}");
    }
}
