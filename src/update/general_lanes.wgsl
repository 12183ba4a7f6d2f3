// The general update with one invocation per (node of the block, chain), GPU-shaped: the 32 lanes
// of a word each sum their own chain's field (reading the same neighbour words, so the loads
// broadcast), share the word's two Philox calls, and assemble the new word in workgroup memory
// (`general_lanes`; `general_ballot` in general_ballot.wgsl does it by subgroup ballot). The draws
// are general.wgsl's, bit for bit: the same counters, the same sums in the same order. Needs
// common.wgsl, philox.wgsl and general_bindings.wgsl; the workgroup size must be a multiple of 32,
// at most LANE_WORDS * 32. The host twin is `GeneralUpdate` in general.rs beside it.

// Words a workgroup assembles at most (256 invocations).
const LANE_WORDS: u32 = 8u;

// One lane: its node, word (in the group and global) and chain bit; `in_block` is false for the
// invocations past the block, which work on its first item and store nothing.
struct Lane {
    node: u32,
    w: u32,
    gw: u32,
    bit: u32,
    in_block: bool,
}

// The lane of dispatch position `position` (items are (node, word) pairs, 32 lanes each).
fn lane_at(position: u32) -> Lane {
    let in_block = position < p.block_len * p.words * 32u;
    let idx = select(0u, position, in_block);
    let item = idx / 32u;
    let node = block_nodes[p.block_offset + item / p.words];
    let w = item % p.words;
    return Lane(node, w, p.word_offset + w, idx % 32u, in_block);
}

// The lane's 24-bit threshold of P(up): bias plus +-J per neighbour in CSR order, as general.wgsl sums
// each chain's field; the initial draws' threshold outside updates.
fn lane_threshold(lane: Lane) -> u32 {
    let beta = word_beta(lane.gw);
    let bias = biases[lane.node];
    if (!is_update()) {
        return init_threshold(beta, bias);
    }
    var field = bias;
    for (var k = row_ptr[lane.node]; k < row_ptr[lane.node + 1u]; k += 1u) {
        let entry = adjacency(k);
        let j = bitcast<f32>(entry.y);
        field += select(-j, j, ((spins[entry.x * p.words + lane.w] >> lane.bit) & 1u) == 1u);
    }
    let two_beta = 2.0 * beta;
    return update_threshold(two_beta * field, spins[lane.node * p.words + lane.w], lane.bit);
}

// The lane's counter (`rng::tag`'s layout, as general.wgsl's).
fn lane_counter(lane: Lane) -> vec4<u32> {
    return vec4<u32>(lane.node, lane.gw, p.sweep_lo, draw_tag());
}

// The Philox call whose bytes decide the lane's chain and those of its half word: call 0 for bits
// 0..15, call 1 for 16..31.
fn lane_high_call(lane: Lane) -> vec4<u32> {
    return philox4x32_10(lane_counter(lane) + vec4<u32>(0u, 0u, 0u, lane.bit / 16u), draw_key());
}

// Whether the lane's chain goes up, from its half word's call `high` (`rng::bernoulli_word`): the top
// byte of its uniform against the threshold's, and on a tie its low 16 bits, from call 2 + bit / 8.
fn lane_up(lane: Lane, t: u32, high: vec4<u32>) -> bool {
    let byte = (high[(lane.bit % 16u) / 4u] >> (8u * (lane.bit % 4u))) & 0xffu;
    if (byte != (t >> 16u)) {
        return byte < (t >> 16u);
    }
    let low_call = philox4x32_10(lane_counter(lane) + vec4<u32>(0u, 0u, 0u, 2u + lane.bit / 8u), draw_key());
    let low = (low_call[(lane.bit % 8u) / 2u] >> (16u * (lane.bit % 2u))) & 0xffffu;
    return low < (t & 0xffffu);
}

// The new words of the workgroup's items, assembled bit by bit, and their half-word calls.
var<workgroup> lane_words: array<atomic<u32>, LANE_WORDS>;
var<workgroup> lane_calls: array<vec4<u32>, 2u * LANE_WORDS>;

@compute @workgroup_size(WORKGROUP_SIZE)
fn general_lanes(
    @builtin(workgroup_id) wg: vec3<u32>,
    @builtin(num_workgroups) num_wg: vec3<u32>,
    @builtin(local_invocation_index) local: u32,
) {
    let lane = lane_at(linear_index(wg, num_wg, local));
    let slot = local / 32u;
    // Bits 0 and 16 draw their half word's call for the others; every lane sums its field meanwhile.
    if (lane.bit % 16u == 0u) {
        lane_calls[2u * slot + lane.bit / 16u] = lane_high_call(lane);
    }
    let t = lane_threshold(lane);
    workgroupBarrier();
    if (lane_up(lane, t, lane_calls[2u * slot + lane.bit / 16u])) {
        atomicOr(&lane_words[slot], 1u << lane.bit);
    }
    workgroupBarrier();
    if (lane.bit == 0u && lane.in_block) {
        spins[lane.node * p.words + lane.w] = atomicLoad(&lane_words[slot]) & lane_mask(lane.gw, p.chains);
    }
}
