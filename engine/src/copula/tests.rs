//! The copula on data whose joint law is known: marginals and correlations
//! come back, conditions are exact and shift the other columns as the
//! correlation says, degenerate columns fit, the model file round-trips.

use super::*;
use crate::mapping::Rows;
use arrow_array::{BooleanArray, Float64Array, Int64Array, StringArray};
use std::sync::Arc;

/// 20 000 rows: x ~ N(50, 10); y = 0.8·x-ish (ρ ≈ 0.8) in integers; a
/// segment that is `gold` when x is high; a flag; some nulls in y.
fn source() -> Vec<FitColumn> {
    let n = 20_000;
    let key = StreamKey::for_field(5, "source");
    let mut x = Vec::new();
    let mut y = Vec::new();
    let mut seg = Vec::new();
    let mut flag = Vec::new();
    for i in 0..n {
        let mut r = RowRng::from_bits(key.at(i as u64));
        let a: f64 = StandardNormal.sample(&mut r);
        let b: f64 = StandardNormal.sample(&mut r);
        let c: f64 = StandardNormal.sample(&mut r);
        x.push(50.0 + 10.0 * a);
        y.push((i % 10 != 0).then(|| (100.0 + 20.0 * (0.8 * a + 0.6 * b)).round() as i64));
        seg.push(Some(if a + 0.5 * c > 0.8 {
            "gold"
        } else if a + 0.5 * c > -0.5 {
            "silver"
        } else {
            "bronze"
        }));
        flag.push(Some(c > 0.3));
    }
    vec![
        ("x".into(), Arc::new(Float64Array::from(x)) as ArrayRef),
        ("y".into(), Arc::new(Int64Array::from(y)) as ArrayRef),
        ("segment".into(), Arc::new(StringArray::from(seg)) as ArrayRef),
        ("flag".into(), Arc::new(BooleanArray::from(flag)) as ArrayRef),
    ]
}

/// Text values of a category column (dictionary-encoded).
fn text(a: &ArrayRef) -> Vec<Option<String>> {
    let t = arrow_cast::cast(a, &DataType::Utf8).expect("text");
    t.as_string::<i32>().iter().map(|v| v.map(str::to_string)).collect()
}

fn sample(s: &Sampler, n: usize) -> Vec<FitColumn> {
    let cols: Vec<usize> = (0..s.model().columns.len()).collect();
    let arrays = s.sample(StreamKey::for_field(9, "copula"), Rows::Range { start: 0, len: n }, &cols);
    s.model().columns.iter().map(|c| c.name.clone()).zip(arrays).collect()
}

#[test]
fn a_fitted_copula_reproduces_marginals_and_correlation() {
    let src = source();
    let model = fit(&src, None, 1).expect("fits");
    assert_eq!(model.columns[1].kind, ColumnKind::Integer);
    assert!((model.columns[1].null_rate - 0.1).abs() < 1e-9);
    // Categories in the order of x, the column they go with: low x is bronze.
    let order: Vec<&str> = model.columns[2].categories.iter().map(|c| c.value.as_str()).collect();
    assert_eq!(order, ["bronze", "silver", "gold"]);
    assert!(model.correlation[0][2] > 0.6, "segment follows x: {:?}", model.correlation);
    assert!((model.correlation[0][1] - 0.8).abs() < 0.03, "{:?}", model.correlation);
    let s = Sampler::new(model, &Map::new()).expect("compiles");
    let generated = sample(&s, 10_000);
    let r = fidelity::report(&src, &generated).expect("report");
    for c in &r.columns {
        assert!(c.value <= 0.05, "{c:?}");
    }
    assert!(r.max_spearman_delta <= 0.05 && r.max_pearson_delta <= 0.05, "{r:?}");
    assert!(r.quality > 0.9, "{r:?}");
    // Integers stay integers within the source's bounds; about 10 % nulls.
    let y = generated[1].1.as_primitive::<Int64Type>();
    let nulls = y.null_count() as f64 / y.len() as f64;
    assert!((nulls - 0.1).abs() < 0.015, "{nulls}");
}

#[test]
fn conditions_are_exact_and_shift_the_other_columns() {
    let model = fit(&source(), None, 1).expect("fits");
    let mean = |a: &ArrayRef| {
        let v: Vec<f64> = arrow_cast::cast(a, &DataType::Float64)
            .expect("cast")
            .as_primitive::<Float64Type>()
            .iter()
            .flatten()
            .collect();
        v.iter().sum::<f64>() / v.len() as f64
    };
    let free = sample(&Sampler::new(model.clone(), &Map::new()).expect("free"), 10_000);
    // x fixed one standard deviation up: y's mean moves up by ρ·σ_y ≈ 16.
    let mut c = Map::new();
    c.insert("x".into(), serde_json::json!(60.0));
    let fixed = sample(&Sampler::new(model.clone(), &c).expect("x = 60"), 10_000);
    let xs = fixed[0].1.as_primitive::<Float64Type>();
    assert!(xs.iter().all(|v| v == Some(60.0)), "every row has x = 60 exactly");
    let shift = mean(&fixed[1].1) - mean(&free[1].1);
    assert!((shift - 16.0).abs() < 1.5, "y moved by {shift}");
    // A category: every row gold, and x is high in those rows.
    let mut c = Map::new();
    c.insert("segment".into(), serde_json::json!("gold"));
    let gold = sample(&Sampler::new(model.clone(), &c).expect("gold"), 5000);
    assert!(text(&gold[2].1).iter().all(|v| v.as_deref() == Some("gold")));
    assert!(mean(&gold[0].1) > mean(&free[0].1) + 8.0, "gold rows have high x");
    // Errors name what is wrong.
    let mut c = Map::new();
    c.insert("segment".into(), serde_json::json!("platinum"));
    let e = Sampler::new(model.clone(), &c).expect_err("unknown category");
    assert!(e.contains("has no category `platinum`") && e.contains("silver"), "{e}");
    let mut c = Map::new();
    c.insert("z".into(), serde_json::json!(1));
    assert!(Sampler::new(model.clone(), &c).expect_err("no column").contains("its columns: x, y, segment, flag"));
    let mut c = Map::new();
    c.insert("x".into(), serde_json::json!("high"));
    assert!(Sampler::new(model, &c).expect_err("text for a number").contains("give a number"));
}

#[test]
fn a_row_is_the_same_in_any_batch() {
    let s = Sampler::new(fit(&source(), None, 1).expect("fits"), &Map::new()).expect("compiles");
    let key = StreamKey::for_field(3, "m");
    let all = s.sample(key, Rows::Range { start: 0, len: 1000 }, &[0, 2]);
    let some = s.sample(key, Rows::List(&[999, 3, 500]), &[0, 2]);
    let x = all[0].as_primitive::<Float64Type>();
    let picked = some[0].as_primitive::<Float64Type>();
    assert_eq!([picked.value(0), picked.value(1), picked.value(2)], [x.value(999), x.value(3), x.value(500)]);
    let later = s.sample(key, Rows::Range { start: 500, len: 10 }, &[2]);
    assert_eq!(text(&later[0])[0], text(&all[1])[500]);
    // A column (its values and its nulls) is the same whichever other columns are asked for.
    let y_alone = s.sample(key, Rows::Range { start: 0, len: 1000 }, &[1]);
    let y_with = s.sample(key, Rows::Range { start: 0, len: 1000 }, &[3, 0, 1]);
    assert_eq!(y_alone[0].as_ref(), y_with[2].as_ref());
    assert!(y_alone[0].null_count() > 50, "y has its source's nulls");
}

#[test]
fn degenerate_columns_fit_without_panicking() {
    let n = 500;
    let x: Vec<f64> = (0..n).map(|i| i as f64).collect();
    let cols: Vec<FitColumn> = vec![
        ("x".into(), Arc::new(Float64Array::from(x.clone()))),
        ("same".into(), Arc::new(Float64Array::from(x))),
        ("constant".into(), Arc::new(Int64Array::from(vec![7; n]))),
        ("empty".into(), Arc::new(Float64Array::from(vec![None::<f64>; n]))),
        ("one".into(), Arc::new(StringArray::from(vec!["only"; n]))),
    ];
    let model = fit(&cols, None, 2).expect("fits");
    assert!(model.repaired, "two identical columns: the correlation is repaired");
    let s = Sampler::new(model.clone(), &Map::new()).expect("samples");
    let out = sample(&s, 2000);
    assert!(out[2].1.as_primitive::<Int64Type>().iter().all(|v| v == Some(7)));
    assert_eq!(out[3].1.null_count(), 2000);
    assert!(text(&out[4].1).iter().all(|v| v.as_deref() == Some("only")));
    let (a, b) = (out[0].1.as_primitive::<Float64Type>(), out[1].1.as_primitive::<Float64Type>());
    let close = (0..2000).filter(|&i| (a.value(i) - b.value(i)).abs() < 25.0).count();
    assert!(close > 1900, "identical columns stay together ({close})");
    // A family that cannot describe a column says so.
    let e = fit(&cols[2..3], Some(&MarginalsSpec::All("gamma".into())), 1).expect_err("constant gamma");
    assert!(e.contains("column `constant`: the gamma family cannot describe"), "{e}");
    let e = fit(&cols[..1], Some(&MarginalsSpec::All("weibull".into())), 1).expect_err("unknown");
    assert!(e.contains("unknown marginal family `weibull`"), "{e}");
    assert!(fit(&[], None, 1).is_err());
    let twice = vec![cols[0].clone(), cols[0].clone()];
    assert_eq!(fit(&twice, None, 1).expect_err("twice"), "column `x` is listed twice");
}

#[test]
fn the_model_file_round_trips() {
    let model = fit(&source(), Some(&MarginalsSpec::All("empirical".into())), 1).expect("fits");
    let text = model.to_json();
    assert_eq!(Model::from_json(&text).expect("reads"), model);
    let mut other: Value = serde_json::from_str(&text).expect("json");
    other["version"] = serde_json::json!(2);
    assert!(Model::from_json(&other.to_string()).expect_err("v2").contains("has version 2; this sdg reads version 1"));
    other["format"] = serde_json::json!("x");
    assert!(Model::from_json(&other.to_string()).expect_err("format").contains("not an sdg model file"));
    // A hand-edited file is checked, never sampled into a panic.
    let edits: [(&str, Value); 5] = [
        ("/columns/0/marginal/quantiles", serde_json::json!([])),
        ("/correlation/0/1", serde_json::json!(3.0)),
        ("/correlation/0/0", serde_json::json!(0.5)),
        ("/columns/2/categories/0/frequency", serde_json::json!(-1.0)),
        ("/columns/1/null_rate", serde_json::json!(2.0)),
    ];
    for (at, v) in edits {
        let mut edited: Value = serde_json::from_str(&text).expect("json");
        *edited.pointer_mut(at).expect(at) = v;
        let e = Model::from_json(&edited.to_string()).expect_err(at);
        assert!(e.starts_with("the model file's"), "{at}: {e}");
    }
    let narrowed = model.select(&["segment".into(), "x".into()]).expect("select");
    assert_eq!(narrowed.columns[0].name, "segment");
    assert_eq!(narrowed.correlation[0][1], model.correlation[2][0]);
}
