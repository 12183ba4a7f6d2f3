//! Files: model JSON, edge lists, problem files (Gset, COO), samples as NPY; every output written
//! whole or not at all (`output.rs`).

mod checkpoint;
mod data_csv;
mod edge_list;
mod model_json;
mod npy;
mod output;
mod problem_formats;

pub use checkpoint::{Checkpoint, Element, read_checkpoint, write_checkpoint};
pub use data_csv::{parse_data_csv, read_data_csv};
pub use edge_list::{EdgeList, parse_edge_list, read_edge_list};
pub use model_json::{model_to_json, parse_model_json, read_model_json, write_model_json};
pub use npy::{write_npy_f64, write_npy_i8};
pub use problem_formats::{ProblemFormat, parse_coo, parse_gset, read_problem};

pub use output::check_output;
pub(crate) use output::write_atomically;

use std::path::Path;

pub use crate::error::shown;
use crate::error::{Error, Result};

/// Largest input file read, in bytes.
pub const MAX_INPUT_BYTES: u64 = 1 << 30;

/// Reads a whole text file, naming it on error, as [`read_bytes`] reads it; not UTF-8 is an error.
pub(crate) fn read_text(path: &Path) -> Result<String> {
    String::from_utf8(read_bytes(path)?).map_err(|e| {
        Error::io(
            path,
            std::io::Error::new(std::io::ErrorKind::InvalidData, e.utf8_error()),
        )
    })
}

/// Reads a whole file, naming it on error: `-` is standard input; anything else must be a regular
/// file (a FIFO, device or directory is refused before it is opened, so nothing blocks or reads
/// without end) of at most [`MAX_INPUT_BYTES`].
pub(crate) fn read_bytes(path: &Path) -> Result<Vec<u8>> {
    use std::io::Read;
    let too_large = |size: u64| {
        Error::io(
            path,
            std::io::Error::other(format!(
                "{size} bytes or more; input files may have at most {MAX_INPUT_BYTES} bytes"
            )),
        )
    };
    let mut text = Vec::new();
    let read = if path == Path::new("-") {
        std::io::stdin()
            .lock()
            .take(MAX_INPUT_BYTES + 1)
            .read_to_end(&mut text)
    } else {
        let kind = std::fs::metadata(path).map_err(|e| Error::io(path, e))?;
        if !kind.is_file() {
            return Err(Error::io(
                path,
                std::io::Error::other(format!(
                    "not a regular file ({}); give a file, or - for standard input",
                    file_kind(&kind)
                )),
            ));
        }
        if kind.len() > MAX_INPUT_BYTES {
            return Err(too_large(kind.len()));
        }
        std::fs::File::open(path).and_then(|f| f.take(MAX_INPUT_BYTES + 1).read_to_end(&mut text))
    };
    read.map_err(|e| Error::io(path, e))?;
    if text.len() as u64 > MAX_INPUT_BYTES {
        return Err(too_large(text.len() as u64));
    }
    Ok(text)
}

/// What a file that is not a regular file is, for messages.
fn file_kind(metadata: &std::fs::Metadata) -> &'static str {
    let t = metadata.file_type();
    if t.is_dir() {
        return "a directory";
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if t.is_fifo() {
            return "a FIFO";
        }
        if t.is_char_device() || t.is_block_device() {
            return "a device";
        }
        if t.is_socket() {
            return "a socket";
        }
    }
    "not a regular file"
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
                    format!("'{}' is not NODE=SPIN (e.g. 3=-1)", shown(item.trim())),
                )
            })?;
            let node: u32 = node.trim().parse().map_err(|_| {
                Error::invalid(
                    "clamp",
                    format!("'{}' is not a node index", shown(node.trim())),
                )
            })?;
            let up = crate::spin::parse_spin(value, || format!("clamp value of node {node}"))?;
            Ok((node, up))
        })
        .collect()
}
