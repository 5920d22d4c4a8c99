//! Small dense linear algebra for correlation matrices (a few dozen columns
//! at most): symmetric eigen-decomposition (Jacobi), the repair of a matrix
//! that is not positive definite, Cholesky factors and solves. Matrices are
//! row-major `Vec<f64>` of `n × n`.

/// Eigenvalues and eigenvectors (columns of the second, row-major) of a
/// symmetric matrix, by cyclic Jacobi rotations.
pub fn eigen_symmetric(a: &[f64], n: usize) -> (Vec<f64>, Vec<f64>) {
    let mut a = a.to_vec();
    let mut v = identity(n);
    for _sweep in 0..100 {
        let off: f64 = (0..n)
            .flat_map(|i| (0..n).filter(move |&j| j != i).map(move |j| (i, j)))
            .map(|(i, j)| a[i * n + j].powi(2))
            .sum();
        if off < 1e-22 {
            break;
        }
        for p in 0..n {
            for q in p + 1..n {
                let apq = a[p * n + q];
                if apq.abs() < 1e-300 {
                    continue;
                }
                let theta = (a[q * n + q] - a[p * n + p]) / (2.0 * apq);
                let t = theta.signum() / (theta.abs() + (theta * theta + 1.0).sqrt());
                let t = if theta == 0.0 { 1.0 } else { t };
                let c = 1.0 / (t * t + 1.0).sqrt();
                let s = t * c;
                for k in 0..n {
                    let (akp, akq) = (a[k * n + p], a[k * n + q]);
                    a[k * n + p] = c * akp - s * akq;
                    a[k * n + q] = s * akp + c * akq;
                }
                for k in 0..n {
                    let (apk, aqk) = (a[p * n + k], a[q * n + k]);
                    a[p * n + k] = c * apk - s * aqk;
                    a[q * n + k] = s * apk + c * aqk;
                }
                for k in 0..n {
                    let (vkp, vkq) = (v[k * n + p], v[k * n + q]);
                    v[k * n + p] = c * vkp - s * vkq;
                    v[k * n + q] = s * vkp + c * vkq;
                }
            }
        }
    }
    ((0..n).map(|i| a[i * n + i]).collect(), v)
}

/// The identity matrix.
pub fn identity(n: usize) -> Vec<f64> {
    let mut m = vec![0.0; n * n];
    for i in 0..n {
        m[i * n + i] = 1.0;
    }
    m
}

/// The nearest correlation matrix with every eigenvalue at least `floor`
/// (eigenvalues clipped, then rescaled to a unit diagonal), and whether it
/// had to change.
pub fn repair_correlation(c: &[f64], n: usize, floor: f64) -> (Vec<f64>, bool) {
    let (values, vectors) = eigen_symmetric(c, n);
    if values.iter().all(|&l| l >= floor) && cholesky(c, n).is_some() {
        return (c.to_vec(), false);
    }
    let clipped: Vec<f64> = values.iter().map(|&l| l.max(floor)).collect();
    let mut m = vec![0.0; n * n];
    for i in 0..n {
        for j in 0..n {
            m[i * n + j] = (0..n).map(|k| vectors[i * n + k] * clipped[k] * vectors[j * n + k]).sum();
        }
    }
    let d: Vec<f64> = (0..n).map(|i| m[i * n + i].sqrt()).collect();
    for i in 0..n {
        for j in 0..n {
            m[i * n + j] /= d[i] * d[j];
        }
        m[i * n + i] = 1.0;
    }
    (m, true)
}

/// The lower Cholesky factor L (L·Lᵀ = a), or None when `a` is not positive definite.
pub fn cholesky(a: &[f64], n: usize) -> Option<Vec<f64>> {
    let mut l = vec![0.0; n * n];
    for i in 0..n {
        for j in 0..=i {
            let s: f64 = (0..j).map(|k| l[i * n + k] * l[j * n + k]).sum();
            if i == j {
                let d = a[i * n + i] - s;
                if d <= 1e-12 {
                    return None;
                }
                l[i * n + i] = d.sqrt();
            } else {
                l[i * n + j] = (a[i * n + j] - s) / l[j * n + j];
            }
        }
    }
    Some(l)
}

/// The inverse of a positive definite matrix (through its Cholesky factor).
pub fn inverse_pd(a: &[f64], n: usize) -> Option<Vec<f64>> {
    let l = cholesky(a, n)?;
    let mut inv = vec![0.0; n * n];
    for col in 0..n {
        // Solve L y = e_col, then Lᵀ x = y.
        let mut y = vec![0.0; n];
        for i in 0..n {
            let s: f64 = (0..i).map(|k| l[i * n + k] * y[k]).sum();
            y[i] = (if i == col { 1.0 } else { 0.0 } - s) / l[i * n + i];
        }
        let mut x = vec![0.0; n];
        for i in (0..n).rev() {
            let s: f64 = (i + 1..n).map(|k| l[k * n + i] * x[k]).sum();
            x[i] = (y[i] - s) / l[i * n + i];
        }
        for i in 0..n {
            inv[i * n + col] = x[i];
        }
    }
    Some(inv)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn eigen_cholesky_and_inverse_reconstruct_their_matrix() {
        let a = [1.0, 0.6, 0.3, 0.6, 1.0, 0.2, 0.3, 0.2, 1.0];
        let (values, v) = eigen_symmetric(&a, 3);
        for i in 0..3 {
            for j in 0..3 {
                let r: f64 = (0..3).map(|k| v[i * 3 + k] * values[k] * v[j * 3 + k]).sum();
                assert!((r - a[i * 3 + j]).abs() < 1e-12);
            }
        }
        let l = cholesky(&a, 3).expect("positive definite");
        let inv = inverse_pd(&a, 3).expect("inverse");
        for i in 0..3 {
            for j in 0..3 {
                let llt: f64 = (0..3).map(|k| l[i * 3 + k] * l[j * 3 + k]).sum();
                assert!((llt - a[i * 3 + j]).abs() < 1e-12);
                let id: f64 = (0..3).map(|k| a[i * 3 + k] * inv[k * 3 + j]).sum();
                assert!((id - if i == j { 1.0 } else { 0.0 }).abs() < 1e-12);
            }
        }
    }

    #[test]
    fn a_singular_correlation_is_repaired_to_positive_definite() {
        // Two identical columns and a third: rank 2.
        let a = [1.0, 1.0, 0.5, 1.0, 1.0, 0.5, 0.5, 0.5, 1.0];
        assert!(cholesky(&a, 3).is_none());
        let (fixed, changed) = repair_correlation(&a, 3, 1e-6);
        assert!(changed);
        assert!(cholesky(&fixed, 3).is_some());
        assert!((fixed[1] - 1.0).abs() < 1e-3 && (fixed[2] - 0.5).abs() < 1e-3, "{fixed:?}");
        let ok = identity(3);
        assert_eq!(repair_correlation(&ok, 3, 1e-6), (ok.clone(), false));
    }
}
