//! Usage per key (seed 004's `/account/usage`): requests, rows generated
//! and bytes exported, counted in hourly buckets per caller (a key's id,
//! `config-N` for a configured key, `anonymous` on a server without keys),
//! stored once a second, summed per hour, day or month on request.
//!
//! Rows are those the server made for the request: the rows of a
//! synchronous answer, the rows a job was asked for (counted when it is
//! submitted). Bytes are those of exported files downloaded.

use crate::store::{Store, USAGE};
use chrono::{DateTime, Datelike, TimeZone, Timelike, Utc};
use parking_lot::Mutex;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::sync::Arc;

/// What a response reports for usage (a response extension set by handlers).
#[derive(Debug, Clone, Copy, Default)]
pub struct Metered {
    pub rows: u64,
    pub bytes: u64,
}

#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize, PartialEq)]
pub struct Counters {
    pub requests: u64,
    pub rows_generated: u64,
    pub bytes_exported: u64,
}

#[derive(Serialize, Deserialize)]
struct Bucket {
    key: String,
    hour: i64,
    #[serde(flatten)]
    counters: Counters,
}

/// A bucket's counters, its stored version, and whether it changed since.
type Slot = (Counters, u64, bool);

/// The counters of this server.
pub struct Usage {
    /// (caller, hour start in Unix seconds) → counters, and their version.
    map: Mutex<BTreeMap<(String, i64), Slot>>,
    store: Arc<Store>,
}

impl std::fmt::Debug for Usage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Usage").finish_non_exhaustive()
    }
}

fn hour_of(t: DateTime<Utc>) -> i64 {
    t.timestamp() - t.timestamp().rem_euclid(3600)
}

fn doc_id(key: &str, hour: i64) -> String {
    format!("usage|{key}|{hour}")
}

impl Usage {
    pub fn open(store: Arc<Store>) -> anyhow::Result<Arc<Self>> {
        let mut map = BTreeMap::new();
        for b in store.load_docs::<Bucket>(USAGE)? {
            map.insert((b.key, b.hour), (b.counters, 1, false));
        }
        Ok(Arc::new(Self { map: Mutex::new(map), store }))
    }

    /// Counts one request of `caller`.
    pub fn count(&self, caller: &str, m: Metered) {
        let hour = hour_of(Utc::now());
        let mut map = self.map.lock();
        let e = map.entry((caller.to_string(), hour)).or_insert((Counters::default(), 0, false));
        e.0.requests += 1;
        e.0.rows_generated += m.rows;
        e.0.bytes_exported += m.bytes;
        e.2 = true;
    }

    /// Stores the buckets that changed.
    pub fn flush(&self) {
        let changed: Vec<(String, i64, Counters, u64)> = {
            let mut map = self.map.lock();
            map.iter_mut()
                .filter(|(_, v)| v.2)
                .map(|((k, h), v)| {
                    v.1 += 1;
                    v.2 = false;
                    (k.clone(), *h, v.0, v.1)
                })
                .collect()
        };
        for (key, hour, counters, version) in changed {
            let b = Bucket { key: key.clone(), hour, counters };
            if let Err(e) = self.store.put_doc(USAGE, &doc_id(&key, hour), &b, version) {
                tracing::warn!(error = %e.body.detail, "storing usage");
            }
        }
    }

    /// Sums per `period` (hour, day or month) from `from` on, per caller
    /// (all callers when `caller` is None): (caller, period start, counters), oldest first.
    pub fn report(
        &self,
        period: &str,
        from: Option<DateTime<Utc>>,
        caller: Option<&str>,
    ) -> Vec<(String, String, Counters)> {
        let start_of = |hour: i64| -> DateTime<Utc> {
            let t = Utc.timestamp_opt(hour, 0).single().unwrap_or_default();
            match period {
                "hour" => t,
                "month" => Utc.with_ymd_and_hms(t.year(), t.month(), 1, 0, 0, 0).single().unwrap_or(t),
                _ => t.with_hour(0).unwrap_or(t),
            }
        };
        let mut sums: BTreeMap<(DateTime<Utc>, String), Counters> = BTreeMap::new();
        for ((key, hour), (c, _, _)) in self.map.lock().iter() {
            if caller.is_some_and(|k| k != key)
                || from.is_some_and(|f| Utc.timestamp_opt(*hour + 3599, 0).single().is_some_and(|end| end < f))
            {
                continue;
            }
            let s = sums.entry((start_of(*hour), key.clone())).or_default();
            s.requests += c.requests;
            s.rows_generated += c.rows_generated;
            s.bytes_exported += c.bytes_exported;
        }
        sums.into_iter().map(|((t, key), c)| (key, t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true), c)).collect()
    }
}
