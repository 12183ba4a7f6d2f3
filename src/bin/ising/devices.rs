//! `ising devices [--json]`: every adapter wgpu finds, what of it the library uses, and what
//! `--backend auto` takes.

use ising_wgpu::{Backend, GpuContext};
use serde_json::{Value, json};

/// Arguments of `ising devices`.
#[derive(clap::Args)]
pub(crate) struct DevicesArgs {
    /// One JSON object on stdout instead of the table.
    #[arg(long)]
    json: bool,
}

/// The limits the planner and the kernels read, by wgpu's names.
fn used_limits(limits: &wgpu::Limits) -> Value {
    json!({
        "max_storage_buffer_binding_size": limits.max_storage_buffer_binding_size,
        "max_buffer_size": limits.max_buffer_size,
        "max_storage_buffers_per_shader_stage": limits.max_storage_buffers_per_shader_stage,
        "max_compute_workgroup_size_x": limits.max_compute_workgroup_size_x,
        "max_compute_invocations_per_workgroup": limits.max_compute_invocations_per_workgroup,
        "max_compute_workgroups_per_dimension": limits.max_compute_workgroups_per_dimension,
        "max_compute_workgroup_storage_size": limits.max_compute_workgroup_storage_size,
        "min_uniform_buffer_offset_alignment": limits.min_uniform_buffer_offset_alignment,
    })
}

/// One adapter as `ising devices` reports it.
fn describe(index: usize, adapter: &wgpu::Adapter, chosen: Option<&wgpu::AdapterInfo>) -> Value {
    let info = adapter.get_info();
    let features = adapter.features();
    let int64 = features.contains(wgpu::Features::SHADER_INT64);
    json!({
        "index": index,
        "name": info.name,
        "backend": format!("{:?}", info.backend).to_lowercase(),
        "device_type": format!("{:?}", info.device_type),
        "driver": info.driver,
        "driver_info": info.driver_info,
        "vendor": info.vendor,
        "device": info.device,
        "features": {
            "shader_int64": int64,
            "subgroup": features.contains(wgpu::Features::SUBGROUP),
        },
        "subgroup_sizes": [info.subgroup_min_size, info.subgroup_max_size],
        "philox_multiply": if int64 { "int64" } else { "emulated (no 64-bit integers)" },
        "limits": used_limits(&adapter.limits()),
        "gpu_choice": chosen.is_some_and(|c| same_adapter(c, &info)),
    })
}

fn same_adapter(a: &wgpu::AdapterInfo, b: &wgpu::AdapterInfo) -> bool {
    (&a.name, a.backend, a.vendor, a.device, &a.driver)
        == (&b.name, b.backend, b.vendor, b.device, &b.driver)
}

/// Runs `ising devices`.
pub(crate) fn run(args: &DevicesArgs) -> ising_wgpu::Result<String> {
    let adapters = pollster::block_on(GpuContext::adapters(wgpu::Backends::all()));
    let chosen = pollster::block_on(GpuContext::choose_adapter());
    let chosen_info = chosen.as_ref().ok().map(wgpu::Adapter::get_info);
    let reports: Vec<Value> = adapters
        .iter()
        .enumerate()
        .map(|(k, a)| describe(k, a, chosen_info.as_ref()))
        .collect();
    let gpu_choice = match &chosen {
        Ok(_) => "the high-performance adapter of Vulkan, Metal or DX12, else of GL (WGPU_BACKEND and WGPU_ADAPTER_NAME narrow it)".to_string(),
        Err(e) => e.to_string(),
    };
    let (auto_backend, notice) = Backend::auto(None);
    let auto_backend = match auto_backend {
        Backend::Gpu(ctx) => format!("gpu: {}", ctx.describe()),
        // `auto` picks a GPU or the CPU, never the ranks of an MPI job.
        _ => "cpu".to_string(),
    };
    let auto_reason = notice.unwrap_or_else(|| "a hardware adapter".to_string());
    if args.json {
        let out = json!({
            "adapters": reports,
            "gpu_choice": gpu_choice,
            "auto": {"backend": auto_backend, "reason": auto_reason},
        });
        return Ok(format!("{out:#}"));
    }
    let mut lines = Vec::new();
    if reports.is_empty() {
        lines.push("no adapters".to_string());
    }
    for r in &reports {
        let mark = if r["gpu_choice"] == true { " *" } else { "" };
        lines.push(format!(
            "[{}] {} ({}, {}){mark}",
            r["index"],
            r["name"].as_str().unwrap_or_default(),
            r["backend"].as_str().unwrap_or_default(),
            r["device_type"].as_str().unwrap_or_default()
        ));
        lines.push(format!(
            "    driver: {} {}",
            r["driver"].as_str().unwrap_or_default(),
            r["driver_info"].as_str().unwrap_or_default()
        ));
        lines.push(format!(
            "    philox multiply: {}; subgroups: {} (sizes {} to {})",
            r["philox_multiply"].as_str().unwrap_or_default(),
            r["features"]["subgroup"],
            r["subgroup_sizes"][0],
            r["subgroup_sizes"][1]
        ));
        let limits = r["limits"].as_object().into_iter().flatten();
        let limits: Vec<String> = limits.map(|(k, v)| format!("{k} {v}")).collect();
        lines.push(format!("    limits: {}", limits.join(", ")));
    }
    let taken = reports.iter().find(|r| r["gpu_choice"] == true);
    let taken = taken.map_or("none".to_string(), |r| format!("[{}] (*)", r["index"]));
    lines.push(format!("--backend gpu takes {taken}: {gpu_choice}"));
    lines.push(format!(
        "--backend auto takes {auto_backend}: {auto_reason}"
    ));
    Ok(lines.join("\n"))
}
