//! The JSON Schema of a generator definition (the body of `POST
//! /api/v1/generators`, and of the OpenAPI document), built from the same
//! types that read it: each mapping type's `params` struct and each sink's
//! `config` struct derive their schemas (schemars), so keys, defaults and
//! the refusal of unknown keys cannot drift from what the parser accepts;
//! this module adds the definition's own keys, every enum, and the rules
//! that join keys (REALTIME needs a rate, a mapping type decides its params).
//!
//! Rules that JSON Schema cannot state — `min ≤ max`, as many `weights` as
//! `values`, field names unique, a `{field}` of a key template naming a
//! field — are in the descriptions, and validation reports them with their
//! path.

use super::DestinationType;
use schemars::{JsonSchema, Schema, SchemaGenerator, generate::SchemaSettings, json_schema};
use serde_json::{Value, json};

/// `rate:` — rows per second, or a profile (spec::rate).
fn rate_schema() -> Value {
    let r = json!({ "type": "number", "minimum": crate::plan::MIN_RATE, "maximum": crate::plan::MAX_RATE });
    let d = duration(&mut SchemaGenerator::default()).to_value();
    json!({
        "description": "Rows per second, constant or a profile over time. Required for REALTIME; an optional cap for BATCH, where a profile shapes simulated event time (TIMESTAMP_GENERATED without `step`). Profiles: ramp, steps, sine (amplitude below base), poisson, bursts ({ base, bursts }).",
        "anyOf": [
            { "type": "null" },
            r,
            { "type": "object", "additionalProperties": false, "required": ["profile", "from", "to", "over"],
              "properties": { "profile": { "const": "ramp" }, "from": r, "to": r, "over": d } },
            { "type": "object", "additionalProperties": false, "required": ["profile", "steps"],
              "properties": { "profile": { "const": "steps" }, "repeat": { "type": "boolean" },
                "steps": { "type": "array", "minItems": 1, "items": { "type": "object", "additionalProperties": false,
                  "required": ["rate", "for"], "properties": { "rate": r, "for": d } } } } },
            { "type": "object", "additionalProperties": false, "required": ["profile", "base", "amplitude", "period"],
              "properties": { "profile": { "const": "sine" }, "base": r, "amplitude": { "type": "number", "minimum": 0 }, "period": d } },
            { "type": "object", "additionalProperties": false, "required": ["profile", "mean"],
              "properties": { "profile": { "const": "poisson" }, "mean": r } },
            { "type": "object", "additionalProperties": false, "required": ["base", "bursts"],
              "properties": { "profile": { "const": "bursts" }, "base": r,
                "bursts": { "type": "object", "additionalProperties": false, "required": ["every", "for", "factor"],
                  "properties": { "every": d, "for": d, "factor": { "type": "number", "exclusiveMinimum": 0 } } } } }
        ]
    })
}

/// A humantime duration text (`"250ms"`, `"1h 30m"`) or a number of seconds.
pub fn duration(_: &mut SchemaGenerator) -> Schema {
    json_schema!({
        "description": "A duration: text like \"250ms\", \"30s\", \"5m\", \"1h 30m\", or a number of seconds.",
        "oneOf": [
            { "type": "string", "pattern": DURATION_PATTERN, "examples": ["250ms", "30s", "1h 30m"] },
            { "type": "number", "minimum": 0 }
        ]
    })
}

/// An optional [`duration`] (null means the default).
pub fn optional_duration(g: &mut SchemaGenerator) -> Schema {
    let mut s = duration(g);
    if let Some(Value::Array(one_of)) = s.get_mut("oneOf") {
        one_of.push(json!({ "type": "null" }));
    }
    s
}

/// An optional RFC 3339 timestamp text (`"2026-01-01T00:00:00Z"`).
pub fn optional_timestamp(_: &mut SchemaGenerator) -> Schema {
    json_schema!({
        "description": "An RFC 3339 timestamp, e.g. \"2026-01-01T00:00:00Z\".",
        "oneOf": [
            { "type": "string", "format": "date-time", "pattern": TIMESTAMP_PATTERN },
            { "type": "null" }
        ]
    })
}

/// Text, a number or a boolean: what a column value may be.
pub fn scalar(_: &mut SchemaGenerator) -> Schema {
    json_schema!({ "type": ["string", "number", "boolean"] })
}

/// A non-empty list of [`scalar`]s.
pub fn scalars(_: &mut SchemaGenerator) -> Schema {
    json_schema!({ "type": "array", "minItems": 1, "items": { "type": ["string", "number", "boolean"] } })
}

/// What humantime reads: one or more `<number><unit>` parts.
/// (humantime's units are many — `ms`, `msec`, `s`, `secs`, `min`, `mins`, `h`, `hrs`, `d`,
/// `w`, `M`, `y` … — so any unit word passes here; the parser names a wrong one.)
const DURATION_PATTERN: &str = "^\\s*([0-9]+\\s*[A-Za-zµ]+\\s*)+$";
/// A duration of 0 (every part 0), which ends a run before it starts.
const ZERO_DURATION_PATTERN: &str = "^\\s*(0+\\s*[A-Za-zµ]+\\s*)+$";
/// RFC 3339 as chrono reads it: date, `T`, time, optional fraction, offset.
const TIMESTAMP_PATTERN: &str =
    "^[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt ][0-9]{2}:[0-9]{2}:[0-9]{2}(\\.[0-9]+)?([Zz]|[+-][0-9]{2}:[0-9]{2})$";

/// How the schemas of types are written: JSON Schema 2020-12, inlined
/// (no `$defs`), so each piece can be placed into another document.
pub fn generator() -> SchemaGenerator {
    let mut settings = SchemaSettings::draft2020_12();
    settings.inline_subschemas = true;
    settings.meta_schema = None;
    SchemaGenerator::new(settings)
}

/// The schema of `T` as a plain JSON value (see [`generator`]), with the
/// bounds of its fixed-width integers stated (a u32 field refuses 2^32).
pub fn of<T: JsonSchema>() -> Value {
    let mut schema = generator().into_root_schema_for::<T>().to_value();
    bound_integers(&mut schema);
    schema
}

/// Adds `minimum`/`maximum` to integer schemas from their `format`, where
/// the type's own attributes set none.
fn bound_integers(schema: &mut Value) {
    match schema {
        Value::Object(obj) => {
            let bounds: Option<(Value, Value)> = match obj.get("format").and_then(Value::as_str) {
                Some("uint8") => Some((json!(0), json!(u8::MAX))),
                Some("uint16") => Some((json!(0), json!(u16::MAX))),
                Some("uint32") => Some((json!(0), json!(u32::MAX))),
                Some("uint64" | "uint") => Some((json!(0), json!(u64::MAX))),
                Some("int8") => Some((json!(i8::MIN), json!(i8::MAX))),
                Some("int16") => Some((json!(i16::MIN), json!(i16::MAX))),
                Some("int32") => Some((json!(i32::MIN), json!(i32::MAX))),
                Some("int64" | "int") => Some((json!(i64::MIN), json!(i64::MAX))),
                _ => None,
            };
            if let Some((lo, hi)) = bounds {
                obj.entry("minimum").or_insert(lo);
                obj.entry("maximum").or_insert(hi);
            }
            obj.values_mut().for_each(bound_integers);
        }
        Value::Array(items) => items.iter_mut().for_each(bound_integers),
        _ => {}
    }
}

/// JSON does not tell 21 from 21.0, and some encoders write the second: a
/// key of `T` whose schema wants an integer gets its whole float as an
/// integer before `T` reads it (keys that take any number keep theirs, so
/// `min: 1.0` still asks NUMERIC_RANGE for fractions).
pub fn whole_numbers<T: JsonSchema>(value: &mut Value) {
    let schema = of::<T>();
    let (Some(props), Some(obj)) = (schema.get("properties").and_then(Value::as_object), value.as_object_mut()) else {
        return;
    };
    for (key, v) in obj.iter_mut() {
        if props.get(key).is_some_and(wants_integer) {
            integral(v);
        }
    }
}

fn wants_integer(schema: &Value) -> bool {
    match schema.get("type") {
        Some(Value::String(t)) => t == "integer",
        Some(Value::Array(types)) => types.iter().any(|t| t == "integer"),
        _ => false,
    }
}

/// A float with no fraction, within 64 bits, as an integer.
pub fn integral(v: &mut Value) {
    if let Value::Number(n) = v
        && n.is_f64()
        && let Some(f) = n.as_f64()
        && f.fract() == 0.0
    {
        // `u64::MAX as f64` rounds up to 2^64, which does not fit: strictly below it.
        if (0.0..u64::MAX as f64).contains(&f) {
            *v = json!(f as u64);
        } else if f > i64::MIN as f64 && f < 0.0 {
            *v = json!(f as i64);
        }
    }
}

/// A field name or generator name: non-empty, not only blanks.
fn name(description: &str) -> Value {
    json!({ "type": "string", "minLength": 1, "pattern": "\\S", "description": description })
}

/// The whole definition; `destinations` gives each destination type's
/// `config` schema (the sink crates own them).
pub fn definition(destinations: &[(DestinationType, Value)]) -> Value {
    let fields: Vec<Value> = crate::mapping::params_schemas()
        .into_iter()
        .map(|(kind, params, params_required)| {
            let mut required = vec!["name", "type"];
            // Optional params may also be null (no params), as the parser accepts.
            let params = if params_required {
                required.push("params");
                params
            } else {
                json!({ "anyOf": [params, { "type": "null" }] })
            };
            json!({
                "title": kind.as_str(),
                "type": "object",
                "additionalProperties": false,
                "required": required,
                "properties": {
                    "name": name("Column name in every destination (unique within the generator)."),
                    "type": { "const": kind.as_str() },
                    "params": params,
                    "null_ratio": {
                        "type": ["number", "null"], "minimum": 0, "maximum": 1,
                        "description": "Share of rows whose value is null, 0.0–1.0."
                    },
                    "blank_ratio": {
                        "type": ["number", "null"], "minimum": 0, "maximum": 1,
                        "description": "Share of rows whose text is empty (\"\", not null), 0.0–1.0; text columns only."
                    },
                    "when": {
                        "description": "Only on rows where another field has one of these values (compared as text); null elsewhere: `{ field: event, in: [paid] }`.",
                        "anyOf": [{ "type": "null" }, {
                            "type": "object", "additionalProperties": false, "required": ["field", "in"],
                            "properties": {
                                "field": { "type": "string", "minLength": 1 },
                                "in": { "type": "array", "minItems": 1, "items": { "type": ["string", "number", "boolean"] } }
                            }
                        }]
                    }
                }
            })
        })
        .collect();
    let destinations: Vec<Value> = destinations
        .iter()
        .map(|(kind, config)| {
            let needs_config = config.get("required").and_then(Value::as_array).is_some_and(|r| !r.is_empty());
            let config = if needs_config { config.clone() } else { json!({ "anyOf": [config, { "type": "null" }] }) };
            json!({
                "title": kind.as_str(),
                "type": "object",
                "additionalProperties": false,
                "required": if needs_config { json!(["type", "config"]) } else { json!(["type"]) },
                "properties": { "type": { "const": kind.as_str() }, "config": config }
            })
        })
        .collect();
    let positive_duration = json!({
        "description": "A duration, more than 0: text like \"30s\", \"5m\", \"1h 30m\", or a number of seconds.",
        "oneOf": [
            { "type": "string", "pattern": DURATION_PATTERN, "not": { "pattern": ZERO_DURATION_PATTERN } },
            { "type": "number", "exclusiveMinimum": 0 }
        ]
    });
    json!({
        "title": "GeneratorDefinition",
        "description": "A generator: the same model as the YAML file of `sdg run` (docs/CONFIG.md). \
            Besides what this schema says: field names are unique, NUMERIC_RANGE needs min ≤ max, \
            ENUM_RANDOM as many weights as values, a SEQUENCE's end lies in its step's direction, \
            and a destination's field references (key_field, key templates) name fields; \
            validation reports each with its path.",
        "type": "object",
        "additionalProperties": false,
        "required": ["name", "destination", "fields"],
        "properties": {
            "name": name("Human name, shown in listings and metrics labels."),
            "description": { "type": ["string", "null"], "description": "Free text for the people who share this generator." },
            "mode": {
                "enum": ["BATCH", "REALTIME", null], "default": "BATCH",
                "description": "BATCH generates as fast as the destination accepts; REALTIME paces rows at `rate`."
            },
            "rate": rate_schema(),
            "seed": {
                "type": ["integer", "null"], "minimum": 0, "maximum": u64::MAX,
                "description": "Same seed, same data. The server draws one when a definition has none, and stores it."
            },
            "batch_size": {
                "type": ["integer", "null"], "minimum": 1, "maximum": crate::plan::MAX_BATCH_SIZE, "default": crate::plan::DEFAULT_BATCH_SIZE,
                "description": "Rows per Arrow batch."
            },
            "end_condition": {
                "description": "When the run ends by itself (default MANUAL: when stopped).",
                "oneOf": [
                    { "type": "null" },
                    { "title": "RECORD_COUNT", "type": "object", "additionalProperties": false, "required": ["type", "value"],
                      "properties": { "type": { "const": "RECORD_COUNT" }, "value": { "type": "integer", "minimum": 1, "maximum": u64::MAX } } },
                    { "title": "DURATION", "type": "object", "additionalProperties": false, "required": ["type", "value"],
                      "properties": { "type": { "const": "DURATION" }, "value": positive_duration },
                      "description": "Running time, pauses excluded; more than 0." },
                    { "title": "MANUAL", "type": "object", "additionalProperties": false, "required": ["type"],
                      "properties": { "type": { "const": "MANUAL" } } }
                ]
            },
            "on_error": {
                "enum": ["CONTINUE", "PAUSE", "STOP", null], "default": "STOP",
                "description": "What a destination error does: retry and count failed rows, pause, or fail the run."
            },
            "destination": { "description": "Where rows go.", "oneOf": destinations },
            "fields": {
                "type": "array", "minItems": 1,
                "description": "The columns, in output order.",
                "items": { "oneOf": fields }
            },
            "locale": {
                "enum": crate::catalog::LOCALES.iter().map(|l| Value::from(*l)).chain([Value::Null]).collect::<Vec<_>>(),
                "description": "The default locale of CATALOG fields (en_US when absent)."
            },
            "pools": {
                "type": ["array", "null"],
                "description": "Pools of reference data this generator declares (docs/CONFIG.md, Pools).",
                "items": of::<crate::pool::PoolSpec>()
            },
            "copulas": {
                "type": ["array", "null"],
                "description": "Gaussian copulas this generator samples with COPULA_GENERATED fields (docs/CONFIG.md, Copulas).",
                "items": of::<crate::copula::CopulaSpec>()
            },
            "disorder": {
                "description": "Late, out-of-order events: `late_ratio` of the rows emitted `delay` after their place (at most `max`), event time unchanged (docs/CONFIG.md, Disorder and duplicates).",
                "anyOf": [{ "type": "null" }, of::<crate::spec::disorder::Disorder>()]
            },
            "duplicate_ratio": {
                "type": ["number", "null"], "minimum": 0, "maximum": 1,
                "description": "Share of rows emitted twice (counted in `rows_duplicated`)."
            }
        },
        "if": { "required": ["mode"], "properties": { "mode": { "const": "REALTIME" } } },
        "then": { "required": ["rate"], "properties": { "rate": { "type": "number" } } }
    })
}

#[cfg(test)]
mod tests {
    use super::integral;
    use serde_json::json;

    #[test]
    fn whole_floats_become_integers_within_64_bits_only() {
        let cases = [
            (json!(21.0), json!(21)),
            (json!(-3.0), json!(-3)),
            (json!(2.5), json!(2.5)),
            (json!(18446744073709551616.0), json!(18446744073709551616.0)),
            (json!("7"), json!("7")),
        ];
        for (mut given, expected) in cases {
            integral(&mut given);
            assert_eq!(given, expected);
        }
    }
}
