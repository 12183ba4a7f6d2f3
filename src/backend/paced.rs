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
    let mut run = ScheduleRun::new(schedule);
    let mut pace = Pace::new(part);
    loop {
        let start = Instant::now();
        let budget = sampler.part_sweeps(pace.sweeps())?;
        let ran = run.step(sampler, observe, budget)?;
        pace.record(ran, start.elapsed());
        if run.finished() {
            return Ok(run.into_observed().expect("a finished run"));
        }
        if !keep_going(run.done(), run.total()) {
            return Err(Error::Interrupted {
                done: run.done(),
                total: run.total(),
                unit: "sweeps",
            });
        }
    }
}

/// A schedule's run taken a step at a time, holding what it has observed so far: with the sampler's
/// [`crate::SamplerState`] it is all a checkpoint needs, since the steps together give the very
/// results of one [`Sampler::run`] of the schedule however they are cut.
#[derive(Clone, Debug, PartialEq)]
pub struct ScheduleRun {
    schedule: SamplingSchedule,
    /// Sweeps still to run before the next sample.
    lead: u64,
    /// Samples still to take.
    left: u64,
    /// Sweeps run so far.
    done: u64,
    observed: Option<Observed>,
}

impl ScheduleRun {
    /// Nothing run yet.
    pub fn new(schedule: &SamplingSchedule) -> Self {
        ScheduleRun {
            schedule: *schedule,
            lead: schedule.n_warmup,
            left: schedule.n_samples,
            done: 0,
            observed: None,
        }
    }

    /// A run of `schedule` that has run `done` sweeps and observed `observed` (its samples so far),
    /// as [`ScheduleRun::done`] and [`ScheduleRun::observed`] gave them; an error naming the
    /// mismatch when `done` is past the schedule or the observations hold the wrong number of
    /// samples for it.
    pub fn resume(
        schedule: &SamplingSchedule,
        done: u64,
        observed: Option<Observed>,
    ) -> Result<Self> {
        let (warmup, steps) = (schedule.n_warmup, schedule.steps_per_sample);
        let total = schedule.total_sweeps();
        if done > total {
            return Err(Error::invalid(
                "resumed run",
                format!("{done} sweeps done, but the schedule has {total}"),
            ));
        }
        // A part ends on a sample point only by taking it; `done` 0 has taken none.
        let taken = match done.checked_sub(warmup) {
            Some(after) if done > 0 || warmup > 0 => (after / steps + 1).min(schedule.n_samples),
            _ => 0,
        };
        let counts = match &observed {
            Some(observed) => observed.sample_counts(),
            None => vec![0],
        };
        if let Some(&samples) = counts.iter().find(|&&c| c != taken) {
            return Err(Error::invalid(
                "resumed run",
                format!(
                    "{samples} samples observed, but {done} sweeps of the schedule take {taken}"
                ),
            ));
        }
        let lead = match taken {
            0 => warmup - done,
            t => warmup + t * steps - done,
        };
        Ok(ScheduleRun {
            schedule: *schedule,
            lead,
            left: schedule.n_samples - taken,
            done,
            observed,
        })
    }

    /// Runs at most `budget` sweeps (at least one) on `sampler`, taking the samples they reach
    /// with `observe`, and returns how many ran (0 once finished).
    pub fn step(
        &mut self,
        sampler: &mut dyn Sampler,
        observe: &Observe,
        budget: u64,
    ) -> Result<u64> {
        let (budget, steps) = (budget.max(1), self.schedule.steps_per_sample);
        if self.left == 0 {
            return Ok(0);
        }
        let ran = if self.lead > budget {
            sampler.sweep(budget)?;
            self.lead -= budget;
            budget
        } else {
            let samples = ((budget - self.lead) / steps + 1).min(self.left);
            let piece = SamplingSchedule::new(self.lead, samples, steps)?;
            let got = sampler.run(&piece, observe)?;
            match &mut self.observed {
                Some(earlier) => earlier.append(got),
                None => self.observed = Some(got),
            }
            self.left -= samples;
            self.lead = steps;
            piece.total_sweeps()
        };
        self.done += ran;
        Ok(ran)
    }

    /// Whether every sample has been taken.
    pub fn finished(&self) -> bool {
        self.left == 0
    }

    /// Sweeps run so far.
    pub fn done(&self) -> u64 {
        self.done
    }

    /// Sweeps of the whole schedule.
    pub fn total(&self) -> u64 {
        self.schedule.total_sweeps()
    }

    /// What the steps so far observed (`None` before the first sample).
    pub fn observed(&self) -> Option<&Observed> {
        self.observed.as_ref()
    }

    /// What the whole run observed, once it has finished.
    pub fn into_observed(self) -> Option<Observed> {
        self.finished().then_some(self.observed).flatten()
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
#[derive(Clone, Debug)]
pub struct Pace {
    part: Duration,
    seconds_per_sweep: Option<f64>,
}

impl Pace {
    /// Parts of about `part` each.
    pub fn new(part: Duration) -> Self {
        Pace {
            part,
            seconds_per_sweep: None,
        }
    }

    /// Sweeps of the next part, at least one (always one for a zero part).
    pub fn sweeps(&self) -> u64 {
        match self.seconds_per_sweep {
            _ if self.part.is_zero() => 1,
            None => 1,
            Some(rate) if rate > 0.0 => (self.part.as_secs_f64() / rate).clamp(1.0, 1e15) as u64,
            Some(_) => 1 << 20,
        }
    }

    /// Takes the rate of a part of `sweeps` sweeps that took `elapsed`.
    pub fn record(&mut self, sweeps: u64, elapsed: Duration) {
        if sweeps > 0 {
            self.seconds_per_sweep = Some(elapsed.as_secs_f64() / sweeps as f64);
        }
    }
}
