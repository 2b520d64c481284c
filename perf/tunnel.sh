#!/usr/bin/env bash
# perf/tunnel.sh - VXLAN encap and decap rate of ferroswitch on one PMD
# core, 10k inner flows (64-byte inner UDP frames from
# ../shared/bench/ovs-dpdk/gen_pcap.py).
#
#   encap: net_pcap (infinite_rx, inner frames) -> output:vx0 -> VXLAN
#          header pushed -> underlay port net_null (static neighbour)
#   plain: the inner frames forwarded without tunnels (the baseline)
#   decap: net_pcap (infinite_rx, the same frames inside VXLAN, VNI 42, to
#          the underlay address) = the underlay port -> pre-classified,
#          stripped, one megaflow lookup -> output:sink (net_null)
#
# Usage: sudo perf/tunnel.sh
# Env: FLOWS [10000], DURATION [10] s per sample, REPS [3], WARMUP [5] s,
#      MAIN_CORE [0], PMD_CORE [1], NMBUF [131071], SHARED [repo/../shared],
#      OUT [perf/results/tunnel-<timestamp>]
# Prints a markdown table of median Mpps and cycles per packet.
# Not done: the same scenarios on OVS-DPDK (it needs br-phy, tnl/route and
# tnl/arp set-up that ../shared/bench/ovs-dpdk/bench.sh does not do).
set -Eeuo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/.." && pwd)
SHARED=${SHARED:-$REPO/../shared}
OVS_BENCH=$SHARED/bench/ovs-dpdk
FLOWS=${FLOWS:-10000}
DURATION=${DURATION:-10}
REPS=${REPS:-3}
WARMUP=${WARMUP:-5}
MAIN_CORE=${MAIN_CORE:-0}
PMD_CORE=${PMD_CORE:-1}
OUT=${OUT:-$HERE/results/tunnel-$(date +%Y%m%d-%H%M%S)}
PCAPD=${PCAPD:-/tmp/ferroswitch-perf/pcap}
NMBUF=${NMBUF:-131071}
MBUF_ROOM=2688

log() { printf '[%(%H:%M:%S)T] %s\n' -1 "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }
median() { tr ' ' '\n' | sort -g | awk 'NF{a[++n]=$1} END{if(n==0){print "NA"}else if(n%2){print a[(n+1)/2]}else{printf "%.3f\n",(a[n/2]+a[n/2+1])/2}}'; }

[[ $(id -u) == 0 ]] || die "run as root (DPDK needs hugepages)"
mkdir -p "$OUT" "$PCAPD"
(cd "$REPO" && cargo build --release -q)
FS=$REPO/target/release/ferroswitch
CTL=$REPO/target/release/ferroctl

INNER=$PCAPD/flows_$FLOWS.pcap
[[ -s $INNER ]] || python3 "$OVS_BENCH/gen_pcap.py" --flows "$FLOWS" --out "$INNER" >/dev/null
OUTER=$PCAPD/vxlan_$FLOWS.pcap
# Wrap each inner frame in Ethernet/IPv4/UDP/VXLAN (VNI 42) from
# 192.168.50.2 to 192.168.50.1, as a remote VTEP would (stdlib only).
[[ -s $OUTER ]] || python3 - "$INNER" "$OUTER" <<'PY'
import struct, sys
def csum(b):
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16: s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff
data = open(sys.argv[1], "rb").read()
out = [data[:24]]
i = 24
n = 0
while i + 16 <= len(data):
    ts, tu, incl, orig = struct.unpack("<IIII", data[i:i + 16])
    inner = data[i + 16:i + 16 + incl]
    i += 16 + incl
    udp_len = 8 + 8 + len(inner)
    ip = struct.pack("!BBHHHBBHII", 0x45, 0, 20 + udp_len, 0, 0x4000, 64, 17, 0, 0xc0a83202, 0xc0a83201)
    ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
    sport = 49152 + (n * 7919) % 16384
    f = (b"\x02\x00\x00\x00\x50\x01" + b"\x02\x00\x00\x00\x50\x02" + b"\x08\x00" + ip
         + struct.pack("!HHHH", sport, 4789, udp_len, 0) + bytes([8, 0, 0, 0, 0, 0, 42, 0]) + inner)
    out.append(struct.pack("<IIII", ts, tu, len(f), len(f)) + f)
    n += 1
open(sys.argv[2], "wb").write(b"".join(out))
PY

FS_PID=
fs_stop() {
	[[ -n $FS_PID && -d /proc/$FS_PID ]] || return 0
	kill -TERM "$FS_PID"; wait "$FS_PID" 2>/dev/null || true; FS_PID=
}
trap fs_stop EXIT
fsctl() { "$CTL" --run-dir "$OUT/run" "$@"; }
port_tx() { fsctl --json port-stats | python3 -c 'import json,sys; print(next(p["tx_packets"] for p in json.load(sys.stdin)["ports"] if p["name"]==sys.argv[1]))' "$1"; }

TSV=$OUT/summary.tsv
printf 'scenario\tsamples_mpps\tmedian_mpps\tcycles_per_pkt\tdrops\n' >"$TSV"

# run NAME SINK_PORT CONFIG_BODY
run() {
	local name=$1 sink=$2 body=$3
	cat >"$OUT/$name.toml" <<CFG
[switch]
run_dir = "$OUT/run"
control_core = $MAIN_CORE
pmd_cores = [$PMD_CORE]
file_prefix = "fstnlperf"
hugepages = "on"
log_level = "warn"
[mempool]
mbufs = $NMBUF
data_room = $MBUF_ROOM
$body
CFG
	taskset -c "$MAIN_CORE" nice -n -20 "$FS" --config "$OUT/$name.toml" >"$OUT/$name.log" 2>&1 &
	FS_PID=$!
	local i; for i in $(seq 1 150); do [[ -S $OUT/run/ferroswitch.ctl ]] && break; sleep 0.2; done
	[[ -S $OUT/run/ferroswitch.ctl ]] || { cat "$OUT/$name.log" >&2; die "ferroswitch did not start"; }
	log "$name: warm-up ${WARMUP}s"
	sleep "$WARMUP"
	fsctl pmd-stats --clear >/dev/null
	local samples="" a b t0 t1 v
	for i in $(seq 1 "$REPS"); do
		a=$(port_tx "$sink"); t0=$(date +%s%N)
		sleep "$DURATION"
		b=$(port_tx "$sink"); t1=$(date +%s%N)
		v=$(awk -v a="$a" -v b="$b" -v t0="$t0" -v t1="$t1" 'BEGIN{printf "%.3f", (b-a)*1000/(t1-t0)}')
		samples+="$v "
		log "   sample $i: $v Mpps"
	done
	local st cpp drops
	st=$(fsctl --json pmd-stats)
	cpp=$(echo "$st" | python3 -c 'import json,sys; print("%.0f" % json.load(sys.stdin)["pmds"][0]["cycles_per_packet"])')
	drops=$(echo "$st" | python3 -c 'import json,sys; d=json.load(sys.stdin)["pmds"][0]["drops"]; print(",".join("%s=%d" % kv for kv in d.items() if kv[1]) or "none")')
	{ fsctl pmd-stats; fsctl port-stats; fsctl dump-megaflows | head -5; } >"$OUT/$name.txt"
	local med; med=$(echo "$samples" | median)
	printf '%s\t%s\t%s\t%s\t%s\n' "$name" "${samples% }" "$med" "$cpp" "$drops" >>"$TSV"
	log "   => $name median $med Mpps, $cpp cycles/pkt, drops: $drops"
	fs_stop
}

# Baseline in the same run: the same inner frames forwarded plainly.
run plain sink "[[bridge]]
name = \"br0\"
flows = [\"in_port=1,actions=output:2\"]
[[bridge.port]]
name = \"src\"
ofport = 1
devargs = \"net_pcap0,rx_pcap=$INNER,infinite_rx=1\"
[[bridge.port]]
name = \"sink\"
ofport = 2
devargs = \"net_null1,no-rx=1\""

run encap up "[underlay]
port = \"up\"
ip = \"192.168.50.1/24\"
neighbours = [\"192.168.50.2 02:00:00:00:50:02\"]
[[bridge]]
name = \"br0\"
flows = [\"in_port=1,actions=output:10\"]
[[bridge.port]]
name = \"src\"
ofport = 1
devargs = \"net_pcap0,rx_pcap=$INNER,infinite_rx=1\"
[[bridge.port]]
name = \"up\"
ofport = 2
devargs = \"net_null1,no-rx=1\"
[[bridge.tunnel]]
name = \"vx0\"
ofport = 10
type = \"vxlan\"
remote_ip = \"192.168.50.2\"
key = 42"

run decap sink "[underlay]
port = \"up\"
ip = \"192.168.50.1/24\"
[[bridge]]
name = \"br0\"
flows = [\"in_port=10,actions=output:2\"]
[[bridge.port]]
name = \"up\"
ofport = 1
devargs = \"net_pcap0,rx_pcap=$OUTER,infinite_rx=1\"
[[bridge.port]]
name = \"sink\"
ofport = 2
devargs = \"net_null1,no-rx=1\"
[[bridge.tunnel]]
name = \"vx0\"
ofport = 10
type = \"vxlan\"
remote_ip = \"192.168.50.2\"
key = 42"

{
	echo "| scenario ($FLOWS inner flows) | median Mpps | samples | cycles/pkt | drops |"
	echo "|---|---|---|---|---|"
	awk -F'\t' 'NR>1 {printf "| %s | %s | %s | %s | %s |\n", $1, $3, $2, $4, $5}' "$TSV"
} | tee "$OUT/summary.md"
log "results in $OUT"
