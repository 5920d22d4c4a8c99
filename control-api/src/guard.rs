//! API keys and per-client rate limits, as middleware.
//!
//! Keys: the configuration holds only SHA-256 hashes (`sha256:<hex>`, see
//! `sdg api-key`); a request's `X-API-Key` is hashed and compared with every
//! configured hash in constant time. Keys are long random tokens, so a fast
//! hash is enough (a slow password hash guards low-entropy secrets).
//!
//! Rate limits: two GCRA limiters (governor) keyed by the client's IP, one
//! per minute and one per hour; a request must pass both. Every response
//! carries `X-RateLimit-Limit`, `X-RateLimit-Remaining` and
//! `X-RateLimit-Reset` (Unix seconds when the bucket is full again) of the
//! tighter of the two; a refused one is a 429 with `Retry-After`.

use crate::error::{ApiError, code_of};
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use governor::clock::{Clock, DefaultClock};
use governor::middleware::StateInformationMiddleware;
use governor::state::keyed::DefaultKeyedStateStore;
use governor::{Quota, RateLimiter};
use sha2::{Digest, Sha256};
use std::net::{IpAddr, SocketAddr};
use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use subtle::ConstantTimeEq;

/// Configured API keys, as SHA-256 hashes.
#[derive(Debug, Clone, Default)]
pub struct Keys(Vec<[u8; 32]>);

/// `sha256:<64 hex digits>` of a key.
pub fn hash_key(key: &str) -> String {
    let digest = Sha256::digest(key.as_bytes());
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    format!("sha256:{hex}")
}

impl Keys {
    /// Parses `sha256:<hex>` entries.
    pub fn parse(entries: &[String]) -> anyhow::Result<Self> {
        let mut out = Vec::new();
        for (i, e) in entries.iter().enumerate() {
            // Hex digits only: anything else (a non-ASCII character too) is refused here, before slicing.
            let hex = e.strip_prefix("sha256:").filter(|h| h.len() == 64 && h.bytes().all(|b| b.is_ascii_hexdigit()));
            let hex = hex.ok_or_else(|| {
                anyhow::anyhow!(
                    "api_keys[{i}]: expected `sha256:` and 64 hex digits (keys are configured hashed; `sdg api-key` makes a key and its hash)"
                )
            })?;
            let mut hash = [0u8; 32];
            for (j, byte) in hash.iter_mut().enumerate() {
                *byte = u8::from_str_radix(&hex[2 * j..2 * j + 2], 16)?;
            }
            out.push(hash);
        }
        Ok(Self(out))
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// The keys a request may carry: the configured hashes and the managed keys.
#[derive(Debug, Clone)]
pub struct Gate {
    pub config: Arc<Keys>,
    pub managed: Arc<crate::account::keys::KeyStore>,
}

impl Keys {
    /// The index of the configured hash `key` matches (every hash is compared, in constant time).
    pub fn which(&self, key: &[u8]) -> Option<usize> {
        let digest: [u8; 32] = Sha256::digest(key).into();
        let mut found = None;
        for (i, h) in self.0.iter().enumerate() {
            if h.ct_eq(&digest).unwrap_u8() == 1 {
                found = Some(i);
            }
        }
        found
    }
}

/// Requires `X-API-Key` on every route but health and the web console's
/// files (`/`, `/assets/…`: no data; the console asks for the key), when
/// keys are configured or managed keys exist; names the caller
/// (`crate::account::Caller`) for usage accounting.
pub async fn require_key(State(gate): State<Gate>, mut req: Request, next: Next) -> Response {
    use crate::account::Caller;
    let path = req.uri().path();
    let console = path == "/" || path.starts_with("/assets/");
    let open = gate.config.is_empty() && gate.managed.usable() == 0;
    if open || path == "/api/v1/health" || path == "/health" || console {
        if open {
            req.extensions_mut().insert(Caller("anonymous".into()));
        }
        return next.run(req).await;
    }
    // `X-API-Key`, or seed 004's `Authorization: Bearer <key>`.
    let bearer = req.headers().get(axum::http::header::AUTHORIZATION).and_then(|v| {
        let v = v.as_bytes();
        (v.len() > 7 && v[..7].eq_ignore_ascii_case(b"bearer ")).then(|| v[7..].to_vec())
    });
    let given = req.headers().get("x-api-key").map(|k| k.as_bytes().to_vec()).or(bearer);
    let caller =
        given.map(|k| gate.config.which(&k).map(|i| format!("config-{i}")).or_else(|| gate.managed.accepts(&k)));
    match caller {
        Some(Some(c)) => {
            req.extensions_mut().insert(Caller(c));
            next.run(req).await
        }
        Some(None) => ApiError::new(
            StatusCode::UNAUTHORIZED,
            "UNAUTHORIZED",
            "the X-API-Key is not valid (revoked, past its rotation grace, or never issued)",
        )
        .into_response(),
        None => ApiError::new(
            StatusCode::UNAUTHORIZED,
            "UNAUTHORIZED",
            "this server requires an API key: send it in the X-API-Key header (or Authorization: Bearer)",
        )
        .into_response(),
    }
}

type Keyed = RateLimiter<IpAddr, DefaultKeyedStateStore<IpAddr>, DefaultClock, StateInformationMiddleware>;

/// The two limiters and their sizes.
pub struct Limits {
    windows: Vec<(u32, Quota, Keyed)>,
    clock: DefaultClock,
}

impl std::fmt::Debug for Limits {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let sizes: Vec<u32> = self.windows.iter().map(|w| w.0).collect();
        f.debug_struct("Limits").field("limits", &sizes).finish()
    }
}

impl Limits {
    /// `per_minute` and `per_hour` requests per client IP; 0 turns a window off.
    pub fn new(per_minute: u32, per_hour: u32) -> Self {
        let mut windows = Vec::new();
        if let Some(n) = NonZeroU32::new(per_minute) {
            let q = Quota::per_minute(n);
            windows.push((per_minute, q, RateLimiter::keyed(q).with_middleware::<StateInformationMiddleware>()));
        }
        if let Some(n) = NonZeroU32::new(per_hour) {
            let q = Quota::per_hour(n);
            windows.push((per_hour, q, RateLimiter::keyed(q).with_middleware::<StateInformationMiddleware>()));
        }
        Self { windows, clock: DefaultClock::default() }
    }

    /// Forgets clients whose buckets are full again (memory stays bounded).
    pub fn forget_idle(&self) {
        for (_, _, l) in &self.windows {
            l.retain_recent();
            l.shrink_to_fit();
        }
    }
}

fn unix_after(d: Duration) -> u64 {
    (SystemTime::now() + d).duration_since(UNIX_EPOCH).map(|t| t.as_secs_f64().ceil() as u64).unwrap_or(0)
}

fn put(headers: &mut HeaderMap, name: &'static str, value: u64) {
    headers.insert(name, HeaderValue::from(value));
}

/// Counts the request against the client's limits; 429 when one is used up.
pub async fn rate_limit(
    State(limits): State<Arc<Limits>>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    req: Request,
    next: Next,
) -> Response {
    if limits.windows.is_empty() {
        return next.run(req).await;
    }
    let ip = addr.ip();
    // (limit, remaining, reset in) of the tightest window; the wait of a refused one.
    let mut tightest: Option<(u32, u32, Duration)> = None;
    let mut refused: Option<(u32, Duration)> = None;
    for (limit, quota, limiter) in &limits.windows {
        match limiter.check_key(&ip) {
            Ok(state) => {
                let remaining = state.remaining_burst_capacity();
                let reset = quota.replenish_interval() * (limit - remaining.min(*limit));
                if tightest.is_none_or(|(_, r, _)| remaining < r) {
                    tightest = Some((*limit, remaining, reset));
                }
            }
            Err(not_until) => {
                let wait = not_until.wait_time_from(limits.clock.now());
                if refused.is_none_or(|(_, w)| wait > w) {
                    refused = Some((*limit, wait));
                }
            }
        }
    }
    let mut response = match refused {
        Some((limit, wait)) => {
            let secs = wait.as_secs_f64().ceil() as u64;
            let mut r = ApiError::new(
                StatusCode::TOO_MANY_REQUESTS,
                code_of(StatusCode::TOO_MANY_REQUESTS),
                format!("rate limit of {limit} requests exceeded for {ip}; retry in {secs} s"),
            )
            .into_response();
            let h = r.headers_mut();
            put(h, "x-ratelimit-limit", u64::from(limit));
            put(h, "x-ratelimit-remaining", 0);
            put(h, "x-ratelimit-reset", unix_after(wait));
            put(h, "retry-after", secs.max(1));
            return r;
        }
        None => next.run(req).await,
    };
    if let Some((limit, remaining, reset)) = tightest {
        let h = response.headers_mut();
        put(h, "x-ratelimit-limit", u64::from(limit));
        put(h, "x-ratelimit-remaining", u64::from(remaining));
        put(h, "x-ratelimit-reset", unix_after(reset));
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_compared_by_hash() {
        let keys = Keys::parse(&[hash_key("s3cret-key")]).expect("parses");
        assert_eq!(keys.which(b"s3cret-key"), Some(0));
        assert_eq!(keys.which(b"s3cret-kez"), None);
        assert_eq!(keys.which(b""), None);
        assert!(Keys::parse(&["s3cret-key".into()]).is_err(), "plain keys are refused");
        assert!(Keys::parse(&[format!("sha256:{}", "zz".repeat(32))]).is_err());
    }

    #[test]
    fn a_key_entry_with_non_ascii_characters_is_an_error_not_a_panic() {
        // 64 bytes, but 'é' is two of them: slicing by byte pairs would cut it.
        let entry = format!("sha256:{}é{}", "a".repeat(31), "b".repeat(31));
        assert_eq!(entry.len(), "sha256:".len() + 64);
        let err = Keys::parse(&[entry]).expect_err("refused");
        assert!(err.to_string().contains("64 hex digits"), "{err}");
    }
}
