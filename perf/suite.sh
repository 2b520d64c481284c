#!/usr/bin/env bash
# perf/suite.sh - the benchmark suite in one command: ferroswitch, OVS-DPDK
# and dpdk-testpmd (where installed) with the same ports, rules and traffic,
# one PMD core each (PMD_CORE), ferro-pktgen as the traffic source and sink
# (its worker and main thread on MAIN_CORE). Scenarios:
#   phy    phy-phy-like: generator -> memif 1 -> switch -> memif 2 -> generator
#          (in_port=1,actions=output:2; testpmd io forwarding is the ceiling)
#   pvp    vhost PVP-like, the generator is the guest: its two
#          net_virtio_user ports sit on the switch's two vhost-user sockets
#          (dpdkvhostuser ports; testpmd net_vhost io forwarding)
#   vxlan  VXLAN decap: the generator sends VXLAN (VNI 42, 114-byte frames =
#          64-byte inner) to the switch's underlay memif port and receives
#          the inner frames on memif 2 (testpmd io forwards without decap)
# Per scenario and switch: the forwarded rate at the generator's maximum
# offered rate (REPS runs of DURATION s, median) and its loss; RFC 2544
# NDR/PDR (trials of TRIAL s); latency p50/p99 at 50% of the NDR (or of the
# forwarded rate without RFC 2544).
#
# It regenerates the section between <!-- suite:begin --> and
# <!-- suite:end --> of RESULTS_MD (perf/RESULTS.md); the generator's raw
# --json outputs and the logs stay in OUT (perf/results/suite-<timestamp>).
#
# Usage: sudo perf/suite.sh
#        sudo SCENARIOS=phy SWITCHES="ferroswitch testpmd" DURATION=2 REPS=1 perf/suite.sh
# Env: SCENARIOS ["phy pvp vxlan"], SWITCHES ["ferroswitch ovs testpmd"],
#      DURATION [5] s, REPS [3], RFC2544 [1], TRIAL [2] s, RESOLUTION [2] %,
#      SIZE [64] (frame size; VXLAN adds 50), LAT_PPS [50% of NDR],
#      MAIN_CORE [0], PMD_CORE [1], OUT [perf/results/suite-<timestamp>],
#      RESULTS_MD [perf/RESULTS.md], BIN_DIR [build target/release here],
#      SMOKE [0] (1: ferroswitch, phy, 1 s, one rep, no RFC 2544, 10 kpps
#      latency run: the test's tiny mode)
set -Eeuo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/.." && pwd)
# The command as given (the settings the user chose), for RESULTS.md.
COMMAND=""
for v in SMOKE SCENARIOS SWITCHES DURATION REPS RFC2544 TRIAL RESOLUTION SIZE LAT_PPS; do
	[[ -n ${!v:-} ]] && COMMAND+="$v=\"${!v}\" "
done
COMMAND+="perf/suite.sh"
if [[ ${SMOKE:-0} == 1 ]]; then
	: "${SCENARIOS:=phy}" "${SWITCHES:=ferroswitch}" "${DURATION:=1}" "${REPS:=1}" "${RFC2544:=0}" "${LAT_PPS:=10000}"
fi
SCENARIOS=${SCENARIOS:-phy pvp vxlan}
SWITCHES=${SWITCHES:-ferroswitch ovs testpmd}
DURATION=${DURATION:-5}
REPS=${REPS:-3}
RFC2544=${RFC2544:-1}
TRIAL=${TRIAL:-2}
RESOLUTION=${RESOLUTION:-2}
SIZE=${SIZE:-64}
LAT_PPS=${LAT_PPS:-}
MAIN_CORE=${MAIN_CORE:-0}
PMD_CORE=${PMD_CORE:-1}
STAMP=$(date +%Y%m%d-%H%M%S)
OUT=${OUT:-$HERE/results/suite-$STAMP}
RESULTS_MD=${RESULTS_MD:-$HERE/RESULTS.md}

log() { printf '[%(%H:%M:%S)T] %s\n' -1 "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

[[ $(id -u) == 0 ]] || die "run as root (DPDK needs hugepages)"
for s in $SCENARIOS; do [[ $s =~ ^(phy|pvp|vxlan)$ ]] || die "SCENARIOS: unknown scenario '$s' (phy, pvp, vxlan)"; done
for s in $SWITCHES; do [[ $s =~ ^(ferroswitch|ovs|testpmd)$ ]] || die "SWITCHES: unknown switch '$s' (ferroswitch, ovs, testpmd)"; done
[[ $DURATION =~ ^[0-9]+(\.[0-9]+)?$ ]] || die "DURATION: '$DURATION' is not a number of seconds"
[[ $REPS =~ ^[1-9][0-9]*$ ]] || die "REPS: '$REPS' is not a positive integer"
[[ $SIZE =~ ^[0-9]+$ ]] && ((SIZE >= 64 && SIZE <= 1518)) || die "SIZE: '$SIZE' is not a frame size in 64..1518"
[[ -f $RESULTS_MD ]] || die "RESULTS_MD: $RESULTS_MD does not exist"
mkdir -p "$OUT"

if [[ -z ${BIN_DIR:-} ]]; then
	log "building ferroswitch and ferro-pktgen (release)"
	(cd "$REPO" && cargo build --release -q -p ferroswitch -p ferro-pktgen --bins)
	BIN_DIR=$REPO/target/release
fi
FS=$BIN_DIR/ferroswitch
PG=$BIN_DIR/ferro-pktgen
[[ -x $FS && -x $PG ]] || die "BIN_DIR: no ferroswitch and ferro-pktgen in $BIN_DIR"

# Skip what is not installed (say so in the results).
SKIPPED=""
if [[ " $SWITCHES " == *" testpmd "* ]] && ! command -v dpdk-testpmd >/dev/null; then
	SWITCHES=${SWITCHES//testpmd/}; SKIPPED+="testpmd (dpdk-testpmd not installed) "
fi
# shellcheck source=perf/suite/ovs.sh
source "$HERE/suite/ovs.sh"
# shellcheck source=perf/ferroswitch_toml.sh
source "$HERE/ferroswitch_toml.sh"
if [[ " $SWITCHES " == *" ovs "* ]] && ! ovs_installed; then
	SWITCHES=${SWITCHES//ovs/}; SKIPPED+="ovs (ovs-vswitchd-dpdk not installed or not the selected alternative; ../shared/bench/ovs-dpdk/bench.sh setup installs it) "
fi

# Short private paths: memif and vhost-user socket paths must stay < 108 bytes.
# memif sockets are files (socket-abstract=no): OVS runs in its own network
# namespace, and abstract sockets (DPDK's default) do not cross namespaces.
SOCKD=$(mktemp -d /tmp/fsuite.XXXXXX)
OVS_DIR=$SOCKD/ovs
OVS_NETNS=fsuite$$
OVS_PREFIX=fsuiteovs$$
FS_PREFIX=fsuitefs$$
TP_PREFIX=fsuitetp$$
PG_PREFIX=fsuitepg$$

DUT_PID=
dut_stop() {
	if [[ -n $DUT_PID && -d /proc/$DUT_PID ]]; then
		kill -TERM "$DUT_PID" 2>/dev/null || true
		local i
		for i in $(seq 1 50); do [[ -d /proc/$DUT_PID ]] || break; sleep 0.1; done
		[[ -d /proc/$DUT_PID ]] && kill -KILL "$DUT_PID" 2>/dev/null
		wait "$DUT_PID" 2>/dev/null || true
	fi
	DUT_PID=
	# Keep OVS's log next to the results before its directory goes.
	if [[ -n ${DIR:-} && -f $OVS_DIR/log/ovs-vswitchd.log ]]; then cp "$OVS_DIR/log/ovs-vswitchd.log" "$DIR/" 2>/dev/null || true; fi
	ovs_cleanup
	rm -rf "${SOCKD:?}"/*.sock "$SOCKD/fsrun"
}
cleanup() {
	local rc=$?
	set +e
	trap - EXIT INT TERM
	dut_stop
	rm -rf "$SOCKD" "/var/run/dpdk/$FS_PREFIX" "/var/run/dpdk/$TP_PREFIX" "/var/run/dpdk/$PG_PREFIX"
	exit "$rc"
}
trap cleanup EXIT
trap 'log "interrupted"; exit 130' INT TERM

# ------------------------------------------------------------ the machine
{
	echo "date=$(date -u '+%Y-%m-%d %H:%M UTC')"
	echo "commit=$(git -C "$REPO" describe --always --dirty 2>/dev/null || echo unknown)"
	echo "cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')"
	echo "cores=$(nproc)"
	echo "kernel=$(uname -r)"
	echo "dpdk=$(dpkg-query -W -f '${Version}' dpdk 2>/dev/null || echo none)"
	echo "ovs=$( (ovs-vswitchd --version 2>/dev/null || true) | head -1 | awk '{print $NF}')"
	echo "hugepages=$(awk '/^HugePages_Total/{t=$2} /^HugePages_Free/{f=$2} /^Hugepagesize/{s=$2" "$3} END{print t" x "s" ("f" free)"}' /proc/meminfo)"
	echo "loadavg=$(cut -d' ' -f1-3 /proc/loadavg)"
	echo "tsc_pmd=PMD core $PMD_CORE; generator and control threads on core $MAIN_CORE"
	echo "skipped=$SKIPPED"
	echo "command=$COMMAND"
	echo "settings=DURATION=$DURATION s, REPS=$REPS, RFC2544=$RFC2544 (trials of $TRIAL s, resolution $RESOLUTION %), frame $SIZE B"
} >"$OUT/machine.txt"

# ------------------------------------------------------------ the switches
wait_for() {  # what seconds test...
	local what=$1 secs=$2 i
	shift 2
	for i in $(seq 1 $((secs * 5))); do
		"$@" && return 0
		[[ -z $DUT_PID || -d /proc/$DUT_PID ]] || die "$what exited (see $LOGF)"
		sleep 0.2
	done
	die "$what did not come up in ${secs}s (see $LOGF)"
}
sockets_exist() { local s; for s in "$@"; do [[ -S $s ]] || return 1; done; }

# ferroswitch: a bridge from PORTS_TOML and the given flows.
start_ferroswitch() {  # extra-toml flows...
	local extra=$1
	shift
	{
		fs_switch_toml "$SOCKD/fsrun" "$FS_PREFIX" 32767
		echo "$extra"
		fs_bridge_toml "$@"
		echo "$PORTS_TOML"
	} >"$DIR/ferroswitch.toml"
	LOGF=$DIR/ferroswitch.log
	taskset -c "$MAIN_CORE" nice -n -20 "$FS" --config "$DIR/ferroswitch.toml" >"$LOGF" 2>&1 &
	DUT_PID=$!
	wait_for ferroswitch 30 sockets_exist "$SOCKD/fsrun/ferroswitch.ctl"
}

start_testpmd() {  # vdev...
	local args=() v
	for v in "$@"; do args+=("--vdev=$v"); done
	LOGF=$DIR/testpmd.log
	taskset -c "$MAIN_CORE,$PMD_CORE" nice -n -20 dpdk-testpmd -l "$MAIN_CORE,$PMD_CORE" --main-lcore "$MAIN_CORE" \
		--no-pci --in-memory --single-file-segments --file-prefix="$TP_PREFIX" --socket-limit=512 "${args[@]}" -- \
		--forward-mode=io --auto-start --nb-cores=1 --stats-period=3600 --total-num-mbufs=32768 \
		</dev/null >"$LOGF" 2>&1 &
	DUT_PID=$!
	wait_for testpmd 30 grep -qE 'Press enter|Port statistics|Start automatic' "$LOGF"
}

# memif devargs: socket files, not abstract sockets (see SOCKD).
memif_devargs() {  # index role socket
	echo "net_memif$1,role=$2,socket=$3,socket-abstract=no"
}

# Per scenario: start_<switch> sets the DUT up, GEN_PORTS the generator's ports.
setup_phy() {  # switch
	local a=$SOCKD/a.sock b=$SOCKD/b.sock
	GEN_PORTS=(--port "$(memif_devargs 0 client "$a")" --rx-port "$(memif_devargs 1 client "$b")")
	STREAM=(--size "$SIZE")
	case $1 in
	ferroswitch)
		PORTS_TOML="$(fs_port_toml p1 1 "$(memif_devargs 0 server "$a")")
$(fs_port_toml p2 2 "$(memif_devargs 1 server "$b")")"
		start_ferroswitch "" "table=0,priority=100,in_port=1,actions=output:2" "table=0,priority=0,actions=drop"
		wait_for "ferroswitch memif sockets" 20 sockets_exist "$a" "$b" ;;
	ovs)
		LOGF=$OVS_DIR/log/ovs-vswitchd.log
		ovs_start
		# OVS's PMD transmits on tx queue 1 (queue 0 is its main thread's):
		# the generator's memif client must offer that ring.
		GEN_PORTS+=(--rx-queues 2)
		ovs_add_port br0 p1 1 dpdk "dpdk-devargs=$(memif_devargs 0 server "$a")"
		ovs_add_port br0 p2 2 dpdk "dpdk-devargs=$(memif_devargs 1 server "$b")"
		# OVS opens the memif servers after add-port returns (seen on a
		# fresh CI run: the generator's first connect was refused 4 times).
		wait_for "OVS memif sockets" 20 sockets_exist "$a" "$b"
		ovs_flows br0 "priority=100,in_port=1,actions=output:2" ;;
	testpmd)
		start_testpmd "$(memif_devargs 0 server "$a")" "$(memif_devargs 1 server "$b")"
		wait_for "testpmd memif sockets" 20 sockets_exist "$a" "$b" ;;
	esac
}

setup_pvp() {  # switch
	local v0=$SOCKD/v0.sock v1=$SOCKD/v1.sock
	STREAM=(--size "$SIZE")
	case $1 in
	ferroswitch)
		PORTS_TOML="[[bridge.port]]
name = \"vhu0\"
ofport = 1
type = \"dpdkvhostuser\"
path = \"$v0\"
[[bridge.port]]
name = \"vhu1\"
ofport = 2
type = \"dpdkvhostuser\"
path = \"$v1\""
		start_ferroswitch "" "table=0,priority=100,in_port=1,actions=output:2" "table=0,priority=0,actions=drop" ;;
	ovs)
		LOGF=$OVS_DIR/log/ovs-vswitchd.log
		ovs_start
		ovs_add_port br0 vhu0 1 dpdkvhostuser
		ovs_add_port br0 vhu1 2 dpdkvhostuser
		ovs_flows br0 "priority=100,in_port=1,actions=output:2"
		v0=$OVS_DIR/run/vhu0 v1=$OVS_DIR/run/vhu1 ;;
	testpmd)
		start_testpmd "net_vhost0,iface=$v0,queues=1" "net_vhost1,iface=$v1,queues=1" ;;
	esac
	wait_for "vhost-user sockets" 20 sockets_exist "$v0" "$v1"
	GEN_PORTS=(--port "net_virtio_user0,path=$v0,queues=1,queue_size=1024"
		--rx-port "net_virtio_user1,path=$v1,queues=1,queue_size=1024" --eal=--single-file-segments)
}

setup_vxlan() {  # switch
	local a=$SOCKD/a.sock b=$SOCKD/b.sock
	GEN_PORTS=(--port "$(memif_devargs 0 client "$a")" --rx-port "$(memif_devargs 1 client "$b")")
	# Outer: the remote VTEP 192.168.50.2 -> our underlay 192.168.50.1.
	cat >"$DIR/vxlan-streams.toml" <<TOML
[[stream]]
name = "vxlan"
size = $((SIZE + 50))
vxlan = { vni = 42, src_mac = "02:00:00:00:50:02", dst_mac = "02:00:00:00:50:01", src_ip = "192.168.50.2", dst_ip = "192.168.50.1", src_port = 49152 }
TOML
	STREAM=(--streams "$DIR/vxlan-streams.toml")
	case $1 in
	ferroswitch)
		PORTS_TOML="$(fs_port_toml up 1 "$(memif_devargs 0 server "$a")")
$(fs_port_toml p2 2 "$(memif_devargs 1 server "$b")")
$(fs_vxlan_toml)"
		start_ferroswitch "$(fs_underlay_toml)" "table=0,priority=100,in_port=10,actions=output:2" "table=0,priority=0,actions=drop"
		wait_for "ferroswitch memif sockets" 20 sockets_exist "$a" "$b" ;;
	ovs)
		LOGF=$OVS_DIR/log/ovs-vswitchd.log
		ovs_start
		GEN_PORTS+=(--rx-queues 2)
		ovs_underlay "$(memif_devargs 0 server "$a")"
		"${VSCTL[@]}" add-port br0 vx0 -- set Interface vx0 type=vxlan ofport_request=10 \
			options:remote_ip=192.168.50.2 options:key=42
		ovs_add_port br0 p2 2 dpdk "dpdk-devargs=$(memif_devargs 1 server "$b")"
		wait_for "OVS memif sockets" 20 sockets_exist "$a" "$b"
		ovs_flows br0 "priority=100,in_port=10,actions=output:2" ;;
	testpmd)
		start_testpmd "$(memif_devargs 0 server "$a")" "$(memif_devargs 1 server "$b")"
		wait_for "testpmd memif sockets" 20 sockets_exist "$a" "$b" ;;
	esac
}

# ------------------------------------------------------------ the generator
pktgen() {  # mode out.json args...
	local mode=$1 out=$2 try
	shift 2
	# A memif server (OVS's, testpmd's) sometimes refuses a client that
	# connects right after the previous run's client left: retry that,
	# and only that, a few times.
	for try in 1 2 3 4 5 6; do
		"$PG" "$mode" "${GEN_PORTS[@]}" "${STREAM[@]}" --core "$MAIN_CORE" --main-core "$MAIN_CORE" \
			--file-prefix="$PG_PREFIX" --eal=--no-pci --eal=--log-level=*:error --line-rate-gbps 10 \
			--json "$@" >"$out" 2>"${out%.json}.err" && break
		if ((try < 6)) && grep -q 'memif_connect_client(): Failed to connect socket' "${out%.json}.err"; then
			log "   the memif peer refused the connection; again in 1 s"
			sleep 1
			continue
		fi
		tail -5 "${out%.json}.err" >&2
		die "ferro-pktgen $mode failed (see ${out%.json}.err)"
	done
	# Ctrl-C reaches the generator first: it ends early and says so.
	if grep -q '"interrupted": *true' "$out"; then log "interrupted"; exit 130; fi
}
# pktgen at RATE pps: a stream file ignores --rate-pps, so the rate goes
# into a copy of it.
pktgen_at() {  # rate mode out.json args...
	local rate=$1 saved=("${STREAM[@]}")
	shift
	if [[ ${STREAM[0]} == --streams ]]; then
		local f=${STREAM[1]%.toml}-${rate}pps.toml
		{ cat "${STREAM[1]}"; echo "rate_pps = $rate"; } >"$f"
		STREAM=(--streams "$f")
	else
		STREAM+=(--rate-pps "$rate")
	fi
	pktgen "$@"
	STREAM=("${saved[@]}")
}
jq_py() {  # file python-expression-on-j
	python3 -c 'import json,sys; j=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$1" "$2"
}

measure() {  # scenario switch
	local scen=$1 sw=$2 i rx tx ndr lat
	DIR=$OUT/$scen/$sw
	mkdir -p "$DIR"
	log "$scen / $sw: starting"
	"setup_$scen" "$sw"
	sleep 1
	# A short warm-up run fills caches (megaflows, EMC) and links.
	pktgen_at 10000 run "$DIR/warmup.json" --duration 1
	for i in $(seq 1 "$REPS"); do
		pktgen run "$DIR/max-$i.json" --duration "$DURATION"
		log "   max offered, run $i: $(jq_py "$DIR/max-$i.json" '"%.3f Mpps forwarded of %.3f offered, loss %.3f%%" % (j["summary"]["rx_packets"]/j["summary"]["tx_seconds"]/1e6, j["summary"]["tx_pps"]/1e6, j["summary"]["loss_pct"])')"
	done
	rx=$(for i in $(seq 1 "$REPS"); do jq_py "$DIR/max-$i.json" 'j["summary"]["rx_packets"]/j["summary"]["tx_seconds"]'; done | sort -g | awk '{a[NR]=$1} END{print a[int((NR+1)/2)]}')
	# The RFC 2544 search starts a little above the highest rate offered.
	tx=$(for i in $(seq 1 "$REPS"); do jq_py "$DIR/max-$i.json" 'j["summary"]["tx_pps"]'; done | sort -g | tail -1)
	ndr=""
	if [[ $RFC2544 == 1 ]]; then
		log "   RFC 2544: trials of ${TRIAL}s up to $(awk -v t="$tx" 'BEGIN{printf "%.0f", t*1.05}') pps"
		pktgen rfc2544 "$DIR/rfc2544.json" --trial "$TRIAL" --resolution "$RESOLUTION" --retries 1 \
			--max-pps "$(awk -v t="$tx" 'BEGIN{printf "%.0f", t*1.05}')" --b2b-max 0 --no-latency
		ndr=$(jq_py "$DIR/rfc2544.json" '(j["results"][0]["ndr"] or {}).get("pps", 0)')
		log "   NDR $(awk -v n="$ndr" 'BEGIN{printf "%.3f", n/1e6}') Mpps, PDR $(jq_py "$DIR/rfc2544.json" '"%.3f" % ((j["results"][0]["pdr"] or {}).get("pps", 0)/1e6)') Mpps"
	fi
	lat=${LAT_PPS:-$(awk -v n="${ndr:-0}" -v r="$rx" 'BEGIN{printf "%.0f", (n > 0 ? n : r) / 2}')}
	if awk -v l="$lat" 'BEGIN{exit !(l >= 1)}'; then
		pktgen_at "$lat" run "$DIR/latency.json" --duration "$DURATION"
		log "   at $lat pps: $(jq_py "$DIR/latency.json" '"p50 %.1f us, p99 %.1f us, loss %.3f%%" % (j["summary"]["latency"]["p50_ns"]/1e3, j["summary"]["latency"]["p99_ns"]/1e3, j["summary"]["loss_pct"])')"
	fi
	case $sw in
	ferroswitch) "$BIN_DIR/ferroctl" --run-dir "$SOCKD/fsrun" pmd-stats >"$DIR/pmd-stats.txt" 2>&1 || true ;;
	ovs) ovs_dump "$DIR/ovs-stats.txt" ;;
	esac
	dut_stop
}

log "results in $OUT; scenarios: $SCENARIOS; switches: $SWITCHES${SKIPPED:+; skipped: $SKIPPED}"
# Each measurement in a subshell: a switch that fails to start or forward
# is stopped and reported, and the others still run. set +e around it so
# that errexit stays in force inside.
FAILED=0
for scen in $SCENARIOS; do
	for sw in $SWITCHES; do
		set +e
		(
			trap dut_stop EXIT
			trap 'exit 130' INT TERM
			measure "$scen" "$sw"
		)
		rc=$?
		set -e
		((rc == 130)) && exit 130
		if ((rc != 0)); then
			log "$scen / $sw FAILED (exit $rc); logs in $OUT/$scen/$sw"
			echo "$scen/$sw" >>"$OUT/failed.txt"
			FAILED=$((FAILED + 1))
		fi
	done
done

python3 "$HERE/suite/report.py" "$OUT" "$RESULTS_MD"
log "wrote the suite section of $RESULTS_MD; raw JSON in $OUT"
((FAILED == 0)) || die "$FAILED measurement(s) failed: $(tr '\n' ' ' <"$OUT/failed.txt")"
