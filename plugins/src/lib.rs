//! COMPUTED fields' runtime: WebAssembly plugins run by wasmtime, sandboxed
//! (no imports at all: no WASI, no clock, no host calls), one call per batch
//! with whole columns in guest memory (plugin ABI 1, docs/PLUGINS.md).
//!
//! A module is compiled once per process and file version (`Loader`), its
//! exports checked against the request before any run; each worker gets its
//! own `Store` and instance (made from an `InstancePre`), with a memory cap
//! (`StoreLimits`) and fuel for every call, so a plugin that loops forever,
//! grows without bound or traps fails its field with a message — never the
//! process.

use arrow_array::cast::AsArray;
use arrow_array::types::{Float64Type, Int64Type, TimestampMicrosecondType};
use arrow_array::{Array, ArrayRef, BooleanArray, Float64Array, Int64Array, StringArray, TimestampMicrosecondArray};
use arrow_buffer::{BooleanBuffer, Buffer, NullBuffer, OffsetBuffer, ScalarBuffer};
use arrow_schema::DataType;
use sdg_engine::mapping::computed::{ComputeFunction, PluginBatch, PluginLoader, PluginRequest, PluginType};
use std::any::Any;
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use wasmtime::{
    Config, Engine, ExternType, InstancePre, Linker, Memory, Module, Store, StoreLimits, StoreLimitsBuilder, Trap,
    TypedFunc, ValType,
};

/// The plugin ABI this host speaks.
pub const ABI_VERSION: i32 = 1;

/// The largest module file read (a plugin is kilobytes; this bounds a wrong path).
const MAX_MODULE_BYTES: u64 = 64 << 20;

/// Bytes of the batch descriptor.
const BATCH_BYTES: usize = 72;
/// Bytes of a column descriptor.
const COLUMN_BYTES: usize = 24;

/// The type codes of column descriptors.
fn code(t: PluginType) -> u32 {
    match t {
        PluginType::Int64 => 1,
        PluginType::Float64 => 2,
        PluginType::Bool => 3,
        PluginType::Utf8 => 4,
        PluginType::Timestamp => 5,
    }
}

/// A module file as of one version: path, modification time, length.
type FileVersion = (PathBuf, Option<std::time::SystemTime>, u64);

/// Loads plugin modules (compiled once per file version) for COMPUTED fields.
pub struct Loader {
    engine: Engine,
    modules: Mutex<HashMap<FileVersion, Module>>,
}

impl std::fmt::Debug for Loader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Loader").finish_non_exhaustive()
    }
}

impl Loader {
    /// A loader with its own wasmtime engine (fuel metering on).
    pub fn new() -> anyhow::Result<Self> {
        let mut config = Config::new();
        config.consume_fuel(true);
        config.cranelift_opt_level(wasmtime::OptLevel::Speed);
        let engine = Engine::new(&config).map_err(|e| anyhow::anyhow!("starting wasmtime: {e}"))?;
        Ok(Self { engine, modules: Mutex::new(HashMap::new()) })
    }

    fn module(&self, path: &str) -> Result<Module, String> {
        let p = PathBuf::from(path);
        let meta = std::fs::metadata(&p).map_err(|e| format!("plugin {path}: {e}"))?;
        if !meta.is_file() {
            return Err(format!("plugin {path} is not a regular file"));
        }
        if meta.len() > MAX_MODULE_BYTES {
            return Err(format!(
                "plugin {path} has {} bytes; a module may have at most {MAX_MODULE_BYTES}",
                meta.len()
            ));
        }
        let key = (p.clone(), meta.modified().ok(), meta.len());
        if let Some(m) = self.modules.lock().map_err(|_| "the module cache is poisoned".to_string())?.get(&key) {
            return Ok(m.clone());
        }
        let bytes = std::fs::read(&p).map_err(|e| format!("plugin {path}: {e}"))?;
        // .wasm bytes, or WAT text (whose parse errors help its author; the
        // text of any other file is not echoed back).
        let module = Module::new(&self.engine, &bytes).map_err(|e| {
            if path.ends_with(".wat") || bytes.starts_with(b"\0asm") {
                format!("plugin {path} is not a valid module: {e:#}")
            } else {
                format!("plugin {path} is not a WebAssembly module (nor WAT text)")
            }
        })?;
        self.modules.lock().map_err(|_| "the module cache is poisoned".to_string())?.insert(key, module.clone());
        Ok(module)
    }
}

/// What a store holds: its limits.
struct Data {
    limits: StoreLimits,
}

/// A loaded, checked plugin function.
struct Function {
    engine: Engine,
    pre: InstancePre<Data>,
    request: PluginRequest,
    has_init: bool,
}

impl std::fmt::Debug for Function {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Function")
            .field("plugin", &self.request.plugin)
            .field("function", &self.request.function)
            .finish()
    }
}

/// One worker's instance.
struct Instance {
    store: Store<Data>,
    memory: Memory,
    alloc: TypedFunc<(i32, i32), i32>,
    reset: TypedFunc<(), ()>,
    func: TypedFunc<i32, i32>,
}

fn signature(params: &[ValType], results: &[ValType]) -> String {
    let list = |v: &[ValType]| v.iter().map(|t| t.to_string()).collect::<Vec<_>>().join(", ");
    format!("({}) -> ({})", list(params), list(results))
}

impl PluginLoader for Loader {
    fn load(&self, request: &PluginRequest) -> Result<Arc<dyn ComputeFunction>, String> {
        let module = self.module(&request.plugin)?;
        let path = &request.plugin;
        if let Some(i) = module.imports().next() {
            return Err(format!(
                "plugin {path} imports {}.{}: plugins run sandboxed, with no imports (no WASI, no host functions); build it with -nostdlib and no libc",
                i.module(),
                i.name()
            ));
        }
        let exports: HashMap<String, ExternType> = module.exports().map(|e| (e.name().to_string(), e.ty())).collect();
        let func_names: Vec<&str> = exports
            .iter()
            .filter(|(_, t)| matches!(t, ExternType::Func(_)))
            .map(|(n, _)| n.as_str())
            .filter(|n| !n.starts_with("sdg_"))
            .collect();
        let want = |name: &str, params: &[ValType], results: &[ValType], required: bool| -> Result<bool, String> {
            match exports.get(name) {
                Some(ExternType::Func(f)) => {
                    let (p, r): (Vec<ValType>, Vec<ValType>) = (f.params().collect(), f.results().collect());
                    let same = p.len() == params.len()
                        && r.len() == results.len()
                        && p.iter().zip(params).all(|(a, b)| ValType::eq(a, b))
                        && r.iter().zip(results).all(|(a, b)| ValType::eq(a, b));
                    if same {
                        Ok(true)
                    } else {
                        Err(format!(
                            "plugin {path}: export `{name}` is {}, ABI {ABI_VERSION} wants {}",
                            signature(&p, &r),
                            signature(params, results)
                        ))
                    }
                }
                Some(_) => Err(format!("plugin {path}: export `{name}` is not a function")),
                None if required => {
                    let mut msg = format!("plugin {path} does not export `{name}`");
                    if name == request.function {
                        let hint = closest(name, &func_names)
                            .map(|c| format!(" — did you mean `{c}`?"))
                            .unwrap_or_else(|| format!(" (its functions: {})", func_names.join(", ")));
                        msg.push_str(&hint);
                    } else {
                        msg.push_str(&format!(
                            " (ABI {ABI_VERSION}: memory, sdg_abi_version, sdg_alloc, sdg_reset and the function; docs/PLUGINS.md)"
                        ));
                    }
                    Err(msg)
                }
                None => Ok(false),
            }
        };
        if !matches!(exports.get("memory"), Some(ExternType::Memory(_))) {
            return Err(format!("plugin {path} does not export its `memory` (ABI {ABI_VERSION}; docs/PLUGINS.md)"));
        }
        const I: ValType = ValType::I32;
        want("sdg_abi_version", &[], &[I], true)?;
        want("sdg_alloc", &[I, I], &[I], true)?;
        want("sdg_reset", &[], &[], true)?;
        want(&request.function, &[I], &[I], true)?;
        let has_init = want("sdg_init", &[I, I], &[I], false)?;
        let type_export = format!("sdg_type_{}", request.function);
        let has_type = want(&type_export, &[], &[I], false)?;
        let linker: Linker<Data> = Linker::new(&self.engine);
        let pre = linker.instantiate_pre(&module).map_err(|e| format!("plugin {path}: {e:#}"))?;
        let f = Function { engine: self.engine.clone(), pre, request: request.clone(), has_init };
        // A probe instance: the ABI version, the declared type, the config.
        let mut probe = f.instance_raw()?;
        let version =
            probe.call0::<i32>("sdg_abi_version").map_err(|e| format!("plugin {path}: sdg_abi_version failed: {e}"))?;
        if version != ABI_VERSION {
            return Err(format!(
                "plugin {path} speaks plugin ABI {version}; this sdg speaks ABI {ABI_VERSION} — rebuild it with the SDK of this version"
            ));
        }
        if has_type {
            let t =
                probe.call0::<i32>(&type_export).map_err(|e| format!("plugin {path}: {type_export} failed: {e}"))?;
            if t as u32 != code(request.output) {
                return Err(format!(
                    "plugin {path}: `{}` returns type code {t}, but the field declares output: {} (code {})",
                    request.function,
                    request.output.as_str(),
                    code(request.output)
                ));
            }
        }
        f.init(&mut probe)?;
        Ok(Arc::new(f))
    }
}

/// The closest of `names` to `name`, when close enough to suggest.
fn closest<'a>(name: &str, names: &[&'a str]) -> Option<&'a str> {
    sdg_engine::issue::closest(name, names)
}

/// A raw instance (before the typed functions are taken), for the probe.
struct Raw {
    store: Store<Data>,
    instance: wasmtime::Instance,
}

impl Raw {
    fn call0<R: wasmtime::WasmResults>(&mut self, name: &str) -> wasmtime::Result<R> {
        self.store.set_fuel(1_000_000)?;
        let f = self.instance.get_typed_func::<(), R>(&mut self.store, name)?;
        f.call(&mut self.store, ())
    }
}

impl Function {
    fn what(&self) -> String {
        format!("plugin {} function {}", self.request.plugin, self.request.function)
    }

    fn instance_raw(&self) -> Result<Raw, String> {
        let limits = StoreLimitsBuilder::new()
            .memory_size(self.request.limits.memory_bytes)
            .instances(1)
            .tables(4)
            // A table is host memory wasmtime allocates: bounded like linear memory.
            .table_elements(10_000)
            .memories(1)
            .build();
        let mut store = Store::new(&self.engine, Data { limits });
        store.limiter(|d| &mut d.limits);
        store.set_fuel(self.request.limits.fuel_per_batch).map_err(|e| e.to_string())?;
        let instance =
            self.pre.instantiate(&mut store).map_err(|e| format!("{}: instantiating: {e:#}", self.what()))?;
        Ok(Raw { store, instance })
    }

    /// Hands `config` to `sdg_init` (when the module has it).
    fn init(&self, raw: &mut Raw) -> Result<(), String> {
        if !self.has_init {
            return Ok(());
        }
        let config = self.request.config.as_bytes();
        let store = &mut raw.store;
        let alloc =
            raw.instance.get_typed_func::<(i32, i32), i32>(&mut *store, "sdg_alloc").map_err(|e| e.to_string())?;
        let memory = raw.instance.get_memory(&mut *store, "memory").ok_or("no memory")?;
        store.set_fuel(self.request.limits.fuel_per_batch).map_err(|e| e.to_string())?;
        let ptr = alloc.call(&mut *store, (config.len() as i32, 1)).map_err(|e| trap(&self.what(), "sdg_alloc", &e))?;
        if ptr == 0 && !config.is_empty() {
            return Err(format!("{}: sdg_alloc could not place the config ({} bytes)", self.what(), config.len()));
        }
        memory
            .write(&mut *store, ptr as usize, config)
            .map_err(|e| format!("{}: writing the config: {e}", self.what()))?;
        let init =
            raw.instance.get_typed_func::<(i32, i32), i32>(&mut *store, "sdg_init").map_err(|e| e.to_string())?;
        let rc = init.call(&mut *store, (ptr, config.len() as i32)).map_err(|e| trap(&self.what(), "sdg_init", &e))?;
        if rc != 0 {
            return Err(format!("{}: sdg_init refused the config {} (code {rc})", self.what(), self.request.config));
        }
        Ok(())
    }
}

/// A trap or error of a call, in words.
fn trap(what: &str, export: &str, e: &wasmtime::Error) -> String {
    match e.downcast_ref::<Trap>() {
        Some(Trap::OutOfFuel) => {
            format!("{what}: `{export}` ran out of fuel (an endless loop, or more work a row than fuel_per_row allows)")
        }
        Some(t) => format!("{what}: `{export}` trapped: {t}"),
        None => format!("{what}: `{export}` failed: {e:#}"),
    }
}

impl ComputeFunction for Function {
    fn new_instance(&self) -> Result<Box<dyn Any + Send>, String> {
        let mut raw = self.instance_raw()?;
        self.init(&mut raw)?;
        let Raw { mut store, instance } = raw;
        let e = |x: wasmtime::Error| x.to_string();
        let alloc = instance.get_typed_func::<(i32, i32), i32>(&mut store, "sdg_alloc").map_err(e)?;
        let reset = instance.get_typed_func::<(), ()>(&mut store, "sdg_reset").map_err(e)?;
        let func = instance.get_typed_func::<i32, i32>(&mut store, &self.request.function).map_err(e)?;
        let memory = instance.get_memory(&mut store, "memory").ok_or("the module has no memory")?;
        Ok(Box::new(Instance { store, memory, alloc, reset, func }))
    }

    fn call(&self, instance: &mut (dyn Any + Send), batch: &PluginBatch<'_>) -> Result<ArrayRef, String> {
        let inst = instance.downcast_mut::<Instance>().ok_or("not an instance of this plugin")?;
        let what = self.what();
        let n = batch.rows.len();
        let limits = self.request.limits;
        inst.store
            .set_fuel(limits.fuel_per_batch.saturating_add(limits.fuel_per_row.saturating_mul(n as u64)))
            .map_err(|e| e.to_string())?;
        inst.reset.call(&mut inst.store, ()).map_err(|e| trap(&what, "sdg_reset", &e))?;
        let mut w = Writer { inst, what: &what };
        // Row indices.
        let rows: Vec<u8> = batch.rows.iter().flat_map(|r| r.to_le_bytes()).collect();
        let rows_ptr = w.put(&rows, 8)?;
        // Input columns, then their descriptors.
        let mut descriptors = Vec::with_capacity(COLUMN_BYTES * batch.inputs.len());
        for (column, t) in batch.inputs.iter().zip(&self.request.inputs) {
            descriptors.extend_from_slice(&w.input(column, *t, n)?);
        }
        let inputs_ptr = w.put(&descriptors, 8)?;
        // The output: the host places fixed-width values and the validity (all valid).
        let out_t = self.request.output;
        let bitmap = n.div_ceil(8).max(1);
        let validity_ptr = w.put(&vec![0xFF; bitmap], 8)?;
        let values_len = match out_t {
            PluginType::Bool => bitmap,
            PluginType::Utf8 => 4 * (n + 1),
            _ => 8 * n.max(1),
        };
        let values_ptr = w.put(&vec![0; values_len], 8)?;
        let mut header = Vec::with_capacity(BATCH_BYTES);
        header.extend_from_slice(&(ABI_VERSION as u32).to_le_bytes());
        header.extend_from_slice(&(n as u32).to_le_bytes());
        header.extend_from_slice(&batch.rows.first().copied().unwrap_or(0).to_le_bytes());
        header.extend_from_slice(&batch.seed.to_le_bytes());
        header.extend_from_slice(&(batch.inputs.len() as u32).to_le_bytes());
        header.extend_from_slice(&inputs_ptr.to_le_bytes());
        // The output descriptor (data and data_len are the guest's to set for utf8).
        for v in [code(out_t), validity_ptr, values_ptr, 0, 0, 0] {
            header.extend_from_slice(&v.to_le_bytes());
        }
        // The error message (pointer, length: the guest's), the row indices, reserved.
        for v in [0, 0, rows_ptr, 0] {
            header.extend_from_slice(&v.to_le_bytes());
        }
        let batch_ptr = w.put(&header, 8)?;
        let rc =
            inst.func.call(&mut inst.store, batch_ptr as i32).map_err(|e| trap(&what, &self.request.function, &e))?;
        let mem = inst.memory.data(&inst.store);
        let word = |at: usize| -> Result<u32, String> {
            let b = slice(mem, at, 4, &what)?;
            Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
        };
        let base = batch_ptr as usize;
        if rc != 0 {
            let (ptr, len) = (word(base + 56)? as usize, word(base + 60)? as usize);
            let message = slice(mem, ptr, len.min(4096), &what)
                .ok()
                .filter(|_| len > 0)
                .map(|b| format!(": {}", String::from_utf8_lossy(b)))
                .unwrap_or_default();
            return Err(format!("{what}: `{}` returned error code {rc}{message}", self.request.function));
        }
        // The output descriptor as the guest left it.
        let (validity, values) = (word(base + 36)? as usize, word(base + 40)? as usize);
        let nulls = if validity == 0 {
            None
        } else {
            let bits = slice(mem, validity, n.div_ceil(8), &what)?;
            let b = BooleanBuffer::new(Buffer::from(bits.to_vec()), 0, n);
            Some(NullBuffer::new(b)).filter(|nb| nb.null_count() > 0)
        };
        let fixed = |width: usize| slice(mem, values, width * n, &what);
        let array: ArrayRef = match out_t {
            PluginType::Int64 | PluginType::Timestamp | PluginType::Float64 => {
                let bytes = fixed(8)?;
                let v: Vec<u64> =
                    bytes.chunks_exact(8).map(|c| u64::from_le_bytes(c.try_into().unwrap_or([0; 8]))).collect();
                match out_t {
                    PluginType::Int64 => Arc::new(Int64Array::new(v.iter().map(|&x| x as i64).collect(), nulls)),
                    PluginType::Float64 => {
                        Arc::new(Float64Array::new(v.iter().map(|&x| f64::from_bits(x)).collect(), nulls))
                    }
                    _ => Arc::new(
                        TimestampMicrosecondArray::new(v.iter().map(|&x| x as i64).collect(), nulls)
                            .with_timezone("UTC"),
                    ),
                }
            }
            PluginType::Bool => {
                let bits = slice(mem, values, n.div_ceil(8), &what)?;
                Arc::new(BooleanArray::new(BooleanBuffer::new(Buffer::from(bits.to_vec()), 0, n), nulls))
            }
            PluginType::Utf8 => {
                let raw = slice(mem, values, 4 * (n + 1), &what)?;
                let offsets: Vec<i32> =
                    raw.chunks_exact(4).map(|c| i32::from_le_bytes(c.try_into().unwrap_or([0; 4]))).collect();
                let (data, data_len) = (word(base + 44)? as usize, word(base + 48)? as usize);
                if offsets[0] != 0 || offsets.windows(2).any(|w| w[1] < w[0]) || offsets[n] as usize > data_len {
                    return Err(format!(
                        "{what}: the output offsets are not 0 ≤ o[0] ≤ … ≤ o[n] = at most data_len ({data_len}): o[0] = {}, o[n] = {}",
                        offsets[0], offsets[n]
                    ));
                }
                let bytes = slice(mem, data, offsets[n] as usize, &what)?;
                let a = StringArray::try_new(
                    OffsetBuffer::new(ScalarBuffer::from(offsets)),
                    Buffer::from(bytes.to_vec()),
                    nulls,
                )
                .map_err(|e| format!("{what}: the output text is not valid: {e}"))?;
                Arc::new(a)
            }
        };
        Ok(array)
    }
}

/// `len` bytes of `mem` at `at`, or the error of a guest pointer out of bounds.
fn slice<'a>(mem: &'a [u8], at: usize, len: usize, what: &str) -> Result<&'a [u8], String> {
    at.checked_add(len).and_then(|end| mem.get(at..end)).ok_or_else(|| {
        format!(
            "{what}: the output points outside the module's memory ({len} bytes at {at}, memory {} bytes)",
            mem.len()
        )
    })
}

/// Places host data in guest memory through the guest's allocator.
struct Writer<'a> {
    inst: &'a mut Instance,
    what: &'a str,
}

impl Writer<'_> {
    fn put(&mut self, bytes: &[u8], align: i32) -> Result<u32, String> {
        let ptr = self
            .inst
            .alloc
            .call(&mut self.inst.store, (bytes.len().max(1) as i32, align))
            .map_err(|e| trap(self.what, "sdg_alloc", &e))?;
        if ptr as u32 == 0 {
            return Err(format!(
                "{}: sdg_alloc could not place {} bytes (the memory cap, memory_mb, or the module's own allocator)",
                self.what,
                bytes.len()
            ));
        }
        self.inst
            .memory
            .write(&mut self.inst.store, ptr as u32 as usize, bytes)
            .map_err(|e| format!("{}: sdg_alloc gave {}, outside its memory: {e}", self.what, ptr as u32))?;
        Ok(ptr as u32)
    }

    /// Places one input column; its 24-byte descriptor.
    fn input(&mut self, column: &ArrayRef, t: PluginType, n: usize) -> Result<[u8; COLUMN_BYTES], String> {
        let target = match t {
            PluginType::Int64 => DataType::Int64,
            PluginType::Float64 => DataType::Float64,
            PluginType::Bool => DataType::Boolean,
            PluginType::Utf8 => DataType::Utf8,
            PluginType::Timestamp => DataType::Timestamp(arrow_schema::TimeUnit::Microsecond, None),
        };
        let c =
            arrow_cast::cast(column, &target).map_err(|e| format!("{}: an input as {}: {e}", self.what, t.as_str()))?;
        let validity = match c.nulls().filter(|nb| nb.null_count() > 0) {
            None => 0,
            Some(nb) => {
                let mut bits = vec![0u8; n.div_ceil(8)];
                for i in (0..n).filter(|&i| nb.is_valid(i)) {
                    bits[i / 8] |= 1 << (i % 8);
                }
                self.put(&bits, 8)?
            }
        };
        let (values, data, data_len) = match t {
            PluginType::Int64 => {
                let v: Vec<u8> = c.as_primitive::<Int64Type>().values().iter().flat_map(|x| x.to_le_bytes()).collect();
                (self.put(&v, 8)?, 0, 0)
            }
            PluginType::Timestamp => {
                let v: Vec<u8> = c
                    .as_primitive::<TimestampMicrosecondType>()
                    .values()
                    .iter()
                    .flat_map(|x| x.to_le_bytes())
                    .collect();
                (self.put(&v, 8)?, 0, 0)
            }
            PluginType::Float64 => {
                let v: Vec<u8> =
                    c.as_primitive::<Float64Type>().values().iter().flat_map(|x| x.to_le_bytes()).collect();
                (self.put(&v, 8)?, 0, 0)
            }
            PluginType::Bool => {
                let b = c.as_boolean();
                let mut bits = vec![0u8; n.div_ceil(8)];
                for i in (0..n).filter(|&i| b.value(i)) {
                    bits[i / 8] |= 1 << (i % 8);
                }
                (self.put(&bits, 8)?, 0, 0)
            }
            PluginType::Utf8 => {
                let s = c.as_string::<i32>();
                let first = s.value_offsets()[0];
                let offsets: Vec<u8> = s.value_offsets().iter().flat_map(|o| (o - first).to_le_bytes()).collect();
                let end = s.value_offsets()[n] as usize;
                let bytes = &s.values()[first as usize..end];
                let data = self.put(bytes, 1)?;
                (self.put(&offsets, 8)?, data, bytes.len() as u32)
            }
        };
        let mut d = [0u8; COLUMN_BYTES];
        for (k, v) in [code(t), validity, values, data, data_len, 0].into_iter().enumerate() {
            d[4 * k..4 * k + 4].copy_from_slice(&v.to_le_bytes());
        }
        Ok(d)
    }
}

/// The loader of this process (one wasmtime engine and module cache, shared
/// by every compile: `sdg run`, `sdg serve`).
pub fn shared() -> anyhow::Result<Arc<dyn PluginLoader>> {
    static LOADER: std::sync::OnceLock<Result<Arc<Loader>, String>> = std::sync::OnceLock::new();
    match LOADER.get_or_init(|| Loader::new().map(Arc::new).map_err(|e| e.to_string())) {
        Ok(l) => Ok(Arc::clone(l) as Arc<dyn PluginLoader>),
        Err(e) => anyhow::bail!("{e}"),
    }
}
