//! [`CpuSlab`]: one rank's slab of a site-packed lattice on the CPU, for [`super::RankedSitePacked`].

use super::slab::SlabPart;
use crate::backend::HalfSweep;
use crate::error::Result;
use crate::update::count_draw::CountDraw;
use crate::update::site_packed::{SitePackedLattice, Slab};

/// A slab's words of both colours in host memory, updated by [`HalfSweep`] on `threads` threads.
pub(crate) struct CpuSlab {
    pub(crate) lattice: SitePackedLattice,
    pub(crate) draw: CountDraw,
    pub(crate) slab: Slab,
    /// Both colours' words held: lower halo, own planes, upper halo.
    pub(crate) colours: [Vec<u32>; 2],
    pub(crate) seed: u64,
    pub(crate) threads: usize,
}

impl CpuSlab {
    /// Updates the own planes `planes` (counted from the slab's first) of `colour` in `sweep`.
    fn update(&mut self, colour: usize, sweep: u64, planes: std::ops::Range<usize>) {
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
        let pw = self.slab.plane_words();
        // Local index pw is the first own word.
        let words = pw * (1 + planes.start)..pw * (1 + planes.end);
        half.update(self.slab.own().start + pw * planes.start, &mut own[words]);
    }
}

impl SlabPart for CpuSlab {
    fn boundary(
        &mut self,
        colour: usize,
        sweep: u64,
        [first, last]: [&mut [u32]; 2],
    ) -> Result<()> {
        let (n, pw) = self.slab.shape();
        self.update(colour, sweep, 0..1);
        if n > 1 {
            self.update(colour, sweep, n - 1..n);
        }
        let words = &self.colours[colour];
        first.copy_from_slice(&words[pw..2 * pw]);
        last.copy_from_slice(&words[n * pw..(n + 1) * pw]);
        Ok(())
    }

    fn interior(&mut self, colour: usize, sweep: u64) -> Result<()> {
        let n = self.slab.shape().0;
        if n > 2 {
            self.update(colour, sweep, 1..n - 1);
        }
        Ok(())
    }

    fn set_halos(&mut self, colour: usize, [lower, upper]: [&[u32]; 2]) -> Result<()> {
        let (n, pw) = self.slab.shape();
        let words = &mut self.colours[colour];
        words[..pw].copy_from_slice(lower);
        words[(n + 1) * pw..].copy_from_slice(upper);
        Ok(())
    }

    fn settle(&mut self) -> Result<()> {
        Ok(())
    }

    fn counts(&mut self) -> Result<(u64, u64)> {
        Ok(self.lattice.count(&self.slab, &self.colours))
    }

    fn own_words(&mut self) -> Result<[Vec<u32>; 2]> {
        let own = self.slab.local_own();
        Ok(self
            .colours
            .each_ref()
            .map(|held| held[own.clone()].to_vec()))
    }

    fn set_parameters(&mut self, coupling: f32, field: f32, beta: f32) -> Result<()> {
        self.lattice.set_parameters(coupling, field, beta)?;
        self.draw = CountDraw::new(coupling, field, beta, self.lattice.degree());
        Ok(())
    }

    fn name(&self) -> String {
        format!("cpu ({} threads)", self.threads)
    }
}
