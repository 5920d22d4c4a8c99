//! Pools read by POOL_REFERENCE and POOL_DERIVED (inline sources: the file,
//! PostgreSQL and query sources are tested in sdg-pools): every pick, one
//! row per pick across derived fields, lookups with and without misses,
//! output types, null rules, determinism across worker counts, and every
//! validation error with its path.

mod common;
use arrow_array::cast::AsArray;
use arrow_array::types::{Float64Type, Int64Type};
use arrow_array::{Array, RecordBatch};
use common::{Collect, digest, plan, problems};
use sdg_engine::{Plan, Resources, Run, RunConfig, Status};
use std::collections::HashMap;
use std::sync::Arc;

const CUSTOMERS: &str = "pools:
  - name: customers
    index: [id, email]
    source:
      type: inline
      columns:
        id: [101, 102, 103, 104, 105, 106, 107, 108]
        name: [Ada, Bob, Cy, Dee, Eve, Fay, Gus, Hal]
        email: [ada@x.io, bob@x.io, cy@x.io, dee@x.io, eve@x.io, fay@x.io, gus@x.io, hal@x.io]
        country: [DE, FR, US, DE, FR, US, DE, null]
        weight: [8, 4, 2, 1, 0, 0, 0, 1]
        vip: [true, false, false, true, false, false, false, true]
        score: [1.5, 2.5, 3.5, 4.5, 5.5, 6.5, 7.5, 8.5]
  - name: places
    index: [postcode]
    source:
      type: inline
      columns:
        postcode: ['10115', '75001', '10001', '20095']
        city: [Berlin, Paris, New York, Hamburg]
";

fn generator(fields: &str) -> String {
    format!("name: t\nseed: 7\ndestination: {{ type: BLACKHOLE }}\n{CUSTOMERS}fields:\n{fields}")
}

fn texts(b: &RecordBatch, name: &str) -> Vec<Option<String>> {
    let c = b.column_by_name(name).unwrap_or_else(|| panic!("column {name}"));
    arrow_cast_utf8(c.as_ref())
}

/// Text values of a Utf8 or Dictionary<Int32, Utf8> column.
fn arrow_cast_utf8(a: &dyn Array) -> Vec<Option<String>> {
    match a.data_type() {
        arrow_schema::DataType::Utf8 => a.as_string::<i32>().iter().map(|v| v.map(str::to_string)).collect(),
        arrow_schema::DataType::Dictionary(_, _) => {
            let d = a.as_dictionary::<arrow_array::types::Int32Type>();
            let values = d.values().as_string::<i32>();
            (0..d.len()).map(|i| d.is_valid(i).then(|| values.value(d.keys().value(i) as usize).to_string())).collect()
        }
        other => panic!("not text: {other}"),
    }
}

#[test]
fn derived_fields_read_the_same_row_as_their_pick() {
    let p = plan(&generator(
        "  - { name: id, type: POOL_REFERENCE, params: { pool: customers, column: id } }
  - { name: email, type: POOL_DERIVED, params: { from: id, column: email } }
  - { name: country, type: POOL_DERIVED, params: { from: id, column: country } }
  - { name: vip, type: POOL_DERIVED, params: { from: id, column: vip } }
  - { name: score, type: POOL_DERIVED, params: { from: id, column: score } }
",
    ));
    let b = p.generate(0, 5000).expect("gen");
    let schema = b.schema();
    let types: Vec<String> = schema.fields().iter().map(|f| f.data_type().to_string()).collect();
    assert_eq!(types, ["Int64", "Utf8", "Utf8", "Boolean", "Float64"], "types follow the pool's columns");
    let ids = b.column(0).as_primitive::<Int64Type>();
    let emails = texts(&b, "email");
    let countries = texts(&b, "country");
    let scores = b.column(4).as_primitive::<Float64Type>();
    let names = ["ada", "bob", "cy", "dee", "eve", "fay", "gus", "hal"];
    let pool_countries = [Some("DE"), Some("FR"), Some("US"), Some("DE"), Some("FR"), Some("US"), Some("DE"), None];
    let mut seen = HashMap::new();
    for i in 0..b.num_rows() {
        let k = (ids.value(i) - 101) as usize;
        assert_eq!(emails[i].as_deref(), Some(format!("{}@x.io", names[k]).as_str()), "row {i}");
        assert_eq!(countries[i].as_deref(), pool_countries[k], "row {i}");
        assert_eq!(scores.value(i), k as f64 + 1.5);
        *seen.entry(k).or_insert(0) += 1;
    }
    // Uniform: every customer about an eighth of the rows.
    for k in 0..8 {
        let n = seen.get(&k).copied().unwrap_or(0);
        assert!((500..=750).contains(&n), "customer {k}: {n} of 5000");
    }
}

#[test]
fn a_null_pick_nulls_every_column_of_its_group() {
    let p = plan(&generator(
        "  - { name: id, type: POOL_REFERENCE, params: { pool: customers, column: id }, null_ratio: 0.3 }
  - { name: name, type: POOL_DERIVED, params: { from: id, column: name }, null_ratio: 0.1 }
",
    ));
    let b = p.generate(0, 10_000).expect("gen");
    let (id, name) = (b.column(0), b.column(1));
    let mut own = 0;
    for i in 0..b.num_rows() {
        if id.is_null(i) {
            assert!(name.is_null(i), "row {i}: a null pick nulls the derived column");
        } else if name.is_null(i) {
            own += 1;
        }
    }
    assert!((2500..=3500).contains(&id.null_count()), "{}", id.null_count());
    assert!((400..=1000).contains(&own), "the derived field's own null_ratio on top: {own}");
}

#[test]
fn each_pick_follows_its_distribution() {
    let p = plan(&generator(
        "  - { name: w, type: POOL_REFERENCE, params: { pool: customers, column: id, pick: weighted, weight_column: weight } }
  - { name: z, type: POOL_REFERENCE, params: { pool: customers, column: id, pick: zipf, s: 1.5 } }
  - { name: q, type: POOL_REFERENCE, params: { pool: customers, column: id, pick: sequential } }
",
    ));
    let b = p.generate(3, 16_000).expect("gen");
    let count = |c: usize| {
        let mut n = [0usize; 8];
        for v in b.column(c).as_primitive::<Int64Type>().values() {
            n[(*v - 101) as usize] += 1;
        }
        n
    };
    let w = count(0);
    // Weights 8:4:2:1:0:0:0:1 of 16.
    for (k, expect) in [(0, 8000.0), (1, 4000.0), (2, 2000.0), (3, 1000.0), (7, 1000.0)] {
        assert!((w[k] as f64 - expect).abs() < expect * 0.1, "weighted {k}: {}", w[k]);
    }
    assert_eq!(w[4] + w[5] + w[6], 0, "weight 0 is never picked");
    let z = count(1);
    assert!(z.windows(2).all(|p| p[0] > p[1]), "zipf: rank = row order, decreasing: {z:?}");
    let ratio = z[0] as f64 / z[1] as f64;
    assert!((ratio - 2f64.powf(1.5)).abs() < 0.4, "zipf s=1.5: first/second ≈ 2.83, got {ratio}");
    let q = b.column(2).as_primitive::<Int64Type>();
    for i in 0..b.num_rows() {
        assert_eq!(q.value(i), 101 + ((3 + i) % 8) as i64, "sequential: row i takes pool row i mod n");
    }
}

#[test]
fn lookups_find_rows_by_key_and_report_misses() {
    let fields = |on_missing: &str| {
        generator(&format!(
            "  - {{ name: postcode, type: ENUM_RANDOM, params: {{ values: ['10115', '75001', '99999'] }}, null_ratio: 0.1 }}
  - {{ name: city, type: POOL_DERIVED, params: {{ pool: places, key_field: postcode, key_column: postcode, column: city{on_missing} }} }}
  - {{ name: code, type: SEQUENCE, params: {{ start: 10000, step: 115, end: 10115 }} }}
  - {{ name: city2, type: POOL_DERIVED, params: {{ pool: places, key_field: postcode_text, key_column: postcode, column: city }} }}
  - {{ name: postcode_text, type: POOL_REFERENCE, params: {{ pool: places, column: postcode }} }}
  - {{ name: by_email, type: POOL_DERIVED, params: {{ pool: customers, key_field: email, key_column: email, column: id }} }}
  - {{ name: email, type: ENUM_RANDOM, params: {{ values: [eve@x.io, nobody@x.io] }} }}
"
        ))
    };
    let b = plan(&fields("")).generate(0, 3000).expect("gen");
    let keys = texts(&b, "postcode");
    let city = texts(&b, "city");
    for i in 0..b.num_rows() {
        let want = match keys[i].as_deref() {
            Some("10115") => Some("Berlin"),
            Some("75001") => Some("Paris"),
            _ => None,
        };
        assert_eq!(city[i].as_deref(), want, "row {i}: key {:?}", keys[i]);
    }
    assert!(city.iter().any(Option::is_none) && city.iter().any(Option::is_some));
    // Text keys from another pick always hit.
    let (pt, c2) = (texts(&b, "postcode_text"), texts(&b, "city2"));
    assert!(c2.iter().all(Option::is_some), "every picked postcode is in the pool");
    assert!(pt.iter().zip(&c2).all(|(p, c)| (p.as_deref() == Some("10115")) == (c.as_deref() == Some("Berlin"))));
    // Integer lookups.
    let by = b.column_by_name("by_email").expect("by_email");
    let em = texts(&b, "email");
    for (i, e) in em.iter().enumerate() {
        match e.as_deref() {
            Some("eve@x.io") => assert_eq!(by.as_primitive::<Int64Type>().value(i), 105),
            _ => assert!(by.is_null(i)),
        }
    }
    // on_missing: error fails the batch with the key that missed.
    let err = plan(&fields(", on_missing: error")).generate(0, 3000).expect_err("a miss");
    let msg = err.to_string();
    assert!(msg.contains("`99999`") && msg.contains("pool `places`"), "{msg}");
}

#[test]
fn output_is_the_same_on_any_worker_count_and_batch_size() {
    let yaml = |batch: usize| {
        generator(&format!(
            "  - {{ name: id, type: POOL_REFERENCE, params: {{ pool: customers, column: id, pick: zipf }} }}
  - {{ name: name, type: POOL_DERIVED, params: {{ from: id, column: name }} }}
  - {{ name: pc, type: POOL_REFERENCE, params: {{ pool: places, column: postcode }} }}
  - {{ name: city, type: POOL_DERIVED, params: {{ pool: places, key_field: pc, key_column: postcode, column: city }} }}
end_condition: {{ type: RECORD_COUNT, value: 50000 }}
batch_size: {batch}
"
        ))
    };
    let run = |workers: usize, batch: usize| {
        let sink = Collect::default();
        let run = Run::new(
            Arc::new(plan(&yaml(batch))),
            RunConfig { workers, queue_batches: 2 * workers + 2, ..RunConfig::default() },
        );
        run.start(Box::new(sink.clone())).expect("start");
        assert_eq!(run.wait(), Status::Completed);
        digest(&sink.concat())
    };
    let one = run(1, 8192);
    assert_eq!(one, run(4, 8192));
    assert_eq!(one, run(3, 1000));
}

#[test]
fn pools_are_loaded_once_per_registry_and_refreshed_in_place() {
    let resources = Resources::new();
    let spec =
        common::spec(&generator("  - { name: id, type: POOL_REFERENCE, params: { pool: customers, column: id } }\n"));
    let a = Plan::compile_with(&spec, &resources).expect("compiles");
    let b = Plan::compile_with(&spec, &resources).expect("compiles");
    let entry = resources.get("customers").expect("registered");
    assert_eq!(entry.report().version, 1, "a second compile reuses the loaded pool");
    assert!(Arc::ptr_eq(a.pools().next().expect("pool"), b.pools().next().expect("pool")));
    let before = a.generate(0, 100).expect("gen");
    resources.refresh("customers").expect("exists").expect("reloads");
    assert_eq!(entry.report().version, 2);
    assert_eq!(a.generate(0, 100).expect("gen"), before, "same data, same rows");
    let report = entry.report();
    assert_eq!(report.rows, 8);
    assert_eq!(report.columns.len(), 7);
    assert!(report.memory_bytes > 0);
    // A generator's changed definition replaces its pool; plans compiled on the old one keep it.
    let changed = generator("  - { name: id, type: POOL_REFERENCE, params: { pool: customers, column: id } }\n")
        .replace("101, 102", "901, 902");
    let c = Plan::compile_with(&common::spec(&changed), &resources).expect("compiles");
    assert!(!Arc::ptr_eq(c.pools().next().expect("pool"), a.pools().next().expect("pool")));
    assert_eq!(a.generate(0, 100).expect("gen"), before);
}

#[test]
fn every_pool_problem_is_reported_with_its_path() {
    let cases: &[(&str, &str)] = &[
        (
            "  - { name: a, type: POOL_REFERENCE, params: { pool: custmers, column: id } }\n",
            "fields[0].params.pool: unknown pool `custmers` — did you mean `customers`?",
        ),
        (
            "  - { name: a, type: POOL_REFERENCE, params: { pool: customers, column: mail } }\n",
            "fields[0].params.column: pool `customers` has no column `mail`",
        ),
        (
            "  - { name: a, type: POOL_REFERENCE, params: { pool: customers, column: id, pick: weighted, weight_column: name } }\n",
            "fields[0].params.weight_column: column `name` of pool `customers`: weights must be numeric",
        ),
        (
            "  - { name: a, type: POOL_REFERENCE, params: { pool: customers, column: id, pick: weighted } }\n",
            "fields[0].params.weight_column: a weighted pick needs `weight_column`",
        ),
        (
            "  - { name: a, type: POOL_REFERENCE, params: { pool: customers, column: id, weight_column: weight } }\n",
            "fields[0].params.weight_column: `weight_column` applies to pick: weighted",
        ),
        (
            "  - { name: a, type: POOL_REFERENCE, params: { pool: customers, column: id, s: 2 } }\n",
            "fields[0].params.s: `s` applies to pick: zipf",
        ),
        (
            "  - { name: a, type: POOL_REFERENCE, params: { pool: customers, column: id, pick: random } }\n",
            "fields[0].params.pick: unknown variant `random`",
        ),
        (
            "  - { name: a, type: SEQUENCE }\n  - { name: b, type: POOL_DERIVED, params: { from: a, column: id } }\n",
            "fields[1].params.from: field `a` is SEQUENCE, not a pool pick",
        ),
        (
            "  - { name: b, type: POOL_DERIVED, params: { from: nope, column: id } }\n",
            "fields[0].params.from: there is no field `nope`",
        ),
        (
            "  - { name: a, type: POOL_REFERENCE, params: { pool: customers, column: id } }\n  - { name: b, type: POOL_DERIVED, params: { from: a, column: zip } }\n",
            "fields[1].params.column: pool `customers` has no column `zip`",
        ),
        (
            "  - { name: k, type: SEQUENCE }\n  - { name: b, type: POOL_DERIVED, params: { pool: customers, key_field: k, key_column: name, column: id } }\n",
            "fields[1].params.key_column: pool `customers` has no index on column `name` — add index: [name]",
        ),
        (
            "  - { name: k, type: SEQUENCE }\n  - { name: b, type: POOL_DERIVED, params: { pool: places, key_field: k, key_column: postcode, column: city } }\n",
            "fields[1].params.key_field: field `k` is Int64 (integers), but the keys in column `postcode` of pool `places` are text",
        ),
        (
            "  - { name: b, type: POOL_DERIVED, params: { pool: places, key_column: postcode, column: city } }\n",
            "fields[0].params: missing `key_field`",
        ),
        (
            "  - { name: a, type: POOL_REFERENCE, params: { pool: customers, column: id } }\n  - { name: b, type: POOL_DERIVED, params: { from: a, pool: places, column: id } }\n",
            "fields[1].params: `from` (same row) and pool (lookup) are two different POOL_DERIVED forms",
        ),
        (
            "  - { name: b, type: POOL_DERIVED, params: { pool: places, key_field: c, key_column: postcode, column: city } }\n  - { name: c, type: POOL_DERIVED, params: { pool: places, key_field: b, key_column: postcode, column: city } }\n",
            "lookups through `c` form a cycle",
        ),
    ];
    for (fields, want) in cases {
        let got = problems(&generator(fields));
        assert!(got.iter().any(|g| g.starts_with(want) || g.contains(want)), "want {want}\ngot {got:#?}");
    }
}

#[test]
fn pool_definitions_are_checked_when_the_generator_is() {
    let base = "name: t\ndestination: { type: BLACKHOLE }\nfields: [{ name: a, type: POOL_REFERENCE, params: { pool: p, column: x } }]\n";
    let cases: &[(&str, &str)] = &[
        (
            "pools: [{ name: p, source: { type: inline, columns: { x: [1, a] } } }]",
            "pools[0]: pool `p`: column `x` mixes integers and text",
        ),
        (
            "pools: [{ name: p, source: { type: file, path: /nonexistent/p.csv } }]",
            "pools[0]: pool `p`: file sources are read by the sdg binary's pool loaders",
        ),
        (
            "pools: [{ name: p, source: { type: inline, columns: { x: [1] } } }, { name: p, source: { type: inline, columns: { x: [2] } } }]",
            "pools[1].name: duplicate pool name `p`",
        ),
        (
            "pools: [{ name: p, source: { type: inline, columns: { x: [1] } }, index: [y] }]",
            "pools[0]: pool `p`: index column `y` is not a column of the pool",
        ),
        (
            "pools: [{ name: p, source: { type: inline, columns: { x: [1] } }, strategy: SAMPLED }]",
            "pools[0].sample: a SAMPLED pool needs `sample`",
        ),
        (
            "pools: [{ name: p, source: { type: inline, columns: { x: [] } } }]",
            "fields[0].params.pool: pool `p` has no rows to pick from",
        ),
        (
            "pools: [{ name: p, source: { type: postgres, url: 'mysql://u:pw@h/db', query: 'SELECT 1' } }]",
            "pools[0].source.url: `mysql://u:***@h/db` is not a PostgreSQL URL",
        ),
        (
            "pools: [{ name: p, source: { type: inline, columns: { x: [1] } }, strategy: FULL, sampel: 1 }]",
            "pools[0]: unknown key `sampel` — did you mean `sample`?",
        ),
    ];
    for (pools, want) in cases {
        let got = problems(&format!("{base}{pools}\n"));
        assert!(got.iter().any(|g| g.starts_with(want)), "want {want}\ngot {got:#?}");
    }
}

#[test]
fn a_sampled_inline_pool_keeps_a_seeded_sample() {
    let yaml = "name: t\nseed: 1\ndestination: { type: BLACKHOLE }\npools: [{ name: p, strategy: SAMPLED, sample: { rows: 3, seed: 9 }, source: { type: inline, columns: { x: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10] } } }]\nfields: [{ name: a, type: POOL_REFERENCE, params: { pool: p, column: x, pick: sequential } }]\n";
    let a = plan(yaml).generate(0, 3).expect("gen");
    let b = plan(yaml).generate(0, 3).expect("gen");
    assert_eq!(a, b, "the same seed, the same sample");
    let v = a.column(0).as_primitive::<Int64Type>().values().to_vec();
    assert!(v.windows(2).all(|w| w[0] < w[1]), "in source order: {v:?}");
    let c = plan(&yaml.replace("seed: 9", "seed: 10")).generate(0, 3).expect("gen");
    assert_ne!(a, c, "another seed, another sample (of 120 possible)");
}
