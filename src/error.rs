//! The one error type of the crate: every bad input names its culprit.

use std::path::PathBuf;

/// Everything that can go wrong, each with enough detail to find the offending item.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A model must have at least one node.
    #[error("the model has no nodes: num_nodes must be at least 1")]
    NoNodes,

    /// Two lists that must have the same length do not.
    #[error("length mismatch: {what} has length {got}, expected {expected}")]
    LengthMismatch {
        /// Which list.
        what: &'static str,
        /// The length it should have.
        expected: usize,
        /// The length it has.
        got: usize,
    },

    /// An edge names a node that does not exist.
    #[error(
        "edge {edge} ({i}, {j}) names node {node}, but the model has {num_nodes} nodes (0..{num_nodes})"
    )]
    EdgeNodeOutOfRange {
        /// Index of the edge in the edge list.
        edge: usize,
        /// First endpoint.
        i: u64,
        /// Second endpoint.
        j: u64,
        /// The endpoint that is out of range.
        node: u64,
        /// Number of nodes of the model.
        num_nodes: usize,
    },

    /// A node index (in a block, clamp list, observation list or data column) is out of range.
    #[error("{what} names node {node}, but the model has {num_nodes} nodes (0..{num_nodes})")]
    NodeOutOfRange {
        /// Where the index came from.
        what: String,
        /// The bad index.
        node: u64,
        /// Number of nodes of the model.
        num_nodes: usize,
    },

    /// An edge joins a node to itself.
    #[error("edge {edge} ({node}, {node}) is a self-loop; an Ising edge joins two different nodes")]
    SelfLoop {
        /// Index of the edge.
        edge: usize,
        /// The node.
        node: u32,
    },

    /// The same pair of nodes appears twice (in either orientation).
    #[error(
        "edges {first} and {second} both join nodes {i} and {j}; merge them into one edge (add the weights)"
    )]
    DuplicateEdge {
        /// Index of the first occurrence.
        first: usize,
        /// Index of the repeat.
        second: usize,
        /// One endpoint.
        i: u32,
        /// The other endpoint.
        j: u32,
    },

    /// A number is NaN or infinite (or overflows `f32`).
    #[error("{what} is not a finite number: {value}")]
    NonFinite {
        /// Which number, e.g. `weights[3]`.
        what: String,
        /// Its value.
        value: f64,
    },

    /// Two nodes of one free block are joined by an edge, so they cannot be updated together.
    #[error("block {block} is not independent: edge {edge} joins nodes {i} and {j}, both in it")]
    BlockNotIndependent {
        /// Index of the block.
        block: usize,
        /// Index of the edge.
        edge: usize,
        /// One endpoint.
        i: u32,
        /// The other endpoint.
        j: u32,
    },

    /// A node is listed twice among free blocks and clamped nodes.
    #[error("node {node} appears twice: {first} and {second}")]
    NodeListedTwice {
        /// The node.
        node: u32,
        /// Where it was first seen.
        first: String,
        /// Where it was seen again.
        second: String,
    },

    /// A node is neither in a free block nor clamped.
    #[error(
        "node {node} is in no free block and is not clamped; every node must be one or the other"
    )]
    NodeNotCovered {
        /// The node.
        node: u32,
    },

    /// A block is empty.
    #[error("block {block} is empty")]
    EmptyBlock {
        /// Index of the block.
        block: usize,
    },

    /// A spin value is not one of the accepted encodings.
    #[error("{what}: {value} is not a spin; use -1 or +1 (or 0 and 1)")]
    BadSpin {
        /// Where, e.g. "clamp value of node 3" or "row 4, column 2".
        what: String,
        /// The text or number given.
        value: String,
    },

    /// A schedule or sampler size is invalid.
    #[error("invalid {what}: {why}")]
    InvalidArgument {
        /// Which argument.
        what: &'static str,
        /// What is wrong with it.
        why: String,
    },

    /// Exact enumeration was asked for a model too large to enumerate.
    #[error(
        "exact enumeration of {free} free nodes needs 2^{free} states; the limit is {max} free nodes (clamp some nodes or sample instead)"
    )]
    TooLargeForExact {
        /// Number of nodes that would be enumerated.
        free: usize,
        /// The limit.
        max: usize,
    },

    /// A text input could not be parsed.
    #[error("{source_name}, line {line}: {message}")]
    Parse {
        /// File name or other description of the input.
        source_name: String,
        /// 1-based line number (0 when not line-based).
        line: usize,
        /// What is wrong.
        message: String,
    },

    /// No GPU adapter could be found.
    #[error(
        "no GPU adapter found{detail}; install a GPU driver, or Mesa's software Vulkan driver (Debian/Ubuntu: apt-get install mesa-vulkan-drivers), or use the CPU backend"
    )]
    NoAdapter {
        /// What was looked for and what exists, e.g. " matching WGPU_ADAPTER_NAME=foo (found: ...)".
        detail: String,
    },

    /// The adapter refused to create a device.
    #[error("the GPU adapter '{adapter}' refused to create a device: {reason}")]
    DeviceRequest {
        /// Adapter name.
        adapter: String,
        /// The driver's reason.
        reason: String,
    },

    /// A buffer the model needs exceeds what the device allows.
    #[error(
        "{what} needs {bytes} bytes, more than the device's limit of {limit} bytes ({limit_name}); {hint}"
    )]
    DeviceLimit {
        /// Which buffer.
        what: String,
        /// Bytes needed.
        bytes: u64,
        /// The device's limit.
        limit: u64,
        /// Name of the wgpu limit.
        limit_name: &'static str,
        /// What to do about it.
        hint: &'static str,
    },

    /// A node has more neighbours than the adapter's shader loops can visit.
    #[error(
        "node {node} has {degree} neighbours, but the adapter '{adapter}' stops a shader's loops after {limit} iterations in all, and an update needs one per neighbour plus up to 33 per word of chains it draws, so it would be cut short; use the CPU backend (--backend cpu) or a hardware GPU"
    )]
    LoopLimit {
        /// The node.
        node: u32,
        /// Its number of neighbours.
        degree: usize,
        /// Adapter name.
        adapter: String,
        /// The adapter's loop limit.
        limit: usize,
    },

    /// The GPU reported an error (validation, out of memory, or a failed read-back).
    #[error("GPU error during {during}: {message}")]
    Gpu {
        /// What the sampler was doing.
        during: &'static str,
        /// The driver's message.
        message: String,
    },

    /// The device was lost (driver reset, GPU removed, or a kernel ran too long).
    #[error(
        "the GPU device {device} was lost ({reason}); create a new GpuContext (a long-running dispatch may have hit the driver's timeout: try fewer chains per call)"
    )]
    DeviceLost {
        /// The adapter the device was on, as [`crate::GpuContext::describe`] gives it.
        device: String,
        /// The driver's reason.
        reason: String,
    },

    /// A request would need more memory than the machine has (estimated before allocating).
    #[error(
        "{what}: {detail} needs {} of memory, more than the {} this process can have now; ask for less",
        crate::budget::human(*needed),
        crate::budget::human(*available)
    )]
    TooLarge {
        /// The request: a flag or parameter.
        what: &'static str,
        /// Its size, as the user gave it.
        detail: String,
        /// Bytes it needs (`u64::MAX`: more than 2^64).
        needed: u64,
        /// Bytes available.
        available: u64,
    },

    /// A run was stopped by its caller (a progress callback that asked to stop, Ctrl-C).
    #[error("interrupted after {done} of {total} {unit}")]
    Interrupted {
        /// Units of work done before the stop.
        done: u64,
        /// Units asked for.
        total: u64,
        /// What was counted: "sweeps", "gradient steps".
        unit: &'static str,
    },

    /// A file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
}

/// The crate's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    pub(crate) fn invalid(what: &'static str, why: impl Into<String>) -> Self {
        Error::InvalidArgument {
            what,
            why: why.into(),
        }
    }

    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io {
            path: path.into(),
            source,
        }
    }
}

/// Longest piece of user input a message quotes, in characters.
const SHOWN_CHARS: usize = 48;

/// User input as a message quotes it: control characters escaped (an ESC or BEL in a value never
/// reaches the terminal raw) and anything past 48 characters cut, with its length.
///
/// ```
/// assert_eq!(ising_wgpu::io::shown("a\u{1b}[31mb"), "a\\u{1b}[31mb");
/// assert!(ising_wgpu::io::shown(&"x".repeat(10_000)).ends_with("... (10000 bytes in all)"));
/// ```
pub fn shown(text: &str) -> String {
    let mut out = String::new();
    for (k, c) in text.chars().enumerate() {
        if k == SHOWN_CHARS {
            out.push_str(&format!("... ({} bytes in all)", text.len()));
            break;
        }
        if c.is_control() {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    out
}

/// Checks that a number is finite, naming it in the error otherwise.
pub(crate) fn check_finite(what: impl FnOnce() -> String, value: f64) -> Result<()> {
    if value.is_finite() {
        Ok(())
    } else {
        Err(Error::NonFinite {
            what: what(),
            value,
        })
    }
}
