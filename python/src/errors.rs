//! The library's errors as Python exceptions, with the library's message: bad arguments and files
//! `ValueError` (a missing file `FileNotFoundError`, other I/O `OSError`), a problem too large for
//! exact enumeration `ValueError`, GPU trouble `RuntimeError`.

use ising_wgpu::Error;
use pyo3::PyErr;
use pyo3::exceptions::{
    PyFileNotFoundError, PyKeyboardInterrupt, PyOSError, PyRuntimeError, PyValueError,
};

/// The Python exception of a library error.
pub(crate) fn to_py(error: Error) -> PyErr {
    let message = error.to_string();
    match &error {
        Error::Io { source, .. } if source.kind() == std::io::ErrorKind::NotFound => {
            PyFileNotFoundError::new_err(message)
        }
        Error::Io { .. } => PyOSError::new_err(message),
        Error::NoAdapter { .. }
        | Error::DeviceRequest { .. }
        | Error::DeviceLimit { .. }
        | Error::LoopLimit { .. }
        | Error::Gpu { .. }
        | Error::DeviceLost { .. } => PyRuntimeError::new_err(message),
        Error::Interrupted { .. } => PyKeyboardInterrupt::new_err(message),
        _ => PyValueError::new_err(message),
    }
}

/// `Result<T, Error>` into `PyResult<T>`.
pub(crate) trait IntoPy<T> {
    /// The result with a library error turned into its Python exception.
    fn py(self) -> pyo3::PyResult<T>;
}

impl<T> IntoPy<T> for ising_wgpu::Result<T> {
    fn py(self) -> pyo3::PyResult<T> {
        self.map_err(to_py)
    }
}
