#!/usr/bin/env bash
# perf/storm.sh - an upcall storm beside established traffic, one PMD core.
#
# Two net_pcap infinite_rx inputs polled by the same PMD:
#   "est"   (ofport 1): 1 flow, rule in_port=1 -> sink_est;
#   "storm" (ofport 2): STORM_FLOWS distinct UDP 5-tuples, forwarded to
#           sink_storm through a select group of two buckets: the bucket
#           choice hashes the 5-tuple, so every 5-tuple is its own
#           megaflow, and switch.flow_limit (FLOW_LIMIT) keeps the cache
#           from holding them all, so most storm packets are new flows
#           (upcalls) for as long as the test runs.
# Phases: baseline (the storm port forwarded by one cached megaflow, the
# same work without upcalls), then the storm. Reports the established flow's Mpps in both, the dip,
# the flow setup rate (upcalls/s) and the storm's forwarded Mpps.
# Usage: sudo perf/storm.sh
# Env: STORM_FLOWS [100000], FLOW_LIMIT [10000], DURATION [5], REPS [3]
set -Eeuo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/.." && pwd)
SHARED=${SHARED:-$REPO/../shared}
STORM_FLOWS=${STORM_FLOWS:-100000}
FLOW_LIMIT=${FLOW_LIMIT:-10000}
DURATION=${DURATION:-5}
REPS=${REPS:-3}
MAIN_CORE=${MAIN_CORE:-0}
PMD_CORE=${PMD_CORE:-1}
OUT=${OUT:-$HERE/results/storm-$(date +%Y%m%d-%H%M%S)}
PCAPD=/tmp/ferroswitch-perf/pcap
# shellcheck source=perf/ferroswitch_toml.sh
source "$HERE/ferroswitch_toml.sh"
mkdir -p "$OUT" "$PCAPD"
[[ $(id -u) == 0 ]] || { echo "storm.sh: run as root" >&2; exit 1; }
pcap_for() {
	local f=$PCAPD/flows_$1.pcap
	[[ -s $f ]] || python3 "$SHARED/bench/ovs-dpdk/gen_pcap.py" --flows "$1" --out "$f" >/dev/null
	echo "$f"
}
EST=$(pcap_for 1)
STORM=$(pcap_for "$STORM_FLOWS")
(cd "$REPO" && cargo build --release -q)
FS=$REPO/target/release/ferroswitch
CTL=("$REPO/target/release/ferroctl" --run-dir "$OUT/run")
{
	fs_switch_toml "$OUT/run" fsstorm 262143 1024 "flow_limit = $FLOW_LIMIT"
	fs_bridge_toml
	fs_port_toml est 1 "net_pcap0,rx_pcap=$EST,infinite_rx=1"
	fs_port_toml storm 2 "net_pcap1,rx_pcap=$STORM,infinite_rx=1"
	fs_port_toml sink_est 3 "net_null2,no-rx=1"
	fs_port_toml sink_storm 4 "net_null3,no-rx=1"
} >"$OUT/storm.toml"
taskset -c "$MAIN_CORE" "$FS" --config "$OUT/storm.toml" >"$OUT/ferroswitch.log" 2>&1 &
FS_PID=$!
trap 'kill -TERM $FS_PID 2>/dev/null; wait 2>/dev/null || true' EXIT
for _ in $(seq 1 300); do [[ -S $OUT/run/ferroswitch.ctl ]] && break; sleep 0.2; done
[[ -S $OUT/run/ferroswitch.ctl ]] || { cat "$OUT/ferroswitch.log" >&2; exit 1; }

# counters: prints "est_tx storm_tx upcalls"
counters() {
	local ports pmds
	ports=$("${CTL[@]}" --json port-stats)
	pmds=$("${CTL[@]}" --json pmd-stats)
	python3 -c '
import json, sys
tx = {p["name"]: p["tx_packets"] for p in json.loads(sys.argv[1])["ports"]}
print(tx["sink_est"], tx["sink_storm"], json.loads(sys.argv[2])["pmds"][0]["upcalls"])' "$ports" "$pmds"
}
measure() {  # label -> "label est_mpps storm_mpps upcalls_per_s" per sample
	local i a b t0 t1
	for i in $(seq 1 "$REPS"); do
		a=$(counters); t0=$(date +%s%N); sleep "$DURATION"; b=$(counters); t1=$(date +%s%N)
		awk -v l="$1" -v a="$a" -v b="$b" -v t0="$t0" -v t1="$t1" 'BEGIN{
			split(a, x, " "); split(b, y, " "); s = (t1 - t0) / 1e9
			printf "%s %.3f %.3f %.0f\n", l, (y[1]-x[1])/s/1e6, (y[2]-x[2])/s/1e6, (y[3]-x[3])/s }'
	done
}
printf 'in_port=1,actions=output:3\nin_port=2,actions=output:4\n' >"$OUT/base.flows"
printf 'in_port=1,actions=output:3\nin_port=2,actions=group:1\n' >"$OUT/storm.flows"
"${CTL[@]}" add-group br0 "group_id=1,type=select,bucket=output:4,bucket=output:4" >/dev/null
"${CTL[@]}" add-flows br0 "$OUT/base.flows" >/dev/null
sleep 3
measure baseline | tee "$OUT/samples.txt"
"${CTL[@]}" del-flows br0 >/dev/null
"${CTL[@]}" add-flows br0 "$OUT/storm.flows" >/dev/null
sleep 3
measure storm | tee -a "$OUT/samples.txt"
"${CTL[@]}" pmd-stats >"$OUT/pmd-stats.txt"
python3 - "$OUT/samples.txt" "$STORM_FLOWS" "$FLOW_LIMIT" <<'PY' | tee "$OUT/summary.md"
import sys, statistics
rows = [l.split() for l in open(sys.argv[1]) if l.strip()]
def med(label, col):
    return statistics.median(float(r[col]) for r in rows if r[0] == label)
be, se = med("baseline", 1), med("storm", 1)
print("| storm flows | flow limit | established Mpps alone | established Mpps in storm | dip | flow setups/s | storm Mpps forwarded |")
print("|---|---|---|---|---|---|---|")
print(f"| {sys.argv[2]} | {sys.argv[3]} | {be:.2f} | {se:.2f} | {100*(1-se/be):.0f}% | {med('storm', 3):,.0f} | {med('storm', 2):.3f} |")
PY
