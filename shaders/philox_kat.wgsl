// Test kernel: Philox4x32-10 of each (counter, key) input, for the known-answer test on a device.
// Needs philox.wgsl.

struct Case {
    counter: vec4<u32>,
    key: vec4<u32>,   // (key0, key1, unused, unused)
}

@group(0) @binding(0) var<storage, read> cases: array<Case>;
@group(0) @binding(1) var<storage, read_write> outputs: array<vec4<u32>>;

@compute @workgroup_size(64)
fn philox_kat(@builtin(global_invocation_id) id: vec3<u32>) {
    if (id.x >= arrayLength(&cases)) {
        return;
    }
    let c = cases[id.x];
    outputs[id.x] = philox4x32_10(c.counter, c.key.xy);
}
