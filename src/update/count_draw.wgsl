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

// The 25 bytes of `CountDraw::packed_tables`, four to a word.
struct PlaneTables {
    lo: vec4<u32>,
    hi: vec4<u32>,
}

// Byte `q` of the plane tables: bit k set when the threshold of count k has bit 23 - q (q < 24), or
// is 2^24 (q = 24).
fn plane_table(tables: PlaneTables, q: u32) -> u32 {
    let words = select(tables.lo, tables.hi, q >= 16u);
    return (words[(q / 4u) % 4u] >> (8u * (q % 4u))) & 0xffu;
}

// The lanes whose count (bits c.x, c.y, c.z) is one of the counts in `table` (bit k: count k): a
// multiplexer tree over the count's bits, with the table's bits as all-ones or all-zero words.
fn lanes_in(c: vec3<u32>, table: u32) -> u32 {
    let t = vec4<u32>(0u) - ((vec4<u32>(table) >> vec4<u32>(0u, 2u, 4u, 6u)) & vec4<u32>(1u));
    let u = vec4<u32>(0u) - ((vec4<u32>(table) >> vec4<u32>(1u, 3u, 5u, 7u)) & vec4<u32>(1u));
    // Even count k in t[k / 2], odd count k in u[k / 2]; choose by bit 0, then bit 1, then bit 2.
    let by_bit0 = t ^ ((t ^ u) & vec4<u32>(c.x));
    let by_bit1 = by_bit0.xz ^ ((by_bit0.xz ^ by_bit0.yw) & vec2<u32>(c.y));
    return by_bit1.x ^ ((by_bit1.x ^ by_bit1.y) & c.z);
}

// Compares bit planes q0..q0+3 of the uniforms (`u`) with those of the thresholds.
fn compare_planes(
    below: ptr<function, u32>,
    tied: ptr<function, u32>,
    u: vec4<u32>,
    q0: u32,
    c: vec3<u32>,
    tables: PlaneTables,
) {
    for (var o = 0u; o < 4u; o += 1u) {
        let t = lanes_in(c, plane_table(tables, q0 + o));
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
        compare_planes(&below, &tied, u, 4u * call, c, tables);
    }
    return below | lanes_in(c, plane_table(tables, 24u));
}
