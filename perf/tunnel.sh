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
#      WITH_OVS [1], WITH_FS [1], OVS_SOCKET_LIMIT [512] MB,
#      MAIN_CORE [0], PMD_CORE [1], NMBUF [131071], SHARED [repo/../shared],
#      OUT [perf/results/tunnel-<timestamp>]
# Prints a markdown table of median Mpps and cycles per packet.
# With WITH_OVS=1 (default) the same two scenarios run on OVS-DPDK's native
# tunnelling afterwards (br-int + br-phy in a private netns, tnl/route and
# tnl/arp set by hand), and the ratios are printed.
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
# shellcheck source=perf/ferroswitch_toml.sh
source "$HERE/ferroswitch_toml.sh"
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
	{ fs_switch_toml "$OUT/run" fstnlperf "$NMBUF" "$MBUF_ROOM"; echo "$body"; } >"$OUT/$name.toml"
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

WITH_FS=${WITH_FS:-1}
if [[ $WITH_FS == 1 ]]; then
# Baseline in the same run: the same inner frames forwarded plainly.
run plain sink "$(fs_bridge_toml "in_port=1,actions=output:2")
$(fs_port_toml src 1 "net_pcap0,rx_pcap=$INNER,infinite_rx=1")
$(fs_port_toml sink 2 "net_null1,no-rx=1")"

run encap up "$(fs_underlay_toml "192.168.50.2 02:00:00:00:50:02")
$(fs_bridge_toml "in_port=1,actions=output:10")
$(fs_port_toml src 1 "net_pcap0,rx_pcap=$INNER,infinite_rx=1")
$(fs_port_toml up 2 "net_null1,no-rx=1")
$(fs_vxlan_toml)"

run decap sink "$(fs_underlay_toml)
$(fs_bridge_toml "in_port=10,actions=output:2")
$(fs_port_toml up 1 "net_pcap0,rx_pcap=$OUTER,infinite_rx=1")
$(fs_port_toml sink 2 "net_null1,no-rx=1")
$(fs_vxlan_toml)"
fi

# ---------------------------------------------------------------- OVS-DPDK
# The same two scenarios on OVS-DPDK's native tunnelling (userspace
# datapath): br-int holds the source/sink and the VXLAN port, br-phy the
# underlay port and (on its LOCAL port, in a private netns) 192.168.50.1;
# ovs/route and tnl/arp are set by hand. Same pcaps, same PMD core.
WITH_OVS=${WITH_OVS:-1}
OVS_DPDK_BIN=/usr/lib/openvswitch-switch-dpdk/ovs-vswitchd-dpdk
OW=/tmp/ferroswitch-perf/ovs-tunnel
ONS=fstnlovs
ovs_env() {
	export OVS_RUNDIR=$OW/run OVS_LOGDIR=$OW/log OVS_DBDIR=$OW/db
	VSCTL=(ovs-vsctl --db="unix:$OW/run/db.sock" --timeout=60)
	APPCTL=(ovs-appctl -t "$OW/run/ovs-vswitchd.ctl")
	OFCTL=(ovs-ofctl -O OpenFlow13)
}
ovs_stop() {
	local f pid
	for f in ovs-vswitchd ovsdb-server; do
		[[ -s $OW/run/$f.pid ]] || continue
		pid=$(cat "$OW/run/$f.pid")
		if [[ -d /proc/$pid && $(cat /proc/$pid/comm) == ovs* ]]; then
			kill -TERM "$pid" 2>/dev/null || true
			for _ in $(seq 1 50); do [[ -d /proc/$pid ]] || break; sleep 0.1; done
		fi
		rm -f "$OW/run/$f.pid"
	done
}
ovs_cleanup() {
	ovs_stop
	ip netns del "$ONS" 2>/dev/null || true
	rm -rf /var/run/dpdk/fstnlovs
}
# ovs_run NAME SINK_BRIDGE SINK_OFPORT SETUP_FUNCTION
ovs_run() {
	local name=$1 sbr=$2 sport=$3 setup_fn=$4
	ovs_stop
	rm -rf "$OW"; mkdir -p "$OW/run" "$OW/log" "$OW/db"
	# A fresh netns: br-phy's tap (and its address) outlive ovs-vswitchd.
	ip netns del "$ONS" 2>/dev/null || true
	ip netns add "$ONS"
	ip -n "$ONS" link set lo up
	ovsdb-tool create "$OW/db/conf.db" /usr/share/openvswitch/vswitch.ovsschema
	ip netns exec "$ONS" taskset -c "$MAIN_CORE" ovsdb-server "$OW/db/conf.db" \
		--remote="punix:$OW/run/db.sock" --pidfile="$OW/run/ovsdb-server.pid" \
		--unixctl="$OW/run/ovsdb-server.ctl" --log-file="$OW/log/ovsdb-server.log" -vconsole:off --detach
	"${VSCTL[@]}" --no-wait init
	"${VSCTL[@]}" --no-wait set Open_vSwitch . other_config:dpdk-init=true \
		other_config:dpdk-lcore-mask="0x$(printf %x $((1 << MAIN_CORE)))" \
		other_config:pmd-cpu-mask="0x$(printf %x $((1 << PMD_CORE)))" \
		other_config:dpdk-socket-limit="${OVS_SOCKET_LIMIT:-512}" \
		"other_config:dpdk-extra=\"--no-pci --file-prefix=fstnlovs\""
	ip netns exec "$ONS" taskset -c "$MAIN_CORE" nice -n -20 ovs-vswitchd "unix:$OW/run/db.sock" \
		--pidfile="$OW/run/ovs-vswitchd.pid" --unixctl="$OW/run/ovs-vswitchd.ctl" \
		--log-file="$OW/log/ovs-vswitchd.log" -vconsole:off --detach
	"${VSCTL[@]}" wait-until Open_vSwitch . dpdk_initialized=true
	"${VSCTL[@]}" add-br br-int -- set bridge br-int datapath_type=netdev fail_mode=secure \
		protocols=OpenFlow13 other-config:disable-in-band=true
	"${VSCTL[@]}" add-br br-phy -- set bridge br-phy datapath_type=netdev \
		protocols=OpenFlow13 other-config:disable-in-band=true other-config:hwaddr=02:00:00:00:50:01
	ip -n "$ONS" addr add 192.168.50.1/24 dev br-phy
	ip -n "$ONS" link set br-phy up
	"$setup_fn"
	"${APPCTL[@]}" ovs/route/add 192.168.50.1/24 br-phy >/dev/null
	"${APPCTL[@]}" tnl/arp/set br-phy 192.168.50.2 02:00:00:00:50:02 >/dev/null
	log "OVS $name: warm-up ${WARMUP}s"
	sleep "$WARMUP"
	"${APPCTL[@]}" dpif-netdev/pmd-stats-clear >/dev/null
	local samples="" a b t0 t1 v i
	for i in $(seq 1 "$REPS"); do
		a=$("${OFCTL[@]}" dump-ports "$sbr" "$sport" | sed -n 's/.*tx pkts=\([0-9]*\).*/\1/p'); t0=$(date +%s%N)
		sleep "$DURATION"
		b=$("${OFCTL[@]}" dump-ports "$sbr" "$sport" | sed -n 's/.*tx pkts=\([0-9]*\).*/\1/p'); t1=$(date +%s%N)
		v=$(awk -v a="$a" -v b="$b" -v t0="$t0" -v t1="$t1" 'BEGIN{printf "%.3f", (b-a)*1000/(t1-t0)}')
		samples+="$v "
		log "   sample $i: $v Mpps"
	done
	local st cpp; st=$("${APPCTL[@]}" dpif-netdev/pmd-stats-show)
	{ echo "$st"; "${APPCTL[@]}" dpctl/dump-flows; "${OFCTL[@]}" dump-ports br-int; "${OFCTL[@]}" dump-ports br-phy; } >"$OUT/ovs-$name.txt" 2>&1
	cpp=$(echo "$st" | sed -n 's/.*avg cycles per packet: \([0-9.]*\).*/\1/p' | head -1)
	local med; med=$(echo "$samples" | median)
	printf '%s\t%s\t%s\t%s\t%s\n' "ovs-$name" "${samples% }" "$med" "${cpp:--}" "-" >>"$TSV"
	log "   => OVS $name median $med Mpps, ${cpp:--} cycles/pkt"
	ovs_stop
}
ovs_setup_encap() {
	"${VSCTL[@]}" add-port br-int src -- set Interface src type=dpdk ofport_request=1 \
		"options:dpdk-devargs=\"net_pcap0,rx_pcap=$INNER,infinite_rx=1\""
	"${VSCTL[@]}" add-port br-int vx0 -- set Interface vx0 type=vxlan ofport_request=10 \
		options:remote_ip=192.168.50.2 options:key=42
	"${VSCTL[@]}" add-port br-phy up -- set Interface up type=dpdk ofport_request=1 \
		"options:dpdk-devargs=\"net_null1,no-rx=1\""
	"${OFCTL[@]}" add-flow br-int "in_port=1,actions=output:10"
}
ovs_setup_decap() {
	"${VSCTL[@]}" add-port br-phy up -- set Interface up type=dpdk ofport_request=1 \
		"options:dpdk-devargs=\"net_pcap0,rx_pcap=$OUTER,infinite_rx=1\""
	"${VSCTL[@]}" add-port br-int vx0 -- set Interface vx0 type=vxlan ofport_request=10 \
		options:remote_ip=192.168.50.2 options:key=42
	"${VSCTL[@]}" add-port br-int sink -- set Interface sink type=dpdk ofport_request=2 \
		"options:dpdk-devargs=\"net_null1,no-rx=1\""
	"${OFCTL[@]}" add-flow br-int "in_port=10,actions=output:2"
}
if [[ $WITH_OVS == 1 ]]; then
	[[ -x $OVS_DPDK_BIN ]] || die "OVS-DPDK not installed (../shared/bench/ovs-dpdk/bench.sh setup installs it), or WITH_OVS=0"
	ovs_env
	trap 'fs_stop; ovs_cleanup' EXIT
	ovs_run encap br-phy 1 ovs_setup_encap
	ovs_run decap br-int 2 ovs_setup_decap
	ovs_cleanup
fi

{
	echo "| scenario ($FLOWS inner flows) | median Mpps | samples | cycles/pkt | drops |"
	echo "|---|---|---|---|---|"
	awk -F'\t' 'NR>1 {printf "| %s | %s | %s | %s | %s |\n", $1, $3, $2, $4, $5}' "$TSV"
} | tee "$OUT/summary.md"
python3 - "$TSV" <<'PY' | tee -a "$OUT/summary.md"
import csv, sys
rows = {r["scenario"]: r for r in csv.DictReader(open(sys.argv[1]), delimiter="\t")}
for s in ("encap", "decap"):
    fs, ovs = rows.get(s), rows.get("ovs-" + s)
    try:
        print(f"{s}: ferroswitch/OVS = {float(fs['median_mpps']) / float(ovs['median_mpps']):.2f}")
    except (TypeError, ValueError, ZeroDivisionError, KeyError):
        pass
PY
log "results in $OUT"
