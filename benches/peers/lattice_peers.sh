# The lattice peers of run.sh, lattice_limit.sh and mpi_ranks.sh (sourced; needs $peers, and $python
# for THRML and dwave-samplers): the C heat bath, and THRML and dwave-samplers on the J = 1 torus
# 256 x 256 at beta_c, each skipped where its script is absent.

# Builds the C heat bath into target/ (not copied into the project), defines `peer` to run it on two
# threads, and names the machine.
c_peer() {
  gcc -O3 -march=native -fopenmp -o target/msc_heatbath_indep "$peers/msc_heatbath_indep.c" -lm
  peer() { OMP_NUM_THREADS=2 target/msc_heatbath_indep "$@"; }
  echo "== machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
}

# THRML with $1 chains for $2 sweeps (best of 2 after JIT).
thrml_lattice() {
  [ -f "$peers/thrml_ising_peer.py" ] || return 0
  echo "== THRML: J = 1 torus 256x256 at beta_c, $1 chains, $2 sweeps"
  "$python" "$peers/thrml_ising_peer.py" ising --L 256 --beta 0.44068679 --chains "$1" \
    --sweeps "$2" --samples 1 --repeats 2 | grep per_sec
}

# dwave-samplers' Gibbs and Metropolis samplers, 4 reads of 200 sweeps.
dwave_lattice() {
  [ -f "$peers/dwave_peer.py" ] || return 0
  echo "== dwave-samplers: J = 1 torus 256x256 at beta_c, Gibbs and Metropolis, 4 reads x 200 sweeps"
  "$python" "$peers/dwave_peer.py" --L 256 --reads 4 --sweeps 200 --betas 0.44068679 | tail -2
}
