// The 64-bit product of two u32 with the device's 64-bit integers (wgpu's SHADER_INT64): one
// multiply instead of four. Returns (high, low), as mul32.wgsl.
fn mul_hi_lo(a: u32, b: u32) -> vec2<u32> {
    let product = u64(a) * u64(b);
    return vec2<u32>(u32(product >> 32u), u32(product));
}
