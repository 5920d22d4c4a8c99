//! sdg-engine: the heart of sdg.
//!
//! - [`spec`]: the generator definition (YAML/JSON) and its loader;
//! - [`plan`]: validation and the compiled, shareable form of a generator;
//! - [`mapping`]: columnar field mappers filling Arrow arrays per batch;
//! - [`pool`]: pools of reference data and the registry plans compile against;
//! - [`catalog`]: the semantic type catalog (`type: CATALOG`, kinds of values);
//! - [`rng`]: counter-based randomness keyed by (seed, field, row);
//! - [`pipeline`]: workers, backpressure, pacing, lifecycle;
//! - [`metrics`]: live counters and latency histograms;
//! - [`sink`]: the interface destinations implement.
//!
//! This crate depends on no destination client, plugin runtime or web
//! framework; those crates depend on it.

pub mod catalog;
pub mod copula;
pub mod issue;
pub mod mapping;
pub mod metrics;
pub mod pipeline;
pub mod plan;
pub mod pool;
pub mod rng;
pub mod sink;
pub mod spec;
pub mod universe;

pub use issue::{Issue, Issues};
pub use metrics::{Latency, MetricsSnapshot};
pub use pipeline::{InvalidTransition, Run, RunConfig, Status};
pub use plan::Plan;
pub use pool::Resources;
pub use sink::{BatchEncoder, Delivered, Encoded, Sink, SinkError};
pub use spec::GeneratorSpec;

/// Reads, validates and compiles a YAML/JSON definition, reporting every problem.
pub fn compile_yaml(text: &str) -> Result<(GeneratorSpec, Plan), Issues> {
    let spec = spec::parse_yaml(text)?;
    let plan = Plan::compile(&spec)?;
    Ok((spec, plan))
}
