//! STATE_MACHINE: rows per second of the shop machine (6 states) at 50 000
//! concurrent sessions, the state alone and with its session key (a UUID at
//! each session's first row) and step — the cost per row once a worker's
//! cursors are warm, as in a run.

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use sdg_engine::Plan;
use sdg_engine::mapping::BatchCtx;
use std::hint::black_box;

const MACHINE: &str = "entity: { FIELD count: 50000 }, initial: landing, states: [landing, browse, cart, checkout, paid, abandoned], \
    transitions: { landing: { browse: 0.8, abandoned: 0.2 }, browse: { browse: 0.6, cart: 0.3, abandoned: 0.1 }, \
    cart: { checkout: 0.5, browse: 0.3, abandoned: 0.2 }, checkout: { paid: 0.9, abandoned: 0.1 } }, final: [paid, abandoned]";

fn plan(with_key: bool) -> Plan {
    let machine = MACHINE.replace("FIELD", if with_key { "field: session_id," } else { "" });
    let mut yaml = String::from("name: b\nseed: 1\ndestination: { type: BLACKHOLE }\nfields:\n");
    if with_key {
        yaml.push_str("  - { name: session_id, type: UUID_GENERATED }\n");
    }
    yaml.push_str(&format!("  - {{ name: event, type: STATE_MACHINE, params: {{ {machine} }} }}\n"));
    if with_key {
        yaml.push_str("  - { name: step, type: STATE_MACHINE, params: { from: event, value: step } }\n");
    }
    Plan::compile(&sdg_engine::spec::parse_yaml(&yaml).expect("definition")).expect("compiles")
}

fn sessions(c: &mut Criterion) {
    let mut group = c.benchmark_group("state_machine");
    let rows = 8192usize;
    group.throughput(Throughput::Elements(rows as u64));
    for (name, with_key) in [("state_50k_sessions", false), ("state_key_step_50k_sessions", true)] {
        let p = plan(with_key);
        let mut locals = p.new_locals();
        // Warm the cursors: every slot's first events.
        let mut row = 0u64;
        while row < 100_000 {
            black_box(p.generate_ctx(&BatchCtx::range(row, rows, 0, 0.0), &mut locals).expect("gen"));
            row += rows as u64;
        }
        group.bench_function(BenchmarkId::new(name, rows), |b| {
            b.iter(|| {
                row += rows as u64;
                black_box(p.generate_ctx(&BatchCtx::range(row, rows, 0, 0.0), &mut locals).expect("gen"))
            })
        });
    }
    group.finish();
}

criterion_group!(benches, sessions);
criterion_main!(benches);
