// One huge lattice, site-packed (site_packed.rs beside it has the layout): `site_packed` updates
// words of colour `p.colour`, one invocation a word of 32 sites; `site_packed_tiled` updates all of
// them a tile of rows x 32 words per workgroup, reading the other colour's words once into workgroup
// memory; `site_packed_measure` counts up spins and agreeing neighbour pairs per workgroup. Each colour
// may span two bindings (`p.slab_words` words in the first). Needs common.wgsl, philox.wgsl and
// count_draw.wgsl. Host twin: `CpuSitePacked` (and, for slabs, the CPU slab of `RankedSitePacked`).
//
// The buffers hold the whole lattice or a slab of it (`p.halos`: whole planes of the last axis with
// a halo plane either side, `Slab` in site_packed.rs). Words are named by global index `g` (draws,
// rows); the buffers are indexed by `g - p.word_offset` (wrapping), and across a slab's faces the
// neighbours lie in the halos instead of wrapping around.
//
// Parameters: p.block_offset, p.block_len = the first word and the words updated or measured (the
// tiled kernel: all), p.words = words a row (reciprocal in p.words_reciprocal), p.ly with
// p.ly_reciprocal, p.lz.

@group(0) @binding(1) var<storage, read_write> even_lo: array<u32>;
@group(0) @binding(2) var<storage, read_write> even_hi: array<u32>;
@group(0) @binding(3) var<storage, read_write> odd_lo: array<u32>;
@group(0) @binding(4) var<storage, read_write> odd_hi: array<u32>;
@group(0) @binding(5) var<storage, read_write> partials: array<u32>;

// Words of a colour in the whole lattice.
fn colour_words() -> u32 {
    return p.words * p.ly * p.lz;
}

// Held word `g` (local index) of `colour`, from whichever binding holds it.
fn load(colour: u32, g: u32) -> u32 {
    let lo = g < p.slab_words;
    let h = g - p.slab_words;
    if (colour == 0u) {
        if (lo) {
            return even_lo[g];
        }
        return even_hi[h];
    }
    if (lo) {
        return odd_lo[g];
    }
    return odd_hi[h];
}

fn store(colour: u32, g: u32, value: u32) {
    let lo = g < p.slab_words;
    let h = g - p.slab_words;
    if (colour == 0u) {
        if (lo) {
            even_lo[g] = value;
        } else {
            even_hi[h] = value;
        }
    } else if (lo) {
        odd_lo[g] = value;
    } else {
        odd_hi[h] = value;
    }
}

// The other colour's word shifted by one site within the row, filled from its previous word (even
// rows of the colour: x - 1) or its next word (odd rows: x + 1).
fn shifted(parity: u32, same: u32, prev: u32, next: u32) -> u32 {
    return select((same >> 1u) | (next << 31u), (same << 1u) | (prev >> 31u), parity == 0u);
}

// The other colour's words at z +- 1 of held word `l` in plane `z` (3D only; a slab's z faces open
// onto its halos).
fn vertical_words(other: u32, l: u32, z: u32) -> vec2<u32> {
    let plane = p.words * p.ly;
    let volume = plane * p.lz;
    let wraps = p.halos == 0u;
    return vec2<u32>(
        load(other, select(l + plane, l + plane - volume, wraps && z + 1u == p.lz)),
        load(other, select(l - plane, l + volume - plane, wraps && z == 0u)),
    );
}

// The other colour's words holding the neighbours of word `g` (global) of `colour`, as
// `SitePackedLattice::neighbour_words`; the first 4 (2D) or 6 (3D) count.
fn neighbour_words(colour: u32, g: u32) -> array<u32, 6> {
    let other = 1u - colour;
    let r = p.words;
    let rk = div_mod(g, r, p.words_reciprocal);
    let k = rk.y;
    let yz = div_mod(rk.x, p.ly, p.ly_reciprocal);
    let y = yz.y;
    let z = yz.x;
    let l = g - p.word_offset;
    let start = l - k;
    let same = load(other, l);
    let prev = load(other, start + select(k - 1u, r - 1u, k == 0u));
    let next = load(other, start + select(k + 1u, 0u, k + 1u == r));
    let plane = r * p.ly;
    // In 2D the last axis is y: a slab's y faces open onto its halos.
    let wraps = p.halos == 0u || p.lz > 1u;
    var words = array<u32, 6>(
        same,
        shifted((colour + y + z) & 1u, same, prev, next),
        load(other, select(l + r, l + r - plane, wraps && y + 1u == p.ly)),
        load(other, select(l - r, l + plane - r, wraps && y == 0u)),
        0u,
        0u,
    );
    if (p.lz > 1u) {
        let v = vertical_words(other, l, z);
        words[4] = v.x;
        words[5] = v.y;
    }
    return words;
}

fn degree() -> u32 {
    return select(4u, 6u, p.lz > 1u);
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn site_packed(
    @builtin(workgroup_id) wg: vec3<u32>,
    @builtin(num_workgroups) num_wg: vec3<u32>,
    @builtin(local_invocation_index) local: u32,
) {
    let i = linear_index(wg, num_wg, local);
    if (i >= p.block_len) {
        return;
    }
    let g = p.block_offset + i;
    let words = neighbour_words(p.colour, g);
    var c = vec3<u32>(0u);
    for (var d = 0u; d < degree(); d += 1u) {
        add_word(&c, words[d]);
    }
    store(p.colour, g - p.word_offset, count_draw(c, p.colour * colour_words() + g, SITE_PACKED_WORD, PlaneTables(p.plane_tables_lo, p.plane_tables_hi)));
}

// Tiles of `site_packed_tiled` (the whole lattice only): TILE_ROWS rows (y) of TILE_WORDS words of one z plane, read with a
// halo of one row and one word on each side; each invocation updates every (WORKGROUP_SIZE / 32)-th
// row of its column (the workgroup size is a multiple of 32, at most 256). TILE_WORDS and TILE_ROWS
// come from site_packed.rs.
const HALO_WORDS: u32 = TILE_WORDS + 2u;
var<workgroup> tile: array<u32, (TILE_ROWS + 2u) * HALO_WORDS>;

@compute @workgroup_size(WORKGROUP_SIZE)
fn site_packed_tiled(
    @builtin(workgroup_id) wg: vec3<u32>,
    @builtin(num_workgroups) num_wg: vec3<u32>,
    @builtin(local_invocation_index) local: u32,
) {
    let r = p.words;
    let tiles_k = (r + TILE_WORDS - 1u) / TILE_WORDS;
    let tiles_y = (p.ly + TILE_ROWS - 1u) / TILE_ROWS;
    let t = wg.y * num_wg.x + wg.x;
    let z = t / (tiles_k * tiles_y);
    let inside = z < p.lz; // past the last tile when the dispatch was folded
    let y0 = ((t / tiles_k) % tiles_y) * TILE_ROWS;
    let k0 = (t % tiles_k) * TILE_WORDS;
    let other = 1u - p.colour;
    // Halo slot (i, j) holds row y0 - 1 + i, word k0 - 1 + j, both wrapped.
    for (var s = local; s < (TILE_ROWS + 2u) * HALO_WORDS; s += WORKGROUP_SIZE) {
        let y = (y0 + s / HALO_WORDS + p.ly - 1u) % p.ly;
        let k = (k0 + s % HALO_WORDS + r - 1u) % r;
        tile[s] = select(0u, load(other, (y + p.ly * z) * r + k), inside);
    }
    workgroupBarrier();
    let j = local % TILE_WORDS + 1u;
    let k = k0 + j - 1u;
    for (var i = local / TILE_WORDS + 1u; i <= TILE_ROWS; i += WORKGROUP_SIZE / TILE_WORDS) {
        let y = y0 + i - 1u;
        if (!inside || y >= p.ly || k >= r) {
            break;
        }
        let g = (y + p.ly * z) * r + k;
        let at = i * HALO_WORDS + j;
        let same = tile[at];
        var c = vec3<u32>(0u);
        add_word(&c, same);
        add_word(&c, shifted((p.colour + y + z) & 1u, same, tile[at - 1u], tile[at + 1u]));
        add_word(&c, tile[at + HALO_WORDS]);
        add_word(&c, tile[at - HALO_WORDS]);
        if (p.lz > 1u) {
            let v = vertical_words(other, g, z);
            add_word(&c, v.x);
            add_word(&c, v.y);
        }
        store(p.colour, g, count_draw(c, p.colour * colour_words() + g, SITE_PACKED_WORD, PlaneTables(p.plane_tables_lo, p.plane_tables_hi)));
    }
}

var<workgroup> sums: array<atomic<u32>, 2>;

// Per workgroup: up spins of both colours' words and agreeing pairs of colour 0's words with their
// neighbours, over the words p.block_offset.. (p.block_len of them), at partials[2 * workgroup] and
// partials[2 * workgroup + 1].
@compute @workgroup_size(WORKGROUP_SIZE)
fn site_packed_measure(
    @builtin(workgroup_id) wg: vec3<u32>,
    @builtin(num_workgroups) num_wg: vec3<u32>,
    @builtin(local_invocation_index) local: u32,
) {
    if (local == 0u) {
        atomicStore(&sums[0], 0u);
        atomicStore(&sums[1], 0u);
    }
    workgroupBarrier();
    let i = linear_index(wg, num_wg, local);
    if (i < p.block_len) {
        let g = p.block_offset + i;
        let a = load(0u, g - p.word_offset);
        let words = neighbour_words(0u, g);
        var agreements = 0u;
        for (var d = 0u; d < degree(); d += 1u) {
            agreements += countOneBits(~(a ^ words[d]));
        }
        atomicAdd(&sums[0], countOneBits(a) + countOneBits(load(1u, g - p.word_offset)));
        atomicAdd(&sums[1], agreements);
    }
    workgroupBarrier();
    if (local == 0u) {
        let slot = wg.y * num_wg.x + wg.x;
        partials[2u * slot] = atomicLoad(&sums[0]);
        partials[2u * slot + 1u] = atomicLoad(&sums[1]);
    }
}
