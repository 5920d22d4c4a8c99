//! COMPUTED fields posted to the server (built with `plugins`; the test
//! command builds it so): validation loads the module and names what is
//! wrong, a generator with a plugin runs to its end, and a plugin that traps
//! fails only its own generator — under `on_error: CONTINUE` it gives its
//! batches up and goes on — while the server and the other generators go on.
#![cfg(feature = "plugins")]

mod common;
use common::*;
use serde_json::{Value, json};
use std::path::Path;

fn module(rel: &str) -> String {
    format!("{}/../plugins/{rel}", env!("CARGO_MANIFEST_DIR"))
}

/// Orders with `total` = amount × items × 1.19 from the C price plugin.
fn priced(dir: &Path, name: &str, plugin: &str, on_error: &str) -> Value {
    json!({
        "name": name,
        "seed": 3,
        "batch_size": 1000,
        "on_error": on_error,
        "end_condition": { "type": "RECORD_COUNT", "value": 20_000 },
        "destination": { "type": "FILE", "config": { "path": dir.join(format!("{name}.csv")).to_string_lossy() } },
        "fields": [
            { "name": "id", "type": "SEQUENCE" },
            { "name": "amount", "type": "NUMERIC_RANGE", "params": { "min": 1, "max": 100, "decimals": 2 } },
            { "name": "items", "type": "NUMERIC_RANGE", "params": { "min": 1, "max": 5 } },
            { "name": "total", "type": "COMPUTED", "params": {
                "plugin": module(plugin), "function": "with_tax", "inputs": ["amount", "items"],
                "output": "float64", "config": { "rate": 0.19 } } }
        ]
    })
}

fn wait_status(s: &TestServer, id: &str, want: &str) -> Value {
    let mut last = Value::Null;
    wait_for(want, 30, || {
        last = get(&s.api(&format!("/generators/{id}"))).body;
        last["status"] == want
    });
    last
}

#[test]
fn validation_loads_the_module_and_names_the_problem() {
    let dir = tempfile::tempdir().expect("tmp");
    let s = TestServer::start(config(dir.path()));
    let r = post(&s.api("/generators/validate"), &priced(dir.path(), "ok", "examples/c/price.wasm", "STOP"));
    assert_eq!(r.body["valid"], true, "{}", r.body);
    assert_eq!(r.body["fields"][3]["data_type"], "Float64");

    let cases = [
        ("tests/bad/missing.wat", "with_tax", "does not export `with_tax`"),
        ("tests/bad/abi2.wat", "add", "speaks plugin ABI 2; this sdg speaks ABI 1"),
        ("tests/bad/imports.wat", "add", "imports"),
        ("examples/c/nope.wasm", "with_tax", "nope.wasm"),
    ];
    for (plugin, function, want) in cases {
        let mut definition = priced(dir.path(), "bad", plugin, "STOP");
        definition["fields"][3]["params"]["function"] = json!(function);
        let r = post(&s.api("/generators/validate"), &definition);
        assert_eq!((r.status, r.body["valid"].as_bool()), (200, Some(false)), "{plugin}: {}", r.body);
        let e = &r.body["errors"][0];
        assert_eq!(e["path"], "fields[3].params.plugin", "{plugin}: {}", r.body);
        assert!(e["message"].as_str().is_some_and(|m| m.contains(want)), "{plugin}: {}", r.body);
        // Creating it is refused the same way: a client error, never a 500.
        let r = post(&s.api("/generators"), &definition);
        assert_eq!((r.status, r.body["error_code"].as_str()), (400, Some("VALIDATION_ERROR")), "{plugin}: {}", r.body);
    }
    // A wrong output type is named with both types.
    let mut wrong = priced(dir.path(), "wrong", "examples/c/price.wasm", "STOP");
    wrong["fields"][3]["params"]["output"] = json!("utf8");
    let r = post(&s.api("/generators/validate"), &wrong);
    assert!(r.body.to_string().contains("but the field declares output: utf8"), "{}", r.body);
}

#[test]
fn a_trapping_plugin_fails_its_generator_only_and_continue_goes_on() {
    let dir = tempfile::tempdir().expect("tmp");
    let s = TestServer::start(config(dir.path()));
    let good = create(&s, &priced(dir.path(), "good", "examples/c/price.wasm", "STOP"));
    // trap.wat's `with_tax`… is `add`: use the function the bad module has.
    let mut trap = priced(dir.path(), "trap", "tests/bad/trap.wat", "STOP");
    trap["fields"][3]["params"]["function"] = json!("add");
    trap["fields"][3]["params"]["output"] = json!("int64");
    trap["fields"][1]["params"] = json!({ "min": 1, "max": 100 });
    let bad = create(&s, &trap);
    trap["name"] = json!("trap-continue");
    trap["on_error"] = json!("CONTINUE");
    let lenient = create(&s, &trap);
    for id in [&good, &bad, &lenient] {
        assert_eq!(post_empty(&s.api(&format!("/generators/{id}/start"))).status, 200);
    }
    let failed = wait_status(&s, &bad, "FAILED");
    let error = failed["metrics"]["last_error"].as_str().unwrap_or_default();
    assert!(
        error.contains("field `total`") && error.contains("trap.wat") && error.contains("`add` trapped"),
        "{failed}"
    );

    // CONTINUE: every batch traps, is given up and counted; the run ends.
    let ended = wait_status(&s, &lenient, "COMPLETED");
    assert_eq!(ended["metrics"]["rows_failed"], 20_000, "{ended}");
    assert_eq!(ended["metrics"]["rows_delivered"], 0, "{ended}");

    let done = wait_status(&s, &good, "COMPLETED");
    assert_eq!(done["metrics"]["rows_delivered"], 20_000, "{done}");
    let rows = csv_rows(&dir.path().join("good.csv"));
    assert_eq!(rows.len(), 20_000);
    for row in &rows {
        let v: Vec<f64> = row.split(',').skip(1).map(|x| x.parse().expect("number")).collect();
        let want = (v[0] * v[1] * 1.19 * 100.0).round() / 100.0;
        assert!((v[2] - want).abs() < 1e-9, "{row}: want {want}");
    }
    assert_eq!(get(&s.api("/health")).status, 200, "the server is fine");
}
