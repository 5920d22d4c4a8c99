//! Typed column views and cell writers shared by the text encoders.

use arrow_array::cast::AsArray;
use arrow_array::types::{Float64Type, Int32Type, Int64Type, TimestampMicrosecondType, TimestampMillisecondType};
use arrow_array::{
    Array, ArrayRef, BooleanArray, FixedSizeBinaryArray, Float64Array, Int64Array, PrimitiveArray, StringArray,
};
use arrow_schema::{DataType, Field, TimeUnit};
use sdg_engine::mapping::{DECIMALS_METADATA, UUID_EXTENSION};

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
    /// Floats with a fixed number of decimals: `scale` = 10^decimals.
    Fixed(&'a Float64Array, u32, f64),
    Bool(&'a BooleanArray),
    Utf8(&'a StringArray),
    /// Dictionary keys with each value pre-rendered (quoted/escaped) for the format.
    Dict(&'a PrimitiveArray<Int32Type>, Rendered),
    Uuid(&'a FixedSizeBinaryArray),
    TimestampUs(&'a PrimitiveArray<TimestampMicrosecondType>),
    TimestampMs(&'a PrimitiveArray<TimestampMillisecondType>),
    /// Days since the epoch, written YYYY-MM-DD.
    Date32(&'a PrimitiveArray<arrow_array::types::Date32Type>),
}

impl Col<'_> {
    /// The column's validity, when it has nulls at all.
    pub fn nulls(&self) -> Option<&arrow_buffer::NullBuffer> {
        let n = match self {
            Col::Int64(a) => a.nulls(),
            Col::Float64(a) | Col::Fixed(a, ..) => a.nulls(),
            Col::Bool(a) => a.nulls(),
            Col::Utf8(a) => a.nulls(),
            Col::Dict(k, _) => k.nulls(),
            Col::Uuid(a) => a.nulls(),
            Col::TimestampUs(a) => a.nulls(),
            Col::TimestampMs(a) => a.nulls(),
            Col::Date32(a) => a.nulls(),
        };
        n.filter(|n| n.null_count() > 0)
    }

    #[inline(always)]
    pub fn is_null(&self, row: usize) -> bool {
        match self {
            Col::Int64(a) => a.is_null(row),
            Col::Float64(a) | Col::Fixed(a, ..) => a.is_null(row),
            Col::Bool(a) => a.is_null(row),
            Col::Utf8(a) => a.is_null(row),
            Col::Dict(k, _) => k.is_null(row),
            Col::Uuid(a) => a.is_null(row),
            Col::TimestampUs(a) => a.is_null(row),
            Col::TimestampMs(a) => a.is_null(row),
            Col::Date32(a) => a.is_null(row),
        }
    }
}

/// Downcasts the columns of a batch; `render` pre-renders a dictionary value.
/// YYYY-MM-DD of `days` since 1970-01-01.
pub(crate) fn put_date(out: &mut Vec<u8>, days: i32) {
    let (y, m, d) = civil_from_days(days as i64);
    let y = y.clamp(0, 9999) as u32;
    out.extend_from_slice(&[
        b'0' + (y / 1000) as u8,
        b'0' + (y / 100 % 10) as u8,
        b'0' + (y / 10 % 10) as u8,
        b'0' + (y % 10) as u8,
        b'-',
        b'0' + (m / 10) as u8,
        b'0' + (m % 10) as u8,
        b'-',
        b'0' + (d / 10) as u8,
        b'0' + (d % 10) as u8,
    ]);
}

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
                DataType::Float64 => {
                    let decimals = field.metadata().get(DECIMALS_METADATA).and_then(|d| d.parse::<u32>().ok());
                    match decimals {
                        Some(d @ 1..=9) => Col::Fixed(array.as_primitive::<Float64Type>(), d, 10f64.powi(d as i32)),
                        _ => Col::Float64(array.as_primitive::<Float64Type>()),
                    }
                }
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
                DataType::Date32 => Col::Date32(array.as_primitive::<arrow_array::types::Date32Type>()),
                DataType::Dictionary(k, v) if **k == DataType::Int32 && **v == DataType::Utf8 => {
                    let dict = array.as_dictionary::<Int32Type>();
                    let values = dict.values().as_string::<i32>();
                    let rendered = Rendered::new((0..values.len()).map(|i| render(values.value(i))).collect());
                    Col::Dict(dict.keys(), rendered)
                }
                _ => return Err(unsupported()),
            })
        })
        .collect()
}

/// Appends the first `len` bytes of a fixed-size array. Copying the whole
/// array is a couple of vector moves the compiler inlines, where a copy of a
/// run-time length is a `memcpy` call; the surplus is cut off again at once.
#[inline(always)]
pub(crate) fn put_fixed<const N: usize>(out: &mut Vec<u8>, bytes: &[u8; N], len: usize) {
    let at = out.len();
    out.extend_from_slice(bytes);
    out.truncate(at + len);
}

/// Longest pre-rendered value copied the fixed-size way.
const SHORT: usize = 32;

/// Dictionary values rendered once per batch.
pub(crate) enum Rendered {
    /// Every value fits `SHORT` bytes.
    Short(Vec<([u8; SHORT], usize)>),
    /// Some value is longer.
    Long(Vec<Vec<u8>>),
}

impl Rendered {
    pub(crate) fn new(values: Vec<Vec<u8>>) -> Self {
        if values.iter().all(|v| v.len() <= SHORT) {
            Self::Short(
                values
                    .iter()
                    .map(|v| {
                        let mut a = [0u8; SHORT];
                        a[..v.len()].copy_from_slice(v);
                        (a, v.len())
                    })
                    .collect(),
            )
        } else {
            Self::Long(values)
        }
    }

    /// Appends value `key` (nothing for a key out of range, which Arrow forbids).
    #[inline(always)]
    pub fn put(&self, out: &mut Vec<u8>, key: i32) {
        match self {
            Self::Short(v) => {
                if let Some((a, len)) = v.get(key as usize) {
                    put_fixed(out, a, *len);
                }
            }
            Self::Long(v) => {
                if let Some(a) = v.get(key as usize) {
                    out.extend_from_slice(a);
                }
            }
        }
    }
}

const DIGITS2: &[u8; 200] = b"0001020304050607080910111213141516171819\
2021222324252627282930313233343536373839\
4041424344454647484950515253545556575859\
6061626364656667686970717273747576777879\
8081828384858687888990919293949596979899";

/// Reserves `N` bytes at the end of `out` and returns where they start.
/// Callers write their bytes in place and truncate to what they used, so
/// nothing is built on the stack and copied (which would stall on
/// store-to-load forwarding) and no run-time-length `memcpy` is called.
#[inline(always)]
fn grow<const N: usize>(out: &mut Vec<u8>) -> usize {
    let at = out.len();
    out.extend_from_slice(&[0u8; N]);
    at
}

/// Appends an integer (two digits per step, written in place).
#[inline(always)]
pub(crate) fn put_i64(out: &mut Vec<u8>, v: i64) {
    let mut n = v.unsigned_abs();
    let sign = usize::from(v < 0);
    let len = sign + n.checked_ilog10().unwrap_or(0) as usize + 1;
    let at = grow::<20>(out);
    let dst = &mut out[at..at + len];
    if sign == 1 {
        dst[0] = b'-';
    }
    let mut i = len;
    while n >= 100 {
        let d = (n % 100) as usize * 2;
        n /= 100;
        i -= 2;
        dst[i] = DIGITS2[d];
        dst[i + 1] = DIGITS2[d + 1];
    }
    if n >= 10 {
        let d = n as usize * 2;
        dst[i - 2] = DIGITS2[d];
        dst[i - 1] = DIGITS2[d + 1];
    } else {
        dst[i - 1] = b'0' + n as u8;
    }
    out.truncate(at + len);
}

/// Appends `v` with exactly `decimals` digits after the point (`scale` =
/// 10^decimals), through integer formatting; falls back to the shortest form
/// for values too large for that (or not finite: false).
#[inline(always)]
pub(crate) fn put_fixed_point(out: &mut Vec<u8>, v: f64, decimals: u32, scale: f64) -> bool {
    let scaled = sdg_engine::rng::round(v * scale);
    if scaled.is_nan() || scaled.abs() >= 9.0e15 {
        return put_f64(out, v);
    }
    let q = scaled as i64;
    if q < 0 {
        out.push(b'-');
    }
    let q = q.unsigned_abs();
    let div = 10u64.pow(decimals);
    put_i64(out, (q / div) as i64);
    out.push(b'.');
    let mut frac = q % div;
    let at = out.len();
    out.extend_from_slice(&[b'0'; 9]);
    for i in (0..decimals as usize).rev() {
        out[at + i] = b'0' + (frac % 10) as u8;
        frac /= 10;
    }
    out.truncate(at + decimals as usize);
    true
}

/// Appends a float (shortest round-trip form); false for NaN/inf, which callers render.
#[inline(always)]
pub(crate) fn put_f64(out: &mut Vec<u8>, v: f64) -> bool {
    if !v.is_finite() {
        return false;
    }
    out.extend_from_slice(zmij::Buffer::new().format_finite(v).as_bytes());
    true
}

/// Two lowercase hex digits per byte value.
const HEX2: [[u8; 2]; 256] = {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut t = [[0u8; 2]; 256];
    let mut i = 0;
    while i < 256 {
        t[i] = [HEX[i >> 4], HEX[i & 0xF]];
        i += 1;
    }
    t
};

/// Appends a UUID in hyphenated lowercase form.
#[inline(always)]
pub(crate) fn put_uuid(out: &mut Vec<u8>, b: &[u8]) {
    const AT: [usize; 16] = [0, 2, 4, 6, 9, 11, 14, 16, 19, 21, 24, 26, 28, 30, 32, 34];
    let at = out.len();
    out.extend_from_slice(&[b'-'; 36]);
    let s = &mut out[at..at + 36];
    for (byte, i) in b.iter().zip(AT) {
        let h = HEX2[*byte as usize];
        s[i] = h[0];
        s[i + 1] = h[1];
    }
}

/// Writes timestamps as RFC 3339 in UTC, caching the text up to the second
/// between rows (consecutive rows mostly fall in the same second).
#[derive(Default)]
pub(crate) struct Rfc3339 {
    /// The second `prefix` holds, and its day (for the date part).
    second: i64,
    day: i64,
    /// `2026-01-01T00:00:00.`
    prefix: [u8; 20],
    valid: bool,
    day_valid: bool,
}

impl Rfc3339 {
    /// Appends `us` (µs since the epoch) as `2026-01-01T00:00:00.250Z`
    /// (milliseconds, or microseconds when they are not whole).
    #[inline]
    pub fn put_us(&mut self, out: &mut Vec<u8>, us: i64) {
        let second = us.div_euclid(1_000_000);
        let frac = us.rem_euclid(1_000_000) as u64;
        if !self.valid || second != self.second {
            self.set_second(second);
        }
        let at = grow::<32>(out);
        let t = &mut out[at..at + 32];
        t[..20].copy_from_slice(&self.prefix);
        let (mut v, digits) = if frac.is_multiple_of(1000) { (frac / 1000, 3) } else { (frac, 6) };
        for i in (20..20 + digits).rev() {
            t[i] = b'0' + (v % 10) as u8;
            v /= 10;
        }
        t[20 + digits] = b'Z';
        out.truncate(at + 21 + digits);
    }

    fn set_second(&mut self, second: i64) {
        let day = second.div_euclid(86_400);
        if !self.day_valid || day != self.day {
            let (y, m, d) = civil_from_days(day);
            let y = y.clamp(0, 9999) as u32;
            let p = &mut self.prefix;
            p[..11].copy_from_slice(b"0000-00-00T");
            p[0] = b'0' + (y / 1000) as u8;
            p[1] = b'0' + (y / 100 % 10) as u8;
            p[2] = b'0' + (y / 10 % 10) as u8;
            p[3] = b'0' + (y % 10) as u8;
            p[5] = b'0' + (m / 10) as u8;
            p[6] = b'0' + (m % 10) as u8;
            p[8] = b'0' + (d / 10) as u8;
            p[9] = b'0' + (d % 10) as u8;
            self.day = day;
            self.day_valid = true;
        }
        let secs = second.rem_euclid(86_400) as usize;
        let (h, m, s) = (secs / 3600, (secs / 60) % 60, secs % 60);
        let p = &mut self.prefix;
        p[11..13].copy_from_slice(&DIGITS2[h * 2..h * 2 + 2]);
        p[13] = b':';
        p[14..16].copy_from_slice(&DIGITS2[m * 2..m * 2 + 2]);
        p[16] = b':';
        p[17..19].copy_from_slice(&DIGITS2[s * 2..s * 2 + 2]);
        p[19] = b'.';
        self.second = second;
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

/// Plain text of single cells (no quoting): for keys, hash fields and stream
/// entries that carry values one by one.
pub struct TextCells<'a> {
    cols: Vec<Col<'a>>,
    ts: Rfc3339,
}

impl<'a> TextCells<'a> {
    /// Views of every column of `batch`.
    pub fn new(batch: &'a arrow_array::RecordBatch) -> Result<Self, EncodeError> {
        let schema = batch.schema_ref();
        let cols = columns(schema.fields(), batch.columns(), "text", |s| s.as_bytes().to_vec())?;
        Ok(Self { cols, ts: Rfc3339::default() })
    }

    /// Appends the text of column `c` at `row`; false (and nothing) for a null.
    #[inline]
    pub fn put(&mut self, c: usize, row: usize, out: &mut Vec<u8>) -> bool {
        let Some(col) = self.cols.get(c) else { return false };
        if col.is_null(row) {
            return false;
        }
        match col {
            Col::Int64(a) => put_i64(out, a.value(row)),
            Col::Float64(a) => {
                let v = a.value(row);
                if !put_f64(out, v) {
                    out.extend_from_slice(v.to_string().as_bytes());
                }
            }
            Col::Fixed(a, d, scale) => {
                let v = a.value(row);
                if !put_fixed_point(out, v, *d, *scale) {
                    out.extend_from_slice(v.to_string().as_bytes());
                }
            }
            Col::Bool(a) => out.extend_from_slice(if a.value(row) { b"true" } else { b"false" }),
            Col::Utf8(a) => out.extend_from_slice(a.value(row).as_bytes()),
            Col::Dict(keys, values) => values.put(out, keys.value(row)),
            Col::Uuid(a) => put_uuid(out, a.value(row)),
            Col::TimestampUs(a) => self.ts.put_us(out, a.value(row)),
            Col::TimestampMs(a) => self.ts.put_us(out, a.value(row).saturating_mul(1000)),
            Col::Date32(a) => put_date(out, a.value(row)),
        }
        true
    }
}

/// Every cell of a batch as display text (None for null): for previews, not hot paths.
pub fn render_cells(batch: &arrow_array::RecordBatch) -> Result<Vec<Vec<Option<String>>>, EncodeError> {
    let mut cells = TextCells::new(batch)?;
    let mut buf = Vec::new();
    Ok((0..batch.num_rows())
        .map(|row| {
            (0..batch.num_columns())
                .map(|c| {
                    buf.clear();
                    cells.put(c, row, &mut buf).then(|| String::from_utf8_lossy(&buf).into_owned())
                })
                .collect()
        })
        .collect())
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
    fn one_writer_across_seconds_and_days_matches_chrono() {
        let mut w = Rfc3339::default();
        let mut us = 1_767_225_599_990_000i64; // 10 ms before 2026-01-01
        for step in [1_000i64, 7, 999_999, 86_400_000_000, -3_000_000_000, 250_000] {
            for _ in 0..50 {
                let mut out = Vec::new();
                w.put_us(&mut out, us);
                let expected = chrono::DateTime::from_timestamp_micros(us)
                    .map(|t| {
                        t.format(if us % 1000 == 0 { "%Y-%m-%dT%H:%M:%S%.3fZ" } else { "%Y-%m-%dT%H:%M:%S%.6fZ" })
                            .to_string()
                    })
                    .unwrap_or_default();
                assert_eq!(String::from_utf8(out).unwrap_or_default(), expected, "{us}");
                us += step;
            }
        }
    }

    #[test]
    fn integers_render_like_display() {
        for v in [0i64, 7, 10, 99, 100, 12_345, -1, -10, -987_654_321, i64::MAX, i64::MIN] {
            let mut out = b"x".to_vec();
            put_i64(&mut out, v);
            assert_eq!(String::from_utf8(out).unwrap_or_default(), format!("x{v}"));
        }
    }

    #[test]
    fn fixed_point_prints_exact_decimals() {
        for (v, d, want) in [
            (12.3, 2, "12.30"),
            (0.05, 2, "0.05"),
            (-1.5, 1, "-1.5"),
            (-0.25, 2, "-0.25"),
            (499.999, 2, "500.00"),
            (7.0, 3, "7.000"),
            (1e300, 2, "1e+300"),
        ] {
            let mut out = Vec::new();
            assert!(put_fixed_point(&mut out, v, d, 10f64.powi(d as i32)));
            assert_eq!(String::from_utf8(out).unwrap_or_default(), want, "{v} with {d}");
        }
    }

    #[test]
    fn floats_round_trip() {
        for v in [0.0f64, 1.5, -2.25, 123.45, 1e300, 5e-324] {
            let mut out = Vec::new();
            assert!(put_f64(&mut out, v));
            assert_eq!(String::from_utf8(out).unwrap_or_default().parse::<f64>().ok(), Some(v));
        }
        assert!(!put_f64(&mut Vec::new(), f64::NAN));
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

#[cfg(test)]
mod date_tests {
    #[test]
    fn dates_are_written_as_iso_days() {
        for (days, want) in [(20_454, "2026-01-01"), (0, "1970-01-01"), (-1, "1969-12-31"), (11_016, "2000-02-29")] {
            let mut out = Vec::new();
            super::put_date(&mut out, days);
            assert_eq!(String::from_utf8(out).expect("ascii"), want);
        }
    }
}
