//! Up-front memory budgets: what a request will hold, estimated from its sizes before anything is
//! allocated, against the memory the machine has now, so that a request too large is an error
//! naming it rather than an allocation failure (an abort) halfway through.

use crate::error::{Error, Result};

/// Requests below this many bytes are not checked against the machine (reading its memory costs
/// more than a small call).
const UNCHECKED_BYTES: u64 = 64 << 20;

/// `count` items of `size` bytes each, `None` past `u64`.
pub(crate) fn bytes(count: impl TryInto<u64>, size: u64) -> Option<u64> {
    count.try_into().ok()?.checked_mul(size)
}

/// The sum of estimates, `None` if any is.
pub(crate) fn total(parts: &[Option<u64>]) -> Option<u64> {
    parts.iter().try_fold(0u64, |acc, &p| acc.checked_add(p?))
}

/// An error unless `needed` bytes (`None`: more than `u64` holds) fit the memory available to
/// this process now; `what` names the request (a flag or parameter) and `detail` its size.
pub(crate) fn check(
    what: &'static str,
    detail: impl FnOnce() -> String,
    needed: Option<u64>,
) -> Result<()> {
    match needed {
        Some(n) if n < UNCHECKED_BYTES => Ok(()),
        Some(n) => match available()? {
            Some(limit) if n > limit => Err(Error::TooLarge {
                what,
                detail: detail(),
                needed: n,
                available: limit,
            }),
            _ => Ok(()),
        },
        None => Err(Error::TooLarge {
            what,
            detail: detail(),
            needed: u64::MAX,
            available: available()?.unwrap_or(u64::MAX),
        }),
    }
}

/// The environment variable that caps what a process of this library may allocate: bytes, or a
/// number with a unit (`k`, `M`, `G`, `T`: powers of 1000), e.g. `ISING_WGPU_MEMORY=4G` on a shared
/// machine.
pub const MEMORY_VARIABLE: &str = "ISING_WGPU_MEMORY";

/// Bytes this process may still allocate: Linux's `MemAvailable`, lowered to the cgroup's
/// remaining limit where one is set and to [`MEMORY_VARIABLE`]'s cap; `None` where none can be
/// read. An error when the variable is set to something that is not a size.
fn available() -> Result<Option<u64>> {
    let cap = match std::env::var(MEMORY_VARIABLE) {
        Ok(text) => Some(parse_size(&text).ok_or_else(|| {
            Error::invalid(
                MEMORY_VARIABLE,
                format!(
                    "'{}' is not a size; give bytes or a number with k, M, G or T (e.g. 4G)",
                    crate::error::shown(&text)
                ),
            )
        })?),
        Err(_) => None,
    };
    Ok([machine(), cap].into_iter().flatten().min())
}

/// `4G`, `512M`, `1.5G` or `1000000` as bytes (units are powers of 1000).
fn parse_size(text: &str) -> Option<u64> {
    let text = text.trim();
    let (number, scale) = match text.char_indices().last()? {
        (at, 'k' | 'K') => (&text[..at], 1e3),
        (at, 'm' | 'M') => (&text[..at], 1e6),
        (at, 'g' | 'G') => (&text[..at], 1e9),
        (at, 't' | 'T') => (&text[..at], 1e12),
        _ => (text, 1.0),
    };
    let bytes = number.trim().parse::<f64>().ok()? * scale;
    (0.0..1.8e19).contains(&bytes).then_some(bytes as u64)
}

/// What the machine (and the cgroup) leave this process, as [`available`] reads it.
fn machine() -> Option<u64> {
    let meminfo = std::fs::read_to_string("/proc/meminfo").ok();
    let system = meminfo.as_deref().and_then(|text| {
        let line = text.lines().find(|l| l.starts_with("MemAvailable:"))?;
        let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
        kib.checked_mul(1024)
    });
    let read = |name: &str| -> Option<u64> {
        std::fs::read_to_string(format!("/sys/fs/cgroup/{name}"))
            .ok()?
            .trim()
            .parse()
            .ok()
    };
    let cgroup =
        read("memory.max").map(|max| max.saturating_sub(read("memory.current").unwrap_or(0)));
    match (system, cgroup) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

/// Bytes in a unit a person reads: "12.0 GB", "640.0 MB".
pub(crate) fn human(bytes: u64) -> String {
    if bytes == u64::MAX {
        return "more than 2^64 bytes".into();
    }
    let units = ["bytes", "kB", "MB", "GB", "TB", "PB", "EB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1000.0 && unit + 1 < units.len() {
        value /= 1000.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{bytes} bytes")
    } else {
        format!("{value:.1} {}", units[unit])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn estimates_overflow_to_errors_and_small_ones_pass_unchecked() {
        assert_eq!(bytes(3usize, 4), Some(12));
        assert_eq!(bytes(u64::MAX, 2), None);
        assert_eq!(total(&[Some(1), Some(2)]), Some(3));
        assert_eq!(total(&[Some(u64::MAX), Some(1)]), None);
        assert!(check("chains", || "x".into(), Some(1 << 20)).is_ok());
        let e = check("chains", || "2^64 chains".into(), None).unwrap_err();
        assert!(
            e.to_string()
                .starts_with("chains: 2^64 chains needs more than 2^64 bytes"),
            "{e}"
        );
        if let Ok(Some(limit)) = available() {
            let e = check(
                "n_samples",
                || "many samples".into(),
                Some(limit + (1 << 30)),
            )
            .unwrap_err();
            assert!(e.to_string().contains("this process can have now"), "{e}");
        }
        assert_eq!(human(12_000_000_000), "12.0 GB");
        assert_eq!(human(999), "999 bytes");
    }

    #[test]
    fn sizes_read_as_a_person_writes_them() {
        assert_eq!(parse_size("4G"), Some(4_000_000_000));
        assert_eq!(parse_size("1.5 M"), Some(1_500_000));
        assert_eq!(parse_size("512k"), Some(512_000));
        assert_eq!(parse_size("1000"), Some(1000));
        for bad in ["", "G", "-1G", "lots", "1e30", "nanG"] {
            assert_eq!(parse_size(bad), None, "{bad}");
        }
    }
}
