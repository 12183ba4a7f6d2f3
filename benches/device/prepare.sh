#!/usr/bin/env bash
# Builds what benches/device/run.sh needs on a GPU machine that has no Rust toolchain: stripped release
# binaries of the CLI, the GPU test suites and the criterion kernels bench, in device-bin/ (ignored by
# git; carry it, and the Vulkan loader in .gl, as the device tool's README describes).
set -euo pipefail
cd "$(dirname "$0")/../.."
export CARGO_PROFILE_RELEASE_DEBUG=0 CARGO_PROFILE_RELEASE_STRIP=symbols
cargo build --release --bin ising
tests=$(cargo test --release --no-run --message-format=json --test gpu --test gpu_app --test adapters --test site_packed --test physics 2>/dev/null \
  | grep -o '"executable":"[^"]*"' | cut -d'"' -f4)
bench=$(cargo bench --no-run --message-format=json --bench kernels 2>/dev/null \
  | grep -o '"executable":"[^"]*"' | cut -d'"' -f4)
rm -rf device-bin && mkdir -p device-bin
cp target/release/ising device-bin/
for t in $tests $bench; do cp "$t" "device-bin/$(basename "$t" | sed 's/-[0-9a-f]*$//')"; done
cp -r data device-bin/
du -sh device-bin
