//! The GPU backend on whatever adapter exists (lavapipe in CI): Philox known answers on the device,
//! bit-identical agreement with the CPU backend, chain groups past the binding limit, folded
//! dispatches, parameter updates, and failing rather than skipping under `ISING_REQUIRE_GPU=1`.

mod common;

use common::{compute, gpu, random_clamp, random_model};
use ising_wgpu::rng::philox4x32_10;
use ising_wgpu::shaders::Multiply;
use ising_wgpu::{
    Blocks, CpuSampler, GeneralKernel, GpuContext, GpuSampler, Init, IsingModel, Lattice,
    LatticeKernel, Observe, PlanLimits, Sampler, SamplerConfig, SamplingProgram, SamplingSchedule,
    UpdatePath, UpdateRule, exact_moments,
};
use ndarray::Array2;
use wgpu::util::DeviceExt;

/// Runs `shaders/philox_kat.wgsl` on the device for each (counter, key).
fn device_philox(
    ctx: &GpuContext,
    multiply: Multiply,
    cases: &[([u32; 4], [u32; 2])],
) -> Vec<[u32; 4]> {
    let device = ctx.device();
    let kernel = ising_wgpu::shaders::PHILOX_KAT;
    let input: Vec<u32> = cases
        .iter()
        .flat_map(|(c, k)| [c[0], c[1], c[2], c[3], k[0], k[1], 0, 0])
        .collect();
    let input = device.create_buffer_init(&wgpu::util::BufferInitDescriptor {
        label: None,
        contents: bytemuck::cast_slice(&input),
        usage: wgpu::BufferUsages::STORAGE,
    });
    let bytes = 16 * cases.len() as u64;
    let output = compute::output_buffer(device, bytes);
    let mut encoder = device.create_command_encoder(&Default::default());
    let source = kernel.source(multiply);
    let workgroups = (cases.len() as u32).div_ceil(64);
    compute::record_compute(
        device,
        &mut encoder,
        &source,
        kernel.entry,
        &[&input, &output],
        workgroups,
    );
    ctx.queue().submit([encoder.finish()]);
    let words = compute::read_words(device, ctx.queue(), &output, bytes);
    words.chunks(4).map(|c| [c[0], c[1], c[2], c[3]]).collect()
}

#[test]
fn wgsl_philox_gives_the_host_known_answers_bit_for_bit() {
    let Some(ctx) = gpu() else { return };
    let mut cases = vec![
        ([0, 0, 0, 0], [0, 0]),
        ([u32::MAX; 4], [u32::MAX; 2]),
        (
            [0x243f_6a88, 0x85a3_08d3, 0x1319_8a2e, 0x0370_7344],
            [0xa409_3822, 0x299f_31d0],
        ),
    ];
    // Plus counters that stress the 16-bit mulhi emulation (carries out of every half).
    let mut x = 0x9e37_79b9u32;
    for _ in 0..200 {
        let mut next = || {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            x
        };
        cases.push(([next(), next(), next(), next()], [next(), next()]));
    }
    let int64 = Multiply::for_features(ctx.device().features()) == Multiply::Int64;
    for multiply in Multiply::ALL {
        if multiply == Multiply::Int64 && !int64 {
            eprintln!(
                "note: this device has no 64-bit integers; only the emulated multiply is checked"
            );
            continue;
        }
        let device = device_philox(&ctx, multiply, &cases);
        for ((counter, key), got) in cases.iter().zip(device) {
            assert_eq!(
                got,
                philox4x32_10(*counter, *key),
                "{multiply:?}: counter {counter:x?} key {key:x?}"
            );
        }
    }
}

/// Runs a short schedule on both backends from the same seed and returns (cpu, gpu) samples and states.
fn both(
    program: &SamplingProgram,
    chains: usize,
    init: Init,
    clamp: Option<&Array2<i8>>,
    gpu: GpuSampler,
) {
    compare(program, chains, init, clamp, gpu, true, &[]);
}

/// As `both`, comparing moment counts, energies and plain sweeps too when `moments`, with the chains
/// at `betas` when there are any.
fn compare(
    program: &SamplingProgram,
    chains: usize,
    init: Init,
    clamp: Option<&Array2<i8>>,
    gpu: GpuSampler,
    moments: bool,
    betas: &[f32],
) {
    let schedule = SamplingSchedule::new(0, 6, 1).unwrap();
    let nodes: Vec<u32> = (0..program.model().num_nodes() as u32).collect();
    let config = SamplerConfig {
        clamp_values: clamp.cloned(),
        ..SamplerConfig::new(chains).seed(17).init(init)
    };
    let mut cpu = CpuSampler::new(program, &config).unwrap();
    let mut gpu = gpu;
    assert_eq!(
        cpu.state().unwrap(),
        gpu.state().unwrap(),
        "initial states differ"
    );
    if !betas.is_empty() {
        cpu.set_betas(betas).unwrap();
        gpu.set_betas(betas).unwrap();
    }
    let cpu_samples = cpu.sample(&schedule, &nodes).unwrap();
    let gpu_samples = gpu.sample(&schedule, &nodes).unwrap();
    for t in 0..6 {
        let differing = cpu_samples
            .index_axis(ndarray::Axis(0), t)
            .iter()
            .zip(gpu_samples.index_axis(ndarray::Axis(0), t))
            .filter(|(a, b)| a != b)
            .count();
        assert_eq!(
            differing, 0,
            "after {t} sweeps {differing} spins differ between CPU and GPU"
        );
    }
    if !moments {
        return;
    }
    let cpu_moments = cpu.estimate_moments(&schedule).unwrap();
    let gpu_moments = gpu.estimate_moments(&schedule).unwrap();
    assert_eq!(cpu_moments, gpu_moments, "moment counts differ");
    let cpu_energy = cpu.observe_energy(&schedule).unwrap();
    assert_eq!(
        cpu_energy,
        gpu.observe_energy(&schedule).unwrap(),
        "energies differ"
    );
    // Every observation in one run, then plain sweeps.
    let observe = Observe {
        samples: Some(nodes),
        moments: true,
        energy: true,
        overlap: true,
    };
    let cpu_all = cpu.run(&schedule, &observe).unwrap();
    assert_eq!(
        cpu_all,
        gpu.run(&schedule, &observe).unwrap(),
        "observations of one run differ"
    );
    cpu.sweep(5).unwrap();
    gpu.sweep(5).unwrap();
    assert_eq!(
        cpu.state().unwrap(),
        gpu.state().unwrap(),
        "states after 5 plain sweeps differ"
    );
}

#[test]
fn gpu_and_cpu_draw_identical_spins_from_the_same_seed() {
    let Some(ctx) = gpu() else { return };
    let (program, values) = clamped_random_program();
    for init in [Init::Hinton, Init::Uniform] {
        let gpu = GpuSampler::new(
            &ctx,
            &program,
            &SamplerConfig::new(100)
                .seed(17)
                .init(init.clone())
                .clamp_values(values.clone()),
        )
        .unwrap();
        both(&program, 100, init, Some(&values), gpu);
    }
    let lattice = Lattice::square(16, 12, true).unwrap();
    let program =
        SamplingProgram::new(lattice.model(0.7, 0.05, 0.5).unwrap(), Blocks::Auto, &[]).unwrap();
    let gpu = GpuSampler::new(&ctx, &program, &SamplerConfig::new(64).seed(17)).unwrap();
    both(&program, 64, Init::Hinton, None, gpu);
}

#[test]
fn lattice_path_draws_identical_spins_on_gpu_and_cpu() {
    let Some(ctx) = gpu() else { return };
    let device = PlanLimits::of_device(&ctx.device().limits());
    // 2D and 3D, ferro- and antiferromagnetic and +-J glasses, with a field; beta 20 makes some
    // probabilities exactly 0 and 1 (thresholds 0 and 2^24).
    for (lattice, j, h, beta, chains, glass) in [
        (
            Lattice::square(16, 12, true).unwrap(),
            0.7,
            0.2,
            0.5,
            200,
            false,
        ),
        (
            Lattice::square(4, 6, true).unwrap(),
            -1.0,
            0.0,
            20.0,
            150,
            false,
        ),
        (
            Lattice::cubic(4, 6, 8, true).unwrap(),
            0.5,
            -0.5,
            0.3,
            250,
            false,
        ),
        (
            Lattice::cubic(6, 4, 4, true).unwrap(),
            1.0,
            0.0,
            20.0,
            330,
            false,
        ),
        (
            Lattice::square(16, 12, true).unwrap(),
            0.7,
            0.2,
            0.5,
            200,
            true,
        ),
        (
            Lattice::cubic(4, 6, 8, true).unwrap(),
            1.0,
            0.0,
            20.0,
            250,
            true,
        ),
    ] {
        let mut program = if glass {
            lattice.glass_program(j, h, beta, 3).unwrap()
        } else {
            lattice.program(j, h, beta).unwrap()
        };
        if beta < 1.0 {
            // A field per site from a few values (the random-field model) where it is not extreme.
            let mut model = program.model().clone();
            let fields = (0..lattice.num_sites()).map(|i| [h, -h, 0.5 * h][(i * 7) % 3]);
            model.set_biases(fields.collect()).unwrap();
            program.set_parameters(&model).unwrap();
        }
        // Bindings of half the CSR, so chain groups of 4 words in 2D and 6 in 3D, and at most 8
        // workgroups a dimension (folded update dispatches); then the device's limits.
        let small = PlanLimits {
            max_binding_bytes: 8 * (lattice.dims().len() * lattice.num_sites()) as u64,
            max_workgroups_per_dim: 8,
            ..device
        };
        // (Per-chain moment counts do not fit the small bindings.)
        // Both update variants; the tiles of these lattices all reach past an edge.
        for lattice_kernel in [LatticeKernel::Sites, LatticeKernel::Tiles] {
            for (limits, moments) in [(device, true), (small, false)] {
                let limits = PlanLimits {
                    lattice_kernel,
                    ..limits
                };
                let gpu = GpuSampler::with_limits(
                    &ctx,
                    &program,
                    &SamplerConfig::new(chains).seed(17).init(Init::Uniform),
                    limits,
                )
                .unwrap();
                assert!(
                    gpu.update_path() == UpdatePath::Lattice,
                    "{:?}",
                    lattice.dims()
                );
                assert!(moments || gpu.chain_groups() > 1, "{:?}", lattice.dims());
                compare(&program, chains, Init::Uniform, None, gpu, moments, &[]);
            }
        }
    }
    // A lattice of several whole tiles and a part one, with two temperatures; one word of chains
    // (the host's runs of sites) and 32 (whole batches of a site's words on the host) besides.
    let program = Lattice::square(80, 20, true)
        .unwrap()
        .program(0.6, 0.1, 1.0)
        .unwrap();
    for (chains, betas) in [(128, &[0.4, 0.9][..]), (32, &[]), (1024, &[0.4, 0.9])] {
        for lattice_kernel in [LatticeKernel::Sites, LatticeKernel::Tiles] {
            let limits = PlanLimits {
                lattice_kernel,
                ..device
            };
            let config = SamplerConfig::new(chains).seed(17).init(Init::Uniform);
            let gpu = GpuSampler::with_limits(&ctx, &program, &config, limits).unwrap();
            compare(&program, chains, Init::Uniform, None, gpu, true, betas);
        }
    }
}

#[test]
fn several_temperatures_draw_identical_spins_on_gpu_and_cpu() {
    let Some(ctx) = gpu() else { return };
    let betas = [0.3, 0.8, 1.4, 2.5];
    // The general path with clamping, 4 words in 4 groups (the last word partial).
    let model = random_model(9, 14, 0.3);
    let clamp = random_clamp(9, 14, 2);
    let clamped: Vec<u32> = clamp.iter().map(|&(i, _)| i).collect();
    let values = Array2::from_shape_fn((1, 2), |(_, k)| if clamp[k].1 { 1i8 } else { -1 });
    let program = SamplingProgram::new(model, Blocks::Auto, &clamped).unwrap();
    let gpu = GpuSampler::new(
        &ctx,
        &program,
        &SamplerConfig::new(120)
            .seed(17)
            .clamp_values(values.clone()),
    )
    .unwrap();
    compare(
        &program,
        120,
        Init::Hinton,
        Some(&values),
        gpu,
        true,
        &betas,
    );
    // The lattice path with a field per site of three values: 4 groups x 3 fields of tables; and
    // bindings of half the CSR, so chain groups of 4 words across temperature groups of 2.
    let lattice = Lattice::square(16, 12, true).unwrap();
    let mut program = lattice.program(0.7, 0.2, 1.0).unwrap();
    let mut model = program.model().clone();
    let fields = (0..lattice.num_sites()).map(|i| [0.2, -0.2, 0.1][(i * 7) % 3]);
    model.set_biases(fields.collect()).unwrap();
    program.set_parameters(&model).unwrap();
    let device = PlanLimits::of_device(&ctx.device().limits());
    let small = PlanLimits {
        max_binding_bytes: 8 * 2 * 192,
        ..device
    };
    for (limits, moments) in [(device, true), (small, false)] {
        let gpu = GpuSampler::with_limits(
            &ctx,
            &program,
            &SamplerConfig::new(256).seed(17).init(Init::Uniform),
            limits,
        )
        .unwrap();
        assert!(gpu.update_path() == UpdatePath::Lattice);
        assert_eq!(gpu.chain_groups(), if moments { 1 } else { 2 });
        compare(&program, 256, Init::Uniform, None, gpu, moments, &betas);
    }
}

#[test]
fn parameter_updates_switch_between_lattice_and_general_paths_on_both_backends() {
    let Some(ctx) = gpu() else { return };
    let lattice = Lattice::square(8, 6, true).unwrap();
    let program = lattice.program(1.0, 0.0, 0.4).unwrap();
    let mut cpu = CpuSampler::new(
        &program,
        &SamplerConfig::new(40).seed(5).init(Init::Uniform),
    )
    .unwrap();
    let mut gpu = GpuSampler::new(
        &ctx,
        &program,
        &SamplerConfig::new(40).seed(5).init(Init::Uniform),
    )
    .unwrap();
    let nodes: Vec<u32> = (0..48).collect();
    let schedule = SamplingSchedule::new(0, 3, 1).unwrap();
    let mut uneven = program.model().clone();
    uneven
        .set_weights((0..96).map(|k| 0.5 + 0.01 * k as f32).collect())
        .unwrap();
    for (model, on_lattice) in [(&uneven, false), (program.model(), true)] {
        cpu.set_parameters(model).unwrap();
        gpu.set_parameters(model).unwrap();
        assert_eq!(
            (
                (cpu.update_path() == UpdatePath::Lattice),
                (gpu.update_path() == UpdatePath::Lattice)
            ),
            (on_lattice, on_lattice)
        );
        assert_eq!(
            cpu.sample(&schedule, &nodes).unwrap(),
            gpu.sample(&schedule, &nodes).unwrap(),
            "lattice path {on_lattice}"
        );
    }
}

#[test]
fn spins_past_the_binding_limit_split_into_chain_groups_and_large_dispatches_fold() {
    let Some(ctx) = gpu() else { return };
    let model = random_model(12, 12, 0.4);
    let program = SamplingProgram::new(model.clone(), Blocks::Auto, &[]).unwrap();
    let device = PlanLimits::of_device(&ctx.device().limits());
    // Two words (64 chains) of counts per group, and at most 2 workgroups per dimension.
    let items = (model.num_nodes() + model.num_edges()) as u64;
    let limits = PlanLimits {
        max_binding_bytes: 2 * 32 * 4 * items,
        max_workgroups_per_dim: 2,
        ..device
    };
    let chains = 300;
    let gpu = GpuSampler::with_limits(&ctx, &program, &SamplerConfig::new(chains).seed(17), limits)
        .unwrap();
    assert_eq!(gpu.chain_groups(), 5);
    both(&program, chains, Init::Hinton, None, gpu);

    // And statistically right: moments within 5 standard errors of exact.
    let mut gpu =
        GpuSampler::with_limits(&ctx, &program, &SamplerConfig::new(chains).seed(3), limits)
            .unwrap();
    let moments = gpu
        .estimate_moments(&SamplingSchedule::new(100, 500, 1).unwrap())
        .unwrap();
    let exact = exact_moments(&model, &[]).unwrap();
    common::assert_within_5_se(
        "edge",
        moments.edge_means().as_slice().unwrap(),
        moments.edge_stderr().as_slice().unwrap(),
        exact.edge_means.as_slice().unwrap(),
    );
}

#[test]
fn an_adjacency_past_the_binding_limit_splits_into_two_bindings() {
    let Some(ctx) = gpu() else { return };
    let model = random_model(14, 12, 0.5);
    let program = SamplingProgram::new(model.clone(), Blocks::Auto, &[]).unwrap();
    let entries = 2 * model.num_edges() as u64;
    // Room for 60% of the CSR entries in one binding; the per-chain counts no longer fit at all.
    let limits = PlanLimits {
        max_binding_bytes: 8 * entries * 6 / 10,
        ..PlanLimits::of_device(&ctx.device().limits())
    };
    let gpu =
        GpuSampler::with_limits(&ctx, &program, &SamplerConfig::new(100).seed(17), limits).unwrap();
    compare(&program, 100, Init::Hinton, None, gpu, false, &[]);
    let mut gpu =
        GpuSampler::with_limits(&ctx, &program, &SamplerConfig::new(100).seed(17), limits).unwrap();
    let e = gpu
        .estimate_moments(&SamplingSchedule::new(1, 1, 1).unwrap())
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("moment counts") && e.contains("sample instead"),
        "{e}"
    );
    // The split survives a parameter update.
    let mut stronger = model.clone();
    stronger
        .set_weights(model.weights().iter().map(|w| 2.0 * w).collect())
        .unwrap();
    gpu.set_parameters(&stronger).unwrap();
    let strong_program = SamplingProgram::new(stronger, Blocks::Auto, &[]).unwrap();
    let mut cpu = CpuSampler::new(&strong_program, &SamplerConfig::new(100).seed(17)).unwrap();
    let schedule = SamplingSchedule::new(3, 4, 1).unwrap();
    let nodes: Vec<u32> = (0..12).collect();
    assert_eq!(
        gpu.sample(&schedule, &nodes).unwrap(),
        cpu.sample(&schedule, &nodes).unwrap()
    );
}

/// A hub (node 0) joined to `leaves` leaves; only its last 50 edges carry weight, so a field loop cut
/// short changes the hub's draws.
fn star(leaves: u32) -> SamplingProgram {
    let n = leaves as usize + 1;
    let edges = (1..=leaves).map(|i| (0, i)).collect();
    let weights = (1..=leaves)
        .map(|i| match i {
            i if i + 50 <= leaves => 0.0,
            i if i % 2 == 0 => 0.7,
            _ => -0.4,
        })
        .collect();
    let model = IsingModel::new(n, edges, weights, vec![0.1; n], 1.0).unwrap();
    SamplingProgram::new(model, Blocks::Auto, &[]).unwrap()
}

/// The hub's samples over 6 sweeps on the GPU, planned with `limits`, equal the CPU's.
fn hub_draws_as_on_the_cpu(ctx: &GpuContext, program: &SamplingProgram, limits: PlanLimits) {
    let schedule = SamplingSchedule::new(0, 6, 1).unwrap();
    let mut gpu =
        GpuSampler::with_limits(ctx, program, &SamplerConfig::new(64).seed(17), limits).unwrap();
    let mut cpu = CpuSampler::new(program, &SamplerConfig::new(64).seed(17)).unwrap();
    assert_eq!(
        gpu.sample(&schedule, &[0]).unwrap(),
        cpu.sample(&schedule, &[0]).unwrap()
    );
}

#[test]
fn a_node_with_more_neighbours_than_the_adapter_loops_over_is_an_error() {
    let Some(ctx) = gpu() else { return };
    let device = PlanLimits::of_device(&ctx.device().limits());
    let Some(limit) = ctx.max_loop_iterations() else {
        // No loop limit: a hub past llvmpipe's draws as on the CPU.
        return hub_draws_as_on_the_cpu(&ctx, &star(70_000), device);
    };
    for words_per_invocation in [1, 2] {
        let limits = PlanLimits {
            words_per_invocation,
            ..device
        };
        // One iteration per neighbour plus up to 33 per word of the 64 chains' invocation.
        let widest = limit as u32 - 33 * words_per_invocation;
        hub_draws_as_on_the_cpu(&ctx, &star(widest), limits);
        let e = GpuSampler::with_limits(
            &ctx,
            &star(widest + 1),
            &SamplerConfig::new(64).seed(17),
            limits,
        )
        .err()
        .expect("a hub past the loop limit must not sample")
        .to_string();
        let expected = format!("node 0 has {} neighbours", widest + 1);
        assert!(e.contains(&expected) && e.contains("--backend cpu"), "{e}");
    }
}

#[test]
fn too_large_models_are_clear_errors_before_allocation() {
    let Some(ctx) = gpu() else { return };
    let model = random_model(13, 40, 0.2);
    let program = SamplingProgram::new(model, Blocks::Auto, &[]).unwrap();
    let limits = PlanLimits {
        max_binding_bytes: 100,
        ..PlanLimits::of_device(&ctx.device().limits())
    };
    let e = GpuSampler::with_limits(&ctx, &program, &SamplerConfig::new(64), limits)
        .err()
        .unwrap()
        .to_string();
    assert!(
        e.contains("the spins of 32 chains of 40 nodes needs 160 bytes"),
        "{e}"
    );
    assert!(e.contains("max_storage_buffer_binding_size"), "{e}");
    let e = GpuSampler::new(&ctx, &program, &SamplerConfig::new(0))
        .err()
        .unwrap()
        .to_string();
    assert!(e.contains("at least one chain"), "{e}");
}

#[test]
fn new_parameters_take_effect_without_rebuilding() {
    let Some(ctx) = gpu() else { return };
    let lattice = Lattice::chain(10, true).unwrap();
    let program =
        SamplingProgram::new(lattice.model(0.1, 0.0, 1.0).unwrap(), Blocks::Auto, &[]).unwrap();
    let mut gpu = GpuSampler::new(&ctx, &program, &SamplerConfig::new(64).seed(1)).unwrap();
    let strong = lattice.model(1.5, 0.0, 1.0).unwrap();
    gpu.set_parameters(&strong).unwrap();
    let mut cpu = CpuSampler::new(
        &SamplingProgram::new(strong.clone(), Blocks::Auto, &[]).unwrap(),
        &SamplerConfig::new(64).seed(1),
    )
    .unwrap();
    // Same seed, same initial state (the init used the old biases, which are equal), same parameters now.
    let schedule = SamplingSchedule::new(5, 20, 1).unwrap();
    assert_eq!(
        gpu.estimate_moments(&schedule).unwrap(),
        cpu.estimate_moments(&schedule).unwrap()
    );
    let other = Lattice::chain(11, true)
        .unwrap()
        .model(1.0, 0.0, 1.0)
        .unwrap();
    let e = gpu.set_parameters(&other).unwrap_err().to_string();
    assert!(e.contains("same nodes and edges"), "{e}");
}

#[test]
fn require_gpu_turns_a_missing_adapter_into_a_failure() {
    if std::env::var_os("ISING_PROBE_CHILD").is_some() {
        // In the child, with every backend disabled: the helper must fail or skip as the variable says.
        assert!(gpu().is_none());
        return;
    }
    let run = |require: &str| {
        std::process::Command::new(std::env::current_exe().unwrap())
            .args([
                "--exact",
                "require_gpu_turns_a_missing_adapter_into_a_failure",
                "--nocapture",
            ])
            .env("ISING_PROBE_CHILD", "1")
            .env("WGPU_BACKEND", "")
            .env("ISING_REQUIRE_GPU", require)
            .output()
            .unwrap()
    };
    let strict = run("1");
    let text = String::from_utf8_lossy(&strict.stderr).to_string()
        + &String::from_utf8_lossy(&strict.stdout);
    assert!(!strict.status.success(), "must fail: {text}");
    assert!(
        text.contains("ISING_REQUIRE_GPU=1 but no GPU adapter")
            && text.contains("mesa-vulkan-drivers"),
        "{text}"
    );
    let lenient = run("0");
    let text = String::from_utf8_lossy(&lenient.stderr).to_string();
    assert!(lenient.status.success(), "must skip: {text}");
    assert!(text.contains("skipping GPU test"), "{text}");
}

#[test]
fn samples_do_not_depend_on_the_launch_shape() {
    let Some(ctx) = gpu() else { return };
    let model = random_model(21, 13, 0.4);
    let program = SamplingProgram::new(model, Blocks::Auto, &[]).unwrap();
    let device = PlanLimits::of_device(&ctx.device().limits());
    let schedule = SamplingSchedule::new(3, 5, 2).unwrap();
    let nodes: Vec<u32> = (0..13).collect();
    // 150 chains are 5 words: runs of 2 and 4 words end past the last one.
    let shape = |workgroup_size, words_per_invocation| PlanLimits {
        workgroup_size,
        words_per_invocation,
        ..device
    };
    let run = |limits| {
        let mut gpu =
            GpuSampler::with_limits(&ctx, &program, &SamplerConfig::new(150).seed(4), limits)
                .unwrap();
        (
            gpu.sample(&schedule, &nodes).unwrap(),
            gpu.estimate_moments(&schedule).unwrap(),
        )
    };
    let reference = run(shape(64, 1));
    for (size, words) in [(1, 1), (32, 1), (256, 1), (64, 2), (32, 4), (1, 4)] {
        assert_eq!(
            run(shape(size, words)),
            reference,
            "workgroup size {size}, {words} words per invocation"
        );
    }
    for words in [2, 4] {
        let gpu = GpuSampler::with_limits(
            &ctx,
            &program,
            &SamplerConfig::new(150).seed(17).init(Init::Uniform),
            shape(64, words),
        )
        .unwrap();
        compare(&program, 150, Init::Uniform, None, gpu, true, &[]);
    }
    let e = GpuSampler::with_limits(&ctx, &program, &SamplerConfig::new(150), shape(64, 3))
        .err()
        .unwrap()
        .to_string();
    assert!(
        e.contains("words per invocation: 3; the general kernel takes 1, 2 or 4"),
        "{e}"
    );
    for bad in [0, 100_000] {
        let limits = PlanLimits {
            workgroup_size: bad,
            ..device
        };
        let e = GpuSampler::with_limits(&ctx, &program, &SamplerConfig::new(8), limits)
            .err()
            .unwrap()
            .to_string();
        assert!(
            e.contains(&format!(
                "workgroup size: {bad} invocations; this device allows 1 to"
            )),
            "{e}"
        );
    }
}

/// A random model of 14 nodes, three of them clamped: the program and the clamp values.
fn clamped_random_program() -> (SamplingProgram, Array2<i8>) {
    let clamp = random_clamp(8, 14, 3);
    let clamped: Vec<u32> = clamp.iter().map(|&(i, _)| i).collect();
    let values = Array2::from_shape_fn((1, 3), |(_, k)| if clamp[k].1 { 1i8 } else { -1 });
    let program = SamplingProgram::new(random_model(8, 14, 0.3), Blocks::Auto, &clamped).unwrap();
    (program, values)
}

#[test]
fn every_general_kernel_variant_draws_the_cpu_samplers_spins() {
    let Some(ctx) = gpu() else { return };
    let device = PlanLimits::of_device(&ctx.device().limits());
    let features = ctx.device().features();
    let max_subgroup = ctx.adapter_info().subgroup_max_size;
    let (program, values) = clamped_random_program();
    let model = program.model().clone();
    let mut ran = Vec::new();
    for kernel in GeneralKernel::ALL {
        for size in [1, 32, 64, 256] {
            let limits = PlanLimits {
                workgroup_size: size,
                general_kernel: kernel,
                ..device
            };
            // 150 chains: 5 words, the last part-full.
            let config = |init: Init| {
                SamplerConfig::new(150)
                    .seed(17)
                    .init(init)
                    .clamp_values(values.clone())
            };
            if let Some(why) = kernel.unavailable(size, features, max_subgroup) {
                let err = GpuSampler::with_limits(&ctx, &program, &config(Init::Uniform), limits)
                    .err()
                    .expect("an unavailable variant is an error");
                assert!(err.to_string().contains(&why), "{err}");
                continue;
            }
            for init in [Init::Hinton, Init::Uniform] {
                let gpu =
                    GpuSampler::with_limits(&ctx, &program, &config(init.clone()), limits).unwrap();
                compare(&program, 150, init, Some(&values), gpu, true, &[]);
            }
            ran.push((kernel, size));
        }
    }
    eprintln!("{}: {ran:?}", ctx.describe());
    assert!(ran.contains(&(GeneralKernel::Lanes, 64)), "{ran:?}");
    // Chain groups, a split adjacency, two temperatures and folded dispatches, per variant.
    let program = SamplingProgram::new(model.clone(), Blocks::Auto, &[]).unwrap();
    let items = (model.num_nodes() + model.num_edges()) as u64;
    for kernel in ran
        .iter()
        .map(|(k, _)| *k)
        .filter(|k| *k != GeneralKernel::Words)
    {
        let limits = PlanLimits {
            max_binding_bytes: (2 * 32 * 4 * items).max(4 * model.num_edges() as u64),
            max_workgroups_per_dim: 3,
            workgroup_size: 64,
            general_kernel: kernel,
            ..device
        };
        let config = SamplerConfig::new(256).seed(17);
        let gpu = GpuSampler::with_limits(&ctx, &program, &config, limits).unwrap();
        assert!(gpu.chain_groups() > 1, "{kernel:?}");
        compare(&program, 256, Init::Hinton, None, gpu, false, &[0.6, 1.3]);
    }
}

#[test]
fn metropolis_updates_draw_the_cpu_samplers_spins_in_every_variant() {
    let Some(ctx) = gpu() else { return };
    let device = PlanLimits::of_device(&ctx.device().limits());
    let features = ctx.device().features();
    let max_subgroup = ctx.adapter_info().subgroup_max_size;
    // The float path (random couplings, three nodes clamped) and the counting path (a lattice's
    // equal couplings and field, which the heat bath would run on the lattice path).
    let (random, values) = clamped_random_program();
    let lattice = Lattice::square(16, 12, true).unwrap();
    let model = lattice.model(0.7, 0.05, 0.5).unwrap();
    let ferro = SamplingProgram::new(model, Blocks::Auto, &[]).unwrap();
    let schedule = SamplingSchedule::new(0, 6, 1).unwrap();
    let mut ran = 0;
    for (program, clamp_values) in [(&random, Some(values)), (&ferro, None)] {
        let nodes: Vec<u32> = (0..program.model().num_nodes() as u32).collect();
        // 6 words of chains at two temperatures.
        let config = SamplerConfig {
            clamp_values: clamp_values.clone(),
            ..SamplerConfig::new(192)
                .seed(17)
                .init(Init::Uniform)
                .rule(UpdateRule::Metropolis)
        };
        let mut cpu = CpuSampler::new(program, &config).unwrap();
        assert_eq!(cpu.update_path(), UpdatePath::General);
        let betas = [0.4, 1.1];
        cpu.set_betas(&betas).unwrap();
        let expected = cpu.sample(&schedule, &nodes).unwrap();
        cpu.sweep(5).unwrap();
        let expected_state = cpu.state().unwrap();
        let shapes = GeneralKernel::ALL.into_iter().flat_map(|kernel| {
            let words: &[u32] = match kernel {
                GeneralKernel::Words => &[1, 2, 4],
                _ => &[1],
            };
            words.iter().map(move |&w| (kernel, w))
        });
        for (general_kernel, words_per_invocation) in shapes {
            if general_kernel
                .unavailable(64, features, max_subgroup)
                .is_some()
            {
                continue;
            }
            let limits = PlanLimits {
                workgroup_size: 64,
                general_kernel,
                words_per_invocation,
                ..device
            };
            let mut gpu = GpuSampler::with_limits(&ctx, program, &config, limits).unwrap();
            gpu.set_betas(&betas).unwrap();
            let what = format!("{general_kernel:?}, {words_per_invocation} words an invocation");
            assert_eq!(gpu.sample(&schedule, &nodes).unwrap(), expected, "{what}");
            gpu.sweep(5).unwrap();
            assert_eq!(gpu.state().unwrap(), expected_state, "{what}");
            ran += 1;
        }
    }
    assert!(ran >= 8, "{ran} variants ran");
    // The lattice path runs the heat bath only.
    let config = SamplerConfig::new(64)
        .path(UpdatePath::Lattice)
        .rule(UpdateRule::Metropolis);
    let err = GpuSampler::new(&ctx, &ferro, &config).err().unwrap();
    assert!(err.to_string().contains("Metropolis"), "{err}");
}
