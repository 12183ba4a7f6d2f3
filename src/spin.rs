//! Spin values on the host: `-1`/`+1` as `i8` (and `0`/`1` accepted on input), `true` is up.

use crate::error::{Error, Result};

/// Reads a spin given as -1/+1 or 0/1 and returns it as `true` for up, naming `what` on error.
pub(crate) fn spin_up(value: i8, what: impl FnOnce() -> String) -> Result<bool> {
    match value {
        1 => Ok(true),
        -1 | 0 => Ok(false),
        other => Err(Error::BadSpin {
            what: what(),
            value: other.to_string(),
        }),
    }
}

/// Reads a spin given as -1/+1 or 0/1 and returns it as -1.0/+1.0.
pub(crate) fn spin_from_i8(value: i8, what: impl FnOnce() -> String) -> Result<f64> {
    spin_up(value, what).map(|up| if up { 1.0 } else { -1.0 })
}

/// Parses the text of a spin ("-1", "+1", "1", "0"), naming `what` on error.
pub(crate) fn parse_spin(text: &str, what: impl FnOnce() -> String) -> Result<bool> {
    let bad = |what: String| Error::BadSpin {
        what,
        value: crate::error::shown(text),
    };
    match text.trim() {
        "1" | "+1" => Ok(true),
        "-1" | "0" => Ok(false),
        _ => Err(bad(what())),
    }
}

/// The `i8` form of a spin: +1 for up, -1 for down.
pub(crate) fn spin_i8(up: bool) -> i8 {
    if up { 1 } else { -1 }
}
