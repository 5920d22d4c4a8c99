//! Black-box tests of the `sdg` binary.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

fn sdg(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_sdg")).args(args).current_dir(root()).output().expect("runs sdg")
}

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("workspace root").to_path_buf()
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn hash(path: &Path) -> u64 {
    xxhash_rust::xxh3::xxh3_64(&std::fs::read(path).expect("output file"))
}

#[test]
fn every_config_in_configs_validates() {
    let mut n = 0;
    let universes = std::fs::read_dir(root().join("configs/universes")).expect("configs/universes");
    // The domain templates of /context/analyze and corpus jobs are universes too.
    let domains = std::fs::read_dir(root().join("configs/domains")).expect("configs/domains");
    for entry in std::fs::read_dir(root().join("configs")).expect("configs/").chain(universes).chain(domains) {
        let path = entry.expect("entry").path();
        if path.extension().is_some_and(|e| e == "yaml" || e == "yml" || e == "json") {
            let out = sdg(&["validate", path.to_str().expect("utf-8 path")]);
            // scripts/test.sh builds sdg with plugins; a build without them says how to get them.
            if !out.status.success() && text(&out.stdout).contains("needs sdg built with the `plugins` feature") {
                eprintln!("{}: skipped (this sdg is built without plugins)", path.display());
                continue;
            }
            assert!(out.status.success(), "{}: {}{}", path.display(), text(&out.stdout), text(&out.stderr));
            n += 1;
        }
    }
    assert!(n >= 13, "quickstart, orders and clickstream and the 10 domain templates at least");
}

#[test]
fn validate_lists_every_problem_and_fails() {
    let dir = tempfile::tempdir().expect("tempdir");
    let bad = dir.path().join("bad.yaml");
    std::fs::write(
        &bad,
        "name: bad\nmode: REALTIME\ndestination: { type: FILE, config: { pth: x.csv } }\nfields:\n  - { name: a, type: NUMERIC_RANGE, params: { min: 10, max: 5 } }\n  - { name: b, type: COPULA_GENERATED, params: { model: spend } }\n",
    )
    .expect("write");
    let out = sdg(&["validate", bad.to_str().expect("path")]);
    assert_eq!(out.status.code(), Some(1));
    let stdout = text(&out.stdout);
    for needle in [
        "rate: REALTIME mode needs a rate",
        "fields[0].params: min (10) is greater than max (5)",
        "fields[1].params.model: unknown copula `spend` — declare it under `copulas:`",
        "destination.config: unknown key `pth` — did you mean `path`?",
    ] {
        assert!(stdout.contains(needle), "missing {needle:?} in:\n{stdout}");
    }
    assert!(text(&out.stderr).contains("4 problems found"));
    let json = sdg(&["validate", "--json", bad.to_str().expect("path")]);
    let v: serde_json::Value = serde_json::from_slice(&json.stdout).expect("JSON array");
    assert_eq!(v.as_array().map(Vec::len), Some(4));
    assert_eq!(v[1]["path"], "fields[0].params");

    let missing = sdg(&["validate", "does/not/exist.yaml"]);
    assert_eq!(missing.status.code(), Some(1));
    assert!(text(&missing.stderr).contains("reading generator file does/not/exist.yaml"));
}

#[test]
fn run_output_is_identical_across_workers_and_batch_sizes() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut hashes = Vec::new();
    for (i, extra) in [vec!["--workers", "1"], vec!["--workers", "2"], vec!["--workers", "3", "--batch-size", "1000"]]
        .iter()
        .enumerate()
    {
        let out_path = dir.path().join(format!("o{i}.csv"));
        let mut args =
            vec!["run", "configs/quickstart.yaml", "--rows", "30000", "-q", "--out", out_path.to_str().expect("path")];
        args.extend(extra.iter());
        let out = sdg(&args);
        assert!(out.status.success(), "{}", text(&out.stderr));
        hashes.push(hash(&out_path));
    }
    assert!(hashes.windows(2).all(|w| w[0] == w[1]), "{hashes:?}");
    let text = std::fs::read_to_string(dir.path().join("o0.csv")).expect("csv");
    assert_eq!(text.lines().count(), 30_001);
}

#[test]
fn run_writes_every_format_and_reports() {
    let dir = tempfile::tempdir().expect("tempdir");
    for format in ["csv", "jsonl", "parquet", "arrow"] {
        let path = dir.path().join(format!("q.{format}"));
        let out = sdg(&[
            "run",
            "configs/orders.yaml",
            "--rows",
            "20000",
            "--out",
            path.to_str().expect("path"),
            "--format",
            format,
        ]);
        assert!(out.status.success(), "{format}: {}", text(&out.stderr));
        let summary = text(&out.stderr);
        assert!(summary.contains("orders: 20000 rows in") && summary.contains("COMPLETED"), "{summary}");
        assert!(std::fs::metadata(&path).expect("written").len() > 1000);
    }
}

#[test]
fn run_to_stdout() {
    let out = sdg(&["run", "configs/quickstart.yaml", "--rows", "5", "--out", "-", "--format", "jsonl", "-q"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let lines: Vec<serde_json::Value> =
        text(&out.stdout).lines().map(|l| serde_json::from_str(l).expect("json")).collect();
    assert_eq!(lines.len(), 5);
    assert_eq!(lines[4]["order_id"], 5);
}

#[test]
fn preview_prints_a_table() {
    let out = sdg(&["preview", "configs/quickstart.yaml", "-n", "3"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let t = text(&out.stdout);
    let lines: Vec<&str> = t.lines().collect();
    assert_eq!(lines.len(), 5, "{t}");
    assert!(lines[0].starts_with("order_id │ id"));
    assert!(lines[2].starts_with("1 "));
}

#[test]
fn bench_prints_json_figures() {
    let out = sdg(&["bench", "configs/orders.yaml", "--rows", "200000", "--workers", "2", "--format", "csv", "--json"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("one JSON object");
    assert_eq!(v["rows"], 200_000);
    assert_eq!(v["workers"], 2);
    for key in ["seconds", "rows_per_sec", "rows_per_sec_per_core", "bytes"] {
        assert!(v[key].as_f64().is_some_and(|x| x > 0.0), "{key}: {v}");
    }
}

#[test]
fn ctrl_c_stops_cleanly_flushes_and_reports() {
    let dir = tempfile::tempdir().expect("tempdir");
    let def = dir.path().join("manual.yaml");
    let out_path = dir.path().join("manual.csv");
    std::fs::write(
        &def,
        format!(
            "name: manual\nmode: REALTIME\nrate: 5000\nend_condition: {{ type: MANUAL }}\ndestination: {{ type: FILE, config: {{ path: {} }} }}\nfields: [{{ name: id, type: SEQUENCE }}]\n",
            out_path.display()
        ),
    )
    .expect("write");
    let child = Command::new(env!("CARGO_BIN_EXE_sdg"))
        .args(["run", def.to_str().expect("path")])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let t0 = Instant::now();
    while std::fs::metadata(&out_path).map(|m| m.len()).unwrap_or(0) < 1000 {
        assert!(t0.elapsed() < Duration::from_secs(20), "no output");
        std::thread::sleep(Duration::from_millis(20));
    }
    let kill = Command::new("bash").args(["-c", &format!("kill -INT {}", child.id())]).status().expect("kill");
    assert!(kill.success());
    let out = child.wait_with_output().expect("exits");
    assert_eq!(out.status.code(), Some(130), "{}", text(&out.stderr));
    let stderr = text(&out.stderr);
    assert!(stderr.contains("STOPPED"), "{stderr}");
    let ids: Vec<i64> =
        std::fs::read_to_string(&out_path).expect("csv").lines().skip(1).map(|l| l.parse().expect("id")).collect();
    assert!(!ids.is_empty());
    assert_eq!(ids, (1..=ids.len() as i64).collect::<Vec<_>>(), "complete and in order");
    let reported: String = stderr.split("manual: ").nth(1).unwrap_or("").split(' ').next().unwrap_or("").to_string();
    assert_eq!(reported, ids.len().to_string(), "summary counts what the file holds: {stderr}");
}

#[test]
fn docs_catalog_md_is_what_sdg_catalog_prints() {
    let out = sdg(&["catalog", "--markdown"]);
    assert!(out.status.success());
    let committed = std::fs::read_to_string(root().join("docs/CATALOG.md")).expect("docs/CATALOG.md");
    assert_eq!(committed, text(&out.stdout), "regenerate: sdg catalog --markdown > docs/CATALOG.md");
    let one = sdg(&["catalog", "iban"]);
    assert!(text(&one.stdout).starts_with("finance.iban  (Utf8)"), "{}", text(&one.stdout));
    let json = sdg(&["catalog", "--json", "ipv"]);
    let v: serde_json::Value = serde_json::from_slice(&json.stdout).expect("JSON");
    assert_eq!(v.as_array().map(Vec::len), Some(2), "ipv4 and ipv6");
    assert_eq!(sdg(&["catalog", "nothing-like-this"]).status.code(), Some(1));
}

#[test]
fn infer_proposes_a_generator_that_runs() {
    let out = sdg(&["infer", "customer_id", "email", "risk_tier", "last_login_at", "First Name", "--locale", "de_DE"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let yaml = text(&out.stdout);
    assert!(
        yaml.contains("contract_hash: xxh3:") && yaml.contains("# 0.95: `email` is a name of internet.email"),
        "{yaml}"
    );
    let dir = tempfile::tempdir().expect("tmp");
    let file = dir.path().join("inferred.yaml");
    std::fs::write(&file, &yaml).expect("write");
    let csv = dir.path().join("rows.csv");
    let run = sdg(&["run", file.to_str().expect("path"), "--rows", "50", "-q", "-o", csv.to_str().expect("path")]);
    assert!(run.status.success(), "{}", text(&run.stderr));
    assert_eq!(std::fs::read_to_string(&csv).expect("rows").lines().count(), 51);
    let json = sdg(&["infer", "--json", "zip", "dob"]);
    let v: serde_json::Value = serde_json::from_slice(&json.stdout).expect("JSON");
    assert_eq!(v["fields"][0]["params"]["kind"], "address.postcode");
    assert_eq!(v["definition"]["fields"][1]["params"]["kind"], "person.birth_date");
}
