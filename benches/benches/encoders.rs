//! Rows per second of the text encoders on the ten-column orders batch.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use sdg_benches::orders;
use sdg_sinks::encode::{BatchEncoder, CsvEncoder, Encoded, JsonLinesEncoder};
use std::hint::black_box;

const ROWS: usize = 8192;

fn encoders(c: &mut Criterion) {
    let batch = orders().generate(0, ROWS).expect("generates");
    let mut group = c.benchmark_group("encode");
    group.throughput(Throughput::Elements(ROWS as u64));
    let mut buf = Encoded::default();
    let mut csv = CsvEncoder::new();
    group.bench_function("csv_orders", |b| {
        b.iter(|| {
            buf.clear();
            csv.encode(&batch, &mut buf).expect("encodes");
            black_box(buf.bytes.len())
        })
    });
    let mut json = JsonLinesEncoder::new();
    group.bench_function("jsonl_orders", |b| {
        b.iter(|| {
            buf.clear();
            json.encode(&batch, &mut buf).expect("encodes");
            black_box(buf.bytes.len())
        })
    });
    group.finish();
}

criterion_group!(benches, encoders);
criterion_main!(benches);
