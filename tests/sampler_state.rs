//! Saved and restored sampler states: a fresh sampler restored from another's state draws what that
//! one draws next, bit for bit, on every backend (the CPU, a GPU in one or several chain groups,
//! several devices); a state that does not fit is refused naming the mismatch, and nothing changes.

mod common;

use ising_wgpu::{
    Blocks, CpuSampler, GpuSampler, Init, MultiGpuSampler, Observe, PlanLimits, Sampler,
    SamplerConfig, SamplingProgram, SamplingSchedule,
};

/// Every backend's sampler of `config` on `program`, named, made by `make` as often as asked.
type Maker<'a> = Box<dyn Fn() -> Box<dyn Sampler> + 'a>;

fn makers<'a>(program: &'a SamplingProgram, config: &'a SamplerConfig) -> Vec<(String, Maker<'a>)> {
    let mut all: Vec<(String, Maker<'a>)> = vec![(
        "cpu".into(),
        Box::new(|| Box::new(CpuSampler::new(program, config).unwrap())),
    )];
    if let Some(ctx) = common::gpu() {
        let device = PlanLimits::of_device(&ctx.device().limits());
        // Bindings of two words a node: the chains of more than two words split over chain groups.
        let small = PlanLimits {
            max_binding_bytes: 8 * program.model().num_nodes() as u64,
            ..device
        };
        let one = ctx.clone();
        all.push((
            "gpu".into(),
            Box::new(move || Box::new(GpuSampler::new(&one, program, config).unwrap())),
        ));
        let split = ctx.clone();
        all.push((
            "gpu, chain groups".into(),
            Box::new(move || {
                let sampler = GpuSampler::with_limits(&split, program, config, small).unwrap();
                assert!(sampler.chain_groups() > 1);
                Box::new(sampler)
            }),
        ));
        let two = vec![ctx.clone(), ctx];
        all.push((
            "two devices".into(),
            Box::new(move || Box::new(MultiGpuSampler::new(&two, program, config).unwrap())),
        ));
    }
    all
}

/// Samples and overlaps, and moment counts and energies where the bindings hold them (`full`).
fn observe_all(sampler: &mut dyn Sampler, nodes: u32, full: bool) -> ising_wgpu::Observed {
    let observe = Observe {
        samples: Some((0..nodes).collect()),
        moments: full,
        energy: full,
        overlap: true,
    };
    sampler
        .run(&SamplingSchedule::new(3, 20, 2).unwrap(), &observe)
        .unwrap()
}

#[test]
fn a_restored_sampler_continues_as_the_saved_one_does() {
    // Sparse, so that half the adjacency fits a binding of the chain-group sampler.
    let model = common::random_model(21, 18, 0.12);
    let program = SamplingProgram::new(model, Blocks::Auto, &[4, 9]).unwrap();
    let clamp = ndarray::Array2::from_shape_vec((1, 2), vec![1i8, -1]).unwrap();
    let config = SamplerConfig::new(150)
        .seed(3)
        .init(Init::Uniform)
        .clamp_values(clamp);
    for (name, make) in makers(&program, &config) {
        let mut saved = make();
        saved.sweep(7).unwrap();
        // Kept states of every other chain, then five temperature groups.
        let masks = vec![0x5555_5555u32; 5];
        saved.keep_lanes(&masks).unwrap();
        saved.sweep(2).unwrap();
        saved.set_betas(&[0.6, 0.8, 1.0, 1.2, 1.3]).unwrap();
        let state = saved.save_state().unwrap();
        assert_eq!(state.next_sweep, 9, "{name}");
        assert!(state.kept.is_some(), "{name}");
        let mut restored = make();
        restored.restore_state(&state).unwrap();
        assert_eq!(restored.save_state().unwrap(), state, "{name}");
        let (nodes, full) = (program.model().num_nodes() as u32, !name.contains("groups"));
        assert_eq!(
            observe_all(restored.as_mut(), nodes, full),
            observe_all(saved.as_mut(), nodes, full),
            "{name}"
        );
        saved.keep_lanes(&[u32::MAX; 5]).unwrap();
        restored.keep_lanes(&[u32::MAX; 5]).unwrap();
        assert_eq!(
            restored.kept_state().unwrap(),
            saved.kept_state().unwrap(),
            "{name}"
        );
        // A state without kept states drops the restored sampler's.
        let mut plain = state.clone();
        plain.kept = None;
        restored.restore_state(&plain).unwrap();
        assert_eq!(restored.save_state().unwrap().kept, None, "{name}");
    }
}

#[test]
fn a_state_that_does_not_fit_is_refused_and_changes_nothing() {
    let model = common::random_model(5, 10, 0.1);
    let program = SamplingProgram::new(model, Blocks::Auto, &[]).unwrap();
    let config = SamplerConfig::new(96).seed(1);
    for (name, make) in makers(&program, &config) {
        let mut sampler = make();
        sampler.sweep(3).unwrap();
        let good = sampler.save_state().unwrap();
        let mut other = make();
        other.sweep(5).unwrap();
        let theirs = other.save_state().unwrap();
        let refused = |bad: ising_wgpu::SamplerState, expected: &str| {
            let mut target = make();
            target.restore_state(&theirs).unwrap();
            let e = target.restore_state(&bad).unwrap_err().to_string();
            assert!(e.contains(expected), "{name}: {e}");
            assert_eq!(
                target.save_state().unwrap(),
                theirs,
                "{name}: changed by a refusal"
            );
        };
        let mut fewer = good.clone();
        fewer.spins = good.spins.slice(ndarray::s![..32, ..]).to_owned();
        refused(
            fewer,
            "spins are 32 chains x 10 nodes; this sampler has 96 x 10",
        );
        let mut zero = good.clone();
        zero.spins[(7, 2)] = 0;
        refused(zero, "spins hold 0 for chain 7, node 2");
        let mut kept = good.clone();
        kept.kept = Some(good.spins.slice(ndarray::s![.., ..4]).to_owned());
        refused(kept, "kept states are 96 chains x 4 nodes");
        let mut betas = good.clone();
        betas.betas = vec![1.0, 2.0];
        refused(betas, "2 temperatures need the 3 words");
    }
}
