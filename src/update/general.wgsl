// The general update: one block update by the heat bath (MODE_UPDATE) or Metropolis (MODE_METROPOLIS),
// or one initial draw (MODE_HINTON, MODE_UNIFORM), per (node of the block, run of #WORDS consecutive
// 32-chain words). Needs common.wgsl, philox.wgsl and
// general_bindings.wgsl. The host twin is `GeneralUpdate` in general.rs beside it.
//
// The host writes the kernel for 1, 2 or 4 words per invocation (`#WORDS`, and `#CHAINS` = 32 x that):
// more words share each neighbour's CSR entry among more chains, fewer spread a few chains over more
// invocations (`PlanLimits::words_per_invocation`). Chain L of an invocation is bit L % 32 of its word
// L / 32. The lines between `//#unroll N` and `//#end` are written out N times with `#L` replaced by
// 0..N-1, `#Q` by L / 32 and `#R` by L % 32 (`shaders::unroll`), so that per-chain values live in
// registers: CPU drivers such as lavapipe turn arrays indexed at run time into per-lane loads and
// stores (only the rare ties read one). For the same reason nothing returns early: after a return
// every store is masked lane by lane there.

const WORDS: u32 = #WORDSu;

@compute @workgroup_size(WORKGROUP_SIZE)
fn general(
    @builtin(workgroup_id) wg: vec3<u32>,
    @builtin(num_workgroups) num_wg: vec3<u32>,
    @builtin(local_invocation_index) local: u32,
) {
    let index = linear_index(wg, num_wg, local);
    let runs = (p.words + WORDS - 1u) / WORDS;
    let in_block = index < p.block_len * runs;
    // Invocations past the block work on its first item and store nothing.
    let idx = select(0u, index, in_block);
    let node = block_nodes[p.block_offset + idx / runs];
    let w = WORDS * (idx % runs);
    let gw = p.word_offset + w;
    let bias = biases[node];
    let update = is_update();

    // Field of each chain: bias plus +-J per neighbour, in CSR order. A run reaching past the group's
    // last word reads that word again for the missing ones; their chains are never stored.
    //#unroll #CHAINS
    var field#L = bias;
    //#end
    if (update) {
        for (var k = row_ptr[node]; k < row_ptr[node + 1u]; k += 1u) {
            let entry = adjacency(k);
            //#unroll #WORDS
            let word#L = spins[entry.x * p.words + min(w + #Lu, p.words - 1u)];
            //#end
            let j = bitcast<f32>(entry.y);
            //#unroll #CHAINS
            field#L += select(-j, j, ((word#Q >> #Ru) & 1u) == 1u);
            //#end
        }
    }
    // The beta of each word's temperature group (a run past the group's last word takes that
    // word's), and the initial draws' thresholds: P(up) = sigmoid(beta * bias) (hinton) or 1/2.
    //#unroll #WORDS
    let beta#L = word_beta(gw + min(#Lu, p.words - 1u - w));
    let two_beta#L = 2.0 * beta#L;
    var init_threshold#L = 0u;
    if (!update) {
        init_threshold#L = init_threshold(beta#L, bias);
    }
    // The node's own spins, which Metropolis's thresholds depend on.
    let own#L = spins[node * p.words + min(w + #Lu, p.words - 1u)];
    //#end

    // As `rng::bernoulli_word`, per word: the top byte of each chain's 24-bit uniform, from calls 0
    // and 1, decides all chains but those whose byte ties with the threshold's; they compare their
    // low 16 bits, from calls 2..6.
    let key = draw_key();
    let tag = draw_tag();
    //#unroll #WORDS
    let counter#L = vec4<u32>(node, gw + #Lu, p.sweep_lo, tag);
    let high_lo#L = philox4x32_10(counter#L, key);
    let high_hi#L = philox4x32_10(counter#L + vec4<u32>(0u, 0u, 0u, 1u), key);
    var up#L = 0u;
    var tie#L = 0u;
    //#end
    var low_threshold: array<u32, #CHAINS>;
    //#unroll #CHAINS
    let t#L = select(init_threshold#Q, update_threshold(two_beta#Q * field#L, own#Q, #Ru), update);
    let byte#L = (select(high_lo#Q, high_hi#Q, #Ru >= 16u)[(#Ru % 16u) / 4u] >> (8u * (#Ru % 4u))) & 0xffu;
    up#Q |= select(0u, 1u << #Ru, byte#L < (t#L >> 16u));
    tie#Q |= select(0u, 1u << #Ru, byte#L == (t#L >> 16u));
    low_threshold[#L] = t#L & 0xffffu;
    //#end
    //#unroll #WORDS
    while (tie#L != 0u) {
        let l = firstTrailingBit(tie#L);
        let low_call = philox4x32_10(counter#L + vec4<u32>(0u, 0u, 0u, 2u + l / 8u), key);
        let low = (low_call[(l % 8u) / 2u] >> (16u * (l % 2u))) & 0xffffu;
        up#L |= select(0u, 1u << l, low < low_threshold[32u * #Lu + l]);
        tie#L &= tie#L - 1u;
    }
    if (in_block && w + #Lu < p.words) {
        spins[node * p.words + w + #Lu] = up#L & lane_mask(gw + #Lu, p.chains);
    }
    //#end
}
