//! Reading a field's `params` into a typed struct, with every unknown key and
//! type mismatch reported at its path.

use super::CompileCtx;
use crate::issue::{Issue, Issues, unknown_key};
use crate::rng::StreamKey;
use crate::spec::FieldSpec;
use serde::de::DeserializeOwned;
use serde_json::Value;

/// What a mapper's `compile` receives.
pub(crate) struct Params<'a> {
    pub spec: &'a FieldSpec,
    pub path: &'a str,
    pub key: StreamKey,
    pub ctx: &'a CompileCtx<'a>,
}

impl Params<'_> {
    /// Path of a parameter: `fields[3].params.min`.
    pub fn at(&self, key: &str) -> String {
        format!("{}.params.{key}", self.path)
    }

    /// Path of the params object: `fields[3].params`.
    pub fn here(&self) -> String {
        format!("{}.params", self.path)
    }

    /// Parses the params into `T`, checking keys against `known` first.
    pub fn parse<T: DeserializeOwned + schemars::JsonSchema>(&self, known: &[&str], issues: &mut Issues) -> Option<T> {
        let before = issues.len();
        for key in self.spec.params.keys() {
            if !known.contains(&key.as_str()) {
                let mut issue = unknown_key(&self.here(), key, known);
                issue.message = format!("unknown key `{key}` for {}", self.spec.kind.as_str());
                issues.push(issue);
            }
        }
        if issues.len() > before {
            return None;
        }
        let mut value = Value::Object(self.spec.params.clone());
        crate::spec::schema::whole_numbers::<T>(&mut value);
        match serde_path_to_error::deserialize::<_, T>(value) {
            Ok(t) => Some(t),
            Err(e) => {
                let inner = crate::spec::clean_message(&e.inner().to_string());
                let path = e.path().to_string();
                let at = if path == "." { self.here() } else { self.at(&path) };
                issues.push(Issue::new(at, inner));
                None
            }
        }
    }

    /// Reports a problem at a parameter's path.
    pub fn problem(&self, issues: &mut Issues, key: &str, message: impl Into<String>, hint: Option<&str>) {
        let path = if key.is_empty() { self.here() } else { self.at(key) };
        let mut issue = Issue::new(path, message);
        if let Some(h) = hint {
            issue = issue.hint(h);
        }
        issues.push(issue);
    }
}
