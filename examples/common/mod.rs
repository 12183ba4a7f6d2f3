//! What the examples that draw plots share.

use plotters::coord::CoordTranslate;
use plotters::prelude::*;
use plotters::style::FontStyle;

/// Registers the bundled DejaVu Sans as plotters' "sans-serif" (the bitmap backend has no system
/// fonts).
pub(crate) fn register_font() -> Result<(), Box<dyn std::error::Error>> {
    plotters::style::register_font(
        "sans-serif",
        FontStyle::Normal,
        include_bytes!("../assets/DejaVuSans.ttf"),
    )
    .map_err(|_| "the bundled font did not load".into())
}

/// Draws the legend of `chart`'s labelled series at `position`, on a pale box.
pub(crate) fn draw_legend<'a, DB, CT>(
    chart: &mut ChartContext<'a, DB, CT>,
    position: SeriesLabelPosition,
) -> Result<(), Box<dyn std::error::Error>>
where
    DB: DrawingBackend + 'a,
    DB::ErrorType: 'static,
    CT: CoordTranslate,
{
    chart
        .configure_series_labels()
        .position(position)
        .background_style(WHITE.mix(0.8))
        .border_style(BLACK)
        .draw()?;
    Ok(())
}

/// The backend `--backend` names ("gpu" or "cpu"); by default a hardware GPU if there is one, else
/// the CPU backend, with a notice.
pub(crate) fn backend(
    name: Option<&str>,
) -> Result<ising_wgpu::Backend, Box<dyn std::error::Error>> {
    use ising_wgpu::{Backend, GpuContext};
    Ok(match name {
        Some("cpu") => Backend::Cpu { threads: None },
        Some("gpu") => Backend::Gpu(Box::new(GpuContext::new()?)),
        Some(other) => return Err(format!("unknown backend {other}; use gpu or cpu").into()),
        None => {
            let (backend, notice) = Backend::auto(None);
            if let Some(notice) = notice {
                println!("notice: {notice}");
            }
            backend
        }
    })
}
