//! Exports of a corpus: each table, kept as Parquet, rewritten as CSV,
//! JSON, JSON Lines, Parquet, XLSX (rust_xlsxwriter) or a SQL script in
//! the dialect of PostgreSQL, MySQL or SQLite (with its keys, so the
//! tables load in dependency order with their FOREIGN KEYs).

use crate::agent::output::Writer;
use arrow_array::RecordBatch;
use arrow_array::cast::AsArray;
use arrow_schema::DataType;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use sdg_sinks::encode::{SqlDialect, TableKeys, TextCells};
use std::path::Path;

/// The export formats, as requests name them.
pub const FORMATS: &[&str] = &["csv", "json", "jsonl", "parquet", "xlsx", "sql"];

/// The most rows of one sheet (Excel's limit, less the header).
const SHEET_ROWS: u64 = 1_048_575;

/// The file name of a table's export.
pub fn file_name(table: &str, format: &str, dialect: SqlDialect) -> String {
    match format {
        "sql" => format!("{table}.{}.sql", dialect.name()),
        f => format!("{table}.{f}"),
    }
}

/// Rewrites the Parquet file `from` (one table) as `format` at `to`; the bytes written.
pub fn table(
    from: &Path,
    format: &str,
    to: &Path,
    table: &str,
    dialect: SqlDialect,
    keys: &TableKeys,
) -> Result<u64, String> {
    let file = std::fs::File::open(from).map_err(|e| format!("reading {}: {e}", from.display()))?;
    let reader = ParquetRecordBatchReaderBuilder::try_new(file)
        .map_err(|e| format!("reading {}: {e}", from.display()))?
        .with_batch_size(8192)
        .build()
        .map_err(|e| e.to_string())?;
    let schema = arrow_array::RecordBatchReader::schema(&reader);
    // A name of its own: two downloads making the same file do not write into one.
    let tmp = to.with_file_name(format!(
        "{}.{}.partial",
        to.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default(),
        uuid::Uuid::new_v4().simple()
    ));
    let out = std::fs::File::create(&tmp).map_err(|e| format!("writing {}: {e}", tmp.display()))?;
    let result = if format == "xlsx" {
        drop(out);
        xlsx(reader, &tmp, table)
    } else {
        (|| {
            let mut w = Writer::new(format, &schema, std::io::BufWriter::new(out), table, dialect, keys)?;
            for batch in reader {
                w.write(&batch.map_err(|e| e.to_string())?)?;
            }
            use std::io::Write as _;
            w.finish()?.flush().map_err(|e| e.to_string())
        })()
    };
    if let Err(e) = result {
        let _ = std::fs::remove_file(&tmp);
        return Err(e);
    }
    // Atomic: a reader sees the whole file or none (a concurrent maker's rename replaces it with the same rows).
    std::fs::rename(&tmp, to).map_err(|e| e.to_string())?;
    std::fs::metadata(to).map(|m| m.len()).map_err(|e| e.to_string())
}

/// One workbook: a bold header row, numbers as numbers, booleans as
/// booleans, the rest as text; a table over a sheet's rows goes on into
/// `NAME (2)`, `NAME (3)` ….
fn xlsx(
    reader: impl Iterator<Item = Result<RecordBatch, arrow_schema::ArrowError>>,
    to: &Path,
    table: &str,
) -> Result<(), String> {
    use rust_xlsxwriter::{Format, Workbook};
    let e = |e: rust_xlsxwriter::XlsxError| e.to_string();
    let mut book = Workbook::new();
    let bold = Format::new().set_bold();
    let base: String = table.chars().filter(|c| !"[]:*?/\\".contains(*c)).take(24).collect();
    let mut sheet_no = 0;
    let mut row: u64 = SHEET_ROWS; // start a sheet at the first batch
    let mut text = Vec::with_capacity(64);
    let mut sheet = None;
    for batch in reader {
        let batch = batch.map_err(|e| e.to_string())?;
        let mut cells = TextCells::new(&batch).map_err(|e| e.to_string())?;
        for r in 0..batch.num_rows() {
            if row >= SHEET_ROWS {
                sheet_no += 1;
                let ws = book.add_worksheet_with_constant_memory().map_err(e)?;
                ws.set_name(if sheet_no == 1 { base.clone() } else { format!("{base} ({sheet_no})") }).map_err(e)?;
                for (c, f) in batch.schema().fields().iter().enumerate() {
                    ws.write_string_with_format(0, c as u16, f.name(), &bold).map_err(e)?;
                }
                sheet = Some(sheet_no);
                row = 0;
            }
            let ws = book.worksheets_mut().last_mut().ok_or("no sheet")?;
            let at = (row + 1) as u32;
            for (c, col) in batch.columns().iter().enumerate() {
                if col.is_null(r) {
                    continue;
                }
                let c16 = c as u16;
                match col.data_type() {
                    DataType::Int64 => {
                        ws.write_number(at, c16, col.as_primitive::<arrow_array::types::Int64Type>().value(r) as f64)
                            .map_err(e)?;
                    }
                    DataType::Float64 => {
                        let v = col.as_primitive::<arrow_array::types::Float64Type>().value(r);
                        if v.is_finite() {
                            ws.write_number(at, c16, v).map_err(e)?;
                        }
                    }
                    DataType::Boolean => {
                        ws.write_boolean(at, c16, col.as_boolean().value(r)).map_err(e)?;
                    }
                    _ => {
                        text.clear();
                        if cells.put(c, r, &mut text) {
                            ws.write_string(at, c16, String::from_utf8_lossy(&text)).map_err(e)?;
                        }
                    }
                }
            }
            row += 1;
        }
    }
    if sheet.is_none() {
        book.add_worksheet().set_name(base).map_err(e)?;
    }
    book.save(to).map_err(e)
}
