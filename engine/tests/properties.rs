//! Property tests of the mapping types implemented today: SEQUENCE,
//! UUID_GENERATED, TIMESTAMP_GENERATED, ENUM_RANDOM, NUMERIC_RANGE,
//! CONSTANT, POOL_REFERENCE, POOL_DERIVED, CATALOG, COPULA_GENERATED and STATE_MACHINE (`every_implemented_type_is_covered` fails when another type
//! starts compiling without being added to `FIELDS`). For every type, in
//! each of its variants (`FIELDS`, with nulls):
//! - any row range generated alone equals that slice of a longer run, for any seed;
//! - a field's values do not depend on the other fields (any subset, in reverse order);
//!
//! and, for arbitrary parameters, the values stay within them: SEQUENCE is
//! `start + (row mod period) × step` (as text with prefix and padding), UUIDs
//! carry their version and variant (v7: the simulated millisecond, in row
//! order), simulated timestamps lie in `[start + row × step, … + jitter]`
//! (µs or epoch millis), ENUM_RANDOM picks only values of positive weight,
//! NUMERIC_RANGE stays in `[min, max]` with at most `decimals` decimals,
//! CONSTANT is its value, and `null_ratio` gives that share of nulls.
//! POOL_REFERENCE picks (every pick kind) and POOL_DERIVED fields (same row
//! and lookups) slice like the others, and any list of rows generated alone
//! equals those rows of a range.
//! Plus: the loader never panics on arbitrary documents.

mod common;
use arrow_array::cast::AsArray;
use arrow_array::types::{Float64Type, Int32Type, Int64Type, TimestampMicrosecondType};
use arrow_array::{Array, RecordBatch};
use common::{plan, problems};
use proptest::prelude::*;
use serde_json::Value;

/// Every implemented mapping type, in each of its variants.
const FIELDS: &[&str] = &[
    "{ name: s, type: SEQUENCE, params: { start: 5, step: 3, end: 500 } }",
    "{ name: sd, type: SEQUENCE, params: { start: -7, step: -2 } }",
    "{ name: sp, type: SEQUENCE, params: { start: 98, prefix: ORD-, padding: 6 }, null_ratio: 0.1 }",
    "{ name: u4, type: UUID_GENERATED }",
    "{ name: u7, type: UUID_GENERATED, params: { version: 7, step: 3ms }, null_ratio: 0.3 }",
    "{ name: t, type: TIMESTAMP_GENERATED, params: { jitter: 1s } }",
    "{ name: tm, type: TIMESTAMP_GENERATED, params: { start: \"2030-05-01T12:00:00Z\", step: 250ms, \
       format: epoch_millis } }",
    "{ name: e, type: ENUM_RANDOM, params: { values: [a, b, c], weights: [1, 2, 3] }, null_ratio: 0.2 }",
    "{ name: eu, type: ENUM_RANDOM, params: { values: [1, true, x, y] } }",
    "{ name: nu, type: NUMERIC_RANGE, params: { min: -1000, max: 1000 } }",
    "{ name: nf, type: NUMERIC_RANGE, params: { min: 0, max: 1, decimals: 3 }, null_ratio: 0.5 }",
    "{ name: n, type: NUMERIC_RANGE, params: { min: -5, max: 5, distribution: normal, decimals: 1 } }",
    "{ name: ln, type: NUMERIC_RANGE, params: { min: 1, max: 500, distribution: lognormal, decimals: 2 } }",
    "{ name: ex, type: NUMERIC_RANGE, params: { min: 1, max: 12, distribution: exponential } }",
    "{ name: z, type: NUMERIC_RANGE, params: { min: 1, max: 100, distribution: zipf } }",
    "{ name: ct, type: CONSTANT, params: { value: EUR } }",
    "{ name: ci, type: CONSTANT, params: { value: 42 }, null_ratio: 0.5 }",
    "{ name: cf, type: CONSTANT, params: { value: 2.5 } }",
    "{ name: cb, type: CONSTANT, params: { value: true }, null_ratio: 1.0 }",
    "{ name: pu, type: POOL_REFERENCE, params: { pool: c, column: code }, null_ratio: 0.1 }",
    "{ name: pw, type: POOL_REFERENCE, params: { pool: c, column: weight, pick: weighted, weight_column: weight } }",
    "{ name: pz, type: POOL_REFERENCE, params: { pool: c, column: code, pick: zipf, s: 1.2 } }",
    "{ name: pq, type: POOL_REFERENCE, params: { pool: c, column: flag, pick: sequential } }",
    "{ name: kc, type: CATALOG, params: { kind: credit_card } }",
    "{ name: ki, type: CATALOG, params: { kind: iban, country: DE }, null_ratio: 0.1 }",
    "{ name: kp, type: CATALOG, params: { kind: internet.port } }",
    "{ name: km, type: CATALOG, params: { kind: http_method } }",
    "{ name: kw, type: COPULA_GENERATED, params: { model: k, column: weight } }",
    "{ name: kf, type: COPULA_GENERATED, params: { model: k, column: flag }, null_ratio: 0.2 }",
    "{ name: code, type: COPULA_GENERATED, params: { model: k } }",
];

/// Fields that read other fields (tested whole, never as a subset).
const DEPENDENT: &[&str] = &[
    "{ name: pd, type: POOL_DERIVED, params: { from: pu, column: name }, null_ratio: 0.2 }",
    "{ name: pl, type: POOL_DERIVED, params: { pool: c, key_field: pz, key_column: code, column: name } }",
    "{ name: sk, type: SEQUENCE, params: { prefix: S-, padding: 5 } }",
    "{ name: sm, type: STATE_MACHINE, params: { entity: { field: sk, count: 37 }, initial: a, states: [a, b, c], \
       transitions: { a: { b: 2, c: 1 }, b: { a: 1, c: 1 } }, final: [c] }, null_ratio: 0.1 }",
    "{ name: sst, type: STATE_MACHINE, params: { from: sm, value: step } }",
    "{ name: sse, type: STATE_MACHINE, params: { from: sm, value: session }, null_ratio: 0.3 }",
];

/// The pool every generator here declares, and a copula fitted on it.
const POOL: &str = "pools:\n  - name: c\n    index: [code]\n    source: { type: inline, columns: { code: [DE, FR, US, IT, ES], name: [Germany, France, null, Italy, Spain], weight: [5, 3, 2, 0, 1.5], flag: [true, false, true, true, false] } }\ncopulas:\n  - { name: k, source: { pool: c }, columns: [weight, flag, code] }\n";

/// Every mapping type the definition model knows, implemented or not.
const ALL_TYPES: &[&str] = &[
    "UUID_GENERATED",
    "TIMESTAMP_GENERATED",
    "ENUM_RANDOM",
    "NUMERIC_RANGE",
    "CONSTANT",
    "SEQUENCE",
    "COMPUTED",
    "POOL_REFERENCE",
    "POOL_DERIVED",
    "COPULA_GENERATED",
    "UNIVERSE_KEY_REFERENCE",
    "CATALOG",
    "STATE_MACHINE",
];

/// A BATCH generator with `seed` and the `fields` (flow-style YAML lines).
fn generator<S: AsRef<str>>(seed: u64, fields: impl IntoIterator<Item = S>) -> String {
    let mut yaml = format!("name: p\nseed: {seed}\ndestination: {{ type: BLACKHOLE }}\n{POOL}fields:\n");
    for f in fields {
        yaml.push_str(&format!("  - {}\n", f.as_ref()));
    }
    yaml
}

/// Rows `[from, from + len)` of that generator.
fn rows<S: AsRef<str>>(seed: u64, fields: impl IntoIterator<Item = S>, from: u64, len: usize) -> RecordBatch {
    plan(&generator(seed, fields)).generate(from, len).expect("gen")
}

/// `n / 10^decimals` as decimal text (`-0.05` for -5 and 2).
fn decimal_text(n: i64, decimals: u32) -> String {
    let (sign, abs, unit) = (if n < 0 { "-" } else { "" }, n.unsigned_abs(), 10u64.pow(decimals));
    format!("{sign}{}.{:0w$}", abs / unit, abs % unit, w = decimals as usize)
}

#[test]
fn every_implemented_type_is_covered() {
    let mut implemented = Vec::new();
    for t in ALL_TYPES {
        let issues = problems(&generator(1, [format!("{{ name: f, type: {t} }}")]));
        if !issues.iter().any(|i| i.contains("not yet supported")) {
            implemented.push(*t);
        }
    }
    assert_eq!(implemented.len(), ALL_TYPES.len(), "{implemented:?}");
    // A universe reference needs a parent, a COMPUTED field the plugin
    // runtime: tests/universe.rs and plugins/tests check their rows the same
    // way (slices and row lists equal the full run).
    for t in implemented.into_iter().filter(|t| !["UNIVERSE_KEY_REFERENCE", "COMPUTED"].contains(t)) {
        let listed = FIELDS
            .iter()
            .chain(DEPENDENT)
            .any(|f| f.contains(&format!("type: {t},")) || f.contains(&format!("type: {t} }}")));
        assert!(listed, "{t} is implemented but not in FIELDS");
    }
    // FIELDS compiles, one column per line.
    assert_eq!(plan(&generator(1, FIELDS)).schema().fields().len(), FIELDS.len());
}

fn arb_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_map(|f| serde_json::Number::from_f64(f).map(Value::Number).unwrap_or(Value::Null)),
        prop_oneof![
            Just("name".to_string()),
            Just("SEQUENCE".to_string()),
            Just("FILE".to_string()),
            Just("30s".to_string()),
            ".{0,8}"
        ]
        .prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::vec(
                (
                    prop_oneof![
                        Just("name"),
                        Just("fields"),
                        Just("type"),
                        Just("params"),
                        Just("destination"),
                        Just("config"),
                        Just("mode"),
                        Just("rate"),
                        Just("end_condition"),
                        Just("value"),
                        Just("values"),
                        Just("weights"),
                        Just("min"),
                        Just("max"),
                        Just("null_ratio"),
                        Just("x")
                    ],
                    inner
                ),
                0..6
            )
            .prop_map(|kv| Value::Object(kv.into_iter().map(|(k, v)| (k.to_string(), v)).collect())),
        ]
    })
}

/// RFC 3339 text of `secs` since the epoch.
fn rfc3339(secs: i64) -> String {
    chrono::DateTime::from_timestamp(secs, 0).expect("in range").to_rfc3339()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn any_row_range_equals_that_slice(seed in any::<u64>(), a in 0u64..20_000, len in 1usize..3000) {
        let p = plan(&generator(seed, FIELDS));
        let whole = p.generate(a.saturating_sub(100), len + 200).expect("gen");
        let part = p.generate(a, len).expect("gen");
        let offset = (a - a.saturating_sub(100)) as usize;
        prop_assert_eq!(part, whole.slice(offset, len));
    }

    #[test]
    fn any_rows_generated_alone_equal_those_rows_of_a_range(seed in any::<u64>(), picks in prop::collection::vec(0u64..2000, 1..300)) {
        let p = plan(&generator(seed, FIELDS.iter().chain(DEPENDENT)));
        let whole = p.generate(0, 2000).expect("gen");
        let some = p.generate_rows(&picks).expect("gen");
        let idx = arrow_array::UInt64Array::from(picks.clone());
        prop_assert_eq!(some, arrow_select::take::take_record_batch(&whole, &idx).expect("take"));
    }

    #[test]
    fn dependent_fields_slice_like_the_others(seed in any::<u64>(), a in 0u64..20_000, len in 1usize..3000) {
        let p = plan(&generator(seed, FIELDS.iter().chain(DEPENDENT)));
        let whole = p.generate(a.saturating_sub(100), len + 200).expect("gen");
        let part = p.generate(a, len).expect("gen");
        let offset = (a - a.saturating_sub(100)) as usize;
        prop_assert_eq!(part, whole.slice(offset, len));
    }

    #[test]
    fn a_field_does_not_depend_on_the_others(
        seed in any::<u64>(),
        mask in 1u32..(1 << FIELDS.len()),
        a in 0u64..1_000_000,
    ) {
        let all = rows(seed, FIELDS, a, 300);
        // The fields of `mask`, in reverse order.
        let subset = FIELDS.iter().enumerate().rev().filter(|(i, _)| (mask >> i) & 1 == 1).map(|(_, f)| *f);
        let some = rows(seed, subset, a, 300);
        for field in some.schema().fields() {
            let name = field.name();
            prop_assert_eq!(some.column_by_name(name), all.column_by_name(name), "field {}", name);
        }
    }

    #[test]
    fn the_loader_never_panics_and_reports_something(doc in arb_json()) {
        match sdg_engine::spec::spec_from_value(&doc) {
            Ok(spec) => {
                // A structurally valid document either compiles or says why.
                if let Err(issues) = sdg_engine::Plan::compile(&spec) {
                    prop_assert!(!issues.is_empty());
                }
            }
            Err(issues) => prop_assert!(!issues.is_empty()),
        }
    }

    #[test]
    fn sequences_follow_start_step_and_end(
        start in -1_000_000i64..1_000_000,
        step in prop_oneof![-1000i64..0, 1i64..1000],
        count in prop::option::of(0u64..500),
        a in 0u64..1_000_000,
    ) {
        let end = count.map(|c| start + c as i64 * step);
        let end_param = end.map(|e| format!(", end: {e}")).unwrap_or_default();
        let field = format!("{{ name: v, type: SEQUENCE, params: {{ start: {start}, step: {step}{end_param} }} }}");
        let b = rows(1, [field], a, 300);
        let v = b.column(0).as_primitive::<Int64Type>();
        for (i, got) in v.values().iter().enumerate() {
            let row = a + i as u64;
            let k = count.map_or(row, |c| row % (c + 1));
            prop_assert_eq!(*got, start + k as i64 * step, "row {}", row);
            if let Some(e) = end {
                prop_assert!((start.min(e)..=start.max(e)).contains(got));
            }
        }
    }

    #[test]
    fn text_sequences_have_their_prefix_and_padding(
        start in -100_000i64..100_000,
        step in prop_oneof![-50i64..0, 1i64..50],
        padding in 0usize..12,
        prefix in "[A-Z]{0,4}-?",
    ) {
        let params = format!("start: {start}, step: {step}, prefix: \"{prefix}\", padding: {padding}");
        let b = rows(1, [format!("{{ name: v, type: SEQUENCE, params: {{ {params} }} }}")], 0, 300);
        let v = b.column(0).as_string::<i32>();
        for row in 0..300 {
            let n = start + row as i64 * step;
            let digits = n.unsigned_abs().to_string();
            let zeros = "0".repeat(padding.saturating_sub(digits.len()));
            let expected = format!("{prefix}{}{zeros}{digits}", if n < 0 { "-" } else { "" });
            prop_assert_eq!(v.value(row), expected.as_str());
        }
    }

    #[test]
    fn uuids_carry_their_version_and_v7_its_simulated_time(
        seed in any::<u64>(),
        secs in 0i64..4_000_000_000,
        step_us in 0i64..10_000_000,
        a in 0u64..1_000_000,
    ) {
        let v7 = format!("version: 7, start: \"{}\", step: {step_us}us", rfc3339(secs));
        let b = rows(seed, [
            "{ name: u4, type: UUID_GENERATED, params: { version: 4 } }".to_string(),
            format!("{{ name: u7, type: UUID_GENERATED, params: {{ {v7} }} }}"),
        ], a, 300);
        let (u4, u7) = (b.column(0).as_fixed_size_binary(), b.column(1).as_fixed_size_binary());
        let mut previous = 0u128;
        for i in 0..300 {
            let (x4, x7) = (u4.value(i), u7.value(i));
            prop_assert_eq!((x4[6] >> 4, x4[8] >> 6), (4, 0b10), "v4 version and variant");
            prop_assert_eq!((x7[6] >> 4, x7[8] >> 6), (7, 0b10), "v7 version and variant");
            let mut ms = [0u8; 8];
            ms[2..].copy_from_slice(&x7[..6]);
            let us = secs * 1_000_000 + (a + i as u64) as i64 * step_us;
            prop_assert_eq!(u64::from_be_bytes(ms) as i64, us.div_euclid(1000), "v7: the row's simulated ms");
            let time_bits = u128::from_be_bytes(x7.try_into().expect("16 bytes")) >> 64;
            prop_assert!(time_bits >= previous, "v7 UUIDs are in row order");
            previous = time_bits;
        }
    }

    #[test]
    fn simulated_timestamps_stay_within_step_and_jitter(
        seed in any::<u64>(),
        secs in 0i64..4_000_000_000,
        step_ms in 0i64..100_000,
        jitter_ms in 0i64..10_000,
        a in 0u64..1_000_000,
    ) {
        let params = format!("start: \"{}\", step: {step_ms}ms, jitter: {jitter_ms}ms", rfc3339(secs));
        let b = rows(seed, [
            format!("{{ name: us, type: TIMESTAMP_GENERATED, params: {{ {params} }} }}"),
            format!("{{ name: ms, type: TIMESTAMP_GENERATED, params: {{ {params}, format: epoch_millis }} }}"),
        ], a, 300);
        let us = b.column(0).as_primitive::<TimestampMicrosecondType>();
        let ms = b.column(1).as_primitive::<Int64Type>();
        for i in 0..300 {
            let base = secs * 1_000_000 + (a + i as u64) as i64 * step_ms * 1000;
            let hi = base + jitter_ms * 1000;
            prop_assert!((base..=hi).contains(&us.value(i)), "{} not in [{base}, {hi}]", us.value(i));
            let m = ms.value(i);
            prop_assert!((base / 1000..=hi / 1000).contains(&m), "{} ms not in [{base}, {hi}] µs", m);
        }
    }

    #[test]
    fn enums_pick_only_values_of_positive_weight(
        seed in any::<u64>(),
        weights in prop::collection::vec(0u8..4, 1..8),
        weighted in any::<bool>(),
    ) {
        let mut weights = weights;
        if weights.iter().all(|w| *w == 0) {
            weights[0] = 1;
        }
        let values: Vec<String> = (0..weights.len()).map(|i| format!("v{i}")).collect();
        let w = if weighted { format!(", weights: {weights:?}") } else { String::new() };
        let field = format!("{{ name: e, type: ENUM_RANDOM, params: {{ values: [{}]{w} }} }}", values.join(", "));
        let b = rows(seed, [field], 0, 2000);
        let d = b.column(0).as_dictionary::<Int32Type>();
        let texts = d.values().as_string::<i32>();
        for key in d.keys().values() {
            let text = texts.value(*key as usize);
            let i = values.iter().position(|v| v == text);
            prop_assert!(i.is_some(), "{} is not one of the values", text);
            prop_assert!(!weighted || weights[i.unwrap_or(0)] > 0, "{} has weight 0", text);
        }
    }

    #[test]
    fn numeric_ranges_respect_any_bounds(lo in -1_000_000i64..1_000_000, span in 0i64..1_000_000, dist in 0usize..5) {
        let d = ["uniform", "normal", "lognormal", "exponential", "zipf"][dist];
        let params = format!("min: {lo}, max: {}, distribution: {d}", lo + span);
        let b = rows(1, [format!("{{ name: v, type: NUMERIC_RANGE, params: {{ {params} }} }}")], 0, 500);
        let v = b.column(0).as_primitive::<Int64Type>();
        prop_assert!(v.values().iter().all(|x| (lo..=lo + span).contains(x)));
    }

    #[test]
    fn decimal_ranges_respect_bounds_and_decimals(
        seed in any::<u64>(),
        lo in -1_000_000i64..1_000_000,
        span in 0i64..1_000_000,
        decimals in 1u32..7,
        dist in 0usize..4,
    ) {
        let d = ["uniform", "normal", "lognormal", "exponential"][dist];
        let scale = 10f64.powi(decimals as i32);
        // Bounds on the grid of `decimals`, written as decimal text.
        let (min, max) = (lo as f64 / scale, (lo + span) as f64 / scale);
        let (lo_text, hi_text) = (decimal_text(lo, decimals), decimal_text(lo + span, decimals));
        let params = format!("min: {lo_text}, max: {hi_text}, distribution: {d}, decimals: {decimals}");
        let b = rows(seed, [format!("{{ name: v, type: NUMERIC_RANGE, params: {{ {params} }} }}")], 0, 500);
        let v = b.column(0).as_primitive::<Float64Type>();
        for x in v.values().iter() {
            prop_assert!((min..=max).contains(x), "{} not in [{}, {}]", x, min, max);
            prop_assert_eq!((x * scale).round() / scale, *x, "more than {} decimals", decimals);
        }
    }

    #[test]
    fn constants_are_their_value(
        n in any::<i64>(),
        milli in -1_000_000_000i64..1_000_000_000,
        b in any::<bool>(),
        s in "[a-zA-Z0-9 ]{1,12}",
    ) {
        let f = milli as f64 / 1000.0;
        let batch = rows(1, [
            format!("{{ name: i, type: CONSTANT, params: {{ value: {n} }} }}"),
            format!("{{ name: f, type: CONSTANT, params: {{ value: {f:?} }} }}"),
            format!("{{ name: b, type: CONSTANT, params: {{ value: {b} }} }}"),
            format!("{{ name: s, type: CONSTANT, params: {{ value: \"{s}\" }} }}"),
        ], 0, 100);
        prop_assert!(batch.column(0).as_primitive::<Int64Type>().values().iter().all(|v| *v == n));
        prop_assert!(batch.column(1).as_primitive::<Float64Type>().values().iter().all(|v| *v == f));
        let bools = batch.column(2).as_boolean();
        prop_assert!((0..100).all(|i| bools.value(i) == b));
        let d = batch.column(3).as_dictionary::<Int32Type>();
        let texts = d.values().as_string::<i32>();
        prop_assert!(d.keys().values().iter().all(|k| texts.value(*k as usize) == s));
    }

    #[test]
    fn null_ratios_give_that_share_of_nulls(
        seed in any::<u64>(),
        field in 0usize..FIELDS.len(),
        percent in 0u32..=100,
        a in 0u64..1_000_000,
    ) {
        // FIELDS[field] with its null_ratio replaced.
        let f = FIELDS[field];
        let f = f.find(", null_ratio").map_or_else(|| f.strip_suffix(" }").expect("a flow mapping"), |i| &f[..i]);
        let ratio = percent as f64 / 100.0;
        let b = rows(seed, [format!("{f}, null_ratio: {ratio} }}")], a, 10_000);
        let nulls = b.column(0).null_count();
        match percent {
            0 => prop_assert_eq!(nulls, 0),
            100 => prop_assert_eq!(nulls, 10_000),
            // Binomial: the standard deviation of the share is at most 0.005 here.
            _ => prop_assert!((nulls as f64 / 10_000.0 - ratio).abs() < 0.03, "{} nulls for {}", nulls, ratio),
        }
    }
}
