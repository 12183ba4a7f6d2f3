//! The GPU sampler for applications that own the frame: sweeps and energies recorded into the
//! caller's command encoder (no submit, no poll, no read-back), the buffers they leave their results
//! in, and the asynchronous forms of the blocking calls.

use ndarray::Array2;

use super::super::spin_buffers::{ChainMajorSpins, EnergyBuffer};
use super::super::transfer::{Wait, ensure};
use super::{GpuSampler, Op};
use crate::backend::check_sweep_range;
use crate::error::{Error, Result};
use crate::update::general::Mode;

/// Sweeps recorded per batch of dispatches built at once.
const SWEEPS_PER_BATCH: u64 = 256;

impl GpuSampler {
    /// Records `sweeps` sweeps of every chain into `encoder`, the caller's to submit (with its own
    /// passes, in its own frame). They draw the numbers [`crate::Sampler::sweep`] would: the sweep
    /// counter moves on as they are recorded, so an encoder dropped unsubmitted skips those draws.
    /// Parameter writes (`set_parameters`, `set_betas`, `set_clamp_values`) are queue writes, which
    /// wgpu runs before the next submission, so they also reach sweeps recorded before them and
    /// submitted after.
    pub fn record_sweeps(&mut self, encoder: &mut wgpu::CommandEncoder, sweeps: u64) -> Result<()> {
        check_sweep_range(self.next_sweep, sweeps)?;
        let first_sweep = self.next_sweep;
        for g in 0..self.groups.len() {
            let mut done = 0;
            while done < sweeps {
                let batch = (sweeps - done).min(SWEEPS_PER_BATCH);
                let ops: Vec<Op> = (first_sweep + done..first_sweep + done + batch)
                    .flat_map(|sweep| (0..self.blocks.len()).map(move |b| (b, sweep)))
                    .map(|(b, sweep)| self.update_op(g, b, Mode::update(self.rule), sweep))
                    .collect();
                self.record_ops(g, encoder, &ops)?;
                done += batch;
            }
        }
        self.next_sweep += sweeps;
        Ok(())
    }

    /// Records every chain's energy and up count of the state the recorded work leaves, one buffer a
    /// chain group (as [`GpuSampler::spin_buffers`]), which the returned [`EnergyBuffer`]s name; an
    /// error when the graph's edge list exceeds the device's binding limit.
    pub fn record_energy(
        &mut self,
        encoder: &mut wgpu::CommandEncoder,
    ) -> Result<Vec<EnergyBuffer<'_>>> {
        let partial_bytes = self.energy_partial_bytes()?;
        let usage = wgpu::BufferUsages::STORAGE | wgpu::BufferUsages::COPY_SRC;
        let device = self.ctx.device().clone();
        let partials = ensure(
            &device,
            &mut self.energy_partials,
            partial_bytes,
            usage,
            "partials",
        );
        self.energy.resize(self.groups.len(), None);
        for g in 0..self.groups.len() {
            let bytes = 8 * self.groups[g].plan.chains as u64;
            let out = ensure(&device, &mut self.energy[g], bytes, usage, "energies");
            let planned = self.plan_energy(g, &partials, &out);
            self.record_ops(g, encoder, &planned.recorded().ops)?;
        }
        Ok(self.energy_buffers())
    }

    /// The buffers [`GpuSampler::record_energy`] writes (none before it has recorded).
    pub fn energy_buffers(&self) -> Vec<EnergyBuffer<'_>> {
        self.energy
            .iter()
            .zip(&self.groups)
            .filter_map(|(buffer, group)| {
                Some(EnergyBuffer {
                    buffer: buffer.as_ref()?,
                    first_chain: 32 * group.plan.word_offset,
                    chains: group.plan.chains,
                })
            })
            .collect()
    }

    /// Each chain group's spin buffer with its layout (one group unless the spins exceed a binding),
    /// for a pass of the application's to read in place ([`super::super::CHAIN_MAJOR_SPIN_WGSL`]).
    /// The buffers live as long as the sampler; recorded sweeps write them.
    pub fn spin_buffers(&self) -> Vec<ChainMajorSpins<'_>> {
        self.groups
            .iter()
            .map(|group| ChainMajorSpins {
                buffer: &group.spins,
                first_chain: 32 * group.plan.word_offset,
                chains: group.plan.chains,
                words_per_node: group.plan.words,
                num_nodes: self.num_nodes(),
            })
            .collect()
    }

    /// [`crate::Sampler::sweep`] without blocking: submits the sweeps and completes when the device
    /// has run them. On native backends wgpu reports finished work when the device is polled (an
    /// application's frame loop polls it; see `wgpu::Device::poll`).
    pub async fn sweep_async(&mut self, sweeps: u64) -> Result<()> {
        self.sweep_with(sweeps, Wait::Poll).await
    }

    /// [`crate::Sampler::state`] without blocking: completes when the spins are read back (polled as
    /// [`GpuSampler::sweep_async`] says).
    pub async fn state_async(&mut self) -> Result<Array2<i8>> {
        self.state_with(Wait::Poll).await
    }

    /// Every chain's energy and up count from [`GpuSampler::energy_buffers`], read back without
    /// blocking (polled as [`GpuSampler::sweep_async`] says): `(energies, ups)`, one per chain.
    pub async fn read_energy_async(&mut self) -> Result<(Vec<f32>, Vec<u32>)> {
        let buffers: Vec<(wgpu::Buffer, usize)> = self
            .energy_buffers()
            .iter()
            .map(|e| (e.buffer.clone(), e.chains))
            .collect();
        if buffers.len() != self.groups.len() {
            return Err(Error::invalid(
                "energy buffers",
                "record_energy has not recorded yet",
            ));
        }
        let (mut energies, mut ups) = (Vec::new(), Vec::new());
        for (buffer, chains) in buffers {
            let bytes = 8 * chains as u64;
            let words = self
                .readback
                .read_with(&self.ctx, &buffer, bytes, Wait::Poll)
                .await?;
            for pair in words.chunks_exact(2) {
                energies.push(f32::from_bits(pair[0]));
                ups.push(pair[1]);
            }
        }
        Ok((energies, ups))
    }

    /// Submits `sweeps` sweeps, [`SWEEPS_PER_BATCH`] a submission, and waits as `wait` says.
    pub(super) async fn sweep_with(&mut self, sweeps: u64, wait: Wait) -> Result<()> {
        check_sweep_range(self.next_sweep, sweeps)?;
        let ctx = self.ctx.clone();
        let mut done = 0;
        while done < sweeps {
            let batch = (sweeps - done).min(SWEEPS_PER_BATCH);
            let mut encoder = ctx
                .device()
                .create_command_encoder(&wgpu::CommandEncoderDescriptor { label: None });
            ctx.checked("sweeps", || self.record_sweeps(&mut encoder, batch))?;
            ctx.queue().submit([encoder.finish()]);
            done += batch;
        }
        wait.done(&ctx).await
    }

    /// Reads every chain's spins back, waiting as `wait` says.
    pub(super) async fn state_with(&mut self, wait: Wait) -> Result<Array2<i8>> {
        let mut words = Vec::with_capacity(self.groups.len());
        for g in 0..self.groups.len() {
            let spins = self.groups[g].spins.clone();
            let bytes = 4 * (self.num_nodes() * self.groups[g].plan.words) as u64;
            words.push(
                self.readback
                    .read_with(&self.ctx, &spins, bytes, wait)
                    .await?,
            );
        }
        Ok(self.unpack_state(&words))
    }
}
