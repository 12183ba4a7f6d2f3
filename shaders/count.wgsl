// Moment counts at a sample point: per chain, +1 spins per node and agreeing ends per edge.
// One invocation per (item, word), items = nodes then edges; each owns its word's counters (fewer than
// 32 in a group's partial last word), so no atomics.
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
    let index = linear_index(wg, num_wg, local);
    let in_range = index < (p.n_nodes + p.n_edges) * p.words;
    // Invocations past the items count nothing (see gibbs.wgsl on early returns).
    let idx = select(0u, index, in_range);
    let item = idx / p.words;
    let w = idx % p.words;
    let is_node = item < p.n_nodes;
    let e = edges[select(item - p.n_nodes, 0u, is_node)];
    let own = spins[select(e.x, item, is_node) * p.words + w];
    let other = spins[e.y * p.words + w];
    let word = select(~(own ^ other), own, is_node) & lane_mask(p.word_offset + w, p.chains);
    let base = item * p.group_chains + 32u * w;
    // Counters past the group's last chain belong to the next item: a partial word stops before them.
    if (in_range && 32u * (w + 1u) <= p.group_chains) {
        //#unroll 32
        counts[base + #Lu] += (word >> #Lu) & 1u;
        //#end
    } else if (in_range) {
        for (var l = 0u; 32u * w + l < p.group_chains; l += 1u) {
            counts[base + l] += (word >> l) & 1u;
        }
    }
}
