//! numpy (or any array-like) arguments into the library's types, with errors naming the argument:
//! spins as `int8` -1/+1 (or 0/1) or `bool` (True = +1), node lists, edge lists, float vectors.

use ndarray::{Array2, Array3};
use numpy::{
    AllowTypeChange, PyArray2, PyArray3, PyArrayLike1, PyArrayLike2, PyArrayMethods,
    PyUntypedArrayMethods,
};
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;

/// A 2-D array of spins: `bool` (True = +1) or integers -1/+1 (0/1 where the library takes them).
pub(crate) fn spins2(value: &Bound<'_, PyAny>, what: &str) -> PyResult<Array2<i8>> {
    if let Ok(array) = value.cast::<PyArray2<bool>>() {
        return Ok(array
            .readonly()
            .as_array()
            .mapv(|up| if up { 1 } else { -1 }));
    }
    let array: PyArrayLike2<'_, i64, AllowTypeChange> = value.extract().map_err(|_| {
        PyTypeError::new_err(format!(
            "{what} must be a 2-D array of spins (bool, or integers -1/+1)"
        ))
    })?;
    let view = array.as_array();
    let mut out = Array2::zeros(view.dim());
    for ((r, c), &v) in view.indexed_iter() {
        out[(r, c)] = i8::try_from(v).map_err(|_| {
            PyValueError::new_err(format!(
                "{what}[{r}, {c}] = {v} is not a spin; use -1 or +1"
            ))
        })?;
    }
    Ok(out)
}

/// Spins as a numpy `int8` array (-1/+1), samples x chains x nodes.
pub(crate) fn spins3_out(py: Python<'_>, spins: Array3<i8>) -> Bound<'_, PyArray3<i8>> {
    PyArray3::from_owned_array(py, spins)
}

/// A list of node indices.
pub(crate) fn nodes(value: &Bound<'_, PyAny>, what: &str) -> PyResult<Vec<u32>> {
    let array: PyArrayLike1<'_, i64, AllowTypeChange> = value.extract().map_err(|_| {
        PyTypeError::new_err(format!("{what} must be a 1-D sequence of node indices"))
    })?;
    array
        .as_array()
        .iter()
        .enumerate()
        .map(|(k, &i)| {
            u32::try_from(i).map_err(|_| {
                PyValueError::new_err(format!("{what}[{k}] = {i} is not a node index"))
            })
        })
        .collect()
}

/// Edges as an `E x 2` array of node indices (an empty sequence for none).
pub(crate) fn edges(value: &Bound<'_, PyAny>) -> PyResult<Vec<(u32, u32)>> {
    if value.len().is_ok_and(|n| n == 0) {
        return Ok(Vec::new());
    }
    let array: PyArrayLike2<'_, i64, AllowTypeChange> = value
        .extract()
        .map_err(|_| PyTypeError::new_err("edges must be an E x 2 array of node indices"))?;
    if array.shape()[1] != 2 {
        return Err(PyValueError::new_err(format!(
            "edges must be an E x 2 array of node indices, not {:?}",
            array.shape()
        )));
    }
    let node = |k: usize, v: i64| {
        u32::try_from(v).map_err(|_| {
            PyValueError::new_err(format!("edge {k} names node {v}, not a node index"))
        })
    };
    array
        .as_array()
        .rows()
        .into_iter()
        .enumerate()
        .map(|(k, row)| Ok((node(k, row[0])?, node(k, row[1])?)))
        .collect()
}

/// A vector of floats (weights, biases, betas).
pub(crate) fn floats(value: &Bound<'_, PyAny>, what: &str) -> PyResult<Vec<f32>> {
    let array: PyArrayLike1<'_, f32, AllowTypeChange> = value
        .extract()
        .map_err(|_| PyTypeError::new_err(format!("{what} must be a 1-D sequence of numbers")))?;
    Ok(array.as_array().to_vec())
}
