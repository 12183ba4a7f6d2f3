// The spin of site (x, y, z) of an lx x ly (x lz) site-packed lattice of ising-wgpu
// (`GpuSitePacked::spin_buffers`), read where it lies, without read-back. Declare both colours'
// buffers in the module that includes this:
//     @group(G) @binding(B0) var<storage, read> ising_even: array<u32>;
//     @group(G) @binding(B1) var<storage, read> ising_odd: array<u32>;
// Site (x, y, z) has colour (x + y + z) % 2; in its colour's buffer, row y + ly z holds lx / 64 words,
// and bit b of word k of a row is the site with x / 2 = 32 k + b; 1 for +1.
fn ising_site_spin(x: u32, y: u32, z: u32, lx: u32, ly: u32) -> i32 {
    let half = x / 2u;
    let index = (y + ly * z) * (lx / 64u) + half / 32u;
    var word: u32;
    if (((x + y + z) & 1u) == 0u) {
        word = ising_even[index];
    } else {
        word = ising_odd[index];
    }
    return select(-1, 1, ((word >> (half % 32u)) & 1u) == 1u);
}
