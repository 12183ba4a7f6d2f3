//! [`RankedSitePacked`]: one site-packed lattice cut into slabs of whole planes along its last axis,
//! a slab a rank, halo planes exchanged after each half-sweep.

use std::ops::Range;

use mpi::collective::SystemOperation;
use mpi::topology::SimpleCommunicator;
use mpi::traits::*;
use ndarray::{ArrayView1, Axis};

use super::collect::{agree, join, world_or_error};
use crate::backend::{
    HalfSweep, SitePackedSampler, check_sweep_range, default_site_packed_threads,
};
use crate::error::{Error, Result};
use crate::packed::split_words;
use crate::program::Init;
use crate::update::count_draw::CountDraw;
use crate::update::site_packed::{Observables, SitePackedLattice, Slab};

/// Tag of a slab's first own plane, sent to the rank below (its upper halo).
const FIRST_PLANE: i32 = 0;
/// Tag of a slab's last own plane, sent to the rank above (its lower halo).
const LAST_PLANE: i32 = 1;

/// One site-packed lattice over the ranks of `MPI_COMM_WORLD`: rank `r` holds a slab of whole planes
/// of the last axis (`z`, `y` in 2D; the lower ranks take the longer runs) and a halo plane of each
/// colour either side, on the CPU. Each half-sweep updates the slab's two boundary planes, sends
/// them to the neighbouring ranks with non-blocking sends, updates the interior while they travel,
/// and waits for the neighbours' planes in its halos. Draws are keyed by global words, so states and
/// observables are those of one process ([`crate::CpuSitePacked`]), bit for bit, for any number of
/// ranks. Every call is collective; an error on any rank is an error on every rank.
pub struct RankedSitePacked {
    lattice: SitePackedLattice,
    draw: CountDraw,
    /// This rank's words.
    slab: Slab,
    /// Both colours' words held: lower halo, own planes, upper halo.
    colours: [Vec<u32>; 2],
    seed: u64,
    next_sweep: u64,
    threads: usize,
    /// The planes of every rank, in rank order.
    planes: Vec<Range<usize>>,
}

impl RankedSitePacked {
    /// Starts this rank's slab of `lattice` from `init`, drawing with `seed`, on `threads` threads
    /// (by default all cores, fewer on small slabs, as [`crate::CpuSitePacked::new`]). Collective.
    /// An error on every rank when MPI is not initialised, when there are fewer planes than ranks,
    /// or when any rank's slab fails to start (e.g. initial states of the wrong shape).
    pub fn new(
        lattice: &SitePackedLattice,
        seed: u64,
        init: Init,
        threads: Option<usize>,
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
            let slab = lattice.slab(planes[rank].clone());
            lattice
                .initial_words(&init, seed, &slab)
                .map(|colours| (slab, colours))
        };
        let (slab, colours) = agree(&world, local)?;
        let (j, h, beta) = lattice.parameters();
        Ok(RankedSitePacked {
            lattice: lattice.clone(),
            draw: CountDraw::new(j, h, beta, lattice.degree()),
            threads: threads.map_or_else(
                || default_site_packed_threads(slab.own().len()),
                |t| t.max(1),
            ),
            slab,
            colours,
            seed,
            next_sweep: 0,
            planes,
        })
    }

    /// The planes of the last axis each rank holds, in rank order.
    pub fn rank_planes(&self) -> Vec<Range<usize>> {
        self.planes.clone()
    }

    /// Updates `colour` in `sweep` and refreshes its halos on this rank and its neighbours.
    fn half_sweep(&mut self, world: &SimpleCommunicator, colour: usize, sweep: u64) {
        let [even, odd] = &mut self.colours;
        let (own, other) = if colour == 0 {
            (even, &*odd)
        } else {
            (odd, &*even)
        };
        let half = HalfSweep {
            lattice: &self.lattice,
            draw: &self.draw,
            slab: &self.slab,
            colour,
            seed_sweep: (self.seed, sweep),
            other,
            threads: self.threads,
        };
        let (pw, start) = (self.slab.plane_words(), self.slab.own().start);
        let n = self.slab.own().len() / pw;
        let (lower_halo, rest) = own.split_at_mut(pw);
        let (mine, upper_halo) = rest.split_at_mut(n * pw);
        // The boundary planes first (one plane is both), then the interior while they travel.
        let (first, rest) = mine.split_at_mut(pw);
        half.update(start, first);
        let (interior, last) = rest.split_at_mut(rest.len().saturating_sub(pw));
        half.update(start + (n - 1) * pw, last);
        let (first, last): (&[u32], &[u32]) = (first, if n == 1 { first } else { last });
        exchange(world, [first, last], [lower_halo, upper_halo], || {
            half.update(start + pw, interior)
        });
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
        for sweep in self.next_sweep..self.next_sweep + sweeps {
            for colour in 0..2 {
                self.half_sweep(&world, colour, sweep);
            }
        }
        self.next_sweep += sweeps;
        Ok(())
    }

    /// The slabs' up spins and agreeing pairs, summed over the ranks (exact integers).
    fn observables(&mut self) -> Result<Observables> {
        let world = world_or_error()?;
        let (ups, agreements) = self.lattice.count(&self.slab, &self.colours);
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
        let pw = self.slab.plane_words();
        let counts: Vec<usize> = self.planes.iter().map(|p| p.len() * pw).collect();
        let own = pw..pw + self.slab.own().len();
        let mut whole = [Vec::new(), Vec::new()];
        for (colour, words) in whole.iter_mut().enumerate() {
            let part = ArrayView1::from(&self.colours[colour][own.clone()]);
            let joined = join(&world, part, Axis(0), &counts, false)?;
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
        self.draw = CountDraw::new(coupling, field, beta, self.lattice.degree());
        Ok(())
    }

    fn backend_name(&self) -> String {
        format!(
            "{} ranks, each: cpu ({} threads) with a slab of the {} planes",
            self.planes.len(),
            self.threads,
            self.lattice.planes()
        )
    }
}
