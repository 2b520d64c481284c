#!/usr/bin/env bash
# perf/scenarios.sh - forwarding rate of ferroswitch on one PMD core, side by
# side with dpdk-testpmd io forwarding (the ceiling) and OVS-DPDK, on the
# same DPDK virtual devices, in the same run.
#
# Scenario "b-pcap": net_pcap (infinite_rx=1, 64-byte UDP frames from
# ../shared/bench/ovs-dpdk/gen_pcap.py) -> switch -> net_null (no-rx=1),
# with the OVS harness's rule sets r1, r1emc and r64 loaded as OpenFlow
# flows (ferroctl add-flows here, ovs-ofctl add-flows there).
#
# Flow counts above 120 000 (e.g. 1000000) cannot use the OVS harness's
# mempool (net_pcap infinite_rx keeps every frame in an mbuf; OVS would need
# 3 GB of hugepages): they run ferroswitch and testpmd only, both with
# flows + 64 Ki mbufs of 512 bytes.
#
# Usage: sudo perf/scenarios.sh            # all: ferroswitch, testpmd, OVS
#        sudo FLOWS="1 1000" RULESETS=r64 WITH_OVS=0 perf/scenarios.sh
# Env: FLOWS ["1 1000 10000 100000 1000000"], RULESETS ["r1 r1emc r64"],
#      DURATION [10] s per sample, REPS [3], WARMUP [5] s,
#      MAIN_CORE [0], PMD_CORE [1], WITH_OVS [1], WITH_TESTPMD [1],
#      SHARED [repo/../shared], OUT [perf/results/<timestamp>]
#      ROUNDS [1]: repeat the whole sequence (ferroswitch, testpmd, OVS per
#      flow count) this many times; each ratio is then the median of the
#      rounds' own ratios (this machine's speed swings by a third within
#      minutes, so only figures taken minutes apart compare)
#      WITH_PKTGEN [0]: also perf/pktgen/memif-scenario.sh (ferro-pktgen over memif)
# Prints a markdown table of median Mpps and ratios; raw logs stay in OUT.
set -Eeuo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/.." && pwd)
SHARED=${SHARED:-$REPO/../shared}
OVS_BENCH=$SHARED/bench/ovs-dpdk
FLOWS=${FLOWS:-"1 1000 10000 100000 1000000"}
RULESETS=${RULESETS:-"r1 r1emc r64"}
DURATION=${DURATION:-10}
REPS=${REPS:-3}
ROUNDS=${ROUNDS:-1}
ROUND=1
WARMUP=${WARMUP:-5}
MAIN_CORE=${MAIN_CORE:-0}
PMD_CORE=${PMD_CORE:-1}
WITH_OVS=${WITH_OVS:-1}
WITH_TESTPMD=${WITH_TESTPMD:-1}
OUT=${OUT:-$HERE/results/$(date +%Y%m%d-%H%M%S)}
PCAPD=${PCAPD:-/tmp/ferroswitch-perf/pcap}
# Same mempool as the OVS harness gives OVS and testpmd (131072 x 2688 B).
NMBUF=131071
MBUF_ROOM=2688
# Largest pcap the OVS-sized mempool replays.
OVS_MAX_FLOWS=120000
# Mempool for a flow count: NMBUF/MBUF_ROOM up to OVS_MAX_FLOWS, then
# flows + 64 Ki small mbufs.
pool_for() {  # flows -> sets POOL_N POOL_ROOM
	if (($1 <= OVS_MAX_FLOWS)); then POOL_N=$NMBUF POOL_ROOM=$MBUF_ROOM
	else POOL_N=$(($1 + 65535)) POOL_ROOM=512; fi
}

log() { printf '[%(%H:%M:%S)T] %s\n' -1 "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }
median() { tr ' ' '\n' | sort -g | awk 'NF{a[++n]=$1} END{if(n==0){print "NA"}else if(n%2){print a[(n+1)/2]}else{printf "%.3f\n",(a[n/2]+a[n/2+1])/2}}'; }

[[ $(id -u) == 0 ]] || die "run as root (DPDK needs hugepages and raw devices)"
mkdir -p "$OUT" "$PCAPD"
bash "$REPO/scripts/setup.sh" >/dev/null
command -v dpdk-testpmd >/dev/null || WITH_TESTPMD=0
(cd "$REPO" && cargo build --release -q)
FS=$REPO/target/release/ferroswitch
CTL=$REPO/target/release/ferroctl
TSV=$OUT/summary.tsv
printf 'round\tkind\tflows\trules\tsamples_mpps\tmedian_mpps\tcycles_per_pkt\tpath\n' >"$TSV"

{
	echo "date: $(date -Is)"; uname -r
	grep -m1 'model name' /proc/cpuinfo; echo "cores: $(nproc)"
	dpkg-query -W dpdk openvswitch-switch-dpdk 2>/dev/null || true
	echo "ferroswitch: $(git -C "$REPO" describe --always --dirty 2>/dev/null)"
	echo "loadavg: $(cat /proc/loadavg)"
} >"$OUT/env.txt"

pcap_for() {
	local f=$PCAPD/flows_$1.pcap
	[[ -s $f ]] || python3 "$OVS_BENCH/gen_pcap.py" --flows "$1" --out "$f" >/dev/null
	echo "$f"
}

FS_PID=
fs_stop() {
	[[ -n $FS_PID && -d /proc/$FS_PID ]] || return 0
	kill -TERM "$FS_PID"; wait "$FS_PID" 2>/dev/null || true; FS_PID=
}
trap fs_stop EXIT

sink_tx() { "$CTL" --run-dir "$OUT/run" --json port-stats | python3 -c 'import json,sys; print(next(p["tx_packets"] for p in json.load(sys.stdin)["ports"] if p["name"]=="sink"))'; }

# The OVS harness's rule sets: rules_file NAME (writes $OUT/rules_NAME.txt).
# shellcheck source=perf/rules.sh
source "$HERE/rules.sh"
# shellcheck source=perf/ferroswitch_toml.sh
source "$HERE/ferroswitch_toml.sh"

fsctl() { "$CTL" --run-dir "$OUT/run" "$@"; }

measure_ferroswitch() {  # flows
	local n=$1 f r; f=$(pcap_for "$n")
	pool_for "$n"
	{
		fs_switch_toml "$OUT/run" fsperf "$POOL_N" "$POOL_ROOM"
		fs_bridge_toml
		fs_port_toml src 1 "net_pcap0,rx_pcap=$f,infinite_rx=1"
		fs_port_toml sink 2 "net_null1,no-rx=1"
	} >"$OUT/ferroswitch-$n.toml"
	taskset -c "$MAIN_CORE" nice -n -20 "$FS" --config "$OUT/ferroswitch-$n.toml" >"$OUT/ferroswitch-$n-$ROUND.log" 2>&1 &
	FS_PID=$!
	local i; for i in $(seq 1 300); do [[ -S $OUT/run/ferroswitch.ctl ]] && break; sleep 0.2; done
	[[ -S $OUT/run/ferroswitch.ctl ]] || { cat "$OUT/ferroswitch-$n-$ROUND.log" >&2; die "ferroswitch did not start"; }
	for r in $RULESETS; do
		fsctl del-flows br0 >/dev/null
		fsctl add-flows br0 "$(rules_file "$r")" >/dev/null
		log "ferroswitch  flows=$n rules=$r: warm-up ${WARMUP}s"
		sleep "$WARMUP"
		fsctl pmd-stats --clear >/dev/null
		local samples="" a b t0 t1 v
		for i in $(seq 1 "$REPS"); do
			a=$(sink_tx); t0=$(date +%s%N)
			sleep "$DURATION"
			b=$(sink_tx); t1=$(date +%s%N)
			v=$(awk -v a="$a" -v b="$b" -v t0="$t0" -v t1="$t1" 'BEGIN{printf "%.3f", (b-a)*1000/(t1-t0)}')
			samples+="$v "
			log "   sample $i: $v Mpps"
		done
		local st cpp path
		st=$(fsctl --json pmd-stats)
		cpp=$(echo "$st" | python3 -c 'import json,sys; print("%.0f" % json.load(sys.stdin)["pmds"][0]["cycles_per_packet"])')
		path=$(echo "$st" | python3 -c 'import json,sys
p = json.load(sys.stdin)["pmds"][0]; n = max(p["packets"], 1)
print("emc=%.1f%% megaflow=%.1f%% upcall=%.2f%% (%.1f subtables/lookup, %d megaflows)" % (100*p["emc_hits"]/n, 100*p["megaflow_hits"]/n, 100*p["upcalls"]/n, p["lookups_per_packet"], p["megaflows"]))')
		{ fsctl pmd-stats; fsctl port-stats; fsctl dump-flows br0 | head -5; } >"$OUT/ferroswitch-$n-$r-$ROUND.txt"
		local med; med=$(echo "$samples" | median)
		printf '%s\tferroswitch\t%s\t%s\t%s\t%s\t%s\t%s\n' "$ROUND" "$n" "$r" "${samples% }" "$med" "$cpp" "$path" >>"$TSV"
		log "   => ferroswitch median $med Mpps, $cpp cycles/pkt, $path"
	done
	fs_stop
}

measure_testpmd() {  # flows
	local n=$1 f; f=$(pcap_for "$n")
	pool_for "$n"
	local logf=$OUT/testpmd-io-$n-$ROUND.log
	log "testpmd io  flows=$n: $(((REPS + 2) * DURATION))s"
	taskset -c "$MAIN_CORE,$PMD_CORE" nice -n -20 dpdk-testpmd -l "$MAIN_CORE,$PMD_CORE" --main-lcore "$MAIN_CORE" \
		--no-pci --in-memory --file-prefix=fsperftp --socket-limit=$((POOL_N * (POOL_ROOM + 256) / 1048576 + 256)) \
		--vdev="net_pcap0,rx_pcap=$f,infinite_rx=1" --vdev=net_null1,no-rx=1 -- \
		--forward-mode=io --auto-start --stats-period="$DURATION" --nb-cores=1 \
		--mbuf-size="$POOL_ROOM" --total-num-mbufs=$((POOL_N + 1)) </dev/null >"$logf" 2>&1 &
	local pid=$!
	sleep $(((REPS + 2) * DURATION + 1))
	kill -INT "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true
	# Skip the first two prints (t=0 and warm-up), keep REPS.
	local samples
	samples=$(awk '/NIC statistics for port/{p=$(NF-1)} /Tx-pps:/ && p==1 {print $2}' "$logf" |
		sed -n "3,$((REPS + 2))p" | awk '{printf "%.3f ", $1/1e6}')
	local med; med=$(echo "$samples" | median)
	printf '%s\ttestpmd\t%s\tio-fwd\t%s\t%s\t-\t-\n' "$ROUND" "$n" "${samples% }" "$med" >>"$TSV"
	log "   => testpmd median $med Mpps"
}

measure_ovs() {  # flows
	local n=$1
	((n <= OVS_MAX_FLOWS)) || return 0
	log "OVS-DPDK via $OVS_BENCH/bench.sh (flows: $n; rules: $RULESETS)"
	FLOWS="$n" RULESETS="$RULESETS" SKIP_TESTPMD=1 DURATION="$DURATION" REPS="$REPS" WARMUP="$WARMUP" \
		MAIN_CORE="$MAIN_CORE" PMD_CORE="$PMD_CORE" RESULTS="$OUT/ovs-$n-$ROUND" bash "$OVS_BENCH/bench.sh" pcap \
		>"$OUT/ovs-bench-$n-$ROUND.log" 2>&1 || { tail -20 "$OUT/ovs-bench-$n-$ROUND.log" >&2; die "OVS bench failed"; }
	awk -F'\t' -v round="$ROUND" 'NR>1 && $1=="ovs" {printf "%s\tovs\t%s\t%s\t%s\t%s\t-\t%s\n", round, $4, $5, $6, $7, $8}' "$OUT/ovs-$n-$ROUND/summary.tsv" >>"$TSV"
	# Same rules on both sides?
	local r
	for r in $RULESETS; do
		if [[ -f /tmp/ovs-dpdk-bench/run/rules_$r.txt ]] && ! diff -q "$OUT/rules_$r.txt" "/tmp/ovs-dpdk-bench/run/rules_$r.txt" >/dev/null; then
			log "WARNING: rule set $r differs from the one bench.sh gave OVS"
		fi
	done
}

# The three systems one flow count at a time, so that the minutes between
# the runs a ratio compares stay few: this machine's memory speed drifts
# (testpmd at 100k flows: 93 Mpps one hour, 55 the next), and the 100k
# rows follow it.
for ROUND in $(seq 1 "$ROUNDS"); do
	((ROUNDS == 1)) || log "round $ROUND of $ROUNDS"
	for n in $FLOWS; do
		measure_ferroswitch "$n"
		[[ $WITH_TESTPMD == 1 ]] && measure_testpmd "$n"
		[[ $WITH_OVS == 1 ]] && measure_ovs "$n"
	done
done
# WITH_PKTGEN=1: also the memif phy-phy-like run with ferro-pktgen as the
# source and sink (its own table, in $OUT/pktgen/summary.md).
if [[ ${WITH_PKTGEN:-0} == 1 ]]; then
	OUT=$OUT/pktgen MAIN_CORE=$MAIN_CORE PMD_CORE=$PMD_CORE WITH_TESTPMD=$WITH_TESTPMD \
		bash "$HERE/pktgen/memif-scenario.sh" || log "WARNING: the ferro-pktgen memif scenario failed"
fi

# Markdown: one row per (flows, rules); ratios against OVS with the same
# rules and testpmd io with the same pcap, each taken within one round
# (minutes apart); over several rounds, Mpps, cycles/pkt and ratios are the
# medians of the rounds' figures (the path column is round 1's), and the
# last columns list each round's ratios.
python3 - "$TSV" <<'PY' | tee "$OUT/summary.md"
import sys, csv, statistics
rows = list(csv.DictReader(open(sys.argv[1]), delimiter="\t"))
def figure(col, kind, rnd, flows, rules=None):
    for r in rows:
        if r["kind"] == kind and r["round"] == rnd and r["flows"] == flows and (rules is None or r["rules"] == rules):
            try: return float(r[col])
            except ValueError: return None
    return None
def val(kind, rnd, flows, rules=None): return figure("median_mpps", kind, rnd, flows, rules)
def med(xs):
    # A round that measured 0 counts (a failure); one that has no figure not.
    xs = [x for x in xs if x is not None]
    return statistics.median(xs) if xs else None
def fmt(x): return "%.2f" % x if x is not None else "-"
rounds = sorted({r["round"] for r in rows}, key=int)
multi = len(rounds) > 1
head = "| flows | rules | ferroswitch Mpps | cycles/pkt | OVS Mpps | testpmd io Mpps | fs/OVS | fs/testpmd | ferroswitch path |"
if multi:
    head += " fs/OVS per round | fs/testpmd per round |"
print(head)
print("|---" * (head.count("|") - 1) + "|")
seen = []
for r in rows:
    key = (r["flows"], r["rules"])
    if r["kind"] != "ferroswitch" or key in seen:
        continue
    seen.append(key)
    fl, ru = key
    fs = [val("ferroswitch", k, fl, ru) for k in rounds]
    ovs = [val("ovs", k, fl, ru) for k in rounds]
    tp = [val("testpmd", k, fl) for k in rounds]
    r_ovs = [a / b if a is not None and b else None for a, b in zip(fs, ovs)]
    r_tp = [a / b if a is not None and b else None for a, b in zip(fs, tp)]
    cpp = med([figure("cycles_per_pkt", "ferroswitch", k, fl, ru) for k in rounds])
    line = f"| {fl} | {ru} | {fmt(med(fs))} | {'%.0f' % cpp if cpp is not None else '-'} | {fmt(med(ovs))} | {fmt(med(tp))} | {fmt(med(r_ovs))} | {fmt(med(r_tp))} | {r['path']} |"
    if multi:
        line += " " + " ".join(fmt(x) for x in r_ovs) + " | " + " ".join(fmt(x) for x in r_tp) + " |"
    print(line)
PY
log "results in $OUT"
