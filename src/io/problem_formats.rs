//! Problem files ([`crate::problem::Problem`]): Gset MaxCut graphs (`N E`, then `i j w` a line,
//! 1-based), dimod's COO text (`i j bias` a line, `i i bias` for linear terms, an optional
//! `# vartype=SPIN|BINARY` line) and our model JSON.

use std::path::Path;

use super::{parse_model_json, read_text};
use crate::error::{Error, Result, shown};
use crate::problem::{Problem, Vartype};

/// The format of a problem file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProblemFormat {
    /// Gset MaxCut: `N E`, then `i j w` a line, nodes 1-based.
    Gset,
    /// dimod's COO: `i j bias` a line (0-based), `i i bias` linear; `# vartype=SPIN|BINARY`.
    Coo,
    /// Our model JSON ([`crate::io::read_model_json`]); its energy without beta.
    Json,
}

impl ProblemFormat {
    /// The format named `gset`, `coo` or `json`.
    pub fn from_name(name: &str) -> Option<Self> {
        match name {
            "gset" => Some(ProblemFormat::Gset),
            "coo" => Some(ProblemFormat::Coo),
            "json" => Some(ProblemFormat::Json),
            _ => None,
        }
    }

    /// The format of `text` read from `path`: JSON by extension or a leading `{`, Gset when the first
    /// line that is not a comment holds two numbers, COO otherwise.
    pub fn detect(path: &Path, text: &str) -> Self {
        let first = text
            .lines()
            .map(str::trim)
            .find(|l| !l.is_empty() && !l.starts_with('#'));
        if path.extension().is_some_and(|e| e == "json") || text.trim_start().starts_with('{') {
            ProblemFormat::Json
        } else if first.is_some_and(|l| l.split_whitespace().count() == 2) {
            ProblemFormat::Gset
        } else {
            ProblemFormat::Coo
        }
    }
}

/// Reads the problem in `path`, in `format` or the one [`ProblemFormat::detect`] finds; COO files
/// without a vartype line take `vartype` (spins when `None`).
pub fn read_problem(
    path: impl AsRef<Path>,
    format: Option<ProblemFormat>,
    vartype: Option<Vartype>,
) -> Result<Problem> {
    let path = path.as_ref();
    let text = read_text(path)?;
    let name = path.display().to_string();
    match format.unwrap_or_else(|| ProblemFormat::detect(path, &text)) {
        ProblemFormat::Gset => parse_gset(&text, &name),
        ProblemFormat::Coo => parse_coo(&text, &name, vartype),
        ProblemFormat::Json => Problem::from_model(&parse_model_json(&text, &name)?),
    }
}

/// The numbered lines of `text` that hold data (not blank, not `#` comments), trimmed.
fn data_lines(text: &str) -> impl Iterator<Item = (usize, &str)> {
    text.lines()
        .enumerate()
        .map(|(k, l)| (k + 1, l.trim()))
        .filter(|(_, l)| !l.is_empty() && !l.starts_with('#'))
}

/// A parse error at `line` of `source_name`.
fn fail(source_name: &str, line: usize, message: impl Into<String>) -> Error {
    Error::Parse {
        source_name: source_name.to_string(),
        line,
        message: message.into(),
    }
}

/// `i j value` of one line: two node indices and a finite number.
fn term(source_name: &str, line: usize, text: &str) -> Result<(u64, u64, f64)> {
    let fields: Vec<&str> = text.split_whitespace().collect();
    let [i, j, v] = fields.as_slice() else {
        return Err(fail(
            source_name,
            line,
            format!(
                "expected 'i j value' (three fields), found {} fields",
                fields.len()
            ),
        ));
    };
    let index = |f: &str| {
        f.parse::<u64>().map_err(|_| {
            fail(
                source_name,
                line,
                format!("'{}' is not a non-negative integer", shown(f)),
            )
        })
    };
    let value = v
        .parse::<f64>()
        .ok()
        .filter(|v| v.is_finite())
        .ok_or_else(|| {
            fail(
                source_name,
                line,
                format!("'{}' is not a finite number", shown(v)),
            )
        })?;
    Ok((index(i)?, index(j)?, value))
}

/// Parses a Gset MaxCut graph (see [`ProblemFormat::Gset`]); errors name the line.
pub fn parse_gset(text: &str, source_name: &str) -> Result<Problem> {
    let mut lines = data_lines(text);
    let (header_line, header) = lines
        .next()
        .ok_or_else(|| fail(source_name, 0, "no header line 'N E'"))?;
    let counts: Vec<u64> = header
        .split_whitespace()
        .map(str::parse)
        .collect::<std::result::Result<_, _>>()
        .map_err(|_| {
            fail(
                source_name,
                header_line,
                format!("header '{}' is not 'N E'", shown(header)),
            )
        })?;
    let [n, m] = counts[..] else {
        return Err(fail(
            source_name,
            header_line,
            format!("header '{}' is not 'N E'", shown(header)),
        ));
    };
    if n == 0 || n > u64::from(u32::MAX) {
        return Err(fail(
            source_name,
            header_line,
            format!("{n} nodes: give 1 to 2^32 - 1"),
        ));
    }
    let mut edges = Vec::new();
    for (line, text) in lines {
        let (i, j, w) = term(source_name, line, text)?;
        for v in [i, j] {
            if v == 0 || v > n {
                return Err(fail(
                    source_name,
                    line,
                    format!("node {v} is outside 1..={n} (Gset nodes are 1-based)"),
                ));
            }
        }
        if i == j {
            return Err(fail(
                source_name,
                line,
                format!("edge ({i}, {j}) is a self-loop"),
            ));
        }
        edges.push(((i - 1) as u32, (j - 1) as u32, w));
    }
    if edges.len() as u64 != m {
        return Err(fail(
            source_name,
            header_line,
            format!(
                "the header announces {m} edges, the file has {}",
                edges.len()
            ),
        ));
    }
    Problem::max_cut(n as usize, &edges)
}

/// Parses dimod's COO text (see [`ProblemFormat::Coo`]); variables are `0..=max index`. The file's
/// `# vartype=` line wins over `vartype`; with neither, spins. Errors name the line.
pub fn parse_coo(text: &str, source_name: &str, vartype: Option<Vartype>) -> Result<Problem> {
    let mut file_vartype = None;
    for (line, l) in text.lines().enumerate() {
        let l = l.trim();
        let Some(comment) = l.strip_prefix('#') else {
            continue;
        };
        if let Some(v) = comment.trim().strip_prefix("vartype") {
            let name = v
                .trim_start()
                .strip_prefix('=')
                .map(str::trim)
                .unwrap_or("");
            file_vartype = Some(match name.to_ascii_uppercase().as_str() {
                "SPIN" => Vartype::Spin,
                "BINARY" => Vartype::Binary,
                _ => {
                    return Err(fail(
                        source_name,
                        line + 1,
                        format!("vartype '{}' is neither SPIN nor BINARY", shown(name)),
                    ));
                }
            });
        }
    }
    let mut terms = Vec::new();
    let mut num_vars = 0u64;
    for (line, text) in data_lines(text) {
        let (i, j, v) = term(source_name, line, text)?;
        if i.max(j) >= u64::from(u32::MAX) {
            return Err(fail(
                source_name,
                line,
                format!("variable {} is past 2^32 - 2", i.max(j)),
            ));
        }
        num_vars = num_vars.max(i.max(j) + 1);
        terms.push((i as u32, j as u32, v));
    }
    if terms.is_empty() {
        return Err(fail(source_name, 0, "no 'i j bias' lines"));
    }
    let vartype = file_vartype.or(vartype).unwrap_or(Vartype::Spin);
    Problem::quadratic(num_vars as usize, vartype, &terms, 0.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(result: Result<Problem>) -> String {
        result.unwrap_err().to_string()
    }

    #[test]
    fn gset_graphs_become_max_cuts() {
        let p = parse_gset("3 3\n1 2 1\n2 3 1\n1 3 -1\n", "g").unwrap();
        assert!(p.is_max_cut());
        assert_eq!(p.model().num_nodes(), 3);
        // s = (+, -, +): edges (1,2) and (2,3) are cut.
        assert_eq!(p.cut(p.energy(&[1, -1, 1]).unwrap()), Some(2.0));
        assert!(
            err(parse_gset("3 2\n1 2 1\n", "g.txt"))
                .contains("g.txt, line 1: the header announces 2 edges, the file has 1")
        );
        assert!(err(parse_gset("3 1\n1 4 1\n", "g")).contains("line 2: node 4 is outside 1..=3"));
        assert!(err(parse_gset("3 1\n0 2 1\n", "g")).contains("line 2: node 0 is outside"));
        assert!(
            err(parse_gset("3 1\n2 2 1\n", "g")).contains("line 2: edge (2, 2) is a self-loop")
        );
        assert!(
            err(parse_gset("3 1\n1 2 x\n", "g")).contains("line 2: 'x' is not a finite number")
        );
        assert!(err(parse_gset("3 1\n1 2\n", "g")).contains("line 2: expected 'i j value'"));
        assert!(err(parse_gset("3\n", "g")).contains("line 1: header '3' is not 'N E'"));
        assert!(err(parse_gset("", "g")).contains("no header"));
    }

    #[test]
    fn coo_reads_vartypes_and_sums_repeats() {
        let spin = parse_coo("0 0 0.5\n0 1 -1\n1 0 -1\n", "c", None).unwrap();
        assert_eq!(spin.vartype(), Vartype::Spin);
        assert_eq!(spin.model().num_edges(), 1);
        assert_eq!(spin.energy(&[1, 1]).unwrap(), 0.5 - 2.0);
        let binary = parse_coo("# vartype=BINARY\n0 0 1\n1 1 1\n0 1 -2\n", "c", None).unwrap();
        assert_eq!(binary.vartype(), Vartype::Binary);
        assert_eq!(binary.energy(&[-1, -1]).unwrap(), 0.0);
        assert_eq!(binary.energy(&[1, 1]).unwrap(), 0.0);
        assert_eq!(binary.energy(&[1, -1]).unwrap(), 1.0);
        let flagged = parse_coo("0 1 1\n", "c", Some(Vartype::Binary)).unwrap();
        assert_eq!(flagged.vartype(), Vartype::Binary);
        assert!(
            err(parse_coo("# vartype=INT\n0 1 1\n", "c", None))
                .contains("c, line 1: vartype 'INT'")
        );
        assert!(
            err(parse_coo("0 1 1\n0 -1 2\n", "c", None))
                .contains("line 2: '-1' is not a non-negative integer")
        );
        assert!(
            err(parse_coo("0 1 inf\n", "c", None)).contains("line 1: 'inf' is not a finite number")
        );
        assert!(err(parse_coo("# nothing\n", "c", None)).contains("no 'i j bias' lines"));
    }

    #[test]
    fn formats_are_detected() {
        let p = Path::new("x.txt");
        assert_eq!(
            ProblemFormat::detect(p, "800 1600\n1 2 1\n"),
            ProblemFormat::Gset
        );
        assert_eq!(
            ProblemFormat::detect(p, "# vartype=SPIN\n0 1 1\n"),
            ProblemFormat::Coo
        );
        assert_eq!(
            ProblemFormat::detect(Path::new("m.json"), ""),
            ProblemFormat::Json
        );
        assert_eq!(
            ProblemFormat::detect(p, " {\"num_nodes\": 2}"),
            ProblemFormat::Json
        );
        assert_eq!(ProblemFormat::from_name("coo"), Some(ProblemFormat::Coo));
        assert_eq!(ProblemFormat::from_name("csv"), None);
    }
}
