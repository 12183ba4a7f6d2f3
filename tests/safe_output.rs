//! Output files are replaced whole or not at all: only regular, writable files are replaced (never
//! through a link, never a directory or device), a failed write leaves the old file and no stray
//! temporary file, the old file's permissions carry over, and every message names the given path.

#![cfg(unix)]

use std::os::unix::fs::{PermissionsExt, symlink};
use std::path::{Path, PathBuf};

use ising_wgpu::io::write_npy_i8;

/// A fresh empty directory for `name`.
fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("ising-safe-output-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// The names in `dir`, sorted.
fn names(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// Writes a small NPY to `path`, returning the error message if it fails.
fn write(path: &Path) -> Result<(), String> {
    write_npy_i8(path, &[2, 2], &[1, -1, -1, 1]).map_err(|e| e.to_string())
}

#[test]
fn a_symbolic_link_is_refused_and_its_target_untouched() {
    let dir = scratch("link");
    let victim = dir.join("victim.txt");
    std::fs::write(&victim, "keep me").unwrap();
    let link = dir.join("out.npy");
    symlink(&victim, &link).unwrap();
    let err = write(&link).unwrap_err();
    assert!(
        err.contains("out.npy") && err.contains("symbolic link"),
        "{err}"
    );
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "keep me");
    assert!(
        std::fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink()
    );
    assert_eq!(names(&dir), ["out.npy", "victim.txt"]);
}

#[test]
fn directories_devices_and_read_only_files_are_refused() {
    let dir = scratch("kinds");
    let err = write(&dir).unwrap_err();
    assert!(err.contains("is a directory"), "{err}");
    let err = write(Path::new("/dev/null")).unwrap_err();
    assert!(
        err.contains("/dev/null") && err.contains("not a regular file"),
        "{err}"
    );
    assert!(!std::fs::metadata("/dev/null").unwrap().is_file());
    // Refused by its mode bits, so also when running as root.
    let locked = dir.join("locked.npy");
    std::fs::write(&locked, "old").unwrap();
    std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o444)).unwrap();
    let err = write(&locked).unwrap_err();
    assert!(
        err.contains("locked.npy") && err.contains("read-only"),
        "{err}"
    );
    assert_eq!(std::fs::read_to_string(&locked).unwrap(), "old");
    assert_eq!(
        std::fs::metadata(&locked).unwrap().permissions().mode() & 0o777,
        0o444
    );
    assert_eq!(names(&dir), ["locked.npy"]);
}

#[test]
fn a_missing_directory_is_named_as_given() {
    let dir = scratch("missing");
    let path = dir.join("no-such-dir").join("out.npy");
    let err = write(&path).unwrap_err();
    assert!(err.contains("no-such-dir/out.npy"), "{err}");
    assert!(!err.contains(".tmp") && !err.contains(".partial"), "{err}");
    assert!(names(&dir).is_empty());
}

#[test]
fn a_regular_file_is_replaced_whole_keeping_its_mode_and_stray_names_alone() {
    let dir = scratch("replace");
    let out = dir.join("out.npy");
    std::fs::write(&out, "old").unwrap();
    std::fs::set_permissions(&out, std::fs::Permissions::from_mode(0o640)).unwrap();
    // A file (or a link) at the name the old scheme used is neither read, followed nor replaced.
    let stale = dir.join("out.npy.partial");
    symlink(dir.join("elsewhere"), &stale).unwrap();
    write(&out).unwrap();
    let bytes = std::fs::read(&out).unwrap();
    assert!(bytes.starts_with(b"\x93NUMPY"));
    assert_eq!(&bytes[bytes.len() - 4..], &[1u8, 255, 255, 1]);
    assert_eq!(
        std::fs::metadata(&out).unwrap().permissions().mode() & 0o777,
        0o640
    );
    assert!(
        std::fs::symlink_metadata(&stale)
            .unwrap()
            .file_type()
            .is_symlink()
    );
    assert!(!dir.join("elsewhere").exists());
    assert_eq!(names(&dir), ["out.npy", "out.npy.partial"]);
    // A new file: created as a plain create would (no temporary names left behind).
    let fresh = dir.join("fresh.npy");
    write(&fresh).unwrap();
    assert_eq!(names(&dir), ["fresh.npy", "out.npy", "out.npy.partial"]);
}
