//! The site-packed lattice on the CPU: each colour's words split across threads that stay alive for a
//! whole call and meet at a barrier after each colour.

use std::ops::Range;
use std::sync::Barrier;
use std::sync::atomic::{AtomicU32, Ordering::Relaxed};

use super::vector_level::{VectorLevel, VectorWork};
use crate::backend::{SitePackedSampler, check_sweep_range};
use crate::error::Result;
use crate::program::Init;
use crate::update::count_draw::CountDraw;
use crate::update::site_packed::{Observables, SitePackedLattice};

/// One site-packed lattice swept on the CPU; the same draws as the GPU for a seed.
pub struct CpuSitePacked {
    lattice: SitePackedLattice,
    draw: CountDraw,
    /// Both colours' words. Atomic so that threads may write their share of one colour while others
    /// read it in the next half-sweep, ordered by the barrier (relaxed loads and stores are plain
    /// moves).
    colours: [Vec<AtomicU32>; 2],
    seed: u64,
    next_sweep: u64,
    threads: usize,
}

impl CpuSitePacked {
    /// Starts `lattice` from `init`, drawing with `seed`, on all cores.
    pub fn new(lattice: &SitePackedLattice, seed: u64, init: Init) -> Result<Self> {
        let (j, h, beta) = lattice.parameters();
        Ok(CpuSitePacked {
            draw: CountDraw::new(j, h, beta, lattice.degree()),
            colours: lattice
                .initial_words(&init, seed)?
                .map(|words| words.into_iter().map(AtomicU32::new).collect()),
            lattice: lattice.clone(),
            seed,
            next_sweep: 0,
            threads: super::cores(),
        })
    }

    /// Uses at most `threads` threads (at least one); results do not depend on it.
    pub fn with_threads(mut self, threads: usize) -> Self {
        self.threads = threads.max(1);
        self
    }

    /// Both colours' words as they are now.
    fn words(&self) -> [Vec<u32>; 2] {
        self.colours
            .each_ref()
            .map(|c| c.iter().map(|w| w.load(Relaxed)).collect())
    }
}

/// One thread's share of every half-sweep of a call: words `mine` of each colour, the threads
/// meeting at `barrier` after each colour.
struct Part<'a> {
    lattice: &'a SitePackedLattice,
    draw: &'a CountDraw,
    colours: &'a [Vec<AtomicU32>; 2],
    barrier: &'a Barrier,
    mine: Range<usize>,
    seed: u64,
    sweeps: Range<u64>,
}

impl VectorWork for Part<'_> {
    #[inline(always)]
    fn run<const N: usize>(&mut self) {
        for sweep in self.sweeps.clone() {
            for colour in 0..2 {
                let (other, own) = (&self.colours[1 - colour], &self.colours[colour]);
                self.lattice.update_words::<N>(
                    self.draw,
                    colour,
                    self.mine.clone(),
                    |j| other[j].load(Relaxed),
                    |g, up| own[g].store(up, Relaxed),
                    (self.seed, sweep),
                );
                self.barrier.wait();
            }
        }
    }
}

impl SitePackedSampler for CpuSitePacked {
    fn sweep(&mut self, sweeps: u64) -> Result<()> {
        check_sweep_range(self.next_sweep, sweeps)?;
        let w = self.lattice.words_per_colour();
        let chunk = w.div_ceil(self.threads).max(1);
        let parts = w.div_ceil(chunk);
        let barrier = Barrier::new(parts);
        let (lattice, draw, seed, first) = (&self.lattice, &self.draw, self.seed, self.next_sweep);
        let (colours, barrier) = (&self.colours, &barrier);
        let level = VectorLevel::widest();
        std::thread::scope(|scope| {
            for part in 0..parts {
                let mut part = Part {
                    lattice,
                    draw,
                    colours,
                    barrier,
                    mine: part * chunk..((part + 1) * chunk).min(w),
                    seed,
                    sweeps: first..first + sweeps,
                };
                scope.spawn(move || level.run(&mut part));
            }
        });
        self.next_sweep += sweeps;
        Ok(())
    }

    fn observables(&mut self) -> Result<Observables> {
        Ok(self.lattice.observables_of_words(&self.words()))
    }

    fn state(&mut self) -> Result<Vec<i8>> {
        Ok(self.lattice.unpack(&self.words()))
    }

    fn set_parameters(&mut self, coupling: f32, field: f32, beta: f32) -> Result<()> {
        self.lattice.set_parameters(coupling, field, beta)?;
        self.draw = CountDraw::new(coupling, field, beta, self.lattice.degree());
        Ok(())
    }

    fn backend_name(&self) -> String {
        format!("cpu ({} threads)", self.threads)
    }
}
