//! Validation reports every problem with its path and a hint.

mod common;
use common::{problems, with_fields};

fn has(problems: &[String], needle: &str) -> bool {
    problems.iter().any(|p| p.contains(needle))
}

#[track_caller]
fn expect(yaml: &str, needles: &[&str]) {
    let p = problems(yaml);
    for n in needles {
        assert!(has(&p, n), "expected a problem containing {n:?}, got:\n{}", p.join("\n"));
    }
}

#[test]
fn the_issue_example_is_valid() {
    let yaml = r#"
name: orders
description: Orders for the checkout load test
mode: BATCH
rate: 50000
seed: 42
batch_size: 8192
end_condition: { type: RECORD_COUNT, value: 1000000 }
on_error: STOP
destination: { type: FILE, config: { path: out/orders.csv, format: csv } }
fields:
  - { name: order_id,   type: SEQUENCE,            params: { start: 1, step: 1 } }
  - { name: id,         type: UUID_GENERATED,      params: { version: 4 } }
  - { name: created_at, type: TIMESTAMP_GENERATED, params: { start: "2026-01-01T00:00:00Z", step: "250ms", jitter: "100ms" } }
  - { name: status,     type: ENUM_RANDOM,         params: { values: [NEW, PAID, SHIPPED], weights: [5, 3, 2] } }
  - { name: amount,     type: NUMERIC_RANGE,       params: { min: 1, max: 500, distribution: lognormal, decimals: 2 } }
  - { name: region,     type: CONSTANT,            params: { value: eu-west } }
  - { name: coupon,     type: ENUM_RANDOM,         params: { values: [A10, B20] }, null_ratio: 0.7 }
"#;
    assert_eq!(problems(yaml), Vec::<String>::new());
}

#[test]
fn every_problem_is_reported_at_once() {
    let yaml = r#"
nmae: x
mode: REALTIME
destination: { type: FILE }
fields:
  - { name: a, type: NUMERIC_RANGE, params: { min: 10, max: 5 } }
  - { name: a, type: ENUM_RANDOM, params: { values: [] } }
  - { name: c, type: ENUM_RANDOM, params: { values: [x, y], weights: [1] } }
  - { name: d, type: TIMESTAMP_GENERATED, params: { step: "soon" } }
"#;
    // Structural problems first: the unknown key and the missing name.
    expect(yaml, &["unknown key `nmae` — did you mean `name`?", "missing required key `name`"]);
    let fixed = yaml.replace("nmae", "name");
    expect(
        &fixed,
        &[
            "rate: REALTIME mode needs a rate",
            "fields[0].params: min (10) is greater than max (5)",
            "fields[1].name: duplicate field name `a` (also fields[0])",
            "fields[1].params.values: the list of values is empty",
            "fields[2].params.weights: 1 weights for 2 values",
            "fields[3].params.step: `soon` is not a duration",
        ],
    );
    assert_eq!(problems(&fixed).len(), 6, "{:#?}", problems(&fixed));
}

#[test]
fn unknown_params_get_suggestions() {
    expect(
        &with_fields("  - { name: s, type: SEQUENCE, params: { strat: 5 } }"),
        &["fields[0].params: unknown key `strat` for SEQUENCE — did you mean `start`?"],
    );
    expect(
        &with_fields("  - { name: s, type: SEQUENCE, nul_ratio: 0.1 }"),
        &["fields[0]: unknown key `nul_ratio` — did you mean `null_ratio`?"],
    );
    expect(&with_fields("  - { name: s, type: SEQENCE }"), &["fields[0].type: unknown variant `SEQENCE`"]);
}

#[test]
fn wrong_types_name_the_parameter() {
    expect(
        &with_fields("  - { name: s, type: SEQUENCE, params: { start: abc } }"),
        &["fields[0].params.start: invalid type"],
    );
    expect(
        &with_fields("  - { name: n, type: NUMERIC_RANGE, params: { min: 1 } }"),
        &["fields[0].params: missing field `max`"],
    );
    expect(
        "name: t\nrate: fast\nseed: -1\ndestination: { type: FILE }\nfields: []",
        &["rate: expected rows per second or a profile, found the text \"fast\"", "seed: invalid value: integer `-1`"],
    );
    expect("name: t\ndestination: { type: FILE }\nfields: []", &["fields: there are no fields"]);
}

#[test]
fn bad_parameters_of_each_mapping_type() {
    let cases: &[(&str, &str)] = &[
        (
            "{ name: u, type: UUID_GENERATED, params: { version: 5 } }",
            "fields[0].params.version: UUID version 5 is not supported",
        ),
        (
            "{ name: u, type: UUID_GENERATED, params: { step: 1ms } }",
            "fields[0].params.step: `step` applies only to version 7",
        ),
        (
            "{ name: t, type: TIMESTAMP_GENERATED, params: { start: yesterday } }",
            "fields[0].params.start: `yesterday` is not an RFC 3339 timestamp",
        ),
        (
            "{ name: t, type: TIMESTAMP_GENERATED, params: { jitter: -5 } }",
            "fields[0].params.jitter: -5 is not a valid number of seconds",
        ),
        (
            "{ name: t, type: TIMESTAMP_GENERATED, params: { format: iso } }",
            "fields[0].params.format: unknown variant `iso`",
        ),
        (
            "{ name: e, type: ENUM_RANDOM, params: { values: [a, b], weights: [1, -1] } }",
            "fields[0].params.weights[1]: weight -1 is negative",
        ),
        (
            "{ name: e, type: ENUM_RANDOM, params: { values: [a, b], weights: [0, 0] } }",
            "fields[0].params.weights: all weights are zero",
        ),
        (
            "{ name: e, type: ENUM_RANDOM, params: { values: [[1], b] } }",
            "fields[0].params.values[0]: expected text, a number or a boolean",
        ),
        ("{ name: e, type: ENUM_RANDOM }", "fields[0].params: missing field `values`"),
        (
            "{ name: n, type: NUMERIC_RANGE, params: { min: 1, max: 9, distribution: gamma } }",
            "fields[0].params.distribution: unknown variant `gamma`",
        ),
        (
            "{ name: n, type: NUMERIC_RANGE, params: { min: 1, max: 9, mean: 3 } }",
            "fields[0].params.mean: `mean` does not apply to distribution uniform",
        ),
        (
            "{ name: n, type: NUMERIC_RANGE, params: { min: 1, max: 9, distribution: normal, stddev: 0 } }",
            "fields[0].params.stddev: stddev must be a positive number",
        ),
        (
            "{ name: n, type: NUMERIC_RANGE, params: { min: 1.5, max: 9, distribution: zipf, decimals: 1 } }",
            "fields[0].params.distribution: zipf draws integers",
        ),
        (
            "{ name: n, type: NUMERIC_RANGE, params: { min: 1.5, max: 9, decimals: 0 } }",
            "integer output needs integer min and max",
        ),
        (
            "{ name: n, type: NUMERIC_RANGE, params: { min: 1, max: 9, decimals: 20 } }",
            "fields[0].params.decimals: 20 decimals",
        ),
        ("{ name: c, type: CONSTANT }", "fields[0].params: missing field `value`"),
        (
            "{ name: c, type: CONSTANT, params: { value: [1, 2] } }",
            "fields[0].params.value: expected text, a number or a boolean",
        ),
        ("{ name: s, type: SEQUENCE, params: { step: 0 } }", "fields[0].params.step: step is 0"),
        (
            "{ name: s, type: SEQUENCE, params: { start: 10, end: 5 } }",
            "fields[0].params.end: end (5) is less than start (10)",
        ),
        (
            "{ name: s, type: SEQUENCE, params: { start: 1, step: -1, end: 5 } }",
            "fields[0].params.end: end (5) is greater than start (1)",
        ),
        (
            "{ name: s, type: SEQUENCE, params: { padding: 99 } }",
            "fields[0].params.padding: padding 99 is wider than 32",
        ),
        ("{ name: s, type: SEQUENCE, null_ratio: 1.5 }", "fields[0].null_ratio: null_ratio 1.5 is outside 0.0–1.0"),
    ];
    for (field, needle) in cases {
        expect(&with_fields(&format!("  - {field}")), &[needle]);
    }
}

#[test]
fn copula_problems_are_reported_with_their_paths() {
    let pool = "pools:\n  - name: p\n    source: { type: inline, columns: { a: [1, 2, 3, 4], b: [x, y, x, y] } }\n";
    let with = |copulas: &str, fields: &str| {
        format!("name: t\nseed: 1\ndestination: {{ type: BLACKHOLE }}\n{pool}copulas:\n{copulas}fields:\n{fields}")
    };
    let good = "  - { name: m, source: { pool: p }, columns: [a, b] }\n";
    let cases = [
        (
            with(
                "  - { name: orders, source: { pool: p }, columns: [a, b] }\n",
                "  - { name: a, type: COPULA_GENERATED, params: { model: order } }\n",
            ),
            "fields[0].params.model: unknown copula `order` — did you mean `orders`?",
        ),
        (
            with(good, "  - { name: a, type: COPULA_GENERATED, params: { model: zz } }\n"),
            "fields[0].params.model: unknown copula `zz` — declared copulas: m",
        ),
        (
            with(good, "  - { name: c, type: COPULA_GENERATED, params: { model: m } }\n"),
            "fields[0].params.column: copula `m` has no column `c`",
        ),
        (
            with(good, "  - { name: a, type: COPULA_GENERATED, params: { model: m, colum: a } }\n"),
            "fields[0].params: unknown key `colum` for COPULA_GENERATED — did you mean `column`?",
        ),
        (
            with(
                "  - { name: m, source: { pool: p } }\n",
                "  - { name: a, type: COPULA_GENERATED, params: { model: m } }\n",
            ),
            "copulas[0].columns: a copula fitted on a pool needs `columns`",
        ),
        (
            with(
                "  - { name: m, source: { pool: p }, columns: [a, z] }\n",
                "  - { name: a, type: COPULA_GENERATED, params: { model: m } }\n",
            ),
            "copulas[0].columns[1]: pool `p` has no column `z`",
        ),
        (
            with(
                "  - { name: m, source: { pool: q }, columns: [a] }\n",
                "  - { name: a, type: COPULA_GENERATED, params: { model: m } }\n",
            ),
            "copulas[0].source.pool: unknown pool `q`",
        ),
        (
            with(
                "  - { name: m, source: { pool: p }, columns: [a, b], conditions: { b: w } }\n",
                "  - { name: a, type: COPULA_GENERATED, params: { model: m } }\n",
            ),
            "copulas[0].conditions: condition `b: w`: `b` has no category `w`",
        ),
        (
            with(
                "  - { name: m, source: { pool: p }, columns: [a], marginals: weibull }\n",
                "  - { name: a, type: COPULA_GENERATED, params: { model: m } }\n",
            ),
            "copulas[0]: fitting copula `m`: unknown marginal family `weibull`",
        ),
        (
            with(
                "  - { name: m, source: { model: /no/such/model.json } }\n",
                "  - { name: a, type: COPULA_GENERATED, params: { model: m } }\n",
            ),
            "copulas[0].source.model: reading model file /no/such/model.json",
        ),
        (
            with(
                "  - { name: m, source: { trained: spend } }\n",
                "  - { name: a, type: COPULA_GENERATED, params: { model: m } }\n",
            ),
            "copulas[0].source.trained: no trained model `spend`",
        ),
    ];
    for (yaml, needle) in cases {
        let p = problems(&yaml);
        assert!(p.iter().any(|x| x.starts_with(needle)), "missing {needle:?} in {p:?}");
    }
    assert_eq!(
        problems(&with(good, "  - { name: a, type: COPULA_GENERATED, params: { model: m } }\n")),
        Vec::<String>::new()
    );
}

#[test]
fn run_level_settings_are_checked() {
    expect(
        "name: t\nrate: -3\nbatch_size: 0\nend_condition: { type: RECORD_COUNT, value: 0 }\ndestination: { type: FILE }\nfields: [{ name: a, type: SEQUENCE }]",
        &[
            "rate: rate must be between 0.001 and 1e12 rows per second, got -3",
            "batch_size: batch_size 0 is outside",
            "end_condition.value: a record count of 0",
        ],
    );
    expect(
        "name: t\nend_condition: { type: DURATION, value: forever }\ndestination: { type: FILE }\nfields: [{ name: a, type: SEQUENCE }]",
        &["end_condition: `forever` is not a duration"],
    );
    expect(
        "name: t\nend_condition: { type: DURATION, valeu: 3s }\ndestination: { type: FILE }\nfields: [{ name: a, type: SEQUENCE }]",
        &["end_condition: unknown key `valeu` — did you mean `value`?"],
    );
    expect("name: t\nfields: [{ name: a, type: SEQUENCE }]", &["missing required key `destination`"]);
    expect("- just\n- a list", &["expected a mapping of keys to values, found a list"]);
    expect("name: [unclosed", &["the document is not valid YAML"]);
}

#[test]
fn json_bodies_use_the_same_model() {
    let body = r#"{"name":"j","destination":{"type":"FILE","config":{"path":"x.csv"}},"fields":[{"name":"a","type":"SEQUENCE"}]}"#;
    let spec = sdg_engine::spec::parse_json(body).expect("valid JSON body");
    assert_eq!(spec.fields.len(), 1);
    let round = serde_json::to_string(&spec).expect("serializes");
    assert_eq!(sdg_engine::spec::parse_json(&round).expect("round trip"), spec);
    let bad = sdg_engine::spec::parse_json("{\"name\": ").expect_err("truncated JSON");
    assert!(bad.to_string().contains("not valid JSON"), "{bad}");
}

#[test]
fn disorder_problems_are_reported_with_their_paths() {
    let base = "name: t\ndestination: { type: BLACKHOLE }\nfields: [{ name: id, type: SEQUENCE }]\n";
    expect(
        &format!("{base}disorder: {{ late_ratio: 0.1, delay: {{ distribution: fixed, value: 1s }}, max: 5s }}\n"),
        &["disorder.rate: delays are in seconds"],
    );
    expect(
        &format!(
            "{base}rate: 100\ndisorder: {{ late_ratio: 1.5, delay: {{ distribution: uniform, min: 3s, max: 1s }}, max: 0s }}\nduplicate_ratio: -1\n"
        ),
        &[
            "disorder.late_ratio: 1.5 is not a share",
            "disorder.delay: min is longer than max",
            "disorder.max: must be longer than zero",
            "duplicate_ratio: -1 is not a share",
        ],
    );
    expect(
        &format!("{base}disorder: {{ late_ratio: 0.1, delay: {{ distribution: gamma }}, max: 1s }}\n"),
        &["disorder"],
    );
    expect(&format!("{base}disorder: {{ late: 0.1 }}\n"), &["disorder: unknown field `late`"]);
}
