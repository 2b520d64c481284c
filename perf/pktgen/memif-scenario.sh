#!/usr/bin/env bash
# perf/pktgen/memif-scenario.sh - phy-phy-like forwarding measured with
# ferro-pktgen: the generator sends into memif port 1 of the device under
# test and receives from its memif port 2 (two memif clients; the DUT's
# ports are the memif servers), one DUT PMD core each:
#   ferroswitch  in_port=1 actions=output:2 (one OpenFlow rule)
#   testpmd      io forwarding (the ceiling)
# For each DUT: RFC 2544 NDR/PDR at 64 bytes (trials of TRIAL s, searched up
# to MAX_PPS) and the forwarded rate when offered as much as the generator
# can send. The generator's worker shares MAIN_CORE with the DUT's control
# thread: on a 2-core machine this measures the pair, not the DUT alone.
#
# Usage: sudo perf/pktgen/memif-scenario.sh
# Env: TRIAL [5] s, MAX_PPS [5000000], SIZES [64], RUN_SECONDS [5], RETRIES [1],
#      MAIN_CORE [0], PMD_CORE [1], WITH_TESTPMD [1], OUT [perf/results/pktgen-<timestamp>]
# Prints a markdown table; JSON and logs stay in OUT.
set -Eeuo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
TRIAL=${TRIAL:-5}
MAX_PPS=${MAX_PPS:-5000000}
SIZES=${SIZES:-64}
RUN_SECONDS=${RUN_SECONDS:-5}
RETRIES=${RETRIES:-1}
MAIN_CORE=${MAIN_CORE:-0}
PMD_CORE=${PMD_CORE:-1}
WITH_TESTPMD=${WITH_TESTPMD:-1}
OUT=${OUT:-$REPO/perf/results/pktgen-$(date +%Y%m%d-%H%M%S)}

log() { printf '[%(%H:%M:%S)T] %s\n' -1 "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

[[ $(id -u) == 0 ]] || die "run as root (DPDK needs hugepages)"
mkdir -p "$OUT"
command -v dpdk-testpmd >/dev/null || WITH_TESTPMD=0
(cd "$REPO" && cargo build --release -q -p ferroswitch -p ferro-pktgen)
FS=$REPO/target/release/ferroswitch
PG=$REPO/target/release/ferro-pktgen
SOCK_A=$OUT/in.sock
SOCK_B=$OUT/out.sock

DUT_PID=
dut_stop() {
	[[ -n $DUT_PID && -d /proc/$DUT_PID ]] || return 0
	kill -INT "$DUT_PID" 2>/dev/null || true; wait "$DUT_PID" 2>/dev/null || true; DUT_PID=
}
trap dut_stop EXIT

start_ferroswitch() {
	cat >"$OUT/ferroswitch.toml" <<CFG
[switch]
run_dir = "$OUT/run"
control_core = $MAIN_CORE
pmd_cores = [$PMD_CORE]
file_prefix = "fspgdut"
log_level = "warn"
[[bridge]]
name = "br0"
flows = ["table=0,priority=100,in_port=1,actions=output:2", "table=0,priority=0,actions=drop"]
[[bridge.port]]
name = "in"
ofport = 1
devargs = "net_memif0,role=server,socket=$SOCK_A"
[[bridge.port]]
name = "out"
ofport = 2
devargs = "net_memif1,role=server,socket=$SOCK_B"
CFG
	"$FS" --config "$OUT/ferroswitch.toml" >"$OUT/ferroswitch.log" 2>&1 &
	DUT_PID=$!
	local i; for i in $(seq 1 150); do [[ -S $OUT/run/ferroswitch.ctl ]] && return 0; sleep 0.2; done
	cat "$OUT/ferroswitch.log" >&2; die "ferroswitch did not start"
}

start_testpmd() {
	dpdk-testpmd -l "$MAIN_CORE,$PMD_CORE" --main-lcore "$MAIN_CORE" --no-pci --in-memory \
		--file-prefix=fspgtp --socket-limit=512 \
		--vdev="net_memif0,role=server,socket=$SOCK_A" --vdev="net_memif1,role=server,socket=$SOCK_B" -- \
		--forward-mode=io --auto-start --nb-cores=1 --stats-period=60 </dev/null >"$OUT/testpmd.log" 2>&1 &
	DUT_PID=$!
	sleep 3
}

pktgen() {  # mode, args...
	local mode=$1; shift
	"$PG" "$mode" --port "net_memif0,role=client,socket=$SOCK_A" \
		--rx-port "net_memif1,role=client,socket=$SOCK_B" \
		--core "$MAIN_CORE" --main-core "$MAIN_CORE" --file-prefix=fspggen --eal=--no-pci \
		--eal=--log-level=*:error --line-rate-gbps 10 --json "$@"
}

measure() {  # name start-function
	local name=$1
	log "$name: starting"
	$2
	log "$name: RFC 2544 at sizes $SIZES, trials of ${TRIAL}s up to $MAX_PPS pps"
	pktgen rfc2544 --sizes "${SIZES// /,}" --trial "$TRIAL" --max-pps "$MAX_PPS" --resolution 1 --retries "$RETRIES" \
		--b2b-max 0 --no-latency >"$OUT/$name-rfc2544.json"
	log "$name: offered as fast as possible for ${RUN_SECONDS}s"
	pktgen run --duration "$RUN_SECONDS" --size "${SIZES%% *}" >"$OUT/$name-max.json"
	dut_stop
	rm -f "$SOCK_A" "$SOCK_B"
}

measure ferroswitch start_ferroswitch
[[ $WITH_TESTPMD == 1 ]] && measure testpmd start_testpmd

python3 - "$OUT" <<'PY' | tee "$OUT/summary.md"
import json, os, sys
out = sys.argv[1]
print("| DUT | frame | NDR Mpps | PDR (0.5%) Mpps | offered max: tx Mpps | forwarded Mpps | loss % | p50 / p99 µs | note |")
print("|---|---|---|---|---|---|---|---|---|")
for dut in ("ferroswitch", "testpmd"):
    try:
        rfc = json.load(open(os.path.join(out, dut + "-rfc2544.json")))
        mx = json.load(open(os.path.join(out, dut + "-max.json")))["summary"]
    except FileNotFoundError:
        continue
    s = mx["streams"][0]
    for r in rfc["results"]:
        ndr = (r["ndr"] or {}).get("pps", 0) / 1e6
        pdr = (r["pdr"] or {}).get("pps", 0) / 1e6
        note = "generator-limited" if r["generator_limited"] else ""
        lat = s["latency"]
        print(f"| {dut} | {r['frame_size']:.0f} | {ndr:.3f} | {pdr:.3f} | {mx['tx_pps']/1e6:.3f} | {s['rx_pps']/1e6:.3f} | {mx['loss_pct']:.2f} | {lat['p50_ns']/1e3:.1f} / {lat['p99_ns']/1e3:.1f} | {note} |")
PY
log "results in $OUT"
