//! Philox4x32-10, the counter-based generator shared bit for bit by every backend, and the counter
//! layout that names each draw.
//!
//! A draw depends only on `(seed, sweep, node, word, purpose)`: never on thread count, workgroup size or
//! dispatch shape. The 32 chains of one packed word take their 32 uniforms from 8 Philox calls:
//! chain lane `b` of the word uses output `b % 4` of call `b / 4`.
//!
//! Counter of call `c` (0..8): `[node, word, sweep_lo, (sweep_hi << 4) | (purpose << 3) | c]`,
//! key `[seed_lo, seed_hi]`. Sweeps are therefore limited to 2^60, far beyond any run.

const M0: u32 = 0xD251_1F53;
const M1: u32 = 0xCD9E_8D57;
const W0: u32 = 0x9E37_79B9;
const W1: u32 = 0xBB67_AE85;

/// Philox4x32 with 10 rounds (Salmon et al., SC11), as in Random123.
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
}

/// Largest sweep index the counter layout can name.
pub const MAX_SWEEP: u64 = (1 << 60) - 1;

/// The 32 raw `u32` draws of one `(node, word)` pair in one sweep, lane `b` at index `b`.
pub fn word_draws(seed: u64, sweep: u64, node: u32, word: u32, purpose: Purpose) -> [u32; 32] {
    debug_assert!(sweep <= MAX_SWEEP);
    let key = [seed as u32, (seed >> 32) as u32];
    let tag = (((sweep >> 32) as u32) << 4) | ((purpose as u32) << 3);
    let mut out = [0u32; 32];
    for (call, chunk) in out.chunks_exact_mut(4).enumerate() {
        let ctr = [node, word, sweep as u32, tag | call as u32];
        chunk.copy_from_slice(&philox4x32_10(ctr, key));
    }
    out
}

/// Turns a raw draw into a uniform in `[0, 1)` with 24 random bits (exact in `f32`).
#[inline]
pub fn uniform(bits: u32) -> f32 {
    (bits >> 8) as f32 * (1.0 / 16_777_216.0)
}

/// The probability `sigmoid(x) = 1 / (1 + exp(-x))` in `f32`, as every kernel computes it.
#[inline]
pub fn sigmoid(x: f32) -> f32 {
    1.0 / (1.0 + (-x).exp())
}

/// One packed word of 32 Bernoulli draws: bit `b` is set when lane `b`'s uniform is below `p[b]`.
#[inline]
pub fn bernoulli_word(draws: &[u32; 32], p: &[f32; 32]) -> u32 {
    let mut word = 0u32;
    for b in 0..32 {
        word |= u32::from(uniform(draws[b]) < p[b]) << b;
    }
    word
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

    #[test]
    fn draws_follow_the_counter_layout() {
        let seed = 0x0123_4567_89ab_cdef_u64;
        let sweep = (5u64 << 32) | 7;
        let d = word_draws(seed, sweep, 11, 3, Purpose::Init);
        for call in 0..8u32 {
            let ctr = [11, 3, 7, (5 << 4) | (1 << 3) | call];
            let out = philox4x32_10(ctr, [0x89ab_cdef, 0x0123_4567]);
            assert_eq!(&d[4 * call as usize..4 * call as usize + 4], &out);
        }
        assert_ne!(d, word_draws(seed, sweep, 11, 3, Purpose::Update));
        assert_ne!(d, word_draws(seed + 1, sweep, 11, 3, Purpose::Init));
    }

    #[test]
    fn uniforms_cover_the_unit_interval_and_compare_exactly() {
        assert_eq!(uniform(0), 0.0);
        assert!(uniform(u32::MAX) < 1.0);
        assert_eq!(uniform(1 << 31), 0.5);
        let p = [0.5f32; 32];
        let mut draws = [0u32; 32];
        draws[3] = u32::MAX;
        assert_eq!(bernoulli_word(&draws, &p), !(1u32 << 3));
        assert_eq!(sigmoid(0.0), 0.5);
    }
}
