//! PostgreSQL restarts mid-run lose nothing, under every `on_error` policy.
//! A test binary of its own: cargo runs test binaries one at a time, so no
//! other test sees the server go down.

mod common;
use common::*;
use sdg_engine::{Run, Sink, Status};
use std::time::Duration;

/// Stops or starts the PostgreSQL of scripts/services.sh (which knows its
/// version and port).
fn cluster(action: &str) {
    sdg_testkit::services(action, "postgres");
}

use sdg_testkit::wait_for;

/// `host:port` of the configured server (`SDG_TEST_POSTGRES_URL`).
fn address(url: &str) -> String {
    let config: tokio_postgres::Config = url.parse().unwrap_or_else(|e| panic!("{url}: {e}"));
    let host = match config.get_hosts().first() {
        Some(tokio_postgres::config::Host::Tcp(host)) => host.clone(),
        _ => "127.0.0.1".to_string(),
    };
    format!("{host}:{}", config.get_ports().first().copied().unwrap_or(5432))
}

/// Waits until the configured server accepts connections again.
fn wait_until_back(url: &str) {
    let address = address(url);
    wait_for(&format!("PostgreSQL back at {address}"), 30, || std::net::TcpStream::connect(&address).is_ok());
}

const ROWS: u64 = 40_000;

/// Runs `ROWS` rows at 20k rows/s and stops PostgreSQL for 1.5 s after 8k rows.
fn outage(url: &str, policy: &str, table: &str) -> (Run, postgres_client::Client) {
    let db = client(url);
    db.exec(&format!("DROP TABLE IF EXISTS {table}"));
    drop(db);
    let p = plan(table, ROWS, &format!("rate: 20000\non_error: {policy}"));
    let s = sink(url, table, true, &p).expect("opens");
    let run = run(p, s, 2);
    wait_for("8000 rows", 30, || run.metrics().rows_delivered >= 8_000);
    cluster("stop");
    // The server is down: the run must not have delivered everything, or the
    // case proves nothing. (Under STOP the run may already have failed.)
    let delivered = run.metrics().rows_delivered;
    assert!(delivered < ROWS, "{delivered} rows delivered before the server was down");
    std::thread::sleep(Duration::from_millis(1500));
    cluster("start");
    wait_until_back(url);
    (run, client(url))
}

#[test]
fn server_restarts_lose_nothing_under_every_policy() {
    let Some(url) = url() else { return };
    let _restart = sdg_testkit::RestartOnPanic("postgres");

    // PAUSE: the run pauses with the error; resume retries the failed batch first.
    let (run, db) = outage(&url, "PAUSE", "sdg_it_pause");
    wait_for("PAUSED", 30, || run.status() == Status::Paused);
    assert!(run.metrics().last_error.as_deref().unwrap_or("").contains("PostgreSQL"));
    run.resume().expect("resumes");
    assert_eq!(run.wait(), Status::Completed, "{:?}", run.metrics().last_error);
    let m = run.metrics();
    assert_eq!((m.rows_delivered, m.rows_failed), (ROWS, 0));
    assert_eq!(db.count("SELECT count(*) FROM sdg_it_pause"), ROWS as i64);
    assert_eq!(db.count("SELECT count(DISTINCT order_id) FROM sdg_it_pause"), ROWS as i64);

    // CONTINUE: retried with backoff; whatever could not be delivered is counted, never lost silently.
    let (run, db) = outage(&url, "CONTINUE", "sdg_it_continue");
    assert_eq!(run.wait(), Status::Completed, "{:?}", run.metrics().last_error);
    let m = run.metrics();
    assert!(m.errors > 0, "the outage was seen");
    assert_eq!(m.rows_delivered + m.rows_failed, ROWS);
    assert_eq!(db.count("SELECT count(*) FROM sdg_it_continue") as u64, m.rows_delivered);
    assert_eq!(db.count("SELECT count(DISTINCT order_id) FROM sdg_it_continue") as u64, m.rows_delivered);

    // STOP: the run fails with the error; what it reports delivered is in the table.
    let (run, db) = outage(&url, "STOP", "sdg_it_stop");
    assert_eq!(run.wait(), Status::Failed);
    let m = run.metrics();
    assert!(m.last_error.as_deref().unwrap_or("").contains("PostgreSQL"), "{:?}", m.last_error);
    assert!(m.rows_delivered < ROWS);
    assert_eq!(db.count("SELECT count(*) FROM sdg_it_stop") as u64, m.rows_delivered);

    // A transaction of several batches cut by a restart: the next write
    // replays the batches it held, then the commit delivers each row once.
    db.exec("DROP TABLE IF EXISTS sdg_it_replay");
    let p = plan("sdg_it_replay", 3_000, "");
    let mut c = config(&url, "sdg_it_replay", true);
    c.commit_bytes = Some(1 << 40);
    c.commit_interval_ms = Some(3_600_000);
    let mut s = sdg_sink_postgres::PostgresSink::open(c, p.schema().clone()).expect("opens");
    let batch = |from| p.generate(from, 1_000).expect("generates");
    assert_eq!(s.write(&batch(0), None).expect("first batch").rows, 0, "not committed yet");
    assert_eq!(s.write(&batch(1_000), None).expect("second batch").rows, 0, "not committed yet");
    cluster("stop");
    cluster("start");
    wait_until_back(&url);
    let third = batch(2_000);
    let mut failures = 0;
    while let Err(e) = s.write(&third, None) {
        assert!(e.retryable, "{}", e.message);
        failures += 1;
        assert!(failures < 20, "never recovered: {}", e.message);
        std::thread::sleep(Duration::from_millis(200));
    }
    assert!(failures > 0, "the restart cut the open COPY");
    let db = client(&url);
    assert_eq!(db.count("SELECT count(*) FROM sdg_it_replay"), 0, "nothing committed before the flush");
    assert_eq!(s.flush().expect("commits").rows, 3_000);
    assert_eq!(db.count("SELECT count(*) FROM sdg_it_replay"), 3_000);
    assert_eq!(db.count("SELECT count(DISTINCT order_id) FROM sdg_it_replay"), 3_000);
}

#[test]
fn the_server_address_comes_from_the_configured_url() {
    assert_eq!(address("postgres://u:p@10.1.2.3:6543/db"), "10.1.2.3:6543");
    assert_eq!(address("postgres://postgres@localhost/postgres"), "localhost:5432");
}
