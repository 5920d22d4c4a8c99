//! Shards of one run, each a run of its own (as N processes would make
//! them): paced and open-ended runs interleave blocks of the schedule,
//! sessions go to shards whole, and the union of the shards is the
//! one-process run — with late and duplicate rows too.

mod common;
use arrow_array::{Array, Int64Array, RecordBatch};
use common::{Collect, plan};
use sdg_engine::pipeline::shard::{Basis, Layout, Shard};
use sdg_engine::{Plan, Run, RunConfig, Status};
use std::collections::{HashMap, HashSet};
use std::sync::Arc;

const FIELDS: &str = r#"
seed: 7
destination: { type: BLACKHOLE }
fields:
  - { name: order_id, type: SEQUENCE }
  - { name: at,       type: TIMESTAMP_GENERATED, params: { step: 10ms } }
  - { name: status,   type: ENUM_RANDOM, params: { values: [NEW, PAID, SHIPPED] } }
  - { name: amount,   type: NUMERIC_RANGE, params: { min: 1, max: 500, decimals: 2 } }
"#;

/// Runs shard `i` of `n` of `plan` (all `n` at once, as processes would) and keeps each one's rows.
fn shards(plan: &Arc<Plan>, n: u64) -> Vec<RecordBatch> {
    let runs: Vec<(Run, Collect)> = (0..n)
        .map(|i| {
            let shard = Shard::of(plan, i, n).expect("shards");
            let config = RunConfig { workers: 2, queue_batches: 6, ..RunConfig::default() }.for_shard(shard);
            (Run::new(Arc::clone(plan), config), Collect::default())
        })
        .collect();
    for (run, sink) in &runs {
        run.start(Box::new(sink.clone())).expect("starts");
    }
    runs.iter()
        .map(|(run, sink)| {
            assert_eq!(run.wait(), Status::Completed, "{:?}", run.metrics().last_error);
            assert!(run.metrics().shard.is_some());
            sink.concat()
        })
        .collect()
}

fn ids(batch: &RecordBatch) -> Vec<i64> {
    let col = batch.column_by_name("order_id").expect("order_id");
    col.as_any().downcast_ref::<Int64Array>().expect("int64").values().to_vec()
}

/// The batches' rows ordered by order_id (a stable sort: duplicates keep their order).
fn by_id(batches: &[RecordBatch]) -> RecordBatch {
    let all = arrow_select::concat::concat_batches(&batches[0].schema(), batches).expect("concat");
    let mut order: Vec<u32> = (0..all.num_rows() as u32).collect();
    let key = ids(&all);
    order.sort_by_key(|&i| key[i as usize]);
    let idx = arrow_array::UInt32Array::from(order);
    let cols = all.columns().iter().map(|c| arrow_select::take::take(c, &idx, None).expect("take")).collect();
    RecordBatch::try_new(all.schema(), cols).expect("batch")
}

/// Without the wall-clock column (REALTIME stamps rows with the time they are made).
fn timeless(batch: RecordBatch) -> RecordBatch {
    let at = batch.schema().index_of("at").expect("at");
    let mut batch = batch;
    batch.remove_column(at);
    batch
}

fn one_process(plan: &Arc<Plan>) -> RecordBatch {
    let sink = Collect::default();
    let run = Run::new(Arc::clone(plan), RunConfig { workers: 2, queue_batches: 6, ..RunConfig::default() });
    run.start(Box::new(sink.clone())).expect("starts");
    assert_eq!(run.wait(), Status::Completed);
    sink.concat()
}

#[test]
fn realtime_shards_take_every_nth_block_and_make_the_one_stream() {
    let plan = Arc::new(plan(&format!(
        "name: stream\nmode: REALTIME\nrate: 40000\nbatch_size: 500\nend_condition: {{ type: RECORD_COUNT, value: 6000 }}\n{FIELDS}"
    )));
    let parts = shards(&plan, 3);
    let s = Shard::of(&plan, 1, 3).expect("shard");
    assert_eq!(s.basis, Basis::Schedule);
    let Layout::Interleave(iv) = s.layout else { panic!("{s:?}") };
    for (i, part) in parts.iter().enumerate() {
        let ids = ids(part);
        // In the schedule's order, and only the shard's own blocks.
        assert!(ids.windows(2).all(|w| w[0] < w[1]), "shard {i} out of order");
        // (SEQUENCE counts from 1: row r holds r + 1.)
        assert!(ids.iter().all(|&id| ((id - 1) as u64 / iv.width) % 3 == i as u64), "shard {i} took another's block");
    }
    assert_eq!(parts.iter().map(RecordBatch::num_rows).sum::<usize>(), 6000);
    assert_eq!(timeless(by_id(&parts)), timeless(plan.generate(0, 6000).expect("rows")));
}

#[test]
fn duration_shards_never_make_the_same_row() {
    let plan = Arc::new(plan(&format!("name: d\nend_condition: {{ type: DURATION, value: 300ms }}\n{FIELDS}")));
    let parts = shards(&plan, 2);
    let mut seen = HashSet::new();
    for part in &parts {
        assert!(part.num_rows() > 0);
        for id in ids(part) {
            assert!(seen.insert(id), "row {id} made twice");
        }
        // Each row as the one-process run makes it.
        let first = ids(part)[0] as u64 - 1;
        assert_eq!(part.slice(0, 1), plan.generate(first, 1).expect("row"));
    }
}

#[test]
fn sessions_go_to_shards_whole_and_add_up_to_the_one_run() {
    let yaml = format!(
        r#"name: sessions
end_condition: {{ type: RECORD_COUNT, value: 20000 }}
{FIELDS}
  - {{ name: visitor, type: UUID_GENERATED }}
  - name: state
    type: STATE_MACHINE
    params:
      entity: {{ field: visitor, count: 1000 }}
      initial: browse
      states: [browse, cart, paid, gone]
      transitions: {{ browse: {{ browse: 2, cart: 1, gone: 1 }}, cart: {{ paid: 1, gone: 1 }}, paid: {{ gone: 1 }} }}
      final: [gone]
  - {{ name: session, type: STATE_MACHINE, params: {{ from: state, value: session }} }}
"#
    );
    let plan = Arc::new(plan(&yaml));
    let parts = shards(&plan, 4);
    assert!(Shard::all(&plan, 4).expect("shards").iter().all(|s| s.basis == Basis::Sessions));
    let mut owner: HashMap<i64, usize> = HashMap::new();
    for (i, part) in parts.iter().enumerate() {
        let sessions = part.column_by_name("session").expect("session");
        let sessions = sessions.as_any().downcast_ref::<Int64Array>().expect("int64");
        for s in sessions.values() {
            assert_eq!(*owner.entry(*s).or_insert(i), i, "session {s} in two shards");
        }
    }
    assert_eq!(owner.len() as u64, distinct_sessions(&plan.generate(0, 20_000).expect("rows")));
    assert_eq!(by_id(&parts), plan.generate(0, 20_000).expect("rows"));
}

fn distinct_sessions(batch: &RecordBatch) -> u64 {
    let s = batch.column_by_name("session").expect("session");
    let s = s.as_any().downcast_ref::<Int64Array>().expect("int64");
    s.values().iter().collect::<HashSet<_>>().len() as u64
}

#[test]
fn late_and_duplicate_rows_of_a_sharded_stream_are_the_one_process_stream() {
    let plan = Arc::new(plan(&format!(
        "name: late\nmode: REALTIME\nrate: 50000\nbatch_size: 700\nend_condition: {{ type: RECORD_COUNT, value: 8000 }}\n\
         disorder: {{ late_ratio: 0.2, delay: {{ distribution: exponential, mean: 20ms }}, max: 50ms }}\n\
         duplicate_ratio: 0.05\n{FIELDS}"
    )));
    let parts = shards(&plan, 3);
    let whole = one_process(&plan);
    assert!(whole.num_rows() > 8000, "duplicates");
    assert_eq!(timeless(by_id(&parts)), timeless(by_id(&[whole])));
}
