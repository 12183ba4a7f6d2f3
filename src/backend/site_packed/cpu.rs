//! The site-packed lattice on the CPU: each colour's words split across threads.

use super::{Observables, SITE_PACKED_WORD, SitePackedInit, SitePackedLattice, SitePackedSampler};
use crate::backend::count_draw::CountDraw;
use crate::error::{Error, Result};
use crate::rng::MAX_SWEEP;

/// One site-packed lattice swept on the CPU; the same draws as the GPU for a seed.
pub struct CpuSitePacked {
    lattice: SitePackedLattice,
    draw: CountDraw,
    colours: [Vec<u32>; 2],
    seed: u64,
    next_sweep: u64,
    threads: usize,
}

impl CpuSitePacked {
    /// Starts `lattice` from `init`, drawing with `seed`, on all cores.
    pub fn new(lattice: &SitePackedLattice, seed: u64, init: SitePackedInit) -> Result<Self> {
        let (j, h, beta) = lattice.parameters();
        Ok(CpuSitePacked {
            draw: CountDraw::new(j, h, beta, lattice.degree()),
            colours: lattice.initial_words(init, seed),
            lattice: lattice.clone(),
            seed,
            next_sweep: 0,
            threads: std::thread::available_parallelism().map_or(1, usize::from),
        })
    }

    /// Uses at most `threads` threads (at least one); results do not depend on it.
    pub fn with_threads(mut self, threads: usize) -> Self {
        self.threads = threads.max(1);
        self
    }

    /// Updates every word of `colour` in `sweep`.
    fn update_colour(&mut self, colour: usize, sweep: u64) {
        let w = self.lattice.words_per_colour();
        let [even, odd] = &mut self.colours;
        let (mine, other) = if colour == 0 {
            (even, &*odd)
        } else {
            (odd, &*even)
        };
        let chunk = w.div_ceil(self.threads).max(1);
        let (lattice, draw, seed) = (&self.lattice, &self.draw, self.seed);
        std::thread::scope(|scope| {
            for (part, words) in mine.chunks_mut(chunk).enumerate() {
                scope.spawn(move || {
                    for (offset, word) in words.iter_mut().enumerate() {
                        let g = part * chunk + offset;
                        let neighbours = lattice.neighbour_words(colour, g, other);
                        let node = (colour * w + g) as u32;
                        *word = draw.draw(
                            (seed, sweep),
                            node,
                            SITE_PACKED_WORD,
                            neighbours[..lattice.degree()].iter().copied(),
                        );
                    }
                });
            }
        });
    }
}

impl SitePackedSampler for CpuSitePacked {
    fn sweep(&mut self, sweeps: u64) -> Result<()> {
        let last = self.next_sweep.checked_add(sweeps);
        if last.is_none_or(|l| l > MAX_SWEEP) {
            return Err(Error::invalid("sweeps", "the sweep count would pass 2^59"));
        }
        for _ in 0..sweeps {
            for colour in 0..2 {
                self.update_colour(colour, self.next_sweep);
            }
            self.next_sweep += 1;
        }
        Ok(())
    }

    fn observables(&mut self) -> Result<Observables> {
        Ok(self.lattice.observables_of_words(&self.colours))
    }

    fn spins(&mut self) -> Result<Vec<i8>> {
        Ok(self.lattice.unpack(&self.colours))
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
