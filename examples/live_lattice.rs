//! A GPU application's frame loop around a sampler: a site-packed torus (1024 x 1024 by default)
//! quenched from random spins through the critical point, each frame's sweeps, drawing and copy-out
//! recorded into one command buffer, the spins drawn from the spin buffer where they lie
//! ([`SpinImage`]), never read back to draw.
//!
//! `cargo run --release --example live_lattice -- [--size 1024] [--frames 96] [--sweeps 2] [--out live_lattice] [--gif live_lattice/quench.gif]`
//!
//! Headless: writes every frame's texture to `OUT/frame_NNN.png`, and an animated GIF of the
//! quench (downscaled to 256 pixels a side) to `--gif`. Beta rises linearly from 0.30 to 0.60
//! (critical: 0.4407) over the frames; each frame prints beta, energy and magnetisation per site
//! from the GPU's own measurement, recorded in the same command buffer.

use std::fs::File;
use std::io::BufWriter;
use std::path::PathBuf;

use clap::Parser;
use image::codecs::gif::{GifEncoder, Repeat};
use image::{Delay, Frame, RgbaImage};
use ising_wgpu::physics::BETA_C;
use ising_wgpu::render::{Palette, SpinImage};
use ising_wgpu::{GpuContext, GpuSitePacked, Init, SitePackedLattice, SitePackedSampler};

#[derive(Parser)]
struct Args {
    /// Side of the torus (a multiple of 64).
    #[arg(long, default_value_t = 1024)]
    size: u32,
    /// Frames of the quench.
    #[arg(long, default_value_t = 96)]
    frames: u32,
    /// Sweeps per frame.
    #[arg(long, default_value_t = 2)]
    sweeps: u64,
    /// Beta of the first and last frame.
    #[arg(long, num_args = 2, default_values_t = [0.30, 0.60])]
    betas: Vec<f32>,
    /// Directory for the frames.
    #[arg(long, default_value = "live_lattice")]
    out: PathBuf,
    /// The animated GIF (default: OUT/quench.gif).
    #[arg(long)]
    gif: Option<PathBuf>,
    /// Pixels a side of the GIF's frames (the size divided by a whole number).
    #[arg(long, default_value_t = 256)]
    gif_size: u32,
    /// Seed of the draws.
    #[arg(long, default_value_t = 1)]
    seed: u64,
}

/// Staging buffers for one frame's pixels (rows padded to 256 bytes) and measurement.
struct Staging {
    pixels: wgpu::Buffer,
    counts: wgpu::Buffer,
    padded_row: u32,
}

fn staging_buffer(device: &wgpu::Device, label: &str, size: u64) -> wgpu::Buffer {
    device.create_buffer(&wgpu::BufferDescriptor {
        label: Some(label),
        size,
        usage: wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST,
        mapped_at_creation: false,
    })
}

impl Staging {
    fn new(device: &wgpu::Device, [w, h]: [u32; 2], counts: u64) -> Self {
        let padded_row = (4 * w).next_multiple_of(wgpu::COPY_BYTES_PER_ROW_ALIGNMENT);
        Staging {
            pixels: staging_buffer(device, "frame pixels", u64::from(padded_row * h)),
            counts: staging_buffer(device, "frame measurement", counts),
            padded_row,
        }
    }

    /// Records the copies of `texture` and `counts` into the staging buffers.
    fn record_copy(
        &self,
        encoder: &mut wgpu::CommandEncoder,
        texture: &wgpu::Texture,
        counts: &wgpu::Buffer,
    ) {
        encoder.copy_texture_to_buffer(
            texture.as_image_copy(),
            wgpu::TexelCopyBufferInfo {
                buffer: &self.pixels,
                layout: wgpu::TexelCopyBufferLayout {
                    offset: 0,
                    bytes_per_row: Some(self.padded_row),
                    rows_per_image: None,
                },
            },
            texture.size(),
        );
        encoder.copy_buffer_to_buffer(counts, 0, &self.counts, 0, self.counts.size());
    }

    /// The frame as an image and the measurement's (up spins, agreeing pairs), once the device
    /// has run the copies.
    fn read(
        &self,
        device: &wgpu::Device,
        [w, h]: [u32; 2],
    ) -> Result<(RgbaImage, (u64, u64)), String> {
        let (tx, rx) = std::sync::mpsc::channel();
        for buffer in [&self.pixels, &self.counts] {
            let tx = tx.clone();
            buffer.map_async(wgpu::MapMode::Read, .., move |r| drop(tx.send(r)));
        }
        device
            .poll(wgpu::PollType::wait_indefinitely())
            .map_err(|e| e.to_string())?;
        for _ in 0..2 {
            rx.recv()
                .map_err(|e| e.to_string())?
                .map_err(|e| e.to_string())?;
        }
        let mut pixels = Vec::with_capacity((4 * w * h) as usize);
        let sums = {
            let view = self
                .pixels
                .get_mapped_range(..)
                .map_err(|e| e.to_string())?;
            for row in view.chunks(self.padded_row as usize).take(h as usize) {
                pixels.extend_from_slice(&row[..(4 * w) as usize]);
            }
            let counts = self
                .counts
                .get_mapped_range(..)
                .map_err(|e| e.to_string())?;
            let words: &[u32] = bytemuck::cast_slice(&counts);
            words.chunks(2).fold((0u64, 0u64), |(u, a), pair| {
                (u + u64::from(pair[0]), a + u64::from(pair[1]))
            })
        };
        self.pixels.unmap();
        self.counts.unmap();
        let image = RgbaImage::from_raw(w, h, pixels).ok_or_else(|| "frame size".to_string())?;
        Ok((image, sums))
    }
}

/// `image` shrunk by averaging `factor` x `factor` blocks.
fn downscale(image: &RgbaImage, factor: u32) -> RgbaImage {
    let (w, h) = (image.width() / factor, image.height() / factor);
    RgbaImage::from_fn(w, h, |x, y| {
        let mut sum = [0u32; 4];
        for dy in 0..factor {
            for dx in 0..factor {
                let p = image.get_pixel(factor * x + dx, factor * y + dy).0;
                for c in 0..4 {
                    sum[c] += u32::from(p[c]);
                }
            }
        }
        image::Rgba(sum.map(|s| (s / (factor * factor)) as u8))
    })
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = Args::parse();
    let ctx = GpuContext::new().map_err(|e| {
        format!("{e}\nthis example draws on a GPU adapter; Mesa's software one will do (apt-get install mesa-vulkan-drivers)")
    })?;
    println!("device: {}", ctx.describe());
    let [beta0, beta1] = [args.betas[0], args.betas[1]];
    let lattice = SitePackedLattice::square(args.size, args.size, 1.0, 0.0, beta0)?;
    let mut sampler = GpuSitePacked::new(&ctx, &lattice, args.seed, Init::Uniform)?;
    let image = SpinImage::new(&ctx, sampler.spin_buffers()?, 0, Palette::default())?;
    let mut probe = ctx.device().create_command_encoder(&Default::default());
    let counts_bytes = sampler.record_observables(&mut probe)?.buffer.size();
    let staging = Staging::new(ctx.device(), image.size(), counts_bytes);
    let factor = (args.size / args.gif_size.max(1)).max(1);
    std::fs::create_dir_all(&args.out)?;
    let gif_path = args.gif.unwrap_or_else(|| args.out.join("quench.gif"));
    if let Some(dir) = gif_path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)?;
    }
    let mut gif = GifEncoder::new_with_speed(BufWriter::new(File::create(&gif_path)?), 10);
    gif.set_repeat(Repeat::Infinite)?;
    let started = std::time::Instant::now();
    for frame in 0..args.frames {
        let t = frame as f32 / (args.frames.max(2) - 1) as f32;
        let beta = beta0 + t * (beta1 - beta0);
        sampler.set_parameters(1.0, 0.0, beta)?;
        // One command buffer a frame: the sweeps, the drawing, the copy out, the measurement.
        let mut encoder = ctx
            .device()
            .create_command_encoder(&wgpu::CommandEncoderDescriptor {
                label: Some("frame"),
            });
        sampler.record_sweeps(&mut encoder, args.sweeps)?;
        image.record(&mut encoder);
        let counts = sampler.record_observables(&mut encoder)?.buffer.clone();
        staging.record_copy(&mut encoder, image.texture(), &counts);
        ctx.queue().submit([encoder.finish()]);
        let (picture, (ups, agreements)) = staging.read(ctx.device(), image.size())?;
        picture.save(args.out.join(format!("frame_{frame:03}.png")))?;
        let small = downscale(&picture, factor);
        gif.encode_frame(Frame::from_parts(
            small,
            0,
            0,
            Delay::from_numer_denom_ms(80, 1),
        ))?;
        let o = lattice.observables_of(ups, agreements);
        let side = if f64::from(beta) < BETA_C {
            "disordered"
        } else {
            "ordered"
        };
        println!(
            "frame {frame:3}  beta {beta:.4} ({side})  E/site {:+.4}  m {:+.4}",
            o.energy_per_site, o.magnetization
        );
    }
    println!(
        "{} frames of {} x {} in {:.1} s; frames in {}, animation in {}",
        args.frames,
        args.size,
        args.size,
        started.elapsed().as_secs_f64(),
        args.out.display(),
        gif_path.display()
    );
    Ok(())
}
