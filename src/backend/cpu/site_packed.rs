//! The site-packed lattice on the CPU: each half-sweep's words split by whole rows across threads
//! (one thread, so no start and no barrier, on small lattices).

use std::ops::Range;

use super::vector_level::{VectorLevel, VectorWork};
use crate::backend::{SitePackedSampler, check_sweep_range};
use crate::error::Result;
use crate::program::Init;
use crate::update::count_draw::CountDraw;
use crate::update::site_packed::{Observables, SitePackedLattice, Slab};

/// One site-packed lattice swept on the CPU; the same draws as the GPU for a seed.
pub struct CpuSitePacked {
    lattice: SitePackedLattice,
    /// The words held: the whole lattice, or a slab with halos.
    slab: Slab,
    draw: CountDraw,
    /// Both colours' words held.
    colours: [Vec<u32>; 2],
    seed: u64,
    next_sweep: u64,
    threads: usize,
}

impl CpuSitePacked {
    /// Starts `lattice` from `init`, drawing with `seed`, on all cores (fewer where a core would get
    /// under 4096 words, 131072 sites, of each colour).
    pub fn new(lattice: &SitePackedLattice, seed: u64, init: Init) -> Result<Self> {
        Self::start(lattice, lattice.whole(), seed, init)
    }

    /// As [`CpuSitePacked::new`], holding the words of `slab` (threads as for its own words).
    pub(crate) fn start(
        lattice: &SitePackedLattice,
        slab: Slab,
        seed: u64,
        init: Init,
    ) -> Result<Self> {
        let (j, h, beta) = lattice.parameters();
        Ok(CpuSitePacked {
            draw: CountDraw::new(j, h, beta, lattice.degree()),
            colours: lattice.initial_words(&init, seed, &slab)?,
            lattice: lattice.clone(),
            threads: default_threads(slab.own().len()),
            slab,
            seed,
            next_sweep: 0,
        })
    }

    /// Uses `threads` threads (at least one, at most one a row of a colour); results do not depend on
    /// it.
    pub fn with_threads(mut self, threads: usize) -> Self {
        self.threads = threads.max(1);
        self
    }
}

/// What the slab of a lattice over MPI ranks (`distributed::cpu_slab`) drives.
#[cfg(feature = "mpi")]
impl CpuSitePacked {
    /// The words held.
    pub(crate) fn held(&self) -> &Slab {
        &self.slab
    }

    /// `colour`'s words held (lower halo, own planes, upper halo for a slab).
    pub(crate) fn held_words(&mut self, colour: usize) -> &mut [u32] {
        &mut self.colours[colour]
    }

    /// Up spins and agreeing neighbour pairs of the own words.
    pub(crate) fn counts(&self) -> (u64, u64) {
        self.lattice.count(&self.slab, &self.colours)
    }
}

/// Threads for `words` words of a colour: all cores, fewer where a core would get under
/// [`MIN_WORDS_PER_THREAD`].
fn default_threads(words: usize) -> usize {
    super::cores().min(words / MIN_WORDS_PER_THREAD).max(1)
}

/// One thread's share of a half-sweep: the words of `colour` from `first` (global), `own`, updated
/// from the other colour's words held in `slab`.
struct Part<'a> {
    lattice: &'a SitePackedLattice,
    draw: &'a CountDraw,
    slab: &'a Slab,
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
            self.slab,
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

/// The words of one colour of a sweep: what a half-sweep updates, split by whole rows over
/// `threads` threads (this one among them: no thread start with one).
struct HalfSweep<'a> {
    lattice: &'a SitePackedLattice,
    /// Its draws at the current coupling, field and beta.
    draw: &'a CountDraw,
    /// Where the words are held.
    slab: &'a Slab,
    colour: usize,
    /// The seed and sweep of its draws.
    seed_sweep: (u64, u64),
    /// The other colour's words held.
    other: &'a [u32],
    /// Threads to split the words over.
    threads: usize,
}

impl HalfSweep<'_> {
    /// Updates the words `first..first + own.len()` (global, whole rows) into `own`.
    fn update(&self, first: usize, own: &mut [u32]) {
        if own.is_empty() {
            return;
        }
        // Whole rows a thread, so that runs of a row are not cut.
        let r = self.lattice.words_per_row();
        let chunk = (own.len().div_ceil(self.threads).div_ceil(r) * r).max(1);
        let level = VectorLevel::widest();
        let mut parts = own.chunks_mut(chunk).enumerate().map(|(p, own)| Part {
            lattice: self.lattice,
            draw: self.draw,
            slab: self.slab,
            colour: self.colour,
            first: first + p * chunk,
            own,
            other: self.other,
            seed_sweep: self.seed_sweep,
        });
        let mut mine = parts.next().expect("a part of a non-empty run");
        // The others' parts on threads of their own, this one's here: one start a part and a
        // half-sweep, and no barrier with one part.
        std::thread::scope(|scope| {
            for mut part in parts {
                scope.spawn(move || level.run(&mut part));
            }
            level.run(&mut mine);
        });
    }
}

impl CpuSitePacked {
    /// Updates `colour`'s own words `words` (global, whole rows) in `sweep`.
    pub(crate) fn update(&mut self, colour: usize, sweep: u64, words: Range<usize>) {
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
        let first = self.slab.local_own().start + (words.start - self.slab.own().start);
        half.update(words.start, &mut own[first..first + words.len()]);
    }

    /// Both colours' own words (a slab's, halos left out).
    pub(crate) fn own_words(&self) -> [Vec<u32>; 2] {
        let own = self.slab.local_own();
        self.colours
            .each_ref()
            .map(|held| held[own.clone()].to_vec())
    }
}

impl SitePackedSampler for CpuSitePacked {
    fn sweep(&mut self, sweeps: u64) -> Result<()> {
        check_sweep_range(self.next_sweep, sweeps)?;
        for sweep in self.next_sweep..self.next_sweep + sweeps {
            for colour in 0..2 {
                self.update(colour, sweep, self.slab.own());
            }
        }
        self.next_sweep += sweeps;
        Ok(())
    }

    fn observables(&mut self) -> Result<Observables> {
        Ok(self.lattice.observables_of_words(&self.colours))
    }

    fn state(&mut self) -> Result<Vec<i8>> {
        Ok(self.lattice.unpack(&self.own_words()))
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
