//! Means and standard errors from independent chains.

use ndarray::{Array1, ArrayView2, Axis};

/// Mean and standard error of the mean of independent values (sample standard deviation over
/// `sqrt(n)`); the error is NaN for fewer than two values.
///
/// ```
/// let (mean, se) = ising_wgpu::mean_and_stderr(&[1.0, 2.0, 3.0]);
/// assert_eq!(mean, 2.0);
/// assert!((se - (1.0f64 / 3.0).sqrt()).abs() < 1e-12);
/// ```
pub fn mean_and_stderr(values: &[f64]) -> (f64, f64) {
    let n = values.len() as f64;
    let mean = values.iter().sum::<f64>() / n;
    let var = values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1.0);
    (
        mean,
        if values.len() < 2 {
            f64::NAN
        } else {
            (var / n).sqrt()
        },
    )
}

/// Column-wise standard errors of a chains x items table of per-chain means.
pub(crate) fn column_stderr(per_chain: ArrayView2<'_, f64>) -> Array1<f64> {
    per_chain
        .axis_iter(Axis(1))
        .map(|col| mean_and_stderr(&col.to_vec()).1)
        .collect()
}
