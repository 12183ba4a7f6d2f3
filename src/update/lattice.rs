//! The lattice path: a periodic square or cubic lattice with one coupling magnitude `J`, each bond
//! `+J` or `-J` (a ferromagnet, or a +-J spin glass), and a field that takes few values (one, or up
//! to [`MAX_FIELDS`], site by site). Neighbours come from index arithmetic (no CSR, no weights), a
//! `-J` bond's neighbour word is inverted (`J s_j = -J (-s_j)`) from six sign bits a site, and the
//! draws come from [`CountDraw`], one per distinct field. `lattice.wgsl` is its GPU twin, bit for bit.

use std::collections::HashMap;
use std::sync::Arc;

use super::count_draw::{CountDraw, TiedDraws, draw};
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
        self.neighbours_at::<6>(site, coordinates(self.sides, site))
    }

    /// The first `D` neighbours of `site` at coordinates `at`, in [`Self::neighbours`]' order.
    #[inline(always)]
    fn neighbours_at<const D: usize>(&self, site: u32, [x, y, z]: [u32; 3]) -> [u32; D] {
        let [lx, ly, lz] = self.sides;
        let plane = lx * ly;
        let mut out = [site; D];
        let steps = [
            (next_on(lx, x) + site - x, prev_on(lx, x) + site - x),
            (
                site + lx * next_on(ly, y) - lx * y,
                site + lx * prev_on(ly, y) - lx * y,
            ),
            (
                site + plane * next_on(lz, z) - plane * z,
                site + plane * prev_on(lz, z) - plane * z,
            ),
        ];
        for d in 0..D {
            out[d] = if d % 2 == 0 {
                steps[d / 2].0
            } else {
                steps[d / 2].1
            };
        }
        out
    }

    /// The update of every word of every site of `block` (one colour) in `sweep`, with the draws of
    /// `seed`, `N` (site, word) pairs side by side; each site's neighbours are found once. Inlined, so
    /// that it runs at the caller's vector level.
    #[inline(always)]
    pub(crate) fn update_block<const N: usize>(
        &self,
        spins: &mut WordSlice<'_>,
        block: &[u32],
        seed: u64,
        sweep: u64,
    ) {
        // The sign bits are looked up only on a +-J lattice, and one draw serves every word when
        // there is one field and one temperature: a ferromagnet's sweep does neither.
        let s = (seed, sweep);
        match (
            self.degree(),
            self.bond_signs.is_empty(),
            self.draws.len() == 1,
        ) {
            (4, true, true) => self.update_block_with::<N, 4, false, true>(spins, block, s),
            (4, true, false) => self.update_block_with::<N, 4, false, false>(spins, block, s),
            (4, false, true) => self.update_block_with::<N, 4, true, true>(spins, block, s),
            (4, false, false) => self.update_block_with::<N, 4, true, false>(spins, block, s),
            (_, true, true) => self.update_block_with::<N, 6, false, true>(spins, block, s),
            (_, true, false) => self.update_block_with::<N, 6, false, false>(spins, block, s),
            (_, false, true) => self.update_block_with::<N, 6, true, true>(spins, block, s),
            (_, false, false) => self.update_block_with::<N, 6, true, false>(spins, block, s),
        }
    }

    /// [`Self::update_block`] on a lattice of degree `D`, inverting neighbour words across `-J` bonds
    /// when `SIGNED`, with the one draw of [`Self::draws`] when `SHARED`. Words are gathered `N` at a
    /// time in one of three ways, all drawing the same numbers: with `s` words a site (`s` dividing
    /// `N`), runs of `N / s` sites two apart inside a row (each neighbour's words a window of the
    /// spins, `s` words taken and `s` skipped); with a
    /// multiple of `N` words a site, `N` words of one site (each neighbour's words contiguous);
    /// otherwise word by word.
    #[inline(always)]
    fn update_block_with<const N: usize, const D: usize, const SIGNED: bool, const SHARED: bool>(
        &self,
        spins: &mut WordSlice<'_>,
        block: &[u32],
        seed_sweep: (u64, u64),
    ) {
        let stride = spins.stride;
        let mut batch = Batch::<N, D>::new(&self.draws[0]);
        let mut cursor = Cursor::new(self.sides);
        let mut p = 0;
        while p < block.len() {
            let site = block[p];
            let at = cursor.at(site);
            let sites = self.neighbours_at::<D>(site, at);
            if stride < N && N.is_multiple_of(stride) && batch.len == 0 {
                let run = N / stride;
                if self.is_run(&block[p..], at, run) {
                    self.gather_run::<N, D, SIGNED, SHARED>(
                        &mut batch,
                        spins,
                        (site, at[0]),
                        sites,
                    );
                    batch.update::<SHARED>(spins, seed_sweep);
                    p += run;
                    continue;
                }
            }
            let signs = if SIGNED {
                self.bond_signs[site as usize]
            } else {
                0
            };
            let mut word = 0;
            if stride.is_multiple_of(N) {
                // Whole batches of this site's words, each neighbour's a contiguous run.
                while word < stride {
                    for (d, (&j, words)) in sites.iter().zip(&mut batch.neighbours).enumerate() {
                        let start = j as usize * stride + word;
                        let run = &spins.bits[start..start + N];
                        let flip = flip_across(signs, d);
                        for (to, &from) in words.iter_mut().zip(run) {
                            *to = from ^ flip;
                        }
                    }
                    for i in 0..N {
                        batch.set_word(self, spins, site, word + i, i, SHARED);
                    }
                    batch.len = N;
                    batch.update::<SHARED>(spins, seed_sweep);
                    word += N;
                }
            }
            while word < stride {
                let i = batch.len;
                for (d, (&j, words)) in sites.iter().zip(&mut batch.neighbours).enumerate() {
                    words[i] = spins.bits[j as usize * stride + word] ^ flip_across(signs, d);
                }
                batch.set_word(self, spins, site, word, i, SHARED);
                batch.len += 1;
                if batch.len == N {
                    batch.update::<SHARED>(spins, seed_sweep);
                }
                word += 1;
            }
            p += 1;
        }
        batch.finish(spins, seed_sweep);
    }

    /// Whether the first `run` sites of `sites` (the first at coordinates `at`) lie two apart in one
    /// row, so that their neighbours but those across the row's ends lie at the same offsets from
    /// each. The block's sites increase and, being independent, are at least two apart in a row, so
    /// first and last `2 (run - 1)` apart in one row means all are.
    #[inline(always)]
    fn is_run(&self, sites: &[u32], [x, _, _]: [u32; 3], run: usize) -> bool {
        let span = 2 * (run as u32 - 1);
        sites.len() >= run && sites[run - 1] - sites[0] == span && x + span < self.sides[0]
    }

    /// Gathers the run of `N / s` sites from `first` at `x`, each with its `s` words (`s`, the
    /// stride, a power of two below `N`), `sites` the first one's neighbours: entry `i` is word
    /// `i % s` of site `first + 2 (i / s)`, so each neighbour's entries are a window of the spins
    /// taken `s` words on, `s` words skipped.
    #[inline(always)]
    fn gather_run<'a, const N: usize, const D: usize, const SIGNED: bool, const SHARED: bool>(
        &'a self,
        batch: &mut Batch<'a, N, D>,
        spins: &WordSlice<'_>,
        (first, x): (u32, u32),
        sites: [u32; D],
    ) {
        let (lx, s) = (self.sides[0], spins.stride);
        let (shift, low) = (s.trailing_zeros(), s - 1);
        let run = (N / s) as u32;
        let (row, last) = (first - x, x + 2 * (run - 1));
        // Entry `i`'s offset from its window's start, and its site's offset from `first`.
        let offset = |i: usize| 2 * i - (i & low);
        let site_of = |i: usize| 2 * (i >> shift) as u32;
        for (d, (&j, words)) in sites.iter().zip(&mut batch.neighbours).enumerate() {
            // Along x the window starts next to the first site, unless the run ends on that side
            // of the row; then each site's neighbour across the end is looked up on its own.
            let start = match d {
                0 if last + 1 < lx => first + 1,
                1 if x >= 1 => first - 1,
                0 | 1 => {
                    for (i, word) in words.iter_mut().enumerate() {
                        let xi = x + site_of(i);
                        let along = if d == 0 {
                            next_on(lx, xi)
                        } else {
                            prev_on(lx, xi)
                        };
                        *word = spins.bits[(row + along) as usize * s + (i & low)];
                    }
                    continue;
                }
                _ => j,
            } as usize;
            let window = &spins.bits[start * s..(start + 2 * run as usize - 1) * s];
            for (i, word) in words.iter_mut().enumerate() {
                *word = window[offset(i)];
            }
        }
        if SIGNED {
            let signs = &self.bond_signs[first as usize..(first + 2 * run - 1) as usize];
            for d in 0..D {
                for i in 0..N {
                    batch.neighbours[d][i] ^= flip_across(signs[site_of(i) as usize], d);
                }
            }
        }
        for i in 0..N {
            batch.set_word(self, spins, first + site_of(i), i & low, i, SHARED);
        }
        batch.len = N;
    }
}

/// Up to `N` words of a block's sites gathered for one update side by side.
struct Batch<'a, const N: usize, const D: usize> {
    len: usize,
    /// Neighbour `d`'s word of word `i` at `[d][i]`.
    neighbours: [[u32; N]; D],
    /// The counters' nodes and words.
    nodes: [u32; N],
    words: [u32; N],
    draws: [&'a CountDraw; N],
    /// Each word's index in the spins and the mask of its chains.
    targets: [(usize, u32); N],
    /// Words whose later calls are still to be drawn.
    tied: TiedDraws<N, (usize, u32)>,
}

impl<'a, const N: usize, const D: usize> Batch<'a, N, D> {
    fn new(draw: &'a CountDraw) -> Self {
        Batch {
            len: 0,
            neighbours: [[0; N]; D],
            nodes: [0; N],
            words: [0; N],
            draws: [draw; N],
            targets: [(0, 0); N],
            tied: TiedDraws::new((0, 0)),
        }
    }

    /// Sets entry `i`'s counter, target and (unless `shared`) draw to word `word` of `site`.
    #[inline(always)]
    fn set_word(
        &mut self,
        update: &'a LatticeUpdate,
        spins: &WordSlice<'_>,
        site: u32,
        word: usize,
        i: usize,
        shared: bool,
    ) {
        let global = spins.first_word + word;
        (self.nodes[i], self.words[i]) = (site, global as u32);
        self.targets[i] = (site as usize * spins.stride + word, spins.masks[word]);
        if !shared {
            let group = update.word_group[global] as usize;
            let field = update.site_field[site as usize] as usize;
            self.draws[i] = &update.draws[group * update.fields.len() + field];
        }
    }

    /// Draws the `N` gathered words and stores them (those still tied after the top byte once
    /// [`Self::finish`] has run); `SHARED` when the first word's draw is every word's (the compiler
    /// then loads its tables once).
    #[inline(always)]
    fn update<const SHARED: bool>(&mut self, spins: &mut WordSlice<'_>, seed_sweep: (u64, u64)) {
        let draws = if SHARED {
            [self.draws[0]; N]
        } else {
            self.draws
        };
        let keys = (self.nodes, self.words);
        let store = &mut store_into(spins);
        (self.tied).draw(
            draws,
            seed_sweep,
            keys,
            &self.neighbours,
            self.targets,
            store,
        );
        self.len = 0;
    }

    /// Draws and stores the words of a last, partial batch one by one, then the words still tied.
    #[inline(always)]
    fn finish(&mut self, spins: &mut WordSlice<'_>, seed_sweep: (u64, u64)) {
        let store = &mut store_into(spins);
        for i in 0..self.len {
            let keys = ([self.nodes[i]], [self.words[i]]);
            let one = self.neighbours.map(|word| [word[i]]);
            let [up] = draw([self.draws[i]], seed_sweep, keys, &one);
            store(self.targets[i], up);
        }
        self.len = 0;
        self.tied.finish(seed_sweep, store);
    }
}

/// Stores a drawn word at its target, an index in `spins` and the mask of its chains.
#[inline(always)]
fn store_into<'a>(spins: &'a mut WordSlice<'_>) -> impl FnMut((usize, u32), u32) + 'a {
    |(at, mask), up| spins.bits[at] = up & mask
}

/// The coordinates `[x, y, z]` of `site` on a lattice of `sides`.
fn coordinates([lx, ly, _]: [u32; 3], site: u32) -> [u32; 3] {
    [site % lx, (site / lx) % ly, site / (lx * ly)]
}

/// All ones when the bond to neighbour `d` is `-J` in a site's sign bits `signs` (its lanes are
/// inverted, `J s_j = -J (-s_j)`), zero otherwise.
#[inline(always)]
fn flip_across(signs: u32, d: usize) -> u32 {
    0u32.wrapping_sub((signs >> d) & 1)
}

/// The coordinates of the sites of a block, walked in increasing order without a division per site
/// (a division costs more than the rest of a site's neighbour work).
struct Cursor {
    sides: [u32; 3],
    site: u32,
    at: [u32; 3],
}

impl Cursor {
    fn new(sides: [u32; 3]) -> Self {
        Cursor {
            sides,
            site: 0,
            at: [0; 3],
        }
    }

    /// The coordinates `[x, y, z]` of `site`: stepped from the last site's when `site` follows it
    /// by less than a row, divided out otherwise.
    #[inline(always)]
    fn at(&mut self, site: u32) -> [u32; 3] {
        let [lx, ly, _] = self.sides;
        let step = site.wrapping_sub(self.site);
        if step < lx {
            let [mut x, mut y, mut z] = self.at;
            x += step;
            if x >= lx {
                x -= lx;
                y += 1;
                if y == ly {
                    y = 0;
                    z += 1;
                }
            }
            self.at = [x, y, z];
        } else {
            self.at = coordinates(self.sides, site);
        }
        self.site = site;
        self.at
    }
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
    use crate::packed::chain_words_after_sweeps;

    #[test]
    fn every_way_of_gathering_words_draws_the_same_spins() {
        // Runs of sites (one, two or four words a site), whole batches of a site's words (16 or 32
        // words) and word by word (3 words), each side by side in 4 and 16 words, against one word
        // at a time; on
        // ferromagnets and glasses, with one draw or a field per site, in 2D and 3D (sides long
        // enough for runs of 16 sites in a row, some of them reaching either end of it).
        let mut checked = 0;
        for lattice in [
            Lattice::square(40, 6, true).unwrap(),
            Lattice::square(32, 4, true).unwrap(),
            Lattice::cubic(38, 4, 4, true).unwrap(),
        ] {
            let n = lattice.num_sites();
            let mut model = lattice.model(0.6, 0.1, 0.7).unwrap();
            let plain = lattice.program(0.6, 0.1, 0.7).unwrap();
            let mut glass = plain.clone();
            let weights = (0..model.weights().len())
                .map(|k| if k % 3 == 0 { -0.6 } else { 0.6 })
                .collect();
            model.set_weights(weights).unwrap();
            model
                .set_biases((0..n).map(|i| [0.1, -0.3][i % 2]).collect())
                .unwrap();
            glass.set_parameters(&model).unwrap();
            for program in [plain, glass] {
                for chains in [32, 64, 70, 128, 512, 1024] {
                    let temperatures = Temperatures::single(program.model().beta(), chains);
                    let update = LatticeUpdate::of(&program, &temperatures).unwrap();
                    let after = |width: usize| {
                        chain_words_after_sweeps(n, chains, |spins, sweep| {
                            for block in program.blocks() {
                                match width {
                                    1 => update.update_block::<1>(spins, block, 3, sweep),
                                    4 => update.update_block::<4>(spins, block, 3, sweep),
                                    _ => update.update_block::<16>(spins, block, 3, sweep),
                                }
                            }
                        })
                    };
                    let one = after(1);
                    assert_eq!(after(4), one, "{chains} chains, 4 side by side");
                    assert_eq!(after(16), one, "{chains} chains, 16 side by side");
                    checked += 1;
                }
            }
        }
        assert_eq!(checked, 36);
    }

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
