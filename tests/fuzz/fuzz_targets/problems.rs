//! Problem files, Gset and dimod COO (either vartype, or the file's own): any text parses to a
//! problem of at least one variable, whose energy of a state can be taken, or an error.
#![no_main]

use ising_wgpu::io::{parse_coo, parse_gset};
use ising_wgpu::problem::Vartype;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&choice, rest)) = data.split_first() else {
        return;
    };
    let Ok(text) = std::str::from_utf8(rest) else {
        return;
    };
    let parsed = match choice % 4 {
        0 => parse_gset(text, "fuzz"),
        1 => parse_coo(text, "fuzz", None),
        2 => parse_coo(text, "fuzz", Some(Vartype::Spin)),
        _ => parse_coo(text, "fuzz", Some(Vartype::Binary)),
    };
    if let Ok(problem) = parsed {
        let model = problem.model();
        assert!(model.num_nodes() >= 1);
        let up = ndarray::Array2::<i8>::ones((1, model.num_nodes()));
        let energy = model
            .energy(up.view())
            .expect("a state of the model's nodes");
        let (energies, best) = problem.energies(&energy.to_vec());
        assert!(best.is_some() && energies.len() == 1);
    }
});
