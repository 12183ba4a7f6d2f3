//! Every WGSL module parses and validates with naga; no GPU needed.

use ising_wgpu::shaders::ALL;

#[test]
fn every_kernel_validates() {
    for kernel in ALL {
        let source = kernel.source();
        let module = naga::front::wgsl::parse_str(&source)
            .unwrap_or_else(|e| panic!("{}: {}", kernel.name, e.emit_to_string(&source)));
        naga::valid::Validator::new(
            naga::valid::ValidationFlags::all(),
            naga::valid::Capabilities::empty(),
        )
        .validate(&module)
        .unwrap_or_else(|e| panic!("{}: {}", kernel.name, e.emit_to_string(&source)));
        assert!(
            module.entry_points.iter().any(|ep| ep.name == kernel.entry),
            "{} has no entry point {}",
            kernel.name,
            kernel.entry
        );
    }
}
