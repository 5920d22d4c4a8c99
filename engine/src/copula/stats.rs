//! The special functions the copula needs: the normal CDF and its inverse,
//! the regularized incomplete gamma and beta functions, and the two-sample
//! Kolmogorov–Smirnov statistic.

use std::f64::consts::{FRAC_1_SQRT_2, PI};

/// Φ(z), the standard normal CDF (musl's erfc, through libm).
pub fn norm_cdf(z: f64) -> f64 {
    0.5 * libm::erfc(-z * FRAC_1_SQRT_2)
}

/// The standard normal density.
pub fn norm_pdf(z: f64) -> f64 {
    (-0.5 * z * z).exp() / (2.0 * PI).sqrt()
}

/// Φ⁻¹(p), Wichura's AS 241 (PPND16, relative error about 1e-16); ±∞ at 0 and 1.
#[allow(clippy::excessive_precision)] // the coefficients as AS 241 prints them
pub fn norm_ppf(p: f64) -> f64 {
    if p <= 0.0 {
        return f64::NEG_INFINITY;
    }
    if p >= 1.0 {
        return f64::INFINITY;
    }
    let q = p - 0.5;
    if q.abs() <= 0.425 {
        let r = 0.180_625 - q * q;
        return q
            * (((((((2.509_080_928_730_122_7e3 * r + 3.343_057_558_358_812_8e4) * r + 6.726_577_092_700_870_1e4)
                * r
                + 4.592_195_393_154_987_1e4)
                * r
                + 1.373_169_376_550_946e4)
                * r
                + 1.971_590_950_306_551_3e3)
                * r
                + 1.331_416_678_917_843_8e2)
                * r
                + 3.387_132_872_796_366_5)
            / (((((((5.226_495_278_852_545_5e3 * r + 2.872_908_573_572_194_3e4) * r + 3.930_789_580_009_271e4)
                * r
                + 2.121_379_430_158_659_7e4)
                * r
                + 5.394_196_021_424_751e3)
                * r
                + 6.871_870_074_920_579e2)
                * r
                + 4.231_333_070_160_091e1)
                * r
                + 1.0);
    }
    let mut r = if q < 0.0 { p } else { 1.0 - p };
    r = (-r.ln()).sqrt();
    let v = if r <= 5.0 {
        r -= 1.6;
        (((((((7.745_450_142_783_414e-4 * r + 2.272_384_498_926_918_4e-2) * r + 2.417_807_251_774_506e-1) * r
            + 1.270_458_252_452_368_4)
            * r
            + 3.647_848_324_763_204_5)
            * r
            + 5.769_497_221_460_691)
            * r
            + 4.630_337_846_156_546)
            * r
            + 1.423_437_110_749_683_5)
            / (((((((1.050_750_071_644_416_9e-9 * r + 5.475_938_084_995_345e-4) * r + 1.519_866_656_361_645_7e-2)
                * r
                + 1.481_039_764_274_800_8e-1)
                * r
                + 6.897_673_349_851e-1)
                * r
                + 1.676_384_830_183_803_8)
                * r
                + 2.053_191_626_637_759)
                * r
                + 1.0)
    } else {
        r -= 5.0;
        (((((((2.010_334_399_292_288e-7 * r + 2.711_555_568_743_487_6e-5) * r + 1.242_660_947_388_078_4e-3) * r
            + 2.653_218_952_657_612_4e-2)
            * r
            + 2.965_605_718_285_048_7e-1)
            * r
            + 1.784_826_539_917_291_3)
            * r
            + 5.463_784_911_164_114)
            * r
            + 6.657_904_643_501_103)
            / (((((((2.044_263_103_389_939_7e-15 * r + 1.421_511_758_316_446e-7) * r + 1.846_318_317_510_054_8e-5)
                * r
                + 7.868_691_311_456_133e-4)
                * r
                + 1.487_536_129_085_061_5e-2)
                * r
                + 1.369_298_809_227_358e-1)
                * r
                + 5.998_322_065_558_88e-1)
                * r
                + 1.0)
    };
    if q < 0.0 { -v } else { v }
}

/// ln Γ(x) for x > 0.
pub fn ln_gamma(x: f64) -> f64 {
    libm::lgamma(x)
}

/// P(a, x), the regularized lower incomplete gamma function.
pub fn gamma_p(a: f64, x: f64) -> f64 {
    if x <= 0.0 {
        return 0.0;
    }
    let front = (a * x.ln() - x - ln_gamma(a)).exp();
    if x < a + 1.0 {
        // Series.
        let (mut sum, mut term, mut n) = (1.0 / a, 1.0 / a, a);
        for _ in 0..1000 {
            n += 1.0;
            term *= x / n;
            sum += term;
            if term.abs() < sum.abs() * 1e-16 {
                break;
            }
        }
        (sum * front).clamp(0.0, 1.0)
    } else {
        // Continued fraction (Lentz) for Q.
        let tiny = 1e-300;
        let mut b = x + 1.0 - a;
        let mut c = 1.0 / tiny;
        let mut d = 1.0 / b;
        let mut h = d;
        for i in 1..1000 {
            let an = -(i as f64) * (i as f64 - a);
            b += 2.0;
            d = an * d + b;
            if d.abs() < tiny {
                d = tiny;
            }
            c = b + an / c;
            if c.abs() < tiny {
                c = tiny;
            }
            d = 1.0 / d;
            let del = d * c;
            h *= del;
            if (del - 1.0).abs() < 1e-16 {
                break;
            }
        }
        (1.0 - front * h).clamp(0.0, 1.0)
    }
}

/// I_x(a, b), the regularized incomplete beta function.
pub fn beta_i(a: f64, b: f64, x: f64) -> f64 {
    if x <= 0.0 {
        return 0.0;
    }
    if x >= 1.0 {
        return 1.0;
    }
    let front = (ln_gamma(a + b) - ln_gamma(a) - ln_gamma(b) + a * x.ln() + b * (1.0 - x).ln()).exp();
    if x < (a + 1.0) / (a + b + 2.0) {
        (front * beta_cf(a, b, x) / a).clamp(0.0, 1.0)
    } else {
        (1.0 - front * beta_cf(b, a, 1.0 - x) / b).clamp(0.0, 1.0)
    }
}

fn beta_cf(a: f64, b: f64, x: f64) -> f64 {
    let (qab, qap, qam) = (a + b, a + 1.0, a - 1.0);
    let mut c = 1.0;
    let mut d = 1.0 / not_tiny(1.0 - qab * x / qap);
    let mut h = d;
    for m in 1..1000 {
        let m = m as f64;
        let m2 = 2.0 * m;
        // The even and the odd step of the continued fraction (modified Lentz).
        h *= lentz(m * (b - m) * x / ((qam + m2) * (a + m2)), &mut c, &mut d);
        let del = lentz(-(a + m) * (qab + m) * x / ((a + m2) * (qap + m2)), &mut c, &mut d);
        h *= del;
        if (del - 1.0).abs() < 1e-15 {
            break;
        }
    }
    h
}

/// One step of Lentz's method with coefficient `aa`: the factor it multiplies `h` by.
fn lentz(aa: f64, c: &mut f64, d: &mut f64) -> f64 {
    *d = 1.0 / not_tiny(1.0 + aa * *d);
    *c = not_tiny(1.0 + aa / *c);
    *d * *c
}

/// `v`, or a tiny number of its sign when it is (nearly) zero.
fn not_tiny(v: f64) -> f64 {
    if v.abs() < 1e-300 { 1e-300 } else { v }
}

/// The two-sample Kolmogorov–Smirnov statistic of two sorted samples:
/// the largest distance between their empirical CDFs.
pub fn ks_two_sample(a: &[f64], b: &[f64]) -> f64 {
    if a.is_empty() || b.is_empty() {
        return if a.len() == b.len() { 0.0 } else { 1.0 };
    }
    let (na, nb) = (a.len() as f64, b.len() as f64);
    let (mut i, mut j, mut d) = (0usize, 0usize, 0f64);
    while i < a.len() && j < b.len() {
        let x = a[i].min(b[j]);
        while i < a.len() && a[i] <= x {
            i += 1;
        }
        while j < b.len() && b[j] <= x {
            j += 1;
        }
        d = d.max((i as f64 / na - j as f64 / nb).abs());
    }
    d
}

/// The KS statistic of a sorted sample against a CDF.
pub fn ks_one_sample(sorted: &[f64], cdf: impl Fn(f64) -> f64) -> f64 {
    let n = sorted.len() as f64;
    let mut d = 0f64;
    for (i, &x) in sorted.iter().enumerate() {
        let f = cdf(x);
        d = d.max((f - i as f64 / n).abs()).max(((i + 1) as f64 / n - f).abs());
    }
    d
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_normal_cdf_and_its_inverse_agree_with_known_values() {
        for (z, p) in [
            (0.0, 0.5),
            (1.0, 0.841_344_746_068_542_9),
            (-1.96, 0.024_997_895_148_220_43),
            (-8.0, 6.220_960_574_271_784e-16),
        ] {
            assert!((norm_cdf(z) - p).abs() <= 1e-15_f64.max(p * 1e-12), "Φ({z}) = {} vs {p}", norm_cdf(z));
        }
        for p in [1e-300, 1e-12, 0.001, 0.024_997_895_148_220_43, 0.3, 0.5, 0.77, 0.999_999] {
            let z = norm_ppf(p);
            assert!((norm_cdf(z) - p).abs() <= p * 1e-12 + 1e-16, "Φ(Φ⁻¹({p})) = {}", norm_cdf(z));
        }
        assert!((norm_ppf(0.975) - 1.959_963_984_540_054).abs() < 1e-14);
    }

    #[test]
    fn incomplete_gamma_and_beta_match_closed_forms() {
        // P(1, x) = 1 − e^−x; I_x(1, 1) = x; I_x(2, 1) = x²; I_x(1, 2) = 1 − (1 − x)².
        for x in [0.01, 0.5, 1.0, 3.0, 20.0] {
            assert!((gamma_p(1.0, x) - (1.0 - (-x).exp())).abs() < 1e-13, "P(1, {x})");
        }
        for x in [0.01, 0.3, 0.5, 0.9] {
            assert!((beta_i(1.0, 1.0, x) - x).abs() < 1e-13);
            assert!((beta_i(2.0, 1.0, x) - x * x).abs() < 1e-13);
            assert!((beta_i(1.0, 2.0, x) - (1.0 - (1.0 - x) * (1.0 - x))).abs() < 1e-13);
        }
        // Chi-squared with 4 degrees of freedom at 9.4877: 0.95.
        assert!((gamma_p(2.0, 9.4877 / 2.0) - 0.95).abs() < 1e-4);
        assert!((ln_gamma(10.0) - 362_880f64.ln()).abs() < 1e-12);
    }

    #[test]
    fn ks_measures_the_largest_gap() {
        let a = [1.0, 2.0, 3.0, 4.0];
        assert_eq!(ks_two_sample(&a, &a), 0.0);
        assert_eq!(ks_two_sample(&a, &[5.0, 6.0]), 1.0);
        assert!((ks_two_sample(&a, &[2.5, 3.5, 4.5, 5.5]) - 0.5).abs() < 1e-12);
        let u: Vec<f64> = (0..1000).map(|i| (i as f64 + 0.5) / 1000.0).collect();
        assert!(ks_one_sample(&u, |x| x.clamp(0.0, 1.0)) <= 0.0005 + 1e-12);
    }
}
