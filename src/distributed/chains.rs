//! [`RankedSampler`]: the chains of one sampler split over the ranks of an MPI job.

use std::ops::Range;

use ndarray::{Array1, Array2, ArrayView2, Axis, Ix3};

use mpi::traits::{Communicator, Root};

use super::collect::{agree, join, world_or_error};
use crate::SamplerConfig;
use crate::anneal::{BestSoFar, check_schedule};
use crate::backend::{Backend, Sampler, SamplerState, UpdatePath};
use crate::error::{Error, Result};
use crate::model::IsingModel;
use crate::moments::Moments;
use crate::observe::{EnergyTrace, Observe, Observed, OverlapTrace};
use crate::packed::split_words;
use crate::program::{SamplingProgram, SamplingSchedule, Temperatures};
use crate::update::lane_exchange::{LaneSwap, check_masks};

/// Block Gibbs sampling with the chains split over the ranks of `MPI_COMM_WORLD`, each rank a run
/// of whole 32-chain words ([`Backend::shard`]) on its own backend. Every call is collective: each
/// rank makes it, with the same arguments. Draws depend only on the seed, sweep, node and chain, so
/// the results are those of one sampler of all the chains, bit for bit, for any number of ranks.
///
/// Moment counts, energies, overlaps, states and anneal bests are exchanged exactly (integers, and
/// floats as they are) and returned whole on every rank; samples are gathered on rank 0 alone, and
/// the other ranks' [`Observed::samples`] are `None`. An error on any rank is an error on every
/// rank (no rank waits for one that failed).
pub struct RankedSampler {
    /// This rank's chains.
    local: Box<dyn Sampler>,
    /// The words of every rank, in rank order.
    windows: Vec<Range<usize>>,
    /// This rank.
    rank: usize,
    /// Chains in all.
    chains: usize,
    /// Nodes of the program.
    num_nodes: usize,
}

impl RankedSampler {
    /// Starts this rank's share of the chains of `config` on `backend` (whole words, as equal as
    /// they split; the lower ranks take the longer runs). Collective. An error on every rank when
    /// MPI is not initialised, when there are fewer words of 32 chains than ranks, or when any
    /// rank's sampler fails to start.
    pub fn new(
        backend: &Backend,
        program: &SamplingProgram,
        config: &SamplerConfig,
    ) -> Result<Self> {
        let world = world_or_error()?;
        let (rank, size) = (world.rank() as usize, world.size() as usize);
        let words = config.chains.div_ceil(32);
        let local = if words < size {
            Err(Error::invalid(
                "chains",
                format!(
                    "{} chains fill {words} words of 32 and {size} ranks need one each; run more \
                     chains or fewer ranks",
                    config.chains
                ),
            ))
        } else {
            backend.shard(program, config, split_words(words, size)[rank].clone())
        };
        let local = agree(&world, local)?;
        Ok(RankedSampler {
            local,
            windows: split_words(words, size),
            rank,
            chains: config.chains,
            num_nodes: program.model().num_nodes(),
        })
    }

    /// The chains each rank holds, in rank order.
    pub fn rank_chains(&self) -> Vec<Range<usize>> {
        self.windows.iter().map(|w| self.chains_of(w)).collect()
    }

    /// The chains of words `w`.
    fn chains_of(&self, w: &Range<usize>) -> Range<usize> {
        32 * w.start..(32 * w.end).min(self.chains)
    }

    /// Chains of every rank, in rank order.
    fn counts(&self) -> Vec<usize> {
        self.rank_chains().iter().map(Range::len).collect()
    }

    /// Runs `call` on this rank's sampler, agreeing with the other ranks on success.
    fn each<T>(&mut self, call: impl FnOnce(&mut dyn Sampler) -> Result<T>) -> Result<T> {
        let world = world_or_error()?;
        let local = call(self.local.as_mut());
        agree(&world, local)
    }

    /// Every rank's `part` (chains along `axis`, `per_chain` entries a chain) joined in rank order:
    /// on every rank, or with `root_only` on rank 0 alone.
    fn join<T, D>(
        &self,
        part: ndarray::ArrayView<'_, T, D>,
        axis: Axis,
        per_chain: fn(usize) -> usize,
        root_only: bool,
    ) -> Result<Option<ndarray::Array<T, D>>>
    where
        T: mpi::datatype::Equivalence + Copy + Default,
        D: ndarray::Dimension,
    {
        let world = world_or_error()?;
        let counts: Vec<usize> = self.counts().into_iter().map(per_chain).collect();
        let joined = join(&world, part, axis, &counts, root_only)?;
        joined
            .map(|a| {
                a.into_dimensionality::<D>()
                    .map_err(|e| Error::invalid("ranks", e.to_string()))
            })
            .transpose()
    }

    /// Every rank's states (chains x nodes), joined on every rank.
    fn join_states(&self, part: ArrayView2<'_, i8>) -> Result<Array2<i8>> {
        Ok(self
            .join(part, Axis(0), |c| c, false)?
            .expect("joined on every rank"))
    }

    /// Every rank's observations joined: samples on rank 0, the rest on every rank.
    fn join_observed(&self, part: Observed) -> Result<Observed> {
        let all = |a: Option<Array2<u32>>| a.expect("joined on every rank");
        let samples = match &part.samples {
            Some(s) => self.join::<i8, Ix3>(s.view(), Axis(1), |c| c, true)?,
            None => None,
        };
        let moments = match &part.moments {
            Some(m) => Some(Moments::from_counts(
                m.samples_per_chain(),
                all(self.join(m.node_counts(), Axis(0), |c| c, false)?),
                all(self.join(m.edge_counts(), Axis(0), |c| c, false)?),
            )),
            None => None,
        };
        let energy = match &part.energy {
            Some(e) => Some(EnergyTrace::new(
                self.num_nodes,
                self.join(e.energies(), Axis(1), |c| c, false)?
                    .expect("joined on every rank"),
                all(self.join(e.ups(), Axis(1), |c| c, false)?),
            )),
            None => None,
        };
        let overlap = match &part.overlap {
            Some(o) => Some(OverlapTrace::new(
                self.num_nodes,
                all(self.join(o.disagreements(), Axis(1), |c| c / 2, false)?),
            )),
            None => None,
        };
        Ok(Observed {
            samples,
            moments,
            energy,
            overlap,
        })
    }
}

impl Sampler for RankedSampler {
    fn run(&mut self, schedule: &SamplingSchedule, observe: &Observe) -> Result<Observed> {
        let part = self.each(|s| s.run(schedule, observe))?;
        self.join_observed(part)
    }

    fn sweep(&mut self, sweeps: u64) -> Result<()> {
        self.each(|s| s.sweep(sweeps))
    }

    fn state(&mut self) -> Result<Array2<i8>> {
        let part = self.each(|s| s.state())?;
        self.join_states(part.view())
    }

    fn swap_lanes(&mut self, swaps: &[LaneSwap]) -> Result<()> {
        crate::update::lane_exchange::check_swaps(swaps, self.chains.div_ceil(32))?;
        let window = self.windows[self.rank].clone();
        let held = |w: u32| window.contains(&(w as usize));
        let rank_of = |w: u32| self.windows.iter().position(|r| r.contains(&(w as usize)));
        if let Some((k, s)) = swaps
            .iter()
            .enumerate()
            .find(|(_, s)| rank_of(s.word_a) != rank_of(s.word_b))
        {
            return Err(Error::invalid(
                "lane swaps",
                format!(
                    "swap {k} joins words {} and {} on two ranks; swaps stay within a rank's chains",
                    s.word_a, s.word_b
                ),
            ));
        }
        let mine: Vec<LaneSwap> = swaps.iter().copied().filter(|s| held(s.word_a)).collect();
        self.each(|s| match mine.is_empty() {
            true => Ok(()),
            false => s.swap_lanes(&mine),
        })
    }

    fn keep_lanes(&mut self, masks: &[u32]) -> Result<()> {
        check_masks(masks, self.chains.div_ceil(32))?;
        let window = self.windows[self.rank].clone();
        self.each(|s| s.keep_lanes(&masks[window]))
    }

    fn kept_state(&mut self) -> Result<Array2<i8>> {
        let part = self.each(|s| s.kept_state())?;
        self.join_states(part.view())
    }

    fn save_state(&mut self) -> Result<SamplerState> {
        let part = self.each(|s| s.save_state())?;
        let kept = match &part.kept {
            Some(kept) => Some(self.join_states(kept.view())?),
            None => None,
        };
        Ok(SamplerState {
            next_sweep: part.next_sweep,
            spins: self.join_states(part.spins.view())?,
            kept,
            betas: part.betas,
        })
    }

    fn restore_state(&mut self, state: &SamplerState) -> Result<()> {
        state.check(self.chains, self.num_nodes)?;
        let chains = self.chains_of(&self.windows[self.rank]);
        self.each(|s| s.restore_state(&state.select_chains(chains)))
    }

    fn anneal_sweeps(
        &mut self,
        betas: &[f32],
        check_every: u64,
        best: &mut BestSoFar,
    ) -> Result<()> {
        check_schedule(betas, check_every, best, self.chains)?;
        let chains = self.chains_of(&self.windows[self.rank]);
        let mut local = BestSoFar {
            energies: best.energies[chains.clone()].to_vec(),
            found_at: best.found_at[chains].to_vec(),
            sweeps: best.sweeps,
        };
        self.each(|s| s.anneal_sweeps(betas, check_every, &mut local))?;
        let energies = Array1::from(local.energies);
        let found_at = Array1::from(local.found_at);
        let all = "joined on every rank";
        best.energies = self
            .join(energies.view(), Axis(0), |c| c, false)?
            .expect(all)
            .to_vec();
        best.found_at = self
            .join(found_at.view(), Axis(0), |c| c, false)?
            .expect(all)
            .to_vec();
        best.sweeps = local.sweeps;
        Ok(())
    }

    fn part_sweeps(&mut self, proposed: u64) -> Result<u64> {
        let mut sweeps = proposed;
        world_or_error()?
            .process_at_rank(0)
            .broadcast_into(&mut sweeps);
        Ok(sweeps)
    }

    fn backend_name(&self) -> String {
        format!(
            "{} ranks, each: {}",
            self.windows.len(),
            self.local.backend_name()
        )
    }

    fn update_path(&self) -> UpdatePath {
        self.local.update_path()
    }

    fn set_parameters(&mut self, model: &IsingModel) -> Result<UpdatePath> {
        self.each(|s| s.set_parameters(model))
    }

    fn temperatures(&self) -> &Temperatures {
        self.local.temperatures()
    }

    fn set_betas(&mut self, betas: &[f32]) -> Result<()> {
        self.each(|s| s.set_betas(betas))
    }

    fn set_clamp_values(&mut self, values: ArrayView2<'_, i8>) -> Result<()> {
        self.each(|s| s.set_clamp_values(values))
    }
}
