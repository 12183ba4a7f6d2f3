//! A schedule run in parts of about a given wall time, with a callback between the parts that may
//! stop the run: progress and interrupts (Ctrl-C in Python) without changing a single draw.

use std::time::{Duration, Instant};

use crate::backend::Sampler;
use crate::error::{Error, Result};
use crate::observe::{Observe, Observed};
use crate::program::SamplingSchedule;

/// Runs `schedule` on `sampler`, recording what `observe` asks for, with the very results of one
/// [`Sampler::run`] (each part continues the chains where the last stopped, and draws depend only
/// on the sweep), in parts of about `part` wall time each, measured as it goes. After each part but
/// the last, `keep_going(done, total)` is called with the sweeps run so far; `false` stops the run
/// with [`Error::Interrupted`], the chains left where the part stopped.
///
/// ```
/// use std::time::Duration;
/// use ising_wgpu::{Blocks, CpuSampler, IsingModel, Observe, Sampler, SamplerConfig, SamplingProgram, SamplingSchedule, run_in_parts};
/// let model = IsingModel::new(3, vec![(0, 1), (1, 2)], vec![0.5, 0.5], vec![0.0; 3], 1.0)?;
/// let program = SamplingProgram::new(model, Blocks::Auto, &[])?;
/// let schedule = SamplingSchedule::new(50, 200, 2)?;
/// let observe = Observe { moments: true, ..Observe::default() };
/// let mut whole = CpuSampler::new(&program, &SamplerConfig::new(32))?;
/// let mut parts = CpuSampler::new(&program, &SamplerConfig::new(32))?;
/// let paced = run_in_parts(&mut parts, &schedule, &observe, Duration::ZERO, |_, _| true)?;
/// assert_eq!(paced, whole.run(&schedule, &observe)?);
/// # Ok::<(), ising_wgpu::Error>(())
/// ```
pub fn run_in_parts(
    sampler: &mut dyn Sampler,
    schedule: &SamplingSchedule,
    observe: &Observe,
    part: Duration,
    mut keep_going: impl FnMut(u64, u64) -> bool,
) -> Result<Observed> {
    let total = schedule.total_sweeps();
    let steps = schedule.steps_per_sample;
    // Sweeps still to run before the next sample, and samples still to take.
    let (mut lead, mut left) = (schedule.n_warmup, schedule.n_samples);
    let mut pace = Pace::new(part);
    let (mut done, mut observed) = (0u64, None::<Observed>);
    loop {
        let budget = pace.sweeps();
        let start = Instant::now();
        let ran = if lead > budget {
            sampler.sweep(budget)?;
            lead -= budget;
            budget
        } else {
            let samples = ((budget - lead) / steps + 1).min(left);
            let piece = SamplingSchedule::new(lead, samples, steps)?;
            let got = sampler.run(&piece, observe)?;
            match &mut observed {
                Some(earlier) => earlier.append(got),
                None => observed = Some(got),
            }
            left -= samples;
            lead = steps;
            piece.total_sweeps()
        };
        done += ran;
        pace.record(ran, start.elapsed());
        if left == 0 {
            return Ok(observed.expect("at least one sample was taken"));
        }
        if !keep_going(done, total) {
            return Err(Error::Interrupted {
                done,
                total,
                unit: "sweeps",
            });
        }
    }
}

/// Runs `sweeps` sweeps through `sweep(n)` (which runs `n`), in parts of about `part` wall time
/// each, measured as it goes; after each part but the last, `keep_going(done, sweeps)`, and `false`
/// stops with [`Error::Interrupted`]. For samplers without schedules, such as a
/// [`crate::SitePackedSampler`]'s `sweep`.
///
/// ```
/// use std::time::Duration;
/// let mut parts = Vec::new();
/// ising_wgpu::sweep_in_parts(|n| Ok(parts.push(n)), 5, Duration::ZERO, |_, _| true)?;
/// assert_eq!(parts, vec![1, 1, 1, 1, 1]);
/// let stopped = ising_wgpu::sweep_in_parts(|_| Ok(()), 5, Duration::ZERO, |done, _| done < 2);
/// assert_eq!(stopped.unwrap_err().to_string(), "interrupted after 2 of 5 sweeps");
/// # Ok::<(), ising_wgpu::Error>(())
/// ```
pub fn sweep_in_parts(
    mut sweep: impl FnMut(u64) -> Result<()>,
    sweeps: u64,
    part: Duration,
    mut keep_going: impl FnMut(u64, u64) -> bool,
) -> Result<()> {
    let (mut pace, mut done) = (Pace::new(part), 0u64);
    while done < sweeps {
        let count = pace.sweeps().min(sweeps - done);
        let start = Instant::now();
        sweep(count)?;
        pace.record(count, start.elapsed());
        done += count;
        if done < sweeps && !keep_going(done, sweeps) {
            return Err(Error::Interrupted {
                done,
                total: sweeps,
                unit: "sweeps",
            });
        }
    }
    Ok(())
}

/// How many sweeps fit a part of a given wall time: one at first, then as many as the last part's
/// rate allows.
pub(crate) struct Pace {
    part: Duration,
    seconds_per_sweep: Option<f64>,
}

impl Pace {
    pub(crate) fn new(part: Duration) -> Self {
        Pace {
            part,
            seconds_per_sweep: None,
        }
    }

    /// Sweeps of the next part, at least one (always one for a zero part).
    pub(crate) fn sweeps(&self) -> u64 {
        match self.seconds_per_sweep {
            _ if self.part.is_zero() => 1,
            None => 1,
            Some(rate) if rate > 0.0 => (self.part.as_secs_f64() / rate).clamp(1.0, 1e15) as u64,
            Some(_) => 1 << 20,
        }
    }

    /// Takes the rate of a part of `sweeps` sweeps that took `elapsed`.
    pub(crate) fn record(&mut self, sweeps: u64, elapsed: Duration) {
        if sweeps > 0 {
            self.seconds_per_sweep = Some(elapsed.as_secs_f64() / sweeps as f64);
        }
    }
}
