// One pixel a site of plane z of a site-packed lattice, read in place by `ising_site_spin`
// (shaders/site_packed_spin.wgsl, which comes before this): colour `up` for +1, `down` for -1. The
// host twin is `spin_pixels` in spin_image.rs beside it.

@group(0) @binding(0) var<storage, read> ising_even: array<u32>;
@group(0) @binding(1) var<storage, read> ising_odd: array<u32>;

struct View {
    lx: u32,
    ly: u32,
    z: u32,
    _pad: u32,
    up: vec4<f32>,
    down: vec4<f32>,
}

@group(0) @binding(2) var<uniform> view: View;
@group(0) @binding(3) var image: texture_storage_2d<rgba8unorm, write>;

@compute @workgroup_size(8, 8)
fn spin_image(@builtin(global_invocation_id) id: vec3<u32>) {
    if (id.x >= view.lx || id.y >= view.ly) {
        return;
    }
    let spin = ising_site_spin(id.x, id.y, view.z, view.lx, view.ly);
    textureStore(image, vec2<i32>(id.xy), select(view.down, view.up, spin > 0));
}
