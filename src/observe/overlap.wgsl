// The replica overlap of chain pairs (2p, 2p + 1) at a sample point: one invocation per word of the
// group, the sites where lanes 2l and 2l + 1 disagree counted over every node, written to sample slot
// `p.slot` (`[slot][pair of the group]`). The host twin is `OverlapObserver` in overlap.rs beside it.
// Needs common.wgsl.

@group(0) @binding(1) var<storage, read> spins: array<u32>;
@group(0) @binding(2) var<storage, read_write> out: array<u32>; // [slot][pair of the group]: disagreements

@compute @workgroup_size(WORKGROUP_SIZE)
fn overlap(
    @builtin(workgroup_id) wg: vec3<u32>,
    @builtin(num_workgroups) num_wg: vec3<u32>,
    @builtin(local_invocation_index) local: u32,
) {
    let w = linear_index(wg, num_wg, local);
    if (w >= p.words) {
        return;
    }
    var d: array<u32, 16>;
    for (var i = 0u; i < p.n_nodes; i += 1u) {
        let word = spins[i * p.words + w];
        let x = word ^ (word >> 1u);
        for (var l = 0u; l < 16u; l += 1u) {
            d[l] += (x >> (2u * l)) & 1u;
        }
    }
    let pairs = p.group_chains / 2u;
    for (var l = 0u; l < 16u; l += 1u) {
        let pair = 16u * w + l;
        if (pair < pairs) {
            out[p.slot * pairs + pair] = d[l];
        }
    }
}
