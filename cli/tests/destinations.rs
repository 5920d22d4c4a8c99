//! `sdg run --to URL` end to end, against the real servers of
//! scripts/services.sh: the summary counts what the destination holds.

use std::path::Path;
use std::process::{Command, Output};

fn env(name: &str) -> Option<String> {
    sdg_testkit::server(name)
}

fn sdg(args: &[&str]) -> Output {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("workspace root");
    Command::new(env!("CARGO_BIN_EXE_sdg")).args(args).current_dir(root).output().expect("runs sdg")
}

fn summary(out: &Output) -> String {
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.success(), "{stderr}");
    assert!(stderr.contains("COMPLETED"), "{stderr}");
    stderr
}

fn shell(cmd: &str, args: &[&str]) -> String {
    let out = Command::new(cmd).args(args).output().unwrap_or_else(|e| panic!("{cmd}: {e}"));
    assert!(out.status.success(), "{cmd} {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

#[test]
fn to_postgres() {
    let Some(url) = env("SDG_TEST_POSTGRES_URL") else { return };
    shell("psql", &[&url, "-qAtc", "DROP TABLE IF EXISTS sdg_cli_orders"]);
    let s = summary(&sdg(&[
        "run",
        "configs/quickstart.yaml",
        "--rows",
        "5000",
        "--to",
        &format!("{url}?table=sdg_cli_orders&create_table=true"),
    ]));
    assert!(s.contains("quickstart: 5000 rows in"), "{s}");
    assert_eq!(shell("psql", &[&url, "-qAtc", "SELECT count(*) FROM sdg_cli_orders"]), "5000");
}

#[test]
fn to_redis() {
    let Some(url) = env("SDG_TEST_REDIS_URL") else { return };
    let port = url.rsplit(':').next().unwrap_or("6379").to_string();
    shell("redis-cli", &["-p", &port, "del", "sdg:cli:stream"]);
    let s = summary(&sdg(&[
        "run",
        "configs/quickstart.yaml",
        "--rows",
        "3000",
        "--to",
        &format!("{url}?mode=stream&key=sdg:cli:stream"),
    ]));
    assert!(s.contains("quickstart: 3000 rows in"), "{s}");
    assert_eq!(shell("redis-cli", &["-p", &port, "xlen", "sdg:cli:stream"]), "3000");
}

#[test]
fn to_kafka() {
    let Some(brokers) = env("SDG_TEST_KAFKA_BROKERS") else { return };
    let topic = format!("sdg-cli-{}", std::process::id());
    let s = summary(&sdg(&[
        "run",
        "configs/quickstart.yaml",
        "--rows",
        "4000",
        "--to",
        &format!("kafka://{brokers}/{topic}?key_field=order_id&format=avro"),
    ]));
    assert!(s.contains("quickstart: 4000 rows in"), "delivery reports count every row: {s}");
}

#[test]
fn bad_destination_urls_are_explained() {
    let out = sdg(&["run", "configs/quickstart.yaml", "--to", "kafka://127.0.0.1:9092"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("has no topic: write kafka://HOST:PORT/TOPIC"));
    let out = sdg(&["validate", "configs/quickstart.yaml"]);
    assert!(out.status.success());
    let out = sdg(&["run", "configs/quickstart.yaml", "--to", "redis://127.0.0.1:6379?key=o:{nope}"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("there is no field `nope`"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
