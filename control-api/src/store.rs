//! Persistence of generator records in an embedded redb database
//! (`DATA_DIR/sdg.redb`): one table, id → the record as JSON. redb is pure
//! Rust (no C toolchain, unlike SQLite), ACID with copy-on-write pages, and a
//! crash leaves the last committed transaction intact.

use crate::error::ApiError;
use crate::model::Record;
use redb::{Database, ReadableDatabase, ReadableTable, TableDefinition};
use std::path::Path;

const GENERATORS: TableDefinition<&str, &[u8]> = TableDefinition::new("generators");

/// The open database.
pub struct Store {
    db: Database,
}

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
        Ok(Self { db })
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

    /// Writes records (one transaction).
    pub fn put(&self, records: &[&Record]) -> Result<(), ApiError> {
        let tx = self.db.begin_write().map_err(internal)?;
        {
            let mut table = tx.open_table(GENERATORS).map_err(internal)?;
            for r in records {
                let bytes = serde_json::to_vec(r).map_err(internal)?;
                table.insert(r.id.as_str(), bytes.as_slice()).map_err(internal)?;
            }
        }
        tx.commit().map_err(internal)
    }

    /// Removes a record.
    pub fn delete(&self, id: &str) -> Result<(), ApiError> {
        let tx = self.db.begin_write().map_err(internal)?;
        {
            let mut table = tx.open_table(GENERATORS).map_err(internal)?;
            table.remove(id).map_err(internal)?;
        }
        tx.commit().map_err(internal)
    }
}
