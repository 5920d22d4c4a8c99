//! `disorder:` and `duplicate_ratio:` — late, out-of-order and duplicate
//! events, for testing stream processors.
//!
//! ```yaml
//! disorder: { late_ratio: 0.05, delay: { distribution: exponential, mean: 2s }, max: 30s }
//! duplicate_ratio: 0.001
//! ```
//!
//! A late row is emitted `delay` after its place (converted to rows at the
//! generator's rate, or `disorder.rate`), at most `max` — its event time
//! unchanged; a duplicated row is emitted twice (the copy `delay` after the
//! original when there is a `disorder`, else right after it). Both are
//! decided by (seed, row), so the stream is the same on every run.

use super::duration_text;
use crate::issue::{Issue, Issues};
use serde::{Deserialize, Serialize};
use std::time::Duration;

/// `disorder:` of a definition.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Disorder {
    /// Share of rows emitted late, 0.0–1.0.
    pub late_ratio: f64,
    /// How late.
    pub delay: Delay,
    /// The most any row is late.
    #[serde(with = "duration_text")]
    #[schemars(schema_with = "crate::spec::schema::duration")]
    pub max: Duration,
    /// Rows per second the delays are converted at (default: the generator's rate; needed in BATCH without one).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rate: Option<f64>,
}

/// The distribution of a late row's delay.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(tag = "distribution", rename_all = "lowercase", deny_unknown_fields)]
pub enum Delay {
    /// Exponential with this mean.
    Exponential {
        #[serde(with = "duration_text")]
        #[schemars(schema_with = "crate::spec::schema::duration")]
        mean: Duration,
    },
    /// Uniform between `min` and `max`.
    Uniform {
        #[serde(with = "duration_text")]
        #[schemars(schema_with = "crate::spec::schema::duration")]
        min: Duration,
        #[serde(with = "duration_text")]
        #[schemars(schema_with = "crate::spec::schema::duration")]
        max: Duration,
    },
    /// Always this.
    Fixed {
        #[serde(with = "duration_text")]
        #[schemars(schema_with = "crate::spec::schema::duration")]
        value: Duration,
    },
}

impl Delay {
    /// A delay in seconds from a uniform `u` in [0, 1).
    pub fn seconds(&self, u: f64) -> f64 {
        match self {
            Delay::Exponential { mean } => -mean.as_secs_f64() * (1.0 - u).ln(),
            Delay::Uniform { min, max } => min.as_secs_f64() + u * (max.as_secs_f64() - min.as_secs_f64()),
            Delay::Fixed { value } => value.as_secs_f64(),
        }
    }
}

/// How far behind its place a row may be emitted, in rows: late rows and
/// their copies (0 without disorder).
pub fn window_rows(disorder: Option<&Disorder>, nominal_rate: Option<f64>) -> u64 {
    let Some(d) = disorder else { return 0 };
    let per_sec = d.rate.or(nominal_rate).unwrap_or(0.0);
    2 * (d.max.as_secs_f64() * per_sec).ceil() as u64 + 1
}

/// Checks `disorder` and `duplicate_ratio` against the generator's `rate` (rows per second, when it has one).
pub(crate) fn check(disorder: Option<&Disorder>, duplicate_ratio: Option<f64>, rate: Option<f64>, issues: &mut Issues) {
    let ratio = |path: &str, v: f64, issues: &mut Issues| {
        if !(0.0..=1.0).contains(&v) {
            issues.push(Issue::new(path, format!("{v} is not a share between 0 and 1")));
        }
    };
    if let Some(r) = duplicate_ratio {
        ratio("duplicate_ratio", r, issues);
    }
    let Some(d) = disorder else { return };
    ratio("disorder.late_ratio", d.late_ratio, issues);
    if d.max.is_zero() {
        issues.push(Issue::new("disorder.max", "must be longer than zero"));
    }
    if let Delay::Uniform { min, max } = &d.delay
        && min > max
    {
        issues.push(Issue::new("disorder.delay", "min is longer than max"));
    }
    if let Delay::Exponential { mean } = &d.delay
        && mean.is_zero()
    {
        issues.push(Issue::new("disorder.delay.mean", "must be longer than zero"));
    }
    match d.rate.or(rate) {
        None => issues.push(
            Issue::new("disorder.rate", "delays are in seconds: a generator without a rate needs `disorder.rate`")
                .hint("rows per second to convert delays at, e.g. rate: 10000 (in BATCH this does not pace the run)"),
        ),
        Some(r) if !(r.is_finite() && r > 0.0) => issues.push(Issue::new("disorder.rate", "must be a positive number")),
        Some(r) if d.max.as_secs_f64() * r > 1e9 => issues.push(Issue::new(
            "disorder.max",
            format!("max × rate is {:.0} rows; keep the window under 10^9 rows", d.max.as_secs_f64() * r),
        )),
        Some(_) => {}
    }
}
