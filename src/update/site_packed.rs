//! One huge periodic lattice, site-packed: bit `b` of word `k` of a row holds site `x = 2 (32 k + b) + s`
//! of one colour, where `s = (colour + y + z) % 2`; 32 sites a word, 1 bit a site, so a 2^15 x 2^15
//! lattice is 128 MiB. The chain-major layout of the other samplers spends a word per site on one chain.
//!
//! Each colour (checkerboard half) is an array of `rows x lx / 64` words, rows `y + ly z` in order.
//! Seen from a word of one colour, the other colour's same word holds the neighbours at `y +- 1`,
//! `z +- 1` (in those rows) and one of `x +- 1` (in its own row); the other of `x +- 1` is that word
//! shifted by one site, with one bit from the next or previous word. The draws are
//! [`rng::bernoulli_word_sliced`](crate::rng::bernoulli_word_sliced) with node `colour * W + word`
//! (`W` words a colour) and word [`SITE_PACKED_WORD`], so every backend draws the same numbers.

use std::ops::Range;

use super::count_draw::{self, CountDraw, TiedDraws};
use super::lattice::{next_on, prev_on};
use crate::error::{Error, Result, check_finite};
use crate::program::Init;
use crate::rng::{Purpose, bernoulli_word, sigmoid, threshold};
use crate::spin::spin_up;

/// The counter's word field of every site-packed draw (chain-major draws use the chain word there,
/// which never reaches it).
pub const SITE_PACKED_WORD: u32 = u32::MAX;

/// Words of a row in a tile of the tiled kernel (`site_packed_tiled`).
pub(crate) const TILE_WORDS: u32 = 32;

/// Rows of a tile of the tiled kernel.
pub(crate) const TILE_ROWS: u32 = 8;

/// A periodic square or cubic lattice with coupling `j`, field `h` and inverse temperature `beta`
/// (`H = -j sum s_i s_j - h sum s_i`), in the site-packed layout.
#[derive(Clone, Debug, PartialEq)]
pub struct SitePackedLattice {
    sides: [u32; 3],
    coupling: f32,
    field: f32,
    beta: f32,
}

/// The words of each colour a sampler holds: the whole lattice, whose neighbours wrap around within
/// the words, or a slab of whole planes of the last axis (`z`, `y` in 2D) with one halo plane of
/// words either side, held as `[lower halo | own planes | upper halo]`. Words are named by their
/// global index everywhere (draws, rows, stores); only the arrays are local.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Slab {
    /// The global words of each colour updated here.
    own: Range<usize>,
    /// Words of a colour a plane.
    plane_words: usize,
    /// Words of a colour in the whole lattice.
    words: usize,
    /// Whether there are halos (else the slab is the whole lattice).
    halos: bool,
}

impl Slab {
    /// The global words of each colour updated here, whole planes.
    pub(crate) fn own(&self) -> Range<usize> {
        self.own.clone()
    }

    /// Words of a colour a plane: the size of each halo.
    #[cfg(feature = "mpi")]
    pub(crate) fn plane_words(&self) -> usize {
        self.plane_words
    }

    /// Own planes and words of a colour a plane.
    #[cfg(feature = "mpi")]
    pub(crate) fn shape(&self) -> (usize, usize) {
        (self.own.len() / self.plane_words, self.plane_words)
    }

    /// Whether there are halos (else the words held are the whole lattice).
    pub(crate) fn has_halos(&self) -> bool {
        self.halos
    }

    /// The local indices of the own words.
    pub(crate) fn local_own(&self) -> Range<usize> {
        let first = self.local(self.own.start);
        first..first + self.own.len()
    }

    /// Words of each colour held: the own words and the halos.
    pub(crate) fn held_words(&self) -> usize {
        self.own.len() + if self.halos { 2 * self.plane_words } else { 0 }
    }

    /// The global index of the first word held (wrapping below 0 for a slab at the lattice's
    /// start): a word's local index is its global one minus this, taken wrapping, for the own words
    /// and, through the last axis' unwrapped offsets of [`Row`], for the halos.
    pub(crate) fn base(&self) -> usize {
        if self.halos {
            self.own.start.wrapping_sub(self.plane_words)
        } else {
            0
        }
    }

    /// The global word held at local index `i`.
    fn global(&self, i: usize) -> usize {
        (self.base().wrapping_add(i).wrapping_add(self.words)) % self.words
    }

    /// The local index of the own word `g` (global).
    fn local(&self, g: usize) -> usize {
        g.wrapping_sub(self.base())
    }

    /// The words held here, halos included, of a whole colour's `words`.
    fn held_of(&self, words: &[u32]) -> Vec<u32> {
        (0..self.held_words())
            .map(|i| words[self.global(i)])
            .collect()
    }
}

/// Energy and magnetisation of one state.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Observables {
    /// `H / sites`, without beta.
    pub energy_per_site: f64,
    /// `sum s_i / sites`.
    pub magnetization: f64,
}

impl SitePackedLattice {
    /// An `lx` by `ly` torus; `lx` a multiple of 64, `ly` even and at least 4.
    pub fn square(lx: u32, ly: u32, coupling: f32, field: f32, beta: f32) -> Result<Self> {
        Self::new([lx, ly, 1], coupling, field, beta)
    }

    /// An `lx` by `ly` by `lz` periodic cube; `lx` a multiple of 64, `ly` and `lz` even and at least 4.
    pub fn cubic(lx: u32, ly: u32, lz: u32, coupling: f32, field: f32, beta: f32) -> Result<Self> {
        Self::new([lx, ly, lz], coupling, field, beta)
    }

    fn new(sides: [u32; 3], coupling: f32, field: f32, beta: f32) -> Result<Self> {
        let [lx, ly, lz] = sides;
        if lx == 0 || lx % 64 != 0 {
            return Err(Error::invalid(
                "site-packed lattice",
                format!(
                    "lx = {lx}: the x side must be a positive multiple of 64 (32 sites of a colour a word)"
                ),
            ));
        }
        for (name, side) in [("ly", ly), ("lz", lz)] {
            if (side < 4 || side % 2 != 0) && !(name == "lz" && side == 1) {
                return Err(Error::invalid(
                    "site-packed lattice",
                    format!("{name} = {side}: periodic sides must be even and at least 4"),
                ));
            }
        }
        let sites = u64::from(lx) * u64::from(ly) * u64::from(lz);
        if sites / 64 > u64::from(u32::MAX) {
            return Err(Error::invalid(
                "site-packed lattice",
                format!("{sites} sites: at most 2^32 words of 32 sites a colour"),
            ));
        }
        let mut lattice = SitePackedLattice {
            sides,
            coupling: 0.0,
            field: 0.0,
            beta: 0.0,
        };
        lattice.set_parameters(coupling, field, beta)?;
        Ok(lattice)
    }

    /// Sets coupling, field and beta (finite).
    pub fn set_parameters(&mut self, coupling: f32, field: f32, beta: f32) -> Result<()> {
        for (name, value) in [("coupling", coupling), ("field", field), ("beta", beta)] {
            check_finite(|| name.to_string(), f64::from(value))?;
        }
        (self.coupling, self.field, self.beta) = (coupling, field, beta);
        Ok(())
    }

    /// Sides `[lx, ly, lz]`, `lz = 1` for a square lattice.
    pub fn sides(&self) -> [u32; 3] {
        self.sides
    }

    /// Coupling `j`, field `h` and beta.
    pub fn parameters(&self) -> (f32, f32, f32) {
        (self.coupling, self.field, self.beta)
    }

    /// Number of sites.
    pub fn num_sites(&self) -> u64 {
        self.sides.iter().map(|&s| u64::from(s)).product()
    }

    /// Neighbours per site: 4 or 6.
    pub fn degree(&self) -> usize {
        if self.sides[2] > 1 { 6 } else { 4 }
    }

    /// Words of each colour.
    pub fn words_per_colour(&self) -> usize {
        (self.num_sites() / 64) as usize
    }

    /// Words of a row of one colour.
    pub(crate) fn words_per_row(&self) -> usize {
        self.sides[0] as usize / 64
    }

    /// Planes of the last axis (`lz`, or `ly` in 2D): the units a lattice is cut into slabs by.
    pub fn planes(&self) -> usize {
        self.sides[if self.degree() == 6 { 2 } else { 1 }] as usize
    }

    /// All the words, neighbours wrapping around within them.
    pub(crate) fn whole(&self) -> Slab {
        Slab {
            own: 0..self.words_per_colour(),
            plane_words: self.words_per_colour() / self.planes(),
            words: self.words_per_colour(),
            halos: false,
        }
    }

    /// The planes `planes` of the last axis (a non-empty run of them) with a halo plane either side.
    #[cfg(any(test, feature = "mpi"))]
    pub(crate) fn slab(&self, planes: Range<usize>) -> Slab {
        assert!(planes.start < planes.end && planes.end <= self.planes());
        let whole = self.whole();
        let pw = whole.plane_words;
        Slab {
            own: planes.start * pw..planes.end * pw,
            halos: true,
            ..whole
        }
    }

    /// The words of `other` (the other colour's words held in `slab`) that hold the neighbours of
    /// word `g` of `colour`, bit for bit: same word (`y`, `z` row neighbours follow), the `x`
    /// neighbour shifted in from the adjacent word, `y +- 1`, then in 3D `z +- 1`. The first
    /// [`Self::degree`] entries count.
    pub(crate) fn neighbour_words(
        &self,
        slab: &Slab,
        colour: usize,
        g: usize,
        other: &[u32],
    ) -> [u32; 6] {
        self.row_of(slab, colour, g).neighbour_words::<6>(g, other)
    }

    /// The row of `colour` that holds word `g`.
    fn row_of(&self, slab: &Slab, colour: usize, g: usize) -> Row {
        let (r, ly) = (self.words_per_row(), self.sides[1] as usize);
        let row = g / r;
        self.row(
            slab,
            colour,
            row * r,
            [(row % ly) as u32, (row / ly) as u32],
        )
    }

    /// The row of `colour` at `y, z`, whose first word is `start`, held in `slab`.
    #[inline(always)]
    fn row(&self, slab: &Slab, colour: usize, start: usize, [y, z]: [u32; 2]) -> Row {
        let [_, ly, lz] = self.sides;
        let r = self.words_per_row();
        let plane = r * ly as usize;
        // Offsets from a word to the same word of the neighbouring rows, as wrapping sums; across
        // a slab's faces (the last axis) the halos lie next to the own planes, so no wrap there.
        let to =
            |per: usize, from: u32, to: u32| (per * to as usize).wrapping_sub(per * from as usize);
        let mut offsets = [
            to(r, y, next_on(ly, y)),
            to(r, y, prev_on(ly, y)),
            to(plane, z, next_on(lz, z)),
            to(plane, z, prev_on(lz, z)),
        ];
        if slab.halos {
            let last = if lz > 1 { 2 } else { 0 };
            offsets[last] = slab.plane_words;
            offsets[last + 1] = slab.plane_words.wrapping_neg();
        }
        Row {
            start,
            words: r,
            at: [y, z],
            shift_up: (colour as u32 + y + z).is_multiple_of(2),
            offsets,
            base: slab.base(),
        }
    }

    /// The new words `range` (global, within `slab`'s own) of `colour` in sweep `seed_sweep.1`, `N`
    /// side by side, from `other`, the other colour's words held in `slab`, each given to
    /// `store(g, word)` (some twice, as [`TiedDraws`] tells, the last time complete): the host twin
    /// of `site_packed.wgsl`. Inlined, so that it runs at the caller's vector level.
    #[allow(clippy::too_many_arguments)]
    #[inline(always)]
    pub(crate) fn update_words<const N: usize>(
        &self,
        draw: &CountDraw,
        slab: &Slab,
        colour: usize,
        range: Range<usize>,
        other: &[u32],
        store: impl FnMut(usize, u32),
        seed_sweep: (u64, u64),
    ) {
        if self.degree() == 4 {
            self.update_words_of::<N, 4>(draw, slab, colour, range, other, store, seed_sweep);
        } else {
            self.update_words_of::<N, 6>(draw, slab, colour, range, other, store, seed_sweep);
        }
    }

    /// [`Self::update_words`] on a lattice of degree `D`, row by row (each row's offsets found once),
    /// `N` words of one row as contiguous runs of the other colour, the others word by word.
    #[allow(clippy::too_many_arguments)]
    #[inline(always)]
    fn update_words_of<const N: usize, const D: usize>(
        &self,
        draw: &CountDraw,
        slab: &Slab,
        colour: usize,
        range: Range<usize>,
        other: &[u32],
        mut store: impl FnMut(usize, u32),
        seed_sweep: (u64, u64),
    ) {
        let w = self.words_per_colour();
        let mut row = self.row_of(slab, colour, range.start);
        let mut tied = TiedDraws::new(0);
        let mut neighbours = [[0u32; N]; D];
        let mut first = range.start;
        while first < range.end {
            let n = (range.end - first).min(N);
            if first == row.start + row.words {
                row = self.next_row(slab, colour, &row);
            }
            if n == N && first + N <= row.start + row.words {
                row.neighbour_run(first, other, &mut neighbours);
            } else {
                for i in 0..n {
                    let g = first + i;
                    if g == row.start + row.words {
                        row = self.next_row(slab, colour, &row);
                    }
                    let words = row.neighbour_words::<D>(g, other);
                    for (to, word) in neighbours.iter_mut().zip(words) {
                        to[i] = word;
                    }
                }
            }
            let mut nodes = [0u32; N];
            for (i, node) in nodes.iter_mut().enumerate() {
                *node = (colour * w + first + i) as u32;
            }
            let words = [SITE_PACKED_WORD; N];
            if n == N {
                let mut targets = [0; N];
                for (i, target) in targets.iter_mut().enumerate() {
                    *target = first + i;
                }
                let keys = (nodes, words);
                tied.draw(
                    [draw; N],
                    seed_sweep,
                    keys,
                    &neighbours,
                    targets,
                    &mut store,
                );
            } else {
                // A last, partial batch word by word.
                for i in 0..n {
                    let one = neighbours.map(|word| [word[i]]);
                    let keys = ([nodes[i]], [SITE_PACKED_WORD]);
                    let [up] = count_draw::draw([draw], seed_sweep, keys, &one);
                    store(first + i, up);
                }
            }
            first += n;
        }
        tied.finish(seed_sweep, &mut store);
    }

    /// The row of `colour` after `row`, found without a division.
    #[inline(always)]
    fn next_row(&self, slab: &Slab, colour: usize, row: &Row) -> Row {
        let [mut y, mut z] = row.at;
        y += 1;
        if y == self.sides[1] {
            (y, z) = (0, z + 1);
        }
        self.row(slab, colour, row.start + row.words, [y, z])
    }

    /// The starting words of both colours held in `slab` (halos included: drawn as their own
    /// planes are, so they match the neighbouring slabs' words).
    pub(crate) fn initial_words(
        &self,
        init: &Init,
        seed: u64,
        slab: &Slab,
    ) -> Result<[Vec<u32>; 2]> {
        let w = self.words_per_colour();
        let held = slab.held_words();
        crate::budget::check(
            "sites",
            || {
                format!(
                    "a site-packed lattice of {:?} ({held} words of each colour held here)",
                    self.sides
                )
            },
            crate::budget::bytes(held, 8),
        )?;
        let draw = |p: f32| {
            let t = [threshold(p); 32];
            std::array::from_fn(|colour| {
                (0..held)
                    .map(|i| {
                        let g = slab.global(i);
                        let node = (colour * w + g) as u32;
                        bernoulli_word(seed, 0, node, SITE_PACKED_WORD, Purpose::Init, &t)
                    })
                    .collect()
            })
        };
        Ok(match init {
            Init::AllUp => [vec![u32::MAX; held], vec![u32::MAX; held]],
            Init::Uniform => draw(0.5),
            Init::Hinton => draw(sigmoid(self.beta * self.field)),
            Init::States(states) => {
                let sites = self.num_sites() as usize;
                if states.dim() != (1, sites) {
                    return Err(Error::invalid(
                        "initial states",
                        format!(
                            "shape {:?} given, expected (1, sites) = (1, {sites}) for one lattice",
                            states.dim()
                        ),
                    ));
                }
                let mut up = Vec::with_capacity(sites);
                for (i, &v) in states.iter().enumerate() {
                    up.push(spin_up(v, || format!("state of site {i}"))?);
                }
                let whole = self.pack(|site| up[site]);
                whole.map(|words| slab.held_of(&words))
            }
        })
    }

    /// Both colours' words of the spins `up(site)`, site `x + lx (y + ly z)`: [`Self::unpack`]'s inverse.
    pub(crate) fn pack(&self, up: impl Fn(usize) -> bool) -> [Vec<u32>; 2] {
        let [lx, ly, _] = self.sides.map(|s| s as usize);
        let r = self.words_per_row();
        let mut colours = [
            vec![0u32; self.words_per_colour()],
            vec![0; self.words_per_colour()],
        ];
        for site in 0..self.num_sites() as usize {
            let (x, row) = (site % lx, site / lx);
            let colour = (x + row % ly + row / ly) % 2;
            if up(site) {
                colours[colour][row * r + x / 64] |= 1 << ((x / 2) % 32);
            }
        }
        colours
    }

    /// Energy and magnetisation from `ups` up spins and `agreements` agreeing neighbour pairs.
    pub fn observables_of(&self, ups: u64, agreements: u64) -> Observables {
        let sites = self.num_sites() as f64;
        let edges = self.degree() as f64 * sites / 2.0;
        let bonds = 2.0 * agreements as f64 - edges;
        let magnetisation = 2.0 * ups as f64 - sites;
        Observables {
            energy_per_site: -(f64::from(self.coupling) * bonds
                + f64::from(self.field) * magnetisation)
                / sites,
            magnetization: magnetisation / sites,
        }
    }

    /// Energy and magnetisation of both colours' words, the whole lattice.
    pub(crate) fn observables_of_words(&self, colours: &[Vec<u32>; 2]) -> Observables {
        let (ups, agreements) = self.count(&self.whole(), colours);
        self.observables_of(ups, agreements)
    }

    /// Up spins and agreeing neighbour pairs of the own words of `slab`, both colours' words held
    /// there (each pair counted once, from colour 0: the slabs' counts add up to the lattice's).
    pub(crate) fn count(&self, slab: &Slab, colours: &[Vec<u32>; 2]) -> (u64, u64) {
        let [even, odd] = colours;
        let mut ups = 0u64;
        let mut agreements = 0u64;
        for g in slab.own() {
            let i = slab.local(g);
            ups += u64::from(even[i].count_ones() + odd[i].count_ones());
            let neighbours = self.neighbour_words(slab, 0, g, odd);
            agreements += neighbours[..self.degree()]
                .iter()
                .map(|&n| u64::from((!(even[i] ^ n)).count_ones()))
                .sum::<u64>();
        }
        (ups, agreements)
    }

    /// Spins by site from both colours' words.
    pub(crate) fn unpack(&self, colours: &[Vec<u32>; 2]) -> Vec<i8> {
        let [lx, ly, _] = self.sides.map(|s| s as usize);
        let r = self.words_per_row();
        let mut spins = vec![-1i8; self.num_sites() as usize];
        for (site, spin) in spins.iter_mut().enumerate() {
            let (x, row) = (site % lx, site / lx);
            let colour = (x + row % ly + row / ly) % 2;
            let j = x / 2;
            if (colours[colour][row * r + j / 32] >> (j % 32)) & 1 == 1 {
                *spin = 1;
            }
        }
        spins
    }
}

/// One row of one colour's words, with what its words' neighbours need.
struct Row {
    /// The row's first word.
    start: usize,
    /// Words a row.
    words: usize,
    /// The row's `y` and `z`.
    at: [u32; 2],
    /// Whether the `x` neighbour shifts in from the previous word (towards higher bits), or else
    /// from the next.
    shift_up: bool,
    /// From a word to the same word of the rows at `y + 1`, `y - 1`, `z + 1`, `z - 1` (wrapping).
    offsets: [usize; 4],
    /// [`Slab::base`]: global word indices minus it, wrapping, index the held words.
    base: usize,
}

impl Row {
    /// The first `D` of [`SitePackedLattice::neighbour_words`] of the row's word `g`.
    #[inline(always)]
    fn neighbour_words<const D: usize>(&self, g: usize, other: &[u32]) -> [u32; D] {
        let k = (g - self.start) as u32;
        let at = |j: usize| other[j.wrapping_sub(self.base)];
        let same = at(g);
        let r = self.words as u32;
        let shifted = if self.shift_up {
            (same << 1) | (at(self.start + prev_on(r, k) as usize) >> 31)
        } else {
            (same >> 1) | (at(self.start + next_on(r, k) as usize) << 31)
        };
        let mut words = [same; D];
        words[1] = shifted;
        for (word, &offset) in words[2..].iter_mut().zip(&self.offsets) {
            *word = at(g.wrapping_add(offset));
        }
        words
    }

    /// [`Self::neighbour_words`] of the row's `N` words from `g` (all in the row), `out[d][i]` for
    /// word `g + i`, loaded as contiguous runs.
    #[inline(always)]
    fn neighbour_run<const N: usize, const D: usize>(
        &self,
        g: usize,
        other: &[u32],
        out: &mut [[u32; N]; D],
    ) {
        let (k, r) = ((g - self.start) as u32, self.words as u32);
        let local = |j: usize| j.wrapping_sub(self.base);
        let same = &other[local(g)..local(g) + N];
        out[0].copy_from_slice(same);
        // The x neighbours shift in from the adjacent words: inside the run but at one end, whose
        // word lies before or after it (across the row's end on the row's first or last word).
        if self.shift_up {
            let edge = other[local(self.start + prev_on(r, k) as usize)];
            for i in 0..N {
                let adjacent = if i == 0 { edge } else { same[i - 1] };
                out[1][i] = (same[i] << 1) | (adjacent >> 31);
            }
        } else {
            let edge = other[local(self.start + next_on(r, k + N as u32 - 1) as usize)];
            for i in 0..N {
                let adjacent = if i + 1 == N { edge } else { same[i + 1] };
                out[1][i] = (same[i] >> 1) | (adjacent << 31);
            }
        }
        for (words, &offset) in out[2..].iter_mut().zip(&self.offsets) {
            let start = local(g.wrapping_add(offset));
            words.copy_from_slice(&other[start..start + N]);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::graph::Lattice;

    /// The run of `N` words from `g` holds each word's neighbour words.
    fn check_run<const N: usize>(
        lattice: &SitePackedLattice,
        colour: usize,
        g: usize,
        other: &[u32],
    ) {
        let mut run = [[0u32; N]; 6];
        let whole = lattice.whole();
        lattice
            .row_of(&whole, colour, g)
            .neighbour_run(g, other, &mut run);
        for i in 0..N {
            let want = lattice.neighbour_words(&whole, colour, g + i, other);
            assert_eq!(run.map(|d| d[i]), want, "colour {colour} word {g} + {i}");
        }
    }

    #[test]
    fn runs_of_a_row_hold_its_words_neighbours() {
        // 512 wide: 8 words a row, so runs of 4 and 8 start at the row's ends and inside it.
        for lattice in [
            SitePackedLattice::square(512, 6, 1.0, 0.0, 1.0).unwrap(),
            SitePackedLattice::cubic(512, 4, 4, 1.0, 0.0, 1.0).unwrap(),
        ] {
            let w = lattice.words_per_colour();
            let other: Vec<u32> = (0..w as u32)
                .map(|j| crate::rng::philox4x32_10([j, 0, 0, 0], [1, 2])[0])
                .collect();
            let r = lattice.words_per_row();
            for colour in 0..2 {
                for g in 0..w {
                    let row = lattice.row_of(&lattice.whole(), colour, g);
                    if g + 4 <= row.start + r {
                        check_run::<4>(&lattice, colour, g, &other);
                    }
                    if g == row.start {
                        check_run::<8>(&lattice, colour, g, &other);
                    }
                }
            }
        }
    }

    #[test]
    fn neighbour_words_hold_the_lattice_neighbours_bit_for_bit() {
        for lattice in [
            SitePackedLattice::square(128, 6, 1.0, 0.0, 1.0).unwrap(),
            SitePackedLattice::cubic(64, 4, 6, 1.0, 0.0, 1.0).unwrap(),
        ] {
            let [lx, ly, lz] = lattice.sides().map(|s| s as usize);
            let reference = match lz {
                1 => Lattice::square(lx, ly, true).unwrap(),
                _ => Lattice::cubic(lx, ly, lz, true).unwrap(),
            };
            let csr = crate::graph::Csr::new(&reference.model(1.0, 0.0, 1.0).unwrap());
            // Probe each site: only its neighbours up; every word's neighbour words must show, in
            // the probed site's bit, exactly as many up neighbours as it has (all of them).
            for probe in (0..lattice.num_sites() as usize).step_by(37) {
                let neighbours = &csr.col()[csr.row(probe)];
                let colours = lattice.pack(|i| neighbours.contains(&(i as u32)));
                let (x, row) = (probe % lx, probe / lx);
                let colour = (x + row % ly + row / ly) % 2;
                let g = row * lattice.words_per_row() + x / 64;
                let words =
                    lattice.neighbour_words(&lattice.whole(), colour, g, &colours[1 - colour]);
                let bit = (x / 2) % 32;
                let ups = words[..lattice.degree()]
                    .iter()
                    .filter(|&&w| (w >> bit) & 1 == 1)
                    .count();
                assert_eq!(
                    ups,
                    lattice.degree(),
                    "site {probe} of {:?}",
                    lattice.sides()
                );
                // And the unpacked spins are the packed ones.
                let spins = lattice.unpack(&colours);
                for (i, &s) in spins.iter().enumerate() {
                    assert_eq!(s == 1, neighbours.contains(&(i as u32)), "site {i}");
                }
            }
        }
    }

    #[test]
    fn slabs_see_the_whole_lattices_neighbours_counts_and_updates() {
        let draw = CountDraw::new(1.0, 0.1, 0.5, 4);
        let draw3 = CountDraw::new(1.0, 0.1, 0.5, 6);
        for (lattice, draw) in [
            (
                SitePackedLattice::square(512, 8, 1.0, 0.1, 0.5).unwrap(),
                &draw,
            ),
            (
                SitePackedLattice::cubic(128, 4, 6, 1.0, 0.1, 0.5).unwrap(),
                &draw3,
            ),
        ] {
            let whole = lattice.whole();
            let w = lattice.words_per_colour();
            let random = |k: u32| -> Vec<u32> {
                (0..w as u32)
                    .map(|j| crate::rng::philox4x32_10([j, k, 0, 0], [3, 4])[0])
                    .collect()
            };
            let colours = [random(0), random(1)];
            let p = lattice.planes();
            // Slabs at both ends, inside, one plane, and the cover that the counts add up over.
            for planes in [0..1, 1..3, 3..p, p - 1..p, 0..p] {
                let slab = lattice.slab(planes.clone());
                let mine = colours.clone().map(|c| slab.held_of(&c));
                for colour in 0..2 {
                    for g in slab.own() {
                        assert_eq!(
                            lattice.neighbour_words(&slab, colour, g, &mine[1 - colour]),
                            lattice.neighbour_words(&whole, colour, g, &colours[1 - colour]),
                            "colour {colour} word {g} of planes {planes:?}"
                        );
                    }
                    // The slab's half-sweep stores what the whole lattice's does for its words.
                    let update = |slab: &Slab, other: &[u32]| {
                        let mut out = vec![0; w];
                        let store = |g: usize, word: u32| out[g] = word;
                        let range = slab.own();
                        lattice.update_words::<8>(draw, slab, colour, range, other, store, (9, 2));
                        out
                    };
                    let own = slab.own();
                    assert_eq!(
                        update(&slab, &mine[1 - colour])[own.clone()],
                        update(&whole, &colours[1 - colour])[own],
                        "colour {colour}, planes {planes:?}"
                    );
                }
            }
            // Slabs that cover the lattice once count what the whole lattice counts.
            let (mut ups, mut agreements) = (0, 0);
            for planes in [0..1, 1..3, 3..p] {
                let slab = lattice.slab(planes);
                let (u, a) = lattice.count(&slab, &colours.clone().map(|c| slab.held_of(&c)));
                (ups, agreements) = (ups + u, agreements + a);
            }
            assert_eq!((ups, agreements), lattice.count(&whole, &colours));
        }
    }

    #[test]
    fn observables_count_bonds_and_spins() {
        let lattice = SitePackedLattice::cubic(64, 4, 4, 0.5, 0.25, 1.0).unwrap();
        let all_up = lattice
            .initial_words(&Init::AllUp, 0, &lattice.whole())
            .unwrap();
        let o = lattice.observables_of_words(&all_up);
        assert_eq!(o.magnetization, 1.0);
        assert_eq!(o.energy_per_site, -(0.5 * 3.0 + 0.25));
        // Checkerboard (all of colour 0 up, colour 1 down): every bond disagrees.
        let w = lattice.words_per_colour();
        let neel = [vec![u32::MAX; w], vec![0; w]];
        let o = lattice.observables_of_words(&neel);
        assert_eq!((o.magnetization, o.energy_per_site), (0.0, 0.5 * 3.0));
    }

    #[test]
    fn bad_sides_and_parameters_are_named() {
        let e = SitePackedLattice::square(96, 8, 1.0, 0.0, 1.0)
            .unwrap_err()
            .to_string();
        assert!(e.contains("lx = 96") && e.contains("multiple of 64"), "{e}");
        let e = SitePackedLattice::cubic(64, 8, 3, 1.0, 0.0, 1.0)
            .unwrap_err()
            .to_string();
        assert!(e.contains("lz = 3"), "{e}");
        let e = SitePackedLattice::square(64, 2, 1.0, 0.0, 1.0)
            .unwrap_err()
            .to_string();
        assert!(e.contains("ly = 2"), "{e}");
        let e = SitePackedLattice::square(64, 4, 1.0, 0.0, f32::NAN)
            .unwrap_err()
            .to_string();
        assert!(e.contains("beta"), "{e}");
    }
}
