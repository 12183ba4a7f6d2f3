//! The WGSL kernels, each composed with the shared snippets it needs. Each kernel's file lies beside
//! its host twin (`src/update/`, `src/observe/`); `shaders/` holds the shared snippets.

/// A shared snippet a kernel module starts with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Snippet {
    /// `common.wgsl`: parameters and dispatch helpers.
    Common,
    /// The multiply of [`Multiply`], then `philox.wgsl`.
    Philox,
    /// `count_draw.wgsl`: draws by count of up neighbours (needs the two above).
    CountDraw,
    /// `general_bindings.wgsl`: what every general update reads (needs the common snippet).
    GeneralBindings,
    /// `general_lanes.wgsl`: the general update one lane a chain (needs the three above).
    GeneralLanes,
}

/// How Philox's 32x32 -> 64-bit products are computed: the results are identical, the cost is not.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Multiply {
    /// From 16-bit halves in plain WGSL; runs on every device.
    Emulated,
    /// With 64-bit integers; needs `wgpu::Features::SHADER_INT64`.
    Int64,
}

impl Multiply {
    /// Both ways, for tests that cover each.
    pub const ALL: [Multiply; 2] = [Multiply::Emulated, Multiply::Int64];

    /// The fastest way `features` allow.
    pub fn for_features(features: wgpu::Features) -> Self {
        if features.contains(wgpu::Features::SHADER_INT64) {
            Multiply::Int64
        } else {
            Multiply::Emulated
        }
    }

    fn snippet(self) -> &'static str {
        match self {
            Multiply::Emulated => include_str!("../shaders/mul32.wgsl"),
            Multiply::Int64 => include_str!("../shaders/mul64.wgsl"),
        }
    }
}

/// How a kernel accesses a storage binding.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access {
    /// `var<storage, read>`.
    Read,
    /// `var<storage, read_write>`.
    ReadWrite,
}

/// A storage binding of group 0, as the kernel's WGSL declares it: the host builds layouts and bind
/// groups from these, and a test checks them against the WGSL with naga.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Binding {
    /// The WGSL variable's name.
    pub name: &'static str,
    /// Its access.
    pub access: Access,
}

const fn read(name: &'static str) -> Binding {
    Binding {
        name,
        access: Access::Read,
    }
}

const fn read_write(name: &'static str) -> Binding {
    Binding {
        name,
        access: Access::ReadWrite,
    }
}

/// One compute kernel: its entry point, the files that make up its module and its bindings.
#[derive(Clone, Copy, Debug)]
pub struct Kernel {
    /// Name of the kernel file (and the module's label).
    pub name: &'static str,
    /// Entry point.
    pub entry: &'static str,
    /// Storage bindings of group 0 in binding order, from [`Kernel::first_storage_binding`] on.
    pub bindings: &'static [Binding],
    /// What comes before the body, in order.
    snippets: &'static [Snippet],
    body: &'static str,
    /// Words of 32 chains per invocation, where the body says `#WORDS` (and `#CHAINS` = 32 x that).
    words: u32,
    /// Whether it uses subgroup operations (naga takes them without an `enable`).
    subgroups: bool,
}

impl Kernel {
    /// The binding number of the first of [`Kernel::bindings`]: 1 when binding 0 holds the
    /// per-dispatch parameters `p` (kernels with `common.wgsl`), else 0.
    pub fn first_storage_binding(&self) -> u32 {
        u32::from(self.snippets.contains(&Snippet::Common))
    }

    /// Whether the kernel uses subgroup operations (`wgpu::Features::SUBGROUP`).
    pub fn needs_subgroups(&self) -> bool {
        self.subgroups
    }

    /// The complete WGSL module: shared snippets first, then the kernel; `multiply` only matters to
    /// kernels that draw random numbers.
    pub fn source(&self, multiply: Multiply) -> String {
        let constants = shared_constants();
        let mut parts = Vec::new();
        for snippet in self.snippets {
            match snippet {
                Snippet::Common => {
                    parts.extend([constants.as_str(), include_str!("../shaders/common.wgsl")])
                }
                Snippet::Philox => {
                    parts.extend([multiply.snippet(), include_str!("../shaders/philox.wgsl")])
                }
                Snippet::CountDraw => parts.push(include_str!("update/count_draw.wgsl")),
                Snippet::GeneralBindings => {
                    parts.push(include_str!("update/general_bindings.wgsl"))
                }
                Snippet::GeneralLanes => parts.push(include_str!("update/general_lanes.wgsl")),
            }
        }
        parts.push(self.body);
        let chains = 32 * self.words;
        let source = parts
            .join("\n")
            .replace("#WORDS", &self.words.to_string())
            .replace("#CHAINS", &chains.to_string());
        unroll(&source)
    }
}

/// The constants the kernels share with the host, as WGSL `const` declarations written from their
/// Rust definitions: the counter layout of [`crate::rng`], the general kernel's modes, the site-packed
/// word tag and tile shape, the energy's chunk. Every kernel with the common snippet starts with them.
pub fn shared_constants() -> String {
    use crate::observe::energy::ENERGY_CHUNK;
    use crate::rng::{PURPOSE_SHIFT, Purpose, SWEEP_HI_SHIFT};
    use crate::update::general::Mode;
    use crate::update::lattice::{LATTICE_TILE_ROWS, LATTICE_TILE_SITES};
    use crate::update::site_packed::{SITE_PACKED_WORD, TILE_ROWS, TILE_WORDS};
    let mut constants = vec![
        ("SWEEP_HI_SHIFT", SWEEP_HI_SHIFT),
        ("PURPOSE_SHIFT", PURPOSE_SHIFT),
        ("SITE_PACKED_WORD", SITE_PACKED_WORD),
        ("TILE_WORDS", TILE_WORDS),
        ("TILE_ROWS", TILE_ROWS),
        ("ENERGY_CHUNK", ENERGY_CHUNK),
        ("LATTICE_TILE_SITES", LATTICE_TILE_SITES),
        ("LATTICE_TILE_ROWS", LATTICE_TILE_ROWS),
    ];
    constants.extend(Purpose::ALL.map(|p| (p.wgsl_name(), p as u32)));
    constants.extend(Mode::ALL.map(|m| (m.wgsl_name(), m as u32)));
    constants
        .into_iter()
        .map(|(name, value)| format!("const {name}: u32 = {value}u;\n"))
        .collect()
}

/// Writes out the unrolled blocks of a WGSL source: the lines between `//#unroll N` and `//#end` come
/// N times, with `#L` replaced by 0, 1, ..., N - 1, and `#Q` and `#R` by `#L / 32` and `#L % 32` (the
/// word and bit of chain `#L`). Kernels use it for per-chain code, which must not
/// index arrays at run time (CPU drivers turn that into per-lane memory traffic). A block left open
/// runs to the end of the source; a marker without a count stays as it is, for the tests to find.
fn unroll(source: &str) -> String {
    let mut out = String::with_capacity(source.len());
    let mut lines = source.lines();
    while let Some(line) = lines.next() {
        let count = line.trim().strip_prefix("//#unroll");
        let Some(count) = count.and_then(|c| c.trim().parse::<usize>().ok()) else {
            out.push_str(line);
            out.push('\n');
            continue;
        };
        let block: Vec<&str> = lines
            .by_ref()
            .take_while(|l| l.trim() != "//#end")
            .collect();
        for l in 0..count {
            for line in &block {
                let line = line
                    .replace("#L", &l.to_string())
                    .replace("#Q", &(l / 32).to_string())
                    .replace("#R", &(l % 32).to_string());
                out.push_str(&line);
                out.push('\n');
            }
        }
    }
    out
}

/// The general heat bath over CSR weights, and initial draws, one word of 32 chains per invocation.
pub const GENERAL: Kernel = Kernel {
    name: "general.wgsl",
    entry: "general",
    bindings: &[
        read_write("spins"),
        read("row_ptr"),
        read("adj"),
        read("biases"),
        read("block_nodes"),
        read("adj_hi"),
        read("betas"),
    ],
    snippets: &[Snippet::Common, Snippet::Philox, Snippet::GeneralBindings],
    body: include_str!("update/general.wgsl"),
    words: 1,
    subgroups: false,
};

/// [`GENERAL`] with two words per invocation.
pub const GENERAL_2: Kernel = Kernel {
    words: 2,
    ..GENERAL
};

/// [`GENERAL`] with four words per invocation.
pub const GENERAL_4: Kernel = Kernel {
    words: 4,
    ..GENERAL
};

/// The general update one invocation a chain, the 32 lanes of a word assembling it in workgroup
/// memory (GPU-shaped; the same draws as [`GENERAL`]).
pub const GENERAL_LANES: Kernel = Kernel {
    name: "general_lanes.wgsl",
    entry: "general_lanes",
    snippets: &[Snippet::Common, Snippet::Philox, Snippet::GeneralBindings],
    body: include_str!("update/general_lanes.wgsl"),
    ..GENERAL
};

/// [`GENERAL_LANES`] assembling words by subgroup ballot; needs `wgpu::Features::SUBGROUP`.
pub const GENERAL_BALLOT: Kernel = Kernel {
    name: "general_ballot.wgsl",
    entry: "general_ballot",
    snippets: &[
        Snippet::Common,
        Snippet::Philox,
        Snippet::GeneralBindings,
        Snippet::GeneralLanes,
    ],
    body: include_str!("update/general_ballot.wgsl"),
    subgroups: true,
    ..GENERAL
};

/// The general kernel with `words` words per invocation (1, 2 or 4).
pub fn general(words: u32) -> Option<Kernel> {
    [GENERAL, GENERAL_2, GENERAL_4]
        .into_iter()
        .find(|k| k.words == words)
}

/// Block Gibbs update of the lattice path (periodic lattice, +-J bonds of one magnitude, few fields).
pub const LATTICE: Kernel = Kernel {
    name: "lattice.wgsl",
    entry: "lattice",
    bindings: &[
        read_write("spins"),
        read("field_tables"),
        read("site_field"),
        read("bond_signs"),
    ],
    snippets: &[Snippet::Common, Snippet::Philox, Snippet::CountDraw],
    body: include_str!("update/lattice.wgsl"),
    words: 1,
    subgroups: false,
};

/// The lattice path's update, a tile of sites per workgroup read once into workgroup memory
/// (`LATTICE_TILE_SITES x LATTICE_TILE_ROWS` invocations a workgroup, whatever the workgroup size).
pub const LATTICE_TILED: Kernel = Kernel {
    entry: "lattice_tiled",
    ..LATTICE
};

/// Update of one colour of a site-packed lattice.
pub const SITE_PACKED: Kernel = Kernel {
    name: "site_packed.wgsl",
    entry: "site_packed",
    bindings: &[
        read_write("even_lo"),
        read_write("even_hi"),
        read_write("odd_lo"),
        read_write("odd_hi"),
        read_write("partials"),
    ],
    snippets: &[Snippet::Common, Snippet::Philox, Snippet::CountDraw],
    body: include_str!("update/site_packed.wgsl"),
    words: 1,
    subgroups: false,
};

/// Update of one colour of a site-packed lattice, a tile of rows of 32 words per workgroup.
pub const SITE_PACKED_TILED: Kernel = Kernel {
    entry: "site_packed_tiled",
    ..SITE_PACKED
};

/// Per-workgroup up spins and agreeing pairs of a site-packed lattice.
pub const SITE_PACKED_MEASURE: Kernel = Kernel {
    entry: "site_packed_measure",
    ..SITE_PACKED
};

/// Per-chain moment counts at a sample point.
pub const COUNT: Kernel = Kernel {
    name: "counts.wgsl",
    entry: "counts",
    bindings: &[read("spins"), read("edges"), read_write("planes")],
    snippets: &[Snippet::Common],
    body: include_str!("observe/counts.wgsl"),
    words: 1,
    subgroups: false,
};

/// Copy of observed nodes' words into a sample slot.
pub const GATHER: Kernel = Kernel {
    name: "gather.wgsl",
    entry: "gather",
    bindings: &[read("spins"), read("observed"), read_write("out")],
    snippets: &[Snippet::Common],
    body: include_str!("observe/gather.wgsl"),
    words: 1,
    subgroups: false,
};

/// Per-(chunk, word) partial energies and up counts at a sample point.
pub const ENERGY_PARTIALS: Kernel = Kernel {
    name: "energy.wgsl",
    entry: "energy_partials",
    bindings: &[
        read("spins"),
        read("edges"),
        read("weights"),
        read("biases"),
        read_write("partials"),
        read_write("out"),
    ],
    snippets: &[Snippet::Common],
    body: include_str!("observe/energy.wgsl"),
    words: 1,
    subgroups: false,
};

/// Per-chain energies and up counts from [`ENERGY_PARTIALS`], into a sample slot.
pub const ENERGY_TOTALS: Kernel = Kernel {
    entry: "energy_totals",
    ..ENERGY_PARTIALS
};

/// Per-pair replica overlaps (disagreeing sites of chains 2p, 2p + 1) at a sample point.
pub const OVERLAP: Kernel = Kernel {
    name: "overlap.wgsl",
    entry: "overlap",
    bindings: &[read("spins"), read_write("out")],
    snippets: &[Snippet::Common],
    body: include_str!("observe/overlap.wgsl"),
    words: 1,
    subgroups: false,
};

/// Tempering's replica swaps: lanes of two words exchanged at every node.
pub const LANE_SWAP: Kernel = Kernel {
    name: "lane_swap.wgsl",
    entry: "lane_swap",
    bindings: &[read_write("spins"), read("swaps")],
    snippets: &[Snippet::Common],
    body: include_str!("update/lane_swap.wgsl"),
    words: 1,
    subgroups: false,
};

/// Annealing's best states: masked lanes of the spins copied into a kept copy.
pub const LANE_KEEP: Kernel = Kernel {
    name: "lane_keep.wgsl",
    entry: "lane_keep",
    bindings: &[read("spins"), read("masks"), read_write("kept")],
    snippets: &[Snippet::Common],
    body: include_str!("update/lane_keep.wgsl"),
    words: 1,
    subgroups: false,
};

/// Philox of given counters and keys, for known-answer tests on a device.
pub const PHILOX_KAT: Kernel = Kernel {
    name: "philox_kat.wgsl",
    entry: "philox_kat",
    bindings: &[read("cases"), read_write("outputs")],
    snippets: &[Snippet::Philox],
    body: include_str!("../shaders/philox_kat.wgsl"),
    words: 1,
    subgroups: false,
};

/// Every kernel, for validation.
pub const ALL: [Kernel; 18] = [
    GENERAL,
    GENERAL_2,
    GENERAL_4,
    GENERAL_LANES,
    GENERAL_BALLOT,
    LATTICE,
    LATTICE_TILED,
    SITE_PACKED,
    SITE_PACKED_TILED,
    SITE_PACKED_MEASURE,
    COUNT,
    GATHER,
    ENERGY_PARTIALS,
    ENERGY_TOTALS,
    OVERLAP,
    LANE_SWAP,
    LANE_KEEP,
    PHILOX_KAT,
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unroll_repeats_blocks_with_the_index() {
        let source = "a\n    //#unroll 3\n    x#L += #Lu;\n    y#L = 1;\n    //#end\nb #L\n";
        assert_eq!(
            unroll(source),
            "a\n    x0 += 0u;\n    y0 = 1;\n    x1 += 1u;\n    y1 = 1;\n    x2 += 2u;\n    y2 = 1;\nb #L\n"
        );
        let words = unroll("//#unroll 66\nw#Q b#R\n//#end\n");
        let lines: Vec<&str> = words.lines().collect();
        assert_eq!(
            (lines[0], lines[33], lines[65]),
            ("w0 b0", "w1 b1", "w2 b1")
        );
    }

    #[test]
    fn unroll_keeps_a_marker_without_a_count() {
        let source = "//#unroll three\nx#L\n//#end\n";
        assert_eq!(unroll(source), source);
    }

    #[test]
    fn sources_keep_no_unroll_markers() {
        for kernel in ALL {
            for multiply in Multiply::ALL {
                for line in kernel.source(multiply).lines().map(str::trim) {
                    assert!(!line.starts_with("//#"), "{} keeps {line}", kernel.name);
                    let code = line.split("//").next().unwrap_or_default();
                    assert!(!code.contains('#'), "{} keeps {line}", kernel.name);
                }
            }
        }
    }
}
