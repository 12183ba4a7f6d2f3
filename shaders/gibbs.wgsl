// One block Gibbs update (mode 0) or initial draw (modes 1, 2) per (node of the block, 32-chain word).
// Needs common.wgsl and philox.wgsl. The host twin is `SweepKernel` in src/backend/sweep.rs.
//
// The lines between `//#unroll 32` and `//#end` are written out by the host once per chain L = 0..31 of
// the word, with `#L` replaced by L (`shaders::unroll`), so that per-chain values live in registers:
// CPU drivers such as lavapipe turn arrays indexed at run time into per-lane loads and stores. For the
// same reason nothing returns early: after a return every store is masked lane by lane there.

@group(0) @binding(1) var<storage, read_write> spins: array<u32>;
@group(0) @binding(2) var<storage, read> row_ptr: array<u32>;
@group(0) @binding(3) var<storage, read> adj: array<vec2<u32>>;   // (neighbour, weight bits)
@group(0) @binding(4) var<storage, read> biases: array<f32>;
@group(0) @binding(5) var<storage, read> block_nodes: array<u32>;
@group(0) @binding(6) var<storage, read> adj_hi: array<vec2<u32>>;   // entries past p.adj_split

// Whether the CSR continues in `adj_hi` (set by the host): without, the loop reads one binding.
override SPLIT_ADJACENCY: bool = true;

// CSR entry k, from whichever of the two adjacency bindings holds it.
fn adjacency(k: u32) -> vec2<u32> {
    if (SPLIT_ADJACENCY && k >= p.adj_split) {
        return adj_hi[k - p.adj_split];
    }
    return adj[k];
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn gibbs(
    @builtin(workgroup_id) wg: vec3<u32>,
    @builtin(num_workgroups) num_wg: vec3<u32>,
    @builtin(local_invocation_index) local: u32,
) {
    let index = linear_index(wg, num_wg, local);
    let in_block = index < p.block_len * p.words;
    // Invocations past the block work on its first item and store nothing.
    let idx = select(0u, index, in_block);
    let node = block_nodes[p.block_offset + idx / p.words];
    let w = idx % p.words;
    let gw = p.word_offset + w;
    let bias = biases[node];
    let update = p.mode == 0u;

    // Field of each chain: bias plus +-J per neighbour, in CSR order.
    //#unroll 32
    var field#L = bias;
    //#end
    if (update) {
        for (var k = row_ptr[node]; k < row_ptr[node + 1u]; k += 1u) {
            let entry = adjacency(k);
            let word = spins[entry.x * p.words + w];
            let j = bitcast<f32>(entry.y);
            //#unroll 32
            field#L += select(-j, j, ((word >> #Lu) & 1u) == 1u);
            //#end
        }
    }
    let two_beta = 2.0 * p.beta;
    // Initial draws: P(up) = sigmoid(beta * bias) (hinton) or 1/2 (uniform).
    let init_threshold = select(threshold(sigmoid(p.beta * bias)), threshold(0.5), p.mode == 2u);

    // As `rng::bernoulli_word`: the top byte of each chain's 24-bit uniform, from calls 0 and 1,
    // decides all chains but those whose byte ties with the threshold's; they compare their low
    // 16 bits, from calls 2..6.
    let key = vec2<u32>(p.seed_lo, p.seed_hi);
    let tag = (p.sweep_hi << 5u) | (select(1u, 0u, update) << 3u);
    let counter = vec4<u32>(node, gw, p.sweep_lo, tag);
    let high0 = philox4x32_10(counter, key);
    let high1 = philox4x32_10(counter + vec4<u32>(0u, 0u, 0u, 1u), key);
    var up = 0u;
    var tie = 0u;
    var low_threshold: array<u32, 32>;
    //#unroll 32
    let t#L = select(init_threshold, threshold(sigmoid(two_beta * field#L)), update);
    let byte#L = (select(high0, high1, #Lu >= 16u)[(#Lu % 16u) / 4u] >> (8u * (#Lu % 4u))) & 0xffu;
    up |= select(0u, 1u << #Lu, byte#L < (t#L >> 16u));
    tie |= select(0u, 1u << #Lu, byte#L == (t#L >> 16u));
    low_threshold[#L] = t#L & 0xffffu;
    //#end
    while (tie != 0u) {
        let l = firstTrailingBit(tie);
        let low_call = philox4x32_10(counter + vec4<u32>(0u, 0u, 0u, 2u + l / 8u), key);
        let low = (low_call[(l % 8u) / 2u] >> (16u * (l % 2u))) & 0xffffu;
        up |= select(0u, 1u << l, low < low_threshold[l]);
        tie &= tie - 1u;
    }
    if (in_block) {
        spins[node * p.words + w] = up & lane_mask(gw, p.chains);
    }
}
