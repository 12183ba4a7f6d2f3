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

// The probability that a Metropolis step leaves a spin up, the spin now up or down (as
// `rng::metropolis`): a down spin goes up with min(1, exp(x)), an up one stays up with
// 1 - min(1, exp(-x)).
fn metropolis(x: f32, up: bool) -> f32 {
    let e = exp(select(x, -x, up));
    var flip = 0.0;
    if (e < 1.0) {
        flip = e;
    } else if (e >= 1.0) {
        flip = 1.0;
    } else {
        return 0.0;
    }
    return select(flip, 1.0 - flip, up);
}
