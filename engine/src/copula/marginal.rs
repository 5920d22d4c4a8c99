//! One numeric column's distribution: fitted on its values, and turned into
//! a table of x by normal score z that sampling interpolates (every family
//! costs the same per row).

use super::stats::{beta_i, gamma_p, ks_one_sample, norm_cdf, norm_ppf};
use serde::{Deserialize, Serialize};

/// The families `marginals:` names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Family {
    /// The best parametric family by KS when it fits well, else empirical.
    Auto,
    /// Interpolated quantiles of the data.
    Empirical,
    /// Normal.
    Norm,
    /// Beta, scaled to the data's range.
    Beta,
    /// Normal truncated to the data's range.
    Truncnorm,
    /// Gamma, shifted to the data's minimum.
    Gamma,
    /// Uniform over the data's range.
    Uniform,
    /// Gaussian kernel density (Scott's bandwidth).
    Kde,
}

impl Family {
    /// Every family, as `marginals:` spells them.
    pub const NAMES: &'static [&'static str] =
        &["auto", "empirical", "norm", "beta", "truncnorm", "gamma", "uniform", "kde"];

    /// Its name in `marginals:`.
    pub fn name(self) -> &'static str {
        match self {
            Family::Auto => "auto",
            Family::Empirical => "empirical",
            Family::Norm => "norm",
            Family::Beta => "beta",
            Family::Truncnorm => "truncnorm",
            Family::Gamma => "gamma",
            Family::Uniform => "uniform",
            Family::Kde => "kde",
        }
    }

    /// The family named `s`.
    pub fn parse(s: &str) -> Option<Family> {
        Some(match s {
            "auto" => Family::Auto,
            "empirical" => Family::Empirical,
            "norm" | "normal" | "gaussian" => Family::Norm,
            "beta" => Family::Beta,
            "truncnorm" => Family::Truncnorm,
            "gamma" => Family::Gamma,
            "uniform" => Family::Uniform,
            "kde" | "gaussian_kde" => Family::Kde,
            _ => return None,
        })
    }
}

/// A fitted marginal (as the model file stores it).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "family", rename_all = "snake_case")]
pub enum Marginal {
    /// Quantiles at evenly spaced probabilities 0, 1/(m−1), …, 1.
    Empirical {
        /// The quantiles.
        quantiles: Vec<f64>,
    },
    /// Normal.
    Norm {
        /// Mean.
        loc: f64,
        /// Standard deviation.
        scale: f64,
    },
    /// Normal truncated to [low, high].
    Truncnorm {
        /// Mean of the untruncated normal.
        loc: f64,
        /// Its standard deviation.
        scale: f64,
        /// Lower bound.
        low: f64,
        /// Upper bound.
        high: f64,
    },
    /// Uniform over [low, high].
    Uniform {
        /// Lower bound.
        low: f64,
        /// Upper bound.
        high: f64,
    },
    /// Gamma(shape, scale) shifted by loc.
    Gamma {
        /// Shape k.
        shape: f64,
        /// Scale θ.
        scale: f64,
        /// Shift.
        loc: f64,
    },
    /// Beta(a, b) over [loc, loc + scale].
    Beta {
        /// α.
        a: f64,
        /// β.
        b: f64,
        /// Lower end.
        loc: f64,
        /// Width.
        scale: f64,
    },
    /// Gaussian kernels at `points` with `bandwidth`.
    Kde {
        /// Kernel centres (at most 1 000 of the data's order statistics).
        points: Vec<f64>,
        /// Kernel standard deviation.
        bandwidth: f64,
    },
}

/// Quantiles an empirical marginal keeps (the model file's size).
const QUANTILES: usize = 1001;

impl Marginal {
    /// The family's name.
    pub fn family(&self) -> &'static str {
        match self {
            Marginal::Empirical { .. } => "empirical",
            Marginal::Norm { .. } => "norm",
            Marginal::Truncnorm { .. } => "truncnorm",
            Marginal::Uniform { .. } => "uniform",
            Marginal::Gamma { .. } => "gamma",
            Marginal::Beta { .. } => "beta",
            Marginal::Kde { .. } => "kde",
        }
    }

    /// Whether the parameters describe a distribution (a model file may be edited by hand).
    pub fn check(&self) -> Result<(), String> {
        let finite = |v: &[f64]| v.iter().all(|x| x.is_finite());
        let ok = match self {
            Marginal::Empirical { quantiles: q } => !q.is_empty() && finite(q) && q.windows(2).all(|w| w[0] <= w[1]),
            Marginal::Norm { loc, scale } => finite(&[*loc, *scale]) && *scale > 0.0,
            Marginal::Truncnorm { loc, scale, low, high } => {
                finite(&[*loc, *scale, *low, *high]) && *scale > 0.0 && low < high
            }
            Marginal::Uniform { low, high } => finite(&[*low, *high]) && low < high,
            Marginal::Gamma { shape, scale, loc } => finite(&[*shape, *scale, *loc]) && *shape > 0.0 && *scale > 0.0,
            Marginal::Beta { a, b, loc, scale } => {
                finite(&[*a, *b, *loc, *scale]) && *a > 0.0 && *b > 0.0 && *scale > 0.0
            }
            Marginal::Kde { points, bandwidth } => {
                !points.is_empty() && finite(points) && bandwidth.is_finite() && *bandwidth > 0.0
            }
        };
        if ok { Ok(()) } else { Err(format!("its {} marginal has parameters no distribution has", self.family())) }
    }

    /// F(x).
    pub fn cdf(&self, x: f64) -> f64 {
        match self {
            Marginal::Empirical { quantiles: q } => {
                let m = q.len();
                if m == 0 || x < q[0] {
                    return 0.0;
                }
                if x >= q[m - 1] {
                    return 1.0;
                }
                // The last knot at or below x, interpolated to the next.
                let k = q.partition_point(|&v| v <= x).saturating_sub(1);
                let (a, b) = (q[k], q[k + 1]);
                let frac = if b > a { (x - a) / (b - a) } else { 1.0 };
                (k as f64 + frac) / (m - 1) as f64
            }
            Marginal::Norm { loc, scale } => norm_cdf((x - loc) / scale),
            Marginal::Truncnorm { loc, scale, low, high } => {
                let (fa, fb) = (norm_cdf((low - loc) / scale), norm_cdf((high - loc) / scale));
                ((norm_cdf((x.clamp(*low, *high) - loc) / scale) - fa) / (fb - fa)).clamp(0.0, 1.0)
            }
            Marginal::Uniform { low, high } => ((x - low) / (high - low)).clamp(0.0, 1.0),
            Marginal::Gamma { shape, scale, loc } => gamma_p(*shape, ((x - loc) / scale).max(0.0)),
            Marginal::Beta { a, b, loc, scale } => beta_i(*a, *b, ((x - loc) / scale).clamp(0.0, 1.0)),
            Marginal::Kde { points, bandwidth } => {
                points.iter().map(|p| norm_cdf((x - p) / bandwidth)).sum::<f64>() / points.len() as f64
            }
        }
    }

    /// F⁻¹(u) for u in (0, 1).
    pub fn ppf(&self, u: f64) -> f64 {
        match self {
            Marginal::Empirical { quantiles: q } => {
                let pos = u.clamp(0.0, 1.0) * (q.len() - 1) as f64;
                let k = (pos.floor() as usize).min(q.len().saturating_sub(2));
                let frac = pos - k as f64;
                if q.len() == 1 { q[0] } else { q[k] + frac * (q[k + 1] - q[k]) }
            }
            Marginal::Norm { loc, scale } => loc + scale * norm_ppf(u),
            Marginal::Truncnorm { loc, scale, low, high } => {
                let (fa, fb) = (norm_cdf((low - loc) / scale), norm_cdf((high - loc) / scale));
                (loc + scale * norm_ppf(fa + u * (fb - fa))).clamp(*low, *high)
            }
            Marginal::Uniform { low, high } => low + u * (high - low),
            Marginal::Gamma { shape, scale, loc } => {
                let hi = loc + scale * (shape + 40.0 * shape.sqrt() + 40.0);
                bisect(|x| self.cdf(x), u, *loc, hi)
            }
            Marginal::Beta { loc, scale, .. } => bisect(|x| self.cdf(x), u, *loc, loc + scale),
            Marginal::Kde { points, bandwidth } => {
                let lo = points.first().copied().unwrap_or(0.0) - 10.0 * bandwidth;
                let hi = points.last().copied().unwrap_or(0.0) + 10.0 * bandwidth;
                bisect(|x| self.cdf(x), u, lo, hi)
            }
        }
    }

    /// Fits `family` (not Auto) on sorted, finite values; None when the
    /// family cannot describe them (a constant column for every family but
    /// empirical, values outside a family's support).
    pub fn fit(family: Family, sorted: &[f64]) -> Option<Marginal> {
        let n = sorted.len();
        if n == 0 {
            return None;
        }
        let (min, max) = (sorted[0], sorted[n - 1]);
        let mean = sorted.iter().sum::<f64>() / n as f64;
        let var = sorted.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / n as f64;
        let sd = var.sqrt();
        let range = max - min;
        if family != Family::Empirical && !(sd > 0.0 && range > 0.0) {
            return None;
        }
        Some(match family {
            Family::Auto => return None,
            Family::Empirical => Marginal::Empirical { quantiles: quantiles(sorted, QUANTILES.min(n.max(2))) },
            Family::Norm => Marginal::Norm { loc: mean, scale: sd },
            Family::Truncnorm => Marginal::Truncnorm { loc: mean, scale: sd, low: min, high: max },
            Family::Uniform => Marginal::Uniform { low: min, high: max },
            Family::Gamma => {
                // Shifted just below the minimum, moments of the rest.
                let loc = min - range * 1e-3;
                let m = mean - loc;
                Marginal::Gamma { shape: m * m / var, scale: var / m, loc }
            }
            Family::Beta => {
                let (loc, scale) = (min - range * 1e-3, range * 1.002);
                let (m, v) = ((mean - loc) / scale, var / (scale * scale));
                let common = m * (1.0 - m) / v - 1.0;
                if common <= 0.0 {
                    return None;
                }
                Marginal::Beta { a: m * common, b: (1.0 - m) * common, loc, scale }
            }
            Family::Kde => {
                let points = quantiles(sorted, 1000.min(n));
                Marginal::Kde { points, bandwidth: 1.06 * sd * (n as f64).powf(-0.2) }
            }
        })
    }

    /// `auto`: the parametric family with the smallest KS statistic when it
    /// is at most 0.02 (a smooth fit that describes the data), else the
    /// empirical marginal (which meets any KS goal on the source). Returns
    /// the marginal and the KS of each family tried.
    pub fn fit_auto(sorted: &[f64]) -> (Marginal, Vec<(&'static str, f64)>) {
        // KS against at most 2 000 order statistics: the same decision, bounded cost.
        let probe = if sorted.len() > 2000 { quantiles(sorted, 2000) } else { sorted.to_vec() };
        let mut tried = Vec::new();
        let mut best: Option<(Marginal, f64)> = None;
        for family in [Family::Norm, Family::Truncnorm, Family::Beta, Family::Gamma, Family::Uniform] {
            let Some(m) = Marginal::fit(family, sorted) else { continue };
            let ks = ks_one_sample(&probe, |x| m.cdf(x));
            tried.push((m.family(), ks));
            if best.as_ref().is_none_or(|(_, b)| ks < *b) {
                best = Some((m, ks));
            }
        }
        match best {
            Some((m, ks)) if ks <= 0.02 => (m, tried),
            _ => (
                Marginal::fit(Family::Empirical, sorted).unwrap_or(Marginal::Empirical { quantiles: vec![0.0] }),
                tried,
            ),
        }
    }
}

/// `m` quantiles of sorted values at p = 0, 1/(m−1), …, 1 (type 7).
fn quantiles(sorted: &[f64], m: usize) -> Vec<f64> {
    let n = sorted.len();
    if n == 1 || m < 2 {
        return vec![sorted[0]; m.max(1)];
    }
    (0..m)
        .map(|k| {
            let h = k as f64 / (m - 1) as f64 * (n - 1) as f64;
            let lo = h.floor() as usize;
            let hi = (lo + 1).min(n - 1);
            sorted[lo] + (h - lo as f64) * (sorted[hi] - sorted[lo])
        })
        .collect()
}

/// The x in [lo, hi] where the increasing `f` reaches `target`.
fn bisect(f: impl Fn(f64) -> f64, target: f64, mut lo: f64, mut hi: f64) -> f64 {
    for _ in 0..100 {
        let mid = 0.5 * (lo + hi);
        if f(mid) < target {
            lo = mid;
        } else {
            hi = mid;
        }
        if hi - lo <= 1e-12 * (1.0 + lo.abs()) {
            break;
        }
    }
    0.5 * (lo + hi)
}

/// Knots of a z → x table: z from −Z_MAX to Z_MAX.
pub const Z_MAX: f64 = 6.5;
const KNOTS: usize = 4097;

/// x as a function of the normal score z, tabulated once per column.
#[derive(Debug, Clone)]
pub struct ZTable {
    x: Vec<f64>,
    inv_step: f64,
}

impl ZTable {
    /// The table of `m`, clamped to [min, max] (the data's bounds).
    pub fn new(m: &Marginal, min: f64, max: f64) -> Self {
        let step = 2.0 * Z_MAX / (KNOTS - 1) as f64;
        let x = (0..KNOTS)
            .map(|k| {
                let z = -Z_MAX + k as f64 * step;
                m.ppf(norm_cdf(z)).clamp(min, max)
            })
            .collect();
        Self { x, inv_step: 1.0 / step }
    }

    /// x at z (linear between knots; the ends beyond ±Z_MAX).
    #[inline(always)]
    pub fn at(&self, z: f64) -> f64 {
        let pos = ((z + Z_MAX) * self.inv_step).clamp(0.0, (KNOTS - 1) as f64);
        let k = (pos as usize).min(KNOTS - 2);
        let frac = pos - k as f64;
        self.x[k] + frac * (self.x[k + 1] - self.x[k])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(f: impl Fn(f64) -> f64, n: usize) -> Vec<f64> {
        let mut v: Vec<f64> = (0..n).map(|i| f((i as f64 + 0.5) / n as f64)).collect();
        v.sort_by(f64::total_cmp);
        v
    }

    #[test]
    fn each_family_fits_data_drawn_from_it() {
        let normal = sample(|u| 10.0 + 2.0 * norm_ppf(u), 5000);
        let (m, _) = Marginal::fit_auto(&normal);
        assert!(matches!(m.family(), "norm" | "truncnorm"), "{m:?}");
        let expo = sample(|u| -(1.0 - u).ln() * 3.0, 5000);
        let (m, tried) = Marginal::fit_auto(&expo);
        assert!(matches!(m.family(), "gamma" | "empirical"), "{m:?} {tried:?}");
        // Bimodal: no family fits; empirical.
        let bimodal = sample(|u| if u < 0.5 { norm_ppf(u * 2.0) } else { 10.0 + norm_ppf(u * 2.0 - 1.0) }, 4000);
        assert_eq!(Marginal::fit_auto(&bimodal).0.family(), "empirical");
        for family in [
            Family::Empirical,
            Family::Norm,
            Family::Truncnorm,
            Family::Beta,
            Family::Gamma,
            Family::Uniform,
            Family::Kde,
        ] {
            let m = Marginal::fit(family, &expo).expect("fits");
            for u in [0.01, 0.3, 0.5, 0.9, 0.99] {
                let x = m.ppf(u);
                assert!((m.cdf(x) - u).abs() < 2e-3, "{family:?}: F(F⁻¹({u})) = {}", m.cdf(x));
            }
        }
    }

    #[test]
    fn a_constant_column_has_only_the_empirical_marginal() {
        let c = vec![4.0; 100];
        assert!(Marginal::fit(Family::Norm, &c).is_none());
        let (m, _) = Marginal::fit_auto(&c);
        assert_eq!(m.ppf(0.3), 4.0);
        let t = ZTable::new(&m, 4.0, 4.0);
        assert_eq!((t.at(-9.0), t.at(0.0), t.at(9.0)), (4.0, 4.0, 4.0));
    }

    #[test]
    fn the_z_table_follows_the_marginal() {
        let m = Marginal::Norm { loc: 5.0, scale: 2.0 };
        let t = ZTable::new(&m, f64::NEG_INFINITY, f64::INFINITY);
        for z in [-3.0, -0.5, 0.0, 1.234, 4.0] {
            assert!((t.at(z) - (5.0 + 2.0 * z)).abs() < 1e-4, "z {z}: {}", t.at(z));
        }
    }
}
