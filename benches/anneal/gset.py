"""Gset MaxCut: `ising anneal` (CPU backend, and GPU when asked) against dwave-samplers'
SimulatedAnnealingSampler on the same machine, one after the other (the numbers for BENCHMARKS.md).

For each graph: (1) dwave-samplers with 64 reads of 1000 sweeps, then ours with as many reads of
1000 sweeps as fit the same wall time: best cuts at equal time; (2) time to a cut within 0.3% of the
best-known one: sweeps doubled from 16 with 64 reads until a read gets there, for each sampler.

  python3 -m venv V && V/bin/pip install dwave-samplers dimod numpy
  cargo build --release && V/bin/python benches/anneal/gset.py [--backends cpu,gpu]
The peer is ../shared/peers/gset_dwave.py (not copied here).
"""
import argparse, json, os, re, subprocess, sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PEER = os.path.join(ROOT, "..", "shared", "peers", "gset_dwave.py")
ISING = os.path.join(ROOT, "target", "release", "ising")
BEST_KNOWN = {"G11": 564, "G14": 3064, "G22": 13359, "G43": 6660}


def ours(graph, backend, reads, sweeps):
    out = subprocess.run(
        [ISING, "anneal", "--problem", graph, "--backend", backend, "--reads", str(reads),
         "--sweeps", str(sweeps), "--schedule", "geometric:0.1:3.0", "--json"],
        check=True, capture_output=True, text=True).stdout
    r = json.loads(out)
    return r["best_cut"], r["seconds"]


def dwave(graph, reads, sweeps):
    out = subprocess.run([sys.executable, PEER, graph, "--reads", str(reads), "--sweeps", str(sweeps)],
                         check=True, capture_output=True, text=True).stdout
    m = re.search(r"best cut (\S+) .* time (\S+) s", out)
    return float(m.group(1)), float(m.group(2))


def time_to_target(run, target):
    sweeps = 16
    while sweeps <= 1 << 16:
        cut, seconds = run(sweeps)
        if cut >= target:
            return sweeps, seconds
        sweeps *= 2
    return None, None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--backends", default="cpu")
    ap.add_argument("--graphs", default="G11,G14,G22,G43")
    a = ap.parse_args()
    print(f"machine: {os.cpu_count()} cores")
    for name in a.graphs.split(","):
        graph = os.path.join(ROOT, "data", "gset", name + ".txt")
        target = BEST_KNOWN[name] * (1 - 0.003)
        d_cut, d_time = dwave(graph, 64, 1000)
        print(f"{name}: dwave-samplers 64 reads x 1000 sweeps: best cut {d_cut:.0f} in {d_time:.2f} s")
        d_sweeps, d_tt = time_to_target(lambda s: dwave(graph, 64, s), target)
        print(f"{name}: dwave-samplers to >= {target:.0f} (0.3% of {BEST_KNOWN[name]}): {d_sweeps} sweeps x 64 reads, {d_tt} s")
        for backend in a.backends.split(","):
            _, t64 = ours(graph, backend, 64, 1000)
            reads = max(32, int(64 * d_time / t64) // 32 * 32)
            cut, seconds = ours(graph, backend, reads, 1000)
            print(f"{name}: ours {backend} {reads} reads x 1000 sweeps: best cut {cut:.0f} in {seconds:.2f} s")
            o_sweeps, o_tt = time_to_target(lambda s: ours(graph, backend, 64, s), target)
            ratio = f"{d_tt / o_tt:.1f}x" if o_tt and d_tt else "n/a"
            print(f"{name}: ours {backend} to >= {target:.0f}: {o_sweeps} sweeps x 64 reads, {o_tt} s ({ratio} shorter)")


main()
