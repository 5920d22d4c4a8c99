//! Avro values: the schema is derived from the generator's Arrow schema (a
//! record with one field per column, nullable ones as `["null", T]`), and rows
//! are written as plain Avro binary datums (no container header; consumers
//! use the schema `avro_schema` returns). The binary encoding is small and
//! written here for speed; the tests decode it with the apache-avro crate.

use arrow_array::cast::AsArray;
use arrow_array::types::{Float64Type, Int32Type, Int64Type, TimestampMicrosecondType, TimestampMillisecondType};
use arrow_array::{Array, RecordBatch};
use arrow_schema::{DataType, Schema, TimeUnit};
use sdg_engine::mapping::UUID_EXTENSION;
use sdg_engine::{BatchEncoder, Encoded, SinkError};
use serde_json::{Value, json};

fn is_uuid(f: &arrow_schema::Field) -> bool {
    f.metadata().get("ARROW:extension:name").map(String::as_str) == Some(UUID_EXTENSION)
}

/// The Avro schema (JSON) of rows with `schema`; Err names an unsupported column.
pub fn avro_schema(schema: &Schema, name: &str) -> Result<Value, String> {
    let fields = schema
        .fields()
        .iter()
        .map(|f| {
            let t = match f.data_type() {
                DataType::Int64 => json!("long"),
                DataType::Float64 => json!("double"),
                DataType::Boolean => json!("boolean"),
                DataType::Utf8 => json!("string"),
                DataType::Dictionary(k, v) if **k == DataType::Int32 && **v == DataType::Utf8 => json!("string"),
                DataType::FixedSizeBinary(16) if is_uuid(f) => json!({"type": "string", "logicalType": "uuid"}),
                DataType::Timestamp(TimeUnit::Microsecond | TimeUnit::Millisecond, _) => {
                    json!({"type": "long", "logicalType": "timestamp-micros"})
                }
                other => {
                    return Err(format!("column `{}` has type {other}, which has no Avro mapping in sdg", f.name()));
                }
            };
            Ok(if f.is_nullable() {
                json!({"name": f.name(), "type": ["null", t], "default": null})
            } else {
                json!({"name": f.name(), "type": t})
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    let name: String = name.chars().map(|c| if c.is_ascii_alphanumeric() { c } else { '_' }).collect();
    Ok(
        json!({"type": "record", "name": if name.is_empty() { "row".into() } else { name }, "namespace": "sdg", "fields": fields}),
    )
}

/// Avro's zig-zag varint `long`.
#[inline]
fn put_long(out: &mut Vec<u8>, v: i64) {
    let mut z = ((v << 1) ^ (v >> 63)) as u64;
    while z >= 0x80 {
        out.push((z as u8) | 0x80);
        z >>= 7;
    }
    out.push(z as u8);
}

#[inline]
fn put_str(out: &mut Vec<u8>, s: &[u8]) {
    put_long(out, s.len() as i64);
    out.extend_from_slice(s);
}

const HEX: &[u8; 16] = b"0123456789abcdef";

/// Encodes rows as Avro binary datums.
#[derive(Debug, Default, Clone)]
pub struct AvroEncoder;

impl BatchEncoder for AvroEncoder {
    fn encode(&mut self, batch: &RecordBatch, out: &mut Encoded) -> Result<(), SinkError> {
        let schema = batch.schema();
        avro_schema(&schema, "row").map_err(SinkError::fatal)?;
        let mut uuid = [0u8; 36];
        for row in 0..batch.num_rows() {
            let b = &mut out.bytes;
            for (f, a) in schema.fields().iter().zip(batch.columns()) {
                if f.is_nullable() {
                    if a.is_null(row) {
                        put_long(b, 0);
                        continue;
                    }
                    put_long(b, 1);
                }
                match a.data_type() {
                    DataType::Int64 => put_long(b, a.as_primitive::<Int64Type>().value(row)),
                    DataType::Float64 => b.extend_from_slice(&a.as_primitive::<Float64Type>().value(row).to_le_bytes()),
                    DataType::Boolean => b.push(u8::from(a.as_boolean().value(row))),
                    DataType::Utf8 => put_str(b, a.as_string::<i32>().value(row).as_bytes()),
                    DataType::Dictionary(..) => {
                        let d = a.as_dictionary::<Int32Type>();
                        let v = d.values().as_string::<i32>();
                        put_str(b, v.value(d.keys().value(row) as usize).as_bytes());
                    }
                    DataType::FixedSizeBinary(_) => {
                        let bytes = a.as_fixed_size_binary().value(row);
                        let mut j = 0;
                        for (i, byte) in bytes.iter().enumerate() {
                            if matches!(i, 4 | 6 | 8 | 10) {
                                uuid[j] = b'-';
                                j += 1;
                            }
                            uuid[j] = HEX[(byte >> 4) as usize];
                            uuid[j + 1] = HEX[(byte & 0xF) as usize];
                            j += 2;
                        }
                        put_str(b, &uuid);
                    }
                    DataType::Timestamp(TimeUnit::Millisecond, _) => {
                        put_long(b, a.as_primitive::<TimestampMillisecondType>().value(row).saturating_mul(1000))
                    }
                    _ => put_long(b, a.as_primitive::<TimestampMicrosecondType>().value(row)),
                }
            }
            out.end_row();
        }
        Ok(())
    }
}
