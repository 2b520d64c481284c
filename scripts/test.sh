#!/usr/bin/env bash
# The whole test suite: installs what is missing (scripts/setup.sh), checks
# formatting and lints, then runs unit and end-to-end tests. Needs root: the
# end-to-end tests start DPDK, create tap devices and network namespaces.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

[ "$(id -u)" -eq 0 ] || { echo "scripts/test.sh: run as root (DPDK, taps and netns need it)" >&2; exit 1; }
bash scripts/setup.sh

if cargo fmt --version >/dev/null 2>&1; then
    cargo fmt --all -- --check
fi
if cargo clippy --version >/dev/null 2>&1; then
    cargo clippy --workspace --all-targets -q -- -D warnings
fi
# End-to-end tests each run a daemon whose PMD spins on core 1; two at a
# time keeps a 2-core machine responsive.
log=$(mktemp)
trap 'rm -f "$log"' EXIT
cargo test --workspace -- --test-threads=2 2>&1 | tee "$log"
# The other way to link DPDK (FERROSWITCH_DPDK_LINK=shared: its shared
# libraries, every driver plugin loaded at start-up) still builds and
# forwards; its own target directory keeps the default build's.
CARGO_TARGET_DIR=target/shared-dpdk FERROSWITCH_DPDK_LINK=shared \
    cargo test --test e2e_forwarding -- --test-threads=2 2>&1 | tee -a "$log"
# One closing line for the whole suite (cargo's last line is whichever
# test binary ran last, often the doc tests with nothing in them).
awk '/^test result:/ { for (i = 1; i <= NF; i++) { if ($(i+1) ~ /^passed/) p += $i; if ($(i+1) ~ /^failed/) f += $i } }
     END { printf "Total: %d passed, %d failed\n", p, f }' "$log"
