//! [`RankedSitePacked`]: one site-packed lattice cut into slabs of whole planes along its last axis,
//! a slab a rank, halo planes exchanged after each half-sweep.

use std::ops::Range;

use mpi::collective::SystemOperation;
use mpi::topology::SimpleCommunicator;
use mpi::traits::*;
use ndarray::{ArrayView1, Axis};

use super::collect::{agree, join, world_or_error};
use super::gpu_slab::GpuSlab;
use crate::backend::{
    CpuSitePacked, GpuContext, GpuSitePacked, PlanLimits, SitePackedKernel, SitePackedSampler,
    check_sweep_range,
};
use crate::error::{Error, Result};
use crate::packed::split_words;
use crate::program::Init;
use crate::update::site_packed::{Observables, SitePackedLattice, Slab};

/// Tag of a slab's first own plane, sent to the rank below (its upper halo).
const FIRST_PLANE: i32 = 0;
/// Tag of a slab's last own plane, sent to the rank above (its lower halo).
const LAST_PLANE: i32 = 1;

/// One rank's slab on its backend, as [`RankedSitePacked`] drives it: each half-sweep
/// `boundary`, then `interior` while the boundary planes travel to the neighbouring ranks, then
/// `set_halos` with theirs; `settle` at the end of each sweep call. Planes are a plane's words of
/// one colour.
pub(crate) trait SlabPart: Send {
    /// Updates `colour`'s first and last own planes in `sweep` and copies them into `first` and
    /// `last` (one plane is both); a backend that runs on its own queues the interior behind them.
    fn boundary(&mut self, colour: usize, sweep: u64, planes: [&mut [u32]; 2]) -> Result<()>;
    /// Updates the rest of `colour`'s own planes in `sweep`, unless [`SlabPart::boundary`] queued
    /// them.
    fn interior(&mut self, colour: usize, sweep: u64) -> Result<()>;
    /// Sets `colour`'s halo planes: the rank below's last plane and the rank above's first.
    fn set_halos(&mut self, colour: usize, halos: [&[u32]; 2]) -> Result<()>;
    /// Waits until every update queued is done.
    fn settle(&mut self) -> Result<()>;
    /// Up spins and agreeing neighbour pairs of the own words ([`SitePackedLattice::count`]).
    fn counts(&mut self) -> Result<(u64, u64)>;
    /// Both colours' own words.
    fn own_words(&mut self) -> Result<[Vec<u32>; 2]>;
    /// New coupling, field and beta.
    fn set_parameters(&mut self, coupling: f32, field: f32, beta: f32) -> Result<()>;
    /// The backend, for messages.
    fn name(&self) -> String;
}

/// One site-packed lattice over the ranks of `MPI_COMM_WORLD`: rank `r` holds a slab of whole planes
/// of the last axis (`z`, `y` in 2D; the lower ranks take the longer runs) and a halo plane of each
/// colour either side, on the CPU or a GPU. Each half-sweep updates the slab's two boundary planes,
/// sends them to the neighbouring ranks with non-blocking sends, updates the interior while they
/// travel, and waits for the neighbours' planes in its halos. Draws are keyed by global words, so
/// states and observables are those of one process ([`crate::CpuSitePacked`]), bit for bit, for any
/// number of ranks and either backend. Every call is collective; an error on any rank is an error
/// on every rank.
pub struct RankedSitePacked {
    lattice: SitePackedLattice,
    part: Box<dyn SlabPart>,
    next_sweep: u64,
    /// The planes of every rank, in rank order.
    planes: Vec<Range<usize>>,
    /// Words of a colour a plane.
    plane_words: usize,
    /// This rank's first and last own planes of the colour last updated, as sent.
    sent: [Vec<u32>; 2],
    /// The neighbours' planes, as received.
    received: [Vec<u32>; 2],
}

impl RankedSitePacked {
    /// Starts this rank's slab of `lattice` from `init` on the CPU, drawing with `seed`, on
    /// `threads` threads (by default all cores, fewer on small slabs, as
    /// [`crate::CpuSitePacked::new`]). Collective. An error on every rank when MPI is not
    /// initialised, when there are fewer planes than ranks, or when any rank's slab fails to start
    /// (e.g. initial states of the wrong shape).
    pub fn new(
        lattice: &SitePackedLattice,
        seed: u64,
        init: Init,
        threads: Option<usize>,
    ) -> Result<Self> {
        Self::start(lattice, |slab| {
            let sampler = CpuSitePacked::start(lattice, slab, seed, init)?;
            Ok(Box::new(match threads {
                Some(t) => sampler.with_threads(t),
                None => sampler,
            }))
        })
    }

    /// As [`RankedSitePacked::new`], each rank's slab on the GPU of `ctx`, planned with `limits`
    /// (by default [`PlanLimits::tuned`]; the plain, one-word-an-invocation kernel,
    /// [`SitePackedKernel::Words`]). Each half-sweep's interior runs on the device while the
    /// boundary planes are read back and exchanged.
    pub fn on_gpu(
        ctx: &GpuContext,
        lattice: &SitePackedLattice,
        seed: u64,
        init: Init,
        limits: Option<PlanLimits>,
    ) -> Result<Self> {
        Self::start(lattice, |slab| {
            let limits = match limits {
                Some(limits) => limits,
                None => PlanLimits::tuned(ctx)?,
            };
            let kernel = SitePackedKernel::Words;
            let sampler = GpuSitePacked::start(ctx, lattice, slab, seed, init, limits, kernel)?;
            Ok(Box::new(GpuSlab::new(sampler)))
        })
    }

    /// This rank's slab of `lattice`, its part made by `part`; collective.
    fn start(
        lattice: &SitePackedLattice,
        part: impl FnOnce(Slab) -> Result<Box<dyn SlabPart>>,
    ) -> Result<Self> {
        let world = world_or_error()?;
        let (rank, size) = (world.rank() as usize, world.size() as usize);
        let p = lattice.planes();
        let planes = split_words(p, size);
        let local = if p < size {
            Err(Error::invalid(
                "site-packed lattice",
                format!(
                    "{p} planes along the last axis and {size} ranks need one each; run a larger \
                     lattice or fewer ranks"
                ),
            ))
        } else {
            part(lattice.slab(planes[rank].clone()))
        };
        let part = agree(&world, local)?;
        let plane_words = lattice.words_per_colour() / p;
        let plane = || vec![0; plane_words];
        Ok(RankedSitePacked {
            lattice: lattice.clone(),
            part,
            next_sweep: 0,
            planes,
            plane_words,
            sent: [plane(), plane()],
            received: [plane(), plane()],
        })
    }

    /// The planes of the last axis each rank holds, in rank order.
    pub fn rank_planes(&self) -> Vec<Range<usize>> {
        self.planes.clone()
    }

    /// Updates `colour` in `sweep` and refreshes its halos on this rank and its neighbours. After
    /// a failure here (`failed`) only the exchange runs, so that the neighbours do not wait for
    /// planes that never come; the sweep's caller agrees on the failure.
    fn half_sweep(
        &mut self,
        world: &SimpleCommunicator,
        colour: usize,
        sweep: u64,
        failed: bool,
    ) -> Result<()> {
        let [first, last] = &mut self.sent;
        let [lower, upper] = &mut self.received;
        let part = &mut self.part;
        let mut result = if failed {
            Ok(())
        } else {
            part.boundary(colour, sweep, [first, last])
        };
        let run_interior = !failed && result.is_ok();
        let mut interior = Ok(());
        exchange(world, [first, last], [lower, upper], || {
            if run_interior {
                interior = part.interior(colour, sweep);
            }
        });
        result = result.and(interior);
        if run_interior && result.is_ok() {
            result = part.set_halos(colour, [lower, upper]);
        }
        result
    }
}

/// One half-sweep's halo exchange with this rank's periodic neighbours: `first` (a slab's first own
/// plane) to the rank below and `last` to the rank above, non-blocking, the rank below's last plane
/// into `lower` and the rank above's first into `upper`, running `during` while they travel.
fn exchange(
    world: &SimpleCommunicator,
    [first, last]: [&[u32]; 2],
    [lower, upper]: [&mut [u32]; 2],
    during: impl FnOnce(),
) {
    let (rank, size) = (world.rank(), world.size());
    let below = world.process_at_rank((rank + size - 1) % size);
    let above = world.process_at_rank((rank + 1) % size);
    mpi::request::scope(|scope| {
        let requests = [
            below.immediate_receive_into_with_tag(scope, lower, LAST_PLANE),
            above.immediate_receive_into_with_tag(scope, upper, FIRST_PLANE),
            below.immediate_send_with_tag(scope, first, FIRST_PLANE),
            above.immediate_send_with_tag(scope, last, LAST_PLANE),
        ];
        during();
        for request in requests {
            request.wait_without_status();
        }
    });
}

/// The halo exchange of one half-sweep of [`RankedSitePacked`] alone, the same messages to the same
/// neighbours (planes of any equal length), with nothing to overlap: what `cargo bench --bench
/// halo_exchange` times against the update. Collective; an error when MPI is not initialised.
pub fn exchange_halos(
    first: &[u32],
    last: &[u32],
    lower: &mut [u32],
    upper: &mut [u32],
) -> Result<()> {
    exchange(&world_or_error()?, [first, last], [lower, upper], || ());
    Ok(())
}

impl SitePackedSampler for RankedSitePacked {
    fn sweep(&mut self, sweeps: u64) -> Result<()> {
        let world = world_or_error()?;
        agree(&world, check_sweep_range(self.next_sweep, sweeps))?;
        let mut result = Ok(());
        for sweep in self.next_sweep..self.next_sweep + sweeps {
            for colour in 0..2 {
                let failed = result.is_err();
                let half = self.half_sweep(&world, colour, sweep, failed);
                result = result.and(half);
            }
        }
        if result.is_ok() {
            result = self.part.settle();
        }
        agree(&world, result)?;
        self.next_sweep += sweeps;
        Ok(())
    }

    /// The slabs' up spins and agreeing pairs, summed over the ranks (exact integers).
    fn observables(&mut self) -> Result<Observables> {
        let world = world_or_error()?;
        let (ups, agreements) = agree(&world, self.part.counts())?;
        let mut total = [0u64; 2];
        world.all_reduce_into(
            &[ups, agreements][..],
            &mut total[..],
            SystemOperation::sum(),
        );
        Ok(self.lattice.observables_of(total[0], total[1]))
    }

    /// The whole lattice's spins, on every rank (each slab's own words joined in rank order).
    fn state(&mut self) -> Result<Vec<i8>> {
        let world = world_or_error()?;
        let counts: Vec<usize> = self
            .planes
            .iter()
            .map(|p| p.len() * self.plane_words)
            .collect();
        let own = agree(&world, self.part.own_words())?;
        let mut whole = [Vec::new(), Vec::new()];
        for (words, part) in whole.iter_mut().zip(&own) {
            let joined = join(&world, ArrayView1::from(part), Axis(0), &counts, false)?;
            *words = joined
                .expect("joined on every rank")
                .into_raw_vec_and_offset()
                .0;
        }
        Ok(self.lattice.unpack(&whole))
    }

    fn set_parameters(&mut self, coupling: f32, field: f32, beta: f32) -> Result<()> {
        let world = world_or_error()?;
        agree(&world, self.lattice.set_parameters(coupling, field, beta))?;
        agree(&world, self.part.set_parameters(coupling, field, beta))
    }

    fn backend_name(&self) -> String {
        format!(
            "{} ranks, each: {} with a slab of the {} planes",
            self.planes.len(),
            self.part.name(),
            self.lattice.planes()
        )
    }
}
