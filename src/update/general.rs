//! The general update over CSR weights: any graph, any couplings. The field
//! `b_i + sum_j J_ij s_j` is summed in CSR order in `f32`, then each lane is up with probability
//! `sigmoid(2 beta field)` (the heat bath) or `rng::metropolis(2 beta field, lane is up)`
//! (Metropolis); nodes whose field takes few exact values look their thresholds up by count of up
//! neighbours instead (the very same words). `general.wgsl` is its GPU twin, draw for draw.

use std::collections::HashMap;
use std::sync::Arc;

use crate::backend::UpdateRule;
use crate::packed::{PairCounts, WordSlice};
use crate::program::{SamplingProgram, Temperatures};
use crate::rng::{
    Purpose, approx_metropolis_top_bytes, approx_top_bytes, bernoulli_words_refined, metropolis,
    sigmoid, threshold,
};

/// The granularity `2^e` of a nonzero finite `x = m 2^e` with `m` an odd integer.
fn granularity(x: f32) -> f64 {
    let bits = x.to_bits();
    let exponent = ((bits >> 23) & 0xff) as i32;
    let mantissa = if exponent == 0 {
        bits & 0x7f_ffff
    } else {
        (bits & 0x7f_ffff) | 0x80_0000
    };
    let e = exponent.max(1) - 150 + mantissa.trailing_zeros() as i32;
    2f64.powi(e)
}

/// Whether every `f32` sum of the terms `±v`, `times` of each `(v, times)`, in any order, is
/// exact: the magnitudes add up to less than `2^24` times the finest granularity among the nonzero
/// `v`. A node's field `b + sum ±j` is then a function of how many neighbours are up, the same in
/// every backend and summation order; an energy, the same whatever its chunks.
pub(crate) fn sums_are_exact(terms: impl IntoIterator<Item = (f32, usize)>) -> bool {
    let (mut scale, mut total) = (f64::INFINITY, 0f64);
    for (v, times) in terms {
        if !v.is_finite() {
            return false;
        }
        if v != 0.0 {
            scale = scale.min(granularity(v));
        }
        total += times as f64 * f64::from(v).abs();
    }
    total < scale * f64::from(1u32 << 24)
}

/// The field `b + j k` of a counting node at `k = ups - downs`, exact.
#[inline(always)]
fn count_field(b: f32, j: f32, k: f32) -> f32 {
    b + j * k
}

/// The argument `2 beta (b + j k)` of a counting node's probability at `k = ups - downs`.
#[inline(always)]
fn count_argument(b: f32, j: f32, k: f32, two_beta: f32) -> f32 {
    two_beta * count_field(b, j, k)
}

/// Which nodes look their thresholds up by count of up neighbours: those whose couplings are all
/// equal, whose field sums are exact in `f32` and whose counts fit 16 bits, grouped by their
/// `(bias, coupling, degree)` so that nodes alike share one table. Only the host takes this path;
/// the GPU kernel sums floats, which gives the same thresholds for these nodes.
#[derive(Clone)]
struct CountingNodes {
    /// Per node, the offset in each beta's heat-bath thresholds of its class's `degree + 1`
    /// thresholds (twice that for Metropolis, whose classes have twice as many).
    offsets: Vec<Option<u32>>,
    /// The field (index in `fields`) and degree of each class, in order of offset.
    classes: Vec<(usize, usize)>,
    /// The `(bias, coupling, largest degree)` of the classes that differ in degree only.
    fields: Vec<(f32, f32, usize)>,
}

/// The thresholds of `rule` at field `b + j k` for each `k = ups - downs` from `-degree` to
/// `degree`, when every `f32` sum of the field is exact (so the float path gives the very same
/// ones): those of the heat bath; for Metropolis those of a down spin, then those of an up one.
fn field_thresholds(b: f32, j: f32, degree: usize, beta: f32, rule: UpdateRule) -> Vec<u32> {
    let x = |k: usize| count_argument(b, j, k as f32 - degree as f32, 2.0 * beta);
    let ks = 0..=2 * degree;
    match rule {
        UpdateRule::HeatBath => ks.map(|k| threshold(sigmoid(x(k)))).collect(),
        UpdateRule::Metropolis => [false, true]
            .iter()
            .flat_map(|&own| ks.clone().map(move |k| threshold(metropolis(x(k), own))))
            .collect(),
    }
}

impl CountingNodes {
    /// The counting nodes of `program` and their classes.
    fn new(program: &SamplingProgram) -> Self {
        let model = program.model();
        let csr = program.csr();
        let weights = csr.entry_weights(model.weights());
        let (mut index, mut field_index) = (HashMap::new(), HashMap::new());
        let (mut classes, mut fields) = (Vec::new(), Vec::<(f32, f32, usize)>::new());
        let mut next = 0u32;
        let offsets = (0..model.num_nodes())
            .map(|i| {
                let row = &weights[csr.row(i)];
                let (b, j) = (model.biases()[i], row.first().copied().unwrap_or(0.0));
                if row.iter().any(|&w| w != j)
                    || !sums_are_exact([(b, 1), (j, row.len())])
                    || row.len() > usize::from(u16::MAX)
                {
                    return None;
                }
                let field = *field_index
                    .entry((b.to_bits(), j.to_bits()))
                    .or_insert_with(|| {
                        fields.push((b, j, 0));
                        fields.len() - 1
                    });
                fields[field].2 = fields[field].2.max(row.len());
                Some(*index.entry((field, row.len())).or_insert_with(|| {
                    // A new class's table starts where the previous classes' end.
                    let offset = next;
                    classes.push((field, row.len()));
                    next += row.len() as u32 + 1;
                    offset
                }))
            })
            .collect();
        CountingNodes {
            offsets,
            classes,
            fields,
        }
    }

    /// Every class's thresholds of `rule` at `beta`, class after class (for Metropolis a down
    /// spin's, then an up one's), from one table of each field's `k = ups - downs`.
    fn thresholds(&self, beta: f32, rule: UpdateRule) -> Vec<u32> {
        let by_field: Vec<Vec<u32>> = self
            .fields
            .iter()
            .map(|&(b, j, degree)| field_thresholds(b, j, degree, beta, rule))
            .collect();
        let owns = match rule {
            UpdateRule::HeatBath => 1,
            UpdateRule::Metropolis => 2,
        };
        self.classes
            .iter()
            .flat_map(|&(field, degree)| {
                let (table, largest) = (&by_field[field], self.fields[field].2);
                // Count `ups` of `degree` is k = 2 ups - degree, at `k + largest` in the table.
                (0..owns).flat_map(move |own| {
                    let own_table = &table[own * (2 * largest + 1)..];
                    (0..=degree).map(move |ups| own_table[2 * ups + largest - degree])
                })
            })
            .collect()
    }
}

/// Where lane `l`'s Metropolis thresholds start in its class's `2 (degree + 1)`: a down spin's
/// first, then an up one's (lane `l` of `own` is the spin before the update).
#[inline(always)]
fn own_table(own: u32, l: usize, degree: u32) -> u32 {
    if (own >> l) & 1 == 1 { degree + 1 } else { 0 }
}

/// `threshold(sigmoid(x))`, kept out of line so that the compiler does not compute it for every lane
/// of a word (it would: `exp` has no side effects) when only the rare lanes that need it ask.
#[inline(never)]
fn exact_threshold(x: f32) -> u32 {
    threshold(sigmoid(x))
}

/// `threshold(metropolis(x, up))`, out of line for the same reason as [`exact_threshold`].
#[inline(never)]
fn exact_metropolis_threshold(x: f32, up: bool) -> u32 {
    threshold(metropolis(x, up))
}

/// What the 32 lanes of a node's word compare their uniforms with ([`GeneralUpdate::lanes`]).
#[derive(Clone, Copy)]
enum Lanes {
    /// A counting node's arguments, and each lane's index in its beta's count thresholds
    /// ([`CountingNodes::thresholds`]), where the exact thresholds are looked up.
    Counted(Arguments, [u32; 32]),
    /// A node's arguments, whose exact thresholds are computed.
    Summed(Arguments),
}

/// The arguments `2 beta field` of the rule's probability of a node's 32 lanes, and its word of
/// spins (Metropolis's probability depends on them).
#[derive(Clone, Copy)]
struct Arguments([f32; 32], u32);

impl Arguments {
    /// The lanes' thresholds' top bytes to within [`crate::rng::APPROX_MARGIN`] by `rule`.
    #[inline(always)]
    fn approx_top_bytes(&self, rule: UpdateRule) -> [f32; 32] {
        match rule {
            UpdateRule::HeatBath => approx_top_bytes(&self.0),
            UpdateRule::Metropolis => approx_metropolis_top_bytes(&self.0, self.1),
        }
    }

    /// Lane `l`'s exact threshold by `rule`.
    #[inline(always)]
    fn exact_threshold(&self, l: usize, rule: UpdateRule) -> u32 {
        match rule {
            UpdateRule::HeatBath => exact_threshold(self.0[l]),
            UpdateRule::Metropolis => exact_metropolis_threshold(self.0[l], (self.1 >> l) & 1 == 1),
        }
    }
}

/// What a dispatch of `general.wgsl` does (`p.mode`; WGSL names it by [`Mode::wgsl_name`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Mode {
    /// The heat-bath update of a block.
    Update = 0,
    /// `hinton_init`'s draws.
    Hinton = 1,
    /// Initial draws with probability 1/2.
    Uniform = 2,
    /// The Metropolis update of a block.
    Metropolis = 3,
}

impl Mode {
    /// Every mode.
    pub(crate) const ALL: [Mode; 4] = [Mode::Update, Mode::Hinton, Mode::Uniform, Mode::Metropolis];

    /// The update of a block by `rule`.
    pub(crate) fn update(rule: UpdateRule) -> Mode {
        match rule {
            UpdateRule::HeatBath => Mode::Update,
            UpdateRule::Metropolis => Mode::Metropolis,
        }
    }

    /// The WGSL name of the mode's constant.
    pub(crate) fn wgsl_name(self) -> &'static str {
        match self {
            Mode::Update => "MODE_UPDATE",
            Mode::Hinton => "MODE_HINTON",
            Mode::Uniform => "MODE_UNIFORM",
            Mode::Metropolis => "MODE_METROPOLIS",
        }
    }
}

/// What the general update reads that does not depend on the temperatures: CSR with per-entry
/// weights, biases and the counting nodes.
#[derive(Clone)]
struct Couplings {
    row_ptr: Vec<u32>,
    col: Vec<u32>,
    weights: Vec<f32>,
    biases: Vec<f32>,
    counting: CountingNodes,
}

impl Couplings {
    /// Node `i`'s CSR row and, for a counting node, its one coupling (0 without neighbours).
    #[inline(always)]
    fn counting_row(&self, i: usize) -> (std::ops::Range<usize>, f32) {
        let row = self.row_ptr[i] as usize..self.row_ptr[i + 1] as usize;
        let j = if row.is_empty() {
            0.0
        } else {
            self.weights[row.start]
        };
        (row, j)
    }
}

/// Everything the general update reads: the program's couplings (shared by the updates of one
/// program at other temperatures), the rule, `2 beta` of each temperature group, and the counting
/// nodes' thresholds at each beta.
#[derive(Clone)]
pub(crate) struct GeneralUpdate {
    couplings: Arc<Couplings>,
    rule: UpdateRule,
    /// `2 beta` of each temperature group.
    two_betas: Vec<f32>,
    /// The temperature group of each global word.
    word_group: Vec<u32>,
    /// Per beta, the counting classes' thresholds ([`CountingNodes::offsets`]).
    thresholds: Vec<Vec<u32>>,
}

impl GeneralUpdate {
    /// The update by `rule` of `program`'s current weights and biases at `temperatures`.
    pub(crate) fn new(
        program: &SamplingProgram,
        temperatures: &Temperatures,
        rule: UpdateRule,
    ) -> Self {
        let model = program.model();
        let csr = program.csr();
        let couplings = Couplings {
            row_ptr: csr.row_ptr().to_vec(),
            col: csr.col().to_vec(),
            weights: csr.entry_weights(model.weights()),
            biases: model.biases().to_vec(),
            counting: CountingNodes::new(program),
        };
        GeneralUpdate {
            couplings: Arc::new(couplings),
            rule,
            two_betas: Vec::new(),
            word_group: Vec::new(),
            thresholds: Vec::new(),
        }
        .at(temperatures)
    }

    /// The same program's update at `temperatures` (the couplings shared, not rebuilt).
    pub(crate) fn at(&self, temperatures: &Temperatures) -> Self {
        let betas = temperatures.betas();
        GeneralUpdate {
            couplings: Arc::clone(&self.couplings),
            rule: self.rule,
            two_betas: betas.iter().map(|&beta| 2.0 * beta).collect(),
            word_group: temperatures.word_groups(),
            thresholds: betas
                .iter()
                .map(|&beta| self.couplings.counting.thresholds(beta, self.rule))
                .collect(),
        }
    }

    /// Whether every free node counts its up neighbours, so that each update's change of the energy
    /// is exact in `f32` ([`GeneralUpdate::update_block`]'s scores).
    pub(crate) fn all_counting(&self, program: &SamplingProgram) -> bool {
        program
            .blocks()
            .iter()
            .flatten()
            .all(|&i| self.couplings.counting.offsets[i as usize].is_some())
    }

    /// Updates every word of every node of `block` in `sweep`, drawing with `seed`: `N` nodes of
    /// the block at a time (their Philox calls side by side), the rest one by one. The nodes of a
    /// block are independent, so the order does not change the words. With `scores` (each word's
    /// lanes' `-H(s)`, where [`GeneralUpdate::all_counting`]), each update adds its change: every
    /// partial sum is the energy of a state, exact in `f32` when the energy's sums are.
    #[inline(always)]
    pub(crate) fn update_block<const N: usize>(
        &self,
        spins: &mut WordSlice<'_>,
        block: &[u32],
        seed_sweep: (u64, u64),
        scores: Option<&mut [[f32; 32]]>,
    ) {
        // Compiled twice, so that the update without scores carries nothing of them.
        match scores {
            Some(scores) => self.update_block_keeping::<N, true>(spins, block, seed_sweep, scores),
            None => self.update_block_keeping::<N, false>(spins, block, seed_sweep, &mut []),
        }
    }

    /// [`GeneralUpdate::update_block`], adding to `scores` when `KEEP`.
    #[inline(always)]
    fn update_block_keeping<const N: usize, const KEEP: bool>(
        &self,
        spins: &mut WordSlice<'_>,
        block: &[u32],
        seed_sweep: (u64, u64),
        scores: &mut [[f32; 32]],
    ) {
        for w in 0..spins.stride {
            let mut score = scores.get_mut(w).filter(|_| KEEP);
            let mut runs = block.chunks_exact(N);
            for run in &mut runs {
                let mut nodes = [0u32; N];
                nodes.copy_from_slice(run);
                self.update_words(spins, &nodes, w, seed_sweep, score.as_deref_mut());
            }
            for &node in runs.remainder() {
                self.update_words(spins, &[node], w, seed_sweep, score.as_deref_mut());
            }
        }
    }

    /// What the lanes of `node`'s word `w` compare their uniforms with: the arguments `2 beta
    /// field` of the rule's probability, the field `b_i + sum_j J_ij s_j` summed in CSR order in
    /// `f32`; for a counting node, from its count of up neighbours (exact), with the index of each
    /// lane's exact threshold in the count tables.
    #[inline(always)]
    fn lanes(&self, spins: &WordSlice<'_>, node: u32, w: usize) -> Lanes {
        let i = node as usize;
        let group = self.word_group[spins.first_word + w] as usize;
        let c = &*self.couplings;
        let own = spins.bits[i * spins.stride + w];
        if let Some(offset) = c.counting.offsets[i] {
            // Same thresholds as the float path gives for exact sums, looked up by count of up
            // neighbours; the field `b + j (ups - downs)`, exact, for the approximations.
            let (row, j) = c.counting_row(i);
            let degree = row.len() as u32;
            let mut counts = PairCounts::default();
            for k in row {
                counts.add(spins.bits[c.col[k] as usize * spins.stride + w]);
            }
            let ups = counts.lanes();
            let (b, two_beta) = (c.biases[i], self.two_betas[group]);
            let mut x = [0f32; 32];
            for (x, &up) in x.iter_mut().zip(&ups) {
                *x = count_argument(b, j, (2 * up) as f32 - degree as f32, two_beta);
            }
            let mut index = [0u32; 32];
            if self.rule == UpdateRule::Metropolis {
                // A down spin's thresholds, then an up one's.
                for (l, (index, &up)) in index.iter_mut().zip(&ups).enumerate() {
                    *index = 2 * offset + own_table(own, l, degree) + up;
                }
            } else {
                for (index, &up) in index.iter_mut().zip(&ups) {
                    *index = offset + up;
                }
            }
            return Lanes::Counted(Arguments(x, own), index);
        }
        let mut field = [c.biases[i]; 32];
        for k in c.row_ptr[i] as usize..c.row_ptr[i + 1] as usize {
            let word = spins.bits[c.col[k] as usize * spins.stride + w];
            let j = c.weights[k];
            for (b, f) in field.iter_mut().enumerate() {
                *f += if (word >> b) & 1 == 1 { j } else { -j };
            }
        }
        let two_beta = self.two_betas[group];
        for f in &mut field {
            *f *= two_beta;
        }
        Lanes::Summed(Arguments(field, own))
    }

    /// Draws the new word `w` of each of `nodes` (of one block) and stores them: up with the
    /// rule's probability, as a threshold on the lane's 24-bit uniform, the exact thresholds
    /// computed (or looked up, for counting nodes) only for the lanes that need them. Adds each
    /// flip's change of `-H(s)` to `score` (counting nodes only).
    #[inline(always)]
    fn update_words<const N: usize>(
        &self,
        spins: &mut WordSlice<'_>,
        nodes: &[u32; N],
        w: usize,
        (seed, sweep): (u64, u64),
        score: Option<&mut [f32; 32]>,
    ) {
        let table = &self.thresholds[self.word_group[spins.first_word + w] as usize];
        let mut lanes = [Lanes::Summed(Arguments([0.0; 32], 0)); N];
        let mut approx = [[0f32; 32]; N];
        for k in 0..N {
            lanes[k] = self.lanes(spins, nodes[k], w);
            approx[k] = match &lanes[k] {
                Lanes::Counted(arguments, _) | Lanes::Summed(arguments) => {
                    arguments.approx_top_bytes(self.rule)
                }
            };
        }
        let exact = |k: usize, l: usize| match &lanes[k] {
            Lanes::Counted(_, index) => table[index[l] as usize],
            Lanes::Summed(arguments) => arguments.exact_threshold(l, self.rule),
        };
        let word = (spins.first_word + w) as u32;
        let keys = (nodes, &[word; N]);
        let draws = bernoulli_words_refined(seed, sweep, keys, Purpose::Update, &approx, exact);
        for (&node, draw) in nodes.iter().zip(draws) {
            spins.bits[node as usize * spins.stride + w] = draw & spins.masks[w];
        }
        if let Some(score) = score {
            for ((&node, lanes), draw) in nodes.iter().zip(&lanes).zip(draws) {
                let Lanes::Counted(Arguments(_, old), index) = lanes else {
                    unreachable!("scores are kept only where every node counts")
                };
                let (new, fields) = (draw & spins.masks[w], self.count_fields(node, index, *old));
                // A lane that flipped up gains `2 field` in `-H`, one that flipped down loses it.
                for (l, (score, &field)) in score.iter_mut().zip(&fields).enumerate() {
                    let change = if (old ^ new) >> l & 1 == 0 {
                        0.0
                    } else if new >> l & 1 == 1 {
                        2.0 * field
                    } else {
                        -2.0 * field
                    };
                    *score += change;
                }
            }
        }
    }

    /// The fields `b + j (ups - downs)` (exact) of a counting node's lanes, from their indices in
    /// the count thresholds ([`GeneralUpdate::lanes`]) and the node's word `own` before the update.
    #[inline(always)]
    fn count_fields(&self, node: u32, index: &[u32; 32], own: u32) -> [f32; 32] {
        let (i, c) = (node as usize, &*self.couplings);
        let offset = c.counting.offsets[i].unwrap_or(0);
        let (row, j) = c.counting_row(i);
        let degree = row.len() as u32;
        let mut fields = [0f32; 32];
        for (l, (field, &index)) in fields.iter_mut().zip(index).enumerate() {
            let first = match self.rule {
                UpdateRule::HeatBath => offset,
                UpdateRule::Metropolis => 2 * offset + own_table(own, l, degree),
            };
            let up = index - first;
            *field = count_field(c.biases[i], j, (2 * up) as f32 - degree as f32);
        }
        fields
    }

    /// How many nodes take the counting path.
    #[cfg(test)]
    pub(crate) fn counting_nodes(&self) -> usize {
        self.couplings.counting.offsets.iter().flatten().count()
    }

    /// The same update with the counting path switched off, for tests that compare the two.
    #[cfg(test)]
    pub(crate) fn float_only(mut self) -> Self {
        Arc::make_mut(&mut self.couplings)
            .counting
            .offsets
            .fill(None);
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::graph::Lattice;
    use crate::model::IsingModel;
    use crate::packed::words_after_sweeps;
    use crate::program::Blocks;

    #[test]
    fn exact_sums_are_recognised() {
        assert!(sums_are_exact([(0.0, 1), (1.0, 4)]));
        assert!(sums_are_exact([(0.5, 1), (-0.25, 6)]));
        assert!(sums_are_exact([(0.3, 1), (0.0, 4)]));
        assert!(!sums_are_exact([(0.1, 1), (0.3, 4)]));
        assert!(sums_are_exact([(1e7, 1), (1.0, 32)]));
        assert!(!sums_are_exact([(2e7, 1), (1.0, 32)]));
        assert_eq!(granularity(3.0), 1.0);
        assert_eq!(granularity(0.75), 0.25);
        assert_eq!(granularity(f32::from_bits(1)), 2f64.powi(-149));
    }

    /// Every chain of the words the tests sweep at the model's beta.
    fn single(program: &SamplingProgram) -> Temperatures {
        Temperatures::single(program.model().beta(), 70)
    }

    /// The words of 5 sweeps of `update` over `program`'s blocks.
    fn sweeps_of(update: &GeneralUpdate, program: &SamplingProgram) -> Vec<Vec<u32>> {
        words_after_sweeps(program.model().num_nodes(), |spins, sweep| {
            for block in program.blocks() {
                update.update_block::<4>(spins, block, (9, sweep), None);
            }
        })
    }

    #[test]
    fn counting_and_float_paths_give_identical_words() {
        let lattice = Lattice::cubic(4, 4, 6, true).unwrap();
        for (j, h, beta) in [(1.0, 0.0, 0.44), (-0.5, 0.25, 1.3), (2.0, -1.0, 0.1)] {
            let program = SamplingProgram::new(
                lattice.model(j, h, beta).unwrap(),
                Blocks::Given(lattice.blocks().to_vec()),
                &[],
            )
            .unwrap();
            let mut words = Vec::new();
            for rule in UpdateRule::ALL {
                let counting = GeneralUpdate::new(&program, &single(&program), rule);
                assert_eq!(counting.counting_nodes(), 96);
                let float = GeneralUpdate::new(&program, &single(&program), rule).float_only();
                let counted = sweeps_of(&counting, &program);
                assert_eq!(
                    counted,
                    sweeps_of(&float, &program),
                    "J {j}, h {h}, beta {beta}, {rule:?}"
                );
                words.push(counted);
            }
            // The rules draw other words.
            assert_ne!(words[0], words[1], "J {j}, h {h}, beta {beta}");
        }
    }

    #[test]
    fn counting_applies_to_exact_uniform_neighbourhoods_only() {
        let lattice = Lattice::square(6, 6, true).unwrap();
        let counting = |j, h| {
            let program = SamplingProgram::new(
                lattice.model(j, h, 0.4).unwrap(),
                Blocks::Given(lattice.blocks().to_vec()),
                &[],
            )
            .unwrap();
            GeneralUpdate::new(&program, &single(&program), UpdateRule::HeatBath).counting_nodes()
        };
        assert_eq!(counting(1.0, 0.0), 36);
        assert_eq!(counting(0.5, 0.25), 36);
        assert_eq!(counting(0.3, 0.1), 0);
        // Stars: the centre counts in 16 bits up to 2^16 - 1 leaves, the leaves always.
        for (leaves, expected) in [(65535, 65536), (65536, 65536)] {
            let edges = (1..=leaves).map(|i| (0, i)).collect();
            let model = IsingModel::new(
                leaves as usize + 1,
                edges,
                vec![1.0; leaves as usize],
                vec![0.0; leaves as usize + 1],
                1.0,
            )
            .unwrap();
            let program = SamplingProgram::new(model, Blocks::Auto, &[]).unwrap();
            let update = GeneralUpdate::new(&program, &single(&program), UpdateRule::HeatBath);
            assert_eq!(update.counting_nodes(), expected, "{leaves} leaves");
        }
    }
}
