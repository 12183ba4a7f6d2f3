//! Data CSV: any text and column count parse to rows of -1/+1 of that width or an error.
#![no_main]

use ising_wgpu::io::parse_data_csv;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&columns, rest)) = data.split_first() else {
        return;
    };
    let Ok(text) = std::str::from_utf8(rest) else {
        return;
    };
    let columns = usize::from(columns % 16);
    if let Ok(rows) = parse_data_csv(text, columns, "fuzz") {
        assert_eq!(rows.ncols(), columns);
        assert!(rows.iter().all(|&v| v == 1 || v == -1));
    }
});
