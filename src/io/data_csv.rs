//! Data files for training: one row per line, comma-separated spins (-1/+1, or 0/1).

use std::path::Path;

use ndarray::Array2;

use super::read_text;
use crate::error::{Error, Result};
use crate::spin::{parse_spin, spin_i8};

/// Reads a data CSV into rows x columns of -1/+1; every row must have `columns` values.
pub fn read_data_csv(path: impl AsRef<Path>, columns: usize) -> Result<Array2<i8>> {
    let path = path.as_ref();
    parse_data_csv(&read_text(path)?, columns, &path.display().to_string())
}

/// Parses data CSV text (blank lines and `#` comments skipped); errors name the line and column.
///
/// ```
/// let d = ising_wgpu::io::parse_data_csv("1,-1\n0,1\n", 2, "inline")?;
/// assert_eq!(d, ndarray::array![[1i8, -1], [-1, 1]]);
/// let e = ising_wgpu::io::parse_data_csv("1,-1\n1,2\n", 2, "d.csv").unwrap_err().to_string();
/// assert!(e.contains("d.csv line 2, column 2: 2 is not a spin"));
/// # Ok::<(), ising_wgpu::Error>(())
/// ```
pub fn parse_data_csv(text: &str, columns: usize, source_name: &str) -> Result<Array2<i8>> {
    let mut values = Vec::new();
    let mut rows = 0;
    for (k, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        // Counted as they come, not collected: a huge line costs no more than its text.
        let wrong_count = |count: String| Error::Parse {
            source_name: source_name.to_string(),
            line: k + 1,
            message: format!("{count} values, expected {columns} (one per data node)"),
        };
        let mut count = 0;
        for field in line.split(',') {
            if count == columns {
                return Err(wrong_count(format!("more than {columns}")));
            }
            let up = parse_spin(field, || {
                format!("{source_name} line {}, column {}", k + 1, count + 1)
            })?;
            values.push(spin_i8(up));
            count += 1;
        }
        if count != columns {
            return Err(wrong_count(count.to_string()));
        }
        rows += 1;
    }
    if rows == 0 {
        return Err(Error::Parse {
            source_name: source_name.to_string(),
            line: 0,
            message: "no data rows".into(),
        });
    }
    Ok(Array2::from_shape_vec((rows, columns), values).expect("rows x columns values"))
}
