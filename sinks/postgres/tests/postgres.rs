//! The POSTGRES destination against a real PostgreSQL (scripts/services.sh up):
//! what the generator says it delivered is what the table holds, equal to the
//! generator's deterministic output, and server restarts lose nothing under
//! every `on_error` policy.

use arrow_array::cast::AsArray;
use arrow_array::types::{Float64Type, Int64Type};
use sdg_engine::spec::{Destination, DestinationType};
use sdg_engine::{Plan, Run, RunConfig, Status};
use sdg_sink_postgres::{PostgresConfig, PostgresSink};
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The server's URL, or None to skip (never under CI=true, where a missing server fails).
fn url() -> Option<String> {
    match std::env::var("SDG_TEST_POSTGRES_URL") {
        Ok(u) => Some(u),
        Err(_) if std::env::var("CI").is_ok_and(|v| v == "true") => {
            panic!("SDG_TEST_POSTGRES_URL is not set: run `eval \"$(scripts/services.sh env)\"` after `scripts/services.sh up`")
        }
        Err(_) => {
            eprintln!("skipping: SDG_TEST_POSTGRES_URL is not set (scripts/services.sh up; eval \"$(scripts/services.sh env)\")");
            None
        }
    }
}

fn client(url: &str) -> postgres_client::Client {
    postgres_client::Client::connect(url)
}

/// A small synchronous client for checks, on its own runtime.
mod postgres_client {
    pub struct Client {
        rt: tokio::runtime::Runtime,
        client: tokio_postgres::Client,
    }

    impl Client {
        pub fn connect(url: &str) -> Self {
            let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
            let (client, conn) = rt.block_on(tokio_postgres::connect(url, tokio_postgres::NoTls)).expect("connect");
            rt.spawn(conn);
            Self { rt, client }
        }

        pub fn exec(&self, sql: &str) {
            self.rt.block_on(self.client.batch_execute(sql)).unwrap_or_else(|e| panic!("{sql}: {e}"));
        }

        pub fn count(&self, sql: &str) -> i64 {
            self.rt.block_on(self.client.query_one(sql, &[])).unwrap_or_else(|e| panic!("{sql}: {e}")).get(0)
        }

        pub fn rows(&self, sql: &str) -> Vec<tokio_postgres::Row> {
            self.rt.block_on(self.client.query(sql, &[])).unwrap_or_else(|e| panic!("{sql}: {e}"))
        }
    }
}

fn plan(table: &str, rows: u64, extra: &str) -> Plan {
    let yaml = format!(
        r#"
name: pg
seed: 11
batch_size: 1000
{extra}
end_condition: {{ type: RECORD_COUNT, value: {rows} }}
destination: {{ type: POSTGRES, config: {{ url: x, table: "{table}" }} }}
fields:
  - {{ name: order_id,   type: SEQUENCE }}
  - {{ name: id,         type: UUID_GENERATED }}
  - {{ name: created_at, type: TIMESTAMP_GENERATED, params: {{ step: 250ms }} }}
  - {{ name: status,     type: ENUM_RANDOM, params: {{ values: [NEW, PAID, SHIPPED] }} }}
  - {{ name: amount,     type: NUMERIC_RANGE, params: {{ min: 1, max: 500, decimals: 2 }} }}
  - {{ name: flag,       type: CONSTANT, params: {{ value: true }} }}
  - {{ name: coupon,     type: ENUM_RANDOM, params: {{ values: [A10] }}, null_ratio: 0.5 }}
"#
    );
    Plan::compile(&sdg_engine::spec::parse_yaml(&yaml).expect("valid")).expect("compiles")
}

fn sink(url: &str, table: &str, create: bool, plan: &Plan) -> Result<PostgresSink, sdg_engine::SinkError> {
    let config = PostgresConfig {
        url: url.to_string(),
        table: table.to_string(),
        schema: None,
        create_table: create,
        connect_attempts: Some(3),
    };
    PostgresSink::open(config, plan.schema().clone())
}

fn run(plan: Plan, sink: PostgresSink, workers: usize) -> Run {
    let run = Run::new(Arc::new(plan), RunConfig { workers, queue_batches: 2 * workers + 2, start_row: 0 });
    run.start(Box::new(sink)).expect("starts");
    run
}

#[test]
fn rows_land_equal_to_the_generator_output() {
    let Some(url) = url() else { return };
    let db = client(&url);
    db.exec("DROP TABLE IF EXISTS sdg_it_orders");
    let p = plan("sdg_it_orders", 25_000, "");
    let expected = p.generate(0, 25_000).expect("gen");
    let run = run(p, sink(&url, "sdg_it_orders", true, &plan("sdg_it_orders", 1, "")).expect("opens"), 2);
    assert_eq!(run.wait(), Status::Completed, "{:?}", run.metrics().last_error);
    let m = run.metrics();
    assert_eq!(m.rows_delivered, 25_000);
    assert_eq!(db.count("SELECT count(*) FROM sdg_it_orders"), 25_000);
    assert_eq!(db.count("SELECT count(DISTINCT order_id) FROM sdg_it_orders"), 25_000);
    let ids = expected.column_by_name("order_id").expect("col").as_primitive::<Int64Type>();
    let amounts = expected.column_by_name("amount").expect("col").as_primitive::<Float64Type>();
    let uuids = expected.column_by_name("id").expect("col").as_fixed_size_binary();
    for row in db.rows("SELECT order_id, amount, id::text, created_at = TIMESTAMPTZ '2026-01-01 00:00:00+00' + (order_id - 1) * INTERVAL '250 ms', status, flag FROM sdg_it_orders WHERE order_id IN (1, 2, 777, 12345, 25000)") {
        let order_id: i64 = row.get(0);
        let i = (order_id - 1) as usize;
        assert_eq!(order_id, ids.value(i));
        assert_eq!(row.get::<_, f64>(1), amounts.value(i));
        let hex: String = uuids.value(i).iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(row.get::<_, String>(2).replace('-', ""), hex);
        assert!(row.get::<_, bool>(3), "timestamp of row {order_id}");
        assert!(["NEW", "PAID", "SHIPPED"].contains(&row.get::<_, String>(4).as_str()));
        assert!(row.get::<_, bool>(5));
    }
    let nulls = db.count("SELECT count(*) FROM sdg_it_orders WHERE coupon IS NULL");
    assert!((10_000..15_000).contains(&nulls), "about half the coupons are null: {nulls}");
}

#[test]
fn existing_tables_are_matched_by_name_and_mismatches_explained() {
    let Some(url) = url() else { return };
    let db = client(&url);
    db.exec("DROP TABLE IF EXISTS sdg_it_existing; CREATE TABLE sdg_it_existing (note text DEFAULT 'x', coupon varchar(8), flag boolean, amount double precision, status text, created_at timestamptz, id uuid, order_id bigint PRIMARY KEY)");
    let p = plan("sdg_it_existing", 3_000, "");
    let s = sink(&url, "sdg_it_existing", false, &p).expect("opens on a compatible table");
    let run = run(p, s, 1);
    assert_eq!(run.wait(), Status::Completed, "{:?}", run.metrics().last_error);
    assert_eq!(db.count("SELECT count(*) FROM sdg_it_existing WHERE note = 'x'"), 3_000);

    db.exec("DROP TABLE IF EXISTS sdg_it_bad; CREATE TABLE sdg_it_bad (order_id integer, id uuid)");
    let err = sink(&url, "sdg_it_bad", false, &plan("sdg_it_bad", 1, "")).expect_err("mismatch");
    assert!(!err.retryable);
    for needle in ["column `order_id` is int4, but sdg writes bigint", "column `amount` is missing", "create_table: true"] {
        assert!(err.message.contains(needle), "{needle:?} not in: {}", err.message);
    }
    let err = sink(&url, "sdg_it_absent", false, &plan("sdg_it_absent", 1, "")).expect_err("no table");
    assert!(err.message.contains("does not exist"), "{}", err.message);
}

#[test]
fn table_names_cannot_inject_sql() {
    let Some(url) = url() else { return };
    let db = client(&url);
    let name = "sdg_it_x\"; DROP TABLE sdg_it_victim; --";
    db.exec("CREATE TABLE IF NOT EXISTS sdg_it_victim (a int)");
    db.exec("DROP TABLE IF EXISTS \"sdg_it_x\"\"; DROP TABLE sdg_it_victim; --\"");
    let p = plan(&name.replace('"', "\\\""), 100, "");
    let s = sink(&url, name, true, &p).expect("opens");
    let run = run(p, s, 1);
    assert_eq!(run.wait(), Status::Completed, "{:?}", run.metrics().last_error);
    assert_eq!(db.count("SELECT count(*) FROM \"sdg_it_x\"\"; DROP TABLE sdg_it_victim; --\""), 100);
    assert_eq!(db.count("SELECT count(*) FROM information_schema.tables WHERE table_name = 'sdg_it_victim'"), 1);
}

/// `pg_ctlcluster VERSION main stop|start` for the cluster the services script runs.
fn cluster(action: &str) {
    let version = std::env::var("SDG_TEST_POSTGRES_VERSION").unwrap_or_else(|_| "15".into());
    let status = Command::new("pg_ctlcluster").args([&version, "main", action]).status().expect("pg_ctlcluster");
    assert!(status.success(), "pg_ctlcluster {version} main {action}");
}

fn wait_for(what: &str, secs: u64, mut f: impl FnMut() -> bool) {
    let t0 = Instant::now();
    while !f() {
        assert!(t0.elapsed() < Duration::from_secs(secs), "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Runs 40k rows at 20k rows/s, stopping PostgreSQL for a while after 8k rows.
fn outage(policy: &str, table: &str) -> (Run, postgres_client::Client) {
    let url = url().expect("checked by caller");
    let db = client(&url);
    db.exec(&format!("DROP TABLE IF EXISTS {table}"));
    let p = plan(table, 40_000, &format!("rate: 20000\non_error: {policy}"));
    let s = sink(&url, table, true, &p).expect("opens");
    let run = run(p, s, 2);
    wait_for("8000 rows", 30, || run.metrics().rows_delivered >= 8_000);
    drop(db);
    cluster("stop");
    (run, client_after_restart(&url))
}

fn client_after_restart(url: &str) -> postgres_client::Client {
    std::thread::sleep(Duration::from_millis(1500));
    cluster("start");
    wait_for("PostgreSQL back", 30, || std::net::TcpStream::connect("127.0.0.1:5432").is_ok());
    client(url)
}

#[test]
fn server_restarts_lose_nothing_under_every_policy() {
    if url().is_none() {
        return;
    }
    // PAUSE: the run pauses with the error; resume retries the failed batch first.
    let (run, db) = outage("PAUSE", "sdg_it_pause");
    wait_for("PAUSED", 30, || run.status() == Status::Paused || run.is_finished());
    if run.status() == Status::Paused {
        assert!(run.metrics().last_error.is_some());
        run.resume().expect("resumes");
    }
    assert_eq!(run.wait(), Status::Completed, "{:?}", run.metrics().last_error);
    let m = run.metrics();
    assert_eq!((m.rows_delivered, m.rows_failed), (40_000, 0));
    assert_eq!(db.count("SELECT count(*) FROM sdg_it_pause"), 40_000);
    assert_eq!(db.count("SELECT count(DISTINCT order_id) FROM sdg_it_pause"), 40_000);

    // CONTINUE: retried with backoff; whatever could not be delivered is counted, never lost silently.
    let (run, db) = outage("CONTINUE", "sdg_it_continue");
    assert_eq!(run.wait(), Status::Completed, "{:?}", run.metrics().last_error);
    let m = run.metrics();
    assert!(m.errors > 0, "the outage was seen");
    assert_eq!(m.rows_delivered + m.rows_failed, 40_000);
    assert_eq!(db.count("SELECT count(*) FROM sdg_it_continue") as u64, m.rows_delivered);
    assert_eq!(db.count("SELECT count(DISTINCT order_id) FROM sdg_it_continue") as u64, m.rows_delivered);

    // STOP: the run fails with the error; what it reports delivered is in the table.
    let (run, db) = outage("STOP", "sdg_it_stop");
    assert_eq!(run.wait(), Status::Failed);
    let m = run.metrics();
    assert!(m.last_error.as_deref().unwrap_or("").contains("PostgreSQL"), "{:?}", m.last_error);
    assert_eq!(db.count("SELECT count(*) FROM sdg_it_stop") as u64, m.rows_delivered);
}
