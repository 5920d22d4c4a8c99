//! Seed 000's corpus surface (and seed 004's tabular generation and
//! identities): `/context/analyze` picks a domain template, `/generate/sample`
//! answers a few rows per table at once, `/feedback` edits a sample's
//! schemas, `/generate/corpus` makes every table as a background job (a
//! universe: foreign keys valid across tables), `/jobs/{id}/export` and
//! `/jobs/{id}/download/{schema}` rewrite the tables as CSV, JSON, JSON
//! Lines, Parquet, XLSX or SQL, and `/identities` makes coherent people.
//!
//! A corpus keeps each table as Parquet in `DATA_DIR/jobs/{id}/`; exports
//! are made from those files (and kept beside them), so one corpus exports
//! to every format with the same rows.

pub mod domains;
pub mod export;
pub mod routes;

use crate::agent::AgentIssue;
use crate::error::ApiError;
use crate::jobs::{JobCtx, JobRecord, JobStatus, Jobs, Work, no_job};
use sdg_engine::Resources;
use sdg_sinks::encode::{ForeignKey, SqlDialect, TableKeys};
use serde_json::{Map, Value, json};
use std::sync::Arc;

/// What the corpus routes share.
#[derive(Clone)]
pub struct Corpus {
    pub resources: Resources,
    pub jobs: Arc<Jobs>,
    pub workers: usize,
    /// The most rows one corpus may make (`max_job_rows`).
    pub max_rows: u64,
    /// The most people one `/identities` call makes (`max_sync_rows`).
    pub max_sync_rows: u64,
}

/// The fields of an identity: (name, catalog kind, extra params).
pub const IDENTITY_FIELDS: &[(&str, &str)] = &[
    ("first_name", "person.first_name"),
    ("last_name", "person.last_name"),
    ("full_name", "person.full_name"),
    ("gender", "person.gender"),
    ("birth_date", "person.birth_date"),
    ("username", "person.username"),
    ("email", "internet.email"),
    ("phone", "phone.number"),
    ("street", "address.street"),
    ("building_number", "address.building_number"),
    ("city", "address.city"),
    ("postcode", "address.postcode"),
    ("region", "address.region"),
    ("country", "address.country"),
    ("country_code", "address.country_code"),
    ("latitude", "address.latitude"),
    ("longitude", "address.longitude"),
    ("job_title", "person.job_title"),
    ("company", "company.name"),
    ("iban", "finance.iban"),
    ("credit_card", "finance.credit_card"),
    ("ipv4", "internet.ipv4"),
    ("user_agent", "internet.user_agent"),
];

/// The identity fields a request gets when it names none.
const DEFAULT_IDENTITY: &[&str] = &[
    "first_name",
    "last_name",
    "full_name",
    "gender",
    "birth_date",
    "email",
    "phone",
    "street",
    "city",
    "postcode",
    "country_code",
];

impl std::fmt::Debug for Corpus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Corpus").finish_non_exhaustive()
    }
}

/// The universe a request is about: a sample job's reviewed schemas, the
/// template `domain_hint` names, or the one the `context` points to.
fn universe_for(jobs: &Jobs, body: &Map<String, Value>) -> Result<(String, Value, Vec<String>), ApiError> {
    if let Some(id) = body.get("job_id").and_then(Value::as_str) {
        let job = jobs.get(id).ok_or_else(|| no_job(id))?;
        let universe = job.config.get("universe").cloned().ok_or_else(|| {
            ApiError::at(
                "job_id",
                format!("job {id} is a {} job; give the id of a sample (POST /generate/sample)", job.job_type),
            )
        })?;
        let domain = job.config["domain"].as_str().unwrap_or_default().to_string();
        return Ok((domain, universe, Vec::new()));
    }
    let hint = body.get("domain_hint").and_then(Value::as_str);
    if let Some(d) = hint.and_then(domains::get) {
        return Ok((d.name.to_string(), d.universe.clone(), Vec::new()));
    }
    let context = body.get("context").and_then(Value::as_str).unwrap_or("");
    if context.trim().is_empty() && hint.is_none() {
        return Err(ApiError::at(
            "context",
            format!(
                "describe the data (e.g. \"a clinic with 200 patients and their appointments\"), or name a domain_hint: {}",
                domains::names().join(", ")
            ),
        ));
    }
    let a = domains::analyze(context, hint);
    let d = domains::get(&a.domain).ok_or_else(|| ApiError::internal("a template vanished"))?;
    Ok((d.name.to_string(), d.universe.clone(), a.warnings))
}

/// Keeps the tables `wanted` names (and, for their foreign keys, the tables
/// they reference); every table when `wanted` is empty.
fn select(universe: &mut Value, wanted: &[String], warnings: &mut Vec<String>) -> Result<(), ApiError> {
    if wanted.is_empty() {
        return Ok(());
    }
    let tables = domains::tables(universe);
    let names: Vec<&str> = tables.iter().map(|t| t.0.as_str()).collect();
    for (i, w) in wanted.iter().enumerate() {
        if !names.contains(&w.as_str()) {
            let mut e = ApiError::at(
                &format!("schemas[{i}]"),
                format!("there is no schema `{w}` here; the schemas are {}", names.join(", ")),
            );
            if let Some(c) = sdg_engine::issue::closest(w, &names) {
                e.body.errors[0].hint = Some(format!("did you mean `{c}`?"));
            }
            return Err(e);
        }
    }
    let mut keep: Vec<String> = wanted.to_vec();
    let mut i = 0;
    while i < keep.len() {
        if let Some(t) = tables.iter().find(|t| t.0 == keep[i]) {
            for parent in &t.3 {
                if !keep.contains(parent) {
                    warnings.push(format!("{parent} is included: {} references it", keep[i]));
                    keep.push(parent.clone());
                }
            }
        }
        i += 1;
    }
    if let Some(list) = universe["generators"].as_array_mut() {
        list.retain(|g| g["name"].as_str().is_some_and(|n| keep.iter().any(|k| k == n)));
    }
    Ok(())
}

fn strings(body: &Map<String, Value>, key: &str) -> Result<Vec<String>, ApiError> {
    match body.get(key) {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::Array(a)) if a.iter().all(Value::is_string) => {
            Ok(a.iter().filter_map(Value::as_str).map(str::to_string).collect())
        }
        Some(_) => Err(ApiError::at(key, "a list of names")),
    }
}

fn count(body: &Map<String, Value>, key: &str, default: u64, max: u64) -> Result<u64, ApiError> {
    match body.get(key) {
        None | Some(Value::Null) => Ok(default),
        Some(v) => match v.as_u64() {
            Some(n) if (1..=max).contains(&n) => Ok(n),
            _ => Err(ApiError::at(key, format!("{key} is {v}; send 1 to {max}"))),
        },
    }
}

/// Sets every member's rows (`rows(template rows)`), destination and batch size.
fn shape(
    universe: &mut Value,
    seed: u64,
    batch: Option<u64>,
    rows: impl Fn(u64) -> u64,
    destination: impl Fn(&str) -> Value,
) {
    universe["seed"] = json!(seed);
    for g in universe["generators"].as_array_mut().into_iter().flatten() {
        let n = rows(g["end_condition"]["value"].as_u64().unwrap_or(1));
        g["end_condition"] = json!({ "type": "RECORD_COUNT", "value": n.max(1) });
        let name = g["name"].as_str().unwrap_or("table").to_string();
        g["destination"] = destination(&name);
        if let Some(b) = batch {
            g["batch_size"] = json!(b);
        }
        if let Some(o) = g.as_object_mut() {
            o.remove("description");
        }
    }
}

fn compile(universe: &Value, resources: &Resources) -> Result<sdg_engine::universe::Universe, ApiError> {
    let spec = crate::state::parse_universe(universe)?;
    sdg_engine::universe::Universe::compile(spec, resources, &|g, r| sdg_destinations::check(g, r))
        .map_err(|i| ApiError::issues_of("corpus", &i))
}

/// A field of a schema as shown: its name, a type in schema-mode words,
/// whether it may be null, and what it references.
fn shown_field(f: &Value) -> Value {
    let p = &f["params"];
    let ty = match f["type"].as_str().unwrap_or("") {
        "CATALOG" => p["kind"].as_str().unwrap_or("string").to_string(),
        "SEQUENCE" if p.get("prefix").is_some() || p.get("padding").is_some() => "sequence (text)".into(),
        "SEQUENCE" => "sequence".into(),
        "UUID_GENERATED" => "uuid".into(),
        "TIMESTAMP_GENERATED" => "timestamp".into(),
        "ENUM_RANDOM" => "enum".into(),
        "CONSTANT" => "constant".into(),
        "NUMERIC_RANGE" if p.get("decimals").and_then(Value::as_u64).is_some_and(|d| d > 0) => "float".into(),
        "NUMERIC_RANGE" if p["min"].is_f64() || p["max"].is_f64() => "float".into(),
        "NUMERIC_RANGE" => "integer".into(),
        "UNIVERSE_KEY_REFERENCE" => "reference".into(),
        other => other.to_ascii_lowercase(),
    };
    let mut out = json!({
        "name": f["name"], "type": ty, "mapping": f["type"],
        "required": f.get("null_ratio").and_then(Value::as_f64).is_none_or(|r| r == 0.0),
    });
    if let Some(c) = p.as_object().filter(|c| !c.is_empty()) {
        let mut c = c.clone();
        c.remove("kind");
        if !c.is_empty() {
            out["constraints"] = Value::Object(c);
        }
    }
    if f["type"] == "UNIVERSE_KEY_REFERENCE"
        && let (Some(g), Some(k)) = (p["generator"].as_str(), p["field"].as_str())
    {
        out["references"] = json!(format!("{g}.{k}"));
    }
    out
}

/// The schemas of a universe as shown: name, description, fields.
fn schemas(universe: &Value) -> Vec<Value> {
    universe["generators"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|g| {
            json!({
                "name": g["name"], "description": g["description"],
                "fields": g["fields"].as_array().into_iter().flatten().map(shown_field).collect::<Vec<_>>(),
            })
        })
        .collect()
}

/// The primary and foreign keys of each table of a universe: a table's key
/// is its field other tables reference (or its first field) when that is a
/// SEQUENCE without `end` or a UUID; a reference to a table's key is a
/// FOREIGN KEY.
pub fn keys(universe: &Value) -> Vec<(String, TableKeys)> {
    let gens: Vec<&Value> = universe["generators"].as_array().into_iter().flatten().collect();
    let unique = |g: &Value, field: &str| {
        g["fields"].as_array().into_iter().flatten().any(|f| {
            f["name"] == field
                && (f["type"] == "UUID_GENERATED" || f["type"] == "SEQUENCE" && f["params"].get("end").is_none())
                && f.get("null_ratio").is_none()
        })
    };
    let primary: Vec<Option<String>> = gens
        .iter()
        .map(|g| {
            let name = g["name"].as_str().unwrap_or("");
            let referenced = gens.iter().flat_map(|c| c["fields"].as_array().into_iter().flatten()).find_map(|f| {
                (f["type"] == "UNIVERSE_KEY_REFERENCE" && f["params"]["generator"] == name)
                    .then(|| f["params"]["field"].as_str().map(str::to_string))
                    .flatten()
            });
            let first = g["fields"][0]["name"].as_str().map(str::to_string);
            referenced.or(first).filter(|k| unique(g, k))
        })
        .collect();
    gens.iter()
        .map(|g| {
            let mut k = TableKeys {
                primary: primary[gens.iter().position(|x| x == g).unwrap_or(0)].clone(),
                foreign: Vec::new(),
            };
            for f in g["fields"].as_array().into_iter().flatten() {
                let (Some(parent), Some(key)) = (f["params"]["generator"].as_str(), f["params"]["field"].as_str())
                else {
                    continue;
                };
                let parent_pk = gens.iter().position(|p| p["name"] == parent).and_then(|i| primary[i].clone());
                if f["type"] == "UNIVERSE_KEY_REFERENCE" && parent_pk.as_deref() == Some(key) {
                    k.foreign.push(ForeignKey {
                        column: f["name"].as_str().unwrap_or("").to_string(),
                        table: parent.to_string(),
                        key: key.to_string(),
                    });
                }
            }
            (g["name"].as_str().unwrap_or("").to_string(), k)
        })
        .collect()
}

impl Corpus {
    /// `POST /identities`: coherent people (one catalog entity per row:
    /// the email follows the name, the postcode the city).
    pub fn identities(&self, body: &Value) -> Result<Value, ApiError> {
        let obj = body
            .as_object()
            .ok_or_else(|| ApiError::at("", "the body is a JSON object: {\"count\": 10, \"locale\": \"de_DE\"}"))?;
        for k in obj.keys() {
            if !["count", "locale", "fields", "seed"].contains(&k.as_str()) {
                return Err(ApiError::at(k, format!("unknown key `{k}`; send count, locale, fields, seed")));
            }
        }
        let n = match obj.get("count") {
            None | Some(Value::Null) => 10,
            Some(v) => match v.as_u64() {
                Some(n) if n >= 1 && n <= self.max_sync_rows => n,
                Some(n) if n > self.max_sync_rows => {
                    let mut e = ApiError::new(
                        axum::http::StatusCode::UNPROCESSABLE_ENTITY,
                        "ROW_LIMIT_EXCEEDED",
                        format!(
                            "count is {n}; one request makes at most {} people (max_sync_rows); make more with a corpus job or `sdg run configs/identities.yaml`",
                            self.max_sync_rows
                        ),
                    );
                    e.body.errors = vec![crate::error::IssueBody {
                        path: "count".into(),
                        message: format!("over {}", self.max_sync_rows),
                        hint: None,
                    }];
                    return Err(e);
                }
                _ => return Err(ApiError::at("count", format!("count is {v}; send 1 or more"))),
            },
        };
        let locale =
            obj.get("locale").and_then(Value::as_str).unwrap_or(sdg_engine::catalog::DEFAULT_LOCALE).to_string();
        if !sdg_engine::catalog::LOCALES.contains(&locale.as_str()) {
            return Err(ApiError::at(
                "locale",
                format!("`{locale}` has no data; use one of {}", sdg_engine::catalog::LOCALES.join(", ")),
            ));
        }
        let names: Vec<String> = match obj.get("fields") {
            None | Some(Value::Null) => DEFAULT_IDENTITY.iter().map(|s| s.to_string()).collect(),
            Some(_) => strings(obj, "fields")?,
        };
        if names.is_empty() {
            return Err(ApiError::at("fields", "name at least one field"));
        }
        let known: Vec<&str> = IDENTITY_FIELDS.iter().map(|f| f.0).collect();
        let mut fields = Vec::new();
        let mut warnings = Vec::new();
        for (i, name) in names.iter().enumerate() {
            let Some((_, kind)) = IDENTITY_FIELDS.iter().find(|f| f.0 == name) else {
                let mut e = ApiError::at(
                    &format!("fields[{i}]"),
                    format!("no identity field `{name}`; the fields are {}", known.join(", ")),
                );
                if let Some(c) = sdg_engine::issue::closest(name, &known) {
                    e.body.errors[0].hint = Some(format!("did you mean `{c}`?"));
                }
                return Err(e);
            };
            // No `entity`: each kind family (person, address) is one draw per row, as in configs/identities.yaml.
            let mut params = json!({ "kind": kind });
            let k = sdg_engine::catalog::kind(kind).ok_or_else(|| ApiError::internal("an identity kind is missing"))?;
            if !k.locales().contains(&locale.as_str()) {
                params["fallback"] = json!(sdg_engine::catalog::DEFAULT_LOCALE);
                warnings.push(format!("{name}: {kind} has no data for {locale}; made in en_US"));
            }
            if *kind == "finance.iban" && sdg_engine::catalog::locale_country(&locale).is_some_and(|c| c == "US") {
                params["country"] = json!("GB");
                warnings.push("iban: the US has no IBANs; made for GB".into());
            }
            fields.push(json!({ "name": name, "type": "CATALOG", "params": params }));
        }
        let seed = obj.get("seed").and_then(Value::as_u64).unwrap_or_else(sdg_engine::rng::random_seed);
        let def = json!({
            "name": "identities", "seed": seed, "locale": locale,
            "end_condition": { "type": "RECORD_COUNT", "value": n },
            "destination": { "type": "BLACKHOLE" }, "fields": fields,
        });
        let (_, plan) = crate::state::check_definition(&def, &self.resources)?;
        let mut data = Vec::with_capacity(n as usize);
        let mut row = 0u64;
        while row < n {
            let len = (n - row).min(8192) as usize;
            let batch = plan.generate(row, len).map_err(|e| ApiError::internal(format!("making identities: {e}")))?;
            data.extend(
                crate::agent::output::objects(&batch).map_err(ApiError::internal)?.into_iter().map(Value::Object),
            );
            row += len as u64;
        }
        Ok(
            json!({ "data": data, "meta": { "count": n, "seed": seed, "locale": locale, "fields": names, "warnings": warnings } }),
        )
    }

    /// `POST /generate/sample`: a few rows of every table, at once; kept as a
    /// completed `sample` job, which `/feedback` edits and a corpus may start from.
    pub fn sample(&self, body: &Value) -> Result<Value, ApiError> {
        let started = std::time::Instant::now();
        let obj = body
            .as_object()
            .ok_or_else(|| ApiError::at("", "the body is a JSON object: {\"context\": …, \"sample_size\": 5}"))?;
        let n = count(obj, "sample_size", 5, 100)?;
        let (domain, mut universe, mut warnings) = universe_for(&self.jobs, obj)?;
        select(&mut universe, &strings(obj, "schemas")?, &mut warnings)?;
        let seed = obj.get("seed").and_then(Value::as_u64).unwrap_or_else(sdg_engine::rng::random_seed);
        let reviewed = universe.clone();
        let mut run = universe;
        shape(&mut run, seed, None, |_| n, |_| json!({ "type": "BLACKHOLE" }));
        let u = compile(&run, &self.resources)?;
        let mut samples = Map::new();
        for m in &u.members {
            let batch = m
                .plan
                .generate(0, n as usize)
                .map_err(|e| ApiError::internal(format!("the sample of {}: {e}", m.spec.name)))?;
            let rows = crate::agent::output::objects(&batch).map_err(ApiError::internal)?;
            samples.insert(m.spec.name.clone(), Value::Array(rows.into_iter().map(Value::Object).collect()));
        }
        let mut rec = JobRecord::new(
            "sample",
            json!({
                "context": obj.get("context"), "domain": domain, "sample_size": n, "seed": seed, "universe": reviewed,
            }),
        );
        rec.status = JobStatus::Completed;
        rec.progress = 1.0;
        rec.stage = Some("sample_generated".into());
        rec.finished_at = Some(crate::model::now());
        rec.warnings = warnings.clone();
        let rec = self.jobs.record(rec)?;
        Ok(json!({
            "job_id": rec.id, "status": "completed", "domain": domain, "seed": seed,
            "schemas": schemas(&reviewed), "samples": samples, "warnings": warnings,
            "generation_time_ms": started.elapsed().as_millis() as u64,
        }))
    }

    /// `POST /generate/corpus`: every table in a background job.
    pub fn start(&self, body: &Value) -> Result<JobRecord, ApiError> {
        let obj = body
            .as_object()
            .ok_or_else(|| ApiError::at("", "the body is a JSON object: {\"context\": …, \"corpus_size\": 10000}"))?;
        let size = count(obj, "corpus_size", 1000, self.max_rows)?;
        let batch = match obj.get("batch_size") {
            None | Some(Value::Null) => None,
            Some(_) => Some(count(obj, "batch_size", 1000, 1_000_000)?),
        };
        let format = match obj.get("export_format").and_then(Value::as_str) {
            None => None,
            Some(f) if export::FORMATS.contains(&f) => Some(f.to_string()),
            Some(f) => {
                return Err(ApiError::at(
                    "export_format",
                    format!("`{f}` is not one of {}", export::FORMATS.join(", ")),
                ));
            }
        };
        let dialect =
            sql_dialect(obj.get("options").and_then(|o| o.get("sql_dialect")).or_else(|| obj.get("sql_dialect")))?;
        let (domain, mut universe, mut warnings) = universe_for(&self.jobs, obj)?;
        select(&mut universe, &strings(obj, "schemas")?, &mut warnings)?;
        let seed = obj.get("seed").and_then(Value::as_u64).unwrap_or_else(sdg_engine::rng::random_seed);
        let template_rows: u64 = domains::tables(&universe).iter().map(|t| t.2).sum::<u64>().max(1);
        let scale = size as f64 / template_rows as f64;
        let rows = move |r: u64| ((r as f64) * scale).round().max(1.0) as u64;
        // Checked now (a 400 at once), run later with the job's paths.
        let mut check = universe.clone();
        shape(&mut check, seed, batch, rows, |_| json!({ "type": "BLACKHOLE" }));
        compile(&check, &self.resources)?;
        let plan: Vec<Value> =
            domains::tables(&universe).iter().map(|t| json!({ "name": t.0, "rows": rows(t.2) })).collect();
        let mut rec = JobRecord::new(
            "corpus",
            json!({
                "context": obj.get("context"), "domain": domain, "corpus_size": size, "batch_size": batch, "seed": seed,
                "export_format": format, "sql_dialect": dialect.name(), "schemas": plan, "universe": universe,
            }),
        );
        rec.warnings = warnings;
        let (resources, workers) = (self.resources.clone(), self.workers);
        let work: Work = Box::new(move |ctx: &JobCtx| {
            let dir = ctx.own_dir()?;
            let mut run = universe.clone();
            shape(
                &mut run,
                seed,
                batch,
                rows,
                |name| json!({ "type": "FILE", "config": { "path": dir.join(format!("{name}.parquet")).to_string_lossy(), "format": "parquet" } }),
            );
            make(&run, &resources, workers, ctx)?;
            if let Some(f) = &format {
                ctx.progress(0.99, "exporting");
                let k = keys(&universe);
                for (table, _, _, _) in domains::tables(&universe) {
                    let tk = k.iter().find(|(n, _)| *n == table).map(|(_, k)| k.clone()).unwrap_or_default();
                    exported(&dir, &table, f, dialect, &tk)?;
                }
            }
            Ok(None)
        });
        self.jobs.submit(rec, work, None)
    }

    /// `POST /feedback`: edits a sample's schemas; may start the corpus.
    pub fn feedback(&self, body: &Value) -> Result<Value, ApiError> {
        let obj = body
            .as_object()
            .ok_or_else(|| ApiError::at("", "the body is a JSON object: {\"job_id\": …, \"schema_feedback\": […]}"))?;
        let id = obj
            .get("job_id")
            .and_then(Value::as_str)
            .ok_or_else(|| ApiError::at("job_id", "the sample's job_id (POST /generate/sample) is required"))?;
        let job = self.jobs.get(id).ok_or_else(|| no_job(id))?;
        if job.job_type != "sample" {
            return Err(ApiError::at(
                "job_id",
                format!("job {id} is a {} job; feedback applies to a sample (POST /generate/sample)", job.job_type),
            ));
        }
        let mut universe = job.config["universe"].clone();
        let mut changes = Vec::new();
        for (i, fb) in obj.get("schema_feedback").and_then(Value::as_array).into_iter().flatten().enumerate() {
            apply(&mut universe, fb, &format!("schema_feedback[{i}]"), &mut changes)?;
        }
        // The edited schemas must still make a universe.
        let mut check = universe.clone();
        shape(&mut check, 1, None, |_| 1, |_| json!({ "type": "BLACKHOLE" }));
        compile(&check, &self.resources)?;
        let approved = obj.get("approved").and_then(Value::as_bool).unwrap_or(true);
        let start_corpus = obj.get("start_corpus").and_then(Value::as_bool).unwrap_or(false);
        if start_corpus && !approved {
            return Err(ApiError::at(
                "start_corpus",
                "the sample is not approved (approved: false); approve it to start its corpus",
            ));
        }
        let updated = self.jobs.update(id, |r| {
            r.config["universe"] = universe.clone();
            r.config["approved"] = json!(approved);
            r.stage = Some("feedback_applied".into());
        })?;
        let mut answer = json!({
            "job_id": id, "status": updated.status.as_str(), "approved": approved, "changes": changes,
            "schemas": schemas(&universe), "message": "Feedback applied",
        });
        if obj.get("start_corpus").and_then(Value::as_bool).unwrap_or(false) {
            if !approved {
                return Err(ApiError::at(
                    "start_corpus",
                    "the sample is not approved (approved: false); approve it to start its corpus",
                ));
            }
            let mut start = Map::new();
            start.insert("job_id".into(), json!(id));
            for k in ["corpus_size", "batch_size", "export_format", "options", "seed"] {
                if let Some(v) = obj.get(k) {
                    start.insert(k.into(), v.clone());
                }
            }
            let corpus = self.start(&Value::Object(start))?;
            answer["corpus_job_id"] = json!(corpus.id);
            answer["status"] = json!("in_progress");
            answer["message"] = json!("Feedback applied, corpus generation started");
        }
        Ok(answer)
    }

    /// `POST /jobs/{id}/export`: the tables of a completed corpus in `format`.
    pub fn export(&self, id: &str, body: Option<&Value>) -> Result<Value, ApiError> {
        let empty = Map::new();
        let obj = body.and_then(Value::as_object).unwrap_or(&empty);
        let format = obj.get("format").and_then(Value::as_str).unwrap_or("csv").to_ascii_lowercase();
        if !export::FORMATS.contains(&format.as_str()) {
            return Err(ApiError::at("format", format!("`{format}` is not one of {}", export::FORMATS.join(", "))));
        }
        let dialect =
            sql_dialect(obj.get("options").and_then(|o| o.get("sql_dialect")).or_else(|| obj.get("sql_dialect")))?;
        let (job, universe) = self.completed(id)?;
        let tables: Vec<String> = domains::tables(&universe).into_iter().map(|t| t.0).collect();
        let wanted = strings(obj, "schemas")?;
        for w in &wanted {
            if !tables.contains(w) {
                return Err(ApiError::at(
                    "schemas",
                    format!("the corpus has no schema `{w}`; it has {}", tables.join(", ")),
                ));
            }
        }
        let dir = self.jobs.files_of(&job.id);
        let k = keys(&universe);
        let mut paths = Map::new();
        let mut downloads = Map::new();
        for t in tables.iter().filter(|t| wanted.is_empty() || wanted.contains(t)) {
            let tk = k.iter().find(|(n, _)| n == t).map(|(_, k)| k.clone()).unwrap_or_default();
            let path = exported(&dir, t, &format, dialect, &tk).map_err(ApiError::internal)?;
            paths.insert(t.clone(), json!(path.to_string_lossy()));
            let q = if format == "sql" {
                format!("?format=sql&sql_dialect={}", dialect.name())
            } else {
                format!("?format={format}")
            };
            downloads.insert(t.clone(), json!(format!("/api/v1/jobs/{id}/download/{t}{q}")));
        }
        Ok(json!({
            "job_id": id, "format": format, "export_paths": paths, "downloads": downloads,
            "load_order": tables.iter().filter(|t| wanted.is_empty() || wanted.contains(t)).collect::<Vec<_>>(),
            "sql_dialect": (format == "sql").then(|| dialect.name()),
        }))
    }

    /// A table of a completed corpus in `format` (made now if it was not exported): its path and media type.
    pub fn download(
        &self,
        id: &str,
        schema: &str,
        format: &str,
        dialect: Option<&str>,
    ) -> Result<(std::path::PathBuf, &'static str), ApiError> {
        let format = format.to_ascii_lowercase();
        if !export::FORMATS.contains(&format.as_str()) {
            return Err(ApiError::at("format", format!("`{format}` is not one of {}", export::FORMATS.join(", "))));
        }
        let dialect = sql_dialect(dialect.map(|d| json!(d)).as_ref())?;
        let (job, universe) = self.completed(id)?;
        let tables: Vec<String> = domains::tables(&universe).into_iter().map(|t| t.0).collect();
        if !tables.iter().any(|t| t == schema) {
            return Err(ApiError::not_found(format!(
                "the corpus has no schema `{schema}`; it has {}",
                tables.join(", ")
            )));
        }
        let tk = keys(&universe).into_iter().find(|(n, _)| n == schema).map(|(_, k)| k).unwrap_or_default();
        let path = exported(&self.jobs.files_of(&job.id), schema, &format, dialect, &tk).map_err(ApiError::internal)?;
        Ok((path, crate::agent::output::content_type(&format)))
    }

    fn completed(&self, id: &str) -> Result<(JobRecord, Value), ApiError> {
        let job = self.jobs.get(id).ok_or_else(|| no_job(id))?;
        if job.job_type != "corpus" {
            return Err(ApiError::conflict(
                format!("job {id} is a {} job; exports are of corpus jobs (POST /generate/corpus)", job.job_type),
                job.status.as_str(),
            ));
        }
        if job.status != JobStatus::Completed {
            return Err(ApiError::conflict(
                format!(
                    "the corpus is {}; export it once it is completed (GET /jobs/{id}/status)",
                    job.status.as_str()
                ),
                job.status.as_str(),
            ));
        }
        let universe = job.config["universe"].clone();
        Ok((job, universe))
    }
}

fn sql_dialect(v: Option<&Value>) -> Result<SqlDialect, ApiError> {
    match v {
        None | Some(Value::Null) => Ok(SqlDialect::Postgres),
        Some(v) => v.as_str().and_then(SqlDialect::parse).ok_or_else(|| {
            ApiError::at(
                "options.sql_dialect",
                format!("sql_dialect {v} is not one of {}", SqlDialect::NAMES.join(", ")),
            )
        }),
    }
}

/// The export of `table` in `format` under `dir/exports`, made if missing.
fn exported(
    dir: &std::path::Path,
    table: &str,
    format: &str,
    dialect: SqlDialect,
    keys: &TableKeys,
) -> Result<std::path::PathBuf, String> {
    let source = dir.join(format!("{table}.parquet"));
    if format == "parquet" {
        return Ok(source);
    }
    let out_dir = dir.join("exports");
    std::fs::create_dir_all(&out_dir).map_err(|e| format!("creating {}: {e}", out_dir.display()))?;
    let path = out_dir.join(export::file_name(table, format, dialect));
    if !path.exists() {
        export::table(&source, format, &path, table, dialect, keys)?;
    }
    Ok(path)
}

/// Runs a corpus universe to its end, reporting progress per table; stops when the job is cancelled.
fn make(universe: &Value, resources: &Resources, workers: usize, ctx: &JobCtx) -> Result<(), String> {
    let flatten = |e: ApiError| match e.body.errors.first() {
        Some(i) => format!("{}: {}", i.path, i.message),
        None => e.body.detail.clone(),
    };
    let u = compile(universe, resources).map_err(flatten)?;
    let expected: Vec<(String, u64)> =
        u.members.iter().map(|m| (m.spec.name.clone(), m.plan.row_limit().unwrap_or(0))).collect();
    let total: u64 = expected.iter().map(|e| e.1).sum::<u64>().max(1);
    let open: Arc<sdg_engine::universe::OpenSink> = Arc::new(|m: &sdg_engine::universe::Member| {
        sdg_destinations::open(&m.spec.destination, m.plan.schema())
            .map_err(|e| format!("opening {}: {}", m.spec.name, e.message))
    });
    let run = sdg_engine::universe::UniverseRun::start(u, &sdg_engine::RunConfig::with_workers(workers), open);
    let mut stopping = false;
    loop {
        let done: Vec<u64> = run.runs.iter().map(|(_, r)| r.metrics().rows_delivered).collect();
        let generated: u64 = done.iter().sum();
        // A member that will never start (its parent was stopped) stays CREATED.
        let finished = !run.pending()
            && run.runs.iter().all(|(_, r)| r.status().is_terminal() || r.status() == sdg_engine::Status::Created);
        let per: Vec<Value> = expected
            .iter()
            .zip(&done)
            .map(|((n, rows), d)| json!({ "name": n, "total_records": rows, "generated_records": d, "percent_complete": round1(100.0 * *d as f64 / (*rows).max(1) as f64) }))
            .collect();
        let completed = expected.iter().zip(&done).filter(|((_, rows), d)| *d >= rows).count();
        let current = expected.iter().zip(&done).find(|((_, rows), d)| *d < rows).map(|((n, _), _)| n.clone());
        ctx.detail(json!({
            "total_schemas": expected.len(), "completed_schemas": completed, "current_schema": current,
            "total_records": total, "generated_records": generated,
            "percent_complete": round1(100.0 * generated as f64 / total as f64), "schemas": per,
        }));
        ctx.progress(generated as f64 / total as f64, "generating");
        if finished {
            break;
        }
        if ctx.cancelled() && !stopping {
            run.stop();
            stopping = true;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    for (name, status) in run.wait() {
        if status != sdg_engine::Status::Completed {
            let why = run.runs.iter().find(|(n, _)| *n == name).and_then(|(_, r)| r.metrics().last_error);
            return Err(format!(
                "{name} ended {}{}",
                status.as_str(),
                why.map(|w| format!(": {w}")).unwrap_or_default()
            ));
        }
    }
    Ok(())
}

fn round1(x: f64) -> f64 {
    (x * 10.0).round() / 10.0
}

/// Applies one `schema_feedback` item: adjust, add or remove fields, or remove the table.
fn apply(universe: &mut Value, fb: &Value, path: &str, changes: &mut Vec<String>) -> Result<(), ApiError> {
    let name = fb["schema_name"]
        .as_str()
        .ok_or_else(|| ApiError::at(&format!("{path}.schema_name"), "the schema to change is required"))?;
    let tables = domains::tables(universe);
    let Some(index) = tables.iter().position(|t| t.0 == name) else {
        let names: Vec<&str> = tables.iter().map(|t| t.0.as_str()).collect();
        return Err(ApiError::at(
            &format!("{path}.schema_name"),
            format!("no schema `{name}`; the schemas are {}", names.join(", ")),
        ));
    };
    let children: Vec<String> = tables.iter().filter(|t| t.3.iter().any(|p| p == name)).map(|t| t.0.clone()).collect();
    if fb["feedback_type"] == "remove" {
        if !children.is_empty() {
            return Err(ApiError::at(
                &format!("{path}.feedback_type"),
                format!("{name} is referenced by {}; remove those first", children.join(", ")),
            ));
        }
        if let Some(g) = universe["generators"].as_array_mut() {
            g.remove(index);
        }
        changes.push(format!("removed schema {name}"));
        return Ok(());
    }
    let referenced: Vec<String> = universe["generators"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|g| g["fields"].as_array().into_iter().flatten())
        .filter(|f| f["type"] == "UNIVERSE_KEY_REFERENCE" && f["params"]["generator"] == name)
        .filter_map(|f| f["params"]["field"].as_str().map(str::to_string))
        .collect();
    let g = &mut universe["generators"][index];
    let fields = g["fields"].as_array_mut().ok_or_else(|| ApiError::internal("a schema without fields"))?;
    for (i, r) in fb["remove_fields"].as_array().into_iter().flatten().enumerate() {
        let r = r.as_str().unwrap_or("");
        if referenced.iter().any(|k| k == r) {
            return Err(ApiError::at(
                &format!("{path}.remove_fields[{i}]"),
                format!("{name}.{r} is the key other schemas reference; it stays"),
            ));
        }
        let before = fields.len();
        fields.retain(|f| f["name"] != r);
        if fields.len() == before {
            return Err(ApiError::at(&format!("{path}.remove_fields[{i}]"), format!("{name} has no field `{r}`")));
        }
        changes.push(format!("removed {name}.{r}"));
    }
    if let Some(adj) = fb["field_adjustments"].as_object() {
        for (field, a) in adj {
            let p = format!("{path}.field_adjustments.{field}");
            let Some(f) = fields.iter_mut().find(|f| f["name"] == field.as_str()) else {
                return Err(ApiError::at(&p, format!("{name} has no field `{field}`")));
            };
            if let Some(req) = a.get("required").and_then(Value::as_bool) {
                if req {
                    f.as_object_mut().map(|o| o.remove("null_ratio"));
                } else if f.get("null_ratio").is_none() {
                    f["null_ratio"] = json!(0.1);
                }
                changes.push(format!("{name}.{field}: required {req}"));
            }
            if let Some(r) = a.get("null_ratio") {
                f["null_ratio"] = r.clone();
            }
            if (a.get("type").is_some() || a.get("constraints").is_some()) && referenced.iter().any(|k| k == field) {
                return Err(ApiError::at(
                    &p,
                    format!("{name}.{field} is the key other schemas reference; its type stays"),
                ));
            }
            if a.get("type").is_some() || a.get("constraints").is_some() {
                let ty = a.get("type").cloned().unwrap_or_else(|| json!(shown_field(f)["type"]));
                let mut issues: Vec<AgentIssue> = Vec::new();
                let made = crate::agent::schema::fields(
                    &json!([{ "name": field, "type": ty, "constraints": a.get("constraints") }]),
                    &mut issues,
                );
                if let Some(i) = issues.first() {
                    return Err(ApiError::at(
                        &format!("{p}.{}", i.path.trim_start_matches("schema_fields[0].")),
                        i.message.clone(),
                    ));
                }
                if let Some(m) = made.into_iter().next() {
                    let nulls = f.get("null_ratio").cloned();
                    *f = m;
                    if let Some(n) = nulls {
                        f["null_ratio"] = n;
                    }
                    changes.push(format!("{name}.{field}: now {ty}"));
                }
            }
        }
    }
    for (i, add) in fb["add_fields"].as_array().into_iter().flatten().enumerate() {
        let p = format!("{path}.add_fields[{i}]");
        let fname = add["name"].as_str().unwrap_or("");
        if fields.iter().any(|f| f["name"] == fname) {
            return Err(ApiError::at(&p, format!("{name} has a field `{fname}` already")));
        }
        let mut issues: Vec<AgentIssue> = Vec::new();
        let mut one = add.clone();
        if let Some(o) = one.as_object_mut() {
            o.remove("required");
            // Seed 000 writes types in capitals (PHONE, EMAIL): schema mode reads them in any case.
            if let Some(t) = o.get("type").and_then(Value::as_str) {
                let t = t.to_ascii_lowercase();
                o.insert("type".into(), json!(t));
            }
        }
        let made = crate::agent::schema::fields(&json!([one]), &mut issues);
        if let Some(issue) = issues.first() {
            let mut e = ApiError::at(
                &format!("{p}{}", issue.path.trim_start_matches("schema_fields[0]")),
                issue.message.clone(),
            );
            e.body.errors[0].hint = issue.hint.clone();
            return Err(e);
        }
        if let Some(mut m) = made.into_iter().next() {
            if add.get("required").and_then(Value::as_bool) == Some(false) {
                m["null_ratio"] = json!(0.1);
            }
            fields.push(m);
            changes.push(format!("added {name}.{fname}"));
        }
    }
    Ok(())
}
