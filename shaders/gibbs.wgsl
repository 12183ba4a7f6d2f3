// One block Gibbs update (mode 0) or initial draw (modes 1, 2) per (node of the block, 32-chain word).
// Needs common.wgsl and philox.wgsl. The host twin is `SweepKernel` in src/backend/sweep.rs.

@group(0) @binding(1) var<storage, read_write> spins: array<u32>;
@group(0) @binding(2) var<storage, read> row_ptr: array<u32>;
@group(0) @binding(3) var<storage, read> adj: array<vec2<u32>>;   // (neighbour, weight bits)
@group(0) @binding(4) var<storage, read> biases: array<f32>;
@group(0) @binding(5) var<storage, read> block_nodes: array<u32>;
@group(0) @binding(6) var<storage, read> adj_hi: array<vec2<u32>>;   // entries past p.adj_split

// CSR entry k, from whichever of the two adjacency bindings holds it.
fn adjacency(k: u32) -> vec2<u32> {
    if (k < p.adj_split) {
        return adj[k];
    }
    return adj_hi[k - p.adj_split];
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn gibbs(
    @builtin(workgroup_id) wg: vec3<u32>,
    @builtin(num_workgroups) num_wg: vec3<u32>,
    @builtin(local_invocation_index) local: u32,
) {
    let idx = linear_index(wg, num_wg, local);
    if (idx >= p.block_len * p.words) {
        return;
    }
    let node = block_nodes[p.block_offset + idx / p.words];
    let w = idx % p.words;
    let gw = p.word_offset + w;
    var t: array<u32, 32>;
    var purpose = 0u;
    if (p.mode == 0u) {
        var field: array<f32, 32>;
        let b = biases[node];
        for (var l = 0u; l < 32u; l += 1u) {
            field[l] = b;
        }
        for (var k = row_ptr[node]; k < row_ptr[node + 1u]; k += 1u) {
            let entry = adjacency(k);
            let word = spins[entry.x * p.words + w];
            let j = bitcast<f32>(entry.y);
            for (var l = 0u; l < 32u; l += 1u) {
                field[l] += select(-j, j, ((word >> l) & 1u) == 1u);
            }
        }
        let two_beta = 2.0 * p.beta;
        for (var l = 0u; l < 32u; l += 1u) {
            t[l] = threshold(sigmoid(two_beta * field[l]));
        }
    } else {
        purpose = 1u;
        var q = 0.5;
        if (p.mode == 1u) {
            q = sigmoid(p.beta * biases[node]);
        }
        for (var l = 0u; l < 32u; l += 1u) {
            t[l] = threshold(q);
        }
    }
    let key = vec2<u32>(p.seed_lo, p.seed_hi);
    let tag = (p.sweep_hi << 5u) | (purpose << 3u);
    let out = bernoulli_word(vec4<u32>(node, gw, p.sweep_lo, tag), key, &t);
    spins[node * p.words + w] = out & lane_mask(gw, p.chains);
}
