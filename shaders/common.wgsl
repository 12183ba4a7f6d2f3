// Shared by every sampler kernel: the per-dispatch parameters (one 256-byte slot of a uniform buffer,
// chosen by dynamic offset), the folded dispatch index and the mask of real chains in a word. The
// constants the host shares with the kernels (counter layout, modes, tile shape) come before this
// file, written from their Rust definitions (`shaders::shared_constants`).

struct Params {
    mode: u32,          // general: MODE_UPDATE, MODE_HINTON or MODE_UNIFORM
    block_offset: u32,  // first entry of the block in `block_nodes`; site-packed: first word updated
    block_len: u32,     // nodes in the block; site-packed: words updated
    words: u32,         // words per node in this chain group's spin buffer
    word_offset: u32,   // global index of the group's first word; site-packed: of the first word held
    chains: u32,        // total chains
    sweep_lo: u32,
    sweep_hi: u32,
    seed_lo: u32,
    seed_hi: u32,
    n_nodes: u32,
    n_edges: u32,
    group_chains: u32,  // chains held by this group
    slot: u32,          // gather: sample slot in the output buffer
    n_obs: u32,         // gather: observed nodes
    adj_split: u32,     // general: CSR entries in `adj`; the rest are in `adj_hi`
    colour: u32,        // lattice: which checkerboard colour (block) is updated
    lx: u32,            // lattice: sides; lz = 1 in 2D
    ly: u32,
    lz: u32,
    // lattice: floor((2^32 - 1) / d) of d = words, lx / 2 and ly, for `div_mod`
    words_reciprocal: u32,
    half_reciprocal: u32,
    ly_reciprocal: u32,
    slab_words: u32,    // site-packed: words of each colour in its first binding; the rest in the second
    tables_in_buffer: u32, // lattice: 1 when the plane tables come from `field_tables` (several fields or betas); the host picks the pipeline by it
    planes: u32,        // count: bit planes of each counter
    words_per_beta: u32, // general, lattice: words of 32 chains per temperature group
    n_fields: u32,      // lattice: distinct fields (plane tables per temperature group)
    beta_groups: u32,   // general: temperature groups; with one, every chain's beta is `beta`
    beta: f32,
    signed_bonds: u32,  // lattice: 1 when some bonds are -J (their sign bits in `bond_signs`)
    halos: u32,         // site-packed: 1 when the words held are a slab with a halo plane either side
    // lattice: bytes 0..24 of `LatticeUpdate::plane_tables`, four to a word, low byte first
    plane_tables_lo: vec4<u32>,
    plane_tables_hi: vec4<u32>,
}

@group(0) @binding(0) var<uniform> p: Params;

// Invocations per workgroup, set by the host when it builds the pipelines (`PlanLimits::workgroup_size`);
// results do not depend on it.
override WORKGROUP_SIZE: u32 = 64u;

// Linear invocation index of a dispatch folded into (x, y) workgroups when it exceeds the
// per-dimension limit.
fn linear_index(wg: vec3<u32>, num_wg: vec3<u32>, local: u32) -> u32 {
    return (wg.y * num_wg.x + wg.x) * WORKGROUP_SIZE + local;
}

// Bits of global word `gw` that belong to real chains.
fn lane_mask(gw: u32, chains: u32) -> u32 {
    let first = 32u * gw;
    if (chains >= first + 32u) {
        return 0xffffffffu;
    }
    if (chains <= first) {
        return 0u;
    }
    return (1u << (chains - first)) - 1u;
}
