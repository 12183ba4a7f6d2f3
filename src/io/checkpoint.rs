//! Checkpoint files: what a command was asked and how far it got (a JSON header) with the arrays
//! it needs to go on (raw little-endian), written whole or not at all like every output, and read
//! with every length checked against the file before anything is taken from it.
//!
//! The layout: the line `ising-wgpu checkpoint 1`, one line of JSON
//! `{"header": ..., "arrays": [{"name", "dtype", "shape"}, ...]}`, then each array's bytes in order.

use std::collections::BTreeMap;
use std::path::Path;

use ndarray::{Array, Array1, ArrayD, Dimension, Ix1, Ix2, IxDyn};
use serde::{Deserialize, Serialize};

use super::{read_bytes, write_atomically};
use crate::anneal::BestSoFar;
use crate::backend::SamplerState;
use crate::error::{Error, Result};

const MAGIC: &[u8] = b"ising-wgpu checkpoint 1\n";

/// An element type a checkpoint array may hold.
pub trait Element: Copy + Default + 'static {
    /// Its name in the file.
    const DTYPE: &'static str;
    /// Its size in bytes.
    const SIZE: usize;
    /// Appends its little-endian bytes.
    fn put(self, out: &mut Vec<u8>);
    /// Reads it from exactly `SIZE` little-endian bytes.
    fn get(bytes: &[u8]) -> Self;
}

macro_rules! element {
    ($t:ty, $name:literal) => {
        impl Element for $t {
            const DTYPE: &'static str = $name;
            const SIZE: usize = std::mem::size_of::<$t>();
            fn put(self, out: &mut Vec<u8>) {
                out.extend_from_slice(&self.to_le_bytes());
            }
            fn get(bytes: &[u8]) -> Self {
                <$t>::from_le_bytes(bytes.try_into().expect("SIZE bytes"))
            }
        }
    };
}
element!(i8, "i8");
element!(u32, "u32");
element!(u64, "u64");
element!(f32, "f32");
element!(f64, "f64");

/// One array of a checkpoint: its element type, shape and little-endian bytes.
#[derive(Clone, Debug, PartialEq)]
struct Stored {
    dtype: &'static str,
    shape: Vec<usize>,
    bytes: Vec<u8>,
}

/// How the file's index names an array.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Entry {
    name: String,
    dtype: String,
    shape: Vec<usize>,
}

/// The file's JSON line.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Index {
    header: serde_json::Value,
    arrays: Vec<Entry>,
}

/// A checkpoint: a JSON header and named arrays.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Checkpoint {
    /// What the command was asked and how far it got.
    pub header: serde_json::Value,
    arrays: BTreeMap<String, Stored>,
}

impl Checkpoint {
    /// An empty checkpoint with `header`.
    pub fn new(header: serde_json::Value) -> Self {
        Checkpoint {
            header,
            arrays: BTreeMap::new(),
        }
    }

    /// Stores `array` as `name` (replacing any array of that name).
    pub fn put<T: Element>(&mut self, name: &str, array: &ArrayD<T>) {
        let mut bytes = Vec::with_capacity(array.len() * T::SIZE);
        for &v in array.iter() {
            v.put(&mut bytes);
        }
        let stored = Stored {
            dtype: T::DTYPE,
            shape: array.shape().to_vec(),
            bytes,
        };
        self.arrays.insert(name.to_string(), stored);
    }

    /// The array `name` with the axes of `D` (e.g. `Ix2`), `None` when there is none; an error
    /// naming it when it holds another element type or has another number of axes.
    pub fn get<T: Element, D: Dimension>(&self, name: &str) -> Result<Option<Array<T, D>>> {
        let Some(stored) = self.arrays.get(name) else {
            return Ok(None);
        };
        let ndim = D::NDIM.unwrap_or(stored.shape.len());
        if stored.dtype != T::DTYPE || stored.shape.len() != ndim {
            return Err(Error::invalid(
                "checkpoint",
                format!(
                    "array {name} is {} with shape {:?}; expected {} with {ndim} axes",
                    stored.dtype,
                    stored.shape,
                    T::DTYPE
                ),
            ));
        }
        let values = stored.bytes.chunks_exact(T::SIZE).map(T::get).collect();
        let array = ArrayD::from_shape_vec(IxDyn(&stored.shape), values)
            .and_then(|a| a.into_dimensionality())
            .map_err(|e| Error::invalid("checkpoint", format!("array {name}: {e}")))?;
        Ok(Some(array))
    }

    /// A count (a node number, a sweep) stored as a one-element array.
    pub fn count(&self, name: &str) -> Result<u64> {
        match self.require::<u64, Ix1>(name)?.as_slice() {
            Some(&[v]) => Ok(v),
            _ => Err(Error::invalid(
                "checkpoint",
                format!("{name} must hold one value"),
            )),
        }
    }

    /// Stores `value` as a one-element array ([`Checkpoint::count`]).
    pub fn put_count(&mut self, name: &str, value: u64) {
        self.put(name, &Array1::from_elem(1, value).into_dyn());
    }

    /// Whether it holds no arrays.
    pub fn is_empty(&self) -> bool {
        self.arrays.is_empty()
    }

    /// Takes every array of `other`, each name after `prefix` (e.g. one of several samplers' states).
    pub fn absorb(&mut self, prefix: &str, other: Checkpoint) {
        for (name, stored) in other.arrays {
            self.arrays.insert(format!("{prefix}{name}"), stored);
        }
    }

    /// The arrays whose names start with `prefix`, without it ([`Checkpoint::absorb`]'s inverse),
    /// under a null header.
    pub fn extract(&self, prefix: &str) -> Checkpoint {
        let arrays = self
            .arrays
            .iter()
            .filter_map(|(name, stored)| {
                Some((name.strip_prefix(prefix)?.to_string(), stored.clone()))
            })
            .collect();
        Checkpoint {
            header: serde_json::Value::Null,
            arrays,
        }
    }

    /// The array `name`, an error naming it when there is none.
    pub fn require<T: Element, D: Dimension>(&self, name: &str) -> Result<Array<T, D>> {
        self.get(name)?
            .ok_or_else(|| Error::invalid("checkpoint", format!("it has no array {name}")))
    }

    /// The file's bytes.
    pub fn to_bytes(&self) -> Vec<u8> {
        let index = Index {
            header: self.header.clone(),
            arrays: self
                .arrays
                .iter()
                .map(|(name, s)| Entry {
                    name: name.clone(),
                    dtype: s.dtype.to_string(),
                    shape: s.shape.clone(),
                })
                .collect(),
        };
        let mut out = MAGIC.to_vec();
        out.extend(serde_json::to_vec(&index).expect("JSON of plain values"));
        out.push(b'\n');
        for stored in self.arrays.values() {
            out.extend_from_slice(&stored.bytes);
        }
        out
    }

    /// Reads a checkpoint from `bytes` (named `source_name` in errors): the magic line, the index,
    /// then arrays whose sizes must add up to exactly the bytes that follow it.
    pub fn from_bytes(bytes: &[u8], source_name: &str) -> Result<Self> {
        let bad = |line: usize, message: String| Error::Parse {
            source_name: source_name.to_string(),
            line,
            message,
        };
        let rest = bytes.strip_prefix(MAGIC).ok_or_else(|| {
            bad(
                1,
                "not an ising-wgpu checkpoint (its first line is not `ising-wgpu checkpoint 1`)"
                    .into(),
            )
        })?;
        let end = rest
            .iter()
            .position(|&b| b == b'\n')
            .ok_or_else(|| bad(2, "the index line has no end".into()))?;
        let index: Index = serde_json::from_slice(&rest[..end])
            .map_err(|e| bad(2, format!("the index is not valid: {e}")))?;
        let (mut data, mut arrays) = (&rest[end + 1..], BTreeMap::new());
        for entry in index.arrays {
            let name = crate::error::shown(&entry.name);
            let (dtype, size) = match entry.dtype.as_str() {
                "i8" => (i8::DTYPE, i8::SIZE),
                "u32" => (u32::DTYPE, u32::SIZE),
                "u64" => (u64::DTYPE, u64::SIZE),
                "f32" => (f32::DTYPE, f32::SIZE),
                "f64" => (f64::DTYPE, f64::SIZE),
                other => {
                    let other = crate::error::shown(other);
                    return Err(bad(2, format!("array {name} has unknown dtype {other}")));
                }
            };
            let len = entry
                .shape
                .iter()
                .try_fold(size, |acc, &d| acc.checked_mul(d))
                .filter(|&len| len <= data.len())
                .ok_or_else(|| {
                    bad(
                        2,
                        format!(
                            "array {name} of shape {:?} needs more bytes than the file has",
                            entry.shape
                        ),
                    )
                })?;
            let (bytes, after) = data.split_at(len);
            let stored = Stored {
                dtype,
                shape: entry.shape,
                bytes: bytes.to_vec(),
            };
            if arrays.insert(entry.name, stored).is_some() {
                return Err(bad(2, format!("array {name} appears twice")));
            }
            data = after;
        }
        if !data.is_empty() {
            return Err(bad(0, format!("{} bytes after the last array", data.len())));
        }
        Ok(Checkpoint {
            header: index.header,
            arrays,
        })
    }
}

impl Checkpoint {
    /// Stores a sampler's state under `sampler.*`.
    pub fn put_sampler_state(&mut self, state: &SamplerState) {
        self.put_count("sampler.next_sweep", state.next_sweep);
        self.put("sampler.spins", &state.spins.clone().into_dyn());
        if let Some(kept) = &state.kept {
            self.put("sampler.kept", &kept.clone().into_dyn());
        }
        self.put(
            "sampler.betas",
            &Array1::from(state.betas.clone()).into_dyn(),
        );
    }

    /// The sampler state [`Checkpoint::put_sampler_state`] stored (checked against the sampler as
    /// it is restored, [`crate::Sampler::restore_state`]).
    pub fn sampler_state(&self) -> Result<SamplerState> {
        Ok(SamplerState {
            next_sweep: self.count("sampler.next_sweep")?,
            spins: self.require::<i8, Ix2>("sampler.spins")?,
            kept: self.get::<i8, Ix2>("sampler.kept")?,
            betas: self
                .require::<f32, Ix1>("sampler.betas")?
                .into_iter()
                .collect(),
        })
    }

    /// Stores an anneal's best so far under `best.*`.
    pub fn put_best(&mut self, best: &BestSoFar) {
        self.put(
            "best.energies",
            &Array1::from(best.energies.clone()).into_dyn(),
        );
        self.put(
            "best.found_at",
            &Array1::from(best.found_at.clone()).into_dyn(),
        );
        self.put_count("best.sweeps", best.sweeps);
    }

    /// The best so far [`Checkpoint::put_best`] stored.
    pub fn best(&self) -> Result<BestSoFar> {
        Ok(BestSoFar {
            energies: self
                .require::<f32, Ix1>("best.energies")?
                .into_iter()
                .collect(),
            found_at: self
                .require::<u64, Ix1>("best.found_at")?
                .into_iter()
                .collect(),
            sweeps: self.count("best.sweeps")?,
        })
    }
}

/// Writes `checkpoint` to `path` whole or not at all ([`crate::io::check_output`]'s rules).
pub fn write_checkpoint(path: impl AsRef<Path>, checkpoint: &Checkpoint) -> Result<()> {
    write_atomically(path.as_ref(), &checkpoint.to_bytes())
}

/// Reads the checkpoint at `path` (a regular file, or `-` for standard input), naming it on error.
pub fn read_checkpoint(path: impl AsRef<Path>) -> Result<Checkpoint> {
    let path = path.as_ref();
    let bytes = read_bytes(path)?;
    Checkpoint::from_bytes(&bytes, &path.display().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Checkpoint {
        let mut c = Checkpoint::new(serde_json::json!({"command": "sample", "done": 7}));
        c.put(
            "a",
            &ArrayD::from_shape_vec(IxDyn(&[2, 3]), vec![-1i8, 1, 1, -1, 1, 1]).unwrap(),
        );
        c.put(
            "b",
            &ArrayD::from_shape_vec(IxDyn(&[2]), vec![u32::MAX, 5]).unwrap(),
        );
        c.put(
            "c",
            &ArrayD::from_shape_vec(IxDyn(&[1]), vec![u64::MAX]).unwrap(),
        );
        c.put(
            "d",
            &ArrayD::from_shape_vec(IxDyn(&[2]), vec![f32::INFINITY, -0.5]).unwrap(),
        );
        c
    }

    #[test]
    fn a_checkpoint_reads_back_as_written() {
        let c = sample();
        let back = Checkpoint::from_bytes(&c.to_bytes(), "x").unwrap();
        assert_eq!(back, c);
        assert_eq!(back.require::<f32, Ix1>("d").unwrap()[[0]], f32::INFINITY);
        assert!(
            back.get::<u32, Ix2>("a")
                .unwrap_err()
                .to_string()
                .contains("array a is i8")
        );
        assert!(
            back.require::<i8, Ix1>("e")
                .unwrap_err()
                .to_string()
                .contains("no array e")
        );
    }

    #[test]
    fn header_numbers_read_back_to_the_same_bits() {
        // The fuzzer's first checkpoint finding: without exact float parsing this number read back
        // one unit in the last place off, so a resumed run's arguments would not match its own.
        for x in [
            4.444_444_444_444_444e77,
            0.1,
            1.0 / 3.0,
            f64::MIN_POSITIVE,
            5e-324,
        ] {
            let c = Checkpoint::new(serde_json::json!({"schedule": [x]}));
            let back = Checkpoint::from_bytes(&c.to_bytes(), "x").unwrap();
            assert_eq!(back, c, "{x:e}");
        }
    }

    #[test]
    fn every_cut_or_padded_file_is_an_error_naming_it() {
        let bytes = sample().to_bytes();
        for end in 0..bytes.len() {
            let e = Checkpoint::from_bytes(&bytes[..end], "ck.bin").unwrap_err();
            assert!(e.to_string().starts_with("ck.bin, line"), "{e}");
        }
        let mut padded = bytes.clone();
        padded.push(0);
        let e = Checkpoint::from_bytes(&padded, "ck.bin").unwrap_err();
        assert!(
            e.to_string().contains("1 bytes after the last array"),
            "{e}"
        );
    }

    #[test]
    fn an_index_claiming_more_than_the_file_holds_is_refused() {
        let header = br#"{"header":null,"arrays":[{"name":"x","dtype":"u64","shape":[4294967296,4294967296,16]}]}"#;
        let bytes = [MAGIC, header.as_slice(), b"\n"].concat();
        let e = Checkpoint::from_bytes(&bytes, "ck").unwrap_err();
        assert!(
            e.to_string().contains("needs more bytes than the file has"),
            "{e}"
        );
        let unknown = br#"{"header":null,"arrays":[],"extra":1}"#;
        let bytes = [MAGIC, unknown.as_slice(), b"\n"].concat();
        assert!(Checkpoint::from_bytes(&bytes, "ck").is_err());
    }
}
