//! Edge-list graphs: `#` comment lines, then `num_nodes num_edges`, then one `i j` edge a line (0-based).

use std::path::Path;

use super::read_text;
use crate::error::{Error, Result, shown};

/// A graph read from an edge list.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EdgeList {
    /// Number of nodes.
    pub num_nodes: usize,
    /// The edges, in file order.
    pub edges: Vec<(u32, u32)>,
}

/// Reads an edge-list file such as `data/pegasus14.edges`.
pub fn read_edge_list(path: impl AsRef<Path>) -> Result<EdgeList> {
    let path = path.as_ref();
    parse_edge_list(&read_text(path)?, &path.display().to_string())
}

/// Parses an edge list's text, naming `source_name` and the line in errors.
pub fn parse_edge_list(text: &str, source_name: &str) -> Result<EdgeList> {
    let fail = |line: usize, message: String| Error::Parse {
        source_name: source_name.to_string(),
        line,
        message,
    };
    let mut lines = text
        .lines()
        .enumerate()
        .map(|(k, l)| (k + 1, l.trim()))
        .filter(|(_, l)| !l.is_empty() && !l.starts_with('#'));
    let pair = |line: usize, text: &str, what: &str| -> Result<(u64, u64)> {
        let fields: Vec<&str> = text.split_whitespace().collect();
        let parse = |f: &str| {
            f.parse::<u64>().map_err(|_| {
                fail(
                    line,
                    format!("{what}: '{}' is not a non-negative integer", shown(f)),
                )
            })
        };
        match fields.as_slice() {
            [a, b] => Ok((parse(a)?, parse(b)?)),
            _ => Err(fail(
                line,
                format!("expected {what} (two integers), found '{}'", shown(text)),
            )),
        }
    };
    let (header_line, header) = lines
        .next()
        .ok_or_else(|| fail(0, "no header line 'num_nodes num_edges'".into()))?;
    let (num_nodes, num_edges) = pair(header_line, header, "'num_nodes num_edges'")?;
    let mut edges = Vec::new();
    for (line, text) in lines {
        let (i, j) = pair(line, text, "an edge 'i j'")?;
        if i >= num_nodes || j >= num_nodes {
            return Err(fail(
                line,
                format!("edge ({i}, {j}) names a node outside 0..{num_nodes}"),
            ));
        }
        edges.push((i as u32, j as u32));
    }
    if edges.len() as u64 != num_edges {
        return Err(fail(
            header_line,
            format!(
                "the header announces {num_edges} edges, the file has {}",
                edges.len()
            ),
        ));
    }
    let num_nodes = u32::try_from(num_nodes)
        .map_err(|_| fail(header_line, format!("{num_nodes} nodes is more than 2^32")))?;
    Ok(EdgeList {
        num_nodes: num_nodes as usize,
        edges,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_reports_lines() {
        let g = parse_edge_list("# a\n# b\n3 2\n0 1\n1 2\n", "g").unwrap();
        assert_eq!(
            g,
            EdgeList {
                num_nodes: 3,
                edges: vec![(0, 1), (1, 2)]
            }
        );
        let err = |t: &str| parse_edge_list(t, "g.edges").unwrap_err().to_string();
        assert!(err("3 2\n0 1\n1 x\n").contains("g.edges, line 3: an edge 'i j': 'x' is not"));
        assert!(err("3 2\n0 1\n1 3\n").contains("line 3: edge (1, 3) names a node outside 0..3"));
        assert!(
            err("3 3\n0 1\n1 2\n").contains("line 1: the header announces 3 edges, the file has 2")
        );
        assert!(err("3\n").contains("line 1: expected 'num_nodes num_edges'"));
        assert!(err("# only\n").contains("no header"));
    }
}
