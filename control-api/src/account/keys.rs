//! API keys managed over the API (seed 004): created (the key shown once),
//! listed (prefix, name, created, last used), revoked, rotated (the old key
//! keeps working for a grace period). Stored hashed (SHA-256, as the
//! configured keys are); the key itself is never stored.
//!
//! Only a caller with a key may manage keys, so the first key comes from
//! the config or `sdg api-key`: a server that has none stays open (and
//! says so at start) rather than becoming closed by a request.

use crate::error::ApiError;
use crate::model::now;
use crate::store::{API_KEYS, Store};
use axum::http::StatusCode;
use parking_lot::Mutex;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::sync::Arc;
use utoipa::ToSchema;

/// The grace period of a rotated key when the request names none.
pub const DEFAULT_GRACE_SECS: u64 = 24 * 3600;

/// A managed key as stored and listed (never the key itself).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct KeyRecord {
    pub id: String,
    pub name: String,
    /// The key's first 12 characters, to recognise it.
    pub prefix: String,
    /// `sha256:<hex>`.
    #[serde(skip_serializing)]
    #[serde(default)]
    pub hash: String,
    pub created_at: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_used_at: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revoked_at: Option<String>,
    /// When a rotated key stops working (RFC 3339).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<String>,
    /// The key that replaced it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rotated_to: Option<String>,
    /// active, rotating (valid until expires_at), expired or revoked.
    #[serde(default)]
    pub status: String,
}

/// The stored form (with the hash).
#[derive(Serialize, Deserialize)]
struct Stored {
    #[serde(flatten)]
    rec: KeyRecord,
    hash: String,
}

fn digest(key: &[u8]) -> [u8; 32] {
    Sha256::digest(key).into()
}

fn hex_hash(d: &[u8; 32]) -> String {
    format!("sha256:{}", d.iter().map(|b| format!("{b:02x}")).collect::<String>())
}

fn parse_time(t: &str) -> Option<chrono::DateTime<chrono::Utc>> {
    chrono::DateTime::parse_from_rfc3339(t).ok().map(|d| d.with_timezone(&chrono::Utc))
}

/// The managed keys of this server.
pub struct KeyStore {
    map: Mutex<HashMap<String, (KeyRecord, u64)>>,
    /// hash → key id.
    by_hash: Mutex<HashMap<[u8; 32], String>>,
    store: Arc<Store>,
    /// last_used changes not yet stored (written by `flush`).
    dirty: Mutex<Vec<String>>,
    /// One rotation at a time: two at once would both pass the check and mint two keys.
    rotating: Mutex<()>,
}

impl std::fmt::Debug for KeyStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyStore").field("keys", &self.map.lock().len()).finish()
    }
}

fn status_of(r: &KeyRecord) -> &'static str {
    if r.revoked_at.is_some() {
        "revoked"
    } else if let Some(e) = r.expires_at.as_deref().and_then(parse_time) {
        if e <= chrono::Utc::now() { "expired" } else { "rotating" }
    } else {
        "active"
    }
}

impl KeyStore {
    pub fn open(store: Arc<Store>) -> anyhow::Result<Arc<Self>> {
        let mut map = HashMap::new();
        let mut by_hash = HashMap::new();
        for s in store.load_docs::<Stored>(API_KEYS)? {
            let mut rec = s.rec;
            rec.hash = s.hash.clone();
            if let Some(h) = parse_hash(&s.hash) {
                by_hash.insert(h, rec.id.clone());
            }
            map.insert(rec.id.clone(), (rec, 1));
        }
        Ok(Arc::new(Self {
            map: Mutex::new(map),
            by_hash: Mutex::new(by_hash),
            store,
            dirty: Mutex::default(),
            rotating: Mutex::new(()),
        }))
    }

    /// Keys that may still be used.
    pub fn usable(&self) -> usize {
        self.map.lock().values().filter(|(r, _)| matches!(status_of(r), "active" | "rotating")).count()
    }

    /// The id of the managed key `key`, when it may be used now (its last use is noted).
    pub fn accepts(&self, key: &[u8]) -> Option<String> {
        let id = self.by_hash.lock().get(&digest(key)).cloned()?;
        let mut map = self.map.lock();
        let (rec, _) = map.get_mut(&id)?;
        if !matches!(status_of(rec), "active" | "rotating") {
            return None;
        }
        rec.last_used_at = Some(now());
        drop(map);
        self.dirty.lock().push(id.clone());
        Some(id)
    }

    fn put(&self, id: &str) -> Result<KeyRecord, ApiError> {
        let (rec, version) = {
            let mut map = self.map.lock();
            let (r, v) = map.get_mut(id).ok_or_else(|| no_key(id))?;
            *v += 1;
            r.status = status_of(r).to_string();
            (r.clone(), *v)
        };
        self.store.put_doc(API_KEYS, id, &Stored { hash: rec.hash.clone(), rec: rec.clone() }, version)?;
        Ok(rec)
    }

    /// Stores the last-used times noted since the last flush.
    pub fn flush(&self) {
        let ids: Vec<String> = std::mem::take(&mut *self.dirty.lock());
        let mut seen = std::collections::HashSet::new();
        for id in ids {
            if seen.insert(id.clone())
                && let Err(e) = self.put(&id)
            {
                tracing::warn!(key = %id, error = %e.body.detail, "storing a key's last use");
            }
        }
    }

    /// A new key: its record and the key itself (shown once).
    pub fn create(&self, name: &str) -> Result<(KeyRecord, String), ApiError> {
        let key = format!("sdg_{}{}", uuid::Uuid::new_v4().simple(), uuid::Uuid::new_v4().simple());
        let d = digest(key.as_bytes());
        let rec = KeyRecord {
            id: format!("key_{}", &uuid::Uuid::new_v4().simple().to_string()[..16]),
            name: name.to_string(),
            prefix: key[..12].to_string(),
            hash: hex_hash(&d),
            created_at: now(),
            last_used_at: None,
            revoked_at: None,
            expires_at: None,
            rotated_to: None,
            status: "active".into(),
        };
        self.map.lock().insert(rec.id.clone(), (rec.clone(), 0));
        self.by_hash.lock().insert(d, rec.id.clone());
        let rec = self.put(&rec.id)?;
        Ok((rec, key))
    }

    /// Every key, newest first.
    pub fn list(&self) -> Vec<KeyRecord> {
        let mut all: Vec<KeyRecord> = self
            .map
            .lock()
            .values()
            .map(|(r, _)| {
                let mut r = r.clone();
                r.status = status_of(&r).to_string();
                r
            })
            .collect();
        all.sort_by(|a, b| b.created_at.cmp(&a.created_at).then_with(|| a.id.cmp(&b.id)));
        all
    }

    pub fn get(&self, id: &str) -> Result<KeyRecord, ApiError> {
        self.map
            .lock()
            .get(id)
            .map(|(r, _)| {
                let mut r = r.clone();
                r.status = status_of(&r).to_string();
                r
            })
            .ok_or_else(|| no_key(id))
    }

    /// Revokes a key at once; `keep_one`: not the last usable key (a server
    /// without configured keys would then be open to anyone).
    pub fn revoke(&self, id: &str, keep_one: bool) -> Result<KeyRecord, ApiError> {
        {
            let mut map = self.map.lock();
            let usable = map.values().filter(|(r, _)| matches!(status_of(r), "active" | "rotating")).count();
            let (r, _) = map.get_mut(id).ok_or_else(|| no_key(id))?;
            if keep_one && usable == 1 && matches!(status_of(r), "active" | "rotating") {
                return Err(ApiError::conflict(
                    format!(
                        "{id} is the last key of a server without configured keys: revoking it would open the server to anyone; create another key first (or configure one)"
                    ),
                    status_of(r),
                ));
            }
            if r.revoked_at.is_some() {
                return Err(ApiError::conflict(format!("key {id} is revoked already"), "revoked"));
            }
            r.revoked_at = Some(now());
        }
        self.put(id)
    }

    /// A new key replacing `id`; the old one works for `grace_secs` more.
    pub fn rotate(
        &self,
        id: &str,
        grace_secs: u64,
        name: Option<&str>,
    ) -> Result<(KeyRecord, String, KeyRecord), ApiError> {
        let _one = self.rotating.lock();
        let old_name = {
            let map = self.map.lock();
            let (r, _) = map.get(id).ok_or_else(|| no_key(id))?;
            let s = status_of(r);
            if s != "active" {
                return Err(ApiError::conflict(format!("key {id} is {s}; only an active key is rotated"), s));
            }
            r.name.clone()
        };
        let (new, key) = self.create(name.unwrap_or(&old_name))?;
        {
            let mut map = self.map.lock();
            if let Some((r, _)) = map.get_mut(id) {
                let until = chrono::Utc::now() + chrono::Duration::seconds(grace_secs.min(i64::MAX as u64) as i64);
                r.expires_at = Some(until.to_rfc3339_opts(chrono::SecondsFormat::Millis, true));
                r.rotated_to = Some(new.id.clone());
            }
        }
        let old = self.put(id)?;
        Ok((new, key, old))
    }
}

fn parse_hash(h: &str) -> Option<[u8; 32]> {
    let hex = h.strip_prefix("sha256:").filter(|x| x.len() == 64 && x.bytes().all(|b| b.is_ascii_hexdigit()))?;
    let mut out = [0u8; 32];
    for (i, b) in out.iter_mut().enumerate() {
        *b = u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).ok()?;
    }
    Some(out)
}

pub fn no_key(id: &str) -> ApiError {
    ApiError::not_found(format!("there is no API key `{id}` (GET /api/v1/api-keys lists them)"))
}

/// The refusal of key management on a server without keys.
pub fn open_server() -> ApiError {
    ApiError::new(
        StatusCode::FORBIDDEN,
        "FORBIDDEN",
        "this server has no API keys, so anyone may call it and none may manage keys: start it with a first key \
         (`sdg api-key`, then --api-key-hash or api_keys: in the serve config) and call with X-API-Key",
    )
}
