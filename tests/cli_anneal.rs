//! `ising anneal` and `ising temper`: the problem formats end to end, energies in each problem's own
//! convention, best cuts of MaxCut graphs, per-beta results, and one clear error line for bad input.

use std::path::PathBuf;
use std::process::{Command, Output};

use serde_json::Value;

fn ising(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_ising"))
        .args(args)
        .output()
        .expect("the ising binary runs")
}

/// `ising COMMAND FLAG FILE --backend cpu ARGS...`: `anneal --problem` or `temper --model` on the CPU.
fn on_cpu(command: &str, file: &str, args: &[&str]) -> Output {
    let flag = if command == "anneal" {
        "--problem"
    } else {
        "--model"
    };
    let mut all = vec![command, flag, file, "--backend", "cpu"];
    all.extend_from_slice(args);
    ising(&all)
}

fn scratch(name: &str, text: &str) -> String {
    let dir = std::env::temp_dir().join(format!("ising-cli-anneal-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path: PathBuf = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path.display().to_string()
}

fn json(out: &Output) -> Value {
    assert!(
        out.status.success(),
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("stdout is JSON")
}

fn error_line(out: &Output) -> String {
    assert_eq!(out.status.code(), Some(2));
    String::from_utf8_lossy(&out.stderr)
        .lines()
        .last()
        .unwrap_or_default()
        .to_string()
}

#[test]
fn anneal_cuts_a_gset_ring_exactly() {
    // An even ring of 10 nodes with unit weights: the best cut takes all 10 edges.
    let edges: String = (1..=10)
        .map(|i| format!("{i} {} 1\n", i % 10 + 1))
        .collect();
    let path = scratch("ring.txt", &format!("10 10\n{edges}"));
    // Metropolis by default (dwave-samplers' rule), or the heat bath.
    for (rule, name) in [(None, "metropolis"), (Some("heat-bath"), "heat-bath")] {
        let mut args = vec!["--reads", "8", "--sweeps", "200", "--json"];
        args.extend(rule.iter().flat_map(|r| ["--rule", r]));
        let out = json(&on_cpu("anneal", &path, &args));
        assert_eq!(out["rule"], name);
        assert_eq!(out["best_cut"], 10.0);
        assert_eq!(out["best_energy"], -10.0);
        assert_eq!(out["energies"].as_array().unwrap().len(), 8);
    }
    let text = on_cpu("anneal", &path, &["--sweeps", "50"]);
    let text = String::from_utf8_lossy(&text.stdout).to_string();
    assert!(text.contains("best_cut: 10"), "{text}");
    assert!(text.contains("metropolis updates"), "{text}");
}

#[test]
fn anneal_reports_qubo_energies_with_the_offset_and_writes_bits() {
    // Minimise x0 + x1 - 3 x0 x1: -1 at x = (1, 1).
    let path = scratch("q.coo", "# vartype=BINARY\n0 0 1\n1 1 1\n0 1 -3\n");
    let npy = scratch("q.npy", "");
    let out = json(&on_cpu(
        "anneal",
        &path,
        &["--reads", "4", "--sweeps", "100", "--out", &npy, "--json"],
    ));
    assert_eq!(out["best_energy"], -1.0);
    assert_eq!(out["vartype"], "BINARY");
    let bytes = std::fs::read(&npy).unwrap();
    assert_eq!(
        &bytes[bytes.len() - 8..],
        &[1u8; 8],
        "every read's best state is x = (1, 1)"
    );
}

#[test]
fn anneal_and_temper_name_bad_input() {
    let gset = scratch("bad.txt", "3 2\n1 2 1\n2 9 1\n");
    assert!(error_line(&on_cpu("anneal", &gset, &[])).contains("line 3: node 9 is outside 1..=3"));
    let ok = scratch("ok.txt", "3 1\n1 2 1\n");
    let e = error_line(&on_cpu("anneal", &ok, &["--schedule", "cosine:1:2"]));
    assert!(e.contains("schedule"), "{e}");
    let e = error_line(&on_cpu(
        "anneal",
        &ok,
        &["--schedule", "1,2", "--sweeps", "5"],
    ));
    assert!(e.contains("--sweeps"), "{e}");
    let model = scratch(
        "m.json",
        r#"{"num_nodes": 2, "edges": [[0, 1]], "weights": [1], "biases": [0, 0], "beta": 1}"#,
    );
    let e = error_line(&on_cpu("temper", &model, &["--betas", "0.5"]));
    assert!(e.contains("at least two betas"), "{e}");
    let e = error_line(&on_cpu(
        "temper",
        &model,
        &["--betas", "0.1:1:4", "--replicas", "40"],
    ));
    assert!(e.contains("--replicas"), "{e}");
}

#[test]
fn temper_prints_per_beta_arrays() {
    let model = scratch(
        "chain.json",
        r#"{"num_nodes": 3, "edges": [[0, 1], [1, 2]], "weights": [1, 1], "biases": [0, 0, 0], "beta": 1}"#,
    );
    let out = json(&on_cpu(
        "temper",
        &model,
        &[
            "--betas",
            "0.2,0.6,1.0",
            "--moments",
            "--observables",
            "--samples",
            "400",
        ],
    ));
    let edges = out["edge_means"].as_array().unwrap();
    assert_eq!(edges.len(), 3);
    // An open chain: <s0 s1> = tanh(beta J) at each beta.
    for (k, beta) in [0.2f64, 0.6, 1.0].iter().enumerate() {
        let got = edges[k][0].as_f64().unwrap();
        let se = out["edge_stderr"][k][0].as_f64().unwrap();
        assert!(
            (got - beta.tanh()).abs() <= 5.0 * se,
            "beta {beta}: {got} +/- {se}"
        );
    }
    assert_eq!(out["acceptance"].as_array().unwrap().len(), 2);
    assert_eq!(out["energy_mean"].as_array().unwrap().len(), 3);
}
