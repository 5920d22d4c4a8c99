//! Helpers shared by the PostgreSQL integration tests.

#![allow(dead_code)]

use sdg_engine::{Plan, Run, RunConfig};
use sdg_sink_postgres::{PostgresConfig, PostgresSink};
use std::sync::Arc;

/// The server URL, or None to skip (see sdg_testkit::server).
pub fn url() -> Option<String> {
    sdg_testkit::server("SDG_TEST_POSTGRES_URL")
}

pub fn client(url: &str) -> postgres_client::Client {
    postgres_client::Client::connect(url)
}

/// A small synchronous client for checks, on its own runtime.
pub mod postgres_client {
    pub struct Client {
        rt: tokio::runtime::Runtime,
        client: tokio_postgres::Client,
    }

    impl Client {
        pub fn connect(url: &str) -> Self {
            let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
            let (client, conn) = rt.block_on(tokio_postgres::connect(url, tokio_postgres::NoTls)).expect("connect");
            rt.spawn(conn);
            Self { rt, client }
        }

        pub fn exec(&self, sql: &str) {
            self.rt.block_on(self.client.batch_execute(sql)).unwrap_or_else(|e| panic!("{sql}: {e}"));
        }

        pub fn count(&self, sql: &str) -> i64 {
            self.rt.block_on(self.client.query_one(sql, &[])).unwrap_or_else(|e| panic!("{sql}: {e}")).get(0)
        }

        pub fn rows(&self, sql: &str) -> Vec<tokio_postgres::Row> {
            self.rt.block_on(self.client.query(sql, &[])).unwrap_or_else(|e| panic!("{sql}: {e}"))
        }
    }
}

pub fn plan(table: &str, rows: u64, extra: &str) -> Plan {
    let head = format!(
        "name: pg\nseed: 11\nbatch_size: 1000\n{extra}\ndestination: {{ type: POSTGRES, config: {{ url: x, table: \"{table}\" }} }}"
    );
    sdg_testkit::orders_plan(&head, rows, "  - { name: flag, type: CONSTANT, params: { value: true } }\n")
}

pub fn sink(url: &str, table: &str, create: bool, plan: &Plan) -> Result<PostgresSink, sdg_engine::SinkError> {
    PostgresSink::open(config(url, table, create), plan.schema().clone())
}

pub fn config(url: &str, table: &str, create: bool) -> PostgresConfig {
    PostgresConfig {
        url: url.to_string(),
        table: table.to_string(),
        schema: None,
        create_table: create,
        connect_attempts: Some(3),
        commit_bytes: None,
        commit_interval_ms: None,
    }
}

pub fn run(plan: Plan, sink: PostgresSink, workers: usize) -> Run {
    let run = Run::new(Arc::new(plan), RunConfig { workers, queue_batches: 2 * workers + 2, ..RunConfig::default() });
    run.start(Box::new(sink)).expect("starts");
    run
}
