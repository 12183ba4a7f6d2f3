//! The x86-64 vector level the CPU backend's sweeps run at, chosen once per process from what the
//! processor has. A sweep is written once in plain Rust and compiled for the baseline (SSE2) and,
//! behind `#[target_feature]`, for x86-64-v3 (AVX2) and x86-64-v4 (AVX-512); the compiler
//! vectorises the per-lane loops as wide as the level allows. Every level computes the very same
//! words: Rust neither fuses nor reorders float operations, so the level changes the speed only.

/// A level of vector instructions; on targets other than x86-64 only the baseline exists.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum VectorLevel {
    /// What every processor of the target has: SSE2 on x86-64.
    Baseline,
    /// x86-64-v3: AVX2, FMA, BMI1, BMI2, LZCNT, POPCNT.
    #[cfg(target_arch = "x86_64")]
    V3,
    /// x86-64-v4: x86-64-v3 and AVX-512 F, BW, CD, DQ, VL.
    #[cfg(target_arch = "x86_64")]
    V4,
}

impl VectorLevel {
    /// Every level this processor runs, narrowest first.
    pub(crate) fn available() -> Vec<VectorLevel> {
        #[allow(unused_mut)] // only x86-64 has levels above the baseline
        let mut levels = vec![VectorLevel::Baseline];
        #[cfg(target_arch = "x86_64")]
        {
            use std::arch::is_x86_feature_detected as has;
            let v3 = has!("avx2")
                && has!("fma")
                && has!("bmi1")
                && has!("bmi2")
                && has!("lzcnt")
                && has!("popcnt");
            let v4 = v3
                && has!("avx512f")
                && has!("avx512bw")
                && has!("avx512cd")
                && has!("avx512dq")
                && has!("avx512vl");
            if v3 {
                levels.push(VectorLevel::V3);
            }
            if v4 {
                levels.push(VectorLevel::V4);
            }
        }
        levels
    }

    /// The widest level this processor runs.
    pub(crate) fn widest() -> VectorLevel {
        *Self::available()
            .last()
            .expect("the baseline is always available")
    }

    /// The level's name, for messages: "baseline", "x86-64-v3" or "x86-64-v4".
    pub(crate) fn name(self) -> &'static str {
        match self {
            VectorLevel::Baseline => "baseline",
            #[cfg(target_arch = "x86_64")]
            VectorLevel::V3 => "x86-64-v3",
            #[cfg(target_arch = "x86_64")]
            VectorLevel::V4 => "x86-64-v4",
        }
    }
}

/// Work compiled at each vector level: `run::<N>` is inlined into a copy compiled for the level,
/// `N` the 32-bit lanes of its vectors (4, 8 or 16), for work that goes `N` words side by side.
pub(crate) trait VectorWork {
    /// The work at a level whose vectors hold `N` 32-bit lanes; mark it `#[inline(always)]` (and
    /// everything it calls in its loops), or it runs at the baseline.
    fn run<const N: usize>(&mut self);
}

impl VectorLevel {
    /// Runs `work` compiled for this level.
    // The crate's only unsafe code: a function compiled for wider vector instructions may run only on
    // a processor that has them, which `VectorLevel::available` checked at run time.
    #[allow(unsafe_code)]
    pub(crate) fn run(self, work: &mut impl VectorWork) {
        match self {
            VectorLevel::Baseline => work.run::<4>(),
            // SAFETY: every level but the baseline comes from `VectorLevel::available`, which
            // found this processor runs it.
            #[cfg(target_arch = "x86_64")]
            VectorLevel::V3 => unsafe { run_v3(work) },
            // SAFETY: as above.
            #[cfg(target_arch = "x86_64")]
            VectorLevel::V4 => unsafe { run_v4(work) },
        }
    }
}

/// [`VectorLevel::run`] compiled for x86-64-v3.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma,bmi1,bmi2,lzcnt,popcnt")]
fn run_v3(work: &mut impl VectorWork) {
    work.run::<8>();
}

/// [`VectorLevel::run`] compiled for x86-64-v4.
#[cfg(target_arch = "x86_64")]
#[target_feature(
    enable = "avx2,fma,bmi1,bmi2,lzcnt,popcnt,avx512f,avx512bw,avx512cd,avx512dq,avx512vl"
)]
fn run_v4(work: &mut impl VectorWork) {
    work.run::<16>();
}
