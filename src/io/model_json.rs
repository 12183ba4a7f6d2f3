//! The model file: `{"num_nodes": n, "edges": [[i, j], ...], "weights": [...], "biases": [...], "beta": b}`.

use std::path::Path;

use serde::{Deserialize, Serialize};

use super::{read_text, write_atomically};
use crate::error::{Error, Result, check_finite};
use crate::model::IsingModel;

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct ModelFile {
    num_nodes: u64,
    edges: Vec<[u64; 2]>,
    weights: Vec<f64>,
    biases: Vec<f64>,
    beta: f64,
}

/// Reads and validates a model file.
pub fn read_model_json(path: impl AsRef<Path>) -> Result<IsingModel> {
    let path = path.as_ref();
    parse_model_json(&read_text(path)?, &path.display().to_string())
}

/// Parses and validates model JSON; `source_name` names the input in errors.
///
/// ```
/// let m = ising_wgpu::io::parse_model_json(
///     r#"{"num_nodes": 2, "edges": [[0, 1]], "weights": [0.5], "biases": [0, 0], "beta": 1}"#, "inline")?;
/// assert_eq!(m.edges(), &[(0, 1)]);
/// let e = ising_wgpu::io::parse_model_json(r#"{"num_nodes": 2}"#, "inline").unwrap_err();
/// assert!(e.to_string().contains("missing field `edges`"));
/// # Ok::<(), ising_wgpu::Error>(())
/// ```
pub fn parse_model_json(text: &str, source_name: &str) -> Result<IsingModel> {
    let file: ModelFile = serde_json::from_str(text).map_err(|e| Error::Parse {
        source_name: source_name.to_string(),
        line: e.line(),
        message: with_suggestion(e.to_string()),
    })?;
    let num_nodes = usize::try_from(file.num_nodes)
        .map_err(|_| Error::invalid("num_nodes", format!("{} is too large", file.num_nodes)))?;
    let edges = file
        .edges
        .iter()
        .enumerate()
        .map(|(k, &[i, j])| match (u32::try_from(i), u32::try_from(j)) {
            (Ok(a), Ok(b)) => Ok((a, b)),
            _ => Err(Error::EdgeNodeOutOfRange {
                edge: k,
                i,
                j,
                node: i.max(j),
                num_nodes,
            }),
        })
        .collect::<Result<Vec<_>>>()?;
    let weights = to_f32("weights", &file.weights)?;
    let biases = to_f32("biases", &file.biases)?;
    let beta = narrow(&|| "beta".to_string(), file.beta)?;
    IsingModel::new(num_nodes, edges, weights, biases, beta)
}

/// The keys of a model file.
const KEYS: [&str; 5] = ["num_nodes", "edges", "weights", "biases", "beta"];

/// serde's message, with "did you mean" for an unknown key that is a near miss of a known one (the
/// same but for case, or at most two edits away).
fn with_suggestion(message: String) -> String {
    let unknown = message
        .strip_prefix("unknown field `")
        .and_then(|rest| rest.split('`').next());
    let near = unknown.and_then(|key| {
        KEYS.iter()
            .map(|known| (edits(&key.to_lowercase(), known), known))
            .filter(|&(d, _)| d <= 2)
            .min()
    });
    match near {
        Some((_, known)) => format!("{message}; did you mean `{known}`?"),
        None => message,
    }
}

/// The edit (Levenshtein) distance between `a` and `b`.
fn edits(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, &cb) in b.iter().enumerate() {
            let substitute = diagonal + usize::from(ca != cb);
            diagonal = row[j + 1];
            row[j + 1] = substitute.min(row[j] + 1).min(row[j + 1] + 1);
        }
    }
    row[b.len()]
}

fn to_f32(what: &str, values: &[f64]) -> Result<Vec<f32>> {
    values
        .iter()
        .enumerate()
        .map(|(k, &v)| narrow(&|| format!("{what}[{k}]"), v))
        .collect()
}

/// Converts to `f32`, rejecting NaN, infinities and values that overflow `f32`.
fn narrow(name: &dyn Fn() -> String, v: f64) -> Result<f32> {
    check_finite(name, v)?;
    let narrow = v as f32;
    check_finite(|| format!("{} (overflows f32)", name()), f64::from(narrow))?;
    Ok(narrow)
}

/// The model as pretty-printed model-file JSON.
pub fn model_to_json(model: &IsingModel) -> String {
    let file = ModelFile {
        num_nodes: model.num_nodes() as u64,
        edges: model
            .edges()
            .iter()
            .map(|&(i, j)| [u64::from(i), u64::from(j)])
            .collect(),
        weights: model.weights().iter().map(|&w| f64::from(w)).collect(),
        biases: model.biases().iter().map(|&b| f64::from(b)).collect(),
        beta: f64::from(model.beta()),
    };
    serde_json::to_string_pretty(&file).expect("a model always serialises")
}

/// Writes the model file (through a temporary file, so a failure never truncates an old one).
pub fn write_model_json(path: impl AsRef<Path>, model: &IsingModel) -> Result<()> {
    write_atomically(path.as_ref(), model_to_json(model).as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_names_bad_fields() {
        let m = IsingModel::new(
            3,
            vec![(0, 1), (2, 1)],
            vec![0.5, -1.25],
            vec![0.0, 1.0, -2.0],
            0.75,
        )
        .unwrap();
        assert_eq!(parse_model_json(&model_to_json(&m), "x").unwrap(), m);
        let err = |text: &str| parse_model_json(text, "m.json").unwrap_err().to_string();
        let e = err(
            r#"{"num_nodes": 2, "edges": [[0, 1]], "weights": [1e300], "biases": [0, 0], "beta": 1}"#,
        );
        assert!(e.contains("weights[0] (overflows f32)"), "{e}");
        let e = err(
            r#"{"num_nodes": 2, "edges": [[0, 5000000000]], "weights": [1], "biases": [0, 0], "beta": 1}"#,
        );
        assert!(
            e.contains("edge 0 (0, 5000000000) names node 5000000000"),
            "{e}"
        );
        let e = err(
            "{\"num_nodes\": 2,\n \"edges\": [[0, 1]], \"weights\": [1], \"biases\": [0, 0], \"beta\": \"hot\"}",
        );
        assert!(e.starts_with("m.json, line 2: invalid type"), "{e}");
        let e =
            err(r#"{"num_nodes": 2, "edges": [[0, 1]], "weights": [1], "biases": [0], "beta": 1}"#);
        assert!(e.contains("biases has length 1, expected 2"), "{e}");
    }

    #[test]
    fn unknown_keys_are_errors_naming_the_key_and_a_near_miss() {
        let text = r#"{"num_nodes": 2, "edges": [[0, 1]], "weights": [0.5], "biases": [0, 0], "beta": 1, "Beta": 2}"#;
        let e = parse_model_json(text, "m.json").unwrap_err().to_string();
        assert!(e.starts_with("m.json, line 1: unknown field `Beta`"), "{e}");
        assert!(e.ends_with("did you mean `beta`?"), "{e}");
        let far = text.replace("\"Beta\"", "\"temperature\"");
        let e = parse_model_json(&far, "m.json").unwrap_err().to_string();
        assert!(
            e.contains("unknown field `temperature`") && !e.contains("did you mean"),
            "{e}"
        );
        let typo = text
            .replace(", \"Beta\": 2", "")
            .replace("\"weights\"", "\"wieghts\"");
        let e = parse_model_json(&typo, "m.json").unwrap_err().to_string();
        assert!(e.contains("did you mean `weights`?"), "{e}");
        assert_eq!(edits("kitten", "sitting"), 3);
    }
}
