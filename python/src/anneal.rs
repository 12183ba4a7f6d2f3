//! Optimisation problems, annealing and tempering: `Problem` (Gset, dimod COO, model JSON, QUBO or
//! Ising terms, MaxCut), `anneal` (many reads on any backend, each read's best kept where the
//! spins live) and `temper` (replica exchange over a ladder of betas).

use ising_wgpu::anneal::{BetaSchedule, anneal as anneal_reads};
use ising_wgpu::io::{ProblemFormat, read_problem};
use ising_wgpu::problem::{Problem, Vartype};
use ising_wgpu::temper::temper as temper_run;
use ising_wgpu::{Blocks, Init, Observe, SamplerConfig, SamplingProgram, UpdateRule};
use ndarray::Array2;
use numpy::{PyArray1, PyArray2};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;

use crate::arrays;
use crate::backend;
use crate::errors::IntoPy;
use crate::model::{PyIsingModel, PySamplingProgram, PySamplingSchedule};
use crate::sampler::{PyMoments, check_signals};

/// A vartype by name: "SPIN" or "BINARY" (any case).
fn vartype_of(name: &str) -> PyResult<Vartype> {
    match name.to_ascii_uppercase().as_str() {
        "SPIN" => Ok(Vartype::Spin),
        "BINARY" => Ok(Vartype::Binary),
        _ => Err(PyValueError::new_err(format!(
            "vartype '{name}' is neither \"SPIN\" nor \"BINARY\""
        ))),
    }
}

/// An optimisation problem: an Ising model plus the constant offset and variable type (SPIN -1/+1
/// or BINARY 0/1) its energies are reported in; MaxCut problems also give cut values.
#[pyclass(name = "Problem", module = "ising_wgpu._core", frozen)]
pub(crate) struct PyProblem {
    inner: Problem,
}

#[pymethods]
impl PyProblem {
    /// The problem in `path`: `format` "gset", "coo" or "json" (default: detected), `vartype` for
    /// COO files without a `# vartype=` line (default SPIN).
    #[staticmethod]
    #[pyo3(signature = (path, format = None, vartype = None))]
    fn read(
        path: std::path::PathBuf,
        format: Option<&str>,
        vartype: Option<&str>,
    ) -> PyResult<Self> {
        let format = format
            .map(|f| {
                ProblemFormat::from_name(f).ok_or_else(|| {
                    PyValueError::new_err(format!(
                        "format '{f}' is none of \"gset\", \"coo\" and \"json\""
                    ))
                })
            })
            .transpose()?;
        let vartype = vartype.map(vartype_of).transpose()?;
        Ok(PyProblem {
            inner: read_problem(path, format, vartype).py()?,
        })
    }

    /// A quadratic problem of `num_vars` variables of `vartype`: `terms` rows `(i, j, value)`, `i
    /// == j` a linear term, repeated pairs adding up (as in dimod); `offset` a constant.
    #[staticmethod]
    #[pyo3(signature = (num_vars, vartype, terms, offset = 0.0))]
    fn quadratic(
        num_vars: usize,
        vartype: &str,
        terms: Vec<(u32, u32, f64)>,
        offset: f64,
    ) -> PyResult<Self> {
        Ok(PyProblem {
            inner: Problem::quadratic(num_vars, vartype_of(vartype)?, &terms, offset).py()?,
        })
    }

    /// MaxCut of a weighted graph: `edges` rows `(i, j, weight)`.
    #[staticmethod]
    fn max_cut(num_nodes: usize, edges: Vec<(u32, u32, f64)>) -> PyResult<Self> {
        Ok(PyProblem {
            inner: Problem::max_cut(num_nodes, &edges).py()?,
        })
    }

    /// Minimising `H(s)` of `model`'s weights and biases (its beta ignored).
    #[staticmethod]
    fn from_model(model: &PyIsingModel) -> PyResult<Self> {
        Ok(PyProblem {
            inner: Problem::from_model(&model.inner).py()?,
        })
    }

    /// The Ising model whose `H(s)` plus `offset` is the problem's energy.
    #[getter]
    fn model(&self) -> PyIsingModel {
        PyIsingModel {
            inner: self.inner.model().clone(),
        }
    }

    /// The constant added to the model's `H(s)`.
    #[getter]
    fn offset(&self) -> f64 {
        self.inner.offset()
    }

    /// "SPIN" or "BINARY".
    #[getter]
    fn vartype(&self) -> &'static str {
        self.inner.vartype().name()
    }

    /// Whether the problem is a MaxCut (cut values reported).
    #[getter]
    fn is_max_cut(&self) -> bool {
        self.inner.is_max_cut()
    }

    /// The problem's energy of each row of `states` (rows x variables, in the problem's vartype).
    fn energy<'py>(
        &self,
        py: Python<'py>,
        states: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyArray1<f64>>> {
        let states = arrays::spins2(states, "states")?;
        let energies = states
            .rows()
            .into_iter()
            .map(|row| {
                let spins = self.inner.spins_of(&row.to_vec())?;
                self.inner.energy(&spins)
            })
            .collect::<ising_wgpu::Result<Vec<f64>>>()
            .py()?;
        Ok(PyArray1::from_vec(py, energies))
    }

    /// The cut value of a MaxCut state of this `energy` (None for other problems).
    fn cut(&self, energy: f64) -> Option<f64> {
        self.inner.cut(energy)
    }
}

/// The result of `anneal`: each read's best energy (the problem's convention) and state (its
/// vartype), with the sweep that first reached it, and the reads' last states.
#[pyclass(name = "Annealed", module = "ising_wgpu._core", frozen, get_all)]
pub(crate) struct PyAnnealed {
    /// Each read's lowest energy.
    energies: Py<PyArray1<f64>>,
    /// Each read's state of that energy, reads x variables (`int8`).
    states: Py<PyArray2<i8>>,
    /// Each read's last state, reads x variables.
    final_states: Py<PyArray2<i8>>,
    /// The sweep (1-based) at which each read first reached its energy.
    found_at: Py<PyArray1<u64>>,
    /// The lowest energy of all reads.
    best_energy: f64,
    /// A state of that energy.
    best_state: Py<PyArray1<i8>>,
    /// Its cut value, for MaxCut problems (else None).
    best_cut: Option<f64>,
    /// The betas of the sweeps.
    betas: Py<PyArray1<f32>>,
    /// The backend's name.
    backend: String,
}

/// The betas of an `anneal` call: `schedule` a string ("geometric:HOT:COLD", "linear:HOT:COLD", a
/// comma-separated list), a list of betas, or None for dwave-samplers' default range.
fn betas_of(
    model: &ising_wgpu::IsingModel,
    schedule: Option<&Bound<'_, PyAny>>,
    sweeps: Option<u64>,
) -> PyResult<Vec<f32>> {
    let schedule = match schedule {
        None => BetaSchedule::default_for(model),
        Some(s) => match s.extract::<String>() {
            Ok(text) => BetaSchedule::parse(&text).py()?,
            Err(_) => BetaSchedule::List(arrays::floats(s, "schedule")?),
        },
    };
    let sweeps = sweeps.or(schedule.list_len()).unwrap_or(1000);
    schedule.betas(sweeps).py()
}

/// Simulated annealing of `problem` (a Problem or an IsingModel, minimising its `H(s)`): `reads`
/// independent reads, one beta per sweep from `schedule` (see `default_schedule`), each read's
/// lowest energy checked after the last sweep and every `check_every` sweeps before it and its
/// state kept where the spins live; `initial_states` (one row, or one per read, in the problem's
/// vartype) for reverse annealing, else uniformly random starts; `rule` "metropolis"
/// (dwave-samplers' default) or "heat-bath".
#[pyfunction]
#[pyo3(signature = (problem, *, reads = 64, sweeps = None, schedule = None, seed = 0, backend = None, initial_states = None, check_every = 1, rule = "metropolis"))]
#[allow(clippy::too_many_arguments)]
pub(crate) fn anneal(
    py: Python<'_>,
    problem: &Bound<'_, PyAny>,
    reads: usize,
    sweeps: Option<u64>,
    schedule: Option<&Bound<'_, PyAny>>,
    seed: u64,
    backend: Option<&Bound<'_, PyAny>>,
    initial_states: Option<&Bound<'_, PyAny>>,
    check_every: u64,
    rule: &str,
) -> PyResult<PyAnnealed> {
    let Some(rule) = UpdateRule::ALL.into_iter().find(|r| r.name() == rule) else {
        return Err(PyValueError::new_err(format!(
            "rule '{rule}' is neither 'metropolis' nor 'heat-bath'"
        )));
    };
    let problem = match problem.cast::<PyProblem>() {
        Ok(p) => p.get().inner.clone(),
        Err(_) => Problem::from_model(&problem.extract::<PyRef<'_, PyIsingModel>>()?.inner).py()?,
    };
    let model = problem.model();
    let betas = betas_of(model, schedule, sweeps)?;
    let init = match initial_states {
        None => Init::Uniform,
        Some(states) => {
            let rows = arrays::spins2(states, "initial_states")?;
            if rows.nrows() != 1 && rows.nrows() != reads {
                return Err(PyValueError::new_err(format!(
                    "initial_states has {} rows; give 1 (every read) or one per read ({reads})",
                    rows.nrows()
                )));
            }
            let mut spins = Array2::zeros((reads, rows.ncols()));
            for (r, mut row) in spins.rows_mut().into_iter().enumerate() {
                let given = rows.row(if rows.nrows() == 1 { 0 } else { r }).to_vec();
                let s = problem.spins_of(&given).py()?;
                row.assign(&ndarray::ArrayView1::from(&s));
            }
            Init::States(spins)
        }
    };
    let backend = backend::resolve_or_auto(py, backend)?;
    let program = SamplingProgram::new(model.clone(), Blocks::Auto, &[]).py()?;
    let config = SamplerConfig::new(reads)
        .seed(seed)
        .init(init)
        .betas(&betas[..1])
        .rule(rule);
    let mut interrupt = None;
    let result = py.detach(|| {
        let mut sampler = backend.sampler(&program, &config)?;
        let annealed = anneal_reads(sampler.as_mut(), model, &betas, check_every, |_| {
            check_signals(&mut interrupt)
        })?;
        Ok((annealed, sampler.backend_name()))
    });
    if let Some(e) = interrupt {
        return Err(e);
    }
    let (annealed, backend_name) = result.py()?;
    let (energies, best) = problem.energies(&annealed.energies);
    let best = best.expect("at least one read");
    let states = problem.variable_rows(annealed.states.view());
    Ok(PyAnnealed {
        best_energy: energies[best],
        best_cut: problem.cut(energies[best]),
        best_state: PyArray1::from_owned_array(py, states.row(best).to_owned()).unbind(),
        energies: PyArray1::from_vec(py, energies).unbind(),
        states: PyArray2::from_owned_array(py, states).unbind(),
        final_states: PyArray2::from_owned_array(
            py,
            problem.variable_rows(annealed.final_states.view()),
        )
        .unbind(),
        found_at: PyArray1::from_vec(py, annealed.found_at).unbind(),
        betas: PyArray1::from_vec(py, betas).unbind(),
        backend: backend_name,
    })
}

/// dwave-samplers' default beta range for `model` as (hot, cold): the costliest flip taken with
/// probability 1/3 at the hot end, the cheapest about once in a hundred sweeps at the cold end.
#[pyfunction]
pub(crate) fn default_schedule(model: &PyIsingModel) -> (f32, f32) {
    match BetaSchedule::default_for(&model.inner) {
        BetaSchedule::Geometric { hot, cold } | BetaSchedule::Linear { hot, cold } => (hot, cold),
        BetaSchedule::List(_) => unreachable!("the default schedule is geometric"),
    }
}

/// The result of `temper`: per beta, the moments of its replicas (when asked), their energies
/// and magnetisations (when asked); per neighbouring pair of betas the swap acceptance; round
/// trips of replicas between the lowest and highest beta.
#[pyclass(name = "Tempered", module = "ising_wgpu._core", frozen, get_all)]
pub(crate) struct PyTempered {
    /// The ladder.
    betas: Vec<f32>,
    /// Swap acceptance of each pair (k, k + 1).
    acceptance: Vec<f64>,
    /// Walks of a replica from the lowest beta to the highest and back.
    round_trips: u64,
    /// Moments of each beta's replicas (empty unless asked for).
    moments: Vec<Py<PyMoments>>,
    /// `H(s)` of each beta's replicas, one samples x replicas array per beta (empty unless asked).
    energies: Vec<Py<PyArray2<f32>>>,
}

/// Parallel tempering of `program` over the ladder `betas` (at least two), `replicas` chains per
/// beta (a multiple of 32): after every `swap_every` sweeps, neighbouring betas' replicas swap by
/// the Metropolis rule on their energies, without reading spins back; `moments` and `energy` say
/// what to record at the schedule's sample points.
#[pyfunction]
#[pyo3(signature = (program, betas, schedule, *, replicas = 32, swap_every = 1, seed = 0, backend = None, moments = true, energy = false, clamp_values = None))]
#[allow(clippy::too_many_arguments)]
pub(crate) fn temper(
    py: Python<'_>,
    program: &PySamplingProgram,
    betas: &Bound<'_, PyAny>,
    schedule: &PySamplingSchedule,
    replicas: usize,
    swap_every: u64,
    seed: u64,
    backend: Option<&Bound<'_, PyAny>>,
    moments: bool,
    energy: bool,
    clamp_values: Option<&Bound<'_, PyAny>>,
) -> PyResult<PyTempered> {
    let betas = arrays::floats(betas, "betas")?;
    let chains = replicas
        .checked_mul(betas.len())
        .ok_or_else(|| PyValueError::new_err("replicas x betas overflows"))?;
    let backend = backend::resolve_or_auto(py, backend)?;
    let mut config = SamplerConfig::new(chains).seed(seed).betas(&betas);
    if let Some(values) = clamp_values {
        config = config.clamp_values(arrays::spins2(values, "clamp_values")?);
    }
    let observe = Observe {
        moments,
        energy,
        ..Observe::default()
    };
    let (program, schedule) = (&program.inner, &schedule.inner);
    let mut interrupt = None;
    let result = py.detach(|| {
        let mut sampler = backend.sampler(program, &config)?;
        temper_run(
            sampler.as_mut(),
            schedule,
            &observe,
            swap_every,
            seed,
            |_, _| check_signals(&mut interrupt),
        )
    });
    if let Some(e) = interrupt {
        return Err(e);
    }
    let tempered = result.py()?;
    let groups: Vec<_> = (0..betas.len())
        .map(|k| replicas * k..replicas * (k + 1))
        .collect();
    let moments = match &tempered.observed.moments {
        Some(m) => groups
            .iter()
            .map(|g| {
                Py::new(
                    py,
                    PyMoments {
                        inner: m.select_chains(g.clone()),
                    },
                )
            })
            .collect::<PyResult<_>>()?,
        None => Vec::new(),
    };
    let energies = match &tempered.observed.energy {
        Some(e) => groups
            .iter()
            .map(|g| {
                PyArray2::from_owned_array(py, e.select_chains(g.clone()).energies().to_owned())
                    .unbind()
            })
            .collect(),
        None => Vec::new(),
    };
    Ok(PyTempered {
        acceptance: tempered.acceptance(),
        round_trips: tempered.round_trips,
        betas,
        moments,
        energies,
    })
}
