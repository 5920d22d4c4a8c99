//! The definition of a pool: one entry of a generator's `pools:` list, or a
//! pool file of its own (the same keys).

use crate::issue::{Issue, Issues, unknown_key};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::collections::BTreeMap;

/// A pool of reference data (seed 001 `PoolDefinition`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PoolSpec {
    /// The name fields use to read the pool (`params.pool`).
    pub name: String,
    /// Where the rows come from.
    pub source: PoolSource,
    /// SQL over the loaded source, which is the table named after the pool
    /// (needs sdg built with the `query` feature).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub query: Option<String>,
    /// How the pool is held: FULL (in memory), SAMPLED (a seeded sample in
    /// memory) or INDEXED (memory-mapped from a cache file, index in memory).
    #[serde(default)]
    pub strategy: PoolStrategy,
    /// SAMPLED: how many rows to keep.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sample: Option<SampleSpec>,
    /// Key columns with a hash index, for lookups (`POOL_DERIVED` with `key_column`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub index: Vec<String>,
    /// Column types that replace the inferred ones, e.g. `{ postcode: string }`
    /// (string, int64, int32, float64, boolean, date, timestamp).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub schema: BTreeMap<String, String>,
}

/// Where a pool's rows come from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum PoolSource {
    /// A CSV, Parquet, JSON Lines or Arrow IPC file.
    File {
        /// The file; relative paths are relative to the file that declares the pool.
        path: String,
        /// csv, parquet, jsonl or arrow; by extension when absent.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        format: Option<String>,
    },
    /// The rows of a query on a PostgreSQL server.
    Postgres {
        /// `postgres://user:password@host:port/db` (the password is never shown in reports).
        url: String,
        /// The SELECT that gives the rows.
        query: String,
    },
    /// Columns given in the definition itself.
    Inline {
        /// Column name → values (all of one type: text, integers, numbers or booleans; null allowed).
        #[schemars(with = "BTreeMap<String, Vec<Value>>")]
        columns: Map<String, Value>,
    },
}

/// `PoolStrategy` of seed 001.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum PoolStrategy {
    /// Every row in memory, loaded once, shared read-only.
    #[default]
    Full,
    /// A seeded uniform sample of the source in memory.
    Sampled,
    /// Stored as an Arrow IPC file in the cache directory and memory-mapped;
    /// only the index is in memory.
    Indexed,
}

impl PoolStrategy {
    /// The name used in configs and the API.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Full => "FULL",
            Self::Sampled => "SAMPLED",
            Self::Indexed => "INDEXED",
        }
    }
}

/// How much of the source a SAMPLED pool keeps.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SampleSpec {
    /// Keep this many rows (a uniform reservoir sample); or give `fraction`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1))]
    pub rows: Option<u64>,
    /// Keep each row with this probability, 0 < fraction ≤ 1; or give `rows`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fraction: Option<f64>,
    /// The sample's seed: the same seed gives the same sample (a fixed default when absent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seed: Option<u64>,
}

/// The seed of a sample that names none: fixed, so every load keeps the same rows.
pub const DEFAULT_SAMPLE_SEED: u64 = 0x5D6_5A3F;

/// The keys of a pool entry.
pub const POOL_KEYS: &[&str] = &["name", "source", "query", "strategy", "sample", "index", "schema"];
const FILE_KEYS: &[&str] = &["type", "path", "format"];
const POSTGRES_KEYS: &[&str] = &["type", "url", "query"];
const INLINE_KEYS: &[&str] = &["type", "columns"];
const SAMPLE_KEYS: &[&str] = &["rows", "fraction", "seed"];
/// The file formats a file source reads.
pub const FORMATS: &[&str] = &["csv", "parquet", "jsonl", "arrow"];
/// The type names `schema:` accepts.
pub const TYPE_NAMES: &[&str] = &["string", "int64", "int32", "float64", "boolean", "date", "timestamp"];

impl PoolSpec {
    /// The file format of a file source: `format:`, else the extension.
    pub fn file_format(path: &str, format: Option<&str>) -> Option<&'static str> {
        let f = match format {
            Some(f) => f.to_ascii_lowercase(),
            None => {
                let lower = path.to_ascii_lowercase();
                std::path::Path::new(&lower).extension()?.to_str()?.to_string()
            }
        };
        match f.as_str() {
            "csv" => Some("csv"),
            "parquet" | "pq" => Some("parquet"),
            "jsonl" | "ndjson" => Some("jsonl"),
            "arrow" | "ipc" | "feather" | "arrows" => Some("arrow"),
            _ => None,
        }
    }

    /// The source as shown in reports: passwords hidden.
    pub fn source_text(&self) -> String {
        match &self.source {
            PoolSource::File { path, .. } => format!("file {path}"),
            PoolSource::Postgres { url, .. } => format!("postgres {}", hide_password(url)),
            PoolSource::Inline { columns } => format!("inline ({} columns)", columns.len()),
        }
    }
}

/// `postgres://user:secret@host/db` → `postgres://user:***@host/db`; `password=x` → `password=***`.
pub fn hide_password(url: &str) -> String {
    let mut out = url.to_string();
    if let Some(scheme) = out.find("://") {
        let rest = scheme + 3;
        let end = out[rest..].find(['/', '?']).map(|e| rest + e).unwrap_or(out.len());
        if let Some(at) = out[rest..end].rfind('@') {
            let at = rest + at;
            if let Some(colon) = out[rest..at].find(':') {
                out.replace_range(rest + colon + 1..at, "***");
            }
        }
    }
    if let Some(p) = out.find("password=") {
        let start = p + "password=".len();
        let end = out[start..].find(['&', ' ']).map(|e| start + e).unwrap_or(out.len());
        out.replace_range(start..end, "***");
    }
    out
}

/// Reads one pool entry at `path` (`pools[2]`, or `` for a pool file), reporting every problem.
pub fn read_pool(v: &Value, path: &str, issues: &mut Issues) -> Option<PoolSpec> {
    let at = |k: &str| crate::issue::join(path, k);
    let Value::Object(obj) = v else {
        issues.push(Issue::new(
            path,
            format!("expected a pool (a mapping with name and source), found {}", crate::spec::describe(v)),
        ));
        return None;
    };
    let before = issues.len();
    for key in obj.keys() {
        if !POOL_KEYS.contains(&key.as_str()) {
            issues.push(unknown_key(path, key, POOL_KEYS));
        }
    }
    for key in ["name", "source"] {
        if !obj.contains_key(key) {
            let hint = if key == "name" {
                "e.g. name: customers"
            } else {
                "e.g. source: { type: file, path: data/customers.csv }"
            };
            issues.push(Issue::new(path, format!("missing required key `{key}`")).hint(hint));
        }
    }
    if let Some(Value::Object(src)) = obj.get("source") {
        let known = match src.get("type").and_then(Value::as_str) {
            Some("file") => FILE_KEYS,
            Some("postgres") => POSTGRES_KEYS,
            Some("inline") => INLINE_KEYS,
            Some(other) => {
                issues.push(
                    Issue::new(at("source.type"), format!("unknown source type `{other}`"))
                        .hint("use file, postgres or inline"),
                );
                &[][..]
            }
            None => {
                issues
                    .push(Issue::new(at("source"), "missing required key `type`").hint("use file, postgres or inline"));
                &[][..]
            }
        };
        if !known.is_empty() {
            for key in src.keys() {
                if !known.contains(&key.as_str()) {
                    issues.push(unknown_key(&at("source"), key, known));
                }
            }
        }
    }
    if let Some(Value::Object(s)) = obj.get("sample") {
        for key in s.keys() {
            if !SAMPLE_KEYS.contains(&key.as_str()) {
                issues.push(unknown_key(&at("sample"), key, SAMPLE_KEYS));
            }
        }
    }
    if issues.len() > before {
        return None;
    }
    let mut value = v.clone();
    if let Some(sample) = value.get_mut("sample").and_then(Value::as_object_mut) {
        for k in ["rows", "seed"] {
            if let Some(n) = sample.get_mut(k) {
                crate::spec::schema::integral(n);
            }
        }
    }
    let spec: PoolSpec = match serde_path_to_error::deserialize(value) {
        Ok(s) => s,
        Err(e) => {
            let inner = crate::spec::clean_message(&e.inner().to_string());
            let p = e.path().to_string();
            issues.push(Issue::new(if p == "." { path.to_string() } else { at(&p) }, inner));
            return None;
        }
    };
    check_pool(&spec, path, issues);
    (issues.len() == before).then_some(spec)
}

/// Checks a pool definition that parsed (what does not need its data).
fn check_pool(spec: &PoolSpec, path: &str, issues: &mut Issues) {
    let at = |k: &str| crate::issue::join(path, k);
    if spec.name.trim().is_empty() {
        issues.push(Issue::new(at("name"), "the pool name is empty").hint("e.g. name: customers"));
    }
    match &spec.source {
        PoolSource::File { path: file, format } => {
            if file.trim().is_empty() {
                issues.push(Issue::new(at("source.path"), "the path is empty"));
            } else if PoolSpec::file_format(file, format.as_deref()).is_none() {
                let (p, msg) = match format {
                    Some(f) => (at("source.format"), format!("unknown format `{f}`")),
                    None => (at("source.path"), format!("cannot tell the format of `{file}` from its extension")),
                };
                issues.push(Issue::new(p, msg).hint("use format: csv, parquet, jsonl or arrow"));
            }
        }
        PoolSource::Postgres { url, query } => {
            if !(url.starts_with("postgres://") || url.starts_with("postgresql://")) {
                issues.push(
                    Issue::new(at("source.url"), format!("`{}` is not a PostgreSQL URL", hide_password(url)))
                        .hint("write it like postgres://user:password@host:5432/db"),
                );
            }
            if query.trim().is_empty() {
                issues.push(
                    Issue::new(at("source.query"), "the query is empty").hint("e.g. SELECT id, name FROM customers"),
                );
            }
        }
        PoolSource::Inline { columns } => {
            if columns.is_empty() {
                issues.push(Issue::new(at("source.columns"), "an inline pool needs at least one column"));
            }
            let mut len = None;
            for (name, values) in columns {
                match values {
                    Value::Array(vs) => match len {
                        None => len = Some((name, vs.len())),
                        Some((first, n)) if n != vs.len() => issues.push(
                            Issue::new(
                                at(&format!("source.columns.{name}")),
                                format!("{} values, but column `{first}` has {n}", vs.len()),
                            )
                            .hint("every inline column needs the same number of values"),
                        ),
                        _ => {}
                    },
                    other => issues.push(Issue::new(
                        at(&format!("source.columns.{name}")),
                        format!("expected a list of values, found {}", crate::spec::describe(other)),
                    )),
                }
            }
        }
    }
    if let Some(q) = &spec.query
        && q.trim().is_empty()
    {
        issues.push(Issue::new(at("query"), "the query is empty").hint("remove `query` or write a SELECT"));
    }
    match (spec.strategy, &spec.sample) {
        (PoolStrategy::Sampled, None) => issues.push(
            Issue::new(at("sample"), "a SAMPLED pool needs `sample`")
                .hint("e.g. sample: { rows: 10000 } or { fraction: 0.1 }"),
        ),
        (PoolStrategy::Sampled, Some(s)) => match (s.rows, s.fraction) {
            (Some(_), Some(_)) => issues.push(Issue::new(at("sample"), "give `rows` or `fraction`, not both")),
            (None, None) => issues
                .push(Issue::new(at("sample"), "missing `rows` or `fraction`").hint("e.g. sample: { rows: 10000 }")),
            (Some(0), _) => issues.push(Issue::new(at("sample.rows"), "a sample of 0 rows is empty")),
            (_, Some(f)) if !(f > 0.0 && f <= 1.0) => {
                issues.push(Issue::new(at("sample.fraction"), format!("fraction {f} is outside (0, 1]")))
            }
            _ => {}
        },
        (other, Some(_)) => issues.push(
            Issue::new(at("sample"), format!("`sample` applies to strategy SAMPLED, this pool is {}", other.as_str()))
                .hint("remove `sample`, or set strategy: SAMPLED"),
        ),
        _ => {}
    }
    if spec.strategy == PoolStrategy::Indexed && spec.index.is_empty() {
        issues.push(
            Issue::new(at("index"), "an INDEXED pool needs at least one key column in `index`")
                .hint("e.g. index: [id]; use FULL for a pool read only by picks"),
        );
    }
    for (col, ty) in &spec.schema {
        if !TYPE_NAMES.contains(&ty.to_ascii_lowercase().as_str()) {
            issues.push(
                Issue::new(at(&format!("schema.{col}")), format!("unknown column type `{ty}`"))
                    .hint(format!("use one of {}", TYPE_NAMES.join(", "))),
            );
        }
    }
}

/// Parses a pool file (YAML or JSON: the keys of one `pools:` entry).
pub fn parse_pool_yaml(text: &str) -> Result<PoolSpec, Issues> {
    let value: Value = serde_norway::from_str(text).map_err(|e| {
        let mut issues = Issues::default();
        issues.push(Issue::new("", format!("the pool file is not valid YAML: {e}")));
        issues
    })?;
    let mut issues = Issues::default();
    match read_pool(&value, "", &mut issues) {
        Some(p) if issues.is_empty() => Ok(p),
        _ => Err(issues),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_are_hidden() {
        assert_eq!(hide_password("postgres://u:secret@h:5432/db"), "postgres://u:***@h:5432/db");
        assert_eq!(hide_password("postgres://h/db?password=x&a=1"), "postgres://h/db?password=***&a=1");
        assert_eq!(hide_password("postgres://u@h/db"), "postgres://u@h/db");
    }

    #[test]
    fn every_problem_of_a_pool_is_reported_with_its_path() {
        let yaml = "name: ''\nsource: { type: file, path: x.txt }\nstrategy: SAMPLED\nschema: { a: decimal }\n";
        let issues = parse_pool_yaml(yaml).expect_err("invalid");
        let paths: Vec<&str> = issues.iter().map(|i| i.path.as_str()).collect();
        assert_eq!(paths, ["name", "source.path", "sample", "schema.a"], "{issues}");
        let issues = parse_pool_yaml("name: p\nsource: { type: file, pth: x.csv }\n").expect_err("invalid");
        assert!(issues.to_string().contains("pth"), "{issues}");
        let issues = parse_pool_yaml("name: p\nsource: { type: s3 }\n").expect_err("invalid");
        assert_eq!(issues.iter().next().map(|i| i.path.as_str()), Some("source.type"));
        let issues =
            parse_pool_yaml("name: p\nsource: { type: inline, columns: { a: [1, 2], b: [1] } }\nstrategy: INDEXED\n")
                .expect_err("invalid");
        let paths: Vec<&str> = issues.iter().map(|i| i.path.as_str()).collect();
        assert_eq!(paths, ["source.columns.b", "index"], "{issues}");
    }

    #[test]
    fn formats_follow_the_extension_or_format() {
        assert_eq!(PoolSpec::file_format("a/b.CSV", None), Some("csv"));
        assert_eq!(PoolSpec::file_format("a/b.parquet", None), Some("parquet"));
        assert_eq!(PoolSpec::file_format("a/b.data", Some("jsonl")), Some("jsonl"));
        assert_eq!(PoolSpec::file_format("a/b.data", None), None);
    }
}
