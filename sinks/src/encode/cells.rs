//! Typed column views and cell writers shared by the text encoders.

use arrow_array::cast::AsArray;
use arrow_array::types::{Float64Type, Int32Type, Int64Type, TimestampMicrosecondType, TimestampMillisecondType};
use arrow_array::{
    Array, ArrayRef, BooleanArray, FixedSizeBinaryArray, Float64Array, Int64Array, PrimitiveArray, StringArray,
};
use arrow_schema::{DataType, Field, TimeUnit};
use sdg_engine::mapping::UUID_EXTENSION;

/// A column type the text encoders cannot render.
#[derive(Debug, Clone, thiserror::Error)]
#[error("column `{column}` has type {data_type}, which the {format} encoder cannot write")]
pub struct EncodeError {
    /// The column.
    pub column: String,
    /// Its Arrow type.
    pub data_type: String,
    /// The encoder.
    pub format: &'static str,
}

/// One column of a batch, downcast once.
pub(crate) enum Col<'a> {
    Int64(&'a Int64Array),
    Float64(&'a Float64Array),
    Bool(&'a BooleanArray),
    Utf8(&'a StringArray),
    /// Dictionary keys with each value pre-rendered (quoted/escaped) for the format.
    Dict(&'a PrimitiveArray<Int32Type>, Vec<Vec<u8>>),
    Uuid(&'a FixedSizeBinaryArray),
    TimestampUs(&'a PrimitiveArray<TimestampMicrosecondType>),
    TimestampMs(&'a PrimitiveArray<TimestampMillisecondType>),
}

impl Col<'_> {
    #[inline(always)]
    pub fn is_null(&self, row: usize) -> bool {
        match self {
            Col::Int64(a) => a.is_null(row),
            Col::Float64(a) => a.is_null(row),
            Col::Bool(a) => a.is_null(row),
            Col::Utf8(a) => a.is_null(row),
            Col::Dict(k, _) => k.is_null(row),
            Col::Uuid(a) => a.is_null(row),
            Col::TimestampUs(a) => a.is_null(row),
            Col::TimestampMs(a) => a.is_null(row),
        }
    }
}

/// Downcasts the columns of a batch; `render` pre-renders a dictionary value.
pub(crate) fn columns<'a>(
    fields: &[std::sync::Arc<Field>],
    arrays: &'a [ArrayRef],
    format: &'static str,
    render: impl Fn(&str) -> Vec<u8>,
) -> Result<Vec<Col<'a>>, EncodeError> {
    fields
        .iter()
        .zip(arrays)
        .map(|(field, array)| {
            let unsupported =
                || EncodeError { column: field.name().clone(), data_type: array.data_type().to_string(), format };
            Ok(match array.data_type() {
                DataType::Int64 => Col::Int64(array.as_primitive::<Int64Type>()),
                DataType::Float64 => Col::Float64(array.as_primitive::<Float64Type>()),
                DataType::Boolean => Col::Bool(array.as_boolean()),
                DataType::Utf8 => Col::Utf8(array.as_string::<i32>()),
                DataType::FixedSizeBinary(16)
                    if field.metadata().get("ARROW:extension:name").map(String::as_str) == Some(UUID_EXTENSION) =>
                {
                    Col::Uuid(array.as_fixed_size_binary())
                }
                DataType::Timestamp(TimeUnit::Microsecond, _) => {
                    Col::TimestampUs(array.as_primitive::<TimestampMicrosecondType>())
                }
                DataType::Timestamp(TimeUnit::Millisecond, _) => {
                    Col::TimestampMs(array.as_primitive::<TimestampMillisecondType>())
                }
                DataType::Dictionary(k, v) if **k == DataType::Int32 && **v == DataType::Utf8 => {
                    let dict = array.as_dictionary::<Int32Type>();
                    let values = dict.values().as_string::<i32>();
                    let rendered = (0..values.len()).map(|i| render(values.value(i))).collect();
                    Col::Dict(dict.keys(), rendered)
                }
                _ => return Err(unsupported()),
            })
        })
        .collect()
}

/// Appends an integer.
#[inline(always)]
pub(crate) fn put_i64(out: &mut Vec<u8>, v: i64) {
    out.extend_from_slice(itoa::Buffer::new().format(v).as_bytes());
}

/// Appends a float (shortest round-trip form); None for NaN/inf, which callers render.
#[inline(always)]
pub(crate) fn put_f64(out: &mut Vec<u8>, v: f64) -> bool {
    if !v.is_finite() {
        return false;
    }
    out.extend_from_slice(zmij::Buffer::new().format_finite(v).as_bytes());
    true
}

const HEX: &[u8; 16] = b"0123456789abcdef";

/// Appends a UUID in hyphenated lowercase form.
#[inline(always)]
pub(crate) fn put_uuid(out: &mut Vec<u8>, b: &[u8]) {
    let mut s = [0u8; 36];
    let mut j = 0;
    for (i, byte) in b.iter().enumerate().take(16) {
        if matches!(i, 4 | 6 | 8 | 10) {
            s[j] = b'-';
            j += 1;
        }
        s[j] = HEX[(byte >> 4) as usize];
        s[j + 1] = HEX[(byte & 0xF) as usize];
        j += 2;
    }
    out.extend_from_slice(&s);
}

/// Writes timestamps as RFC 3339 in UTC, caching the date part between rows.
#[derive(Default)]
pub(crate) struct Rfc3339 {
    day: i64,
    date: [u8; 11],
    valid: bool,
}

impl Rfc3339 {
    /// Appends `us` (µs since the epoch) as `2026-01-01T00:00:00.250Z`
    /// (milliseconds, or microseconds when they are not whole).
    #[inline]
    pub fn put_us(&mut self, out: &mut Vec<u8>, us: i64) {
        let day = us.div_euclid(86_400_000_000);
        let in_day = us.rem_euclid(86_400_000_000) as u64;
        if !self.valid || day != self.day {
            self.set_day(day);
        }
        out.extend_from_slice(&self.date);
        let secs = in_day / 1_000_000;
        let frac = in_day % 1_000_000;
        let (h, m, s) = (secs / 3600, (secs / 60) % 60, secs % 60);
        let mut t = [b':'; 8];
        t[0] = b'0' + (h / 10) as u8;
        t[1] = b'0' + (h % 10) as u8;
        t[3] = b'0' + (m / 10) as u8;
        t[4] = b'0' + (m % 10) as u8;
        t[6] = b'0' + (s / 10) as u8;
        t[7] = b'0' + (s % 10) as u8;
        out.extend_from_slice(&t);
        out.push(b'.');
        let (mut v, digits) = if frac.is_multiple_of(1000) { (frac / 1000, 3) } else { (frac, 6) };
        let mut f = [b'0'; 6];
        for i in (0..digits).rev() {
            f[i] = b'0' + (v % 10) as u8;
            v /= 10;
        }
        out.extend_from_slice(&f[..digits]);
        out.push(b'Z');
    }

    fn set_day(&mut self, day: i64) {
        let (y, m, d) = civil_from_days(day);
        let mut s = *b"0000-00-00T";
        let y = y.clamp(0, 9999) as u32;
        s[0] = b'0' + (y / 1000) as u8;
        s[1] = b'0' + (y / 100 % 10) as u8;
        s[2] = b'0' + (y / 10 % 10) as u8;
        s[3] = b'0' + (y % 10) as u8;
        s[5] = b'0' + (m / 10) as u8;
        s[6] = b'0' + (m % 10) as u8;
        s[8] = b'0' + (d / 10) as u8;
        s[9] = b'0' + (d % 10) as u8;
        self.date = s;
        self.day = day;
        self.valid = true;
    }
}

/// Days since 1970-01-01 to (year, month, day) — Howard Hinnant's algorithm.
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097) as u64;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe as i64 + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// Every cell of a batch as display text (None for null): for previews, not hot paths.
pub fn render_cells(batch: &arrow_array::RecordBatch) -> Result<Vec<Vec<Option<String>>>, EncodeError> {
    let schema = batch.schema();
    let cols = columns(schema.fields(), batch.columns(), "text", |s| s.as_bytes().to_vec())?;
    let mut ts = Rfc3339::default();
    let mut rows = Vec::with_capacity(batch.num_rows());
    let mut buf = Vec::new();
    for row in 0..batch.num_rows() {
        let mut cells = Vec::with_capacity(cols.len());
        for col in &cols {
            if col.is_null(row) {
                cells.push(None);
                continue;
            }
            buf.clear();
            match col {
                Col::Int64(a) => put_i64(&mut buf, a.value(row)),
                Col::Float64(a) => {
                    let v = a.value(row);
                    if !put_f64(&mut buf, v) {
                        buf.extend_from_slice(v.to_string().as_bytes());
                    }
                }
                Col::Bool(a) => buf.extend_from_slice(if a.value(row) { b"true" } else { b"false" }),
                Col::Utf8(a) => buf.extend_from_slice(a.value(row).as_bytes()),
                Col::Dict(keys, values) => {
                    if let Some(v) = values.get(keys.value(row) as usize) {
                        buf.extend_from_slice(v);
                    }
                }
                Col::Uuid(a) => put_uuid(&mut buf, a.value(row)),
                Col::TimestampUs(a) => ts.put_us(&mut buf, a.value(row)),
                Col::TimestampMs(a) => ts.put_us(&mut buf, a.value(row).saturating_mul(1000)),
            }
            cells.push(Some(String::from_utf8_lossy(&buf).into_owned()));
        }
        rows.push(cells);
    }
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ts(us: i64) -> String {
        let mut out = Vec::new();
        Rfc3339::default().put_us(&mut out, us);
        String::from_utf8(out).unwrap_or_default()
    }

    #[test]
    fn rfc3339_matches_chrono() {
        for us in
            [0i64, 1_767_225_600_250_000, 951_782_400_000_001, -1_000, 253_402_300_799_999_999, 1_709_164_800_123_456]
        {
            let expected = chrono::DateTime::from_timestamp_micros(us)
                .map(|t| {
                    t.format(if us % 1000 == 0 { "%Y-%m-%dT%H:%M:%S%.3fZ" } else { "%Y-%m-%dT%H:%M:%S%.6fZ" })
                        .to_string()
                })
                .unwrap_or_default();
            assert_eq!(ts(us), expected, "{us}");
        }
    }

    #[test]
    fn uuid_is_hyphenated() {
        let mut out = Vec::new();
        put_uuid(
            &mut out,
            &[0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc, 0x4d, 0xef, 0x80, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77],
        );
        assert_eq!(String::from_utf8(out).unwrap_or_default(), "12345678-9abc-4def-8011-223344556677");
    }
}
