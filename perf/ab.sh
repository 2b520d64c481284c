#!/usr/bin/env bash
# perf/ab.sh - A/B of two ferroswitch binaries by their PMD thread's
# on-CPU rate: packets forwarded per second of CPU time the PMD thread
# actually got (/proc/<pid>/task/<tid>/schedstat), so other load on the
# machine does not enter. The binaries alternate, ROUNDS times, on the
# scenario of perf/scenarios.sh (net_pcap infinite_rx -> switch ->
# net_null, 64-byte UDP, the OVS harness's rule sets). This is how the
# per-change gains in docs/architecture.md were measured; the machine's
# memory speed drifts within minutes, so only alternated pairs compare.
#
# Usage: perf/ab.sh OLD_BINARY NEW_BINARY     (as root)
#        FLOWS=1000 RULES=r64 ROUNDS=5 SECS=5 perf/ab.sh old/ferroswitch new/ferroswitch
# Env: FLOWS [100000], RULES [r64] (r1, r1emc, r64), ROUNDS [3], SECS [5],
#      WARMUP [3] s, MAIN_CORE [0], PMD_CORE [1], OUT [perf/results/ab-<timestamp>]
set -Eeuo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/.." && pwd)
OVS_BENCH=$(cd "$REPO/.." && pwd)/shared/bench/ovs-dpdk
FLOWS=${FLOWS:-100000}
RULES=${RULES:-r64}
ROUNDS=${ROUNDS:-3}
SECS=${SECS:-5}
WARMUP=${WARMUP:-3}
MAIN_CORE=${MAIN_CORE:-0}
PMD_CORE=${PMD_CORE:-1}
OUT=${OUT:-$HERE/results/ab-$(date +%Y%m%d-%H%M%S)}
PCAPD=${PCAPD:-/tmp/ferroswitch-perf/pcap}

log() { printf '[%(%H:%M:%S)T] %s\n' -1 "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }
median() { tr ' ' '\n' | sort -g | awk 'NF{a[++n]=$1} END{if(n==0){print "NA"}else if(n%2){print a[(n+1)/2]}else{printf "%.3f\n",(a[n/2]+a[n/2+1])/2}}'; }

(($# == 2)) || die "usage: perf/ab.sh OLD_BINARY NEW_BINARY"
OLD=$(realpath "$1") NEW=$(realpath "$2")
for b in "$OLD" "$NEW"; do [[ -x $b ]] || die "$b: not an executable"; done
[[ $(id -u) == 0 ]] || die "run as root (DPDK needs hugepages)"
mkdir -p "$OUT" "$PCAPD"
bash "$REPO/scripts/setup.sh" >/dev/null
(cd "$REPO" && cargo build --release -q --bin ferroctl)
CTL=$REPO/target/release/ferroctl
# shellcheck source=perf/rules.sh
source "$HERE/rules.sh"
# shellcheck source=perf/ferroswitch_toml.sh
source "$HERE/ferroswitch_toml.sh"

PCAP=$PCAPD/flows_$FLOWS.pcap
[[ -s $PCAP ]] || python3 "$OVS_BENCH/gen_pcap.py" --flows "$FLOWS" --out "$PCAP" >/dev/null
RULEF=$(rules_file "$RULES")
# The scenarios' mempool: 131071 x 2688 B up to 120k flows, else
# flows + 64 Ki mbufs of 512 B.
if ((FLOWS <= 120000)); then POOL="131071 2688"; else POOL="$((FLOWS + 65535)) 512"; fi
{
	# shellcheck disable=SC2086
	fs_switch_toml "$OUT/run" fsab $POOL
	fs_bridge_toml
	fs_port_toml src 1 "net_pcap0,rx_pcap=$PCAP,infinite_rx=1"
	fs_port_toml sink 2 "net_null1,no-rx=1"
} >"$OUT/ferroswitch.toml"

PID=""
stop() { [[ -n $PID ]] && { kill "$PID" 2>/dev/null; wait "$PID" 2>/dev/null || true; }; PID=""; }
trap stop EXIT

# Mpps per on-CPU second of the PMD thread for one binary.
measure() {  # binary
	local ctl=("$CTL" --run-dir "$OUT/run") i tid c0 c1 p
	rm -rf "$OUT/run"
	taskset -c "$MAIN_CORE" nice -n -20 "$1" --config "$OUT/ferroswitch.toml" >"$OUT/ferroswitch.log" 2>&1 &
	PID=$!
	for i in $(seq 1 150); do [[ -S $OUT/run/ferroswitch.ctl ]] && break; sleep 0.2; done
	[[ -S $OUT/run/ferroswitch.ctl ]] || { cat "$OUT/ferroswitch.log" >&2; die "$1 did not start"; }
	"${ctl[@]}" add-flows br0 "$RULEF" >/dev/null
	sleep "$WARMUP"
	tid=$(ps -eLo pid,tid,comm | awk -v p="$PID" -v c="pmd-c$PMD_CORE" '$1==p && $3==c {print $2}')
	[[ -n $tid ]] || die "no PMD thread pmd-c$PMD_CORE in $1"
	"${ctl[@]}" pmd-stats --clear >/dev/null
	c0=$(awk '{print $1}' "/proc/$PID/task/$tid/schedstat")
	sleep "$SECS"
	c1=$(awk '{print $1}' "/proc/$PID/task/$tid/schedstat")
	p=$("${ctl[@]}" --json pmd-stats | python3 -c 'import json,sys; print(json.load(sys.stdin)["pmds"][0]["packets"])')
	stop
	awk -v p="$p" -v c=$((c1 - c0)) 'BEGIN{printf "%.2f", p / c * 1000}'
}

log "A/B on-CPU: flows=$FLOWS rules=$RULES, $ROUNDS rounds of ${SECS}s; results in $OUT"
A="" B=""
for r in $(seq 1 "$ROUNDS"); do
	a=$(measure "$OLD"); b=$(measure "$NEW")
	A+="$a " B+="$b "
	log "round $r: old $a, new $b Mpps on-CPU"
done
ma=$(echo "$A" | median) mb=$(echo "$B" | median)
printf 'old %s: %s (median %s Mpps on-CPU)\nnew %s: %s (median %s Mpps on-CPU)\nnew/old %.3f\n' \
	"$OLD" "${A% }" "$ma" "$NEW" "${B% }" "$mb" "$(awk -v a="$ma" -v b="$mb" 'BEGIN{print b/a}')" | tee "$OUT/summary.txt"
