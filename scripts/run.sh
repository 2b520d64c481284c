#!/usr/bin/env bash
# Builds ferroswitch and runs it on the default configuration
# (config/default.toml: two net_tap ports and one net_null port, no
# hardware). Extra arguments go to ferroswitch. Stop it with Ctrl-C.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

[ "$(id -u)" -eq 0 ] || { echo "scripts/run.sh: run as root (DPDK needs hugepages and tap devices)" >&2; exit 1; }
bash scripts/setup.sh
cargo build --release --bins
echo "ferroswitch: starting; in another shell try: ./target/release/ferroctl show"
exec ./target/release/ferroswitch --config config/default.toml "$@"
