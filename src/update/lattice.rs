//! The lattice path: a periodic square or cubic lattice with one coupling magnitude `J`, each bond
//! `+J` or `-J` (a ferromagnet, or a +-J spin glass), and a field that takes few values (one, or up
//! to [`MAX_FIELDS`], site by site). Neighbours come from index arithmetic (no CSR, no weights), a
//! `-J` bond's neighbour word is inverted (`J s_j = -J (-s_j)`) from six sign bits a site, and the
//! draws come from [`CountDraw`], one per distinct field. `lattice.wgsl` is its GPU twin, bit for bit.

use std::collections::HashMap;
use std::sync::Arc;

use super::count_draw::{BATCH, CountDraw, draw};
use crate::packed::WordSlice;
use crate::program::{SamplingProgram, Temperatures};

/// Most distinct fields the lattice path takes; with more, the general path runs.
pub(crate) const MAX_FIELDS: usize = 256;

/// Sites of the updated colour a row of a tile of `lattice_tiled` (twice as many x positions).
pub(crate) const LATTICE_TILE_SITES: u32 = 16;

/// Rows of a tile of `lattice_tiled` (its workgroups have `LATTICE_TILE_SITES x LATTICE_TILE_ROWS`
/// invocations).
pub(crate) const LATTICE_TILE_ROWS: u32 = 8;

/// Workgroups of one colour's update by `lattice_tiled`: a tile of `2 LATTICE_TILE_SITES` x positions
/// by `LATTICE_TILE_ROWS` rows of one plane, per word.
pub(crate) fn tiled_workgroups(sides: [u32; 3], words: u64) -> u64 {
    let [lx, ly, lz] = sides.map(u64::from);
    let tiles_x = lx.div_ceil(2 * u64::from(LATTICE_TILE_SITES));
    let tiles_y = ly.div_ceil(u64::from(LATTICE_TILE_ROWS));
    tiles_x * tiles_y * lz * words
}

/// The geometry and thresholds of the lattice update of one program's current parameters.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct LatticeUpdate {
    sides: [u32; 3],
    /// `J`, the first edge's coupling: every bond is `J` or `-J`.
    j: f32,
    /// Distinct fields, in order of first appearance.
    fields: Vec<f32>,
    /// One draw per temperature group and distinct field: group `t`'s draw of field `f` at
    /// `t * fields + f`.
    draws: Vec<CountDraw>,
    /// Per site, the index of its field (shared with the same program's updates at other
    /// temperatures, as are the signs).
    site_field: Arc<[u32]>,
    /// The temperature group of each global word.
    word_group: Vec<u32>,
    /// Per site, bit `d` set when the bond to neighbour `d` ([`LatticeUpdate::neighbours`]' order)
    /// is `-J`; empty when every bond is `+J`.
    bond_signs: Arc<[u32]>,
}

impl LatticeUpdate {
    /// The lattice update of `program` at `temperatures`, when it was built on a lattice
    /// ([`SamplingProgram::lattice_sides`]), every coupling is `J` or `-J` (`J` the first edge's)
    /// and the fields take at most [`MAX_FIELDS`] values; otherwise why not.
    pub(crate) fn of(
        program: &SamplingProgram,
        temperatures: &Temperatures,
    ) -> Result<Self, &'static str> {
        let sides = program
            .lattice_sides()
            .ok_or("the program was not built by Lattice::program")?;
        let model = program.model();
        let j = *model.weights().first().ok_or("the lattice has no edges")?;
        if model.weights().iter().any(|&w| w != j && w != -j) {
            return Err("the couplings are not all +J or -J");
        }
        let mut index = HashMap::new();
        let mut fields = Vec::new();
        let mut site_field = Vec::with_capacity(model.num_nodes());
        for &h in model.biases() {
            let k = *index.entry(h.to_bits()).or_insert_with(|| {
                fields.push(h);
                fields.len() as u32 - 1
            });
            if fields.len() > MAX_FIELDS {
                return Err("the fields take more than 256 distinct values");
            }
            site_field.push(k);
        }
        let mut update = LatticeUpdate {
            sides,
            j,
            fields,
            draws: Vec::new(),
            site_field: site_field.into(),
            word_group: Vec::new(),
            bond_signs: Arc::from([]),
        }
        .at(temperatures);
        if model.weights().iter().any(|&w| w != j) {
            let degree = update.degree();
            let mut signs = vec![0u32; model.num_nodes()];
            for (&(a, b), &w) in model.edges().iter().zip(model.weights()) {
                let d = update.neighbours(a)[..degree]
                    .iter()
                    .position(|&n| n == b)
                    .ok_or("an edge is not a bond of the lattice")?;
                // The bond seen from b points the other way along the same axis.
                let back = d ^ 1;
                if w != j {
                    signs[a as usize] |= 1 << d;
                    signs[b as usize] |= 1 << back;
                }
            }
            update.bond_signs = signs.into();
        }
        Ok(update)
    }

    /// The same program's update at `temperatures` (geometry, fields and signs shared).
    pub(crate) fn at(&self, temperatures: &Temperatures) -> Self {
        let (j, fields, degree) = (self.j, &self.fields, self.degree());
        LatticeUpdate {
            draws: temperatures
                .betas()
                .iter()
                .flat_map(|&beta| {
                    fields
                        .iter()
                        .map(move |&h| CountDraw::new(j, h, beta, degree))
                })
                .collect(),
            word_group: temperatures.word_groups(),
            fields: self.fields.clone(),
            site_field: Arc::clone(&self.site_field),
            bond_signs: Arc::clone(&self.bond_signs),
            ..*self
        }
    }

    /// Per site, the sign bits of its bonds (bit `d` for neighbour `d`: `x+1, x-1, y+1, y-1, z+1,
    /// z-1`), or an empty slice when every bond is `+J`.
    pub(crate) fn bond_signs(&self) -> &[u32] {
        &self.bond_signs
    }

    /// Neighbours of a site: 6 on a cubic lattice, 4 on a square one.
    fn degree(&self) -> usize {
        if self.sides[2] > 1 { 6 } else { 4 }
    }

    /// Sides `[lx, ly, lz]`, `lz = 1` in 2D.
    pub(crate) fn sides(&self) -> [u32; 3] {
        self.sides
    }

    /// One draw per temperature group and distinct field, group by group.
    pub(crate) fn draws(&self) -> &[CountDraw] {
        &self.draws
    }

    /// Distinct fields.
    pub(crate) fn fields(&self) -> usize {
        self.fields.len()
    }

    /// Per site, the index of its field among a temperature group's draws.
    pub(crate) fn site_fields(&self) -> &[u32] {
        &self.site_field
    }

    /// The neighbours of `site` (`x + lx * (y + ly * z)`): `x +- 1`, `y +- 1`, then `z +- 1` (the site
    /// itself in 2D); the first `degree` entries count.
    fn neighbours(&self, site: u32) -> [u32; 6] {
        let [lx, ly, lz] = self.sides;
        let (x, y, z) = (site % lx, (site / lx) % ly, site / (lx * ly));
        let at = |x: u32, y: u32, z: u32| x + lx * (y + ly * z);
        [
            at(next_on(lx, x), y, z),
            at(prev_on(lx, x), y, z),
            at(x, next_on(ly, y), z),
            at(x, prev_on(ly, y), z),
            at(x, y, next_on(lz, z)),
            at(x, y, prev_on(lz, z)),
        ]
    }

    /// The update of every word of every site of `block` (one colour) in `sweep`, with the draws of
    /// `seed`, [`BATCH`] (site, word) pairs at a time; each site's neighbours are found once.
    pub(crate) fn update_block(
        &self,
        spins: &mut WordSlice<'_>,
        block: &[u32],
        seed: u64,
        sweep: u64,
    ) {
        // The sign bits are looked up only on a +-J lattice: a ferromagnet's sweep stays as it was.
        if self.bond_signs.is_empty() {
            self.update_block_with::<false>(spins, block, (seed, sweep));
        } else {
            self.update_block_with::<true>(spins, block, (seed, sweep));
        }
    }

    /// [`Self::update_block`], inverting neighbour words across `-J` bonds when `SIGNED`.
    fn update_block_with<const SIGNED: bool>(
        &self,
        spins: &mut WordSlice<'_>,
        block: &[u32],
        seed_sweep: (u64, u64),
    ) {
        let mut batch = [Item::default(); BATCH];
        let mut n = 0;
        for &site in block {
            let neighbours = self.neighbours(site);
            for word in 0..spins.stride {
                batch[n] = Item {
                    site,
                    word,
                    neighbours,
                };
                n += 1;
                if n == BATCH {
                    self.update_items::<BATCH, SIGNED>(spins, &batch, seed_sweep);
                    n = 0;
                }
            }
        }
        for item in &batch[..n] {
            self.update_items::<1, SIGNED>(spins, &[*item], seed_sweep);
        }
    }

    /// Updates the `N` items side by side.
    fn update_items<const N: usize, const SIGNED: bool>(
        &self,
        spins: &mut WordSlice<'_>,
        items: &[Item; N],
        seed_sweep: (u64, u64),
    ) {
        let stride = spins.stride;
        let neighbours = items.map(|it| {
            let words = it
                .neighbours
                .map(|j| spins.bits[j as usize * stride + it.word]);
            if SIGNED {
                // All lanes inverted across a -J bond.
                let signs = self.bond_signs[it.site as usize];
                std::array::from_fn(|d| words[d] ^ 0u32.wrapping_sub((signs >> d) & 1))
            } else {
                words
            }
        });
        let keys = items.map(|it| (it.site, (spins.first_word + it.word) as u32));
        let draws = items.map(|it| {
            let group = self.word_group[spins.first_word + it.word] as usize;
            &self.draws[group * self.fields.len() + self.site_field[it.site as usize] as usize]
        });
        let up: [u32; N] = draw(draws, seed_sweep, keys, &neighbours);
        for (it, up) in items.iter().zip(up) {
            spins.bits[it.site as usize * stride + it.word] = up & spins.masks[it.word];
        }
    }
}

/// One word of one site, with the site's neighbours.
#[derive(Clone, Copy, Default)]
struct Item {
    site: u32,
    word: usize,
    neighbours: [u32; 6],
}

/// `v + 1` on a periodic side of length `side` (by comparison: a division costs more than the rest of
/// a neighbour's work).
pub(crate) fn next_on(side: u32, v: u32) -> u32 {
    if v + 1 == side { 0 } else { v + 1 }
}

/// `v - 1` on a periodic side of length `side`.
pub(crate) fn prev_on(side: u32, v: u32) -> u32 {
    if v == 0 { side - 1 } else { v - 1 }
}

#[cfg(test)]
mod tests {
    use super::*;

    impl LatticeUpdate {
        /// The update of `program` with every chain at the model's beta.
        fn of_single(program: &SamplingProgram) -> Option<Self> {
            Self::of(program, &Temperatures::single(program.model().beta(), 64)).ok()
        }
    }
    use crate::graph::{Csr, Lattice};

    #[test]
    fn arithmetic_neighbours_are_the_csr_rows() {
        for lattice in [
            Lattice::square(6, 4, true).unwrap(),
            Lattice::cubic(4, 6, 8, true).unwrap(),
        ] {
            let program = lattice.program(1.0, 0.5, 0.3).unwrap();
            let update = LatticeUpdate::of_single(&program).expect("uniform exact parameters");
            assert_eq!(update.draws()[0].degree(), 2 * lattice.dims().len());
            let csr = Csr::new(program.model());
            for site in 0..lattice.num_sites() as u32 {
                let mut got = update.neighbours(site)[..update.draws()[0].degree()].to_vec();
                let mut want = csr.col()[csr.row(site as usize)].to_vec();
                got.sort_unstable();
                want.sort_unstable();
                assert_eq!(got, want, "site {site} of {:?}", lattice.dims());
            }
        }
    }

    #[test]
    fn lattice_programs_with_one_coupling_and_few_fields_take_the_path() {
        let torus = Lattice::square(8, 8, true).unwrap();
        assert!(LatticeUpdate::of_single(&torus.program(-0.5, 0.25, 1.0).unwrap()).is_some());
        assert!(LatticeUpdate::of_single(&torus.program(0.3, 0.1, 1.0).unwrap()).is_some());
        // A field per site, with few values: one draw per value.
        let mut fields = torus.program(0.5, 0.0, 1.0).unwrap();
        let mut model = fields.model().clone();
        model
            .set_biases((0..64).map(|i| [0.25, -0.5, 0.0][i % 3]).collect())
            .unwrap();
        fields.set_parameters(&model).unwrap();
        let update = LatticeUpdate::of_single(&fields).unwrap();
        assert_eq!(update.draws().len(), 3);
        assert_eq!(&update.site_fields()[..4], &[0, 1, 2, 0]);
        assert_eq!(update.draws()[1], CountDraw::new(0.5, -0.5, 1.0, 4));
        // More distinct fields than MAX_FIELDS: the general path.
        let big = Lattice::square(20, 20, true).unwrap();
        let mut many = big.program(1.0, 0.0, 1.0).unwrap();
        let mut model = many.model().clone();
        model
            .set_biases((0..400).map(|i| i as f32 / 400.0).collect())
            .unwrap();
        many.set_parameters(&model).unwrap();
        assert!(LatticeUpdate::of_single(&many).is_none());
        let mut program = torus.program(1.0, 0.0, 1.0).unwrap();
        let mut model = program.model().clone();
        let mut weights = model.weights().to_vec();
        weights[5] = 2.0;
        model.set_weights(weights).unwrap();
        program.set_parameters(&model).unwrap();
        assert!(LatticeUpdate::of_single(&program).is_none());
        let plain = crate::SamplingProgram::new(
            torus.model(1.0, 0.0, 1.0).unwrap(),
            crate::Blocks::Given(torus.blocks().to_vec()),
            &[],
        )
        .unwrap();
        assert!(LatticeUpdate::of_single(&plain).is_none());
    }
}
