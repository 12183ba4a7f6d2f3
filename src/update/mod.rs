//! Update algorithms: each kernel (`.wgsl`) beside its host twin (`.rs`) under one name, the twin
//! drawing the very same numbers.
//!
//! - [`general`]: the heat bath or Metropolis over CSR weights, any graph;
//! - [`lattice`]: periodic square and cubic lattices with +-J bonds of one magnitude, chain-major;
//! - [`site_packed`]: one huge lattice, 32 sites a word;
//! - [`count_draw`]: draws by count of up neighbours, shared by the two lattice algorithms;
//! - [`lane_exchange`]: whole chains swapped (tempering) or kept (annealing's best states) in place.

pub(crate) mod count_draw;
pub(crate) mod general;
pub(crate) mod lane_exchange;
pub(crate) mod lattice;
pub(crate) mod site_packed;
