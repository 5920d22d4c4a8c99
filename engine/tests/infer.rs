//! Field-name inference against 170 column names of public schemas (Sakila,
//! Northwind, Chinook, AdventureWorks, Stripe, Shopify, Salesforce, GitHub,
//! nginx, the IBM Telco churn set …; tests/data/column_names.tsv names each
//! source): at least 90 % get the kind a person would pick, and the
//! proposal is a definition that compiles, with a stable contract hash.

use sdg_engine::catalog::infer::{definition, infer, infer_one};

/// The share of `text`'s names (a `name expected source` TSV) that get the expected kind, and the misses.
fn score(text: &str) -> (usize, f64, Vec<String>) {
    let mut total = 0;
    let mut misses = Vec::new();
    for line in text.lines().skip(1) {
        let cols: Vec<&str> = line.split('\t').collect();
        let (name, want) = (cols[0], cols[1]);
        total += 1;
        let p = infer_one(name, "");
        let got = if p.kind == "CATALOG" {
            p.params["kind"].as_str().unwrap_or_default().to_string()
        } else {
            p.kind.clone()
        };
        if got != want {
            misses.push(format!("{name}: got {got} ({}), want {want}", p.reason));
        }
    }
    (total, 1.0 - misses.len() as f64 / total as f64, misses)
}

#[test]
fn at_least_90_percent_of_real_column_names_get_the_expected_kind() {
    let (total, share, misses) = score(include_str!("data/column_names.tsv"));
    assert!(total >= 150, "{total} names");
    assert!(share >= 0.9, "{:.1} % right; misses:\n{}", share * 100.0, misses.join("\n"));
    eprintln!("{:.1} % of {total} names right; misses: {misses:#?}", share * 100.0);
}

/// A second list, collected after the rules were written (tests/data/
/// column_names_heldout.tsv: AdventureWorks, WordPress, Magento, HubSpot,
/// CloudTrail, MIMIC-III, NYC taxi … 438 names, other sources than the first
/// list). Before any change made after seeing it the rules got 53.4 % (the
/// held-out figure); general rules added since, having seen its misses
/// (glued compounds, words that decide wherever they stand, short keys only
/// as whole words), bring it to 79 %. The test keeps that from falling back.
#[test]
fn held_out_column_names_mostly_get_the_expected_kind() {
    let (total, share, misses) = score(include_str!("data/column_names_heldout.tsv"));
    assert!(total >= 400, "{total} names");
    eprintln!("held out: {:.1} % of {total} names right; misses: {misses:#?}", share * 100.0);
    assert!(share >= 0.75, "{:.1} % right; misses:\n{}", share * 100.0, misses.join("\n"));
}

#[test]
fn the_proposal_compiles_and_its_hash_is_stable() {
    let names: Vec<String> =
        ["customer_id", "email", "risk_tier", "last_login_at", "First Name", "zip", "msisdn", "balance"]
            .iter()
            .map(|s| s.to_string())
            .collect();
    let (fields, hash) = infer(&names, "retail loyalty");
    let (_, again) = infer(&names, "retail loyalty");
    assert_eq!(hash, again);
    let (_, other) = infer(&names[..7], "retail loyalty");
    assert_ne!(hash, other, "another schema, another hash");
    let def = definition(&fields, "en_US");
    let spec = sdg_engine::spec::spec_from_value(&def).expect("a definition");
    let plan = sdg_engine::Plan::compile(&spec).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(plan.schema().fields().len(), names.len());
    assert!(fields.iter().all(|f| (0.0..=1.0).contains(&f.confidence) && !f.reason.is_empty()));
}
