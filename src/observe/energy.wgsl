// Energy and up spins of every chain at a sample point, in two passes (the host twin is
// `EnergyObserver` in energy.rs beside it, sum for sum). `energy_partials`: one invocation per (chunk
// of ENERGY_CHUNK items, word of the group), items = nodes then edges, each lane's terms
// `select(-v, v, bit)` summed from zero in item order (v = the bias of a node, whose bit is its spin;
// or the weight of an edge, whose bit says its ends agree), and its node items' up spins counted.
// `energy_totals`: one invocation per chain of the group, the chunks' partial sums added in chunk order,
// `-total` and the up count written to sample slot `p.slot`. Needs common.wgsl.

@group(0) @binding(1) var<storage, read> spins: array<u32>;
@group(0) @binding(2) var<storage, read> edges: array<vec2<u32>>;
@group(0) @binding(3) var<storage, read> weights: array<f32>;
@group(0) @binding(4) var<storage, read> biases: array<f32>;
@group(0) @binding(5) var<storage, read_write> partials: array<vec2<u32>>; // [chunk][word][lane]: (sum bits, ups)
@group(0) @binding(6) var<storage, read_write> out: array<vec2<u32>>;      // [slot][chain of the group]: (energy bits, ups)

fn chunks() -> u32 {
    return (p.n_nodes + p.n_edges + ENERGY_CHUNK - 1u) / ENERGY_CHUNK;
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn energy_partials(
    @builtin(workgroup_id) wg: vec3<u32>,
    @builtin(num_workgroups) num_wg: vec3<u32>,
    @builtin(local_invocation_index) local: u32,
) {
    let index = linear_index(wg, num_wg, local);
    let in_range = index < chunks() * p.words;
    // Invocations past the chunks sum the first one and store nothing (see general.wgsl on early returns).
    let idx = select(0u, index, in_range);
    let chunk = idx / p.words;
    let w = idx % p.words;
    let items = p.n_nodes + p.n_edges;
    let end = min((chunk + 1u) * ENERGY_CHUNK, items);
    //#unroll 32
    var sum#L = 0.0;
    var ups#L = 0u;
    //#end
    for (var item = chunk * ENERGY_CHUNK; item < end; item += 1u) {
        let is_node = item < p.n_nodes;
        let e = edges[select(item - p.n_nodes, 0u, is_node)];
        let own = spins[select(e.x, item, is_node) * p.words + w];
        let other = spins[e.y * p.words + w];
        let bits = select(~(own ^ other), own, is_node);
        let v = select(weights[select(item - p.n_nodes, 0u, is_node)], biases[select(0u, item, is_node)], is_node);
        let node_bits = select(0u, own, is_node);
        //#unroll 32
        sum#L += select(-v, v, ((bits >> #Lu) & 1u) == 1u);
        ups#L += (node_bits >> #Lu) & 1u;
        //#end
    }
    if (in_range) {
        let base = (chunk * p.words + w) * 32u;
        //#unroll 32
        partials[base + #Lu] = vec2<u32>(bitcast<u32>(sum#L), ups#L);
        //#end
    }
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn energy_totals(
    @builtin(workgroup_id) wg: vec3<u32>,
    @builtin(num_workgroups) num_wg: vec3<u32>,
    @builtin(local_invocation_index) local: u32,
) {
    let c = linear_index(wg, num_wg, local);
    if (c >= p.group_chains) {
        return;
    }
    let w = c / 32u;
    let lane = c % 32u;
    var total = 0.0;
    var ups = 0u;
    for (var k = 0u; k < chunks(); k += 1u) {
        let partial = partials[(k * p.words + w) * 32u + lane];
        total += bitcast<f32>(partial.x);
        ups += partial.y;
    }
    out[p.slot * p.group_chains + c] = vec2<u32>(bitcast<u32>(-total), ups);
}
