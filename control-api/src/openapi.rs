//! The OpenAPI document as served: utoipa's (built from the same
//! annotations as the router) completed with what the annotations cannot
//! say: the full schema of a generator definition (derived from the types
//! that read it, see `sdg_destinations::definition_schema`), the statuses
//! every route shares (bodies, paths, rate limits, keys, bugs), and whether
//! this server requires an API key.

use serde_json::{Value, json};

/// Where the definition schema lives in the document.
const DEFINITION: &str = "#/components/schemas/GeneratorDefinition";

/// Operations whose body is a generator definition.
const DEFINITION_BODIES: &[(&str, &str)] =
    &[("/api/v1/generators", "post"), ("/api/v1/generators/{id}", "put"), ("/api/v1/generators/validate", "post")];

fn error(description: &str) -> Value {
    json!({
        "description": description,
        "content": { "application/json": { "schema": { "$ref": "#/components/schemas/ErrorBody" } } }
    })
}

/// Adds `status` to an operation's responses unless it documents it already.
fn respond(op: &mut Value, status: &str, description: &str) {
    if let Some(responses) = op.get_mut("responses").and_then(Value::as_object_mut) {
        responses.entry(status.to_string()).or_insert_with(|| error(description));
    }
}

/// The document this server serves.
pub fn document(doc: &utoipa::openapi::OpenApi, keys_required: bool, rate_limited: bool, max_job_rows: u64) -> Value {
    let mut doc = serde_json::to_value(doc).unwrap_or_else(|_| json!({}));
    let definition = sdg_destinations::definition_schema();
    if let Some(schemas) = doc.pointer_mut("/components/schemas").and_then(Value::as_object_mut) {
        schemas.insert("GeneratorDefinition".into(), definition);
    }
    let body = json!({
        "description": "A generator definition (JSON, or YAML sent as application/yaml: the file `sdg run` reads)",
        "required": true,
        "content": {
            "application/json": { "schema": { "$ref": DEFINITION } },
            "application/yaml": { "schema": { "$ref": DEFINITION } }
        }
    });
    for (path, method) in DEFINITION_BODIES {
        if let Some(op) = doc.pointer_mut(&format!("/paths/{}/{method}", path.replace('/', "~1"))) {
            op["requestBody"] = body.clone();
        }
    }
    // Validation takes any document and answers what is wrong with it.
    if let Some(content) = doc.pointer_mut("/paths/~1api~1v1~1generators~1validate/post/requestBody/content") {
        let any = json!({ "schema": { "anyOf": [{ "$ref": DEFINITION }, {}] } });
        *content = json!({ "application/json": any, "application/yaml": any });
    }
    if let Some(p) = doc.pointer_mut("/components/schemas/GeneratorResponse/properties/definition") {
        *p = json!({ "$ref": DEFINITION });
    }
    // What infer-schema accepts, in full: 1–1000 names that are not blank, a known locale.
    if let Some(props) = doc.pointer_mut("/components/schemas/InferRequest/properties").and_then(Value::as_object_mut) {
        for key in ["field_names", "names"] {
            props.insert(
                key.into(),
                json!({ "type": "array", "minItems": 1, "maxItems": 1000, "description": "Column names, 1–1000, none blank (field_names; names is the same)",
                        "items": { "type": "string", "minLength": 1, "pattern": "\\S" } }),
            );
        }
        let locales: Vec<Value> =
            sdg_engine::catalog::LOCALES.iter().map(|l| Value::from(*l)).chain([Value::Null]).collect();
        props.insert(
            "locale".into(),
            json!({ "enum": locales, "description": "The locale of the proposed fields (default en_US)" }),
        );
    }
    // A job's output: generated rows in their format, or a model file.
    if let Some(ok) = doc.pointer_mut("/paths/~1api~1v1~1jobs~1{id}~1download/get/responses/200") {
        let binary = json!({ "schema": { "type": "string", "format": "binary" } });
        ok["content"] = json!({
            "text/csv": binary, "application/x-ndjson": binary, "application/vnd.apache.parquet": binary,
            "application/vnd.apache.arrow.file": binary, "application/json": { "schema": { "type": "object" } },
        });
    }
    // A generation job's rows, as this server is configured.
    if let Some(rows) = doc.pointer_mut("/components/schemas/GenerateBody/properties/num_rows") {
        rows["maximum"] = json!(max_job_rows);
    }
    // Keys: required everywhere but health, or optional (an empty requirement) when none are configured.
    doc["security"] = if keys_required { json!([{ "api_key": [] }]) } else { json!([{}, { "api_key": [] }]) };
    let Some(paths) = doc.get_mut("paths").and_then(Value::as_object_mut) else { return doc };
    for (path, item) in paths.iter_mut() {
        let Some(item) = item.as_object_mut() else { continue };
        for (_, op) in item.iter_mut() {
            if op.get("requestBody").is_some() {
                respond(
                    op,
                    "400",
                    "The body is not valid: not JSON or YAML, or a definition with problems (`errors` lists each with its path)",
                );
                respond(op, "413", "The body is larger than the server accepts (max_body_bytes)");
                respond(op, "415", "The body is neither JSON nor YAML");
            }
            if path.contains('{') {
                respond(op, "400", "The path cannot be read (e.g. percent-encoding that is not UTF-8)");
            }
            if op.get("parameters").and_then(Value::as_array).is_some_and(|p| p.iter().any(|p| p["in"] == "query")) {
                respond(op, "400", "A query parameter is out of its bounds or unknown");
            }
            if rate_limited {
                respond(op, "429", "Too many requests from this client: wait `Retry-After` seconds");
            }
            if path.ends_with("/health") {
                op["security"] = json!([{}]);
            } else if keys_required {
                respond(op, "401", "Missing or wrong X-API-Key");
            }
            respond(op, "500", "A bug in the server (it was logged); the request may be retried");
        }
    }
    doc
}
