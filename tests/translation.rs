//! Every kernel, in every variant the host builds, translates with naga to the shading language of
//! each backend wgpu drives: SPIR-V (Vulkan), MSL (Metal), HLSL (DX12) and GLSL (GL). No device is
//! needed, so a kernel that would fail on a backend this machine lacks fails here.

use ising_wgpu::shaders::{ALL, Kernel, Multiply};
use naga::back::{glsl, hlsl, msl, spv};
use naga::valid::{Capabilities, ModuleInfo, ValidationFlags, Validator};

/// The backends, as wgpu drives them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Target {
    SpirV,
    Msl,
    Hlsl,
    Glsl,
}

const TARGETS: [Target; 4] = [Target::SpirV, Target::Msl, Target::Hlsl, Target::Glsl];

impl Target {
    /// Whether the backend's language has 64-bit integers (wgpu's GL backend never offers
    /// `SHADER_INT64`, so the host builds the emulated multiply there).
    fn has_int64(self) -> bool {
        self != Target::Glsl
    }
}

/// Pipeline constants from name-value pairs.
fn constants(pairs: &[(&str, f64)]) -> naga::back::PipelineConstants {
    let mut set = naga::back::PipelineConstants::default();
    for (name, value) in pairs {
        set.insert(name.to_string(), *value);
    }
    set
}

/// The pipeline-overridable constants each build of `kernel` sets: the workgroup sizes the host
/// plans with, and for the general kernel both ways of reading its CSR.
fn override_sets(kernel: &Kernel) -> Vec<naga::back::PipelineConstants> {
    if kernel.first_storage_binding() == 0 {
        // Without the common snippet (Philox's known answers): a fixed workgroup size.
        return vec![constants(&[])];
    }
    let mut sets = Vec::new();
    for size in [32.0, 64.0, 256.0] {
        let splits: &[Option<f64>] = if kernel.entry == "general" {
            &[Some(0.0), Some(1.0)]
        } else {
            &[None]
        };
        for split in splits {
            let mut set = constants(&[("WORKGROUP_SIZE", size)]);
            if let Some(split) = split {
                set.insert("SPLIT_ADJACENCY".to_string(), *split);
            }
            sets.push(set);
        }
    }
    sets
}

/// `kernel`'s module with `multiply`, validated, with the constants of `set` substituted.
fn specialised(
    kernel: &Kernel,
    multiply: Multiply,
    set: &naga::back::PipelineConstants,
) -> (naga::Module, ModuleInfo) {
    let source = kernel.source(multiply);
    let module = naga::front::wgsl::parse_str(&source).expect("parses (tests/shaders.rs)");
    let capabilities = match multiply {
        Multiply::Emulated => Capabilities::empty(),
        Multiply::Int64 => Capabilities::SHADER_INT64,
    };
    let info = Validator::new(ValidationFlags::all(), capabilities)
        .validate(&module)
        .expect("validates (tests/shaders.rs)");
    let entry = Some((naga::ShaderStage::Compute, kernel.entry));
    let (module, info) =
        naga::back::pipeline_constants::process_overrides(&module, &info, entry, set)
            .unwrap_or_else(|e| panic!("{} {set:?}: {e}", kernel.entry));
    (module.into_owned(), info.into_owned())
}

/// Translates one specialised module to `target`; the error says why the backend refused it.
fn translate(
    target: Target,
    kernel: &Kernel,
    multiply: Multiply,
    module: &naga::Module,
    info: &ModuleInfo,
) -> Result<String, String> {
    let entry = kernel.entry.to_string();
    match target {
        Target::SpirV => {
            let options = spv::Options {
                lang_version: (1, 3),
                ..spv::Options::default()
            };
            let pipeline = spv::PipelineOptions {
                shader_stage: naga::ShaderStage::Compute,
                entry_point: entry,
            };
            spv::write_vec(module, info, &options, Some(&pipeline))
                .map(|words| format!("{} words", words.len()))
                .map_err(|e| e.to_string())
        }
        Target::Msl => {
            let options = msl::Options {
                lang_version: (2, 3),
                fake_missing_bindings: true,
                ..msl::Options::default()
            };
            let pipeline = msl::PipelineOptions {
                entry_point: Some((naga::ShaderStage::Compute, entry)),
                ..msl::PipelineOptions::default()
            };
            msl::write_string(module, info, &options, &pipeline)
                .map(|(text, _)| text)
                .map_err(|e| e.to_string())
        }
        Target::Hlsl => {
            let options = hlsl::Options {
                // DX12 needs shader model 6.0 for 64-bit integers (wgpu asks DXC for it).
                shader_model: match multiply {
                    Multiply::Emulated => hlsl::ShaderModel::V5_1,
                    Multiply::Int64 => hlsl::ShaderModel::V6_0,
                },
                fake_missing_bindings: true,
                ..hlsl::Options::default()
            };
            let pipeline = hlsl::PipelineOptions {
                entry_point: Some((naga::ShaderStage::Compute, entry)),
            };
            let mut text = String::new();
            hlsl::Writer::new(&mut text, &options, &pipeline)
                .write(module, info, None)
                .map(|_| text)
                .map_err(|e| e.to_string())
        }
        Target::Glsl => {
            // wgpu's GL backend: GLSL ES 3.10 compute, one entry point per program.
            let options = glsl::Options {
                version: glsl::Version::new_gles(310),
                ..glsl::Options::default()
            };
            let pipeline = glsl::PipelineOptions {
                shader_stage: naga::ShaderStage::Compute,
                entry_point: entry,
                multiview: None,
            };
            let mut text = String::new();
            glsl::Writer::new(
                &mut text,
                module,
                info,
                &options,
                &pipeline,
                naga::proc::BoundsCheckPolicies::default(),
            )
            .and_then(|mut writer| writer.write())
            .map(|_| text)
            .map_err(|e| e.to_string())
        }
    }
}

/// Whether the kernel's source uses 64-bit integers (only kernels that draw random numbers, with the
/// 64-bit multiply).
fn uses_int64(kernel: &Kernel, multiply: Multiply) -> bool {
    kernel.source(multiply).contains("u64")
}

#[test]
fn every_kernel_variant_translates_to_every_backend_with_the_multiply_it_gets() {
    let mut translated = 0;
    for kernel in &ALL {
        for multiply in Multiply::ALL {
            for set in override_sets(kernel) {
                let (module, info) = specialised(kernel, multiply, &set);
                for target in TARGETS {
                    let result = translate(target, kernel, multiply, &module, &info);
                    let what = format!(
                        "{} ({}) {multiply:?} {set:?} to {target:?}",
                        kernel.name, kernel.entry
                    );
                    if uses_int64(kernel, multiply) && !target.has_int64() {
                        // The backend lacks 64-bit integers: the host must not build this variant
                        // there, and the emulated one (checked in the same loop) stands in.
                        assert!(
                            result.is_err(),
                            "{what} translated, but GL has no 64-bit integers"
                        );
                        continue;
                    }
                    let text = result.unwrap_or_else(|e| panic!("{what}: {e}"));
                    assert!(!text.is_empty(), "{what} is empty");
                    translated += 1;
                }
            }
        }
    }
    // Per multiply, 43 builds: 3 workgroup sizes of 11 kernels with the common snippet (the 3
    // general ones with two CSR layouts: 14 builds a size) and Philox's known answers once; each to
    // 4 backends, less GLSL for the 31 builds with the 64-bit multiply (general 18, lattice 3,
    // site-packed's three entry points 9, known answers 1).
    assert_eq!(translated, 2 * 43 * 4 - 31);
}

#[test]
fn the_workgroup_size_reaches_the_translated_kernel() {
    let kernel = &ALL[0];
    for size in [32.0, 256.0] {
        let set = constants(&[("WORKGROUP_SIZE", size), ("SPLIT_ADJACENCY", 0.0)]);
        let (module, info) = specialised(kernel, Multiply::Emulated, &set);
        let msl = translate(Target::Msl, kernel, Multiply::Emulated, &module, &info).unwrap();
        let glsl = translate(Target::Glsl, kernel, Multiply::Emulated, &module, &info).unwrap();
        let local = format!("local_size_x = {size}");
        assert!(glsl.contains(&local), "GLSL lacks {local}");
        // MSL takes the workgroup size at dispatch; the entry point must still exist.
        assert!(msl.contains("kernel void"), "MSL has no kernel");
    }
}
