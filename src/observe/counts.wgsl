// Moment counts at a sample point: per chain, +1 spins per node and agreeing ends per edge, in bit
// planes (as `PlaneCounters` on the host): plane q of an (item, word) holds bit q of its 32 chains'
// counts, so a sample is a ripple-carry add of the word into a few planes instead of 32 additions.
// One invocation per (item, word), items = nodes then edges; each owns its planes, so no atomics.
// Needs common.wgsl.

@group(0) @binding(1) var<storage, read> spins: array<u32>;
@group(0) @binding(2) var<storage, read> edges: array<vec2<u32>>;
@group(0) @binding(3) var<storage, read_write> planes: array<u32>;   // [item][plane][word of the group]

@compute @workgroup_size(WORKGROUP_SIZE)
fn counts(
    @builtin(workgroup_id) wg: vec3<u32>,
    @builtin(num_workgroups) num_wg: vec3<u32>,
    @builtin(local_invocation_index) local: u32,
) {
    let index = linear_index(wg, num_wg, local);
    let in_range = index < (p.n_nodes + p.n_edges) * p.words;
    // Invocations past the items count nothing (see general.wgsl on early returns).
    let idx = select(0u, index, in_range);
    let item = idx / p.words;
    let w = idx % p.words;
    let is_node = item < p.n_nodes;
    let e = edges[select(item - p.n_nodes, 0u, is_node)];
    let own = spins[select(e.x, item, is_node) * p.words + w];
    let other = spins[e.y * p.words + w];
    var carry = select(~(own ^ other), own, is_node) & lane_mask(p.word_offset + w, p.chains);
    if (in_range) {
        for (var q = 0u; q < p.planes && carry != 0u; q += 1u) {
            let at = (item * p.planes + q) * p.words + w;
            let plane = planes[at];
            planes[at] = plane ^ carry;
            carry = plane & carry;
        }
    }
}
