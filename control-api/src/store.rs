//! Persistence of generator records in an embedded redb database
//! (`DATA_DIR/sdg.redb`): one table, id → the record as JSON. redb is pure
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
use redb::{Database, ReadableDatabase, ReadableTable, TableDefinition};
use std::collections::HashMap;
use std::path::Path;

const GENERATORS: TableDefinition<&str, &[u8]> = TableDefinition::new("generators");

/// The open database.
pub struct Store {
    db: Database,
    /// The version of each record last written (`u64::MAX` once deleted);
    /// held while writing, so writes are serialised (as redb's are anyway).
    written: Mutex<HashMap<String, u64>>,
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
        let tx = db.begin_write()?;
        tx.open_table(GENERATORS)?;
        tx.commit()?;
        Ok(Self { db, written: Mutex::new(HashMap::new()) })
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

    /// Whether the database answers a read (for `/health`).
    pub fn check(&self) -> Result<(), String> {
        let tx = self.db.begin_read().map_err(|e| e.to_string())?;
        tx.open_table(GENERATORS).map_err(|e| e.to_string())?;
        Ok(())
    }

    /// Holds the write lock, as a commit that takes long would (tests).
    #[cfg(test)]
    pub(crate) fn hold_writes(&self) -> parking_lot::MutexGuard<'_, HashMap<String, u64>> {
        self.written.lock()
    }
}
