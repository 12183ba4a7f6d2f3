//! Exact enumeration: `exact_moments` and `exact_kl_grad`, their results as dicts of numpy arrays.

use ising_wgpu::{ExactMoments, exact};
use numpy::PyArray1;
use pyo3::prelude::*;
use pyo3::types::PyDict;

use crate::arrays;
use crate::errors::IntoPy;
use crate::model::PyIsingModel;

/// A gradient as a dict: `grad_weights`, `grad_biases` (the phases' moments are added after).
pub(crate) fn gradient_dict<'py>(
    py: Python<'py>,
    grad_weights: ndarray::Array1<f64>,
    grad_biases: ndarray::Array1<f64>,
) -> PyResult<Bound<'py, PyDict>> {
    let out = PyDict::new(py);
    out.set_item("grad_weights", PyArray1::from_owned_array(py, grad_weights))?;
    out.set_item("grad_biases", PyArray1::from_owned_array(py, grad_biases))?;
    Ok(out)
}

/// An exact result as a dict: `log_z`, `node_means`, `edge_means`.
fn exact_dict<'py>(py: Python<'py>, m: ExactMoments) -> PyResult<Bound<'py, PyDict>> {
    let out = PyDict::new(py);
    out.set_item("log_z", m.log_z)?;
    out.set_item("node_means", PyArray1::from_owned_array(py, m.node_means))?;
    out.set_item("edge_means", PyArray1::from_owned_array(py, m.edge_means))?;
    Ok(out)
}

/// Exact `ln Z`, `<s_i>` and `<s_i s_j>` of `model` (at most 24 free nodes) with the nodes of
/// `clamp` (a dict node -> spin, -1/+1 or bool) fixed.
#[pyfunction]
#[pyo3(signature = (model, clamp = None))]
pub(crate) fn exact_moments<'py>(
    py: Python<'py>,
    model: &PyIsingModel,
    clamp: Option<std::collections::BTreeMap<u32, Bound<'py, PyAny>>>,
) -> PyResult<Bound<'py, PyDict>> {
    let clamp: Vec<(u32, bool)> = clamp
        .unwrap_or_default()
        .into_iter()
        .map(|(node, v)| {
            let up = match v.extract::<bool>() {
                Ok(b) => b,
                Err(_) => match v.extract::<i64>()? {
                    1 => true,
                    -1 => false,
                    other => {
                        return Err(pyo3::exceptions::PyValueError::new_err(format!(
                            "clamp[{node}] = {other} is not a spin; use -1 or +1"
                        )));
                    }
                },
            };
            Ok((node, up))
        })
        .collect::<PyResult<_>>()?;
    let model = &model.inner;
    let exact = py.detach(|| exact::exact_moments(model, &clamp)).py()?;
    exact_dict(py, exact)
}

/// THRML's KL gradient, exactly: `data` rows x data nodes (spins), observed on `data_nodes`, every
/// other node latent. Returns `grad_weights`, `grad_biases` and the exact moments of both phases
/// (`data`, `model`).
#[pyfunction]
pub(crate) fn exact_kl_grad<'py>(
    py: Python<'py>,
    model: &PyIsingModel,
    data_nodes: &Bound<'py, PyAny>,
    data: &Bound<'py, PyAny>,
) -> PyResult<Bound<'py, PyDict>> {
    let nodes = arrays::nodes(data_nodes, "data_nodes")?;
    let data = arrays::spins2(data, "data")?;
    let model = &model.inner;
    let g = py
        .detach(|| exact::exact_kl_grad(model, &nodes, data.view()))
        .py()?;
    let out = gradient_dict(py, g.grad_weights, g.grad_biases)?;
    out.set_item("data", exact_dict(py, g.data)?)?;
    out.set_item("model", exact_dict(py, g.model)?)?;
    Ok(out)
}
