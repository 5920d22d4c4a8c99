//! The Kafka ceiling for the sink load scenario: a raw librdkafka
//! `BaseProducer` (the same settings sdg uses: acks=all, idempotence, linger
//! 5 ms, lz4) sending N messages to a topic created beforehand, counting
//! delivery reports. The messages are the lines of `--payloads FILE` (the
//! very rows sdg sends, keyed 1, 2, 3 … as sdg's `order_id`), or else
//! pseudo-random text of `--size` bytes. Prints `messages seconds msg_per_sec`.

use anyhow::{Context, Result, bail};
use clap::Parser;
use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::client::DefaultClientContext;
use rdkafka::config::ClientConfig;
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::producer::{BaseProducer, BaseRecord, DeliveryResult, Producer, ProducerContext};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

#[derive(Debug, Parser)]
struct Args {
    /// Bootstrap servers.
    #[arg(long, default_value = "127.0.0.1:9092")]
    brokers: String,
    /// Topic (created with `--partitions` if missing).
    #[arg(long)]
    topic: String,
    /// Messages to send.
    #[arg(long, default_value_t = 1_000_000)]
    messages: u64,
    /// Bytes per message value (without --payloads).
    #[arg(long, default_value_t = 200)]
    size: usize,
    /// A file of messages, one per line (e.g. `sdg run … --to file:rows.jsonl`),
    /// read into memory before the clock starts and sent in order, repeated
    /// when shorter than --messages; each gets its 1-based line number as key.
    #[arg(long)]
    payloads: Option<std::path::PathBuf>,
    /// Key bytes per message (0: no key).
    #[arg(long, default_value_t = 7)]
    key_size: usize,
    #[arg(long, default_value_t = 3)]
    partitions: i32,
    #[arg(long, default_value = "lz4")]
    compression: String,
}

#[derive(Default)]
struct Counts {
    ok: AtomicU64,
    failed: AtomicU64,
}

impl rdkafka::ClientContext for Counts {}

impl ProducerContext for Counts {
    type DeliveryOpaque = ();
    fn delivery(&self, r: &DeliveryResult<'_>, _: ()) {
        match r {
            Ok(_) => self.ok.fetch_add(1, Ordering::Relaxed),
            Err(_) => self.failed.fetch_add(1, Ordering::Relaxed),
        };
    }
}

fn main() -> Result<()> {
    let a = Args::parse();
    let mut config = ClientConfig::new();
    config
        .set("bootstrap.servers", &a.brokers)
        .set("acks", "all")
        .set("enable.idempotence", "true")
        .set("linger.ms", "5")
        .set("compression.type", &a.compression)
        .set("queue.buffering.max.messages", "100000");
    let payloads = match &a.payloads {
        Some(path) => {
            let text = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
            let lines: Vec<Vec<u8>> =
                text.split(|b| *b == b'\n').filter(|l| !l.is_empty()).map(<[u8]>::to_vec).collect();
            if lines.is_empty() {
                bail!("{} has no lines", path.display());
            }
            lines
        }
        None => random_payloads(a.size),
    };
    // The same start as sdg's sink: producer, topic, metadata listing the
    // topic; the clock starts right after, as sdg's does after opening it.
    let producer: BaseProducer<Counts> = config.create_with_context(Counts::default()).context("producer")?;
    let admin: AdminClient<DefaultClientContext> = config.create().context("admin client")?;
    let topic = NewTopic::new(&a.topic, a.partitions, TopicReplication::Fixed(1));
    let _ = futures_executor::block_on(admin.create_topics([&topic], &AdminOptions::new()));
    let listed = Instant::now() + Duration::from_secs(10);
    while !producer.client().fetch_metadata(Some(&a.topic), Duration::from_secs(1)).is_ok_and(|m| {
        m.topics().iter().any(|t| t.name() == a.topic && t.error().is_none() && !t.partitions().is_empty())
    }) {
        if Instant::now() > listed {
            bail!("topic {} not listed by the brokers", a.topic);
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let keyed_by_line = a.payloads.is_some();
    let t0 = Instant::now();
    let mut key = String::new();
    for i in 0..a.messages {
        let mut record: BaseRecord<'_, [u8], [u8]> =
            BaseRecord::to(&a.topic).payload(&payloads[(i % payloads.len() as u64) as usize]);
        if keyed_by_line {
            key.clear();
            key.push_str(&(i + 1).to_string());
            record = record.key(key.as_bytes());
        } else if a.key_size > 0 {
            key.clear();
            key.push_str(&(1_000_000 + i).to_string());
            key.truncate(a.key_size);
            record = record.key(key.as_bytes());
        }
        loop {
            match producer.send(record) {
                Ok(()) => break,
                Err((KafkaError::MessageProduction(RDKafkaErrorCode::QueueFull), r)) => {
                    // Serve waiting reports, else sleep briefly: rdkafka's
                    // poll(timeout) waits out its whole timeout and spins
                    // through its last millisecond.
                    let before = producer.context().ok.load(Ordering::Relaxed);
                    producer.poll(Duration::ZERO);
                    if producer.context().ok.load(Ordering::Relaxed) == before {
                        std::thread::sleep(Duration::from_micros(200));
                    }
                    record = r;
                }
                Err((e, _)) => bail!("send: {e}"),
            }
        }
        producer.poll(Duration::ZERO);
    }
    // Flush without rdkafka's `flush`, whose 100 ms poll steps each wait out
    // their whole 100 ms (sdg's sink flushes the same way).
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        producer.poll(Duration::ZERO);
        match producer.flush(Duration::ZERO) {
            Ok(()) => break,
            Err(e) if Instant::now() > deadline => bail!("flush: {e}"),
            Err(_) => std::thread::sleep(Duration::from_micros(200)),
        }
    }
    producer.poll(Duration::ZERO);
    let secs = t0.elapsed().as_secs_f64();
    let ok = producer.context().ok.load(Ordering::Relaxed);
    if producer.context().failed.load(Ordering::Relaxed) > 0 {
        bail!("{} messages failed", producer.context().failed.load(Ordering::Relaxed));
    }
    println!("{ok} {secs:.3} {:.0}", ok as f64 / secs);
    Ok(())
}

/// 1024 distinct payloads of pseudo-random text (as hard to compress as
/// generated rows, unlike a repeated pattern).
fn random_payloads(size: usize) -> Vec<Vec<u8>> {
    let mut state = 0x9E37_79B9_7F4A_7C15u64;
    (0..1024)
        .map(|_| {
            (0..size)
                .map(|_| {
                    state = state.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
                    b"0123456789abcdefghijklmnopqrstuvwxyz,:\"{}"[((state >> 33) % 41) as usize]
                })
                .collect()
        })
        .collect()
}
