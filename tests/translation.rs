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
        let splits: &[Option<f64>] = if kernel.entry.starts_with("general") {
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
    let mut capabilities = match multiply {
        Multiply::Emulated => Capabilities::empty(),
        Multiply::Int64 => Capabilities::SHADER_INT64,
    };
    if kernel.needs_subgroups() {
        capabilities |= Capabilities::SUBGROUP;
    }
    let mut validator = Validator::new(ValidationFlags::all(), capabilities);
    validator
        .subgroup_stages(naga::valid::ShaderStages::COMPUTE)
        .subgroup_operations(naga::valid::SubgroupOperationSet::all());
    let info = validator
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
    entry: &str,
    needs_sm6: bool,
    module: &naga::Module,
    info: &ModuleInfo,
) -> Result<String, String> {
    let entry = entry.to_string();
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
                // DX12 needs shader model 6.0 for 64-bit integers and wave (subgroup) operations.
                shader_model: if needs_sm6 {
                    hlsl::ShaderModel::V6_0
                } else {
                    hlsl::ShaderModel::V5_1
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
                let needs_sm6 = multiply == Multiply::Int64 || kernel.needs_subgroups();
                for target in TARGETS {
                    let what = format!(
                        "{} ({}) {multiply:?} {set:?} to {target:?}",
                        kernel.name, kernel.entry
                    );
                    if kernel.needs_subgroups() && target == Target::Glsl {
                        // wgpu's GL backend offers no subgroups: the workgroup-memory variant runs there.
                        continue;
                    }
                    let result = translate(target, kernel.entry, needs_sm6, &module, &info);
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
    // Per multiply, 67 builds: 3 workgroup sizes of 17 kernels with the common snippet (the 5
    // general ones with two CSR layouts: 22 builds a size) and Philox's known answers once; each to
    // 4 backends, less GLSL for the 6 subgroup builds and, with the 64-bit multiply, for the 40
    // other builds that use it (general 24, lattice's two entry points 6, site-packed's three 9,
    // known answers 1).
    assert_eq!(translated, 2 * 67 * 4 - 2 * 6 - 40);
}

#[test]
fn the_workgroup_size_reaches_the_translated_kernel() {
    let kernel = &ALL[0];
    for size in [32.0, 256.0] {
        let set = constants(&[("WORKGROUP_SIZE", size), ("SPLIT_ADJACENCY", 0.0)]);
        let (module, info) = specialised(kernel, Multiply::Emulated, &set);
        let msl = translate(Target::Msl, kernel.entry, false, &module, &info).unwrap();
        let glsl = translate(Target::Glsl, kernel.entry, false, &module, &info).unwrap();
        let local = format!("local_size_x = {size}");
        assert!(glsl.contains(&local), "GLSL lacks {local}");
        // MSL takes the workgroup size at dispatch; the entry point must still exist.
        assert!(msl.contains("kernel void"), "MSL has no kernel");
    }
}

/// The WGSL an application includes, in a module of the shape it would write, and the spin image.
fn application_modules() -> Vec<(String, &'static str)> {
    let chain_major = format!(
        "{}\n{}",
        ising_wgpu::CHAIN_MAJOR_SPIN_WGSL,
        r#"
@group(0) @binding(0) var<storage, read> ising_spins: array<u32>;
@group(0) @binding(1) var<storage, read_write> out: array<i32>;
@compute @workgroup_size(64)
fn copy_spins(@builtin(global_invocation_id) id: vec3<u32>) {
    out[id.x] = ising_spin(id.x / 40u, id.x % 40u, 2u);
}
"#
    );
    let spin_image = format!(
        "{}\n{}",
        ising_wgpu::SITE_PACKED_SPIN_WGSL,
        include_str!("../src/render/spin_image.wgsl")
    );
    vec![(chain_major, "copy_spins"), (spin_image, "spin_image")]
}

#[test]
fn the_spin_snippets_and_the_spin_image_translate_to_every_backend() {
    for (source, entry) in application_modules() {
        let module = naga::front::wgsl::parse_str(&source)
            .unwrap_or_else(|e| panic!("{entry}: {}", e.emit_to_string(&source)));
        let info = Validator::new(ValidationFlags::all(), Capabilities::empty())
            .validate(&module)
            .unwrap_or_else(|e| panic!("{entry}: {}", e.emit_to_string(&source)));
        for target in TARGETS {
            let text = translate(target, entry, false, &module, &info)
                .unwrap_or_else(|e| panic!("{entry} to {target:?}: {e}"));
            assert!(!text.is_empty());
        }
    }
}
