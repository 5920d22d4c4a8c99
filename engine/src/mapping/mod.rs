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

pub(crate) mod alias;
pub(crate) mod blank;
pub mod computed;
mod constant;
pub(crate) mod copula;
mod enum_random;
mod numeric;
pub(crate) mod params;
mod pool_lookup;
mod pool_pick;
mod sequence;
pub(crate) mod state_machine;
mod timestamp;
pub(crate) mod universe_ref;
mod uuid;

use crate::issue::{Issue, Issues};
use crate::pool::{Pool, PoolEntry, Resolved, Resources};
use crate::spec::{FieldSpec, GenerationMode, MappingType};
use arrow_array::ArrayRef;
use arrow_buffer::NullBuffer;
use arrow_schema::{DataType, Field};
use std::any::Any;
use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

pub use numeric::DECIMALS_METADATA;
pub use uuid::UUID_EXTENSION;

/// Per-worker mutable state of one group (e.g. a WASM store); `None` for most.
pub type LocalState = Option<Box<dyn Any + Send>>;

/// The rows a batch holds: a contiguous range (runs, previews, shards) or
/// any sorted or unsorted list of row indices (the rows a child references,
/// the rows a lookup reproduces). Mappers fill either through the same code;
/// `collect` and `for_each` match once, so a range keeps its tight loop.
#[derive(Debug, Clone, Copy)]
pub enum Rows<'a> {
    /// Rows `start .. start + len`.
    Range {
        /// The first row.
        start: u64,
        /// How many rows.
        len: usize,
    },
    /// These rows, in this order.
    List(&'a [u64]),
}

impl<'a> Rows<'a> {
    /// Rows in the batch.
    #[inline]
    pub fn len(&self) -> usize {
        match self {
            Self::Range { len, .. } => *len,
            Self::List(l) => l.len(),
        }
    }

    /// True when the batch has no rows.
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The global index of the `i`-th row of the batch.
    #[inline(always)]
    pub fn get(&self, i: usize) -> u64 {
        match self {
            Self::Range { start, .. } => start + i as u64,
            Self::List(l) => l[i],
        }
    }

    /// `f(row)` for every row, collected (one loop per shape, no per-row branch).
    #[inline]
    pub fn collect<T, C: FromIterator<T>>(&self, f: impl FnMut(u64) -> T) -> C {
        match *self {
            Self::Range { start, len } => (start..start + len as u64).map(f).collect(),
            Self::List(l) => l.iter().copied().map(f).collect(),
        }
    }

    /// `f(position, row)` for every row, collected.
    #[inline]
    pub fn collect_indexed<T, C: FromIterator<T>>(&self, mut f: impl FnMut(usize, u64) -> T) -> C {
        match *self {
            Self::Range { start, len } => (0..len).map(|i| f(i, start + i as u64)).collect(),
            Self::List(l) => l.iter().enumerate().map(|(i, &r)| f(i, r)).collect(),
        }
    }

    /// The rows, in batch order.
    pub fn iter(&self) -> impl Iterator<Item = u64> + 'a {
        let this = *self;
        (0..this.len()).map(move |i| this.get(i))
    }
}

/// Where a batch sits in the run.
#[derive(Debug, Clone, Copy)]
pub struct BatchCtx<'a> {
    /// The rows to fill.
    pub rows: Rows<'a>,
    /// Wall-clock time of the batch's first row, µs since the epoch (REALTIME clocks).
    pub wall_us: i64,
    /// Expected µs between rows at the current rate (REALTIME clocks); 0 when unpaced.
    pub row_interval_us: f64,
    /// The version of each pool of the plan this batch reads (by the plan's
    /// pool slot): taken once per batch, so a refresh never splits a batch.
    pub pools: &'a [Arc<Pool>],
    /// The row `wall_us` is the time of: a wall clock stamps row r with
    /// `wall_us + (r − clock_row) × row_interval_us` (a late row of a
    /// disordered batch keeps its event time). None: by position in the batch.
    pub clock_row: Option<u64>,
}

impl BatchCtx<'static> {
    /// A batch of the rows `start .. start + len`.
    pub fn range(start: u64, len: usize, wall_us: i64, row_interval_us: f64) -> Self {
        Self { rows: Rows::Range { start, len }, wall_us, row_interval_us, pools: &[], clock_row: Some(start) }
    }
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

    /// Takes a filled column out.
    pub fn take(&mut self, field: usize) -> Option<ArrayRef> {
        self.arrays.get_mut(field).and_then(Option::take)
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
    /// The group's null rule: when true, a null in its first output (the
    /// draw: a pool pick) nulls the same row of every other output, on top
    /// of their own `null_ratio`s. The plan applies it before `fill`.
    fn nulls_follow_first(&self) -> bool {
        false
    }
    /// Creates this group's per-worker state.
    fn new_local(&self) -> LocalState {
        None
    }
    /// Whether a row's values are a function of (seed, row) alone, so any
    /// row can be made again later (a universe child recomputing a parent's
    /// key): not so for wall clocks, or for references whose parent grows.
    fn reproducible(&self) -> bool {
        true
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
    /// See [`FieldGroup::reproducible`].
    fn reproducible(&self) -> bool {
        true
    }
}

/// `column` with `extra` nulls on top of its own: the field's own
/// `null_ratio` over a column a group took from elsewhere (a parent's
/// recomputed key, a plugin's output).
pub(crate) fn with_nulls(column: ArrayRef, extra: Option<&NullBuffer>) -> Result<ArrayRef, GenError> {
    let Some(extra) = extra else { return Ok(column) };
    let nulls = NullBuffer::union(column.nulls(), Some(extra));
    Ok(arrow_array::make_array(column.to_data().into_builder().nulls(nulls).build()?))
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

    fn reproducible(&self) -> bool {
        self.mapper.reproducible()
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

/// What mappers see of the generator while compiling.
#[derive(Debug, Clone, Copy)]
pub struct CompileCtx<'a> {
    /// The generator seed.
    pub seed: u64,
    /// BATCH or REALTIME (decides default clocks).
    pub mode: GenerationMode,
    /// Every field of the definition.
    pub fields: &'a [FieldSpec],
    /// Field name → position.
    pub names: &'a HashMap<String, usize>,
    /// The generator's default locale (CATALOG fields).
    pub locale: &'a str,
    /// When the generator ends (a universe reference spreads its children by the row count).
    pub end_condition: &'a crate::spec::EndCondition,
    /// The copulas the definition declares (COPULA_GENERATED fields).
    pub copulas: &'a [crate::copula::CopulaSpec],
    /// The rate, when it is a profile (it shapes BATCH mode's simulated time).
    pub rate: Option<&'a crate::spec::rate::Rate>,
    /// How far behind its place a row may be emitted (`disorder:`), in rows.
    pub lag_rows: u64,
}

/// The pools a plan reads, by slot: resolved while compiling (declared by
/// the definition, else taken from the shared [`Resources`]).
pub struct PoolScope<'a> {
    resources: &'a Resources,
    declared: HashMap<String, Result<Resolved, String>>,
    slots: Vec<(Arc<PoolEntry>, Arc<Pool>)>,
}

impl fmt::Debug for PoolScope<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PoolScope").field("slots", &self.slots.len()).finish()
    }
}

impl<'a> PoolScope<'a> {
    /// Declares the definition's own pools (`pools:`) and resolves every
    /// other name through `resources`. Load failures are reported at `pools[i]`.
    pub fn new(spec: &crate::spec::GeneratorSpec, resources: &'a Resources, issues: &mut Issues) -> Self {
        let mut declared = HashMap::new();
        for (i, p) in spec.pools.iter().enumerate() {
            if declared.contains_key(&p.name) {
                issues.push(
                    Issue::new(format!("pools[{i}].name"), format!("duplicate pool name `{}`", p.name))
                        .hint("every pool needs its own name"),
                );
                continue;
            }
            let r = resources.declare(p, &spec.name);
            if let Err(e) = &r {
                issues.push(Issue::new(format!("pools[{i}]"), e.clone()).hint(load_hint(p)));
            }
            declared.insert(p.name.clone(), r);
        }
        Self { resources, declared, slots: Vec::new() }
    }

    /// The slot and compile-time version of pool `name`, or an issue at `path`.
    pub(crate) fn slot(&mut self, name: &str, path: &str, issues: &mut Issues) -> Option<(usize, Arc<Pool>)> {
        let found = match self.declared.get(name) {
            Some(Ok(r)) => Ok(r.clone()),
            // Already reported at pools[i].
            Some(Err(_)) => return None,
            None => match self.resources.resolve(name) {
                Some(r) => r,
                None => {
                    let mut known: Vec<String> = self.declared.keys().cloned().collect();
                    known.extend(self.resources.names());
                    known.sort();
                    known.dedup();
                    let refs: Vec<&str> = known.iter().map(String::as_str).collect();
                    let mut issue = Issue::new(path, format!("unknown pool `{name}`"));
                    issue = match crate::issue::closest(name, &refs) {
                        Some(c) => issue.hint(format!("did you mean `{c}`?")),
                        None if refs.is_empty() => issue.hint(
                            "declare it under `pools:` in the definition, or load it with --pool FILE (sdg run) or --pools DIR (sdg serve)",
                        ),
                        None => issue.hint(format!("known pools: {}", refs.join(", "))),
                    };
                    issues.push(issue);
                    return None;
                }
            },
        };
        match found {
            Ok((entry, pool)) => {
                if let Some(i) = self.slots.iter().position(|(e, _)| Arc::ptr_eq(e, &entry)) {
                    return Some((i, Arc::clone(&self.slots[i].1)));
                }
                self.slots.push((entry, Arc::clone(&pool)));
                Some((self.slots.len() - 1, pool))
            }
            Err(e) => {
                issues.push(
                    Issue::new(path, e)
                        .hint("fix the pool's source, then refresh it (POST /api/v1/pools/{name}/refresh)"),
                );
                None
            }
        }
    }

    /// The shared registry (universe parents are read from it too).
    pub fn resources(&self) -> &Resources {
        self.resources
    }

    /// The entries and compile-time versions, by slot.
    pub fn into_slots(self) -> Vec<(Arc<PoolEntry>, Arc<Pool>)> {
        self.slots
    }
}

fn load_hint(p: &crate::pool::PoolSpec) -> String {
    match &p.source {
        crate::pool::PoolSource::File { .. } => {
            "check that the file exists and is readable; relative paths are relative to the file declaring the pool"
                .into()
        }
        crate::pool::PoolSource::Postgres { .. } => "check the URL, that the server is up, and the query".into(),
        crate::pool::PoolSource::Inline { .. } => "check the inline columns".into(),
    }
}

/// A compiled group: the Arrow fields of its outputs and the group filling them.
#[derive(Debug)]
pub struct CompiledGroup {
    /// (field position, Arrow field) of every output.
    pub fields: Vec<(usize, Field)>,
    /// The group filling them.
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
        with_required(MappingType::PoolReference, of::<pool_pick::ReferenceParams>()),
        (MappingType::PoolDerived, of::<pool_pick::DerivedParams>(), true),
        with_required(MappingType::Catalog, of::<crate::catalog::CatalogParams>()),
        with_required(MappingType::UniverseKeyReference, of::<universe_ref::UniverseParams>()),
        with_required(MappingType::Computed, of::<computed::ComputedParams>()),
        with_required(MappingType::CopulaGenerated, of::<copula::CopulaParams>()),
        (MappingType::StateMachine, of::<state_machine::SchemaParams>(), true),
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
        MappingType::PoolReference => pool_pick::REFERENCE_KEYS,
        MappingType::PoolDerived => pool_pick::DERIVED_KEYS,
        MappingType::Catalog => crate::catalog::KEYS,
        MappingType::UniverseKeyReference => universe_ref::KEYS,
        MappingType::Computed => computed::KEYS,
        MappingType::CopulaGenerated => copula::KEYS,
        MappingType::StateMachine => state_machine::KEYS,
    }
}

/// Compiles every field into groups: the grouping pass puts a POOL_REFERENCE
/// and the POOL_DERIVED fields reading its pick into one group (one draw,
/// several columns), and the lookups into one pool by one key field into
/// another; every other field is a group of its own. Lookups compile last,
/// once the types of the fields they read are known.
pub fn compile_groups(ctx: &CompileCtx, pools: &mut PoolScope, issues: &mut Issues) -> Vec<CompiledGroup> {
    let fields = ctx.fields;
    let mut out = Vec::with_capacity(fields.len());
    let mut types: HashMap<usize, DataType> = HashMap::new();
    // Same-row derived fields by the pick they read.
    let mut derived_of: HashMap<usize, Vec<usize>> = HashMap::new();
    let mut lookups = Vec::new();
    // Catalog fields drawn from data, by (entity, locale): one draw per group and row.
    // (field, kind, fallback) by (entity, locale).
    type Members = Vec<(usize, &'static str, Option<String>)>;
    let mut entities: std::collections::BTreeMap<(String, String), Members> = std::collections::BTreeMap::new();
    for (i, f) in fields.iter().enumerate() {
        if f.kind == MappingType::Catalog
            && let Some((kind, entity, locale, fallback)) = crate::catalog::entity_key(f, ctx.locale)
        {
            entities.entry((entity, locale)).or_default().push((i, kind, fallback));
        }
    }
    let entity_of: HashMap<usize, (String, String)> =
        entities.iter().flat_map(|(k, ms)| ms.iter().map(move |(i, _, _)| (*i, k.clone()))).collect();
    // COMPUTED fields and the fields they read.
    let mut computed_inputs: Vec<(usize, Vec<usize>)> = Vec::new();
    // COPULA_GENERATED fields by copula: one joint draw per row for all of them.
    let mut copulas: std::collections::BTreeMap<String, Vec<usize>> = std::collections::BTreeMap::new();
    for (i, f) in fields.iter().enumerate() {
        if f.kind == MappingType::CopulaGenerated {
            let path = format!("fields[{i}]");
            let key = crate::rng::StreamKey::for_field(ctx.seed, &f.name);
            let p = params::Params { spec: f, path: &path, key, ctx };
            if let Some(name) = copula::model_of(&p, issues) {
                copulas.entry(name).or_default().push(i);
            }
        }
    }
    let copula_of: HashMap<usize, String> =
        copulas.iter().flat_map(|(k, ms)| ms.iter().map(move |i| (*i, k.clone()))).collect();
    // STATE_MACHINE fields: each machine with its session key field (whose
    // group it takes over) and the fields deriving its step or session.
    let mut machines: Vec<(usize, Option<usize>)> = Vec::new();
    let mut machine_derived: HashMap<usize, Vec<(usize, state_machine::DerivedValue)>> = HashMap::new();
    for (i, f) in fields.iter().enumerate() {
        if f.kind == MappingType::StateMachine {
            let path = format!("fields[{i}]");
            let key = crate::rng::StreamKey::for_field(ctx.seed, &f.name);
            let p = params::Params { spec: f, path: &path, key, ctx };
            match state_machine::role(i, &p, ctx, issues) {
                Some(state_machine::Role::Machine { key_field }) => machines.push((i, key_field)),
                Some(state_machine::Role::Derived { from, value }) => {
                    machine_derived.entry(from).or_default().push((i, value))
                }
                None => {}
            }
        }
    }
    let mut key_owner: HashMap<usize, usize> = HashMap::new();
    for &(i, key) in &machines {
        let Some(k) = key else { continue };
        if fields[k].null_ratio.is_some_and(|r| r > 0.0) {
            issues.push(
                Issue::new(
                    format!("fields[{k}].null_ratio"),
                    "a session key has no null_ratio: it would null some rows of a session and not others",
                )
                .hint("leave the key whole; null the machine's field instead"),
            );
        }
        let taken = fields[k].kind == MappingType::StateMachine || key_owner.insert(k, i).is_some();
        if taken {
            issues.push(Issue::new(
                format!("fields[{i}].params.entity.field"),
                format!(
                    "`{}` cannot be this machine's session key: it is a STATE_MACHINE or another machine's key",
                    fields[k].name
                ),
            ));
        }
    }
    let mut session_keys: HashMap<usize, CompiledGroup> = HashMap::new();
    // Universe references reading the parent row another field draws.
    let mut same_parent_row: HashMap<usize, Vec<usize>> = HashMap::new();
    for (i, f) in fields.iter().enumerate() {
        // (A field that draws is parsed when it compiles: its problems once.)
        if f.kind == MappingType::UniverseKeyReference
            && !f.params.contains_key("generator")
            && let Some(universe_ref::Role::SameRow { from }) =
                universe_ref::role(i, f, &format!("fields[{i}]"), ctx, issues)
        {
            same_parent_row.entry(from).or_default().push(i);
        }
    }
    for (i, f) in fields.iter().enumerate() {
        if f.kind == MappingType::PoolDerived {
            let path = format!("fields[{i}]");
            match pool_pick::derived_role(i, f, &path, ctx, issues) {
                Some(pool_pick::Role::SameRow { from }) => derived_of.entry(from).or_default().push(i),
                Some(pool_pick::Role::Lookup(l)) => lookups.push(l),
                None => {}
            }
        }
    }
    for (i, f) in fields.iter().enumerate() {
        let path = format!("fields[{i}]");
        let key = crate::rng::StreamKey::for_field(ctx.seed, &f.name);
        let p = params::Params { spec: f, path: &path, key, ctx };
        fn single<M: ColumnMapper>(index: usize, (field, mapper): (Field, M)) -> CompiledGroup {
            CompiledGroup { fields: vec![(index, field)], group: Box::new(Single { out: [index], mapper }) }
        }
        let group = match f.kind {
            MappingType::UuidGenerated => uuid::compile(&p, issues).map(|m| single(i, m)),
            MappingType::TimestampGenerated => timestamp::compile(&p, issues).map(|m| single(i, m)),
            MappingType::EnumRandom => enum_random::compile(&p, issues).map(|m| single(i, m)),
            MappingType::NumericRange => numeric::compile(&p, issues).map(|m| single(i, m)),
            MappingType::Constant => constant::compile(&p, issues).map(|m| single(i, m)),
            MappingType::Sequence => sequence::compile(&p, issues).map(|m| single(i, m)),
            MappingType::PoolReference => {
                let derived = derived_of.remove(&i).unwrap_or_default();
                pool_pick::compile(i, &p, &derived, ctx, pools, issues)
            }
            MappingType::Catalog => match entity_of.get(&i) {
                None => crate::catalog::compile(&p, ctx.locale, issues).map(|m| single(i, m)),
                // The entity's first field compiles the whole entity; the others are in it.
                Some(group_key) if entities[group_key][0].0 == i => {
                    crate::catalog::compile_entity(&entities[group_key], group_key, ctx, issues)
                }
                Some(_) => None,
            },
            // Compiled with their pick (same row) or below (lookups).
            MappingType::PoolDerived => None,
            MappingType::UniverseKeyReference if f.params.contains_key("generator") => {
                let same = same_parent_row.remove(&i).unwrap_or_default();
                universe_ref::compile(i, &p, &same, ctx, pools.resources(), issues)
            }
            // Compiled with the field that draws the parent row.
            MappingType::UniverseKeyReference => None,
            // Compiled below, once the types of their inputs are known.
            MappingType::Computed => {
                if let Some((inputs, _)) = computed::declared(&p, issues) {
                    computed_inputs.push((i, inputs));
                }
                None
            }
            MappingType::CopulaGenerated => match copula_of.get(&i) {
                // The copula's first field compiles every field of it.
                Some(name) if copulas[name][0] == i => copula::compile(name, &copulas[name], ctx, pools, issues),
                _ => None,
            },
            // Compiled below, with their session keys.
            MappingType::StateMachine => None,
        };
        // A session key is filled by its machine (at each session's first row).
        let group = match group {
            Some(g) if key_owner.contains_key(&i) => {
                session_keys.insert(i, g);
                continue;
            }
            other => other,
        };
        if let Some(g) = group {
            for (idx, field) in &g.fields {
                types.insert(*idx, field.data_type().clone());
            }
            out.push(g);
        }
    }
    for (i, key) in machines {
        let f = &fields[i];
        let path = format!("fields[{i}]");
        let p = params::Params { spec: f, path: &path, key: crate::rng::StreamKey::for_field(ctx.seed, &f.name), ctx };
        let key_group = match key {
            Some(k) if key_owner.get(&k) == Some(&i) => match session_keys.remove(&k) {
                Some(g) => Some(g),
                None => {
                    issues.push(Issue::new(
                        format!("{path}.params.entity.field"),
                        format!("`{}` cannot be a session key: it must be a field of its own (not part of a pool pick, a catalog entity, a copula, a lookup or a COMPUTED field)", fields[k].name),
                    ));
                    continue;
                }
            },
            _ => None,
        };
        let derived = machine_derived.remove(&i).unwrap_or_default();
        if let Some(g) = state_machine::compile(i, &p, key_group, &derived, issues) {
            for (idx, field) in &g.fields {
                types.insert(*idx, field.data_type().clone());
            }
            out.push(g);
        }
    }
    // Lookups: one group per (pool, key field, key column); a lookup keyed by
    // another lookup's output compiles after it.
    let mut pending = pool_lookup::group(lookups);
    while !pending.is_empty() {
        let before = pending.len();
        let mut later = Vec::new();
        for g in pending {
            if types.contains_key(&g.key_field) || fields.get(g.key_field).is_none() {
                if let Some(c) = pool_lookup::compile(g, ctx, &types, pools, issues) {
                    for (idx, field) in &c.fields {
                        types.insert(*idx, field.data_type().clone());
                    }
                    out.push(c);
                }
            } else {
                later.push(g);
            }
        }
        if later.len() == before {
            // Their key fields failed to compile (already reported) or form a cycle.
            for g in later {
                pool_lookup::report_unresolved(&g, ctx, issues);
            }
            break;
        }
        pending = later;
    }
    // COMPUTED fields: each once the fields it reads have types (a computed
    // field may read another); what never resolves is a cycle, or reads a
    // field that failed (reported there).
    let mut pending = computed_inputs;
    while !pending.is_empty() {
        let before = pending.len();
        let mut later = Vec::new();
        for (i, inputs) in pending {
            if inputs.iter().all(|f| types.contains_key(f)) {
                let f = &fields[i];
                let path = format!("fields[{i}]");
                let key = crate::rng::StreamKey::for_field(ctx.seed, &f.name);
                let p = params::Params { spec: f, path: &path, key, ctx };
                if let Some(c) = computed::compile(i, &p, &types, pools.resources(), issues) {
                    for (idx, field) in &c.fields {
                        types.insert(*idx, field.data_type().clone());
                    }
                    out.push(c);
                }
            } else {
                later.push((i, inputs));
            }
        }
        if later.len() == before {
            // What is left waits on a failed field (reported there) or on a cycle.
            if let Some(cycle) = find_cycle(&later) {
                let names: Vec<&str> = cycle.iter().chain(cycle.first()).map(|i| fields[*i].name.as_str()).collect();
                issues.push(
                    Issue::new(
                        format!("fields[{}].params.inputs", cycle[0]),
                        format!("COMPUTED fields read each other in a cycle: {}", names.join(" → ")),
                    )
                    .hint("a computed field may read other computed fields, but not itself through them"),
                );
            }
            break;
        }
        pending = later;
    }
    out
}

/// A cycle among `nodes` (a field and the fields it reads), its members in
/// reading order starting from the smallest field position; None when
/// every path ends outside `nodes`.
fn find_cycle(nodes: &[(usize, Vec<usize>)]) -> Option<Vec<usize>> {
    fn visit(
        node: usize,
        nodes: &[(usize, Vec<usize>)],
        done: &mut Vec<usize>,
        path: &mut Vec<usize>,
    ) -> Option<Vec<usize>> {
        if let Some(at) = path.iter().position(|n| *n == node) {
            return Some(path[at..].to_vec());
        }
        if done.contains(&node) {
            return None;
        }
        let (_, inputs) = nodes.iter().find(|(i, _)| *i == node)?;
        path.push(node);
        for &next in inputs {
            if let Some(cycle) = visit(next, nodes, done, path) {
                return Some(cycle);
            }
        }
        path.pop();
        done.push(node);
        None
    }
    let mut done = Vec::new();
    for (start, _) in nodes {
        if let Some(mut cycle) = visit(*start, nodes, &mut done, &mut Vec::new()) {
            let first = cycle.iter().enumerate().min_by_key(|(_, n)| **n).map_or(0, |(k, _)| k);
            cycle.rotate_left(first);
            return Some(cycle);
        }
    }
    None
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
