//! Helpers shared by the Redis integration tests.

#![allow(dead_code)]

use fred::prelude::*;
use sdg_engine::{Plan, Run, RunConfig};
use sdg_sink_dragonfly::{DragonflyConfig, DragonflySink, Mode};
use std::sync::Arc;

/// The server URL, or None to skip (see sdg_testkit::server).
pub fn url() -> Option<String> {
    sdg_testkit::server("SDG_TEST_REDIS_URL")
}

pub fn plan(rows: u64, extra: &str) -> Plan {
    let head = format!(
        "name: redis\nseed: 5\nbatch_size: 500\n{extra}\ndestination: {{ type: DRAGONFLY, config: {{ url: x, key: x }} }}"
    );
    sdg_testkit::orders_plan(&head, rows, "")
}

pub fn config(url: &str, mode: Mode, key: &str, ttl: Option<u64>) -> DragonflyConfig {
    DragonflyConfig { url: url.into(), mode, key: key.into(), ttl, maxlen: None, timeout: Some(10) }
}

pub fn sink(url: &str, mode: Mode, key: &str, ttl: Option<u64>, plan: &Plan) -> DragonflySink {
    DragonflySink::open(config(url, mode, key, ttl), plan.schema().clone()).expect("opens")
}

pub fn run(plan: Plan, sink: DragonflySink, workers: usize) -> Run {
    let run = Run::new(Arc::new(plan), RunConfig { workers, queue_batches: 2 * workers + 2, ..RunConfig::default() });
    run.start(Box::new(sink)).expect("starts");
    run
}

/// A checking client on its own runtime.
pub struct Redis {
    rt: tokio::runtime::Runtime,
    client: Client,
}

impl Redis {
    pub fn connect(url: &str) -> Self {
        let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().expect("runtime");
        let client = Builder::from_config(Config::from_url(url).expect("url")).build().expect("client");
        rt.block_on(client.init()).expect("connects");
        Self { rt, client }
    }

    pub fn run<T, F, Fut>(&self, f: F) -> T
    where
        F: FnOnce(Client) -> Fut,
        Fut: std::future::Future<Output = Result<T, Error>>,
    {
        self.rt.block_on(f(self.client.clone())).expect("redis command")
    }

    /// Keys starting with `prefix` (KEYS: fine for a test database).
    pub fn keys(&self, prefix: &str) -> Vec<String> {
        self.run(|c| {
            let pattern = format!("{prefix}*");
            async move {
                c.custom(
                    fred::types::CustomCommand::new_static("KEYS", fred::types::ClusterHash::FirstKey, false),
                    vec![pattern],
                )
                .await
            }
        })
    }

    pub fn count_prefix(&self, prefix: &str) -> usize {
        self.keys(prefix).len()
    }

    pub fn del_prefix(&self, prefix: &str) {
        let keys = self.keys(prefix);
        for chunk in keys.chunks(1000) {
            let chunk = chunk.to_vec();
            let _: i64 = self.run(|c| async move { c.del(chunk).await });
        }
    }

    /// Subscribes to `channel`, runs `publish`, and counts messages until `expected` or 10 s.
    pub fn subscribe_count(&self, channel: &str, expected: usize, publish: impl FnOnce()) -> usize {
        let subscriber = Builder::from_config(self.client.client_config())
            .with_performance_config(|p| p.broadcast_channel_capacity = 1 << 16)
            .build_subscriber_client()
            .expect("subscriber");
        self.rt.block_on(subscriber.init()).expect("connects");
        let mut rx = subscriber.message_rx();
        self.rt.block_on(subscriber.subscribe(channel)).expect("subscribes");
        let counter = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let c2 = counter.clone();
        self.rt.spawn(async move {
            loop {
                match rx.recv().await {
                    Ok(_) => c2.fetch_add(1, std::sync::atomic::Ordering::SeqCst),
                    Err(tokio::sync::broadcast::error::RecvError::Lagged(n)) => {
                        panic!("subscriber lagged by {n} messages")
                    }
                    Err(_) => break,
                };
            }
        });
        publish();
        let t0 = std::time::Instant::now();
        while counter.load(std::sync::atomic::Ordering::SeqCst) < expected
            && t0.elapsed() < std::time::Duration::from_secs(10)
        {
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        counter.load(std::sync::atomic::Ordering::SeqCst)
    }
}
