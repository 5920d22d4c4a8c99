//! `sdg run|validate|preview` on universe files, end to end: a three-table
//! universe into real PostgreSQL tables with PRIMARY KEY and FOREIGN KEY
//! constraints (created here, not by sdg) completes with zero violations, in
//! BATCH and in REALTIME; to files, the members are byte-identical on 1 and
//! 2 workers and a child run alone writes the same file as in the full run.

use std::path::Path;
use std::process::{Command, Output};

fn sdg_in(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_sdg")).args(args).current_dir(dir).output().expect("runs sdg")
}

fn ok(out: &Output) -> String {
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.success(), "{stderr}{}", String::from_utf8_lossy(&out.stdout));
    stderr
}

fn psql(url: &str, sql: &str) -> String {
    let out = Command::new("psql").args([url, "-qAtc", sql]).output().expect("psql");
    assert!(out.status.success(), "{sql}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// The shop universe with `mode`, rates and counts, into `dest(table)`.
fn universe(mode: &str, dest: &dyn Fn(&str) -> String) -> String {
    let pace = |rate: u32| {
        if mode == "REALTIME" {
            format!("\n    mode: REALTIME\n    rate: {rate}\n    batch_size: 500")
        } else {
            String::new()
        }
    };
    format!(
        "universe: shop\nseed: 42\ngenerators:
  - name: customers{}
    end_condition: {{ type: RECORD_COUNT, value: 3000 }}
    destination: {}
    fields:
      - {{ name: customer_id, type: SEQUENCE, params: {{ start: 1 }} }}
      - {{ name: country, type: ENUM_RANDOM, params: {{ values: [DE, FR, US] }} }}
  - name: accounts{}
    end_condition: {{ type: RECORD_COUNT, value: 6000 }}
    destination: {}
    fields:
      - {{ name: account_id, type: UUID_GENERATED }}
      - {{ name: customer_id, type: UNIVERSE_KEY_REFERENCE, params: {{ generator: customers, field: customer_id, distribution: {} }} }}
      - {{ name: country, type: UNIVERSE_KEY_REFERENCE, params: {{ from: customer_id, field: country }} }}
  - name: transactions{}
    end_condition: {{ type: RECORD_COUNT, value: 20000 }}
    destination: {}
    fields:
      - {{ name: transaction_id, type: SEQUENCE, params: {{ start: 1 }} }}
      - {{ name: account_id, type: UNIVERSE_KEY_REFERENCE, params: {{ generator: accounts, field: account_id, distribution: zipf, s: 1.2 }} }}
      - {{ name: amount, type: NUMERIC_RANGE, params: {{ min: 1, max: 900 }} }}
",
        pace(3000),
        dest("customers"),
        pace(3000),
        dest("accounts"),
        // A REALTIME child cannot spread by its own count over a parent still growing.
        if mode == "REALTIME" { "normal" } else { "sequential" },
        pace(10000),
        dest("transactions"),
    )
}

/// The shop's three tables, named by `t`, with PRIMARY KEY and FOREIGN KEY
/// constraints (made here, not by sdg), replacing any of the same names.
fn shop_tables(url: &str, t: &dyn Fn(&str) -> String) {
    psql(url, &format!("DROP TABLE IF EXISTS {}, {}, {}", t("transactions"), t("accounts"), t("customers")));
    psql(url, &format!("CREATE TABLE {} (customer_id BIGINT PRIMARY KEY, country TEXT NOT NULL)", t("customers")));
    psql(
        url,
        &format!(
            "CREATE TABLE {} (account_id UUID PRIMARY KEY, customer_id BIGINT NOT NULL REFERENCES {} (customer_id), country TEXT NOT NULL)",
            t("accounts"),
            t("customers")
        ),
    );
    psql(
        url,
        &format!(
            "CREATE TABLE {} (transaction_id BIGINT PRIMARY KEY, account_id UUID NOT NULL REFERENCES {} (account_id), amount BIGINT NOT NULL)",
            t("transactions"),
            t("accounts")
        ),
    );
}

/// Every row of the shop's tables is in (3 000, 6 000, 20 000) and each
/// account's country is its customer's; then the tables are dropped.
fn shop_rows_hold(url: &str, t: &dyn Fn(&str) -> String) {
    for (name, n) in [("customers", 3000), ("accounts", 6000), ("transactions", 20000)] {
        assert_eq!(psql(url, &format!("SELECT count(*) FROM {}", t(name))), n.to_string(), "{name}");
    }
    let mismatched = psql(
        url,
        &format!(
            "SELECT count(*) FROM {} a JOIN {} c USING (customer_id) WHERE a.country <> c.country",
            t("accounts"),
            t("customers")
        ),
    );
    assert_eq!(mismatched, "0");
    psql(url, &format!("DROP TABLE {}, {}, {}", t("transactions"), t("accounts"), t("customers")));
}

fn into_postgres(mode: &str) {
    let Some(url) = sdg_testkit::server("SDG_TEST_POSTGRES_URL") else { return };
    let t = |name: &str| format!("sdg_u_{}_{name}", mode.to_lowercase());
    shop_tables(&url, &t);
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("shop.yaml");
    let dest = |name: &str| format!("{{ type: POSTGRES, config: {{ url: \"{url}\", table: {} }} }}", t(name));
    std::fs::write(&file, universe(mode, &dest)).expect("write");
    let s = ok(&sdg_in(dir.path(), &["run", file.to_str().expect("path")]));
    for (name, n) in [("customers", 3000), ("accounts", 6000), ("transactions", 20000)] {
        assert!(s.contains(&format!("{name}: {n} rows in")) && s.contains("COMPLETED"), "{s}");
    }
    // The constraints held every row; the same-row country is the customer's.
    shop_rows_hold(&url, &t);
}

#[test]
fn a_batch_universe_fills_tables_with_foreign_keys_without_a_violation() {
    into_postgres("BATCH");
}

#[test]
fn a_realtime_universe_references_only_delivered_rows() {
    into_postgres("REALTIME");
}

/// A universe sharded 3 ways into tables with FOREIGN KEY constraints, as
/// one Indexed Job per member in dependency order: a child shard's keys
/// point into every parent shard's rows, so a member starts once all of
/// its parents' shards are in (docs/DEPLOY.md).
#[test]
fn a_universe_sharded_three_ways_fills_tables_with_foreign_keys_without_a_violation() {
    let Some(url) = sdg_testkit::server("SDG_TEST_POSTGRES_URL") else { return };
    let t = |name: &str| format!("sdg_u_shards_{name}");
    shop_tables(&url, &t);
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("shop.yaml");
    let dest = |name: &str| format!("{{ type: POSTGRES, config: {{ url: \"{url}\", table: {} }} }}", t(name));
    std::fs::write(&file, universe("BATCH", &dest)).expect("write");
    let path = file.to_str().expect("path");
    for member in ["customers", "accounts", "transactions"] {
        let shards: Vec<_> = (0..3)
            .map(|i| {
                Command::new(env!("CARGO_BIN_EXE_sdg"))
                    .args(["run", path, "--generator", member, "-q", "--workers", "1"])
                    .env("JOB_COMPLETION_INDEX", i.to_string())
                    .env("SDG_SHARDS", "3")
                    .current_dir(dir.path())
                    .stderr(std::process::Stdio::piped())
                    .spawn()
                    .expect("spawn")
            })
            .collect();
        for c in shards {
            ok(&c.wait_with_output().expect("shard"));
        }
    }
    let orphans = psql(
        &url,
        &format!(
            "SELECT count(*) FROM {} x LEFT JOIN {} a USING (account_id) WHERE a.account_id IS NULL",
            t("transactions"),
            t("accounts")
        ),
    );
    assert_eq!(orphans, "0");
    shop_rows_hold(&url, &t);
}

/// `--shard` on a universe file makes that shard of every member; the parts
/// of each member concatenate to its one-process file.
#[test]
fn every_member_of_a_sharded_universe_is_its_one_process_file_in_parts() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("shop.yaml");
    std::fs::write(&file, universe("BATCH", &|name| format!("{{ type: FILE, config: {{ path: out/{name}.csv }} }}")))
        .expect("write");
    let path = file.to_str().expect("path");
    ok(&sdg_in(dir.path(), &["run", path, "-q"]));
    for i in 0..3 {
        let s = ok(&sdg_in(dir.path(), &["run", path, "--shard", &format!("{i}/3")]));
        assert!(s.contains(&format!("accounts: shard {i}/3: positions")), "{s}");
    }
    for name in ["customers", "accounts", "transactions"] {
        let single = std::fs::read(dir.path().join(format!("out/{name}.csv"))).expect(name);
        let mut joined = Vec::new();
        for i in 0..3 {
            joined.extend(std::fs::read(dir.path().join(format!("out/{name}.part-{i:04}-of-0003.csv"))).expect("part"));
        }
        assert!(joined == single, "{name}: the parts are the one-process file");
    }
}

/// A REALTIME universe sharded 2 ways into files, both shards at once: a
/// child shard references only parent rows some shard has made.
#[test]
fn a_sharded_realtime_universe_references_only_rows_the_parent_shards_made() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("shop.yaml");
    std::fs::write(
        &file,
        universe("REALTIME", &|name| format!("{{ type: FILE, config: {{ path: out/{name}.csv }} }}")),
    )
    .expect("write");
    let path = file.to_str().expect("path");
    let shards: Vec<_> = (0..2)
        .map(|i| {
            Command::new(env!("CARGO_BIN_EXE_sdg"))
                .args(["run", path, "-q", "--shard", &format!("{i}/2")])
                .current_dir(dir.path())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .expect("spawn")
        })
        .collect();
    for c in shards {
        ok(&c.wait_with_output().expect("shard"));
    }
    // Column `c` of every part of `name`.
    let column = |name: &str, c: usize| -> Vec<String> {
        (0..2)
            .flat_map(|i| {
                let text = std::fs::read_to_string(dir.path().join(format!("out/{name}.part-{i:04}-of-0002.csv")))
                    .expect("part");
                text.lines()
                    .skip(usize::from(i == 0))
                    .map(|l| l.split(',').nth(c).expect("column").to_string())
                    .collect::<Vec<_>>()
            })
            .collect()
    };
    let customers: std::collections::HashSet<String> = column("customers", 0).into_iter().collect();
    let accounts: std::collections::HashSet<String> = column("accounts", 0).into_iter().collect();
    assert_eq!((customers.len(), accounts.len()), (3000, 6000));
    assert!(column("accounts", 1).iter().all(|c| customers.contains(c)), "an account of a customer no shard made");
    let transactions = column("transactions", 1);
    assert_eq!(transactions.len(), 20000);
    assert!(transactions.iter().all(|a| accounts.contains(a)), "a transaction of an account no shard made");
}

#[test]
fn files_are_the_same_on_one_and_two_workers_and_a_child_alone_writes_the_same() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("shop.yaml");
    std::fs::write(&file, universe("BATCH", &|name| format!("{{ type: FILE, config: {{ path: out/{name}.csv }} }}")))
        .expect("write");
    let path = file.to_str().expect("path");
    let read = |name: &str| std::fs::read(dir.path().join("out").join(format!("{name}.csv"))).expect(name);
    let s = ok(&sdg_in(dir.path(), &["run", path, "--workers", "1"]));
    assert!(s.contains("universe shop: customers → accounts → transactions"), "{s}");
    let one: Vec<Vec<u8>> = ["customers", "accounts", "transactions"].iter().map(|n| read(n)).collect();
    ok(&sdg_in(dir.path(), &["run", path, "--workers", "2"]));
    let two: Vec<Vec<u8>> = ["customers", "accounts", "transactions"].iter().map(|n| read(n)).collect();
    assert_eq!(one, two, "1 and 2 workers");
    std::fs::remove_file(dir.path().join("out/transactions.csv")).expect("rm");
    let alone = ok(&sdg_in(dir.path(), &["run", path, "--generator", "transactions"]));
    assert!(alone.contains("transactions: 20000 rows in") && !alone.contains("customers:"), "{alone}");
    assert_eq!(read("transactions"), one[2], "a child alone: the same keys");
    // Preview of one member and of all.
    let p = sdg_in(dir.path(), &["preview", path, "--generator", "accounts", "-n", "3"]);
    let table = String::from_utf8_lossy(&p.stdout);
    assert!(table.starts_with("account_id") && table.lines().count() == 5, "{table}");
    let all = String::from_utf8_lossy(&sdg_in(dir.path(), &["preview", path, "-n", "2"]).stdout).into_owned();
    assert!(all.contains("== customers") && all.contains("== transactions"), "{all}");
}

#[test]
fn validate_and_run_name_universe_problems() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("bad.yaml");
    std::fs::write(
        &file,
        "universe: bad\ngenerators:
  - name: a
    end_condition: { type: MANUAL }
    destination: { type: BLACKHOLE }
    fields: [{ name: id, type: SEQUENCE }]
  - { file: child.yaml }
",
    )
    .expect("write");
    std::fs::write(
        dir.path().join("child.yaml"),
        "name: b\ndestination: { type: BLACKHOLE }\nfields:\n  - { name: x, type: UNIVERSE_KEY_REFERENCE, params: { generator: a, field: idx } }\n",
    )
    .expect("write");
    let path = file.to_str().expect("path");
    let out = sdg_in(dir.path(), &["validate", path]);
    assert!(!out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("generators[1].fields[0].params.field: generator `a` has no field `idx` — did you mean `id`?"),
        "{text}"
    );
    assert!(text.contains("generators[0].end_condition: `a` is a parent without a row bound"), "{text}");
    let run = sdg_in(dir.path(), &["run", path, "--rows", "5"]);
    assert!(String::from_utf8_lossy(&run.stderr).contains("--rows applies to one generator"), "{run:?}");
    let missing = sdg_in(dir.path(), &["run", path, "--generator", "c"]);
    assert!(String::from_utf8_lossy(&missing.stderr).contains("universe `bad` has no generator `c`"), "{missing:?}");
}
