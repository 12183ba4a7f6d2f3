//! A device destroyed between calls or mid-run: every later call is an `Error::DeviceLost` naming
//! the device and the reason, never a panic or a hang, and the command line's error path (exit 2)
//! takes it like any other error.

mod common;

use std::time::Duration;

use ising_wgpu::{
    Blocks, Error, GpuSampler, GpuSitePacked, Init, Sampler, SamplerConfig, SamplingProgram,
    SamplingSchedule, SitePackedLattice, SitePackedSampler,
};

fn assert_lost(e: Error, ctx: &ising_wgpu::GpuContext) {
    assert!(matches!(e, Error::DeviceLost { .. }), "{e}");
    let text = e.to_string();
    assert!(
        text.starts_with(&format!(
            "the GPU device {} was lost (Destroyed)",
            ctx.describe()
        )),
        "{text}"
    );
}

#[test]
fn calls_after_the_device_is_destroyed_are_device_lost_errors() {
    let Some(ctx) = common::gpu() else {
        return;
    };
    let model = common::random_model(4, 10, 0.4);
    let program = SamplingProgram::new(model, Blocks::Auto, &[]).unwrap();
    let mut sampler = GpuSampler::new(&ctx, &program, &SamplerConfig::new(64)).unwrap();
    sampler.sweep(3).unwrap();
    let lattice = SitePackedLattice::square(64, 8, 1.0, 0.0, 0.4).unwrap();
    let mut packed = GpuSitePacked::new(&ctx, &lattice, 1, Init::AllUp).unwrap();
    packed.sweep(2).unwrap();
    ctx.device().destroy();
    assert_lost(sampler.sweep(3).unwrap_err(), &ctx);
    assert_lost(sampler.state().unwrap_err(), &ctx);
    let schedule = SamplingSchedule::new(1, 4, 1).unwrap();
    assert_lost(sampler.estimate_moments(&schedule).unwrap_err(), &ctx);
    assert_lost(packed.sweep(2).unwrap_err(), &ctx);
    assert_lost(packed.observables().unwrap_err(), &ctx);
    let again = GpuSampler::new(&ctx, &program, &SamplerConfig::new(64));
    assert_lost(again.err().expect("a sampler on a lost device"), &ctx);
}

#[test]
fn a_device_destroyed_mid_run_ends_the_run_with_device_lost() {
    let Some(ctx) = common::gpu() else {
        return;
    };
    let model = common::random_model(24, 60, 0.4);
    let program = SamplingProgram::new(model, Blocks::Auto, &[]).unwrap();
    let mut sampler = GpuSampler::new(&ctx, &program, &SamplerConfig::new(4096)).unwrap();
    let destroyer = {
        let ctx = ctx.clone();
        std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(300));
            ctx.device().destroy();
        })
    };
    // Long enough on any adapter that the destroy lands inside the run; each part is its own call.
    let mut outcome = Ok(());
    for _ in 0..10_000 {
        outcome = sampler.sweep(200);
        if outcome.is_err() {
            break;
        }
    }
    destroyer.join().unwrap();
    assert_lost(outcome.expect_err("the run outlived the device"), &ctx);
}
