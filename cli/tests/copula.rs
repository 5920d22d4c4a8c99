//! Copulas through the `sdg` binary: `sdg fit` on the shipped real dataset
//! (the Palmer penguins, configs/datasets) meets the fidelity goals, writes a
//! model file that a generator reads back; configs/penguins.yaml makes the
//! same rows on any worker count; configs/gentoo.yaml's conditions hold in
//! every row and move the other columns as the data does.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("workspace root").to_path_buf()
}

fn sdg(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_sdg")).args(args).current_dir(root()).output().expect("runs sdg")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn csv(path: &Path) -> (Vec<String>, Vec<Vec<String>>) {
    let body = std::fs::read_to_string(path).expect("csv");
    let mut lines = body.lines();
    let header = lines.next().expect("header").split(',').map(str::to_string).collect();
    (header, lines.map(|l| l.split(',').map(str::to_string).collect()).collect())
}

#[test]
fn fitting_the_penguins_meets_the_fidelity_goals() {
    let dir = tempfile::tempdir().expect("tmp");
    let model = dir.path().join("penguins.json");
    let out = sdg(&[
        "fit",
        "configs/datasets/penguins.csv",
        "--rows",
        "10000",
        "--json",
        "--out",
        model.to_str().expect("path"),
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(report["source_rows"], 344);
    let f = &report["fidelity"];
    for c in f["columns"].as_array().expect("columns") {
        let limit = 0.05;
        assert!(c["value"].as_f64().expect("value") <= limit, "{} {} {}", c["column"], c["metric"], c["value"]);
    }
    assert!(f["max_spearman_delta"].as_f64().expect("spearman") <= 0.05, "{f}");
    assert!(f["quality"].as_f64().expect("quality") >= 0.9, "{f}");
    // The model file is what a generator's `source: { model: … }` reads.
    let text_model = std::fs::read_to_string(&model).expect("model file");
    let m: serde_json::Value = serde_json::from_str(&text_model).expect("model JSON");
    assert_eq!((m["format"].as_str(), m["version"].as_u64()), (Some("sdg-gaussian-copula"), Some(1)));
    let generator = dir.path().join("g.yaml");
    std::fs::write(
        &generator,
        "name: from-model\nseed: 1\nend_condition: { type: RECORD_COUNT, value: 500 }\ndestination: { type: FILE, config: { path: x.csv } }\ncopulas:\n  - { name: p, source: { model: penguins.json }, columns: [species, body_mass_g] }\nfields:\n  - { name: species, type: COPULA_GENERATED, params: { model: p } }\n  - { name: mass, type: COPULA_GENERATED, params: { model: p, column: body_mass_g } }\n",
    )
    .expect("write");
    let rows = dir.path().join("rows.csv");
    let out = sdg(&["run", generator.to_str().expect("path"), "-q", "--out", rows.to_str().expect("path")]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let (header, data) = csv(&rows);
    assert_eq!(header, ["species", "mass"]);
    assert_eq!(data.len(), 500);
    assert!(data.iter().all(|r| ["Adelie", "Chinstrap", "Gentoo"].contains(&r[0].as_str())));
    assert!(
        data.iter()
            .filter(|r| !r[1].is_empty())
            .all(|r| (2700..=6300).contains(&r[1].parse::<i64>().expect("integer mass")))
    );
    // A problem is named: a column the data lacks.
    let bad = sdg(&["fit", "configs/datasets/penguins.csv", "--columns", "species,beak"]);
    assert!(!bad.status.success());
    assert!(text(&bad.stderr).contains("has no column `beak`"), "{}", text(&bad.stderr));
}

#[test]
fn penguins_are_the_same_on_any_worker_count_and_gentoo_conditions_hold() {
    let dir = tempfile::tempdir().expect("tmp");
    let mut files = Vec::new();
    for (i, workers) in ["1", "3"].iter().enumerate() {
        let path = dir.path().join(format!("p{i}.csv"));
        let batch = if i == 0 { "8192" } else { "777" };
        let out = sdg(&[
            "run",
            "configs/penguins.yaml",
            "--rows",
            "20000",
            "--workers",
            workers,
            "--batch-size",
            batch,
            "-q",
            "--out",
            path.to_str().expect("path"),
        ]);
        assert!(out.status.success(), "{}", text(&out.stderr));
        files.push(std::fs::read(&path).expect("csv"));
    }
    assert_eq!(files[0], files[1], "the same rows whatever the workers and batches");

    let all = dir.path().join("p0.csv");
    let (h, rows) = csv(&all);
    let col = |n: &str| h.iter().position(|x| x == n).expect(n);
    let mass = |rows: &[Vec<String>], species: Option<&str>| {
        let v: Vec<f64> = rows
            .iter()
            .filter(|r| species.is_none_or(|s| r[col("species")] == s))
            .filter_map(|r| r[col("body_mass_g")].parse().ok())
            .collect();
        v.iter().sum::<f64>() / v.len() as f64
    };
    // As in the data: Gentoos are the heavy ones (about 5 100 g against 3 700).
    assert!(mass(&rows, Some("Gentoo")) > mass(&rows, Some("Adelie")) + 1000.0);

    let gentoo = dir.path().join("gentoo.csv");
    let out = sdg(&["run", "configs/gentoo.yaml", "-q", "--out", gentoo.to_str().expect("path")]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let (gh, grows) = csv(&gentoo);
    assert_eq!(grows.len(), 10_000);
    let species = gh.iter().position(|x| x == "species").expect("species");
    assert!(grows.iter().all(|r| r[species] == "Gentoo"), "every row has the condition's value");
    let gmass = gh.iter().position(|x| x == "body_mass_g").expect("mass");
    let m: Vec<f64> = grows.iter().filter_map(|r| r[gmass].parse().ok()).collect();
    let mean = m.iter().sum::<f64>() / m.len() as f64;
    assert!((mean - mass(&rows, Some("Gentoo"))).abs() < 300.0 && mean > 4700.0, "conditioned mass {mean}");
}
