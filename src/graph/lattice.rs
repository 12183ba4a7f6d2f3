//! Hypercubic lattices (1D chain, 2D square, 3D cubic), periodic or open, with their blocks.

use super::{Csr, colour_dsatur};
use crate::error::{Error, Result};
use crate::model::IsingModel;
use crate::program::{Blocks, SamplingProgram};
use crate::rng::{self, Purpose};

/// A hypercubic lattice: site `(x, y, z)` is node `x + Lx * (y + Ly * z)`; each site has an edge to its
/// `+1` neighbour along every axis (wrapping when periodic), in axis order.
///
/// Blocks are the checkerboard (even and odd coordinate sum) when the lattice is bipartite, i.e. open
/// or with every periodic side even; otherwise DSatur's colouring.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Lattice {
    dims: Vec<usize>,
    periodic: bool,
    edges: Vec<(u32, u32)>,
    blocks: Vec<Vec<u32>>,
}

impl Lattice {
    /// A chain of `n` sites; a ring when `periodic`.
    pub fn chain(n: usize, periodic: bool) -> Result<Self> {
        Self::new(&[n], periodic)
    }

    /// A `lx` by `ly` square lattice (`lx` along a row); a torus when `periodic`.
    pub fn square(lx: usize, ly: usize, periodic: bool) -> Result<Self> {
        Self::new(&[lx, ly], periodic)
    }

    /// A `lx` by `ly` by `lz` simple cubic lattice.
    pub fn cubic(lx: usize, ly: usize, lz: usize, periodic: bool) -> Result<Self> {
        Self::new(&[lx, ly, lz], periodic)
    }

    fn new(dims: &[usize], periodic: bool) -> Result<Self> {
        if dims.contains(&0) {
            return Err(Error::invalid(
                "lattice size",
                format!("every side must be at least 1, got {dims:?}"),
            ));
        }
        if periodic && let Some(&side) = dims.iter().find(|&&d| d < 3 && d > 1) {
            return Err(Error::invalid(
                "lattice size",
                format!(
                    "a periodic side of {side} would join the same pair of sites twice; use 1 or at least 3"
                ),
            ));
        }
        let num_sites = dims.iter().try_fold(1usize, |acc, &d| acc.checked_mul(d));
        let num_sites = num_sites
            .filter(|&s| u32::try_from(s).is_ok())
            .ok_or_else(|| {
                Error::invalid("lattice size", format!("{dims:?} has more than 2^32 sites"))
            })?;
        crate::model::check_model_size(num_sites, num_sites * dims.len())?;
        let mut edges = Vec::with_capacity(num_sites * dims.len());
        let mut coord = vec![0usize; dims.len()];
        for site in 0..num_sites {
            let mut stride = 1;
            for (axis, &side) in dims.iter().enumerate() {
                let x = coord[axis];
                if x + 1 < side {
                    edges.push((site as u32, (site + stride) as u32));
                } else if periodic && side > 1 {
                    edges.push((site as u32, (site - x * stride) as u32));
                }
                stride *= side;
            }
            for (axis, &side) in dims.iter().enumerate() {
                coord[axis] += 1;
                if coord[axis] < side {
                    break;
                }
                coord[axis] = 0;
            }
        }
        let bipartite = !periodic || dims.iter().all(|&d| d == 1 || d % 2 == 0);
        let blocks = if bipartite {
            checkerboard(dims, num_sites)
        } else {
            let probe = IsingModel::new(
                num_sites,
                edges.clone(),
                vec![0.0; edges.len()],
                vec![0.0; num_sites],
                0.0,
            )?;
            colour_dsatur(
                &Csr::new(&probe),
                &(0..num_sites as u32).collect::<Vec<_>>(),
            )
        };
        Ok(Lattice {
            dims: dims.to_vec(),
            periodic,
            edges,
            blocks,
        })
    }

    /// Side lengths, fastest axis first.
    pub fn dims(&self) -> &[usize] {
        &self.dims
    }

    /// Whether the boundaries wrap.
    pub fn periodic(&self) -> bool {
        self.periodic
    }

    /// Number of sites.
    pub fn num_sites(&self) -> usize {
        self.dims.iter().product()
    }

    /// The edges, each site's `+1` neighbour per axis.
    pub fn edges(&self) -> &[(u32, u32)] {
        &self.edges
    }

    /// Independent blocks covering every site.
    pub fn blocks(&self) -> &[Vec<u32>] {
        &self.blocks
    }

    /// The sampling program of [`Lattice::model`] with the lattice's blocks and no clamped sites. A
    /// periodic 2D or 3D lattice with even sides is marked for the samplers' lattice path
    /// ([`SamplingProgram::lattice_sides`]): neighbours by index arithmetic, no weights read.
    ///
    /// ```
    /// let torus = ising_wgpu::Lattice::square(8, 6, true)?;
    /// let program = torus.program(1.0, 0.0, 0.4)?;
    /// assert_eq!(program.lattice_sides(), Some([8, 6, 1]));
    /// let odd = ising_wgpu::Lattice::square(5, 6, true)?.program(1.0, 0.0, 0.4)?;
    /// assert_eq!(odd.lattice_sides(), None);
    /// # Ok::<(), ising_wgpu::Error>(())
    /// ```
    pub fn program(&self, j: f32, h: f32, beta: f32) -> Result<SamplingProgram> {
        let program = SamplingProgram::new(
            self.model(j, h, beta)?,
            Blocks::Given(self.blocks.clone()),
            &[],
        )?;
        let shaped = self.periodic
            && (2..=3).contains(&self.dims.len())
            && self.dims.iter().all(|&d| d >= 4 && d % 2 == 0);
        Ok(if shaped {
            let side = |axis: usize| self.dims.get(axis).map_or(1, |&d| d as u32);
            program.on_lattice([side(0), side(1), side(2)])
        } else {
            program
        })
    }

    /// An Edwards-Anderson +-J spin glass: [`Lattice::program`] with each bond `+j` or `-j` with
    /// probability 1/2 (one disorder sample, drawn from Philox keyed by `seed`, shared by every
    /// chain). Periodic lattices with even sides take the lattice path with the bonds' signs
    /// bit-packed, no CSR.
    ///
    /// ```
    /// let glass = ising_wgpu::Lattice::cubic(4, 4, 4, true)?.glass_program(1.0, 0.0, 0.5, 7)?;
    /// let w = glass.model().weights();
    /// assert!(w.iter().all(|&j| j == 1.0 || j == -1.0) && w.contains(&-1.0));
    /// # Ok::<(), ising_wgpu::Error>(())
    /// ```
    pub fn glass_program(&self, j: f32, h: f32, beta: f32, seed: u64) -> Result<SamplingProgram> {
        let mut program = self.program(j, h, beta)?;
        let key = rng::key_of(seed);
        let tag = rng::tag(0, Purpose::ModelParameters);
        let weights = (0..self.edges.len())
            .map(|k| {
                let draw = rng::philox4x32_10([k as u32, (k >> 32) as u32, 1, tag], key);
                if draw[0] & 1 == 1 { -j } else { j }
            })
            .collect();
        let mut model = program.model().clone();
        model.set_weights(weights)?;
        program.set_parameters(&model)?;
        Ok(program)
    }

    /// The Ising model with uniform coupling `j` on every edge and uniform field `h` on every site.
    pub fn model(&self, j: f32, h: f32, beta: f32) -> Result<IsingModel> {
        IsingModel::new(
            self.num_sites(),
            self.edges.clone(),
            vec![j; self.edges.len()],
            vec![h; self.num_sites()],
            beta,
        )
    }
}

fn checkerboard(dims: &[usize], num_sites: usize) -> Vec<Vec<u32>> {
    let mut blocks = vec![Vec::new(), Vec::new()];
    for site in 0..num_sites {
        let mut rest = site;
        let mut parity = 0;
        for &side in dims {
            parity += rest % side;
            rest /= side;
        }
        blocks[parity % 2].push(site as u32);
    }
    blocks.retain(|b| !b.is_empty());
    blocks
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::graph::validate_blocks;

    fn check(l: &Lattice) {
        let m = l.model(1.0, 0.0, 1.0).expect("lattice edges are valid");
        validate_blocks(&Csr::new(&m), l.blocks(), &[]).expect("lattice blocks are independent");
    }

    #[test]
    fn sizes_edges_and_blocks() {
        let ring = Lattice::chain(5, true).unwrap();
        assert_eq!(ring.edges(), &[(0, 1), (1, 2), (2, 3), (3, 4), (4, 0)]);
        assert_eq!(ring.blocks().len(), 3);
        check(&ring);
        let open = Lattice::chain(4, false).unwrap();
        assert_eq!(open.edges().len(), 3);
        assert_eq!(open.blocks(), &[vec![0, 2], vec![1, 3]]);
        let torus = Lattice::square(4, 6, true).unwrap();
        assert_eq!(torus.edges().len(), 48);
        assert_eq!(torus.blocks().len(), 2);
        assert_eq!(&torus.edges()[..2], &[(0, 1), (0, 4)]);
        assert!(torus.edges().contains(&(3, 0)) && torus.edges().contains(&(20, 0)));
        check(&torus);
        let cube = Lattice::cubic(4, 4, 4, true).unwrap();
        assert_eq!(cube.edges().len(), 3 * 64);
        assert_eq!(cube.blocks().len(), 2);
        check(&cube);
        let odd = Lattice::square(3, 5, true).unwrap();
        assert_eq!(odd.edges().len(), 30);
        check(&odd);
        check(&Lattice::cubic(3, 4, 1, false).unwrap());
        check(&Lattice::cubic(5, 1, 3, true).unwrap());
    }

    #[test]
    fn degenerate_sizes_are_errors() {
        let e = Lattice::square(2, 4, true).unwrap_err().to_string();
        assert!(e.contains("periodic side of 2"), "{e}");
        let e = Lattice::chain(0, false).unwrap_err().to_string();
        assert!(e.contains("at least 1"), "{e}");
        assert!(Lattice::square(2, 4, false).is_ok());
    }
}
