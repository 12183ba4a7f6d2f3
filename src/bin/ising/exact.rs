//! `ising exact`: enumeration.

use serde_json::json;

use crate::ModelArgs;

/// Arguments of `ising exact`.
#[derive(clap::Args)]
pub(crate) struct ExactArgs {
    #[command(flatten)]
    model: ModelArgs,
}

pub(crate) fn run(args: &ExactArgs) -> ising_wgpu::Result<String> {
    let (model, clamp) = args.model.load()?;
    let exact = ising_wgpu::exact_moments(&model, &clamp)?;
    Ok(json!({
        "node_means": exact.node_means.to_vec(),
        "edge_means": exact.edge_means.to_vec(),
        "log_z": exact.log_z,
    })
    .to_string())
}
