//! COMPUTED's boundary: a + b of two int64 columns by the WAT plugin
//! (plugins/examples/wat/add.wat, fuel metering on) against the same two
//! columns summed natively in Rust, at 1 k, 8 k and 64 k rows a batch. The
//! difference per row is the cost of crossing into WebAssembly and back.

use arrow_array::Array;
use arrow_array::cast::AsArray;
use arrow_array::types::Int64Type;
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use sdg_engine::{Plan, Resources};
use std::hint::black_box;

fn plan(extra: &str) -> Plan {
    let wat = concat!(env!("CARGO_MANIFEST_DIR"), "/../plugins/examples/wat/add.wat");
    let yaml = format!(
        "name: b\nseed: 1\ndestination: {{ type: BLACKHOLE }}\nfields:
  - {{ name: a, type: NUMERIC_RANGE, params: {{ min: 0, max: 1000000 }} }}
  - {{ name: b, type: SEQUENCE }}
{}",
        extra.replace("WAT", wat)
    );
    let spec = sdg_engine::spec::parse_yaml(&yaml).expect("definition");
    let resources = Resources::new().with_plugins(sdg_plugins::shared().expect("wasmtime"));
    Plan::compile_with(&spec, &resources).expect("compiles")
}

fn computed(c: &mut Criterion) {
    let native = plan("");
    let wasm = plan(
        "  - { name: t, type: COMPUTED, params: { plugin: \"WAT\", function: add, inputs: [a, b], output: int64 } }\n",
    );
    let mut group = c.benchmark_group("computed_add");
    for rows in [1024usize, 8192, 65_536] {
        group.throughput(Throughput::Elements(rows as u64));
        let mut locals = wasm.new_locals();
        group.bench_with_input(BenchmarkId::new("native", rows), &rows, |bench, &rows| {
            let mut row = 0u64;
            bench.iter(|| {
                row += rows as u64;
                let batch = native.generate(row, rows).expect("gen");
                let (a, b) = (batch.column(0).as_primitive::<Int64Type>(), batch.column(1).as_primitive::<Int64Type>());
                let sum: Vec<i64> = a.values().iter().zip(b.values().iter()).map(|(x, y)| x + y).collect();
                black_box((batch, sum))
            })
        });
        group.bench_with_input(BenchmarkId::new("wasm", rows), &rows, |bench, &rows| {
            let mut row = 0u64;
            bench.iter(|| {
                row += rows as u64;
                let ctx = sdg_engine::mapping::BatchCtx::range(row, rows, 0, 0.0);
                let batch = wasm.generate_ctx(&ctx, &mut locals).expect("gen");
                black_box(batch.column(2).len())
            })
        });
    }
    group.finish();
}

criterion_group!(benches, computed);
criterion_main!(benches);
