//! The site-packed lattice on the CPU: each half-sweep's words split by whole rows across threads
//! (one thread, so no start and no barrier, on small lattices).

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
    /// Both colours' words.
    colours: [Vec<u32>; 2],
    seed: u64,
    next_sweep: u64,
    threads: usize,
}

impl CpuSitePacked {
    /// Starts `lattice` from `init`, drawing with `seed`, on all cores (fewer where a core would get
    /// under 4096 words, 131072 sites, of each colour).
    pub fn new(lattice: &SitePackedLattice, seed: u64, init: Init) -> Result<Self> {
        let (j, h, beta) = lattice.parameters();
        Ok(CpuSitePacked {
            draw: CountDraw::new(j, h, beta, lattice.degree()),
            colours: lattice.initial_words(&init, seed)?,
            lattice: lattice.clone(),
            seed,
            next_sweep: 0,
            threads: super::cores()
                .min(lattice.words_per_colour() / MIN_WORDS_PER_THREAD)
                .max(1),
        })
    }

    /// Uses `threads` threads (at least one, at most one a row of a colour); results do not depend on
    /// it.
    pub fn with_threads(mut self, threads: usize) -> Self {
        self.threads = threads.max(1);
        self
    }
}

/// One thread's share of a half-sweep: the words of `colour` from `first`, `own`, updated from the
/// other colour's words.
struct Part<'a> {
    lattice: &'a SitePackedLattice,
    draw: &'a CountDraw,
    colour: usize,
    first: usize,
    own: &'a mut [u32],
    other: &'a [u32],
    seed_sweep: (u64, u64),
}

impl VectorWork for Part<'_> {
    #[inline(always)]
    fn run<const N: usize>(&mut self) {
        let (first, own) = (self.first, &mut *self.own);
        self.lattice.update_words::<N>(
            self.draw,
            self.colour,
            first..first + own.len(),
            self.other,
            |g, up| own[g - first] = up,
            self.seed_sweep,
        );
    }
}

/// Fewest words of a colour a thread takes unless told otherwise: below it, starting a thread costs
/// more than its share of a half-sweep saves.
const MIN_WORDS_PER_THREAD: usize = 4096;

impl SitePackedSampler for CpuSitePacked {
    fn sweep(&mut self, sweeps: u64) -> Result<()> {
        check_sweep_range(self.next_sweep, sweeps)?;
        let CpuSitePacked {
            lattice,
            draw,
            colours,
            seed,
            next_sweep,
            threads,
        } = self;
        let w = lattice.words_per_colour();
        // Whole rows a thread, so that runs of a row are not cut.
        let r = lattice.words_per_row();
        let chunk = (w.div_ceil(*threads).div_ceil(r) * r).max(1);
        let level = VectorLevel::widest();
        for sweep in *next_sweep..*next_sweep + sweeps {
            for colour in 0..2 {
                let [even, odd] = &mut *colours;
                let (own, other) = if colour == 0 {
                    (even, &*odd)
                } else {
                    (odd, &*even)
                };
                let mut parts = own.chunks_mut(chunk).enumerate().map(|(p, own)| Part {
                    lattice,
                    draw,
                    colour,
                    first: p * chunk,
                    own,
                    other,
                    seed_sweep: (*seed, sweep),
                });
                let mut mine = parts.next().expect("a colour has words");
                // The others' parts on threads of their own, this one's here: one start a part
                // and a half-sweep, and no barrier with one part.
                std::thread::scope(|scope| {
                    for mut part in parts {
                        scope.spawn(move || level.run(&mut part));
                    }
                    level.run(&mut mine);
                });
            }
        }
        *next_sweep += sweeps;
        Ok(())
    }

    fn observables(&mut self) -> Result<Observables> {
        Ok(self.lattice.observables_of_words(&self.colours))
    }

    fn state(&mut self) -> Result<Vec<i8>> {
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
