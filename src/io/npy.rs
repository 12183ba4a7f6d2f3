//! Samples out as NumPy `.npy` (format 1.0, `int8`, C order).

use std::path::Path;

use super::write_atomically;
use crate::error::{Error, Result};

/// Writes `data` (C order, values -1/+1) with `shape` as an `int8` NPY file, e.g. samples x chains x
/// nodes; the file appears only once completely written.
pub fn write_npy_i8(path: impl AsRef<Path>, shape: &[usize], data: &[i8]) -> Result<()> {
    if shape.iter().product::<usize>() != data.len() {
        return Err(Error::LengthMismatch {
            what: "NPY data",
            expected: shape.iter().product(),
            got: data.len(),
        });
    }
    write_atomically(path.as_ref(), &npy_bytes(shape, data))
}

fn npy_bytes(shape: &[usize], data: &[i8]) -> Vec<u8> {
    let dims: Vec<String> = shape.iter().map(ToString::to_string).collect();
    let shape_text = if dims.len() == 1 {
        format!("({},)", dims[0])
    } else {
        format!("({})", dims.join(", "))
    };
    let mut header = format!("{{'descr': '|i1', 'fortran_order': False, 'shape': {shape_text}, }}");
    // Magic (6) + version (2) + length (2) + header + newline, padded to a multiple of 64.
    let unpadded = 10 + header.len() + 1;
    header.push_str(&" ".repeat(unpadded.next_multiple_of(64) - unpadded));
    header.push('\n');
    let mut out = Vec::with_capacity(10 + header.len() + data.len());
    out.extend_from_slice(b"\x93NUMPY\x01\x00");
    out.extend_from_slice(&(header.len() as u16).to_le_bytes());
    out.extend_from_slice(header.as_bytes());
    out.extend(data.iter().map(|&v| v as u8));
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
        assert!(npy_bytes(&[4], &[0; 4]).windows(4).any(|w| w == b"(4,)"));
        let e = write_npy_i8("/nonexistent/x.npy", &[2], &[1])
            .unwrap_err()
            .to_string();
        assert!(e.contains("NPY data has length 1, expected 2"), "{e}");
    }
}
