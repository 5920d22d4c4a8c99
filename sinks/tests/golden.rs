//! Golden digests: fixed generators run through the pipeline into a CSV file,
//! and the SHA-256 of each file compared with the one stored in
//! `tests/golden/digests.txt`. A change that alters generated data (a mapper,
//! the random streams, the CSV encoder) fails here, so it is made deliberately:
//!
//! ```text
//! SDG_UPDATE_GOLDEN=1 cargo test -p sdg-sinks --test golden
//! ```
//!
//! rewrites the file, and the diff shows which outputs changed. The
//! generators use BATCH mode and simulated clocks only (no REALTIME
//! timestamps or wall-clock UUID v7), so nothing depends on when they run.
//! Each is run twice, on 1 and 3 workers with different batch sizes, and both
//! files must be byte-identical before the digest is even compared.

use sdg_engine::spec::{Destination, DestinationType, EndCondition, GeneratorSpec, parse_yaml};
use sdg_engine::{Plan, Run, RunConfig, Status};
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Rows of each golden output.
const ROWS: u64 = 20_000;

/// The golden generators: a name (the key in digests.txt) and a file, from the crate's directory.
const GOLDEN: &[(&str, &str)] = &[("orders", "../configs/orders.yaml"), ("every_type", "tests/golden/every_type.yaml")];

const UPDATE: &str = "SDG_UPDATE_GOLDEN=1 cargo test -p sdg-sinks --test golden";

fn manifest_dir() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn digests_file() -> PathBuf {
    manifest_dir().join("tests/golden/digests.txt")
}

fn spec(file: &str) -> GeneratorSpec {
    let path = manifest_dir().join(file);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    parse_yaml(&text).unwrap_or_else(|e| panic!("{}:\n{e}", path.display()))
}

/// The CSV file (header included) that `spec` writes for `ROWS` rows, run on
/// `workers` with batches of `batch_size`.
fn csv_output(mut spec: GeneratorSpec, workers: usize, batch_size: usize, dir: &Path) -> Vec<u8> {
    let path = dir.join(format!("{}-{workers}-{batch_size}.csv", spec.name));
    spec.end_condition = EndCondition::RecordCount { value: ROWS };
    spec.batch_size = Some(batch_size);
    let serde_json::Value::Object(config) = serde_json::json!({ "path": path, "format": "csv" }) else {
        unreachable!("an object")
    };
    spec.destination = Destination { kind: DestinationType::File, config };
    let plan = Plan::compile(&spec).unwrap_or_else(|e| panic!("{}:\n{e}", spec.name));
    let sink = sdg_sinks::open_sink(&spec.destination, plan.schema()).expect("opens the file");
    let run = Run::new(Arc::new(plan), RunConfig { workers, ..RunConfig::default() });
    run.start(sink).expect("starts");
    assert_eq!(run.wait(), Status::Completed, "{:?}", run.metrics().last_error);
    assert_eq!(run.metrics().rows_delivered, ROWS);
    std::fs::read(&path).expect("reads the CSV file")
}

fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

/// `name rows sha256` lines of digests.txt (`#` starts a comment).
fn stored() -> Vec<(String, u64, String)> {
    let text = std::fs::read_to_string(digests_file()).unwrap_or_default();
    text.lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .map(|l| {
            let parts: Vec<&str> = l.split_whitespace().collect();
            let [name, rows, hex] = parts[..] else { panic!("digests.txt: `{l}` is not `name rows sha256`") };
            (name.to_string(), rows.parse().expect("rows"), hex.to_string())
        })
        .collect()
}

#[test]
fn generated_data_matches_the_golden_digests() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut computed = Vec::new();
    for (name, file) in GOLDEN {
        let spec = spec(file);
        assert_eq!(&spec.name, name, "{file}");
        let batch_size = spec.batch_size.unwrap_or(8192);
        let one = csv_output(spec.clone(), 1, batch_size, dir.path());
        let three = csv_output(spec, 3, 1000, dir.path());
        assert!(one == three, "{name}: 1 worker and 3 workers with other batches wrote different files");
        let lines = one.iter().filter(|b| **b == b'\n').count() as u64;
        assert!(lines > ROWS, "{name}: a header and {ROWS} rows, got {lines} lines");
        computed.push((name.to_string(), ROWS, sha256_hex(&one)));
    }

    if std::env::var("SDG_UPDATE_GOLDEN").is_ok_and(|v| v == "1") {
        let mut text = String::from(
            "# SHA-256 of the CSV output (header included) of each golden generator of\n\
             # sinks/tests/golden.rs: name, rows, digest. A change here is a change of the\n\
             # generated data; rewrite deliberately with\n",
        );
        text.push_str(&format!("#   {UPDATE}\n"));
        for (name, rows, hex) in &computed {
            text.push_str(&format!("{name} {rows} {hex}\n"));
        }
        std::fs::write(digests_file(), text).expect("writes digests.txt");
        eprintln!("rewrote {}", digests_file().display());
        return;
    }

    let stored = stored();
    let mismatches: Vec<String> = computed
        .iter()
        .filter(|c| !stored.contains(c))
        .map(|(name, rows, hex)| {
            let before =
                stored.iter().find(|s| &s.0 == name).map_or("none".to_string(), |s| format!("{} rows {}", s.1, s.2));
            format!("  {name}: stored {before}; now {rows} rows {hex}")
        })
        .collect();
    assert!(
        mismatches.is_empty(),
        "the generated data changed:\n{}\n\
         If the change is deliberate, rewrite {} with\n  {UPDATE}\nand commit it with the change.",
        mismatches.join("\n"),
        digests_file().display()
    );
}
