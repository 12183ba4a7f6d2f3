//! Every WGSL module parses and validates with naga; no GPU needed.

use ising_wgpu::shaders::{ALL, Multiply};

#[test]
fn every_kernel_validates_with_either_multiply() {
    for (kernel, multiply) in ALL.iter().flat_map(|k| Multiply::ALL.map(|m| (k, m))) {
        let source = kernel.source(multiply);
        let module = naga::front::wgsl::parse_str(&source).unwrap_or_else(|e| {
            panic!(
                "{} ({multiply:?}): {}",
                kernel.name,
                e.emit_to_string(&source)
            )
        });
        naga::valid::Validator::new(
            naga::valid::ValidationFlags::all(),
            match multiply {
                Multiply::Emulated => naga::valid::Capabilities::empty(),
                Multiply::Int64 => naga::valid::Capabilities::SHADER_INT64,
            },
        )
        .validate(&module)
        .unwrap_or_else(|e| {
            panic!(
                "{} ({multiply:?}): {}",
                kernel.name,
                e.emit_to_string(&source)
            )
        });
        assert!(
            module.entry_points.iter().any(|ep| ep.name == kernel.entry),
            "{} has no entry point {}",
            kernel.name,
            kernel.entry
        );
    }
}
