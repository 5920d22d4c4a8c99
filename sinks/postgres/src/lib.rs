//! The POSTGRES destination: batches stream into a `COPY … FROM STDIN
//! (FORMAT binary)`, one transaction for several batches: it commits when it
//! holds `commit_bytes` of tuples, when it is `commit_interval_ms` old, when
//! no batch is waiting (the pipeline is idle) and at the end. A transaction is
//! all in the table or not at all, and the sink keeps its tuples until the
//! commit: after a failure it replays them in a new COPY, so rows are neither
//! lost nor duplicated. Rows count as delivered at the commit. Tuples are
//! encoded by the pipeline's workers ([`binary::PgBinaryEncoder`]).
//!
//! Identifiers from the config are always quoted, so a table or column name
//! can never inject SQL. A lost connection is re-established with backoff on
//! the next write.

pub mod binary;

use arrow_array::RecordBatch;
use arrow_schema::SchemaRef;
use binary::{HEADER, PgBinaryEncoder, PgType, TRAILER};
use bytes::Bytes;
use futures_util::SinkExt;
use sdg_engine::issue::{Issue, Issues};
use sdg_engine::spec::Destination;
use sdg_engine::{BatchEncoder, Delivered, Encoded, Sink, SinkError};
use serde::Deserialize;
use std::pin::Pin;
use std::time::Duration;
use std::time::Instant;
use tokio_postgres::{Client, CopyInSink, NoTls, Statement};

/// Settings of the POSTGRES destination.
#[derive(Debug, Clone, Deserialize, PartialEq, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PostgresConfig {
    /// Connection URL, e.g. `postgres://user:password@127.0.0.1:5432/db`.
    #[schemars(pattern(r"^postgres(ql)?://."))]
    pub url: String,
    /// Table to load; its columns are matched to the fields by name.
    #[schemars(pattern(r"\S"))]
    pub table: String,
    /// Schema of the table (default `public`).
    #[serde(default)]
    pub schema: Option<String>,
    /// Create the table when missing, with column types derived from the fields.
    #[serde(default)]
    pub create_table: bool,
    /// Connection attempts (with doubling backoff from 100 ms) before a write reports an error.
    #[serde(default)]
    #[schemars(range(min = 1))]
    pub connect_attempts: Option<u32>,
    /// Commit once the open transaction holds this many bytes of tuples (default 32 MiB).
    #[serde(default)]
    #[schemars(range(min = 1))]
    pub commit_bytes: Option<u64>,
    /// Commit once the open transaction is this old, in milliseconds (default 1000).
    #[serde(default)]
    pub commit_interval_ms: Option<u64>,
}

/// The keys `PostgresConfig` accepts.
pub const KEYS: &[&str] =
    &["url", "table", "schema", "create_table", "connect_attempts", "commit_bytes", "commit_interval_ms"];

/// Default `commit_bytes`.
pub const COMMIT_BYTES: u64 = 32 << 20;
/// Default `commit_interval_ms`.
pub const COMMIT_INTERVAL_MS: u64 = 1000;

impl PostgresConfig {
    fn schema(&self) -> &str {
        self.schema.as_deref().unwrap_or("public")
    }
}

/// Quotes an identifier: `a"b` → `"a""b"`.
pub fn quote_ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// Reads and checks the config, reporting every problem with its path.
pub fn config(dest: &Destination, issues: &mut Issues) -> Option<PostgresConfig> {
    let cfg: PostgresConfig = sdg_sinks::config::parse(dest, KEYS, issues)?;
    let before = issues.len();
    if !(cfg.url.starts_with("postgres://") || cfg.url.starts_with("postgresql://")) {
        issues.push(
            Issue::new(
                "destination.config.url",
                format!("`{}` is not a PostgreSQL URL", sdg_sinks::redact_url(&cfg.url)),
            )
            .hint("write it like postgres://user:password@127.0.0.1:5432/database"),
        );
    } else if let Err(e) = cfg.url.parse::<tokio_postgres::Config>() {
        issues.push(Issue::new("destination.config.url", format!("invalid PostgreSQL URL: {e}")));
    }
    if cfg.table.trim().is_empty() {
        issues.push(Issue::new("destination.config.table", "the table name is empty"));
    }
    if cfg.connect_attempts == Some(0) {
        issues.push(Issue::new("destination.config.connect_attempts", "connect_attempts is 0").hint("use 1 or more"));
    }
    if cfg.commit_bytes == Some(0) {
        issues.push(
            Issue::new("destination.config.commit_bytes", "commit_bytes is 0")
                .hint(format!("use 1 or more; the default is {COMMIT_BYTES} (32 MiB)")),
        );
    }
    (issues.len() == before).then_some(cfg)
}

/// Checks the config and that every field has a PostgreSQL type.
pub fn validate(dest: &Destination, schema: Option<&SchemaRef>) -> Issues {
    let mut issues = Issues::default();
    config(dest, &mut issues);
    if let Some(schema) = schema {
        for (i, f) in schema.fields().iter().enumerate() {
            if PgType::of(f).is_none() {
                issues.push(Issue::new(
                    format!("fields[{i}]"),
                    format!(
                        "field `{}` has type {}, which the PostgreSQL destination cannot write",
                        f.name(),
                        f.data_type()
                    ),
                ));
            }
        }
    }
    issues
}

/// Whether retrying a failed operation may help.
fn classify(context: &str, e: &tokio_postgres::Error) -> SinkError {
    // The server's own words (tokio-postgres shows a server error as "db error").
    let message = match e.as_db_error() {
        Some(db) => match db.detail() {
            Some(detail) => format!("{context}: {} ({detail})", db.message()),
            None => format!("{context}: {}", db.message()),
        },
        None => format!("{context}: {e}"),
    };
    match e.code() {
        // Connection problems, shutdowns, serialization failures and too many connections pass.
        Some(code) => {
            let c = code.code();
            if c.starts_with("08") || c.starts_with("57P") || c == "40001" || c == "40P01" || c == "53300" {
                SinkError::retryable(message)
            } else {
                SinkError::fatal(message)
            }
        }
        None => SinkError::retryable(message),
    }
}

/// The open transaction: its COPY (None after a failure, until the replay)
/// and every tuple sent in it, kept until the commit.
#[derive(Default)]
struct Transaction {
    copy: Option<Pin<Box<CopyInSink<Bytes>>>>,
    chunks: Vec<Bytes>,
    rows: u64,
    bytes: u64,
    since: Option<Instant>,
}

impl Transaction {
    fn is_empty(&self) -> bool {
        self.chunks.is_empty()
    }
}

/// Loads batches into a PostgreSQL table.
pub struct PostgresSink {
    config: PostgresConfig,
    schema: SchemaRef,
    /// Declared before the runtime: dropped (aborting an open COPY) while it still runs.
    open: Transaction,
    client: Option<Client>,
    copy: Option<Statement>,
    runtime: tokio::runtime::Runtime,
    copy_sql: String,
    scratch: Encoded,
    /// Rows of a transaction the server refused for good (a constraint,
    /// a type): dropped, reported as failed with the next acknowledgement.
    refused: u64,
}

impl std::fmt::Debug for PostgresSink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PostgresSink").field("table", &self.config.table).finish_non_exhaustive()
    }
}

impl PostgresSink {
    /// Connects, creates or checks the table, and prepares the COPY statement.
    pub fn open(config: PostgresConfig, schema: SchemaRef) -> Result<Self, SinkError> {
        // One runtime thread of its own drives the connection, so tuples
        // reach the server while the sink thread waits for the next batch.
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("sdg-postgres")
            .enable_all()
            .build()
            .map_err(|e| SinkError::fatal(format!("starting the PostgreSQL client runtime: {e}")))?;
        let target = format!("{}.{}", quote_ident(config.schema()), quote_ident(&config.table));
        let columns: Vec<String> = schema.fields().iter().map(|f| quote_ident(f.name())).collect();
        let copy_sql = format!("COPY {target} ({}) FROM STDIN (FORMAT binary)", columns.join(", "));
        let mut sink = Self {
            config,
            schema,
            open: Transaction::default(),
            client: None,
            copy: None,
            runtime,
            copy_sql,
            scratch: Encoded::default(),
            refused: 0,
        };
        sink.connect()?;
        sink.prepare_table()?;
        Ok(sink)
    }

    /// Connects with doubling backoff.
    fn connect(&mut self) -> Result<(), SinkError> {
        if self.client.as_ref().is_some_and(|c| !c.is_closed()) {
            return Ok(());
        }
        self.client = None;
        self.copy = None;
        let attempts = self.config.connect_attempts.unwrap_or(6).max(1);
        let mut delay = Duration::from_millis(100);
        let mut last = None;
        for attempt in 1..=attempts {
            match self.runtime.block_on(tokio_postgres::connect(&self.config.url, NoTls)) {
                Ok((client, connection)) => {
                    self.runtime.spawn(async move {
                        if let Err(e) = connection.await {
                            tracing::warn!(error = %e, "PostgreSQL connection ended");
                        }
                    });
                    self.client = Some(client);
                    return Ok(());
                }
                Err(e) => {
                    tracing::warn!(error = %e, attempt, "connecting to PostgreSQL");
                    // The server answered and refused (a password, a database that is
                    // not there): asking again will not help.
                    if let Some(db) = e.as_db_error()
                        && (db.code().code().starts_with("28") || db.code().code() == "3D000")
                    {
                        return Err(SinkError::fatal(format!(
                            "connecting to PostgreSQL at {}: {} — check the user, password and database in the URL",
                            sdg_sinks::redact_url(&self.config.url),
                            db.message()
                        )));
                    }
                    last = Some(e);
                    if attempt < attempts {
                        std::thread::sleep(delay);
                        delay = (delay * 2).min(Duration::from_secs(5));
                    }
                }
            }
        }
        let e = last.map(|e| e.to_string()).unwrap_or_default();
        Err(SinkError::retryable(format!(
            "connecting to PostgreSQL at {}: {e}",
            sdg_sinks::redact_url(&self.config.url)
        )))
    }

    fn client(&self) -> Result<&Client, SinkError> {
        self.client.as_ref().ok_or_else(|| SinkError::retryable("not connected to PostgreSQL"))
    }

    /// Creates the table (create_table) and checks its columns against the fields.
    fn prepare_table(&mut self) -> Result<(), SinkError> {
        let schema_name = self.config.schema().to_string();
        let table = self.config.table.clone();
        let target = format!("{}.{}", quote_ident(&schema_name), quote_ident(&table));
        let types: Vec<(String, PgType)> = self
            .schema
            .fields()
            .iter()
            .map(|f| {
                PgType::of(f).map(|t| (f.name().clone(), t)).ok_or_else(|| {
                    SinkError::fatal(format!(
                        "field `{}` has type {}, which PostgreSQL cannot take",
                        f.name(),
                        f.data_type()
                    ))
                })
            })
            .collect::<Result<_, _>>()?;
        let client = self.client()?;
        if self.config.create_table {
            let cols: Vec<String> = types.iter().map(|(n, t)| format!("{} {}", quote_ident(n), t.sql())).collect();
            let sql = format!("CREATE TABLE IF NOT EXISTS {target} ({})", cols.join(", "));
            self.runtime
                .block_on(client.batch_execute(&sql))
                .map_err(|e| classify(&format!("creating {target}"), &e))?;
        }
        let rows = self
            .runtime
            .block_on(client.query(
                "SELECT column_name, udt_name FROM information_schema.columns WHERE table_schema = $1 AND table_name = $2",
                &[&schema_name, &table],
            ))
            .map_err(|e| classify(&format!("reading the columns of {target}"), &e))?;
        if rows.is_empty() {
            return Err(SinkError::fatal(format!(
                "table {target} does not exist — create it, or set create_table: true to let sdg create it"
            )));
        }
        let existing: std::collections::HashMap<String, String> =
            rows.iter().map(|r| (r.get::<_, String>(0), r.get::<_, String>(1))).collect();
        let mut problems = Vec::new();
        for (name, t) in &types {
            match existing.get(name) {
                None => problems.push(format!("column `{name}` is missing")),
                Some(udt) if !t.accepts(udt) => {
                    problems.push(format!("column `{name}` is {udt}, but sdg writes {} for this field", t.sql()))
                }
                Some(_) => {}
            }
        }
        if !problems.is_empty() {
            return Err(SinkError::fatal(format!(
                "table {target} does not match the generator: {} — alter the table, or point sdg at a new table with create_table: true",
                problems.join("; ")
            )));
        }
        Ok(())
    }

    /// Starts a COPY (preparing its statement once per connection) and
    /// sends the binary header and the tuples kept from a failed attempt.
    fn begin(&mut self) -> Result<(), SinkError> {
        self.connect()?;
        let client = self.client()?;
        let (sql, prepared, chunks) = (self.copy_sql.as_str(), self.copy.clone(), self.open.chunks.clone());
        let result = self.runtime.block_on(async {
            let statement = match prepared {
                Some(s) => s,
                None => client.prepare(sql).await?,
            };
            // An explicit transaction: the COPY's CommandComplete comes before
            // an implicit commit, so only COMMIT's answer says the rows are in.
            client.batch_execute("BEGIN").await?;
            let mut copy = Box::pin(client.copy_in::<_, Bytes>(&statement).await?);
            copy.send(Bytes::from_static(HEADER)).await?;
            for chunk in chunks {
                copy.send(chunk).await?;
            }
            Ok::<_, tokio_postgres::Error>((statement, copy))
        });
        match result {
            Ok((statement, copy)) => {
                self.copy = Some(statement);
                self.open.copy = Some(copy);
                Ok(())
            }
            Err(e) => Err(self.failed("starting a COPY into PostgreSQL", &e)),
        }
    }

    /// Sends one batch's tuples in the open transaction (starting one when needed).
    fn send(&mut self, tuples: &[u8], rows: u64) -> Result<(), SinkError> {
        if self.open.copy.is_none() {
            self.begin()?;
        }
        let chunk = Bytes::copy_from_slice(tuples);
        let Some(copy) = self.open.copy.as_mut() else { return Err(SinkError::retryable("no open COPY")) };
        match self.runtime.block_on(copy.send(chunk.clone())) {
            Ok(()) => {
                if self.open.is_empty() {
                    self.open.since = Some(Instant::now());
                }
                self.open.chunks.push(chunk);
                self.open.rows += rows;
                self.open.bytes += tuples.len() as u64;
                Ok(())
            }
            Err(e) => Err(self.failed("COPY into PostgreSQL", &e)),
        }
    }

    /// Commits the open transaction; returns its rows as delivered.
    fn commit(&mut self) -> Result<Delivered, SinkError> {
        if self.open.is_empty() {
            return Ok(Delivered::default());
        }
        if self.open.copy.is_none() {
            self.begin()?;
        }
        let Some(mut copy) = self.open.copy.take() else { return Err(SinkError::retryable("no open COPY")) };
        let client = self.client()?;
        let result = self.runtime.block_on(async {
            copy.send(Bytes::from_static(TRAILER)).await?;
            let n = copy.as_mut().finish().await?;
            // Delivered once the server says COMMIT: a server stopped between
            // the COPY and the commit loses the transaction, which is replayed.
            client.batch_execute("COMMIT").await?;
            Ok::<_, tokio_postgres::Error>(n)
        });
        match result {
            Ok(n) => {
                if n != self.open.rows {
                    tracing::warn!(expected = self.open.rows, copied = n, "PostgreSQL copied another number of rows");
                }
                let done = Delivered::new(n, self.open.bytes);
                self.open = Transaction::default();
                Ok(done)
            }
            Err(e) => Err(self.failed("committing a COPY into PostgreSQL", &e)),
        }
    }

    /// Adds the rows of refused transactions to what a call reports.
    fn report(&mut self, mut d: Delivered) -> Delivered {
        d.failed += std::mem::take(&mut self.refused);
        d
    }

    /// After a failure: the transaction is gone on the server (its tuples are
    /// kept for the replay); a lost connection is re-established next time.
    fn failed(&mut self, context: &str, e: &tokio_postgres::Error) -> SinkError {
        self.open.copy = None;
        let err = classify(context, e);
        if err.retryable {
            self.client = None;
            self.copy = None;
        } else if let Some(client) = &self.client {
            // The connection stays: end its aborted transaction first.
            let _ = self.runtime.block_on(client.batch_execute("ROLLBACK"));
        }
        if !err.retryable && !self.open.is_empty() {
            // Refused for good (a key, a constraint, a type): a replay would
            // be refused the same way, so the transaction is dropped and its
            // rows reported failed. (The server may report a row of an
            // earlier batch only when a later one is sent: COPY checks rows
            // as they arrive.)
            tracing::error!(rows = self.open.rows, error = %err.message, "PostgreSQL refused a transaction");
            self.refused += self.open.rows;
            self.open = Transaction::default();
        }
        err
    }

    fn due(&self) -> bool {
        let bytes = self.config.commit_bytes.unwrap_or(COMMIT_BYTES).max(1);
        let interval = Duration::from_millis(self.config.commit_interval_ms.unwrap_or(COMMIT_INTERVAL_MS));
        self.open.bytes >= bytes || self.open.since.is_some_and(|t| t.elapsed() >= interval)
    }
}

impl Sink for PostgresSink {
    fn worker_encoder(&self) -> Option<Box<dyn BatchEncoder>> {
        Some(Box::new(PgBinaryEncoder))
    }

    fn write(&mut self, batch: &RecordBatch, encoded: Option<&Encoded>) -> Result<Delivered, SinkError> {
        let mut scratch = std::mem::take(&mut self.scratch);
        let tuples = match encoded {
            Some(e) => e.bytes.as_slice(),
            None => {
                scratch.clear();
                PgBinaryEncoder.encode(batch, &mut scratch)?;
                scratch.bytes.as_slice()
            }
        };
        // A failed batch is not kept: the pipeline retries it (or gives it up) itself.
        let result = self.send(tuples, batch.num_rows() as u64);
        self.scratch = scratch;
        result?;
        if !self.due() {
            return Ok(self.report(Delivered::default()));
        }
        match self.commit() {
            Ok(d) => Ok(self.report(d)),
            // The batch is taken (kept in the open transaction for a replay),
            // so a commit that may go through later is not this write's
            // error: the pipeline would send the batch again and the replay
            // would hold it twice. The next write, `idle` or `flush` retries it.
            Err(e) if e.retryable => {
                tracing::warn!(error = %e.message, rows = self.open.rows, "PostgreSQL commit failed; retried with the next call");
                Ok(self.report(Delivered::default()))
            }
            // Refused for good: the transaction is dropped; this batch is the
            // error's (the pipeline counts it), the others of the transaction
            // are reported failed.
            Err(e) => {
                self.refused = self.refused.saturating_sub(batch.num_rows() as u64);
                Err(e)
            }
        }
    }

    fn idle(&mut self) -> Result<Delivered, SinkError> {
        let d = self.commit()?;
        Ok(self.report(d))
    }

    fn flush(&mut self) -> Result<Delivered, SinkError> {
        let d = self.commit()?;
        Ok(self.report(d))
    }

    fn close(&mut self) -> Result<Delivered, SinkError> {
        match self.commit() {
            Ok(d) => Ok(self.report(d)),
            Err(e) => {
                // Never delivered: counted as failed.
                tracing::error!(rows = self.open.rows, error = %e.message, "PostgreSQL rows not committed at close");
                let failed = self.open.rows;
                self.open = Transaction::default();
                Ok(self.report(Delivered { failed, ..Delivered::default() }))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifiers_are_quoted() {
        assert_eq!(quote_ident("orders"), "\"orders\"");
        assert_eq!(quote_ident("a\"; DROP TABLE x; --"), "\"a\"\"; DROP TABLE x; --\"");
    }
}
