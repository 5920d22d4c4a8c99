//! The KAFKA destination: an rdkafka `BaseProducer` (librdkafka 2.12, bundled),
//! idempotent with `acks=all` by default. Values are JSON (default), CSV or
//! Avro rows encoded by the pipeline's workers; the optional key is a field's
//! text. Rows count as delivered when their delivery report succeeds — never
//! when merely queued. A full producer queue is backpressure: the sink polls
//! and waits, it never drops. librdkafka retries failed sends itself until
//! `message_timeout_ms`; a message that still fails is kept and reported to
//! the pipeline as a retryable error, so `on_error` decides: PAUSE pauses and
//! resume sends it again first, CONTINUE sends it again after a backoff, STOP
//! fails the run and counts it as failed.
//! The topic is created through the admin API when missing (producing into
//! a topic the broker auto-creates can be far slower on some brokers).

pub mod avro;
mod native;

use arrow_array::RecordBatch;
use arrow_schema::SchemaRef;
use avro::AvroEncoder;
use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::client::DefaultClientContext;
use rdkafka::config::ClientConfig;
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::message::{Header, OwnedHeaders};
use rdkafka::producer::{BaseProducer, BaseRecord, DeliveryResult, Producer, ProducerContext, PurgeConfig};
use rdkafka::{ClientContext, Message};
use sdg_engine::issue::{Issue, Issues};
use sdg_engine::spec::Destination;
use sdg_engine::{BatchEncoder, Delivered, Encoded, Sink, SinkError};
use sdg_sinks::encode::{CsvEncoder, JsonLinesEncoder, TextCells};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::time::Duration;

/// Settings of the KAFKA destination.
#[derive(Debug, Clone, Deserialize, PartialEq, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(extend("if" = { "required": ["idempotence"], "properties": { "idempotence": { "const": false } } },
                  "else" = { "properties": { "acks": { "enum": ["all", "-1", -1, null] } } }))]
pub struct KafkaConfig {
    /// Bootstrap servers, comma-separated `host:port`.
    #[schemars(pattern(r"\S"))]
    pub brokers: String,
    /// Topic to produce to: 1–249 letters, digits, '.', '_' or '-'.
    #[schemars(pattern(r"^[A-Za-z0-9._-]{1,249}$"))]
    pub topic: String,
    /// Field whose text is the message key (rows with the same key go to the same partition); a field of the generator.
    #[serde(default)]
    pub key_field: Option<String>,
    /// Value format: json (default), csv or avro.
    #[serde(default)]
    pub format: ValueFormat,
    /// none, gzip, snappy or lz4 (default none).
    #[serde(default)]
    #[schemars(extend("enum" = ["none", "gzip", "snappy", "lz4", null]))]
    pub compression: Option<String>,
    /// all (default), 1 or 0 (text or number); an idempotent producer needs all.
    #[serde(default, deserialize_with = "text_or_number")]
    #[schemars(schema_with = "acks_schema")]
    pub acks: Option<String>,
    /// Idempotent producer: no duplicates from internal retries (default true; needs acks=all).
    #[serde(default)]
    pub idempotence: Option<bool>,
    /// How long librdkafka waits to fill a batch (default 5).
    #[serde(default)]
    pub linger_ms: Option<u64>,
    /// Largest message batch in bytes (librdkafka `batch.size`).
    #[serde(default)]
    pub batch_bytes: Option<u64>,
    /// Messages queued in the producer before it pushes back (default 100000).
    #[serde(default)]
    pub queue_messages: Option<u64>,
    /// How long librdkafka retries a message before it counts as failed (default 300000).
    #[serde(default)]
    pub message_timeout_ms: Option<u64>,
    /// Create the topic when missing (default true).
    #[serde(default)]
    pub create_topic: Option<bool>,
    /// Partitions of a created topic (default 3).
    #[serde(default)]
    #[schemars(range(min = 1))]
    pub partitions: Option<i32>,
    /// Replication factor of a created topic (default 1).
    #[serde(default)]
    #[schemars(range(min = 1))]
    pub replication_factor: Option<i32>,
    /// Headers added to every message.
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
    /// Any other librdkafka producer setting, passed through as is.
    #[serde(default)]
    pub properties: BTreeMap<String, String>,
}

fn acks_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
    schemars::json_schema!({ "enum": ["all", "-1", "0", "1", -1, 0, 1, null] })
}

/// Accepts `acks: all` as well as `acks: 1`.
fn text_or_number<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    Ok(match serde_json::Value::deserialize(d)? {
        serde_json::Value::Null => None,
        serde_json::Value::String(s) => Some(s),
        // `1.0` is acks 1, as JSON does not tell the two apart.
        serde_json::Value::Number(n) => {
            Some(n.as_f64().filter(|f| f.fract() == 0.0).map_or(n.to_string(), |f| format!("{f:.0}")))
        }
        other => return Err(serde::de::Error::custom(format!("expected all, 1 or 0, found {other}"))),
    })
}

/// The keys `KafkaConfig` accepts.
pub const KEYS: &[&str] = &[
    "brokers",
    "topic",
    "key_field",
    "format",
    "compression",
    "acks",
    "idempotence",
    "linger_ms",
    "batch_bytes",
    "queue_messages",
    "message_timeout_ms",
    "create_topic",
    "partitions",
    "replication_factor",
    "headers",
    "properties",
];

/// Message value formats.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, serde::Serialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum ValueFormat {
    /// One JSON object per message.
    #[default]
    Json,
    /// One CSV line per message (no header).
    Csv,
    /// One Avro binary datum per message.
    Avro,
}

/// Reads and checks the config, reporting every problem with its path.
pub fn config(dest: &Destination, issues: &mut Issues) -> Option<KafkaConfig> {
    let cfg: KafkaConfig = sdg_sinks::config::parse(dest, KEYS, issues)?;
    let before = issues.len();
    let at = |k: &str| format!("destination.config.{k}");
    if cfg.brokers.trim().is_empty() {
        issues.push(Issue::new(at("brokers"), "no brokers given").hint("e.g. brokers: \"127.0.0.1:9092\""));
    }
    if cfg.topic.trim().is_empty()
        || cfg.topic.len() > 249
        || !cfg.topic.chars().all(|c| c.is_ascii_alphanumeric() || "._-".contains(c))
    {
        issues.push(
            Issue::new(at("topic"), format!("`{}` is not a valid topic name", cfg.topic))
                .hint("use 1–249 letters, digits, '.', '_' or '-'"),
        );
    }
    if let Some(c) = &cfg.compression
        && !["none", "gzip", "snappy", "lz4"].contains(&c.as_str())
    {
        issues.push(
            Issue::new(at("compression"), format!("compression `{c}` is not available"))
                .hint("use none, gzip, snappy or lz4"),
        );
    }
    if let Some(a) = &cfg.acks
        && !["all", "-1", "0", "1"].contains(&a.as_str())
    {
        issues.push(Issue::new(at("acks"), format!("acks `{a}` is not valid")).hint("use all, 1 or 0"));
    }
    if cfg.idempotence.unwrap_or(true) && cfg.acks.as_deref().is_some_and(|a| a != "all" && a != "-1") {
        issues.push(
            Issue::new(at("acks"), "an idempotent producer needs acks: all")
                .hint("set idempotence: false to use other acks"),
        );
    }
    if cfg.partitions.is_some_and(|p| p < 1) {
        issues.push(Issue::new(at("partitions"), "partitions must be at least 1"));
    }
    if cfg.replication_factor.is_some_and(|p| p < 1) {
        issues.push(Issue::new(at("replication_factor"), "replication_factor must be at least 1"));
    }
    (issues.len() == before).then_some(cfg)
}

/// Checks the config, and `key_field` and value format against the fields when known.
pub fn validate(dest: &Destination, schema: Option<&SchemaRef>) -> Issues {
    let mut issues = Issues::default();
    if let (Some(cfg), Some(schema)) = (config(dest, &mut issues), schema) {
        if let Some(k) = &cfg.key_field
            && schema.field_with_name(k).is_err()
        {
            let names: Vec<&str> = schema.fields().iter().map(|f| f.name().as_str()).collect();
            issues.push(
                Issue::new("destination.config.key_field", format!("there is no field `{k}`"))
                    .hint(format!("fields: {}", names.join(", "))),
            );
        }
        if cfg.format == ValueFormat::Avro
            && let Err(e) = avro::avro_schema(schema, "row")
        {
            issues.push(Issue::new("destination.config.format", e));
        }
    }
    issues
}

/// A message whose delivery finally failed: kept to be sent again.
struct Undelivered {
    key: Option<Vec<u8>>,
    payload: Vec<u8>,
    /// The ledger entry of its batch (its delivery opaque).
    batch: usize,
}

/// Which batches are wholly acknowledged. Kafka acknowledges per partition,
/// so reports arrive out of row order: a batch settles when its last
/// message is acknowledged and every batch before it has settled. Every
/// message carries its batch's number as its delivery opaque.
#[derive(Default)]
struct Ledger {
    /// The number of the batch at the front of `open`.
    first: usize,
    /// Batches not yet settled, oldest first: (messages unacknowledged, rows
    /// it settles — 0 for the part of a batch whose write failed, which the
    /// pipeline sends again or gives up itself).
    open: std::collections::VecDeque<(u64, u64)>,
    /// Rows settled so far (ever).
    settled: u64,
}

impl Ledger {
    /// Opens the entry of a batch of `rows` messages; returns its number.
    fn open(&mut self, rows: u64) -> usize {
        self.open.push_back((rows, rows));
        self.first + self.open.len() - 1
    }

    /// `count` messages of `batch` are acknowledged (or will never be sent).
    fn acknowledged(&mut self, batch: usize, count: u64) {
        if let Some(entry) = batch.checked_sub(self.first).and_then(|i| self.open.get_mut(i)) {
            entry.0 = entry.0.saturating_sub(count);
        }
        while let Some(&(0, rows)) = self.open.front() {
            self.settled += rows;
            self.open.pop_front();
            self.first += 1;
        }
    }

    /// The write of `batch` failed after its first `taken` messages: the
    /// rest will never be sent under this number, and the batch settles
    /// nothing (the pipeline retries it whole or gives it up).
    fn cut(&mut self, batch: usize, rows: u64, taken: u64) {
        if let Some(entry) = batch.checked_sub(self.first).and_then(|i| self.open.get_mut(i)) {
            entry.1 = 0;
        }
        self.acknowledged(batch, rows - taken);
    }
}

/// Counts delivery reports and keeps the messages that failed; shared by
/// every producer the sink creates (one replaces another after a fatal error).
#[derive(Default)]
struct Counters {
    delivered: AtomicU64,
    bytes: AtomicU64,
    /// Failed delivery reports served (ever), to tell when a poll served any.
    served_failures: AtomicU64,
    undelivered: Mutex<Vec<Undelivered>>,
    last_error: Mutex<Option<String>>,
    /// Reports are served on the sink's thread (`poll`): never contended.
    ledger: Mutex<Ledger>,
}

impl Counters {
    fn ledger(&self) -> std::sync::MutexGuard<'_, Ledger> {
        self.ledger.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// The producer context: reports into the sink's counters.
#[derive(Clone, Default)]
struct Reports(std::sync::Arc<Counters>);

impl std::ops::Deref for Reports {
    type Target = Counters;
    fn deref(&self) -> &Counters {
        &self.0
    }
}

impl ClientContext for Reports {}

impl ProducerContext for Reports {
    /// The message's batch in the [`Ledger`].
    type DeliveryOpaque = usize;

    fn delivery(&self, result: &DeliveryResult<'_>, batch: usize) {
        match result {
            Ok(m) => {
                self.delivered.fetch_add(1, Relaxed);
                self.bytes.fetch_add((m.payload_len() + m.key_len()) as u64, Relaxed);
                self.ledger().acknowledged(batch, 1);
            }
            Err((e, m)) => {
                self.served_failures.fetch_add(1, Relaxed);
                if let Ok(mut last) = self.last_error.lock() {
                    *last = Some(e.to_string());
                }
                if let Ok(mut u) = self.undelivered.lock() {
                    u.push(Undelivered {
                        key: m.key().map(<[u8]>::to_vec),
                        payload: m.payload().unwrap_or_default().to_vec(),
                        batch,
                    });
                }
            }
        }
    }
}

/// How long a flush waits for outstanding deliveries.
const FLUSH_TIMEOUT: Duration = Duration::from_secs(60);

/// Rows produced between two servings of delivery reports.
const SERVE_REPORTS_EVERY: usize = 1024;

/// How long the sink sleeps while the producer queue is full and no delivery report is waiting.
const QUEUE_FULL_WAIT: Duration = Duration::from_micros(200);

/// Produces rows to a Kafka topic.
pub struct KafkaSink {
    config: KafkaConfig,
    client: ClientConfig,
    /// The producer's handle of the topic: declared before the producer, so
    /// it is dropped first. None only while the producer is being replaced.
    topic: Option<native::TopicHandle>,
    producer: BaseProducer<Reports>,
    key_column: Option<usize>,
    headers: Option<OwnedHeaders>,
    /// Delivered rows, bytes and settled rows reported to the pipeline so far.
    reported: (u64, u64, u64),
    /// Failed deliveries were reported to the pipeline; the next write re-sends them.
    failure_reported: bool,
    scratch: Encoded,
    /// The keys of the batch being produced, back to back, and each row's (None: no key).
    keys: Vec<u8>,
    key_spans: Vec<Option<(usize, usize)>>,
}

impl std::fmt::Debug for KafkaSink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KafkaSink").field("topic", &self.config.topic).finish_non_exhaustive()
    }
}

fn kafka_error(context: &str, e: &KafkaError) -> SinkError {
    let message = format!("{context}: {e}");
    match e.rdkafka_error_code() {
        Some(
            RDKafkaErrorCode::InvalidConfig
            | RDKafkaErrorCode::UnknownTopic
            | RDKafkaErrorCode::UnknownTopicOrPartition
            | RDKafkaErrorCode::MessageSizeTooLarge
            | RDKafkaErrorCode::InvalidMessage
            | RDKafkaErrorCode::TopicAuthorizationFailed,
        ) => SinkError::fatal(message),
        _ => SinkError::retryable(message),
    }
}

impl KafkaSink {
    /// Creates the producer (and the topic, unless `create_topic: false`).
    pub fn open(config: KafkaConfig, schema: SchemaRef) -> Result<Self, SinkError> {
        let key_column = match &config.key_field {
            None => None,
            Some(k) => {
                Some(schema.index_of(k).map_err(|_| SinkError::fatal(format!("key_field: there is no field `{k}`")))?)
            }
        };
        let mut client = ClientConfig::new();
        client
            .set("bootstrap.servers", &config.brokers)
            .set("acks", config.acks.as_deref().unwrap_or("all"))
            .set("enable.idempotence", config.idempotence.unwrap_or(true).to_string())
            .set("linger.ms", config.linger_ms.unwrap_or(5).to_string())
            .set("compression.type", config.compression.as_deref().unwrap_or("none"))
            .set("queue.buffering.max.messages", config.queue_messages.unwrap_or(100_000).to_string())
            .set("message.timeout.ms", config.message_timeout_ms.unwrap_or(300_000).to_string());
        if let Some(b) = config.batch_bytes {
            client.set("batch.size", b.to_string());
        }
        for (k, v) in &config.properties {
            client.set(k, v);
        }
        // The producer first: an idempotent one asks for its producer id on
        // a 500 ms timer from its creation, which then runs while the topic
        // is looked up (and created), not after.
        let producer: BaseProducer<Reports> = client
            .create_with_context(Reports::default())
            .map_err(|e| kafka_error("creating the Kafka producer", &e))?;
        prepare_topic(&producer, &client, &config)?;
        let topic = Some(topic_handle(&producer, &config.topic)?);
        let client = client.clone();
        let headers = (!config.headers.is_empty()).then(|| {
            config
                .headers
                .iter()
                .fold(OwnedHeaders::new(), |h, (k, v)| h.insert(Header { key: k, value: Some(v.as_bytes()) }))
        });
        Ok(Self {
            config,
            client,
            topic,
            producer,
            key_column,
            headers,
            reported: (0, 0, 0),
            failure_reported: false,
            scratch: Encoded::default(),
            keys: Vec::new(),
            key_spans: Vec::new(),
        })
    }

    /// Successful delivery reports (and batches settled) since the last call.
    fn take_reports(&mut self) -> Delivered {
        let ctx = self.producer.context();
        let now = (ctx.delivered.load(Relaxed), ctx.bytes.load(Relaxed), ctx.ledger().settled);
        let d = Delivered {
            rows: now.0 - self.reported.0,
            bytes: now.1 - self.reported.1,
            failed: 0,
            settled: now.2 - self.reported.2,
        };
        self.reported = now;
        d
    }

    fn undelivered_count(&self) -> usize {
        self.producer.context().undelivered.lock().map(|u| u.len()).unwrap_or(0)
    }

    /// Deals with messages whose delivery failed (after librdkafka's own retries
    /// until `message_timeout_ms`): the first time, reports them as a retryable
    /// error, so the run's `on_error` decides (PAUSE pauses, STOP fails,
    /// CONTINUE retries); on the next write they are sent again, first.
    fn handle_undelivered(&mut self) -> Result<(), SinkError> {
        self.producer.poll(Duration::ZERO);
        let pending = self.undelivered_count();
        if pending == 0 {
            self.failure_reported = false;
            return Ok(());
        }
        if !self.failure_reported {
            self.failure_reported = true;
            let last = self.producer.context().last_error.lock().ok().and_then(|l| l.clone()).unwrap_or_default();
            tracing::warn!(pending, error = %last, topic = %self.config.topic, "Kafka deliveries failed");
            return Err(SinkError::retryable(format!(
                "{pending} messages to {} were not delivered within message_timeout_ms ({last}); they are sent again when the run goes on",
                self.config.topic
            )));
        }
        // Messages expired while the broker was away leave an idempotent
        // producer fenced or in a fatal state: send them again through a new
        // producer. Whatever the old one still held comes along (purged into
        // the same list), so nothing is dropped; duplicates are possible.
        self.producer.purge(PurgeConfig::default().queue().inflight());
        self.producer.poll(Duration::from_millis(100));
        let context = Reports::clone(self.producer.context());
        self.topic = None;
        self.producer =
            self.client.create_with_context(context).map_err(|e| kafka_error("re-creating the Kafka producer", &e))?;
        self.topic = Some(topic_handle(&self.producer, &self.config.topic)?);
        let messages =
            self.producer.context().undelivered.lock().map(|mut u| std::mem::take(&mut *u)).unwrap_or_default();
        let (mut sent, mut failure) = (0, None);
        for m in &messages {
            let mut record: BaseRecord<'_, [u8], [u8], usize> =
                BaseRecord::with_opaque_to(&self.config.topic, m.batch).payload(&m.payload);
            if let Some(k) = &m.key {
                record = record.key(k.as_slice());
            }
            if let Some(h) = &self.headers {
                record = record.headers(h.clone());
            }
            if let Err(e) = self.send_record(record) {
                failure = Some(e);
                break;
            }
            sent += 1;
        }
        if let Some(e) = failure {
            // The rest stays kept, to be sent again by the next call.
            if let Ok(mut u) = self.producer.context().undelivered.lock() {
                u.extend(messages.into_iter().skip(sent));
            }
            return Err(e);
        }
        self.failure_reported = false;
        Ok(())
    }

    /// Sends one record, waiting (polling) while the producer queue is full.
    fn send_record(&self, mut record: BaseRecord<'_, [u8], [u8], usize>) -> Result<(), SinkError> {
        loop {
            match self.producer.send(record) {
                Ok(()) => return Ok(()),
                Err((KafkaError::MessageProduction(RDKafkaErrorCode::QueueFull), r)) => {
                    self.wait_for_room();
                    record = r;
                }
                Err((e, _)) => return Err(kafka_error(&format!("producing to {}", self.config.topic), &e)),
            }
        }
    }

    fn encoder(&self) -> Box<dyn BatchEncoder> {
        match self.config.format {
            ValueFormat::Json => Box::new(JsonLinesEncoder::new()),
            ValueFormat::Csv => Box::new(CsvEncoder::new()),
            ValueFormat::Avro => Box::new(AvroEncoder),
        }
    }

    /// Produces every row of the batch under one ledger entry; when it fails
    /// part way, the entry settles nothing (the pipeline retries the batch
    /// whole or gives it up).
    fn produce(&mut self, batch: &RecordBatch, values: &Encoded) -> Result<(), SinkError> {
        let rows = batch.num_rows() as u64;
        let entry = self.producer.context().ledger().open(rows);
        let mut taken = 0;
        let result = self.produce_rows(batch, values, entry, &mut taken);
        if result.is_err() {
            self.producer.context().ledger().cut(entry, rows, taken as u64);
        }
        result
    }

    /// Produces the rows of a batch as messages of ledger entry `entry`,
    /// counting in `taken` those the producer took.
    fn produce_rows(
        &mut self,
        batch: &RecordBatch,
        values: &Encoded,
        entry: usize,
        taken: &mut usize,
    ) -> Result<(), SinkError> {
        let mut cells = TextCells::new(batch).map_err(|e| SinkError::fatal(e.to_string()))?;
        let rows = batch.num_rows();
        self.keys.clear();
        self.key_spans.clear();
        if let Some(c) = self.key_column {
            for row in 0..rows {
                let start = self.keys.len();
                let present = cells.put(c, row, &mut self.keys);
                self.key_spans.push(present.then_some((start, self.keys.len())));
            }
        }
        let strip = self.config.format != ValueFormat::Avro;
        let value = |row: usize| {
            let v = values.slice(row, row + 1);
            if strip { v.strip_suffix(b"\n").unwrap_or(v) } else { v }
        };
        let key = |row: usize| self.key_spans.get(row).copied().flatten().map(|(a, b)| &self.keys[a..b]);
        if let Some(h) = &self.headers {
            // Headers need librdkafka's one-message call.
            for row in 0..rows {
                let mut record: BaseRecord<'_, [u8], [u8], usize> =
                    BaseRecord::with_opaque_to(&self.config.topic, entry).payload(value(row)).headers(h.clone());
                if let Some(k) = key(row) {
                    record = record.key(k);
                }
                self.send_record(record)?;
                *taken += 1;
                if row % SERVE_REPORTS_EVERY == SERVE_REPORTS_EVERY - 1 {
                    self.serve_reports();
                }
            }
        } else {
            while *taken < rows {
                let end = (*taken + SERVE_REPORTS_EVERY).min(rows);
                *taken += self.enqueue((*taken..end).map(|row| native::Message {
                    value: value(row),
                    key: key(row),
                    batch: entry,
                }))?;
                self.serve_reports();
            }
        }
        self.serve_reports();
        Ok(())
    }

    /// Waits until every message is acknowledged (or failed) and its report
    /// served. Not rdkafka's `flush`, which polls in 100 ms steps that each
    /// wait out their whole 100 ms.
    fn drain(&self, timeout: Duration) -> Result<(), KafkaError> {
        let deadline = std::time::Instant::now() + timeout;
        loop {
            self.serve_reports();
            // One non-blocking librdkafka flush: sends what lingers, says whether all is done.
            match self.producer.flush(Duration::ZERO) {
                Ok(()) => {
                    self.serve_reports();
                    return Ok(());
                }
                Err(e) if std::time::Instant::now() >= deadline => return Err(e),
                Err(_) => std::thread::sleep(QUEUE_FULL_WAIT),
            }
        }
    }

    /// Enqueues messages in order; returns how many the producer took
    /// (fewer when its queue is full, after waiting for room).
    fn enqueue<'a>(&self, messages: impl ExactSizeIterator<Item = native::Message<'a>>) -> Result<usize, SinkError> {
        let topic = self.topic.as_ref().ok_or_else(|| SinkError::retryable("the Kafka producer is being replaced"))?;
        match native::produce_batch(topic, messages) {
            (n, None) => Ok(n),
            (n, Some(err)) => match RDKafkaErrorCode::from(err) {
                RDKafkaErrorCode::QueueFull => {
                    self.wait_for_room();
                    Ok(n)
                }
                code => Err(kafka_error(
                    &format!("producing to {}", self.config.topic),
                    &KafkaError::MessageProduction(code),
                )),
            },
        }
    }

    /// Backpressure on a full producer queue: serves delivery reports,
    /// sleeping briefly while none is waiting, until the queue is below its
    /// limit (so a broker outage does not rebuild a refused call every 200 µs).
    /// Not `poll(timeout)`: rdkafka's poll always waits out its whole timeout,
    /// even after serving reports (50 ms slices cost a third of a run's time),
    /// and spins through the last millisecond (1 ms slices kept a core busy
    /// doing nothing).
    fn wait_for_room(&self) {
        let limit = i32::try_from(self.config.queue_messages.unwrap_or(100_000)).unwrap_or(i32::MAX);
        loop {
            if !self.serve_reports() {
                std::thread::sleep(QUEUE_FULL_WAIT);
            }
            if self.producer.in_flight_count() < limit {
                return;
            }
        }
    }

    /// Serves every delivery report waiting, without blocking. A message
    /// leaves the producer queue only once its report is served, so reports
    /// left waiting fill the queue as surely as a slow broker.
    /// True when it served any.
    fn serve_reports(&self) -> bool {
        let ctx = self.producer.context();
        let mut served = false;
        loop {
            let before = (ctx.delivered.load(Relaxed), ctx.served_failures.load(Relaxed));
            // One event (one report of many messages) per call.
            self.producer.poll(Duration::ZERO);
            if (ctx.delivered.load(Relaxed), ctx.served_failures.load(Relaxed)) == before {
                return served;
            }
            served = true;
        }
    }
}

/// How long opening the sink waits for the brokers to answer, and for a
/// created topic to be listed.
const OPEN_WAIT: Duration = Duration::from_secs(10);

/// Whether the brokers list `topic` with its partitions; `Err` when they
/// cannot be reached within `timeout`. A missing topic comes with the reason.
/// Asks for every topic: a request naming the topic would let a broker with
/// `auto.create.topics.enable` create it, with its default partitions.
fn topic_listed(
    producer: &BaseProducer<Reports>,
    topic: &str,
    timeout: Duration,
) -> Result<Result<(), String>, KafkaError> {
    let m = producer.client().fetch_metadata(None, timeout)?;
    Ok(match m.topics().iter().find(|t| t.name() == topic) {
        Some(t) if t.error().is_none() && !t.partitions().is_empty() => Ok(()),
        Some(t) => Err(t.error().map(|e| format!("{:?}", RDKafkaErrorCode::from(e))).unwrap_or("no partitions".into())),
        None => Err("not listed".into()),
    })
}

/// Connects the producer and makes sure the topic is there (creating it when
/// allowed), so a run starts with the producer connected, and an unreachable
/// broker or a missing topic is an error at start, not a stall. The
/// connection stays open for the producer.
fn prepare_topic(
    producer: &BaseProducer<Reports>,
    client: &ClientConfig,
    config: &KafkaConfig,
) -> Result<(), SinkError> {
    let (topic, brokers) = (config.topic.as_str(), config.brokers.as_str());
    let unreachable = |e: KafkaError| {
        SinkError::retryable(format!(
            "cannot reach the Kafka brokers at {brokers} within {} s ({e}) — check `brokers` and that they are up",
            OPEN_WAIT.as_secs()
        ))
    };
    let mut created = None;
    loop {
        let problem = match topic_listed(producer, topic, OPEN_WAIT).map_err(unreachable)? {
            Ok(()) => return Ok(()),
            Err(problem) => problem,
        };
        match created {
            None if !config.create_topic.unwrap_or(true) => {
                return Err(SinkError::fatal(format!(
                    "topic {topic} does not exist at {brokers} ({problem}) — create it, or leave create_topic on (the default)"
                )));
            }
            None => {
                create_topic(client, config)?;
                created = Some(std::time::Instant::now());
                continue;
            }
            // A topic just created takes a moment to appear in the metadata.
            Some(at) if at.elapsed() >= OPEN_WAIT => {
                return Err(SinkError::retryable(format!(
                    "topic {topic} was created but the brokers at {brokers} did not list it within {} s ({problem})",
                    OPEN_WAIT.as_secs()
                )));
            }
            Some(_) => std::thread::sleep(Duration::from_millis(50)),
        }
    }
}

fn topic_handle(producer: &BaseProducer<Reports>, topic: &str) -> Result<native::TopicHandle, SinkError> {
    native::TopicHandle::new(producer, topic)
        .ok_or_else(|| SinkError::fatal(format!("librdkafka refused a handle for topic {topic:?}")))
}

fn create_topic(client: &ClientConfig, config: &KafkaConfig) -> Result<(), SinkError> {
    let admin: AdminClient<DefaultClientContext> =
        client.create().map_err(|e| kafka_error("creating the Kafka admin client", &e))?;
    let topic = NewTopic::new(
        &config.topic,
        config.partitions.unwrap_or(3),
        TopicReplication::Fixed(config.replication_factor.unwrap_or(1)),
    );
    let options = AdminOptions::new().operation_timeout(Some(Duration::from_secs(10)));
    let results = futures_executor::block_on(admin.create_topics([&topic], &options))
        .map_err(|e| kafka_error(&format!("creating topic {}", config.topic), &e))?;
    for r in results {
        match r {
            Ok(_) | Err((_, RDKafkaErrorCode::TopicAlreadyExists)) => {}
            Err((t, code)) => {
                return Err(SinkError::retryable(format!("creating topic {t}: {code}")));
            }
        }
    }
    Ok(())
}

impl Sink for KafkaSink {
    fn worker_encoder(&self) -> Option<Box<dyn BatchEncoder>> {
        Some(self.encoder())
    }

    fn write(&mut self, batch: &RecordBatch, encoded: Option<&Encoded>) -> Result<Delivered, SinkError> {
        self.handle_undelivered()?;
        let mut scratch = std::mem::take(&mut self.scratch);
        let values = match encoded {
            Some(e) => e,
            None => {
                scratch.clear();
                self.encoder().encode(batch, &mut scratch)?;
                &scratch
            }
        };
        let result = self.produce(batch, values);
        self.scratch = scratch;
        result?;
        Ok(self.take_reports())
    }

    fn flush(&mut self) -> Result<Delivered, SinkError> {
        self.handle_undelivered()?;
        if let Err(e) = self.drain(FLUSH_TIMEOUT) {
            return Err(kafka_error(&format!("flushing {} messages", self.producer.in_flight_count()), &e));
        }
        // Deliveries that failed during the flush go through on_error too.
        self.handle_undelivered()?;
        // Acknowledgements stay counted until a call succeeds, so none is lost to an error.
        Ok(self.take_reports())
    }

    fn close(&mut self) -> Result<Delivered, SinkError> {
        let flushed = self.drain(FLUSH_TIMEOUT);
        let mut d = self.take_reports();
        if let Err(e) = flushed {
            // Still unacknowledged after the flush timeout: counted as failed, never as delivered.
            let in_flight = self.producer.in_flight_count().max(0) as u64;
            tracing::error!(in_flight, error = %e, topic = %self.config.topic, "Kafka messages undelivered at close");
            d.failed += in_flight;
        }
        let undelivered = self.undelivered_count() as u64;
        if undelivered > 0 {
            tracing::error!(undelivered, topic = %self.config.topic, "Kafka messages failed delivery and were not sent again");
            d.failed += undelivered;
        }
        Ok(d)
    }
}

#[cfg(test)]
mod tests {
    use super::Ledger;

    #[test]
    fn a_batch_settles_when_it_and_every_batch_before_it_are_acknowledged() {
        let mut l = Ledger::default();
        let (a, b, c) = (l.open(3), l.open(2), l.open(4));
        // Acknowledgements out of row order (per partition): b and c first.
        l.acknowledged(b, 2);
        l.acknowledged(c, 4);
        assert_eq!(l.settled, 0, "a is still in flight");
        l.acknowledged(a, 2);
        assert_eq!(l.settled, 0);
        l.acknowledged(a, 1);
        assert_eq!(l.settled, 9);
        assert!(l.open.is_empty());
    }

    #[test]
    fn a_cut_batch_settles_nothing_but_holds_the_line_until_its_messages_are_acknowledged() {
        let mut l = Ledger::default();
        let a = l.open(5);
        l.cut(a, 5, 2); // 2 of 5 messages taken before the write failed
        let b = l.open(3); // the retry of the same rows
        l.acknowledged(b, 3);
        assert_eq!(l.settled, 0, "the cut batch's 2 messages are still in flight");
        l.acknowledged(a, 2);
        assert_eq!(l.settled, 3, "the retry's rows, never the cut batch's");
        // A number from before the ledger's front (a report of a settled batch) changes nothing.
        l.acknowledged(a, 1);
        assert_eq!(l.settled, 3);
    }
}
