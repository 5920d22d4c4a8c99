//! The MCP server (Model Context Protocol, through the official Rust SDK
//! `rmcp`): the agent routes and the generator lifecycle as tools, for
//! coding agents. `sdg mcp` serves it over stdio; `sdg serve` at `/mcp`
//! (Streamable HTTP) behind the same API keys and rate limits as `/api/v1`.
//!
//! Each tool calls the function its HTTP route calls, so both answer alike.
//! A client mistake is a tool result with `isError` and the agentic error
//! body as structured content (paths, allowed values, fixes, a corrected
//! example) — what a model reads to correct itself; only an unknown tool
//! or arguments that are not an object are protocol errors.

use crate::agent::output::{Writer, objects};
use crate::agent::{Agent, AgentError, Prepared};
use crate::error::ApiError;
use crate::state::Generators;
use rmcp::model::{
    CallToolRequestParams, CallToolResponse, CallToolResult, ContentBlock, Implementation, ListToolsResult,
    PaginatedRequestParams, ServerCapabilities, ServerConfig, Tool,
};
use rmcp::service::RequestContext;
use rmcp::{ErrorData as McpError, RoleServer, ServerHandler};
use serde_json::{Map, Value, json};
use std::sync::Arc;

/// The tools' server.
#[derive(Clone)]
pub struct SdgMcp {
    pub agent: Agent,
    pub generators: Arc<Generators>,
}

impl std::fmt::Debug for SdgMcp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SdgMcp").finish_non_exhaustive()
    }
}

fn schema(v: Value) -> Arc<Map<String, Value>> {
    Arc::new(v.as_object().cloned().unwrap_or_default())
}

fn id_schema() -> Arc<Map<String, Value>> {
    schema(json!({
        "type": "object", "required": ["id"],
        "properties": { "id": { "type": "string", "description": "The generator's id (list_generators)" } }
    }))
}

fn schema_body() -> Value {
    json!({
        "type": "object", "required": ["schema_fields"],
        "properties": {
            "count": { "type": "integer", "minimum": 1, "description": "Rows (default 10; at most the server's max_sync_rows)" },
            "locale": { "type": "string", "description": "e.g. en_US, de_DE (capabilities lists them)" },
            "output_format": { "type": "string", "enum": ["json", "csv", "jsonl", "sql"], "description": "json (default): rows as objects; csv, jsonl, sql: the text" },
            "seed": { "type": "integer", "minimum": 0, "description": "The same seed gives the same rows (drawn and answered when absent)" },
            "table_name": { "type": "string" },
            "sql_dialect": { "type": "string", "enum": ["postgresql", "mysql", "sqlite"] },
            "schema_fields": { "type": "array", "items": {
                "type": "object", "required": ["name", "type"],
                "properties": {
                    "name": { "type": "string" },
                    "type": { "type": "string", "description": "A built-in type (uuid, integer, float, boolean, timestamp, date, enum, sequence, constant, string) or a catalog kind (email, internet.email, amount …)" },
                    "locale": { "type": "string" },
                    "constraints": { "type": "object", "description": "The type's parameters: min, max, decimals, values, weights …" },
                    "blankPercentage": { "type": "number", "minimum": 0, "maximum": 100 },
                    "nullPercentage": { "type": "number", "minimum": 0, "maximum": 100 }
                }
            } }
        }
    })
}

fn ai_body() -> Value {
    json!({
        "type": "object", "required": ["field_names"],
        "properties": {
            "field_names": { "type": "array", "items": { "type": "string" }, "description": "Column names; types are inferred" },
            "count": { "type": "integer", "minimum": 1 },
            "locale": { "type": "string" },
            "domain_hint": { "type": "string", "description": "e.g. \"retail loyalty\": breaks ties" },
            "output_format": { "type": "string", "enum": ["json", "csv", "jsonl", "sql"] },
            "seed": { "type": "integer", "minimum": 0 },
            "expected_contract_hash": { "type": "string", "description": "infer_schema's contract_hash" },
            "strict_contract": { "type": "boolean", "description": "Refuse when the inferred schema is not the expected contract" },
            "require_validate": { "type": "boolean", "description": "Refuse without expected_contract_hash" }
        }
    })
}

/// Every tool: name, description, input schema.
pub fn tools() -> Vec<Tool> {
    let empty = || schema(json!({ "type": "object", "properties": {} }));
    vec![
        Tool::new(
            "capabilities",
            "What sdg can make: built-in types and catalog kinds (with constraints and locales), output formats, limits. Call it first.",
            empty(),
        ),
        Tool::new(
            "infer_schema",
            "Propose types for column names (offline rules): proposed_schema (schema_fields that generate takes as they are), contract_hash, contract_id.",
            schema(json!({
                "type": "object", "required": ["field_names"],
                "properties": {
                    "field_names": { "type": "array", "items": { "type": "string" } },
                    "locale": { "type": "string" }, "domain_hint": { "type": "string" }
                }
            })),
        ),
        Tool::new(
            "validate",
            "Dry-run a schema-mode request: valid, every problem with its path and fix, a corrected example, the first rows.",
            schema(schema_body()),
        ),
        Tool::new("generate", "Generate rows from explicit fields (schema mode).", schema(schema_body())),
        Tool::new(
            "generate_ai",
            "Generate rows from column names only (types inferred), optionally locked to a contract_hash.",
            schema(ai_body()),
        ),
        Tool::new("list_generators", "List the server's generators with their status and live metrics.", empty()),
        Tool::new(
            "create_generator",
            "Create a generator from a definition (the document `sdg run` reads: name, fields, destination, mode, rate, end_condition).",
            schema(json!({
                "type": "object", "required": ["definition"],
                "properties": { "definition": { "type": "object", "description": "A generator definition (docs/CONFIG.md)" } }
            })),
        ),
        Tool::new("get_generator", "A generator: definition, status, metrics.", id_schema()),
        Tool::new(
            "start_generator",
            "Start a generator (CREATED, STOPPED, COMPLETED or FAILED).",
            schema(json!({
                "type": "object", "required": ["id"],
                "properties": { "id": { "type": "string" }, "shard": { "type": "string", "description": "I/N: this process makes shard I of N" } }
            })),
        ),
        Tool::new("pause_generator", "Pause a RUNNING generator.", id_schema()),
        Tool::new("resume_generator", "Resume a PAUSED generator.", id_schema()),
        Tool::new("stop_generator", "Stop a RUNNING or PAUSED generator (rows in flight are delivered).", id_schema()),
        Tool::new(
            "generator_metrics",
            "Live metrics: rows generated and delivered, rows/s, errors, latencies, queue depth.",
            id_schema(),
        ),
        Tool::new("delete_generator", "Delete a generator that is not running.", id_schema()),
    ]
}

/// A tool's answer: structured content, and the same as text for clients that read only text.
fn structured(v: Value) -> CallToolResult {
    let text = serde_json::to_string(&v).unwrap_or_default();
    let mut r = CallToolResult::structured(v);
    r.content = vec![ContentBlock::text(text)];
    r
}

fn failed(e: AgentError) -> CallToolResult {
    let mut body = serde_json::to_value(&*e.error.body).unwrap_or_default();
    if !e.issues.is_empty() {
        body["errors"] = serde_json::to_value(&e.issues).unwrap_or_default();
    }
    if let Some((fixed, valid)) = e.corrected {
        body["corrected_example"] = fixed;
        body["corrected_example_valid"] = json!(valid);
    }
    let text = serde_json::to_string(&body).unwrap_or_default();
    let mut r = CallToolResult::structured_error(body);
    r.content = vec![ContentBlock::text(text)];
    r
}

/// Rows of a prepared request as a tool result: objects (json) or the text of the file.
fn rows(p: &Prepared, meta: Value) -> Result<CallToolResult, AgentError> {
    let internal = |e: String| AgentError::from(ApiError::internal(format!("making the rows: {e}")));
    if p.format == "json" {
        let mut data = Vec::new();
        Agent::batches(p, |b| {
            data.extend(objects(&b)?.into_iter().map(Value::Object));
            Ok(())
        })
        .map_err(internal)?;
        return Ok(structured(json!({ "data": data, "meta": meta })));
    }
    if p.format == "parquet" {
        return Err(AgentError::from(ApiError::validation(
            "parquet is binary: over MCP ask for json, csv, jsonl or sql (POST /api/v1/generate answers parquet files)",
        )));
    }
    let keys = sdg_sinks::encode::TableKeys::default();
    let mut w = Writer::new(&p.format, p.plan.schema(), Vec::new(), &p.table, p.dialect, &keys).map_err(internal)?;
    Agent::batches(p, |b| w.write(&b)).map_err(internal)?;
    let text = String::from_utf8_lossy(&w.finish().map_err(internal)?).into_owned();
    let mut r = CallToolResult::success(vec![ContentBlock::text(text)]);
    r.structured_content = Some(json!({ "meta": meta }));
    Ok(r)
}

fn id_of(args: &Map<String, Value>) -> Result<String, AgentError> {
    args.get("id")
        .and_then(Value::as_str)
        .map(str::to_string)
        .ok_or_else(|| AgentError::from(ApiError::validation("`id` (text) is required: list_generators names them")))
}

fn json_of<T: serde::Serialize>(v: Result<T, ApiError>) -> Result<Value, AgentError> {
    v.map(|v| serde_json::to_value(v).unwrap_or_default()).map_err(AgentError::from)
}

impl SdgMcp {
    /// Runs tool `name` (blocking: called off the async threads).
    pub fn call(&self, name: &str, args: Map<String, Value>) -> Option<Result<CallToolResult, AgentError>> {
        let a = &self.agent;
        let g = &self.generators;
        let body = Value::Object(args.clone());
        let out = match name {
            "capabilities" => Ok(structured(a.capabilities())),
            "infer_schema" => a.infer(&body).map(|i| structured(serde_json::to_value(i).unwrap_or_default())),
            "validate" => Ok(structured(a.validate(&body))),
            "generate" => a.prepare(&body, false).and_then(|p| {
                let meta = json!({ "count": p.count, "seed": p.seed, "fields": p.fields, "warnings": p.warnings });
                rows(&p, meta)
            }),
            "generate_ai" => a.generate_ai(&body, false).and_then(|(p, inferred, warnings)| {
                let meta = json!({
                    "count": p.count, "seed": p.seed, "fields": p.fields, "warnings": warnings,
                    "contract_hash": inferred.contract_hash, "contract_id": inferred.contract_id,
                });
                rows(&p, meta)
            }),
            "list_generators" => Ok(structured(json!({ "generators": g.list() }))),
            "create_generator" => match args.get("definition") {
                Some(d) => json_of(g.create(d.clone())).map(structured),
                None => Err(AgentError::from(ApiError::validation(
                    "`definition` is required: a generator definition (docs/CONFIG.md)",
                ))),
            },
            "get_generator" => id_of(&args).and_then(|id| json_of(g.get(&id))).map(structured),
            "start_generator" => id_of(&args).and_then(|id| {
                let shard = args
                    .get("shard")
                    .and_then(Value::as_str)
                    .map(sdg_engine::pipeline::shard::parse)
                    .transpose()
                    .map_err(|e| AgentError::from(ApiError::validation(e)))?;
                json_of(g.start(&id, shard)).map(structured)
            }),
            "pause_generator" => id_of(&args).and_then(|id| json_of(g.pause(&id))).map(structured),
            "resume_generator" => id_of(&args).and_then(|id| json_of(g.resume(&id))).map(structured),
            "stop_generator" => id_of(&args).and_then(|id| {
                let run = g.request_stop(&id)?;
                run.wait();
                json_of(g.settle(&id)).map(structured)
            }),
            "generator_metrics" => id_of(&args).and_then(|id| json_of(g.metrics(&id))).map(structured),
            "delete_generator" => id_of(&args).and_then(|id| {
                g.delete(&id)?;
                Ok(structured(json!({ "ok": true, "id": id })))
            }),
            _ => return None,
        };
        Some(out)
    }
}

impl ServerHandler for SdgMcp {
    fn get_info(&self) -> ServerConfig {
        ServerConfig::new(ServerCapabilities::builder().enable_tools().build())
            .with_server_info(Implementation::new("sdg", env!("CARGO_PKG_VERSION")))
            .with_instructions(
                "sdg makes realistic synthetic data. Call capabilities first; infer_schema for column names, then \
                 generate_ai (with expected_contract_hash to lock the types) or generate with explicit schema_fields; \
                 a refused call answers every problem with a fix and a corrected example.",
            )
    }

    async fn list_tools(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListToolsResult, McpError> {
        Ok(ListToolsResult::with_all_items(tools()))
    }

    async fn call_tool(
        &self,
        request: CallToolRequestParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, McpError> {
        let name = request.name.to_string();
        let args = request.arguments.unwrap_or_default();
        let me = self.clone();
        let answer = tokio::task::spawn_blocking(move || me.call(&name, args).map(|r| (name, r)))
            .await
            .map_err(|e| McpError::internal_error(format!("the tool panicked: {e}"), None))?;
        match answer {
            None => Err(McpError::invalid_params(
                format!(
                    "no tool `{}`; the tools are {}",
                    request.name,
                    tools().iter().map(|t| t.name.to_string()).collect::<Vec<_>>().join(", ")
                ),
                None,
            )),
            Some((_, Ok(r))) => Ok(r.into()),
            Some((_, Err(e))) => Ok(failed(e).into()),
        }
    }
}

/// The Streamable HTTP service mounted at `/mcp`.
pub fn http_service(
    mcp: SdgMcp,
    loopback: bool,
    shutdown: tokio_util::sync::CancellationToken,
) -> rmcp::transport::streamable_http_server::StreamableHttpService<
    SdgMcp,
    rmcp::transport::streamable_http_server::session::local::LocalSessionManager,
> {
    use rmcp::transport::streamable_http_server::{StreamableHttpServerConfig, StreamableHttpService};
    let mut config = StreamableHttpServerConfig::default().with_cancellation_token(shutdown);
    // A server bound beyond loopback is reached by its own host names;
    // the API key guards it there (DNS rebinding only threatens loopback).
    if !loopback {
        config = config.disable_allowed_hosts();
    }
    StreamableHttpService::new(move || Ok(mcp.clone()), Arc::default(), config)
}
