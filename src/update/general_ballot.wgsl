// general_lanes.wgsl's update with subgroup operations: the lanes of a subgroup take their dispatch
// positions in turn (so a word's lanes are consecutive subgroup invocations), receive their half
// word's Philox call by shuffle and assemble words by ballot; where a subgroup is narrower than a word
// the subgroups' ballots meet in workgroup memory. The same draws as general.wgsl. Needs subgroup
// operations (`wgpu::Features::SUBGROUP`) and general_lanes.wgsl before this; the workgroup size must be a
// multiple of 32 and of the adapter's largest subgroup, so that subgroups are full.

var<workgroup> lane_next: atomic<u32>;

@compute @workgroup_size(WORKGROUP_SIZE)
fn general_ballot(
    @builtin(workgroup_id) wg: vec3<u32>,
    @builtin(num_workgroups) num_wg: vec3<u32>,
    @builtin(subgroup_invocation_id) sg_lane: u32,
    @builtin(subgroup_size) sg_size: u32,
) {
    // The subgroup's first position in the workgroup: subgroups claim theirs in turn.
    var first = 0u;
    if (sg_lane == 0u) {
        first = atomicAdd(&lane_next, sg_size);
    }
    first = subgroupBroadcastFirst(first);
    let local = first + sg_lane;
    let lane = lane_at(linear_index(wg, num_wg, local));
    // The lanes at the start of each run of min(16, subgroup) bits draw the call for the others.
    let run = min(16u, sg_size);
    var high = vec4<u32>(0u);
    if (sg_lane % run == 0u) {
        high = lane_high_call(lane);
    }
    high = subgroupShuffle(high, sg_lane - sg_lane % run);
    let ballot = subgroupBallot(lane_up(lane, lane_threshold(lane), high));
    // One lane per subgroup hands its ballot words (or its part of one word) to the workgroup.
    if (sg_lane == 0u) {
        for (var k = 0u; k < max(1u, sg_size / 32u); k += 1u) {
            let bits = select(ballot[k], ballot.x << (first % 32u), sg_size < 32u);
            atomicOr(&lane_words[first / 32u + k], bits);
        }
    }
    workgroupBarrier();
    if (lane.bit == 0u && lane.in_block) {
        spins[lane.node * p.words + lane.w] = atomicLoad(&lane_words[local / 32u]) & lane_mask(lane.gw, p.chains);
    }
}
