//! Property tests: row ranges, the loader on arbitrary documents, and the
//! text of every mapping type staying within its parameters.

mod common;
use common::plan;
use proptest::prelude::*;
use serde_json::Value;

const MIXED: &str = r#"
name: p
seed: 9
destination: { type: BLACKHOLE }
fields:
  - { name: s, type: SEQUENCE, params: { start: 5, step: 3, end: 500 } }
  - { name: u, type: UUID_GENERATED, params: { version: 7 } }
  - { name: t, type: TIMESTAMP_GENERATED, params: { jitter: 1s } }
  - { name: e, type: ENUM_RANDOM, params: { values: [a, b, c], weights: [1, 2, 3] }, null_ratio: 0.2 }
  - { name: n, type: NUMERIC_RANGE, params: { min: -5, max: 5, distribution: normal, decimals: 1 } }
  - { name: z, type: NUMERIC_RANGE, params: { min: 1, max: 100, distribution: zipf } }
"#;

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

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn any_row_range_equals_that_slice(a in 0u64..20_000, len in 1usize..3000) {
        let p = plan(MIXED);
        let whole = p.generate(a.saturating_sub(100), len + 200).expect("gen");
        let part = p.generate(a, len).expect("gen");
        let offset = (a - a.saturating_sub(100)) as usize;
        prop_assert_eq!(part, whole.slice(offset, len));
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
    fn numeric_ranges_respect_any_bounds(lo in -1_000_000i64..1_000_000, span in 0i64..1_000_000, dist in 0usize..5) {
        let d = ["uniform", "normal", "lognormal", "exponential", "zipf"][dist];
        let yaml = format!(
            "name: n\nseed: 1\ndestination: {{ type: BLACKHOLE }}\nfields: [{{ name: v, type: NUMERIC_RANGE, params: {{ min: {lo}, max: {}, distribution: {d} }} }}]",
            lo + span
        );
        let b = plan(&yaml).generate(0, 500).expect("gen");
        let v = b.column(0).as_any().downcast_ref::<arrow_array::Int64Array>().expect("int64");
        prop_assert!(v.values().iter().all(|x| (lo..=lo + span).contains(x)));
    }
}
