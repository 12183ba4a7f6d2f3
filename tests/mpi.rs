//! `ising` under `mpirun` (the `mpi` feature, Open MPI's launcher): chains split over 2 and 4 ranks
//! give exactly one process's moments, observables, samples, anneal results, KL gradients and
//! trained models, on the CPU and on the GPU; one lattice cut into slabs over 2 to 4 ranks gives one
//! process's states bit for bit, 2D and 3D; a job that cannot start fails on every rank with the
//! reason, never hangs.
#![cfg(feature = "mpi")]

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

/// A scratch directory per test.
fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("ising-mpi-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Waits for `command` at most `limit`; a job still running by then is killed and fails the test.
fn finish(mut command: Command, limit: Duration) -> Output {
    let mut child = command
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the command starts (is Open MPI's mpirun installed?)");
    let start = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if start.elapsed() > limit {
            child.kill().unwrap();
            panic!("{command:?} still running after {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    child.wait_with_output().unwrap()
}

/// `ising args` in one process (no MPI), or as `ranks` ranks of `mpirun`.
fn ising(ranks: Option<usize>, args: &[&str]) -> Output {
    let bin = env!("CARGO_BIN_EXE_ising");
    let command = match ranks {
        None => {
            let mut c = Command::new(bin);
            c.args(args);
            c
        }
        Some(k) => {
            let mut c = Command::new("mpirun");
            c.args([
                "--allow-run-as-root",
                "--oversubscribe",
                "-np",
                &k.to_string(),
            ])
            .arg(bin)
            .args(args);
            c
        }
    };
    finish(command, Duration::from_secs(120))
}

/// The JSON a successful run printed, without what differs between runs of the same results
/// (timings, the backend's name, the rank count, output paths).
fn results(out: &Output) -> Value {
    assert!(
        out.status.success(),
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut v: Value = serde_json::from_slice(&out.stdout).expect("one JSON object on stdout");
    for key in ["seconds", "backend", "ranks", "out", "observables_out"] {
        v.as_object_mut().unwrap().remove(key);
    }
    v
}

/// The backends to compare: the CPU always, a GPU adapter when there is one.
fn backends() -> Vec<&'static str> {
    let mut all = vec!["cpu"];
    all.extend(common::gpu().map(|_| "gpu"));
    all
}

fn path(dir: &Path, name: &str) -> String {
    dir.join(name).display().to_string()
}

#[test]
fn sampling_over_ranks_gives_one_processs_numbers() {
    let dir = scratch("sample");
    let model = common::random_model(21, 12, 0.35);
    let model_path = path(&dir, "m.json");
    std::fs::write(&model_path, ising_wgpu::io::model_to_json(&model)).unwrap();
    for backend in backends() {
        // 240 chains: 8 words (the last part-full), over 2 ranks 4 + 4, over 4 ranks 2 each.
        let run = |ranks: Option<usize>, tag: &str| {
            let (out, obs) = (
                path(&dir, &format!("{tag}.npy")),
                path(&dir, &format!("{tag}-obs.npy")),
            );
            let args = [
                "sample",
                "--model",
                &model_path,
                "--clamp",
                "3=+1,8=-1",
                "--chains",
                "240",
                "--warmup",
                "10",
                "--samples",
                "30",
                "--seed",
                "9",
                "--betas",
                "0.6,1.1",
                "--moments",
                "--observe",
                "energy,magnetization",
                "--out",
                &out,
                "--observables-out",
                &obs,
                "--backend",
                backend,
            ];
            let json = results(&ising(ranks, &args));
            (
                json,
                std::fs::read(out).unwrap(),
                std::fs::read(obs).unwrap(),
            )
        };
        let one = run(None, &format!("{backend}-1"));
        assert!(one.0["node_means"].is_array(), "{}", one.0);
        for ranks in [2, 4] {
            let many = run(Some(ranks), &format!("{backend}-{ranks}"));
            assert_eq!(many.0, one.0, "{backend}, {ranks} ranks: JSON");
            assert!(many.1 == one.1, "{backend}, {ranks} ranks: samples differ");
            assert!(
                many.2 == one.2,
                "{backend}, {ranks} ranks: observables differ"
            );
        }
    }
}

#[test]
fn annealing_over_ranks_finds_one_processs_bests() {
    let dir = scratch("anneal");
    let problem = concat!(env!("CARGO_MANIFEST_DIR"), "/data/gset/G14.txt");
    for backend in backends() {
        let run = |ranks: Option<usize>| {
            let out = path(&dir, &format!("{backend}-{}.npy", ranks.unwrap_or(1)));
            let args = [
                "anneal",
                "--problem",
                problem,
                "--format",
                "gset",
                "--reads",
                "96",
                "--sweeps",
                "150",
                "--seed",
                "4",
                "--json",
                "--out",
                &out,
                "--backend",
                backend,
            ];
            (results(&ising(ranks, &args)), std::fs::read(out).unwrap())
        };
        let one = run(None);
        for ranks in [2, 3] {
            let many = run(Some(ranks));
            assert_eq!(many.0, one.0, "{backend}, {ranks} ranks");
            assert!(
                many.1 == one.1,
                "{backend}, {ranks} ranks: best states differ"
            );
        }
    }
}

#[test]
fn training_over_ranks_gives_one_processs_gradients_and_model() {
    let dir = scratch("train");
    let model = common::random_model(41, 9, 0.5);
    let model_path = path(&dir, "m.json");
    std::fs::write(&model_path, ising_wgpu::io::model_to_json(&model)).unwrap();
    let data = path(&dir, "d.csv");
    std::fs::write(&data, "1,-1,1\n-1,-1,1\n1,1,-1\n").unwrap();
    // 128 chains a row in the positive phase (12 words), 128 in the negative one (4 words).
    let base = [
        "--model",
        &model_path,
        "--data",
        &data,
        "--data-nodes",
        "0,3,5",
        "--chains",
        "128",
        "--warmup",
        "5",
        "--samples",
        "20",
        "--seed",
        "3",
    ];
    for backend in backends() {
        let grad = [&["kl-grad"][..], &base, &["--backend", backend]].concat();
        let one = results(&ising(None, &grad));
        assert!(one["grad_weights"].is_array(), "{one}");
        for ranks in [2, 4] {
            assert_eq!(
                results(&ising(Some(ranks), &grad)),
                one,
                "{backend}, {ranks} ranks"
            );
        }
        let train = |ranks: Option<usize>| {
            let out = path(&dir, &format!("{backend}-{}.json", ranks.unwrap_or(1)));
            let args = [
                &["train"][..],
                &base,
                &[
                    "--backend",
                    backend,
                    "--epochs",
                    "2",
                    "--lr",
                    "0.05",
                    "--out",
                    &out,
                ],
            ]
            .concat();
            (results(&ising(ranks, &args)), std::fs::read(out).unwrap())
        };
        let one = train(None);
        let two = train(Some(2));
        assert_eq!(two.0, one.0, "{backend}");
        assert!(two.1 == one.1, "{backend}: the trained models differ");
    }
}

#[test]
fn a_job_that_cannot_start_fails_on_every_rank_with_the_reason() {
    let dir = scratch("errors");
    let model_path = path(&dir, "m.json");
    let model = common::random_model(2, 6, 0.5);
    std::fs::write(&model_path, ising_wgpu::io::model_to_json(&model)).unwrap();
    // 64 chains are 2 words: three ranks cannot each hold one.
    let sample = [
        "sample",
        "--model",
        &model_path,
        "--chains",
        "64",
        "--moments",
    ];
    let out = ising(Some(3), &[&sample[..], &["--backend", "cpu"]].concat());
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    for rank in 0..3 {
        assert!(
            stderr.contains(&format!(
                "rank {rank} of 3): invalid chains: 64 chains fill 2 words"
            )),
            "{stderr}"
        );
    }
    assert!(out.stdout.is_empty());
    // Checkpoints are one process's.
    let checkpoint = path(&dir, "ck");
    let args = [
        &sample[..],
        &["--backend", "cpu", "--checkpoint", &checkpoint],
    ]
    .concat();
    let out = ising(Some(2), &args);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("this run has 2 MPI ranks"), "{stderr}");
    assert!(!Path::new(&checkpoint).exists());
}

#[test]
fn a_lattice_cut_into_slabs_gives_one_processs_observables() {
    // 256 rows of a square torus, 64 planes of a cube: slabs of 128 or 64 rows, 32, 22 or 21 planes.
    for (lattice, size, ranks) in [("2d", "256", [2, 4]), ("3d", "64", [2, 3])] {
        let args = [
            "bench",
            "--lattice",
            lattice,
            "--size",
            size,
            "--chains",
            "1",
            "--sweeps",
            "20",
            "--beta",
            "0.44",
            "--seed",
            "5",
            "--backend",
            "cpu",
            "--json",
        ];
        let physics = |out: &Output| {
            let v = results(out);
            (v["energy_per_site"].clone(), v["abs_magnetization"].clone())
        };
        let one = physics(&ising(None, &args));
        for k in ranks {
            let out = ising(Some(k), &args);
            assert_eq!(physics(&out), one, "{lattice} over {k} ranks");
            let v: Value = serde_json::from_slice(&out.stdout).unwrap();
            assert_eq!(v["ranks"], k);
            assert_eq!(v["layout"], "site-packed");
        }
    }
    // Chains over ranks in `bench`: every rank reads the joined state back for the energy.
    let args = [
        "bench",
        "--lattice",
        "2d",
        "--size",
        "64",
        "--chains",
        "96",
        "--sweeps",
        "10",
        "--json",
        "--backend",
        "cpu",
    ];
    let physics = |out: &Output| results(out)["energy_per_site"].clone();
    assert_eq!(
        physics(&ising(Some(2), &args)),
        physics(&ising(None, &args))
    );
    // GPU slabs: one process's energy and magnetisation, on the CPU or the GPU.
    if common::gpu().is_some() {
        let args = [
            "bench",
            "--lattice",
            "2d",
            "--size",
            "256",
            "--chains",
            "1",
            "--sweeps",
            "20",
            "--seed",
            "5",
            "--json",
            "--backend",
        ];
        let physics = |out: &Output| {
            let v = results(out);
            (v["energy_per_site"].clone(), v["abs_magnetization"].clone())
        };
        let one = physics(&ising(None, &[&args[..], &["cpu"]].concat()));
        let out = ising(Some(2), &[&args[..], &["gpu"]].concat());
        assert_eq!(physics(&out), one, "GPU slabs over 2 ranks");
        let v: Value = serde_json::from_slice(&out.stdout).unwrap();
        assert!(v["backend"].as_str().unwrap().contains("gpu"), "{v}");
        assert_eq!(v["site_packed_kernel"], "words", "{v}");
    }
    // Rank 0 alone prints the summary line.
    let args = [
        "bench",
        "--lattice",
        "2d",
        "--chains",
        "1",
        "--backend",
        "cpu",
    ];
    let out = ising(Some(2), &args);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert_eq!(stderr.matches("flips/ns").count(), 1, "{stderr}");
}

/// Run by `slab_states_are_one_processs_bit_for_bit` under `mpirun` (ignored in plain runs): each
/// rank sweeps its slabs of several lattices and, in the same process, the whole lattice, and
/// compares the states and observables after each stretch of sweeps.
#[test]
#[ignore = "runs under mpirun, started by slab_states_are_one_processs_bit_for_bit"]
fn slab_ranks_match_the_whole_lattice() {
    use ising_wgpu::distributed::{RankedSitePacked, rank, ranks};
    use ising_wgpu::{CpuSitePacked, Init, PlanLimits, SitePackedLattice, SitePackedSampler};
    let _universe = mpi::initialize().expect("MPI starts");
    let lattices = [
        // 6 planes: over 4 ranks, slabs of one plane (both boundary planes one, no interior).
        SitePackedLattice::square(256, 6, 1.0, 0.0, 0.44).unwrap(),
        SitePackedLattice::square(512, 12, -0.7, 0.2, 0.9).unwrap(),
        SitePackedLattice::cubic(64, 4, 6, 1.0, 0.1, 0.22).unwrap(),
        SitePackedLattice::cubic(128, 6, 8, 0.8, 0.0, 0.3).unwrap(),
    ];
    let gpu = common::gpu();
    for lattice in lattices {
        let sites = lattice.num_sites() as usize;
        let given: Vec<i8> = (0..sites).map(|i| if i % 7 < 3 { 1 } else { -1 }).collect();
        let states = ndarray::Array2::from_shape_vec((1, sites), given).unwrap();
        let cases = [(Init::Uniform, 1), (Init::States(states), 2)];
        // Each case on the CPU, and on the GPU where there is one with the device's limits; the
        // first case also with each colour's held words over two bindings, cut one word before the
        // end of the last own plane (sent) or one word into the upper halo (received).
        let ways = |case: usize| match case {
            0 => vec![None, Some(None), Some(Some(0)), Some(Some(2))],
            _ => vec![None, Some(None)],
        };
        let runs = cases
            .iter()
            .enumerate()
            .flat_map(|(k, c)| ways(k).into_iter().map(|w| (c.clone(), w)));
        for ((init, threads), way) in runs {
            let mut slabs = match (&gpu, way) {
                (_, None) => {
                    RankedSitePacked::new(&lattice, 11, init.clone(), Some(threads)).unwrap()
                }
                (Some(ctx), Some(cut)) => {
                    let device = PlanLimits::of_device(&ctx.device().limits());
                    let planes = lattice.planes();
                    let plane_words = lattice.words_per_colour() / planes;
                    // This rank's planes: the lower ranks take the longer runs.
                    let own = planes / ranks() + usize::from(rank() < planes % ranks());
                    let first_binding = cut.map(|c| (own + 1) * plane_words + c - 1);
                    let limits = PlanLimits {
                        max_binding_bytes: first_binding
                            .map_or(device.max_binding_bytes, |words| 4 * words as u64),
                        ..device
                    };
                    RankedSitePacked::on_gpu(ctx, &lattice, 11, init.clone(), Some(limits)).unwrap()
                }
                (None, Some(_)) => continue,
            };
            let mut whole = CpuSitePacked::new(&lattice, 11, init).unwrap();
            for (step, sweeps) in [0, 1, 3, 7].into_iter().enumerate() {
                if step == 2 {
                    for s in [&mut slabs as &mut dyn SitePackedSampler, &mut whole] {
                        s.set_parameters(1.0, -0.3, 0.6).unwrap();
                    }
                }
                slabs.sweep(sweeps).unwrap();
                whole.sweep(sweeps).unwrap();
                let what = format!(
                    "{:?} after step {step}, {threads} threads, {}",
                    lattice.sides(),
                    slabs.backend_name()
                );
                assert!(
                    slabs.state().unwrap() == whole.state().unwrap(),
                    "states of {what}"
                );
                assert_eq!(
                    slabs.observables().unwrap(),
                    whole.observables().unwrap(),
                    "{what}"
                );
            }
        }
    }
    // A device lost on one rank mid-run: an error on every rank (that rank's names the loss), and
    // no rank waits for planes that never come.
    if let Some(ctx) = gpu {
        let lattice = SitePackedLattice::square(256, 16, 1.0, 0.0, 0.44).unwrap();
        let mut slabs = RankedSitePacked::on_gpu(&ctx, &lattice, 3, Init::Uniform, None).unwrap();
        slabs.sweep(2).unwrap();
        if rank() == 1 {
            ctx.device().destroy();
        }
        let e = slabs.sweep(3).unwrap_err().to_string();
        let named = if rank() == 1 { "lost" } else { "rank 1 of" };
        assert!(e.contains(named), "rank {}: {e}", rank());
        let e = slabs.observables().unwrap_err().to_string();
        assert!(e.contains(named), "rank {}: {e}", rank());
    }
}

#[test]
fn slab_states_are_one_processs_bit_for_bit() {
    let exe = std::env::current_exe().unwrap();
    for ranks in [2, 4] {
        let mut command = Command::new("mpirun");
        command
            .args([
                "--allow-run-as-root",
                "--oversubscribe",
                "-np",
                &ranks.to_string(),
            ])
            .arg(&exe)
            .args(["--ignored", "--exact", "slab_ranks_match_the_whole_lattice"]);
        // Ranks that wait spin, and share two cores with lavapipe's threads when tests run at once.
        let out = finish(command, Duration::from_secs(300));
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success() && stdout.matches("1 passed").count() == ranks,
            "{ranks} ranks: {stdout}\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}
