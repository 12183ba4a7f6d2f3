//! Kill and resume: `sample`, `anneal`, `temper` and `train` killed (SIGKILL) again and again while they save
//! checkpoints, each time restarted with `--resume`, finish with output bit for bit that of a run
//! never stopped, on every backend; a checkpoint of other arguments, another command or a damaged
//! file is refused naming the problem.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant, SystemTime};

use serde_json::Value;

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("ising-resume-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn ising(args: &[String]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_ising"))
        .args(args)
        .output()
        .expect("the ising binary runs")
}

/// Stdout's JSON without what differs between runs by design: the wall time and the output paths.
fn result(out: &Output) -> Value {
    assert!(
        out.status.success(),
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut json: Value = serde_json::from_slice(&out.stdout).expect("stdout is JSON");
    let object = json.as_object_mut().unwrap();
    object.remove("seconds");
    object.remove("out");
    json
}

fn modified(path: &Path) -> Option<SystemTime> {
    std::fs::metadata(path).and_then(|m| m.modified()).ok()
}

/// Runs `args` with `--checkpoint CK` (and `--resume CK` when the file exists); with `kill`, kills
/// it with SIGKILL `delay` after a new checkpoint appears and returns `None`, else waits for it.
fn run_once(args: &[String], checkpoint: &Path, kill: bool, delay: Duration) -> Option<Output> {
    let ck = checkpoint.display().to_string();
    let mut all = args.to_vec();
    all.extend(["--checkpoint".into(), ck.clone()]);
    if checkpoint.exists() {
        all.extend(["--resume".into(), ck]);
    }
    let before = modified(checkpoint);
    let mut child = Command::new(env!("CARGO_BIN_EXE_ising"))
        .args(&all)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the ising binary runs");
    let start = Instant::now();
    loop {
        if child.try_wait().unwrap().is_some() {
            return Some(child.wait_with_output().unwrap());
        }
        if kill && modified(checkpoint) != before {
            std::thread::sleep(delay);
            child.kill().unwrap();
            child.wait().unwrap();
            return None;
        }
        assert!(start.elapsed() < Duration::from_secs(300), "a run hung");
        std::thread::sleep(Duration::from_millis(2));
    }
}

/// Runs `args` with checkpoints, killed soon after each of its first six new checkpoints (a varying
/// time after: while it sweeps, or while it writes the next) and restarted with `--resume`, until
/// a run finishes; returns that run's output and how many runs were killed.
fn killed_and_resumed(args: &[String], checkpoint: &Path) -> (Output, usize) {
    let mut kills = 0;
    loop {
        let delay = Duration::from_millis(7 * kills as u64);
        match run_once(args, checkpoint, kills < 6, delay) {
            Some(out) => return (out, kills),
            None => kills += 1,
        }
    }
}

/// Runs `base(WHOLE)` once unbroken, and `base(RESUMED)` with checkpoints every `every`, killed and
/// resumed ([`killed_and_resumed`]) at least twice; asserts the two print the same results and
/// returns the paths the two runs wrote their output files to (`dir/whole.EXT`, `dir/resumed.EXT`).
fn assert_resumes_as_unbroken(
    dir: &Path,
    backend: &str,
    ext: &str,
    every: &str,
    base: impl Fn(&str) -> Vec<String>,
) -> (PathBuf, PathBuf) {
    let (whole, resumed) = (
        dir.join(format!("whole.{ext}")),
        dir.join(format!("resumed.{ext}")),
    );
    let unbroken = ising(&base(&whole.display().to_string()));
    let mut args = base(&resumed.display().to_string());
    args.extend(strings(&["--checkpoint-every", every]));
    let checkpoint = dir.join(format!("{backend}.ck"));
    let (out, kills) = killed_and_resumed(&args, &checkpoint);
    assert!(kills >= 2, "{backend}: only {kills} kills landed mid-run");
    assert_eq!(result(&out), result(&unbroken), "{backend}");
    assert!(
        !checkpoint.exists(),
        "{backend}: the finished run left its checkpoint"
    );
    (whole, resumed)
}

fn backends() -> Vec<&'static str> {
    let mut names = vec!["cpu"];
    if common::gpu().is_some() {
        names.push("gpu");
    }
    names
}

fn strings(args: &[&str]) -> Vec<String> {
    args.iter().map(|s| s.to_string()).collect()
}

#[test]
fn sample_killed_and_resumed_writes_what_an_unbroken_run_writes() {
    let dir = scratch("sample");
    let model = common::random_model(11, 40, 0.1);
    let model_path = dir.join("m.json");
    std::fs::write(&model_path, ising_wgpu::io::model_to_json(&model)).unwrap();
    for backend in backends() {
        // Long enough on each backend for several checkpoints to land mid-run.
        let samples = if backend == "cpu" { "6000" } else { "1500" };
        let base = |out: &str| {
            strings(&[
                "sample",
                "--model",
                &model_path.display().to_string(),
                "--backend",
                backend,
                "--chains",
                "96",
                "--samples",
                samples,
                "--betas",
                "0.5,1.0,1.5",
                "--moments",
                "--observe",
                "energy,magnetization",
                "--clamp",
                "3=+1",
                "--seed",
                "5",
                "--out",
                out,
            ])
        };
        let (whole, resumed) = assert_resumes_as_unbroken(&dir, backend, "npy", "150", base);
        let npy = |path: &Path| std::fs::read(path).unwrap();
        assert!(npy(&resumed) == npy(&whole), "{backend}: samples differ");
    }
}

#[test]
fn anneal_killed_and_resumed_finds_what_an_unbroken_run_finds() {
    let dir = scratch("anneal");
    // A random +-1 MaxCut graph of 60 nodes, in Gset's format.
    let model = common::random_model(3, 60, 0.2);
    let mut text = format!("60 {}\n", model.num_edges());
    for (k, &(i, j)) in model.edges().iter().enumerate() {
        let w = if model.weights()[k] > 0.0 { 1 } else { -1 };
        text.push_str(&format!("{} {} {w}\n", i + 1, j + 1));
    }
    let problem = dir.join("g.txt");
    std::fs::write(&problem, text).unwrap();
    for backend in backends() {
        let sweeps = if backend == "cpu" { "40000" } else { "6000" };
        let base = |out: &str| {
            strings(&[
                "anneal",
                "--problem",
                &problem.display().to_string(),
                "--backend",
                backend,
                "--reads",
                "64",
                "--sweeps",
                sweeps,
                "--check-every",
                "3",
                "--seed",
                "9",
                "--json",
                "--out",
                out,
            ])
        };
        let (whole, resumed) = assert_resumes_as_unbroken(&dir, backend, "npy", "700", base);
        let npy = |path: &Path| std::fs::read(path).unwrap();
        assert!(
            npy(&resumed) == npy(&whole),
            "{backend}: best states differ"
        );
    }
}

#[test]
fn temper_killed_and_resumed_reports_what_an_unbroken_run_reports() {
    let dir = scratch("temper");
    let model = common::random_model(8, 16, 0.25);
    let model_path = dir.join("m.json");
    std::fs::write(&model_path, ising_wgpu::io::model_to_json(&model)).unwrap();
    for backend in backends() {
        let samples = if backend == "cpu" { "6000" } else { "800" };
        let args = strings(&[
            "temper",
            "--model",
            &model_path.display().to_string(),
            "--backend",
            backend,
            "--betas",
            "0.3:1.5:4",
            "--replicas",
            "32",
            "--swap-every",
            "2",
            "--warmup",
            "7",
            "--samples",
            samples,
            "--steps-per-sample",
            "3",
            "--seed",
            "4",
            "--moments",
            "--observables",
            "--overlap",
        ]);
        // No output file: the printed results are the output.
        assert_resumes_as_unbroken(&dir, backend, "none", "400", |_| args.clone());
    }
}

#[test]
fn train_killed_and_resumed_writes_the_model_an_unbroken_run_writes() {
    let dir = scratch("train");
    // Six visible nodes of twelve, so both phases sample (the positive one over the latent nodes).
    let model = common::random_model(6, 12, 0.3);
    let model_path = dir.join("m.json");
    std::fs::write(&model_path, ising_wgpu::io::model_to_json(&model)).unwrap();
    let rows: String = (0..120u32)
        .map(|r| {
            let row: Vec<&str> = (0..6u32)
                .map(|c| {
                    if (r * 7 + c * 3 + r / 5) % 4 < 2 {
                        "1"
                    } else {
                        "-1"
                    }
                })
                .collect();
            row.join(",") + "\n"
        })
        .collect();
    let data = dir.join("d.csv");
    std::fs::write(&data, rows).unwrap();
    for backend in backends() {
        let epochs = if backend == "cpu" { "12" } else { "3" };
        let base = |out: &str| {
            strings(&[
                "train",
                "--model",
                &model_path.display().to_string(),
                "--data",
                &data.display().to_string(),
                "--data-nodes",
                "0,1,2,3,4,5",
                "--backend",
                backend,
                "--chains",
                "32",
                "--warmup",
                "5",
                "--samples",
                "20",
                "--epochs",
                epochs,
                "--batch",
                "10",
                "--lr",
                "0.05",
                "--lr-decay",
                "0.9",
                "--seed",
                "2",
                "--out",
                out,
            ])
        };
        let (whole, resumed) = assert_resumes_as_unbroken(&dir, backend, "json", "4", base);
        let trained = |path: &Path| std::fs::read_to_string(path).unwrap();
        assert_eq!(trained(&resumed), trained(&whole), "{backend}");
    }
}

#[test]
fn a_checkpoint_of_other_arguments_or_a_damaged_one_is_refused_by_name() {
    let dir = scratch("refused");
    let model = common::random_model(2, 12, 0.3);
    let model_path = dir.join("m.json").display().to_string();
    std::fs::write(&model_path, ising_wgpu::io::model_to_json(&model)).unwrap();
    let ck = dir.join("run.ck");
    let ck_s = ck.display().to_string();
    let args = |seed: &str, extra: &[&str]| {
        let mut a = strings(&[
            "sample",
            "--model",
            &model_path,
            "--backend",
            "cpu",
            "--chains",
            "64",
            "--samples",
            "400",
            "--moments",
            "--seed",
            seed,
        ]);
        a.extend(strings(extra));
        a
    };
    // Save a checkpoint by killing a run after its first one.
    let saved = run_once(
        &args("1", &["--checkpoint-every", "5"]),
        &ck,
        true,
        Duration::ZERO,
    );
    assert!(saved.is_none(), "the run ended before its first checkpoint");
    let error = |out: Output| {
        assert_eq!(
            out.status.code(),
            Some(2),
            "{}",
            String::from_utf8_lossy(&out.stdout)
        );
        String::from_utf8_lossy(&out.stderr)
            .lines()
            .last()
            .unwrap_or_default()
            .to_string()
    };
    let other_seed = error(ising(&args("2", &["--resume", &ck_s])));
    assert!(
        other_seed.contains("--resume")
            && other_seed.contains("seed 1")
            && other_seed.contains("has 2"),
        "{other_seed}"
    );
    let other_command = error(ising(&strings(&[
        "anneal",
        "--problem",
        &model_path,
        "--backend",
        "cpu",
        "--resume",
        &ck_s,
    ])));
    assert!(
        other_command.contains("checkpoint of `ising sample`"),
        "{other_command}"
    );
    let bytes = std::fs::read(&ck).unwrap();
    let cut = dir.join("cut.ck");
    std::fs::write(&cut, &bytes[..bytes.len() - 3]).unwrap();
    let damaged = error(ising(&args("1", &["--resume", &cut.display().to_string()])));
    assert!(
        damaged.contains("cut.ck") && damaged.contains("needs more bytes than the file has"),
        "{damaged}"
    );
    std::fs::write(&cut, b"not a checkpoint").unwrap();
    let foreign = error(ising(&args("1", &["--resume", &cut.display().to_string()])));
    assert!(
        foreign.contains("not an ising-wgpu checkpoint"),
        "{foreign}"
    );
    let lone_every = error(ising(&args("1", &["--checkpoint-every", "5"])));
    assert!(lone_every.contains("--checkpoint"), "{lone_every}");
}
