//! Files: model JSON, edge lists, problem files (Gset, COO), samples as NPY; every output written
//! whole or not at all (`output.rs`).

mod data_csv;
mod edge_list;
mod model_json;
mod npy;
mod output;
mod problem_formats;

pub use data_csv::{parse_data_csv, read_data_csv};
pub use edge_list::{EdgeList, read_edge_list};
pub use model_json::{model_to_json, parse_model_json, read_model_json, write_model_json};
pub use npy::{write_npy_f64, write_npy_i8};
pub use problem_formats::{ProblemFormat, parse_coo, parse_gset, read_problem};

pub use output::check_output;
pub(crate) use output::write_atomically;

use std::path::Path;

use crate::error::{Error, Result};

/// Reads a whole text file, naming it on error.
pub(crate) fn read_text(path: &Path) -> Result<String> {
    std::fs::read_to_string(path).map_err(|e| Error::io(path, e))
}

/// Parses a clamp list such as `0=+1,3=-1` (node=spin, spins -1/+1 or 0/1) into `(node, up)` pairs.
///
/// ```
/// assert_eq!(ising_wgpu::io::parse_clamp_list("0=+1, 3=-1")?, vec![(0, true), (3, false)]);
/// assert!(ising_wgpu::io::parse_clamp_list("0=2").is_err());
/// # Ok::<(), ising_wgpu::Error>(())
/// ```
pub fn parse_clamp_list(text: &str) -> Result<Vec<(u32, bool)>> {
    text.split(',')
        .filter(|item| !item.trim().is_empty())
        .map(|item| {
            let (node, value) = item.split_once('=').ok_or_else(|| {
                Error::invalid(
                    "clamp",
                    format!("'{}' is not NODE=SPIN (e.g. 3=-1)", item.trim()),
                )
            })?;
            let node: u32 = node.trim().parse().map_err(|_| {
                Error::invalid("clamp", format!("'{}' is not a node index", node.trim()))
            })?;
            let up = crate::spin::parse_spin(value, || format!("clamp value of node {node}"))?;
            Ok((node, up))
        })
        .collect()
}
