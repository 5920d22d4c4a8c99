//! Seed 003 for agents: schema mode (`POST /generate`, `POST /validate`),
//! AI mode (`POST /infer-schema`, `POST /generate-ai`, `…/stream`) and
//! `GET /capabilities`. The same functions serve the HTTP routes
//! (`routes`) and the MCP tools (`crate::mcp`), so both answer alike.
//!
//! A request becomes a generator definition (BLACKHOLE destination, a
//! RECORD_COUNT end) compiled by the engine like any other, and its rows
//! are made synchronously by the plan, batch by batch: the same seed gives
//! the same rows, in every output format. Every problem of a request is
//! an [`AgentIssue`]: path, message, hint and — for agents that correct
//! themselves — allowed values and a [`Fix`] that a corrected example
//! applies.

pub mod output;
pub mod routes;
pub mod schema;

use crate::error::{ApiError, IssueBody};
use arrow_array::RecordBatch;
use sdg_engine::{Plan, Resources};
use serde::Serialize;
use serde_json::{Map, Value, json};
use std::sync::Arc;
use utoipa::ToSchema;

/// A change to a request that mends one problem.
#[derive(Debug, Clone, Serialize, ToSchema, PartialEq)]
pub struct Fix {
    /// `replace` the value at `pointer`, `rename` its key to `value`, or `remove` it.
    pub op: String,
    /// JSON Pointer (RFC 6901) into the request body.
    pub pointer: String,
    /// The new value (replace) or key (rename).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub value: Option<Value>,
}

impl Fix {
    pub fn replace(value: Value) -> Self {
        Self { op: "replace".into(), pointer: String::new(), value: Some(value) }
    }

    pub fn rename(key: &str) -> Self {
        Self { op: "rename".into(), pointer: String::new(), value: Some(json!(key)) }
    }

    pub fn remove() -> Self {
        Self { op: "remove".into(), pointer: String::new(), value: None }
    }
}

/// One problem of a request, for people and for agents.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AgentIssue {
    /// Where: `schema_fields[2].constraints.max`; empty for the whole body.
    pub path: String,
    /// What is wrong.
    pub message: String,
    /// How to fix it, in words.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hint: Option<String>,
    /// The values that would be accepted here, when they are few.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub allowed_values: Option<Vec<String>>,
    /// The change that mends it, when there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fix: Option<Fix>,
}

impl AgentIssue {
    pub fn new(path: impl Into<String>, message: impl Into<String>) -> Self {
        Self { path: path.into(), message: message.into(), hint: None, allowed_values: None, fix: None }
    }

    pub fn hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    pub fn allowed(mut self, values: Vec<String>) -> Self {
        self.allowed_values = Some(values);
        self
    }

    /// Sets the fix, pointing at this issue's path.
    pub fn fix(mut self, mut fix: Fix) -> Self {
        fix.pointer = pointer(&self.path);
        self.fix = Some(fix);
        self
    }

    /// An engine problem of the definition, at its place in the body.
    fn from_engine(i: &IssueBody, mut path: String) -> Self {
        // An unknown key is reported at its parent: point at the key itself.
        let unknown =
            i.message.strip_prefix("unknown key `").and_then(|r| r.split_once('`')).map(|(k, _)| k.to_string());
        if let Some(k) = &unknown
            && !path.ends_with(&format!(".{k}"))
        {
            path = if path.is_empty() { k.clone() } else { format!("{path}.{k}") };
        }
        let mut issue = AgentIssue::new(path, i.message.clone());
        issue.hint = i.hint.clone();
        let text = format!("{} {}", i.message, i.hint.as_deref().unwrap_or(""));
        if let Some(values) = expected_values(&text) {
            issue.allowed_values = Some(values);
        }
        let suggestion = i.hint.as_deref().and_then(did_you_mean).or_else(|| {
            let (k, allowed) = (unknown.as_ref()?, issue.allowed_values.as_ref()?);
            near(k, allowed)
        });
        if let Some(s) = suggestion {
            issue =
                issue.fix(if i.message.starts_with("unknown key") { Fix::rename(&s) } else { Fix::replace(json!(s)) });
        } else if i.message.starts_with("unknown key") {
            issue = issue.fix(Fix::remove());
        }
        issue
    }
}

/// The allowed value one or two edits (a transposition counts as one) from `key`.
fn near(key: &str, allowed: &[String]) -> Option<String> {
    let limit = (key.chars().count() / 4).max(1);
    allowed
        .iter()
        .map(|a| (strsim::damerau_levenshtein(key, a), a))
        .filter(|(d, _)| *d <= limit)
        .min_by_key(|(d, _)| *d)
        .map(|(_, a)| a.clone())
}

/// An unknown key at `path`: renamed to the known key it is a typo of, else removed (the known keys listed).
pub fn unknown_key(path: String, key: &str, known: &[&str]) -> AgentIssue {
    let issue = AgentIssue::new(path, format!("unknown key `{key}`"));
    match sdg_engine::issue::closest(key, known) {
        Some(c) => issue.hint(format!("did you mean `{c}`?")).fix(Fix::rename(c)),
        None => issue.allowed(known.iter().map(|s| s.to_string()).collect()).fix(Fix::remove()),
    }
}

/// `x` of "did you mean `x`?".
fn did_you_mean(hint: &str) -> Option<String> {
    let rest = hint.split_once("did you mean `")?.1;
    rest.split_once('`').map(|(s, _)| s.to_string())
}

/// The back-quoted words after "expected one of" (serde's and the engine's lists).
fn expected_values(text: &str) -> Option<Vec<String>> {
    let rest = text.split_once("expected one of")?.1;
    let words: Vec<String> = rest.split('`').skip(1).step_by(2).map(str::to_string).collect();
    if !words.is_empty() {
        return Some(words);
    }
    let list: Vec<String> =
        rest.trim_start_matches(':').split(',').map(|w| w.trim().to_string()).filter(|w| !w.is_empty()).collect();
    (!list.is_empty()).then_some(list)
}

/// `schema_fields[2].constraints.max` → `/schema_fields/2/constraints/max`.
pub fn pointer(path: &str) -> String {
    if path.is_empty() {
        return String::new();
    }
    let mut out = String::new();
    for part in path.split('.') {
        let (key, indices) = match part.find('[') {
            Some(i) => (&part[..i], &part[i..]),
            None => (part, ""),
        };
        if !key.is_empty() {
            out.push('/');
            out.push_str(&key.replace('~', "~0").replace('/', "~1"));
        }
        for idx in indices.split('[').filter(|s| !s.is_empty()) {
            out.push('/');
            out.push_str(idx.trim_end_matches(']'));
        }
    }
    out
}

/// The body with every fix applied.
pub fn corrected(body: &Value, issues: &[AgentIssue]) -> Value {
    let mut out = body.clone();
    for fix in issues.iter().filter_map(|i| i.fix.as_ref()) {
        let (parent, last) = match fix.pointer.rfind('/') {
            Some(i) => (&fix.pointer[..i], fix.pointer[i + 1..].replace("~1", "/").replace("~0", "~")),
            None => continue,
        };
        if fix.pointer.is_empty() {
            continue;
        }
        let Some(parent) = out.pointer_mut(parent) else {
            continue;
        };
        match (fix.op.as_str(), parent) {
            ("replace", Value::Object(m)) => {
                m.insert(last, fix.value.clone().unwrap_or(Value::Null));
            }
            ("replace", Value::Array(a)) => {
                if let Some(slot) = last.parse::<usize>().ok().and_then(|i| a.get_mut(i)) {
                    *slot = fix.value.clone().unwrap_or(Value::Null);
                }
            }
            ("rename", Value::Object(m)) => {
                if let (Some(v), Some(to)) = (m.remove(&last), fix.value.as_ref().and_then(Value::as_str)) {
                    m.insert(to.to_string(), v);
                }
            }
            ("remove", Value::Object(m)) => {
                m.remove(&last);
            }
            _ => {}
        }
    }
    out
}

/// An answer that is not rows: a client mistake with its issues, or another error.
#[derive(Debug)]
pub struct AgentError {
    pub error: ApiError,
    /// The problems (validation errors), for agents.
    pub issues: Vec<AgentIssue>,
    /// The body with every fix applied, and whether it is then valid.
    pub corrected: Option<(Value, bool)>,
}

impl From<ApiError> for AgentError {
    fn from(error: ApiError) -> Self {
        Self { error, issues: Vec::new(), corrected: None }
    }
}

impl AgentError {
    fn invalid(what: &str, issues: Vec<AgentIssue>) -> Self {
        let n = issues.len();
        let first = issues.first().map(|i| format!("{}: {}", i.path, i.message)).unwrap_or_default();
        let mut error = ApiError::validation(if n == 1 {
            format!("the {what} is not valid: {first}")
        } else {
            format!("the {what} is not valid: {n} problems, the first: {first}")
        });
        error.body.errors = issues
            .iter()
            .map(|i| IssueBody { path: i.path.clone(), message: i.message.clone(), hint: i.hint.clone() })
            .collect();
        Self { error, issues, corrected: None }
    }
}

/// The limits of one request.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Rows one synchronous request may ask for (`/generate`, `/generate-ai`, MCP).
    pub max_rows: u64,
    /// Rows one streamed request may ask for (`/generate-ai/stream`).
    pub max_stream_rows: u64,
}

/// Output formats of the synchronous routes.
pub const FORMATS: &[&str] = &["json", "csv", "jsonl", "parquet", "sql"];

/// A request ready to make rows.
pub struct Prepared {
    pub plan: Arc<Plan>,
    pub count: u64,
    pub seed: u64,
    pub format: String,
    pub table: String,
    pub dialect: sdg_sinks::encode::SqlDialect,
    /// The fields made: name, schema-mode type, Arrow type.
    pub fields: Vec<Value>,
    /// The generator definition the request became.
    pub definition: Value,
    /// What the caller should know (a kind made in another locale).
    pub warnings: Vec<String>,
}

/// What the agent routes share.
#[derive(Clone)]
pub struct Agent {
    pub resources: Resources,
    pub limits: Limits,
}

impl std::fmt::Debug for Agent {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Agent").field("limits", &self.limits).finish_non_exhaustive()
    }
}

/// A locale schema mode knows, or the issue that says which are close.
fn check_locale(locale: &str, path: &str, issues: &mut Vec<AgentIssue>) {
    use sdg_engine::catalog::LOCALES;
    if LOCALES.contains(&locale) {
        return;
    }
    // Same country first (en_AE → ar_AE), then same language, then spelling.
    let country = sdg_engine::catalog::locale_country(locale).unwrap_or("");
    let language = locale.split(['_', '-']).next().unwrap_or("");
    let close = LOCALES
        .iter()
        .find(|l| !country.is_empty() && sdg_engine::catalog::locale_country(l) == Some(country))
        .or_else(|| LOCALES.iter().find(|l| !language.is_empty() && l.starts_with(&format!("{language}_"))))
        .copied()
        .or_else(|| sdg_engine::issue::closest(locale, LOCALES))
        .unwrap_or(sdg_engine::catalog::DEFAULT_LOCALE);
    issues.push(
        AgentIssue::new(path, format!("the locale `{locale}` has no data in this build"))
            .hint(format!("did you mean `{close}`?"))
            .allowed(LOCALES.iter().map(|l| l.to_string()).collect())
            .fix(Fix::replace(json!(close))),
    );
}

impl Agent {
    /// `GET /capabilities`: what can be asked for.
    pub fn capabilities(&self) -> Value {
        let kinds: Vec<Value> = sdg_engine::catalog::KINDS
            .iter()
            .map(|k| {
                json!({
                    "type": k.name, "aliases": k.aliases, "description": k.doc,
                    "constraints": k.params.iter().map(|p| p.name).collect::<Vec<_>>(),
                    "locales": k.locales(),
                })
            })
            .collect();
        let built_ins: Vec<Value> = schema::BUILT_INS
            .iter()
            .map(|b| json!({ "type": b.name, "aliases": b.aliases, "description": b.description, "constraints": b.constraints }))
            .collect();
        json!({
            "service": "sdg",
            "version": env!("CARGO_PKG_VERSION"),
            "modes": {
                "schema": { "route": "POST /api/v1/generate", "dry_run": "POST /api/v1/validate" },
                "ai": { "route": "POST /api/v1/generate-ai", "stream": "POST /api/v1/generate-ai/stream", "infer": "POST /api/v1/infer-schema" },
            },
            "types": { "built_in": built_ins, "catalog": kinds },
            "locales": sdg_engine::catalog::LOCALES,
            "default_locale": sdg_engine::catalog::DEFAULT_LOCALE,
            "output_formats": FORMATS,
            "stream_formats": ["sse"],
            "sql_dialects": sdg_sinks::encode::SqlDialect::NAMES,
            "field_keys": ["name", "type", "locale", "constraints", "blankPercentage", "nullPercentage"],
            "limits": {
                "max_rows_per_request": self.limits.max_rows,
                "max_rows_per_stream": self.limits.max_stream_rows,
                "larger": "POST /api/v1/generate/corpus (a background job; no limit but max_job_rows)",
            },
            "agentic_errors": "send Accept: application/vnd.agentic+json for errors with paths, allowed values, fixes and a corrected example",
            "mcp": { "stdio": "sdg mcp", "http": "/mcp" },
            "domains": crate::corpus::domains::all().iter().map(|d| json!({
                "name": d.name, "description": d.description,
                "schemas": crate::corpus::domains::tables(&d.universe).into_iter().map(|t| t.0).collect::<Vec<_>>(),
            })).collect::<Vec<_>>(),
        })
    }

    /// Reads the shared keys of a generation body: count, locale, format, seed, SQL options.
    fn common(&self, body: &Map<String, Value>, stream: bool, issues: &mut Vec<AgentIssue>) -> Common {
        let limit = if stream { self.limits.max_stream_rows } else { self.limits.max_rows };
        let count = match body.get("count") {
            None | Some(Value::Null) => 10,
            Some(v) => match v.as_u64() {
                Some(n) if n >= 1 => n,
                _ => {
                    issues.push(
                        AgentIssue::new("count", format!("count is {v}; ask for 1 or more rows"))
                            .fix(Fix::replace(json!(10))),
                    );
                    10
                }
            },
        };
        let locale = match body.get("locale") {
            None | Some(Value::Null) => sdg_engine::catalog::DEFAULT_LOCALE.to_string(),
            Some(Value::String(l)) => {
                check_locale(l, "locale", issues);
                l.clone()
            }
            Some(v) => {
                issues.push(AgentIssue::new("locale", format!("locale is text (e.g. en_US), not {v}")));
                sdg_engine::catalog::DEFAULT_LOCALE.to_string()
            }
        };
        let format = match body.get("output_format") {
            None | Some(Value::Null) => "json".to_string(),
            Some(v) => {
                let f = v.as_str().unwrap_or("").to_ascii_lowercase();
                if !FORMATS.contains(&f.as_str()) {
                    let issue = AgentIssue::new(
                        "output_format",
                        format!("output_format {v} is not one of {}", FORMATS.join(", ")),
                    )
                    .allowed(FORMATS.iter().map(|s| s.to_string()).collect());
                    let all: Vec<String> = FORMATS.iter().map(|s| s.to_string()).collect();
                    let guess = sdg_engine::issue::closest(&f, FORMATS)
                        .map(str::to_string)
                        .or_else(|| near(&f, &all))
                        .unwrap_or_else(|| "json".into());
                    issues.push(issue.hint(format!("did you mean `{guess}`?")).fix(Fix::replace(json!(guess))));
                }
                f
            }
        };
        let seed = match body.get("seed") {
            None | Some(Value::Null) => sdg_engine::rng::random_seed(),
            Some(v) => v.as_u64().unwrap_or_else(|| {
                issues.push(
                    AgentIssue::new("seed", format!("seed is {v}; it is a whole number ≥ 0"))
                        .fix(Fix::replace(json!(42))),
                );
                0
            }),
        };
        let table = match body.get("table_name").and_then(Value::as_str) {
            Some(t) if !t.trim().is_empty() => t.to_string(),
            _ => "data".to_string(),
        };
        let dialect = match body.get("sql_dialect") {
            None | Some(Value::Null) => sdg_sinks::encode::SqlDialect::Postgres,
            Some(v) => match v.as_str().and_then(sdg_sinks::encode::SqlDialect::parse) {
                Some(d) => d,
                None => {
                    issues.push(
                        AgentIssue::new("sql_dialect", format!("sql_dialect {v} is not known"))
                            .allowed(sdg_sinks::encode::SqlDialect::NAMES.iter().map(|s| s.to_string()).collect())
                            .fix(Fix::replace(json!("postgresql"))),
                    );
                    sdg_sinks::encode::SqlDialect::Postgres
                }
            },
        };
        Common { count, limit, locale, format, seed, table, dialect }
    }

    /// Checks a schema-mode body and compiles it. `count` over the limit is
    /// an issue like any other (with the corpus-job hint).
    pub fn prepare(&self, body: &Value, stream: bool) -> Result<Prepared, AgentError> {
        self.prepare_as(body, stream, true)
    }

    /// `prepare`; a refusal carries a corrected example when `correct`.
    fn prepare_as(&self, body: &Value, stream: bool, correct: bool) -> Result<Prepared, AgentError> {
        let Some(obj) = body.as_object() else {
            return Err(AgentError::invalid(
                "request",
                vec![
                    AgentIssue::new("", "the body is a JSON object")
                        .hint("send {\"count\": 10, \"schema_fields\": [{\"name\": \"id\", \"type\": \"uuid\"}]}"),
                ],
            ));
        };
        let mut issues = Vec::new();
        const KEYS: &[&str] =
            &["count", "locale", "output_format", "seed", "schema_fields", "table_name", "sql_dialect", "domain_hint"];
        for k in obj.keys().filter(|k| !KEYS.contains(&k.as_str())) {
            issues.push(unknown_key(k.clone(), k, KEYS));
        }
        let c = self.common(obj, stream, &mut issues);
        let fields = match obj.get("schema_fields") {
            Some(f) => schema::fields(f, &mut issues),
            None => {
                issues.push(
                    AgentIssue::new("schema_fields", "missing `schema_fields`: the fields to make")
                        .hint("e.g. [{\"name\": \"order_id\", \"type\": \"uuid\"}, {\"name\": \"email\", \"type\": \"email\"}]; or POST /api/v1/generate-ai with field_names only")
                        .fix(Fix::replace(json!([{ "name": "id", "type": "uuid" }]))),
                );
                Vec::new()
            }
        };
        for (i, f) in obj.get("schema_fields").and_then(Value::as_array).into_iter().flatten().enumerate() {
            if let Some(l) = f.get("locale").and_then(Value::as_str) {
                check_locale(l, &format!("schema_fields[{i}].locale"), &mut issues);
            }
        }
        let over = c.count > c.limit;
        if over {
            issues.push(
                AgentIssue::new(
                    "count",
                    format!(
                        "count is {}; one {} makes at most {} rows ({})",
                        c.count,
                        if stream { "stream" } else { "request" },
                        c.limit,
                        if stream { "max_stream_rows" } else { "max_sync_rows" }
                    ),
                )
                .hint("make it a corpus job for more: POST /api/v1/generate/corpus")
                .fix(Fix::replace(json!(c.limit))),
            );
        }
        if !issues.is_empty() {
            let only_count = over && issues.len() == 1;
            let mut e = self.refuse(body, issues, stream, correct);
            if only_count {
                e.error.status = axum::http::StatusCode::UNPROCESSABLE_ENTITY;
                e.error.body.status_code = 422;
                e.error.body.error_code = "ROW_LIMIT_EXCEEDED".into();
            }
            return Err(e);
        }
        self.compile(body, fields, c, stream, correct)
    }

    fn compile(
        &self,
        body: &Value,
        mut fields: Vec<Value>,
        c: Common,
        stream: bool,
        correct: bool,
    ) -> Result<Prepared, AgentError> {
        let definition = |fields: &[Value]| {
            json!({
                "name": "agent",
                "seed": c.seed,
                "locale": c.locale,
                "end_condition": { "type": "RECORD_COUNT", "value": c.count },
                "destination": { "type": "BLACKHOLE" },
                "fields": fields,
            })
        };
        let engine_issues = |e: ApiError| -> AgentError {
            let issues: Vec<AgentIssue> = if e.body.errors.is_empty() {
                vec![AgentIssue::new("", e.body.detail.clone())]
            } else {
                e.body.errors.iter().map(|i| AgentIssue::from_engine(i, schema::body_path(&i.path))).collect()
            };
            self.refuse(body, issues, stream, correct)
        };
        // A catalog kind without data in the asked locale is made in the
        // default one (the engine's `fallback`), and the answer says so.
        let mut warnings = Vec::new();
        for f in &mut fields {
            if f["type"] != "CATALOG" || f["params"].get("fallback").is_some() {
                continue;
            }
            let locale = f["params"].get("locale").and_then(Value::as_str).unwrap_or(&c.locale).to_string();
            let Some(kind) = f["params"]["kind"].as_str().and_then(sdg_engine::catalog::kind) else { continue };
            let have = kind.locales();
            if !have.contains(&locale.as_str()) {
                let to = if have.contains(&sdg_engine::catalog::DEFAULT_LOCALE) {
                    sdg_engine::catalog::DEFAULT_LOCALE
                } else {
                    have.first().copied().unwrap_or(sdg_engine::catalog::DEFAULT_LOCALE)
                };
                f["params"]["fallback"] = json!(to);
                warnings.push(format!(
                    "{}: {} has no data for {locale}; its values are {to}'s (locales with data: {})",
                    f["name"].as_str().unwrap_or(""),
                    kind.name,
                    have.join(", ")
                ));
            }
        }
        // blankPercentage: blanks in text columns, nulls in the others (both are empty cells in CSV).
        let (_, plan) = crate::state::check_definition(&definition(&without_blanks(&fields)), &self.resources)
            .map_err(engine_issues)?;
        for (f, arrow) in fields.iter_mut().zip(plan.schema().fields()) {
            let text = matches!(arrow.data_type(), arrow_schema::DataType::Utf8)
                || matches!(arrow.data_type(), arrow_schema::DataType::Dictionary(_, v) if **v == arrow_schema::DataType::Utf8);
            if !text && let Some(r) = f.as_object_mut().and_then(|o| o.remove("blank_ratio")) {
                let nulls = f.get("null_ratio").and_then(Value::as_f64).unwrap_or(0.0);
                let r = r.as_f64().unwrap_or(0.0);
                f["null_ratio"] = json!((nulls + r * (1.0 - nulls)).min(1.0));
            }
        }
        let definition = definition(&fields);
        let (_, plan) = crate::state::check_definition(&definition, &self.resources).map_err(engine_issues)?;
        let shown: Vec<Value> = body
            .get("schema_fields")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .zip(plan.schema().fields())
            .map(|(f, a)| json!({ "name": a.name(), "type": f.get("type"), "arrow_type": a.data_type().to_string() }))
            .collect();
        Ok(Prepared {
            plan: Arc::new(plan),
            count: c.count,
            seed: c.seed,
            format: c.format,
            table: c.table,
            dialect: c.dialect,
            fields: shown,
            definition,
            warnings,
        })
    }

    /// The error of a refused body: its issues and the corrected example (checked again).
    fn refuse(&self, body: &Value, issues: Vec<AgentIssue>, stream: bool, correct: bool) -> AgentError {
        if !correct {
            return AgentError::invalid("request", issues);
        }
        let fixed = corrected(body, &issues);
        let valid = fixed != *body && self.check_only(&fixed, stream);
        let mut e = AgentError::invalid("request", issues);
        e.corrected = Some((fixed, valid));
        e
    }

    /// True if `body` would be accepted (no corrected example is made).
    fn check_only(&self, body: &Value, stream: bool) -> bool {
        self.prepare_as(body, stream, false).is_ok()
    }

    /// `POST /validate`: the dry run of a schema-mode body.
    pub fn validate(&self, body: &Value) -> Value {
        match self.prepare(body, false) {
            Ok(p) => json!({
                "valid": true, "errors": [], "count": p.count, "fields": p.fields,
                "preview": output::preview(&p.plan, 3).unwrap_or_default(),
                "definition": p.definition,
            }),
            Err(e) => {
                let mut v = json!({ "valid": false, "errors": e.issues, "detail": e.error.body.detail });
                if let Some((fixed, ok)) = e.corrected {
                    v["corrected_example"] = fixed;
                    v["corrected_example_valid"] = json!(ok);
                }
                v
            }
        }
    }

    /// The rows of a prepared request, batch by batch (at most 8192 rows each).
    pub fn batches(p: &Prepared, each: impl FnMut(RecordBatch) -> Result<(), String>) -> Result<(), String> {
        output::each_batch(&p.plan, p.count, each)
    }

    /// `POST /infer-schema`: a proposed schema-mode schema for column names.
    pub fn infer(&self, body: &Value) -> Result<Inferred, AgentError> {
        let mut issues = Vec::new();
        let names = read_names(body, &mut issues);
        let locale = match body.get("locale") {
            Some(Value::String(l)) => {
                check_locale(l, "locale", &mut issues);
                l.clone()
            }
            None | Some(Value::Null) => sdg_engine::catalog::DEFAULT_LOCALE.to_string(),
            Some(v) => {
                issues.push(AgentIssue::new("locale", format!("locale is text (e.g. en_US), not {v}")));
                sdg_engine::catalog::DEFAULT_LOCALE.to_string()
            }
        };
        for k in ["domain_hint", "domain"] {
            if body.get(k).is_some_and(|v| !v.is_string() && !v.is_null()) {
                issues.push(AgentIssue::new(k, format!("{k} is text, e.g. \"retail loyalty\"")));
            }
        }
        let domain = body.get("domain_hint").or_else(|| body.get("domain")).and_then(Value::as_str).unwrap_or("");
        if !issues.is_empty() {
            return Err(AgentError::invalid("request", issues));
        }
        let (proposals, hash) = sdg_engine::catalog::infer::infer(&names, domain);
        let proposed: Vec<Value> = proposals.iter().map(schema_field).collect();
        Ok(Inferred {
            contract_id: contract_id(&hash),
            contract_hash: hash,
            definition: sdg_engine::catalog::infer::definition(&proposals, &locale),
            proposed_schema: proposed,
            fields: serde_json::to_value(&proposals).unwrap_or_default(),
            locale,
        })
    }

    /// `POST /generate-ai`: names in, rows out; checks the contract first.
    /// The schema-mode body it became (with the inferred contract) on success.
    pub fn generate_ai(&self, body: &Value, stream: bool) -> Result<(Prepared, Inferred, Vec<String>), AgentError> {
        self.generate_ai_as(body, stream, true)
    }

    /// `generate_ai`; a refusal carries the body corrected (and checked again) when `correct`.
    fn generate_ai_as(
        &self,
        body: &Value,
        stream: bool,
        correct: bool,
    ) -> Result<(Prepared, Inferred, Vec<String>), AgentError> {
        let with_example = |mut e: AgentError| -> AgentError {
            if correct && !e.issues.is_empty() {
                let fixed = corrected(body, &e.issues);
                let ok = fixed != *body && self.generate_ai_as(&fixed, stream, false).is_ok();
                e.corrected = Some((fixed, ok));
            } else if !correct {
                e.corrected = None;
            }
            e
        };
        self.generate_ai_checked(body, stream).map_err(with_example)
    }

    fn generate_ai_checked(&self, body: &Value, stream: bool) -> Result<(Prepared, Inferred, Vec<String>), AgentError> {
        let Some(obj) = body.as_object() else {
            return Err(AgentError::invalid("request", vec![AgentIssue::new("", "the body is a JSON object")]));
        };
        const KEYS: &[&str] = &[
            "field_names",
            "names",
            "count",
            "locale",
            "domain_hint",
            "domain",
            "output_format",
            "seed",
            "require_validate",
            "strict_contract",
            "expected_contract_hash",
            "table_name",
            "sql_dialect",
            "chunk_size",
        ];
        let mut issues: Vec<AgentIssue> = Vec::new();
        for k in obj.keys().filter(|k| !KEYS.contains(&k.as_str())) {
            issues.push(unknown_key(k.clone(), k, KEYS));
        }
        if !issues.is_empty() {
            return Err(AgentError::invalid("request", issues));
        }
        let inferred = self.infer(body)?;
        let flag = |k: &str| obj.get(k).and_then(Value::as_bool).unwrap_or(false);
        let expected = obj.get("expected_contract_hash").and_then(Value::as_str);
        let mut warnings = Vec::new();
        if (flag("require_validate") || flag("strict_contract")) && expected.is_none() {
            return Err(AgentError::invalid(
                "request",
                vec![AgentIssue::new(
                    "expected_contract_hash",
                    "require_validate and strict_contract need the contract_hash that POST /api/v1/infer-schema answered",
                )
                .hint("call infer-schema with the same field_names, locale and domain_hint, review proposed_schema, and send its contract_hash")
                .fix(Fix::replace(json!(inferred.contract_hash)))],
            ));
        }
        if let Some(expected) = expected
            && expected != inferred.contract_hash
        {
            if flag("strict_contract") {
                let mut error = ApiError::new(
                    axum::http::StatusCode::CONFLICT,
                    "CONTRACT_CHANGED",
                    format!(
                        "the schema inferred now ({}) is not the contract you expected ({expected}); review the new proposed_schema (POST /api/v1/infer-schema) and send its hash, or use schema mode (POST /api/v1/generate) to pin the types",
                        inferred.contract_hash
                    ),
                );
                error.body.expected_contract_hash = Some(expected.to_string());
                error.body.actual_contract_hash = Some(inferred.contract_hash.clone());
                return Err(AgentError::from(error));
            }
            warnings.push(format!(
                "the inferred contract ({}) differs from expected_contract_hash ({expected}); rows follow the new one (strict_contract: true refuses instead)",
                inferred.contract_hash
            ));
        }
        let mut schema_body = Map::new();
        for k in ["count", "locale", "output_format", "seed", "table_name", "sql_dialect"] {
            if let Some(v) = obj.get(k) {
                schema_body.insert(k.to_string(), v.clone());
            }
        }
        schema_body.insert("schema_fields".into(), Value::Array(inferred.proposed_schema.clone()));
        // Problems of count, locale, format, seed or dialect have the same paths in both bodies.
        let mut prepared = self.prepare_as(&Value::Object(schema_body), stream, false)?;
        warnings.append(&mut prepared.warnings);
        Ok((prepared, inferred, warnings))
    }
}

struct Common {
    count: u64,
    limit: u64,
    locale: String,
    format: String,
    seed: u64,
    table: String,
    dialect: sdg_sinks::encode::SqlDialect,
}

fn without_blanks(fields: &[Value]) -> Vec<Value> {
    fields
        .iter()
        .map(|f| {
            let mut f = f.clone();
            if let Some(o) = f.as_object_mut() {
                o.remove("blank_ratio");
            }
            f
        })
        .collect()
}

/// What infer-schema proposes.
#[derive(Debug, Clone, Serialize)]
pub struct Inferred {
    /// Schema-mode fields (`POST /generate` takes them as they are).
    pub proposed_schema: Vec<Value>,
    /// A stable hash of the proposed types: equal hashes, equal schemas.
    pub contract_hash: String,
    /// A short id of the contract, derived from its hash.
    pub contract_id: String,
    /// The generator definition (`sdg run`, `POST /generators`).
    pub definition: Value,
    /// Each field's mapping, confidence and reason.
    pub fields: Value,
    pub locale: String,
}

fn contract_id(hash: &str) -> String {
    let hex = hash.strip_prefix("xxh3:").unwrap_or(hash);
    format!("ctr_{}", &hex[..hex.len().min(16)])
}

/// `field_names` (or `names`), 1–1000, none blank.
fn read_names(body: &Value, issues: &mut Vec<AgentIssue>) -> Vec<String> {
    let (key, v) = match (body.get("field_names"), body.get("names")) {
        (Some(_), Some(_)) => {
            issues.push(
                AgentIssue::new("names", "give field_names or names (the same list), not both").fix(Fix::remove()),
            );
            return Vec::new();
        }
        (Some(v), _) => ("field_names", v),
        (None, Some(v)) => ("names", v),
        (None, None) => {
            issues.push(
                AgentIssue::new("field_names", "missing `field_names`: the column names to infer types for")
                    .fix(Fix::replace(json!(["customer_id", "email"]))),
            );
            return Vec::new();
        }
    };
    let names: Vec<String> = match v.as_array() {
        Some(a) if a.iter().all(Value::is_string) => a.iter().filter_map(Value::as_str).map(str::to_string).collect(),
        _ => {
            issues.push(AgentIssue::new(key, format!("`{key}` is a list of column names (text)")));
            return Vec::new();
        }
    };
    if names.is_empty() || names.len() > 1000 {
        issues.push(AgentIssue::new(key, format!("`{key}` has {} names; send 1 to 1000", names.len())));
    }
    for (i, n) in names.iter().enumerate() {
        if n.trim().is_empty() {
            issues.push(AgentIssue::new(format!("{key}[{i}]"), "a column name is empty").fix(Fix::remove()));
        }
    }
    names
}

/// A proposal of the inference rules as a schema-mode field.
fn schema_field(p: &sdg_engine::catalog::infer::Proposal) -> Value {
    let mut params = p.params.as_object().cloned().unwrap_or_default();
    let ty = match p.kind.as_str() {
        "CATALOG" => {
            params.remove("kind").and_then(|k| k.as_str().map(str::to_string)).unwrap_or_else(|| "string".into())
        }
        "UUID_GENERATED" => "uuid".into(),
        "TIMESTAMP_GENERATED" => "timestamp".into(),
        "ENUM_RANDOM" => "enum".into(),
        "SEQUENCE" => "sequence".into(),
        "CONSTANT" => "constant".into(),
        "NUMERIC_RANGE" => {
            let int = |k: &str| params.get(k).is_none_or(|v| v.is_i64() || v.is_u64());
            if params.get("decimals").and_then(Value::as_u64).is_none_or(|d| d == 0) && int("min") && int("max") {
                params.remove("decimals");
                "integer".into()
            } else {
                "float".into()
            }
        }
        other => other.to_ascii_lowercase(),
    };
    let mut f = json!({ "name": p.name, "type": ty });
    if !params.is_empty() {
        f["constraints"] = Value::Object(params);
    }
    f
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_become_pointers_and_fixes_apply() {
        assert_eq!(pointer("schema_fields[2].constraints.max"), "/schema_fields/2/constraints/max");
        assert_eq!(pointer("count"), "/count");
        let body =
            json!({ "cuont": 5, "schema_fields": [{ "name": "a", "type": "emial", "constraints": { "mx": 1 } }] });
        let issues = vec![
            AgentIssue::new("cuont", "unknown key").fix(Fix::rename("count")),
            AgentIssue::new("schema_fields[0].type", "unknown type").fix(Fix::replace(json!("email"))),
            AgentIssue::new("schema_fields[0].constraints.mx", "unknown").fix(Fix::remove()),
        ];
        assert_eq!(
            corrected(&body, &issues),
            json!({ "count": 5, "schema_fields": [{ "name": "a", "type": "email", "constraints": {} }] })
        );
    }

    #[test]
    fn engine_hints_become_fixes() {
        let i = IssueBody {
            path: "x".into(),
            message: "unknown key `mx`".into(),
            hint: Some("did you mean `max`?".into()),
        };
        let a = AgentIssue::from_engine(&i, "schema_fields[0].constraints.mx".into());
        assert_eq!(
            a.fix,
            Some(Fix {
                op: "rename".into(),
                pointer: "/schema_fields/0/constraints/mx".into(),
                value: Some(json!("max"))
            })
        );
        assert_eq!(
            expected_values("unknown variant `x`, expected one of `uniform`, `normal`"),
            Some(vec!["uniform".to_string(), "normal".to_string()])
        );
    }
}
