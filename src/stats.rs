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

/// Column-wise standard errors of a chains x items table of per-chain means (NaN for one chain),
/// in one pass over the rows.
pub(crate) fn column_stderr(per_chain: ArrayView2<'_, f64>) -> Array1<f64> {
    let n = per_chain.nrows() as f64;
    let mean = per_chain.sum_axis(Axis(0)) / n;
    let mut squares = Array1::<f64>::zeros(per_chain.ncols());
    for row in per_chain.rows() {
        squares.zip_mut_with(&(&row - &mean), |s, d| *s += d * d);
    }
    squares.mapv(|s| {
        if n < 2.0 {
            f64::NAN
        } else {
            (s / (n - 1.0) / n).sqrt()
        }
    })
}
