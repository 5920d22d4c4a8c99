//! Helpers for the integration tests that talk to the real servers started
//! by `scripts/services.sh` (PostgreSQL, Redis, a Kafka-protocol broker).

use sdg_engine::Plan;
use std::time::{Duration, Instant};

#[cfg(feature = "kafka")]
pub mod kafka;

/// The variable a developer sets to `1` to skip, rather than fail, the tests
/// whose server is missing. Off by default: a missing server fails the test.
pub const SKIP_MISSING_SERVERS: &str = "SDG_SKIP_MISSING_SERVERS";

/// The value of `var` (a server address exported by `scripts/services.sh env`).
/// Without it the test fails, whoever runs it — unless `SDG_SKIP_MISSING_SERVERS=1`,
/// where it returns None (the test returns early) and prints
/// `SKIPPED <test>: <var> is not set`, which `scripts/test.sh` counts.
#[track_caller]
pub fn server(var: &str) -> Option<String> {
    let skip = std::env::var(SKIP_MISSING_SERVERS).is_ok_and(|v| v == "1");
    // libtest names each test's thread after the test; the binary (`outage-1a2b…`) says which crate's.
    let binary = std::env::current_exe().ok().and_then(|p| p.file_stem().map(|s| s.to_string_lossy().into_owned()));
    let binary = binary.as_deref().map_or("", |b| b.rsplit_once('-').map_or(b, |(name, _hash)| name));
    let test = format!("{binary}::{}", std::thread::current().name().unwrap_or("?"));
    match decide(var, std::env::var(var).ok(), skip, &test) {
        Server::Present(v) => Some(v),
        Server::Skip(line) => {
            // Straight to the process's stderr: libtest captures `eprintln!`
            // of passing tests, and this line must reach the log.
            use std::io::Write as _;
            let _ = writeln!(std::io::stderr(), "{line}");
            None
        }
        Server::Missing(message) => panic!("{message}"),
    }
}

/// What [`server`] does about one variable.
#[derive(Debug, PartialEq, Eq)]
pub enum Server {
    /// The server's address: run the test.
    Present(String),
    /// Not set and the developer opted out: skip, printing this line.
    Skip(String),
    /// Not set: fail with this message.
    Missing(String),
}

/// The decision of [`server`] from the values it read: `value` of `var`
/// (empty counts as not set), whether `SDG_SKIP_MISSING_SERVERS=1`, and the
/// name of the running test.
pub fn decide(var: &str, value: Option<String>, skip_missing: bool, test: &str) -> Server {
    match value {
        Some(v) if !v.is_empty() => Server::Present(v),
        _ if skip_missing => Server::Skip(format!("SKIPPED {test}: {var} is not set")),
        _ => Server::Missing(format!(
            "{var} is not set: run `bash scripts/services.sh up` and `eval \"$(bash scripts/services.sh env)\"` \
             (or set {SKIP_MISSING_SERVERS}=1 to skip the tests that need a server)"
        )),
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

/// Starts `server` again (`scripts/services.sh start`) when dropped while a
/// test fails: an outage test that panics with its server down would leave
/// it down for the test binaries after it. Hold one for the whole test.
#[derive(Debug)]
pub struct RestartOnPanic(pub &'static str);

impl Drop for RestartOnPanic {
    fn drop(&mut self) {
        if std::thread::panicking() {
            services("start", self.0);
        }
    }
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::process::Command;

    #[test]
    fn a_missing_server_fails_unless_the_developer_opts_out() {
        let present = decide("SDG_X", Some("127.0.0.1:1".into()), false, "t");
        assert_eq!(present, Server::Present("127.0.0.1:1".into()));
        assert_eq!(decide("SDG_X", Some("127.0.0.1:1".into()), true, "t"), present);
        for value in [None, Some(String::new())] {
            let Server::Missing(message) = decide("SDG_X", value.clone(), false, "t") else { panic!("must fail") };
            assert!(message.starts_with("SDG_X is not set"), "{message}");
            assert!(message.contains("SDG_SKIP_MISSING_SERVERS=1"), "{message}");
            assert_eq!(decide("SDG_X", value, true, "a::b"), Server::Skip("SKIPPED a::b: SDG_X is not set".into()));
        }
    }

    /// Run by the test below in a child process of this test binary (the
    /// environment is per process, so parallel tests never see it change).
    #[test]
    fn server_child() {
        if std::env::var("SDG_TESTKIT_CHILD").is_ok() {
            let got = server("SDG_TESTKIT_UNSET_VAR");
            println!("server returned {got:?}");
        }
    }

    fn child(skip: Option<&str>) -> (bool, String) {
        let mut cmd = Command::new(std::env::current_exe().expect("test binary"));
        cmd.args(["tests::server_child", "--exact", "--nocapture"])
            .env("SDG_TESTKIT_CHILD", "1")
            .env_remove("SDG_TESTKIT_UNSET_VAR")
            .env_remove(SKIP_MISSING_SERVERS);
        if let Some(v) = skip {
            cmd.env(SKIP_MISSING_SERVERS, v);
        }
        let out = cmd.output().expect("runs the test binary");
        let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
        // Indented, so that a failure message quoting it never adds a
        // `test result:` line to scripts/test.sh's count.
        (out.status.success(), text.lines().map(|l| format!("  | {l}\n")).collect())
    }

    #[test]
    fn server_panics_on_a_missing_variable_and_skips_only_when_told() {
        for skip in [None, Some("0"), Some("")] {
            let (ok, text) = child(skip);
            assert!(!ok, "{SKIP_MISSING_SERVERS}={skip:?}: a missing server must fail the test:\n{text}");
            assert!(text.contains("SDG_TESTKIT_UNSET_VAR is not set: run"), "{text}");
            assert!(!text.contains("SKIPPED"), "{text}");
        }
        let (ok, text) = child(Some("1"));
        assert!(ok, "{text}");
        assert!(text.contains("SKIPPED sdg_testkit::tests::server_child: SDG_TESTKIT_UNSET_VAR is not set"), "{text}");
        assert!(text.contains("server returned None"), "{text}");
    }
}
