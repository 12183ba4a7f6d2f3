//! Every WGSL module parses and validates with naga; no GPU needed.

use ising_wgpu::shaders::{ALL, Multiply};

/// A validator with the capabilities the kernel needs: 64-bit integers for the 64-bit multiply,
/// compute-stage subgroup operations where it uses them.
fn validator(kernel: &ising_wgpu::shaders::Kernel, multiply: Multiply) -> naga::valid::Validator {
    use naga::valid::{Capabilities, SubgroupOperationSet, Validator};
    let mut capabilities = Capabilities::empty();
    if multiply == Multiply::Int64 {
        capabilities |= Capabilities::SHADER_INT64;
    }
    if kernel.needs_subgroups() {
        capabilities |= Capabilities::SUBGROUP;
    }
    let mut validator = Validator::new(naga::valid::ValidationFlags::all(), capabilities);
    if kernel.needs_subgroups() {
        validator
            .subgroup_stages(naga::valid::ShaderStages::COMPUTE)
            .subgroup_operations(SubgroupOperationSet::all());
    }
    validator
}

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
        validator(kernel, multiply)
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

/// The group-0 bindings the WGSL module declares: binding -> (name, address space).
fn declared_bindings(module: &naga::Module) -> Vec<(u32, String, naga::AddressSpace)> {
    let mut bindings: Vec<_> = module
        .global_variables
        .iter()
        .filter_map(|(_, var)| {
            let binding = var.binding.as_ref()?;
            assert_eq!(binding.group, 0, "{:?} is outside group 0", var.name);
            Some((binding.binding, var.name.clone()?, var.space))
        })
        .collect();
    bindings.sort_by_key(|b| b.0);
    bindings
}

#[test]
fn every_kernel_declares_the_bindings_the_host_binds() {
    use ising_wgpu::shaders::Access;
    for kernel in ALL {
        let module = naga::front::wgsl::parse_str(&kernel.source(Multiply::Emulated)).unwrap();
        let declared = declared_bindings(&module);
        let first = kernel.first_storage_binding();
        let mut want: Vec<(u32, String, naga::AddressSpace)> = Vec::new();
        if first == 1 {
            want.push((0, "p".into(), naga::AddressSpace::Uniform));
        }
        for (k, binding) in kernel.bindings.iter().enumerate() {
            let access = match binding.access {
                Access::Read => naga::StorageAccess::LOAD,
                Access::ReadWrite => naga::StorageAccess::LOAD | naga::StorageAccess::STORE,
            };
            want.push((
                first + k as u32,
                binding.name.into(),
                naga::AddressSpace::Storage { access },
            ));
        }
        assert_eq!(declared, want, "{} ({})", kernel.name, kernel.entry);
    }
}
