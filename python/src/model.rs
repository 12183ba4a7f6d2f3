//! Models, programs, schedules and lattices: `IsingModel`, `SamplingProgram`, `SamplingSchedule`
//! and `Lattice`, thin wrappers of the library's types.

use ising_wgpu::{Blocks, IsingModel, Lattice, SamplingProgram, SamplingSchedule};
use numpy::{PyArray1, PyArray2};
use pyo3::prelude::*;

use crate::arrays;
use crate::errors::IntoPy;

/// An Ising model, THRML's conventions: spins -1/+1, `E(s) = -beta (sum_i b_i s_i + sum_k J_k s_i
/// s_j)`, `P(s)` proportional to `exp(-E(s))`.
#[pyclass(name = "IsingModel", module = "ising_wgpu._core")]
#[derive(Clone)]
pub(crate) struct PyIsingModel {
    pub(crate) inner: IsingModel,
}

#[pymethods]
impl PyIsingModel {
    /// `num_nodes` spins, `edges` an E x 2 array of node indices with one weight each, one bias per
    /// node, inverse temperature `beta`.
    #[new]
    #[pyo3(signature = (num_nodes, edges, weights, biases, beta = 1.0))]
    fn new(
        num_nodes: usize,
        edges: &Bound<'_, PyAny>,
        weights: &Bound<'_, PyAny>,
        biases: &Bound<'_, PyAny>,
        beta: f32,
    ) -> PyResult<Self> {
        let inner = IsingModel::new(
            num_nodes,
            arrays::edges(edges)?,
            arrays::floats(weights, "weights")?,
            arrays::floats(biases, "biases")?,
            beta,
        )
        .py()?;
        Ok(PyIsingModel { inner })
    }

    /// A model on `edges` with weights and biases drawn from a standard normal (Philox keyed by `seed`).
    #[staticmethod]
    #[pyo3(signature = (num_nodes, edges, beta = 1.0, seed = 0))]
    fn random_normal(
        num_nodes: usize,
        edges: &Bound<'_, PyAny>,
        beta: f32,
        seed: u64,
    ) -> PyResult<Self> {
        let inner = IsingModel::random_normal(num_nodes, arrays::edges(edges)?, beta, seed).py()?;
        Ok(PyIsingModel { inner })
    }

    /// The model of a model JSON text (`ising` CLI's format).
    #[staticmethod]
    fn from_json(text: &str) -> PyResult<Self> {
        let inner = ising_wgpu::io::parse_model_json(text, "model JSON").py()?;
        Ok(PyIsingModel { inner })
    }

    /// The model in the model JSON file at `path`.
    #[staticmethod]
    fn read(path: std::path::PathBuf) -> PyResult<Self> {
        let inner = ising_wgpu::io::read_model_json(path).py()?;
        Ok(PyIsingModel { inner })
    }

    /// The model as model JSON text.
    fn to_json(&self) -> String {
        ising_wgpu::io::model_to_json(&self.inner)
    }

    /// Number of spins.
    #[getter]
    fn num_nodes(&self) -> usize {
        self.inner.num_nodes()
    }

    /// Number of edges.
    #[getter]
    fn num_edges(&self) -> usize {
        self.inner.num_edges()
    }

    /// The edges, E x 2 (`uint32`).
    #[getter]
    fn edges<'py>(&self, py: Python<'py>) -> Bound<'py, PyArray2<u32>> {
        let flat: Vec<u32> = self
            .inner
            .edges()
            .iter()
            .flat_map(|&(i, j)| [i, j])
            .collect();
        let array = ndarray::Array2::from_shape_vec((self.inner.num_edges(), 2), flat)
            .expect("two nodes per edge");
        PyArray2::from_owned_array(py, array)
    }

    /// One weight per edge (`float32`).
    #[getter]
    fn weights<'py>(&self, py: Python<'py>) -> Bound<'py, PyArray1<f32>> {
        PyArray1::from_slice(py, self.inner.weights())
    }

    /// One bias per node (`float32`).
    #[getter]
    fn biases<'py>(&self, py: Python<'py>) -> Bound<'py, PyArray1<f32>> {
        PyArray1::from_slice(py, self.inner.biases())
    }

    /// The inverse temperature.
    #[getter]
    fn beta(&self) -> f32 {
        self.inner.beta()
    }

    /// Replaces the weights (one per edge).
    #[setter]
    fn set_weights(&mut self, weights: &Bound<'_, PyAny>) -> PyResult<()> {
        self.inner
            .set_weights(arrays::floats(weights, "weights")?)
            .py()
    }

    /// Replaces the biases (one per node).
    #[setter]
    fn set_biases(&mut self, biases: &Bound<'_, PyAny>) -> PyResult<()> {
        self.inner
            .set_biases(arrays::floats(biases, "biases")?)
            .py()
    }

    /// Replaces beta.
    #[setter]
    fn set_beta(&mut self, beta: f32) -> PyResult<()> {
        self.inner.set_beta(beta).py()
    }

    /// `E(s)` (with beta, THRML's energy) of each row of `states` (rows x nodes spins), `float64`.
    fn energy<'py>(
        &self,
        py: Python<'py>,
        states: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyArray1<f64>>> {
        let states = arrays::spins2(states, "states")?;
        let energies = self.inner.energy(states.view()).py()?;
        Ok(PyArray1::from_owned_array(py, energies))
    }

    fn __repr__(&self) -> String {
        format!(
            "IsingModel(num_nodes={}, num_edges={}, beta={})",
            self.inner.num_nodes(),
            self.inner.num_edges(),
            self.inner.beta()
        )
    }
}

/// A model with its free blocks (updated in order, each once a sweep) and clamped nodes (never
/// written): THRML's `IsingSamplingProgram`. Blocks are coloured automatically when not given, and
/// given ones are checked for independence and coverage.
#[pyclass(name = "SamplingProgram", module = "ising_wgpu._core")]
#[derive(Clone)]
pub(crate) struct PySamplingProgram {
    pub(crate) inner: SamplingProgram,
}

#[pymethods]
impl PySamplingProgram {
    /// `blocks`: a list of lists of free nodes in update order, or `None` to colour them; `clamped`:
    /// the clamped nodes, in the order of their values.
    #[new]
    #[pyo3(signature = (model, blocks = None, clamped = None))]
    fn new(
        model: &PyIsingModel,
        blocks: Option<Vec<Bound<'_, PyAny>>>,
        clamped: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Self> {
        let blocks = match blocks {
            None => Blocks::Auto,
            Some(list) => Blocks::Given(
                list.iter()
                    .enumerate()
                    .map(|(k, b)| arrays::nodes(b, &format!("blocks[{k}]")))
                    .collect::<PyResult<_>>()?,
            ),
        };
        let clamped = match clamped {
            Some(c) => arrays::nodes(c, "clamped")?,
            None => Vec::new(),
        };
        let inner = SamplingProgram::new(model.inner.clone(), blocks, &clamped).py()?;
        Ok(PySamplingProgram { inner })
    }

    /// The model.
    #[getter]
    fn model(&self) -> PyIsingModel {
        PyIsingModel {
            inner: self.inner.model().clone(),
        }
    }

    /// The free blocks in update order.
    #[getter]
    fn blocks(&self) -> Vec<Vec<u32>> {
        self.inner.blocks().to_vec()
    }

    /// The clamped nodes.
    #[getter]
    fn clamped(&self) -> Vec<u32> {
        self.inner.clamped().to_vec()
    }

    /// Whether the program is a periodic lattice the samplers' lattice path can take.
    #[getter]
    fn is_lattice(&self) -> bool {
        self.inner.lattice_sides().is_some()
    }

    fn __repr__(&self) -> String {
        format!(
            "SamplingProgram(num_nodes={}, blocks={}, clamped={})",
            self.inner.model().num_nodes(),
            self.inner.blocks().len(),
            self.inner.clamped().len()
        )
    }
}

/// THRML's `SamplingSchedule`: `n_warmup` sweeps, then `n_samples` samples `steps_per_sample`
/// sweeps apart, the first right after warm-up.
#[pyclass(name = "SamplingSchedule", module = "ising_wgpu._core")]
#[derive(Clone)]
pub(crate) struct PySamplingSchedule {
    pub(crate) inner: SamplingSchedule,
}

#[pymethods]
impl PySamplingSchedule {
    /// A checked schedule (at least one sample, samples at least one sweep apart).
    #[new]
    #[pyo3(signature = (n_warmup, n_samples, steps_per_sample))]
    fn new(n_warmup: u64, n_samples: u64, steps_per_sample: u64) -> PyResult<Self> {
        let inner = SamplingSchedule::new(n_warmup, n_samples, steps_per_sample).py()?;
        Ok(PySamplingSchedule { inner })
    }

    /// Sweeps before the first sample.
    #[getter]
    fn n_warmup(&self) -> u64 {
        self.inner.n_warmup
    }

    /// Number of samples.
    #[getter]
    fn n_samples(&self) -> u64 {
        self.inner.n_samples
    }

    /// Sweeps between samples.
    #[getter]
    fn steps_per_sample(&self) -> u64 {
        self.inner.steps_per_sample
    }

    /// `n_warmup + (n_samples - 1) * steps_per_sample`.
    #[getter]
    fn total_sweeps(&self) -> u64 {
        self.inner.total_sweeps()
    }

    fn __repr__(&self) -> String {
        let s = &self.inner;
        format!(
            "SamplingSchedule(n_warmup={}, n_samples={}, steps_per_sample={})",
            s.n_warmup, s.n_samples, s.steps_per_sample
        )
    }
}

/// A chain, square or cubic lattice (a ring or torus when periodic), whose programs take the
/// samplers' fast lattice path (periodic, even sides).
#[pyclass(name = "Lattice", module = "ising_wgpu._core")]
#[derive(Clone)]
pub(crate) struct PyLattice {
    inner: Lattice,
}

#[pymethods]
impl PyLattice {
    /// An `lx` by `ly` square lattice (`lx` along a row).
    #[staticmethod]
    #[pyo3(signature = (lx, ly, periodic = true))]
    fn square(lx: usize, ly: usize, periodic: bool) -> PyResult<Self> {
        Ok(PyLattice {
            inner: Lattice::square(lx, ly, periodic).py()?,
        })
    }

    /// An `lx` by `ly` by `lz` simple cubic lattice.
    #[staticmethod]
    #[pyo3(signature = (lx, ly, lz, periodic = true))]
    fn cubic(lx: usize, ly: usize, lz: usize, periodic: bool) -> PyResult<Self> {
        Ok(PyLattice {
            inner: Lattice::cubic(lx, ly, lz, periodic).py()?,
        })
    }

    /// The model with coupling `j` on every bond and field `h` on every site.
    #[pyo3(signature = (j, h, beta))]
    fn model(&self, j: f32, h: f32, beta: f32) -> PyResult<PyIsingModel> {
        Ok(PyIsingModel {
            inner: self.inner.model(j, h, beta).py()?,
        })
    }

    /// The model's program with the lattice's checkerboard blocks, marked for the lattice path.
    #[pyo3(signature = (j, h, beta))]
    fn program(&self, j: f32, h: f32, beta: f32) -> PyResult<PySamplingProgram> {
        Ok(PySamplingProgram {
            inner: self.inner.program(j, h, beta).py()?,
        })
    }

    /// An Edwards-Anderson +-J glass: each bond `+j` or `-j` with probability 1/2 (one disorder
    /// sample keyed by `seed`), on the lattice path.
    #[pyo3(signature = (j, h, beta, seed = 0))]
    fn glass_program(&self, j: f32, h: f32, beta: f32, seed: u64) -> PyResult<PySamplingProgram> {
        Ok(PySamplingProgram {
            inner: self.inner.glass_program(j, h, beta, seed).py()?,
        })
    }
}

/// One huge periodic lattice with one coupling and one field, packed 32 sites of one colour to a
/// word (`lx` a multiple of 64): the `SitePackedSampler`'s model.
#[pyclass(name = "SitePackedLattice", module = "ising_wgpu._core", frozen)]
pub(crate) struct PySitePackedLattice {
    pub(crate) inner: ising_wgpu::SitePackedLattice,
}

#[pymethods]
impl PySitePackedLattice {
    /// An `lx` by `ly` torus (`lx` a multiple of 64, `ly` even and at least 4).
    #[staticmethod]
    #[pyo3(signature = (lx, ly, coupling, field, beta))]
    fn square(lx: u32, ly: u32, coupling: f32, field: f32, beta: f32) -> PyResult<Self> {
        Ok(PySitePackedLattice {
            inner: ising_wgpu::SitePackedLattice::square(lx, ly, coupling, field, beta).py()?,
        })
    }

    /// An `lx` by `ly` by `lz` periodic cubic lattice.
    #[staticmethod]
    #[pyo3(signature = (lx, ly, lz, coupling, field, beta))]
    fn cubic(lx: u32, ly: u32, lz: u32, coupling: f32, field: f32, beta: f32) -> PyResult<Self> {
        Ok(PySitePackedLattice {
            inner: ising_wgpu::SitePackedLattice::cubic(lx, ly, lz, coupling, field, beta).py()?,
        })
    }

    /// Number of sites.
    #[getter]
    fn num_sites(&self) -> u64 {
        self.inner.num_sites()
    }
}
