//! The WGSL kernels, each composed with the shared snippets it needs (`shaders/` holds the files).

const COMMON: &str = include_str!("../shaders/common.wgsl");
const PHILOX: &str = include_str!("../shaders/philox.wgsl");

/// One compute kernel: its entry point and the files that make up its module.
#[derive(Clone, Copy, Debug)]
pub struct Kernel {
    /// Name of the kernel file (and the module's label).
    pub name: &'static str,
    /// Entry point.
    pub entry: &'static str,
    parts: &'static [&'static str],
}

impl Kernel {
    /// The complete WGSL module: shared snippets first, then the kernel.
    pub fn source(&self) -> String {
        self.parts.join("\n")
    }
}

/// Block Gibbs update and initial draws.
pub const GIBBS: Kernel = Kernel {
    name: "gibbs.wgsl",
    entry: "gibbs",
    parts: &[COMMON, PHILOX, include_str!("../shaders/gibbs.wgsl")],
};

/// Per-chain moment counts at a sample point.
pub const COUNT: Kernel = Kernel {
    name: "count.wgsl",
    entry: "count",
    parts: &[COMMON, include_str!("../shaders/count.wgsl")],
};

/// Copy of observed nodes' words into a sample slot.
pub const GATHER: Kernel = Kernel {
    name: "gather.wgsl",
    entry: "gather",
    parts: &[COMMON, include_str!("../shaders/gather.wgsl")],
};

/// Philox of given counters and keys, for known-answer tests on a device.
pub const PHILOX_KAT: Kernel = Kernel {
    name: "philox_kat.wgsl",
    entry: "philox_kat",
    parts: &[PHILOX, include_str!("../shaders/philox_kat.wgsl")],
};

/// Every kernel, for validation.
pub const ALL: [Kernel; 4] = [GIBBS, COUNT, GATHER, PHILOX_KAT];
