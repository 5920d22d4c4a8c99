//! The POSTGRES destination against a real PostgreSQL (scripts/services.sh up):
//! what the generator says it delivered is what the table holds, equal to the
//! generator's deterministic output. (Server restarts: tests/outage.rs, a
//! binary of its own so that no other test runs while the server is down.)

use arrow_array::cast::AsArray;
use arrow_array::types::{Float64Type, Int64Type};
use sdg_engine::Status;

mod common;
use common::*;

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
    for needle in
        ["column `order_id` is int4, but sdg writes bigint", "column `amount` is missing", "create_table: true"]
    {
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

/// Batches share transactions, but a paced run's rows are committed as they
/// come (the pipeline goes idle between batches), even with size and age
/// limits that never trigger: what the run reports as delivered is in the
/// table while it still runs.
#[test]
fn rows_of_a_paced_run_are_committed_as_they_come() {
    let Some(url) = url() else { return };
    let db = client(&url);
    db.exec("DROP TABLE IF EXISTS sdg_it_paced");
    let p = plan("sdg_it_paced", 20_000, "rate: 5000");
    let mut c = config(&url, "sdg_it_paced", true);
    c.commit_bytes = Some(1 << 40);
    c.commit_interval_ms = Some(3_600_000);
    let s = sdg_sink_postgres::PostgresSink::open(c, p.schema().clone()).expect("opens");
    let run = run(p, s, 2);
    let t0 = std::time::Instant::now();
    while run.metrics().rows_delivered < 5_000 {
        assert!(t0.elapsed() < std::time::Duration::from_secs(20), "no progress: {:?}", run.metrics());
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let delivered = run.metrics().rows_delivered;
    let in_table = db.count("SELECT count(*) FROM sdg_it_paced") as u64;
    assert_eq!(run.status(), Status::Running, "still running when checked");
    assert!(in_table >= delivered && in_table < 20_000, "{in_table} rows in the table, {delivered} delivered");
    assert_eq!(run.wait(), Status::Completed, "{:?}", run.metrics().last_error);
    assert_eq!(db.count("SELECT count(*) FROM sdg_it_paced"), 20_000);
}

#[test]
fn a_transaction_the_server_refuses_for_good_is_dropped_not_replayed_forever() {
    let Some(url) = url() else { return };
    let db = client(&url);
    // Row 1500 is there already: the second batch's commit breaks the key, every time.
    db.exec("DROP TABLE IF EXISTS sdg_it_refused; CREATE TABLE sdg_it_refused (coupon text, flag boolean, amount double precision, status text, created_at timestamptz, id uuid, order_id bigint PRIMARY KEY); INSERT INTO sdg_it_refused (order_id) VALUES (1500)");
    let p = plan("sdg_it_refused", 3_000, "on_error: CONTINUE");
    let mut c = config(&url, "sdg_it_refused", false);
    c.commit_bytes = Some(1); // a commit with every batch
    let s = sdg_sink_postgres::PostgresSink::open(c, p.schema().clone()).expect("opens");
    let run = run(p, s, 1);
    assert_eq!(run.wait(), Status::Completed, "{:?}", run.metrics().last_error);
    let m = run.metrics();
    assert!(m.last_error.as_deref().is_some_and(|e| e.contains("duplicate key")), "{:?}", m.last_error);
    assert_eq!((m.rows_delivered, m.rows_failed), (2_000, 1_000), "the refused batch is failed once, the others land");
    assert_eq!(db.count("SELECT count(*) FROM sdg_it_refused"), 2_001);
    assert_eq!(db.count("SELECT count(*) FROM sdg_it_refused WHERE order_id BETWEEN 1001 AND 2000"), 1);
    assert_eq!(run.checkpoint(), 3_000, "a batch given up under CONTINUE is behind the checkpoint");
    db.exec("DROP TABLE sdg_it_refused");
}

#[test]
fn a_refused_password_or_a_missing_database_is_fatal_at_once() {
    let Some(url) = url() else { return };
    let p = plan("sdg_it_auth", 10, "");
    // postgres://postgres:postgres@host:port/db → the same server, a wrong password / another database.
    let (head, tail) = url.split_once('@').expect("a URL with user info");
    let user = head.rsplit_once(':').map_or(head, |(u, _)| u);
    let wrong_password = format!("{user}:not-the-password@{tail}");
    let err = sink(&wrong_password, "sdg_it_auth", true, &p).expect_err("refused");
    assert!(!err.retryable, "{}", err.message);
    assert!(err.message.contains("password authentication failed"), "{}", err.message);
    assert!(!err.message.contains("not-the-password"), "the password is hidden: {}", err.message);
    let base = url.rsplit_once('/').map_or(url.as_str(), |(b, _)| b);
    let err = sink(&format!("{base}/sdg_no_such_database"), "sdg_it_auth", true, &p).expect_err("no database");
    assert!(!err.retryable && err.message.contains("sdg_no_such_database"), "{}", err.message);
}
