//! UNIVERSE_KEY_REFERENCE: rows per second of a child whose key is
//! recomputed from the parent's plan (8192-row batches, one core), for a
//! SEQUENCE parent key and a UUID parent key, and with a `from` field
//! reading a second parent column of the same row.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use sdg_engine::universe::{Universe, parse_yaml};
use sdg_engine::{Plan, Resources};
use std::hint::black_box;

const ROWS: usize = 8192;

fn universe(child_fields: &str) -> Universe {
    let yaml = format!(
        "universe: bench\nseed: 1\ngenerators:
  - name: parent
    end_condition: {{ type: RECORD_COUNT, value: 1000000 }}
    destination: {{ type: BLACKHOLE }}
    fields:
      - {{ name: id, type: SEQUENCE, params: {{ start: 1 }} }}
      - {{ name: uuid, type: UUID_GENERATED }}
      - {{ name: country, type: ENUM_RANDOM, params: {{ values: [DE, FR, US] }} }}
  - name: child
    end_condition: {{ type: RECORD_COUNT, value: 10000000 }}
    destination: {{ type: BLACKHOLE }}
    fields:
{child_fields}"
    );
    let spec = parse_yaml(&yaml, &|p| Err(format!("no file {p}"))).expect("universe");
    Universe::compile(spec, &Resources::new(), &|g, r| Plan::compile_with(g, r)).expect("compiles")
}

fn references(c: &mut Criterion) {
    let cases = [
        (
            "sequence_key_uniform",
            "      - { name: k, type: UNIVERSE_KEY_REFERENCE, params: { generator: parent, field: id } }\n",
        ),
        (
            "sequence_key_zipf",
            "      - { name: k, type: UNIVERSE_KEY_REFERENCE, params: { generator: parent, field: id, distribution: zipf, s: 1.2 } }\n",
        ),
        (
            "uuid_key_uniform",
            "      - { name: k, type: UNIVERSE_KEY_REFERENCE, params: { generator: parent, field: uuid } }\n",
        ),
        (
            "uuid_key_and_country_from",
            "      - { name: k, type: UNIVERSE_KEY_REFERENCE, params: { generator: parent, field: uuid } }\n      - { name: c, type: UNIVERSE_KEY_REFERENCE, params: { from: k, field: country } }\n",
        ),
    ];
    let mut group = c.benchmark_group("universe_ref");
    group.throughput(Throughput::Elements(ROWS as u64));
    for (name, fields) in cases {
        let u = universe(fields);
        let plan = std::sync::Arc::clone(&u.member("child").expect("child").plan);
        let mut row = 0u64;
        group.bench_function(name, |b| {
            b.iter(|| {
                row += ROWS as u64;
                black_box(plan.generate(row, ROWS).expect("generates"))
            })
        });
    }
    group.finish();
}

criterion_group!(benches, references);
criterion_main!(benches);
