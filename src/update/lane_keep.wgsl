// Annealing's best states: one invocation per (node, word) of the group, the lanes of the word's mask
// copied from the spins into the kept copy (`keep_lanes` in lane_exchange.rs is the host twin).
// Needs common.wgsl.

@group(0) @binding(1) var<storage, read> spins: array<u32>;
@group(0) @binding(2) var<storage, read> masks: array<u32>; // one per word of the group
@group(0) @binding(3) var<storage, read_write> kept: array<u32>;

@compute @workgroup_size(WORKGROUP_SIZE)
fn lane_keep(
    @builtin(workgroup_id) wg: vec3<u32>,
    @builtin(num_workgroups) num_wg: vec3<u32>,
    @builtin(local_invocation_index) local: u32,
) {
    let idx = linear_index(wg, num_wg, local);
    if (idx >= p.n_nodes * p.words) {
        return;
    }
    let m = masks[idx % p.words];
    kept[idx] = (kept[idx] & ~m) | (spins[idx] & m);
}
