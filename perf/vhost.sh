#!/usr/bin/env bash
# perf/vhost.sh - vhost-user forwarding on one PMD core (core 1), with the
# same guests as ../shared/bench/ovs-dpdk/bench.sh: dpdk-testpmd with a
# net_virtio_user port in server mode (queue_size 1024), both its lcores on
# core 0, at nice -20; the switch runs at nice -20 too, as OVS does there.
# The switch's ports are dpdkvhostuserclient, as OVS's are there.
#   g2h: guest txonly -> switch -> net_null
#   h2g: net_null     -> switch -> guest rxonly
#   g2g: guest txonly -> switch -> guest rxonly (PVP-like, two guests)
# Mpps = the switch's tx counter of the output port over DURATION s, REPS
# times (median). Then, unless OVS=0, OVS-DPDK's vhost scenarios (g2h,
# h2g) with the same guests through the shared harness (and testpmd's own
# vhost backend, the ceiling). ROUNDS > 1 alternates the two ROUNDS times
# (ABAB...), so that the guest's drift over a run (it shares core 0, and
# its rate swings 2-3x between minutes) falls on both switches alike; the
# summary pairs each round's figures.
# Usage: sudo perf/vhost.sh
# Env: DURATION [10], REPS [3], WARMUP [5], OVS [1], ROUNDS [1], SCENARIOS ["g2h h2g g2g"]
set -Eeuo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/.." && pwd)
SHARED=${SHARED:-$REPO/../shared}
DURATION=${DURATION:-10}
REPS=${REPS:-3}
WARMUP=${WARMUP:-5}
OVS=${OVS:-1}
ROUNDS=${ROUNDS:-1}
SCENARIOS=${SCENARIOS:-g2h h2g g2g}
OUT=${OUT:-$HERE/results/vhost-$(date +%Y%m%d-%H%M%S)}
MAIN_CORE=0 PMD_CORE=1
# shellcheck source=perf/ferroswitch_toml.sh
source "$HERE/ferroswitch_toml.sh"
mkdir -p "$OUT"
die() { echo "vhost.sh: $*" >&2; exit 1; }
command -v dpdk-testpmd >/dev/null || die "dpdk-testpmd missing (apt-get install -y dpdk)"
(cd "$REPO" && cargo build --release -q)
FS=$REPO/target/release/ferroswitch
CTL=("$REPO/target/release/ferroctl" --run-dir "$OUT/run")

FS_PID= GUEST_PIDS=()
stop_all() {
	local p
	for p in "${GUEST_PIDS[@]}"; do kill -INT "$p" 2>/dev/null || true; done
	for p in "${GUEST_PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
	GUEST_PIDS=()
	if [[ -n $FS_PID ]]; then kill -TERM "$FS_PID" 2>/dev/null || true; wait "$FS_PID" 2>/dev/null || true; fi
	FS_PID=
}
trap stop_all EXIT

guest() {  # name mode sock
	rm -f "$3"
	taskset -c 0 nice -n -20 dpdk-testpmd --lcores=0@0,1@0 --main-lcore 0 --no-pci --in-memory \
		--file-prefix="fsvg$1" --single-file-segments -m 256 \
		--vdev="net_virtio_user0,path=$3,server=1,queues=1,queue_size=1024" -- \
		--forward-mode="$2" --auto-start --stats-period="$DURATION" --nb-cores=1 \
		--txd=1024 --rxd=1024 --total-num-mbufs=32768 </dev/null >"$OUT/guest-$1.log" 2>&1 &
	GUEST_PIDS+=($!)
	local i; for i in $(seq 1 50); do [[ -S $3 ]] && return 0; sleep 0.2; done
	die "guest $1 did not create $3"
}

switch() {  # scenario; ports from the variables IN and OUTP (TOML)
	{
		fs_switch_toml "$OUT/run" fsvhost 32767
		fs_bridge_toml "table=0,priority=0,in_port=1,dl_dst=00:00:00:00:00:00/01:00:00:00:00:00,actions=output:2"
		echo 'listen = ["tcp:127.0.0.1:0"]'
		printf '[[bridge.port]]\nname = "in"\nofport = 1\n%s\n' "$IN"
		printf '[[bridge.port]]\nname = "out"\nofport = 2\n%s\n' "$OUTP"
	} >"$OUT/$1.toml"
	rm -rf "$OUT/run"
	taskset -c "$MAIN_CORE" nice -n -20 "$FS" --config "$OUT/$1.toml" >"$OUT/ferroswitch-$1.log" 2>&1 &
	FS_PID=$!
	local i; for i in $(seq 1 150); do [[ -S $OUT/run/ferroswitch.ctl ]] && break; sleep 0.2; done
	"${CTL[@]}" show >/dev/null || die "switch did not start (see $OUT/ferroswitch-$1.log)"
}

tx_of() { "${CTL[@]}" --json port-stats | python3 -c 'import json,sys; print(next(p["tx_packets"] for p in json.load(sys.stdin)["ports"] if p["name"]=="'"$1"'"))'; }

measure() {  # scenario -> "name mpps..."
	local s="" a b t0 t1 i
	sleep "$WARMUP"
	for i in $(seq 1 "$REPS"); do
		a=$(tx_of out); t0=$(date +%s%N); sleep "$DURATION"; b=$(tx_of out); t1=$(date +%s%N)
		s+="$(awk -v a="$a" -v b="$b" -v t0="$t0" -v t1="$t1" 'BEGIN{printf "%.3f", (b-a)*1000/(t1-t0)}') "
	done
	echo "$1 $ROUND ${s% }" | tee -a "$OUT/samples.txt"
}

S=$OUT/sock
mkdir -p "$S"
for ROUND in $(seq 1 "$ROUNDS"); do
for sc in $SCENARIOS; do
	case $sc in
	g2h)
		guest a txonly "$S/a.sock"
		IN="type = \"dpdkvhostuserclient\""$'\n'"path = \"$S/a.sock\""
		OUTP='devargs = "net_null1,no-rx=1"'
		;;
	h2g)
		guest b rxonly "$S/b.sock"
		IN='devargs = "net_null0"'
		OUTP="type = \"dpdkvhostuserclient\""$'\n'"path = \"$S/b.sock\""
		;;
	g2g)
		guest a txonly "$S/a.sock"
		guest b rxonly "$S/b.sock"
		IN="type = \"dpdkvhostuserclient\""$'\n'"path = \"$S/a.sock\""
		OUTP="type = \"dpdkvhostuserclient\""$'\n'"path = \"$S/b.sock\""
		;;
	*) die "unknown scenario $sc" ;;
	esac
	switch "$sc"
	measure "$sc"
	"${CTL[@]}" pmd-stats >"$OUT/pmd-stats-$sc-$ROUND.txt"
	"${CTL[@]}" port-stats >"$OUT/port-stats-$sc-$ROUND.txt"
	stop_all
done
if [[ $OVS == 1 ]]; then
	echo "OVS-DPDK with the same guests, round $ROUND (shared harness):"
	RESULTS="$OUT/ovs-$ROUND" DURATION=$DURATION REPS=$REPS WARMUP=$WARMUP \
		bash "$SHARED/bench/ovs-dpdk/bench.sh" setup vhost
fi
done

python3 - "$OUT" <<'PY' | tee "$OUT/summary.md"
import os, statistics, sys
out = sys.argv[1]
fs = {}  # (scenario, round) -> samples
for line in open(os.path.join(out, "samples.txt")):
    name, rnd, *xs = line.split()
    fs[(name, int(rnd))] = [float(x) for x in xs]
other = {}  # (kind, scenario, round) -> median
rounds = sorted({r for _, r in fs})
for r in rounds:
    tsv = os.path.join(out, f"ovs-{r}", "summary.tsv")
    if not os.path.exists(tsv):
        continue
    for row in open(tsv).read().splitlines()[1:]:
        f = row.split("\t")
        if len(f) < 7 or f[1] != "d-vhost":
            continue
        sc = {"guest-txonly": "g2h", "guest-rxonly": "h2g"}.get(f[2])
        if sc and f[0] in ("ovs", "testpmd"):
            other[(f[0], sc, r)] = float(f[6])
med = lambda v: statistics.median(v)
print("| scenario | round | ferroswitch Mpps (samples) | OVS Mpps | fs/OVS | testpmd vhost backend |")
print("|---|---|---|---|---|---|")
ratios = {}
for (sc, r), v in sorted(fs.items()):
    o, t = other.get(("ovs", sc, r)), other.get(("testpmd", sc, r))
    ratio = f"{med(v) / o:.2f}" if o else "-"
    if o:
        ratios.setdefault(sc, []).append(med(v) / o)
    print(f"| {sc} | {r} | {med(v):.2f} ({' '.join(f'{x:.2f}' for x in v)}) | "
          f"{o if o is not None else '-'} | {ratio} | {t if t is not None else '-'} |")
for sc, rs in ratios.items():
    print(f"\n{sc}: fs/OVS per round {' '.join(f'{x:.2f}' for x in rs)}; median {med(rs):.2f}")
PY
