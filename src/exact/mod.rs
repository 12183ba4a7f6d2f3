//! Exact answers: enumeration of small models, and closed forms of lattice models.

mod enumerate;
pub mod physics;

pub use enumerate::{ExactMoments, KlGradient, MAX_EXACT_FREE, exact_kl_grad, exact_moments};
