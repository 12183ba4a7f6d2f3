//! [`Moments`]: exact integer counts of `<s_i>` and `<s_i s_j>` observations, per chain.

use std::borrow::Cow;

use ndarray::{Array1, Array2, ArrayView2};

/// Counts over the samples of each chain: per node the number of +1 spins, per edge the number of
/// samples where both ends agree. Means are `2 * count / samples - 1`; standard errors come from the
/// spread of the per-chain means, so they account for autocorrelation within a chain.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Moments {
    samples: u64,
    node_counts: Array2<u32>,
    edge_counts: Array2<u32>,
}

impl Moments {
    /// Wraps counts (chains x nodes and chains x edges) taken over `samples` samples per chain. Any
    /// memory layout works; the backends hand over column-major tables (each node's or edge's counts
    /// contiguous over chains), which every statistic here reads column by column.
    pub fn from_counts(samples: u64, node_counts: Array2<u32>, edge_counts: Array2<u32>) -> Self {
        debug_assert_eq!(node_counts.nrows(), edge_counts.nrows());
        Moments {
            samples,
            node_counts,
            edge_counts,
        }
    }

    /// The moments of `chains` alone, e.g. one temperature group's
    /// ([`crate::Temperatures::chains_of`]).
    pub fn select_chains(&self, chains: std::ops::Range<usize>) -> Moments {
        Moments {
            samples: self.samples,
            node_counts: self
                .node_counts
                .slice(ndarray::s![chains.clone(), ..])
                .to_owned(),
            edge_counts: self.edge_counts.slice(ndarray::s![chains, ..]).to_owned(),
        }
    }

    /// The moments of several sets of chains of the same program and schedule, chains in order
    /// (`select_chains`' inverse); `None` for no parts.
    pub(crate) fn concat_chains(parts: &[Moments]) -> Option<Moments> {
        let nodes: Vec<ArrayView2<u32>> = parts.iter().map(|m| m.node_counts.view()).collect();
        let edges: Vec<ArrayView2<u32>> = parts.iter().map(|m| m.edge_counts.view()).collect();
        Some(Moments {
            samples: parts.first()?.samples,
            node_counts: ndarray::concatenate(ndarray::Axis(0), &nodes).ok()?,
            edge_counts: ndarray::concatenate(ndarray::Axis(0), &edges).ok()?,
        })
    }

    /// Adds the counts of `later`'s samples of the same chains.
    pub(crate) fn add(&mut self, later: &Moments) {
        self.samples += later.samples;
        self.node_counts += &later.node_counts;
        self.edge_counts += &later.edge_counts;
    }

    /// Number of chains.
    pub fn chains(&self) -> usize {
        self.node_counts.nrows()
    }

    /// Samples per chain.
    pub fn samples_per_chain(&self) -> u64 {
        self.samples
    }

    /// Per-chain count of +1 spins, chains x nodes.
    pub fn node_counts(&self) -> ArrayView2<'_, u32> {
        self.node_counts.view()
    }

    /// Per-chain count of agreeing edge ends, chains x edges.
    pub fn edge_counts(&self) -> ArrayView2<'_, u32> {
        self.edge_counts.view()
    }

    /// `<s_i>` per node over all samples and chains.
    pub fn node_means(&self) -> Array1<f64> {
        self.pooled(&self.node_counts)
    }

    /// `<s_i s_j>` per edge over all samples and chains.
    pub fn edge_means(&self) -> Array1<f64> {
        self.pooled(&self.edge_counts)
    }

    /// `<s_i>` of each chain, chains x nodes.
    pub fn chain_node_means(&self) -> Array2<f64> {
        self.per_chain(&self.node_counts)
    }

    /// `<s_i s_j>` of each chain, chains x edges.
    pub fn chain_edge_means(&self) -> Array2<f64> {
        self.per_chain(&self.edge_counts)
    }

    /// Standard error of each node mean, from the spread between chains (NaN with one chain).
    pub fn node_stderr(&self) -> Array1<f64> {
        self.grouped_stderr(&self.node_counts, self.chains())
    }

    /// Standard error of each edge mean, from the spread between chains (NaN with one chain).
    pub fn edge_stderr(&self) -> Array1<f64> {
        self.grouped_stderr(&self.edge_counts, self.chains())
    }

    /// Node and edge standard errors when the chains come in consecutive groups of `group` that
    /// sample different conditionals (one data row each): the error of the mean of the group means,
    /// from the spread inside each group.
    pub fn node_edge_stderr_in_groups(&self, group: usize) -> (Array1<f64>, Array1<f64>) {
        (
            self.grouped_stderr(&self.node_counts, group),
            self.grouped_stderr(&self.edge_counts, group),
        )
    }

    /// `sqrt(sum_g var_g / group) / groups`, var_g the sample variance of the per-chain means of
    /// group `g`; column by column, no per-chain table. The sums are exact integers: with `c` a
    /// chain's count and `x = scale c - 1` its mean, `var_g = scale^2 (k sum c^2 - (sum c)^2) /
    /// (k (k - 1))` over the group's `k` chains.
    fn grouped_stderr(&self, counts: &Array2<u32>, group: usize) -> Array1<f64> {
        let groups = counts.nrows() / group.max(1);
        if group < 2 || groups == 0 {
            return Array1::from_elem(counts.ncols(), f64::NAN);
        }
        let scale = 2.0 / self.samples as f64;
        let k = group as u128;
        // var_g / k = scale^2 numerator / (k^2 (k - 1)).
        let factor = scale * scale / (k * k * (k - 1)) as f64;
        // Whether a group's sum of squared counts fits a u64 (which vectorises): always, unless
        // chains sample billions of times.
        let small = k * u128::from(self.samples).pow(2) <= u128::from(u64::MAX);
        counts
            .columns()
            .into_iter()
            .map(|column| {
                // The backends' tables hold each column contiguously; other layouts are copied.
                let column = column
                    .as_slice()
                    .map_or_else(|| Cow::Owned(column.to_vec()), Cow::Borrowed);
                let total: f64 = column
                    .chunks_exact(group)
                    .map(|chains| {
                        let (sum, squares) = if small {
                            sums::<u64>(chains)
                        } else {
                            sums::<u128>(chains)
                        };
                        // Non-negative by Cauchy-Schwarz.
                        let numerator = k * squares - sum * sum;
                        numerator as f64 * factor
                    })
                    .sum();
                total.sqrt() / groups as f64
            })
            .collect()
    }

    fn pooled(&self, counts: &Array2<u32>) -> Array1<f64> {
        let total = self.samples as f64 * counts.nrows() as f64;
        counts
            .columns()
            .into_iter()
            .map(|column| {
                2.0 * column.iter().map(|&c| u64::from(c)).sum::<u64>() as f64 / total - 1.0
            })
            .collect()
    }

    fn per_chain(&self, counts: &Array2<u32>) -> Array2<f64> {
        let samples = self.samples as f64;
        counts.mapv(|c| 2.0 * f64::from(c) / samples - 1.0)
    }
}

/// `(sum c, sum c^2)` over `counts`, accumulated in `T`, which must hold the sum of squares.
fn sums<T>(counts: &[u32]) -> (u128, u128)
where
    T: Copy + From<u32> + std::ops::Add<Output = T> + std::ops::Mul<Output = T> + Into<u128>,
{
    let zero = T::from(0);
    let (sum, squares) = counts.iter().fold((zero, zero), |(sum, squares), &c| {
        let c = T::from(c);
        (sum + c, squares + c * c)
    });
    (sum.into(), squares.into())
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    #[test]
    fn pooled_counts_do_not_overflow() {
        // 1024 chains of 2^32 - 1 samples each: 2^42 observations, beyond u32 and f32.
        let full = Array2::from_elem((1024, 2), u32::MAX);
        let mut half = Array2::from_elem((1024, 2), u32::MAX / 2);
        half[(0, 1)] = u32::MAX / 2 + 1;
        let m = Moments::from_counts(u64::from(u32::MAX), full, half);
        assert_eq!(m.node_means(), array![1.0, 1.0]);
        let expected =
            2.0 * (1024.0 * f64::from(u32::MAX / 2) + 1.0) / (1024.0 * f64::from(u32::MAX)) - 1.0;
        assert!((m.edge_means()[1] - expected).abs() < 1e-15);
        assert!(m.edge_means()[0] < 0.0 && m.edge_means()[0] > -1e-9);
    }

    #[test]
    fn means_and_errors_from_counts() {
        // 2 chains, 4 samples each; node 0: 4 and 0 ups, node 1: 2 and 2.
        let m = Moments::from_counts(4, array![[4, 2], [0, 2]], array![[3], [1]]);
        assert_eq!(m.node_means(), array![0.0, 0.0]);
        assert_eq!(m.chain_node_means(), array![[1.0, 0.0], [-1.0, 0.0]]);
        assert_eq!(m.edge_means(), array![0.0]);
        assert_eq!(m.node_stderr(), array![1.0, 0.0]);
        assert_eq!(m.edge_stderr(), array![0.5]);
    }

    #[test]
    fn grouped_errors_come_from_the_spread_inside_each_group() {
        // Two groups of three chains, 10 samples each; means 2c/10 - 1.
        let counts = array![[1, 5], [4, 5], [7, 5], [0, 5], [0, 5], [3, 5]];
        let m = Moments::from_counts(10, counts, Array2::zeros((6, 0)));
        let (node, _) = m.node_edge_stderr_in_groups(3);
        // Chain means -0.8, -0.2, 0.4 and -1, -1, -0.4: sample variances 0.36 and 0.12, so the
        // error is sqrt(0.36 / 3 + 0.12 / 3) / 2 = 0.2.
        let expected = 0.2;
        assert!((node[0] - expected).abs() < 1e-15, "{node}");
        assert_eq!(node[1], 0.0);
        // One group: as node_stderr.
        assert_eq!(m.node_edge_stderr_in_groups(6).0, m.node_stderr());
    }

    #[test]
    fn errors_stay_exact_when_the_means_nearly_agree() {
        // Means 1 and 1 - 2 / (2^32 - 1): floating sums of squares would cancel to nothing.
        let samples = u32::MAX;
        let m = Moments::from_counts(
            u64::from(samples),
            array![[samples], [samples - 1]],
            Array2::zeros((2, 0)),
        );
        assert_eq!(m.node_stderr()[0], 1.0 / f64::from(samples));
    }
}
