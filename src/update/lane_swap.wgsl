// Tempering's replica swaps: one invocation per (node, swap), the swap's lanes of its two words
// exchanged (`swap_lanes` in lane_exchange.rs is the host twin). Words are the group's own; the host
// checks that no word is in two swaps, so invocations never touch the same word. Needs common.wgsl.

@group(0) @binding(1) var<storage, read_write> spins: array<u32>;
@group(0) @binding(2) var<storage, read> swaps: array<vec4<u32>>; // (word a, word b, lanes, unused)

@compute @workgroup_size(WORKGROUP_SIZE)
fn lane_swap(
    @builtin(workgroup_id) wg: vec3<u32>,
    @builtin(num_workgroups) num_wg: vec3<u32>,
    @builtin(local_invocation_index) local: u32,
) {
    let idx = linear_index(wg, num_wg, local);
    if (idx >= p.n_nodes * p.n_obs) {
        return;
    }
    let node = idx / p.n_obs;
    let s = swaps[idx % p.n_obs];
    let a = node * p.words + s.x;
    let b = node * p.words + s.y;
    let d = (spins[a] ^ spins[b]) & s.z;
    spins[a] = spins[a] ^ d;
    spins[b] = spins[b] ^ d;
}
