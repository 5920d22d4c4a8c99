//! NUMERIC_RANGE: numbers in [min, max] from a distribution (uniform, normal,
//! lognormal, exponential, zipf). Integers unless `decimals` is set or a bound
//! is fractional; `decimals` rounds floats. Tails outside [min, max] are
//! redrawn (a few times, then clamped), so the shape is a truncated one.

use super::alias::AliasTable;
use super::params::Params;
use super::{BatchCtx, ColumnMapper, GenError};
use crate::issue::Issues;
use crate::rng::{RowRng, StreamKey, below, unit_f64};
use arrow_array::{ArrayRef, Float64Array, Int64Array};
use arrow_buffer::{NullBuffer, ScalarBuffer};
use arrow_schema::{DataType, Field};
use rand_distr::{Distribution as _, Exp, LogNormal, Normal, Zipf};
use serde::Deserialize;
use serde_json::Number;
use std::sync::Arc;

/// NUMERIC_RANGE: numbers from a distribution, clamped to [min, max] (min ≤ max); integers
/// when min and max are integers and `decimals` is absent or 0. Each distribution takes only
/// its own parameters: normal `mean`, `stddev`; lognormal `mu`, `sigma`; exponential `lambda`;
/// zipf `exponent` (integer min and max, no decimals).
#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(extend("allOf" = [
    { "if": { "not": { "required": ["distribution"], "properties": { "distribution": { "const": "normal" } } } },
      "then": { "properties": { "mean": { "type": "null" }, "stddev": { "type": "null" } } } },
    { "if": { "not": { "required": ["distribution"], "properties": { "distribution": { "const": "lognormal" } } } },
      "then": { "properties": { "mu": { "type": "null" }, "sigma": { "type": "null" } } } },
    { "if": { "not": { "required": ["distribution"], "properties": { "distribution": { "const": "exponential" } } } },
      "then": { "properties": { "lambda": { "type": "null" } } } },
    { "if": { "not": { "required": ["distribution"], "properties": { "distribution": { "const": "zipf" } } } },
      "then": { "properties": { "exponent": { "type": "null" } } },
      "else": { "properties": { "min": { "type": "integer" }, "max": { "type": "integer" }, "decimals": { "enum": [0, null] } } } },
    { "if": { "required": ["decimals"], "properties": { "decimals": { "const": 0 } } },
      "then": { "properties": { "min": { "type": "integer" }, "max": { "type": "integer" } } } }
]))]
pub(super) struct NumericParams {
    /// Smallest value.
    #[schemars(with = "f64")]
    min: Number,
    /// Largest value (≥ min).
    #[schemars(with = "f64")]
    max: Number,
    /// uniform (default), normal, lognormal, exponential or zipf.
    #[serde(default)]
    distribution: DistributionName,
    /// Round to this many decimals (0–15); 0 makes integers.
    #[schemars(range(max = 15))]
    decimals: Option<u32>,
    /// normal: the mean (default: the middle of [min, max]).
    mean: Option<f64>,
    /// normal: the standard deviation, > 0 (default: (max − min) / 6).
    #[schemars(extend("exclusiveMinimum" = 0))]
    stddev: Option<f64>,
    /// lognormal: μ of the underlying normal.
    mu: Option<f64>,
    /// lognormal: σ of the underlying normal, > 0 (default 1).
    #[schemars(extend("exclusiveMinimum" = 0))]
    sigma: Option<f64>,
    /// exponential: the rate λ, > 0 (default 5 / (max − min)).
    #[schemars(extend("exclusiveMinimum" = 0))]
    lambda: Option<f64>,
    /// zipf: the exponent, ≥ 0 (default 1).
    #[schemars(range(min = 0.0))]
    exponent: Option<f64>,
}

pub(super) const KEYS: &[&str] =
    &["min", "max", "distribution", "decimals", "mean", "stddev", "mu", "sigma", "lambda", "exponent"];

#[derive(Deserialize, serde::Serialize, schemars::JsonSchema, Default, Debug, Clone, Copy, PartialEq)]
#[serde(rename_all = "snake_case")]
enum DistributionName {
    #[default]
    Uniform,
    Normal,
    Lognormal,
    Exponential,
    Zipf,
}

/// The sampler, with its parameters resolved.
#[derive(Debug)]
enum Sampler {
    Uniform,
    Normal(Normal<f64>),
    LogNormal(LogNormal<f64>),
    Exp(Exp<f64>),
    Zipf(Zipf<f64>),
    /// Zipf over at most `ZIPF_TABLE_MAX` ranks: an alias table, one lookup per row.
    ZipfTable(AliasTable),
}

/// Largest rank count sampled through a precomputed table (12 bytes per rank).
const ZIPF_TABLE_MAX: f64 = (1 << 20) as f64;

#[derive(Debug)]
pub(super) struct NumericMapper {
    key: StreamKey,
    sampler: Sampler,
    min: f64,
    max: f64,
    min_i: i64,
    /// `max - min + 1` for integer output.
    span_i: u128,
    integer: bool,
    /// 10^decimals, when rounding floats.
    scale: Option<f64>,
}

/// Field metadata holding a float column's `decimals`.
pub const DECIMALS_METADATA: &str = "sdg:decimals";

/// Redraws before a value outside [min, max] is clamped.
const MAX_REDRAWS: usize = 16;

pub(super) fn compile(p: &Params<'_>, issues: &mut Issues) -> Option<(Field, NumericMapper)> {
    let prm: NumericParams = p.parse(KEYS, issues)?;
    let before = issues.len();
    let (min, max) = (prm.min.as_f64().unwrap_or(f64::NAN), prm.max.as_f64().unwrap_or(f64::NAN));
    if min > max {
        p.problem(issues, "", format!("min ({}) is greater than max ({})", prm.min, prm.max), Some("swap them"));
    }
    // Written as integers (`min: 1`): integer output unless decimals say
    // otherwise; `min: 1.0` asks for fractions. Where integers are asked for
    // (decimals: 0, zipf), whole floats count as the integers they are.
    let integral = prm.min.as_i64().is_some() && prm.max.as_i64().is_some();
    let (min_whole, max_whole) = (whole(&prm.min), whole(&prm.max));
    let integer = match prm.decimals {
        Some(0) => true,
        Some(_) => false,
        None => integral || (prm.distribution == DistributionName::Zipf && min_whole.is_some() && max_whole.is_some()),
    };
    if let Some(d) = prm.decimals
        && d > 15
    {
        p.problem(
            issues,
            "decimals",
            format!("{d} decimals is more than a 64-bit float holds"),
            Some("use at most 15"),
        );
    }
    if integer && (min_whole.is_none() || max_whole.is_none()) {
        p.problem(
            issues,
            "",
            "integer output needs integer min and max",
            Some("set decimals ≥ 1 for fractional numbers"),
        );
    }
    use DistributionName as D;
    let allowed: &[&str] = match prm.distribution {
        D::Uniform => &[],
        D::Normal => &["mean", "stddev"],
        D::Lognormal => &["mu", "sigma"],
        D::Exponential => &["lambda"],
        D::Zipf => &["exponent"],
    };
    for (name, given) in [
        ("mean", prm.mean.is_some()),
        ("stddev", prm.stddev.is_some()),
        ("mu", prm.mu.is_some()),
        ("sigma", prm.sigma.is_some()),
        ("lambda", prm.lambda.is_some()),
        ("exponent", prm.exponent.is_some()),
    ] {
        if given && !allowed.contains(&name) {
            p.problem(
                issues,
                name,
                format!("`{name}` does not apply to distribution {:?}", prm.distribution).to_lowercase(),
                Some(match name {
                    "mean" | "stddev" => "it belongs to distribution: normal",
                    "mu" | "sigma" => "it belongs to distribution: lognormal",
                    "lambda" => "it belongs to distribution: exponential",
                    _ => "it belongs to distribution: zipf",
                }),
            );
        }
    }
    if prm.distribution == D::Zipf && !integer {
        p.problem(issues, "distribution", "zipf draws integers (ranks)", Some("use integer min/max and no decimals"));
    }
    if issues.len() > before {
        return None;
    }
    let range = max - min;
    let positive = |issues: &mut Issues, key: &str, v: f64| -> Option<f64> {
        if v.is_finite() && v > 0.0 {
            Some(v)
        } else {
            p.problem(issues, key, format!("{key} must be a positive number, got {v}"), None);
            None
        }
    };
    let sampler = match prm.distribution {
        D::Uniform => Sampler::Uniform,
        D::Normal => {
            let sd = positive(issues, "stddev", prm.stddev.unwrap_or(if range > 0.0 { range / 6.0 } else { 1.0 }))?;
            Sampler::Normal(checked(p, issues, Normal::new(prm.mean.unwrap_or(min + range / 2.0), sd))?)
        }
        D::Lognormal => {
            let sigma = positive(issues, "sigma", prm.sigma.unwrap_or(1.0))?;
            let mu = prm.mu.unwrap_or(if range > 0.0 { (range / 10.0).ln() } else { 0.0 });
            Sampler::LogNormal(checked(p, issues, LogNormal::new(mu, sigma))?)
        }
        D::Exponential => {
            let lambda = positive(issues, "lambda", prm.lambda.unwrap_or(if range > 0.0 { 5.0 / range } else { 1.0 }))?;
            Sampler::Exp(checked(p, issues, Exp::new(lambda))?)
        }
        D::Zipf => {
            let s = prm.exponent.unwrap_or(1.0);
            if !(s.is_finite() && s >= 0.0) {
                p.problem(issues, "exponent", format!("exponent must be ≥ 0, got {s}"), None);
                return None;
            }
            let n = range + 1.0;
            if n > 1e15 {
                p.problem(issues, "", "zipf needs max - min below 10^15", None);
                return None;
            }
            if n <= ZIPF_TABLE_MAX {
                Sampler::ZipfTable(AliasTable::new(&(1..=n as u64).map(|k| (k as f64).powf(-s)).collect::<Vec<_>>()))
            } else {
                Sampler::Zipf(checked(p, issues, Zipf::new(n, s))?)
            }
        }
    };
    let min_i = min_whole.unwrap_or(0);
    let max_i = max_whole.unwrap_or(0);
    let mapper = NumericMapper {
        key: p.key,
        sampler,
        min,
        max,
        min_i,
        span_i: (max_i as i128 - min_i as i128 + 1) as u128,
        integer,
        scale: prm.decimals.filter(|d| *d > 0).map(|d| 10f64.powi(d as i32)),
    };
    let data_type = if integer { DataType::Int64 } else { DataType::Float64 };
    let mut field = Field::new(&p.spec.name, data_type, true);
    if let Some(d) = prm.decimals.filter(|d| *d > 0) {
        // Text encoders print such columns with exactly `d` decimals, the fast fixed-point way.
        field = field.with_metadata(std::collections::HashMap::from([(DECIMALS_METADATA.to_string(), d.to_string())]));
    }
    Some((field, mapper))
}

/// An integer, or a float with no fraction within 64 bits, as an i64.
fn whole(n: &Number) -> Option<i64> {
    n.as_i64().or_else(|| {
        n.as_f64().filter(|f| f.fract() == 0.0 && *f > i64::MIN as f64 && *f < i64::MAX as f64).map(|f| f as i64)
    })
}

/// A distribution constructor's refusal, reported rather than dropped.
fn checked<T, E: std::fmt::Display>(p: &Params<'_>, issues: &mut Issues, r: Result<T, E>) -> Option<T> {
    r.map_err(|e| p.problem(issues, "distribution", format!("invalid distribution parameters: {e}"), None)).ok()
}

impl NumericMapper {
    /// A draw of the (unshifted) distribution, truncated to [min, max].
    #[inline]
    fn truncated(&self, rng: &mut RowRng, draw: impl Fn(&mut RowRng) -> f64) -> f64 {
        let mut x = draw(rng);
        for _ in 0..MAX_REDRAWS {
            if x >= self.min && x <= self.max {
                return x;
            }
            x = draw(rng);
        }
        x.clamp(self.min, self.max)
    }

    #[inline]
    fn sample(&self, row: u64) -> f64 {
        let bits = self.key.at(row);
        match &self.sampler {
            Sampler::Uniform => self.min + unit_f64(bits) * (self.max - self.min),
            Sampler::Normal(d) => self.truncated(&mut RowRng::from_bits(bits), |r| d.sample(r)),
            Sampler::LogNormal(d) => self.truncated(&mut RowRng::from_bits(bits), |r| self.min + d.sample(r)),
            Sampler::Exp(d) => self.truncated(&mut RowRng::from_bits(bits), |r| self.min + d.sample(r)),
            Sampler::Zipf(d) => self.min + d.sample(&mut RowRng::from_bits(bits)) - 1.0,
            Sampler::ZipfTable(t) => self.min + t.sample(bits) as f64,
        }
    }
}

impl ColumnMapper for NumericMapper {
    fn fill(&self, ctx: &BatchCtx, nulls: Option<&NullBuffer>) -> Result<ArrayRef, GenError> {
        let rows = ctx.rows;
        if self.integer {
            let values: ScalarBuffer<i64> = match self.sampler {
                Sampler::Uniform if self.span_i <= u64::MAX as u128 => {
                    let span = self.span_i as u64;
                    rows.collect(|r| self.min_i.wrapping_add(below(self.key.at(r), span) as i64))
                }
                Sampler::Uniform => rows.collect(|r| self.key.at(r) as i64),
                Sampler::ZipfTable(ref t) => rows.collect(|r| self.min_i + t.sample(self.key.at(r)) as i64),
                _ => rows.collect(|r| crate::rng::round(self.sample(r)) as i64),
            };
            return Ok(Arc::new(Int64Array::new(values, nulls.cloned())));
        }
        let values: ScalarBuffer<f64> = match self.scale {
            None => rows.collect(|r| self.sample(r)),
            Some(scale) => rows.collect(|r| crate::rng::round(self.sample(r) * scale) / scale),
        };
        Ok(Arc::new(Float64Array::new(values, nulls.cloned())))
    }
}
