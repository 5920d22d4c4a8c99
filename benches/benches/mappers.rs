//! Rows per second of each mapping type filling one Arrow column (8192-row batches).

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use sdg_benches::{one_field, orders};
use std::hint::black_box;

const ROWS: usize = 8192;

fn mappers(c: &mut Criterion) {
    let cases = [
        ("sequence", "{ name: f, type: SEQUENCE }"),
        ("sequence_text", "{ name: f, type: SEQUENCE, params: { prefix: ORD-, padding: 8 } }"),
        ("uuid_v4", "{ name: f, type: UUID_GENERATED }"),
        ("uuid_v7", "{ name: f, type: UUID_GENERATED, params: { version: 7 } }"),
        ("timestamp", "{ name: f, type: TIMESTAMP_GENERATED, params: { step: 250ms, jitter: 100ms } }"),
        ("enum_uniform", "{ name: f, type: ENUM_RANDOM, params: { values: [a, b, c, d] } }"),
        ("enum_weighted", "{ name: f, type: ENUM_RANDOM, params: { values: [a, b, c], weights: [5, 3, 2] } }"),
        ("numeric_uniform_int", "{ name: f, type: NUMERIC_RANGE, params: { min: 1, max: 1000 } }"),
        ("numeric_uniform_float", "{ name: f, type: NUMERIC_RANGE, params: { min: 1, max: 1000, decimals: 2 } }"),
        (
            "numeric_normal",
            "{ name: f, type: NUMERIC_RANGE, params: { min: 0, max: 100, decimals: 2, distribution: normal } }",
        ),
        (
            "numeric_lognormal",
            "{ name: f, type: NUMERIC_RANGE, params: { min: 1, max: 500, decimals: 2, distribution: lognormal } }",
        ),
        (
            "numeric_exponential",
            "{ name: f, type: NUMERIC_RANGE, params: { min: 1, max: 12, distribution: exponential } }",
        ),
        (
            "numeric_zipf",
            "{ name: f, type: NUMERIC_RANGE, params: { min: 1, max: 250000, distribution: zipf, exponent: 1.1 } }",
        ),
        ("constant_text", "{ name: f, type: CONSTANT, params: { value: eu-west } }"),
        ("null_ratio", "{ name: f, type: SEQUENCE, null_ratio: 0.3 }"),
        ("catalog_uuid", "{ name: f, type: CATALOG, params: { kind: uuid } }"),
        ("catalog_ulid", "{ name: f, type: CATALOG, params: { kind: ulid } }"),
        ("catalog_ipv4_public", "{ name: f, type: CATALOG, params: { kind: ipv4 } }"),
        ("catalog_ipv6", "{ name: f, type: CATALOG, params: { kind: ipv6 } }"),
        ("catalog_credit_card", "{ name: f, type: CATALOG, params: { kind: credit_card } }"),
        ("catalog_iban_de", "{ name: f, type: CATALOG, params: { kind: iban, country: DE } }"),
        ("catalog_isbn13", "{ name: f, type: CATALOG, params: { kind: isbn13 } }"),
        ("catalog_vin", "{ name: f, type: CATALOG, params: { kind: vin } }"),
        ("catalog_http_status", "{ name: f, type: CATALOG, params: { kind: http_status } }"),
    ];
    let mut group = c.benchmark_group("mapper");
    group.throughput(Throughput::Elements(ROWS as u64));
    for (name, field) in cases {
        let plan = one_field(field);
        let mut row = 0u64;
        group.bench_function(name, |b| {
            b.iter(|| {
                row += ROWS as u64;
                black_box(plan.generate(row, ROWS).expect("generates"))
            })
        });
    }
    group.finish();

    let mut group = c.benchmark_group("batch");
    group.throughput(Throughput::Elements(ROWS as u64));
    let plan = orders();
    let mut row = 0u64;
    group.bench_function("orders_10_columns", |b| {
        b.iter(|| {
            row += ROWS as u64;
            black_box(plan.generate(row, ROWS).expect("generates"))
        })
    });
    group.finish();
}

criterion_group!(benches, mappers);
criterion_main!(benches);
