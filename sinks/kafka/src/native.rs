//! librdkafka's batch produce call, which rdkafka does not wrap: one call
//! enqueues a slice of messages through a topic handle made once, where
//! `BaseProducer::send` makes a C string of the topic name, looks the topic
//! up and reads the clock for every message. The only unsafe code of the
//! crate; each block says why it holds.
#![allow(unsafe_code)]

use rdkafka::bindings as rdsys;
use rdkafka::producer::{BaseProducer, Producer, ProducerContext};
use rdkafka::types::RDKafkaRespErr;
use std::ffi::CString;
use std::ptr::{NonNull, null_mut};

/// librdkafka's "unassigned partition": the configured partitioner picks one per message.
const PARTITION_UA: i32 = -1;

/// A librdkafka topic handle of one producer.
pub(crate) struct TopicHandle(NonNull<rdsys::rd_kafka_topic_t>);

// SAFETY: librdkafka topic handles are reference-counted objects that may be
// used from any thread (librdkafka's own threads share them).
unsafe impl Send for TopicHandle {}

impl TopicHandle {
    /// A handle for `topic` on `producer`. It must be dropped before the
    /// producer (the sink keeps it in a field declared before the producer).
    pub(crate) fn new<C: ProducerContext>(producer: &BaseProducer<C>, topic: &str) -> Option<Self> {
        let name = CString::new(topic).ok()?;
        // SAFETY: the client pointer is valid while `producer` lives; the
        // name is a valid C string for the call (librdkafka copies it); a
        // null topic config means the defaults.
        let ptr = unsafe { rdsys::rd_kafka_topic_new(producer.client().native_ptr(), name.as_ptr(), null_mut()) };
        NonNull::new(ptr).map(Self)
    }
}

impl Drop for TopicHandle {
    fn drop(&mut self) {
        // SAFETY: the handle came from rd_kafka_topic_new and is released once.
        unsafe { rdsys::rd_kafka_topic_destroy(self.0.as_ptr()) }
    }
}

/// One message for [`produce_batch`]: value and optional key, borrowed, and
/// its delivery opaque (the sink's ledger entry).
pub(crate) struct Message<'a> {
    pub value: &'a [u8],
    pub key: Option<&'a [u8]>,
    pub batch: usize,
}

/// Enqueues `messages` in order (librdkafka copies them; the partitioner
/// places each by its key). Returns how many were taken before the first
/// refusal, and that refusal's error code: when the queue is full, none of
/// the later messages was taken, so the caller goes on from there.
pub(crate) fn produce_batch<'a>(
    topic: &TopicHandle,
    messages: impl ExactSizeIterator<Item = Message<'a>>,
) -> (usize, Option<RDKafkaRespErr>) {
    let mut native: Vec<rdsys::rd_kafka_message_t> = messages
        .map(|m| rdsys::rd_kafka_message_t {
            err: RDKafkaRespErr::RD_KAFKA_RESP_ERR_NO_ERROR,
            rkt: null_mut(),
            partition: PARTITION_UA,
            // librdkafka only reads through these (RD_KAFKA_MSG_F_COPY).
            payload: m.value.as_ptr().cast_mut().cast(),
            len: m.value.len(),
            key: m.key.map_or(null_mut(), |k| k.as_ptr().cast_mut().cast()),
            key_len: m.key.map_or(0, <[u8]>::len),
            offset: 0,
            // The per-message opaque librdkafka hands back with the delivery
            // report; rdkafka reads it as the context's `usize` opaque. An
            // integer carried in a pointer, never dereferenced.
            _private: m.batch as *mut std::ffi::c_void,
        })
        .collect();
    let count = i32::try_from(native.len()).unwrap_or(i32::MAX);
    // SAFETY: the topic handle is alive; `native` holds `count` initialised
    // messages whose value and key pointers stay valid for the call, and
    // RD_KAFKA_MSG_F_COPY makes librdkafka copy them before it returns. It
    // writes only each message's `err` (and `partition`).
    unsafe {
        rdsys::rd_kafka_produce_batch(
            topic.0.as_ptr(),
            PARTITION_UA,
            rdsys::RD_KAFKA_MSG_F_COPY,
            native.as_mut_ptr(),
            count,
        );
    }
    match native.iter().position(|m| m.err != RDKafkaRespErr::RD_KAFKA_RESP_ERR_NO_ERROR) {
        None => (native.len(), None),
        Some(i) => (i, Some(native[i].err)),
    }
}
