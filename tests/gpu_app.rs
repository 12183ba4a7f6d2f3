//! A GPU application's use of the samplers: its own device, sweeps and drawing recorded into its own
//! encoder, spins and energies read in place by its own WGSL, and the asynchronous calls. Each result
//! is compared with the CPU backend's for the same seed.

mod common;

use common::compute::{self, read_words};

use std::future::Future;
use std::pin::pin;
use std::task::{Context, Poll, Waker};

use ising_wgpu::render::{Palette, SpinImage, spin_pixels};
use ising_wgpu::{
    Blocks, CHAIN_MAJOR_SPIN_WGSL, CpuSampler, CpuSitePacked, GpuContext, GpuSampler,
    GpuSitePacked, Init, Sampler, SamplerConfig, SamplingProgram, SamplingSchedule,
    SitePackedLattice, SitePackedSampler,
};
use wgpu::util::DeviceExt;

/// A device the test makes itself, as an application would (`WGPU_BACKEND` picks the backend), or
/// `None` with a notice (a failure with `ISING_REQUIRE_GPU=1`).
fn app_device() -> Option<(wgpu::Device, wgpu::Queue)> {
    let instance =
        wgpu::Instance::new(wgpu::InstanceDescriptor::new_without_display_handle_from_env());
    let adapter = pollster::block_on(instance.request_adapter(&wgpu::RequestAdapterOptions {
        power_preference: wgpu::PowerPreference::HighPerformance,
        ..Default::default()
    }));
    let adapter = match adapter {
        Ok(adapter) => adapter,
        Err(e) if std::env::var("ISING_REQUIRE_GPU").as_deref() == Ok("1") => {
            panic!("ISING_REQUIRE_GPU=1 but no GPU adapter: {e}")
        }
        Err(e) => {
            eprintln!("skipping GPU test (set ISING_REQUIRE_GPU=1 to fail instead): {e}");
            return None;
        }
    };
    let descriptor = wgpu::DeviceDescriptor {
        label: Some("the application's device"),
        required_limits: adapter.limits(),
        ..Default::default()
    };
    Some(pollster::block_on(adapter.request_device(&descriptor)).expect("a device"))
}

/// Runs `future` to completion the way a frame loop would: between polls of the future, a
/// non-blocking poll of the device (which is what lets wgpu report finished work).
fn drive<F: Future>(device: &wgpu::Device, future: F) -> F::Output {
    let mut future = pin!(future);
    let mut cx = Context::from_waker(Waker::noop());
    loop {
        if let Poll::Ready(value) = future.as_mut().poll(&mut cx) {
            return value;
        }
        device.poll(wgpu::PollType::Poll).expect("poll");
        std::thread::yield_now();
    }
}

/// The application's kernel: every (node, chain) spin of one chain group, read in place with
/// `CHAIN_MAJOR_SPIN_WGSL`, into `out[node * chains + chain]`.
const COPY_SPINS: &str = r#"
@group(0) @binding(0) var<storage, read> ising_spins: array<u32>;
@group(0) @binding(1) var<storage, read_write> out: array<i32>;
struct Shape { nodes: u32, chains: u32, words_per_node: u32, _pad: u32 }
@group(0) @binding(2) var<uniform> shape: Shape;

@compute @workgroup_size(64)
fn copy_spins(@builtin(global_invocation_id) id: vec3<u32>) {
    let k = id.x;
    if (k >= shape.nodes * shape.chains) {
        return;
    }
    out[k] = ising_spin(k / shape.chains, k % shape.chains, shape.words_per_node);
}
"#;

/// Records the application's copy of `sampler`'s spins into `encoder`; the buffer it fills.
fn record_spin_copy(
    device: &wgpu::Device,
    encoder: &mut wgpu::CommandEncoder,
    sampler: &GpuSampler,
) -> (wgpu::Buffer, u64) {
    let spins = sampler.spin_buffers();
    assert_eq!(spins.len(), 1, "one chain group");
    let spins = spins[0];
    let items = (spins.num_nodes * spins.chains) as u64;
    let out = compute::output_buffer(device, 4 * items);
    let shape = [spins.num_nodes, spins.chains, spins.words_per_node, 0].map(|v| v as u32);
    let shape = device.create_buffer_init(&wgpu::util::BufferInitDescriptor {
        label: None,
        contents: bytemuck::cast_slice(&shape),
        usage: wgpu::BufferUsages::UNIFORM,
    });
    let source = format!("{CHAIN_MAJOR_SPIN_WGSL}\n{COPY_SPINS}");
    let buffers = [spins.buffer, &out, &shape];
    compute::record_compute(
        device,
        encoder,
        &source,
        "copy_spins",
        &buffers,
        items.div_ceil(64) as u32,
    );
    (out, 4 * items)
}

#[test]
fn sweeps_recorded_in_the_apps_encoder_draw_the_cpu_samplers_spins_and_energies() {
    let Some((device, queue)) = app_device() else {
        return;
    };
    let ctx = GpuContext::from_device(device.clone(), queue.clone());
    let model = common::random_model(41, 14, 0.3);
    let program = SamplingProgram::new(model, Blocks::Auto, &[]).unwrap();
    let config = SamplerConfig::new(70).seed(9);
    let mut gpu = GpuSampler::new(&ctx, &program, &config).unwrap();
    let mut cpu = CpuSampler::new(&program, &config).unwrap();

    // Two recordings in one encoder, then the app's own pass and the energies: one submission.
    let mut encoder = device.create_command_encoder(&Default::default());
    gpu.record_sweeps(&mut encoder, 3).unwrap();
    gpu.record_sweeps(&mut encoder, 4).unwrap();
    let (copied, bytes) = record_spin_copy(&device, &mut encoder, &gpu);
    let energy = gpu.record_energy(&mut encoder).unwrap();
    assert_eq!(
        (energy.len(), energy[0].first_chain),
        (1, 0),
        "one chain group"
    );
    let (energy_buffer, chains) = (energy[0].buffer.clone(), energy[0].chains);
    queue.submit([encoder.finish()]);

    let trace = cpu
        .observe_energy(&SamplingSchedule::new(7, 1, 1).unwrap())
        .unwrap();
    let expected = cpu.state().unwrap();
    let spins: Vec<i32> = read_words(&device, &queue, &copied, bytes)
        .into_iter()
        .map(|w| w as i32)
        .collect();
    for ((chain, node), &s) in expected.indexed_iter() {
        assert_eq!(
            spins[node * 70 + chain],
            i32::from(s),
            "node {node} chain {chain} read in place"
        );
    }
    assert_eq!(gpu.state().unwrap(), expected, "read back");
    let words = read_words(&device, &queue, &energy_buffer, 8 * chains as u64);
    for c in 0..chains {
        assert_eq!(
            f32::from_bits(words[2 * c]).to_bits(),
            trace.energies()[(0, c)].to_bits(),
            "energy of chain {c}"
        );
        let magnetisation = 2 * i64::from(words[2 * c + 1]) - 14;
        assert_eq!(
            magnetisation,
            trace.magnetizations()[(0, c)],
            "magnetisation of chain {c}"
        );
    }
}

#[test]
fn the_async_calls_complete_under_the_apps_polling_with_the_blocking_calls_results() {
    let Some((device, queue)) = app_device() else {
        return;
    };
    let ctx = GpuContext::from_device(device.clone(), queue);
    let program =
        SamplingProgram::new(common::random_model(5, 10, 0.4), Blocks::Auto, &[]).unwrap();
    let config = SamplerConfig::new(40).seed(3);
    let mut gpu = GpuSampler::new(&ctx, &program, &config).unwrap();
    let mut cpu = CpuSampler::new(&program, &config).unwrap();
    drive(&device, gpu.sweep_async(6)).unwrap();
    cpu.sweep(6).unwrap();
    assert_eq!(
        drive(&device, gpu.state_async()).unwrap(),
        cpu.state().unwrap()
    );
    let mut encoder = device.create_command_encoder(&Default::default());
    gpu.record_energy(&mut encoder).unwrap();
    ctx.queue().submit([encoder.finish()]);
    let (energies, _) = drive(&device, gpu.read_energy_async()).unwrap();
    let trace = cpu
        .observe_energy(&SamplingSchedule::new(0, 1, 1).unwrap())
        .unwrap();
    assert_eq!(energies, trace.energies().row(0).to_vec());

    let lattice = SitePackedLattice::square(64, 8, 1.0, 0.1, 0.4).unwrap();
    let mut gpu = GpuSitePacked::new(&ctx, &lattice, 2, Init::Uniform).unwrap();
    let mut cpu = CpuSitePacked::new(&lattice, 2, Init::Uniform).unwrap();
    drive(&device, gpu.sweep_async(5)).unwrap();
    cpu.sweep(5).unwrap();
    assert_eq!(
        drive(&device, gpu.state_async()).unwrap(),
        cpu.state().unwrap()
    );
    let observed = drive(&device, gpu.observables_async()).unwrap();
    assert_eq!(observed, cpu.observables().unwrap());
}

#[test]
fn a_spin_image_recorded_after_the_sweeps_shows_the_read_back_spins() {
    let Some((device, queue)) = app_device() else {
        return;
    };
    let ctx = GpuContext::from_device(device.clone(), queue.clone());
    // 128 x 40: rows of 512 bytes, a multiple of the 256 a texture copy needs.
    let lattice = SitePackedLattice::square(128, 40, 1.0, 0.0, 0.44).unwrap();
    let mut gpu = GpuSitePacked::new(&ctx, &lattice, 8, Init::Uniform).unwrap();
    let mut cpu = CpuSitePacked::new(&lattice, 8, Init::Uniform).unwrap();
    let palette = Palette::default();
    let image = SpinImage::new(&ctx, gpu.spin_buffers().unwrap(), 0, palette).unwrap();
    let [w, h] = image.size();
    let pixels = device.create_buffer(&wgpu::BufferDescriptor {
        label: None,
        size: 4 * u64::from(w * h),
        usage: wgpu::BufferUsages::COPY_DST | wgpu::BufferUsages::COPY_SRC,
        mapped_at_creation: false,
    });
    for frame in 0..3 {
        // One command buffer a frame: sweeps, drawing, the copy out of the texture.
        let mut encoder = device.create_command_encoder(&Default::default());
        gpu.record_sweeps(&mut encoder, 2 + frame).unwrap();
        image.record(&mut encoder);
        encoder.copy_texture_to_buffer(
            image.texture().as_image_copy(),
            wgpu::TexelCopyBufferInfo {
                buffer: &pixels,
                layout: wgpu::TexelCopyBufferLayout {
                    offset: 0,
                    bytes_per_row: Some(4 * w),
                    rows_per_image: Some(h),
                },
            },
            image.texture().size(),
        );
        let counts = gpu.record_observables(&mut encoder).unwrap();
        let (counts, pairs) = (counts.buffer.clone(), counts.pairs);
        queue.submit([encoder.finish()]);
        cpu.sweep(2 + frame).unwrap();
        let state = cpu.state().unwrap();
        let drawn: Vec<u8> = read_words(&device, &queue, &pixels, 4 * u64::from(w * h))
            .iter()
            .flat_map(|w| w.to_le_bytes())
            .collect();
        let want = spin_pixels(&state, lattice.sides(), 0, palette);
        assert_eq!(drawn.len(), want.len());
        if let Some(k) =
            (0..want.len() / 4).find(|&k| drawn[4 * k..4 * k + 4] != want[4 * k..4 * k + 4])
        {
            panic!(
                "frame {frame}: pixel ({}, {}) is {:?}, the spin there is {}",
                k % w as usize,
                k / w as usize,
                &drawn[4 * k..4 * k + 4],
                state[k]
            );
        }
        assert_eq!(gpu.state().unwrap(), state, "frame {frame} read back");
        let words = read_words(&device, &queue, &counts, 8 * pairs as u64);
        let (ups, agreements) = words.chunks(2).fold((0, 0), |(u, a), p| {
            (u + u64::from(p[0]), a + u64::from(p[1]))
        });
        assert_eq!(
            lattice.observables_of(ups, agreements),
            cpu.observables().unwrap()
        );
    }
}

#[test]
fn a_spin_image_refuses_a_plane_the_lattice_lacks() {
    let Some((device, queue)) = app_device() else {
        return;
    };
    let ctx = GpuContext::from_device(device, queue);
    let lattice = SitePackedLattice::cubic(64, 4, 4, 1.0, 0.0, 0.2).unwrap();
    let gpu = GpuSitePacked::new(&ctx, &lattice, 1, Init::AllUp).unwrap();
    let err = SpinImage::new(&ctx, gpu.spin_buffers().unwrap(), 4, Palette::default())
        .err()
        .expect("no plane 4");
    assert!(err.to_string().contains("z = 4"), "{err}");
}
