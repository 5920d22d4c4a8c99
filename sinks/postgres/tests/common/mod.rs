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
    let yaml = format!(
        r#"
name: pg
seed: 11
batch_size: 1000
{extra}
end_condition: {{ type: RECORD_COUNT, value: {rows} }}
destination: {{ type: POSTGRES, config: {{ url: x, table: "{table}" }} }}
fields:
  - {{ name: order_id,   type: SEQUENCE }}
  - {{ name: id,         type: UUID_GENERATED }}
  - {{ name: created_at, type: TIMESTAMP_GENERATED, params: {{ step: 250ms }} }}
  - {{ name: status,     type: ENUM_RANDOM, params: {{ values: [NEW, PAID, SHIPPED] }} }}
  - {{ name: amount,     type: NUMERIC_RANGE, params: {{ min: 1, max: 500, decimals: 2 }} }}
  - {{ name: flag,       type: CONSTANT, params: {{ value: true }} }}
  - {{ name: coupon,     type: ENUM_RANDOM, params: {{ values: [A10] }}, null_ratio: 0.5 }}
"#
    );
    Plan::compile(&sdg_engine::spec::parse_yaml(&yaml).expect("valid")).expect("compiles")
}

pub fn sink(url: &str, table: &str, create: bool, plan: &Plan) -> Result<PostgresSink, sdg_engine::SinkError> {
    let config = PostgresConfig {
        url: url.to_string(),
        table: table.to_string(),
        schema: None,
        create_table: create,
        connect_attempts: Some(3),
    };
    PostgresSink::open(config, plan.schema().clone())
}

pub fn run(plan: Plan, sink: PostgresSink, workers: usize) -> Run {
    let run = Run::new(Arc::new(plan), RunConfig { workers, queue_batches: 2 * workers + 2, start_row: 0 });
    run.start(Box::new(sink)).expect("starts");
    run
}
