//! Hostile input files: FIFOs, devices and directories refused before they are opened (nothing
//! blocks or reads without end), files over the size cap refused before they are read, and values
//! quoted in messages with control characters escaped and long ones cut.

use std::fs;

use ising_wgpu::io::{MAX_INPUT_BYTES, parse_data_csv, read_data_csv, read_model_json};

/// A fresh empty directory for one test.
fn scratch(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("ising-safe-input-{name}-{}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).unwrap();
    dir
}

#[cfg(unix)]
#[test]
fn a_fifo_a_device_and_a_directory_are_refused_without_blocking() {
    let dir = scratch("special");
    let fifo = dir.join("model.fifo");
    let made = std::process::Command::new("mkfifo").arg(&fifo).status();
    if made.is_ok_and(|s| s.success()) {
        // Opening a FIFO for reading would block until a writer came: it must not be opened.
        let e = read_model_json(&fifo).unwrap_err().to_string();
        assert!(
            e.contains("model.fifo") && e.contains("not a regular file (a FIFO)"),
            "{e}"
        );
    }
    let e = read_data_csv("/dev/zero", 3).unwrap_err().to_string();
    assert!(
        e.contains("/dev/zero: not a regular file (a device)"),
        "{e}"
    );
    let e = read_model_json(&dir).unwrap_err().to_string();
    assert!(e.contains("not a regular file (a directory)"), "{e}");
    fs::remove_dir_all(dir).unwrap();
}

#[test]
fn a_file_over_the_cap_is_refused_before_it_is_read() {
    let dir = scratch("large");
    let path = dir.join("huge.csv");
    // Sparse: no disk is used, but its length is past the cap.
    fs::File::create(&path)
        .unwrap()
        .set_len(MAX_INPUT_BYTES + 1)
        .unwrap();
    let e = read_data_csv(&path, 2).unwrap_err().to_string();
    assert!(
        e.contains("huge.csv") && e.contains(&format!("at most {MAX_INPUT_BYTES} bytes")),
        "{e}"
    );
    fs::remove_dir_all(dir).unwrap();
}

#[test]
fn values_in_messages_have_control_characters_escaped_and_long_ones_cut() {
    let e = parse_data_csv("1,\u{1b}[31m\u{7}\n", 2, "d.csv")
        .unwrap_err()
        .to_string();
    assert!(!e.chars().any(|c| c.is_control()), "{e:?}");
    assert!(e.contains("\\u{1b}[31m\\u{7}"), "{e}");
    let long = format!("1,{}\n", "7".repeat(10_000_000));
    let e = parse_data_csv(&long, 2, "d.csv").unwrap_err().to_string();
    assert!(e.len() < 200 && e.contains("10000000 bytes in all"), "{e}");
    // A line with far too many values is refused as it is read, naming the count it expected.
    let wide = format!("{}1\n", "1,".repeat(1_000_000));
    let e = parse_data_csv(&wide, 3, "d.csv").unwrap_err().to_string();
    assert!(e.contains("line 1: more than 3 values, expected 3"), "{e}");
}
