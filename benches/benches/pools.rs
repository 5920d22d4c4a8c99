//! Pools: POOL_REFERENCE (uniform, zipf) and POOL_DERIVED (same row, lookup)
//! filling 8192-row batches from the shipped products pool and a
//! 1-million-row pool; the ten-column orders-products workload; and pool
//! loads of a 1-million-row CSV and Parquet file (rows/s).

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use sdg_engine::pool::{PoolLoader, PoolOrigin, parse_pool_yaml};
use sdg_engine::{Plan, Resources};
use std::hint::black_box;
use std::sync::Arc;

const ROWS: usize = 8192;
const BIG: usize = 1_000_000;

fn root() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("root").to_path_buf()
}

/// A 1M-row CSV (id, name, email, city) and the same as Parquet, in `dir`.
fn big_files(dir: &std::path::Path) -> (std::path::PathBuf, std::path::PathBuf) {
    use std::io::Write;
    let csv = dir.join("big.csv");
    let mut f = std::io::BufWriter::new(std::fs::File::create(&csv).expect("csv"));
    writeln!(f, "id,name,email,city").expect("w");
    for i in 0..BIG {
        writeln!(f, "{i},Customer {i},customer{i}@example.com,City {}", i % 5000).expect("w");
    }
    drop(f);
    let loader = sdg_pools::Loader::new(dir.join("cache"));
    let pool = loader
        .load(
            &parse_pool_yaml(&format!("name: b\nsource: {{ type: file, path: '{}' }}\n", csv.display())).expect("spec"),
        )
        .expect("loads");
    let parquet = dir.join("big.parquet");
    let batch = pool.head(BIG).expect("rows");
    let mut w =
        parquet::arrow::ArrowWriter::try_new(std::fs::File::create(&parquet).expect("pq"), batch.schema(), None)
            .expect("writer");
    w.write(&batch).expect("write");
    w.close().expect("close");
    (csv, parquet)
}

fn resources(dir: &std::path::Path, csv: &std::path::Path) -> Resources {
    let r = Resources::with_loader(Arc::new(sdg_pools::Loader::new(dir.join("cache"))));
    for (name, spec) in [
        (
            "products",
            format!(
                "name: products\nsource: {{ type: file, path: '{}' }}\n",
                root().join("configs/pools/products.csv").display()
            ),
        ),
        ("big", format!("name: big\nsource: {{ type: file, path: '{}' }}\nindex: [id, email]\n", csv.display())),
        (
            "big_mapped",
            format!(
                "name: big_mapped\nsource: {{ type: file, path: '{}' }}\nstrategy: INDEXED\nindex: [id]\n",
                csv.display()
            ),
        ),
    ] {
        r.add(parse_pool_yaml(&spec).unwrap_or_else(|e| panic!("{name}: {e}")), PoolOrigin::Server { file: None })
            .unwrap_or_else(|e| panic!("{name}: {e}"));
    }
    r
}

fn plan(r: &Resources, fields: &str) -> Plan {
    let yaml = format!("name: bench\nseed: 1\ndestination: {{ type: BLACKHOLE }}\nfields:\n{fields}");
    Plan::compile_with(&sdg_engine::spec::parse_yaml(&yaml).expect("valid"), r).unwrap_or_else(|e| panic!("{e}"))
}

fn pools(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("tmp");
    let (csv, parquet) = big_files(dir.path());
    let r = resources(dir.path(), &csv);
    let cases = [
        (
            "reference_uniform_products",
            "  - { name: p, type: POOL_REFERENCE, params: { pool: products, column: name } }\n",
        ),
        (
            "reference_zipf_products",
            "  - { name: p, type: POOL_REFERENCE, params: { pool: products, column: name, pick: zipf, s: 1.1 } }\n",
        ),
        ("reference_uniform_1m", "  - { name: p, type: POOL_REFERENCE, params: { pool: big, column: email } }\n"),
        (
            "reference_zipf_1m",
            "  - { name: p, type: POOL_REFERENCE, params: { pool: big, column: email, pick: zipf, s: 1.1 } }\n",
        ),
        (
            "reference_uniform_1m_mapped",
            "  - { name: p, type: POOL_REFERENCE, params: { pool: big_mapped, column: email } }\n",
        ),
        (
            "derived_same_row_3_columns",
            "  - { name: p, type: POOL_REFERENCE, params: { pool: big, column: id } }\n  - { name: n, type: POOL_DERIVED, params: { from: p, column: name } }\n  - { name: e, type: POOL_DERIVED, params: { from: p, column: email } }\n",
        ),
        (
            "derived_lookup_int_1m",
            "  - { name: k, type: NUMERIC_RANGE, params: { min: 0, max: 999999 } }\n  - { name: e, type: POOL_DERIVED, params: { pool: big, key_field: k, key_column: id, column: email } }\n",
        ),
        (
            "derived_lookup_text_1m",
            "  - { name: k, type: POOL_REFERENCE, params: { pool: big, column: email } }\n  - { name: e, type: POOL_DERIVED, params: { pool: big, key_field: k, key_column: email, column: city } }\n",
        ),
        (
            "derived_lookup_int_1m_mapped",
            "  - { name: k, type: NUMERIC_RANGE, params: { min: 0, max: 999999 } }\n  - { name: e, type: POOL_DERIVED, params: { pool: big_mapped, key_field: k, key_column: id, column: email } }\n",
        ),
    ];
    let mut group = c.benchmark_group("pool");
    group.throughput(Throughput::Elements(ROWS as u64));
    for (name, fields) in cases {
        let p = plan(&r, fields);
        let mut row = 0u64;
        group.bench_function(name, |b| {
            b.iter(|| {
                row += ROWS as u64;
                black_box(p.generate(row, ROWS).expect("generates"))
            })
        });
    }
    group.finish();

    let mut group = c.benchmark_group("batch");
    group.throughput(Throughput::Elements(ROWS as u64));
    let yaml = std::fs::read_to_string(root().join("configs/orders-products.yaml")).expect("config");
    let mut spec = sdg_engine::spec::parse_yaml(&yaml).expect("valid");
    sdg_pools::resolve_paths(&mut spec.pools[0], &root().join("configs"));
    let p =
        Plan::compile_with(&spec, &Resources::with_loader(Arc::new(sdg_pools::Loader::default()))).expect("compiles");
    let mut row = 0u64;
    group.bench_function("orders_products_10_columns", |b| {
        b.iter(|| {
            row += ROWS as u64;
            black_box(p.generate(row, ROWS).expect("generates"))
        })
    });
    group.finish();

    let mut group = c.benchmark_group("pool_load");
    group.sample_size(10);
    group.throughput(Throughput::Elements(BIG as u64));
    let loader = sdg_pools::Loader::new(dir.path().join("cache"));
    for (name, path, strategy) in [
        ("csv_full_1m", &csv, "FULL"),
        ("parquet_full_1m", &parquet, "FULL"),
        ("csv_indexed_1m", &csv, "INDEXED"),
        ("parquet_sampled_1m_to_10k", &parquet, "SAMPLED\nsample: { rows: 10000 }"),
    ] {
        let spec = parse_pool_yaml(&format!(
            "name: l\nsource: {{ type: file, path: '{}' }}\nstrategy: {strategy}\nindex: [id]\n",
            path.display()
        ))
        .expect("spec");
        group.bench_function(name, |b| b.iter(|| black_box(loader.load(&spec).expect("loads"))));
    }
    group.finish();
}

criterion_group!(benches, pools);
criterion_main!(benches);
