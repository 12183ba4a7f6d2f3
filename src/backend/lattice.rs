//! The lattice path: a periodic square or cubic lattice with one coupling and one field. Neighbours
//! come from index arithmetic (no CSR, no weights), the count of up neighbours from bit-sliced adds of
//! their words, and the draw from [`bernoulli_word_sliced`]: each bit of the 32 lanes' thresholds is a
//! function of the count's bits, looked up in a table of 8 bits per bit plane. No per-lane loop at
//! all. `shaders/lattice.wgsl` is its GPU twin, bit for bit.

use super::sweep::WordSlice;
use crate::program::SamplingProgram;
use crate::rng::{Purpose, bernoulli_word_sliced};

/// The geometry and thresholds of the lattice update of one program's current parameters.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct LatticeUpdate {
    sides: [u32; 3],
    degree: usize,
    /// Threshold of each count of up neighbours, `0..=degree`; zero past `degree`.
    thresholds: [u32; 8],
    /// Entry `q < 24`: bit `k` set when the threshold of count `k` has bit `23 - q`; entry 24: bit `k`
    /// set when the threshold of count `k` is `2^24` (probability 1).
    plane_tables: [u8; 25],
}

impl LatticeUpdate {
    /// The lattice update of `program`, when it was built on a lattice ([`SamplingProgram::lattice_sides`])
    /// and every coupling and every field are equal; otherwise `None`, and the general path runs.
    pub(crate) fn of(program: &SamplingProgram) -> Option<Self> {
        let sides = program.lattice_sides()?;
        let model = program.model();
        let j = *model.weights().first()?;
        let h = *model.biases().first()?;
        if model.weights().iter().any(|&w| w != j) || model.biases().iter().any(|&b| b != h) {
            return None;
        }
        let degree = if sides[2] > 1 { 6 } else { 4 };
        // The field of `up` up neighbours, b + j (up - down), in f64: the one rounding is the threshold's.
        let (h, j, beta) = (f64::from(h), f64::from(j), f64::from(model.beta()));
        let mut thresholds = [0; 8];
        for (up, t) in thresholds.iter_mut().enumerate().take(degree + 1) {
            let field = h + j * (2.0 * up as f64 - degree as f64);
            let p = 1.0 / (1.0 + (-2.0 * beta * field).exp());
            *t = (p * 16_777_216.0).ceil() as u32;
        }
        let mut plane_tables = [0u8; 25];
        for (k, &t) in thresholds.iter().enumerate() {
            for (q, table) in plane_tables.iter_mut().enumerate() {
                let bit = if q < 24 { (t >> (23 - q)) & 1 } else { t >> 24 };
                *table |= (bit as u8) << k;
            }
        }
        Some(LatticeUpdate {
            sides,
            degree,
            thresholds,
            plane_tables,
        })
    }

    /// Sides `[lx, ly, lz]`, `lz = 1` in 2D.
    pub(crate) fn sides(&self) -> [u32; 3] {
        self.sides
    }

    /// Threshold of each count of up neighbours, `0..=degree`.
    #[cfg(test)]
    fn thresholds(&self) -> &[u32] {
        &self.thresholds[..=self.degree]
    }

    /// The bit-plane tables of [`bernoulli_word_sliced`]'s thresholds (see the field's documentation).
    pub(crate) fn plane_tables(&self) -> [u8; 25] {
        self.plane_tables
    }

    /// The neighbours of `site` (`x + lx * (y + ly * z)`): `x +- 1`, `y +- 1`, then in 3D `z +- 1`.
    /// The neighbours of `site` (`x + lx * (y + ly * z)`): `x +- 1`, `y +- 1`, then in 3D `z +- 1`; the
    /// first `degree` entries count.
    fn neighbours(&self, site: u32) -> [u32; 6] {
        let [lx, ly, lz] = self.sides;
        let (x, y, z) = (site % lx, (site / lx) % ly, site / (lx * ly));
        let at = |x: u32, y: u32, z: u32| x + lx * (y + ly * z);
        [
            at((x + 1) % lx, y, z),
            at((x + lx - 1) % lx, y, z),
            at(x, (y + 1) % ly, z),
            at(x, (y + ly - 1) % ly, z),
            at(x, y, (z + 1) % lz),
            at(x, y, (z + lz - 1) % lz),
        ]
    }

    /// The update of every word of `site` in `sweep`, with the draws of `seed`.
    pub(crate) fn update_site(&self, spins: &mut WordSlice<'_>, site: u32, seed: u64, sweep: u64) {
        let neighbours = self.neighbours(site);
        let stride = spins.stride;
        for w in 0..stride {
            let planes = count_planes(
                neighbours[..self.degree]
                    .iter()
                    .map(|&j| spins.bits[j as usize * stride + w]),
            );
            let lanes = lanes_by_count(&planes);
            let select = |table: u8| {
                (0..8)
                    .filter(|k| (table >> k) & 1 == 1)
                    .fold(0, |m, k| m | lanes[k])
            };
            let word = (spins.first_word + w) as u32;
            let up = bernoulli_word_sliced(
                seed,
                sweep,
                site,
                word,
                Purpose::Update,
                |q| select(self.plane_tables[q]),
                select(self.plane_tables[24]),
            );
            spins.bits[site as usize * stride + w] = up & spins.masks[w];
        }
    }
}

/// Bit planes of the per-lane number of set bits among at most 7 `words`: a ripple-carry add of each
/// word into a 3-bit counter per lane.
fn count_planes(words: impl IntoIterator<Item = u32>) -> [u32; 3] {
    words.into_iter().fold([0; 3], |[c0, c1, c2], w| {
        let carry0 = c0 & w;
        let carry1 = c1 & carry0;
        [c0 ^ w, c1 ^ carry0, c2 | carry1]
    })
}

/// The lanes whose count (in the planes of [`count_planes`]) is `k`, for `k` in `0..8`.
fn lanes_by_count(&[c0, c1, c2]: &[u32; 3]) -> [u32; 8] {
    let low = [!c1 & !c0, !c1 & c0, c1 & !c0, c1 & c0];
    std::array::from_fn(|k| low[k & 3] & if k >= 4 { c2 } else { !c2 })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::graph::{Csr, Lattice};

    #[test]
    fn bit_sliced_counts_match_popcounts() {
        let words = [
            0xdead_beef,
            0x0123_4567,
            0xffff_0000,
            0x5555_5555,
            0x3333_cccc,
            u32::MAX,
            7,
        ];
        for n in 0..=words.len() {
            let lanes = lanes_by_count(&count_planes(words[..n].iter().copied()));
            for l in 0..32 {
                let want = words[..n].iter().filter(|&&w| (w >> l) & 1 == 1).count();
                let got: Vec<usize> = (0..8).filter(|&k| (lanes[k] >> l) & 1 == 1).collect();
                assert_eq!(got, [want], "{n} words, lane {l}");
            }
        }
    }

    #[test]
    fn arithmetic_neighbours_are_the_csr_rows() {
        for lattice in [
            Lattice::square(6, 4, true).unwrap(),
            Lattice::cubic(4, 6, 8, true).unwrap(),
        ] {
            let program = lattice.program(1.0, 0.5, 0.3).unwrap();
            let update = LatticeUpdate::of(&program).expect("uniform exact parameters");
            assert_eq!(update.thresholds().len(), 2 * lattice.dims().len() + 1);
            let csr = Csr::new(program.model());
            for site in 0..lattice.num_sites() as u32 {
                let mut got = update.neighbours(site)[..update.degree].to_vec();
                let mut want = csr.col()[csr.row(site as usize)].to_vec();
                got.sort_unstable();
                want.sort_unstable();
                assert_eq!(got, want, "site {site} of {:?}", lattice.dims());
            }
        }
    }

    #[test]
    fn only_uniform_exact_lattice_programs_take_the_path() {
        let torus = Lattice::square(8, 8, true).unwrap();
        assert!(LatticeUpdate::of(&torus.program(-0.5, 0.25, 1.0).unwrap()).is_some());
        let inexact = LatticeUpdate::of(&torus.program(0.3, 0.1, 1.0).unwrap()).unwrap();
        // sigmoid(2 * (0.1 + 0.3 * (2 - 4))) = sigmoid(-1.0) = 0.2689414...
        assert_eq!(
            inexact.thresholds()[1],
            (0.268_941_421_369_995_1_f64 * 16_777_216.0).ceil() as u32
        );
        let certain = LatticeUpdate::of(&torus.program(1.0, 0.0, 30.0).unwrap()).unwrap();
        // ceil(p 2^24) is 1 for any p > 0, however small (here about e^-120).
        assert_eq!(certain.thresholds(), &[1, 1, 1 << 23, 1 << 24, 1 << 24]);
        assert_eq!(certain.plane_tables()[24], 0b11000);
        assert_eq!(certain.plane_tables()[0], 0b00100);
        assert_eq!(certain.plane_tables()[23], 0b00011);
        let mut program = torus.program(1.0, 0.0, 1.0).unwrap();
        let mut model = program.model().clone();
        let mut weights = model.weights().to_vec();
        weights[5] = 2.0;
        model.set_weights(weights).unwrap();
        program.set_parameters(&model).unwrap();
        assert!(LatticeUpdate::of(&program).is_none());
        let plain = crate::SamplingProgram::new(
            torus.model(1.0, 0.0, 1.0).unwrap(),
            crate::Blocks::Given(torus.blocks().to_vec()),
            &[],
        )
        .unwrap();
        assert!(LatticeUpdate::of(&plain).is_none());
    }
}
