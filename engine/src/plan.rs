//! The compiled form of a generator: semantic validation, field groups in
//! dependency order, the Arrow schema, and the batch builder shared (read-only)
//! by every worker.

use crate::issue::{Issue, Issues};
use crate::mapping::{
    BatchCtx, Columns, CompileCtx, FieldGroup, GenError, LocalState, PoolScope, Rows, compile_groups,
};
use crate::pool::{Pool, PoolEntry, Resources};
use crate::rng::StreamKey;
use crate::spec::{EndCondition, GenerationMode, GeneratorSpec, OnError};
use arrow_array::{ArrayRef, RecordBatch, RecordBatchOptions};
use arrow_buffer::{BooleanBuffer, NullBuffer};
use arrow_schema::{Schema, SchemaRef};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

/// Rows per batch when the definition does not say.
pub const DEFAULT_BATCH_SIZE: usize = 8192;
/// Slowest accepted `rate`, rows per second (one row every ~17 minutes).
pub const MIN_RATE: f64 = 0.001;
/// Fastest accepted `rate`, rows per second (well past any machine).
pub const MAX_RATE: f64 = 1e12;
/// Largest accepted `batch_size`.
pub const MAX_BATCH_SIZE: usize = 1 << 20;
/// The sub-stream of a field used for its null mask.
const NULL_STREAM: u64 = 0x6E75_6C6C;
/// The sub-stream of a field used for its blanks.
const BLANK_STREAM: u64 = 0x626C_616E;

/// How a column gets its nulls.
#[derive(Debug, Clone, Copy)]
enum NullRule {
    Never,
    Always,
    /// Null when the row's draw is below `threshold` (= ratio × 2^64).
    Ratio {
        key: StreamKey,
        threshold: u64,
    },
}

#[derive(Debug)]
struct GroupSlot {
    group: Box<dyn FieldGroup>,
    nulls: Vec<NullRule>,
    /// Text outputs with a `blank_ratio`: (field, rule).
    blanks: Vec<(usize, NullRule)>,
    /// The group's null rule: its first output's nulls null every output.
    follow_first: bool,
}

/// A validated, compiled generator. Immutable; shared by all workers.
#[derive(Debug)]
pub struct Plan {
    spec: GeneratorSpec,
    schema: SchemaRef,
    groups: Vec<GroupSlot>,
    seed: u64,
    batch_size: usize,
    /// Field name → position.
    names: HashMap<String, usize>,
    /// The pools the groups read, by slot, with the version compiled against.
    pools: Vec<(Arc<PoolEntry>, Arc<Pool>)>,
    /// Field position → the group (index in `groups`) filling it.
    owner: Vec<usize>,
    /// Fields with `when`: (field, the field deciding, its values as text).
    conditions: Vec<(usize, usize, Vec<String>)>,
}

impl Plan {
    /// Validates and compiles `spec` with no shared resources: only the
    /// pools the definition declares itself (inline ones, unless a loader is
    /// given through [`Plan::compile_with`]).
    pub fn compile(spec: &GeneratorSpec) -> Result<Self, Issues> {
        Self::compile_with(spec, &Resources::new())
    }

    /// Validates and compiles `spec` against the shared `resources` (pools
    /// by name, loaded once and kept by the caller), reporting every problem.
    pub fn compile_with(spec: &GeneratorSpec, resources: &Resources) -> Result<Self, Issues> {
        let mut issues = check_spec(spec);
        let seed = spec.seed.unwrap_or_else(crate::rng::random_seed);
        let names: HashMap<String, usize> =
            spec.fields.iter().enumerate().rev().map(|(i, f)| (f.name.clone(), i)).collect();
        let locale = spec.locale.as_deref().unwrap_or(crate::catalog::DEFAULT_LOCALE);
        let ctx = CompileCtx {
            seed,
            mode: spec.mode,
            fields: &spec.fields,
            names: &names,
            locale,
            end_condition: &spec.end_condition,
            copulas: &spec.copulas,
            rate: spec.rate.as_ref(),
            lag_rows: crate::spec::disorder::window_rows(
                spec.disorder.as_ref(),
                spec.rate.as_ref().map(|r| r.nominal()),
            ),
        };
        let mut scope = PoolScope::new(spec, resources, &mut issues);
        let compiled = compile_groups(&ctx, &mut scope, &mut issues);
        let mut fields: Vec<Option<arrow_schema::Field>> = vec![None; spec.fields.len()];
        let mut groups = Vec::with_capacity(compiled.len());
        for c in compiled {
            for (i, f) in c.fields {
                fields[i] = Some(f);
            }
            groups.push(c.group);
        }
        if issues.is_empty() && fields.iter().any(Option::is_none) {
            issues.push(Issue::new(
                "fields",
                "a field could not be compiled (an sdg bug: please report it with this definition)",
            ));
        }
        let groups = order_groups(groups, spec, &mut issues);
        check_blanks(spec, &fields, &mut issues);
        let conditions = conditions(spec, &names, &fields, &mut issues);
        if !issues.is_empty() {
            return Err(issues);
        }
        let mut owner = vec![0; spec.fields.len()];
        for (g, group) in groups.iter().enumerate() {
            for &f in group.outputs() {
                owner[f] = g;
            }
        }
        let groups = groups
            .into_iter()
            .map(|group| {
                let nulls = group.outputs().iter().map(|&i| null_rule(seed, &spec.fields[i])).collect();
                let blanks = group
                    .outputs()
                    .iter()
                    .filter_map(|&i| {
                        let f = &spec.fields[i];
                        let rule = ratio_rule(seed, &f.name, f.blank_ratio, BLANK_STREAM);
                        (!matches!(rule, NullRule::Never)).then_some((i, rule))
                    })
                    .collect();
                GroupSlot { follow_first: group.nulls_follow_first(), group, nulls, blanks }
            })
            .collect();
        Ok(Self {
            spec: spec.clone(),
            schema: Arc::new(Schema::new(fields.into_iter().flatten().collect::<Vec<_>>())),
            groups,
            seed,
            batch_size: spec.batch_size.unwrap_or(DEFAULT_BATCH_SIZE),
            names,
            pools: scope.into_slots(),
            owner,
            conditions,
        })
    }

    /// The groups `fields` need: their own and, recursively, those of their
    /// inputs and of the fields their `when` reads.
    fn needed(&self, fields: &[usize]) -> Vec<bool> {
        let mut need = vec![false; self.groups.len()];
        let mut wanted: Vec<usize> = fields.to_vec();
        let mut k = 0;
        while k < wanted.len() {
            for (f, on, _) in &self.conditions {
                if *f == wanted[k] && !wanted.contains(on) {
                    wanted.push(*on);
                }
            }
            k += 1;
        }
        let mut stack: Vec<usize> = wanted.iter().filter_map(|&f| self.owner.get(f).copied()).collect();
        while let Some(g) = stack.pop() {
            if !std::mem::replace(&mut need[g], true) {
                stack.extend(self.groups[g].group.inputs().iter().filter_map(|&f| self.owner.get(f).copied()));
            }
        }
        need
    }

    /// Whether the values of `field` are a function of (seed, row) alone, so
    /// any row can be made again (a universe child recomputing this key).
    pub fn reproducible(&self, field: usize) -> bool {
        self.needed(&[field]).iter().zip(&self.groups).all(|(&need, slot)| !need || slot.group.reproducible())
    }

    /// The columns `fields` (positions) hold at `rows`, computing only the
    /// groups they need: each value equals that row of a full run (nulls and
    /// blanks included).
    pub fn columns_at(&self, fields: &[usize], rows: &[u64]) -> Result<Vec<ArrayRef>, GenError> {
        let need = self.needed(fields);
        let ctx = BatchCtx { rows: Rows::List(rows), ..self.batch_now() };
        let mut columns = self.fill_groups(&ctx, &mut self.new_locals(), Some(&need))?;
        fields.iter().map(|&f| columns.take(f).ok_or(GenError::Unfilled(f))).collect()
    }

    /// The position of field `name`.
    pub fn field_index(&self, name: &str) -> Option<usize> {
        self.names.get(name).copied()
    }

    /// The pools this plan reads.
    pub fn pools(&self) -> impl Iterator<Item = &Arc<PoolEntry>> {
        self.pools.iter().map(|(e, _)| e)
    }

    /// The definition this plan was compiled from.
    pub fn spec(&self) -> &GeneratorSpec {
        &self.spec
    }

    /// The Arrow schema of every batch.
    pub fn schema(&self) -> &SchemaRef {
        &self.schema
    }

    /// The seed in use (drawn at random when the definition has none).
    pub fn seed(&self) -> u64 {
        self.seed
    }

    /// Configured rows per batch.
    pub fn batch_size(&self) -> usize {
        self.batch_size
    }

    /// Rows to generate in all, when the end condition is a record count.
    pub fn row_limit(&self) -> Option<u64> {
        match self.spec.end_condition {
            EndCondition::RecordCount { value } => Some(value),
            _ => None,
        }
    }

    /// Running time after which the run ends, when the end condition is a duration.
    pub fn duration_limit(&self) -> Option<Duration> {
        match self.spec.end_condition {
            EndCondition::Duration { value } => Some(value),
            _ => None,
        }
    }

    /// The configured rate: rows per second, or a profile.
    pub fn rate(&self) -> Option<&crate::spec::rate::Rate> {
        self.spec.rate.as_ref()
    }

    /// BATCH or REALTIME.
    pub fn mode(&self) -> GenerationMode {
        self.spec.mode
    }

    /// What a sink error does.
    pub fn on_error(&self) -> OnError {
        self.spec.on_error
    }

    /// Per-worker state for every group, created once per worker.
    pub fn new_locals(&self) -> Vec<LocalState> {
        self.groups.iter().map(|g| g.group.new_local()).collect()
    }

    /// Builds rows `[start_row, start_row + len)` outside a run (previews,
    /// tests, shards). Wall clocks read the time now; simulated ones do not.
    pub fn generate(&self, start_row: u64, len: usize) -> Result<RecordBatch, GenError> {
        let ctx = BatchCtx { rows: Rows::Range { start: start_row, len }, ..self.batch_now() };
        self.generate_ctx(&ctx, &mut self.new_locals())
    }

    /// Builds the given rows, in this order (the rows a child references, a
    /// lookup reproduces): row `rows[i]` equals that row of a full run.
    pub fn generate_rows(&self, rows: &[u64]) -> Result<RecordBatch, GenError> {
        let ctx = BatchCtx { rows: Rows::List(rows), ..self.batch_now() };
        self.generate_ctx(&ctx, &mut self.new_locals())
    }

    fn batch_now(&self) -> BatchCtx<'static> {
        let wall_us = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_micros() as i64)
            .unwrap_or(0);
        let row_interval_us = self.rate().map(|r| 1e6 / r.at(0.0)).unwrap_or(0.0);
        BatchCtx { clock_row: None, ..BatchCtx::range(0, 0, wall_us, row_interval_us) }
    }

    /// Builds the batch described by `ctx`, using a worker's `locals`. The
    /// plan's pools are read at their current version, once for the batch.
    pub fn generate_ctx(&self, ctx: &BatchCtx, locals: &mut [LocalState]) -> Result<RecordBatch, GenError> {
        let len = ctx.rows.len();
        let columns = self.fill_groups(ctx, locals, None)?;
        let options = RecordBatchOptions::new().with_row_count(Some(len));
        Ok(RecordBatch::try_new_with_options(Arc::clone(&self.schema), columns.finish()?, &options)?)
    }

    /// Fills the groups (those `only` marks, or all) for `ctx`.
    fn fill_groups(
        &self,
        ctx: &BatchCtx,
        locals: &mut [LocalState],
        only: Option<&[bool]>,
    ) -> Result<Columns, GenError> {
        let snapshot: Vec<Arc<Pool>> = self
            .pools
            .iter()
            .map(|(entry, compiled)| entry.current().unwrap_or_else(|| Arc::clone(compiled)))
            .collect();
        let ctx = BatchCtx { pools: &snapshot, ..*ctx };
        let mut columns = Columns::new(self.schema.fields().len());
        let mut nulls = Vec::new();
        for (g, (slot, local)) in self.groups.iter().zip(locals.iter_mut()).enumerate() {
            if only.is_some_and(|o| !o[g]) {
                continue;
            }
            nulls.clear();
            nulls.extend(slot.nulls.iter().map(|rule| null_buffer(*rule, &ctx.rows)));
            if slot.follow_first && nulls.len() > 1 {
                let (first, rest) = nulls.split_at_mut(1);
                if let Some(draw) = &first[0] {
                    for n in rest {
                        *n = NullBuffer::union(Some(draw), n.as_ref());
                    }
                }
            }
            slot.group.fill(&ctx, &nulls, &mut columns, local)?;
            for &(field, rule) in &slot.blanks {
                if let (Some(blank), Some(column)) = (null_buffer(rule, &ctx.rows), columns.get(field)) {
                    // `blank` is set (valid) where the row keeps its text.
                    let column = crate::mapping::blank::apply(column, &blank)?;
                    columns.set(field, column);
                }
            }
        }
        // `when`: null where the deciding field has none of the values (in
        // field order, so a condition on a conditioned field sees its nulls).
        for (field, on, values) in &self.conditions {
            if let (Some(column), Some(decider)) = (columns.get(*field), columns.get(*on)) {
                let text = arrow_cast::cast(decider, &arrow_schema::DataType::Utf8)?;
                let text = arrow_array::cast::AsArray::as_string::<i32>(&text);
                let keep: arrow_buffer::BooleanBuffer =
                    text.iter().map(|v| v.is_some_and(|v| values.iter().any(|x| x == v))).collect();
                let column = crate::mapping::with_nulls(Arc::clone(column), Some(&NullBuffer::new(keep)))?;
                columns.set(*field, column);
            }
        }
        Ok(columns)
    }
}

fn null_rule(seed: u64, field: &crate::spec::FieldSpec) -> NullRule {
    ratio_rule(seed, &field.name, field.null_ratio, NULL_STREAM)
}

/// The rows a ratio picks (nulls, blanks), row-keyed on the field's `stream`.
fn ratio_rule(seed: u64, name: &str, ratio: Option<f64>, stream: u64) -> NullRule {
    match ratio {
        None => NullRule::Never,
        Some(r) if r <= 0.0 => NullRule::Never,
        Some(r) if r >= 1.0 => NullRule::Always,
        Some(r) => NullRule::Ratio {
            key: StreamKey::for_field(seed, name).substream(stream),
            threshold: (r * 18_446_744_073_709_551_616.0) as u64,
        },
    }
}

/// The `when` of every field: the deciding field's position and the values as text.
fn conditions(
    spec: &GeneratorSpec,
    names: &HashMap<String, usize>,
    fields: &[Option<arrow_schema::Field>],
    issues: &mut Issues,
) -> Vec<(usize, usize, Vec<String>)> {
    let mut out = Vec::new();
    for (i, f) in spec.fields.iter().enumerate() {
        let Some(w) = &f.when else { continue };
        let path = format!("fields[{i}].when");
        if w.values.is_empty() {
            issues.push(
                Issue::new(format!("{path}.in"), "list the values on which the field has a value").hint("in: [paid]"),
            );
        }
        let Some(&on) = names.get(&w.field) else {
            let known: Vec<&str> = spec.fields.iter().map(|f| f.name.as_str()).collect();
            let mut issue = Issue::new(format!("{path}.field"), format!("no field `{}`", w.field));
            if let Some(c) = crate::issue::closest(&w.field, &known) {
                issue = issue.hint(format!("did you mean `{c}`?"));
            }
            issues.push(issue);
            continue;
        };
        if on == i {
            issues.push(Issue::new(format!("{path}.field"), "a field cannot depend on itself"));
            continue;
        }
        if let Some(Some(decider)) = fields.get(on)
            && !arrow_cast::can_cast_types(decider.data_type(), &arrow_schema::DataType::Utf8)
        {
            issues.push(Issue::new(
                format!("{path}.field"),
                format!(
                    "`{}` is of type {}, which has no text form to compare (a UUID, a list)",
                    w.field,
                    decider.data_type()
                ),
            ));
            continue;
        }
        let mut values = Vec::new();
        for (k, v) in w.values.iter().enumerate() {
            match v {
                serde_json::Value::String(s) => values.push(s.clone()),
                serde_json::Value::Number(_) | serde_json::Value::Bool(_) => values.push(v.to_string()),
                other => issues.push(Issue::new(
                    format!("{path}.in[{k}]"),
                    format!("expected a value (text, number or boolean), found {}", crate::spec::describe(other)),
                )),
            }
        }
        out.push((i, on, values));
    }
    // A condition runs after the condition of the field it reads (so it sees
    // that field's nulls); a cycle is refused.
    let mut ordered = Vec::with_capacity(out.len());
    while !out.is_empty() {
        let before = out.len();
        let mut k = 0;
        while k < out.len() {
            let on = out[k].1;
            if out.iter().any(|(f, _, _)| *f == on) {
                k += 1;
            } else {
                ordered.push(out.remove(k));
            }
        }
        if out.len() == before {
            for (f, _, _) in &out {
                issues.push(Issue::new(
                    format!("fields[{f}].when"),
                    "these `when`s read each other in a cycle: one of them must not depend on the others",
                ));
            }
            break;
        }
    }
    ordered
}

/// `blank_ratio` applies to text columns only (it writes empty strings).
fn check_blanks(spec: &GeneratorSpec, fields: &[Option<arrow_schema::Field>], issues: &mut Issues) {
    for (i, (f, field)) in spec.fields.iter().zip(fields).enumerate() {
        let Some(r) = f.blank_ratio else { continue };
        if !(0.0..=1.0).contains(&r) {
            issues.push(Issue::new(format!("fields[{i}].blank_ratio"), format!("blank_ratio {r} is outside 0.0–1.0")));
        } else if let Some(field) = field
            && !crate::mapping::blank::supports(field.data_type())
        {
            issues.push(
                Issue::new(
                    format!("fields[{i}].blank_ratio"),
                    format!("blank_ratio writes empty text, but `{}` is of type {}", f.name, field.data_type()),
                )
                .hint("use null_ratio for columns that are not text"),
            );
        }
    }
}

fn null_buffer(rule: NullRule, rows: &Rows) -> Option<NullBuffer> {
    match (rule, *rows) {
        (NullRule::Never, _) => None,
        (NullRule::Always, _) => Some(NullBuffer::new_null(rows.len())),
        (NullRule::Ratio { key, threshold }, Rows::Range { start, len }) => {
            Some(NullBuffer::new(BooleanBuffer::collect_bool(len, |i| key.at(start + i as u64) >= threshold)))
        }
        (NullRule::Ratio { key, threshold }, Rows::List(l)) => {
            Some(NullBuffer::new(BooleanBuffer::collect_bool(l.len(), |i| key.at(l[i]) >= threshold)))
        }
    }
}

/// Orders groups so every group runs after the groups filling its inputs.
fn order_groups(
    groups: Vec<Box<dyn FieldGroup>>,
    spec: &GeneratorSpec,
    issues: &mut Issues,
) -> Vec<Box<dyn FieldGroup>> {
    let owner: HashMap<usize, usize> =
        groups.iter().enumerate().flat_map(|(g, grp)| grp.outputs().iter().map(move |&f| (f, g))).collect();
    let mut state = vec![0u8; groups.len()]; // 0 new, 1 visiting, 2 done
    let mut order = Vec::with_capacity(groups.len());
    fn visit(
        g: usize,
        groups: &[Box<dyn FieldGroup>],
        owner: &HashMap<usize, usize>,
        state: &mut [u8],
        order: &mut Vec<usize>,
        spec: &GeneratorSpec,
        issues: &mut Issues,
    ) {
        match state[g] {
            2 => return,
            1 => {
                let f = groups[g].outputs().first().copied().unwrap_or(0);
                issues.push(
                    Issue::new(
                        format!("fields[{f}]"),
                        format!("field `{}` depends on itself through its inputs", spec.fields[f].name),
                    )
                    .hint("remove the cycle between computed fields"),
                );
                return;
            }
            _ => {}
        }
        state[g] = 1;
        for input in groups[g].inputs() {
            if let Some(&dep) = owner.get(input) {
                visit(dep, groups, owner, state, order, spec, issues);
            }
        }
        state[g] = 2;
        order.push(g);
    }
    for g in 0..groups.len() {
        visit(g, &groups, &owner, &mut state, &mut order, spec, issues);
    }
    let mut slots: Vec<Option<Box<dyn FieldGroup>>> = groups.into_iter().map(Some).collect();
    order.into_iter().filter_map(|g| slots[g].take()).collect()
}

/// Checks that need the whole definition (mapping parameters are checked by their mappers).
fn check_spec(spec: &GeneratorSpec) -> Issues {
    let mut issues = Issues::default();
    if spec.name.trim().is_empty() {
        issues.push(Issue::new("name", "the name is empty").hint("give the generator a short name, e.g. orders"));
    }
    if spec.fields.is_empty() {
        issues.push(
            Issue::new("fields", "there are no fields")
                .hint("add at least one field, e.g. { name: id, type: SEQUENCE }"),
        );
    }
    match (spec.mode, &spec.rate) {
        (GenerationMode::Realtime, None) => issues.push(
            Issue::new("rate", "REALTIME mode needs a rate (rows per second)")
                .hint("add e.g. rate: 1000, or use mode: BATCH"),
        ),
        (_, Some(r)) => r.check(MIN_RATE, MAX_RATE, &mut issues),
        _ => {}
    }
    crate::spec::disorder::check(
        spec.disorder.as_ref(),
        spec.duplicate_ratio,
        spec.rate.as_ref().map(|r| r.nominal()),
        &mut issues,
    );
    if let Some(b) = spec.batch_size
        && !(1..=MAX_BATCH_SIZE).contains(&b)
    {
        issues.push(
            Issue::new("batch_size", format!("batch_size {b} is outside 1..={MAX_BATCH_SIZE}"))
                .hint("the default, 8192, suits most runs"),
        );
    }
    match spec.end_condition {
        EndCondition::RecordCount { value: 0 } => issues.push(
            Issue::new("end_condition.value", "a record count of 0 generates nothing").hint("use a positive count"),
        ),
        EndCondition::Duration { value } if value.is_zero() => {
            issues.push(Issue::new("end_condition.value", "a duration of 0 generates nothing").hint("use e.g. \"30s\""))
        }
        _ => {}
    }
    let mut seen: HashMap<&str, usize> = HashMap::new();
    for (i, f) in spec.fields.iter().enumerate() {
        if f.name.trim().is_empty() {
            issues.push(Issue::new(format!("fields[{i}].name"), "the field name is empty"));
        } else if let Some(first) = seen.insert(f.name.as_str(), i) {
            seen.insert(f.name.as_str(), first);
            issues.push(
                Issue::new(
                    format!("fields[{i}].name"),
                    format!("duplicate field name `{}` (also fields[{first}])", f.name),
                )
                .hint("every column needs its own name"),
            );
        }
        if let Some(r) = f.null_ratio
            && !(0.0..=1.0).contains(&r)
        {
            issues.push(Issue::new(format!("fields[{i}].null_ratio"), format!("null_ratio {r} is outside 0.0–1.0")));
        }
    }
    issues
}
