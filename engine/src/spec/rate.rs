//! `rate:` — rows per second, constant or a profile over time.
//!
//! ```yaml
//! rate: 20000
//! rate: { profile: ramp, from: 1000, to: 50000, over: 5m }
//! rate: { profile: steps, steps: [ { rate: 1000, for: 1m }, { rate: 20000, for: 2m } ], repeat: true }
//! rate: { profile: sine, base: 10000, amplitude: 8000, period: 24h }
//! rate: { profile: poisson, mean: 5000 }
//! rate: { base: 2000, bursts: { every: 30s, for: 3s, factor: 20 } }
//! ```
//!
//! A profile is a rate r(τ) over the profile's time τ (seconds since the
//! run started, pauses excluded). The pacer needs the inverse of its
//! integral — when the n-th row is due — which every profile has in closed
//! form but the sine (a safeguarded Newton step on its closed-form integral).
//! In BATCH mode the same inverse shapes simulated event time instead.

use super::duration_text;
use crate::issue::{Issue, Issues};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::time::Duration;

/// `rate:` of a definition.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Rate {
    /// Rows per second, always.
    Constant(f64),
    /// A rate that changes over time.
    Profile(Profile),
}

/// A rate over time.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "profile", rename_all = "lowercase", deny_unknown_fields)]
pub enum Profile {
    /// From `from` to `to` rows/s linearly over `over`, then `to`.
    Ramp {
        from: f64,
        to: f64,
        #[serde(with = "duration_text")]
        over: Duration,
    },
    /// Each step's rate for its time; then the last rate, or again from the first (`repeat`).
    Steps {
        steps: Vec<Step>,
        #[serde(default)]
        repeat: bool,
    },
    /// `base + amplitude · sin(2πτ / period)`: a daily cycle, compressed as you like.
    Sine {
        base: f64,
        amplitude: f64,
        #[serde(with = "duration_text")]
        period: Duration,
    },
    /// Poisson arrivals at `mean` rows/s: gaps between batches drawn, not even.
    Poisson { mean: f64 },
    /// `base`, times `factor` for `for` out of every `every` (written without `profile:`).
    Bursts { base: f64, bursts: Bursts },
}

/// One step of a `steps` profile.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Step {
    pub rate: f64,
    #[serde(rename = "for", with = "duration_text")]
    pub duration: Duration,
}

/// Spikes on a base rate.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Bursts {
    #[serde(with = "duration_text")]
    pub every: Duration,
    #[serde(rename = "for", with = "duration_text")]
    pub duration: Duration,
    pub factor: f64,
}

const PROFILES: &str = "ramp, steps, sine, poisson";

/// Reads `rate:`: a number, or a profile object. Problems are pushed at `rate…`.
pub(crate) fn read(v: &Value, issues: &mut Issues) -> Option<Rate> {
    let mut v = v.clone();
    match &mut v {
        Value::Null => return None,
        Value::Number(n) => return n.as_f64().map(Rate::Constant),
        Value::Object(obj) => {
            if !obj.contains_key("profile") && obj.contains_key("bursts") {
                obj.insert("profile".into(), "bursts".into());
            }
            if !obj.contains_key("profile") {
                issues.push(Issue::new("rate", "a rate object needs `profile`").hint(format!(
                    "profile: one of {PROFILES} (e.g. {{ profile: ramp, from: 1000, to: 50000, over: 5m }}), or {{ base: 2000, bursts: {{ every: 30s, for: 3s, factor: 20 }} }}"
                )));
                return None;
            }
        }
        other => {
            issues.push(Issue::new(
                "rate",
                format!("expected rows per second or a profile, found {}", super::describe(other)),
            ));
            return None;
        }
    }
    match serde_path_to_error::deserialize::<_, Profile>(&v) {
        Ok(p) => Some(Rate::Profile(p)),
        Err(e) => {
            let at = e.path().to_string();
            let path = if at == "." { "rate".to_string() } else { format!("rate.{at}") };
            let msg = super::clean_message(&e.inner().to_string());
            let hint = if msg.contains("unknown variant") {
                Some(format!("profile is one of {PROFILES}, or write {{ base, bursts }}"))
            } else {
                None
            };
            let mut issue = Issue::new(path, msg);
            if let Some(h) = hint {
                issue = issue.hint(h);
            }
            issues.push(issue);
            None
        }
    }
}

impl Rate {
    /// Checks the numbers: every rate in `[min, max]`, durations above zero.
    pub(crate) fn check(&self, min: f64, max: f64, issues: &mut Issues) {
        let rate_ok = |path: &str, r: f64, issues: &mut Issues| {
            if !(r.is_finite() && (min..=max).contains(&r)) {
                issues.push(Issue::new(
                    path,
                    format!("a rate must be between {min} and {max:e} rows per second, got {r}"),
                ));
            }
        };
        let positive = |path: &str, d: Duration, issues: &mut Issues| {
            if d.is_zero() {
                issues.push(Issue::new(path, "must be longer than zero"));
            }
        };
        match self {
            Rate::Constant(r) if !(r.is_finite() && (min..=max).contains(r)) => issues.push(
                Issue::new("rate", format!("rate must be between {min} and {max:e} rows per second, got {r}"))
                    .hint("e.g. rate: 1000; leave it out for BATCH as fast as the destination takes"),
            ),
            Rate::Constant(_) => {}
            Rate::Profile(Profile::Ramp { from, to, over }) => {
                rate_ok("rate.from", *from, issues);
                rate_ok("rate.to", *to, issues);
                positive("rate.over", *over, issues);
            }
            Rate::Profile(Profile::Steps { steps, .. }) => {
                if steps.is_empty() {
                    issues.push(
                        Issue::new("rate.steps", "needs at least one step").hint("steps: [ { rate: 1000, for: 1m } ]"),
                    );
                }
                for (i, s) in steps.iter().enumerate() {
                    rate_ok(&format!("rate.steps[{i}].rate"), s.rate, issues);
                    positive(&format!("rate.steps[{i}].for"), s.duration, issues);
                }
            }
            Rate::Profile(Profile::Sine { base, amplitude, period }) => {
                rate_ok("rate.base", *base, issues);
                if !(amplitude.is_finite() && *amplitude >= 0.0 && base - amplitude >= min) {
                    issues.push(
                        Issue::new(
                            "rate.amplitude",
                            format!("amplitude {amplitude} would take the rate below {min} rows per second"),
                        )
                        .hint(format!("use an amplitude from 0 to less than base ({base})")),
                    );
                }
                positive("rate.period", *period, issues);
            }
            Rate::Profile(Profile::Poisson { mean }) => rate_ok("rate.mean", *mean, issues),
            Rate::Profile(Profile::Bursts { base, bursts }) => {
                rate_ok("rate.base", *base, issues);
                rate_ok("rate.bursts.factor", base * bursts.factor, issues);
                if !(bursts.factor.is_finite() && bursts.factor > 0.0) {
                    issues.push(Issue::new("rate.bursts.factor", "must be a positive number"));
                }
                positive("rate.bursts.every", bursts.every, issues);
                positive("rate.bursts.for", bursts.duration, issues);
                if bursts.duration > bursts.every {
                    issues.push(Issue::new("rate.bursts.for", "a burst cannot last longer than `every`"));
                }
            }
        }
    }

    /// The rate at profile time `tau` (seconds).
    pub fn at(&self, tau: f64) -> f64 {
        let tau = tau.max(0.0);
        match self {
            Rate::Constant(r) => *r,
            Rate::Profile(p) => p.at(tau),
        }
    }

    /// Rows due by profile time `tau`: the integral of the rate from 0.
    pub fn rows_by(&self, tau: f64) -> f64 {
        let tau = tau.max(0.0);
        match self {
            Rate::Constant(r) => r * tau,
            Rate::Profile(p) => p.rows_by(tau),
        }
    }

    /// When (profile seconds) `rows` rows are due: the inverse of [`Rate::rows_by`].
    pub fn time_of(&self, rows: f64) -> f64 {
        let rows = rows.max(0.0);
        match self {
            Rate::Constant(r) => rows / r,
            Rate::Profile(p) => p.time_of(rows),
        }
    }

    /// The mean rate (rows per second) over a long run: what sizes batches and reports a target when there is no clock.
    pub fn nominal(&self) -> f64 {
        match self {
            Rate::Constant(r) => *r,
            Rate::Profile(Profile::Ramp { to, .. }) => *to,
            Rate::Profile(Profile::Steps { steps, .. }) => {
                let secs: f64 = steps.iter().map(|s| s.duration.as_secs_f64()).sum();
                steps.iter().map(|s| s.rate * s.duration.as_secs_f64()).sum::<f64>() / secs.max(f64::MIN_POSITIVE)
            }
            Rate::Profile(Profile::Sine { base, .. }) => *base,
            Rate::Profile(Profile::Poisson { mean }) => *mean,
            Rate::Profile(Profile::Bursts { base, bursts }) => {
                let share = bursts.duration.as_secs_f64() / bursts.every.as_secs_f64().max(f64::MIN_POSITIVE);
                base * (1.0 + share * (bursts.factor - 1.0))
            }
        }
    }

    /// True for Poisson arrivals (the pacer draws the gaps).
    pub fn is_poisson(&self) -> bool {
        matches!(self, Rate::Profile(Profile::Poisson { .. }))
    }
}

impl Profile {
    fn at(&self, tau: f64) -> f64 {
        match self {
            Profile::Ramp { from, to, over } => {
                let t = over.as_secs_f64();
                if tau >= t { *to } else { from + (to - from) * tau / t }
            }
            Profile::Steps { steps, repeat } => steps[step_at(steps, *repeat, tau).0].rate,
            Profile::Sine { base, amplitude, period } => {
                base + amplitude * (std::f64::consts::TAU * tau / period.as_secs_f64()).sin()
            }
            Profile::Poisson { mean } => *mean,
            Profile::Bursts { base, bursts } => {
                let phase = tau % bursts.every.as_secs_f64();
                if phase < bursts.duration.as_secs_f64() { base * bursts.factor } else { *base }
            }
        }
    }

    fn rows_by(&self, tau: f64) -> f64 {
        match self {
            Profile::Ramp { from, to, over } => {
                let t = over.as_secs_f64();
                if tau <= t {
                    from * tau + (to - from) * tau * tau / (2.0 * t)
                } else {
                    (from + to) * t / 2.0 + to * (tau - t)
                }
            }
            Profile::Steps { steps, repeat } => {
                let (period, per_period) = steps_period(steps);
                let (cycles, mut left) = if *repeat { ((tau / period).floor(), tau % period) } else { (0.0, tau) };
                let mut rows = cycles * per_period;
                for (k, s) in steps.iter().enumerate() {
                    let d = s.duration.as_secs_f64();
                    if left <= d || (k + 1 == steps.len()) {
                        return rows + s.rate * left;
                    }
                    rows += s.rate * d;
                    left -= d;
                }
                rows
            }
            Profile::Sine { base, amplitude, period } => {
                let p = period.as_secs_f64();
                base * tau + amplitude * p / std::f64::consts::TAU * (1.0 - (std::f64::consts::TAU * tau / p).cos())
            }
            Profile::Poisson { mean } => mean * tau,
            Profile::Bursts { base, bursts } => {
                let (every, on) = (bursts.every.as_secs_f64(), bursts.duration.as_secs_f64());
                let per_cycle = base * (every + on * (bursts.factor - 1.0));
                let (cycles, phase) = ((tau / every).floor(), tau % every);
                let within =
                    if phase < on { base * bursts.factor * phase } else { base * (on * bursts.factor + phase - on) };
                cycles * per_cycle + within
            }
        }
    }

    fn time_of(&self, rows: f64) -> f64 {
        match self {
            Profile::Ramp { from, to, over } => {
                let t = over.as_secs_f64();
                let ramp_rows = (from + to) * t / 2.0;
                if rows > ramp_rows {
                    return t + (rows - ramp_rows) / to;
                }
                let slope = (to - from) / t;
                if slope.abs() < 1e-12 * from.max(1.0) {
                    return rows / from;
                }
                // from·τ + slope·τ²/2 = rows; the root that is ≥ 0 (stable form).
                let disc = (from * from + 2.0 * slope * rows).max(0.0);
                2.0 * rows / (from + disc.sqrt())
            }
            Profile::Steps { steps, repeat } => {
                let (period, per_period) = steps_period(steps);
                let (cycles, mut left) =
                    if *repeat { ((rows / per_period).floor(), rows % per_period) } else { (0.0, rows) };
                let mut tau = cycles * period;
                for (k, s) in steps.iter().enumerate() {
                    let here = s.rate * s.duration.as_secs_f64();
                    if left <= here || k + 1 == steps.len() {
                        return tau + left / s.rate;
                    }
                    tau += s.duration.as_secs_f64();
                    left -= here;
                }
                tau
            }
            Profile::Sine { base, amplitude, period } => {
                // rows_by(τ) lies in [base·τ, base·τ + amplitude·period/π]: bracket, then Newton.
                let p = period.as_secs_f64();
                let (mut lo, mut hi) = (((rows - amplitude * p / std::f64::consts::PI) / base).max(0.0), rows / base);
                let mut tau = rows / base;
                for _ in 0..60 {
                    let f = self.rows_by(tau) - rows;
                    if f.abs() <= 1e-9 * rows.max(1.0) {
                        break;
                    }
                    if f > 0.0 {
                        hi = tau
                    } else {
                        lo = tau
                    }
                    let next = tau - f / self.at(tau).max(f64::MIN_POSITIVE);
                    tau = if next > lo && next < hi { next } else { (lo + hi) / 2.0 };
                }
                tau
            }
            Profile::Poisson { mean } => rows / mean,
            Profile::Bursts { base, bursts } => {
                let (every, on) = (bursts.every.as_secs_f64(), bursts.duration.as_secs_f64());
                let per_cycle = base * (every + on * (bursts.factor - 1.0));
                let (cycles, left) = ((rows / per_cycle).floor(), rows % per_cycle);
                let burst_rows = base * bursts.factor * on;
                let within =
                    if left < burst_rows { left / (base * bursts.factor) } else { on + (left - burst_rows) / base };
                cycles * every + within
            }
        }
    }
}

/// (seconds, rows) of one pass through the steps.
fn steps_period(steps: &[Step]) -> (f64, f64) {
    let secs: f64 = steps.iter().map(|s| s.duration.as_secs_f64()).sum();
    let rows: f64 = steps.iter().map(|s| s.rate * s.duration.as_secs_f64()).sum();
    (secs.max(f64::MIN_POSITIVE), rows.max(f64::MIN_POSITIVE))
}

/// The step in force at `tau`, and the time left in it.
fn step_at(steps: &[Step], repeat: bool, tau: f64) -> (usize, f64) {
    let (period, _) = steps_period(steps);
    let mut left = if repeat { tau % period } else { tau };
    for (k, s) in steps.iter().enumerate() {
        let d = s.duration.as_secs_f64();
        if left < d || k + 1 == steps.len() {
            return (k, d - left);
        }
        left -= d;
    }
    (steps.len() - 1, 0.0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn rate(v: Value) -> Rate {
        let mut issues = Issues::default();
        let r = read(&v, &mut issues).unwrap_or_else(|| panic!("{v}: {issues}"));
        r.check(0.001, 1e12, &mut issues);
        assert!(issues.is_empty(), "{v}: {issues}");
        r
    }

    #[test]
    fn every_profile_reads_and_its_inverse_undoes_its_integral() {
        let all = [
            json!(20000),
            json!({ "profile": "ramp", "from": 1000, "to": 50000, "over": "5m" }),
            json!({ "profile": "ramp", "from": 9000, "to": 100, "over": "10s" }),
            json!({ "profile": "steps", "steps": [ { "rate": 1000, "for": "1m" }, { "rate": 20000, "for": "2m" } ], "repeat": true }),
            json!({ "profile": "steps", "steps": [ { "rate": 1000, "for": "1s" }, { "rate": 300, "for": "2s" } ] }),
            json!({ "profile": "sine", "base": 10000, "amplitude": 8000, "period": "24h" }),
            json!({ "profile": "sine", "base": 100, "amplitude": 99.9, "period": "10s" }),
            json!({ "profile": "poisson", "mean": 5000 }),
            json!({ "base": 2000, "bursts": { "every": "30s", "for": "3s", "factor": 20 } }),
        ];
        for v in all {
            let r = rate(v.clone());
            for tau in
                [0.0, 0.001, 0.5, 1.0, 2.9, 3.0, 3.1, 29.0, 59.9, 60.0, 61.0, 179.0, 300.0, 1000.0, 86_400.0 * 1.5]
            {
                let n = r.rows_by(tau);
                let back = r.time_of(n);
                assert!((back - tau).abs() <= 1e-6 * tau.max(1.0), "{v}: τ {tau} → {n} rows → τ {back}");
                // The integral's slope is the rate.
                let h = 1e-4;
                let slope = (r.rows_by(tau + h) - r.rows_by(tau)) / h;
                let here = r.at(tau + h / 2.0);
                assert!(
                    (slope - here).abs() <= 1e-3 * here.max(1.0) + 1e-6,
                    "{v}: at {tau} slope {slope}, rate {here}"
                );
            }
        }
    }

    #[test]
    fn profiles_have_the_shape_they_say() {
        let ramp = rate(json!({ "profile": "ramp", "from": 1000, "to": 5000, "over": "4s" }));
        assert_eq!((ramp.at(0.0), ramp.at(2.0), ramp.at(4.0), ramp.at(100.0)), (1000.0, 3000.0, 5000.0, 5000.0));
        assert_eq!(ramp.rows_by(4.0), 12_000.0);
        let steps = rate(
            json!({ "profile": "steps", "steps": [ { "rate": 10, "for": "1s" }, { "rate": 30, "for": "2s" } ], "repeat": true }),
        );
        assert_eq!((steps.at(0.5), steps.at(1.5), steps.at(3.2)), (10.0, 30.0, 10.0));
        assert_eq!(steps.rows_by(3.0), 70.0);
        assert_eq!(steps.rows_by(6.0), 140.0);
        let once =
            rate(json!({ "profile": "steps", "steps": [ { "rate": 10, "for": "1s" }, { "rate": 30, "for": "2s" } ] }));
        assert_eq!(once.at(50.0), 30.0, "after the last step its rate stays");
        let bursts = rate(json!({ "base": 100, "bursts": { "every": "10s", "for": "1s", "factor": 20 } }));
        assert_eq!((bursts.at(0.5), bursts.at(1.5), bursts.at(10.2)), (2000.0, 100.0, 2000.0));
        assert_eq!(bursts.rows_by(10.0), 2000.0 + 900.0);
        assert!((bursts.nominal() - 290.0).abs() < 1e-9);
        let sine = rate(json!({ "profile": "sine", "base": 100, "amplitude": 50, "period": "4s" }));
        assert!((sine.at(1.0) - 150.0).abs() < 1e-9 && (sine.at(3.0) - 50.0).abs() < 1e-9);
        assert!((sine.rows_by(4.0) - 400.0).abs() < 1e-9, "a whole period averages the base");
    }

    #[test]
    fn bad_rates_are_named_with_their_paths() {
        let cases = [
            (json!({ "from": 1 }), "rate", "profile"),
            (json!({ "profile": "zigzag" }), "rate", "ramp, steps"),
            (json!({ "profile": "ramp", "from": 1, "to": 2 }), "rate", "over"),
            (json!({ "profile": "ramp", "from": 1, "to": 2, "over": "soon" }), "rate", "duration"),
            (json!({ "profile": "ramp", "from": 0, "to": 2, "over": "1s" }), "rate.from", "between"),
            (json!({ "profile": "sine", "base": 10, "amplitude": 20, "period": "1h" }), "rate.amplitude", "below"),
            (json!({ "profile": "steps", "steps": [] }), "rate.steps", "at least one"),
            (json!({ "profile": "steps", "steps": [ { "rate": 5, "for": "0s" } ] }), "rate.steps[0].for", "zero"),
            (json!({ "base": 10, "bursts": { "every": "1s", "for": "2s", "factor": 3 } }), "rate.bursts.for", "longer"),
            (json!({ "profile": "poisson", "mean": 5, "extra": 1 }), "rate", "extra"),
            (json!("fast"), "rate", "rows per second"),
        ];
        for (v, path, word) in cases {
            let mut issues = Issues::default();
            if let Some(r) = read(&v, &mut issues) {
                r.check(0.001, 1e12, &mut issues);
            }
            let hit = issues.iter().any(|i| i.path.starts_with(path) && i.to_string().contains(word));
            assert!(hit, "{v}: expected `{word}` at {path}: {issues}");
        }
    }
}
