// Philox4x32-10 (Salmon et al., SC11), bit-identical to `src/rng.rs`. Needs `mul_hi_lo` from
// mul32.wgsl (16-bit halves, any device) or mul64.wgsl (devices with 64-bit integers).

fn philox4x32_10(counter: vec4<u32>, key_in: vec2<u32>) -> vec4<u32> {
    var c = counter;
    var k = key_in;
    for (var round = 0u; round < 10u; round += 1u) {
        if (round > 0u) {
            k += vec2<u32>(0x9E3779B9u, 0xBB67AE85u);
        }
        let p0 = mul_hi_lo(0xD2511F53u, c.x);
        let p1 = mul_hi_lo(0xCD9E8D57u, c.z);
        c = vec4<u32>(p1.x ^ c.y ^ k.x, p1.y, p0.x ^ c.w ^ k.y, p0.y);
    }
    return c;
}

// ceil(p * 2^24): a lane is up when its 24-bit uniform is below this (as `rng::threshold`).
fn threshold(p: f32) -> u32 {
    return u32(ceil(p * 16777216.0));
}

fn sigmoid(x: f32) -> f32 {
    return 1.0 / (1.0 + exp(-x));
}

// 32 Bernoulli draws of one (node, word), as `rng::bernoulli_word`: the top byte of each lane's
// 24-bit uniform from calls 0 and 1, its low 16 bits from calls 2..6 only when the byte ties with
// the threshold's. `counter` holds (node, word, sweep_lo, tag) with the call bits clear.
fn bernoulli_word(counter: vec4<u32>, key: vec2<u32>, t: ptr<function, array<u32, 32>>) -> u32 {
    let high0 = philox4x32_10(counter, key);
    let high1 = philox4x32_10(counter + vec4<u32>(0u, 0u, 0u, 1u), key);
    // Top bytes decide all but the tied lanes, without branches.
    var up = 0u;
    var tie = 0u;
    for (var l = 0u; l < 32u; l += 1u) {
        let r = select(high0, high1, l >= 16u);
        let byte = (r[(l % 16u) / 4u] >> (8u * (l % 4u))) & 0xffu;
        let top = (*t)[l] >> 16u;
        up |= select(0u, 1u << l, byte < top);
        tie |= select(0u, 1u << l, byte == top);
    }
    while (tie != 0u) {
        let l = firstTrailingBit(tie);
        let low_call = philox4x32_10(counter + vec4<u32>(0u, 0u, 0u, 2u + l / 8u), key);
        let low = (low_call[(l % 8u) / 2u] >> (16u * (l % 2u))) & 0xffffu;
        up |= select(0u, 1u << l, low < ((*t)[l] & 0xffffu));
        tie &= tie - 1u;
    }
    return up;
}
