//! The shipped Pegasus P14 graph loads and colours into few independent blocks.

use ising_wgpu::graph::{Csr, colour_dsatur, validate_blocks};
use ising_wgpu::io::read_edge_list;
use ising_wgpu::{IsingModel, Lattice};

#[test]
fn pegasus_p14_colours_into_four_blocks() {
    let graph =
        read_edge_list(concat!(env!("CARGO_MANIFEST_DIR"), "/data/pegasus14.edges")).unwrap();
    assert_eq!((graph.num_nodes, graph.edges.len()), (4264, 30404));
    let m = graph.edges.len();
    let model = IsingModel::new(
        graph.num_nodes,
        graph.edges,
        vec![1.0; m],
        vec![0.0; 4264],
        1.0,
    )
    .unwrap();
    let csr = Csr::new(&model);
    assert_eq!((0..4264).map(|i| csr.neighbours(i).len()).max(), Some(15));
    let blocks = colour_dsatur(&csr, &(0..4264).collect::<Vec<_>>());
    assert_eq!(blocks.len(), 4);
    validate_blocks(&csr, &blocks, &[]).unwrap();
}

#[test]
fn bipartite_lattices_colour_into_two_blocks() {
    for lattice in [
        Lattice::square(64, 64, true).unwrap(),
        Lattice::cubic(8, 8, 8, true).unwrap(),
    ] {
        let model = lattice.model(1.0, 0.0, 1.0).unwrap();
        let csr = Csr::new(&model);
        let all: Vec<u32> = (0..lattice.num_sites() as u32).collect();
        assert_eq!(colour_dsatur(&csr, &all).len(), 2, "{:?}", lattice.dims());
    }
}
