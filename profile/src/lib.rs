//! Profiles of generated data, computed with DataFusion: for the first N rows
//! a generator makes (the very rows a run starts with, for its seed), per
//! field: count, nulls, distinct values (exact up to `EXACT_DISTINCT_ROWS`
//! rows, HyperLogLog above), min/max/mean/stddev of numbers, min/max of
//! timestamps, the most frequent values, and an equal-width histogram.
//!
//! DataFusion 55 (the newest release reachable here) is built on arrow 59
//! while the engine uses arrow 60: the sample crosses over as Arrow IPC bytes,
//! one copy of at most a million rows, off the generation hot path.

use datafusion::arrow::array::{Array, AsArray, RecordBatch as DfBatch};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::{DataType, Float64Type, Int64Type};
use datafusion::datasource::MemTable;
use datafusion::prelude::SessionContext;
use sdg_engine::Plan;
use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// Most rows a profile samples.
pub const MAX_ROWS: u64 = 1_000_000;
/// Up to this many rows distinct counts are exact.
pub const EXACT_DISTINCT_ROWS: u64 = 200_000;

/// What to profile.
#[derive(Debug, Clone, Copy, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct Options {
    /// Rows sampled from row 0 (1 … 1 000 000).
    pub rows: u64,
    /// Most frequent values reported per field (0 … 100).
    pub top_k: usize,
    /// Histogram bins for numbers and timestamps (1 … 1000).
    pub bins: usize,
}

impl Default for Options {
    fn default() -> Self {
        Self { rows: 10_000, top_k: 10, bins: 10 }
    }
}

impl Options {
    /// The first problem with these options, said so a user can fix it.
    pub fn check(&self) -> Result<(), String> {
        if self.rows == 0 || self.rows > MAX_ROWS {
            return Err(format!("rows must be between 1 and {MAX_ROWS} (got {})", self.rows));
        }
        if self.top_k > 100 {
            return Err(format!("top_k must be at most 100 (got {})", self.top_k));
        }
        if self.bins == 0 || self.bins > 1000 {
            return Err(format!("bins must be between 1 and 1000 (got {})", self.bins));
        }
        Ok(())
    }
}

/// The profile of a sample.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Profile {
    /// Rows sampled (rows 0 … rows-1 of the generator's output).
    pub rows: u64,
    /// The seed the sample was generated with.
    pub seed: u64,
    /// One entry per field, in output order.
    pub fields: Vec<FieldProfile>,
    /// Time to generate and profile, in milliseconds.
    pub elapsed_ms: u64,
}

/// One field's profile.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct FieldProfile {
    pub name: String,
    /// The Arrow type of the column.
    pub data_type: String,
    /// Non-null values.
    pub count: u64,
    pub nulls: u64,
    pub null_ratio: f64,
    /// Distinct non-null values.
    pub distinct: u64,
    /// False when `distinct` is a HyperLogLog estimate.
    pub distinct_exact: bool,
    /// Smallest and largest value (numbers and timestamps), as text.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub min: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max: Option<String>,
    /// Numbers only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mean: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stddev: Option<f64>,
    /// The most frequent values, most frequent first (ties by value).
    pub top: Vec<TopValue>,
    /// Equal-width bins from min to max (numbers and timestamps; timestamps in µs since the epoch).
    pub histogram: Vec<Bin>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct TopValue {
    pub value: String,
    pub count: u64,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Bin {
    pub lower: f64,
    pub upper: f64,
    pub count: u64,
}

#[derive(Clone, Copy, PartialEq)]
enum Kind {
    Number,
    Time,
    Text,
    /// Bytes (UUIDs): counts and distinct values only.
    Opaque,
}

fn kind(t: &DataType) -> Kind {
    match t {
        DataType::Int8
        | DataType::Int16
        | DataType::Int32
        | DataType::Int64
        | DataType::UInt8
        | DataType::UInt16
        | DataType::UInt32
        | DataType::UInt64
        | DataType::Float32
        | DataType::Float64
        | DataType::Decimal128(..) => Kind::Number,
        DataType::Timestamp(..) | DataType::Date32 | DataType::Date64 => Kind::Time,
        DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View | DataType::Boolean | DataType::Dictionary(..) => {
            Kind::Text
        }
        _ => Kind::Opaque,
    }
}

fn err(context: &str) -> impl Fn(datafusion::error::DataFusionError) -> String + '_ {
    move |e| format!("profiling ({context}): {e}")
}

/// Generates the sample, moves it into DataFusion, and profiles every field.
/// A run that makes fewer rows than asked (a smaller RECORD_COUNT) is
/// profiled whole: the sample never holds rows the run would not make.
pub fn profile(plan: &Plan, options: &Options) -> Result<Profile, String> {
    options.check()?;
    let t0 = std::time::Instant::now();
    let options = &Options { rows: plan.row_limit().map_or(options.rows, |n| n.min(options.rows)), ..*options };
    let batches = sample(plan, options.rows)?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .map_err(|e| format!("profiling: starting a runtime: {e}"))?;
    let fields = runtime.block_on(profile_batches(batches, options))?;
    Ok(Profile { rows: options.rows, seed: plan.seed(), fields, elapsed_ms: t0.elapsed().as_millis() as u64 })
}

/// Rows 0 … rows-1, as arrow-59 batches (through Arrow IPC).
fn sample(plan: &Plan, rows: u64) -> Result<Vec<DfBatch>, String> {
    const CHUNK: u64 = 65_536;
    let mut ipc = Vec::new();
    {
        let mut writer =
            arrow_ipc::writer::StreamWriter::try_new(&mut ipc, plan.schema()).map_err(|e| format!("profiling: {e}"))?;
        let mut row = 0;
        while row < rows {
            let len = CHUNK.min(rows - row) as usize;
            let batch = plan.generate(row, len).map_err(|e| format!("profiling: generating rows: {e}"))?;
            writer.write(&batch).map_err(|e| format!("profiling: {e}"))?;
            row += len as u64;
        }
        writer.finish().map_err(|e| format!("profiling: {e}"))?;
    }
    let reader = datafusion::arrow::ipc::reader::StreamReader::try_new(std::io::Cursor::new(ipc), None)
        .map_err(|e| format!("profiling: reading the sample: {e}"))?;
    reader.collect::<Result<Vec<_>, _>>().map_err(|e| format!("profiling: reading the sample: {e}"))
}

async fn profile_batches(batches: Vec<DfBatch>, o: &Options) -> Result<Vec<FieldProfile>, String> {
    let Some(schema) = batches.first().map(|b| b.schema()) else { return Ok(Vec::new()) };
    let ctx = SessionContext::new();
    let table = MemTable::try_new(Arc::clone(&schema), vec![batches]).map_err(err("loading the sample"))?;
    ctx.register_table("sample", Arc::new(table)).map_err(err("loading the sample"))?;
    let rows = o.rows;
    let mut out = Vec::with_capacity(schema.fields().len());
    for field in schema.fields() {
        let name = field.name();
        let col = format!("\"{}\"", name.replace('"', "\"\""));
        let k = kind(field.data_type());
        let exact = rows <= EXACT_DISTINCT_ROWS;
        let distinct = if exact { format!("COUNT(DISTINCT {col})") } else { format!("approx_distinct({col})") };
        let base = query(&ctx, &format!("SELECT COUNT({col}) AS n, {distinct} AS d FROM sample"), name).await?;
        let count = int(&base, 0, 0)?.unwrap_or(0) as u64;
        let mut p = FieldProfile {
            name: name.clone(),
            data_type: field.data_type().to_string(),
            count,
            nulls: rows - count.min(rows),
            null_ratio: (rows - count.min(rows)) as f64 / rows as f64,
            distinct: int(&base, 1, 0)?.unwrap_or(0) as u64,
            distinct_exact: exact,
            min: None,
            max: None,
            mean: None,
            stddev: None,
            top: Vec::new(),
            histogram: Vec::new(),
        };
        if k == Kind::Opaque || count == 0 {
            out.push(p);
            continue;
        }
        if k != Kind::Text {
            let num = if k == Kind::Time { format!("CAST({col} AS BIGINT)") } else { format!("CAST({col} AS DOUBLE)") };
            let stats = query(
                &ctx,
                &format!(
                    "SELECT CAST(MIN(v) AS VARCHAR) AS lo_text, CAST(MAX(v) AS VARCHAR) AS hi_text, \
                     AVG(x) AS mean, STDDEV(x) AS sd, CAST(MIN(x) AS DOUBLE) AS lo, CAST(MAX(x) AS DOUBLE) AS hi \
                     FROM (SELECT {col} AS v, {num} AS x FROM sample)"
                ),
                name,
            )
            .await?;
            p.min = text(&stats, 0, 0)?;
            p.max = text(&stats, 1, 0)?;
            if k == Kind::Number {
                p.mean = float(&stats, 2, 0)?;
                p.stddev = float(&stats, 3, 0)?;
            }
            if let (Some(lo), Some(hi)) = (float(&stats, 4, 0)?, float(&stats, 5, 0)?) {
                p.histogram = histogram(&ctx, &col, &num, lo, hi, o.bins, name).await?;
            }
        }
        if o.top_k > 0 {
            let top = query(
                &ctx,
                &format!(
                    "SELECT CAST({col} AS VARCHAR) AS v, COUNT(*) AS n FROM sample WHERE {col} IS NOT NULL \
                     GROUP BY v ORDER BY n DESC, v LIMIT {}",
                    o.top_k
                ),
                name,
            )
            .await?;
            for r in 0..row_count(&top) {
                p.top.push(TopValue {
                    value: text(&top, 0, r)?.unwrap_or_default(),
                    count: int(&top, 1, r)?.unwrap_or(0) as u64,
                });
            }
        }
        out.push(p);
    }
    Ok(out)
}

async fn histogram(
    ctx: &SessionContext,
    col: &str,
    num: &str,
    lo: f64,
    hi: f64,
    bins: usize,
    name: &str,
) -> Result<Vec<Bin>, String> {
    let width = if hi > lo { (hi - lo) / bins as f64 } else { 1.0 };
    let last = bins - 1;
    let result = query(
        ctx,
        &format!(
            "SELECT b, COUNT(*) AS n FROM (SELECT CASE WHEN FLOOR((CAST({num} AS DOUBLE) - ({lo:e})) / ({width:e})) >= {last} \
             THEN {last} ELSE CAST(FLOOR((CAST({num} AS DOUBLE) - ({lo:e})) / ({width:e})) AS BIGINT) END AS b \
             FROM sample WHERE {col} IS NOT NULL) GROUP BY b ORDER BY b"
        ),
        name,
    )
    .await?;
    let mut out: Vec<Bin> = (0..bins)
        .map(|i| Bin {
            lower: lo + width * i as f64,
            upper: if i == last { hi } else { lo + width * (i + 1) as f64 },
            count: 0,
        })
        .collect();
    for r in 0..row_count(&result) {
        let (Some(bin), Some(n)) = (int(&result, 0, r)?, int(&result, 1, r)?) else {
            continue;
        };
        if let Some(slot) = out.get_mut(bin.clamp(0, last as i64) as usize) {
            slot.count += n as u64;
        }
    }
    Ok(out)
}

async fn query(ctx: &SessionContext, sql: &str, field: &str) -> Result<Vec<DfBatch>, String> {
    let context = format!("field `{field}`");
    let df = ctx.sql(sql).await.map_err(err(&context))?;
    df.collect().await.map_err(err(&context))
}

/// Rows of a query result.
fn row_count(batches: &[DfBatch]) -> usize {
    batches.iter().map(DfBatch::num_rows).sum()
}

/// The cell at (column `c`, row `r`) across result batches, cast to `to`.
fn cell(batches: &[DfBatch], c: usize, mut r: usize, to: &DataType) -> Result<Option<Arc<dyn Array>>, String> {
    for b in batches {
        if r < b.num_rows() {
            let a = b.column(c).slice(r, 1);
            if a.is_null(0) {
                return Ok(None);
            }
            return cast(&a, to).map(Some).map_err(|e| format!("profiling: reading a result: {e}"));
        }
        r -= b.num_rows();
    }
    Ok(None)
}

fn int(batches: &[DfBatch], c: usize, r: usize) -> Result<Option<i64>, String> {
    Ok(cell(batches, c, r, &DataType::Int64)?.map(|a| a.as_primitive::<Int64Type>().value(0)))
}

fn float(batches: &[DfBatch], c: usize, r: usize) -> Result<Option<f64>, String> {
    Ok(cell(batches, c, r, &DataType::Float64)?
        .map(|a| a.as_primitive::<Float64Type>().value(0))
        .filter(|v| v.is_finite()))
}

fn text(batches: &[DfBatch], c: usize, r: usize) -> Result<Option<String>, String> {
    Ok(cell(batches, c, r, &DataType::Utf8)?.map(|a| a.as_string::<i32>().value(0).to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan(yaml: &str) -> Plan {
        let spec = sdg_engine::spec::parse_yaml(yaml).expect("spec");
        Plan::compile(&spec).expect("plan")
    }

    #[test]
    fn profiles_match_what_the_generator_makes() {
        let p = plan(
            r#"
name: p
seed: 3
destination: { type: FILE, config: { path: x.csv } }
fields:
  - { name: id, type: SEQUENCE, params: { start: 1 } }
  - { name: u, type: UUID_GENERATED }
  - { name: status, type: ENUM_RANDOM, params: { values: [A, B, C], weights: [6, 3, 1] } }
  - { name: amount, type: NUMERIC_RANGE, params: { min: 0, max: 100 }, null_ratio: 0.2 }
  - { name: at, type: TIMESTAMP_GENERATED, params: { start: "2026-01-01T00:00:00Z", step: 1s } }
"#,
        );
        let prof = profile(&p, &Options { rows: 10_000, top_k: 3, bins: 4 }).expect("profile");
        assert_eq!(prof.rows, 10_000);
        assert_eq!(prof.seed, 3);
        let f = |n: &str| prof.fields.iter().find(|f| f.name == n).expect("field");

        let id = f("id");
        assert_eq!((id.count, id.nulls, id.distinct, id.distinct_exact), (10_000, 0, 10_000, true));
        assert_eq!((id.min.as_deref(), id.max.as_deref()), (Some("1"), Some("10000")));
        assert_eq!(id.mean, Some(5000.5));
        assert_eq!(id.histogram.iter().map(|b| b.count).collect::<Vec<_>>(), [2500, 2500, 2500, 2500]);
        assert_eq!(id.histogram[0].lower, 1.0);
        assert_eq!(id.histogram[3].upper, 10_000.0);

        assert_eq!(f("u").distinct, 10_000);
        assert!(f("u").top.is_empty() && f("u").histogram.is_empty());

        let s = f("status");
        assert_eq!(s.distinct, 3);
        assert_eq!(s.top.iter().map(|t| t.value.as_str()).collect::<Vec<_>>(), ["A", "B", "C"]);
        assert_eq!(s.top.iter().map(|t| t.count).sum::<u64>(), 10_000);
        assert!((5_700..6_300).contains(&s.top[0].count), "{:?}", s.top);

        let a = f("amount");
        assert!((1_800..2_200).contains(&a.nulls), "{}", a.nulls);
        assert_eq!(a.count + a.nulls, 10_000);
        assert!((45.0..55.0).contains(&a.mean.expect("mean")));
        assert!((27.0..31.0).contains(&a.stddev.expect("sd")), "uniform sd ≈ 28.9");
        assert_eq!(a.histogram.iter().map(|b| b.count).sum::<u64>(), a.count);

        let at = f("at");
        assert!(at.min.as_deref().expect("min").starts_with("2026-01-01T00:00:00"));
        assert!(at.mean.is_none());
        assert_eq!(at.histogram.len(), 4);

        // The same rows, the same profile (elapsed aside).
        let again = profile(&p, &Options { rows: 10_000, top_k: 3, bins: 4 }).expect("profile");
        assert_eq!(again.fields, prof.fields);
    }

    #[test]
    fn a_run_of_fewer_rows_is_profiled_whole() {
        let p = plan(
            r#"
name: p
seed: 3
end_condition: { type: RECORD_COUNT, value: 250 }
destination: { type: FILE, config: { path: x.csv } }
fields:
  - { name: id, type: SEQUENCE, params: { start: 1 } }
"#,
        );
        let prof = profile(&p, &Options::default()).expect("profile");
        assert_eq!(prof.rows, 250);
        let id = &prof.fields[0];
        assert_eq!((id.count, id.max.as_deref()), (250, Some("250")));
    }

    #[test]
    fn bad_options_say_what_to_change() {
        assert!(Options { rows: 0, ..Options::default() }.check().expect_err("0").contains("between 1 and"));
        assert!(Options { top_k: 101, ..Options::default() }.check().expect_err("k").contains("top_k"));
        assert!(Options { bins: 0, ..Options::default() }.check().expect_err("bins").contains("bins"));
    }
}
