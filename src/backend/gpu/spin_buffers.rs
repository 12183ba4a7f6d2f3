//! The GPU samplers' spin and observable buffers as an application sees them, with their layouts and
//! the WGSL snippets that read a spin where it lies.

/// WGSL: `fn ising_spin(node, chain, words_per_node) -> i32` (-1 or +1) over a chain-major spin
/// buffer the including module declares as `ising_spins` ([`ChainMajorSpins`] gives the layout).
pub const CHAIN_MAJOR_SPIN_WGSL: &str = include_str!("../../../shaders/chain_major_spin.wgsl");

/// WGSL: `fn ising_site_spin(x, y, z, lx, ly) -> i32` (-1 or +1) over a site-packed lattice's colour
/// buffers, which the including module declares as `ising_even` and `ising_odd`
/// ([`SitePackedSpins`] gives the layout).
pub const SITE_PACKED_SPIN_WGSL: &str = include_str!("../../../shaders/site_packed_spin.wgsl");

/// One chain group's spins on the device ([`crate::GpuSampler::spin_buffers`]): node-major,
/// `words_per_node` `u32` words a node, bit `b` of word `w` the spin of chain `first_chain + 32 w +
/// b` (1 for +1). Read on the device with [`CHAIN_MAJOR_SPIN_WGSL`].
#[derive(Clone, Copy, Debug)]
pub struct ChainMajorSpins<'a> {
    /// The storage buffer (`STORAGE | COPY_SRC | COPY_DST`), `num_nodes * words_per_node` words.
    pub buffer: &'a wgpu::Buffer,
    /// The global index of the group's first chain.
    pub first_chain: usize,
    /// Chains of the group (the bits past them in its last word are zero).
    pub chains: usize,
    /// Words of each node.
    pub words_per_node: usize,
    /// Nodes of the model.
    pub num_nodes: usize,
}

/// A site-packed lattice's spins on the device ([`crate::GpuSitePacked::spin_buffers`]): one buffer
/// per colour (site `(x, y, z)` has colour `(x + y + z) % 2`), rows `y + ly z` of `lx / 64` words,
/// bit `b` of word `k` the site with `x / 2 = 32 k + b` (1 for +1). Read on the device with
/// [`SITE_PACKED_SPIN_WGSL`].
#[derive(Clone, Copy, Debug)]
pub struct SitePackedSpins<'a> {
    /// Colour 0's and colour 1's words (`STORAGE | COPY_SRC | COPY_DST`).
    pub colours: [&'a wgpu::Buffer; 2],
    /// Sides `[lx, ly, lz]`, `lz = 1` for a square lattice.
    pub sides: [u32; 3],
    /// Words of each colour.
    pub words_per_colour: usize,
}

/// One chain group's energies and up counts on the device ([`crate::GpuSampler::record_energy`]):
/// the group's chain `c` (global chain `first_chain + c`) at words `2 c` (`H(s) = -(sum b s + sum J s
/// s)` without beta, as `f32` bits) and `2 c + 1` (spins at +1, so the magnetisation is `2 ups -
/// num_nodes`), the very values [`crate::EnergyTrace`] holds.
#[derive(Clone, Copy, Debug)]
pub struct EnergyBuffer<'a> {
    /// The storage buffer (`STORAGE | COPY_SRC`), `2 * chains` words.
    pub buffer: &'a wgpu::Buffer,
    /// The global index of the group's first chain.
    pub first_chain: usize,
    /// Chains of the group.
    pub chains: usize,
}

/// A site-packed lattice's measurement on the device ([`crate::GpuSitePacked::record_observables`]):
/// `pairs` pairs of words, each a workgroup's up spins and agreeing neighbour pairs; their sums give
/// [`crate::SitePackedLattice::observables_of`].
#[derive(Clone, Copy, Debug)]
pub struct SitePackedCounts<'a> {
    /// The storage buffer (`STORAGE | COPY_SRC`), `2 * pairs` words.
    pub buffer: &'a wgpu::Buffer,
    /// Workgroups of the measurement.
    pub pairs: usize,
}
