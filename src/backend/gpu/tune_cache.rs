//! The launch-shape measurements of `tune` kept on disk between processes, so that only the first
//! process on an adapter pays for them: one JSON file of entries, each keyed by what was measured
//! and the adapter (name, backend, type, driver and ids), for this version of the crate.
//!
//! `ISING_WGPU_TUNING` names the file, or is `off`; by default it is
//! `$XDG_CACHE_HOME/ising-wgpu/tuning.json`, else `$HOME/.cache/ising-wgpu/tuning.json`. The file is
//! only an aid: one that is missing, unreadable or of another version is measured around, and a
//! file that is not a tuning file is never overwritten.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

/// The environment variable naming the file (or `off`).
const TUNING_ENV: &str = "ISING_WGPU_TUNING";

/// The first field of every tuning file, which marks it as one.
const FORMAT: &str = "ising-wgpu tuning";

/// The file's contents.
#[derive(Serialize, Deserialize)]
struct TuningFile {
    format: String,
    /// The crate version that measured the entries; another version's are not taken.
    version: String,
    entries: BTreeMap<String, serde_json::Value>,
}

/// The tuning file of this process, if it has one.
pub(super) struct DiskCache {
    path: PathBuf,
}

impl DiskCache {
    /// The file `ISING_WGPU_TUNING` names, or the default; `None` when it is `off` or no cache
    /// directory is known.
    pub(super) fn from_env() -> Option<Self> {
        let var = |name: &str| std::env::var_os(name).filter(|v| !v.is_empty());
        let path = match var(TUNING_ENV) {
            Some(v) if v == "off" => return None,
            Some(v) => PathBuf::from(v),
            None => var("XDG_CACHE_HOME")
                .map(PathBuf::from)
                .or_else(|| var("HOME").map(|home| Path::new(&home).join(".cache")))?
                .join("ising-wgpu")
                .join("tuning.json"),
        };
        Some(DiskCache { path })
    }

    /// The entry `key`, if the file holds one of this version that reads as a `T`.
    pub(super) fn get<T: DeserializeOwned>(&self, key: &str) -> Option<T> {
        let mut file = self.read()?.ok()?;
        serde_json::from_value(file.entries.remove(key)?).ok()
    }

    /// Stores `value` as entry `key`, keeping the other entries of this version; nothing is written
    /// over a file that is not a tuning file, or when the file cannot be written (the next process
    /// measures again).
    pub(super) fn put<T: Serialize>(&self, key: &str, value: &T) {
        let mut file = match self.read() {
            Some(Err(Foreign)) => return,
            Some(Ok(file)) => file,
            None => TuningFile {
                format: FORMAT.into(),
                version: env!("CARGO_PKG_VERSION").into(),
                entries: BTreeMap::new(),
            },
        };
        let Ok(value) = serde_json::to_value(value) else {
            return;
        };
        file.entries.insert(key.into(), value);
        let Ok(text) = serde_json::to_string_pretty(&file) else {
            return;
        };
        // A whole file or none: written beside the file, then renamed over it.
        let partial = self
            .path
            .with_extension(format!("partial-{}", std::process::id()));
        let written = self
            .path
            .parent()
            .is_none_or(|dir| std::fs::create_dir_all(dir).is_ok())
            && std::fs::write(&partial, text).is_ok()
            && std::fs::rename(&partial, &self.path).is_ok();
        if !written {
            let _ = std::fs::remove_file(&partial);
        }
    }

    /// The file: `None` when there is none (or it cannot be read, or holds another version's
    /// entries), `Err(Foreign)` when it is not a tuning file.
    fn read(&self) -> Option<Result<TuningFile, Foreign>> {
        let text = std::fs::read_to_string(&self.path).ok()?;
        match serde_json::from_str::<TuningFile>(&text) {
            Ok(file) if file.format == FORMAT => {
                (file.version == env!("CARGO_PKG_VERSION")).then_some(Ok(file))
            }
            _ => Some(Err(Foreign)),
        }
    }
}

/// A file that is not a tuning file.
struct Foreign;

#[cfg(test)]
mod tests {
    use super::*;

    /// A fresh path under the temporary directory for test `name`.
    fn path(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("ising-tuning-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        dir.join("cache").join("tuning.json")
    }

    #[test]
    fn entries_round_trip_and_keep_each_other() {
        let cache = DiskCache {
            path: path("round"),
        };
        assert_eq!(cache.get::<u32>("a"), None);
        cache.put("a", &64u32);
        cache.put("b", &(2u32, "words".to_string()));
        assert_eq!(cache.get::<u32>("a"), Some(64));
        assert_eq!(cache.get("b"), Some((2u32, "words".to_string())));
        assert_eq!(cache.get::<u32>("c"), None);
        // An entry that does not read as the type asked for is not taken.
        assert_eq!(cache.get::<String>("a"), None);
        cache.put("a", &128u32);
        assert_eq!(cache.get::<u32>("a"), Some(128));
    }

    #[test]
    fn a_file_that_is_not_a_tuning_file_is_never_overwritten() {
        let cache = DiskCache {
            path: path("foreign"),
        };
        std::fs::create_dir_all(cache.path.parent().unwrap()).unwrap();
        for foreign in [
            "my notes",
            "{\"format\": \"other\", \"version\": \"1\", \"entries\": {}}",
        ] {
            std::fs::write(&cache.path, foreign).unwrap();
            cache.put("a", &64u32);
            assert_eq!(std::fs::read_to_string(&cache.path).unwrap(), foreign);
            assert_eq!(cache.get::<u32>("a"), None);
        }
        let dir = cache.path.parent().unwrap();
        assert_eq!(
            std::fs::read_dir(dir).unwrap().count(),
            1,
            "no partial file left"
        );
    }

    #[test]
    fn another_versions_entries_are_measured_again() {
        let cache = DiskCache {
            path: path("version"),
        };
        std::fs::create_dir_all(cache.path.parent().unwrap()).unwrap();
        let old = format!(
            "{{\"format\": \"{FORMAT}\", \"version\": \"0.0.0-old\", \"entries\": {{\"a\": 32}}}}"
        );
        std::fs::write(&cache.path, old).unwrap();
        assert_eq!(cache.get::<u32>("a"), None);
        cache.put("b", &1u32);
        assert_eq!(cache.get::<u32>("a"), None);
        assert_eq!(cache.get::<u32>("b"), Some(1));
    }
}
