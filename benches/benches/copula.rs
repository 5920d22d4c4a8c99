//! Gaussian copulas: sampling an 8-column model (4 numeric, 3 categorical, 1
//! boolean) into Arrow through a generator's plan, unconditioned and with a
//! condition on a category; fitting that model on 100 000 source rows.

use arrow_array::{ArrayRef, BooleanArray, Float64Array, Int64Array, StringArray};
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use sdg_engine::copula::{FitColumn, fit};
use sdg_engine::mapping::BatchCtx;
use sdg_engine::rng::{RowRng, StreamKey};
use sdg_engine::{Plan, Resources};
use std::hint::black_box;
use std::sync::Arc;

/// 100 000 rows of eight correlated columns.
fn source(n: usize) -> Vec<FitColumn> {
    let key = StreamKey::for_field(1, "bench");
    let mut cols: Vec<Vec<f64>> = (0..8).map(|_| Vec::with_capacity(n)).collect();
    for i in 0..n {
        let mut r = RowRng::from_bits(key.at(i as u64));
        let base = (r.next_u64() >> 11) as f64 / (1u64 << 53) as f64;
        for (k, c) in cols.iter_mut().enumerate() {
            let own = (r.next_u64() >> 11) as f64 / (1u64 << 53) as f64;
            c.push(0.6 * base + 0.4 * own + k as f64 * 0.01);
        }
    }
    let num = |k: usize, scale: f64| {
        Arc::new(Float64Array::from(cols[k].iter().map(|v| v * scale).collect::<Vec<_>>())) as ArrayRef
    };
    let int = |k: usize| {
        Arc::new(Int64Array::from(cols[k].iter().map(|v| (v * 20.0) as i64).collect::<Vec<_>>())) as ArrayRef
    };
    let cat = |k: usize, names: &[&str]| {
        let values: Vec<&str> =
            cols[k].iter().map(|v| names[((v * names.len() as f64) as usize).min(names.len() - 1)]).collect();
        Arc::new(StringArray::from(values)) as ArrayRef
    };
    vec![
        ("amount".into(), num(0, 500.0)),
        ("items".into(), int(1)),
        ("age".into(), int(2)),
        ("score".into(), num(3, 1.0)),
        ("segment".into(), cat(4, &["bronze", "silver", "gold", "platinum"])),
        ("channel".into(), cat(5, &["web", "ios", "android", "store", "phone"])),
        ("region".into(), cat(6, &["eu", "us", "apac"])),
        (
            "member".into(),
            Arc::new(BooleanArray::from(cols[7].iter().map(|v| *v > 0.5).collect::<Vec<_>>())) as ArrayRef,
        ),
    ]
}

fn plan(conditions: &str) -> Plan {
    let dir = std::env::temp_dir().join(format!("sdg-copula-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let model = fit(&source(100_000), None, 1).expect("fits");
    let path = dir.join("model.json");
    std::fs::write(&path, model.to_json()).expect("write");
    let fields: String = model
        .columns
        .iter()
        .map(|c| format!("  - {{ name: {}, type: COPULA_GENERATED, params: {{ model: m }} }}\n", c.name))
        .collect();
    let yaml = format!(
        "name: b\nseed: 1\ndestination: {{ type: BLACKHOLE }}\ncopulas:\n  - {{ name: m, source: {{ model: \"{}\" }}{conditions} }}\nfields:\n{fields}",
        path.display()
    );
    let spec = sdg_engine::spec::parse_yaml(&yaml).expect("definition");
    Plan::compile_with(&spec, &Resources::new()).expect("compiles")
}

fn sampling(c: &mut Criterion) {
    let mut group = c.benchmark_group("copula_sample");
    let rows = 8192usize;
    group.throughput(Throughput::Elements(rows as u64));
    for (name, conditions) in [("8_columns", ""), ("8_columns_given_segment", ", conditions: { segment: gold }")] {
        let p = plan(conditions);
        let mut locals = p.new_locals();
        group.bench_function(BenchmarkId::new(name, rows), |b| {
            let mut row = 0u64;
            b.iter(|| {
                row += rows as u64;
                black_box(p.generate_ctx(&BatchCtx::range(row, rows, 0, 0.0), &mut locals).expect("gen"))
            })
        });
    }
    group.finish();
}

fn fitting(c: &mut Criterion) {
    let data = source(100_000);
    let mut group = c.benchmark_group("copula_fit");
    group.sample_size(10);
    group.throughput(Throughput::Elements(100_000));
    group.bench_function("8_columns_100k_rows", |b| b.iter(|| black_box(fit(&data, None, 1).expect("fits"))));
    group.finish();
}

criterion_group!(benches, sampling, fitting);
criterion_main!(benches);
