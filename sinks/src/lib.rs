//! sdg-sinks: the destinations rows flow into, and the reusable encoders.
//!
//! - [`file`]: CSV, JSON Lines, Parquet, Arrow IPC files (or stdout);
//! - [`blackhole`]: counts and discards, for benchmarks;
//! - [`encode`]: CSV and JSON Lines encoders shared by text-speaking sinks.
//!
//! [`validate_destination`] checks a destination's `config` (every problem,
//! with its path); [`open_sink`] builds the sink for a run.

pub mod blackhole;
pub mod encode;
pub mod file;

use arrow_schema::SchemaRef;
use blackhole::{BLACKHOLE_KEYS, BlackholeConfig, BlackholeSink};
use file::{FileConfig, FileSink};
use sdg_engine::issue::{Issue, Issues, unknown_key};
use sdg_engine::spec::{Destination, DestinationType};
use sdg_engine::{Sink, SinkError};
use serde::de::DeserializeOwned;

/// A destination URL fit for messages and logs: the password is hidden,
/// the user kept (`postgres://u:***@h/db`); a user part without `:` may be a
/// bare password (`redis://secret@h`), so all of it is hidden (`***@h`).
pub fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s + 3 => {
            let userinfo = &url[s + 3..at];
            match userinfo.find(':') {
                Some(c) => format!("{}:***{}", &url[..s + 3 + c], &url[at..]),
                None => format!("{}***{}", &url[..s + 3], &url[at..]),
            }
        }
        _ => url.to_string(),
    }
}

/// Reading a destination's `config` into a sink's typed settings.
pub mod config {
    pub use super::parse_config as parse;
}

/// Reads `dest.config` into `T`, checking keys against `known` (with "did
/// you mean" hints) and reporting a type mismatch at its path.
pub fn parse_config<T: DeserializeOwned + schemars::JsonSchema>(
    dest: &Destination,
    known: &[&str],
    issues: &mut Issues,
) -> Option<T> {
    let before = issues.len();
    for key in dest.config.keys() {
        if !known.contains(&key.as_str()) {
            issues.push(unknown_key("destination.config", key, known));
        }
    }
    if issues.len() > before {
        return None;
    }
    let mut config = serde_json::Value::Object(dest.config.clone());
    sdg_engine::spec::schema::whole_numbers::<T>(&mut config);
    match serde_path_to_error::deserialize::<_, T>(config) {
        Ok(c) => Some(c),
        Err(e) => {
            let path = e.path().to_string();
            let at = if path == "." { "destination.config".to_string() } else { format!("destination.config.{path}") };
            let msg = e.inner().to_string();
            let msg = msg.split(" at line ").next().unwrap_or(&msg).to_string();
            issues.push(Issue::new(at, msg));
            None
        }
    }
}

fn file_config(dest: &Destination, issues: &mut Issues) -> Option<FileConfig> {
    let cfg: FileConfig = parse_config(dest, file::config::FILE_KEYS, issues)?;
    let before = issues.len();
    if cfg.path.trim().is_empty() {
        issues.push(
            Issue::new("destination.config.path", "the path is empty").hint("give a file path, or \"-\" for stdout"),
        );
    }
    if cfg.rotate_rows == Some(0) {
        issues.push(
            Issue::new("destination.config.rotate_rows", "rotate_rows is 0")
                .hint("use a positive row count, or remove it"),
        );
    }
    let format = cfg.resolved_format();
    if cfg.compression.is_some() && format != file::FileFormat::Parquet {
        issues.push(Issue::new("destination.config.compression", "compression applies only to the parquet format"));
    }
    if cfg.rotate_rows.is_some() && cfg.path == "-" {
        issues.push(
            Issue::new("destination.config.rotate_rows", "stdout cannot be rotated")
                .hint("write to a file path, or remove rotate_rows"),
        );
    }
    if cfg.header.is_some() && format != file::FileFormat::Csv {
        issues.push(Issue::new("destination.config.header", "header applies only to the csv format"));
    }
    (issues.len() == before).then_some(cfg)
}

/// Checks a destination's settings, reporting every problem with its path.
pub fn validate_destination(dest: &Destination) -> Issues {
    let mut issues = Issues::default();
    match dest.kind {
        DestinationType::File => {
            file_config(dest, &mut issues);
        }
        DestinationType::Blackhole => {
            parse_config::<BlackholeConfig>(dest, BLACKHOLE_KEYS, &mut issues);
        }
        other @ (DestinationType::Kafka | DestinationType::Postgres | DestinationType::Dragonfly) => issues.push(
            Issue::new(
                "destination.type",
                format!("destination {} is handled by its own crate, not sdg-sinks", other.as_str()),
            )
            .hint("validate through the sdg binary, which wires every destination"),
        ),
    }
    issues
}

/// Builds the sink for `dest`; rows will have `schema`.
pub fn open_sink(dest: &Destination, schema: &SchemaRef) -> Result<Box<dyn Sink>, SinkError> {
    let mut issues = Issues::default();
    let sink: Option<Box<dyn Sink>> = match dest.kind {
        DestinationType::File => {
            file_config(dest, &mut issues).map(|c| Box::new(FileSink::new(c, schema.clone())) as Box<dyn Sink>)
        }
        DestinationType::Blackhole => parse_config::<BlackholeConfig>(dest, BLACKHOLE_KEYS, &mut issues)
            .map(|c| Box::new(BlackholeSink::new(c.format)) as Box<dyn Sink>),
        _ => {
            issues = validate_destination(dest);
            None
        }
    };
    sink.ok_or_else(|| SinkError::fatal(issues.to_string()))
}

#[cfg(test)]
mod tests {
    use super::redact_url;

    #[test]
    fn urls_hide_passwords_the_same_way_for_every_destination() {
        assert_eq!(redact_url("postgres://u:secret@h:5432/db"), "postgres://u:***@h:5432/db");
        assert_eq!(redact_url("redis://:secret@h:6379/0"), "redis://:***@h:6379/0");
        assert_eq!(redact_url("redis://default:secret@h"), "redis://default:***@h");
        assert_eq!(redact_url("redis://secret@h"), "redis://***@h");
        assert_eq!(redact_url("postgres://h/db"), "postgres://h/db");
        assert_eq!(redact_url("not a url"), "not a url");
    }
}
