//! Edge lists: any text parses to edges within the announced nodes, as many as announced, or an error.
#![no_main]

use ising_wgpu::io::parse_edge_list;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(graph) = parse_edge_list(text, "fuzz") {
        let n = graph.num_nodes as u32;
        assert!(graph.edges.iter().all(|&(i, j)| i < n && j < n));
    }
});
