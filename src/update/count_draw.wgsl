// Draws by count of up neighbours (one coupling, one field), the twin of `CountDraw` in
// count_draw.rs beside it: bit-sliced counts, threshold bit planes looked up by count, and the
// bit-sliced comparison of `rng::bernoulli_word_sliced`. Needs common.wgsl and philox.wgsl.

// (n / d, n % d) given m = floor((2^32 - 1) / d), without a division (a slow one on some devices):
// m d > 2^32 - 1 - d, so q = floor(n m / 2^32) is floor(n / d) or one less, fixed by one step.
fn div_mod(n: u32, d: u32, m: u32) -> vec2<u32> {
    let q = mul_hi_lo(n, m).x;
    let r = n - q * d;
    return select(vec2<u32>(q, r), vec2<u32>(q + 1u, r - d), r >= d);
}

// Adds `word` into the per-lane 3-bit counters `c`.
fn add_word(c: ptr<function, vec3<u32>>, word: u32) {
    let carry0 = (*c).x & word;
    let carry1 = (*c).y & carry0;
    *c = vec3<u32>((*c).x ^ word, (*c).y ^ carry0, (*c).z | carry1);
}

// The 25 bytes of `CountDraw::packed_tables`, four to a word: byte q has bit k set when the threshold
// of count k has bit 23 - q (q < 24), or is 2^24 (q = 24).
struct PlaneTables {
    lo: vec4<u32>,
    hi: vec4<u32>,
}

// Bit `bit` of `word` as an all-ones or all-zero word: shifted to the top, then spread by the sign.
fn bit_mask(word: u32, bit: u32) -> u32 {
    return bitcast<u32>(bitcast<i32>(word << (31u - bit)) >> 31u);
}

// `a` where `choose` is clear, `b` where it is set, bit by bit.
fn pick(a: u32, b: u32, choose: u32) -> u32 {
    return a ^ ((a ^ b) & choose);
}

// The lanes whose count (bits c.x, c.y, c.z) is one of the counts in byte `o` of `tables` (four bytes
// of `PlaneTables`; bit k of a byte: count k): a multiplexer tree over the count's bits without the
// branches no count reaches (counts stop at 4 on a square lattice, at 6 on a cubic one), as `lanes_in`
// of count_draw.rs.
fn lanes_in(c: vec3<u32>, tables: u32, o: u32) -> u32 {
    let k = 8u * o;
    let below_four = pick(
        pick(bit_mask(tables, k), bit_mask(tables, k + 1u), c.x),
        pick(bit_mask(tables, k + 2u), bit_mask(tables, k + 3u), c.x),
        c.y,
    );
    // With c.z set: count 4 only, or 4 to 6 (6 the only one with c.y).
    var from_four = bit_mask(tables, k + 4u);
    if (p.lz > 1u) {
        from_four = pick(pick(from_four, bit_mask(tables, k + 5u), c.x), bit_mask(tables, k + 6u), c.y);
    }
    return pick(below_four, from_four, c.z);
}

// Compares the bit planes `u` of four uniforms with the four threshold planes in the bytes of `tables`.
fn compare_planes(below: ptr<function, u32>, tied: ptr<function, u32>, u: vec4<u32>, tables: u32, c: vec3<u32>) {
    for (var o = 0u; o < 4u; o += 1u) {
        let t = lanes_in(c, tables, o);
        *below |= *tied & t & ~u[o];
        *tied &= ~(u[o] ^ t);
    }
}

// The 32 draws of `(node, word)` in sweep `p.sweep_*` for lanes with up-neighbour counts `c` and the
// thresholds of `tables`.
fn count_draw(c: vec3<u32>, node: u32, word: u32, tables: PlaneTables) -> u32 {
    // Most significant bits first: `below` is decided, `tied` still equal so far.
    let key = vec2<u32>(p.seed_lo, p.seed_hi);
    let tag = (p.sweep_hi << SWEEP_HI_SHIFT) | (PURPOSE_UPDATE << PURPOSE_SHIFT);
    let counter = vec4<u32>(node, word, p.sweep_lo, tag);
    var below = 0u;
    var tied = 0xffffffffu;
    // Calls 0 and 1 (the top byte) always, the rest only while some lane ties.
    for (var call = 0u; call < 6u; call += 1u) {
        if (call >= 2u && tied == 0u) {
            break;
        }
        let u = philox4x32_10(counter + vec4<u32>(0u, 0u, 0u, call), key);
        // Call `call` compares planes 4 call to 4 call + 3: the bytes of word `call` of the tables.
        compare_planes(&below, &tied, u, select(tables.lo, tables.hi, call >= 4u)[call % 4u], c);
    }
    return below | lanes_in(c, tables.hi.z, 0u);
}
