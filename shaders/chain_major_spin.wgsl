// The spin of (node, chain) in a chain-major spin buffer of ising-wgpu (`GpuSampler::spin_buffers`),
// read where it lies, without read-back. Declare the buffer in the module that includes this:
//     @group(G) @binding(B) var<storage, read> ising_spins: array<u32>;
// Node i's words are ising_spins[i * words_per_node ..][.. words_per_node]; bit b of word w is chain
// 32 w + b of the chain group (global chain `ChainMajorSpins::first_chain` + 32 w + b), 1 for +1.
fn ising_spin(node: u32, chain: u32, words_per_node: u32) -> i32 {
    let word = ising_spins[node * words_per_node + chain / 32u];
    return select(-1, 1, ((word >> (chain % 32u)) & 1u) == 1u);
}
