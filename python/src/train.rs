//! KL gradients by sampling and training: `TrainingSpec`, `estimate_kl_grad` and `train`.

use ising_wgpu::train::{Optimizer, PhaseMoments, StepReport, TrainConfig, TrainingSpec};
use numpy::PyArray1;
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::PyDict;

use crate::arrays;
use crate::backend;
use crate::errors::IntoPy;
use crate::exact::gradient_dict;
use crate::model::{PyIsingModel, PySamplingSchedule};

/// A sampled phase as a dict: means and standard errors of nodes and edges.
fn phase_dict<'py>(py: Python<'py>, m: PhaseMoments) -> PyResult<Bound<'py, PyDict>> {
    let out = PyDict::new(py);
    out.set_item("node_means", PyArray1::from_owned_array(py, m.node_means))?;
    out.set_item("edge_means", PyArray1::from_owned_array(py, m.edge_means))?;
    out.set_item("node_stderr", PyArray1::from_owned_array(py, m.node_stderr))?;
    out.set_item("edge_stderr", PyArray1::from_owned_array(py, m.edge_stderr))?;
    Ok(out)
}

/// THRML's `IsingTrainingSpec` by node: which nodes are data (clamped to each data row in the
/// positive phase) and conditioning (clamped in both phases), every other node latent; each phase's
/// schedule; chains per data row in the positive phase (and in the negative phase with
/// conditioning) and negative chains otherwise.
#[pyclass(name = "TrainingSpec", module = "ising_wgpu._core", frozen)]
pub(crate) struct PyTrainingSpec {
    inner: TrainingSpec,
}

#[pymethods]
impl PyTrainingSpec {
    /// The spec; `positive` and `negative` are the phases' schedules.
    #[new]
    #[pyo3(signature = (data_nodes, *, positive, negative, conditioning_nodes = None, chains_per_row = 32, negative_chains = 64))]
    fn new(
        data_nodes: &Bound<'_, PyAny>,
        positive: &PySamplingSchedule,
        negative: &PySamplingSchedule,
        conditioning_nodes: Option<&Bound<'_, PyAny>>,
        chains_per_row: usize,
        negative_chains: usize,
    ) -> PyResult<Self> {
        Ok(PyTrainingSpec {
            inner: TrainingSpec {
                data_nodes: arrays::nodes(data_nodes, "data_nodes")?,
                conditioning_nodes: conditioning_nodes
                    .map(|c| arrays::nodes(c, "conditioning_nodes"))
                    .transpose()?
                    .unwrap_or_default(),
                positive: positive.inner,
                negative: negative.inner,
                chains_per_row,
                negative_chains,
            },
        })
    }

    /// The data nodes, in column order.
    #[getter]
    fn data_nodes(&self) -> Vec<u32> {
        self.inner.data_nodes.clone()
    }

    /// The conditioning nodes, in column order.
    #[getter]
    fn conditioning_nodes(&self) -> Vec<u32> {
        self.inner.conditioning_nodes.clone()
    }
}

/// Data and conditioning rows as spins.
type Rows = (ndarray::Array2<i8>, Option<ndarray::Array2<i8>>);

fn rows(data: &Bound<'_, PyAny>, conditioning: Option<&Bound<'_, PyAny>>) -> PyResult<Rows> {
    Ok((
        arrays::spins2(data, "data")?,
        conditioning
            .map(|c| arrays::spins2(c, "conditioning"))
            .transpose()?,
    ))
}

/// THRML's `estimate_kl_grad` by sampling, for `data` (rows x data nodes) and `conditioning` (rows x
/// conditioning nodes) as `spec` says, fresh chains from `hinton_init`. Returns the gradients, their
/// standard errors and both phases' moments (`data`, `model`).
#[pyfunction]
#[pyo3(signature = (model, spec, data, conditioning = None, *, seed = 0, backend = None))]
pub(crate) fn estimate_kl_grad<'py>(
    py: Python<'py>,
    model: &PyIsingModel,
    spec: &PyTrainingSpec,
    data: &Bound<'py, PyAny>,
    conditioning: Option<&Bound<'py, PyAny>>,
    seed: u64,
    backend: Option<&Bound<'py, PyAny>>,
) -> PyResult<Bound<'py, PyDict>> {
    let (data, conditioning) = rows(data, conditioning)?;
    let backend = backend::resolve_or_auto(py, backend)?;
    let model = &model.inner;
    let g = py
        .detach(|| {
            ising_wgpu::train::estimate_kl_grad(
                &backend,
                model,
                &spec.inner,
                data.view(),
                conditioning.as_ref().map(|c| c.view()),
                seed,
            )
        })
        .py()?;
    let out = gradient_dict(py, g.grad_weights, g.grad_biases)?;
    out.set_item(
        "grad_weights_stderr",
        PyArray1::from_owned_array(py, g.grad_weights_stderr),
    )?;
    out.set_item(
        "grad_biases_stderr",
        PyArray1::from_owned_array(py, g.grad_biases_stderr),
    )?;
    out.set_item("data", phase_dict(py, g.data)?)?;
    out.set_item("model", phase_dict(py, g.model)?)?;
    Ok(out)
}

/// Trains `model` on `data` (rows x data nodes; `conditioning` rows x conditioning nodes) by the
/// sampled KL gradient of `spec`: mini-batches of `batch_rows` rows, persistent negative chains,
/// `optimizer` "adam" or "sgd" (with `momentum`), `learning_rate` times `learning_rate_decay` per
/// epoch, L2 `weight_decay` on the weights. After each step `callback`, when given, is called with a
/// dict (`epoch`, `step`, `total_steps`, `learning_rate`, `epoch_done`, `model`); an exception it
/// raises stops the training and is raised again, as Ctrl-C stops it with `KeyboardInterrupt`.
/// Returns the trained model.
#[pyfunction]
#[pyo3(signature = (model, spec, data, conditioning = None, *, epochs, batch_rows, learning_rate, learning_rate_decay = 1.0, weight_decay = 0.0, optimizer = "adam", momentum = 0.0, seed = 0, backend = None, callback = None))]
#[allow(clippy::too_many_arguments)]
pub(crate) fn train<'py>(
    py: Python<'py>,
    model: &PyIsingModel,
    spec: &PyTrainingSpec,
    data: &Bound<'py, PyAny>,
    conditioning: Option<&Bound<'py, PyAny>>,
    epochs: usize,
    batch_rows: usize,
    learning_rate: f64,
    learning_rate_decay: f64,
    weight_decay: f64,
    optimizer: &str,
    momentum: f64,
    seed: u64,
    backend: Option<&Bound<'py, PyAny>>,
    callback: Option<Py<PyAny>>,
) -> PyResult<PyIsingModel> {
    let optimizer = match optimizer {
        "adam" => Optimizer::adam(),
        "sgd" => Optimizer::Sgd { momentum },
        other => {
            return Err(PyValueError::new_err(format!(
                "optimizer '{other}' is neither \"adam\" nor \"sgd\""
            )));
        }
    };
    let config = TrainConfig {
        epochs,
        batch_rows,
        learning_rate,
        learning_rate_decay,
        weight_decay,
        optimizer,
        seed,
    };
    config.check().py()?;
    let (data, conditioning) = rows(data, conditioning)?;
    let backend = backend::resolve_or_auto(py, backend)?;
    let model = &model.inner;
    let mut stop = None;
    let report = |step: &StepReport<'_>| {
        let outcome = Python::attach(|py| -> PyResult<()> {
            py.check_signals()?;
            let Some(callback) = &callback else {
                return Ok(());
            };
            let info = PyDict::new(py);
            info.set_item("epoch", step.epoch)?;
            info.set_item("step", step.step)?;
            info.set_item("total_steps", step.total_steps)?;
            info.set_item("learning_rate", step.learning_rate)?;
            info.set_item("epoch_done", step.epoch_done)?;
            info.set_item(
                "model",
                PyIsingModel {
                    inner: step.model.clone(),
                },
            )?;
            callback.call1(py, (info,))?;
            Ok(())
        });
        match outcome {
            Ok(()) => true,
            Err(e) => {
                stop = Some(e);
                false
            }
        }
    };
    let trained = py.detach(|| {
        ising_wgpu::train::train(
            &backend,
            model,
            &spec.inner,
            data.view(),
            conditioning.as_ref().map(|c| c.view()),
            &config,
            report,
        )
    });
    if let Some(e) = stop {
        return Err(e);
    }
    Ok(PyIsingModel {
        inner: trained.py()?,
    })
}
