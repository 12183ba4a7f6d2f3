// Copies the words of the observed nodes into sample slot `p.slot` of the output buffer, so that
// samples are read back once per flush instead of once per sweep. Needs common.wgsl.

@group(0) @binding(1) var<storage, read> spins: array<u32>;
@group(0) @binding(2) var<storage, read> observed: array<u32>;
@group(0) @binding(3) var<storage, read_write> out: array<u32>;   // [slot][observed node][word]

@compute @workgroup_size(WORKGROUP_SIZE)
fn gather(
    @builtin(workgroup_id) wg: vec3<u32>,
    @builtin(num_workgroups) num_wg: vec3<u32>,
    @builtin(local_invocation_index) local: u32,
) {
    let idx = linear_index(wg, num_wg, local);
    if (idx >= p.n_obs * p.words) {
        return;
    }
    let o = idx / p.words;
    let w = idx % p.words;
    out[(p.slot * p.n_obs + o) * p.words + w] = spins[observed[o] * p.words + w];
}
