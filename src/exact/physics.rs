//! Closed-form results of the zero-field Ising model (`H = -J sum s_i s_j`, `K = beta J`), the
//! physics anchors of the statistical tests.

use std::f64::consts::PI;

/// Critical coupling of the square lattice, `ln(1 + sqrt 2) / 2`.
pub const BETA_C: f64 = 0.440_686_793_509_771_5;

/// Complete elliptic integral of the first kind `K1(k)` (modulus `k`) by the arithmetic-geometric mean.
fn elliptic_k(k: f64) -> f64 {
    let (mut a, mut b) = (1.0f64, (1.0 - k * k).max(0.0).sqrt());
    // Quadratic convergence: 8 steps reach full precision from b >= 1e-300; the rest are no-ops
    // (a fixed count, since a and b can settle a rounding step apart and never compare equal).
    for _ in 0..32 {
        (a, b) = (0.5 * (a + b), (a * b).sqrt());
    }
    PI / (2.0 * a)
}

/// Onsager's energy per site of the infinite square lattice at `K` (in units of `J`):
/// `u = -coth(2K) [1 + (2/pi)(2 tanh^2(2K) - 1) K1(k)]`, `k = 2 sinh(2K) / cosh^2(2K)`.
///
/// ```
/// use ising_wgpu::physics::{onsager_energy_per_site, BETA_C};
/// assert!((onsager_energy_per_site(0.3) + 0.70450).abs() < 1e-5);
/// assert!((onsager_energy_per_site(BETA_C) + 2f64.sqrt()).abs() < 1e-9);
/// ```
pub fn onsager_energy_per_site(k: f64) -> f64 {
    let t = 2.0 * k;
    let modulus = 2.0 * t.sinh() / t.cosh().powi(2);
    let prefactor = 2.0 * t.tanh().powi(2) - 1.0;
    let correction = if (modulus - 1.0).abs() < 1e-12 {
        0.0
    } else {
        prefactor * elliptic_k(modulus)
    };
    -(1.0 / t.tanh()) * (1.0 + 2.0 / PI * correction)
}

/// Yang's spontaneous magnetisation per site of the infinite square lattice, 0 for `K <= K_c`.
pub fn yang_magnetization(k: f64) -> f64 {
    if k <= BETA_C {
        0.0
    } else {
        (1.0 - (2.0 * k).sinh().powi(-4)).powf(0.125)
    }
}

/// Signed logarithm: `ln|x|` and the sign of `x`.
fn signed_ln(x: f64) -> (f64, f64) {
    (x.abs().ln(), x.signum())
}

/// `ln Z` of the periodic `m x n` square lattice at `K` (Kaufman 1949), exact for any size:
/// `Z = 1/2 (2 sinh 2K)^(mn/2) (Z1 + Z2 + Z3 + Z4)`, summed in the log domain.
pub fn kaufman_log_z(m: usize, n: usize, k: f64) -> f64 {
    let gamma = |l: usize| {
        if l == 0 {
            2.0 * k + k.tanh().ln()
        } else {
            let c = (2.0 * k).cosh() / (2.0 * k).tanh() - (PI * l as f64 / n as f64).cos();
            c.acosh()
        }
    };
    let half_m = m as f64 / 2.0;
    // Each Z_a as (ln |Z_a|, sign).
    let product = |offset: usize, f: fn(f64) -> f64| {
        (0..n).fold((0.0, 1.0), |(ln, sign), r| {
            let (l, s) = signed_ln(2.0 * f(half_m * gamma(2 * r + offset)));
            (ln + l, sign * s)
        })
    };
    let terms = [
        product(1, f64::cosh),
        product(1, f64::sinh),
        product(0, f64::cosh),
        product(0, f64::sinh),
    ];
    let top = terms.iter().map(|t| t.0).fold(f64::NEG_INFINITY, f64::max);
    let sum: f64 = terms
        .iter()
        .map(|&(ln, sign)| sign * (ln - top).exp())
        .sum();
    (m * n) as f64 / 2.0 * (2.0 * (2.0 * k).sinh()).ln() + top + (0.5 * sum).ln()
}

/// Energy per site (units of `J`) of the periodic `m x n` lattice: `-(1/mn) d ln Z / dK`, by a
/// central difference of [`kaufman_log_z`].
pub fn kaufman_energy_per_site(m: usize, n: usize, k: f64) -> f64 {
    let h = 1e-5 * k.max(1e-3);
    let d = (kaufman_log_z(m, n, k + h) - kaufman_log_z(m, n, k - h)) / (2.0 * h);
    -d / (m * n) as f64
}

/// `<s_0 s_r>` on a ring of `n` spins in zero field: `(t^r + t^(n-r)) / (1 + t^n)`, `t = tanh K`.
pub fn ring_correlation(n: usize, r: usize, k: f64) -> f64 {
    let t = k.tanh();
    (t.powi(r as i32) + t.powi((n - r) as i32)) / (1.0 + t.powi(n as i32))
}

/// `<s_i s_(i+r)>` on an open chain in zero field: `tanh(K)^r`.
pub fn open_chain_correlation(r: usize, k: f64) -> f64 {
    k.tanh().powi(r as i32)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exact::exact_moments;
    use crate::graph::Lattice;

    #[test]
    fn onsager_is_finite_and_monotone_across_the_transition() {
        let betas: Vec<f64> = (0..=450).map(|k| 0.25 + f64::from(k) * 1e-3).collect();
        let u: Vec<f64> = betas.iter().map(|&b| onsager_energy_per_site(b)).collect();
        assert!(u.iter().all(|v| v.is_finite()));
        assert!(
            u.windows(2).all(|w| w[1] < w[0]),
            "energy falls as beta rises"
        );
        // Low temperature: u -> -2.
        assert!((onsager_energy_per_site(3.0) + 2.0).abs() < 1e-9);
    }

    #[test]
    fn beta_c_is_the_self_dual_point() {
        assert!(((1.0 + 2f64.sqrt()).ln() / 2.0 - BETA_C).abs() < 1e-15);
        assert_eq!(yang_magnetization(0.4), 0.0);
        assert!(
            (yang_magnetization(0.6) - (1.0 - (1.2f64).sinh().powi(-4)).powf(0.125)).abs() < 1e-15
        );
    }

    #[test]
    fn kaufman_agrees_with_enumeration_on_small_tori() {
        for (m, n) in [(4, 4), (3, 4), (4, 3), (3, 5)] {
            let lattice = Lattice::square(m, n, true).unwrap();
            for k in [0.2, BETA_C, 0.7] {
                let model = lattice.model(1.0, 0.0, k as f32).unwrap();
                let k32 = f64::from(k as f32);
                let exact = exact_moments(&model, &[]).unwrap();
                let log_z = kaufman_log_z(m, n, k32);
                assert!(
                    (exact.log_z - log_z).abs() < 1e-9 * log_z.abs(),
                    "{m}x{n} K={k}: {} vs {log_z}",
                    exact.log_z
                );
                let u = -exact.edge_means.sum() / (m * n) as f64;
                let u_kaufman = kaufman_energy_per_site(m, n, k32);
                assert!(
                    (u - u_kaufman).abs() < 1e-6,
                    "{m}x{n} K={k}: {u} vs {u_kaufman}"
                );
            }
        }
    }

    #[test]
    fn chain_correlations_agree_with_enumeration() {
        let k = 0.6f32;
        for periodic in [true, false] {
            let chain = Lattice::chain(9, periodic).unwrap();
            let model = chain.model(1.0, 0.0, k).unwrap();
            let exact = exact_moments(&model, &[]).unwrap();
            let want = if periodic {
                ring_correlation(9, 1, f64::from(k))
            } else {
                open_chain_correlation(1, f64::from(k))
            };
            assert!((exact.edge_means[0] - want).abs() < 1e-12);
        }
    }
}
