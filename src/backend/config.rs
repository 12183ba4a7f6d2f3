//! How a sampler starts, by name: [`SamplerConfig`], which update algorithm its sweeps run,
//! [`UpdatePath`], and by which rule, [`UpdateRule`].

use ndarray::Array2;

use crate::error::{Error, Result};
use crate::program::Init;
use crate::program::{SamplingProgram, Temperatures};
use crate::update::lattice::LatticeUpdate;

/// The update algorithm a sampler's sweeps run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum UpdatePath {
    /// The heat bath over CSR weights: any graph, any couplings.
    General,
    /// A periodic lattice built by [`crate::Lattice::program`] (or `glass_program`) with one
    /// coupling magnitude (every bond `J`, or `+-J` with the signs bit-packed) and at most 256
    /// distinct fields: neighbours by index arithmetic, bit-sliced counts and draws. It draws other
    /// numbers than the general path, from the same distribution.
    Lattice,
    /// One huge lattice, 32 sites a word ([`crate::SitePackedLattice`], its own samplers).
    SitePacked,
}

/// The rule an update draws each spin by. Both leave the Boltzmann distribution unchanged; they
/// draw other numbers.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum UpdateRule {
    /// The heat bath (Gibbs sampling, THRML's rule): up with probability `sigmoid(2 beta field)`,
    /// whatever the spin was.
    #[default]
    HeatBath,
    /// Metropolis (dwave-samplers' default for annealing): the spin flips with probability
    /// `min(1, exp(-beta dE))`, so downhill flips are always taken. The general path only.
    Metropolis,
}

impl UpdateRule {
    /// Every rule.
    pub const ALL: [UpdateRule; 2] = [UpdateRule::HeatBath, UpdateRule::Metropolis];

    /// The rule's name where users spell it (CLI, Python, JSON): "heat-bath" or "metropolis".
    ///
    /// ```
    /// use ising_wgpu::UpdateRule;
    /// let named = UpdateRule::ALL.into_iter().find(|r| r.name() == "metropolis");
    /// assert_eq!(named, Some(UpdateRule::Metropolis));
    /// ```
    pub fn name(self) -> &'static str {
        match self {
            UpdateRule::HeatBath => "heat-bath",
            UpdateRule::Metropolis => "metropolis",
        }
    }
}

/// How a sampler of a [`SamplingProgram`] starts: chains, seed, initial state, clamp values,
/// temperatures, update path and rule, by name.
///
/// ```
/// use ising_wgpu::{Init, SamplerConfig, UpdatePath};
/// let config = SamplerConfig::new(256).seed(7).init(Init::Uniform).betas(&[0.2, 0.4]);
/// assert_eq!((config.chains, config.seed, config.path), (256, 7, None));
/// let general = SamplerConfig { path: Some(UpdatePath::General), ..SamplerConfig::new(64) };
/// # let _ = general;
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct SamplerConfig {
    /// Parallel chains (32 share a word).
    pub chains: usize,
    /// The Philox key of every draw.
    pub seed: u64,
    /// How the free spins start (THRML's `hinton_init` by default, at each chain's beta).
    pub init: Init,
    /// The clamped nodes' values, in the program's clamped order: one row for all chains or one
    /// per chain; needed when the program clamps nodes.
    pub clamp_values: Option<Array2<i8>>,
    /// Inverse temperatures of equal groups of whole 32-chain words ([`Temperatures`]); `None`:
    /// every chain at the model's beta.
    pub betas: Option<Vec<f32>>,
    /// The update algorithm; `None`: the lattice path where the program and its parameters allow
    /// it, the general one elsewhere (a sampler reports which in [`crate::Sampler::update_path`]).
    pub path: Option<UpdatePath>,
    /// The rule of every update (the heat bath by default).
    pub rule: UpdateRule,
}

impl SamplerConfig {
    /// An error naming `chains` unless the chains' spins fit this machine's memory, checked before a
    /// sampler allocates anything: the spins, and as much again twice over (the CPU's per-thread
    /// copies and kept states, or a GPU's staging).
    pub(crate) fn check_memory(&self, program: &SamplingProgram) -> Result<()> {
        let n = program.model().num_nodes();
        let spins = crate::budget::bytes(self.chains.div_ceil(32), 4)
            .and_then(|b| b.checked_mul(n as u64))
            .and_then(|b| b.checked_mul(3));
        crate::budget::check(
            "chains",
            || format!("{} chains of {n} nodes", self.chains),
            spins,
        )
    }

    /// `chains` chains, seed 0, `hinton_init`, no clamp values, the model's beta, the path chosen
    /// by the program.
    pub fn new(chains: usize) -> Self {
        SamplerConfig {
            chains,
            seed: 0,
            init: Init::Hinton,
            clamp_values: None,
            betas: None,
            path: None,
            rule: UpdateRule::HeatBath,
        }
    }

    /// With this seed.
    pub fn seed(self, seed: u64) -> Self {
        SamplerConfig { seed, ..self }
    }

    /// With this initial state.
    pub fn init(self, init: Init) -> Self {
        SamplerConfig { init, ..self }
    }

    /// With these clamp values (one row for all chains, or one per chain).
    pub fn clamp_values(self, values: Array2<i8>) -> Self {
        SamplerConfig {
            clamp_values: Some(values),
            ..self
        }
    }

    /// With the chains split into groups at these inverse temperatures.
    pub fn betas(self, betas: &[f32]) -> Self {
        SamplerConfig {
            betas: Some(betas.to_vec()),
            ..self
        }
    }

    /// With exactly this update path (an error where the program cannot take it).
    pub fn path(self, path: UpdatePath) -> Self {
        SamplerConfig {
            path: Some(path),
            ..self
        }
    }

    /// With this update rule ([`UpdateRule::Metropolis`] takes the general path).
    pub fn rule(self, rule: UpdateRule) -> Self {
        SamplerConfig { rule, ..self }
    }

    /// The temperatures of the config's chains: its betas, or the program's model's beta.
    pub(crate) fn temperatures(&self, program: &SamplingProgram) -> Result<Temperatures> {
        if self.chains == 0 {
            return Err(Error::invalid("chains", "at least one chain is needed"));
        }
        match &self.betas {
            Some(betas) => Temperatures::new(betas, self.chains),
            None => Ok(Temperatures::single(program.model().beta(), self.chains)),
        }
    }
}

/// The lattice update of `program` at `temperatures` when the sampler takes the lattice path:
/// as `requested`, or where the program allows it when nothing was; an error naming why when the
/// requested path cannot run.
pub(crate) fn choose_path(
    program: &SamplingProgram,
    temperatures: &Temperatures,
    requested: Option<UpdatePath>,
    rule: UpdateRule,
) -> Result<Option<LatticeUpdate>> {
    match (requested, rule) {
        (Some(UpdatePath::General), _) | (None, UpdateRule::Metropolis) => Ok(None),
        (Some(UpdatePath::Lattice), UpdateRule::Metropolis) => Err(Error::invalid(
            "update path",
            "the lattice path runs the heat bath only; Metropolis updates take the general path",
        )),
        (Some(UpdatePath::Lattice), UpdateRule::HeatBath) => {
            LatticeUpdate::of(program, temperatures)
                .map(Some)
                .map_err(|why| Error::invalid("update path", format!("the lattice path: {why}")))
        }
        (Some(UpdatePath::SitePacked), _) => Err(Error::invalid(
            "update path",
            "site-packed lattices have their own samplers (SitePackedLattice, Backend::site_packed)",
        )),
        (None, UpdateRule::HeatBath) => Ok(LatticeUpdate::of(program, temperatures).ok()),
    }
}
