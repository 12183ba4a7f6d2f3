//! A GPU sampler's [`SamplerState`] read back and written again: every chain group's spins and kept
//! states, with the sweep counter and betas the host holds.

use super::GpuSampler;
use super::buffers::group_words;
use crate::backend::{Sampler, SamplerState};
use crate::error::Result;
use crate::packed::PackedSpins;
use crate::program::Temperatures;

impl GpuSampler {
    /// [`Sampler::save_state`]: spins and kept states read back.
    pub(super) fn read_state(&mut self) -> Result<SamplerState> {
        let spins = Sampler::state(self)?;
        let kept = match self.kept.is_empty() {
            true => None,
            false => Some(self.read_kept_state()?),
        };
        Ok(SamplerState {
            next_sweep: self.next_sweep,
            spins,
            kept,
            betas: self.temperatures.betas().to_vec(),
        })
    }

    /// [`Sampler::restore_state`] for the chains this sampler holds (a shard's alone); the betas
    /// split all of the chains.
    pub(super) fn write_state(&mut self, state: &SamplerState) -> Result<()> {
        state.check_spins(self.window_chains(), self.num_nodes())?;
        Temperatures::new(&state.betas, self.chains)?;
        let spins = PackedSpins::from_states(state.spins.view())?;
        let kept = match &state.kept {
            Some(kept) => Some(PackedSpins::from_states(kept.view())?),
            None => None,
        };
        self.checked("state upload", |s| {
            for g in 0..s.groups.len() {
                s.ctx.queue().write_buffer(
                    &s.groups[g].spins,
                    0,
                    bytemuck::cast_slice(&group_words(&spins, &s.local_plan(g))),
                );
            }
            match &kept {
                Some(kept) => {
                    if s.kept.is_empty() {
                        s.kept = s.kept_buffers();
                    }
                    for g in 0..s.groups.len() {
                        let words = group_words(kept, &s.local_plan(g));
                        s.ctx
                            .queue()
                            .write_buffer(&s.kept[g], 0, bytemuck::cast_slice(&words));
                    }
                }
                None => s.kept.clear(),
            }
            Ok(())
        })?;
        self.set_betas(&state.betas)?;
        self.next_sweep = state.next_sweep;
        Ok(())
    }
}
