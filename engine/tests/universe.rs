//! Universes: members compiled parents first, UNIVERSE_KEY_REFERENCE keys
//! recomputed from the parent's plan (a child alone has the keys of the full
//! run), the distributions, and every validation problem with its path.

mod common;
use arrow_array::cast::AsArray;
use arrow_array::types::Int64Type;
use arrow_array::{Array, RecordBatch};
use sdg_engine::universe::{Universe, UniverseSpec};
use sdg_engine::{Issues, Plan, Resources};
use std::collections::{HashMap, HashSet};

fn no_files(path: &str) -> Result<String, String> {
    Err(format!("no file {path} here"))
}

fn spec(yaml: &str) -> UniverseSpec {
    sdg_engine::universe::parse_yaml(yaml, &no_files).unwrap_or_else(|e| panic!("{e:?}"))
}

fn compile(yaml: &str) -> Result<Universe, Issues> {
    Universe::compile(spec(yaml), &Resources::new(), &|g, r| Plan::compile_with(g, r))
}

fn problems(yaml: &str) -> Vec<String> {
    match sdg_engine::universe::parse_yaml(yaml, &no_files) {
        Err(e) => e.iter().map(ToString::to_string).collect(),
        Ok(s) => match Universe::compile(s, &Resources::new(), &|g, r| Plan::compile_with(g, r)) {
            Ok(_) => vec![],
            Err(e) => e.iter().map(ToString::to_string).collect(),
        },
    }
}

fn shop() -> String {
    std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../configs/universes/shop.yaml"))
        .expect("configs/universes/shop.yaml")
        .replace("type: FILE, config: { path: out/shop/customers.csv }", "type: BLACKHOLE")
        .replace("type: FILE, config: { path: out/shop/accounts.csv }", "type: BLACKHOLE")
        .replace("type: FILE, config: { path: out/shop/transactions.csv }", "type: BLACKHOLE")
}

fn ints(b: &RecordBatch, name: &str) -> Vec<i64> {
    b.column_by_name(name).expect(name).as_primitive::<Int64Type>().values().to_vec()
}

fn texts(b: &RecordBatch, name: &str) -> Vec<String> {
    let c = b.column_by_name(name).expect(name);
    let d = c.as_dictionary::<arrow_array::types::Int32Type>();
    let v = d.values().as_string::<i32>();
    d.keys().iter().map(|k| k.map(|k| v.value(k as usize).to_string()).unwrap_or_default()).collect()
}

fn uuids(b: &RecordBatch, name: &str) -> Vec<Vec<u8>> {
    let c = b.column_by_name(name).expect(name).as_fixed_size_binary().clone();
    (0..c.len()).map(|i| c.value(i).to_vec()).collect()
}

#[test]
fn every_key_points_at_a_parent_row_and_from_fields_read_that_row() {
    let u = compile(&shop()).expect("compiles");
    let names: Vec<&str> = u.members.iter().map(|m| m.spec.name.as_str()).collect();
    assert_eq!(names, ["customers", "accounts", "transactions"], "parents first");
    let customers = u.member("customers").expect("customers").plan.generate(0, 10_000).expect("customers");
    let accounts = u.member("accounts").expect("accounts").plan.generate(0, 30_000).expect("accounts");
    let country_of: HashMap<i64, String> =
        ints(&customers, "customer_id").into_iter().zip(texts(&customers, "country")).collect();
    let (ids, countries) = (ints(&accounts, "customer_id"), texts(&accounts, "country"));
    for (i, (id, c)) in ids.iter().zip(&countries).enumerate() {
        assert_eq!(country_of.get(id), Some(c), "account row {i}: customer {id} and its country");
    }
    // Sequential: every customer gets its three accounts, in order.
    assert!(ids.windows(2).all(|w| w[0] <= w[1]));
    let mut per: HashMap<i64, usize> = HashMap::new();
    for id in &ids {
        *per.entry(*id).or_default() += 1;
    }
    assert_eq!(per.len(), 10_000);
    assert!(per.values().all(|&n| n == 3), "three accounts each");
    // Zipf: the keys are account ids, the first accounts most referenced.
    let tx = u.member("transactions").expect("transactions").plan.generate(0, 50_000).expect("tx");
    let account_ids: HashSet<Vec<u8>> = uuids(&accounts, "account_id").into_iter().collect();
    let refs = uuids(&tx, "account_id");
    assert!(refs.iter().all(|r| account_ids.contains(r)), "every transaction's account exists");
    let first = uuids(&accounts, "account_id")[0].clone();
    let hits = refs.iter().filter(|r| **r == first).count();
    assert!(hits > 50_000 / 100, "the first account is the most popular under zipf: {hits}");
}

#[test]
fn a_child_alone_has_the_keys_of_the_full_run_whatever_the_rows_asked() {
    let u = compile(&shop()).expect("compiles");
    let tx = &u.member("transactions").expect("tx").plan;
    let whole = tx.generate(0, 20_000).expect("whole");
    assert_eq!(tx.generate(12_345, 1000).expect("slice"), whole.slice(12_345, 1000));
    let picked = tx.generate_rows(&[19_999, 3, 3, 777]).expect("rows");
    assert_eq!(uuids(&picked, "account_id")[0], uuids(&whole, "account_id")[19_999]);
    assert_eq!(uuids(&picked, "account_id")[3], uuids(&whole, "account_id")[777]);
    // Compiled again (another process, another machine): the same keys.
    let again = compile(&shop()).expect("compiles");
    assert_eq!(again.member("transactions").expect("tx").plan.generate(0, 20_000).expect("again"), whole);
}

#[test]
fn uniform_and_normal_references_stay_in_the_parent_s_rows() {
    let yaml = "universe: u\nseed: 3\ngenerators:
  - name: p
    end_condition: { type: RECORD_COUNT, value: 1000 }
    destination: { type: BLACKHOLE }
    fields: [{ name: id, type: SEQUENCE, params: { start: 0 } }]
  - name: c
    end_condition: { type: RECORD_COUNT, value: 10000 }
    destination: { type: BLACKHOLE }
    fields:
      - { name: u, type: UNIVERSE_KEY_REFERENCE, params: { generator: p, field: id } }
      - { name: n, type: UNIVERSE_KEY_REFERENCE, params: { generator: p, field: id, distribution: normal, sigma: 5 } }
      - { name: z, type: UNIVERSE_KEY_REFERENCE, params: { generator: p, field: id, distribution: zipf, s: 1.0 }, null_ratio: 0.1 }
";
    let u = compile(yaml).expect("compiles");
    let b = u.member("c").expect("c").plan.generate(0, 10_000).expect("gen");
    let uniform = ints(&b, "u");
    assert!(uniform.iter().all(|v| (0..1000).contains(v)));
    assert!(uniform.iter().collect::<HashSet<_>>().len() > 990, "uniform reaches nearly every parent");
    // Normal around the child's position i·P/C, sigma 5 parent rows.
    let normal = ints(&b, "n");
    let far = normal.iter().enumerate().filter(|(i, v)| (**v - (*i as i64 / 10)).abs() > 25).count();
    assert!(far < 10, "{far} of 10 000 more than 5 sigma away");
    let z = b.column_by_name("z").expect("z");
    assert!((800..1200).contains(&z.null_count()), "the child's own null_ratio on top: {}", z.null_count());
}

#[test]
fn every_universe_problem_is_reported_with_its_path() {
    let member = |name: &str, end: &str, fields: &str| {
        format!(
            "  - name: {name}\n    end_condition: {end}\n    destination: {{ type: BLACKHOLE }}\n    fields:\n{fields}"
        )
    };
    let count = "{ type: RECORD_COUNT, value: 100 }";
    let cases: Vec<(String, &str)> = vec![
        (
            member(
                "a",
                count,
                "      - { name: x, type: UNIVERSE_KEY_REFERENCE, params: { generator: b, field: id } }\n",
            ) + &member(
                "b",
                count,
                "      - { name: y, type: UNIVERSE_KEY_REFERENCE, params: { generator: a, field: x } }\n",
            ),
            "generators[0]: the members reference each other in a cycle: a → b → a",
        ),
        (
            member("a", count, "      - { name: id, type: SEQUENCE }\n")
                + &member(
                    "b",
                    count,
                    "      - { name: x, type: UNIVERSE_KEY_REFERENCE, params: { generator: aa, field: id } }\n",
                ),
            "generators[1].fields[0].params.generator: there is no generator `aa` in universe `u` — did you mean `a`?",
        ),
        (
            member("a", count, "      - { name: id, type: SEQUENCE }\n")
                + &member(
                    "b",
                    count,
                    "      - { name: x, type: UNIVERSE_KEY_REFERENCE, params: { generator: a, field: idd } }\n",
                ),
            "generators[1].fields[0].params.field: generator `a` has no field `idd` — did you mean `id`?",
        ),
        (
            member("a", "{ type: MANUAL }", "      - { name: id, type: SEQUENCE }\n")
                + &member(
                    "b",
                    count,
                    "      - { name: x, type: UNIVERSE_KEY_REFERENCE, params: { generator: a, field: id } }\n",
                ),
            "generators[0].end_condition: `a` is a parent without a row bound",
        ),
        (
            member("a", count, "      - { name: at, type: TIMESTAMP_GENERATED, params: { clock: wall } }\n")
                + &member(
                    "b",
                    count,
                    "      - { name: x, type: UNIVERSE_KEY_REFERENCE, params: { generator: a, field: at } }\n",
                ),
            "generators[1].fields[0].params.field: `a.at` cannot be recomputed from its row",
        ),
        (
            member("a", count, "      - { name: id, type: SEQUENCE }\n")
                + &member(
                    "b",
                    "{ type: MANUAL }",
                    "      - { name: x, type: UNIVERSE_KEY_REFERENCE, params: { generator: a, field: id, distribution: sequential } }\n",
                ),
            "generators[1].fields[0].params.distribution: sequential spreads the children over the parents by the child's row count",
        ),
        (
            member("a", count, "      - { name: id, type: SEQUENCE }\n")
                + &member(
                    "b",
                    count,
                    "      - { name: x, type: UNIVERSE_KEY_REFERENCE, params: { generator: a, field: id } }\n      - { name: y, type: UNIVERSE_KEY_REFERENCE, params: { from: z, field: id } }\n",
                ),
            "generators[1].fields[1].params.from: there is no field `z`",
        ),
        (
            member("a", count, "      - { name: id, type: SEQUENCE }\n")
                + &member("a", count, "      - { name: id, type: SEQUENCE }\n"),
            "generators[1].name: two members are called `a`",
        ),
        (
            member("a", count, "      - { name: id, type: SEQUENCE }\n")
                + &member(
                    "b",
                    count,
                    "      - { name: x, type: UNIVERSE_KEY_REFERENCE, params: { generator: a, field: id, distribution: zipf, s: -1 } }\n",
                ),
            "generators[1].fields[0].params.s: s -1 is outside (0, 10]",
        ),
    ];
    for (members, want) in cases {
        let got = problems(&format!("universe: u\ngenerators:\n{members}"));
        assert!(got.iter().any(|g| g.starts_with(want)), "want {want}\ngot {got:#?}");
    }
    // Outside a universe there is no parent.
    let alone = common::problems(&common::with_fields(
        "  - { name: x, type: UNIVERSE_KEY_REFERENCE, params: { generator: customers, field: id } }",
    ));
    assert!(
        alone.iter().any(|p| p.contains("there is no generator `customers` in this universe")
            && p.contains("works inside a universe file")),
        "{alone:?}"
    );
    let file = problems("universe: u\ngenerators: [ { file: missing.yaml } ]\n");
    assert_eq!(file, ["generators[0].file: no file missing.yaml here"]);
    assert_eq!(
        problems("universe: u\n")[0],
        "generators: a universe needs its generators — list them: generators: [ { name: customers, … }, { file: accounts.yaml } ]"
    );
}

#[test]
fn a_live_parent_bounds_its_children_by_the_rows_it_delivered() {
    let yaml = "universe: live\nseed: 5\ngenerators:
  - name: p
    mode: REALTIME
    rate: 100
    end_condition: { type: MANUAL }
    destination: { type: BLACKHOLE }
    fields: [{ name: id, type: SEQUENCE, params: { start: 1 } }]
  - name: c
    mode: REALTIME
    rate: 100
    destination: { type: BLACKHOLE }
    fields:
      - { name: u, type: UNIVERSE_KEY_REFERENCE, params: { generator: p, field: id } }
      - { name: n, type: UNIVERSE_KEY_REFERENCE, params: { generator: p, field: id, distribution: normal, sigma: 3 } }
";
    let u = compile(yaml).expect("compiles");
    let (p, c) = (u.member("p").expect("p"), u.member("c").expect("c"));
    let sdg_engine::universe::RowBound::Live(delivered) = &p.bound else { panic!("a REALTIME parent is live") };
    assert!(c.standalone(&u).expect_err("a live parent").contains("run the universe, not `c` alone"));
    // Nothing delivered yet: no key to give.
    let none = c.plan.generate(0, 10).expect_err("no parent rows");
    assert!(none.to_string().contains("generator `p` has no rows to reference yet"), "{none}");
    delivered.store(10, std::sync::atomic::Ordering::SeqCst);
    let b = c.plan.generate(0, 5000).expect("gen");
    assert!(ints(&b, "u").iter().all(|k| (1..=10).contains(k)), "only the 10 delivered rows");
    delivered.store(1000, std::sync::atomic::Ordering::SeqCst);
    let b = c.plan.generate(5000, 5000).expect("gen");
    let (u_keys, n_keys) = (ints(&b, "u"), ints(&b, "n"));
    assert!(u_keys.iter().all(|k| (1..=1000).contains(k)) && u_keys.iter().any(|k| *k > 900));
    // REALTIME normal: the newest parent rows.
    assert!(n_keys.iter().all(|k| (980..=1000).contains(k)), "{:?}", &n_keys[..20]);
}

#[test]
fn recomputed_parent_values_equal_the_parent_s_own_rows_with_nulls_blanks_and_entities() {
    let yaml = "universe: u\nseed: 8\ngenerators:
  - name: people
    locale: de_DE
    end_condition: { type: RECORD_COUNT, value: 5000 }
    destination: { type: BLACKHOLE }
    fields:
      - { name: id, type: SEQUENCE, params: { start: 1 } }
      - { name: name, type: CATALOG, params: { kind: full_name } }
      - { name: email, type: CATALOG, params: { kind: email }, null_ratio: 0.1, blank_ratio: 0.2 }
  - name: orders
    end_condition: { type: RECORD_COUNT, value: 20000 }
    destination: { type: BLACKHOLE }
    fields:
      - { name: person, type: UNIVERSE_KEY_REFERENCE, params: { generator: people, field: id } }
      - { name: name, type: UNIVERSE_KEY_REFERENCE, params: { from: person, field: name } }
      - { name: email, type: UNIVERSE_KEY_REFERENCE, params: { from: person, field: email } }
";
    let u = compile(yaml).expect("compiles");
    let people = u.member("people").expect("people").plan.generate(0, 5000).expect("people");
    let orders = u.member("orders").expect("orders").plan.generate(0, 20_000).expect("orders");
    let text = |b: &RecordBatch, n: &str| -> Vec<Option<String>> {
        b.column_by_name(n).expect(n).as_string::<i32>().iter().map(|v| v.map(str::to_string)).collect()
    };
    let (names, emails) = (text(&people, "name"), text(&people, "email"));
    let (o_names, o_emails) = (text(&orders, "name"), text(&orders, "email"));
    for (i, id) in ints(&orders, "person").iter().enumerate() {
        let row = (*id - 1) as usize;
        assert_eq!((&o_names[i], &o_emails[i]), (&names[row], &emails[row]), "order {i} → person {id}");
    }
    assert!(o_emails.iter().any(Option::is_none) && o_emails.iter().any(|e| e.as_deref() == Some("")));
    let continue_parent = yaml.replace("    locale: de_DE\n", "    locale: de_DE\n    on_error: CONTINUE\n");
    assert!(
        problems(&continue_parent).iter().any(|p| p.starts_with("generators[0].on_error: `people` is a parent")),
        "{:?}",
        problems(&continue_parent)
    );
}

/// A root that cannot open its destination leaves its child unstarted, and
/// the child's own child too: the universe ends, it does not wait for ever.
#[test]
fn a_failed_root_leaves_every_descendant_unstarted_and_the_run_ends() {
    let universe = compile(&shop()).expect("compiles");
    let names: Vec<String> = universe.members.iter().map(|m| m.spec.name.clone()).collect();
    assert!(names.len() >= 3, "shop has three generations: {names:?}");
    let root = names[0].clone();
    let open: std::sync::Arc<sdg_engine::universe::OpenSink> = std::sync::Arc::new(move |m| {
        if m.spec.name == root {
            Err("the root's destination is down".to_string())
        } else {
            Ok(Box::new(common::Collect::default()) as Box<dyn sdg_engine::Sink>)
        }
    });
    let run = sdg_engine::universe::UniverseRun::start(universe, &sdg_engine::RunConfig::with_workers(1), open);
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(run.wait());
    });
    let statuses = rx.recv_timeout(std::time::Duration::from_secs(30)).expect("the universe ended");
    assert_eq!(statuses[0].1, sdg_engine::Status::Failed, "{statuses:?}");
    assert!(statuses[1..].iter().all(|(_, s)| *s == sdg_engine::Status::Created), "{statuses:?}");
}
