//! STATE_MACHINE: sessions — sequences of events per entity, each a walk of
//! a Markov chain from `initial` to a `final` state, many sessions at once,
//! their rows interleaved.
//!
//! ```yaml
//! - { name: session_id, type: UUID_GENERATED }          # the session's key: this field at its first row
//! - name: event
//!   type: STATE_MACHINE
//!   params:
//!     entity: { field: session_id, count: 50000 }    # 50 000 sessions at once
//!     initial: landing
//!     states: [landing, browse, cart, checkout, paid, abandoned]
//!     transitions:
//!       landing:  { browse: 0.8, abandoned: 0.2 }
//!       browse:   { browse: 0.6, cart: 0.3, abandoned: 0.1 }
//!       cart:     { checkout: 0.5, browse: 0.3, abandoned: 0.2 }
//!       checkout: { paid: 0.9, abandoned: 0.1 }
//!     final: [paid, abandoned]
//! - { name: step, type: STATE_MACHINE, params: { from: event, value: step } }
//! ```
//!
//! Row r belongs to slot `r mod count`; a slot runs one session after
//! another, its k-th row (`r div count`) one event. Each transition draws
//! from (seed, row) alone, so a session is the same on any worker count,
//! batch size or shard. A worker keeps a cursor per slot (event, state,
//! step, session) and moves it forward from its last row, so a run costs
//! O(1) per row amortised (a worker that sees every n-th batch moves n
//! events); a row far ahead of any cursor — a resume, a preview of a late
//! row — walks its slot from its first event once.
//!
//! The group fills the state column, the `entity.field` column (that
//! field's own mapper at each session's first row: one key per session,
//! whatever its type) and the derived fields (`step`: 0, 1, … within the
//! session; `session`: a number unique to the session).

use super::params::Params;
use super::{BatchCtx, Columns, CompileCtx, CompiledGroup, FieldGroup, GenError, LocalState, Rows};
use crate::issue::{Issue, Issues, closest};
use crate::rng::{StreamKey, unit_f64};
use arrow_array::types::Int32Type;
use arrow_array::{ArrayRef, DictionaryArray, Int32Array, Int64Array, StringArray};
use arrow_buffer::NullBuffer;
use arrow_schema::{DataType, Field};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::sync::Arc;

/// The most sessions at once (each worker keeps 32 bytes per session).
pub const MAX_SESSIONS: u64 = 10_000_000;

/// `params` of STATE_MACHINE: a machine, or a value derived from one.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(untagged)]
pub(crate) enum StateMachineParams {
    /// The machine (its field's value is the state).
    Machine(MachineParams),
    /// A value of another field's machine on the same row.
    Derived(DerivedParams),
}

/// The machine.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct MachineParams {
    /// How many sessions run at once, and the field holding each session's key.
    pub entity: Entity,
    /// The state every session starts in.
    pub initial: String,
    /// Every state, in the order of the column's dictionary.
    pub states: Vec<String>,
    /// Per state, the next states and their weights (normalised).
    pub transitions: BTreeMap<String, BTreeMap<String, f64>>,
    /// States that end a session (a new one takes its slot).
    #[serde(rename = "final")]
    pub finals: Vec<String>,
}

/// `entity:` of a machine.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct Entity {
    /// The field whose value, at a session's first row, is the session's key on every row of it.
    #[serde(default)]
    pub field: Option<String>,
    /// Sessions at once (1 … 10 000 000).
    pub count: u64,
}

/// A value of a machine.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct DerivedParams {
    /// The STATE_MACHINE field.
    pub from: String,
    /// `step` (0, 1, … within the session) or `session` (a number unique to the session).
    pub value: DerivedValue,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub(crate) enum DerivedValue {
    Step,
    Session,
}

pub(crate) const KEYS: &[&str] = &["entity", "initial", "states", "transitions", "final", "from", "value"];

/// The keys of both forms, as the definition's JSON Schema lists them: a
/// machine (`entity`, `initial`, `states`, `transitions`, `final`) or a
/// derived field (`from`, `value`).
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
pub(crate) struct SchemaParams {
    /// A machine: how many sessions run at once (`count`), and the field holding each session's key (`field`).
    entity: Option<Entity>,
    /// A machine: the state every session starts in.
    initial: Option<String>,
    /// A machine: every state.
    states: Option<Vec<String>>,
    /// A machine: per state, the next states and their weights.
    transitions: Option<BTreeMap<String, BTreeMap<String, f64>>>,
    /// A machine: the states that end a session.
    #[serde(rename = "final")]
    finals: Option<Vec<String>>,
    /// A derived field: the STATE_MACHINE field it reads.
    from: Option<String>,
    /// A derived field: `step` or `session`.
    value: Option<DerivedValue>,
}

/// What a STATE_MACHINE field is, read before compiling.
pub(crate) enum Role {
    Machine { key_field: Option<usize> },
    Derived { from: usize, value: DerivedValue },
}

/// The role of field `i`, or None (its problems reported).
pub(crate) fn role(i: usize, p: &Params, ctx: &CompileCtx, issues: &mut Issues) -> Option<Role> {
    let params: StateMachineParams = p.parse(KEYS, issues)?;
    let find = |name: &str, at: String, issues: &mut Issues| -> Option<usize> {
        match ctx.names.get(name) {
            Some(&j) if j != i => Some(j),
            Some(_) => {
                issues.push(Issue::new(at, format!("`{name}` is this field itself")));
                None
            }
            None => {
                let names: Vec<&str> = ctx.fields.iter().map(|f| f.name.as_str()).collect();
                let mut issue = Issue::new(at, format!("no field `{name}`"));
                if let Some(c) = closest(name, &names) {
                    issue = issue.hint(format!("did you mean `{c}`?"));
                }
                issues.push(issue);
                None
            }
        }
    };
    match params {
        StateMachineParams::Machine(m) => {
            let key_field = match &m.entity.field {
                None => None,
                Some(f) => Some(find(f, format!("{}.params.entity.field", p.path), issues)?),
            };
            Some(Role::Machine { key_field })
        }
        StateMachineParams::Derived(d) => {
            let from = find(&d.from, format!("{}.params.from", p.path), issues)?;
            if ctx.fields[from].kind == crate::spec::MappingType::StateMachine
                && ctx.fields[from].params.contains_key("from")
            {
                issues.push(Issue::new(
                    format!("{}.params.from", p.path),
                    format!("`{}` derives from a machine itself: name the machine", d.from),
                ));
                return None;
            }
            if ctx.fields[from].kind != crate::spec::MappingType::StateMachine {
                issues.push(Issue::new(
                    format!("{}.params.from", p.path),
                    format!("`{}` is a {}, not a STATE_MACHINE", d.from, ctx.fields[from].kind.as_str()),
                ));
                return None;
            }
            Some(Role::Derived { from, value: d.value })
        }
    }
}

/// The compiled machine.
#[derive(Debug)]
struct Machine {
    states: Arc<StringArray>,
    initial: u16,
    /// Per state: (next state, cumulative probability), or empty for a final state.
    next: Vec<Vec<(u16, f64)>>,
    count: u64,
    key: StreamKey,
    /// Events between a slot's snapshots (late rows of a disorder walk from
    /// one); 0: no snapshots (rows come in order).
    every: u64,
}

fn check_machine(m: &MachineParams, path: &str, key: StreamKey, issues: &mut Issues) -> Option<Machine> {
    let before = issues.len();
    let at = |k: &str| format!("{path}.params.{k}");
    if m.states.is_empty() {
        issues.push(Issue::new(at("states"), "a machine needs states").hint("states: [landing, browse, paid]"));
        return None;
    }
    if m.states.len() > u16::MAX as usize {
        issues.push(Issue::new(at("states"), format!("{} states are more than {}", m.states.len(), u16::MAX)));
        return None;
    }
    let index = |s: &str| m.states.iter().position(|x| x == s);
    for (k, s) in m.states.iter().enumerate() {
        if m.states[..k].contains(s) {
            issues.push(Issue::new(format!("{}[{k}]", at("states")), format!("`{s}` is listed twice")));
        }
    }
    let unknown = |s: &str, at: String, issues: &mut Issues| {
        let known: Vec<&str> = m.states.iter().map(String::as_str).collect();
        let mut issue = Issue::new(at, format!("`{s}` is not one of the states"));
        issue = match closest(s, &known) {
            Some(c) => issue.hint(format!("did you mean `{c}`?")),
            None => issue.hint(format!("states: {}", known.join(", "))),
        };
        issues.push(issue);
    };
    if index(&m.initial).is_none() {
        unknown(&m.initial, at("initial"), issues);
    }
    for (k, f) in m.finals.iter().enumerate() {
        if index(f).is_none() {
            unknown(f, format!("{}[{k}]", at("final")), issues);
        }
    }
    if m.finals.is_empty() {
        issues.push(
            Issue::new(at("final"), "a machine needs a final state, or its sessions never end")
                .hint("final: [paid, abandoned]"),
        );
    }
    let mut next = vec![Vec::new(); m.states.len()];
    for (from, targets) in &m.transitions {
        let here = format!("{}.{from}", at("transitions"));
        let Some(i) = index(from) else {
            unknown(from, here, issues);
            continue;
        };
        if m.finals.contains(from) {
            issues.push(Issue::new(here, format!("`{from}` is final: a session ends there, so it has no transitions")));
            continue;
        }
        let total: f64 = targets.values().sum();
        if targets.values().any(|w| !w.is_finite() || *w < 0.0) || total <= 0.0 || total.is_nan() {
            issues.push(
                Issue::new(here, "weights must be 0 or more, and not all 0")
                    .hint("e.g. { browse: 0.8, abandoned: 0.2 }"),
            );
            continue;
        }
        let mut cum = 0.0;
        for (to, w) in targets {
            match index(to) {
                Some(j) => {
                    cum += w / total;
                    next[i].push((j as u16, cum));
                }
                None => unknown(to, format!("{here}.{to}"), issues),
            }
        }
        if let Some(last) = next[i].last_mut() {
            last.1 = 1.0;
        }
    }
    for (i, s) in m.states.iter().enumerate() {
        if next[i].is_empty() && !m.finals.contains(s) && !m.transitions.contains_key(s) {
            issues.push(
                Issue::new(at("transitions"), format!("state `{s}` has no transitions and is not final"))
                    .hint(format!("add transitions for `{s}`, or list it under final")),
            );
        }
    }
    if !(1..=MAX_SESSIONS).contains(&m.entity.count) {
        issues.push(Issue::new(
            at("entity.count"),
            format!("count is {}; run 1 to {MAX_SESSIONS} sessions at once", m.entity.count),
        ));
    }
    if issues.len() > before {
        return None;
    }
    Some(Machine {
        states: Arc::new(StringArray::from_iter_values(&m.states)),
        initial: index(&m.initial).unwrap_or(0) as u16,
        next,
        count: m.entity.count,
        key,
        every: 0,
    })
}

/// Compiles the machine of field `head`, with its session key (the
/// compiled group of `entity.field`, taken over here) and its derived fields.
pub(crate) fn compile(
    head: usize,
    p: &Params,
    key_group: Option<CompiledGroup>,
    derived: &[(usize, DerivedValue)],
    issues: &mut Issues,
) -> Option<CompiledGroup> {
    let Some(StateMachineParams::Machine(params)) = p.parse::<StateMachineParams>(KEYS, &mut Issues::default()) else {
        return None;
    };
    let mut machine = check_machine(&params, p.path, p.key, issues)?;
    if p.ctx.lag_rows > 0 {
        machine.every = p.ctx.lag_rows.div_ceil(machine.count) + 1;
    }
    if let Some(k) = &key_group
        && k.fields.len() != 1
    {
        issues.push(Issue::new(
            format!("{}.params.entity.field", p.path),
            "the session key must be a field of its own (not one of a pool pick's or an entity's several columns)",
        ));
        return None;
    }
    let mut fields = vec![(
        head,
        Field::new(&p.spec.name, DataType::Dictionary(Box::new(DataType::Int32), Box::new(DataType::Utf8)), true),
    )];
    let mut out = vec![head];
    let key = key_group.map(|g| {
        fields.push(g.fields[0].clone());
        out.push(g.fields[0].0);
        g.group
    });
    for (i, _) in derived {
        fields.push((*i, derived_field(&p.ctx.fields[*i].name)));
        out.push(*i);
    }
    let derived: Vec<DerivedValue> = derived.iter().map(|(_, v)| *v).collect();
    Some(CompiledGroup { fields, group: Box::new(StateMachineGroup { out, machine, key, derived }) })
}

/// A derived field's Arrow field.
/// The sessions at once of a machine's parameters (`entity.count`); None
/// for a derived field or parameters that do not say.
pub(crate) fn session_count(params: &serde_json::Map<String, serde_json::Value>) -> Option<u64> {
    params.get("entity")?.get("count")?.as_u64()
}

pub(crate) fn derived_field(name: &str) -> Field {
    Field::new(name, DataType::Int64, true)
}

#[derive(Debug)]
struct StateMachineGroup {
    /// The state, then the key (if any), then the derived fields.
    out: Vec<usize>,
    machine: Machine,
    key: Option<Box<dyn FieldGroup>>,
    derived: Vec<DerivedValue>,
}

/// Where a slot is: its cursor, 32 bytes.
#[derive(Debug, Clone, Copy)]
struct Cursor {
    /// The slot's event index this describes (u64::MAX: none yet).
    event: u64,
    /// The session's number within the slot, and the event it began at.
    session: u64,
    first: u64,
    step: u32,
    state: u16,
}

const NONE: Cursor = Cursor { event: u64::MAX, session: 0, first: 0, step: 0, state: 0 };

/// A worker's cursors, and the key field's own state.
struct Local {
    cursors: Vec<Cursor>,
    /// Under disorder: per slot the cursor at its last two multiples of `every` events.
    snapshots: Vec<[Cursor; 2]>,
    key: LocalState,
}

impl Machine {
    /// Where `slot` is at event `e`: the worker's cursor moved forward to
    /// it, or — for an event behind the cursor (a late row) — a copy walked
    /// from the nearest snapshot, leaving the cursor where it was.
    fn at(&self, c: &mut Cursor, snaps: Option<&mut [Cursor; 2]>, slot: u64, e: u64) -> Cursor {
        if c.event != u64::MAX && e < c.event {
            let from = snaps.and_then(|s| s.iter().filter(|x| x.event <= e).max_by_key(|x| x.event).copied());
            let mut back = from.unwrap_or(NONE);
            self.advance(&mut back, None, slot, e);
            return back;
        }
        self.advance(c, snaps, slot, e);
        *c
    }

    /// Moves `c` forward to event `e` of `slot` (from the start when it is past it).
    fn advance(&self, c: &mut Cursor, mut snaps: Option<&mut [Cursor; 2]>, slot: u64, e: u64) {
        if c.event == u64::MAX || e < c.event {
            *c = Cursor { event: 0, session: 0, first: 0, step: 0, state: self.initial };
        }
        while c.event < e {
            if let Some(s) = snaps.as_deref_mut()
                && c.event.is_multiple_of(self.every)
                && s[0].event != c.event
            {
                s[1] = s[0];
                s[0] = *c;
            }
            let next = c.event + 1;
            let moves = &self.next[c.state as usize];
            if moves.is_empty() {
                // A final state: the next event begins the slot's next session.
                *c = Cursor { event: next, session: c.session + 1, first: next, step: 0, state: self.initial };
                continue;
            }
            let u = unit_f64(self.key.at(slot + next * self.count));
            let k = moves.partition_point(|(_, cum)| *cum <= u).min(moves.len() - 1);
            c.state = moves[k].0;
            c.step += 1;
            c.event = next;
        }
    }
}

impl FieldGroup for StateMachineGroup {
    fn outputs(&self) -> &[usize] {
        &self.out
    }

    fn reproducible(&self) -> bool {
        self.key.as_ref().is_none_or(|k| k.reproducible())
    }

    fn new_local(&self) -> LocalState {
        Some(Box::new(Local {
            cursors: Vec::new(),
            snapshots: Vec::new(),
            key: self.key.as_ref().and_then(|k| k.new_local()),
        }))
    }

    fn fill(
        &self,
        ctx: &BatchCtx,
        nulls: &[Option<NullBuffer>],
        columns: &mut Columns,
        local: &mut LocalState,
    ) -> Result<(), GenError> {
        if local.as_ref().is_none_or(|l| !l.is::<Local>()) {
            *local = self.new_local();
        }
        let Some(l) = local.as_mut().and_then(|l| l.downcast_mut::<Local>()) else {
            return Err(GenError::Mapper { field: String::new(), message: "state machine local state".into() });
        };
        let m = &self.machine;
        if l.cursors.is_empty() {
            l.cursors = vec![NONE; m.count as usize];
            if m.every > 0 {
                l.snapshots = vec![[NONE; 2]; m.count as usize];
            }
        }
        let n = ctx.rows.len();
        let (mut states, mut steps, mut sessions, mut firsts) =
            (Vec::with_capacity(n), Vec::with_capacity(n), Vec::with_capacity(n), Vec::with_capacity(n));
        for i in 0..n {
            let row = ctx.rows.get(i);
            let (slot, e) = (row % m.count, row / m.count);
            let snaps = l.snapshots.get_mut(slot as usize);
            let c = m.at(&mut l.cursors[slot as usize], snaps, slot, e);
            states.push(i32::from(c.state));
            steps.push(i64::from(c.step));
            sessions.push((c.session * m.count + slot) as i64);
            firsts.push(slot + c.first * m.count);
        }
        let keys = Int32Array::new(states.into(), nulls.first().cloned().flatten());
        let state = DictionaryArray::<Int32Type>::try_new(keys, Arc::clone(&m.states) as ArrayRef)?;
        columns.set(self.out[0], Arc::new(state));
        let mut at = 1;
        if let Some(key) = &self.key {
            // The key field's own mapper, at each row's session start.
            let first_ctx = BatchCtx { rows: Rows::List(&firsts), ..*ctx };
            key.fill(&first_ctx, &nulls[1..2], columns, &mut l.key)?;
            at = 2;
        }
        for (k, value) in self.derived.iter().enumerate() {
            let values = match value {
                DerivedValue::Step => steps.clone(),
                DerivedValue::Session => sessions.clone(),
            };
            let array = Int64Array::new(values.into(), nulls.get(at + k).cloned().flatten());
            columns.set(self.out[at + k], Arc::new(array));
        }
        Ok(())
    }
}
