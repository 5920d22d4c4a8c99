//! COPULA_GENERATED: fields sampled from a Gaussian copula of the
//! definition's `copulas:`. Every field of one copula is one group: one
//! joint draw per row gives all its columns.

use super::params::Params;
use super::{BatchCtx, Columns, CompileCtx, CompiledGroup, FieldGroup, GenError, LocalState, PoolScope};
use crate::copula::{CopulaSource, CopulaSpec, Model, Sampler};
use crate::issue::{Issue, Issues, closest};
use crate::rng::StreamKey;
use arrow_buffer::NullBuffer;
use arrow_schema::Field;
use serde::Deserialize;
use std::sync::Arc;

/// `params` of COPULA_GENERATED.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct CopulaParams {
    /// The copula's `name` under `copulas:`.
    pub model: String,
    /// The model column this field takes (default: the field's name).
    #[serde(default)]
    pub column: Option<String>,
}

pub(crate) const KEYS: &[&str] = &["model", "column"];

/// The copula a field reads, or None (its params' problems reported).
pub(crate) fn model_of(p: &Params, issues: &mut Issues) -> Option<String> {
    p.parse::<CopulaParams>(KEYS, issues).map(|c| c.model)
}

/// Compiles the fields `members` (positions) of the copula `name`.
pub(crate) fn compile(
    name: &str,
    members: &[usize],
    ctx: &CompileCtx,
    pools: &mut PoolScope,
    issues: &mut Issues,
) -> Option<CompiledGroup> {
    let first = format!("fields[{}].params.model", members[0]);
    let Some((i, spec)) = ctx.copulas.iter().enumerate().find(|(_, c)| c.name == name) else {
        let known: Vec<&str> = ctx.copulas.iter().map(|c| c.name.as_str()).collect();
        let mut issue = Issue::new(first, format!("unknown copula `{name}`"));
        issue = match closest(name, &known) {
            Some(c) => issue.hint(format!("did you mean `{c}`?")),
            None if known.is_empty() => issue.hint("declare it under `copulas:` (docs/CONFIG.md, Copulas)"),
            None => issue.hint(format!("declared copulas: {}", known.join(", "))),
        };
        issues.push(issue);
        return None;
    };
    let path = format!("copulas[{i}]");
    let model = load(spec, &path, pools, issues)?;
    let sampler = match Sampler::new(model, &spec.conditions) {
        Ok(s) => Arc::new(s),
        Err(e) => {
            issues.push(Issue::new(format!("{path}.conditions"), e));
            return None;
        }
    };
    let mut fields = Vec::new();
    let mut columns = Vec::new();
    for &f in members {
        let fspec = &ctx.fields[f];
        let fpath = format!("fields[{f}]");
        let key = StreamKey::for_field(ctx.seed, &fspec.name);
        let p = Params { spec: fspec, path: &fpath, key, ctx };
        let Some(params) = p.parse::<CopulaParams>(KEYS, issues) else { continue };
        let column = params.column.unwrap_or_else(|| fspec.name.clone());
        let Some(c) = sampler.model().column(&column) else {
            let names: Vec<&str> = sampler.model().columns.iter().map(|c| c.name.as_str()).collect();
            let hint = match closest(&column, &names) {
                Some(c) => format!("did you mean `{c}`?"),
                None => format!("its columns: {}", names.join(", ")),
            };
            issues.push(Issue::new(p.at("column"), format!("copula `{name}` has no column `{column}`")).hint(hint));
            continue;
        };
        fields.push((f, Field::new(&fspec.name, sampler.model().columns[c].kind.data_type(), true)));
        columns.push(c);
    }
    if fields.len() != members.len() {
        return None;
    }
    let group = CopulaGroup {
        out: members.to_vec(),
        columns,
        sampler,
        key: StreamKey::for_field(ctx.seed, &format!("copula:{name}")),
    };
    Some(CompiledGroup { fields, group: Box::new(group) })
}

/// The model of `spec`: fitted on its pool (once per pool version and
/// definition), read from its file, or trained by the server.
fn load(spec: &CopulaSpec, path: &str, pools: &mut PoolScope, issues: &mut Issues) -> Option<Model> {
    let model = match &spec.source {
        CopulaSource::Pool { pool } => {
            let (_, version) = pools.slot(pool, &format!("{path}.source.pool"), issues)?;
            if spec.columns.is_empty() {
                issues
                    .push(Issue::new(format!("{path}.columns"), "a copula fitted on a pool needs `columns`").hint(
                        format!("list the columns of `{pool}` to model together, e.g. columns: [amount, items]"),
                    ));
                return None;
            }
            let mut positions = Vec::new();
            for (k, c) in spec.columns.iter().enumerate() {
                match version.column_index(c) {
                    Some(ci) => positions.push(ci),
                    None => {
                        let names: Vec<String> = version.schema().fields().iter().map(|f| f.name().clone()).collect();
                        let refs: Vec<&str> = names.iter().map(String::as_str).collect();
                        let hint = match closest(c, &refs) {
                            Some(x) => format!("did you mean `{x}`?"),
                            None => format!("its columns: {}", names.join(", ")),
                        };
                        issues.push(
                            Issue::new(format!("{path}.columns[{k}]"), format!("pool `{pool}` has no column `{c}`"))
                                .hint(hint),
                        );
                        return None;
                    }
                }
            }
            let key =
                serde_json::to_string(&(&spec.source, &spec.columns, &spec.marginals, spec.seed)).unwrap_or_default();
            // The columns are gathered only when the fit is not already kept.
            let fitted = pools.resources().fitted(&key, &version, || {
                let data = spec
                    .columns
                    .iter()
                    .zip(&positions)
                    .map(|(c, &ci)| version.column(ci).map(|a| (c.clone(), a)).map_err(|e| e.to_string()))
                    .collect::<Result<Vec<_>, _>>()?;
                crate::copula::fit(&data, spec.marginals.as_ref(), spec.seed.unwrap_or(0))
            });
            match fitted {
                Ok(m) => Model::clone(&m),
                Err(e) => {
                    issues.push(Issue::new(path.to_string(), format!("fitting copula `{}`: {e}", spec.name)));
                    return None;
                }
            }
        }
        CopulaSource::Model { model } => {
            let read = std::fs::read_to_string(model)
                .map_err(|e| format!("reading model file {model}: {e}"))
                .and_then(|t| Model::from_json(&t).map_err(|e| format!("model file {model}: {e}")));
            match read {
                Ok(m) => m,
                Err(e) => {
                    issues.push(
                        Issue::new(format!("{path}.source.model"), e)
                            .hint("write one with `sdg fit DATA --columns a,b --out model.json`; relative paths are relative to the definition's file"),
                    );
                    return None;
                }
            }
        }
        CopulaSource::Trained { trained } => match pools.resources().model(trained) {
            Some(m) => Model::clone(&m),
            None => {
                let known = pools.resources().model_names();
                issues.push(
                    Issue::new(format!("{path}.source.trained"), format!("no trained model `{trained}`")).hint(
                        if known.is_empty() {
                            "no trained model is known here: `sdg serve` trains them (POST /api/v1/models); elsewhere use source: { model: FILE } with a model file written by `sdg fit` (or downloaded: GET /api/v1/models/{id}/download)".to_string()
                        } else {
                            format!("trained models: {}", known.join(", "))
                        },
                    ),
                );
                return None;
            }
        },
    };
    if spec.columns.is_empty() || matches!(spec.source, CopulaSource::Pool { .. }) {
        return Some(model);
    }
    match model.select(&spec.columns) {
        Ok(m) => Some(m),
        Err(e) => {
            issues.push(Issue::new(format!("{path}.columns"), e));
            None
        }
    }
}

#[derive(Debug)]
struct CopulaGroup {
    out: Vec<usize>,
    /// The model column of each output.
    columns: Vec<usize>,
    sampler: Arc<Sampler>,
    key: StreamKey,
}

impl FieldGroup for CopulaGroup {
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
        let arrays = self.sampler.sample(self.key, ctx.rows, &self.columns);
        for (k, array) in arrays.into_iter().enumerate() {
            columns.set(self.out[k], super::with_nulls(array, nulls.get(k).and_then(Option::as_ref))?);
        }
        Ok(())
    }
}
