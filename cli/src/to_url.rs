//! `--to URL`: a destination written as one URL, for the command line.
//!
//! | URL | destination |
//! |-----|-------------|
//! | `kafka://127.0.0.1:9092/orders?format=avro&key_field=order_id` | KAFKA, brokers + topic |
//! | `postgres://user:pw@127.0.0.1:5432/db?table=orders&create_table=true` | POSTGRES |
//! | `redis://127.0.0.1:6379?mode=stream&key=orders` (or `dragonfly://`) | DRAGONFLY |
//! | `file:out/orders.parquet?compression=zstd` (or `file://…`) | FILE |
//! | `blackhole:?format=csv` | BLACKHOLE |
//!
//! Query parameters are the destination's config keys; `true`/`false` and
//! integers become booleans and numbers, everything else stays text.

use sdg_engine::spec::{Destination, DestinationType};
use serde_json::{Map, Value};

/// Keys that belong in the PostgreSQL destination's config rather than its connection URL.
const POSTGRES_KEYS: &[&str] =
    &["table", "schema", "create_table", "connect_attempts", "commit_bytes", "commit_interval_ms"];
/// Keys that belong in the Redis destination's config rather than its connection URL.
const REDIS_KEYS: &[&str] = &["mode", "key", "ttl", "maxlen", "timeout"];

fn value(v: &str) -> Value {
    match v {
        "true" => Value::Bool(true),
        "false" => Value::Bool(false),
        _ => v.parse::<i64>().map(Value::from).unwrap_or_else(|_| Value::String(v.to_string())),
    }
}

/// Splits `base?a=1&b=2`, moving `keep` keys (or all when `keep` is None) into the config.
fn split(url: &str, keep: Option<&[&str]>) -> (String, Map<String, Value>) {
    let (base, query) = url.split_once('?').unwrap_or((url, ""));
    let mut config = Map::new();
    let mut rest = Vec::new();
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (k, v) = pair.split_once('=').unwrap_or((pair, "true"));
        if keep.is_none_or(|keys| keys.contains(&k)) {
            config.insert(k.to_string(), value(v));
        } else {
            rest.push(pair);
        }
    }
    let base = if rest.is_empty() { base.to_string() } else { format!("{base}?{}", rest.join("&")) };
    (base, config)
}

/// Parses a `--to` URL into a destination.
pub fn parse(url: &str) -> Result<Destination, String> {
    let scheme = url.split(':').next().unwrap_or_default().to_ascii_lowercase();
    let (kind, config) = match scheme.as_str() {
        "kafka" => {
            let (base, mut config) = split(url, None);
            let rest = &base["kafka://".len().min(base.len())..];
            let (brokers, topic) =
                rest.split_once('/').ok_or_else(|| format!("`{url}` has no topic: write kafka://HOST:PORT/TOPIC"))?;
            config.insert("brokers".into(), brokers.into());
            config.insert("topic".into(), topic.into());
            (DestinationType::Kafka, config)
        }
        "postgres" | "postgresql" => {
            let (base, mut config) = split(url, Some(POSTGRES_KEYS));
            if !config.contains_key("table") {
                return Err(format!("`{url}` names no table: add ?table=NAME"));
            }
            config.insert("url".into(), base.into());
            (DestinationType::Postgres, config)
        }
        "redis" | "dragonfly" | "rediss" => {
            let (base, mut config) = split(url, Some(REDIS_KEYS));
            let base = base.replacen("dragonfly://", "redis://", 1);
            if !config.contains_key("key") {
                return Err(format!("`{url}` names no key: add ?key=NAME or ?key=prefix:{{field}}"));
            }
            config.insert("url".into(), base.into());
            (DestinationType::Dragonfly, config)
        }
        "file" => {
            let (base, mut config) = split(url, None);
            let path = base.strip_prefix("file://").or_else(|| base.strip_prefix("file:")).unwrap_or(&base);
            if path.is_empty() {
                return Err(format!("`{url}` names no file: write file:PATH"));
            }
            config.insert("path".into(), path.into());
            (DestinationType::File, config)
        }
        "blackhole" => (DestinationType::Blackhole, split(url, None).1),
        _ => {
            return Err(format!(
                "`{url}` is not a destination URL: use kafka://, postgres://, redis:// (dragonfly://), file: or blackhole:"
            ));
        }
    };
    Ok(Destination { kind, config })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn cfg(d: &Destination) -> Value {
        Value::Object(d.config.clone())
    }

    #[test]
    fn each_scheme_maps_to_its_destination() {
        let d = parse("kafka://127.0.0.1:9092/orders?format=avro&key_field=order_id&partitions=6").expect("kafka");
        assert_eq!(d.kind, DestinationType::Kafka);
        assert_eq!(
            cfg(&d),
            json!({"brokers": "127.0.0.1:9092", "topic": "orders", "format": "avro", "key_field": "order_id", "partitions": 6})
        );

        let d = parse("postgres://u:p@h:5432/db?table=orders&create_table=true&sslmode=disable&commit_bytes=1048576")
            .expect("pg");
        assert_eq!(d.kind, DestinationType::Postgres);
        assert_eq!(
            cfg(&d),
            json!({"url": "postgres://u:p@h:5432/db?sslmode=disable", "table": "orders", "create_table": true, "commit_bytes": 1048576})
        );

        let d = parse("redis://127.0.0.1:6379?mode=stream&key=orders&maxlen=1000").expect("redis");
        assert_eq!(d.kind, DestinationType::Dragonfly);
        assert_eq!(
            cfg(&d),
            json!({"url": "redis://127.0.0.1:6379", "mode": "stream", "key": "orders", "maxlen": 1000})
        );
        assert_eq!(cfg(&parse("dragonfly://h:6379/2?key=k").expect("df"))["url"], "redis://h:6379/2");

        let d = parse("file:out/x.parquet?compression=zstd").expect("file");
        assert_eq!(cfg(&d), json!({"path": "out/x.parquet", "compression": "zstd"}));
        assert_eq!(cfg(&parse("file:///tmp/x.csv").expect("file"))["path"], "/tmp/x.csv");
        assert_eq!(parse("blackhole:?format=csv").expect("bh").kind, DestinationType::Blackhole);
    }

    #[test]
    fn incomplete_urls_say_what_is_missing() {
        assert!(parse("kafka://h:9092").expect_err("invalid").contains("no topic"));
        assert!(parse("postgres://h/db").expect_err("invalid").contains("?table=NAME"));
        assert!(parse("redis://h").expect_err("invalid").contains("?key="));
        assert!(parse("ftp://x").expect_err("invalid").contains("not a destination URL"));
        assert!(parse("file:").expect_err("invalid").contains("names no file"));
    }
}
