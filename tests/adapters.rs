//! Every adapter wgpu finds (here lavapipe through Vulkan and llvmpipe through GL) draws the CPU
//! sampler's samples, moments and energies for a seed, and chains spread over several adapters draw
//! what one sampler of all of them draws.

mod common;

use ising_wgpu::{
    Blocks, CpuSampler, GpuContext, GpuSampler, IsingModel, Lattice, MultiGpuSampler, Observe,
    Sampler, SamplerConfig, SamplingProgram, SamplingSchedule,
};

/// A context on every adapter of every backend, or none with a notice (a failure with
/// `ISING_REQUIRE_GPU=1`).
fn every_adapter() -> Vec<GpuContext> {
    let adapters = pollster::block_on(GpuContext::adapters(wgpu::Backends::all()));
    let contexts: Vec<GpuContext> = adapters
        .iter()
        .map(|a| pollster::block_on(GpuContext::from_adapter(a)).expect("a device"))
        .collect();
    if contexts.is_empty() {
        if std::env::var("ISING_REQUIRE_GPU").as_deref() == Ok("1") {
            panic!("ISING_REQUIRE_GPU=1 but wgpu finds no adapter");
        }
        eprintln!("skipping GPU test (set ISING_REQUIRE_GPU=1 to fail instead): no adapter");
    }
    // CI asks for both of Mesa's adapters (Vulkan and GL), so that the comparison cannot skip one.
    if let Some(wanted) = std::env::var("ISING_REQUIRE_ADAPTERS")
        .ok()
        .and_then(|n| n.parse::<usize>().ok())
    {
        let found: Vec<String> = contexts.iter().map(GpuContext::describe).collect();
        assert!(
            contexts.len() >= wanted,
            "ISING_REQUIRE_ADAPTERS={wanted} but wgpu finds {}: {found:?}",
            contexts.len()
        );
    }
    contexts
}

/// What a short run of `sampler` observes: samples of every node, moments and energies.
fn observe_all(sampler: &mut dyn Sampler, nodes: u32) -> ising_wgpu::Observed {
    let schedule = SamplingSchedule::new(5, 6, 2).unwrap();
    let observe = Observe {
        samples: Some((0..nodes).collect()),
        moments: true,
        energy: true,
        overlap: true,
    };
    sampler.run(&schedule, &observe).unwrap()
}

fn programs() -> Vec<SamplingProgram> {
    let general = common::random_model(12, 13, 0.35);
    let lattice = Lattice::square(8, 6, true)
        .unwrap()
        .model(0.4, 0.1, 1.0)
        .unwrap();
    vec![
        SamplingProgram::new(general, Blocks::Auto, &[]).unwrap(),
        SamplingProgram::new(lattice, Blocks::Auto, &[]).unwrap(),
    ]
}

#[test]
fn every_adapter_draws_the_cpu_samplers_samples_moments_and_energies() {
    let contexts = every_adapter();
    for program in programs() {
        let nodes = program.model().num_nodes() as u32;
        let config = SamplerConfig::new(70).seed(17);
        let expected = observe_all(&mut CpuSampler::new(&program, &config).unwrap(), nodes);
        for ctx in &contexts {
            let mut gpu = GpuSampler::new(ctx, &program, &config).unwrap();
            let observed = observe_all(&mut gpu, nodes);
            assert_eq!(
                observed,
                expected,
                "{} ({:?})",
                ctx.describe(),
                gpu.update_path()
            );
        }
    }
    eprintln!("{} adapters agree with the CPU", contexts.len());
}

#[test]
fn chains_spread_over_several_adapters_draw_what_one_sampler_draws() {
    let mut contexts = every_adapter();
    let Some(first) = contexts.first().cloned() else {
        return;
    };
    // Three shards at least: a second device on the first adapter stands in for a missing one.
    while contexts.len() < 3 {
        let adapter = pollster::block_on(GpuContext::adapters(first.adapter_info().backend.into()));
        contexts.push(pollster::block_on(GpuContext::from_adapter(&adapter[0])).unwrap());
    }
    for program in programs() {
        let nodes = program.model().num_nodes() as u32;
        // 4 words over 3 devices: 2, 1 and 1 words; the last word part-full.
        let config = SamplerConfig::new(120).seed(5).betas(&[0.7, 1.1]);
        let mut multi = MultiGpuSampler::new(&contexts, &program, &config).unwrap();
        let mut cpu = CpuSampler::new(&program, &config).unwrap();
        assert_eq!(multi.shard_chains(), vec![0..64, 64..96, 96..120]);
        assert_eq!(observe_all(&mut multi, nodes), observe_all(&mut cpu, nodes));
        multi.sweep(3).unwrap();
        cpu.sweep(3).unwrap();
        assert_eq!(multi.state().unwrap(), cpu.state().unwrap());
        multi.set_betas(&[0.5]).unwrap();
        cpu.set_betas(&[0.5]).unwrap();
        let model = program.model();
        let weaker: Vec<f32> = model.weights().iter().map(|w| 0.5 * w).collect();
        let changed = IsingModel::new(
            model.num_nodes(),
            model.edges().to_vec(),
            weaker,
            model.biases().to_vec(),
            0.9,
        )
        .unwrap();
        assert_eq!(
            multi.set_parameters(&changed).unwrap(),
            cpu.set_parameters(&changed).unwrap()
        );
        assert_eq!(observe_all(&mut multi, nodes), observe_all(&mut cpu, nodes));
        assert!(
            multi.backend_name().starts_with("gpu x 3"),
            "{}",
            multi.backend_name()
        );
    }
}

#[test]
fn a_multi_gpu_sampler_needs_a_device() {
    let program = programs().remove(0);
    let err = MultiGpuSampler::new(&[], &program, &SamplerConfig::new(32))
        .err()
        .expect("no devices");
    assert!(err.to_string().contains("at least one"), "{err}");
}
