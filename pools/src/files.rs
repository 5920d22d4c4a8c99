//! File sources: CSV (types inferred by arrow-csv from the first rows),
//! Parquet and Arrow IPC (their own schema), JSON Lines (inferred), read as
//! streams of batches.

use crate::{Batches, READ_BATCH};
use arrow_schema::{DataType, Field, Schema, SchemaRef};
use std::fs::File;
use std::io::{BufReader, Seek};
use std::sync::Arc;

/// Rows read to infer the types of a CSV or JSON Lines file.
const INFER_ROWS: usize = 100_000;

fn opened(path: &str) -> Result<File, String> {
    File::open(path).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => format!("file `{path}` does not exist"),
        _ => format!("cannot open `{path}`: {e}"),
    })
}

/// Opens `path` in `format` (or by its extension). CSV and JSON Lines read
/// the `overrides` types directly instead of the inferred ones.
pub(crate) fn open(
    path: &str,
    format: Option<&str>,
    overrides: &[(String, DataType)],
) -> Result<(SchemaRef, Batches), String> {
    let fmt = sdg_engine::pool::PoolSpec::file_format(path, format)
        .ok_or_else(|| format!("cannot tell the format of `{path}`; add format: csv, parquet, jsonl or arrow"))?;
    let file = opened(path)?;
    if !file.metadata().is_ok_and(|m| m.is_file()) {
        return Err(format!("`{path}` is not a regular file"));
    }
    let with_overrides = |schema: Schema| -> SchemaRef {
        let fields: Vec<Field> = schema
            .fields()
            .iter()
            .map(|f| match overrides.iter().find(|(c, _)| c == f.name()) {
                Some((_, dt)) => Field::new(f.name(), dt.clone(), true),
                None => f.as_ref().clone().with_nullable(true),
            })
            .collect();
        Arc::new(Schema::new(fields))
    };
    let at = |e: &dyn std::fmt::Display| format!("`{path}`: {e}");
    match fmt {
        "csv" => {
            let mut file = file;
            let (inferred, _) = arrow_csv::reader::Format::default()
                .with_header(true)
                .infer_schema(&mut file, Some(INFER_ROWS))
                .map_err(|e| at(&e))?;
            file.rewind().map_err(|e| at(&e))?;
            let schema = with_overrides(inferred);
            let reader = arrow_csv::ReaderBuilder::new(Arc::clone(&schema))
                .with_header(true)
                .with_batch_size(READ_BATCH)
                .build(file)
                .map_err(|e| at(&e))?;
            let p = path.to_string();
            Ok((
                schema,
                Box::new(reader.map(move |b| {
                    b.map_err(|e| {
                        format!("`{p}`: {e} (types come from the first {INFER_ROWS} rows; set a column's type with `schema:`, e.g. schema: {{ postcode: string }})")
                    })
                })),
            ))
        }
        "jsonl" => {
            let mut buf = BufReader::new(file);
            let (inferred, _) =
                arrow_json::reader::infer_json_schema_from_seekable(&mut buf, Some(INFER_ROWS)).map_err(|e| at(&e))?;
            buf.rewind().map_err(|e| at(&e))?;
            let schema = with_overrides(inferred);
            let reader = arrow_json::ReaderBuilder::new(Arc::clone(&schema))
                .with_batch_size(READ_BATCH)
                .build(buf)
                .map_err(|e| at(&e))?;
            let p = path.to_string();
            Ok((schema, Box::new(reader.map(move |b| b.map_err(|e| format!("`{p}`: {e}"))))))
        }
        "parquet" => {
            let builder = parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(file)
                .map_err(|e| at(&e))?
                .with_batch_size(READ_BATCH);
            let schema = Arc::clone(builder.schema());
            let reader = builder.build().map_err(|e| at(&e))?;
            let p = path.to_string();
            Ok((schema, Box::new(reader.map(move |b| b.map_err(|e| format!("`{p}`: {e}"))))))
        }
        _ => {
            let p = path.to_string();
            match arrow_ipc::reader::FileReader::try_new(BufReader::new(file), None) {
                Ok(reader) => {
                    let schema = reader.schema();
                    Ok((schema, Box::new(reader.map(move |b| b.map_err(|e| format!("`{p}`: {e}"))))))
                }
                // Not the file format: try the stream format.
                Err(_) => {
                    let reader = arrow_ipc::reader::StreamReader::try_new(BufReader::new(opened(path)?), None)
                        .map_err(|e| format!("`{path}` is neither an Arrow IPC file nor stream: {e}"))?;
                    let schema = reader.schema();
                    Ok((schema, Box::new(reader.map(move |b| b.map_err(|e| format!("`{p}`: {e}"))))))
                }
            }
        }
    }
}
