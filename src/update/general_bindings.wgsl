// What every variant of the general update reads (general.wgsl, general_lanes.wgsl,
// general_ballot.wgsl): the bindings, and the beta and CSR entry lookups. Needs common.wgsl.

@group(0) @binding(1) var<storage, read_write> spins: array<u32>;
@group(0) @binding(2) var<storage, read> row_ptr: array<u32>;
@group(0) @binding(3) var<storage, read> adj: array<vec2<u32>>;   // (neighbour, weight bits)
@group(0) @binding(4) var<storage, read> biases: array<f32>;
@group(0) @binding(5) var<storage, read> block_nodes: array<u32>;
@group(0) @binding(6) var<storage, read> adj_hi: array<vec2<u32>>;   // entries past p.adj_split
@group(0) @binding(7) var<storage, read> betas: array<f32>;   // per temperature group (`Temperatures`)

// Whether the CSR continues in `adj_hi` (set by the host): without, the loop reads one binding.
override SPLIT_ADJACENCY: bool = true;

// The beta of global word `gw`'s temperature group: with one group it is uniform, and no lane loads
// or divides.
fn word_beta(gw: u32) -> f32 {
    if (p.beta_groups == 1u) {
        return p.beta;
    }
    return betas[gw / p.words_per_beta];
}

// CSR entry k, from whichever of the two adjacency bindings holds it.
fn adjacency(k: u32) -> vec2<u32> {
    if (SPLIT_ADJACENCY && k >= p.adj_split) {
        return adj_hi[k - p.adj_split];
    }
    return adj[k];
}


// Whether this dispatch updates a block (by either rule) rather than drawing initial spins.
fn is_update() -> bool {
    return p.mode == MODE_UPDATE || p.mode == MODE_METROPOLIS;
}

// The Philox key and the counter's last word of this dispatch's draws (`rng::tag`).
fn draw_key() -> vec2<u32> {
    return vec2<u32>(p.seed_lo, p.seed_hi);
}

fn draw_tag() -> u32 {
    let purpose = select(PURPOSE_INIT, PURPOSE_UPDATE, is_update());
    return (p.sweep_hi << SWEEP_HI_SHIFT) | (purpose << PURPOSE_SHIFT);
}

// The update's threshold of P(up) for `x` = 2 beta field: the heat bath's, or in MODE_METROPOLIS
// Metropolis's for the chain whose spin is bit `bit` of `own` (`GeneralUpdate::lanes`).
fn update_threshold(x: f32, own: u32, bit: u32) -> u32 {
    if (p.mode == MODE_METROPOLIS) {
        return threshold(metropolis(x, ((own >> bit) & 1u) == 1u));
    }
    return threshold(sigmoid(x));
}

// The initial draws' threshold: P(up) = sigmoid(beta * bias) (hinton) or 1/2 (uniform).
fn init_threshold(beta: f32, bias: f32) -> u32 {
    return select(threshold(sigmoid(beta * bias)), threshold(0.5), p.mode == MODE_UNIFORM);
}
