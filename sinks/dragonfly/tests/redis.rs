//! The DRAGONFLY destination against a real Redis (scripts/services.sh up):
//! every mode writes what the generator made, and reads back equal.

mod common;
use common::*;
use fred::prelude::*;
use sdg_engine::Status;
use sdg_sink_dragonfly::Mode;
use std::collections::HashMap;

#[test]
fn hash_mode_writes_one_hash_per_row_equal_to_the_generator() {
    let Some(url) = url() else { return };
    let r = Redis::connect(&url);
    r.del_prefix("sdg:it:h:");
    let p = plan(20_000, "");
    let expected = p.generate(0, 20_000).expect("gen");
    let run = run(p, sink(&url, Mode::Hash, "sdg:it:h:{order_id}", None, &plan(1, "")), 2);
    assert_eq!(run.wait(), Status::Completed, "{:?}", run.metrics().last_error);
    assert_eq!(run.metrics().rows_delivered, 20_000);
    assert_eq!(r.count_prefix("sdg:it:h:"), 20_000);
    let text = sdg_sinks::encode::render_cells(&expected).expect("text");
    for i in [0usize, 1, 4321, 19_999] {
        let got: HashMap<String, String> = r.run(|c| async move { c.hgetall(format!("sdg:it:h:{}", i + 1)).await });
        let names = ["order_id", "id", "created_at", "status", "amount", "coupon"];
        for (c, name) in names.iter().enumerate() {
            assert_eq!(got.get(*name), text[i][c].as_ref(), "row {i} field {name}");
        }
    }
}

#[test]
fn json_mode_sets_json_with_ttl() {
    let Some(url) = url() else { return };
    let r = Redis::connect(&url);
    r.del_prefix("sdg:it:j:");
    let run = run(plan(5_000, ""), sink(&url, Mode::Json, "sdg:it:j:{order_id}", Some(600), &plan(1, "")), 2);
    assert_eq!(run.wait(), Status::Completed, "{:?}", run.metrics().last_error);
    assert_eq!(r.count_prefix("sdg:it:j:"), 5_000);
    let v: String = r.run(|c| async move { c.get("sdg:it:j:77").await });
    let json: serde_json::Value = serde_json::from_str(&v).expect("JSON");
    assert_eq!(json["order_id"], 77);
    let ttl: i64 = r.run(|c| async move { c.ttl("sdg:it:j:77").await });
    assert!((1..=600).contains(&ttl), "ttl {ttl}");
}

#[test]
fn stream_list_and_pubsub_modes() {
    let Some(url) = url() else { return };
    let r = Redis::connect(&url);
    let _: i64 = r.run(|c| async move { c.del(vec!["sdg:it:stream", "sdg:it:list", "sdg:it:capped"]).await });

    let run1 = run(plan(3_000, ""), sink(&url, Mode::Stream, "sdg:it:stream", None, &plan(1, "")), 2);
    assert_eq!(run1.wait(), Status::Completed, "{:?}", run1.metrics().last_error);
    let len: i64 = r.run(|c| async move { c.xlen("sdg:it:stream").await });
    assert_eq!(len, 3_000);

    let mut capped = config(&url, Mode::Stream, "sdg:it:capped", None);
    capped.maxlen = Some(500);
    let run2 = run(
        plan(5_000, ""),
        sdg_sink_dragonfly::DragonflySink::open(capped, plan(1, "").schema().clone()).expect("opens"),
        1,
    );
    assert_eq!(run2.wait(), Status::Completed);
    let len: i64 = r.run(|c| async move { c.xlen("sdg:it:capped").await });
    assert!((500..1500).contains(&len), "MAXLEN ~ 500 keeps about 500 entries, got {len}");

    let run3 = run(plan(4_000, ""), sink(&url, Mode::List, "sdg:it:list", None, &plan(1, "")), 2);
    assert_eq!(run3.wait(), Status::Completed);
    let len: i64 = r.run(|c| async move { c.llen("sdg:it:list").await });
    assert_eq!(len, 4_000);
    let first: Vec<String> = r.run(|c| async move { c.lrange("sdg:it:list", 0, 1).await });
    let ids: Vec<i64> = first
        .iter()
        .map(|s| serde_json::from_str::<serde_json::Value>(s).expect("json")["order_id"].as_i64().expect("id"))
        .collect();
    assert_eq!(ids, [1, 2], "in row order");

    // PUBLISH: a subscriber receives every row.
    let received = r.subscribe_count("sdg:it:chan", 2_000, || {
        let run4 = run(plan(2_000, ""), sink(&url, Mode::Pubsub, "sdg:it:chan", None, &plan(1, "")), 2);
        assert_eq!(run4.wait(), Status::Completed);
    });
    assert_eq!(received, 2_000);
}

#[test]
fn bad_key_templates_are_reported() {
    let Some(url) = url() else { return };
    let err = sdg_sink_dragonfly::DragonflySink::open(
        config(&url, Mode::Hash, "o:{nope}", None),
        plan(1, "").schema().clone(),
    )
    .expect_err("unknown field");
    assert!(err.message.contains("no field `nope`"), "{}", err.message);
}

#[test]
fn the_url_selects_the_database_and_hash_ttl_applies() {
    let Some(url) = url() else { return };
    let db3 = format!("{}/3", url.trim_end_matches('/'));
    let r3 = Redis::connect(&db3);
    r3.del_prefix("sdg:it:db:");
    let run = run(plan(1_000, ""), sink(&db3, Mode::Hash, "sdg:it:db:{order_id}", Some(900), &plan(1, "")), 1);
    assert_eq!(run.wait(), Status::Completed, "{:?}", run.metrics().last_error);
    assert_eq!(r3.count_prefix("sdg:it:db:"), 1_000, "in database 3");
    assert_eq!(Redis::connect(&url).count_prefix("sdg:it:db:"), 0, "not in database 0");
    let ttl: i64 = r3.run(|c| async move { c.ttl("sdg:it:db:10").await });
    assert!((1..=900).contains(&ttl), "ttl {ttl}");
    r3.del_prefix("sdg:it:db:");
}

#[test]
fn connection_problems_are_named() {
    let Some(url) = url() else { return };
    let schema = plan(1, "").schema().clone();
    // The test server has no password: AUTH is refused, and retrying would not help.
    let with_password = url.replacen("redis://", "redis://:secret@", 1);
    let err = sdg_sink_dragonfly::DragonflySink::open(config(&with_password, Mode::Hash, "k", None), schema.clone())
        .expect_err("AUTH refused");
    assert!(!err.retryable && err.message.contains("AUTH"), "{err:?}");
    assert!(!err.message.contains("secret"), "the password is hidden: {}", err.message);
    // Nothing listens on port 1: retryable, and the message says where it tried.
    let err = sdg_sink_dragonfly::DragonflySink::open(config("redis://127.0.0.1:1", Mode::Hash, "k", None), schema)
        .expect_err("refused");
    assert!(err.retryable && err.message.contains("redis://127.0.0.1:1"), "{err:?}");
}
