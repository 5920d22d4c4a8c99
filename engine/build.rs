//! Embeds the catalog's locale data (engine/catalog-data/<locale>/<file>)
//! into the binary: a table of (locale, file, contents) with `include_str!`,
//! so nothing is read or fetched at run time.

use std::fmt::Write as _;
use std::path::Path;

fn main() {
    // Read when the script runs, not when it is compiled: cargo may reuse a
    // build script compiled for a checkout at another path.
    let manifest = std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR");
    let root = Path::new(&manifest).join("catalog-data");
    println!("cargo:rerun-if-changed=catalog-data");
    let mut out = String::from(
        "/// (locale, file, contents) of every catalog data file.\npub(crate) static DATA: &[(&str, &str, &str)] = &[\n",
    );
    let mut locales: Vec<_> = std::fs::read_dir(&root)
        .map(|d| d.filter_map(Result::ok).map(|e| e.path()).filter(|p| p.is_dir()).collect())
        .unwrap_or_default();
    locales.sort();
    assert!(!locales.is_empty(), "no catalog data in {}: the checkout is incomplete", root.display());
    for dir in locales {
        println!("cargo:rerun-if-changed={}", dir.display());
        let locale = dir.file_name().and_then(|n| n.to_str()).unwrap_or_default().to_string();
        let mut files: Vec<_> = std::fs::read_dir(&dir)
            .map(|d| d.filter_map(Result::ok).map(|e| e.path()).filter(|p| p.is_file()).collect())
            .unwrap_or_default();
        files.sort();
        for f in files {
            let name = f.file_name().and_then(|n| n.to_str()).unwrap_or_default();
            if !(name.ends_with(".tsv") || name.ends_with(".txt")) {
                continue;
            }
            println!("cargo:rerun-if-changed={}", f.display());
            let _ = writeln!(out, "    ({locale:?}, {name:?}, include_str!({:?})),", f.display().to_string());
        }
    }
    out.push_str("];\n");
    let dest = Path::new(&std::env::var("OUT_DIR").expect("OUT_DIR")).join("catalog_data.rs");
    std::fs::write(dest, out).expect("writing catalog_data.rs");
}
