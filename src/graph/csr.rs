//! Compressed sparse rows over the symmetric adjacency of a model.

use crate::model::IsingModel;

/// Symmetric adjacency in CSR form: the neighbours of node `i` are
/// `col[row_ptr[i]..row_ptr[i + 1]]`, in increasing order, and `edge[k]` is the model edge of entry `k`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Csr {
    row_ptr: Vec<u32>,
    col: Vec<u32>,
    edge: Vec<u32>,
}

impl Csr {
    /// Builds the adjacency of a (validated) model; each edge appears once in each endpoint's row.
    pub fn new(model: &IsingModel) -> Self {
        let n = model.num_nodes();
        let mut degree = vec![0u32; n + 1];
        for &(i, j) in model.edges() {
            degree[i as usize] += 1;
            degree[j as usize] += 1;
        }
        let mut row_ptr = vec![0u32; n + 1];
        for i in 0..n {
            row_ptr[i + 1] = row_ptr[i] + degree[i];
        }
        let mut fill: Vec<u32> = row_ptr[..n].to_vec();
        let entries = row_ptr[n] as usize;
        let mut col = vec![0u32; entries];
        let mut edge = vec![0u32; entries];
        for (k, &(i, j)) in model.edges().iter().enumerate() {
            for (a, b) in [(i, j), (j, i)] {
                let slot = fill[a as usize] as usize;
                col[slot] = b;
                edge[slot] = k as u32;
                fill[a as usize] += 1;
            }
        }
        for i in 0..n {
            let range = row_ptr[i] as usize..row_ptr[i + 1] as usize;
            let mut row: Vec<(u32, u32)> = col[range.clone()]
                .iter()
                .copied()
                .zip(edge[range.clone()].iter().copied())
                .collect();
            row.sort_unstable();
            for (slot, (c, e)) in range.zip(row) {
                col[slot] = c;
                edge[slot] = e;
            }
        }
        Csr { row_ptr, col, edge }
    }

    /// Number of nodes.
    pub fn num_nodes(&self) -> usize {
        self.row_ptr.len() - 1
    }

    /// Row offsets, `num_nodes + 1` of them.
    pub fn row_ptr(&self) -> &[u32] {
        &self.row_ptr
    }

    /// Neighbour of each entry.
    pub fn col(&self) -> &[u32] {
        &self.col
    }

    /// Model edge index of each entry.
    pub fn edge(&self) -> &[u32] {
        &self.edge
    }

    /// The entry range of node `i`'s row.
    pub fn row(&self, i: usize) -> std::ops::Range<usize> {
        self.row_ptr[i] as usize..self.row_ptr[i + 1] as usize
    }

    /// The neighbours of node `i`.
    pub fn neighbours(&self, i: usize) -> &[u32] {
        &self.col[self.row(i)]
    }

    /// The weight of each entry, taken from the model's edge weights.
    pub fn entry_weights(&self, weights: &[f32]) -> Vec<f32> {
        self.edge.iter().map(|&k| weights[k as usize]).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_are_sorted_and_symmetric() {
        let m = IsingModel::new(
            4,
            vec![(2, 0), (0, 1), (3, 2)],
            vec![1.0, 2.0, 3.0],
            vec![0.0; 4],
            1.0,
        )
        .unwrap();
        let csr = Csr::new(&m);
        assert_eq!(csr.row_ptr(), &[0, 2, 3, 5, 6]);
        assert_eq!(csr.neighbours(0), &[1, 2]);
        assert_eq!(csr.neighbours(2), &[0, 3]);
        assert_eq!(csr.edge(), &[1, 0, 1, 0, 2, 2]);
        assert_eq!(
            csr.entry_weights(m.weights()),
            vec![2.0, 1.0, 2.0, 1.0, 3.0, 3.0]
        );
    }
}
