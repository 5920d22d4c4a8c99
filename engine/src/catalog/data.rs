//! The catalog's locale data, embedded at build time (engine/build.rs):
//! TSV tables read once into Arrow columns (pools) and shared read-only.

use crate::pool::Pool;
use arrow_array::{ArrayRef, Float64Array, RecordBatch, StringArray};
use arrow_schema::{DataType, Field, Schema};
use parking_lot::Mutex;
use std::collections::HashMap;
use std::sync::{Arc, OnceLock};

include!(concat!(env!("OUT_DIR"), "/catalog_data.rs"));

/// The text of `file` for `locale`, when the data has it.
pub(crate) fn text(locale: &str, file: &str) -> Option<&'static str> {
    DATA.iter().find(|(l, f, _)| *l == locale && *f == file).map(|(_, _, t)| *t)
}

/// Numeric columns of the TSV tables.
fn numeric(column: &str) -> bool {
    matches!(column, "weight" | "latitude" | "longitude")
}

/// A TSV table (`file` of `locale`) as an in-memory pool, parsed once per process.
pub(crate) fn table(locale: &str, file: &str) -> Option<Result<Arc<Pool>, String>> {
    type Tables = Mutex<HashMap<(String, String), Arc<Pool>>>;
    static CACHE: OnceLock<Tables> = OnceLock::new();
    let cache = CACHE.get_or_init(Default::default);
    if let Some(p) = cache.lock().get(&(locale.to_string(), file.to_string())) {
        return Some(Ok(Arc::clone(p)));
    }
    let text = text(locale, file)?;
    Some(parse(text).map(|p| {
        let p = Arc::new(p);
        cache.lock().insert((locale.to_string(), file.to_string()), Arc::clone(&p));
        p
    }))
}

fn parse(text: &str) -> Result<Pool, String> {
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().ok_or("empty table")?.split('\t').collect();
    let mut cols: Vec<Vec<&str>> = vec![Vec::new(); header.len()];
    for line in lines.filter(|l| !l.is_empty()) {
        let mut parts = line.split('\t');
        for c in cols.iter_mut() {
            c.push(parts.next().unwrap_or(""));
        }
    }
    let mut fields = Vec::with_capacity(header.len());
    let mut arrays: Vec<ArrayRef> = Vec::with_capacity(header.len());
    for (name, values) in header.iter().zip(cols) {
        if numeric(name) {
            fields.push(Field::new(*name, DataType::Float64, true));
            arrays.push(Arc::new(values.iter().map(|v| v.parse::<f64>().ok()).collect::<Float64Array>()));
        } else {
            fields.push(Field::new(*name, DataType::Utf8, true));
            arrays.push(Arc::new(values.iter().map(|v| (!v.is_empty()).then_some(*v)).collect::<StringArray>()));
        }
    }
    let schema = Arc::new(Schema::new(fields));
    let batch = RecordBatch::try_new(Arc::clone(&schema), arrays).map_err(|e| e.to_string())?;
    Pool::in_memory(schema, &[batch], &[])
}
