//! The build graph, read with `cargo tree` (no build): `cargo build` at the
//! workspace root and `cargo build -p sdg` link the same crates with the same
//! features (the feature choice lives in cli/Cargo.toml alone), and the
//! destination dispatch that `sdg run` uses depends on no part of the server.

use std::path::Path;
use std::process::Command;

/// `cargo tree ARGS` at the workspace root: (success, stdout + stderr).
fn cargo_tree(args: &[&str]) -> (bool, String) {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("workspace root");
    let out = Command::new(cargo)
        .arg("tree")
        .args(["--locked", "--prefix", "none"])
        .args(args)
        .current_dir(root)
        .output()
        .expect("runs cargo tree");
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    (out.status.success(), text)
}

#[test]
fn the_root_build_and_the_sdg_build_choose_the_same_features() {
    // At the root, every default member is built together and their features unify:
    // a default feature of a member would reach the binary there but not with `-p sdg`.
    let (ok, root) = cargo_tree(&["-e", "features,normal", "-i", "sdg-control-api"]);
    assert!(ok, "{root}");
    let (ok, alone) = cargo_tree(&["-p", "sdg", "-e", "features,normal", "-i", "sdg-control-api"]);
    assert!(ok, "{alone}");
    let features = |t: &str| -> Vec<String> {
        let mut f: Vec<String> =
            // "default" is empty: what counts is every feature that turns something on.
            t.lines()
                .filter(|l| l.starts_with("sdg-control-api feature") && !l.contains("feature \"default\""))
                .map(|l| l.split(" (").next().unwrap_or(l).to_string())
                .collect();
        f.sort();
        f.dedup();
        f
    };
    assert!(!root.contains("sdg-control-api feature \"profiling\""), "the root build turns on profiling:\n{root}");
    assert_eq!(features(&root), features(&alone), "root:\n{root}\n-p sdg:\n{alone}");
    // DataFusion is not part of a default build at all (profiling and pool queries are features).
    let (ok, profile) = cargo_tree(&["-e", "normal", "-i", "sdg-profile"]);
    assert!(!ok && profile.contains("did not match any packages"), "{profile}");
    let (ok, df) = cargo_tree(&["-e", "normal", "-i", "datafusion"]);
    assert!(!ok && df.contains("did not match any packages"), "{df}");
    // Nor is wasmtime (COMPUTED fields are the `plugins` feature).
    let (ok, wasm) = cargo_tree(&["-e", "normal", "-i", "wasmtime"]);
    assert!(!ok && wasm.contains("did not match any packages"), "{wasm}");
    // The engine needs neither DataFusion nor a database client to compile pools.
    let (ok, engine) = cargo_tree(&["-p", "sdg-engine", "-e", "normal"]);
    assert!(ok, "{engine}");
    for heavy in ["datafusion ", "tokio-postgres ", "memmap2 ", "parquet "] {
        assert!(!engine.lines().any(|l| l.starts_with(heavy)), "sdg-engine depends on {heavy}:\n{engine}");
    }
}

#[test]
fn the_destination_dispatch_needs_nothing_of_the_server() {
    let (ok, tree) = cargo_tree(&["-p", "sdg-destinations", "-e", "normal"]);
    assert!(ok, "{tree}");
    for server_crate in ["sdg-control-api ", "axum ", "redb ", "utoipa ", "governor "] {
        assert!(
            !tree.lines().any(|l| l.starts_with(server_crate)),
            "sdg-destinations depends on {server_crate}:\n{tree}"
        );
    }
    for sink in ["sdg-sinks ", "sdg-sink-kafka ", "sdg-sink-postgres ", "sdg-sink-dragonfly "] {
        assert!(tree.lines().any(|l| l.starts_with(sink)), "sdg-destinations should dispatch to {sink}:\n{tree}");
    }
}
