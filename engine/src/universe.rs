//! Universes: related generators whose foreign keys are valid with no
//! coordination (seed 001). A member's values are a pure function of
//! (seed, row), so a child references a parent by drawing a parent row
//! index and recomputing the parent's value there (UNIVERSE_KEY_REFERENCE,
//! `mapping/universe_ref.rs`): it never reads the parent's output, on any
//! worker, shard or machine.
//!
//! This module reads a universe file, orders the members (parents first,
//! cycles refused), compiles each against the parents compiled before it
//! (registered in a [`Resources`] scoped to the universe), and runs them:
//! in BATCH a child starts once its parents have completed (a database with
//! FOREIGN KEY constraints accepts every row), in REALTIME all run together
//! and a child references only the rows its parents have delivered.

use crate::issue::{Issue, Issues};
use crate::pipeline::{InvalidTransition, Run, RunConfig, Status};
use crate::plan::Plan;
use crate::pool::Resources;
use crate::sink::Sink;
use crate::spec::{EndCondition, GenerationMode, GeneratorSpec, MappingType};
use serde_json::Value;
use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering::SeqCst};
use std::time::Duration;

/// How many rows of a parent exist for its children to reference.
#[derive(Debug, Clone)]
pub enum RowBound {
    /// A BATCH parent's RECORD_COUNT: every row exists before a child starts.
    Fixed(u64),
    /// A parent whose rows are counted as they are delivered (REALTIME, or a
    /// BATCH run ended by a duration): its run publishes its checkpoint here.
    Live(Arc<AtomicU64>),
}

impl RowBound {
    /// The rows there are now.
    #[inline]
    pub fn rows(&self) -> u64 {
        match self {
            Self::Fixed(n) => *n,
            Self::Live(n) => n.load(SeqCst),
        }
    }

    /// True for a fixed count.
    pub fn is_fixed(&self) -> bool {
        matches!(self, Self::Fixed(_))
    }
}

/// A universe member as its children see it: its plan and its row count.
#[derive(Debug, Clone)]
pub struct ParentRef {
    /// The parent's compiled plan (values are recomputed from it).
    pub plan: Arc<Plan>,
    /// How many of its rows exist.
    pub bound: RowBound,
}

/// A universe file, its members read.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct UniverseSpec {
    /// The universe's name.
    pub name: String,
    /// Free text.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// The default seed of the members.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub seed: Option<u64>,
    /// The members, in file order (a member's own `seed` wins; else the universe's).
    pub generators: Vec<GeneratorSpec>,
}

const UNIVERSE_KEYS: &[&str] = &["universe", "description", "seed", "generators"];

/// True when a parsed document is a universe file (it has `universe:`).
pub fn is_universe(value: &Value) -> bool {
    value.as_object().is_some_and(|o| o.contains_key("universe"))
}

/// The parsed document when `text` (YAML or JSON) is a universe file.
pub fn document(text: &str) -> Option<Value> {
    serde_norway::from_str::<Value>(text).ok().filter(is_universe)
}

/// Reads a universe document; `read_file(path)` gives the text of a member
/// written as `{ file: PATH }` (YAML or JSON). Every problem, with its path.
pub fn parse(value: &Value, read_file: &dyn Fn(&str) -> Result<String, String>) -> Result<UniverseSpec, Issues> {
    let mut issues = Issues::default();
    let Some(obj) = value.as_object() else {
        issues.push(Issue::new("", "a universe file is a mapping with `universe:` and `generators:`"));
        return Err(issues);
    };
    for key in obj.keys().filter(|k| !UNIVERSE_KEYS.contains(&k.as_str())) {
        issues.push(crate::issue::unknown_key("", key, UNIVERSE_KEYS));
    }
    let name = match obj.get("universe") {
        Some(Value::String(s)) if !s.trim().is_empty() => s.clone(),
        _ => {
            issues.push(Issue::new("universe", "the universe needs a name").hint("e.g. universe: shop"));
            String::new()
        }
    };
    let description = match obj.get("description") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(s.clone()),
        Some(_) => {
            issues.push(Issue::new("description", "the description is text"));
            None
        }
    };
    let seed = match obj.get("seed") {
        None | Some(Value::Null) => None,
        Some(v) => match v
            .as_u64()
            .or_else(|| v.as_f64().filter(|f| f.fract() == 0.0 && *f >= 0.0 && *f < 1.8e19).map(|f| f as u64))
        {
            Some(s) => Some(s),
            None => {
                issues.push(Issue::new("seed", "the seed is a whole number from 0 to 2^64 − 1"));
                None
            }
        },
    };
    let mut generators = Vec::new();
    match obj.get("generators") {
        Some(Value::Array(members)) if !members.is_empty() => {
            for (i, m) in members.iter().enumerate() {
                let path = format!("generators[{i}]");
                let doc = match m.as_object().and_then(|o| o.get("file")) {
                    Some(file) if m.as_object().is_some_and(|o| o.len() == 1) => {
                        let Some(file) = file.as_str() else {
                            issues.push(Issue::new(format!("{path}.file"), "the file is a path"));
                            continue;
                        };
                        let text = match read_file(file) {
                            Ok(t) => t,
                            Err(e) => {
                                issues.push(Issue::new(format!("{path}.file"), e));
                                continue;
                            }
                        };
                        match serde_norway::from_str::<Value>(&text) {
                            Ok(v) => v,
                            Err(e) => {
                                issues
                                    .push(Issue::new(format!("{path}.file"), format!("{file} is not valid YAML: {e}")));
                                continue;
                            }
                        }
                    }
                    _ => m.clone(),
                };
                match crate::spec::spec_from_value(&doc) {
                    Ok(mut spec) => {
                        if spec.seed.is_none() {
                            spec.seed = seed;
                        }
                        generators.push(spec);
                    }
                    Err(e) => prefixed(&mut issues, &path, e),
                }
            }
        }
        _ => issues.push(
            Issue::new("generators", "a universe needs its generators")
                .hint("list them: generators: [ { name: customers, … }, { file: accounts.yaml } ]"),
        ),
    }
    if issues.is_empty() { Ok(UniverseSpec { name, description, seed, generators }) } else { Err(issues) }
}

/// Adds a member's problems under its path (`generators[1].fields[0]…`).
fn prefixed(issues: &mut Issues, path: &str, member: Issues) {
    for mut issue in member.0 {
        issue.path = if issue.path.is_empty() { path.to_string() } else { format!("{path}.{}", issue.path) };
        issues.push(issue);
    }
}

/// Reads a universe from YAML (or JSON) text.
pub fn parse_yaml(text: &str, read_file: &dyn Fn(&str) -> Result<String, String>) -> Result<UniverseSpec, Issues> {
    let value: Value = serde_norway::from_str(text).map_err(|e| {
        let mut issues = Issues::default();
        issues.push(Issue::new("", format!("the document is not valid YAML: {e}")));
        issues
    })?;
    parse(&value, read_file)
}

/// One compiled member.
#[derive(Debug)]
pub struct Member {
    /// Its definition.
    pub spec: GeneratorSpec,
    /// Its plan.
    pub plan: Arc<Plan>,
    /// The members it references.
    pub parents: Vec<String>,
    /// How many of its rows exist for its children (published by its run when live).
    pub bound: RowBound,
}

/// A compiled universe: members in dependency order (parents first).
#[derive(Debug)]
pub struct Universe {
    /// The definition.
    pub spec: UniverseSpec,
    /// The members, parents before children.
    pub members: Vec<Member>,
}

/// The generators the fields of `spec` reference, with the field positions.
pub fn references(spec: &GeneratorSpec) -> Vec<(usize, String)> {
    spec.fields
        .iter()
        .enumerate()
        .filter(|(_, f)| f.kind == MappingType::UniverseKeyReference)
        .filter_map(|(i, f)| f.params.get("generator").and_then(Value::as_str).map(|g| (i, g.to_string())))
        .collect()
}

impl Member {
    /// Whether this member can run on its own (its parents compiled, not
    /// run): every parent's row count is known in advance.
    pub fn standalone(&self, universe: &Universe) -> Result<(), String> {
        for p in &self.parents {
            if universe.member(p).is_some_and(|pm| !pm.bound.is_fixed()) {
                return Err(format!(
                    "`{}` references `{p}`, whose rows are counted as they are delivered (REALTIME, or a BATCH run ended by a duration): run the universe, not `{}` alone",
                    self.spec.name, self.spec.name
                ));
            }
        }
        Ok(())
    }
}

impl Universe {
    /// Orders and compiles the members against `resources`' pools; `check`
    /// compiles one member (and checks its destination: the CLI and server
    /// pass sdg-destinations' check). Every problem, with its path.
    pub fn compile(
        spec: UniverseSpec,
        resources: &Resources,
        check: &dyn Fn(&GeneratorSpec, &Resources) -> Result<Plan, Issues>,
    ) -> Result<Self, Issues> {
        let mut issues = Issues::default();
        let names: HashMap<&str, usize> =
            spec.generators.iter().enumerate().rev().map(|(i, g)| (g.name.as_str(), i)).collect();
        for (i, g) in spec.generators.iter().enumerate() {
            if names[g.name.as_str()] != i {
                issues.push(
                    Issue::new(
                        format!("generators[{i}].name"),
                        format!("two members are called `{}` (also generators[{}])", g.name, names[g.name.as_str()]),
                    )
                    .hint("every member needs its own name: children reference it by name"),
                );
            }
        }
        // The dependency graph; unknown names reported here with the members there are.
        let member_names: Vec<&str> = spec.generators.iter().map(|g| g.name.as_str()).collect();
        let mut deps: Vec<Vec<usize>> = vec![Vec::new(); spec.generators.len()];
        for (i, g) in spec.generators.iter().enumerate() {
            for (f, parent) in references(g) {
                match names.get(parent.as_str()) {
                    Some(&p) if p == i => issues.push(
                        Issue::new(
                            format!("generators[{i}].fields[{f}].params.generator"),
                            format!("`{}` references itself", g.name),
                        )
                        .hint("a self-reference (a parent_id in the same table) is not supported: use another member"),
                    ),
                    Some(&p) => {
                        if !deps[i].contains(&p) {
                            deps[i].push(p);
                        }
                    }
                    None => {
                        let hint = crate::issue::closest(&parent, &member_names)
                            .map(|c| format!("did you mean `{c}`?"))
                            .unwrap_or_else(|| format!("the members are: {}", member_names.join(", ")));
                        issues.push(
                            Issue::new(
                                format!("generators[{i}].fields[{f}].params.generator"),
                                format!("there is no generator `{parent}` in universe `{}`", spec.name),
                            )
                            .hint(hint),
                        );
                    }
                }
            }
        }
        let order = match topological(&deps) {
            Ok(order) => order,
            Err(cycle) => {
                let path: Vec<&str> = cycle.iter().map(|&i| spec.generators[i].name.as_str()).collect();
                issues.push(
                    Issue::new(
                        format!("generators[{}]", cycle[0]),
                        format!("the members reference each other in a cycle: {} → {}", path.join(" → "), path[0]),
                    )
                    .hint("a child references its parents only; break the cycle"),
                );
                return Err(issues);
            }
        };
        if !issues.is_empty() {
            return Err(issues);
        }
        let scope = resources.for_universe();
        let mut compiled: Vec<Option<Member>> = (0..spec.generators.len()).map(|_| None).collect();
        for &i in &order {
            let g = &spec.generators[i];
            let path = format!("generators[{i}]");
            // A parent whose member failed is reported there; skip its children's compile.
            if deps[i].iter().any(|&p| compiled[p].is_none()) {
                continue;
            }
            match check(g, &scope) {
                Ok(plan) => {
                    let plan = Arc::new(plan);
                    let bound = match (g.mode, &g.end_condition) {
                        (GenerationMode::Batch, EndCondition::RecordCount { value }) => RowBound::Fixed(*value),
                        _ => RowBound::Live(Arc::new(AtomicU64::new(0))),
                    };
                    scope.add_parent(&g.name, ParentRef { plan: Arc::clone(&plan), bound: bound.clone() });
                    let parents = deps[i].iter().map(|&p| spec.generators[p].name.clone()).collect();
                    compiled[i] = Some(Member { spec: g.clone(), plan, parents, bound });
                }
                Err(e) => prefixed(&mut issues, &path, e),
            }
        }
        // A BATCH parent with no end of its own never completes: its children would never start.
        for (i, g) in spec.generators.iter().enumerate() {
            let referenced = spec.generators.iter().any(|c| references(c).iter().any(|(_, p)| *p == g.name));
            if referenced && g.on_error == crate::spec::OnError::Continue {
                issues.push(
                    Issue::new(
                        format!("generators[{i}].on_error"),
                        format!("`{}` is a parent: rows it gives up (on_error: CONTINUE) would be keys its children point at that no destination holds", g.name),
                    )
                    .hint("use on_error: PAUSE or STOP for a parent"),
                );
            }
            if referenced && g.mode == GenerationMode::Batch && g.end_condition == EndCondition::Manual {
                issues.push(
                    Issue::new(
                        format!("generators[{i}].end_condition"),
                        format!("`{}` is a parent without a row bound: a BATCH run with a MANUAL end never completes, so its children would never start", g.name),
                    )
                    .hint("give it end_condition: { type: RECORD_COUNT, value: N }"),
                );
            }
        }
        if !issues.is_empty() {
            return Err(issues);
        }
        let members = order.into_iter().filter_map(|i| compiled[i].take()).collect();
        Ok(Self { spec, members })
    }

    /// The member named `name`.
    pub fn member(&self, name: &str) -> Option<&Member> {
        self.members.iter().find(|m| m.spec.name == name)
    }
}

/// Kahn's order of `deps` (parents first), or a cycle.
fn topological(deps: &[Vec<usize>]) -> Result<Vec<usize>, Vec<usize>> {
    let n = deps.len();
    let mut state = vec![0u8; n];
    let mut order = Vec::with_capacity(n);
    let mut stack = Vec::new();
    fn visit(
        i: usize,
        deps: &[Vec<usize>],
        state: &mut [u8],
        order: &mut Vec<usize>,
        stack: &mut Vec<usize>,
    ) -> Result<(), Vec<usize>> {
        match state[i] {
            2 => return Ok(()),
            1 => {
                let from = stack.iter().position(|&s| s == i).unwrap_or(0);
                return Err(stack[from..].to_vec());
            }
            _ => {}
        }
        state[i] = 1;
        stack.push(i);
        for &p in &deps[i] {
            visit(p, deps, state, order, stack)?;
        }
        stack.pop();
        state[i] = 2;
        order.push(i);
        Ok(())
    }
    for i in 0..n {
        visit(i, deps, &mut state, &mut order, &mut stack)?;
    }
    Ok(order)
}

/// A universe being run: one [`Run`] per member, started parents first.
#[derive(Debug)]
pub struct UniverseRun {
    /// (member name, its run), parents first.
    pub runs: Vec<(String, Arc<Run>)>,
    starter: parking_lot::Mutex<Option<std::thread::JoinHandle<()>>>,
    stop: Arc<std::sync::atomic::AtomicBool>,
    /// Per member: 0 undecided, 1 started, 2 not started.
    decided: Arc<Vec<std::sync::atomic::AtomicU8>>,
}

/// Opens a member's destination.
pub type OpenSink = dyn Fn(&Member) -> Result<Box<dyn Sink>, String> + Send + Sync;

impl UniverseRun {
    /// Creates a run per member (each publishing its checkpoint for its
    /// children) and starts them in the background: a member starts once
    /// each BATCH parent has completed and each REALTIME parent has
    /// delivered a row. A parent that fails or stops leaves its children
    /// unstarted (status CREATED); `open` errors fail the member.
    pub fn start(universe: Universe, config: &RunConfig, open: Arc<OpenSink>) -> Self {
        let configs = universe.members.iter().map(|_| config.clone()).collect();
        Self::start_with(universe, configs, open)
    }

    /// Like [`UniverseRun::start`], making shard `i` of `n` of every member
    /// (each member's own division, see [`crate::pipeline::shard`]): a
    /// child's references are recomputed from its parents' plans, so they
    /// point into every parent shard's rows, not this one's alone. Err when
    /// a member cannot be split so.
    pub fn start_shard(
        universe: Universe,
        config: &RunConfig,
        (i, n): (u64, u64),
        open: Arc<OpenSink>,
    ) -> Result<Self, String> {
        let configs = universe
            .members
            .iter()
            .map(|m| {
                let shard = crate::pipeline::shard::Shard::of(&m.plan, i, n)
                    .map_err(|e| format!("member `{}`: {e}", m.spec.name))?;
                // A live parent's shard is what its children's shards wait
                // for: one with no rows would keep them from ever starting.
                let parent = universe.members.iter().any(|c| c.parents.contains(&m.spec.name));
                if parent && !m.bound.is_fixed() && shard.rows == Some(0) {
                    return Err(format!(
                        "member `{}`: shard {}/{} has none of its {} rows (blocks of {} rows, batch_size): its children's shards could never start; give it a smaller batch_size or use fewer shards",
                        m.spec.name,
                        i,
                        n,
                        m.plan.row_limit().unwrap_or(0),
                        m.plan.batch_size()
                    ));
                }
                Ok(config.clone().for_shard(shard))
            })
            .collect::<Result<Vec<_>, String>>()?;
        Ok(Self::start_with(universe, configs, open))
    }

    /// Starts every member with its own run configuration (`configs`, in member order).
    fn start_with(universe: Universe, configs: Vec<RunConfig>, open: Arc<OpenSink>) -> Self {
        let universe = Arc::new(universe);
        let runs: Vec<(String, Arc<Run>)> = universe
            .members
            .iter()
            .zip(configs)
            .map(|(m, mut c)| {
                if let RowBound::Live(counter) = &m.bound {
                    c.publish = Some(Arc::clone(counter));
                }
                (m.spec.name.clone(), Arc::new(Run::new(Arc::clone(&m.plan), c)))
            })
            .collect();
        let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let decided: Arc<Vec<std::sync::atomic::AtomicU8>> =
            Arc::new((0..runs.len()).map(|_| std::sync::atomic::AtomicU8::new(0)).collect());
        let (u, r, halt, d) = (Arc::clone(&universe), runs.clone(), Arc::clone(&stop), Arc::clone(&decided));
        let starter = std::thread::Builder::new()
            .name("sdg-universe".into())
            .spawn(move || start_in_order(&u, &r, &halt, open.as_ref(), &d))
            .expect("spawning the universe starter");
        Self { runs, starter: parking_lot::Mutex::new(Some(starter)), stop, decided }
    }

    /// Waits until member `i` is started (true) or will never be (false: a
    /// parent did not complete, or the universe was stopped).
    pub fn wait_decided(&self, i: usize) -> bool {
        loop {
            match self.decided.get(i).map(|d| d.load(SeqCst)) {
                Some(0) if !self.starter_done() => std::thread::sleep(Duration::from_millis(10)),
                Some(1) => return true,
                _ => return false,
            }
        }
    }

    /// True while some member is neither started nor given up (a child
    /// waiting for its parents): the universe is still running.
    pub fn pending(&self) -> bool {
        !self.starter_done() && self.decided.iter().any(|d| d.load(SeqCst) == 0)
    }

    fn starter_done(&self) -> bool {
        self.starter.lock().as_ref().is_none_or(std::thread::JoinHandle::is_finished)
    }

    /// Waits until every member has ended (or will never start); the final statuses.
    pub fn wait(&self) -> Vec<(String, Status)> {
        if let Some(t) = self.starter.lock().take() {
            let _ = t.join();
        }
        self.runs.iter().map(|(n, r)| (n.clone(), r.wait())).collect()
    }

    /// Stops every member, children first.
    pub fn stop(&self) {
        self.stop.store(true, SeqCst);
        for (_, r) in self.runs.iter().rev() {
            let _: Result<(), InvalidTransition> = r.request_stop();
        }
    }
}

/// Whether a member may start now: Some(true) yes, Some(false) never
/// (a parent failed, was stopped, or ended without a row), None not yet.
fn ready(
    u: &Universe,
    runs: &[(String, Arc<Run>)],
    m: &Member,
    decided: &[std::sync::atomic::AtomicU8],
) -> Option<bool> {
    let index_of = |name: &str| runs.iter().position(|(n, _)| n == name);
    let mut all = true;
    for p in &m.parents {
        let (Some(i), Some(pm)) = (index_of(p), u.member(p)) else { return Some(false) };
        // A parent that will never start (its own parent failed): neither will this.
        if decided[i].load(SeqCst) == 2 {
            return Some(false);
        }
        let parent = &runs[i].1;
        let this = match pm.spec.mode {
            // Every row of a BATCH parent is in its destination first; rows
            // given up (on_error: CONTINUE, refused for parents) would be keys to nowhere.
            GenerationMode::Batch => parent.is_finished().then(|| {
                let metrics = parent.metrics();
                metrics.status == Status::Completed && metrics.rows_failed == 0 && pm.bound.rows() > 0
            }),
            // A REALTIME parent has delivered a row to reference.
            GenerationMode::Realtime if pm.bound.rows() > 0 => Some(true),
            GenerationMode::Realtime => parent.is_finished().then_some(false),
        };
        match this {
            Some(false) => return Some(false),
            None => all = false,
            Some(true) => {}
        }
    }
    all.then_some(true)
}

/// Starts each member as soon as its parents allow (members are decided
/// independently: a root listed after a waiting child starts at once).
fn start_in_order(
    u: &Universe,
    runs: &[(String, Arc<Run>)],
    halt: &std::sync::atomic::AtomicBool,
    open: &OpenSink,
    decided: &[std::sync::atomic::AtomicU8],
) {
    loop {
        let mut waiting = false;
        for (i, (m, (_, run))) in u.members.iter().zip(runs).enumerate() {
            if decided[i].load(SeqCst) != 0 {
                continue;
            }
            if halt.load(SeqCst) {
                decided[i].store(2, SeqCst);
                continue;
            }
            match ready(u, runs, m, decided) {
                None => waiting = true,
                Some(false) => decided[i].store(2, SeqCst),
                Some(true) => {
                    match open(m) {
                        Ok(sink) => {
                            let _ = run.start(sink);
                            // Stopped while the destination opened: the stop missed this run.
                            if halt.load(SeqCst) {
                                let _ = run.request_stop();
                            }
                        }
                        Err(e) => run.fail_to_start(e),
                    }
                    decided[i].store(1, SeqCst);
                }
            }
        }
        if !waiting {
            return;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}
