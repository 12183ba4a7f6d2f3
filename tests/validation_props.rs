//! Property tests: model validation accepts exactly the valid inputs and never panics, and
//! automatic blocks of any valid model pass the independence check.

use std::collections::HashSet;

use ising_wgpu::{Blocks, IsingModel, SamplingProgram};
use proptest::prelude::*;

/// The first problem a correct validator must report, by a direct reading of the rules.
fn first_problem(n: usize, edges: &[(u32, u32)], weights: &[f32]) -> Option<String> {
    if n == 0 {
        return Some("no nodes".into());
    }
    let mut seen = HashSet::new();
    for (k, &(i, j)) in edges.iter().enumerate() {
        if i as usize >= n || j as usize >= n {
            return Some(format!("edge {k} ({i}, {j}) names node"));
        }
        if i == j {
            return Some(format!("edge {k} ({i}, {i}) is a self-loop"));
        }
        if !seen.insert((i.min(j), i.max(j))) {
            return Some(format!("and {k} both join nodes {i} and {j}"));
        }
    }
    if weights.len() != edges.len() {
        return Some(format!(
            "weights has length {}, expected {}",
            weights.len(),
            edges.len()
        ));
    }
    weights
        .iter()
        .position(|w| !w.is_finite())
        .map(|k| format!("weights[{k}] is not a finite number"))
}

fn weight() -> impl Strategy<Value = f32> {
    prop_oneof![8 => -2.0f32..2.0, 1 => Just(f32::NAN), 1 => Just(f32::INFINITY)]
}

proptest! {
    #[test]
    fn validation_accepts_exactly_the_valid_models(
        n in 0usize..12,
        edges in proptest::collection::vec((0u32..13, 0u32..13), 0..30),
        extra in proptest::collection::vec(weight(), 0..32),
        drop_one in any::<bool>(),
    ) {
        let mut weights: Vec<f32> = extra.into_iter().cycle().take(edges.len()).collect();
        if weights.len() < edges.len() {
            weights.resize(edges.len(), 0.5);
        }
        if drop_one && !weights.is_empty() {
            weights.pop();
        }
        let expected = first_problem(n, &edges, &weights);
        let result = IsingModel::new(n, edges.clone(), weights, vec![0.1; n], 1.0);
        match (result, expected) {
            (Ok(model), None) => {
                let program = SamplingProgram::new(model, Blocks::Auto, &[]).unwrap();
                prop_assert_eq!(program.num_free(), n);
            }
            (Err(e), Some(problem)) => prop_assert!(e.to_string().contains(&problem), "{} vs {}", e, problem),
            (Ok(_), Some(problem)) => prop_assert!(false, "accepted a model with a problem: {}", problem),
            (Err(e), None) => prop_assert!(false, "rejected a valid model: {}", e),
        }
    }
}
