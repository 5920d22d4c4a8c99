//! STATE_MACHINE: sessions follow the transition table (chi-square on the
//! transitions seen), never skip or repeat a step, keep one key from their
//! first row to their final state, interleave by slot, and are the same
//! rows on any worker count and batch size; bad machines are reported with
//! their paths.

mod common;
use arrow_array::cast::AsArray;
use arrow_array::types::Int64Type;
use arrow_array::{Array, RecordBatch};
use common::{Collect, plan, problems};
use sdg_engine::{Run, RunConfig, Status};
use std::collections::HashMap;
use std::sync::Arc;

const SHOP: &str = r#"
name: clicks
seed: 7
destination: { type: BLACKHOLE }
end_condition: { type: RECORD_COUNT, value: 300000 }
fields:
  - { name: session_id, type: UUID_GENERATED }
  - name: event
    type: STATE_MACHINE
    params:
      entity: { field: session_id, count: 5000 }
      initial: landing
      states: [landing, browse, cart, checkout, paid, abandoned]
      transitions:
        landing:  { browse: 0.8, abandoned: 0.2 }
        browse:   { browse: 0.6, cart: 0.3, abandoned: 0.1 }
        cart:     { checkout: 0.5, browse: 0.3, abandoned: 0.2 }
        checkout: { paid: 0.9, abandoned: 0.1 }
      final: [paid, abandoned]
  - { name: step, type: STATE_MACHINE, params: { from: event, value: step } }
  - { name: session, type: STATE_MACHINE, params: { from: event, value: session } }
  - { name: amount, type: NUMERIC_RANGE, params: { min: 1, max: 100 } }
"#;

fn strings(b: &RecordBatch, name: &str) -> Vec<String> {
    let col = b.column_by_name(name).expect(name);
    let f = arrow_cast::display::ArrayFormatter::try_new(col.as_ref(), &Default::default()).expect("fmt");
    (0..b.num_rows()).map(|i| f.value(i).to_string()).collect()
}

fn ints(b: &RecordBatch, name: &str) -> Vec<i64> {
    b.column_by_name(name).expect(name).as_primitive::<Int64Type>().values().to_vec()
}

#[test]
fn sessions_follow_the_table_in_order_with_one_key_each() {
    let b = plan(SHOP).generate(0, 300_000).expect("rows");
    let (events, keys, steps, sessions) =
        (strings(&b, "event"), strings(&b, "session_id"), ints(&b, "step"), ints(&b, "session"));
    // Row r is event r / 5000 of slot r % 5000: a session's rows in order, interleaved with the others.
    let mut by_session: HashMap<i64, Vec<usize>> = HashMap::new();
    for (r, s) in sessions.iter().enumerate() {
        assert_eq!(*s as usize % 5000, r % 5000, "row {r} is in its slot's session");
        by_session.entry(*s).or_default().push(r);
    }
    let finals = ["paid", "abandoned"];
    let table: HashMap<&str, Vec<(&str, f64)>> = HashMap::from([
        ("landing", vec![("browse", 0.8), ("abandoned", 0.2)]),
        ("browse", vec![("browse", 0.6), ("cart", 0.3), ("abandoned", 0.1)]),
        ("cart", vec![("checkout", 0.5), ("browse", 0.3), ("abandoned", 0.2)]),
        ("checkout", vec![("paid", 0.9), ("abandoned", 0.1)]),
    ]);
    let mut seen: HashMap<(String, String), u64> = HashMap::new();
    let mut complete = 0;
    for rows in by_session.values() {
        assert_eq!(events[rows[0]], "landing", "a session starts in the initial state");
        for (k, &r) in rows.iter().enumerate() {
            assert_eq!(steps[r], k as i64, "steps count 0, 1, … with none skipped");
            assert_eq!(keys[r], keys[rows[0]], "one key per session");
            if k + 1 < rows.len() {
                assert!(!finals.contains(&events[r].as_str()), "only the last row may be final");
                *seen.entry((events[r].clone(), events[rows[k + 1]].clone())).or_default() += 1;
            }
        }
        if finals.contains(&events[*rows.last().expect("rows")].as_str()) {
            complete += 1;
        }
    }
    let distinct: std::collections::HashSet<&String> = keys.iter().collect();
    assert_eq!(distinct.len(), by_session.len(), "a key per session, none shared");
    assert!(complete > 30_000, "{complete} sessions ended");
    // Chi-square of the transitions out of each state against the table
    // (critical values at p = 0.001 for 1 and 2 degrees of freedom: 10.83, 13.82).
    for (from, moves) in &table {
        let n: u64 =
            moves.iter().map(|(to, _)| seen.get(&(from.to_string(), to.to_string())).copied().unwrap_or(0)).sum();
        let chi2: f64 = moves
            .iter()
            .map(|(to, p)| {
                let o = seen.get(&(from.to_string(), to.to_string())).copied().unwrap_or(0) as f64;
                let e = p * n as f64;
                (o - e).powi(2) / e
            })
            .sum();
        let critical = if moves.len() == 2 { 10.83 } else { 13.82 };
        assert!(chi2 < critical, "{from}: chi² {chi2:.2} over {n} transitions");
        for ((f, to), _) in seen.iter().filter(|((f, _), _)| f == from) {
            assert!(moves.iter().any(|(t, _)| t == to), "{f} → {to} is not in the table");
        }
    }
}

#[test]
fn sessions_are_the_same_rows_on_any_worker_count_and_batch_size() {
    let run = |workers: usize, batch: usize| {
        let yaml = format!("{SHOP}batch_size: {batch}\n");
        let sink = Collect::default();
        let run = Run::new(Arc::new(plan(&yaml)), RunConfig::with_workers(workers));
        run.start(Box::new(sink.clone())).expect("starts");
        assert_eq!(run.wait(), Status::Completed);
        sink.concat()
    };
    let one = run(1, 8192);
    assert_eq!(one.num_rows(), 300_000);
    for (w, b) in [(3, 1000), (2, 4999), (4, 65536)] {
        assert_eq!(run(w, b), one, "workers {w}, batch {b}");
    }
    // And any rows alone, in any order (a preview, a child's lookup).
    let p = plan(SHOP);
    let picks = [299_999u64, 7, 123_456, 7, 5000, 0, 250_001];
    let some = p.generate_rows(&picks).expect("rows");
    let idx = arrow_array::UInt64Array::from(picks.to_vec());
    assert_eq!(some, arrow_select::take::take_record_batch(&one, &idx).expect("take"));
    assert_eq!(one.column(1).null_count(), 0);
}

#[test]
fn bad_machines_are_reported_with_their_paths() {
    let machine = |params: &str| {
        format!(
            "name: m\ndestination: {{ type: BLACKHOLE }}\nfields:\n  - {{ name: k, type: UUID_GENERATED }}\n  - {{ name: s, type: STATE_MACHINE, params: {params} }}\n  - {{ name: st, type: STATE_MACHINE, params: {{ from: s, value: step }} }}\n"
        )
    };
    let ok =
        "{ entity: { field: k, count: 10 }, initial: a, states: [a, b], transitions: { a: { b: 1 } }, final: [b] }";
    assert!(problems(&machine(ok)).is_empty(), "{:?}", problems(&machine(ok)));
    let cases = [
        (ok.replace("initial: a", "initial: z"), "fields[1].params.initial: `z` is not one of the states"),
        (ok.replace("final: [b]", "final: []"), "fields[1].params.final: a machine needs a final state"),
        (ok.replace("{ a: { b: 1 } }", "{ a: { b: 1 }, b: { a: 1 } }"), "fields[1].params.transitions.b: `b` is final"),
        (ok.replace("{ b: 1 }", "{ q: 1 }"), "fields[1].params.transitions.a.q: `q` is not one of the states"),
        (ok.replace("{ b: 1 }", "{ b: 0 }"), "fields[1].params.transitions.a: weights must be"),
        (ok.replace("states: [a, b]", "states: [a, b, c]"), "state `c` has no transitions and is not final"),
        (ok.replace("count: 10", "count: 0"), "fields[1].params.entity.count: count is 0"),
        (ok.replace("field: k", "field: kk"), "fields[1].params.entity.field: no field `kk` — did you mean `k`?"),
        (ok.replace("field: k", "field: st"), "cannot be this machine's session key"),
    ];
    for (params, want) in cases {
        let got = problems(&machine(&params));
        assert!(got.iter().any(|p| p.contains(want)), "{params}: expected `{want}` in {got:?}");
    }
    let derived = "name: m\ndestination: { type: BLACKHOLE }\nfields:\n  - { name: k, type: UUID_GENERATED }\n  - { name: st, type: STATE_MACHINE, params: { from: k, value: step } }\n";
    assert!(
        problems(derived).iter().any(|p| p.contains("`k` is a UUID_GENERATED, not a STATE_MACHINE")),
        "{:?}",
        problems(derived)
    );
}

#[test]
fn late_rows_of_a_session_are_the_rows_it_would_have_had() {
    let collect = |yaml: &str| {
        let sink = Collect::default();
        let run = Run::new(Arc::new(plan(yaml)), RunConfig::with_workers(2));
        run.start(Box::new(sink.clone())).expect("starts");
        assert_eq!(run.wait(), Status::Completed);
        (sink.concat(), run.metrics())
    };
    let (ordered, _) = collect(SHOP);
    let late = SHOP.replace(
        "destination: { type: BLACKHOLE }",
        "destination: { type: BLACKHOLE }\ndisorder: { late_ratio: 0.2, delay: { distribution: uniform, min: 100ms, max: 2s }, max: 2s, rate: 10000 }\nduplicate_ratio: 0.01",
    );
    let (shuffled, m) = collect(&late);
    assert!(m.rows_late > 50_000 && m.rows_duplicated > 1000, "{m:?}");
    let rows = |b: &RecordBatch| {
        let (e, k, st, se) = (strings(b, "event"), strings(b, "session_id"), ints(b, "step"), ints(b, "session"));
        let mut v: Vec<(i64, i64, String, String)> =
            (0..b.num_rows()).map(|i| (se[i], st[i], e[i].clone(), k[i].clone())).collect();
        v.sort();
        v.dedup();
        v
    };
    let got = rows(&shuffled);
    assert_eq!(got.len(), 300_000);
    assert_eq!(got, rows(&ordered), "the same sessions, emitted out of order");
}

#[test]
fn a_field_with_when_has_a_value_only_in_those_states() {
    let yaml = SHOP.replace(
        "  - { name: amount, type: NUMERIC_RANGE, params: { min: 1, max: 100 } }",
        "  - { name: amount, type: NUMERIC_RANGE, params: { min: 1, max: 100 }, when: { field: event, in: [paid] } }\n  - { name: coupon, type: CONSTANT, params: { value: X }, when: { field: step, in: [0, 1] } }",
    );
    let b = plan(&yaml).generate(0, 50_000).expect("rows");
    let (events, steps) = (strings(&b, "event"), ints(&b, "step"));
    let amount = b.column_by_name("amount").expect("amount");
    let coupon = b.column_by_name("coupon").expect("coupon");
    let mut paid = 0;
    for i in 0..b.num_rows() {
        assert_eq!(amount.is_valid(i), events[i] == "paid", "row {i} ({})", events[i]);
        assert_eq!(coupon.is_valid(i), steps[i] <= 1, "row {i} (step {})", steps[i]);
        paid += usize::from(events[i] == "paid");
    }
    assert!(paid > 1000);
    // Errors at their paths.
    let bad =
        SHOP.replace("params: { min: 1, max: 100 } }", "params: { min: 1, max: 100 }, when: { field: evnt, in: [] } }");
    let p = problems(&bad);
    assert!(p.iter().any(|x| x.contains("fields[4].when.field: no field `evnt` — did you mean `event`?")), "{p:?}");
    assert!(p.iter().any(|x| x.contains("fields[4].when.in")), "{p:?}");
    let uuid = SHOP.replace(
        "params: { min: 1, max: 100 } }",
        "params: { min: 1, max: 100 }, when: { field: session_id, in: [x] } }",
    );
    assert!(problems(&uuid).iter().any(|x| x.contains("no text form")), "{:?}", problems(&uuid));
    let cycle = SHOP
        .replace("params: { min: 1, max: 100 } }", "params: { min: 1, max: 100 }, when: { field: step, in: [1] } }")
        .replace(
            "params: { from: event, value: step } }",
            "params: { from: event, value: step }, when: { field: amount, in: [5] } }",
        );
    assert!(problems(&cycle).iter().any(|x| x.contains("cycle")), "{:?}", problems(&cycle));
    let nulled_key = SHOP.replace(
        "{ name: session_id, type: UUID_GENERATED }",
        "{ name: session_id, type: UUID_GENERATED, null_ratio: 0.1 }",
    );
    assert!(
        problems(&nulled_key).iter().any(|x| x.contains("a session key has no null_ratio")),
        "{:?}",
        problems(&nulled_key)
    );
    let chained = SHOP.replace("params: { from: event, value: session } }", "params: { from: step, value: session } }");
    assert!(problems(&chained).iter().any(|x| x.contains("derives from a machine itself")), "{:?}", problems(&chained));
}
