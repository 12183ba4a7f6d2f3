//! [`MultiGpuSampler`]: the chains of one sampler spread over several devices, as THRML shards
//! chains over GPUs; each device runs a shard of whole 32-chain words, all shards at once.

use std::ops::Range;

use ndarray::{Array2, ArrayView2, Axis};

use super::context::GpuContext;
use super::sampler::GpuSampler;
use crate::backend::config::{SamplerConfig, UpdatePath};
use crate::backend::{Sampler, SamplerState};
use crate::error::{Error, Result};
use crate::model::IsingModel;
use crate::observe::{Observe, Observed};
use crate::packed::split_words;
use crate::program::{SamplingProgram, SamplingSchedule, Temperatures};
use crate::update::lane_exchange::{LaneSwap, check_masks, check_swaps};

/// Block Gibbs sampling with the chains split over several devices (adapters of any backends, or
/// several devices of one): the same draws, and so the same results bit for bit, as one
/// [`GpuSampler`] or [`crate::CpuSampler`] of all the chains for the seed. Calls run every shard at
/// once, one thread a device, and return the chains in order.
pub struct MultiGpuSampler {
    /// Each shard's chains and sampler.
    shards: Vec<(Range<usize>, GpuSampler)>,
}

impl MultiGpuSampler {
    /// Starts the chains of `config` on `program`, split into as equal runs of whole words as the
    /// devices of `contexts` allow (each gets at least one word; devices past the words get none),
    /// each planned as [`GpuSampler::new`] plans on its device.
    pub fn new(
        contexts: &[GpuContext],
        program: &SamplingProgram,
        config: &SamplerConfig,
    ) -> Result<Self> {
        if contexts.is_empty() {
            return Err(Error::invalid(
                "devices",
                "a multi-GPU sampler needs at least one",
            ));
        }
        config.check_memory(program)?;
        let words = config.chains.div_ceil(32);
        let windows = split_words(words, contexts.len());
        let mut shards = Vec::with_capacity(windows.len());
        for (ctx, window) in contexts.iter().zip(windows) {
            let chains = 32 * window.start..(32 * window.end).min(config.chains);
            let limits = GpuSampler::tuned_limits(ctx, program)?;
            shards.push((
                chains,
                GpuSampler::shard(ctx, program, config, limits, window)?,
            ));
        }
        Ok(MultiGpuSampler { shards })
    }

    /// The chains each device holds, in the order of the contexts it was given.
    pub fn shard_chains(&self) -> Vec<Range<usize>> {
        self.shards
            .iter()
            .map(|(chains, _)| chains.clone())
            .collect()
    }

    /// Runs `call` on every shard at once, one thread each; the results in shard order, or the
    /// first shard's error.
    fn each<T: Send>(
        &mut self,
        call: impl Fn(&mut GpuSampler) -> Result<T> + Sync,
    ) -> Result<Vec<T>> {
        std::thread::scope(|scope| {
            let running: Vec<_> = self
                .shards
                .iter_mut()
                .map(|(_, shard)| scope.spawn(|| call(shard)))
                .collect();
            running
                .into_iter()
                .map(|thread| {
                    thread.join().unwrap_or_else(|_| {
                        Err(Error::invalid(
                            "multi-GPU sampler",
                            "a shard's thread panicked",
                        ))
                    })
                })
                .collect()
        })
    }

    /// Words of 32 chains over all shards.
    fn words(&self) -> usize {
        self.shards
            .last()
            .map_or(0, |(chains, _)| chains.end.div_ceil(32))
    }

    fn first(&self) -> &GpuSampler {
        &self.shards[0].1
    }
}

impl Sampler for MultiGpuSampler {
    fn run(&mut self, schedule: &SamplingSchedule, observe: &Observe) -> Result<Observed> {
        let parts = self.each(|shard| shard.run(schedule, observe))?;
        Ok(Observed::concat_chains(parts))
    }

    fn sweep(&mut self, sweeps: u64) -> Result<()> {
        self.each(|shard| shard.sweep(sweeps)).map(|_| ())
    }

    fn state(&mut self) -> Result<Array2<i8>> {
        let parts = self.each(|shard| shard.state())?;
        let views: Vec<_> = parts.iter().map(Array2::view).collect();
        ndarray::concatenate(Axis(0), &views)
            .map_err(|e| Error::invalid("multi-GPU state", e.to_string()))
    }

    fn swap_lanes(&mut self, swaps: &[LaneSwap]) -> Result<()> {
        check_swaps(swaps, self.words())?;
        let mut per_shard = vec![Vec::new(); self.shards.len()];
        for (k, s) in swaps.iter().enumerate() {
            let shard_of = |w: u32| {
                self.shards
                    .iter()
                    .position(|(chains, _)| chains.contains(&(32 * w as usize)))
            };
            match (shard_of(s.word_a), shard_of(s.word_b)) {
                (Some(a), Some(b)) if a == b => per_shard[a].push(*s),
                _ => {
                    return Err(Error::invalid(
                        "lane swaps",
                        format!(
                            "swap {k} joins words {} and {} on two devices; swaps stay within a device's chains",
                            s.word_a, s.word_b
                        ),
                    ));
                }
            }
        }
        for ((_, shard), swaps) in self.shards.iter_mut().zip(&per_shard) {
            if !swaps.is_empty() {
                shard.swap_lanes(swaps)?;
            }
        }
        Ok(())
    }

    fn keep_lanes(&mut self, masks: &[u32]) -> Result<()> {
        check_masks(masks, self.words())?;
        for (chains, shard) in &mut self.shards {
            let window = chains.start / 32..chains.end.div_ceil(32);
            shard.keep_lanes(&masks[window])?;
        }
        Ok(())
    }

    fn kept_state(&mut self) -> Result<Array2<i8>> {
        let parts = self.each(|shard| shard.kept_state())?;
        let views: Vec<_> = parts.iter().map(Array2::view).collect();
        ndarray::concatenate(Axis(0), &views)
            .map_err(|e| Error::invalid("multi-GPU kept state", e.to_string()))
    }

    fn save_state(&mut self) -> Result<SamplerState> {
        let parts = self.each(|shard| shard.save_state())?;
        let join = |states: Vec<ndarray::ArrayView2<'_, i8>>| {
            ndarray::concatenate(Axis(0), &states)
                .map_err(|e| Error::invalid("multi-GPU state", e.to_string()))
        };
        let kept = match parts.iter().all(|p| p.kept.is_some()) {
            true => Some(join(
                parts
                    .iter()
                    .filter_map(|p| p.kept.as_ref())
                    .map(Array2::view)
                    .collect(),
            )?),
            false => None,
        };
        Ok(SamplerState {
            next_sweep: parts[0].next_sweep,
            spins: join(parts.iter().map(|p| p.spins.view()).collect())?,
            kept,
            betas: parts[0].betas.clone(),
        })
    }

    fn restore_state(&mut self, state: &SamplerState) -> Result<()> {
        // Checked whole first, so that no shard changes when another would refuse its part.
        state.check(self.temperatures().chains(), self.first().num_nodes())?;
        for (chains, shard) in &mut self.shards {
            shard.restore_state(&state.select_chains(chains.clone()))?;
        }
        Ok(())
    }

    fn backend_name(&self) -> String {
        let names: Vec<String> = self
            .shards
            .iter()
            .map(|(_, shard)| shard.context().describe())
            .collect();
        format!("gpu x {}: {}", names.len(), names.join(" + "))
    }

    fn update_path(&self) -> UpdatePath {
        self.first().update_path()
    }

    fn set_parameters(&mut self, model: &IsingModel) -> Result<UpdatePath> {
        // Every shard checks the same program and parameters the same way: the first refuses what
        // all would, before any changes.
        let path = self.shards[0].1.set_parameters(model)?;
        for (_, shard) in &mut self.shards[1..] {
            shard.set_parameters(model)?;
        }
        Ok(path)
    }

    fn temperatures(&self) -> &Temperatures {
        self.first().temperatures()
    }

    fn set_betas(&mut self, betas: &[f32]) -> Result<()> {
        self.shards[0].1.set_betas(betas)?;
        for (_, shard) in &mut self.shards[1..] {
            shard.set_betas(betas)?;
        }
        Ok(())
    }

    fn set_clamp_values(&mut self, values: ArrayView2<'_, i8>) -> Result<()> {
        for (_, shard) in &mut self.shards {
            shard.set_clamp_values(values)?;
        }
        Ok(())
    }
}
