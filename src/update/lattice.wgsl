// The lattice path's block update: one invocation per (site of colour `p.colour`, 32-chain word) of a
// periodic lattice with one coupling magnitude (bonds +J, or -J where `bond_signs` says: the neighbour
// word inverted by `bit_mask` of the bond's sign bit) and one field (`lattice`; `lattice_tiled` below
// reads the neighbours of a tile once into workgroup memory). Neighbours by index arithmetic, the draw
// by count of up neighbours (count_draw.wgsl): no CSR, no weights, no `exp`, no per-lane loop. Needs
// common.wgsl, philox.wgsl and count_draw.wgsl. The host twin is `LatticeUpdate` in lattice.rs beside
// it.

@group(0) @binding(1) var<storage, read_write> spins: array<u32>;
@group(0) @binding(2) var<storage, read> field_tables: array<PlaneTables>; // per temperature group, per distinct field
@group(0) @binding(3) var<storage, read> site_field: array<u32>; // per site, its field's table
@group(0) @binding(4) var<storage, read> bond_signs: array<u32>; // per site, bit d: bond d is -J

// The sign bits of `site`'s bonds (0 when every bond is +J; `bond_signs` is then not read at all).
fn site_signs(site: u32) -> u32 {
    if (p.signed_bonds == 0u) {
        return 0u;
    }
    return bond_signs[site];
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
    let signs = site_signs(site);
    var c = vec3<u32>(0u);
    add_word(&c, spins[(base + select(x + 1u, 0u, x + 1u == p.lx)) * p.words + w] ^ bit_mask(signs, 0u));
    add_word(&c, spins[(base + select(x - 1u, p.lx - 1u, x == 0u)) * p.words + w] ^ bit_mask(signs, 1u));
    add_word(&c, spins[select(site + p.lx, site + p.lx - plane, y + 1u == p.ly) * p.words + w] ^ bit_mask(signs, 2u));
    add_word(&c, spins[select(site - p.lx, site + plane - p.lx, y == 0u) * p.words + w] ^ bit_mask(signs, 3u));
    if (p.lz > 1u) {
        let volume = plane * p.lz;
        add_word(&c, spins[select(site + plane, site + plane - volume, z + 1u == p.lz) * p.words + w] ^ bit_mask(signs, 4u));
        add_word(&c, spins[select(site - plane, site + volume - plane, z == 0u) * p.words + w] ^ bit_mask(signs, 5u));
    }
    let up = count_draw(c, site, gw, site_tables(site, gw));
    spins[site * p.words + w] = up & lane_mask(gw, p.chains);
}

// Set in the pipeline the host runs when the sampler has one plane table (one beta, one field;
// `p.tables_in_buffer` 0): the tables then come from the parameters, as values every invocation
// shares, which drivers can keep out of the per-invocation work.
override TABLES_FROM_PARAMS: bool = false;

// The plane tables of `site` in global word `gw` (per temperature group and field when several).
fn site_tables(site: u32, gw: u32) -> PlaneTables {
    if (TABLES_FROM_PARAMS) {
        return PlaneTables(p.plane_tables_lo, p.plane_tables_hi);
    }
    return field_tables[(gw / p.words_per_beta) * p.n_fields + site_field[site]];
}

// `lattice_tiled`: one workgroup per tile of LATTICE_TILE_SITES sites (the tile's constants come from
// lattice.rs, `shaders::shared_constants`) of the colour in each of
// LATTICE_TILE_ROWS rows (2 LATTICE_TILE_SITES x-positions) of one z plane, for one word. It first reads
// the other colour's words of the tile and its one-site halo (LATTICE_TILE_SITES + 1 a row, rows y0 - 1
// to y0 + LATTICE_TILE_ROWS, wrapped) into workgroup memory, then each invocation counts its x and y
// neighbours from there (z neighbours from the buffer). Tiles past the lattice's edge load wrapped
// positions and store nothing; the counts, and so the draws, are `lattice`'s.
const LATTICE_HALO: u32 = LATTICE_TILE_SITES + 1u;
var<workgroup> lattice_tile: array<u32, (LATTICE_TILE_ROWS + 2u) * LATTICE_HALO>;

// 1 when the other colour's first position in row `y` of plane `z` of the tile at `x0` is x0, 0 when it
// is x0 - 1 (sides are even, so parities survive wrapping).
fn other_offset(x0: u32, y: u32, z: u32) -> u32 {
    return select(0u, 1u, ((x0 + p.lx - 1u + y + z) & 1u) == p.colour);
}

@compute @workgroup_size(LATTICE_TILE_SITES * LATTICE_TILE_ROWS)
fn lattice_tiled(
    @builtin(workgroup_id) wg: vec3<u32>,
    @builtin(num_workgroups) num_wg: vec3<u32>,
    @builtin(local_invocation_index) local: u32,
) {
    let tiles_x = (p.lx + 2u * LATTICE_TILE_SITES - 1u) / (2u * LATTICE_TILE_SITES);
    let tiles_y = (p.ly + LATTICE_TILE_ROWS - 1u) / LATTICE_TILE_ROWS;
    let g = wg.y * num_wg.x + wg.x;
    let x0 = 2u * LATTICE_TILE_SITES * (g % tiles_x);
    let y0 = LATTICE_TILE_ROWS * ((g / tiles_x) % tiles_y);
    let z = (g / (tiles_x * tiles_y)) % p.lz;
    let w = g / (tiles_x * tiles_y * p.lz);
    let in_range = w < p.words;
    let wr = select(0u, w, in_range);
    let plane = p.lx * p.ly;
    for (var i = local; i < (LATTICE_TILE_ROWS + 2u) * LATTICE_HALO; i += LATTICE_TILE_SITES * LATTICE_TILE_ROWS) {
        let yy = (y0 + p.ly - 1u + i / LATTICE_HALO) % p.ly;
        let x = (x0 + p.lx - 1u + other_offset(x0, yy, z) + 2u * (i % LATTICE_HALO)) % p.lx;
        lattice_tile[i] = spins[(plane * z + p.lx * yy + x) * p.words + wr];
    }
    workgroupBarrier();
    let j = local / LATTICE_TILE_SITES;
    let y = y0 + j;
    let x = x0 + 2u * (local % LATTICE_TILE_SITES) + ((p.colour + y + z) & 1u);
    if (!in_range || x >= p.lx || y >= p.ly) {
        return;
    }
    // Tile row r holds row y0 - 1 + r, its other-colour position px at (px + 1 - x0 - offset) / 2:
    // x - 1 and x + 1 in the site's own row, x itself in the rows above and below.
    let own = (j + 1u) * LATTICE_HALO;
    let left = (x - x0 - other_offset(x0, y, z)) / 2u;
    let site = plane * z + p.lx * y + x;
    let signs = site_signs(site);
    var c = vec3<u32>(0u);
    add_word(&c, lattice_tile[own + left + 1u] ^ bit_mask(signs, 0u));
    add_word(&c, lattice_tile[own + left] ^ bit_mask(signs, 1u));
    let above = (x + 1u - x0 - other_offset(x0, (y + 1u) % p.ly, z)) / 2u;
    let below = (x + 1u - x0 - other_offset(x0, (y + p.ly - 1u) % p.ly, z)) / 2u;
    add_word(&c, lattice_tile[(j + 2u) * LATTICE_HALO + above] ^ bit_mask(signs, 2u));
    add_word(&c, lattice_tile[j * LATTICE_HALO + below] ^ bit_mask(signs, 3u));
    if (p.lz > 1u) {
        let volume = plane * p.lz;
        add_word(&c, spins[select(site + plane, site + plane - volume, z + 1u == p.lz) * p.words + w] ^ bit_mask(signs, 4u));
        add_word(&c, spins[select(site - plane, site + volume - plane, z == 0u) * p.words + w] ^ bit_mask(signs, 5u));
    }
    let gw = p.word_offset + w;
    let up = count_draw(c, site, gw, site_tables(site, gw));
    spins[site * p.words + w] = up & lane_mask(gw, p.chains);
}
