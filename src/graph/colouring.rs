//! Colouring free nodes into independent blocks (DSatur), and checking blocks a user gives.

use std::cmp::Reverse;
use std::collections::BTreeSet;

use super::{Csr, NodeRoles};
use crate::error::{Error, Result};

/// Colours `free` nodes so that no edge joins two nodes of one colour, and returns the colour classes
/// as blocks (colour 0 first, each block sorted). Edges to nodes outside `free` do not constrain.
///
/// DSatur: repeatedly colour the uncoloured node with the most distinct neighbour colours (ties: the
/// larger free degree, then the smaller index) with the smallest colour its neighbours lack. It is
/// exact on bipartite graphs (2 blocks for lattices with even periodic sides) and deterministic.
pub fn colour_dsatur(csr: &Csr, free: &[u32]) -> Vec<Vec<u32>> {
    let n = csr.num_nodes();
    let mut is_free = vec![false; n];
    for &i in free {
        is_free[i as usize] = true;
    }
    let free_degree = |i: usize| {
        csr.neighbours(i)
            .iter()
            .filter(|&&j| is_free[j as usize])
            .count()
    };
    let mut colour: Vec<Option<u32>> = vec![None; n];
    // Distinct colours seen among each node's neighbours, kept sorted.
    let mut seen: Vec<Vec<u32>> = vec![Vec::new(); n];
    let key =
        |i: u32, seen: &[Vec<u32>]| (seen[i as usize].len(), free_degree(i as usize), Reverse(i));
    let mut queue: BTreeSet<(usize, usize, Reverse<u32>)> =
        free.iter().map(|&i| key(i, &seen)).collect();
    let mut blocks: Vec<Vec<u32>> = Vec::new();
    while let Some((_, _, Reverse(v))) = queue.pop_last() {
        let taken = &seen[v as usize];
        let c = (0u32..)
            .find(|c| taken.binary_search(c).is_err())
            .unwrap_or(0);
        colour[v as usize] = Some(c);
        if blocks.len() <= c as usize {
            blocks.push(Vec::new());
        }
        blocks[c as usize].push(v);
        for &u in csr.neighbours(v as usize) {
            let u_idx = u as usize;
            if !is_free[u_idx] || colour[u_idx].is_some() {
                continue;
            }
            if let Err(pos) = seen[u_idx].binary_search(&c) {
                queue.remove(&key(u, &seen));
                seen[u_idx].insert(pos, c);
                queue.insert(key(u, &seen));
            }
        }
    }
    for block in &mut blocks {
        block.sort_unstable();
    }
    blocks
}

/// Checks that `blocks` and `clamped` partition the nodes: every node in exactly one free block or
/// clamped, no empty block, and no edge inside a block (the error names the edge).
pub fn validate_blocks(csr: &Csr, blocks: &[Vec<u32>], clamped: &[u32]) -> Result<()> {
    let n = csr.num_nodes();
    let mut roles = NodeRoles::new(n);
    for (b, block) in blocks.iter().enumerate() {
        if block.is_empty() {
            return Err(Error::EmptyBlock { block: b });
        }
        for &i in block {
            roles.claim(i, &format!("block {b}"))?;
        }
    }
    for &i in clamped {
        roles.claim(i, "the clamped nodes")?;
    }
    if let Some(node) = roles.first_unclaimed() {
        return Err(Error::NodeNotCovered { node });
    }
    let mut block_of = vec![usize::MAX; n];
    for (b, block) in blocks.iter().enumerate() {
        for &i in block {
            block_of[i as usize] = b;
        }
    }
    for (b, block) in blocks.iter().enumerate() {
        for &i in block {
            for k in csr.row(i as usize) {
                let j = csr.col()[k];
                if block_of[j as usize] == b {
                    return Err(Error::BlockNotIndependent {
                        block: b,
                        edge: csr.edge()[k] as usize,
                        i: i.min(j),
                        j: i.max(j),
                    });
                }
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::IsingModel;
    use proptest::prelude::*;

    fn csr(n: usize, edges: Vec<(u32, u32)>) -> Csr {
        let m = edges.len();
        Csr::new(&IsingModel::new(n, edges, vec![1.0; m], vec![0.0; n], 1.0).unwrap())
    }

    fn all(n: usize) -> Vec<u32> {
        (0..n as u32).collect()
    }

    #[test]
    fn bipartite_and_odd_cycles() {
        let ring = |n: u32| csr(n as usize, (0..n).map(|i| (i, (i + 1) % n)).collect());
        assert_eq!(colour_dsatur(&ring(6), &all(6)).len(), 2);
        assert_eq!(colour_dsatur(&ring(7), &all(7)).len(), 3);
        let k4 = csr(4, vec![(0, 1), (0, 2), (0, 3), (1, 2), (1, 3), (2, 3)]);
        assert_eq!(colour_dsatur(&k4, &all(4)).len(), 4);
        // Clamping node 0 of the triangle 0-1-2 leaves an edge: 2 blocks.
        let tri = csr(3, vec![(0, 1), (1, 2), (0, 2)]);
        assert_eq!(colour_dsatur(&tri, &[1, 2]), vec![vec![1], vec![2]]);
    }

    #[test]
    fn block_errors_name_the_culprit() {
        let g = csr(4, vec![(0, 1), (1, 2), (2, 3)]);
        let err = |blocks: Vec<Vec<u32>>, clamped: Vec<u32>| {
            validate_blocks(&g, &blocks, &clamped)
                .unwrap_err()
                .to_string()
        };
        assert!(err(vec![vec![0, 2], vec![1, 3], vec![]], vec![]).contains("block 2 is empty"));
        assert!(
            err(vec![vec![0, 1], vec![2, 3]], vec![])
                .contains("block 0 is not independent: edge 0 joins nodes 0 and 1")
        );
        assert!(err(vec![vec![0, 2], vec![1]], vec![]).contains("node 3 is in no free block"));
        assert!(
            err(vec![vec![0, 2], vec![1, 3]], vec![2])
                .contains("node 2 appears twice: block 0 and the clamped nodes")
        );
        assert!(err(vec![vec![0, 2], vec![1, 3, 9]], vec![]).contains("block 1 names node 9"));
        assert!(validate_blocks(&g, &[vec![0, 2], vec![1]], &[3]).is_ok());
    }

    proptest! {
        #[test]
        fn dsatur_blocks_are_independent_and_cover_the_free_nodes(
            n in 1usize..40,
            raw_edges in proptest::collection::vec((0u32..40, 0u32..40), 0..150),
            clamp_mask in proptest::collection::vec(any::<bool>(), 40),
        ) {
            let mut seen = std::collections::HashSet::new();
            let edges: Vec<(u32, u32)> = raw_edges
                .into_iter()
                .map(|(a, b)| (a % n as u32, b % n as u32))
                .filter(|&(a, b)| a != b && seen.insert((a.min(b), a.max(b))))
                .collect();
            let g = csr(n, edges);
            let clamped: Vec<u32> = (0..n as u32).filter(|&i| clamp_mask[i as usize]).collect();
            let free: Vec<u32> = (0..n as u32).filter(|&i| !clamp_mask[i as usize]).collect();
            let blocks = colour_dsatur(&g, &free);
            prop_assert!(validate_blocks(&g, &blocks, &clamped).is_ok());
            let max_degree = (0..n).map(|i| g.neighbours(i).len()).max().unwrap_or(0);
            prop_assert!(blocks.len() <= max_degree + 1);
        }
    }
}
