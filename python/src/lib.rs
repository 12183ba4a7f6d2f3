//! `ising_wgpu._core`: the Rust library's models, samplers, exact results, annealing and tempering
//! as Python classes and functions. numpy arrays in and out; the GIL is released while sampling,
//! and long calls run in parts with a check for Ctrl-C between them (`KeyboardInterrupt`). The
//! Python package around it (`ising_wgpu`, with `ising_wgpu.thrml` and `ising_wgpu.dimod`) is
//! written in Python beside this crate.

mod anneal;
mod arrays;
mod backend;
mod errors;
mod exact;
mod model;
mod sampler;
mod train;

use pyo3::prelude::*;

/// The extension module.
#[pymodule]
fn _core(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add_class::<model::PyIsingModel>()?;
    m.add_class::<model::PySamplingProgram>()?;
    m.add_class::<model::PySamplingSchedule>()?;
    m.add_class::<model::PyLattice>()?;
    m.add_class::<model::PySitePackedLattice>()?;
    m.add_class::<backend::PyBackend>()?;
    m.add_class::<sampler::PySampler>()?;
    m.add_class::<sampler::PyMoments>()?;
    m.add_class::<sampler::PySitePackedSampler>()?;
    m.add_class::<anneal::PyProblem>()?;
    m.add_class::<anneal::PyAnnealed>()?;
    m.add_class::<anneal::PyTempered>()?;
    m.add_class::<train::PyTrainingSpec>()?;
    m.add_function(wrap_pyfunction!(exact::exact_moments, m)?)?;
    m.add_function(wrap_pyfunction!(exact::exact_kl_grad, m)?)?;
    m.add_function(wrap_pyfunction!(train::estimate_kl_grad, m)?)?;
    m.add_function(wrap_pyfunction!(train::train, m)?)?;
    m.add_function(wrap_pyfunction!(anneal::anneal, m)?)?;
    m.add_function(wrap_pyfunction!(anneal::temper, m)?)?;
    m.add_function(wrap_pyfunction!(anneal::default_schedule, m)?)?;
    Ok(())
}
