//! Reading a definition so that *every* structural problem is reported: the
//! document is parsed to a JSON value first, then each key is read on its
//! own, so an unknown key or a wrong type in one place never hides another.

use super::{Destination, EndCondition, FieldSpec, GeneratorSpec};
use crate::issue::{Issue, Issues, join, unknown_key};
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

const TOP_KEYS: &[&str] = &[
    "name",
    "description",
    "mode",
    "rate",
    "seed",
    "batch_size",
    "end_condition",
    "on_error",
    "destination",
    "fields",
    "pools",
    "copulas",
    "locale",
    "disorder",
    "duplicate_ratio",
];
const FIELD_KEYS: &[&str] = &["name", "type", "params", "null_ratio", "blank_ratio", "when"];
const DESTINATION_KEYS: &[&str] = &["type", "config"];
const END_KEYS: &[&str] = &["type", "value"];

/// Parses a YAML (or JSON, which is YAML) definition.
pub fn parse_yaml(text: &str) -> Result<GeneratorSpec, Issues> {
    let value: Value = serde_norway::from_str(text).map_err(|e| {
        let mut issues = Issues::default();
        let at = e.location().map(|l| format!(" at line {}, column {}", l.line(), l.column()));
        issues.push(
            Issue::new("", format!("the document is not valid YAML{}: {e}", at.unwrap_or_default()))
                .hint("check indentation and quoting near that position"),
        );
        issues
    })?;
    spec_from_value(&value)
}

/// Parses a JSON definition (the REST body).
pub fn parse_json(text: &str) -> Result<GeneratorSpec, Issues> {
    let value: Value = serde_json::from_str(text).map_err(|e| {
        let mut issues = Issues::default();
        issues.push(Issue::new(
            "",
            format!("the body is not valid JSON at line {}, column {}: {e}", e.line(), e.column()),
        ));
        issues
    })?;
    spec_from_value(&value)
}

/// Reads a definition from a parsed document, collecting every problem.
pub fn spec_from_value(value: &Value) -> Result<GeneratorSpec, Issues> {
    let mut issues = Issues::default();
    let Some(obj) = as_object(value, "", &mut issues) else {
        return Err(issues);
    };
    check_keys(obj, "", TOP_KEYS, &mut issues);

    let name: Option<String> = required(obj, "", "name", &mut issues);
    let description = optional(obj, "", "description", &mut issues);
    let mode = optional(obj, "", "mode", &mut issues).unwrap_or_default();
    let rate = obj.get("rate").and_then(|v| super::rate::read(v, &mut issues));
    // Whole numbers written as floats (`seed: 42.0`) are the integers they are.
    let whole = |key: &str| obj.get(key).cloned().map(|mut v| (super::schema::integral(&mut v), v).1);
    let seed = optional_value(whole("seed"), "seed", &mut issues);
    let batch_size = optional_value(whole("batch_size"), "batch_size", &mut issues);
    let end_condition = match obj.get("end_condition") {
        None | Some(Value::Null) => Some(EndCondition::default()),
        Some(v) => {
            let mut v = v.clone();
            if let Some(count) = v.get_mut("value") {
                super::schema::integral(count);
            }
            read_end_condition(&v, &mut issues)
        }
    };
    let on_error = optional(obj, "", "on_error", &mut issues).unwrap_or_default();
    let locale = optional(obj, "", "locale", &mut issues);
    let destination = match obj.get("destination") {
        None => {
            issues.push(missing("", "destination", "e.g. destination: { type: FILE, config: { path: out.csv } }"));
            None
        }
        Some(v) => read_destination(v, &mut issues),
    };
    let fields = match obj.get("fields") {
        None => {
            issues.push(missing("", "fields", "list the columns, e.g. fields: [{ name: id, type: SEQUENCE }]"));
            None
        }
        Some(Value::Array(items)) => {
            let fields: Vec<Option<FieldSpec>> =
                items.iter().enumerate().map(|(i, f)| read_field(f, &format!("fields[{i}]"), &mut issues)).collect();
            fields.into_iter().collect::<Option<Vec<_>>>()
        }
        Some(other) => {
            issues.push(Issue::new("fields", format!("expected a list of fields, found {}", describe(other))));
            None
        }
    };

    let pools = match obj.get("pools") {
        None | Some(Value::Null) => Some(Vec::new()),
        Some(Value::Array(items)) => items
            .iter()
            .enumerate()
            .map(|(i, p)| crate::pool::read_pool(p, &format!("pools[{i}]"), &mut issues))
            .collect::<Vec<_>>()
            .into_iter()
            .collect::<Option<Vec<_>>>(),
        Some(other) => {
            issues.push(Issue::new("pools", format!("expected a list of pools, found {}", describe(other))));
            None
        }
    };

    let copulas = match obj.get("copulas") {
        None | Some(Value::Null) => Some(Vec::new()),
        Some(Value::Array(items)) => items
            .iter()
            .enumerate()
            .map(|(i, c)| read::<crate::copula::CopulaSpec>(c, &format!("copulas[{i}]"), &mut issues))
            .collect::<Vec<_>>()
            .into_iter()
            .collect::<Option<Vec<_>>>(),
        Some(other) => {
            issues.push(Issue::new("copulas", format!("expected a list of copulas, found {}", describe(other))));
            None
        }
    };

    let disorder = match obj.get("disorder") {
        None | Some(Value::Null) => Some(None),
        Some(v) => read::<super::disorder::Disorder>(v, "disorder", &mut issues).map(Some),
    };
    let duplicate_ratio = optional(obj, "", "duplicate_ratio", &mut issues);
    match (name, end_condition, destination, fields, pools, copulas, disorder) {
        (
            Some(name),
            Some(end_condition),
            Some(destination),
            Some(fields),
            Some(pools),
            Some(copulas),
            Some(disorder),
        ) if issues.is_empty() => Ok(GeneratorSpec {
            name,
            description,
            mode,
            rate,
            seed,
            batch_size,
            end_condition,
            on_error,
            destination,
            fields,
            pools,
            copulas,
            locale,
            disorder,
            duplicate_ratio,
        }),
        _ => Err(issues),
    }
}

fn read_end_condition(v: &Value, issues: &mut Issues) -> Option<EndCondition> {
    let obj = as_object(v, "end_condition", issues)?;
    check_keys(obj, "end_condition", END_KEYS, issues);
    serde_json::from_value::<EndCondition>(v.clone())
        .map_err(|e| {
            issues.push(Issue::new("end_condition", clean(&e.to_string())).hint(
                "use { type: RECORD_COUNT, value: 1000 }, { type: DURATION, value: \"30s\" } or { type: MANUAL }",
            ))
        })
        .ok()
}

fn read_destination(v: &Value, issues: &mut Issues) -> Option<Destination> {
    let obj = as_object(v, "destination", issues)?;
    check_keys(obj, "destination", DESTINATION_KEYS, issues);
    let kind = required(obj, "destination", "type", issues);
    let config: Option<Map<String, Value>> = optional(obj, "destination", "config", issues);
    Some(Destination { kind: kind?, config: config.unwrap_or_default() })
}

fn read_field(v: &Value, path: &str, issues: &mut Issues) -> Option<FieldSpec> {
    let obj = as_object(v, path, issues)?;
    check_keys(obj, path, FIELD_KEYS, issues);
    let name = required(obj, path, "name", issues);
    let kind = required(obj, path, "type", issues);
    let params: Option<Map<String, Value>> = optional(obj, path, "params", issues);
    let null_ratio = optional(obj, path, "null_ratio", issues);
    let blank_ratio = optional(obj, path, "blank_ratio", issues);
    let when = optional(obj, path, "when", issues);
    Some(FieldSpec { name: name?, kind: kind?, params: params.unwrap_or_default(), null_ratio, blank_ratio, when })
}

fn as_object<'a>(v: &'a Value, path: &str, issues: &mut Issues) -> Option<&'a Map<String, Value>> {
    match v {
        Value::Object(m) => Some(m),
        other => {
            issues.push(Issue::new(path, format!("expected a mapping of keys to values, found {}", describe(other))));
            None
        }
    }
}

fn check_keys(obj: &Map<String, Value>, path: &str, known: &[&str], issues: &mut Issues) {
    for key in obj.keys() {
        if !known.contains(&key.as_str()) {
            issues.push(unknown_key(path, key, known));
        }
    }
}

fn missing(path: &str, key: &str, hint: &str) -> Issue {
    Issue::new(path, format!("missing required key `{key}`")).hint(hint)
}

fn required<T: DeserializeOwned>(obj: &Map<String, Value>, path: &str, key: &str, issues: &mut Issues) -> Option<T> {
    match obj.get(key) {
        None => {
            issues.push(Issue::new(path, format!("missing required key `{key}`")));
            None
        }
        Some(v) => read(v, &join(path, key), issues),
    }
}

fn optional<T: DeserializeOwned>(obj: &Map<String, Value>, path: &str, key: &str, issues: &mut Issues) -> Option<T> {
    match obj.get(key) {
        None | Some(Value::Null) => None,
        Some(v) => read(v, &join(path, key), issues),
    }
}

/// Like [`optional`], for a value already taken out (and adjusted).
fn optional_value<T: DeserializeOwned>(v: Option<Value>, path: &str, issues: &mut Issues) -> Option<T> {
    match v {
        None | Some(Value::Null) => None,
        Some(v) => read(&v, path, issues),
    }
}

/// Reads one value, reporting a type mismatch at its path.
pub(crate) fn read<T: DeserializeOwned>(v: &Value, path: &str, issues: &mut Issues) -> Option<T> {
    match serde_json::from_value(v.clone()) {
        Ok(t) => Some(t),
        Err(e) => {
            issues.push(Issue::new(path, clean(&e.to_string())));
            None
        }
    }
}

/// serde_json appends " at line 0 column 0" to errors from values; drop it.
pub(crate) fn clean(msg: &str) -> String {
    match msg.find(" at line ") {
        Some(i) => msg[..i].to_string(),
        None => msg.to_string(),
    }
}

/// A short description of a JSON value for error messages.
pub(crate) fn describe(v: &Value) -> String {
    match v {
        Value::Null => "nothing (null)".into(),
        Value::Bool(b) => format!("the boolean {b}"),
        Value::Number(n) => format!("the number {n}"),
        Value::String(s) => format!("the text \"{s}\""),
        Value::Array(_) => "a list".into(),
        Value::Object(_) => "a mapping".into(),
    }
}
