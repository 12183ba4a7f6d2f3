//! Value parsers for flags whose checks clap's types cannot say: checked as the arguments are parsed,
//! before any file is read or device touched, each error naming what the flag takes (clap names
//! the flag and the value).

/// A `--threads` value: a whole number, at least 1.
pub(crate) fn thread_count(text: &str) -> Result<usize, String> {
    match text.parse::<usize>() {
        Ok(0) => Err("at least 1 thread (leave --threads out for one per core)".into()),
        Ok(threads) => Ok(threads),
        Err(_) => Err("a whole number of threads, at least 1".into()),
    }
}

/// A whole number, at least 1.
pub(crate) fn at_least_one(text: &str) -> Result<usize, String> {
    match text.parse::<usize>() {
        Ok(n) if n >= 1 => Ok(n),
        _ => Err("a whole number, at least 1".into()),
    }
}

/// A finite number (as `f64`).
pub(crate) fn finite(text: &str) -> Result<f64, String> {
    text.parse::<f64>()
        .ok()
        .filter(|v| v.is_finite())
        .ok_or_else(|| "a finite number".into())
}

/// A finite number that fits `f32`.
pub(crate) fn finite_f32(text: &str) -> Result<f32, String> {
    let v = finite(text)?;
    let narrow = v as f32;
    if narrow.is_finite() {
        Ok(narrow)
    } else {
        Err("a finite number within the range of f32".into())
    }
}

/// A finite number above 0.
pub(crate) fn positive(text: &str) -> Result<f64, String> {
    finite(text)
        .ok()
        .filter(|&v| v > 0.0)
        .ok_or_else(|| "a finite number above 0".into())
}

/// A finite number, 0 or more.
pub(crate) fn non_negative(text: &str) -> Result<f64, String> {
    finite(text)
        .ok()
        .filter(|&v| v >= 0.0)
        .ok_or_else(|| "a finite number, 0 or more".into())
}

/// A momentum: a number from 0 up to (not including) 1.
pub(crate) fn momentum(text: &str) -> Result<f64, String> {
    finite(text)
        .ok()
        .filter(|&v| (0.0..1.0).contains(&v))
        .ok_or_else(|| "a number from 0 up to (not including) 1".into())
}

/// A whole number, at least 1 (as `u64`).
pub(crate) fn at_least_u64(text: &str) -> Result<u64, String> {
    match text.parse::<u64>() {
        Ok(n) if n >= 1 => Ok(n),
        _ => Err("a whole number, at least 1".into()),
    }
}
