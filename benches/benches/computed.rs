//! COMPUTED's boundary: a + b of two int64 columns by the WAT plugin
//! (plugins/examples/wat/add.wat, fuel metering on) against the same two
//! columns summed natively in Rust, at 1 k, 8 k and 64 k rows a batch. The
//! difference per row is the cost of crossing into WebAssembly and back.
//! `computed_fuel`: the plugin's own loop with fuel metering on and off.

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

/// The cost of fuel metering alone: add.wat's `add` called on the same 8 k
/// rows by wasmtime directly, with fuel on (as sdg runs plugins) and off.
fn fuel(c: &mut Criterion) {
    use wasmtime::{Config, Engine, Instance, Module, Store};
    const ROWS: i32 = 8192;
    let wat = concat!(env!("CARGO_MANIFEST_DIR"), "/../plugins/examples/wat/add.wat");
    let mut group = c.benchmark_group("computed_fuel");
    group.throughput(Throughput::Elements(ROWS as u64));
    for metered in [false, true] {
        let mut config = Config::new();
        config.consume_fuel(metered);
        let engine = Engine::new(&config).expect("wasmtime");
        let module = Module::from_file(&engine, wat).expect("add.wat");
        let mut store = Store::new(&engine, ());
        if metered {
            store.set_fuel(u64::MAX).expect("fuel");
        }
        let instance = Instance::new(&mut store, &module, &[]).expect("instance");
        let alloc = instance.get_typed_func::<(i32, i32), i32>(&mut store, "sdg_alloc").expect("sdg_alloc");
        let add = instance.get_typed_func::<i32, i32>(&mut store, "add").expect("add");
        let memory = instance.get_memory(&mut store, "memory").expect("memory");
        // The batch as the host lays it out (docs/PLUGINS.md): two int64
        // inputs, every row valid, an int64 output with its validity.
        let mut place = |size: i32| alloc.call(&mut store, (size, 8)).expect("alloc");
        let (batch, inputs, x, y) = (place(72), place(48), place(8 * ROWS), place(8 * ROWS));
        let (validity, out) = (place(ROWS / 8), place(8 * ROWS));
        let mut words = vec![(batch, 1), (batch + 4, ROWS), (batch + 24, 2), (batch + 28, inputs)];
        words.extend([(batch + 32, 1), (batch + 36, validity), (batch + 40, out)]);
        words.extend([(inputs, 1), (inputs + 8, x), (inputs + 24, 1), (inputs + 32, y)]);
        for (at, v) in words {
            memory.write(&mut store, at as usize, &v.to_le_bytes()).expect("write");
        }
        let name = if metered { "fuel_on" } else { "fuel_off" };
        group.bench_function(BenchmarkId::new(name, ROWS), |bench| {
            bench.iter(|| {
                if metered {
                    store.set_fuel(u64::MAX).expect("fuel");
                }
                black_box(add.call(&mut store, batch).expect("add"))
            })
        });
    }
    group.finish();
}

criterion_group!(benches, computed, fuel);
criterion_main!(benches);
