//! Write sdg `COMPUTED`-field plugins in Rust (plugin ABI 1, `docs/PLUGINS.md`).
//!
//! You write a function of one row; [`plugin!`] writes the per-batch export
//! the host calls once per batch, and the ABI's exports (`sdg_abi_version`,
//! `sdg_alloc`, `sdg_reset`, `sdg_init`, `sdg_type_<function>`):
//!
//! ```
//! use sdg_plugin::{Error, Row};
//!
//! sdg_plugin::plugin! {
//!     /// amount × quantity × (1 + config.rate)
//!     fn with_tax(row: &Row) -> Result<Option<f64>, Error> {
//!         let (Some(amount), Some(quantity)) = (row.f64(0), row.f64(1)) else { return Ok(None) };
//!         if quantity < 0.0 {
//!             return Err(Error::new("negative quantity"));
//!         }
//!         Ok(Some(amount * quantity * (1.0 + sdg_plugin::config().number("rate").unwrap_or(0.2))))
//!     }
//! }
//! # fn main() {}
//! ```
//!
//! A function returns `Result<Option<T>, Error>` or `Option<T>`, where `T`
//! is the output type: `i64`, `f64`, `bool`, [`Timestamp`], `&str` or
//! `String`. `None` is a null row; an [`Error`] fails the batch with its
//! message (the generator's `on_error` decides what happens next).
//!
//! Build a module with the `wasm32-unknown-unknown` target:
//!
//! ```text
//! rustup target add wasm32-unknown-unknown
//! cargo build --release --target wasm32-unknown-unknown   # a crate with crate-type = ["cdylib"]
//! ```
//!
//! On any other target the crate keeps the module's memory in a buffer of
//! its own, so the same functions run natively under [`testing::Host`] —
//! test a plugin with `cargo test`, no wasm toolchain needed.

// The ABI is raw linear memory: every access goes through `mem`, at offsets
// the host placed (its layout is checked by the host after each call).
#![allow(unsafe_code)]

mod json;
#[cfg(not(target_arch = "wasm32"))]
pub mod testing;

pub use json::{Config, Json};

/// The plugin ABI this crate speaks (`sdg_abi_version`).
pub const ABI_VERSION: i32 = 1;

/// The ABI's type codes.
pub mod types {
    /// int64
    pub const INT64: i32 = 1;
    /// float64
    pub const FLOAT64: i32 = 2;
    /// bool
    pub const BOOL: i32 = 3;
    /// utf8
    pub const UTF8: i32 = 4;
    /// timestamp: int64 microseconds since 1970-01-01T00:00:00Z
    pub const TIMESTAMP: i32 = 5;

    /// The name `output:` uses for a type code.
    pub fn name(code: i32) -> &'static str {
        match code {
            INT64 => "int64",
            FLOAT64 => "float64",
            BOOL => "bool",
            UTF8 => "utf8",
            TIMESTAMP => "timestamp",
            _ => "an unknown type",
        }
    }
}

/// A timestamp: microseconds since 1970-01-01T00:00:00Z (UTC).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(pub i64);

/// A row function's failure: the batch fails with this code and message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    code: i32,
    message: String,
}

impl Error {
    /// Fails the batch with `message` (error code 2).
    pub fn new(message: impl Into<String>) -> Self {
        Self { code: 2, message: message.into() }
    }

    /// Fails the batch with `message` and a code of your own (2 or more; 1
    /// is the SDK's own "out of memory").
    pub fn with_code(code: i32, message: impl Into<String>) -> Self {
        Self { code: code.max(2), message: message.into() }
    }

    /// The code the export returns.
    pub fn code(&self) -> i32 {
        self.code
    }

    /// The message.
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} (code {})", self.message, self.code)
    }
}

impl std::error::Error for Error {}

/// The field's `config`, as `sdg_init` received it (`null` when absent).
pub fn config() -> &'static Config {
    json::current()
}

/// Linear memory: offsets the host hands over, as pointers, and the
/// allocator behind `sdg_alloc`.
mod mem {
    /// The address of offset 0: 0 in a wasm module; the test memory natively.
    #[inline(always)]
    fn base() -> usize {
        #[cfg(target_arch = "wasm32")]
        {
            0
        }
        #[cfg(not(target_arch = "wasm32"))]
        {
            crate::testing::memory_base()
        }
    }

    #[inline(always)]
    pub(crate) fn ptr<T>(offset: u32) -> *mut T {
        std::ptr::with_exposed_provenance_mut(base() + offset as usize)
    }

    #[inline(always)]
    pub(crate) fn u8_at(at: u32) -> u8 {
        // SAFETY: `at` is inside a buffer the host placed (descriptors,
        // bitmaps, values) or one this crate allocated.
        unsafe { ptr::<u8>(at).read() }
    }

    #[inline(always)]
    pub(crate) fn u32_at(at: u32) -> u32 {
        // SAFETY: as `u8_at`; descriptors are 4-byte fields.
        unsafe { ptr::<u32>(at).read_unaligned() }
    }

    #[inline(always)]
    pub(crate) fn u64_at(at: u32) -> u64 {
        // SAFETY: as `u8_at`.
        unsafe { ptr::<u64>(at).read_unaligned() }
    }

    #[inline(always)]
    pub(crate) fn set_u8(at: u32, v: u8) {
        // SAFETY: as `u8_at`; output buffers are the plugin's to write.
        unsafe { ptr::<u8>(at).write(v) }
    }

    #[inline(always)]
    pub(crate) fn set_u32(at: u32, v: u32) {
        // SAFETY: as `set_u8`.
        unsafe { ptr::<u32>(at).write_unaligned(v) }
    }

    #[inline(always)]
    pub(crate) fn set_u64(at: u32, v: u64) {
        // SAFETY: as `set_u8`.
        unsafe { ptr::<u64>(at).write_unaligned(v) }
    }

    /// `len` bytes at `at`.
    pub(crate) fn bytes<'a>(at: u32, len: u32) -> &'a [u8] {
        if len == 0 {
            return &[];
        }
        // SAFETY: the host placed `len` bytes at `at` and keeps them until
        // the next `sdg_reset`, after the call that reads them.
        unsafe { std::slice::from_raw_parts(ptr::<u8>(at), len as usize) }
    }

    /// Copies `data` into memory of this batch; 0 when there is none left.
    pub(crate) fn place(data: &[u8]) -> u32 {
        let at = alloc(data.len() as u32, 1);
        if at != 0 && !data.is_empty() {
            // SAFETY: `alloc` gave `data.len()` fresh bytes at `at`.
            unsafe { std::ptr::copy_nonoverlapping(data.as_ptr(), ptr::<u8>(at), data.len()) }
        }
        at
    }

    #[cfg(target_arch = "wasm32")]
    mod heap {
        use std::alloc::Layout;
        use std::cell::RefCell;

        thread_local! {
            /// What `alloc` gave since the last reset.
            static BATCH: RefCell<Vec<(usize, Layout)>> = const { RefCell::new(Vec::new()) };
        }

        pub(crate) fn alloc(size: u32, align: u32) -> u32 {
            let Ok(layout) = Layout::from_size_align(size.max(1) as usize, align.max(1) as usize) else {
                return 0;
            };
            // SAFETY: the layout has a non-zero size.
            let p = unsafe { std::alloc::alloc(layout) };
            if p.is_null() {
                return 0;
            }
            let addr = p.expose_provenance();
            BATCH.with_borrow_mut(|b| b.push((addr, layout)));
            addr as u32
        }

        pub(crate) fn reset() {
            BATCH.with_borrow_mut(|b| {
                for (addr, layout) in b.drain(..) {
                    // SAFETY: given by `alloc` with this layout, freed once.
                    unsafe { std::alloc::dealloc(std::ptr::with_exposed_provenance_mut(addr), layout) }
                }
            })
        }
    }

    #[cfg(not(target_arch = "wasm32"))]
    pub(crate) use crate::testing::{alloc, reset};
    #[cfg(target_arch = "wasm32")]
    pub(crate) use heap::{alloc, reset};
}

/// One row of a batch: its inputs, its index and its random bits.
#[derive(Clone, Copy)]
pub struct Row<'b> {
    batch: &'b __private::Batch,
    i: u32,
}

impl<'b> Row<'b> {
    /// The row's global index (the same row has the same index on any
    /// worker, in any batch).
    #[inline]
    pub fn index(&self) -> u64 {
        mem::u64_at(self.batch.row_index + 8 * self.i)
    }

    /// The row's position in this batch.
    #[inline]
    pub fn position(&self) -> usize {
        self.i as usize
    }

    /// The number of inputs (the field's `inputs:`).
    pub fn inputs(&self) -> usize {
        self.batch.inputs.len()
    }

    #[inline]
    fn col(&self, k: usize) -> &'b Col {
        match self.batch.inputs.get(k) {
            Some(c) => c,
            None => panic!("input {k} does not exist: the field has {} inputs", self.batch.inputs.len()),
        }
    }

    /// True when input `k` is null in this row.
    #[inline]
    pub fn is_null(&self, k: usize) -> bool {
        !self.col(k).valid(self.i)
    }

    /// True when any input is null in this row.
    #[inline]
    pub fn any_null(&self) -> bool {
        self.batch.inputs.iter().any(|c| !c.valid(self.i))
    }

    /// Input `k`, an int64 (or timestamp) column; None when null.
    ///
    /// # Panics
    /// When input `k` is of another type (use [`Row::f64`] for any number).
    #[inline]
    pub fn i64(&self, k: usize) -> Option<i64> {
        let c = self.col(k);
        c.expect(k, &[types::INT64, types::TIMESTAMP], "Row::f64 reads any number");
        c.valid(self.i).then(|| mem::u64_at(c.values + 8 * self.i) as i64)
    }

    /// Input `k`, any number column (int64, float64, timestamp), as f64; None when null.
    ///
    /// # Panics
    /// When input `k` is bool or utf8.
    #[inline]
    pub fn f64(&self, k: usize) -> Option<f64> {
        let c = self.col(k);
        c.expect(k, &[types::INT64, types::FLOAT64, types::TIMESTAMP], "read it with Row::bool or Row::str");
        if !c.valid(self.i) {
            return None;
        }
        let bits = mem::u64_at(c.values + 8 * self.i);
        Some(if c.ty == types::FLOAT64 as u32 { f64::from_bits(bits) } else { bits as i64 as f64 })
    }

    /// Input `k`, a bool column; None when null.
    ///
    /// # Panics
    /// When input `k` is of another type.
    #[inline]
    pub fn bool(&self, k: usize) -> Option<bool> {
        let c = self.col(k);
        c.expect(k, &[types::BOOL], "");
        c.valid(self.i).then(|| bit(c.values, self.i))
    }

    /// Input `k`, a timestamp (or int64) column; None when null.
    #[inline]
    pub fn timestamp(&self, k: usize) -> Option<Timestamp> {
        self.i64(k).map(Timestamp)
    }

    /// Input `k`, a utf8 column; None when null.
    ///
    /// # Panics
    /// When input `k` is of another type.
    #[inline]
    pub fn str(&self, k: usize) -> Option<&'b str> {
        let c = self.col(k);
        c.expect(k, &[types::UTF8], "");
        if !c.valid(self.i) {
            return None;
        }
        let (from, to) = (mem::u32_at(c.values + 4 * self.i), mem::u32_at(c.values + 4 * self.i + 4));
        let bytes = mem::bytes(c.data + from, to.saturating_sub(from));
        // The host hands text as valid UTF-8 (docs/PLUGINS.md, "The column
        // descriptor"); a module is sandboxed, so a bad byte could harm
        // nothing but this row: check rather than trust.
        Some(std::str::from_utf8(bytes).unwrap_or(""))
    }

    /// The `k`-th random 64 bits of this row (ABI 1's formula): the same
    /// for the row on any worker, in any batch, for the field's seed.
    #[inline]
    pub fn random(&self, k: u64) -> u64 {
        random(self.batch.seed, self.index(), k)
    }

    /// The `k`-th random number of this row, uniform in [0, 1).
    #[inline]
    pub fn uniform(&self, k: u64) -> f64 {
        (self.random(k) >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }
}

/// ABI 1's random bits of `row` for `seed` (docs/PLUGINS.md, "Randomness").
#[inline]
pub fn random(seed: u64, row: u64, k: u64) -> u64 {
    let mut z = seed ^ row.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ k.wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

#[inline(always)]
fn bit(bitmap: u32, i: u32) -> bool {
    (mem::u8_at(bitmap + i / 8) >> (i % 8)) & 1 == 1
}

/// A column descriptor (24 bytes).
#[derive(Debug, Clone, Copy)]
struct Col {
    ty: u32,
    validity: u32,
    values: u32,
    data: u32,
}

impl Col {
    fn read(at: u32) -> Self {
        Self {
            ty: mem::u32_at(at),
            validity: mem::u32_at(at + 4),
            values: mem::u32_at(at + 8),
            data: mem::u32_at(at + 12),
        }
    }

    #[inline(always)]
    fn valid(&self, i: u32) -> bool {
        self.validity == 0 || bit(self.validity, i)
    }

    #[inline]
    fn expect(&self, k: usize, types: &[i32], hint: &str) {
        if !types.contains(&(self.ty as i32)) {
            panic!("input {k} is {}, not {} {hint}", types::name(self.ty as i32), types::name(types[0]));
        }
    }
}

/// A value a function returns for a row.
pub trait Value {
    /// Its type code.
    const TYPE: i32;
    #[doc(hidden)]
    fn write(self, out: &mut __private::Output<'_>, i: u32);
}

impl Value for i64 {
    const TYPE: i32 = types::INT64;
    fn write(self, out: &mut __private::Output<'_>, i: u32) {
        mem::set_u64(out.values + 8 * i, self as u64);
    }
}

impl Value for Timestamp {
    const TYPE: i32 = types::TIMESTAMP;
    fn write(self, out: &mut __private::Output<'_>, i: u32) {
        mem::set_u64(out.values + 8 * i, self.0 as u64);
    }
}

impl Value for f64 {
    const TYPE: i32 = types::FLOAT64;
    fn write(self, out: &mut __private::Output<'_>, i: u32) {
        mem::set_u64(out.values + 8 * i, self.to_bits());
    }
}

impl Value for bool {
    const TYPE: i32 = types::BOOL;
    fn write(self, out: &mut __private::Output<'_>, i: u32) {
        if self {
            let at = out.values + i / 8;
            mem::set_u8(at, mem::u8_at(at) | 1 << (i % 8));
        }
    }
}

impl Value for &str {
    const TYPE: i32 = types::UTF8;
    fn write(self, out: &mut __private::Output<'_>, i: u32) {
        out.text.extend_from_slice(self.as_bytes());
        out.end_text(i);
    }
}

impl Value for String {
    const TYPE: i32 = types::UTF8;
    fn write(self, out: &mut __private::Output<'_>, i: u32) {
        self.as_str().write(out, i);
    }
}

/// What a row function may return: `Result<Option<T>, Error>` or `Option<T>`.
pub trait RowResult {
    /// The output value.
    type Value: Value;
    /// The output's type code.
    const TYPE: i32 = <Self::Value as Value>::TYPE;
    #[doc(hidden)]
    fn into_row(self) -> Result<Option<Self::Value>, Error>;
}

impl<V: Value> RowResult for Result<Option<V>, Error> {
    type Value = V;
    fn into_row(self) -> Result<Option<V>, Error> {
        self
    }
}

impl<V: Value> RowResult for Option<V> {
    type Value = V;
    fn into_row(self) -> Result<Option<V>, Error> {
        Ok(self)
    }
}

/// Defines a plugin: its functions of one row, and optionally an `init`
/// block that checks the config once per instance (an `Err` refuses it: a
/// validation error before any run).
///
/// ```
/// use sdg_plugin::{Config, Error, Row};
///
/// sdg_plugin::plugin! {
///     init(config) {
///         match config.number("rate") {
///             Some(r) if r >= 0.0 => Ok(()),
///             _ => Err(Error::new("config.rate must be a number of 0 or more")),
///         }
///     }
///
///     fn doubled(row: &Row) -> Option<i64> {
///         row.i64(0).map(|v| v.wrapping_mul(2))
///     }
///
///     fn greeting(row: &Row) -> Option<String> {
///         row.str(0).map(|name| format!("hello, {name}"))
///     }
/// }
/// # fn main() {}
/// ```
///
/// Each `fn name(row: &Row) -> R { … }` becomes the export `name`
/// (`(batch: i32) -> i32`) and `sdg_type_name`; the plugin also exports
/// `sdg_abi_version`, `sdg_alloc`, `sdg_reset` and `sdg_init`.
#[macro_export]
macro_rules! plugin {
    (init($config:ident) $init:block $($functions:tt)*) => {
        $crate::__abi! { fn init($config: &$crate::Config) -> ::std::result::Result<(), $crate::Error> $init }
        $crate::__functions! { $($functions)* }
    };
    ($($functions:tt)*) => {
        $crate::__abi! { fn init(_config: &$crate::Config) -> ::std::result::Result<(), $crate::Error> { Ok(()) } }
        $crate::__functions! { $($functions)* }
    };
}

#[doc(hidden)]
#[macro_export]
macro_rules! __abi {
    ($init:item) => {
        /// The plugin ABI this module speaks.
        #[unsafe(no_mangle)]
        pub extern "C" fn sdg_abi_version() -> i32 {
            $crate::ABI_VERSION
        }

        /// `size` bytes aligned to `align`, kept until the next `sdg_reset`.
        #[unsafe(no_mangle)]
        pub extern "C" fn sdg_alloc(size: u32, align: u32) -> u32 {
            $crate::__private::alloc(size, align)
        }

        /// Frees what `sdg_alloc` gave for the last batch.
        #[unsafe(no_mangle)]
        pub extern "C" fn sdg_reset() {
            $crate::__private::reset()
        }

        /// Takes the config (JSON) once per instance; 0 accepts it.
        #[unsafe(no_mangle)]
        pub extern "C" fn sdg_init(config: u32, len: u32) -> i32 {
            $init
            $crate::__private::init(config, len, init)
        }
    };
}

#[doc(hidden)]
#[macro_export]
macro_rules! __functions {
    ($( $(#[$meta:meta])* fn $name:ident($row:ident : &$row_type:ty) -> $ret:ty $body:block )*) => { $(
        $(#[$meta])*
        #[unsafe(no_mangle)]
        pub extern "C" fn $name(batch: u32) -> i32 {
            fn row_fn($row: &$row_type) -> $ret $body
            let batch = $crate::__private::Batch::read(batch);
            let mut out = match batch.output(<$ret as $crate::RowResult>::TYPE) {
                Ok(out) => out,
                Err(code) => return code,
            };
            for i in 0..batch.rows() {
                let row = batch.row(i);
                match $crate::RowResult::into_row(row_fn(&row)) {
                    Ok(Some(v)) => out.put(i, v),
                    Ok(None) => out.null(i),
                    Err(e) => return out.fail(e),
                }
            }
            out.finish()
        }

        const _: () = {
            /// The function's output type code.
            #[unsafe(export_name = concat!("sdg_type_", stringify!($name)))]
            extern "C" fn output_type() -> i32 {
                <$ret as $crate::RowResult>::TYPE
            }
        };
    )* };
}

/// What the macros expand to; not for direct use.
#[doc(hidden)]
pub mod __private {
    use super::{Col, Error, Row, Value, mem, types};
    use std::cell::RefCell;

    /// `sdg_alloc`.
    pub fn alloc(size: u32, align: u32) -> u32 {
        mem::alloc(size, align)
    }

    /// `sdg_reset`.
    pub fn reset() {
        mem::reset()
    }

    /// `sdg_init`: parses the config, runs the plugin's check, keeps it.
    pub fn init(config: u32, len: u32, check: fn(&super::Config) -> Result<(), Error>) -> i32 {
        let text = match std::str::from_utf8(mem::bytes(config, len)) {
            Ok(t) => t.to_string(),
            Err(_) => return 2,
        };
        // The host placed the config with sdg_alloc: it is copied, so free it.
        mem::reset();
        let Ok(parsed) = super::Config::parse(text) else { return 3 };
        if let Err(e) = check(&parsed) {
            return e.code();
        }
        super::json::set_current(parsed);
        0
    }

    /// A batch descriptor (72 bytes at `at`).
    pub struct Batch {
        at: u32,
        rows: u32,
        pub(crate) seed: u64,
        pub(crate) inputs: Vec<Col>,
        pub(crate) row_index: u32,
        output: Col,
    }

    impl Batch {
        /// Reads the descriptor the host placed at `at`.
        pub fn read(at: u32) -> Self {
            let n_inputs = mem::u32_at(at + 24);
            let inputs_at = mem::u32_at(at + 28);
            Self {
                at,
                rows: mem::u32_at(at + 4),
                seed: mem::u64_at(at + 16),
                inputs: (0..n_inputs).map(|k| Col::read(inputs_at + 24 * k)).collect(),
                row_index: mem::u32_at(at + 64),
                output: Col::read(at + 32),
            }
        }

        /// Rows in the batch.
        pub fn rows(&self) -> u32 {
            self.rows
        }

        /// Row `i`.
        pub fn row(&self, i: u32) -> Row<'_> {
            Row { batch: self, i }
        }

        /// The output writer, for a function returning type `ty`; the error
        /// code when the field declares another output type.
        pub fn output(&self, ty: i32) -> Result<Output<'_>, i32> {
            let out = Output { batch: self, values: self.output.values, text: take_text() };
            if self.output.ty as i32 != ty {
                let message = format!(
                    "the function returns {} but the field declares output: {}",
                    types::name(ty),
                    types::name(self.output.ty as i32)
                );
                return Err(out.fail(Error::with_code(2, message)));
            }
            if ty == types::UTF8 {
                mem::set_u32(out.values, 0);
            }
            Ok(out)
        }
    }

    thread_local! {
        /// The utf8 output's bytes, reused batch after batch.
        static TEXT: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
    }

    fn take_text() -> Vec<u8> {
        let mut t = TEXT.take();
        t.clear();
        t
    }

    /// Writes the output column of one batch.
    pub struct Output<'b> {
        batch: &'b Batch,
        pub(crate) values: u32,
        pub(crate) text: Vec<u8>,
    }

    impl Output<'_> {
        /// Row `i`'s value.
        #[inline]
        pub fn put<V: Value>(&mut self, i: u32, v: V) {
            v.write(self, i);
        }

        /// Row `i` is null.
        #[inline]
        pub fn null(&mut self, i: u32) {
            let validity = self.batch.output.validity;
            if validity != 0 {
                let at = validity + i / 8;
                mem::set_u8(at, mem::u8_at(at) & !(1 << (i % 8)));
            }
            if self.batch.output.ty as i32 == types::UTF8 {
                self.end_text(i);
            }
        }

        /// Row `i`'s text ends here.
        #[inline]
        pub(crate) fn end_text(&mut self, i: u32) {
            mem::set_u32(self.values + 4 * (i + 1), self.text.len() as u32);
        }

        /// Fails the batch with `e`: its message goes to `error_ptr`/`error_len`.
        pub fn fail(self, e: Error) -> i32 {
            let at = mem::place(e.message().as_bytes());
            if at != 0 {
                mem::set_u32(self.batch.at + 56, at);
                mem::set_u32(self.batch.at + 60, e.message().len() as u32);
            }
            TEXT.set(self.text);
            e.code()
        }

        /// The batch is done: text output is placed in memory; 0, or 1 when
        /// memory ran out.
        pub fn finish(self) -> i32 {
            let mut code = 0;
            if self.batch.output.ty as i32 == types::UTF8 {
                if self.text.len() > i32::MAX as usize {
                    return self.fail(Error::with_code(2, "the batch's text is over 2 GiB"));
                }
                let at = mem::place(&self.text);
                if at == 0 {
                    code = 1;
                } else {
                    mem::set_u32(self.batch.at + 32 + 12, at);
                    mem::set_u32(self.batch.at + 32 + 16, self.text.len() as u32);
                }
            }
            TEXT.set(self.text);
            code
        }
    }
}
