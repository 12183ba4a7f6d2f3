//! Arrays out as NumPy `.npy` (format 1.0, C order): samples as `int8`, observables as `float64`.

use std::path::Path;

use super::write_atomically;
use crate::error::{Error, Result};

/// Writes `data` (C order, values -1/+1) with `shape` as an `int8` NPY file, e.g. samples x chains x
/// nodes; the file appears only once completely written.
pub fn write_npy_i8(path: impl AsRef<Path>, shape: &[usize], data: &[i8]) -> Result<()> {
    write_npy(path.as_ref(), shape, data)
}

/// Writes `data` (C order) with `shape` as a little-endian `float64` NPY file, e.g. samples x chains
/// x observables; the file appears only once completely written.
pub fn write_npy_f64(path: impl AsRef<Path>, shape: &[usize], data: &[f64]) -> Result<()> {
    write_npy(path.as_ref(), shape, data)
}

/// An element type NPY files hold.
trait Element: Copy {
    /// NumPy's `descr` of the type.
    const DESCR: &'static str;
    /// Appends the element's little-endian bytes.
    fn push_bytes(self, out: &mut Vec<u8>);
}

impl Element for i8 {
    const DESCR: &'static str = "|i1";
    fn push_bytes(self, out: &mut Vec<u8>) {
        out.push(self as u8);
    }
}

impl Element for f64 {
    const DESCR: &'static str = "<f8";
    fn push_bytes(self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.to_le_bytes());
    }
}

fn write_npy<T: Element>(path: &Path, shape: &[usize], data: &[T]) -> Result<()> {
    if shape.iter().product::<usize>() != data.len() {
        return Err(Error::LengthMismatch {
            what: "NPY data",
            expected: shape.iter().product(),
            got: data.len(),
        });
    }
    write_atomically(path, &npy_bytes(shape, data))
}

fn npy_bytes<T: Element>(shape: &[usize], data: &[T]) -> Vec<u8> {
    let dims: Vec<String> = shape.iter().map(ToString::to_string).collect();
    let shape_text = if dims.len() == 1 {
        format!("({},)", dims[0])
    } else {
        format!("({})", dims.join(", "))
    };
    let descr = T::DESCR;
    let mut header =
        format!("{{'descr': '{descr}', 'fortran_order': False, 'shape': {shape_text}, }}");
    // Magic (6) + version (2) + length (2) + header + newline, padded to a multiple of 64.
    let unpadded = 10 + header.len() + 1;
    header.push_str(&" ".repeat(unpadded.next_multiple_of(64) - unpadded));
    header.push('\n');
    let mut out = Vec::with_capacity(10 + header.len() + std::mem::size_of_val(data));
    out.extend_from_slice(b"\x93NUMPY\x01\x00");
    out.extend_from_slice(&(header.len() as u16).to_le_bytes());
    out.extend_from_slice(header.as_bytes());
    for &v in data {
        v.push_bytes(&mut out);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_is_aligned_and_describes_the_array() {
        let bytes = npy_bytes(&[2, 1, 3], &[1, -1, 1, -1, -1, 1]);
        let header_len = u16::from_le_bytes([bytes[8], bytes[9]]) as usize;
        assert_eq!((10 + header_len) % 64, 0);
        let header = std::str::from_utf8(&bytes[10..10 + header_len]).unwrap();
        assert!(header.contains("'shape': (2, 1, 3)") && header.ends_with('\n'));
        assert_eq!(&bytes[10 + header_len..], &[1, 255, 1, 255, 255, 1]);
        assert!(npy_bytes(&[4], &[0i8; 4]).windows(4).any(|w| w == b"(4,)"));
        let floats = npy_bytes(&[2], &[0.5f64, -2.0]);
        let header_len = u16::from_le_bytes([floats[8], floats[9]]) as usize;
        assert!(
            std::str::from_utf8(&floats[10..10 + header_len])
                .unwrap()
                .contains("'<f8'")
        );
        assert_eq!(
            &floats[10 + header_len..18 + header_len],
            &0.5f64.to_le_bytes()
        );
        let e = write_npy_i8("/nonexistent/x.npy", &[2], &[1])
            .unwrap_err()
            .to_string();
        assert!(e.contains("NPY data has length 1, expected 2"), "{e}");
    }
}
