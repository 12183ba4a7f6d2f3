//! The interaction graph: CSR adjacency, colouring into independent blocks, lattice builders.

mod colouring;
mod csr;
mod lattice;
mod roles;

pub use colouring::{colour_dsatur, validate_blocks};
pub use csr::Csr;
pub use lattice::Lattice;
pub(crate) use roles::NodeRoles;
