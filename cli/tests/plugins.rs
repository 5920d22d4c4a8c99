//! `sdg run configs/priced-orders.yaml`, the README's plugin example, end to
//! end: the C price plugin (built by scripts/plugins/build.sh) makes `total`
//! from `amount` and `items`, the same bytes on any worker count, the plugin
//! path relative to the config whatever the working directory; `sdg
//! validate` names a plugin's problem.
#![cfg(feature = "plugins")]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("workspace root").to_path_buf()
}

fn sdg_in(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_sdg")).args(args).current_dir(dir).output().expect("runs sdg")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

#[test]
fn priced_orders_runs_with_the_price_plugin_on_any_worker_count() {
    let dir = tempfile::tempdir().expect("tmp");
    let config = root().join("configs/priced-orders.yaml");
    let mut files = Vec::new();
    for (i, workers) in ["1", "3"].iter().enumerate() {
        let out_path = dir.path().join(format!("p{i}.csv"));
        // From another directory: the plugin path is relative to the config file.
        let out = sdg_in(
            dir.path(),
            &[
                "run",
                config.to_str().expect("path"),
                "--rows",
                "30000",
                "--workers",
                workers,
                "--batch-size",
                if i == 0 { "8192" } else { "1000" },
                "-q",
                "--out",
                out_path.to_str().expect("path"),
            ],
        );
        assert!(out.status.success(), "{}{}", text(&out.stdout), text(&out.stderr));
        files.push(std::fs::read_to_string(&out_path).expect("csv"));
    }
    assert_eq!(files[0], files[1], "the same rows whatever the workers and batches");
    let mut lines = files[0].lines();
    let header: Vec<&str> = lines.next().expect("header").split(',').collect();
    let col = |name: &str| header.iter().position(|h| *h == name).unwrap_or_else(|| panic!("{name} in {header:?}"));
    let (amount, items, total) = (col("amount"), col("items"), col("total"));
    let mut n = 0;
    for line in lines {
        let v: Vec<&str> = line.split(',').collect();
        let (a, q, t): (f64, f64, f64) =
            (v[amount].parse().expect("amount"), v[items].parse().expect("items"), v[total].parse().expect("total"));
        let want = (a * q * 1.19 * 100.0).round() / 100.0;
        assert!((t - want).abs() < 1e-6, "{line}: total {t}, want {want}");
        n += 1;
    }
    assert_eq!(n, 30_000);
}

#[test]
fn validate_names_the_plugin_problem() {
    let dir = tempfile::tempdir().expect("tmp");
    let config = std::fs::read_to_string(root().join("configs/priced-orders.yaml")).expect("config");
    let plugins = root().join("plugins");
    let write = |name: &str, text: String| {
        let path = dir.path().join(name);
        std::fs::write(&path, text).expect("write");
        path
    };
    let cases = [
        ("function: with_tax", "function: with_vat", "does not export `with_vat` — did you mean `with_tax`?"),
        ("output: float64", "output: bool", "but the field declares output: bool"),
        (
            "../plugins/examples/c/price.wasm, function: with_tax",
            "../plugins/tests/bad/abi2.wat, function: add",
            "speaks plugin ABI 2; this sdg speaks ABI 1",
        ),
        ("inputs: [amount, items]", "inputs: [amount, total]", "total"),
    ];
    for (from, to, want) in cases {
        let changed = config.replace("../plugins/", &format!("{}/", plugins.display())).replace(
            &from.replace("../plugins/", &format!("{}/", plugins.display())),
            &to.replace("../plugins/", &format!("{}/", plugins.display())),
        );
        let path = write("bad.yaml", changed);
        let out = sdg_in(dir.path(), &["validate", path.to_str().expect("path")]);
        let said = text(&out.stdout);
        assert_eq!(out.status.code(), Some(1), "{to}: {said}");
        assert!(said.contains("fields[10].params") && said.contains(want), "{to}: {said}");
    }
}
