// The lattice path's block update: one invocation per (site of colour `p.colour`, 32-chain word) of a
// periodic lattice with one coupling and one field. Neighbours by index arithmetic, the draw by count
// of up neighbours (count_draw.wgsl): no CSR, no weights, no `exp`, no per-lane loop. Needs
// common.wgsl, philox.wgsl and count_draw.wgsl. The host twin is `LatticeUpdate` in
// lattice.rs beside it.

@group(0) @binding(1) var<storage, read_write> spins: array<u32>;
@group(0) @binding(2) var<storage, read> field_tables: array<PlaneTables>; // per temperature group, per distinct field
@group(0) @binding(3) var<storage, read> site_field: array<u32>; // per site, its field's table

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
    var tables = PlaneTables(p.plane_tables_lo, p.plane_tables_hi);
    if (p.tables_in_buffer == 1u) {
        tables = field_tables[(gw / p.words_per_beta) * p.n_fields + site_field[site]];
    }
    let up = count_draw(c, site, gw, tables);
    spins[site * p.words + w] = up & lane_mask(gw, p.chains);
}
