//! The pool loaders against real files and a real PostgreSQL server: every
//! file format, `schema:` overrides, SAMPLED (seeded, bounded), INDEXED
//! (answers from the memory map), PostgreSQL sources, `query` (feature),
//! refresh under a running generator, and the errors of each.

use arrow_array::cast::AsArray;
use arrow_array::types::Int64Type;
use arrow_array::{Array, ArrayRef, Float64Array, Int64Array, RecordBatch, StringArray};
use arrow_schema::{DataType, Field, Schema};
use sdg_engine::pool::{PoolLoader, PoolOrigin, PoolStatus, parse_pool_yaml};
use sdg_engine::{Delivered, Plan, Resources, Run, RunConfig, Sink, SinkError, Status};
use sdg_pools::Loader;
use std::path::Path;
use std::sync::{Arc, Mutex};

fn customers(n: i64) -> RecordBatch {
    let schema = Arc::new(Schema::new(vec![
        Field::new("id", DataType::Int64, true),
        Field::new("name", DataType::Utf8, true),
        Field::new("country", DataType::Utf8, true),
        Field::new("score", DataType::Float64, true),
    ]));
    let ids: Int64Array = (0..n).map(|i| 1000 + i).collect();
    let names: StringArray = (0..n).map(|i| Some(format!("name{i}"))).collect();
    let countries: StringArray = (0..n).map(|i| Some(["DE", "FR", "US"][(i % 3) as usize])).collect();
    let scores: Float64Array = (0..n).map(|i| i as f64 / 4.0).collect();
    let cols: Vec<ArrayRef> = vec![Arc::new(ids), Arc::new(names), Arc::new(countries), Arc::new(scores)];
    RecordBatch::try_new(schema, cols).expect("batch")
}

fn write_all(dir: &Path, b: &RecordBatch) {
    let mut w = arrow_csv::Writer::new(std::fs::File::create(dir.join("c.csv")).expect("csv"));
    w.write(b).expect("csv");
    let mut w = parquet::arrow::ArrowWriter::try_new(
        std::fs::File::create(dir.join("c.parquet")).expect("pq"),
        b.schema(),
        None,
    )
    .expect("parquet");
    w.write(b).expect("parquet");
    w.close().expect("parquet");
    let mut w = arrow_json::LineDelimitedWriter::new(std::fs::File::create(dir.join("c.jsonl")).expect("jsonl"));
    w.write(b).expect("jsonl");
    w.finish().expect("jsonl");
    let mut w =
        arrow_ipc::writer::FileWriter::try_new(std::fs::File::create(dir.join("c.arrow")).expect("arrow"), &b.schema())
            .expect("arrow");
    w.write(b).expect("arrow");
    w.finish().expect("arrow");
}

fn pool_yaml(extra: &str) -> sdg_engine::pool::PoolSpec {
    parse_pool_yaml(extra).unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn every_file_format_loads_the_same_rows_with_each_strategy() {
    let dir = tempfile::tempdir().expect("tmp");
    let data = customers(5000);
    write_all(dir.path(), &data);
    let loader = Loader::new(dir.path().join("cache"));
    for format in ["csv", "parquet", "jsonl", "arrow"] {
        for strategy in ["FULL", "INDEXED"] {
            let path = dir.path().join(format!("c.{format}"));
            let spec = pool_yaml(&format!(
                "name: c\nsource: {{ type: file, path: '{}' }}\nstrategy: {strategy}\nindex: [id]\n",
                path.display()
            ));
            let pool = loader.load(&spec).unwrap_or_else(|e| panic!("{format} {strategy}: {e}"));
            assert_eq!(pool.rows(), 5000, "{format} {strategy}");
            // (JSON Lines inference orders columns by name.)
            let head = pool.head(5000).expect("head");
            for (c, f) in data.schema().fields().iter().enumerate() {
                let got = head.column_by_name(f.name()).expect("column");
                assert_eq!(got.data_type(), f.data_type(), "{format}: types are inferred or the file's own");
                assert_eq!(got.as_ref(), data.column(c).as_ref(), "{format} {strategy} column {c}");
            }
            if strategy == "INDEXED" {
                assert!(pool.mapped_bytes() > 0, "INDEXED rows live in the map");
                let index = pool.index(pool.column_index("id").expect("id")).expect("index on id");
                assert_eq!(index.keys(), 5000);
                assert_eq!(pool.memory_bytes(), index.memory_bytes(), "only the index is on the heap");
            }
        }
    }
}

#[test]
fn schema_overrides_keep_leading_zeros_and_bad_values_name_the_fix() {
    let dir = tempfile::tempdir().expect("tmp");
    let csv = dir.path().join("p.csv");
    std::fs::write(&csv, "postcode,city\n01067,Dresden\n10115,Berlin\n").expect("write");
    let loader = Loader::new(dir.path().join("cache"));
    let inferred = loader
        .load(&pool_yaml(&format!("name: p\nsource: {{ type: file, path: '{}' }}\n", csv.display())))
        .expect("loads");
    assert_eq!(inferred.schema().field(0).data_type(), &DataType::Int64, "arrow-csv infers digits as integers");
    let typed = loader
        .load(&pool_yaml(&format!(
            "name: p\nsource: {{ type: file, path: '{}' }}\nschema: {{ postcode: string }}\n",
            csv.display()
        )))
        .expect("loads");
    let head = typed.head(2).expect("head");
    assert_eq!(head.column(0).as_string::<i32>().value(0), "01067");
    let err = loader
        .load(&pool_yaml(&format!(
            "name: p\nsource: {{ type: file, path: '{}' }}\nschema: {{ zip: string }}\n",
            csv.display()
        )))
        .expect_err("unknown column");
    assert!(err.contains("`zip` is not a column"), "{err}");
    std::fs::write(&csv, format!("n\n{}x\n", "1\n".repeat(200_000))).expect("write");
    let err = loader
        .load(&pool_yaml(&format!("name: p\nsource: {{ type: file, path: '{}' }}\n", csv.display())))
        .expect_err("bad");
    assert!(err.contains("schema:"), "says how to fix: {err}");
    let err =
        loader.load(&pool_yaml("name: p\nsource: { type: file, path: /nonexistent/x.csv }\n")).expect_err("missing");
    assert_eq!(err, "file `/nonexistent/x.csv` does not exist");
}

#[test]
fn a_sampled_pool_is_seeded_and_holds_only_its_sample() {
    let dir = tempfile::tempdir().expect("tmp");
    let path = dir.path().join("big.csv");
    {
        use std::io::Write;
        let mut f = std::io::BufWriter::new(std::fs::File::create(&path).expect("csv"));
        writeln!(f, "id,text").expect("w");
        for i in 0..1_000_000 {
            writeln!(f, "{i},row number {i} with some text to make it longer").expect("w");
        }
    }
    let size = std::fs::metadata(&path).expect("meta").len() as usize;
    let loader = Loader::new(dir.path().join("cache"));
    let spec = |seed: &str| {
        pool_yaml(&format!(
            "name: s\nsource: {{ type: file, path: '{}' }}\nstrategy: SAMPLED\nsample: {{ rows: 10000{seed} }}\n",
            path.display()
        ))
    };
    let a = loader.load(&spec("")).expect("loads");
    let b = loader.load(&spec("")).expect("loads");
    assert_eq!(a.rows(), 10_000);
    assert_eq!(a.head(10_000).expect("head"), b.head(10_000).expect("head"), "no seed: a fixed default");
    let c = loader.load(&spec(", seed: 5")).expect("loads");
    assert_ne!(a.head(10_000).expect("head"), c.head(10_000).expect("head"));
    assert!(a.memory_bytes() * 20 < size, "{} bytes held for a {size}-byte source", a.memory_bytes());
    let ids = a.head(10_000).expect("head");
    let ids = ids.column(0).as_primitive::<Int64Type>();
    assert!(ids.values().windows(2).all(|w| w[0] < w[1]), "source order");
    assert!(ids.value(0) < 1000 && ids.value(9999) > 999_000, "spread over the whole source");
}

#[test]
fn an_indexed_pool_answers_lookups_from_the_map_and_leaves_no_file() {
    let dir = tempfile::tempdir().expect("tmp");
    let data = customers(200_000);
    write_all(dir.path(), &data);
    let cache = dir.path().join("cache");
    let resources = Resources::with_loader(Arc::new(Loader::new(cache.clone())));
    let spec = pool_yaml(&format!(
        "name: big\nsource: {{ type: file, path: '{}' }}\nstrategy: INDEXED\nindex: [id]\n",
        dir.path().join("c.parquet").display()
    ));
    resources.add(spec, PoolOrigin::Server { file: None }).expect("loads");
    assert_eq!(std::fs::read_dir(&cache).expect("cache").count(), 0, "the cache file is unlinked once mapped");
    let yaml = "name: g\nseed: 3\ndestination: { type: BLACKHOLE }\nfields:
  - { name: k, type: NUMERIC_RANGE, params: { min: 1000, max: 201999 } }
  - { name: name, type: POOL_DERIVED, params: { pool: big, key_field: k, key_column: id, column: name } }
  - { name: pick, type: POOL_REFERENCE, params: { pool: big, column: id, pick: zipf } }
  - { name: country, type: POOL_DERIVED, params: { from: pick, column: country } }\n";
    let plan = Plan::compile_with(&sdg_engine::spec::parse_yaml(yaml).expect("parses"), &resources).expect("compiles");
    let b = plan.generate(0, 20_000).expect("gen");
    let (k, name) = (b.column(0).as_primitive::<Int64Type>(), b.column(1).as_string::<i32>());
    let mut misses = 0;
    for i in 0..b.num_rows() {
        let key = k.value(i);
        if key < 201_000 {
            assert_eq!(name.value(i), format!("name{}", key - 1000), "row {i}");
        } else {
            assert!(name.is_null(i));
            misses += 1;
        }
    }
    assert!(misses > 0, "keys past the pool miss");
    let (pick, country) = (b.column(2).as_primitive::<Int64Type>(), b.column(3).as_string::<i32>());
    for i in 0..b.num_rows() {
        assert_eq!(country.value(i), ["DE", "FR", "US"][((pick.value(i) - 1000) % 3) as usize]);
    }
    drop(plan);
    drop(resources);
}

fn pg_url() -> Option<String> {
    sdg_testkit::server("SDG_TEST_POSTGRES_URL")
}

fn psql(url: &str, sql: &str) {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("rt");
    rt.block_on(async {
        let (client, conn) = tokio_postgres::connect(url, tokio_postgres::NoTls).await.expect("connect");
        tokio::spawn(async move {
            let _ = conn.await;
        });
        client.batch_execute(sql).await.expect("sql");
    });
}

#[test]
fn a_postgres_source_runs_its_query_on_the_server() {
    let Some(url) = pg_url() else { return };
    psql(
        &url,
        "DROP TABLE IF EXISTS pool_src; CREATE TABLE pool_src (id int8, small int2, n int4, name text, code varchar(4),
          price float8, ratio float4, ok bool, born date, seen timestamptz, at timestamp, u uuid);
         INSERT INTO pool_src SELECT g, g % 100, g * 2, 'n' || g, 'C' || (g % 10), g * 1.5, 0.5, g % 2 = 0,
          DATE '2024-01-01' + g, TIMESTAMPTZ '2024-01-01 00:00:00+00' + g * interval '1 second',
          TIMESTAMP '2024-01-01 00:00:00', ('00000000-0000-0000-0000-0000000000' || lpad((g % 100)::text, 2, '0'))::uuid
          FROM generate_series(1, 20000) g;",
    );
    let loader = Loader::default();
    let spec = pool_yaml(&format!(
        "name: pg\nsource: {{ type: postgres, url: '{url}', query: 'SELECT * FROM pool_src WHERE id <= 15000 ORDER BY id' }}\nindex: [code]\n"
    ));
    let pool = loader.load(&spec).expect("loads");
    assert_eq!(pool.rows(), 15_000);
    let types: Vec<String> = pool.schema().fields().iter().map(|f| f.data_type().to_string()).collect();
    assert_eq!(
        types,
        [
            "Int64",
            "Int16",
            "Int32",
            "Utf8",
            "Utf8",
            "Float64",
            "Float32",
            "Boolean",
            "Date32",
            "Timestamp(µs, \"UTC\")",
            "Timestamp(µs)",
            "Utf8"
        ]
    );
    let head = pool.head(2).expect("head");
    assert_eq!(head.column(3).as_string::<i32>().value(1), "n2");
    assert_eq!(head.column(8).as_primitive::<arrow_array::types::Date32Type>().value(0), 19_724, "2024-01-02");
    assert_eq!(
        head.column(9).as_primitive::<arrow_array::types::TimestampMicrosecondType>().value(0),
        1_704_067_201_000_000,
        "2024-01-01T00:00:01Z"
    );
    assert_eq!(head.column(11).as_string::<i32>().value(0), "00000000-0000-0000-0000-000000000001");
    let err = loader
        .load(&pool_yaml(&format!(
            "name: pg\nsource: {{ type: postgres, url: '{url}', query: 'SELECT nope FROM pool_src' }}\n"
        )))
        .expect_err("bad query");
    assert!(err.contains("column \"nope\" does not exist"), "the server's message: {err}");
    let err = loader
        .load(&pool_yaml(&format!(
            "name: pg\nsource: {{ type: postgres, url: '{url}', query: 'SELECT price::numeric AS p FROM pool_src' }}\n"
        )))
        .expect_err("numeric");
    assert!(err.contains("p::float8"), "{err}");
    let bad = url.replacen("postgres:postgres@", "postgres:wrong-secret@", 1);
    let spec = pool_yaml(&format!("name: pg\nsource: {{ type: postgres, url: '{bad}', query: 'SELECT 1' }}\n"));
    let err = loader.load(&spec).expect_err("password");
    assert!(!err.contains("wrong-secret") && err.contains("***"), "the password is hidden: {err}");
    assert!(!spec.source_text().contains("wrong-secret"));
}

#[cfg(feature = "query")]
#[test]
fn a_query_runs_sql_over_the_source() {
    let dir = tempfile::tempdir().expect("tmp");
    write_all(dir.path(), &customers(3000));
    let loader = Loader::new(dir.path().join("cache"));
    let spec = pool_yaml(&format!(
        "name: customers\nsource: {{ type: file, path: '{}' }}\nquery: \"SELECT id, upper(name) AS name FROM customers WHERE country <> 'US' ORDER BY id\"\nstrategy: INDEXED\nindex: [id]\n",
        dir.path().join("c.csv").display()
    ));
    let pool = loader.load(&spec).expect("loads");
    assert_eq!(pool.rows(), 2000);
    assert_eq!(pool.head(1).expect("head").column(1).as_string::<i32>().value(0), "NAME0");
    let bad = pool_yaml(&format!(
        "name: customers\nsource: {{ type: file, path: '{}' }}\nquery: SELECT nope FROM customers\n",
        dir.path().join("c.csv").display()
    ));
    let err = loader.load(&bad).expect_err("bad sql");
    assert!(err.contains("the query failed") && err.contains("nope"), "{err}");
}

#[cfg(not(feature = "query"))]
#[test]
fn without_the_query_feature_a_query_says_how_to_get_it() {
    let spec = pool_yaml("name: p\nsource: { type: inline, columns: { a: [1] } }\nquery: SELECT * FROM p\n");
    let err = Loader::default().load(&spec).expect_err("no datafusion");
    assert!(err.contains("--features query"), "{err}");
}

/// Keeps what it receives.
#[derive(Clone, Default)]
struct Keep(Arc<Mutex<Vec<RecordBatch>>>);

impl Sink for Keep {
    fn write(&mut self, batch: &RecordBatch, _: Option<&sdg_engine::Encoded>) -> Result<Delivered, SinkError> {
        self.0.lock().expect("lock").push(batch.clone());
        Ok(Delivered::new(batch.num_rows() as u64, 0))
    }
    fn close(&mut self) -> Result<Delivered, SinkError> {
        Ok(Delivered::default())
    }
}

#[test]
fn a_refresh_swaps_the_data_under_a_running_generator_one_version_per_batch() {
    let dir = tempfile::tempdir().expect("tmp");
    let csv = dir.path().join("v.csv");
    let version = |v: u32| {
        let mut s = String::from("id,version\n");
        for i in 0..1000 {
            s.push_str(&format!("{i},{v}\n"));
        }
        std::fs::write(&csv, s).expect("write");
    };
    version(1);
    let resources = Resources::with_loader(Arc::new(Loader::new(dir.path().join("cache"))));
    let yaml = format!(
        "name: g\nseed: 1\nmode: REALTIME\nrate: 20000\nbatch_size: 500\ndestination: {{ type: BLACKHOLE }}
end_condition: {{ type: RECORD_COUNT, value: 30000 }}
pools: [{{ name: v, source: {{ type: file, path: '{}' }} }}]
fields:
  - {{ name: id, type: POOL_REFERENCE, params: {{ pool: v, column: id }} }}
  - {{ name: version, type: POOL_DERIVED, params: {{ from: id, column: version }} }}\n",
        csv.display()
    );
    let plan = Plan::compile_with(&sdg_engine::spec::parse_yaml(&yaml).expect("parses"), &resources).expect("compiles");
    let sink = Keep::default();
    let run = Run::new(Arc::new(plan), RunConfig { workers: 2, queue_batches: 4, ..RunConfig::default() });
    run.start(Box::new(sink.clone())).expect("start");
    std::thread::sleep(std::time::Duration::from_millis(400));
    version(2);
    resources.refresh("v").expect("pool").expect("refreshes");
    std::thread::sleep(std::time::Duration::from_millis(300));
    // A refresh whose data lost a column fails and keeps the loaded version.
    std::fs::write(&csv, "id\n1\n").expect("write");
    let err = resources.refresh("v").expect("pool").expect_err("incompatible");
    assert!(err.contains("no column `version`"), "{err}");
    let report = resources.get("v").expect("pool").report();
    assert_eq!((report.status, report.version), (PoolStatus::Ready, 2));
    assert!(report.last_error.as_deref().is_some_and(|e| e.contains("kept the loaded version")));
    assert_eq!(run.wait(), Status::Completed);
    let batches = sink.0.lock().expect("lock");
    let mut seen = Vec::new();
    for b in batches.iter() {
        let v = b.column(1).as_primitive::<Int64Type>();
        let first = v.value(0);
        assert!(v.values().iter().all(|x| *x == first), "one version per batch");
        if seen.last() != Some(&first) {
            seen.push(first);
        }
    }
    assert_eq!(seen, [1, 2], "the run went on with the new version, never back");
}
