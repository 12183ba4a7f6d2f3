// Moment counts at a sample point: per chain, +1 spins per node and agreeing ends per edge.
// One invocation per (item, word), items = nodes then edges; each owns its 32 counters, so no atomics.
// Needs common.wgsl.

@group(0) @binding(1) var<storage, read> spins: array<u32>;
@group(0) @binding(2) var<storage, read> edges: array<vec2<u32>>;
@group(0) @binding(3) var<storage, read_write> counts: array<u32>;   // [item][chain of the group]

@compute @workgroup_size(WORKGROUP_SIZE)
fn count(
    @builtin(workgroup_id) wg: vec3<u32>,
    @builtin(num_workgroups) num_wg: vec3<u32>,
    @builtin(local_invocation_index) local: u32,
) {
    let idx = linear_index(wg, num_wg, local);
    if (idx >= (p.n_nodes + p.n_edges) * p.words) {
        return;
    }
    let item = idx / p.words;
    let w = idx % p.words;
    var word: u32;
    if (item < p.n_nodes) {
        word = spins[item * p.words + w];
    } else {
        let e = edges[item - p.n_nodes];
        word = ~(spins[e.x * p.words + w] ^ spins[e.y * p.words + w]);
    }
    word &= lane_mask(p.word_offset + w, p.chains);
    let base = item * p.group_chains + 32u * w;
    for (var l = 0u; l < 32u; l += 1u) {
        if (((word >> l) & 1u) == 1u) {
            counts[base + l] += 1u;
        }
    }
}
