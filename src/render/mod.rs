//! Drawing spins on the device for applications: [`SpinImage`] turns a site-packed lattice into a
//! texture in a compute pass of the caller's encoder, with [`spin_pixels`] its host twin.

mod spin_image;

pub use spin_image::{Palette, SPIN_IMAGE_FORMAT, SpinImage, spin_pixels};
