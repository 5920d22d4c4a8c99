//! Helpers for the integration tests that talk to the real servers started
//! by `scripts/services.sh` (PostgreSQL, Redis, a Kafka-protocol broker).

use sdg_engine::Plan;
use std::time::{Duration, Instant};

/// The value of `var` (a server address exported by `scripts/services.sh env`).
/// Without it the test is skipped — except under `CI=true`, where a missing
/// server must fail the run, never pass silently.
pub fn server(var: &str) -> Option<String> {
    match std::env::var(var) {
        Ok(v) => Some(v),
        Err(_) if std::env::var("CI").is_ok_and(|v| v == "true") => {
            panic!("{var} is not set: run `scripts/services.sh up` and `eval \"$(scripts/services.sh env)\"`")
        }
        Err(_) => {
            eprintln!("skipping: {var} is not set (scripts/services.sh up; eval \"$(scripts/services.sh env)\")");
            None
        }
    }
}

/// Polls `f` every 20 ms until it holds; panics naming `what` after `secs`.
pub fn wait_for(what: &str, secs: u64, mut f: impl FnMut() -> bool) {
    let t0 = Instant::now();
    while !f() {
        assert!(t0.elapsed() < Duration::from_secs(secs), "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Runs `scripts/services.sh ACTION SERVER` (stop/start/freeze/thaw), for outage tests.
pub fn services(action: &str, server: &str) {
    let script = std::env::var("SDG_SERVICES").unwrap_or_else(|_| "scripts/services.sh".into());
    let status =
        std::process::Command::new("bash").args([script.as_str(), action, server]).status().expect("runs services.sh");
    assert!(status.success(), "services.sh {action} {server}");
}

/// The order rows the sink integration tests write: `head` gives the
/// generator's own lines (name, seed, batch_size, destination, …), `extra`
/// appends fields after the six shared ones.
pub fn orders_plan(head: &str, rows: u64, extra: &str) -> Plan {
    let yaml = format!(
        r#"{head}
end_condition: {{ type: RECORD_COUNT, value: {rows} }}
fields:
  - {{ name: order_id,   type: SEQUENCE }}
  - {{ name: id,         type: UUID_GENERATED }}
  - {{ name: created_at, type: TIMESTAMP_GENERATED, params: {{ step: 250ms }} }}
  - {{ name: status,     type: ENUM_RANDOM, params: {{ values: [NEW, PAID, SHIPPED] }} }}
  - {{ name: amount,     type: NUMERIC_RANGE, params: {{ min: 1, max: 500, decimals: 2 }} }}
  - {{ name: coupon,     type: ENUM_RANDOM, params: {{ values: [A10] }}, null_ratio: 0.5 }}
{extra}"#
    );
    match sdg_engine::spec::parse_yaml(&yaml).map(|s| Plan::compile(&s)) {
        Ok(Ok(plan)) => plan,
        Ok(Err(e)) | Err(e) => panic!("test generator is invalid:\n{e}"),
    }
}
