//! POOL_REFERENCE: one pool row picked per record (uniform, weighted, zipf
//! or sequential), and the POOL_DERIVED fields that read other columns of
//! the same pick. They form one group: one draw, several columns, gathered
//! from the pool's Arrow columns with `take` (no per-row string copies of
//! boxed values); a null pick nulls every column of the group.

use super::alias::AliasTable;
use super::params::Params;
use super::{BatchCtx, Columns, CompileCtx, CompiledGroup, FieldGroup, GenError, LocalState, PoolScope};
use crate::issue::{Issue, Issues};
use crate::pool::Pool;
use crate::rng::{RowRng, StreamKey, below};
use crate::spec::{FieldSpec, MappingType};
use arrow_array::cast::AsArray;
use arrow_array::types::*;
use arrow_array::{Array, ArrayRef};
use arrow_buffer::{NullBuffer, ScalarBuffer};
use arrow_schema::{DataType, Field};
use rand_distr::{Distribution as _, Zipf};
use serde::Deserialize;
use std::sync::Arc;

/// POOL_REFERENCE: a column of one pool row picked per record.
#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct ReferenceParams {
    /// The pool to pick from.
    pool: String,
    /// The column of the picked row this field outputs.
    column: String,
    /// uniform (default), weighted (by `weight_column`), zipf (exponent `s`,
    /// rank = row order) or sequential (row i of the run takes pool row i mod n).
    #[serde(default)]
    pick: PickKind,
    /// weighted: the numeric column holding each row's weight (≥ 0).
    weight_column: Option<String>,
    /// zipf: the exponent, ≥ 0 (default 1).
    #[schemars(range(min = 0.0))]
    s: Option<f64>,
}

pub(super) const REFERENCE_KEYS: &[&str] = &["pool", "column", "pick", "weight_column", "s"];

#[derive(Debug, Clone, Copy, Default, PartialEq, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
enum PickKind {
    #[default]
    Uniform,
    Weighted,
    Zipf,
    Sequential,
}

/// POOL_DERIVED: another column of the row picked by field `from`; or a
/// lookup in an indexed pool by the value of field `key_field`.
#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct DerivedParams {
    /// The column to output.
    pub(super) column: String,
    /// Same row: the POOL_REFERENCE field whose pick this field reads.
    pub(super) from: Option<String>,
    /// Lookup: the pool to look in (it needs an index on `key_column`).
    pub(super) pool: Option<String>,
    /// Lookup: the field whose value is the key.
    pub(super) key_field: Option<String>,
    /// Lookup: the pool column holding the keys.
    pub(super) key_column: Option<String>,
    /// Lookup: what a key that is not in the pool gives: "null" (default) or error (the run fails).
    #[serde(default)]
    pub(super) on_missing: super::pool_lookup::OnMissing,
}

pub(super) const DERIVED_KEYS: &[&str] = &["column", "from", "pool", "key_field", "key_column", "on_missing"];

/// What a POOL_DERIVED field reads.
pub(super) enum Role {
    /// The same pick as field `from`.
    SameRow { from: usize },
    /// A lookup.
    Lookup(super::pool_lookup::LookupDef),
}

/// Reads a POOL_DERIVED field's params and says which group it joins.
pub(super) fn derived_role(
    index: usize,
    f: &FieldSpec,
    path: &str,
    ctx: &CompileCtx,
    issues: &mut Issues,
) -> Option<Role> {
    let key = StreamKey::for_field(ctx.seed, &f.name);
    let p = Params { spec: f, path, key, ctx };
    let params: DerivedParams = p.parse(DERIVED_KEYS, issues)?;
    let field_of = |name: &str, key: &str, issues: &mut Issues| -> Option<usize> {
        match ctx.names.get(name) {
            Some(&i) if i == index => {
                p.problem(issues, key, format!("field `{name}` cannot read itself"), None);
                None
            }
            Some(&i) => Some(i),
            None => {
                let names: Vec<&str> = ctx.fields.iter().map(|f| f.name.as_str()).collect();
                let hint = crate::issue::closest(name, &names).map(|c| format!("did you mean `{c}`?"));
                p.problem(issues, key, format!("there is no field `{name}`"), hint.as_deref());
                None
            }
        }
    };
    if let Some(from) = &params.from {
        let extra: Vec<&str> = [
            ("pool", params.pool.is_some()),
            ("key_field", params.key_field.is_some()),
            ("key_column", params.key_column.is_some()),
        ]
        .into_iter()
        .filter_map(|(k, set)| set.then_some(k))
        .collect();
        if !extra.is_empty() {
            p.problem(
                issues,
                "",
                format!("`from` (same row) and {} (lookup) are two different POOL_DERIVED forms", extra.join(", ")),
                Some("use { from, column } to read the row another field picked, or { pool, key_field, key_column, column } to look a row up"),
            );
            return None;
        }
        let i = field_of(from, "from", issues)?;
        let target = &ctx.fields[i];
        if target.kind != MappingType::PoolReference {
            p.problem(
                issues,
                "from",
                format!("field `{from}` is {}, not a pool pick", target.kind.as_str()),
                Some("`from` names a POOL_REFERENCE field; to look a row up by another field's value use { pool, key_field, key_column }"),
            );
            return None;
        }
        return Some(Role::SameRow { from: i });
    }
    let mut missing = Vec::new();
    for (k, v) in [("pool", &params.pool), ("key_field", &params.key_field), ("key_column", &params.key_column)] {
        if v.is_none() {
            missing.push(k);
        }
    }
    if !missing.is_empty() {
        p.problem(
            issues,
            "",
            format!("missing {}", missing.iter().map(|k| format!("`{k}`")).collect::<Vec<_>>().join(", ")),
            Some("POOL_DERIVED reads { from, column } (the row another field picked) or { pool, key_field, key_column, column } (a lookup)"),
        );
        return None;
    }
    let key_field_name = params.key_field.clone().unwrap_or_default();
    let key_field = field_of(&key_field_name, "key_field", issues)?;
    Some(Role::Lookup(super::pool_lookup::LookupDef {
        field: index,
        path: path.to_string(),
        pool: params.pool.unwrap_or_default(),
        key_field,
        key_column: params.key_column.unwrap_or_default(),
        column: params.column,
        on_missing: params.on_missing,
    }))
}

/// The column `name` of `pool`, or an issue at `path` (with the closest name).
pub(super) fn pool_column(pool: &Pool, pool_name: &str, name: &str, path: &str, issues: &mut Issues) -> Option<usize> {
    match pool.column_index(name) {
        Some(c) => Some(c),
        None => {
            let names: Vec<&str> = pool.schema().fields().iter().map(|f| f.name().as_str()).collect();
            let issue = Issue::new(path, format!("pool `{pool_name}` has no column `{name}`"));
            issues.push(match crate::issue::closest(name, &names) {
                Some(c) => issue.hint(format!("did you mean `{c}`?")),
                None => issue.hint(format!("its columns: {}", names.join(", "))),
            });
            None
        }
    }
}

#[derive(Debug, Clone, Copy)]
enum Pick {
    Uniform,
    Weighted { column: usize },
    Zipf { s: f64 },
    Sequential,
}

/// Ranks sampled through a table (12 bytes a rank) up to this count.
const ZIPF_TABLE_MAX: usize = 1 << 20;

/// Compiles a POOL_REFERENCE field and the same-row POOL_DERIVED fields reading it.
pub(super) fn compile(
    index: usize,
    p: &Params<'_>,
    derived: &[usize],
    ctx: &CompileCtx,
    pools: &mut PoolScope,
    issues: &mut Issues,
) -> Option<CompiledGroup> {
    let params: ReferenceParams = p.parse(REFERENCE_KEYS, issues)?;
    let before = issues.len();
    let (slot, pool) = pools.slot(&params.pool, &p.at("pool"), issues)?;
    let column = pool_column(&pool, &params.pool, &params.column, &p.at("column"), issues);
    if pool.rows() == 0 {
        p.problem(
            issues,
            "pool",
            format!("pool `{}` has no rows to pick from", params.pool),
            Some("check its source (and its query or sample)"),
        );
    }
    let pick = match params.pick {
        PickKind::Uniform => Pick::Uniform,
        PickKind::Sequential => Pick::Sequential,
        PickKind::Zipf => {
            let s = params.s.unwrap_or(1.0);
            if !(s.is_finite() && s >= 0.0) {
                p.problem(issues, "s", format!("the zipf exponent {s} must be a number ≥ 0"), Some("e.g. s: 1.1"));
            }
            Pick::Zipf { s }
        }
        PickKind::Weighted => match &params.weight_column {
            None => {
                p.problem(
                    issues,
                    "weight_column",
                    "a weighted pick needs `weight_column`",
                    Some("name the pool's numeric column of weights, e.g. weight_column: weight"),
                );
                Pick::Uniform
            }
            Some(w) => match pool_column(&pool, &params.pool, w, &p.at("weight_column"), issues) {
                Some(c) => {
                    if let Err(e) = pool.table((1, c, 0), |pool| weights_table(pool, c)) {
                        p.problem(
                            issues,
                            "weight_column",
                            format!("column `{w}` of pool `{}`: {e}", params.pool),
                            None,
                        );
                    }
                    Pick::Weighted { column: c }
                }
                None => Pick::Uniform,
            },
        },
    };
    if params.weight_column.is_some() && params.pick != PickKind::Weighted {
        p.problem(
            issues,
            "weight_column",
            "`weight_column` applies to pick: weighted",
            Some("add pick: weighted, or remove weight_column"),
        );
    }
    if params.s.is_some() && params.pick != PickKind::Zipf {
        p.problem(issues, "s", "`s` applies to pick: zipf", Some("add pick: zipf, or remove s"));
    }
    let mut fields = Vec::with_capacity(1 + derived.len());
    let mut cols = Vec::with_capacity(1 + derived.len());
    if let Some(c) = column {
        fields.push((index, Field::new(&p.spec.name, pool.schema().field(c).data_type().clone(), true)));
        cols.push(c);
    }
    for &d in derived {
        let f = &ctx.fields[d];
        let path = format!("fields[{d}]");
        let dp = Params { spec: f, path: &path, key: p.key, ctx };
        let Some(params_d) = dp.parse::<DerivedParams>(DERIVED_KEYS, issues) else { continue };
        if let Some(c) = pool_column(&pool, &params.pool, &params_d.column, &dp.at("column"), issues) {
            fields.push((d, Field::new(&f.name, pool.schema().field(c).data_type().clone(), true)));
            cols.push(c);
        }
    }
    if issues.len() > before {
        return None;
    }
    let outs: Vec<usize> = fields.iter().map(|(i, _)| *i).collect();
    Some(CompiledGroup {
        fields,
        group: Box::new(PickGroup {
            outs,
            cols,
            slot,
            key: p.key,
            pick,
            field: p.spec.name.clone(),
            pool: params.pool,
        }),
    })
}

/// An alias table of a numeric column's values (nulls weigh 0).
fn weights_table(pool: &Pool, c: usize) -> Result<AliasTable, String> {
    let mut weights = Vec::with_capacity(pool.rows());
    for chunk in pool.chunks(c) {
        numeric_values(chunk.as_ref(), &mut weights)?;
    }
    if let Some((i, w)) = weights.iter().enumerate().find(|(_, w)| !w.is_finite() || **w < 0.0) {
        return Err(format!("row {i} has weight {w}; weights are relative frequencies ≥ 0"));
    }
    if weights.iter().sum::<f64>() <= 0.0 {
        return Err("every weight is 0".into());
    }
    Ok(AliasTable::new(&weights))
}

/// Appends a numeric array's values as f64 (nulls as 0); fails for other types.
fn numeric_values(a: &dyn Array, out: &mut Vec<f64>) -> Result<(), String> {
    macro_rules! prim {
        ($t:ty) => {{
            let a = a.as_primitive::<$t>();
            out.extend((0..a.len()).map(|i| if a.is_null(i) { 0.0 } else { a.value(i) as f64 }));
        }};
    }
    match a.data_type() {
        DataType::Int8 => prim!(Int8Type),
        DataType::Int16 => prim!(Int16Type),
        DataType::Int32 => prim!(Int32Type),
        DataType::Int64 => prim!(Int64Type),
        DataType::UInt8 => prim!(UInt8Type),
        DataType::UInt16 => prim!(UInt16Type),
        DataType::UInt32 => prim!(UInt32Type),
        DataType::UInt64 => prim!(UInt64Type),
        DataType::Float32 => prim!(Float32Type),
        DataType::Float64 => prim!(Float64Type),
        other => return Err(format!("weights must be numeric, this column is {other}")),
    }
    Ok(())
}

/// One pick per row; outputs `cols` of the picked rows.
#[derive(Debug)]
struct PickGroup {
    outs: Vec<usize>,
    cols: Vec<usize>,
    slot: usize,
    key: StreamKey,
    pick: Pick,
    field: String,
    pool: String,
}

impl PickGroup {
    fn error(&self, message: String) -> GenError {
        GenError::Mapper { field: self.field.clone(), message }
    }

    /// The pool row of every row of the batch.
    fn picks(&self, ctx: &BatchCtx, pool: &Pool) -> Result<ScalarBuffer<u32>, GenError> {
        let n = pool.rows() as u64;
        if n == 0 {
            return Err(self.error(format!("pool `{}` has no rows", self.pool)));
        }
        let key = self.key;
        let rows = ctx.rows;
        Ok(match self.pick {
            Pick::Uniform => rows.collect(|r| below(key.at(r), n) as u32),
            Pick::Sequential => rows.collect(|r| (r % n) as u32),
            Pick::Weighted { column } => {
                let t = pool.table((1, column, 0), |p| weights_table(p, column)).map_err(|e| self.error(e))?;
                rows.collect(|r| t.sample(key.at(r)) as u32)
            }
            Pick::Zipf { s } if n as usize <= ZIPF_TABLE_MAX => {
                let t = pool
                    .table((2, 0, s.to_bits()), |_| {
                        Ok(AliasTable::new(&(1..=n).map(|k| (k as f64).powf(-s)).collect::<Vec<_>>()))
                    })
                    .map_err(|e| self.error(e))?;
                rows.collect(|r| t.sample(key.at(r)) as u32)
            }
            Pick::Zipf { s } => {
                let z = Zipf::new(n as f64, s).map_err(|e| self.error(e.to_string()))?;
                rows.collect(|r| ((z.sample(&mut RowRng::from_bits(key.at(r))) as u64).clamp(1, n) - 1) as u32)
            }
        })
    }
}

impl FieldGroup for PickGroup {
    fn outputs(&self) -> &[usize] {
        &self.outs
    }

    fn nulls_follow_first(&self) -> bool {
        true
    }

    fn fill(
        &self,
        ctx: &BatchCtx,
        nulls: &[Option<NullBuffer>],
        columns: &mut Columns,
        _local: &mut LocalState,
    ) -> Result<(), GenError> {
        let pool: &Arc<Pool> = &ctx.pools[self.slot];
        let picks = self.picks(ctx, pool)?;
        for (j, (&out, &c)) in self.outs.iter().zip(&self.cols).enumerate() {
            let array: ArrayRef = pool.gather(c, &picks, nulls.get(j).and_then(Option::as_ref))?;
            columns.set(out, array);
        }
        Ok(())
    }
}
