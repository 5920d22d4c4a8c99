//! COMPUTED fields run by the wasmtime runtime: a hand-written ABI-1 module
//! (examples/wat/add.wat) against the same arithmetic done natively, nulls
//! passing through, determinism across workers and row lists, computed
//! fields reading computed fields, cycles, and every bad module
//! (tests/bad/*.wat): the error names the plugin, the function and the
//! field, and the process goes on.

use arrow_array::RecordBatch;
use arrow_array::cast::AsArray;
use arrow_array::types::Int64Type;
use sdg_engine::{Plan, Resources};
use std::sync::Arc;

fn path(rel: &str) -> String {
    format!("{}/{rel}", env!("CARGO_MANIFEST_DIR"))
}

fn resources() -> Resources {
    Resources::new().with_plugins(Arc::new(sdg_plugins::Loader::new().expect("wasmtime")))
}

fn compile(fields: &str) -> Result<Plan, Vec<String>> {
    let yaml = format!("name: c\nseed: 7\ndestination: {{ type: BLACKHOLE }}\nfields:\n{fields}");
    let spec =
        sdg_engine::spec::parse_yaml(&yaml).map_err(|e| e.iter().map(ToString::to_string).collect::<Vec<_>>())?;
    Plan::compile_with(&spec, &resources()).map_err(|e| e.iter().map(ToString::to_string).collect())
}

fn add(plugin: &str) -> String {
    format!(
        "  - {{ name: a, type: NUMERIC_RANGE, params: {{ min: -1000, max: 1000 }}, null_ratio: 0.1 }}
  - {{ name: total, type: COMPUTED, params: {{ plugin: \"{}\", function: add, inputs: [a, b], output: int64 }} }}
  - {{ name: b, type: SEQUENCE, params: {{ start: 5, step: 3 }} }}
",
        path(plugin)
    )
}

fn ints(b: &RecordBatch, name: &str) -> Vec<Option<i64>> {
    b.column_by_name(name).expect(name).as_primitive::<Int64Type>().iter().collect()
}

#[test]
fn a_computed_field_equals_the_native_arithmetic_and_passes_nulls() {
    let plan = compile(&add("examples/wat/add.wat")).expect("compiles");
    let b = plan.generate(0, 20_000).expect("gen");
    let (a, bb, total) = (ints(&b, "a"), ints(&b, "b"), ints(&b, "total"));
    for i in 0..b.num_rows() {
        assert_eq!(total[i], a[i].zip(bb[i]).map(|(x, y)| x + y), "row {i}");
    }
    assert!(total.iter().filter(|t| t.is_none()).count() > 1000, "the nulls of `a` pass through");
    // Any slice or row list equals the full run (the plugin sees whole columns of those rows).
    assert_eq!(plan.generate(12_345, 1000).expect("slice"), b.slice(12_345, 1000));
    let rows = plan.generate_rows(&[19_999, 0, 7]).expect("rows");
    assert_eq!(ints(&rows, "total"), [total[19_999], total[0], total[7]]);
}

#[test]
fn one_instance_serves_batch_after_batch() {
    // A worker keeps its instance: sdg_reset frees each batch, the config
    // stays, fuel is given again; the values equal fresh instances'.
    let plan = compile(&format!(
        "  - {{ name: amount, type: NUMERIC_RANGE, params: {{ min: 1, max: 99, decimals: 2 }} }}
  - {{ name: items, type: NUMERIC_RANGE, params: {{ min: 1, max: 9 }} }}
  - {{ name: total, type: COMPUTED, params: {{ plugin: \"{}\", function: with_tax, inputs: [amount, items], output: float64, config: {{ label: rate, rate: 2.5e-1 }}, fuel_per_row: 2000 }} }}
",
        path("examples/c/price.wasm")
    ))
    .expect("compiles");
    let mut locals = plan.new_locals();
    for k in 0..50u64 {
        let ctx = sdg_engine::mapping::BatchCtx::range(k * 4096, 4096, 0, 0.0);
        let reused = plan.generate_ctx(&ctx, &mut locals).expect("batch");
        assert_eq!(reused, plan.generate(k * 4096, 4096).expect("fresh"), "batch {k}");
        if k == 0 {
            let t = reused.column(2).as_primitive::<arrow_array::types::Float64Type>().value(0);
            let a = reused.column(0).as_primitive::<arrow_array::types::Float64Type>().value(0);
            let q = reused.column(1).as_primitive::<Int64Type>().value(0) as f64;
            assert!(
                (t - (a * q * 1.25 * 100.0).round() / 100.0).abs() < 1e-9,
                "rate 2.5e-1 read after a string \"rate\""
            );
        }
    }
}

#[test]
fn computed_fields_may_read_computed_fields_but_not_in_a_cycle() {
    let wat = path("examples/wat/add.wat");
    let chained = compile(&format!(
        "  - {{ name: twice, type: COMPUTED, params: {{ plugin: \"{wat}\", function: add, inputs: [total, total], output: int64 }} }}\n{}",
        add("examples/wat/add.wat")
    ))
    .expect("compiles");
    let b = chained.generate(0, 1000).expect("gen");
    let (total, twice) = (ints(&b, "total"), ints(&b, "twice"));
    assert!(total.iter().zip(&twice).all(|(t, w)| *w == t.map(|t| 2 * t)));
    let cycle = compile(&format!(
        "  - {{ name: x, type: COMPUTED, params: {{ plugin: \"{wat}\", function: add, inputs: [y, n], output: int64 }} }}
  - {{ name: y, type: COMPUTED, params: {{ plugin: \"{wat}\", function: add, inputs: [x, n], output: int64 }} }}
  - {{ name: n, type: SEQUENCE }}
  - {{ name: after, type: COMPUTED, params: {{ plugin: \"{wat}\", function: add, inputs: [x, n], output: int64 }} }}
"
    ))
    .expect_err("a cycle");
    // Only the fields in the cycle are named (`after` reads it, but is not in it).
    assert!(
        cycle.iter().any(|p| p.contains("fields[0].params.inputs") && p.contains("in a cycle: x → y → x")),
        "{cycle:?}"
    );
    assert!(!cycle.iter().any(|p| p.contains("after")), "{cycle:?}");
}

#[test]
fn bad_modules_are_refused_at_validation_with_what_is_wrong() {
    let cases = [
        ("tests/bad/abi2.wat", "speaks plugin ABI 2; this sdg speaks ABI 1"),
        ("tests/bad/missing.wat", "does not export `add` (its functions: sum)"),
        ("tests/bad/imports.wat", "imports env.clock: plugins run sandboxed, with no imports"),
        ("tests/bad/nope.wat", "No such file"),
        ("tests/plugins.rs", "is not a WebAssembly module (nor WAT text)"),
    ];
    for (plugin, want) in cases {
        let problems = compile(&add(plugin)).expect_err(plugin);
        assert!(
            problems.iter().any(|p| p.starts_with("fields[1].params.plugin: ") && p.contains(want)),
            "{plugin}: {problems:?}"
        );
    }
    let declared = compile(&add("examples/wat/add.wat").replace("output: int64", "output: utf8")).expect_err("type");
    assert!(
        declared.iter().any(|p| p.contains("returns type code 1, but the field declares output: utf8")),
        "{declared:?}"
    );
}

#[test]
fn plugins_that_misbehave_fail_their_field_and_the_process_goes_on() {
    let cases = [
        ("tests/bad/loop.wat", "`add` ran out of fuel"),
        ("tests/bad/trap.wat", "`add` trapped"),
        ("tests/bad/bomb.wat", "`add` trapped"),
        ("tests/bad/badlen.wat", "the output offsets are not"),
        ("tests/bad/error.wat", "`add` returned error code 3: negative quantity"),
        // A billion table elements: the grow costs more fuel than the batch has
        // (and the table cap would refuse it): the host allocates nothing.
        ("tests/bad/table.wat", "`add` ran out of fuel"),
    ];
    for (plugin, want) in cases {
        let fields = add(plugin);
        let fields =
            if plugin.ends_with("badlen.wat") { fields.replace("output: int64", "output: utf8") } else { fields };
        let plan = compile(&fields).unwrap_or_else(|e| panic!("{plugin}: {e:?}"));
        let err = plan.generate(0, 5000).expect_err(plugin).to_string();
        assert!(
            err.starts_with("field `total`: plugin ") && err.contains(plugin) && err.contains(want),
            "{plugin}: {err}"
        );
    }
    // A directory is not a module.
    let dir = compile(&add("tests/bad")).expect_err("a directory");
    assert!(dir.iter().any(|p| p.contains("is not a regular file")), "{dir:?}");
    // And the runtime still works after all of them.
    assert!(compile(&add("examples/wat/add.wat")).expect("compiles").generate(0, 10).is_ok());
}
