//! Rows of a request in an output format: JSON (objects), CSV, JSON Lines,
//! Parquet or a SQL script. The text formats reuse the sinks' encoders, so
//! a value reads the same here as in a file a generator writes.

use arrow_array::RecordBatch;
use arrow_schema::SchemaRef;
use sdg_engine::{BatchEncoder, Encoded, Plan};
use sdg_sinks::encode::{CsvEncoder, JsonLinesEncoder, SqlDialect, SqlEncoder, TableKeys};
use serde_json::{Map, Value};

/// The media type of a format.
pub fn content_type(format: &str) -> &'static str {
    match format {
        "csv" => "text/csv; charset=utf-8",
        "jsonl" => "application/x-ndjson",
        "parquet" => "application/vnd.apache.parquet",
        "sql" => "application/sql; charset=utf-8",
        "xlsx" => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        _ => "application/json",
    }
}

/// Writes batches of one table in a format, to any `Write`.
pub enum Writer<W: std::io::Write + Send> {
    Csv {
        out: W,
        enc: CsvEncoder,
        buf: Encoded,
    },
    Jsonl {
        out: W,
        enc: JsonLinesEncoder,
        buf: Encoded,
    },
    /// A JSON array of objects.
    Json {
        out: W,
        enc: JsonLinesEncoder,
        buf: Encoded,
        first: bool,
    },
    Parquet(Box<parquet::arrow::ArrowWriter<W>>),
    Sql {
        out: W,
        enc: SqlEncoder,
        buf: Vec<u8>,
    },
}

impl<W: std::io::Write + Send> Writer<W> {
    /// A writer of `format` (csv, json, jsonl, parquet, sql) for rows of `schema`;
    /// a SQL script creates `table` in `dialect` first (with `keys`).
    pub fn new(
        format: &str,
        schema: &SchemaRef,
        mut out: W,
        table: &str,
        dialect: SqlDialect,
        keys: &TableKeys,
    ) -> Result<Self, String> {
        let io = |e: std::io::Error| e.to_string();
        Ok(match format {
            "csv" => {
                out.write_all(&CsvEncoder::header(schema)).map_err(io)?;
                Writer::Csv { out, enc: CsvEncoder::new(), buf: Encoded::default() }
            }
            "jsonl" => Writer::Jsonl { out, enc: JsonLinesEncoder::new(), buf: Encoded::default() },
            "json" => {
                out.write_all(b"[").map_err(io)?;
                Writer::Json { out, enc: JsonLinesEncoder::new(), buf: Encoded::default(), first: true }
            }
            "parquet" => {
                let props = parquet::file::properties::WriterProperties::builder()
                    .set_compression(parquet::basic::Compression::SNAPPY)
                    .build();
                let w = parquet::arrow::ArrowWriter::try_new(out, schema.clone(), Some(props))
                    .map_err(|e| e.to_string())?;
                Writer::Parquet(Box::new(w))
            }
            "sql" => {
                let enc = SqlEncoder::new(dialect, table);
                let create = enc.create_table(schema, keys, false).map_err(|e| e.to_string())?;
                out.write_all(create.as_bytes()).map_err(io)?;
                out.write_all(enc.begin().as_bytes()).map_err(io)?;
                Writer::Sql { out, enc, buf: Vec::new() }
            }
            other => return Err(format!("the format `{other}` is not one of csv, json, jsonl, parquet, sql")),
        })
    }

    /// Appends the rows of `batch`.
    pub fn write(&mut self, batch: &RecordBatch) -> Result<(), String> {
        let io = |e: std::io::Error| e.to_string();
        match self {
            Writer::Csv { out, enc, buf } => {
                buf.clear();
                enc.encode(batch, buf).map_err(|e| e.to_string())?;
                out.write_all(&buf.bytes).map_err(io)
            }
            Writer::Jsonl { out, enc, buf } => {
                buf.clear();
                enc.encode(batch, buf).map_err(|e| e.to_string())?;
                out.write_all(&buf.bytes).map_err(io)
            }
            Writer::Json { out, enc, buf, first } => {
                buf.clear();
                enc.encode(batch, buf).map_err(|e| e.to_string())?;
                let mut start = 0;
                for &end in &buf.row_ends {
                    let row = buf.bytes[start..end].strip_suffix(b"\n").unwrap_or(&buf.bytes[start..end]);
                    if !*first {
                        out.write_all(b",").map_err(io)?;
                    }
                    *first = false;
                    out.write_all(row).map_err(io)?;
                    start = end;
                }
                Ok(())
            }
            Writer::Parquet(w) => w.write(batch).map_err(|e| e.to_string()),
            Writer::Sql { out, enc, buf } => {
                buf.clear();
                enc.insert(batch, buf).map_err(|e| e.to_string())?;
                out.write_all(buf).map_err(io)
            }
        }
    }

    /// Ends the file; the writer it wrote to.
    pub fn finish(self) -> Result<W, String> {
        let io = |e: std::io::Error| e.to_string();
        match self {
            Writer::Csv { out, .. } | Writer::Jsonl { out, .. } => Ok(out),
            Writer::Json { mut out, .. } => {
                out.write_all(b"]").map_err(io)?;
                Ok(out)
            }
            Writer::Parquet(w) => w.into_inner().map_err(|e| e.to_string()),
            Writer::Sql { mut out, .. } => {
                out.write_all(b"COMMIT;\n").map_err(io)?;
                Ok(out)
            }
        }
    }
}

/// The rows of `batch` as JSON objects (key order = field order).
pub fn objects(batch: &RecordBatch) -> Result<Vec<Map<String, Value>>, String> {
    let mut enc = JsonLinesEncoder::new();
    let mut buf = Encoded::default();
    enc.encode(batch, &mut buf).map_err(|e| e.to_string())?;
    let mut start = 0;
    let mut rows = Vec::with_capacity(buf.row_ends.len());
    for &end in &buf.row_ends {
        let row: Map<String, Value> = serde_json::from_slice(&buf.bytes[start..end]).map_err(|e| e.to_string())?;
        rows.push(row);
        start = end;
    }
    Ok(rows)
}

/// Rows 0 … `count` of a plan, batch by batch (8192 rows at most each).
pub fn each_batch(
    plan: &Plan,
    count: u64,
    mut each: impl FnMut(RecordBatch) -> Result<(), String>,
) -> Result<(), String> {
    let mut row = 0u64;
    while row < count {
        let n = (count - row).min(8192) as usize;
        each(plan.generate(row, n).map_err(|e| e.to_string())?)?;
        row += n as u64;
    }
    Ok(())
}

/// The first `n` rows of a plan as JSON objects.
pub fn preview(plan: &Plan, n: usize) -> Result<Vec<Map<String, Value>>, String> {
    let n = plan.row_limit().map_or(n, |t| n.min(t as usize));
    objects(&plan.generate(0, n).map_err(|e| e.to_string())?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow_array::{ArrayRef, Int64Array, StringArray};
    use arrow_schema::{DataType, Field, Schema};
    use std::sync::Arc;

    #[test]
    fn json_is_an_array_of_the_json_lines_rows() {
        let schema =
            Arc::new(Schema::new(vec![Field::new("n", DataType::Int64, true), Field::new("s", DataType::Utf8, true)]));
        let cols: Vec<ArrayRef> =
            vec![Arc::new(Int64Array::from(vec![1, 2])), Arc::new(StringArray::from(vec![Some("a\"b"), None]))];
        let batch = RecordBatch::try_new(schema.clone(), cols).expect("batch");
        let mut w =
            Writer::new("json", &schema, Vec::new(), "t", SqlDialect::Postgres, &TableKeys::default()).expect("writer");
        w.write(&batch).expect("write");
        w.write(&batch).expect("write");
        let out = w.finish().expect("finish");
        let v: Value = serde_json::from_slice(&out).expect("json");
        assert_eq!(v, serde_json::json!([{"n":1,"s":"a\"b"},{"n":2,"s":null},{"n":1,"s":"a\"b"},{"n":2,"s":null}]));
        assert_eq!(objects(&batch).expect("rows").len(), 2);
    }
}
