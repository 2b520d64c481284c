#!/usr/bin/env bash
# perf/churn.sh - forwarding under flow-table churn: 10k flows (pcap
# infinite_rx -> net_null, rule set RULES), first alone, then while 1000
# flow_mods per second arrive (ten ferroctl batches of 100 a second,
# alternately adding and deleting rules the traffic never matches).
# Reports Mpps before and during churn and the dip. One PMD core.
# Usage: sudo perf/churn.sh   Env: FLOWS [10000], RULES [r64], DURATION [5], REPS [3],
#      MAIN_CORE [0], PMD_CORE [1]
set -Eeuo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/.." && pwd)
SHARED=${SHARED:-$REPO/../shared}
FLOWS=${FLOWS:-10000}
DURATION=${DURATION:-5}
REPS=${REPS:-3}
RULES=${RULES:-r64}
OUT=${OUT:-$HERE/results/churn-$(date +%Y%m%d-%H%M%S)}
mkdir -p "$OUT" /tmp/ferroswitch-perf/pcap
die() { echo "churn.sh: $*" >&2; exit 1; }
MAIN_CORE=${MAIN_CORE:-0}
PMD_CORE=${PMD_CORE:-1}
# shellcheck source=perf/rules.sh
source "$HERE/rules.sh"
# shellcheck source=perf/ferroswitch_toml.sh
source "$HERE/ferroswitch_toml.sh"
PCAP=/tmp/ferroswitch-perf/pcap/flows_$FLOWS.pcap
[[ -s $PCAP ]] || python3 "$SHARED/bench/ovs-dpdk/gen_pcap.py" --flows "$FLOWS" --out "$PCAP" >/dev/null
(cd "$REPO" && cargo build --release -q)
FS=$REPO/target/release/ferroswitch
CTL=("$REPO/target/release/ferroctl" --run-dir "$OUT/run")
{
	fs_switch_toml "$OUT/run" fschurn 131071 2688
	fs_bridge_toml
	fs_port_toml src 1 "net_pcap0,rx_pcap=$PCAP,infinite_rx=1"
	fs_port_toml sink 2 "net_null1,no-rx=1"
} >"$OUT/churn.toml"
taskset -c "$MAIN_CORE" "$FS" --config "$OUT/churn.toml" >"$OUT/ferroswitch.log" 2>&1 &
FS_PID=$!
CHURN_PID=
cleanup() { [[ -n $CHURN_PID ]] && kill "$CHURN_PID" 2>/dev/null; kill -TERM "$FS_PID" 2>/dev/null; wait 2>/dev/null || true; }
trap cleanup EXIT
for _ in $(seq 1 150); do [[ -S $OUT/run/ferroswitch.ctl ]] && break; sleep 0.2; done
tx() { "${CTL[@]}" --json port-stats | python3 -c 'import json,sys; print(next(p["tx_packets"] for p in json.load(sys.stdin)["ports"] if p["name"]=="sink"))'; }
measure() {  # label
	local s="" a b t0 t1 i
	for i in $(seq 1 "$REPS"); do
		a=$(tx); t0=$(date +%s%N); sleep "$DURATION"; b=$(tx); t1=$(date +%s%N)
		s+="$(awk -v a="$a" -v b="$b" -v t0="$t0" -v t1="$t1" 'BEGIN{printf "%.3f", (b-a)*1000/(t1-t0)}') "
	done
	echo "$1 ${s% }"
}
"${CTL[@]}" add-flows br0 "$(rules_file "$RULES")" >/dev/null
sleep 3
base=$(measure baseline)
for k in 0 1; do
	for j in $(seq 0 99); do echo "table=0,priority=50,tcp,tp_dst=$((k * 100 + j + 20000)),actions=drop"; done >"$OUT/batch$k.flows"
done
(
	while :; do
		for k in 0 1; do
			"${CTL[@]}" add-flows br0 "$OUT/batch$k.flows" >/dev/null
			sleep 0.1
			"${CTL[@]}" del-flows br0 "table=0,tcp" >/dev/null
			sleep 0.1
		done
	done
) &
CHURN_PID=$!
sleep 2
churn=$(measure churn)
mods=$("${CTL[@]}" --json pmd-stats | python3 -c 'import json,sys; p=json.load(sys.stdin)["pmds"][0]; print("upcalls=%d megaflows=%d" % (p["upcalls"], p["megaflows"]))')
python3 - "$base" "$churn" "$mods" "$FLOWS" "$RULES" <<'PY' | tee "$OUT/summary.md"
import sys, statistics
b = [float(x) for x in sys.argv[1].split()[1:]]
c = [float(x) for x in sys.argv[2].split()[1:]]
mb, mc = statistics.median(b), statistics.median(c)
print("| flows | rules | Mpps without churn | Mpps with ~1000 flow_mods/s | dip | pmd |")
print("|---|---|---|---|---|---|")
print(f"| {sys.argv[4]} | {sys.argv[5]} | {mb:.2f} | {mc:.2f} | {100*(1-mc/mb):.0f}% | {sys.argv[3]} |")
PY
