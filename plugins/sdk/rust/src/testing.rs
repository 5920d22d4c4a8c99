//! Runs a plugin's functions natively, as sdg's host would run the module:
//! the columns placed in the plugin's memory in ABI 1's layout, one call per
//! batch, the output read back and checked (lengths, offsets, UTF-8).
//!
//! Natively, "linear memory" is a buffer of this thread's (offsets into it
//! are the ABI's 32-bit pointers), with a bump allocator behind `sdg_alloc`.
//!
//! ```
//! use sdg_plugin::testing::{Column, Host};
//! use sdg_plugin::{types, Row};
//!
//! sdg_plugin::plugin! {
//!     fn doubled(row: &Row) -> Option<i64> { row.i64(0).map(|v| v * 2) }
//! }
//!
//! # fn main() {
//! let host = Host::new(sdg_init, "null").expect("config accepted");
//! let out = host.call(doubled, types::INT64, &[Column::Int64(vec![Some(2), None])]).expect("runs");
//! assert_eq!(out, Column::Int64(vec![Some(4), None]));
//! # }
//! ```

use crate::{mem, types};
use std::cell::RefCell;

/// The test memory: 64 MiB (zeroed pages cost nothing until touched).
const MEMORY: usize = 64 << 20;

struct Arena {
    /// The address of offset 0 (a leaked, zeroed allocation: no Rust
    /// reference to it is kept, so the plugin's pointers alias nothing).
    base: usize,
    /// The next free offset.
    top: usize,
    /// What a reset goes back to (memory kept by the instance stays below).
    floor: usize,
}

thread_local! {
    static ARENA: RefCell<Arena> = RefCell::new(Arena {
        base: Box::leak(vec![0u8; MEMORY].into_boxed_slice()).as_mut_ptr().expose_provenance(),
        top: 16,
        floor: 16,
    });
}

pub(crate) fn memory_base() -> usize {
    ARENA.with_borrow(|a| a.base)
}

pub(crate) fn alloc(size: u32, align: u32) -> u32 {
    ARENA.with_borrow_mut(|a| {
        let align = (align.max(1) as usize).next_power_of_two();
        let at = a.top.next_multiple_of(align);
        let end = at + size as usize;
        if end > MEMORY {
            return 0;
        }
        a.top = end;
        at as u32
    })
}

pub(crate) fn reset() {
    ARENA.with_borrow_mut(|a| a.top = a.floor);
}

/// Forgets everything (a fresh instance).
fn wipe() {
    ARENA.with_borrow_mut(|a| {
        a.top = 16;
        a.floor = 16;
    });
}

/// A column of values, null where `None`.
#[derive(Debug, Clone, PartialEq)]
pub enum Column {
    /// int64
    Int64(Vec<Option<i64>>),
    /// float64
    Float64(Vec<Option<f64>>),
    /// bool
    Bool(Vec<Option<bool>>),
    /// utf8
    Utf8(Vec<Option<String>>),
    /// timestamp (µs since the epoch)
    Timestamp(Vec<Option<i64>>),
}

impl Column {
    /// Its type code.
    pub fn type_code(&self) -> i32 {
        match self {
            Column::Int64(_) => types::INT64,
            Column::Float64(_) => types::FLOAT64,
            Column::Bool(_) => types::BOOL,
            Column::Utf8(_) => types::UTF8,
            Column::Timestamp(_) => types::TIMESTAMP,
        }
    }

    /// Its rows.
    pub fn len(&self) -> usize {
        match self {
            Column::Int64(v) | Column::Timestamp(v) => v.len(),
            Column::Float64(v) => v.len(),
            Column::Bool(v) => v.len(),
            Column::Utf8(v) => v.len(),
        }
    }

    /// True without rows.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn valid(&self, i: usize) -> bool {
        match self {
            Column::Int64(v) | Column::Timestamp(v) => v[i].is_some(),
            Column::Float64(v) => v[i].is_some(),
            Column::Bool(v) => v[i].is_some(),
            Column::Utf8(v) => v[i].is_some(),
        }
    }
}

/// An export of the plugin: a function, or `sdg_init`.
pub type Function = extern "C" fn(u32) -> i32;
/// The plugin's `sdg_init`.
pub type Init = extern "C" fn(u32, u32) -> i32;

/// A native stand-in for sdg's host, for one plugin instance on this thread.
#[derive(Debug, Clone)]
pub struct Host {
    seed: u64,
}

impl Host {
    /// A fresh instance: the config (JSON text) handed to `init` as the host
    /// does; the plugin's non-zero answer when it refuses it.
    pub fn new(init: Init, config: &str) -> Result<Host, i32> {
        wipe();
        let at = mem::place(config.as_bytes());
        match init(at, config.len() as u32) {
            0 => {
                ARENA.with_borrow_mut(|a| a.floor = a.top);
                Ok(Host { seed: 0x5D6 })
            }
            code => Err(code),
        }
    }

    /// The field's random key (`batch.seed`).
    pub fn with_seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// Calls `function` on one batch of the rows 0, 1, … (as many as the
    /// inputs have; give `rows` with [`Host::call_rows`] for a function
    /// without inputs).
    pub fn call(&self, function: Function, output: i32, inputs: &[Column]) -> Result<Column, String> {
        let n = inputs.first().map_or(0, Column::len) as u64;
        self.call_rows(function, output, inputs, &(0..n).collect::<Vec<_>>())
    }

    /// Calls `function` on one batch holding the rows `rows` (global
    /// indices, in this order). Err holds the plugin's error code and
    /// message, or what is wrong with the output.
    pub fn call_rows(
        &self,
        function: Function,
        output: i32,
        inputs: &[Column],
        rows: &[u64],
    ) -> Result<Column, String> {
        let n = rows.len();
        if let Some(c) = inputs.iter().find(|c| c.len() != n) {
            return Err(format!("an input has {} rows, the batch {n}", c.len()));
        }
        reset();
        let descriptors = alloc(24 * inputs.len() as u32, 8);
        for (k, c) in inputs.iter().enumerate() {
            place_column(descriptors + 24 * k as u32, c);
        }
        let batch = alloc(72, 8);
        let row_index = alloc(8 * n as u32, 8);
        for (i, r) in rows.iter().enumerate() {
            mem::set_u64(row_index + 8 * i as u32, *r);
        }
        let bitmap = (n as u32).div_ceil(8);
        let validity = alloc(bitmap, 8);
        for i in 0..bitmap {
            mem::set_u8(validity + i, 0xFF);
        }
        let values = match output {
            types::BOOL => {
                let at = alloc(bitmap, 8);
                for i in 0..bitmap {
                    mem::set_u8(at + i, 0);
                }
                at
            }
            types::UTF8 => alloc(4 * (n as u32 + 1), 8),
            _ => alloc(8 * n as u32, 8),
        };
        let fields = [
            (0, 1),
            (4, n as u32),
            (24, inputs.len() as u32),
            (28, descriptors),
            (32, output as u32),
            (36, validity),
            (40, values),
            (64, row_index),
        ];
        for (at, v) in fields {
            mem::set_u32(batch + at, v);
        }
        mem::set_u64(batch + 8, rows.first().copied().unwrap_or(0));
        mem::set_u64(batch + 16, self.seed);
        let code = function(batch);
        if code != 0 {
            let (at, len) = (mem::u32_at(batch + 56), mem::u32_at(batch + 60));
            let message =
                if at == 0 { String::new() } else { String::from_utf8_lossy(mem::bytes(at, len)).into_owned() };
            return Err(format!("returned error code {code}: {message}"));
        }
        read_output(batch + 32, n)
    }
}

/// Writes `c`'s buffers and its descriptor at `at`.
fn place_column(at: u32, c: &Column) {
    let n = c.len() as u32;
    let bitmap = n.div_ceil(8);
    let validity = alloc(bitmap, 8);
    for i in 0..bitmap {
        mem::set_u8(validity + i, 0);
    }
    for i in 0..n {
        if c.valid(i as usize) {
            let b = validity + i / 8;
            mem::set_u8(b, mem::u8_at(b) | 1 << (i % 8));
        }
    }
    let (mut data, mut data_len) = (0, 0);
    let values = match c {
        Column::Int64(v) | Column::Timestamp(v) => {
            let values = alloc(8 * n, 8);
            for (i, x) in v.iter().enumerate() {
                mem::set_u64(values + 8 * i as u32, x.unwrap_or(0) as u64);
            }
            values
        }
        Column::Float64(v) => {
            let values = alloc(8 * n, 8);
            for (i, x) in v.iter().enumerate() {
                mem::set_u64(values + 8 * i as u32, x.unwrap_or(0.0).to_bits());
            }
            values
        }
        Column::Bool(v) => {
            let values = alloc(bitmap, 8);
            for i in 0..bitmap {
                mem::set_u8(values + i, 0);
            }
            for (i, x) in v.iter().enumerate() {
                if x == &Some(true) {
                    let b = values + i as u32 / 8;
                    mem::set_u8(b, mem::u8_at(b) | 1 << (i % 8));
                }
            }
            values
        }
        Column::Utf8(v) => {
            let text: String = v.iter().map(|s| s.as_deref().unwrap_or("")).collect();
            data = mem::place(text.as_bytes());
            data_len = text.len() as u32;
            let values = alloc(4 * (n + 1), 8);
            mem::set_u32(values, 0);
            let mut end = 0u32;
            for (i, s) in v.iter().enumerate() {
                end += s.as_deref().map_or(0, str::len) as u32;
                mem::set_u32(values + 4 * (i as u32 + 1), end);
            }
            values
        }
    };
    for (off, v) in [(0, c.type_code() as u32), (4, validity), (8, values), (12, data), (16, data_len), (20, 0)] {
        mem::set_u32(at + off, v);
    }
}

/// Reads and checks the output column the plugin wrote.
fn read_output(at: u32, n: usize) -> Result<Column, String> {
    let (ty, validity, values) = (mem::u32_at(at) as i32, mem::u32_at(at + 4), mem::u32_at(at + 8));
    let valid = |i: usize| validity == 0 || (mem::u8_at(validity + i as u32 / 8) >> (i % 8)) & 1 == 1;
    let int = |i: usize| mem::u64_at(values + 8 * i as u32);
    Ok(match ty {
        types::INT64 => Column::Int64((0..n).map(|i| valid(i).then(|| int(i) as i64)).collect()),
        types::TIMESTAMP => Column::Timestamp((0..n).map(|i| valid(i).then(|| int(i) as i64)).collect()),
        types::FLOAT64 => Column::Float64((0..n).map(|i| valid(i).then(|| f64::from_bits(int(i)))).collect()),
        types::BOOL => Column::Bool(
            (0..n).map(|i| valid(i).then(|| (mem::u8_at(values + i as u32 / 8) >> (i % 8)) & 1 == 1)).collect(),
        ),
        types::UTF8 => {
            let (data, data_len) = (mem::u32_at(at + 12), mem::u32_at(at + 16));
            let offsets: Vec<u32> = (0..=n).map(|i| mem::u32_at(values + 4 * i as u32)).collect();
            if offsets[0] != 0 || offsets.windows(2).any(|w| w[0] > w[1]) || offsets[n] > data_len {
                return Err(format!(
                    "the output offsets are not 0, non-decreasing and at most {data_len}: {offsets:?}"
                ));
            }
            if data == 0 && data_len > 0 {
                return Err("the output has text but no data pointer".into());
            }
            let bytes = mem::bytes(data, data_len);
            let mut out = Vec::with_capacity(n);
            for i in 0..n {
                let s = &bytes[offsets[i] as usize..offsets[i + 1] as usize];
                let s = std::str::from_utf8(s).map_err(|e| format!("row {i} of the output is not UTF-8: {e}"))?;
                out.push(valid(i).then(|| s.to_string()));
            }
            Column::Utf8(out)
        }
        other => return Err(format!("the output has type code {other}")),
    })
}
