//! `Backend`: where samplers run ("cpu", "gpu" or "auto"), the GPU device opened once per process
//! and shared by every sampler on it.

use std::sync::OnceLock;

use ising_wgpu::{Backend, GpuContext};
use pyo3::exceptions::{PyRuntimeError, PyValueError};
use pyo3::prelude::*;

/// The process's GPU context, opened on first use (or why there is none).
fn gpu() -> Result<&'static GpuContext, String> {
    static GPU: OnceLock<Result<GpuContext, String>> = OnceLock::new();
    GPU.get_or_init(|| GpuContext::new().map_err(|e| e.to_string()))
        .as_ref()
        .map_err(Clone::clone)
}

/// What "auto" takes ([`Backend::auto`]), decided once per process, with the notice of a fallback.
fn auto() -> &'static (Backend, Option<String>) {
    static AUTO: OnceLock<(Backend, Option<String>)> = OnceLock::new();
    AUTO.get_or_init(|| Backend::auto(None))
}

/// Where samplers run: `"cpu"` (threads: up to one per core by default; results do not depend on
/// it), `"gpu"` (the adapter wgpu picks; `WGPU_BACKEND` and `WGPU_ADAPTER_NAME` choose), or
/// `"auto"`: a hardware GPU when there is one, else the CPU with a `RuntimeWarning` saying why.
#[pyclass(name = "Backend", module = "ising_wgpu._core", frozen)]
pub(crate) struct PyBackend {
    pub(crate) inner: Backend,
    notice: Option<String>,
}

#[pymethods]
impl PyBackend {
    /// `kind` is "cpu", "gpu" or "auto"; `threads` (CPU only) at least 1.
    #[new]
    #[pyo3(signature = (kind = "auto", threads = None))]
    fn new(py: Python<'_>, kind: &str, threads: Option<usize>) -> PyResult<Self> {
        if threads == Some(0) {
            return Err(PyValueError::new_err(
                "threads must be at least 1 (None for one per core)",
            ));
        }
        let (inner, notice) = match kind {
            "cpu" => (Backend::Cpu { threads }, None),
            "gpu" => (
                Backend::Gpu(Box::new(gpu().map_err(PyRuntimeError::new_err)?.clone())),
                None,
            ),
            "auto" => {
                let (backend, notice) = auto();
                let backend = match (backend, threads) {
                    (Backend::Cpu { .. }, Some(t)) => Backend::Cpu { threads: Some(t) },
                    (b, _) => b.clone(),
                };
                if let Some(notice) = notice {
                    let warning = py.get_type::<pyo3::exceptions::PyRuntimeWarning>();
                    PyErr::warn(py, &warning, &std::ffi::CString::new(notice.as_str())?, 1)?;
                }
                (backend, notice.clone())
            }
            other => {
                return Err(PyValueError::new_err(format!(
                    "backend '{other}' is none of \"cpu\", \"gpu\" and \"auto\""
                )));
            }
        };
        Ok(PyBackend { inner, notice })
    }

    /// "cpu (vector level)" or "gpu: adapter".
    #[getter]
    fn name(&self) -> String {
        self.inner.name()
    }

    /// Whether samplers of this backend run on a GPU.
    #[getter]
    fn is_gpu(&self) -> bool {
        matches!(self.inner, Backend::Gpu(_))
    }

    /// Why "auto" fell back to the CPU, or None.
    #[getter]
    fn notice(&self) -> Option<String> {
        self.notice.clone()
    }

    fn __repr__(&self) -> String {
        format!("Backend('{}')", self.inner.name())
    }
}

/// The backend an optional `backend` argument names, "auto" when it is None.
pub(crate) fn resolve_or_auto(
    py: Python<'_>,
    backend: Option<&Bound<'_, PyAny>>,
) -> PyResult<Backend> {
    match backend {
        Some(b) => resolve(py, b),
        None => Ok(PyBackend::new(py, "auto", None)?.inner),
    }
}

/// The backend a `backend` argument names: a `Backend`, or a string as `Backend(kind)` takes.
pub(crate) fn resolve(py: Python<'_>, backend: &Bound<'_, PyAny>) -> PyResult<Backend> {
    if let Ok(b) = backend.cast::<PyBackend>() {
        return Ok(b.get().inner.clone());
    }
    let kind: String = backend.extract().map_err(|_| {
        PyValueError::new_err("backend must be \"cpu\", \"gpu\", \"auto\" or a Backend")
    })?;
    Ok(PyBackend::new(py, &kind, None)?.inner)
}
