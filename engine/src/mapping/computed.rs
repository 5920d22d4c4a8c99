//! COMPUTED: a field made by a plugin function from other fields of the same
//! record, called once per batch with whole columns. The engine knows the
//! interface only ([`ComputeFunction`], [`PluginLoader`]); the runtime (the
//! sandboxed WebAssembly of `sdg-plugins`) is handed in through
//! [`Resources`](crate::pool::Resources), so this crate stays free of it.

use super::params::Params;
use super::{BatchCtx, Columns, FieldGroup, GenError, LocalState};
use crate::issue::{Issue, Issues};
use crate::rng::StreamKey;
use arrow_array::{Array, ArrayRef};
use arrow_buffer::NullBuffer;
use arrow_schema::{DataType, Field, TimeUnit};
use serde::Deserialize;
use std::any::Any;
use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

/// The column types a plugin reads and writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum PluginType {
    /// 64-bit signed integers.
    Int64,
    /// 64-bit floats.
    Float64,
    /// Booleans.
    Bool,
    /// UTF-8 text.
    Utf8,
    /// Microseconds since the epoch, UTC.
    Timestamp,
}

impl PluginType {
    /// The Arrow type of a column of this type.
    pub fn arrow(self) -> DataType {
        match self {
            Self::Int64 => DataType::Int64,
            Self::Float64 => DataType::Float64,
            Self::Bool => DataType::Boolean,
            Self::Utf8 => DataType::Utf8,
            Self::Timestamp => DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into())),
        }
    }

    /// The plugin type an input column of `t` is handed as (None: cannot be).
    pub fn of_input(t: &DataType) -> Option<Self> {
        Some(match t {
            DataType::Int64 | DataType::Int32 | DataType::Int16 | DataType::Int8 => Self::Int64,
            DataType::UInt32 | DataType::UInt16 | DataType::UInt8 => Self::Int64,
            DataType::Float64 | DataType::Float32 => Self::Float64,
            DataType::Boolean => Self::Bool,
            DataType::Utf8 | DataType::LargeUtf8 => Self::Utf8,
            DataType::Dictionary(_, v) if matches!(**v, DataType::Utf8) => Self::Utf8,
            DataType::Timestamp(_, _) | DataType::Date32 => Self::Timestamp,
            _ => return None,
        })
    }

    /// Its name in `output:`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Int64 => "int64",
            Self::Float64 => "float64",
            Self::Bool => "bool",
            Self::Utf8 => "utf8",
            Self::Timestamp => "timestamp",
        }
    }
}

/// What a plugin loader is asked for.
#[derive(Debug, Clone)]
pub struct PluginRequest {
    /// The module file (`.wasm`, or `.wat` text), as written in `plugin:`.
    pub plugin: String,
    /// The export to call.
    pub function: String,
    /// The types of the input columns, in `inputs` order.
    pub inputs: Vec<PluginType>,
    /// The declared output type.
    pub output: PluginType,
    /// `config`, as JSON text (handed to the plugin once per instance).
    pub config: String,
    /// Fuel per row (instructions, roughly) and per batch, and the memory cap.
    pub limits: PluginLimits,
}

/// The sandbox's limits of one COMPUTED field.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PluginLimits {
    /// Fuel a call may use per row of the batch (plus `fuel_per_batch`).
    pub fuel_per_row: u64,
    /// Fuel a call may use beyond the rows'.
    pub fuel_per_batch: u64,
    /// The most linear memory an instance may grow to, in bytes.
    pub memory_bytes: usize,
}

impl Default for PluginLimits {
    fn default() -> Self {
        Self { fuel_per_row: 10_000, fuel_per_batch: 10_000_000, memory_bytes: 64 << 20 }
    }
}

/// One batch as a plugin function sees it.
#[derive(Debug)]
pub struct PluginBatch<'a> {
    /// The input columns (Arrow), in `inputs` order.
    pub inputs: &'a [ArrayRef],
    /// The global row index of each row (a plugin's random source is keyed by it).
    pub rows: &'a [u64],
    /// The field's random key.
    pub seed: u64,
}

/// A loaded plugin function: validated against its request, shared by every worker.
pub trait ComputeFunction: Send + Sync + fmt::Debug {
    /// A fresh per-worker instance (a store and its instance).
    fn new_instance(&self) -> Result<Box<dyn Any + Send>, String>;
    /// The output column for `batch`, computed by `instance` (from `new_instance`).
    fn call(&self, instance: &mut (dyn Any + Send), batch: &PluginBatch<'_>) -> Result<ArrayRef, String>;
}

/// Loads plugin functions (the sdg binary passes sdg-plugins' wasmtime loader).
pub trait PluginLoader: Send + Sync + fmt::Debug {
    /// Loads and checks `request` (exports, ABI version, signature, types).
    fn load(&self, request: &PluginRequest) -> Result<Arc<dyn ComputeFunction>, String>;
}

/// COMPUTED params.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct ComputedParams {
    /// The module: a `.wasm` file, or `.wat` text (relative to the generator file with `sdg run`, to the working directory with `sdg serve`).
    pub plugin: String,
    /// The export to call.
    pub function: String,
    /// Other fields of the same record, handed to the function as columns in this order.
    #[serde(default)]
    pub inputs: Vec<String>,
    /// int64, float64, bool, utf8 or timestamp.
    pub output: PluginType,
    /// Any JSON, handed to the plugin once per instance at load.
    pub config: Option<serde_json::Value>,
    /// Fuel a call may use per row (default 10 000).
    #[schemars(range(min = 1, max = 10_000_000))]
    pub fuel_per_row: Option<u64>,
    /// The instance's memory cap in MiB (default 64).
    #[schemars(range(min = 1, max = 2048))]
    pub memory_mb: Option<u64>,
}

pub(crate) const KEYS: &[&str] = &["plugin", "function", "inputs", "output", "config", "fuel_per_row", "memory_mb"];

/// The inputs (field positions) and declared output of a COMPUTED field, read
/// before any compiles (so computed fields can read computed fields).
pub(crate) fn declared(p: &Params<'_>, issues: &mut Issues) -> Option<(Vec<usize>, PluginType)> {
    let params: ComputedParams = p.parse(KEYS, issues)?;
    let mut inputs = Vec::with_capacity(params.inputs.len());
    let before = issues.len();
    for (k, name) in params.inputs.iter().enumerate() {
        match p.ctx.names.get(name.as_str()) {
            Some(&i) if p.ctx.fields[i].name == p.spec.name => {
                p.problem(issues, &format!("inputs[{k}]"), format!("field `{name}` cannot read itself"), None);
            }
            Some(&i) => inputs.push(i),
            None => {
                let names: Vec<&str> = p.ctx.fields.iter().map(|f| f.name.as_str()).collect();
                let hint = crate::issue::closest(name, &names).map(|c| format!("did you mean `{c}`?"));
                p.problem(issues, &format!("inputs[{k}]"), format!("there is no field `{name}`"), hint.as_deref());
            }
        }
    }
    (issues.len() == before).then_some((inputs, params.output))
}

/// Compiles a COMPUTED field once its inputs' types are known.
pub(crate) fn compile(
    index: usize,
    p: &Params<'_>,
    types: &HashMap<usize, DataType>,
    resources: &crate::pool::Resources,
    issues: &mut Issues,
) -> Option<super::CompiledGroup> {
    let params: ComputedParams = p.parse(KEYS, issues)?;
    let (inputs, output) = declared(p, &mut Issues::default())?;
    let mut kinds = Vec::with_capacity(inputs.len());
    for (k, &i) in inputs.iter().enumerate() {
        let t = types.get(&i)?;
        match PluginType::of_input(t) {
            Some(k) => kinds.push(k),
            None => p.problem(
                issues,
                &format!("inputs[{k}]"),
                format!("field `{}` is {t}, which a plugin cannot read", p.ctx.fields[i].name),
                Some("plugins read int64, float64, bool, utf8 and timestamp columns"),
            ),
        }
    }
    if kinds.len() != inputs.len() {
        return None;
    }
    let Some(loader) = resources.plugins() else {
        p.problem(
            issues,
            "plugin",
            "COMPUTED needs sdg built with the `plugins` feature (WebAssembly, wasmtime)",
            Some("cargo build --release -p sdg --features plugins (a library user passes sdg-plugins' loader to Resources::with_plugins)"),
        );
        return None;
    };
    let d = PluginLimits::default();
    if let Some(f) = params.fuel_per_row
        && !(1..=10_000_000).contains(&f)
    {
        p.problem(issues, "fuel_per_row", format!("fuel_per_row {f} is outside 1–10 000 000"), None);
        return None;
    }
    if let Some(mb) = params.memory_mb
        && !(1..=2048).contains(&mb)
    {
        p.problem(issues, "memory_mb", format!("memory_mb {mb} is outside 1–2048"), None);
        return None;
    }
    let request = PluginRequest {
        plugin: params.plugin.clone(),
        function: params.function.clone(),
        inputs: kinds,
        output,
        config: params.config.as_ref().map(ToString::to_string).unwrap_or_else(|| "null".into()),
        limits: PluginLimits {
            fuel_per_row: params.fuel_per_row.unwrap_or(d.fuel_per_row),
            fuel_per_batch: d.fuel_per_batch,
            memory_bytes: params.memory_mb.map_or(d.memory_bytes, |mb| (mb as usize) << 20),
        },
    };
    let function = match loader.load(&request) {
        Ok(f) => f,
        Err(e) => {
            issues.push(Issue::new(p.at("plugin"), e).hint("docs/PLUGINS.md says what a plugin module exports"));
            return None;
        }
    };
    let group = ComputedGroup {
        out: [index],
        inputs,
        function,
        seed: p.key.substream(0x636F_6D70),
        field: p.spec.name.clone(),
        what: format!("plugin {} function {}", params.plugin, params.function),
        output,
    };
    let field = Field::new(&p.spec.name, output.arrow(), true);
    Some(super::CompiledGroup { fields: vec![(index, field)], group: Box::new(group) })
}

/// A compiled COMPUTED field.
#[derive(Debug)]
pub(crate) struct ComputedGroup {
    out: [usize; 1],
    inputs: Vec<usize>,
    function: Arc<dyn ComputeFunction>,
    seed: StreamKey,
    field: String,
    what: String,
    output: PluginType,
}

impl FieldGroup for ComputedGroup {
    fn outputs(&self) -> &[usize] {
        &self.out
    }

    fn inputs(&self) -> &[usize] {
        &self.inputs
    }

    fn fill(
        &self,
        ctx: &BatchCtx,
        nulls: &[Option<NullBuffer>],
        columns: &mut Columns,
        local: &mut LocalState,
    ) -> Result<(), GenError> {
        // The runtime's messages name the plugin and function already.
        let err = |message: String| GenError::Mapper {
            field: self.field.clone(),
            message: if message.starts_with("plugin ") { message } else { format!("{}: {message}", self.what) },
        };
        let inputs: Vec<ArrayRef> = self
            .inputs
            .iter()
            .map(|&i| columns.get(i).cloned().ok_or(GenError::Unfilled(i)))
            .collect::<Result<_, _>>()?;
        let rows: Vec<u64> = ctx.rows.collect(|r| r);
        // The worker's instance, made at its first batch.
        if local.is_none() {
            *local = Some(self.function.new_instance().map_err(err)?);
        }
        let instance = local.as_mut().expect("made above").as_mut();
        let batch = PluginBatch { inputs: &inputs, rows: &rows, seed: self.seed.at(0) };
        let column = self.function.call(instance, &batch).map_err(err)?;
        if column.len() != rows.len() || column.data_type() != &self.output.arrow() {
            return Err(err(format!(
                "the plugin returned {} {} values for {} rows of {}",
                column.len(),
                column.data_type(),
                rows.len(),
                self.output.as_str()
            )));
        }
        columns.set(self.out[0], super::with_nulls(column, nulls.first().and_then(Option::as_ref))?);
        Ok(())
    }
}
