//! Safe output: a file is replaced whole or not at all. The bytes go to a fresh temporary file
//! created exclusively (never through a link) beside the target under an unpredictable name, are
//! synced, and the temporary file is renamed over the target; on any failure it is removed and the
//! target is left as it was. Only regular files are replaced, and never a read-only one; every
//! message names the path the caller gave.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// Why `path` may not be replaced, if it exists and is anything but a writable regular file.
fn check_target(path: &Path) -> Result<Option<std::fs::Permissions>> {
    let refuse = |why: &str| Err(Error::io(path, std::io::Error::other(why.to_string())));
    let meta = match std::fs::symlink_metadata(path) {
        Ok(meta) => meta,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(Error::io(path, e)),
    };
    let kind = meta.file_type();
    if kind.is_symlink() {
        return refuse("is a symbolic link; refusing to replace it (give the path it points to)");
    }
    if kind.is_dir() {
        return refuse("is a directory; give a file name");
    }
    if !kind.is_file() {
        return refuse("is not a regular file (a device, pipe or socket); refusing to replace it");
    }
    if meta.permissions().readonly() {
        return refuse("is read-only; refusing to replace it");
    }
    Ok(Some(meta.permissions()))
}

/// The directory `path` names a file in (`.` for a bare name).
fn directory_of(path: &Path) -> &Path {
    match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    }
}

/// An error now where writing `path` would fail later for what it is: anything but a writable
/// regular file, or a directory that does not exist. Commands call it before a long run.
///
/// ```
/// use ising_wgpu::io::check_output;
/// assert!(check_output(std::path::Path::new("/dev/null")).is_err());
/// assert!(check_output(std::path::Path::new("/no/such/dir/out.npy")).is_err());
/// assert!(check_output(&std::env::temp_dir().join("out.npy")).is_ok());
/// ```
pub fn check_output(path: &Path) -> Result<()> {
    check_target(path)?;
    match std::fs::metadata(directory_of(path)) {
        Ok(meta) if meta.is_dir() => Ok(()),
        Ok(_) => Err(Error::io(
            path,
            std::io::Error::other("its directory is not a directory"),
        )),
        Err(e) => Err(Error::io(path, e)),
    }
}

/// A temporary file beside `path`, created exclusively (`O_EXCL`: never through a link), with `mode`
/// less the umask's bits.
fn create_temporary(path: &Path, mode: u32) -> Result<(PathBuf, File)> {
    let dir = directory_of(path);
    let name = path
        .file_name()
        .ok_or_else(|| Error::io(path, std::io::Error::other("names no file")))?;
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, mode);
    #[cfg(not(unix))]
    let _ = mode;
    // A collision (another writer's name) tries again with fresh random bits.
    for _ in 0..16 {
        let mut tmp_name = std::ffi::OsString::from(".");
        tmp_name.push(name);
        tmp_name.push(format!(".{:016x}.tmp", unpredictable()));
        let tmp = dir.join(tmp_name);
        match options.open(&tmp) {
            Ok(file) => return Ok((tmp, file)),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(Error::io(path, e)),
        }
    }
    Err(Error::io(
        path,
        std::io::Error::other("no fresh temporary name beside it after 16 tries"),
    ))
}

/// 64 bits from the standard library's randomly keyed hasher (keys drawn from the system's random
/// source), fresh at every call.
fn unpredictable() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos()),
    );
    hasher.finish()
}

/// Writes `bytes` to `path` as the module describes: the old file (if any) stays whole until the
/// new one is complete and synced; the new file takes the old one's permissions, or a plain
/// create's (`0666` less the umask's bits).
pub(crate) fn write_atomically(path: &Path, bytes: &[u8]) -> Result<()> {
    let permissions = check_target(path)?;
    let mode = if permissions.is_some() { 0o600 } else { 0o666 };
    let (tmp, mut file) = create_temporary(path, mode)?;
    let written = (|| -> std::io::Result<()> {
        file.write_all(bytes)?;
        if let Some(permissions) = &permissions {
            file.set_permissions(permissions.clone())?;
        }
        file.sync_all()?;
        drop(file);
        std::fs::rename(&tmp, path)
    })();
    if let Err(e) = written {
        let _ = std::fs::remove_file(&tmp);
        return Err(Error::io(path, e));
    }
    Ok(())
}
