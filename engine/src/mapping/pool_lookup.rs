//! POOL_DERIVED lookups: the row of an indexed pool whose `key_column`
//! equals the value of another field of the record (postcode → city). The
//! lookups into one pool by one key field form one group: one probe per
//! row, several columns gathered from the found rows.

use super::{BatchCtx, Columns, CompileCtx, CompiledGroup, FieldGroup, GenError, LocalState, PoolScope};
use crate::issue::{Issue, Issues};
use crate::pool::{KeyColumn, KeyIndex, KeyKind, Pool, hash_int, hash_text, int_chunk, text_chunk};
use arrow_array::cast::AsArray;
use arrow_array::types::Int32Type;
use arrow_array::{Array, ArrayRef};
use arrow_buffer::{BooleanBuffer, NullBuffer, ScalarBuffer};
use arrow_schema::{DataType, Field};
use serde::Deserialize;
use std::collections::{BTreeMap, HashMap};

/// What a key that is not in the pool gives.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub(super) enum OnMissing {
    /// A null value.
    #[default]
    Null,
    /// An error: the run fails, naming the key.
    Error,
}

/// One lookup field, read from its params.
#[derive(Debug)]
pub(super) struct LookupDef {
    pub field: usize,
    pub path: String,
    pub pool: String,
    pub key_field: usize,
    pub key_column: String,
    pub column: String,
    pub on_missing: OnMissing,
}

/// The lookups sharing one probe.
#[derive(Debug)]
pub(super) struct LookupGroupDef {
    pub pool: String,
    pub key_field: usize,
    pub key_column: String,
    pub members: Vec<LookupDef>,
}

/// Groups lookups by (pool, key field, key column), in field order.
pub(super) fn group(lookups: Vec<LookupDef>) -> Vec<LookupGroupDef> {
    let mut by: BTreeMap<(String, usize, String), Vec<LookupDef>> = BTreeMap::new();
    for l in lookups {
        by.entry((l.pool.clone(), l.key_field, l.key_column.clone())).or_default().push(l);
    }
    let mut groups: Vec<LookupGroupDef> = by
        .into_iter()
        .map(|((pool, key_field, key_column), members)| LookupGroupDef { pool, key_field, key_column, members })
        .collect();
    groups.sort_by_key(|g| g.members[0].field);
    groups
}

/// Lookups whose key field never got a type: it failed to compile (reported
/// there) or the lookups read each other in a cycle.
pub(super) fn report_unresolved(g: &LookupGroupDef, ctx: &CompileCtx, issues: &mut Issues) {
    let key = &ctx.fields[g.key_field];
    if key.kind == crate::spec::MappingType::PoolDerived {
        for m in &g.members {
            issues.push(
                Issue::new(
                    format!("{}.params.key_field", m.path),
                    format!("lookups through `{}` form a cycle", key.name),
                )
                .hint("a lookup's key field must not depend on the lookup itself"),
            );
        }
    }
}

/// Compiles one lookup group.
pub(super) fn compile(
    g: LookupGroupDef,
    ctx: &CompileCtx,
    types: &HashMap<usize, DataType>,
    pools: &mut PoolScope,
    issues: &mut Issues,
) -> Option<CompiledGroup> {
    let first = &g.members[0];
    let at = |m: &LookupDef, k: &str| format!("{}.params.{k}", m.path);
    let before = issues.len();
    let (slot, pool) = pools.slot(&g.pool, &at(first, "pool"), issues)?;
    let key_col = super::pool_pick::pool_column(&pool, &g.pool, &g.key_column, &at(first, "key_column"), issues)?;
    let Some(index) = pool.index(key_col) else {
        issues.push(
            Issue::new(at(first, "key_column"), format!("pool `{}` has no index on column `{}`", g.pool, g.key_column))
                .hint(format!("add index: [{}] to the pool's definition", g.key_column)),
        );
        return None;
    };
    let key_name = &ctx.fields[g.key_field].name;
    let key_type = types.get(&g.key_field)?;
    match KeyKind::of(key_type) {
        Some(k) if k == index.kind() => {}
        found => {
            issues.push(
                Issue::new(
                    at(first, "key_field"),
                    format!(
                        "field `{key_name}` is {key_type} ({}), but the keys in column `{}` of pool `{}` are {}",
                        found.map_or("not a key type", KeyKind::as_str),
                        g.key_column,
                        g.pool,
                        index.kind().as_str()
                    ),
                )
                .hint("look up text by text and integers by integers (a pool's `schema:` can set a column's type, e.g. { postcode: string })"),
            );
            return None;
        }
    }
    let mut fields = Vec::with_capacity(g.members.len());
    let mut cols = Vec::with_capacity(g.members.len());
    let mut on_missing = Vec::with_capacity(g.members.len());
    for m in &g.members {
        if let Some(c) = super::pool_pick::pool_column(&pool, &g.pool, &m.column, &at(m, "column"), issues) {
            let name = &ctx.fields[m.field].name;
            fields.push((m.field, Field::new(name, pool.schema().field(c).data_type().clone(), true)));
            cols.push(c);
            on_missing.push(m.on_missing);
        }
    }
    if issues.len() > before {
        return None;
    }
    Some(CompiledGroup {
        group: Box::new(LookupGroup {
            outs: fields.iter().map(|(i, _)| *i).collect(),
            input: [g.key_field],
            slot,
            key_col,
            cols,
            fail_on_missing: on_missing.contains(&OnMissing::Error),
            field: ctx.fields[first.field].name.clone(),
            key_name: key_name.clone(),
            pool: g.pool,
            key_column: g.key_column,
        }),
        fields,
    })
}

#[derive(Debug)]
struct LookupGroup {
    outs: Vec<usize>,
    input: [usize; 1],
    slot: usize,
    key_col: usize,
    cols: Vec<usize>,
    fail_on_missing: bool,
    field: String,
    key_name: String,
    pool: String,
    key_column: String,
}

/// The result of probing a batch of keys.
struct Found {
    rows: Vec<u32>,
    /// Found (and the key not null).
    hit: Vec<bool>,
    /// The first key that was not found, as text.
    first_miss: Option<String>,
}

fn probe(pool: &Pool, index: &KeyIndex, key_col: usize, keys: &dyn Array) -> Result<Found, String> {
    let per = pool.chunk_rows();
    let side = KeyColumn::new(pool.chunks(key_col)).ok_or("the pool's key column cannot be read")?;
    let n = keys.len();
    let mut found = Found { rows: Vec::with_capacity(n), hit: Vec::with_capacity(n), first_miss: None };
    let mut push = |r: Option<usize>, valid: bool, text: &dyn Fn() -> String| {
        found.rows.push(r.unwrap_or(0) as u32);
        found.hit.push(r.is_some());
        if r.is_none() && valid && found.first_miss.is_none() {
            found.first_miss = Some(text());
        }
    };
    match (&side, keys.data_type()) {
        (KeyColumn::Int(pc), _) if int_chunk(keys).is_some() => {
            let k = int_chunk(keys).ok_or("integer keys")?;
            for i in 0..n {
                let v = k.get(i);
                let r = v.and_then(|v| index.find(hash_int(v), |r| pc[r / per].get(r % per) == Some(v)));
                push(r, v.is_some(), &|| v.map(|v| v.to_string()).unwrap_or_default());
            }
        }
        (KeyColumn::Text(pc), DataType::Dictionary(k, _)) if **k == DataType::Int32 => {
            // Probe each dictionary value once.
            let dict = keys.as_dictionary::<Int32Type>();
            let values = text_chunk(dict.values().as_ref()).ok_or("text dictionary")?;
            let per_value: Vec<Option<usize>> = (0..dict.values().len())
                .map(|j| values.get(j).and_then(|v| index.find(hash_text(v), |r| pc[r / per].get(r % per) == Some(v))))
                .collect();
            for i in 0..n {
                let valid = dict.is_valid(i);
                let j = dict.keys().value(i) as usize;
                let r = if valid { per_value.get(j).copied().flatten() } else { None };
                push(r, valid, &|| values.get(j).map(|b| String::from_utf8_lossy(b).into_owned()).unwrap_or_default());
            }
        }
        (KeyColumn::Text(pc), _) => {
            let k = text_chunk(keys).ok_or("the key field is not text")?;
            for i in 0..n {
                let v = k.get(i);
                let r = v.and_then(|v| index.find(hash_text(v), |r| pc[r / per].get(r % per) == Some(v)));
                push(r, v.is_some(), &|| v.map(|b| String::from_utf8_lossy(b).into_owned()).unwrap_or_default());
            }
        }
        _ => return Err(format!("keys of type {} cannot be looked up in this pool", keys.data_type())),
    }
    Ok(found)
}

impl FieldGroup for LookupGroup {
    fn outputs(&self) -> &[usize] {
        &self.outs
    }

    fn inputs(&self) -> &[usize] {
        &self.input
    }

    fn fill(
        &self,
        ctx: &BatchCtx,
        nulls: &[Option<NullBuffer>],
        columns: &mut Columns,
        _local: &mut LocalState,
    ) -> Result<(), GenError> {
        let err = |message: String| GenError::Mapper { field: self.field.clone(), message };
        let pool = &ctx.pools[self.slot];
        let index = pool
            .index(self.key_col)
            .ok_or_else(|| err(format!("pool `{}` has no index on `{}`", self.pool, self.key_column)))?;
        let keys: ArrayRef = columns.get(self.input[0]).cloned().ok_or(GenError::Unfilled(self.input[0]))?;
        let found = probe(pool, index, self.key_col, keys.as_ref()).map_err(err)?;
        if self.fail_on_missing
            && let Some(miss) = &found.first_miss
        {
            return Err(err(format!(
                "`{miss}` (field `{}`) is not a key of pool `{}` (column `{}`), and on_missing is error",
                self.key_name, self.pool, self.key_column
            )));
        }
        let hit = NullBuffer::new(BooleanBuffer::from(found.hit));
        let rows = ScalarBuffer::from(found.rows);
        for (j, (&out, &c)) in self.outs.iter().zip(&self.cols).enumerate() {
            let valid = NullBuffer::union(Some(&hit), nulls.get(j).and_then(Option::as_ref));
            columns.set(out, pool.gather(c, &rows, valid.as_ref())?);
        }
        Ok(())
    }
}
