//! Memory budgets: requests too large for this machine are errors naming the request, found before
//! anything is allocated, from the library and from the command line; no size reaches an
//! allocation failure, an abort or a panic.

mod common;

use std::process::Command;
use std::time::{Duration, Instant};

use ising_wgpu::{
    Blocks, CpuSampler, Error, IsingModel, Lattice, Observe, Sampler, SamplerConfig,
    SamplingProgram, SamplingSchedule,
};
use proptest::prelude::*;

fn ring(n: u32) -> SamplingProgram {
    let edges = (0..n).map(|i| (i, (i + 1) % n)).collect();
    let model = IsingModel::new(
        n as usize,
        edges,
        vec![0.5; n as usize],
        vec![0.0; n as usize],
        1.0,
    );
    SamplingProgram::new(model.unwrap(), Blocks::Auto, &[]).unwrap()
}

/// Chain counts from small to absurd.
const CHAINS: [usize; 5] = [1, 33, 1 << 40, 1 << 62, usize::MAX];
/// Sample counts from small to absurd.
const SAMPLES: [u64; 5] = [1, 3, 1 << 33, 1 << 58, u64::MAX];

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]
    #[test]
    fn no_size_panics_or_aborts(c in 0..CHAINS.len(), s in 0..SAMPLES.len(), what in 0..3usize) {
        let (chains, samples) = (CHAINS[c], SAMPLES[s]);
        let observe = Observe {
            samples: (what == 0).then(|| vec![0, 1, 2]),
            moments: what == 1,
            energy: what == 2,
            overlap: false,
        };
        let result = CpuSampler::new(&ring(8), &SamplerConfig::new(chains)).and_then(|mut sampler| {
            let schedule = SamplingSchedule::new(0, samples, 1)?;
            sampler.run(&schedule, &observe).map(|_| ())
        });
        match result {
            Ok(()) => prop_assert!(chains <= 33 && samples <= 3),
            Err(Error::TooLarge { .. } | Error::InvalidArgument { .. }) => {
                prop_assert!(chains > 33 || samples > 3)
            }
            Err(e) => prop_assert!(false, "unexpected error {e}"),
        }
    }
}

#[test]
fn huge_lattices_and_models_are_refused_before_they_are_built() {
    let e = Lattice::square(65535, 65535, true).unwrap_err();
    assert!(matches!(e, Error::TooLarge { .. }), "{e}");
    assert!(e.to_string().contains("4294836225 nodes"), "{e}");
    let e = IsingModel::random_normal(u32::MAX as usize, vec![(0, 1)], 1.0, 0).unwrap_err();
    assert!(
        e.to_string().contains("needs") && e.to_string().contains("ask for less"),
        "{e}"
    );
}

/// Runs `ising args`, asserting a quick exit 2 whose message names `flag` and says what is too large.
fn refused(args: &[&str], flag: &str, says: &str) {
    let start = Instant::now();
    let out = Command::new(env!("CARGO_BIN_EXE_ising"))
        .args(args)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
    assert!(
        stderr.starts_with(&format!("ising: error: {flag}"))
            && stderr.contains(says)
            && stderr.contains("ask for less"),
        "{args:?}: {stderr}"
    );
    assert!(
        start.elapsed() < Duration::from_secs(10),
        "{args:?} took {:?}",
        start.elapsed()
    );
}

#[test]
fn the_command_line_refuses_requests_too_large_at_once() {
    let dir = std::env::temp_dir().join(format!("ising-budgets-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let model = dir.join("m.json");
    let m = common::random_model(1, 8, 0.4);
    std::fs::write(&model, ising_wgpu::io::model_to_json(&m)).unwrap();
    let model = model.display().to_string();
    let data = dir.join("d.csv");
    std::fs::write(&data, "1,-1\n").unwrap();
    let data = data.display().to_string();
    let edges = dir.join("big.edges");
    std::fs::write(&edges, "4294967295 1\n0 1\n").unwrap();
    let out = dir.join("x.npy");
    let out_text = out.display().to_string();
    let cpu = ["--backend", "cpu"];
    let sample = |extra: &[&'static str]| -> Vec<String> {
        ["sample", "--model", &model]
            .iter()
            .map(|s| s.to_string())
            .chain(extra.iter().map(|s| s.to_string()))
            .chain(cpu.iter().map(|s| s.to_string()))
            .collect()
    };
    let run = |args: Vec<String>, flag: &str, says: &str| {
        refused(
            &args.iter().map(String::as_str).collect::<Vec<_>>(),
            flag,
            says,
        )
    };
    run(
        sample(&["--chains", "18446744073709551615", "--moments"]),
        "--chains: ",
        "18446744073709551615 chains",
    );
    run(
        sample(&["--chains", "1000000000", "--moments"]),
        "--chains: ",
        "1000000000 chains",
    );
    let mut with_out = sample(&["--samples", "100000000000"]);
    with_out.extend(["--out".into(), out_text.clone()]);
    run(with_out, "--samples: ", "100000000000 samples");
    assert!(!out.exists());
    refused(
        &[
            "bench",
            "--lattice",
            "2d",
            "--size",
            "65535",
            "--backend",
            "cpu",
        ],
        "--size: ",
        "a model of 4294836225 nodes",
    );
    refused(
        &[
            "bench",
            "--graph",
            edges.to_str().unwrap(),
            "--backend",
            "cpu",
        ],
        "--graph: ",
        "a model of 4294967295 nodes",
    );
    refused(
        &[
            "kl-grad",
            "--model",
            &model,
            "--data",
            &data,
            "--data-nodes",
            "0,1",
            "--chains",
            "1000000000",
            "--backend",
            "cpu",
        ],
        "--chains: ",
        "1000000000 chains",
    );
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn the_memory_variable_caps_every_budget_and_a_bad_value_is_named() {
    let dir = std::env::temp_dir().join(format!("ising-budgets-cap-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    // 33 bytes that name variable 444444444: a model of 444444445 variables, some 10 GB.
    let coo = dir.join("far.coo");
    std::fs::write(&coo, "0 1 0.5\n444444444 2 1\n").unwrap();
    let anneal = |memory: &str| {
        Command::new(env!("CARGO_BIN_EXE_ising"))
            .args([
                "anneal",
                "--problem",
                coo.to_str().unwrap(),
                "--backend",
                "cpu",
            ])
            .env(ising_wgpu::MEMORY_VARIABLE, memory)
            .output()
            .unwrap()
    };
    let start = Instant::now();
    let out = anneal("200M");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("--problem: a model of 444444445 nodes")
            && stderr.contains("more than the 200.0 MB"),
        "{stderr}"
    );
    assert!(start.elapsed() < Duration::from_secs(10));
    // One site-packed lattice of 2^30 sites holds 128 MiB of words.
    let out = Command::new(env!("CARGO_BIN_EXE_ising"))
        .args([
            "bench",
            "--lattice",
            "2d",
            "--size",
            "32768",
            "--chains",
            "1",
        ])
        .args(["--backend", "cpu"])
        .env(ising_wgpu::MEMORY_VARIABLE, "100M")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("--size: a site-packed lattice of [32768, 32768, 1]")
            && stderr.contains("more than the 100.0 MB"),
        "{stderr}"
    );
    let out = anneal("lots");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("ISING_WGPU_MEMORY: 'lots' is not a size"),
        "{stderr}"
    );
    std::fs::remove_dir_all(dir).unwrap();
}
