//! PostgreSQL sources: the query runs through a real connection and its rows
//! stream in as Arrow batches (8192 rows each), typed from the statement's
//! columns: int2/int4/int8, float4/float8, bool, text types, date,
//! timestamp(tz) and uuid. Other types get an error that says how to cast.

use crate::Batches;
use arrow_array::builder::{
    BooleanBuilder, Date32Builder, Float32Builder, Float64Builder, Int16Builder, Int32Builder, Int64Builder,
    StringBuilder, TimestampMicrosecondBuilder,
};
use arrow_array::{ArrayRef, RecordBatch};
use arrow_schema::{DataType, Field, Schema, SchemaRef, TimeUnit};
use futures_util::StreamExt;
use sdg_engine::pool::hide_password;
use std::pin::Pin;
use std::sync::Arc;
use tokio_postgres::types::{FromSql, Type};

const PG_BATCH: usize = 8192;
/// µs from 1970-01-01 to PostgreSQL's epoch, 2000-01-01.
const PG_EPOCH_US: i64 = 946_684_800_000_000;
const PG_EPOCH_DAYS: i32 = 10_957;

struct Micros(i64);
impl<'a> FromSql<'a> for Micros {
    fn from_sql(_: &Type, raw: &'a [u8]) -> Result<Self, Box<dyn std::error::Error + Sync + Send>> {
        Ok(Self(i64::from_be_bytes(raw.try_into()?) + PG_EPOCH_US))
    }
    fn accepts(ty: &Type) -> bool {
        *ty == Type::TIMESTAMP || *ty == Type::TIMESTAMPTZ
    }
}

struct Days(i32);
impl<'a> FromSql<'a> for Days {
    fn from_sql(_: &Type, raw: &'a [u8]) -> Result<Self, Box<dyn std::error::Error + Sync + Send>> {
        Ok(Self(i32::from_be_bytes(raw.try_into()?) + PG_EPOCH_DAYS))
    }
    fn accepts(ty: &Type) -> bool {
        *ty == Type::DATE
    }
}

struct UuidText(String);
impl<'a> FromSql<'a> for UuidText {
    fn from_sql(_: &Type, raw: &'a [u8]) -> Result<Self, Box<dyn std::error::Error + Sync + Send>> {
        let b: [u8; 16] = raw.try_into()?;
        let h: String = b.iter().map(|x| format!("{x:02x}")).collect();
        Ok(Self(format!("{}-{}-{}-{}-{}", &h[0..8], &h[8..12], &h[12..16], &h[16..20], &h[20..32])))
    }
    fn accepts(ty: &Type) -> bool {
        *ty == Type::UUID
    }
}

#[derive(Clone, Copy)]
enum Col {
    I16,
    I32,
    I64,
    F32,
    F64,
    Bool,
    Text,
    Date,
    Ts,
    Uuid,
}

fn column(name: &str, ty: &Type) -> Result<(Col, DataType), String> {
    Ok(match *ty {
        Type::INT2 => (Col::I16, DataType::Int16),
        Type::INT4 => (Col::I32, DataType::Int32),
        Type::INT8 => (Col::I64, DataType::Int64),
        Type::FLOAT4 => (Col::F32, DataType::Float32),
        Type::FLOAT8 => (Col::F64, DataType::Float64),
        Type::BOOL => (Col::Bool, DataType::Boolean),
        Type::TEXT | Type::VARCHAR | Type::BPCHAR | Type::NAME => (Col::Text, DataType::Utf8),
        Type::DATE => (Col::Date, DataType::Date32),
        Type::TIMESTAMP => (Col::Ts, DataType::Timestamp(TimeUnit::Microsecond, None)),
        Type::TIMESTAMPTZ => (Col::Ts, DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into()))),
        Type::UUID => (Col::Uuid, DataType::Utf8),
        ref other => {
            return Err(format!(
                "column `{name}` has PostgreSQL type {other}, which a pool cannot hold; cast it in the query, \
                 e.g. {name}::float8 or {name}::text"
            ));
        }
    })
}

struct Source {
    rt: tokio::runtime::Runtime,
    rows: Pin<Box<tokio_postgres::RowStream>>,
    cols: Vec<(Col, DataType)>,
    schema: SchemaRef,
    done: bool,
    // Keeps the connection task's client alive.
    _client: tokio_postgres::Client,
}

pub(crate) fn open(url: &str, query: &str) -> Result<(SchemaRef, Batches), String> {
    let shown = hide_password(url);
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().map_err(|e| e.to_string())?;
    let (client, rows, cols, schema) = rt.block_on(async {
        let (client, conn) = tokio::time::timeout(
            std::time::Duration::from_secs(10),
            tokio_postgres::connect(url, tokio_postgres::NoTls),
        )
        .await
        .map_err(|_| format!("connecting to {shown}: no answer within 10 s"))?
        .map_err(|e| format!("connecting to {shown}: {}", message(&e)))?;
        tokio::spawn(async move {
            let _ = conn.await;
        });
        let stmt = client.prepare(query).await.map_err(|e| format!("the query failed: {}", message(&e)))?;
        let mut cols = Vec::new();
        let mut fields = Vec::new();
        for c in stmt.columns() {
            let (col, dt) = column(c.name(), c.type_())?;
            cols.push((col, dt.clone()));
            fields.push(Field::new(c.name(), dt, true));
        }
        let rows = client
            .query_raw(&stmt, std::iter::empty::<&(dyn tokio_postgres::types::ToSql + Sync)>())
            .await
            .map_err(|e| format!("the query failed: {}", message(&e)))?;
        Ok::<_, String>((client, rows, cols, Arc::new(Schema::new(fields))))
    })?;
    let src = Source { rt, rows: Box::pin(rows), cols, schema: Arc::clone(&schema), done: false, _client: client };
    Ok((schema, Box::new(src)))
}

/// The server's own message when there is one.
fn message(e: &tokio_postgres::Error) -> String {
    match e.as_db_error() {
        Some(db) => format!("{} ({})", db.message(), db.code().code()),
        None => e.to_string(),
    }
}

impl Iterator for Source {
    type Item = Result<RecordBatch, String>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        let mut rows = Vec::with_capacity(PG_BATCH);
        let stream = &mut self.rows;
        let end = self.rt.block_on(async {
            while rows.len() < PG_BATCH {
                match stream.as_mut().next().await {
                    Some(Ok(r)) => rows.push(r),
                    Some(Err(e)) => return Err(format!("reading the query's rows: {}", message(&e))),
                    None => return Ok(true),
                }
            }
            Ok(false)
        });
        match end {
            Err(e) => {
                self.done = true;
                Some(Err(e))
            }
            Ok(end) => {
                self.done = end;
                if rows.is_empty() {
                    return None;
                }
                Some(self.batch(&rows))
            }
        }
    }
}

impl Source {
    fn batch(&self, rows: &[tokio_postgres::Row]) -> Result<RecordBatch, String> {
        let n = rows.len();
        let mut arrays: Vec<ArrayRef> = Vec::with_capacity(self.cols.len());
        macro_rules! build {
            ($builder:expr, $t:ty, $conv:expr) => {{
                let mut b = $builder;
                for r in rows {
                    let v: Option<$t> = r.try_get(arrays.len()).map_err(|e| e.to_string())?;
                    b.append_option(v.map($conv));
                }
                Arc::new(b.finish()) as ArrayRef
            }};
        }
        for (col, dt) in &self.cols {
            let a = match col {
                Col::I16 => build!(Int16Builder::with_capacity(n), i16, |v| v),
                Col::I32 => build!(Int32Builder::with_capacity(n), i32, |v| v),
                Col::I64 => build!(Int64Builder::with_capacity(n), i64, |v| v),
                Col::F32 => build!(Float32Builder::with_capacity(n), f32, |v| v),
                Col::F64 => build!(Float64Builder::with_capacity(n), f64, |v| v),
                Col::Bool => build!(BooleanBuilder::with_capacity(n), bool, |v| v),
                Col::Text => build!(StringBuilder::with_capacity(n, n * 16), &str, |v| v),
                Col::Uuid => build!(StringBuilder::with_capacity(n, n * 36), UuidText, |v| v.0),
                Col::Date => build!(Date32Builder::with_capacity(n), Days, |v| v.0),
                Col::Ts => {
                    let tz = match dt {
                        DataType::Timestamp(_, tz) => tz.clone(),
                        _ => None,
                    };
                    let a = build!(TimestampMicrosecondBuilder::with_capacity(n), Micros, |v| v.0);
                    let ts = a.as_any().downcast_ref::<arrow_array::TimestampMicrosecondArray>().cloned();
                    match (ts, tz) {
                        (Some(t), Some(tz)) => Arc::new(t.with_timezone(tz)) as ArrayRef,
                        _ => a,
                    }
                }
            };
            arrays.push(a);
        }
        RecordBatch::try_new(Arc::clone(&self.schema), arrays).map_err(|e| e.to_string())
    }
}
