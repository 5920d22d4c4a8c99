//! The Rust SDK's examples, run natively (sdg_plugin::testing::Host lays the
//! columns out as ABI 1 says and checks the output): each function does what
//! it says, and gives exactly what the C example of the same name gives when
//! sdg's host runs its wasm module (plugins/examples/c, built by
//! scripts/plugins/build.sh) on the same rows.

use arrow_array::cast::AsArray;
use arrow_array::types::{Float64Type, Int64Type};
use arrow_array::{Array, RecordBatch};
use arrow_schema::DataType;
use sdg_engine::{Plan, Resources};
use sdg_plugin::testing::{Column, Host};
use sdg_plugin::types;
use sdg_plugin_examples as ex;

fn host(config: &str) -> Host {
    Host::new(ex::sdg_init, config).unwrap_or_else(|code| panic!("config {config} refused: {code}"))
}

#[test]
fn each_function_computes_its_rows() {
    let h = host(r#"{"rate": 0.19}"#);
    let out = h
        .call(
            ex::with_tax,
            types::FLOAT64,
            &[Column::Float64(vec![Some(10.0), None, Some(2.5)]), Column::Int64(vec![Some(3), Some(1), Some(2)])],
        )
        .expect("with_tax");
    assert_eq!(out, Column::Float64(vec![Some(35.7), None, Some(5.95)]));

    let out = h
        .call(ex::with_check_digit, types::UTF8, &[Column::Int64(vec![Some(7992739871), None, Some(0)])])
        .expect("luhn");
    assert_eq!(out, Column::Utf8(vec![Some("79927398713".into()), None, Some("00".into())]));
    let err = h.call(ex::with_check_digit, types::UTF8, &[Column::Int64(vec![Some(-1)])]).expect_err("negative");
    assert_eq!(err, "returned error code 2: with_check_digit needs numbers of 0 or more");

    let out = h
        .call(
            ex::display_name,
            types::UTF8,
            &[
                Column::Utf8(vec![Some("Ada".into()), Some("Zoë".into()), None]),
                Column::Utf8(vec![Some("Lovelace".into()), Some("Ünal".into()), Some("X".into())]),
            ],
        )
        .expect("display_name");
    assert_eq!(out, Column::Utf8(vec![Some("Ada Lovelace".into()), Some("Zoë Ünal".into()), None]));

    let out = h.call(ex::doubled, types::INT64, &[Column::Int64(vec![Some(21), None, Some(-4)])]).expect("doubled");
    assert_eq!(out, Column::Int64(vec![Some(42), None, Some(-8)]));

    // Dice: 2..=12, a function of (seed, row) alone — the same rows in
    // another batch, in another order, give the same rolls.
    let h = host("null").with_seed(99);
    let rows: Vec<u64> = (0..5000).collect();
    let Column::Int64(all) = h.call_rows(ex::dice, types::INT64, &[], &rows).expect("dice") else { panic!() };
    assert!(all.iter().all(|d| d.is_some_and(|d| (2..=12).contains(&d))));
    let sevens = all.iter().filter(|d| **d == Some(7)).count() as f64 / 5000.0;
    assert!((sevens - 1.0 / 6.0).abs() < 0.02, "P(7) = {sevens}");
    let Column::Int64(some) = h.call_rows(ex::dice, types::INT64, &[], &[4321, 7]).expect("dice") else { panic!() };
    assert_eq!(some, [all[4321], all[7]]);
}

#[test]
fn the_config_is_checked_once_at_load() {
    assert_eq!(Host::new(ex::sdg_init, r#"{"rate": -1}"#).err(), Some(2), "a negative rate is refused");
    assert_eq!(Host::new(ex::sdg_init, r#"{"rate": "high"}"#).err(), Some(2));
    assert_eq!(Host::new(ex::sdg_init, "{not json").err(), Some(3), "text that is not JSON is refused");
    // Without a rate, with_tax uses 0.2.
    let out = host("null")
        .call(ex::with_tax, types::FLOAT64, &[Column::Float64(vec![Some(10.0)]), Column::Float64(vec![Some(1.0)])])
        .expect("with_tax");
    assert_eq!(out, Column::Float64(vec![Some(12.0)]));
}

#[test]
fn a_function_asked_for_another_output_type_fails_with_both_named() {
    let err = host("null").call(ex::doubled, types::UTF8, &[Column::Int64(vec![Some(1)])]).expect_err("type");
    assert_eq!(err, "returned error code 2: the function returns int64 but the field declares output: utf8");
}

#[test]
fn text_output_grows_past_one_buffer_and_batches_reuse_memory() {
    let h = host("null");
    let long = "é".repeat(3000);
    let first: Vec<Option<String>> = (0..2000).map(|i| (i % 7 != 0).then(|| format!("{long}{i}"))).collect();
    let last: Vec<Option<String>> = (0..2000).map(|i| Some(i.to_string())).collect();
    // Many batches of ~12 MB of text each: memory is freed between batches.
    for _ in 0..8 {
        let out = h
            .call(ex::display_name, types::UTF8, &[Column::Utf8(first.clone()), Column::Utf8(last.clone())])
            .expect("display_name");
        let Column::Utf8(out) = out else { panic!() };
        for i in 0..2000 {
            assert_eq!(out[i], first[i].as_ref().map(|f| format!("{f} {i}")), "row {i}");
        }
    }
}

/// The C examples through sdg's own host (wasmtime), on generated rows.
fn c_batch(rows: usize) -> RecordBatch {
    let c = |name: &str| format!("{}/../c/{name}.wasm", env!("CARGO_MANIFEST_DIR"));
    let yaml = format!(
        "name: e
seed: 11
destination: {{ type: BLACKHOLE }}
fields:
  - {{ name: amount, type: NUMERIC_RANGE, params: {{ min: 1, max: 500, decimals: 2 }}, null_ratio: 0.05 }}
  - {{ name: quantity, type: NUMERIC_RANGE, params: {{ min: 1, max: 9 }} }}
  - {{ name: total, type: COMPUTED, params: {{ plugin: \"{}\", function: with_tax, inputs: [amount, quantity], output: float64, config: {{ rate: 0.19 }} }} }}
  - {{ name: n, type: SEQUENCE, params: {{ start: 7992739871 }}, null_ratio: 0.05 }}
  - {{ name: card, type: COMPUTED, params: {{ plugin: \"{}\", function: with_check_digit, inputs: [n], output: utf8 }} }}
  - {{ name: first, type: CATALOG, params: {{ kind: first_name, locale: de_DE }} }}
  - {{ name: last, type: CATALOG, params: {{ kind: last_name, locale: de_DE }}, null_ratio: 0.1 }}
  - {{ name: shown, type: COMPUTED, params: {{ plugin: \"{}\", function: display_name, inputs: [first, last], output: utf8 }} }}
  - {{ name: roll, type: COMPUTED, params: {{ plugin: \"{}\", function: dice, inputs: [], output: int64 }} }}
  - {{ name: twice, type: COMPUTED, params: {{ plugin: \"{}\", function: doubled, inputs: [quantity], output: int64 }} }}
",
        c("price"),
        c("luhn"),
        c("template"),
        c("dice"),
        c("nulls")
    );
    let spec = sdg_engine::spec::parse_yaml(&yaml).unwrap_or_else(|e| panic!("{e}"));
    let resources = Resources::new().with_plugins(sdg_plugins::shared().expect("wasmtime"));
    let plan = Plan::compile_with(&spec, &resources).unwrap_or_else(|e| panic!("{e}"));
    plan.generate(0, rows).expect("generates")
}

fn column(b: &RecordBatch, name: &str) -> Column {
    let a = b.column_by_name(name).unwrap_or_else(|| panic!("{name}"));
    match a.data_type() {
        DataType::Int64 => Column::Int64(a.as_primitive::<Int64Type>().iter().collect()),
        DataType::Float64 => Column::Float64(a.as_primitive::<Float64Type>().iter().collect()),
        DataType::Utf8 => Column::Utf8(a.as_string::<i32>().iter().map(|v| v.map(str::to_string)).collect()),
        DataType::Dictionary(_, _) => {
            let text = arrow_array::cast::as_dictionary_array::<arrow_array::types::Int32Type>(a.as_ref());
            let values = text.values().as_string::<i32>();
            Column::Utf8(
                (0..a.len())
                    .map(|i| a.is_valid(i).then(|| values.value(text.keys().value(i) as usize).to_string()))
                    .collect(),
            )
        }
        other => panic!("{name}: {other}"),
    }
}

#[test]
fn the_rust_examples_give_what_the_c_examples_give_under_sdgs_host() {
    let b = c_batch(20_000);
    let rows: Vec<u64> = (0..b.num_rows() as u64).collect();
    let with_rate = host(r#"{"rate": 0.19}"#);
    let total = with_rate
        .call(ex::with_tax, types::FLOAT64, &[column(&b, "amount"), column(&b, "quantity")])
        .expect("with_tax");
    assert_eq!(total, column(&b, "total"));
    let h = host("null");
    assert_eq!(h.call(ex::with_check_digit, types::UTF8, &[column(&b, "n")]).expect("luhn"), column(&b, "card"));
    assert_eq!(
        h.call(ex::display_name, types::UTF8, &[column(&b, "first"), column(&b, "last")]).expect("names"),
        column(&b, "shown")
    );
    assert_eq!(h.call(ex::doubled, types::INT64, &[column(&b, "quantity")]).expect("doubled"), column(&b, "twice"));
    // The field's random key is the plan's (seed 11, field `roll`); the
    // rolls agree row for row, so both SDKs read the ABI's random bits alike.
    let key = sdg_engine::rng::StreamKey::for_field(11, "roll").substream(0x636F_6D70).at(0);
    let rolls = host("null").with_seed(key).call_rows(ex::dice, types::INT64, &[], &rows).expect("dice");
    assert_eq!(rolls, column(&b, "roll"));
}
