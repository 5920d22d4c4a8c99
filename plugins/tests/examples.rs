//! The C example plugins (plugins/examples/c, built by scripts/plugins/build.sh
//! with clang for wasm32): each does what it says, against an independent
//! computation in Rust, deterministically on any worker count.

use arrow_array::cast::AsArray;
use arrow_array::types::{Float64Type, Int64Type};
use arrow_array::{Array, RecordBatch};
use sdg_engine::{Plan, Resources};

fn plugin(name: &str) -> String {
    format!("{}/examples/c/{name}.wasm", env!("CARGO_MANIFEST_DIR"))
}

fn plan(fields: &str) -> Plan {
    let yaml = format!("name: e\nseed: 11\nlocale: en_US\ndestination: {{ type: BLACKHOLE }}\nfields:\n{fields}");
    let spec = sdg_engine::spec::parse_yaml(&yaml).unwrap_or_else(|e| panic!("{e}"));
    let resources = Resources::new().with_plugins(sdg_plugins::shared().expect("wasmtime"));
    Plan::compile_with(&spec, &resources).unwrap_or_else(|e| panic!("{e}"))
}

fn texts(b: &RecordBatch, n: &str) -> Vec<Option<String>> {
    b.column_by_name(n).expect(n).as_string::<i32>().iter().map(|v| v.map(str::to_string)).collect()
}

fn ints(b: &RecordBatch, n: &str) -> Vec<Option<i64>> {
    b.column_by_name(n).expect(n).as_primitive::<Int64Type>().iter().collect()
}

#[test]
fn price_with_tax_reads_two_numbers_and_the_config() {
    let p = plan(&format!(
        "  - {{ name: amount, type: NUMERIC_RANGE, params: {{ min: 1, max: 500, decimals: 2 }}, null_ratio: 0.05 }}
  - {{ name: quantity, type: NUMERIC_RANGE, params: {{ min: 1, max: 9 }} }}
  - {{ name: total, type: COMPUTED, params: {{ plugin: \"{}\", function: with_tax, inputs: [amount, quantity], output: float64, config: {{ rate: 0.19 }} }} }}
",
        plugin("price")
    ));
    let b = p.generate(0, 10_000).expect("gen");
    let amount: Vec<Option<f64>> =
        b.column_by_name("amount").expect("a").as_primitive::<Float64Type>().iter().collect();
    let (q, total) =
        (ints(&b, "quantity"), b.column_by_name("total").expect("t").as_primitive::<Float64Type>().clone());
    for i in 0..b.num_rows() {
        match amount[i] {
            None => assert!(total.is_null(i), "row {i}: a null amount gives a null total"),
            Some(a) => {
                let want = (a * q[i].expect("q") as f64 * 1.19 * 100.0).round() / 100.0;
                assert!((total.value(i) - want).abs() < 1e-9, "row {i}: {} vs {want}", total.value(i));
            }
        }
    }
}

#[test]
fn luhn_template_dice_and_null_pass_through() {
    let p = plan(&format!(
        "  - {{ name: n, type: SEQUENCE, params: {{ start: 7992739871 }} }}
  - {{ name: card, type: COMPUTED, params: {{ plugin: \"{}\", function: with_check_digit, inputs: [n], output: utf8 }} }}
  - {{ name: first, type: CATALOG, params: {{ kind: first_name }} }}
  - {{ name: last, type: CATALOG, params: {{ kind: last_name }}, null_ratio: 0.1 }}
  - {{ name: display, type: COMPUTED, params: {{ plugin: \"{}\", function: display_name, inputs: [first, last], output: utf8 }} }}
  - {{ name: roll, type: COMPUTED, params: {{ plugin: \"{}\", function: dice, inputs: [], output: int64 }} }}
  - {{ name: m, type: NUMERIC_RANGE, params: {{ min: -50, max: 50 }}, null_ratio: 0.3 }}
  - {{ name: doubled, type: COMPUTED, params: {{ plugin: \"{}\", function: doubled, inputs: [m], output: int64 }} }}
",
        plugin("luhn"),
        plugin("template"),
        plugin("dice"),
        plugin("nulls")
    ));
    let b = p.generate(0, 4000).expect("gen");
    // Luhn: the classic example 7992739871 → check digit 3; every value passes the check.
    let cards = texts(&b, "card");
    assert_eq!(cards[0].as_deref(), Some("79927398713"));
    let luhn_ok = |s: &str| {
        let sum: u32 = s
            .bytes()
            .rev()
            .enumerate()
            .map(|(k, c)| {
                let d = (c - b'0') as u32;
                if k % 2 == 1 { if d * 2 > 9 { d * 2 - 9 } else { d * 2 } } else { d }
            })
            .sum();
        sum.is_multiple_of(10)
    };
    assert!(cards.iter().all(|c| luhn_ok(c.as_deref().expect("card"))));
    let (first, last, display) = (texts(&b, "first"), texts(&b, "last"), texts(&b, "display"));
    for i in 0..b.num_rows() {
        let want = last[i].as_ref().map(|l| format!("{} {l}", first[i].as_deref().expect("first")));
        assert_eq!(display[i], want, "row {i}");
    }
    let rolls = ints(&b, "roll");
    assert!(rolls.iter().all(|r| (2..=12).contains(&r.expect("roll"))));
    let sevens = rolls.iter().filter(|r| **r == Some(7)).count() as f64 / 4000.0;
    assert!((sevens - 1.0 / 6.0).abs() < 0.03, "two dice: 7 one time in six ({sevens})");
    let (m, doubled) = (ints(&b, "m"), ints(&b, "doubled"));
    assert!(m.iter().zip(&doubled).all(|(a, d)| *d == a.map(|a| 2 * a)), "nulls pass through");
}

#[test]
fn plugin_output_is_the_same_whatever_the_batches() {
    // Workers make different batches of the same rows: a row's value must
    // not depend on which batch (or in what order) it is made.
    let p = plan(&format!(
        "  - {{ name: roll, type: COMPUTED, params: {{ plugin: \"{}\", function: dice, inputs: [], output: int64 }} }}\n",
        plugin("dice")
    ));
    let whole = ints(&p.generate(0, 30_000).expect("whole"), "roll");
    let mut pieces = Vec::new();
    let mut start = 0u64;
    for len in [1usize, 7, 8192, 333, 12_000, 9_467] {
        pieces.extend(ints(&p.generate(start, len).expect("piece"), "roll"));
        start += len as u64;
    }
    assert_eq!(pieces, whole);
    let rows: Vec<u64> = (0..30_000u64).rev().step_by(7).collect();
    let picked = ints(&p.generate_rows(&rows).expect("rows"), "roll");
    assert!(rows.iter().zip(&picked).all(|(&r, v)| *v == whole[r as usize]));
}

#[test]
fn a_long_display_name_is_cut_between_characters() {
    // 255 two-byte characters a side: "first last" would be 1 021 bytes; the
    // template keeps 512 at most, and a cut inside a character would be
    // invalid UTF-8 (which the host refuses).
    let (first, last) = ("é".repeat(255), "ü".repeat(255));
    for pad in ["", "a"] {
        let p = plan(&format!(
            "  - {{ name: first, type: CONSTANT, params: {{ value: \"{pad}{first}\" }} }}
  - {{ name: last, type: CONSTANT, params: {{ value: \"{last}\" }} }}
  - {{ name: display, type: COMPUTED, params: {{ plugin: \"{}\", function: display_name, inputs: [first, last], output: utf8 }} }}
",
            plugin("template")
        ));
        let b = p.generate(0, 3).expect("valid UTF-8 whatever the cut");
        let full = format!("{pad}{first} {last}");
        for shown in texts(&b, "display") {
            let shown = shown.expect("display");
            assert!(
                full.starts_with(&shown) && shown.len() <= 512 && shown.len() >= 509,
                "{pad:?}: {} bytes",
                shown.len()
            );
        }
    }
}
