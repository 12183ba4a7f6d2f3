//! The `ising` command line: JSON contract, agreement with an independent enumeration, and one clear
//! error line with exit code 2 for every bad input.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use common::{random_clamp, random_model};
use ising_wgpu::IsingModel;
use serde_json::Value;

fn ising(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_ising"))
        .args(args)
        .output()
        .expect("the ising binary runs")
}

/// A scratch directory per test.
fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("ising-cli-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn write(dir: &Path, name: &str, text: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path.display().to_string()
}

fn model_json(m: &IsingModel) -> String {
    ising_wgpu::io::model_to_json(m)
}

fn stdout_json(out: &Output) -> Value {
    assert!(
        out.status.success(),
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("stdout is JSON")
}

fn floats(v: &Value, key: &str) -> Vec<f64> {
    v[key]
        .as_array()
        .unwrap_or_else(|| panic!("{key} missing"))
        .iter()
        .map(|x| x.as_f64().unwrap())
        .collect()
}

/// Node and edge means by brute force over all 2^n states, independent of the library's enumerator.
fn brute_force(m: &IsingModel, clamp: &[(u32, bool)]) -> (Vec<f64>, Vec<f64>) {
    let n = m.num_nodes();
    let (mut z, mut nodes, mut edges) = (0.0, vec![0.0; n], vec![0.0; m.num_edges()]);
    for code in 0u32..1 << n {
        let s: Vec<f64> = (0..n)
            .map(|i| if code >> i & 1 == 1 { 1.0 } else { -1.0 })
            .collect();
        if clamp.iter().any(|&(i, up)| (s[i as usize] > 0.0) != up) {
            continue;
        }
        let mut energy = 0.0;
        for (i, &b) in m.biases().iter().enumerate() {
            energy -= f64::from(b) * s[i];
        }
        for (&(i, j), &w) in m.edges().iter().zip(m.weights()) {
            energy -= f64::from(w) * s[i as usize] * s[j as usize];
        }
        let weight = (-f64::from(m.beta()) * energy).exp();
        z += weight;
        for i in 0..n {
            nodes[i] += weight * s[i];
        }
        for (k, &(i, j)) in m.edges().iter().enumerate() {
            edges[k] += weight * s[i as usize] * s[j as usize];
        }
    }
    (
        nodes.iter().map(|v| v / z).collect(),
        edges.iter().map(|v| v / z).collect(),
    )
}

/// `<H> / nodes` from exact node and edge means, `H = -(sum b s + sum J s s)`.
fn energy_per_site(m: &IsingModel, nodes: &[f64], edges: &[f64]) -> f64 {
    let fields: f64 = m
        .biases()
        .iter()
        .zip(nodes)
        .map(|(&b, s)| f64::from(b) * s)
        .sum();
    let couplings: f64 = m
        .weights()
        .iter()
        .zip(edges)
        .map(|(&j, s)| f64::from(j) * s)
        .sum();
    -(fields + couplings) / m.num_nodes() as f64
}

fn clamp_arg(clamp: &[(u32, bool)]) -> String {
    clamp
        .iter()
        .map(|&(i, up)| format!("{i}={}", if up { "+1" } else { "-1" }))
        .collect::<Vec<_>>()
        .join(",")
}

#[test]
fn exact_agrees_with_brute_force_to_1e_9() {
    let dir = scratch("exact");
    for seed in [21u64, 22, 23] {
        let m = random_model(seed, 11, 0.4);
        let clamp = random_clamp(seed, 11, (seed % 3) as usize);
        let path = write(&dir, &format!("m{seed}.json"), &model_json(&m));
        let mut args = vec!["exact", "--model", &path];
        let clamp_text = clamp_arg(&clamp);
        if !clamp.is_empty() {
            args.extend(["--clamp", &clamp_text]);
        }
        let v = stdout_json(&ising(&args));
        let (nodes, edges) = brute_force(&m, &clamp);
        for (a, b) in floats(&v, "node_means")
            .iter()
            .zip(&nodes)
            .chain(floats(&v, "edge_means").iter().zip(&edges))
        {
            assert!((a - b).abs() < 1e-9, "seed {seed}: {a} vs {b}");
        }
    }
}

#[test]
fn sampled_moments_and_observables_agree_with_exact_within_5_standard_errors() {
    let dir = scratch("sample");
    let m = random_model(31, 12, 0.35);
    let path = write(&dir, "m.json", &model_json(&m));
    let observables = dir.join("observables.npy").display().to_string();
    let v = stdout_json(&ising(&[
        "sample",
        "--model",
        &path,
        "--backend",
        "cpu",
        "--chains",
        "128",
        "--warmup",
        "200",
        "--samples",
        "2000",
        "--seed",
        "5",
        "--clamp",
        "4=-1",
        "--moments",
        "--observe",
        "energy,magnetization",
        "--observables-out",
        &observables,
    ]));
    let (nodes, edges) = brute_force(&m, &[(4, false)]);
    // Energy and magnetisation per site, from the exact moments.
    let sites = m.num_nodes() as f64;
    let exact = [
        energy_per_site(&m, &nodes, &edges),
        nodes.iter().sum::<f64>() / sites,
    ];
    let means = [
        v["energy_mean"].as_f64().unwrap(),
        v["magnetization_mean"].as_f64().unwrap(),
    ];
    let errors = [
        v["energy_stderr"].as_f64().unwrap(),
        v["magnetization_stderr"].as_f64().unwrap(),
    ];
    common::assert_within_5_se("energy and magnetization", &means, &errors, &exact);
    // The NPY file holds every chain's values at every sample point: their means are the printed ones.
    let bytes = std::fs::read(&observables).unwrap();
    let header_len = u16::from_le_bytes([bytes[8], bytes[9]]) as usize;
    let header = std::str::from_utf8(&bytes[10..10 + header_len]).unwrap();
    assert!(
        header.contains("'<f8'") && header.contains("(2000, 128, 2)"),
        "{header}"
    );
    let values: Vec<f64> = bytes[10 + header_len..]
        .chunks_exact(8)
        .map(|b| f64::from_le_bytes(b.try_into().unwrap()))
        .collect();
    assert_eq!(values.len(), 2000 * 128 * 2);
    for (k, mean) in means.iter().enumerate() {
        let total: f64 = values.iter().skip(k).step_by(2).sum();
        let got = total / (2000.0 * 128.0);
        assert!(
            (got - mean).abs() < 1e-9,
            "observable {k}: {got} against {mean}"
        );
    }
    common::assert_within_5_se(
        "node",
        &floats(&v, "node_means"),
        &floats(&v, "node_stderr"),
        &nodes,
    );
    common::assert_within_5_se(
        "edge",
        &floats(&v, "edge_means"),
        &floats(&v, "edge_stderr"),
        &edges,
    );
    assert_eq!(v["chains"], 128);
}

#[test]
fn several_betas_print_their_moments_and_energies_in_beta_order() {
    let dir = scratch("betas");
    let m = random_model(33, 10, 0.4);
    let path = write(&dir, "m.json", &model_json(&m));
    let betas = [0.2f32, 0.5, 0.9, 1.4];
    let v = stdout_json(&ising(&[
        "sample",
        "--model",
        &path,
        "--backend",
        "cpu",
        "--chains",
        "256",
        "--betas",
        "0.2,0.5,0.9,1.4",
        "--warmup",
        "200",
        "--samples",
        "1000",
        "--moments",
        "--observe",
        "energy",
    ]));
    assert_eq!(v["betas"], serde_json::json!(betas));
    for (k, &beta) in betas.iter().enumerate() {
        let mut at = m.clone();
        at.set_beta(beta).unwrap();
        let (nodes, edges) = brute_force(&at, &[]);
        let row = |key: &str| -> Vec<f64> {
            v[key][k]
                .as_array()
                .unwrap()
                .iter()
                .map(|x| x.as_f64().unwrap())
                .collect()
        };
        let what = format!("beta {beta}");
        common::assert_within_5_se(&what, &row("node_means"), &row("node_stderr"), &nodes);
        common::assert_within_5_se(&what, &row("edge_means"), &row("edge_stderr"), &edges);
        common::assert_within_5_se(
            &format!("{what} energy"),
            &[v["energy_mean"][k].as_f64().unwrap()],
            &[v["energy_stderr"][k].as_f64().unwrap()],
            &[energy_per_site(&at, &nodes, &edges)],
        );
    }
    let bad = ising(&[
        "sample",
        "--model",
        &path,
        "--chains",
        "256",
        "--betas",
        "0.2,0.5,0.9",
        "--moments",
        "--backend",
        "cpu",
    ]);
    assert_eq!(bad.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&bad.stderr);
    assert!(
        stderr.contains("betas") && stderr.contains("multiple of 96 chains"),
        "{stderr}"
    );
}

#[test]
fn samples_go_to_an_npy_file() {
    let dir = scratch("npy");
    let m = random_model(32, 6, 0.5);
    let path = write(&dir, "m.json", &model_json(&m));
    let out = dir.join("s.npy").display().to_string();
    let v = stdout_json(&ising(&[
        "sample",
        "--model",
        &path,
        "--chains",
        "40",
        "--samples",
        "7",
        "--out",
        &out,
    ]));
    assert_eq!(v["shape"], serde_json::json!([7, 40, 6]));
    let bytes = std::fs::read(&out).unwrap();
    let header_len = u16::from_le_bytes([bytes[8], bytes[9]]) as usize;
    let body = &bytes[10 + header_len..];
    assert_eq!(body.len(), 7 * 40 * 6);
    assert!(body.iter().all(|&b| b == 1 || b == 255));
}

#[test]
fn bad_input_is_one_line_on_stderr_and_exit_code_2() {
    let dir = scratch("errors");
    let good = r#"{"num_nodes": 3, "edges": [[0, 1], [1, 2]], "weights": [1, 1], "biases": [0, 0, 0], "beta": 1}"#;
    let good_path = write(&dir, "good.json", good);
    let cases: Vec<(Vec<String>, &str)> = vec![
        (
            vec![
                "exact".into(),
                "--model".into(),
                "/no/such/file.json".into(),
            ],
            "/no/such/file.json",
        ),
        (
            vec![
                "exact".into(),
                "--model".into(),
                write(&dir, "dup.json", &good.replace("[1, 2]]", "[1, 0]]")),
            ],
            "edges 0 and 1 both join nodes 1 and 0",
        ),
        (
            vec![
                "exact".into(),
                "--model".into(),
                write(&dir, "loop.json", &good.replace("[1, 2]]", "[2, 2]]")),
            ],
            "edge 1 (2, 2) is a self-loop",
        ),
        (
            vec![
                "exact".into(),
                "--model".into(),
                write(&dir, "range.json", &good.replace("[1, 2]]", "[1, 3]]")),
            ],
            "edge 1 (1, 3) names node 3",
        ),
        (
            vec![
                "exact".into(),
                "--model".into(),
                write(&dir, "len.json", &good.replace("[1, 1]", "[1]")),
            ],
            "weights has length 1, expected 2",
        ),
        (
            vec![
                "exact".into(),
                "--model".into(),
                write(
                    &dir,
                    "zero.json",
                    &good.replace("\"num_nodes\": 3", "\"num_nodes\": 0"),
                ),
            ],
            "no nodes",
        ),
        (
            vec![
                "exact".into(),
                "--model".into(),
                write(&dir, "syntax.json", "{\"num_nodes\": 3,"),
            ],
            "line 1",
        ),
        (
            vec![
                "exact".into(),
                "--model".into(),
                good_path.clone(),
                "--clamp".into(),
                "1=5".into(),
            ],
            "clamp value of node 1: 5 is not a spin",
        ),
        (
            vec![
                "exact".into(),
                "--model".into(),
                good_path.clone(),
                "--clamp".into(),
                "7=1".into(),
            ],
            "names node 7",
        ),
        (
            vec![
                "exact".into(),
                "--model".into(),
                good_path.clone(),
                "--clamp".into(),
                "1".into(),
            ],
            "'1' is not NODE=SPIN",
        ),
        (
            vec!["sample".into(), "--model".into(), good_path.clone()],
            "give at least one of --moments, --out FILE.npy, --observe LIST",
        ),
        (
            vec![
                "sample".into(),
                "--model".into(),
                good_path.clone(),
                "--moments".into(),
                "--chains".into(),
                "0".into(),
            ],
            "at least one chain",
        ),
        (
            vec![
                "sample".into(),
                "--model".into(),
                good_path.clone(),
                "--moments".into(),
                "--samples".into(),
                "0".into(),
            ],
            "n_samples",
        ),
        (
            vec![
                "sample".into(),
                "--model".into(),
                good_path.clone(),
                "--moments".into(),
                "--chains".into(),
                "x".into(),
            ],
            "invalid value 'x'",
        ),
        (
            vec![
                "sample".into(),
                "--model".into(),
                good_path.clone(),
                "--moments".into(),
                "--backend".into(),
                "tpu".into(),
            ],
            "invalid value 'tpu'",
        ),
        (vec!["sample".into()], "--model"),
        (
            vec![
                "sample".into(),
                "--model".into(),
                good_path.clone(),
                "--out".into(),
                "/no/such/dir/s.npy".into(),
            ],
            "/no/such/dir/s.npy",
        ),
        (
            vec![
                "sample".into(),
                "--model".into(),
                good_path.clone(),
                "--moments".into(),
                "--threads".into(),
                "0".into(),
            ],
            "--threads",
        ),
    ];
    for (args, expected) in cases {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        // No GPU probing here: drivers may print their own lines on stderr.
        let out = Command::new(env!("CARGO_BIN_EXE_ising"))
            .args(&args)
            .env("WGPU_BACKEND", "")
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(
            stderr.contains(expected),
            "{args:?}: expected '{expected}' in: {stderr}"
        );
        assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
        let error_lines: Vec<&str> = stderr.lines().filter(|l| l.contains("error")).collect();
        assert_eq!(
            error_lines.len(),
            1,
            "{args:?}: one error line expected: {stderr}"
        );
        assert_eq!(
            stderr.trim_end().lines().last(),
            Some(error_lines[0]),
            "{args:?}"
        );
        assert!(out.stdout.is_empty(), "{args:?} printed to stdout");
    }
}

#[test]
fn backend_choice_falls_back_or_fails_clearly() {
    let dir = scratch("backend");
    let path = write(&dir, "m.json", &model_json(&random_model(33, 8, 0.4)));
    let args = [
        "sample",
        "--model",
        &path,
        "--chains",
        "40",
        "--samples",
        "50",
        "--moments",
    ];
    let without_gpu = |backend: &str| {
        Command::new(env!("CARGO_BIN_EXE_ising"))
            .args(args)
            .args(["--backend", backend])
            .env("WGPU_BACKEND", "")
            .output()
            .unwrap()
    };
    let forced = without_gpu("gpu");
    let stderr = String::from_utf8_lossy(&forced.stderr);
    assert_eq!(forced.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("no GPU adapter") && stderr.contains("mesa-vulkan-drivers"),
        "{stderr}"
    );
    let auto = without_gpu("auto");
    let stderr = String::from_utf8_lossy(&auto.stderr);
    assert!(
        stderr.contains("notice") && stderr.contains("using the CPU backend"),
        "{stderr}"
    );
    let cpu = stdout_json(&ising(&[&args[..], &["--backend", "cpu"]].concat()));
    assert_eq!(stdout_json(&auto)["edge_means"], cpu["edge_means"]);
    if common::gpu().is_some() {
        // Same seed, same draws: the GPU gives the CPU's estimates to the last bit.
        let gpu = stdout_json(&ising(&[&args[..], &["--backend", "gpu"]].concat()));
        assert_eq!(gpu["edge_means"], cpu["edge_means"]);
        assert_eq!(gpu["node_means"], cpu["node_means"]);
        assert!(gpu["backend"].as_str().unwrap().starts_with("gpu"));
    }
}

#[test]
fn kl_grad_sampled_agrees_with_exact_and_train_writes_a_model() {
    let dir = scratch("train");
    let model = random_model(41, 7, 0.5);
    let path = write(&dir, "m.json", &model_json(&model));
    let data = write(&dir, "d.csv", "1,-1,1\n-1,-1,1\n0,1,1\n");
    let base = ["--model", &path, "--data", &data, "--data-nodes", "0,3,5"];
    let exact = stdout_json(&ising(&[&["kl-grad"][..], &base, &["--exact"]].concat()));
    let sampled = stdout_json(&ising(
        &[
            &["kl-grad"][..],
            &base,
            &["--backend", "cpu", "--chains", "128", "--samples", "500"],
        ]
        .concat(),
    ));
    for key in ["grad_weights", "grad_biases"] {
        let stderr = floats(&sampled, &format!("{key}_stderr"));
        common::assert_within_5_se(key, &floats(&sampled, key), &stderr, &floats(&exact, key));
    }
    let out = dir.join("trained.json").display().to_string();
    let trained = [
        &["train"][..],
        &base,
        &[
            "--backend",
            "cpu",
            "--epochs",
            "3",
            "--lr",
            "0.01",
            "--out",
            &out,
        ],
    ]
    .concat();
    let report = stdout_json(&ising(&trained));
    assert_eq!(report["out"], out.as_str());
    let trained_model = ising_wgpu::io::read_model_json(&out).unwrap();
    assert_eq!(trained_model.edges(), model.edges());
    assert_ne!(trained_model.weights(), model.weights());

    let bad_rows = write(&dir, "bad.csv", "1,-1,1\n1,1\n");
    let out = ising(&[
        "kl-grad",
        "--model",
        &path,
        "--data",
        &bad_rows,
        "--data-nodes",
        "0,3,5",
        "--exact",
    ]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr.contains("bad.csv, line 2: 2 values, expected 3"),
        "{stderr}"
    );
    let out = ising(&[
        "kl-grad",
        "--model",
        &path,
        "--data",
        &data,
        "--data-nodes",
        "0,3,3",
        "--exact",
    ]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("node 3 appears twice") || stderr.contains("node 3"),
        "{stderr}"
    );
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn bench_reports_throughput_and_physics_as_json() {
    let v = stdout_json(&ising(&[
        "bench",
        "--lattice",
        "2d",
        "--size",
        "16",
        "--beta",
        "0.3",
        "--sweeps",
        "50",
        "--chains",
        "32",
        "--backend",
        "cpu",
        "--json",
    ]));
    assert!(v["flips_per_ns"].as_f64().unwrap() > 0.0);
    assert_eq!(v["nodes"], 256);
    let u = v["energy_per_site"].as_f64().unwrap();
    let m = v["abs_magnetization"].as_f64().unwrap();
    // One final state of 32 chains: the energy of a 16 x 16 torus at beta 0.3 is -0.70 on average.
    assert!((-2.0..0.0).contains(&u) && (0.0..=1.0).contains(&m), "{v}");
    let graph = concat!(env!("CARGO_MANIFEST_DIR"), "/data/pegasus14.edges");
    let v = stdout_json(&ising(&[
        "bench",
        "--graph",
        graph,
        "--sweeps",
        "3",
        "--chains",
        "32",
        "--backend",
        "cpu",
    ]));
    assert_eq!(v["nodes"], 4264);
    let out = ising(&[
        "bench",
        "--lattice",
        "2d",
        "--size",
        "2",
        "--backend",
        "cpu",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("periodic side of 2"));
}

#[test]
fn bench_of_one_chain_runs_one_site_packed_lattice() {
    let run = |size: &str| {
        ising(&[
            "bench",
            "--lattice",
            "2d",
            "--size",
            size,
            "--chains",
            "1",
            "--beta",
            "0.3",
            "--sweeps",
            "200",
            "--backend",
            "cpu",
            "--json",
        ])
    };
    let v = stdout_json(&run("128"));
    assert_eq!(v["layout"], "site-packed");
    assert_eq!(v["nodes"], 128 * 128);
    // One state of a 128 x 128 torus at beta 0.3 (equilibrated in far fewer than 200 sweeps): its
    // energy per site has standard deviation sqrt(c / N) / beta = 0.016 (specific heat c < 0.4), so
    // it lies within 5 of them (0.08) of Onsager's -0.7045.
    let u = v["energy_per_site"].as_f64().unwrap();
    assert!((u + 0.7045).abs() < 0.08, "{v}");
    let out = run("96");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("multiple of 64"));
    // Coupling and field of the lattice: at beta 1 the antiferromagnet orders (Neel), nearly every
    // bond disagrees and -(J bonds + h M) / N is close to -2; with the sign of J lost it would be +2.
    let v = stdout_json(&ising(&[
        "bench",
        "--lattice",
        "2d",
        "--size",
        "64",
        "--chains",
        "1",
        "--coupling",
        "-1",
        "--field",
        "0.1",
        "--beta",
        "1",
        "--sweeps",
        "300",
        "--backend",
        "cpu",
        "--json",
    ]));
    assert!(v["energy_per_site"].as_f64().unwrap() < -1.0, "{v}");
    let graph = concat!(env!("CARGO_MANIFEST_DIR"), "/data/pegasus14.edges");
    let out = ising(&["bench", "--graph", graph, "--field", "1"]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn devices_lists_every_adapter_and_says_what_auto_takes() {
    let out = stdout_json(&ising(&["devices", "--json"]));
    let adapters = out["adapters"].as_array().expect("an adapter list");
    let chosen: Vec<&Value> = adapters
        .iter()
        .filter(|a| a["gpu_choice"] == true)
        .collect();
    let auto = out["auto"]["backend"].as_str().expect("auto's backend");
    if common::gpu().is_some() {
        assert!(!adapters.is_empty());
        assert_eq!(chosen.len(), 1, "{out:#}");
        let chosen = chosen[0];
        for key in [
            "name",
            "backend",
            "device_type",
            "driver",
            "philox_multiply",
        ] {
            assert!(chosen[key].is_string(), "{key} in {chosen:#}");
        }
        let limit = &chosen["limits"]["max_storage_buffer_binding_size"];
        assert!(limit.as_u64().is_some_and(|l| l > 0), "{chosen:#}");
        // Auto takes the chosen adapter unless it is a software one.
        let software = chosen["device_type"] == "Cpu";
        assert_eq!(auto == "cpu", software, "{out:#}");
        assert!(
            out["auto"]["reason"]
                .as_str()
                .is_some_and(|r| !r.is_empty())
        );
    } else {
        assert!(chosen.is_empty());
        assert_eq!(auto, "cpu");
    }
    let text = ising(&["devices"]);
    let text = String::from_utf8_lossy(&text.stdout);
    assert!(text.contains("--backend auto takes"), "{text}");
    for adapter in adapters {
        assert!(text.contains(adapter["name"].as_str().unwrap()), "{text}");
    }
}

#[test]
fn unwritable_outputs_are_refused_before_the_run_and_nothing_is_left() {
    let dir = scratch("outputs");
    let model = write(&dir, "m.json", &model_json(&random_model(3, 6, 0.5)));
    let target = dir.join("kept");
    std::fs::create_dir_all(&target).unwrap();
    let data = write(&dir, "d.csv", "1,0\n0,1\n");
    let kept = target.display().to_string();
    let sample_to = |out: &str| -> Vec<String> {
        [
            "sample",
            "--model",
            &model,
            "--backend",
            "cpu",
            "--out",
            out,
        ]
        .map(String::from)
        .to_vec()
    };
    let train = [
        "train",
        "--model",
        &model,
        "--data",
        &data,
        "--data-nodes",
        "0,1",
        "--epochs",
        "1",
        "--lr",
        "0.1",
        "--backend",
        "cpu",
        "--out",
        &kept,
    ]
    .map(String::from)
    .to_vec();
    let runs = [sample_to(&kept), train, sample_to("/no/such/dir/x.npy")];
    for args in runs {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let out = ising(&args);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        let given = args[args.len() - 1];
        assert!(stderr.contains(given), "{args:?}: {stderr}");
        assert!(
            !stderr.contains(".partial") && !stderr.contains(".tmp"),
            "{stderr}"
        );
    }
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names, ["d.csv", "kept", "m.json"]);
}

#[test]
fn a_model_streamed_on_standard_input_is_read_from_dash() {
    use std::io::Write;
    let m = random_model(5, 6, 0.5);
    let run = |stdin: &str| {
        let mut child = Command::new(env!("CARGO_BIN_EXE_ising"))
            .args(["exact", "--model", "-"])
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(stdin.as_bytes())
            .unwrap();
        child.wait_with_output().unwrap()
    };
    let v = stdout_json(&run(&model_json(&m)));
    let (nodes, _) = brute_force(&m, &[]);
    for (a, b) in floats(&v, "node_means").iter().zip(&nodes) {
        assert!((a - b).abs() < 1e-9, "{a} vs {b}");
    }
    let bad = run("{\"num_nodes\": 1, \"Beta\": 1}");
    assert_eq!(bad.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&bad.stderr);
    assert!(
        stderr.contains("-, line 1: unknown field `Beta`"),
        "{stderr}"
    );
}

#[test]
fn exact_results_do_not_depend_on_the_thread_count() {
    let dir = scratch("exact-threads");
    let m = random_model(31, 16, 0.4);
    let path = write(&dir, "m.json", &model_json(&m));
    let data = write(&dir, "d.csv", "1,-1,1\n-1,-1,1\n1,1,1\n");
    let commands: [&[&str]; 2] = [
        &["exact", "--model", &path],
        &[
            "kl-grad",
            "--model",
            &path,
            "--data",
            &data,
            "--data-nodes",
            "0,5,9",
            "--exact",
        ],
    ];
    for args in commands {
        let all = ising(args);
        // One core (taskset), against however many this machine has.
        let one = Command::new("taskset")
            .args(["-c", "0", env!("CARGO_BIN_EXE_ising")])
            .args(args)
            .output();
        let Ok(one) = one else {
            println!("notice: no taskset; the one-core run is skipped");
            return;
        };
        assert!(
            all.status.success() && one.status.success(),
            "{}",
            String::from_utf8_lossy(&one.stderr)
        );
        assert_eq!(
            String::from_utf8_lossy(&all.stdout),
            String::from_utf8_lossy(&one.stdout),
            "{args:?}"
        );
    }
}

#[test]
fn bad_numbers_are_refused_naming_the_flag_before_any_device_is_touched() {
    let dir = scratch("bad-numbers");
    let m = random_model(3, 5, 0.5);
    let path = write(&dir, "m.json", &model_json(&m));
    let data = write(&dir, "d.csv", "1,-1\n");
    let out = dir.join("t.json").display().to_string();
    let train = [
        "train",
        "--model",
        &path,
        "--data",
        &data,
        "--data-nodes",
        "0,1",
        "--epochs",
        "1",
        "--out",
        &out,
    ];
    for (flag, value, takes) in [
        ("--lr", "nan", "a finite number above 0"),
        ("--lr", "-0.1", "a finite number above 0"),
        ("--lr-decay", "inf", "a finite number above 0"),
        ("--weight-decay", "-1", "a finite number, 0 or more"),
        ("--momentum", "1", "a number from 0 up to (not including) 1"),
        ("--batch", "0", "a whole number, at least 1"),
    ] {
        let lr: &[&str] = if flag == "--lr" {
            &[]
        } else {
            &["--lr", "0.1"]
        };
        let o = ising(&[&train[..], lr, &[flag, value]].concat());
        let stderr = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{flag} {value}: {stderr}");
        assert!(
            stderr.contains(flag) && stderr.contains(takes),
            "{flag} {value}: {stderr}"
        );
        // Refused while parsing: no GPU probe (its notice) ran first.
        assert!(!stderr.contains("notice"), "{stderr}");
    }
    let o = ising(&["bench", "--lattice", "2d", "--size", "8", "--beta", "nan"]);
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(
        o.status.code() == Some(2)
            && stderr.contains("--beta")
            && stderr.contains("a finite number"),
        "{stderr}"
    );
    assert!(!Path::new(&out).exists());
}
