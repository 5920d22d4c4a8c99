//! Each mapping type produces the values its parameters promise.

mod common;
use arrow_array::cast::AsArray;
use arrow_array::types::{Float64Type, Int32Type, Int64Type, TimestampMicrosecondType};
use arrow_array::{Array, RecordBatch};
use arrow_schema::{DataType, TimeUnit};
use common::{plan, with_fields};

fn one(field: &str, rows: usize) -> RecordBatch {
    plan(&with_fields(&format!("  - {field}"))).generate(0, rows).expect("generates")
}

fn ints(b: &RecordBatch) -> Vec<i64> {
    b.column(0).as_primitive::<Int64Type>().values().to_vec()
}

fn floats(b: &RecordBatch) -> Vec<f64> {
    b.column(0).as_primitive::<Float64Type>().values().to_vec()
}

fn texts(b: &RecordBatch) -> Vec<String> {
    let col = b.column(0);
    match col.data_type() {
        DataType::Utf8 => col.as_string::<i32>().iter().map(|v| v.unwrap_or("∅").to_string()).collect(),
        DataType::Dictionary(..) => {
            let d = col.as_dictionary::<Int32Type>();
            let values = d.values().as_string::<i32>();
            d.keys().iter().map(|k| k.map(|k| values.value(k as usize).to_string()).unwrap_or("∅".into())).collect()
        }
        other => panic!("not text: {other}"),
    }
}

#[test]
fn sequence_counts_wraps_and_formats() {
    assert_eq!(ints(&one("{ name: s, type: SEQUENCE }", 4)), [1, 2, 3, 4]);
    assert_eq!(ints(&one("{ name: s, type: SEQUENCE, params: { start: 10, step: -5 } }", 3)), [10, 5, 0]);
    assert_eq!(ints(&one("{ name: s, type: SEQUENCE, params: { start: 1, end: 3 } }", 7)), [1, 2, 3, 1, 2, 3, 1]);
    assert_eq!(ints(&one("{ name: s, type: SEQUENCE, params: { start: 0, step: 10, end: 25 } }", 4)), [0, 10, 20, 0]);
    assert_eq!(
        texts(&one("{ name: s, type: SEQUENCE, params: { start: 98, prefix: ORD-, padding: 4 } }", 3)),
        ["ORD-0098", "ORD-0099", "ORD-0100"]
    );
    assert_eq!(
        texts(&one("{ name: s, type: SEQUENCE, params: { start: -2, padding: 3 } }", 3)),
        ["-002", "-001", "000"]
    );
}

#[test]
fn uuids_have_their_version_and_variant() {
    for (version, nibble) in [(4, 0x40), (7, 0x70)] {
        let b = one(&format!("{{ name: u, type: UUID_GENERATED, params: {{ version: {version} }} }}"), 1000);
        let col = b.column(0).as_fixed_size_binary();
        assert_eq!(col.value_length(), 16);
        let field = b.schema().field(0).clone();
        assert_eq!(field.metadata().get("ARROW:extension:name").map(String::as_str), Some("arrow.uuid"));
        let mut seen = std::collections::HashSet::new();
        for i in 0..col.len() {
            let u = col.value(i);
            assert_eq!(u[6] & 0xF0, nibble, "version nibble");
            assert_eq!(u[8] & 0xC0, 0x80, "RFC 9562 variant");
            assert!(seen.insert(u.to_vec()), "duplicate uuid");
        }
    }
}

#[test]
fn uuid_v7_is_time_ordered_from_start() {
    let b = one(
        "{ name: u, type: UUID_GENERATED, params: { version: 7, start: \"2026-01-01T00:00:00Z\", step: 1ms } }",
        100,
    );
    let col = b.column(0).as_fixed_size_binary();
    let ms = |i: usize| {
        u64::from_be_bytes([
            0,
            0,
            col.value(i)[0],
            col.value(i)[1],
            col.value(i)[2],
            col.value(i)[3],
            col.value(i)[4],
            col.value(i)[5],
        ])
    };
    assert_eq!(ms(0), 1_767_225_600_000);
    assert_eq!(ms(99), 1_767_225_600_099);
    assert!((1..100).all(|i| col.value(i) > col.value(i - 1)));
}

#[test]
fn timestamps_follow_the_simulated_clock() {
    let b = one("{ name: t, type: TIMESTAMP_GENERATED, params: { start: \"2026-01-01T00:00:00Z\", step: 250ms } }", 3);
    assert_eq!(b.schema().field(0).data_type(), &DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into())));
    let v = b.column(0).as_primitive::<TimestampMicrosecondType>().values().to_vec();
    assert_eq!(v, [1_767_225_600_000_000, 1_767_225_600_250_000, 1_767_225_600_500_000]);

    let b = one(
        "{ name: t, type: TIMESTAMP_GENERATED, params: { start: \"2026-01-01T00:00:00Z\", step: 1s, jitter: 100ms } }",
        5000,
    );
    let v = b.column(0).as_primitive::<TimestampMicrosecondType>().values().to_vec();
    for (i, t) in v.iter().enumerate() {
        let base = 1_767_225_600_000_000 + i as i64 * 1_000_000;
        assert!((base..=base + 100_000).contains(t), "row {i}: {t} outside [base, base+jitter]");
    }
    assert!(v.iter().enumerate().any(|(i, t)| *t != 1_767_225_600_000_000 + i as i64 * 1_000_000), "jitter applied");

    let b = one(
        "{ name: t, type: TIMESTAMP_GENERATED, params: { start: \"1970-01-01T00:00:01Z\", step: 1ms, format: epoch_millis } }",
        2,
    );
    assert_eq!(ints(&b), [1000, 1001]);
}

#[test]
fn realtime_timestamps_use_the_wall_clock() {
    let p = plan(
        "name: t\nmode: REALTIME\nrate: 100\ndestination: { type: BLACKHOLE }\nfields: [{ name: t, type: TIMESTAMP_GENERATED }]",
    );
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).expect("clock").as_micros() as i64;
    let b = p.generate(0, 3).expect("generates");
    let v = b.column(0).as_primitive::<TimestampMicrosecondType>().values().to_vec();
    assert!((v[0] - now).abs() < 60_000_000, "{} vs now {now}", v[0]);
    assert_eq!(v[1] - v[0], 10_000, "rows spaced by 1/rate");
}

#[test]
fn enums_follow_weights() {
    let b =
        one("{ name: e, type: ENUM_RANDOM, params: { values: [NEW, PAID, SHIPPED], weights: [5, 3, 2] } }", 100_000);
    let t = texts(&b);
    let share = |v: &str| t.iter().filter(|x| *x == v).count() as f64 / t.len() as f64;
    assert!(
        (share("NEW") - 0.5).abs() < 0.01
            && (share("PAID") - 0.3).abs() < 0.01
            && (share("SHIPPED") - 0.2).abs() < 0.01
    );

    let t = texts(&one("{ name: e, type: ENUM_RANDOM, params: { values: [1, true, x] } }", 30_000));
    for v in ["1", "true", "x"] {
        let s = t.iter().filter(|x| *x == v).count() as f64 / t.len() as f64;
        assert!((s - 1.0 / 3.0).abs() < 0.02, "{v}: {s}");
    }
}

#[test]
fn numeric_ranges_stay_in_bounds_for_every_distribution() {
    for dist in ["uniform", "normal", "lognormal", "exponential", "zipf"] {
        let b = one(
            &format!("{{ name: n, type: NUMERIC_RANGE, params: {{ min: 10, max: 20, distribution: {dist} }} }}"),
            20_000,
        );
        let v = ints(&b);
        assert!(v.iter().all(|x| (10..=20).contains(x)), "{dist}: out of range");
        let distinct: std::collections::BTreeSet<_> = v.iter().collect();
        assert!(distinct.len() > 5, "{dist}: only {distinct:?}");
    }
    for dist in ["uniform", "normal", "lognormal", "exponential"] {
        let b = one(
            &format!(
                "{{ name: n, type: NUMERIC_RANGE, params: {{ min: -1.5, max: 2.5, decimals: 2, distribution: {dist} }} }}"
            ),
            20_000,
        );
        let v = floats(&b);
        assert!(v.iter().all(|x| (-1.5..=2.5).contains(x)), "{dist}: out of range");
        assert!(v.iter().all(|x| ((x * 100.0).round() - x * 100.0).abs() < 1e-6), "{dist}: not rounded to 2 decimals");
    }
}

#[test]
fn numeric_distributions_have_their_shape() {
    let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len() as f64;
    let to_f = |v: Vec<i64>| v.into_iter().map(|x| x as f64).collect::<Vec<_>>();
    let u = to_f(ints(&one("{ name: n, type: NUMERIC_RANGE, params: { min: 0, max: 100 } }", 50_000)));
    assert!((mean(&u) - 50.0).abs() < 1.0);
    let n = floats(&one(
        "{ name: n, type: NUMERIC_RANGE, params: { min: 0, max: 100, decimals: 3, distribution: normal, mean: 30, stddev: 5 } }",
        50_000,
    ));
    let m = mean(&n);
    let sd = (n.iter().map(|x| (x - m).powi(2)).sum::<f64>() / n.len() as f64).sqrt();
    assert!((m - 30.0).abs() < 0.2 && (sd - 5.0).abs() < 0.2, "mean {m} sd {sd}");
    let e = floats(&one(
        "{ name: n, type: NUMERIC_RANGE, params: { min: 0, max: 1000, decimals: 4, distribution: exponential, lambda: 0.5 } }",
        50_000,
    ));
    assert!((mean(&e) - 2.0).abs() < 0.1, "exponential mean {}", mean(&e));
    let z = ints(&one(
        "{ name: n, type: NUMERIC_RANGE, params: { min: 1, max: 1000, distribution: zipf, exponent: 1.2 } }",
        50_000,
    ));
    let ones = z.iter().filter(|x| **x == 1).count();
    let twos = z.iter().filter(|x| **x == 2).count();
    assert!(ones > twos && twos > z.iter().filter(|x| **x == 10).count(), "zipf ranks decrease");
    let l = floats(&one(
        "{ name: n, type: NUMERIC_RANGE, params: { min: 0, max: 1000000, decimals: 2, distribution: lognormal, mu: 3, sigma: 0.5 } }",
        50_000,
    ));
    let mut sorted = l.clone();
    sorted.sort_by(f64::total_cmp);
    let median = sorted[sorted.len() / 2];
    assert!((median - 3f64.exp()).abs() < 0.5, "lognormal median {median}");
}

#[test]
fn constants_keep_their_type() {
    assert_eq!(texts(&one("{ name: c, type: CONSTANT, params: { value: eu-west } }", 2)), ["eu-west", "eu-west"]);
    assert_eq!(ints(&one("{ name: c, type: CONSTANT, params: { value: 42 } }", 2)), [42, 42]);
    assert_eq!(floats(&one("{ name: c, type: CONSTANT, params: { value: 2.5 } }", 2)), [2.5, 2.5]);
    let b = one("{ name: c, type: CONSTANT, params: { value: true } }", 2);
    assert!(b.column(0).as_boolean().iter().all(|v| v == Some(true)));
}

#[test]
fn null_ratio_nulls_that_share_of_rows() {
    for (ratio, field) in [
        (0.7, "{ name: c, type: ENUM_RANDOM, params: { values: [A10, B20] }, null_ratio: 0.7 }"),
        (0.25, "{ name: c, type: SEQUENCE, params: { prefix: x }, null_ratio: 0.25 }"),
        (0.5, "{ name: c, type: UUID_GENERATED, null_ratio: 0.5 }"),
        (0.1, "{ name: c, type: TIMESTAMP_GENERATED, null_ratio: 0.1 }"),
        (0.9, "{ name: c, type: NUMERIC_RANGE, params: { min: 0, max: 1 }, null_ratio: 0.9 }"),
        (0.3, "{ name: c, type: CONSTANT, params: { value: 1.5 }, null_ratio: 0.3 }"),
        (1.0, "{ name: c, type: CONSTANT, params: { value: true }, null_ratio: 1.0 }"),
        (0.0, "{ name: c, type: SEQUENCE, null_ratio: 0.0 }"),
    ] {
        let b = one(field, 50_000);
        let share = b.column(0).null_count() as f64 / 50_000.0;
        assert!((share - ratio).abs() < 0.01, "{field}: null share {share}");
    }
    let t = texts(&one("{ name: c, type: SEQUENCE, params: { prefix: x }, null_ratio: 0.5 }", 100));
    assert!(t.iter().all(|v| v == "∅" || v.starts_with('x')));
}

#[test]
fn blank_ratio_blanks_that_share_of_text_rows_and_keeps_nulls() {
    for field in [
        "{ name: c, type: ENUM_RANDOM, params: { values: [A10, B20] }, blank_ratio: 0.3, null_ratio: 0.2 }",
        "{ name: c, type: SEQUENCE, params: { prefix: x }, blank_ratio: 0.3, null_ratio: 0.2 }",
        "{ name: c, type: CATALOG, params: { kind: email }, blank_ratio: 0.3, null_ratio: 0.2 }",
    ] {
        let b = one(field, 50_000);
        let t = texts(&b);
        let blank = t.iter().filter(|v| v.is_empty()).count() as f64 / 50_000.0;
        let null = t.iter().filter(|v| *v == "∅").count() as f64 / 50_000.0;
        // Blanks are drawn over every row; null rows stay null.
        assert!((blank - 0.3 * 0.8).abs() < 0.01, "{field}: blank share {blank}");
        assert!((null - 0.2).abs() < 0.01, "{field}: null share {null}");
        let without = texts(&one(&field.replace("blank_ratio: 0.3, ", ""), 50_000));
        for (a, b) in t.iter().zip(&without) {
            assert!(a.is_empty() || a == b, "blanks change nothing else: {a} / {b}");
        }
    }
    let all = texts(&one("{ name: c, type: SEQUENCE, params: { prefix: x }, blank_ratio: 1 }", 100));
    assert!(all.iter().all(String::is_empty));
    let problems = common::problems(&with_fields(
        "  - { name: n, type: NUMERIC_RANGE, params: { min: 0, max: 9 }, blank_ratio: 0.1 }\n  - { name: s, type: SEQUENCE, params: { prefix: x }, blank_ratio: 1.5 }",
    ));
    assert_eq!(
        problems,
        [
            "fields[0].blank_ratio: blank_ratio writes empty text, but `n` is of type Int64 — use null_ratio for columns that are not text",
            "fields[1].blank_ratio: blank_ratio 1.5 is outside 0.0–1.0",
        ]
    );
}

#[test]
fn a_fields_values_do_not_depend_on_other_fields() {
    let alone = plan(&with_fields("  - { name: amount, type: NUMERIC_RANGE, params: { min: 0, max: 1000 } }"))
        .generate(0, 100)
        .expect("gen");
    let with_more = plan(&with_fields(
        "  - { name: id, type: UUID_GENERATED }\n  - { name: amount, type: NUMERIC_RANGE, params: { min: 0, max: 1000 } }",
    ))
    .generate(0, 100)
    .expect("gen");
    assert_eq!(alone.column(0), with_more.column(1));
}
