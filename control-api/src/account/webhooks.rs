//! Webhooks (seed 004): endpoints told when a job or a generator ends.
//! Events: `job.completed`, `job.failed` (failed or cancelled),
//! `generator.completed`, `generator.failed`.
//!
//! A delivery is a POST of `{id, event, created_at, data}` signed with the
//! webhook's secret: `X-Sdg-Signature: t=<unix seconds>,v1=<hex
//! HMAC-SHA256(secret, "<t>.<body>")>` (also `X-Sdg-Timestamp`,
//! `X-Sdg-Event`, `X-Sdg-Delivery`). A 2xx answer delivers it; anything
//! else, or no answer within `webhook_timeout_ms`, is retried after
//! `webhook_retry_base_ms` × 2^(attempt − 1) (at most an hour), up to
//! `webhook_max_attempts`. Every attempt is recorded. Webhooks and
//! deliveries are stored, so a delivery pending at a restart is retried
//! after it.

use crate::error::ApiError;
use crate::model::now;
use crate::store::{DELIVERIES, Store, WEBHOOKS};
use hmac::{Hmac, Mac};
use parking_lot::Mutex;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use sha2::Sha256;
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;
use utoipa::ToSchema;

pub const EVENTS: &[&str] = &["job.completed", "job.failed", "generator.completed", "generator.failed"];

/// A webhook as stored.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Webhook {
    pub id: String,
    pub url: String,
    pub events: Vec<String>,
    pub secret: String,
    #[serde(default)]
    pub description: Option<String>,
    pub active: bool,
    pub created_at: String,
    pub updated_at: String,
}

/// A webhook as answered (the secret only when it is made).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct WebhookView {
    pub id: String,
    pub url: String,
    pub events: Vec<String>,
    /// The secret's first characters.
    pub secret_prefix: String,
    /// Only in the answer that made it (POST, or PATCH with `rotate_secret`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secret: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    pub active: bool,
    pub created_at: String,
    pub updated_at: String,
}

impl Webhook {
    pub fn view(&self, with_secret: bool) -> WebhookView {
        WebhookView {
            id: self.id.clone(),
            url: self.url.clone(),
            events: self.events.clone(),
            secret_prefix: format!("{}…", self.secret.chars().take(6).collect::<String>()),
            secret: with_secret.then(|| self.secret.clone()),
            description: self.description.clone(),
            active: self.active,
            created_at: self.created_at.clone(),
            updated_at: self.updated_at.clone(),
        }
    }
}

/// One try of a delivery.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Attempt {
    pub at: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status_code: Option<u16>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    pub duration_ms: u64,
}

/// A delivery of one event to one webhook.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Delivery {
    pub id: String,
    pub webhook_id: String,
    pub event: String,
    /// pending, succeeded or failed (every attempt used).
    pub status: String,
    #[schema(value_type = Object)]
    pub payload: Value,
    pub attempts: Vec<Attempt>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_attempt_at: Option<String>,
    pub created_at: String,
}

/// Retry and timeout settings.
#[derive(Debug, Clone, Copy)]
pub struct Policy {
    pub max_attempts: u32,
    pub retry_base: Duration,
    pub timeout: Duration,
}

pub struct Webhooks {
    hooks: Mutex<BTreeMap<String, (Webhook, u64)>>,
    deliveries: Mutex<BTreeMap<String, (Delivery, u64)>>,
    /// Deliveries being sent now.
    sending: Mutex<std::collections::HashSet<String>>,
    store: Arc<Store>,
    policy: Policy,
}

impl std::fmt::Debug for Webhooks {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Webhooks").finish_non_exhaustive()
    }
}

pub fn no_webhook(id: &str) -> ApiError {
    ApiError::not_found(format!("there is no webhook `{id}` (GET /api/v1/webhooks lists them)"))
}

fn check_url(url: &str) -> Result<(), ApiError> {
    let rest = url.strip_prefix("https://").or_else(|| url.strip_prefix("http://"));
    match rest {
        Some(r) if !r.is_empty() && !r.starts_with('/') && url.parse::<axum::http::Uri>().is_ok() => Ok(()),
        _ => Err(ApiError::at("url", format!("`{url}` is not an http:// or https:// URL with a host"))),
    }
}

fn check_events(v: &Value) -> Result<Vec<String>, ApiError> {
    let list =
        v.as_array().ok_or_else(|| ApiError::at("events", format!("a list of events: {}", EVENTS.join(", "))))?;
    if list.is_empty() {
        return Err(ApiError::at("events", format!("name at least one event: {}", EVENTS.join(", "))));
    }
    let mut out = Vec::new();
    for (i, e) in list.iter().enumerate() {
        let e = e.as_str().unwrap_or("");
        if !EVENTS.contains(&e) {
            let mut err = ApiError::at(
                &format!("events[{i}]"),
                format!("unknown event `{e}`; the events are {}", EVENTS.join(", ")),
            );
            if let Some(c) = sdg_engine::issue::closest(e, EVENTS) {
                err.body.errors[0].hint = Some(format!("did you mean `{c}`?"));
            }
            return Err(err);
        }
        if !out.iter().any(|x: &String| x == e) {
            out.push(e.to_string());
        }
    }
    Ok(out)
}

fn new_secret() -> String {
    format!("whsec_{}", uuid::Uuid::new_v4().simple())
}

/// `v1` of a signature: hex HMAC-SHA256(secret, "<t>.<body>").
pub fn sign(secret: &str, t: i64, body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap_or_else(|_| {
        // HMAC takes keys of any length; this branch is unreachable.
        Hmac::<Sha256>::new_from_slice(b"").expect("an empty HMAC key")
    });
    mac.update(t.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    mac.finalize().into_bytes().iter().map(|b| format!("{b:02x}")).collect()
}

fn rfc3339(t: chrono::DateTime<chrono::Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

impl Webhooks {
    pub fn open(store: Arc<Store>, policy: Policy) -> anyhow::Result<Arc<Self>> {
        let hooks = store.load_docs::<Webhook>(WEBHOOKS)?.into_iter().map(|w| (w.id.clone(), (w, 1))).collect();
        let deliveries = store.load_docs::<Delivery>(DELIVERIES)?.into_iter().map(|d| (d.id.clone(), (d, 1))).collect();
        Ok(Arc::new(Self {
            hooks: Mutex::new(hooks),
            deliveries: Mutex::new(deliveries),
            sending: Mutex::default(),
            store,
            policy,
        }))
    }

    fn put_hook(&self, id: &str) -> Result<Webhook, ApiError> {
        let (w, v) = {
            let mut m = self.hooks.lock();
            let (w, v) = m.get_mut(id).ok_or_else(|| no_webhook(id))?;
            *v += 1;
            (w.clone(), *v)
        };
        self.store.put_doc(WEBHOOKS, id, &w, v)?;
        Ok(w)
    }

    fn put_delivery(&self, id: &str) {
        let Some((d, v)) = ({
            let mut m = self.deliveries.lock();
            m.get_mut(id).map(|(d, v)| {
                *v += 1;
                (d.clone(), *v)
            })
        }) else {
            return;
        };
        if let Err(e) = self.store.put_doc(DELIVERIES, id, &d, v) {
            tracing::error!(delivery = %id, error = %e.body.detail, "storing a webhook delivery");
        }
    }

    /// `POST /webhooks`.
    pub fn create(&self, body: &Value) -> Result<Webhook, ApiError> {
        let obj =
            body.as_object().ok_or_else(|| ApiError::at("", "send {\"url\": …, \"events\": [\"job.completed\"]}"))?;
        for k in obj.keys() {
            if !["url", "events", "secret", "description", "active"].contains(&k.as_str()) {
                return Err(ApiError::at(
                    k,
                    format!("unknown key `{k}`; send url, events, secret, description, active"),
                ));
            }
        }
        let url = obj
            .get("url")
            .and_then(Value::as_str)
            .ok_or_else(|| ApiError::at("url", "the endpoint's URL is required"))?;
        check_url(url)?;
        let events = check_events(obj.get("events").unwrap_or(&Value::Null))?;
        let secret = match obj.get("secret").and_then(Value::as_str) {
            Some(s) if s.chars().count() >= 16 => s.to_string(),
            Some(_) => {
                return Err(ApiError::at(
                    "secret",
                    "a secret has at least 16 characters (leave it out and one is made)",
                ));
            }
            None => new_secret(),
        };
        let t = now();
        let w = Webhook {
            id: format!("wh_{}", &uuid::Uuid::new_v4().simple().to_string()[..16]),
            url: url.to_string(),
            events,
            secret,
            description: obj.get("description").and_then(Value::as_str).map(str::to_string),
            active: obj.get("active").and_then(Value::as_bool).unwrap_or(true),
            created_at: t.clone(),
            updated_at: t,
        };
        self.hooks.lock().insert(w.id.clone(), (w.clone(), 0));
        self.put_hook(&w.id)
    }

    pub fn list(&self) -> Vec<Webhook> {
        let mut all: Vec<Webhook> = self.hooks.lock().values().map(|(w, _)| w.clone()).collect();
        all.sort_by(|a, b| b.created_at.cmp(&a.created_at).then_with(|| a.id.cmp(&b.id)));
        all
    }

    pub fn get(&self, id: &str) -> Result<Webhook, ApiError> {
        self.hooks.lock().get(id).map(|(w, _)| w.clone()).ok_or_else(|| no_webhook(id))
    }

    /// `PATCH /webhooks/{id}`: url, events, secret, description, active; `rotate_secret: true` makes a new one.
    pub fn update(&self, id: &str, body: &Value) -> Result<(Webhook, bool), ApiError> {
        let obj = body.as_object().ok_or_else(|| ApiError::at("", "send the keys to change"))?;
        let url = obj
            .get("url")
            .map(|u| u.as_str().map(str::to_string).ok_or_else(|| ApiError::at("url", "text")))
            .transpose()?;
        if let Some(u) = &url {
            check_url(u)?;
        }
        let events = obj.get("events").map(check_events).transpose()?;
        for k in obj.keys() {
            if !["url", "events", "secret", "description", "active", "rotate_secret"].contains(&k.as_str()) {
                return Err(ApiError::at(k, format!("unknown key `{k}`")));
            }
        }
        let secret = match obj.get("secret") {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) if s.chars().count() >= 16 => Some(s.clone()),
            Some(_) => return Err(ApiError::at("secret", "a secret is text of at least 16 characters")),
        };
        let active = obj
            .get("active")
            .map(|a| a.as_bool().ok_or_else(|| ApiError::at("active", "true or false")))
            .transpose()?;
        let rotate = obj.get("rotate_secret").and_then(Value::as_bool) == Some(true);
        // Every key is checked: now the change is made whole.
        {
            let mut m = self.hooks.lock();
            let (w, _) = m.get_mut(id).ok_or_else(|| no_webhook(id))?;
            if let Some(u) = url {
                w.url = u;
            }
            if let Some(e) = events {
                w.events = e;
            }
            if let Some(s) = secret {
                w.secret = s;
            }
            if rotate {
                w.secret = new_secret();
            }
            if let Some(d) = obj.get("description") {
                w.description = d.as_str().map(str::to_string);
            }
            if let Some(a) = active {
                w.active = a;
            }
            w.updated_at = now();
        }
        let shown = rotate;
        Ok((self.put_hook(id)?, shown))
    }

    /// Deletes a webhook and its deliveries.
    pub fn delete(&self, id: &str) -> Result<(), ApiError> {
        self.hooks.lock().remove(id).ok_or_else(|| no_webhook(id))?;
        let gone: Vec<String> = {
            let mut d = self.deliveries.lock();
            let ids: Vec<String> = d.values().filter(|(x, _)| x.webhook_id == id).map(|(x, _)| x.id.clone()).collect();
            for i in &ids {
                d.remove(i);
            }
            ids
        };
        let mut all: Vec<&str> = vec![id];
        self.store.delete_docs(WEBHOOKS, &all)?;
        all = gone.iter().map(String::as_str).collect();
        self.store.delete_docs(DELIVERIES, &all)?;
        Ok(())
    }

    /// A webhook's deliveries, newest first.
    pub fn deliveries(&self, id: &str) -> Result<Vec<Delivery>, ApiError> {
        self.get(id)?;
        let mut all: Vec<Delivery> =
            self.deliveries.lock().values().filter(|(d, _)| d.webhook_id == id).map(|(d, _)| d.clone()).collect();
        all.sort_by(|a, b| b.created_at.cmp(&a.created_at).then_with(|| a.id.cmp(&b.id)));
        Ok(all)
    }

    /// Queues `event` for every active webhook that wants it.
    pub fn emit(&self, event: &str, data: Value) {
        let targets: Vec<String> = self
            .hooks
            .lock()
            .values()
            .filter(|(w, _)| w.active && w.events.iter().any(|e| e == event))
            .map(|(w, _)| w.id.clone())
            .collect();
        for webhook_id in targets {
            let id = format!("dlv_{}", uuid::Uuid::new_v4().simple());
            let t = now();
            let d = Delivery {
                id: id.clone(),
                webhook_id,
                event: event.to_string(),
                status: "pending".into(),
                payload: json!({ "id": id, "event": event, "created_at": t, "data": data }),
                attempts: Vec::new(),
                next_attempt_at: Some(t.clone()),
                created_at: t,
            };
            self.deliveries.lock().insert(id.clone(), (d, 0));
            self.put_delivery(&id);
        }
    }

    /// Deliveries due now, marked as being sent.
    fn due(&self, limit: usize) -> Vec<(Delivery, Webhook)> {
        let now = chrono::Utc::now();
        let hooks = self.hooks.lock();
        let mut sending = self.sending.lock();
        let due: Vec<(Delivery, Webhook)> = self
            .deliveries
            .lock()
            .values()
            .filter(|(d, _)| d.status == "pending" && !sending.contains(&d.id))
            .filter(|(d, _)| {
                d.next_attempt_at
                    .as_deref()
                    .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
                    .is_none_or(|t| t <= now)
            })
            .filter_map(|(d, _)| {
                hooks.get(&d.webhook_id).filter(|(w, _)| w.active).map(|(w, _)| (d.clone(), w.clone()))
            })
            .take(limit)
            .collect();
        for (d, _) in &due {
            sending.insert(d.id.clone());
        }
        due
    }

    /// One attempt of a delivery (blocking), recorded.
    fn attempt(&self, d: &Delivery, w: &Webhook) {
        let body = serde_json::to_vec(&d.payload).unwrap_or_default();
        let t = chrono::Utc::now().timestamp();
        let signature = format!("t={t},v1={}", sign(&w.secret, t, &body));
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(self.policy.timeout))
            .build()
            .into();
        let started = std::time::Instant::now();
        let result = agent
            .post(&w.url)
            .header("Content-Type", "application/json")
            .header("User-Agent", concat!("sdg-webhooks/", env!("CARGO_PKG_VERSION")))
            .header("X-Sdg-Event", &d.event)
            .header("X-Sdg-Delivery", &d.id)
            .header("X-Sdg-Timestamp", &t.to_string())
            .header("X-Sdg-Signature", &signature)
            .send(&body[..]);
        let duration_ms = started.elapsed().as_millis() as u64;
        let (status_code, error) = match result {
            Ok(r) if r.status().is_success() => (Some(r.status().as_u16()), None),
            Ok(r) => (Some(r.status().as_u16()), Some(format!("the endpoint answered {}", r.status()))),
            Err(e) => (None, Some(e.to_string())),
        };
        {
            let mut m = self.deliveries.lock();
            if let Some((x, _)) = m.get_mut(&d.id) {
                x.attempts.push(Attempt { at: now(), status_code, error: error.clone(), duration_ms });
                let n = x.attempts.len() as u32;
                if error.is_none() {
                    x.status = "succeeded".into();
                    x.next_attempt_at = None;
                } else if n >= self.policy.max_attempts {
                    x.status = "failed".into();
                    x.next_attempt_at = None;
                } else {
                    let wait =
                        self.policy.retry_base.saturating_mul(1u32 << (n - 1).min(20)).min(Duration::from_secs(3600));
                    x.next_attempt_at =
                        Some(rfc3339(chrono::Utc::now() + chrono::Duration::from_std(wait).unwrap_or_default()));
                }
            }
        }
        self.put_delivery(&d.id);
        self.sending.lock().remove(&d.id);
    }

    /// Sends due deliveries until `stop`: checks every 100 ms, each delivery on a blocking thread.
    pub async fn run(self: Arc<Self>, stop: tokio_util::sync::CancellationToken) {
        let mut tick = tokio::time::interval(Duration::from_millis(100));
        loop {
            tokio::select! {
                () = stop.cancelled() => return,
                _ = tick.tick() => {}
            }
            // At most 16 endpoints are waited for at once (each on a blocking thread).
            let free = 16usize.saturating_sub(self.sending.lock().len());
            if free == 0 {
                continue;
            }
            for (d, w) in self.due(free) {
                let me = Arc::clone(&self);
                tokio::task::spawn_blocking(move || me.attempt(&d, &w));
            }
        }
    }
}
