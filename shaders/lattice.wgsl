// The lattice path's block update: one invocation per (site of colour `p.colour`, 32-chain word) of a
// periodic lattice with one coupling and one field. Neighbours by index arithmetic, their up-counts
// by bit-sliced adds, and the draw bit-sliced too (`rng::bernoulli_word_sliced`): no CSR, no weights,
// no `exp`, no per-lane loop. Needs common.wgsl and philox.wgsl. The host twin is `LatticeUpdate` in
// src/backend/lattice.rs.

@group(0) @binding(1) var<storage, read_write> spins: array<u32>;

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

// Byte `q` of the plane tables: bit k set when the threshold of count k has bit 23 - q (q < 24), or
// is 2^24 (q = 24).
fn plane_table(q: u32) -> u32 {
    let words = select(p.plane_tables_lo, p.plane_tables_hi, q >= 16u);
    return (words[(q / 4u) % 4u] >> (8u * (q % 4u))) & 0xffu;
}

// The lanes whose count is one of the counts in `table` (bit k: count k).
fn lanes_in(lanes: ptr<function, array<u32, 8>>, table: u32) -> u32 {
    var t = 0u;
    for (var k = 0u; k < 8u; k += 1u) {
        t |= (*lanes)[k] & (0u - ((table >> k) & 1u));
    }
    return t;
}

// Compares bit planes q0..q0+3 of the uniforms (`u`) with those of the thresholds.
fn compare_planes(
    below: ptr<function, u32>,
    tied: ptr<function, u32>,
    u: vec4<u32>,
    q0: u32,
    lanes: ptr<function, array<u32, 8>>,
) {
    for (var o = 0u; o < 4u; o += 1u) {
        let t = lanes_in(lanes, plane_table(q0 + o));
        *below |= *tied & t & ~u[o];
        *tied &= ~(u[o] ^ t);
    }
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn lattice(
    @builtin(workgroup_id) wg: vec3<u32>,
    @builtin(num_workgroups) num_wg: vec3<u32>,
    @builtin(local_invocation_index) local: u32,
) {
    let idx = linear_index(wg, num_wg, local);
    if (idx >= p.block_len * p.words) {
        return;
    }
    let word_of = div_mod(idx, p.words, p.words_reciprocal);
    let w = word_of.y;
    let gw = p.word_offset + w;
    // The k-th site of this colour, in increasing site order: lx / 2 per row.
    let in_row = div_mod(word_of.x, p.lx / 2u, p.half_reciprocal);
    let row = div_mod(in_row.x, p.ly, p.ly_reciprocal);
    let y = row.y;
    let z = row.x;
    let x = 2u * in_row.y + ((p.colour + y + z) & 1u);
    let plane = p.lx * p.ly;
    let base = plane * z + p.lx * y;
    let site = base + x;
    var c = vec3<u32>(0u);
    add_word(&c, spins[(base + select(x + 1u, 0u, x + 1u == p.lx)) * p.words + w]);
    add_word(&c, spins[(base + select(x - 1u, p.lx - 1u, x == 0u)) * p.words + w]);
    add_word(&c, spins[select(site + p.lx, site + p.lx - plane, y + 1u == p.ly) * p.words + w]);
    add_word(&c, spins[select(site - p.lx, site + plane - p.lx, y == 0u) * p.words + w]);
    if (p.lz > 1u) {
        let volume = plane * p.lz;
        add_word(&c, spins[select(site + plane, site + plane - volume, z + 1u == p.lz) * p.words + w]);
        add_word(&c, spins[select(site - plane, site + volume - plane, z == 0u) * p.words + w]);
    }
    let low = array<u32, 4>(~c.y & ~c.x, ~c.y & c.x, c.y & ~c.x, c.y & c.x);
    var lanes: array<u32, 8>;
    for (var n = 0u; n < 8u; n += 1u) {
        lanes[n] = low[n & 3u] & select(~c.z, c.z, n >= 4u);
    }
    // Most significant bits first: `below` is decided, `tied` still equal so far.
    let key = vec2<u32>(p.seed_lo, p.seed_hi);
    let counter = vec4<u32>(site, gw, p.sweep_lo, p.sweep_hi << 5u);
    var below = 0u;
    var tied = 0xffffffffu;
    // Calls 0 and 1 (the top byte) always, the rest only while some lane ties.
    for (var call = 0u; call < 6u; call += 1u) {
        if (call >= 2u && tied == 0u) {
            break;
        }
        let u = philox4x32_10(counter + vec4<u32>(0u, 0u, 0u, call), key);
        compare_planes(&below, &tied, u, 4u * call, &lanes);
    }
    let up = below | lanes_in(&lanes, plane_table(24u));
    spins[site * p.words + w] = up & lane_mask(gw, p.chains);
}
