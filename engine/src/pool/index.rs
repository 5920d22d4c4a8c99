//! The hash index of a pool's key column: an open-addressing table of row
//! positions (4 bytes a slot, load ≤ 0.7). Keys are not copied: a probe
//! compares against the pool's own column, so an INDEXED pool keeps only this
//! table in memory and reads keys through the map.

use crate::rng::mix64;
use arrow_array::cast::AsArray;
use arrow_array::types::*;
use arrow_array::{Array, ArrayRef, ArrowPrimitiveType, PrimitiveArray};
use arrow_schema::DataType;

/// What kind of key a column holds: lookups need the same kind on both sides.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyKind {
    /// Any integer type (compared as i64).
    Int,
    /// Utf8, LargeUtf8 or Utf8View (compared as bytes).
    Text,
}

impl KeyKind {
    /// The kind of values of `t`, if sdg can index or probe them.
    pub fn of(t: &DataType) -> Option<Self> {
        match t {
            DataType::Int8
            | DataType::Int16
            | DataType::Int32
            | DataType::Int64
            | DataType::UInt8
            | DataType::UInt16
            | DataType::UInt32
            | DataType::UInt64 => Some(Self::Int),
            DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View => Some(Self::Text),
            DataType::Dictionary(_, v) if matches!(**v, DataType::Utf8 | DataType::LargeUtf8) => Some(Self::Text),
            _ => None,
        }
    }

    /// For messages.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Int => "integers",
            Self::Text => "text",
        }
    }
}

/// Hash of an integer key.
#[inline(always)]
pub fn hash_int(v: i64) -> u64 {
    mix64(v as u64 ^ 0x243F_6A88_85A3_08D3)
}

/// Hash of a text key.
#[inline(always)]
pub fn hash_text(b: &[u8]) -> u64 {
    xxhash_rust::xxh3::xxh3_64(b)
}

/// Typed read access to one key column of a pool, split in chunks of
/// `chunk_rows` rows (the last may be shorter). Built once per batch.
pub(crate) enum KeyColumn<'a> {
    Int(Vec<IntChunk<'a>>),
    Text(Vec<TextChunk<'a>>),
}

pub(crate) enum IntChunk<'a> {
    I8(&'a PrimitiveArray<Int8Type>),
    I16(&'a PrimitiveArray<Int16Type>),
    I32(&'a PrimitiveArray<Int32Type>),
    I64(&'a PrimitiveArray<Int64Type>),
    U8(&'a PrimitiveArray<UInt8Type>),
    U16(&'a PrimitiveArray<UInt16Type>),
    U32(&'a PrimitiveArray<UInt32Type>),
    U64(&'a PrimitiveArray<UInt64Type>),
}

pub(crate) enum TextChunk<'a> {
    Utf8(&'a arrow_array::StringArray),
    Large(&'a arrow_array::LargeStringArray),
    View(&'a arrow_array::StringViewArray),
}

#[inline(always)]
fn int_at<T: ArrowPrimitiveType>(a: &PrimitiveArray<T>, i: usize) -> Option<i64>
where
    T::Native: TryInto<i64>,
{
    if a.is_null(i) { None } else { a.value(i).try_into().ok() }
}

impl IntChunk<'_> {
    #[inline(always)]
    pub(crate) fn get(&self, i: usize) -> Option<i64> {
        match self {
            Self::I8(a) => int_at(a, i),
            Self::I16(a) => int_at(a, i),
            Self::I32(a) => int_at(a, i),
            Self::I64(a) => int_at(a, i),
            Self::U8(a) => int_at(a, i),
            Self::U16(a) => int_at(a, i),
            Self::U32(a) => int_at(a, i),
            Self::U64(a) => int_at(a, i),
        }
    }
}

impl TextChunk<'_> {
    #[inline(always)]
    pub(crate) fn get(&self, i: usize) -> Option<&[u8]> {
        match self {
            Self::Utf8(a) => (!a.is_null(i)).then(|| a.value(i).as_bytes()),
            Self::Large(a) => (!a.is_null(i)).then(|| a.value(i).as_bytes()),
            Self::View(a) => (!a.is_null(i)).then(|| a.value(i).as_bytes()),
        }
    }
}

/// Typed view of one integer array (`None` if it is not one).
pub(crate) fn int_chunk(a: &dyn Array) -> Option<IntChunk<'_>> {
    Some(match a.data_type() {
        DataType::Int8 => IntChunk::I8(a.as_primitive()),
        DataType::Int16 => IntChunk::I16(a.as_primitive()),
        DataType::Int32 => IntChunk::I32(a.as_primitive()),
        DataType::Int64 => IntChunk::I64(a.as_primitive()),
        DataType::UInt8 => IntChunk::U8(a.as_primitive()),
        DataType::UInt16 => IntChunk::U16(a.as_primitive()),
        DataType::UInt32 => IntChunk::U32(a.as_primitive()),
        DataType::UInt64 => IntChunk::U64(a.as_primitive()),
        _ => return None,
    })
}

/// Typed view of one text array (`None` if it is not one).
pub(crate) fn text_chunk(a: &dyn Array) -> Option<TextChunk<'_>> {
    Some(match a.data_type() {
        DataType::Utf8 => TextChunk::Utf8(a.as_string()),
        DataType::LargeUtf8 => TextChunk::Large(a.as_string()),
        DataType::Utf8View => TextChunk::View(a.as_string_view()),
        _ => return None,
    })
}

impl<'a> KeyColumn<'a> {
    /// The typed chunks of a column (`None` for a type sdg cannot index).
    pub(crate) fn new(chunks: &'a [ArrayRef]) -> Option<Self> {
        let first = chunks.first()?;
        match KeyKind::of(first.data_type())? {
            KeyKind::Int => Some(Self::Int(chunks.iter().map(|c| int_chunk(c.as_ref())).collect::<Option<_>>()?)),
            KeyKind::Text => Some(Self::Text(chunks.iter().map(|c| text_chunk(c.as_ref())).collect::<Option<_>>()?)),
        }
    }
}

/// Row positions by key. The first row with a key wins (pool order).
#[derive(Debug)]
pub struct KeyIndex {
    /// Row + 1 per slot; 0 is empty.
    slots: Vec<u32>,
    mask: usize,
    kind: KeyKind,
    /// Distinct keys.
    keys: usize,
}

impl KeyIndex {
    /// Indexes `chunks` (the key column, chunked by `chunk_rows`). Nulls are not indexed.
    pub(crate) fn build(chunks: &[ArrayRef], chunk_rows: usize, rows: usize) -> Result<Self, String> {
        let column = KeyColumn::new(chunks).ok_or_else(|| {
            format!(
                "sdg can index integer or text columns; this one is {}",
                chunks.first().map(|c| c.data_type().to_string()).unwrap_or_default()
            )
        })?;
        if rows >= u32::MAX as usize {
            return Err(format!("{rows} rows are more than an index holds (4 294 967 294)"));
        }
        let cap = ((rows as f64 / 0.7) as usize + 1).next_power_of_two().max(16);
        let mut index = Self { slots: vec![0; cap], mask: cap - 1, kind: KeyKind::Int, keys: 0 };
        match &column {
            KeyColumn::Int(cs) => {
                index.kind = KeyKind::Int;
                for (c, chunk) in cs.iter().enumerate() {
                    for i in 0..chunks[c].len() {
                        if let Some(v) = chunk.get(i) {
                            let row = c * chunk_rows + i;
                            index.insert(hash_int(v), row, |r| cs[r / chunk_rows].get(r % chunk_rows) == Some(v));
                        }
                    }
                }
            }
            KeyColumn::Text(cs) => {
                index.kind = KeyKind::Text;
                for (c, chunk) in cs.iter().enumerate() {
                    for i in 0..chunks[c].len() {
                        if let Some(v) = chunk.get(i) {
                            let row = c * chunk_rows + i;
                            index.insert(hash_text(v), row, |r| cs[r / chunk_rows].get(r % chunk_rows) == Some(v));
                        }
                    }
                }
            }
        }
        Ok(index)
    }

    fn insert(&mut self, hash: u64, row: usize, same: impl Fn(usize) -> bool) {
        let mut s = hash as usize & self.mask;
        loop {
            match self.slots[s] {
                0 => {
                    self.slots[s] = row as u32 + 1;
                    self.keys += 1;
                    return;
                }
                r if same(r as usize - 1) => return,
                _ => s = (s + 1) & self.mask,
            }
        }
    }

    /// The first row whose key hashes to `hash` and satisfies `same`.
    #[inline(always)]
    pub(crate) fn find(&self, hash: u64, same: impl Fn(usize) -> bool) -> Option<usize> {
        let mut s = hash as usize & self.mask;
        loop {
            match self.slots[s] {
                0 => return None,
                r if same(r as usize - 1) => return Some(r as usize - 1),
                _ => s = (s + 1) & self.mask,
            }
        }
    }

    /// Integer or text keys.
    pub fn kind(&self) -> KeyKind {
        self.kind
    }

    /// Distinct keys indexed.
    pub fn keys(&self) -> usize {
        self.keys
    }

    /// Heap bytes of the table.
    pub fn memory_bytes(&self) -> usize {
        self.slots.len() * 4
    }
}
