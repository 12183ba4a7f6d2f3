#!/usr/bin/env bash
# Runs every fuzz target for a bounded time (FUZZ_SECONDS each, default 60) from its seed corpus in
# tests/fuzz/corpus/<target>/, new inputs going to a scratch copy; a crash, panic, leak of time or
# memory fails the run and leaves the input under tests/fuzz/artifacts/. Installs cargo-fuzz when it
# is missing. Sanitizer none: the stable toolchain has no -Zsanitizer, and the code is safe Rust.
set -euo pipefail
cd "$(dirname "$0")/../.."

seconds="${FUZZ_SECONDS:-60}"
# Inputs may ask for models as large as the budget allows; a small one keeps each run quick.
export ISING_WGPU_MEMORY=256M
command -v cargo-fuzz > /dev/null || cargo install cargo-fuzz --locked
dir=(--fuzz-dir tests/fuzz)
cargo fuzz build "${dir[@]}" -s none -O
scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT
for target in $(cargo fuzz list "${dir[@]}"); do
    mkdir -p "$scratch/$target"
    echo "fuzzing $target for ${seconds}s"
    cargo fuzz run "${dir[@]}" -s none -O "$target" "$scratch/$target" "tests/fuzz/corpus/$target" -- \
        -max_total_time="$seconds" -rss_limit_mb=4096 -timeout=10 -print_final_stats=1
done
