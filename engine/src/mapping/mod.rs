//! Field mappers: columnar generators that fill whole Arrow arrays per batch.
//!
//! The unit that fills columns is a [`FieldGroup`]. Most groups own one column
//! (every type implemented here, through [`ColumnMapper`] and [`Single`]);
//! the interface also carries what later types need without rework:
//! - groups that own several columns drawn jointly (one pool row → name, email,
//!   city; one copula draw → several correlated columns) list them in `outputs`;
//! - groups that read other columns of the same record (a WASM COMPUTED field)
//!   list them in `inputs`, and the plan runs groups in dependency order,
//!   handing each the columns already filled;
//! - read-only state shared by all workers (pools, fitted models, compiled
//!   plugin modules) is held by the group behind `Arc`s;
//! - per-worker mutable state (a wasmtime `Store`) lives in a [`LocalState`]
//!   slot that each worker creates once with [`FieldGroup::new_local`].
//!
//! A group is called once per batch through `dyn`; inside, the loops over rows
//! are monomorphic and allocation-free.

mod alias;
mod constant;
mod enum_random;
mod numeric;
mod params;
mod sequence;
mod timestamp;
mod uuid;

use crate::issue::Issues;
use crate::spec::{FieldSpec, GenerationMode, MappingType};
use arrow_array::ArrayRef;
use arrow_buffer::NullBuffer;
use arrow_schema::Field;
use std::any::Any;
use std::fmt;

pub use numeric::DECIMALS_METADATA;
pub use uuid::UUID_EXTENSION;

/// Per-worker mutable state of one group (e.g. a WASM store); `None` for most.
pub type LocalState = Option<Box<dyn Any + Send>>;

/// Where a batch sits in the run.
#[derive(Debug, Clone, Copy)]
pub struct BatchCtx {
    /// Global index of the batch's first row.
    pub start_row: u64,
    /// Rows in the batch.
    pub len: usize,
    /// Wall-clock time of the batch's first row, µs since the epoch (REALTIME clocks).
    pub wall_us: i64,
    /// Expected µs between rows at the current rate (REALTIME clocks); 0 when unpaced.
    pub row_interval_us: f64,
}

/// The columns of a batch under construction, indexed by field position.
#[derive(Debug)]
pub struct Columns {
    arrays: Vec<Option<ArrayRef>>,
}

impl Columns {
    /// Room for `n` columns, none filled.
    pub fn new(n: usize) -> Self {
        Self { arrays: vec![None; n] }
    }

    /// A column filled earlier in this batch (inputs of a dependent group).
    pub fn get(&self, field: usize) -> Option<&ArrayRef> {
        self.arrays.get(field).and_then(Option::as_ref)
    }

    /// Stores a filled column.
    pub fn set(&mut self, field: usize, array: ArrayRef) {
        self.arrays[field] = Some(array);
    }

    /// All columns, in field order; fails if a group left one unfilled.
    pub fn finish(self) -> Result<Vec<ArrayRef>, GenError> {
        self.arrays.into_iter().enumerate().map(|(i, a)| a.ok_or(GenError::Unfilled(i))).collect()
    }
}

/// A failure while generating a batch.
#[derive(Debug, thiserror::Error)]
pub enum GenError {
    /// Arrow refused an array (a bug in a mapper: the plan already validated parameters).
    #[error("arrow error: {0}")]
    Arrow(#[from] arrow_schema::ArrowError),
    /// A group did not fill one of its outputs.
    #[error("field #{0} was not filled by its mapper")]
    Unfilled(usize),
    /// A mapper failed at run time (plugins, pools).
    #[error("field `{field}`: {message}")]
    Mapper {
        /// The field's name.
        field: String,
        /// What went wrong.
        message: String,
    },
}

/// Fills one or more columns of a batch.
pub trait FieldGroup: Send + Sync + fmt::Debug {
    /// Field positions this group fills.
    fn outputs(&self) -> &[usize];
    /// Field positions this group reads; they are filled before it runs.
    fn inputs(&self) -> &[usize] {
        &[]
    }
    /// Creates this group's per-worker state.
    fn new_local(&self) -> LocalState {
        None
    }
    /// Fills the outputs for `ctx`; `nulls[i]` is the validity of `outputs()[i]`.
    fn fill(
        &self,
        ctx: &BatchCtx,
        nulls: &[Option<NullBuffer>],
        columns: &mut Columns,
        local: &mut LocalState,
    ) -> Result<(), GenError>;
}

/// Fills one column from the batch context alone.
pub trait ColumnMapper: Send + Sync + fmt::Debug + 'static {
    /// The column for `ctx`, with `nulls` as its validity.
    fn fill(&self, ctx: &BatchCtx, nulls: Option<&NullBuffer>) -> Result<ArrayRef, GenError>;
}

/// Adapts a [`ColumnMapper`] to a one-column [`FieldGroup`].
#[derive(Debug)]
pub struct Single<M> {
    out: [usize; 1],
    mapper: M,
}

impl<M: ColumnMapper> FieldGroup for Single<M> {
    fn outputs(&self) -> &[usize] {
        &self.out
    }

    fn fill(
        &self,
        ctx: &BatchCtx,
        nulls: &[Option<NullBuffer>],
        columns: &mut Columns,
        _local: &mut LocalState,
    ) -> Result<(), GenError> {
        let array = self.mapper.fill(ctx, nulls.first().and_then(Option::as_ref))?;
        columns.set(self.out[0], array);
        Ok(())
    }
}

/// What a mapper needs to know about the generator while compiling.
#[derive(Debug, Clone, Copy)]
pub struct CompileCtx {
    /// The generator seed.
    pub seed: u64,
    /// BATCH or REALTIME (decides default clocks).
    pub mode: GenerationMode,
}

/// A compiled field: its Arrow field and the group that fills it.
#[derive(Debug)]
pub struct CompiledField {
    /// Name, type and metadata of the column.
    pub field: Field,
    /// The group filling it.
    pub group: Box<dyn FieldGroup>,
}

/// Every mapping type this version builds, with the JSON Schema of its
/// `params` (derived from the struct that reads them) and whether `params`
/// is required (a type with a required parameter).
pub fn params_schemas() -> Vec<(MappingType, serde_json::Value, bool)> {
    use crate::spec::schema::of;
    let with_required = |kind, schema: serde_json::Value| {
        let required = schema.get("required").and_then(serde_json::Value::as_array).is_some_and(|r| !r.is_empty());
        (kind, schema, required)
    };
    vec![
        with_required(MappingType::UuidGenerated, of::<uuid::UuidParams>()),
        with_required(MappingType::TimestampGenerated, of::<timestamp::TimestampParams>()),
        with_required(MappingType::EnumRandom, of::<enum_random::EnumParams>()),
        with_required(MappingType::NumericRange, of::<numeric::NumericParams>()),
        with_required(MappingType::Constant, of::<constant::ConstantParams>()),
        with_required(MappingType::Sequence, of::<sequence::SequenceParams>()),
    ]
}

/// The keys each mapping type's params accept (what `params_schemas` must list).
#[cfg(test)]
fn param_keys(kind: MappingType) -> &'static [&'static str] {
    match kind {
        MappingType::UuidGenerated => uuid::KEYS,
        MappingType::TimestampGenerated => timestamp::KEYS,
        MappingType::EnumRandom => enum_random::KEYS,
        MappingType::NumericRange => numeric::KEYS,
        MappingType::Constant => constant::KEYS,
        MappingType::Sequence => sequence::KEYS,
        _ => &[],
    }
}

/// Compiles field `index`, or records why it cannot be.
pub fn compile_field(index: usize, spec: &FieldSpec, ctx: &CompileCtx, issues: &mut Issues) -> Option<CompiledField> {
    let path = format!("fields[{index}]");
    let key = crate::rng::StreamKey::for_field(ctx.seed, &spec.name);
    let p = params::Params { spec, path: &path, key, ctx };
    fn single<M: ColumnMapper>(index: usize, (field, mapper): (Field, M)) -> CompiledField {
        CompiledField { field, group: Box::new(Single { out: [index], mapper }) }
    }
    match spec.kind {
        MappingType::UuidGenerated => uuid::compile(&p, issues).map(|m| single(index, m)),
        MappingType::TimestampGenerated => timestamp::compile(&p, issues).map(|m| single(index, m)),
        MappingType::EnumRandom => enum_random::compile(&p, issues).map(|m| single(index, m)),
        MappingType::NumericRange => numeric::compile(&p, issues).map(|m| single(index, m)),
        MappingType::Constant => constant::compile(&p, issues).map(|m| single(index, m)),
        MappingType::Sequence => sequence::compile(&p, issues).map(|m| single(index, m)),
        other @ (MappingType::Computed
        | MappingType::PoolReference
        | MappingType::PoolDerived
        | MappingType::CopulaGenerated
        | MappingType::UniverseKeyReference) => {
            issues.push(
                crate::issue::Issue::new(
                    format!("{path}.type"),
                    format!(
                        "mapping type {} (field `{}`) is not yet supported by this version of sdg",
                        other.as_str(),
                        spec.name
                    ),
                )
                .hint(
                    "use UUID_GENERATED, TIMESTAMP_GENERATED, ENUM_RANDOM, NUMERIC_RANGE, CONSTANT or SEQUENCE for now",
                ),
            );
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_params_schema_lists_exactly_the_keys_its_mapper_reads() {
        for (kind, schema, _) in params_schemas() {
            let mut listed: Vec<&str> =
                schema["properties"].as_object().expect("properties").keys().map(String::as_str).collect();
            let mut read = param_keys(kind).to_vec();
            listed.sort_unstable();
            read.sort_unstable();
            assert_eq!(listed, read, "{}", kind.as_str());
            assert_eq!(schema["additionalProperties"], false, "{}: unknown keys are refused", kind.as_str());
        }
    }
}
