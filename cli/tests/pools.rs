//! Pools from the command line: the shipped pools of configs/pools, the
//! examples that use them (coherent rows), relative paths, `--pool` files,
//! INDEXED pools with `--pool-cache`, and the same output on any worker count.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("workspace root").to_path_buf()
}

fn sdg_in(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_sdg")).args(args).current_dir(dir).output().expect("runs sdg")
}

fn sdg(args: &[&str]) -> Output {
    sdg_in(&root(), args)
}

fn ok(out: &Output) -> String {
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(out.status.success(), "{text}{}", String::from_utf8_lossy(&out.stderr));
    text
}

/// Rows of a CSV file with a header, as maps (no quoted commas in these files' fields).
fn csv_rows(path: &Path) -> Vec<HashMap<String, String>> {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut lines = text.lines();
    let header: Vec<String> = lines.next().expect("header").split(',').map(str::to_string).collect();
    lines.map(|l| header.iter().cloned().zip(l.split(',').map(str::to_string)).collect()).collect()
}

#[test]
fn every_shipped_pool_loads_and_serves_picks() {
    let dir = tempfile::tempdir().expect("tmp");
    let mut n = 0;
    for entry in std::fs::read_dir(root().join("configs/pools")).expect("configs/pools") {
        let path = entry.expect("entry").path();
        if path.extension().is_none_or(|e| e != "yaml") {
            continue;
        }
        let name = path.file_stem().and_then(|s| s.to_str()).expect("name");
        let csv = path.with_extension("csv");
        let first = std::fs::read_to_string(&csv)
            .expect("csv")
            .lines()
            .next()
            .expect("header")
            .split(',')
            .next()
            .expect("col")
            .to_string();
        let generator = dir.path().join(format!("{name}.yaml"));
        std::fs::write(
            &generator,
            format!("name: t\ndestination: {{ type: BLACKHOLE }}\nfields: [{{ name: x, type: POOL_REFERENCE, params: {{ pool: {name}, column: {first} }} }}]\n"),
        )
        .expect("write");
        let out = ok(&sdg(&[
            "preview",
            "--pool",
            path.to_str().expect("path"),
            generator.to_str().expect("path"),
            "-n",
            "3",
        ]));
        assert_eq!(out.lines().count(), 5, "{name}: header, rule, 3 rows:\n{out}");
        n += 1;
    }
    assert!(n >= 6, "names, countries, postcodes, products, customers");
    let notice = std::fs::read_to_string(root().join("configs/pools/NOTICE")).expect("NOTICE");
    assert!(notice.contains("MIT") && notice.contains("Unicode"), "the NOTICE names the licences");
}

#[test]
fn customers_yaml_makes_coherent_customers() {
    let dir = tempfile::tempdir().expect("tmp");
    let out = dir.path().join("c.csv");
    ok(&sdg(&["run", "configs/customers.yaml", "--rows", "20000", "-q", "-o", out.to_str().expect("path")]));
    let pool: HashMap<String, HashMap<String, String>> = csv_rows(&root().join("configs/pools/customers.csv"))
        .into_iter()
        .map(|r| (r["customer_id"].clone(), r))
        .collect();
    let rows = csv_rows(&out);
    assert_eq!(rows.len(), 20_000);
    for r in &rows {
        let c = &pool[&r["customer_id"]];
        for col in ["first_name", "last_name", "email", "country", "city", "postcode"] {
            assert_eq!(r[col], c[col], "{col} of {}", r["customer_id"]);
        }
        let local = format!("{}.{}", r["first_name"], r["last_name"]).to_lowercase().replace(['\'', ' ', '-'], "");
        assert!(r["email"].starts_with(&local), "{} / {local}", r["email"]);
        let currency = match r["country"].as_str() {
            "US" => "USD",
            "FR" => "EUR",
            other => panic!("country {other}"),
        };
        assert_eq!(r["currency"], currency, "the lookup in countries");
    }
}

#[test]
fn orders_products_picks_popular_products_with_their_own_name_and_price() {
    let dir = tempfile::tempdir().expect("tmp");
    let out = dir.path().join("o.csv");
    ok(&sdg(&["run", "configs/orders-products.yaml", "--rows", "50000", "-q", "-o", out.to_str().expect("path")]));
    let products = std::fs::read_to_string(root().join("configs/pools/products.csv")).expect("csv");
    let mut by_id = HashMap::new();
    let mut rank = HashMap::new();
    for (i, l) in products.lines().skip(1).enumerate() {
        let id = l.split(',').next().expect("id").to_string();
        by_id.insert(id.clone(), l.to_string());
        rank.insert(id, i);
    }
    let text = std::fs::read_to_string(&out).expect("orders");
    let mut counts = vec![0usize; products.lines().count()];
    for l in text.lines().skip(1) {
        let cols: Vec<&str> = l.split(',').collect();
        let (id, name, price) = (cols[3], cols[4], cols[5]);
        let row = &by_id[id];
        let pool_price: f64 = row.rsplit(',').next().expect("price").parse().expect("number");
        assert!(row.contains(&format!(",{name},")), "{l} vs {row}");
        assert_eq!(price.parse::<f64>().expect("price"), pool_price, "{l} vs {row}");
        counts[rank[id]] += 1;
    }
    assert!(counts[0] > counts[1] && counts[1] > counts[10] && counts[10] > counts[1000], "zipf by row order");
}

#[test]
fn relative_pool_paths_follow_the_declaring_file_and_workers_do_not_change_rows() {
    let dir = tempfile::tempdir().expect("tmp");
    let gen_dir = dir.path().join("gen");
    std::fs::create_dir_all(gen_dir.join("data")).expect("dirs");
    std::fs::create_dir_all(dir.path().join("pooldefs/files")).expect("dirs");
    std::fs::write(gen_dir.join("data/kinds.csv"), "kind,weight\nA,1\nB,2\nC,3\n").expect("csv");
    std::fs::write(dir.path().join("pooldefs/files/ids.csv"), "id,label\n1,one\n2,two\n3,three\n").expect("csv");
    std::fs::write(
        dir.path().join("pooldefs/ids.yaml"),
        "name: ids\nsource: { type: file, path: files/ids.csv }\nstrategy: INDEXED\nindex: [id]\n",
    )
    .expect("pool");
    std::fs::write(
        gen_dir.join("g.yaml"),
        "name: g\nseed: 5\ndestination: { type: FILE, config: { path: out.csv } }\n\
         pools: [{ name: kinds, source: { type: file, path: data/kinds.csv } }]\n\
         fields:\n  - { name: kind, type: POOL_REFERENCE, params: { pool: kinds, column: kind, pick: weighted, weight_column: weight } }\n\
         \x20 - { name: id, type: NUMERIC_RANGE, params: { min: 1, max: 4 } }\n\
         \x20 - { name: label, type: POOL_DERIVED, params: { pool: ids, key_field: id, key_column: id, column: label } }\n",
    )
    .expect("gen");
    let cache = dir.path().join("cache");
    let run = |workers: &str, out: &str| {
        // Run from an unrelated directory: paths follow the files that declare them.
        ok(&sdg_in(
            dir.path(),
            &[
                "run",
                "gen/g.yaml",
                "--pool",
                "pooldefs/ids.yaml",
                "--pool-cache",
                cache.to_str().expect("path"),
                "--rows",
                "30000",
                "--batch-size",
                "1000",
                "--workers",
                workers,
                "-q",
                "-o",
                out,
            ],
        ));
        std::fs::read(dir.path().join(out)).expect("output")
    };
    let one = run("1", "one.csv");
    assert_eq!(one, run("3", "three.csv"), "the same rows on 1 and 3 workers");
    let text = String::from_utf8(one).expect("utf-8");
    let mut labels = HashMap::new();
    for l in text.lines().skip(1) {
        let cols: Vec<&str> = l.split(',').collect();
        *labels.entry((cols[1].to_string(), cols[2].to_string())).or_insert(0) += 1;
    }
    for (id, label) in [("1", "one"), ("2", "two"), ("3", "three"), ("4", "")] {
        assert!(labels.contains_key(&(id.to_string(), label.to_string())), "{id} → {label:?}: {labels:?}");
    }
    assert_eq!(std::fs::read_dir(&cache).expect("cache").count(), 0, "no INDEXED file is left behind");
    // A missing pool file and a missing source say what is missing.
    let out = sdg_in(dir.path(), &["validate", "gen/g.yaml"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("fields[2].params.pool: unknown pool `ids`"));
    std::fs::remove_file(gen_dir.join("data/kinds.csv")).expect("rm");
    let out = sdg_in(dir.path(), &["validate", "gen/g.yaml"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("pools[0]: pool `kinds`: file `gen/data/kinds.csv` does not exist"), "{stdout}");
}
