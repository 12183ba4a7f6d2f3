//! `Sampler` (chains of one program on one backend, persisting between calls) and `Moments`.
//! Every long call releases the GIL and runs in parts of about [`PART`] with a check for Ctrl-C
//! between them ([`paced`]), with the very results of one call.

use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use ising_wgpu::{
    Init, Moments, Observe, Observed, Sampler, SamplerConfig, SamplingSchedule, SitePackedSampler,
    UpdatePath, run_in_parts, sweep_in_parts,
};
use numpy::{PyArray1, PyArray2};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::PyDict;

use crate::arrays;
use crate::backend;
use crate::errors::IntoPy;
use crate::model::{PyIsingModel, PySamplingProgram, PySamplingSchedule, PySitePackedLattice};

/// Wall time of one part of a long call, between two checks for Ctrl-C.
const PART: Duration = Duration::from_millis(100);

/// Runs `schedule` on `sampler` with the GIL released, in parts with a check for signals between
/// them: Ctrl-C raises `KeyboardInterrupt` (the chains left where the last part stopped).
pub(crate) fn paced(
    py: Python<'_>,
    sampler: &mut dyn Sampler,
    schedule: &SamplingSchedule,
    observe: &Observe,
) -> PyResult<Observed> {
    let mut interrupt = None;
    let result = py.detach(|| {
        run_in_parts(
            sampler,
            schedule,
            observe,
            PART,
            |_, _| match Python::attach(|py| py.check_signals()) {
                Ok(()) => true,
                Err(e) => {
                    interrupt = Some(e);
                    false
                }
            },
        )
    });
    match interrupt {
        Some(e) => Err(e),
        None => result.py(),
    }
}

/// Whether to go on after a part: false, with the exception kept in `interrupt`, when a signal
/// handler (Ctrl-C's) raised. Called with the GIL released; takes it for the check.
pub(crate) fn check_signals(interrupt: &mut Option<PyErr>) -> bool {
    match Python::attach(|py| py.check_signals()) {
        Ok(()) => true,
        Err(e) => {
            *interrupt = Some(e);
            false
        }
    }
}

/// How the chains start: "hinton" (THRML's `hinton_init`), "uniform", "all_up", or states.
fn init_of(init: &Bound<'_, PyAny>) -> PyResult<Init> {
    if let Ok(name) = init.extract::<String>() {
        return match name.as_str() {
            "hinton" => Ok(Init::Hinton),
            "uniform" => Ok(Init::Uniform),
            "all_up" => Ok(Init::AllUp),
            other => Err(PyValueError::new_err(format!(
                "init '{other}' is none of \"hinton\", \"uniform\", \"all_up\" and an array of states"
            ))),
        };
    }
    Ok(Init::States(arrays::spins2(init, "init")?))
}

/// Chains of one program on one backend, 32 to a word, persisting between calls: each call
/// continues where the last stopped, with fresh random numbers (a draw depends only on the seed,
/// sweep, node and chain, so the same seed gives the same numbers on every backend).
#[pyclass(name = "Sampler", module = "ising_wgpu._core")]
pub(crate) struct PySampler {
    inner: Mutex<Box<dyn Sampler>>,
    num_nodes: usize,
    num_edges: usize,
}

impl PySampler {
    /// Runs `schedule` observing `observe` ([`paced`]), its whole result checked against the
    /// machine's memory first (each part alone would pass).
    fn run_paced(
        &mut self,
        py: Python<'_>,
        schedule: &SamplingSchedule,
        observe: &Observe,
    ) -> PyResult<Observed> {
        let (n, m) = (self.num_nodes, self.num_edges);
        let sampler = self.sampler();
        observe
            .check_memory(schedule, n, m, sampler.temperatures().chains())
            .py()?;
        paced(py, sampler, schedule, observe)
    }

    fn sampler(&mut self) -> &mut dyn Sampler {
        self.inner
            .get_mut()
            .unwrap_or_else(PoisonError::into_inner)
            .as_mut()
    }
}

#[pymethods]
impl PySampler {
    /// `chains` chains of `program` on `backend` ("auto", "cpu", "gpu" or a Backend), drawing with
    /// `seed`; `init` "hinton" (THRML's `hinton_init`), "uniform", "all_up" or chains x nodes spins;
    /// `clamp_values` one row for all chains or one per chain, in the program's clamped order;
    /// `betas` splits the chains into groups of whole 32-chain words at these betas; `path`
    /// "general" or "lattice" forces an update path (default: the lattice path where it applies).
    #[new]
    #[pyo3(signature = (program, chains, *, backend = None, seed = 0, init = None, clamp_values = None, betas = None, path = None))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        py: Python<'_>,
        program: &PySamplingProgram,
        chains: usize,
        backend: Option<&Bound<'_, PyAny>>,
        seed: u64,
        init: Option<&Bound<'_, PyAny>>,
        clamp_values: Option<&Bound<'_, PyAny>>,
        betas: Option<&Bound<'_, PyAny>>,
        path: Option<&str>,
    ) -> PyResult<Self> {
        let backend = backend::resolve_or_auto(py, backend)?;
        let mut config = SamplerConfig::new(chains).seed(seed);
        if let Some(init) = init {
            config = config.init(init_of(init)?);
        }
        if let Some(values) = clamp_values {
            config = config.clamp_values(arrays::spins2(values, "clamp_values")?);
        }
        if let Some(betas) = betas {
            config = config.betas(&arrays::floats(betas, "betas")?);
        }
        config.path = match path {
            None => None,
            Some("general") => Some(UpdatePath::General),
            Some("lattice") => Some(UpdatePath::Lattice),
            Some(other) => {
                return Err(PyValueError::new_err(format!(
                    "path '{other}' is none of \"general\" and \"lattice\""
                )));
            }
        };
        let program = &program.inner;
        let sampler = py.detach(|| backend.sampler(program, &config)).py()?;
        Ok(PySampler {
            inner: Mutex::new(sampler),
            num_nodes: program.model().num_nodes(),
            num_edges: program.model().num_edges(),
        })
    }

    /// Runs `schedule` and returns a dict of what was asked: `"samples"` (spins of the nodes
    /// `samples` names, samples x chains x nodes, `int8`), `"moments"` (a Moments), `"energies"`
    /// (`H(s)` without beta, samples x chains) and `"magnetizations"` (samples x chains).
    #[pyo3(signature = (schedule, *, samples = None, moments = false, energy = false))]
    fn run<'py>(
        &mut self,
        py: Python<'py>,
        schedule: &PySamplingSchedule,
        samples: Option<&Bound<'py, PyAny>>,
        moments: bool,
        energy: bool,
    ) -> PyResult<Bound<'py, PyDict>> {
        let observe = Observe {
            samples: samples.map(|s| arrays::nodes(s, "samples")).transpose()?,
            moments,
            energy,
            overlap: false,
        };
        let observed = self.run_paced(py, &schedule.inner, &observe)?;
        let out = PyDict::new(py);
        if let Some(s) = observed.samples {
            out.set_item("samples", arrays::spins3_out(py, s))?;
        }
        if let Some(m) = observed.moments {
            out.set_item("moments", PyMoments { inner: m })?;
        }
        if let Some(e) = observed.energy {
            out.set_item(
                "energies",
                PyArray2::from_owned_array(py, e.energies().to_owned()),
            )?;
            out.set_item(
                "magnetizations",
                PyArray2::from_owned_array(py, e.magnetizations()),
            )?;
        }
        Ok(out)
    }

    /// Spins of `nodes` (default: every node) at each sample point: samples x chains x nodes, `int8`.
    #[pyo3(signature = (schedule, nodes = None))]
    fn sample<'py>(
        &mut self,
        py: Python<'py>,
        schedule: &PySamplingSchedule,
        nodes: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, numpy::PyArray3<i8>>> {
        let nodes = match nodes {
            Some(n) => arrays::nodes(n, "nodes")?,
            None => (0..self.num_nodes as u32).collect(),
        };
        let observe = Observe {
            samples: Some(nodes),
            ..Observe::default()
        };
        let observed = self.run_paced(py, &schedule.inner, &observe)?;
        Ok(arrays::spins3_out(
            py,
            observed.samples.expect("samples were asked for"),
        ))
    }

    /// Moment counts of every node and edge over the schedule's samples, per chain.
    fn estimate_moments(
        &mut self,
        py: Python<'_>,
        schedule: &PySamplingSchedule,
    ) -> PyResult<PyMoments> {
        let observe = Observe {
            moments: true,
            ..Observe::default()
        };
        let observed = self.run_paced(py, &schedule.inner, &observe)?;
        Ok(PyMoments {
            inner: observed.moments.expect("moments were asked for"),
        })
    }

    /// Runs `sweeps` sweeps, observing nothing.
    fn sweep(&mut self, py: Python<'_>, sweeps: u64) -> PyResult<()> {
        let schedule = SamplingSchedule::new(sweeps, 1, 1).py()?;
        self.run_paced(py, &schedule, &Observe::default())?;
        Ok(())
    }

    /// The spins now, chains x nodes, `int8`.
    fn state<'py>(&mut self, py: Python<'py>) -> PyResult<Bound<'py, PyArray2<i8>>> {
        let sampler = self.sampler();
        let state = py.detach(|| sampler.state()).py()?;
        Ok(PyArray2::from_owned_array(py, state))
    }

    /// Takes the weights, biases and beta of `model` (same nodes and edges); returns the update
    /// path the sweeps now take ("general" or "lattice").
    fn set_model(&mut self, model: &PyIsingModel) -> PyResult<&'static str> {
        Ok(path_name(self.sampler().set_parameters(&model.inner).py()?))
    }

    /// Splits the chains into groups of whole 32-chain words at these betas, from the next sweep on.
    fn set_betas(&mut self, betas: &Bound<'_, PyAny>) -> PyResult<()> {
        let betas = arrays::floats(betas, "betas")?;
        self.sampler().set_betas(&betas).py()
    }

    /// Sets the clamped nodes' values: one row for all chains or one per chain.
    fn set_clamp_values(&mut self, values: &Bound<'_, PyAny>) -> PyResult<()> {
        let values = arrays::spins2(values, "values")?;
        self.sampler().set_clamp_values(values.view()).py()
    }

    /// Number of chains.
    #[getter]
    fn chains(&mut self) -> usize {
        self.sampler().temperatures().chains()
    }

    /// The betas of the temperature groups.
    #[getter]
    fn betas(&mut self) -> Vec<f32> {
        self.sampler().temperatures().betas().to_vec()
    }

    /// The chains of temperature group `k` as (start, stop).
    fn chains_of(&mut self, k: usize) -> PyResult<(usize, usize)> {
        let temperatures = self.sampler().temperatures();
        if k >= temperatures.betas().len() {
            return Err(PyValueError::new_err(format!(
                "there are {} temperature groups, not {}",
                temperatures.betas().len(),
                k + 1
            )));
        }
        let range = temperatures.chains_of(k);
        Ok((range.start, range.end))
    }

    /// The backend's name, such as "cpu (x86-64-v3)".
    #[getter]
    fn backend(&mut self) -> String {
        self.sampler().backend_name()
    }

    /// The update path the sweeps take: "general" or "lattice".
    #[getter]
    fn update_path(&mut self) -> &'static str {
        path_name(self.sampler().update_path())
    }
}

/// An update path's name.
fn path_name(path: UpdatePath) -> &'static str {
    match path {
        UpdatePath::General => "general",
        UpdatePath::Lattice => "lattice",
        UpdatePath::SitePacked => "site_packed",
    }
}

/// Moment counts per chain of every node (number of +1) and edge (number of agreements) over the
/// samples of a call, and the means and standard errors (from the spread between chains) they give.
#[pyclass(name = "Moments", module = "ising_wgpu._core", frozen)]
pub(crate) struct PyMoments {
    pub(crate) inner: Moments,
}

#[pymethods]
impl PyMoments {
    /// Samples per chain.
    #[getter]
    fn samples_per_chain(&self) -> u64 {
        self.inner.samples_per_chain()
    }

    /// Number of chains.
    #[getter]
    fn chains(&self) -> usize {
        self.inner.chains()
    }

    /// +1 counts, chains x nodes (`uint32`).
    #[getter]
    fn node_counts<'py>(&self, py: Python<'py>) -> Bound<'py, PyArray2<u32>> {
        PyArray2::from_owned_array(py, self.inner.node_counts().to_owned())
    }

    /// Agreement counts, chains x edges (`uint32`).
    #[getter]
    fn edge_counts<'py>(&self, py: Python<'py>) -> Bound<'py, PyArray2<u32>> {
        PyArray2::from_owned_array(py, self.inner.edge_counts().to_owned())
    }

    /// `<s_i>` per node over all samples and chains.
    #[getter]
    fn node_means<'py>(&self, py: Python<'py>) -> Bound<'py, PyArray1<f64>> {
        PyArray1::from_owned_array(py, self.inner.node_means())
    }

    /// `<s_i s_j>` per edge over all samples and chains.
    #[getter]
    fn edge_means<'py>(&self, py: Python<'py>) -> Bound<'py, PyArray1<f64>> {
        PyArray1::from_owned_array(py, self.inner.edge_means())
    }

    /// `<s_i>` of each chain, chains x nodes.
    #[getter]
    fn chain_node_means<'py>(&self, py: Python<'py>) -> Bound<'py, PyArray2<f64>> {
        PyArray2::from_owned_array(py, self.inner.chain_node_means())
    }

    /// `<s_i s_j>` of each chain, chains x edges.
    #[getter]
    fn chain_edge_means<'py>(&self, py: Python<'py>) -> Bound<'py, PyArray2<f64>> {
        PyArray2::from_owned_array(py, self.inner.chain_edge_means())
    }

    /// Standard error of each node mean (NaN with one chain).
    #[getter]
    fn node_stderr<'py>(&self, py: Python<'py>) -> Bound<'py, PyArray1<f64>> {
        PyArray1::from_owned_array(py, self.inner.node_stderr())
    }

    /// Standard error of each edge mean (NaN with one chain).
    #[getter]
    fn edge_stderr<'py>(&self, py: Python<'py>) -> Bound<'py, PyArray1<f64>> {
        PyArray1::from_owned_array(py, self.inner.edge_stderr())
    }

    fn __repr__(&self) -> String {
        format!(
            "Moments(chains={}, samples_per_chain={})",
            self.inner.chains(),
            self.inner.samples_per_chain()
        )
    }
}

/// One site-packed lattice on one backend: sweeps (colour 0, then colour 1), its energy and
/// magnetisation reduced where the spins live, its spins by site.
#[pyclass(name = "SitePackedSampler", module = "ising_wgpu._core")]
pub(crate) struct PySitePackedSampler {
    inner: Mutex<Box<dyn SitePackedSampler>>,
}

impl PySitePackedSampler {
    fn sampler(&mut self) -> &mut dyn SitePackedSampler {
        self.inner
            .get_mut()
            .unwrap_or_else(PoisonError::into_inner)
            .as_mut()
    }
}

#[pymethods]
impl PySitePackedSampler {
    /// `lattice` on `backend`, drawing with `seed`, from `init` ("all_up", "uniform", "hinton" or
    /// one row of spins by site).
    #[new]
    #[pyo3(signature = (lattice, *, backend = None, seed = 0, init = None))]
    fn new(
        py: Python<'_>,
        lattice: &PySitePackedLattice,
        backend: Option<&Bound<'_, PyAny>>,
        seed: u64,
        init: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Self> {
        let backend = backend::resolve_or_auto(py, backend)?;
        let init = match init {
            Some(i) => init_of(i)?,
            None => Init::AllUp,
        };
        let lattice = &lattice.inner;
        let sampler = py
            .detach(|| backend.site_packed(lattice, seed, init))
            .py()?;
        Ok(PySitePackedSampler {
            inner: Mutex::new(sampler),
        })
    }

    /// Runs `sweeps` sweeps (in parts, with Ctrl-C checked between them).
    fn sweep(&mut self, py: Python<'_>, sweeps: u64) -> PyResult<()> {
        let sampler = self.sampler();
        let mut interrupt = None;
        let result = py.detach(|| {
            sweep_in_parts(
                |n| sampler.sweep(n),
                sweeps,
                PART,
                |_, _| check_signals(&mut interrupt),
            )
        });
        match interrupt {
            Some(e) => Err(e),
            None => result.py(),
        }
    }

    /// `(energy per site, magnetisation per site)` of the current spins (`H` without beta).
    fn observables(&mut self, py: Python<'_>) -> PyResult<(f64, f64)> {
        let sampler = self.sampler();
        let o = py.detach(|| sampler.observables()).py()?;
        Ok((o.energy_per_site, o.magnetization))
    }

    /// The spins by site (`x + lx (y + ly z)`), `int8`.
    fn state<'py>(&mut self, py: Python<'py>) -> PyResult<Bound<'py, PyArray1<i8>>> {
        let sampler = self.sampler();
        let state = py.detach(|| sampler.state()).py()?;
        Ok(PyArray1::from_vec(py, state))
    }

    /// Sets coupling, field and beta for the following sweeps; spins stay.
    fn set_parameters(&mut self, coupling: f32, field: f32, beta: f32) -> PyResult<()> {
        self.sampler().set_parameters(coupling, field, beta).py()
    }

    /// The backend's name.
    #[getter]
    fn backend(&mut self) -> String {
        self.sampler().backend_name()
    }
}
