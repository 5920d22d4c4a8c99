//! Seed 003's schema mode: `schema_fields` (`name`, `type`, `locale`,
//! `constraints`, `blankPercentage`) as a generator definition. A `type` is a
//! built-in type (below) or a catalog kind (`internet.email`, or an alias:
//! `email`); `constraints` become the mapping's `params`, so every parameter
//! of the mapping type or catalog kind is a constraint.

use super::{AgentIssue, Fix};
use serde_json::{Map, Value, json};

/// A built-in type of schema mode: what it makes, the mapping it becomes, its constraints.
#[derive(Debug, Clone, Copy)]
pub struct BuiltIn {
    pub name: &'static str,
    pub aliases: &'static [&'static str],
    pub description: &'static str,
    /// The constraints it reads (the mapping's params, or its own).
    pub constraints: &'static [&'static str],
}

pub const BUILT_INS: &[BuiltIn] = &[
    BuiltIn {
        name: "uuid",
        aliases: &["guid"],
        description: "a random UUID (v4; constraints.version 7 for time-ordered ones)",
        constraints: &["version", "start", "step"],
    },
    BuiltIn {
        name: "integer",
        aliases: &["int", "bigint", "long"],
        description: "a whole number in [min, max] (default 0 … 1000000), uniform unless constraints.distribution says otherwise (normal, lognormal, exponential, zipf)",
        constraints: &["min", "max", "distribution", "mean", "stddev", "mu", "sigma", "lambda", "exponent"],
    },
    BuiltIn {
        name: "float",
        aliases: &["double", "decimal", "number", "real", "numeric"],
        description: "a number in [min, max] (default 0 … 1000) with constraints.decimals decimals (default 2)",
        constraints: &["min", "max", "decimals", "distribution", "mean", "stddev", "mu", "sigma", "lambda"],
    },
    BuiltIn {
        name: "boolean",
        aliases: &["bool", "flag"],
        description: "`true` or `false` (as text), true with probability constraints.true_ratio (default 0.5)",
        constraints: &["true_ratio"],
    },
    BuiltIn {
        name: "timestamp",
        aliases: &["datetime", "date_time", "timestamptz"],
        description: "a UTC timestamp: constraints.start (RFC 3339, default 2026-01-01T00:00:00Z) plus constraints.step per row (default 1s) plus a random constraints.jitter",
        constraints: &["start", "step", "jitter", "format"],
    },
    BuiltIn {
        name: "date",
        aliases: &[],
        description: "a day, as a UTC timestamp at midnight: constraints.start, one constraints.step (default 1d) per row",
        constraints: &["start", "step"],
    },
    BuiltIn {
        name: "enum",
        aliases: &["choice", "one_of"],
        description: "one of constraints.values, weighted by constraints.weights (default uniform)",
        constraints: &["values", "weights"],
    },
    BuiltIn {
        name: "sequence",
        aliases: &["serial", "auto_increment", "autoincrement", "row_number"],
        description: "constraints.start (default 1), + constraints.step per row; text with constraints.prefix or padding",
        constraints: &["start", "step", "end", "prefix", "padding"],
    },
    BuiltIn {
        name: "constant",
        aliases: &["fixed"],
        description: "constraints.value on every row",
        constraints: &["value"],
    },
    BuiltIn {
        name: "string",
        aliases: &["text", "str", "varchar"],
        description: "a word (the catalog's text.word; use text.sentence or text.paragraph for longer text)",
        constraints: &[],
    },
];

/// The built-in type named `name` (or one of its aliases), case-insensitively.
pub fn built_in(name: &str) -> Option<&'static BuiltIn> {
    let n = name.to_ascii_lowercase();
    BUILT_INS.iter().find(|b| b.name == n || b.aliases.contains(&n.as_str()))
}

/// Every type name schema mode accepts: built-ins, their aliases, catalog kinds and aliases.
pub fn type_names() -> Vec<&'static str> {
    let mut names: Vec<&'static str> =
        BUILT_INS.iter().flat_map(|b| std::iter::once(b.name).chain(b.aliases.iter().copied())).collect();
    for k in sdg_engine::catalog::KINDS {
        names.push(k.name);
        names.extend(k.aliases.iter().copied());
    }
    names
}

/// One field as the mapping it becomes: (type, params).
fn mapping(b: &BuiltIn, c: &Map<String, Value>, path: &str, issues: &mut Vec<AgentIssue>) -> (String, Value) {
    let mut params = c.clone();
    let ty = match b.name {
        "uuid" => "UUID_GENERATED",
        "integer" => {
            params.entry("min").or_insert(json!(0));
            params.entry("max").or_insert(json!(1_000_000));
            params.insert("decimals".into(), json!(0));
            "NUMERIC_RANGE"
        }
        "float" => {
            params.entry("min").or_insert(json!(0));
            params.entry("max").or_insert(json!(1000));
            params.entry("decimals").or_insert(json!(2));
            "NUMERIC_RANGE"
        }
        "boolean" => {
            let ratio = match params.remove("true_ratio") {
                None => 0.5,
                Some(v) => match v.as_f64().filter(|r| (0.0..=1.0).contains(r)) {
                    Some(r) => r,
                    None => {
                        issues.push(
                            AgentIssue::new(
                                format!("{path}.constraints.true_ratio"),
                                format!("true_ratio is {v}; it is a probability from 0 to 1"),
                            )
                            .fix(Fix::replace(json!(0.5))),
                        );
                        0.5
                    }
                },
            };
            for k in params.keys() {
                issues.push(unknown_constraint(path, k, b));
            }
            params = Map::new();
            params.insert("values".into(), json!(["true", "false"]));
            params.insert("weights".into(), json!([ratio, 1.0 - ratio]));
            "ENUM_RANDOM"
        }
        "timestamp" => "TIMESTAMP_GENERATED",
        "date" => {
            params.entry("step").or_insert(json!("1d"));
            "TIMESTAMP_GENERATED"
        }
        "enum" => "ENUM_RANDOM",
        "sequence" => "SEQUENCE",
        "constant" => "CONSTANT",
        _ => {
            // string: a catalog word.
            for k in params.keys() {
                issues.push(unknown_constraint(path, k, b));
            }
            params = Map::new();
            params.insert("kind".into(), json!("text.word"));
            "CATALOG"
        }
    };
    (ty.to_string(), Value::Object(params))
}

fn unknown_constraint(path: &str, key: &str, b: &BuiltIn) -> AgentIssue {
    let issue =
        AgentIssue::new(format!("{path}.constraints.{key}"), format!("type `{}` has no constraint `{key}`", b.name));
    if b.constraints.is_empty() {
        return issue.hint(format!("`{}` takes no constraints; remove it", b.name)).fix(Fix::remove());
    }
    match sdg_engine::issue::closest(key, b.constraints) {
        Some(c) => issue.hint(format!("did you mean `{c}`?")).fix(Fix::rename(c)),
        None => issue.allowed(b.constraints.iter().map(|s| s.to_string()).collect()).fix(Fix::remove()),
    }
}

/// The `schema_fields` of a body as generator fields. Problems are pushed
/// to `issues` (paths under `schema_fields`), every one at once.
pub fn fields(schema_fields: &Value, issues: &mut Vec<AgentIssue>) -> Vec<Value> {
    let Some(list) = schema_fields.as_array() else {
        issues.push(
            AgentIssue::new("schema_fields", "schema_fields must be a list of fields")
                .hint("send [{\"name\": \"order_id\", \"type\": \"uuid\"}]")
                .fix(Fix::replace(json!([{ "name": "id", "type": "uuid" }]))),
        );
        return Vec::new();
    };
    if list.is_empty() {
        issues.push(
            AgentIssue::new("schema_fields", "schema_fields is empty; give at least one field")
                .fix(Fix::replace(json!([{ "name": "id", "type": "uuid" }]))),
        );
    }
    let mut seen = std::collections::HashSet::new();
    let mut out = Vec::with_capacity(list.len());
    for (i, f) in list.iter().enumerate() {
        let path = format!("schema_fields[{i}]");
        let Some(obj) = f.as_object() else {
            issues.push(AgentIssue::new(&path, "a field is an object: {\"name\": …, \"type\": …}"));
            continue;
        };
        for k in obj.keys() {
            const KEYS: &[&str] = &["name", "type", "locale", "constraints", "blankPercentage", "nullPercentage"];
            if !KEYS.contains(&k.as_str()) {
                issues.push(super::unknown_key(format!("{path}.{k}"), k, KEYS));
            }
        }
        let name = match obj.get("name").and_then(Value::as_str).map(str::trim) {
            Some(n) if !n.is_empty() => n.to_string(),
            _ => {
                issues.push(
                    AgentIssue::new(format!("{path}.name"), "every field needs a name (text, not empty)")
                        .fix(Fix::replace(json!(format!("field_{}", i + 1)))),
                );
                format!("field_{}", i + 1)
            }
        };
        if !seen.insert(name.clone()) {
            issues.push(
                AgentIssue::new(format!("{path}.name"), format!("the name `{name}` is used by an earlier field"))
                    .fix(Fix::replace(json!(format!("{name}_{}", i + 1)))),
            );
        }
        let constraints = match obj.get("constraints") {
            None | Some(Value::Null) => Map::new(),
            Some(Value::Object(m)) => m.clone(),
            Some(_) => {
                issues.push(
                    AgentIssue::new(format!("{path}.constraints"), "constraints is an object of parameters")
                        .hint("e.g. {\"min\": 1, \"max\": 100}")
                        .fix(Fix::replace(json!({}))),
                );
                Map::new()
            }
        };
        let ty = obj.get("type").and_then(Value::as_str).unwrap_or("");
        let (mapping_type, mut params) = if let Some(b) = built_in(ty) {
            mapping(b, &constraints, &path, issues)
        } else if let Some(k) =
            sdg_engine::catalog::kind(ty).or_else(|| sdg_engine::catalog::kind(&ty.to_ascii_lowercase()))
        {
            let mut p = constraints.clone();
            p.insert("kind".into(), json!(k.name));
            ("CATALOG".to_string(), Value::Object(p))
        } else {
            let names = type_names();
            let issue = if ty.is_empty() {
                AgentIssue::new(format!("{path}.type"), "every field needs a type: a built-in type or a catalog kind")
            } else {
                AgentIssue::new(format!("{path}.type"), format!("unknown type `{ty}`"))
            };
            let guess = sdg_engine::catalog::infer::infer_one(&name, "");
            let suggestion = sdg_engine::issue::closest(&ty.to_ascii_lowercase(), &names)
                .map(str::to_string)
                .or_else(|| (guess.kind == "CATALOG").then(|| guess.params["kind"].as_str().unwrap_or("").to_string()))
                .filter(|s| !s.is_empty())
                .unwrap_or_else(|| "string".into());
            issues.push(
                issue
                    .hint(format!("did you mean `{suggestion}`? (GET /api/v1/capabilities lists every type)"))
                    .fix(Fix::replace(json!(suggestion))),
            );
            continue;
        };
        if let Some(l) = obj.get("locale").filter(|l| !l.is_null()) {
            match l.as_str() {
                Some(l) if mapping_type == "CATALOG" => params["locale"] = json!(l),
                Some(_) => {} // a locale on a field that is not a catalog kind changes nothing
                None => issues.push(AgentIssue::new(format!("{path}.locale"), "locale is text, e.g. de_DE")),
            }
        }
        let mut field = json!({ "name": name, "type": mapping_type, "params": params });
        for (key, target) in [("blankPercentage", "blank_ratio"), ("nullPercentage", "null_ratio")] {
            match obj.get(key) {
                None | Some(Value::Null) => {}
                Some(v) => match v.as_f64().filter(|p| (0.0..=100.0).contains(p)) {
                    Some(p) if p > 0.0 => field[target] = json!(p / 100.0),
                    Some(_) => {}
                    None => issues.push(
                        AgentIssue::new(
                            format!("{path}.{key}"),
                            format!("{key} is {v}; it is a percentage from 0 to 100"),
                        )
                        .fix(Fix::replace(json!(10))),
                    ),
                },
            }
        }
        out.push(field);
    }
    out
}

/// The engine's path of a definition problem as the path in the schema-mode body.
pub fn body_path(engine_path: &str) -> String {
    let Some(rest) = engine_path.strip_prefix("fields[") else { return engine_path.to_string() };
    let Some((index, tail)) = rest.split_once(']') else { return engine_path.to_string() };
    let base = format!("schema_fields[{index}]");
    let mapped = match tail {
        ".params.kind" => ".type".to_string(),
        ".params.locale" => ".locale".to_string(),
        ".blank_ratio" => ".blankPercentage".to_string(),
        ".null_ratio" => ".nullPercentage".to_string(),
        ".params" => ".constraints".to_string(),
        t if t.starts_with(".params.") => format!(".constraints.{}", &t[".params.".len()..]),
        t => t.to_string(),
    };
    base + &mapped
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn engine_paths_become_body_paths() {
        assert_eq!(body_path("fields[2].params.max"), "schema_fields[2].constraints.max");
        assert_eq!(body_path("fields[0].params.kind"), "schema_fields[0].type");
        assert_eq!(body_path("fields[1].blank_ratio"), "schema_fields[1].blankPercentage");
        assert_eq!(body_path("fields[3]"), "schema_fields[3]");
        assert_eq!(body_path("locale"), "locale");
    }

    #[test]
    fn types_are_built_ins_or_catalog_kinds() {
        let mut issues = Vec::new();
        let f = fields(
            &json!([
                { "name": "id", "type": "uuid" },
                { "name": "total", "type": "amount" },
                { "name": "mail", "type": "emial" },
                { "name": "n", "type": "integer", "constraints": { "min": 1, "max": 9 } },
                { "name": "ok", "type": "bool", "constraints": { "true_ratio": 0.9 } },
            ]),
            &mut issues,
        );
        assert_eq!(f.len(), 4, "{f:?}");
        assert_eq!(f[1]["params"]["kind"], "finance.amount");
        assert_eq!(f[2]["params"], json!({ "min": 1, "max": 9, "decimals": 0 }));
        assert_eq!(f[3]["params"]["weights"], json!([0.9, 0.09999999999999998]));
        assert_eq!(issues.len(), 1, "{issues:?}");
        assert_eq!(issues[0].path, "schema_fields[2].type");
        assert_eq!(issues[0].fix.as_ref().and_then(|f| f.value.clone()), Some(json!("email")));
    }
}
