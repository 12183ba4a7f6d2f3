//! One rank's slab of a site-packed lattice on the CPU ([`CpuSitePacked`] holding the slab), for
//! [`super::RankedSitePacked`].

use super::slab::SlabPart;
use crate::backend::{CpuSitePacked, SitePackedSampler};
use crate::error::Result;

impl SlabPart for CpuSitePacked {
    fn boundary(
        &mut self,
        colour: usize,
        sweep: u64,
        [first, last]: [&mut [u32]; 2],
    ) -> Result<()> {
        let own = self.held().own();
        let (n, pw) = self.held().shape();
        self.update(colour, sweep, own.start..own.start + pw);
        if n > 1 {
            self.update(colour, sweep, own.end - pw..own.end);
        }
        // The own planes start at local index pw: the first at pw, the last at n pw.
        let words = self.held_words(colour);
        first.copy_from_slice(&words[pw..2 * pw]);
        last.copy_from_slice(&words[n * pw..(n + 1) * pw]);
        Ok(())
    }

    fn interior(&mut self, colour: usize, sweep: u64) -> Result<()> {
        let own = self.held().own();
        let (n, pw) = self.held().shape();
        if n > 2 {
            self.update(colour, sweep, own.start + pw..own.end - pw);
        }
        Ok(())
    }

    fn set_halos(&mut self, colour: usize, [lower, upper]: [&[u32]; 2]) -> Result<()> {
        let (n, pw) = self.held().shape();
        let words = self.held_words(colour);
        words[..pw].copy_from_slice(lower);
        words[(n + 1) * pw..].copy_from_slice(upper);
        Ok(())
    }

    fn settle(&mut self) -> Result<()> {
        Ok(())
    }

    fn counts(&mut self) -> Result<(u64, u64)> {
        Ok(CpuSitePacked::counts(self))
    }

    fn own_words(&mut self) -> Result<[Vec<u32>; 2]> {
        Ok(CpuSitePacked::own_words(self))
    }

    fn set_parameters(&mut self, coupling: f32, field: f32, beta: f32) -> Result<()> {
        SitePackedSampler::set_parameters(self, coupling, field, beta)
    }

    fn name(&self) -> String {
        self.backend_name()
    }
}
