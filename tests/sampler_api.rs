//! The sampler's configuration and reports, on every backend: the update path is the one asked for
//! and never changes unseen; plain sweeps are the schedule's sweeps; temperature groups are checked.

mod common;

use common::{backends, random_model};
use ising_wgpu::{
    Blocks, Init, Lattice, Observe, SamplerConfig, SamplingProgram, SamplingSchedule, UpdatePath,
};

#[test]
fn the_update_path_is_the_one_asked_for_and_never_changes_unseen() {
    let torus = Lattice::square(8, 6, true).unwrap();
    let program = torus.program(1.0, 0.0, 0.4).unwrap();
    let mut uneven = program.model().clone();
    uneven
        .set_weights((0..96).map(|k| 0.5 + 0.01 * k as f32).collect())
        .unwrap();
    for backend in backends() {
        let name = backend.name();
        // Asked for nothing: the lattice path while the parameters allow it, and each switch is
        // returned.
        let mut sampler = backend.sampler(&program, &SamplerConfig::new(64)).unwrap();
        assert_eq!(sampler.update_path(), UpdatePath::Lattice, "{name}");
        assert_eq!(
            sampler.set_parameters(&uneven).unwrap(),
            UpdatePath::General
        );
        assert_eq!(sampler.update_path(), UpdatePath::General, "{name}");
        assert_eq!(
            sampler.set_parameters(program.model()).unwrap(),
            UpdatePath::Lattice
        );
        // Asked for the general path on a lattice: it runs.
        let general = SamplerConfig::new(64).path(UpdatePath::General);
        let sampler = backend.sampler(&program, &general).unwrap();
        assert_eq!(sampler.update_path(), UpdatePath::General, "{name}");
        // Asked for the lattice path: new parameters that rule it out are an error, and nothing
        // changes.
        let lattice = SamplerConfig::new(64).path(UpdatePath::Lattice);
        let mut sampler = backend.sampler(&program, &lattice).unwrap();
        let e = sampler.set_parameters(&uneven).unwrap_err().to_string();
        assert!(
            e.contains("the couplings are not all +J or -J"),
            "{name}: {e}"
        );
        assert_eq!(sampler.update_path(), UpdatePath::Lattice, "{name}");
        // And on a program that is no lattice, before anything is allocated.
        let plain = SamplingProgram::new(random_model(3, 8, 0.4), Blocks::Auto, &[]).unwrap();
        let e = backend.sampler(&plain, &lattice).err().unwrap().to_string();
        assert!(e.contains("not built by Lattice::program"), "{name}: {e}");
        let site_packed = SamplerConfig::new(64).path(UpdatePath::SitePacked);
        let e = backend
            .sampler(&plain, &site_packed)
            .err()
            .unwrap()
            .to_string();
        assert!(e.contains("SitePackedLattice"), "{name}: {e}");
    }
}

#[test]
fn plain_sweeps_are_the_sweeps_of_a_schedule() {
    let program = SamplingProgram::new(random_model(5, 12, 0.4), Blocks::Auto, &[]).unwrap();
    for backend in backends() {
        let config = SamplerConfig::new(70).seed(3).init(Init::Uniform);
        let mut swept = backend.sampler(&program, &config).unwrap();
        let mut scheduled = backend.sampler(&program, &config).unwrap();
        swept.sweep(4).unwrap();
        swept.sweep(3).unwrap();
        // A schedule of 7 warm-up sweeps and one sample, observing nothing.
        let schedule = SamplingSchedule::new(7, 1, 1).unwrap();
        scheduled.run(&schedule, &Observe::default()).unwrap();
        assert_eq!(
            swept.state().unwrap(),
            scheduled.state().unwrap(),
            "{}",
            backend.name()
        );
    }
}

#[test]
fn temperature_groups_are_whole_words_that_split_evenly() {
    let program = SamplingProgram::new(random_model(6, 8, 0.4), Blocks::Auto, &[]).unwrap();
    for backend in backends() {
        let config = SamplerConfig::new(96).betas(&[0.5, 1.0]);
        let e = backend
            .sampler(&program, &config)
            .err()
            .unwrap()
            .to_string();
        assert!(e.contains("multiple of 64 chains"), "{e}");
        let e = backend
            .sampler(&program, &SamplerConfig::new(128).betas(&[0.5, f32::NAN]))
            .err()
            .unwrap()
            .to_string();
        assert!(e.contains("betas[1]"), "{e}");
        let mut sampler = backend
            .sampler(&program, &SamplerConfig::new(128).betas(&[0.5, 1.0]))
            .unwrap();
        let t = sampler.temperatures().clone();
        assert_eq!((t.betas(), t.chains_of(1)), (&[0.5, 1.0][..], 64..128));
        assert!(sampler.set_betas(&[0.1, 0.2, 0.3]).is_err());
        assert_eq!(
            sampler.temperatures(),
            &t,
            "a refused change changes nothing"
        );
        let mut model = program.model().clone();
        model.set_beta(0.7).unwrap();
        sampler.set_parameters(&model).unwrap();
        assert_eq!(sampler.temperatures().betas(), &[0.7]);
    }
}

#[test]
fn both_layouts_start_from_the_same_kinds_of_state() {
    use ising_wgpu::SitePackedLattice;
    let program = SamplingProgram::new(random_model(7, 9, 0.4), Blocks::Auto, &[2]).unwrap();
    let lattice = SitePackedLattice::square(128, 8, 1.0, 0.5, 0.8).unwrap();
    let sites = lattice.num_sites() as usize;
    let given =
        ndarray::Array2::from_shape_fn(
            (1, sites),
            |(_, i)| {
                if (i * 7 + i / 3) % 5 < 2 { 1i8 } else { -1 }
            },
        );
    for backend in backends() {
        let name = backend.name();
        // Chain-major, all up: every free spin up, the clamped node at its value.
        let config = SamplerConfig::new(40)
            .init(Init::AllUp)
            .clamp_values(ndarray::arr2(&[[-1i8]]));
        let state = backend.sampler(&program, &config).unwrap().state().unwrap();
        for ((_, i), &v) in state.indexed_iter() {
            assert_eq!(v, if i == 2 { -1 } else { 1 }, "{name}, node {i}");
        }
        // Site-packed: given states come back as they were, and a wrong shape names the problem.
        let mut packed = backend
            .site_packed(&lattice, 1, Init::States(given.clone()))
            .unwrap();
        assert_eq!(packed.state().unwrap(), given.as_slice().unwrap(), "{name}");
        assert_eq!(packed.update_path(), UpdatePath::SitePacked);
        let e = backend
            .site_packed(&lattice, 1, Init::States(given.t().to_owned()))
            .err()
            .unwrap()
            .to_string();
        assert!(e.contains("expected (1, sites) = (1, 1024)"), "{name}: {e}");
        // hinton_init: each site up with probability sigmoid(beta h), within 5 standard errors.
        let mut hinton = backend.site_packed(&lattice, 2, Init::Hinton).unwrap();
        let up = hinton.state().unwrap().iter().filter(|&&v| v == 1).count() as f64;
        let p = 1.0 / (1.0 + (-0.8f64 * 0.5).exp());
        let se = (p * (1.0 - p) / sites as f64).sqrt();
        assert!(
            (up / sites as f64 - p).abs() < 5.0 * se,
            "{name}: {up} of {sites}, p {p}"
        );
    }
}
