//! PostgreSQL's binary COPY format: each row a tuple of length-prefixed
//! big-endian values. Encoded by the pipeline's workers, in parallel; the
//! sink only adds the stream header and trailer.

use arrow_array::cast::AsArray;
use arrow_array::types::{Float64Type, Int32Type, Int64Type, TimestampMicrosecondType, TimestampMillisecondType};
use arrow_array::{Array, RecordBatch};
use arrow_schema::{DataType, Field, TimeUnit};
use sdg_engine::mapping::UUID_EXTENSION;
use sdg_engine::{BatchEncoder, Encoded, SinkError};

/// `PGCOPY\n\377\r\n\0`, flags, header extension length.
pub const HEADER: &[u8] = b"PGCOPY\n\xff\r\n\0\0\0\0\0\0\0\0\0";
/// The end-of-data marker.
pub const TRAILER: &[u8] = &[0xff, 0xff];
/// Microseconds from the Unix epoch to PostgreSQL's (2000-01-01).
const PG_EPOCH_US: i64 = 946_684_800_000_000;

/// The PostgreSQL type sdg writes for an Arrow field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PgType {
    /// `bigint` (Int64).
    Int8,
    /// `double precision` (Float64).
    Float8,
    /// `boolean`.
    Bool,
    /// `text` (strings and enum-like dictionary columns).
    Text,
    /// `uuid` (the arrow.uuid extension).
    Uuid,
    /// `timestamptz` (timestamps with a time zone).
    Timestamptz,
    /// `timestamp` (timestamps without a time zone).
    Timestamp,
}

impl PgType {
    /// The type for `field`, or None when sdg cannot write it.
    pub fn of(field: &Field) -> Option<Self> {
        Some(match field.data_type() {
            DataType::Int64 => Self::Int8,
            DataType::Float64 => Self::Float8,
            DataType::Boolean => Self::Bool,
            DataType::Utf8 => Self::Text,
            DataType::Dictionary(k, v) if **k == DataType::Int32 && **v == DataType::Utf8 => Self::Text,
            DataType::FixedSizeBinary(16)
                if field.metadata().get("ARROW:extension:name").map(String::as_str) == Some(UUID_EXTENSION) =>
            {
                Self::Uuid
            }
            DataType::Timestamp(TimeUnit::Microsecond | TimeUnit::Millisecond, Some(_)) => Self::Timestamptz,
            DataType::Timestamp(TimeUnit::Microsecond | TimeUnit::Millisecond, None) => Self::Timestamp,
            _ => return None,
        })
    }

    /// The name in `CREATE TABLE`.
    pub fn sql(self) -> &'static str {
        match self {
            Self::Int8 => "bigint",
            Self::Float8 => "double precision",
            Self::Bool => "boolean",
            Self::Text => "text",
            Self::Uuid => "uuid",
            Self::Timestamptz => "timestamptz",
            Self::Timestamp => "timestamp",
        }
    }

    /// Whether a table column of `udt_name` (information_schema) takes these bytes.
    pub fn accepts(self, udt_name: &str) -> bool {
        match self {
            Self::Int8 => udt_name == "int8",
            Self::Float8 => udt_name == "float8",
            Self::Bool => udt_name == "bool",
            Self::Text => matches!(udt_name, "text" | "varchar" | "bpchar" | "name"),
            Self::Uuid => udt_name == "uuid",
            Self::Timestamptz => udt_name == "timestamptz",
            Self::Timestamp => udt_name == "timestamp",
        }
    }
}

/// Encodes rows as binary COPY tuples.
#[derive(Debug, Default, Clone)]
pub struct PgBinaryEncoder;

#[inline(always)]
fn put_value(out: &mut Vec<u8>, bytes: &[u8]) {
    out.extend_from_slice(&(bytes.len() as i32).to_be_bytes());
    out.extend_from_slice(bytes);
}

const NULL: [u8; 4] = (-1i32).to_be_bytes();

/// One column, downcast once per batch.
enum Col<'a> {
    Int(&'a [i64]),
    Float(&'a [f64]),
    Bool(&'a arrow_array::BooleanArray),
    Text(&'a arrow_array::StringArray),
    Dict(&'a [i32], Vec<Vec<u8>>),
    Uuid(&'a arrow_array::FixedSizeBinaryArray),
    TsUs(&'a [i64]),
    TsMs(&'a [i64]),
}

impl BatchEncoder for PgBinaryEncoder {
    fn encode(&mut self, batch: &RecordBatch, out: &mut Encoded) -> Result<(), SinkError> {
        let schema = batch.schema();
        let mut cols = Vec::with_capacity(batch.num_columns());
        let mut nulls = Vec::with_capacity(batch.num_columns());
        for (field, array) in schema.fields().iter().zip(batch.columns()) {
            let unsupported = || {
                SinkError::fatal(format!(
                    "column `{}` has type {}, which the PostgreSQL destination cannot write",
                    field.name(),
                    field.data_type()
                ))
            };
            let col = match (PgType::of(field).ok_or_else(unsupported)?, array.data_type()) {
                (PgType::Int8, _) => Col::Int(array.as_primitive::<Int64Type>().values()),
                (PgType::Float8, _) => Col::Float(array.as_primitive::<Float64Type>().values()),
                (PgType::Bool, _) => Col::Bool(array.as_boolean()),
                (PgType::Text, DataType::Utf8) => Col::Text(array.as_string::<i32>()),
                (PgType::Text, _) => {
                    let d = array.as_dictionary::<Int32Type>();
                    let values = d.values().as_string::<i32>();
                    let rendered = (0..values.len())
                        .map(|i| {
                            let mut v = Vec::new();
                            put_value(&mut v, values.value(i).as_bytes());
                            v
                        })
                        .collect();
                    Col::Dict(d.keys().values(), rendered)
                }
                (PgType::Uuid, _) => Col::Uuid(array.as_fixed_size_binary()),
                (_, DataType::Timestamp(TimeUnit::Millisecond, _)) => {
                    Col::TsMs(array.as_primitive::<TimestampMillisecondType>().values())
                }
                (_, _) => Col::TsUs(array.as_primitive::<TimestampMicrosecondType>().values()),
            };
            cols.push(col);
            nulls.push(array.logical_nulls());
        }
        let n_fields = (cols.len() as i16).to_be_bytes();
        out.row_ends.reserve(batch.num_rows());
        out.bytes.reserve(batch.num_rows() * (2 + cols.len() * 14));
        for row in 0..batch.num_rows() {
            let b = &mut out.bytes;
            b.extend_from_slice(&n_fields);
            for (col, nulls) in cols.iter().zip(&nulls) {
                if nulls.as_ref().is_some_and(|n| n.is_null(row)) {
                    b.extend_from_slice(&NULL);
                    continue;
                }
                match col {
                    Col::Int(v) => {
                        b.extend_from_slice(&[0, 0, 0, 8]);
                        b.extend_from_slice(&v[row].to_be_bytes());
                    }
                    Col::Float(v) => {
                        b.extend_from_slice(&[0, 0, 0, 8]);
                        b.extend_from_slice(&v[row].to_bits().to_be_bytes());
                    }
                    Col::Bool(a) => b.extend_from_slice(&[0, 0, 0, 1, u8::from(a.value(row))]),
                    Col::Text(a) => put_value(b, a.value(row).as_bytes()),
                    Col::Dict(keys, rendered) => {
                        if let Some(v) = rendered.get(keys[row] as usize) {
                            b.extend_from_slice(v);
                        }
                    }
                    Col::Uuid(a) => {
                        b.extend_from_slice(&[0, 0, 0, 16]);
                        b.extend_from_slice(a.value(row));
                    }
                    Col::TsUs(v) => {
                        b.extend_from_slice(&[0, 0, 0, 8]);
                        b.extend_from_slice(&(v[row] - PG_EPOCH_US).to_be_bytes());
                    }
                    Col::TsMs(v) => {
                        b.extend_from_slice(&[0, 0, 0, 8]);
                        b.extend_from_slice(&(v[row].saturating_mul(1000) - PG_EPOCH_US).to_be_bytes());
                    }
                }
            }
            out.end_row();
        }
        Ok(())
    }
}
