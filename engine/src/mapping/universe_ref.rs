//! UNIVERSE_KEY_REFERENCE: a foreign key into another generator of the same
//! universe, with no coordination. A parent's values are a pure function of
//! (seed, row), so a child draws a parent row index per row and recomputes
//! the parent's value there (`Plan::columns_at` on the parent's plan: only
//! the groups that field needs, for that list of rows). `{ from, field }`
//! fields take other columns of the same parent row: one group, one draw.

use super::params::Params;
use super::{BatchCtx, Columns, CompileCtx, FieldGroup, GenError, LocalState};
use crate::issue::Issues;
use crate::rng::StreamKey;
use crate::spec::{EndCondition, FieldSpec, MappingType};
use crate::universe::ParentRef;
use arrow_buffer::NullBuffer;
use arrow_schema::Field;
use serde::Deserialize;

/// How child rows pick parent rows.
#[derive(Debug, Clone, Copy, Default, Deserialize, schemars::JsonSchema, PartialEq)]
#[serde(rename_all = "lowercase")]
pub(crate) enum Distribution {
    /// Every parent row equally likely.
    #[default]
    Uniform,
    /// Parent row k (from 0) with weight about (k + 1)^-s (the continuous
    /// inverse of that law): a few parents get most children.
    Zipf,
    /// Child row i → parent row ⌊i·P/C⌋: every parent its share of children, in order.
    Sequential,
    /// Around the child's own position (i·P/C), spread `sigma` parent rows;
    /// without a child row count (REALTIME), among the newest parent rows.
    Normal,
}

/// UNIVERSE_KEY_REFERENCE params.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct UniverseParams {
    /// The parent generator: another member of the same universe.
    pub generator: Option<String>,
    /// The parent's field whose value this field takes.
    pub field: String,
    /// uniform (default), zipf, sequential or normal.
    pub distribution: Option<Distribution>,
    /// zipf: the exponent, > 0 (default 1.1).
    pub s: Option<f64>,
    /// normal: the spread in parent rows, > 0 (default 1 % of the parent's rows, at least 1).
    pub sigma: Option<f64>,
    /// Instead of `generator`: a UNIVERSE_KEY_REFERENCE field of this record
    /// whose parent row this field reads (`field` of that same row).
    pub from: Option<String>,
}

pub(crate) const KEYS: &[&str] = &["generator", "field", "distribution", "s", "sigma", "from"];

/// What a UNIVERSE_KEY_REFERENCE field is in its record.
pub(crate) enum Role {
    /// It draws the parent row.
    Draw,
    /// It reads the row the field at this position draws.
    SameRow { from: usize },
}

/// Reads the role of field `index` (every problem reported).
pub(crate) fn role(index: usize, f: &FieldSpec, path: &str, ctx: &CompileCtx, issues: &mut Issues) -> Option<Role> {
    let p = Params { spec: f, path, key: StreamKey::for_field(ctx.seed, &f.name), ctx };
    let params: UniverseParams = p.parse(KEYS, issues)?;
    match (&params.generator, &params.from) {
        (Some(_), None) => Some(Role::Draw),
        (None, Some(from)) => {
            let others = ["distribution", "s", "sigma"];
            let set: Vec<&str> = others.iter().copied().filter(|k| f.params.contains_key(*k)).collect();
            if !set.is_empty() {
                p.problem(
                    issues,
                    set[0],
                    format!("`{}` belongs to the field that draws the parent row, not to a `from` field", set[0]),
                    Some(&format!("set it on `{from}`")),
                );
            }
            let Some(&i) = ctx.names.get(from.as_str()) else {
                let names: Vec<&str> = ctx.fields.iter().map(|f| f.name.as_str()).collect();
                let hint = crate::issue::closest(from, &names).map(|c| format!("did you mean `{c}`?"));
                p.problem(issues, "from", format!("there is no field `{from}`"), hint.as_deref());
                return None;
            };
            let target = &ctx.fields[i];
            let draws = target.kind == MappingType::UniverseKeyReference && target.params.contains_key("generator");
            if i == index || !draws {
                p.problem(
                    issues,
                    "from",
                    format!("field `{from}` does not draw a parent row"),
                    Some("`from` names a UNIVERSE_KEY_REFERENCE field of this record that has `generator`"),
                );
                return None;
            }
            set.is_empty().then_some(Role::SameRow { from: i })
        }
        (Some(_), Some(_)) => {
            p.problem(
                issues,
                "from",
                "give `generator` (draw a parent row) or `from` (read the row another field drew), not both",
                None,
            );
            None
        }
        (None, None) => {
            p.problem(
                issues,
                "",
                "UNIVERSE_KEY_REFERENCE needs `generator` (the parent) or `from` (a field of this record that draws one)",
                Some("e.g. { generator: customers, field: customer_id }"),
            );
            None
        }
    }
}

/// A compiled reference: the parent row draw and the columns read there.
#[derive(Debug)]
pub(crate) struct ReferenceGroup {
    outs: Vec<usize>,
    parent: ParentRef,
    parent_name: String,
    /// The parent's fields, by output.
    fields: Vec<usize>,
    key: StreamKey,
    pick: Pick,
    field: String,
}

#[derive(Debug, Clone, Copy)]
enum Pick {
    Uniform,
    Zipf(f64),
    Sequential { children: u64 },
    Normal { children: Option<u64>, sigma: Option<f64> },
}

/// Compiles the group of the drawing field `index` and the `from` fields reading it.
pub(crate) fn compile(
    index: usize,
    p: &Params<'_>,
    same_row: &[usize],
    ctx: &CompileCtx,
    resources: &crate::pool::Resources,
    issues: &mut Issues,
) -> Option<super::CompiledGroup> {
    let params: UniverseParams = p.parse(KEYS, issues)?;
    if params.from.is_some() {
        p.problem(
            issues,
            "from",
            "give `generator` (draw a parent row) or `from` (read the row another field drew), not both",
            None,
        );
        return None;
    }
    let name = params.generator.clone().unwrap_or_default();
    let Some(parent) = resources.parent(&name) else {
        let known = resources.parent_names();
        let refs: Vec<&str> = known.iter().map(String::as_str).collect();
        let hint = match crate::issue::closest(&name, &refs) {
            Some(c) => format!("did you mean `{c}`?"),
            None if refs.is_empty() => "UNIVERSE_KEY_REFERENCE works inside a universe file (`universe:` with `generators:`), where the parent is another member".into(),
            None => format!("the members this one may reference: {}", refs.join(", ")),
        };
        p.problem(issues, "generator", format!("there is no generator `{name}` in this universe"), Some(&hint));
        return None;
    };
    let before = issues.len();
    let children = match ctx.end_condition {
        EndCondition::RecordCount { value } => Some(*value),
        _ => None,
    };
    let pick = match params.distribution.unwrap_or_default() {
        Distribution::Uniform => Pick::Uniform,
        Distribution::Zipf => {
            let s = params.s.unwrap_or(1.1);
            if !(s.is_finite() && s > 0.0 && s <= 10.0) {
                p.problem(issues, "s", format!("s {s} is outside (0, 10]"), Some("e.g. s: 1.2"));
            }
            Pick::Zipf(s)
        }
        Distribution::Sequential => match children {
            Some(c) => Pick::Sequential { children: c },
            None => {
                p.problem(
                    issues,
                    "distribution",
                    "sequential spreads the children over the parents by the child's row count, and this generator has none",
                    Some("give it end_condition: { type: RECORD_COUNT, value: N }, or use uniform, zipf or normal"),
                );
                Pick::Uniform
            }
        },
        Distribution::Normal => {
            if let Some(s) = params.sigma
                && !(s.is_finite() && s > 0.0)
            {
                p.problem(issues, "sigma", format!("sigma {s} must be a positive number of parent rows"), None);
            }
            Pick::Normal { children, sigma: params.sigma }
        }
    };
    for key in ["s", "sigma"] {
        let applies = matches!(
            (key, params.distribution.unwrap_or_default()),
            ("s", Distribution::Zipf) | ("sigma", Distribution::Normal)
        );
        if p.spec.params.contains_key(key) && !applies {
            p.problem(
                issues,
                key,
                format!("`{key}` does not apply to distribution {:?}", params.distribution.unwrap_or_default())
                    .to_lowercase(),
                Some(if key == "s" { "`s` is zipf's exponent" } else { "`sigma` is normal's spread" }),
            );
        }
    }
    // The parent's fields: this one's and those of the `from` fields.
    let mut outs = vec![index];
    let mut fields = Vec::new();
    let mut arrow = Vec::new();
    for (&i, path) in std::iter::once(&index).chain(same_row).zip(std::iter::repeat(p.path)) {
        let f = &ctx.fields[i];
        let own_path = format!("fields[{i}]");
        let path = if i == index { path.to_string() } else { own_path };
        let wanted = if i == index {
            params.field.as_str()
        } else {
            f.params.get("field").and_then(serde_json::Value::as_str).unwrap_or_default()
        };
        match parent.plan.field_index(wanted) {
            Some(pf) => {
                if !parent.plan.reproducible(pf) {
                    issues.push(
                        crate::issue::Issue::new(
                            format!("{path}.params.field"),
                            format!("`{name}.{wanted}` cannot be recomputed from its row (a wall clock, or a reference to a growing parent)"),
                        )
                        .hint("reference a field made from (seed, row): a SEQUENCE, a UUID v4, a simulated TIMESTAMP, an ENUM …"),
                    );
                }
                let t = parent.plan.schema().field(pf);
                arrow.push((i, Field::new(&f.name, t.data_type().clone(), true).with_metadata(t.metadata().clone())));
                fields.push(pf);
                if i != index {
                    outs.push(i);
                }
            }
            None => {
                let names: Vec<&str> = parent.plan.spec().fields.iter().map(|f| f.name.as_str()).collect();
                let hint = crate::issue::closest(wanted, &names)
                    .map(|c| format!("did you mean `{c}`?"))
                    .unwrap_or_else(|| format!("`{name}` has: {}", names.join(", ")));
                issues.push(
                    crate::issue::Issue::new(
                        format!("{path}.params.field"),
                        format!("generator `{name}` has no field `{wanted}`"),
                    )
                    .hint(hint),
                );
            }
        }
    }
    if issues.len() > before {
        return None;
    }
    let group = ReferenceGroup {
        outs,
        parent,
        parent_name: name,
        fields,
        key: p.key.substream(0x756E_6976),
        pick,
        field: p.spec.name.clone(),
    };
    Some(super::CompiledGroup { fields: arrow, group: Box::new(group) })
}

impl ReferenceGroup {
    /// zipf's (P + 1)^(1 − s), once per batch.
    fn zipf_top(&self, parents: u64) -> f64 {
        match self.pick {
            Pick::Zipf(s) if (s - 1.0).abs() >= 1e-9 => (parents as f64 + 1.0).powf(1.0 - s),
            _ => 0.0,
        }
    }

    /// The parent row of child row `row`, among `parents` rows (`top`: [`Self::zipf_top`]).
    #[inline]
    fn parent_row(&self, row: u64, parents: u64, top: f64) -> u64 {
        let bits = self.key.at(row);
        let unit = |b: u64| (b >> 11) as f64 * (1.0 / (1u64 << 53) as f64);
        let pick = match self.pick {
            Pick::Uniform => crate::rng::below(bits, parents),
            Pick::Zipf(s) => {
                // The continuous inverse of Σ (k+1)^-s: parent row 0 most often.
                let (n, u) = (parents as f64 + 1.0, unit(bits));
                let k = if (s - 1.0).abs() < 1e-9 { n.powf(u) } else { (1.0 + u * (top - 1.0)).powf(1.0 / (1.0 - s)) };
                (k.floor() as u64).saturating_sub(1)
            }
            Pick::Sequential { children } => ((row as u128 * parents as u128) / children.max(1) as u128) as u64,
            Pick::Normal { children, sigma } => {
                let sigma = sigma.unwrap_or((parents as f64 / 100.0).max(1.0));
                // Box–Muller from two uniforms of the row.
                let (u1, u2) = (unit(bits).max(1e-300), unit(self.key.substream(1).at(row)));
                let z = (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos();
                let x = match children {
                    Some(c) => row as f64 * parents as f64 / c.max(1) as f64 + z * sigma,
                    // REALTIME: the newest parents, fewer the older.
                    None => parents as f64 - 1.0 - (z * sigma).abs(),
                };
                crate::rng::round(x).clamp(0.0, parents as f64 - 1.0) as u64
            }
        };
        pick.min(parents - 1)
    }
}

impl FieldGroup for ReferenceGroup {
    fn outputs(&self) -> &[usize] {
        &self.outs
    }

    fn nulls_follow_first(&self) -> bool {
        true
    }

    fn reproducible(&self) -> bool {
        self.parent.bound.is_fixed()
    }

    fn fill(
        &self,
        ctx: &BatchCtx,
        nulls: &[Option<NullBuffer>],
        columns: &mut Columns,
        _: &mut LocalState,
    ) -> Result<(), GenError> {
        let parents = self.parent.bound.rows();
        if parents == 0 {
            return Err(GenError::Mapper {
                field: self.field.clone(),
                message: format!(
                    "generator `{}` has no rows to reference yet (run the whole universe: a child starts once its parent delivered a row)",
                    self.parent_name
                ),
            });
        }
        let top = self.zipf_top(parents);
        let rows: Vec<u64> = ctx.rows.collect(|r| self.parent_row(r, parents, top));
        let values = self.parent.plan.columns_at(&self.fields, &rows)?;
        for ((j, &out), column) in self.outs.iter().enumerate().zip(values) {
            columns.set(out, super::with_nulls(column, nulls.get(j).and_then(Option::as_ref))?);
        }
        Ok(())
    }
}
