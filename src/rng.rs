//! Philox4x32-10, the counter-based generator shared bit for bit by every backend, and the counter
//! layout that names each draw.
//!
//! A draw depends only on `(seed, sweep, node, word, purpose)`: never on thread count, workgroup size or
//! dispatch shape. Each of the 32 chains (lanes) of a packed word compares a 24-bit uniform `u24` with
//! the threshold `T = ceil(p * 2^24)` of its probability `p` (up iff `u24 < T`, which is `u < p` for
//! `u = u24 / 2^24`). The uniform's top byte comes from calls 0 and 1 (lane `l`: call `l / 16`,
//! output `(l % 16) / 4`, byte `l % 4`); its low 16 bits from calls 2..6 (lane `l`: call `2 + l / 8`,
//! output `(l % 8) / 2`, half `l % 2`), computed only when the top byte ties with `T`'s (1 lane in
//! 256), so a word costs about 2.1 Philox calls instead of 8, with no change in distribution.
//! The CPU backend also computes a lane's exact threshold (`exp` and all) only when the lane's top
//! byte is within an approximation's margin of the threshold's ([`bernoulli_word_refined`]): the same
//! words, with `exp` for about one lane in 200.
//!
//! The lattice path slices the same calls the other way ([`bernoulli_word_sliced`]): output `o` of call
//! `c` is bit `23 - (4c + o)` of every lane's uniform (lane `l` in bit `l`), so 32 comparisons with
//! thresholds become a few word operations per bit; calls past the second are drawn only while some
//! lane still ties. Same distribution, different numbers from the general path's.
//!
//! Counter of call `c`: `[node, word, sweep_lo, (sweep_hi << 6) | (purpose << 3) | c]` ([`tag`]),
//! key `[seed_lo, seed_hi]`. Purpose takes 3 bits; sweeps are therefore limited to 2^58, far beyond any
//! run. Every stream of random numbers in the crate is named by a [`Purpose`].

const M0: u32 = 0xD251_1F53;
const M1: u32 = 0xCD9E_8D57;
const W0: u32 = 0x9E37_79B9;
const W1: u32 = 0xBB67_AE85;

/// Philox4x32 with 10 rounds (Salmon et al., SC11), as in Random123.
#[inline(always)]
pub fn philox4x32_10(counter: [u32; 4], key: [u32; 2]) -> [u32; 4] {
    let mut c = counter;
    let mut k = key;
    for round in 0..10 {
        if round > 0 {
            k = [k[0].wrapping_add(W0), k[1].wrapping_add(W1)];
        }
        let p0 = u64::from(M0) * u64::from(c[0]);
        let p1 = u64::from(M1) * u64::from(c[2]);
        let (hi0, lo0) = ((p0 >> 32) as u32, p0 as u32);
        let (hi1, lo1) = ((p1 >> 32) as u32, p1 as u32);
        c = [hi1 ^ c[1] ^ k[0], lo1, hi0 ^ c[3] ^ k[1], lo0];
    }
    c
}

/// What a draw is for; part of the counter so different uses never share numbers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Purpose {
    /// The Gibbs update of a sweep.
    Update = 0,
    /// Drawing the initial state.
    Init = 1,
    /// Shuffling data rows between training epochs (node = row, word and sweep = epoch).
    Shuffle = 2,
    /// Random model parameters ([`crate::IsingModel::random_normal`]; node and word = the index).
    ModelParameters = 3,
    /// The key of the negative phase's sampler in training, drawn from the training seed.
    NegativePhase = 4,
    /// Tempering's swap decisions (node = pair of betas, word = replica, sweep = swap round).
    ReplicaSwap = 5,
}

impl Purpose {
    /// Every purpose, in tag order.
    pub const ALL: [Purpose; 6] = [
        Purpose::Update,
        Purpose::Init,
        Purpose::Shuffle,
        Purpose::ModelParameters,
        Purpose::NegativePhase,
        Purpose::ReplicaSwap,
    ];

    /// The WGSL name of the purpose's tag constant, e.g. `PURPOSE_UPDATE`.
    pub fn wgsl_name(self) -> &'static str {
        match self {
            Purpose::Update => "PURPOSE_UPDATE",
            Purpose::Init => "PURPOSE_INIT",
            Purpose::Shuffle => "PURPOSE_SHUFFLE",
            Purpose::ModelParameters => "PURPOSE_MODEL_PARAMETERS",
            Purpose::NegativePhase => "PURPOSE_NEGATIVE_PHASE",
            Purpose::ReplicaSwap => "PURPOSE_REPLICA_SWAP",
        }
    }
}

/// Bit of the counter's last word where the purpose starts (calls take the bits below).
pub const PURPOSE_SHIFT: u32 = 3;

/// Bit of the counter's last word where the sweep's high 32 bits start (the purpose takes 3 bits).
pub const SWEEP_HI_SHIFT: u32 = 6;

/// Largest sweep index the counter layout can name.
pub const MAX_SWEEP: u64 = (1 << (32 + 32 - SWEEP_HI_SHIFT)) - 1;

/// The counter's last word for call 0 of `purpose` in `sweep` (add the call index to it).
#[inline(always)]
pub fn tag(sweep: u64, purpose: Purpose) -> u32 {
    (((sweep >> 32) as u32) << SWEEP_HI_SHIFT) | ((purpose as u32) << PURPOSE_SHIFT)
}

/// A key derived from `seed` for the stream of `purpose` (one Philox call at counter
/// `[0, 0, 0, tag(0, purpose)]`): for samplers that must not share their numbers with those of `seed`.
pub fn derived_seed(seed: u64, purpose: Purpose) -> u64 {
    let r = philox4x32_10([0, 0, 0, tag(0, purpose)], key_of(seed));
    (u64::from(r[1]) << 32) | u64::from(r[0])
}

/// The threshold `ceil(p * 2^24)` a lane's 24-bit uniform is compared with (`p` in [0, 1]).
/// Computed without `ceil` (a library call on baseline x86-64): both steps are exact.
#[inline]
pub fn threshold(p: f32) -> u32 {
    let x = p * 16_777_216.0;
    let floor = x as u32;
    floor + u32::from((floor as f32) < x)
}

/// The probability `sigmoid(x) = 1 / (1 + exp(-x))` in `f32`, as every kernel computes it.
#[inline]
pub fn sigmoid(x: f32) -> f32 {
    1.0 / (1.0 + (-x).exp())
}

/// How far [`approx_top_bytes`] may be from the exact `threshold(sigmoid(x)) / 2^16`: 16 times the
/// error bound of its approximation (about 16 / 2^16), so that [`bernoulli_word_refined`] may trust a
/// lane whose top byte lies beyond it.
pub const APPROX_MARGIN: f32 = 1.0 / 256.0;

/// The probability that a Metropolis step leaves a spin up, for `x = 2 beta field` and the spin
/// now up (`up`) or down: the flip is taken with probability `min(1, exp(-beta dE))`, so a down
/// spin goes up with `min(1, exp(x))` and an up spin stays up with `1 - min(1, exp(-x))`. As
/// every kernel computes it (`metropolis` in philox.wgsl); NaN gives 0.
#[inline]
pub fn metropolis(x: f32, up: bool) -> f32 {
    let e = if up { (-x).exp() } else { x.exp() };
    // Comparisons rather than `min`, which would turn NaN into 1.
    let flip = if e < 1.0 {
        e
    } else if e >= 1.0 {
        1.0
    } else {
        return 0.0;
    };
    if up { 1.0 - flip } else { flip }
}

/// `2^w` for `w` in [-58, 58] to a relative error below 1.3e-7: `2^n` times a degree-6 polynomial
/// of the rest, from straight-line arithmetic that the compiler turns into vector instructions.
#[inline(always)]
fn approx_exp2(w: f32) -> f32 {
    // Taylor coefficients of 2^f = e^(f ln 2), |f| <= 1/2.
    const C: [f32; 6] = [
        std::f32::consts::LN_2,
        0.240_226_5,
        0.055_504_11,
        0.009_618_129,
        0.001_333_355_8,
        0.000_154_035_3,
    ];
    // Adding 1.5 x 2^23 rounds to an integer, which the sum's low mantissa bits then hold.
    const ROUND: f32 = 12_582_912.0;
    let rounded = w + ROUND;
    let n = rounded - ROUND;
    let f = w - n;
    let poly = 1.0 + f * (C[0] + f * (C[1] + f * (C[2] + f * (C[3] + f * (C[4] + f * C[5])))));
    let exponent = rounded
        .to_bits()
        .wrapping_sub(ROUND.to_bits())
        .wrapping_add(127);
    poly * f32::from_bits(exponent << 23)
}

/// `256 sigmoid(x)` (the threshold's top byte, with fraction) of 32 arguments to within
/// [`APPROX_MARGIN`]: `exp(-x)` as `2^n` times a degree-6 polynomial, the argument clamped to
/// [-40, 40] (beyond, the top byte is 0 or 256 either way); NaN stays NaN.
#[inline(always)]
pub fn approx_top_bytes(x: &[f32; 32]) -> [f32; 32] {
    // A plain loop rather than `map`, which the compiler may keep out of line (and so out of the
    // vector level the caller was compiled for).
    let mut top_bytes = [0.0; 32];
    for (top, &x) in top_bytes.iter_mut().zip(x) {
        let e = approx_exp2((-x).clamp(-40.0, 40.0) * std::f32::consts::LOG2_E);
        // NaN decides the lane down, as its exact threshold 0 does.
        *top = if x.is_nan() {
            f32::NAN
        } else {
            256.0 / (1.0 + e)
        };
    }
    top_bytes
}

/// `256 metropolis(x[l], lane l of own is up)` of 32 lanes to within [`APPROX_MARGIN`], as
/// [`approx_top_bytes`] for [`metropolis`]: `exp(-|x|)` by the same polynomial, `|x|` clamped to 40;
/// NaN stays NaN.
#[inline(always)]
pub fn approx_metropolis_top_bytes(x: &[f32; 32], own: u32) -> [f32; 32] {
    let mut top_bytes = [0.0; 32];
    for (l, (top, &x)) in top_bytes.iter_mut().zip(x).enumerate() {
        let up = (own >> l) & 1 == 1;
        // The flip's probability: exp(-|x|) uphill (x < 0 for a down spin, x > 0 for an up one),
        // 1 downhill.
        let uphill = if up { x > 0.0 } else { x < 0.0 };
        let flip = if uphill {
            approx_exp2(-x.abs().min(40.0) * std::f32::consts::LOG2_E)
        } else {
            1.0
        };
        let stay_up = if up { 1.0 - flip } else { flip };
        *top = if x.is_nan() {
            f32::NAN
        } else {
            256.0 * stay_up
        };
    }
    top_bytes
}

/// One packed word of 32 Bernoulli draws for `(node, word)` in `sweep`: bit `l` is set when lane
/// `l`'s 24-bit uniform is below `thresholds[l]` (see the module documentation for the layout).
#[inline(always)]
pub fn bernoulli_word(
    seed: u64,
    sweep: u64,
    node: u32,
    word: u32,
    purpose: Purpose,
    thresholds: &[u32; 32],
) -> u32 {
    bernoulli_word_refined(
        seed,
        sweep,
        node,
        word,
        purpose,
        &top_bytes(thresholds),
        |l| thresholds[l],
    )
}

/// The top bytes, with fraction, of exact thresholds (`t / 2^16`): the approximation
/// [`bernoulli_word_refined`] takes where the thresholds are known.
#[inline(always)]
pub(crate) fn top_bytes(thresholds: &[u32; 32]) -> [f32; 32] {
    let mut top_bytes = [0.0; 32];
    for (top, &t) in top_bytes.iter_mut().zip(thresholds) {
        *top = t as f32 / 65536.0;
    }
    top_bytes
}

/// [`bernoulli_word`] with the thresholds computed exactly only where they matter: `approx[l]` is
/// within [`APPROX_MARGIN`] of lane `l`'s exact `exact(l) / 2^16`, which is asked for only when the
/// lane's top byte could tie with the exact threshold's (one or two bytes in 256). The result is the
/// very word `bernoulli_word` gives with the exact thresholds.
#[inline(always)]
pub fn bernoulli_word_refined(
    seed: u64,
    sweep: u64,
    node: u32,
    word: u32,
    purpose: Purpose,
    approx: &[f32; 32],
    exact: impl Fn(usize) -> u32,
) -> u32 {
    let [up] = bernoulli_words_refined(
        seed,
        sweep,
        (&[node], &[word]),
        purpose,
        &[*approx],
        |_, l| exact(l),
    );
    up
}

/// [`bernoulli_word_refined`] for `N` words side by side (word `i` at `(keys.0[i], keys.1[i])` as
/// `(node, word)`, with `approx[i]` and `exact(i, l)`): the same words, with calls 0 and 1 drawn
/// across the words so that the compiler can use vector instructions. Inlined, so that it runs at
/// the caller's vector level.
#[inline(always)]
pub(crate) fn bernoulli_words_refined<const N: usize>(
    seed: u64,
    sweep: u64,
    (nodes, words): (&[u32; N], &[u32; N]),
    purpose: Purpose,
    approx: &[[f32; 32]; N],
    exact: impl Fn(usize, usize) -> u32,
) -> [u32; N] {
    debug_assert!(sweep <= MAX_SWEEP);
    let (key, rest) = (key_of(seed), counter_rest(sweep, purpose));
    let high = if N >= PAIRED_CALL_WORDS {
        philox4x32_10_many::<N, 2>(nodes, words, rest, key)
    } else {
        let [first, _] = philox4x32_10_many::<N, 1>(nodes, words, rest, key);
        let [second, _] = philox4x32_10_many::<N, 1>(nodes, words, [rest[0], rest[1] | 1], key);
        [first, second]
    };
    let mut out = [0u32; N];
    for (i, out) in out.iter_mut().enumerate() {
        let call = |c: u32| philox4x32_10([nodes[i], words[i], rest[0], rest[1] | c], key);
        // Lane `l`'s top byte is byte `l % 4` of output `(l % 16) / 4` of call `l / 16`: byte `l`
        // of the calls' outputs in order, little-endian.
        let mut bytes = [0u8; 32];
        for (q, bytes) in bytes.chunks_exact_mut(4).enumerate() {
            bytes.copy_from_slice(&high[q / 4][q % 4][i].to_le_bytes());
        }
        let byte = |l: usize| u32::from(bytes[l]);
        // A lane whose byte lies below the margin around `approx` is up, above it down, without
        // branches (`b + 1 <= a` means `b < floor(a)`); the others are pending.
        let (mut up, mut pending) = (0u32, 0u32);
        for (l, &a) in approx[i].iter().enumerate() {
            let b = byte(l) as f32;
            let is_up = b + 1.0 <= a - APPROX_MARGIN;
            up |= u32::from(is_up) << l;
            pending |= u32::from(!is_up & (b <= a + APPROX_MARGIN)) << l;
        }
        // Pending lanes compare with the exact threshold; those whose top byte ties compare low
        // bits.
        let (mut tie, mut low_thresholds) = (0u32, [0u32; 32]);
        while pending != 0 {
            let l = pending.trailing_zeros() as usize;
            let t = exact(i, l);
            low_thresholds[l] = t & 0xffff;
            up |= u32::from(byte(l) < t >> 16) << l;
            tie |= u32::from(byte(l) == t >> 16) << l;
            pending &= pending - 1;
        }
        while tie != 0 {
            let l = tie.trailing_zeros() as usize;
            let low = (call(2 + (l / 8) as u32)[(l % 8) / 2] >> (16 * (l % 2))) & 0xffff;
            up |= u32::from(low < low_thresholds[l]) << l;
            tie &= tie - 1;
        }
        *out = up;
    }
    out
}

/// The lattice path's 32 draws for `(node, word)` with bit-sliced uniforms (see the module
/// documentation): `threshold_plane(q)` is bit `23 - q` of every lane's threshold (lane `l` in bit `l`),
/// and lanes in `always` have the threshold `2^24` (probability 1) and are up whatever they draw.
/// Lane `l` is up iff its 24-bit uniform is below its threshold, as in [`bernoulli_word`].
pub fn bernoulli_word_sliced(
    seed: u64,
    sweep: u64,
    node: u32,
    word: u32,
    purpose: Purpose,
    threshold_plane: impl Fn(usize) -> u32,
    always: u32,
) -> u32 {
    let [up] = bernoulli_words_sliced(
        seed,
        sweep,
        ([node], [word]),
        purpose,
        |_, q| threshold_plane(q),
        [always],
    );
    up
}

/// [`bernoulli_word_sliced`] for `N` words side by side (word `i` at `(keys.0[i], keys.1[i])` as
/// `(node, word)`, with `threshold_plane(i, q)` and `always[i]`), the same results computed so that
/// the compiler can use vector instructions across the words: `SlicedComparison::top_byte`, then
/// `SlicedComparison::finish` only while some word ties. Inlined, so that it runs at the caller's
/// vector level.
#[inline(always)]
pub fn bernoulli_words_sliced<const N: usize>(
    seed: u64,
    sweep: u64,
    keys: ([u32; N], [u32; N]),
    purpose: Purpose,
    threshold_plane: impl Fn(usize, usize) -> u32,
    always: [u32; N],
) -> [u32; N] {
    let mut comparison = SlicedComparison::top_byte(seed, sweep, &keys, purpose, &threshold_plane);
    if comparison.ties() {
        comparison.finish(seed, sweep, &keys, purpose, &threshold_plane);
    }
    let mut below = comparison.below;
    for i in 0..N {
        below[i] |= always[i];
    }
    below
}

/// The bit-sliced comparison of `N` words' uniforms with their thresholds (see
/// [`bernoulli_word_sliced`]), most significant plane first: lanes in `below[i]` are decided up, lanes
/// in `tied[i]` equal the threshold in every plane compared so far (the others are decided down).
/// Threshold planes come from `threshold_plane(i, q)`, as in [`bernoulli_words_sliced`]; lanes of
/// probability 1 are the caller's to add.
#[derive(Clone, Copy, Debug)]
pub(crate) struct SlicedComparison<const N: usize> {
    /// Lanes decided up, per word.
    pub(crate) below: [u32; N],
    /// Lanes still tied, per word.
    pub(crate) tied: [u32; N],
}

impl<const N: usize> SlicedComparison<N> {
    /// The comparison of the top byte, from calls 0 and 1 (side by side, two independent chains of
    /// multiplies, where the words are few enough for both to stay in registers).
    #[inline(always)]
    pub(crate) fn top_byte(
        seed: u64,
        sweep: u64,
        (nodes, words): &([u32; N], [u32; N]),
        purpose: Purpose,
        threshold_plane: &impl Fn(usize, usize) -> u32,
    ) -> Self {
        debug_assert!(sweep <= MAX_SWEEP);
        let (key, rest) = (key_of(seed), counter_rest(sweep, purpose));
        let mut comparison = SlicedComparison {
            below: [0; N],
            tied: [u32::MAX; N],
        };
        if N >= PAIRED_CALL_WORDS {
            let [first, second] = philox4x32_10_many::<N, 2>(nodes, words, rest, key);
            comparison.compare(&first, 0, threshold_plane);
            comparison.compare(&second, 4, threshold_plane);
        } else {
            for c in 0..2 {
                let call = [rest[0], rest[1] | c];
                let [planes, _] = philox4x32_10_many::<N, 1>(nodes, words, call, key);
                comparison.compare(&planes, 4 * c as usize, threshold_plane);
            }
        }
        comparison
    }

    /// Whether some lane of some word still ties.
    #[inline(always)]
    pub(crate) fn ties(&self) -> bool {
        self.tied.iter().fold(0, |any, &t| any | t) != 0
    }

    /// Decides the lanes still tied after [`Self::top_byte`], with calls 2 to 5, each drawn only
    /// while some lane ties.
    #[inline(always)]
    pub(crate) fn finish(
        &mut self,
        seed: u64,
        sweep: u64,
        (nodes, words): &([u32; N], [u32; N]),
        purpose: Purpose,
        threshold_plane: &impl Fn(usize, usize) -> u32,
    ) {
        let (key, rest) = (key_of(seed), counter_rest(sweep, purpose));
        for c in 2..6 {
            let call = [rest[0], rest[1] | c];
            let [planes, _] = philox4x32_10_many::<N, 1>(nodes, words, call, key);
            self.compare(&planes, 4 * c as usize, threshold_plane);
            if !self.ties() {
                break;
            }
        }
    }

    /// Compares planes `q0..q0 + 4` of the uniforms (`planes[o][i]`: plane `q0 + o` of word `i`)
    /// with those of the thresholds, most significant first.
    #[inline(always)]
    fn compare(
        &mut self,
        planes: &[[u32; N]; 4],
        q0: usize,
        threshold_plane: &impl Fn(usize, usize) -> u32,
    ) {
        // Plain loops rather than `map` or `from_fn`, which the compiler may keep out of line (and
        // so out of the caller's vector level).
        for (o, plane) in planes.iter().enumerate() {
            for (i, &u) in plane.iter().enumerate() {
                let t = threshold_plane(i, q0 + o);
                self.below[i] |= self.tied[i] & t & !u;
                self.tied[i] &= !(u ^ t);
            }
        }
    }
}

/// The Philox key of `seed`: its low and high halves.
pub fn key_of(seed: u64) -> [u32; 2] {
    [seed as u32, (seed >> 32) as u32]
}

/// The last two counter words of call 0 in `sweep` for `purpose`; call `c` ors `c` into the second.
fn counter_rest(sweep: u64, purpose: Purpose) -> [u32; 2] {
    [sweep as u32, tag(sweep, purpose)]
}

/// Fewest words [`bernoulli_words_sliced`] draws two calls of side by side: the 16 words of
/// AVX-512, whose 32 vector registers hold both calls' state (16 registers) and the rest; two calls
/// of AVX2's 8 words would fill all of its 16.
const PAIRED_CALL_WORDS: usize = 16;

/// [`philox4x32_10`] of the `N` counters `[nodes[i], words[i], rest[0], rest[1] + call]` with one
/// key for `call` in `0..C` (at most 2), output word by output word: `result[call][o][i]` is output
/// `o` of counter `i`'s call `call` (`[call][1]` is all zero when `C` is 1).
///
/// Each 32-bit word is carried in the low half of a `u64`, so that every 32 x 32 -> 64 multiply is
/// one lane of a vector multiply of low halves (`pmuludq`) and its high half one shift; the high
/// halves carry garbage that the masked multiplies and the final truncation ignore. Two calls go
/// side by side so that one's multiplies run while the other's wait.
#[inline(always)]
fn philox4x32_10_many<const N: usize, const C: usize>(
    nodes: &[u32; N],
    words: &[u32; N],
    rest: [u32; 2],
    key: [u32; 2],
) -> [[[u32; N]; 4]; 2] {
    const LOW: u64 = 0xffff_ffff;
    let mut c = [[[0u64; N]; 4]; C];
    for (call, c) in c.iter_mut().enumerate() {
        for i in 0..N {
            c[0][i] = u64::from(nodes[i]);
            c[1][i] = u64::from(words[i]);
            c[2][i] = u64::from(rest[0]);
            c[3][i] = u64::from(rest[1] + call as u32);
        }
    }
    let mut k = key;
    for round in 0..10 {
        if round > 0 {
            k = [k[0].wrapping_add(W0), k[1].wrapping_add(W1)];
        }
        let (k0, k1) = (u64::from(k[0]), u64::from(k[1]));
        for [c0, c1, c2, c3] in c.iter_mut() {
            for (((c0, c1), c2), c3) in c0.iter_mut().zip(c1).zip(c2).zip(c3) {
                let p0 = u64::from(M0) * (*c0 & LOW);
                let p1 = u64::from(M1) * (*c2 & LOW);
                (*c0, *c1, *c2, *c3) = ((p1 >> 32) ^ *c1 ^ k0, p1, (p0 >> 32) ^ *c3 ^ k1, p0);
            }
        }
    }
    let mut out = [[[0u32; N]; 4]; 2];
    for (out, c) in out.iter_mut().zip(&c) {
        for o in 0..4 {
            for i in 0..N {
                out[o][i] = c[o][i] as u32;
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn random123_known_answers() {
        let cases = [
            (
                [0, 0, 0, 0],
                [0, 0],
                [0x6627_e8d5, 0xe169_c58d, 0xbc57_ac4c, 0x9b00_dbd8],
            ),
            (
                [u32::MAX; 4],
                [u32::MAX; 2],
                [0x408f_276d, 0x41c8_3b0e, 0xa20b_c7c6, 0x6d54_51fd],
            ),
            (
                [0x243f_6a88, 0x85a3_08d3, 0x1319_8a2e, 0x0370_7344],
                [0xa409_3822, 0x299f_31d0],
                [0xd16c_fe09, 0x94fd_cceb, 0x5001_e420, 0x2412_6ea1],
            ),
        ];
        for (ctr, key, want) in cases {
            assert_eq!(philox4x32_10(ctr, key), want, "ctr {ctr:x?} key {key:x?}");
        }
    }

    /// Lane `l`'s 24-bit uniform assembled eagerly from all six calls, straight from the layout.
    fn eager_uniforms(seed: u64, sweep: u64, node: u32, word: u32, purpose: Purpose) -> [u32; 32] {
        let key = key_of(seed);
        let tag = tag(sweep, purpose);
        let calls: Vec<[u32; 4]> = (0..6)
            .map(|c| philox4x32_10([node, word, sweep as u32, tag | c], key))
            .collect();
        std::array::from_fn(|l| {
            let byte = (calls[l / 16][(l % 16) / 4] >> (8 * (l % 4))) & 0xff;
            let low = (calls[2 + l / 8][(l % 8) / 2] >> (16 * (l % 2))) & 0xffff;
            (byte << 16) | low
        })
    }

    #[test]
    fn lazy_low_bits_give_the_same_word_as_full_uniforms() {
        let seed = 0x0123_4567_89ab_cdef_u64;
        for (k, sweep) in [0u64, 7, (5u64 << 32) | 7].into_iter().enumerate() {
            for purpose in [Purpose::Update, Purpose::Init] {
                let u = eager_uniforms(seed, sweep, 11, 3, purpose);
                // Thresholds that tie with some lanes' top byte, and ordinary ones.
                let t: [u32; 32] = std::array::from_fn(|l| match (l + k) % 4 {
                    0 => u[l] & 0xff_0000 | 0x8000,
                    1 => u[l],
                    2 => u[l] + 1,
                    _ => (l as u32) << 19,
                });
                let want = (0..32).fold(0u32, |w, l| w | (u32::from(u[l] < t[l]) << l));
                assert_eq!(bernoulli_word(seed, sweep, 11, 3, purpose, &t), want);
            }
        }
        assert_ne!(
            eager_uniforms(seed, 0, 1, 0, Purpose::Init),
            eager_uniforms(seed, 0, 1, 0, Purpose::Update)
        );
        assert_ne!(
            eager_uniforms(seed, 0, 1, 0, Purpose::Init),
            eager_uniforms(seed + 1, 0, 1, 0, Purpose::Init)
        );
    }

    #[test]
    fn sliced_draws_compare_the_sliced_uniforms() {
        let (seed, sweep, node, word) = (0xfeed_u64, (3u64 << 32) | 9, 17, 2);
        let key = [seed as u32, 0];
        let tag = 3 << 6;
        let calls: Vec<[u32; 4]> = (0..6)
            .map(|c| philox4x32_10([node, word, sweep as u32, tag | c], key))
            .collect();
        let u: [u32; 32] = std::array::from_fn(|l| {
            (0..24).fold(0, |u, q| u | (((calls[q / 4][q % 4] >> l) & 1) << (23 - q)))
        });
        // Thresholds that tie with some lanes in all 24 bits, in the top byte only, and not at all,
        // plus the extremes 0 and 2^24.
        let t: [u32; 32] = std::array::from_fn(|l| match l % 6 {
            0 => u[l],
            1 => u[l] + 1,
            2 => (u[l] & 0xff_0000) | 0x7fff,
            3 => (l as u32) << 19,
            4 => 0,
            _ => 1 << 24,
        });
        let always = (0..32)
            .filter(|l| t[*l] == 1 << 24)
            .fold(0, |m, l| m | (1 << l));
        let plane = |q: usize| (0..32).fold(0, |m, l| m | (((t[l] >> (23 - q)) & 1) << l));
        let want = (0..32).fold(0u32, |w, l| w | (u32::from(u[l] < t[l]) << l));
        assert_eq!(
            bernoulli_word_sliced(seed, sweep, node, word, Purpose::Update, plane, always),
            want
        );
    }

    #[test]
    fn approx_top_bytes_stay_within_a_sixteenth_of_the_margin() {
        // Metropolis by hand: downhill always, uphill exp(-|x|).
        assert_eq!(metropolis(0.5, false), 1.0);
        assert_eq!(metropolis(-0.5, true), 0.0);
        assert_eq!(metropolis(-0.5, false), (-0.5f32).exp());
        assert_eq!(metropolis(0.5, true), 1.0 - (-0.5f32).exp());
        assert_eq!((metropolis(0.0, false), metropolis(0.0, true)), (1.0, 0.0));
        // Arguments spread wide, arguments whose exact top byte sits next to an integer, and extremes.
        let argument = |i: u32| -> f32 {
            let v = i as f32;
            match i % 3 {
                0 => (v * 0.618_034).sin() * 30.0,
                1 => {
                    let q = ((i / 3 % 255) + 1) as f32 / 256.0 + (v * 0.31).sin() * 3e-5;
                    (q / (1.0 - q)).ln()
                }
                _ => [
                    f32::INFINITY,
                    -f32::INFINITY,
                    88.0,
                    -88.0,
                    1e-30,
                    0.0,
                    -17.0,
                ][(i / 3 % 7) as usize],
            }
        };
        for k in 0..3000 {
            let x: [f32; 32] = std::array::from_fn(|l| argument(k * 32 + l as u32));
            for (&x, a) in x.iter().zip(approx_top_bytes(&x)) {
                let t = threshold(sigmoid(x));
                let error = (a - t as f32 / 65_536.0).abs();
                assert!(error <= APPROX_MARGIN / 16.0, "x = {x}: {a} vs {t}");
            }
            // Metropolis, with the lanes' spins down, up and mixed.
            for own in [0, u32::MAX, 0x5a5a_c3c3u32.rotate_left(k)] {
                let approx = approx_metropolis_top_bytes(&x, own);
                for (l, (&x, a)) in x.iter().zip(approx).enumerate() {
                    let t = threshold(metropolis(x, (own >> l) & 1 == 1));
                    let error = (a - t as f32 / 65_536.0).abs();
                    assert!(
                        error <= APPROX_MARGIN / 16.0,
                        "x = {x}, lane {l}: {a} vs {t}"
                    );
                }
            }
        }
        let nan = approx_top_bytes(&[f32::NAN; 32]);
        assert!(nan[0].is_nan() && threshold(sigmoid(f32::NAN)) == 0);
        let nan = approx_metropolis_top_bytes(&[f32::NAN; 32], 1);
        assert!(nan[0].is_nan() && nan[1].is_nan());
        assert_eq!(threshold(metropolis(f32::NAN, true)), 0);
        assert_eq!(threshold(metropolis(f32::NAN, false)), 0);
    }

    #[test]
    fn refined_words_equal_the_exact_ones_for_any_approximation_within_the_margin() {
        let mut asked_without_error = 0;
        // Enough words that lanes inside the margin of a boundary, where a shortcut that ignored
        // the margin would err about once in 500 draws, would go wrong many times over.
        const WORDS: u32 = 400_000;
        for k in 0..WORDS {
            // Thresholds within the margin of a top-byte boundary, anywhere, and the ends 0 and 2^24.
            let exact: [u32; 32] = std::array::from_fn(|l| {
                let r = philox4x32_10([k, l as u32, 0, 0], [5, 6]);
                let boundary = (r[1] % 257) << 16;
                match r[0] % 8 {
                    0 => r[1] % (1 << 24) + 1,
                    1 => [0, 1 << 24][r[1] as usize % 2],
                    2..=4 => boundary.saturating_sub(r[2] % 256),
                    _ => (boundary + r[2] % 256).min(1 << 24),
                }
            });
            // Errors up to the margin either way.
            let errors = [
                -APPROX_MARGIN,
                -APPROX_MARGIN / 2.0,
                0.0,
                APPROX_MARGIN / 2.0,
                APPROX_MARGIN,
            ];
            let error = errors[k as usize % 5];
            let approx = exact.map(|t| t as f32 / 65_536.0 + error);
            let asked = std::cell::Cell::new(0);
            let refined = bernoulli_word_refined(9, 4, k, 1, Purpose::Update, &approx, |l| {
                asked.set(asked.get() + 1);
                exact[l]
            });
            assert_eq!(
                refined,
                bernoulli_word(9, 4, k, 1, Purpose::Update, &exact),
                "word {k}"
            );
            if error == 0.0 {
                asked_without_error += asked.get();
            }
        }
        // Exact thresholds are asked for only near a tie: about 3 lanes in 256.
        assert!(
            asked_without_error < WORDS / 5 * 32 / 20,
            "{asked_without_error} lanes asked"
        );
    }

    #[test]
    fn thresholds_are_exact_for_24_bit_uniforms() {
        assert_eq!(threshold(0.0), 0);
        assert_eq!(threshold(1.0), 1 << 24);
        assert_eq!(threshold(0.5), 1 << 23);
        // u24 < ceil(p 2^24) exactly when u24 / 2^24 < p.
        let p = 0.3f32;
        let t = threshold(p);
        assert!(((t - 1) as f32 / 16_777_216.0) < p && (t as f32 / 16_777_216.0) >= p);
        assert_eq!(
            bernoulli_word(1, 2, 3, 4, Purpose::Update, &[1 << 24; 32]),
            u32::MAX
        );
        assert_eq!(bernoulli_word(1, 2, 3, 4, Purpose::Update, &[0; 32]), 0);
        assert_eq!(sigmoid(0.0), 0.5);
    }
}
