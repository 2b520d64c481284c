# perf/suite/ovs.sh - OVS-DPDK for perf/suite.sh (sourced, not run).
# The same approach as ../shared/bench/ovs-dpdk/bench.sh: Debian's
# ovs-vswitchd-dpdk with its own ovsdb, one PMD on PMD_CORE, everything else
# on MAIN_CORE, inside a private network namespace (the netdev datapath's
# taps stay there), --no-pci; every daemon is stopped by its pidfile.
# Needs: OVS_DIR (a private work dir), OVS_NETNS, MAIN_CORE, PMD_CORE,
# OVS_PREFIX (DPDK file prefix), and log/die from the caller.
# per-port-memory: the shared mempool (131072 mbufs of 3 KB under the 512 MB
# limit) leaves no memory for vhost-user queues ("failed to allocate memory
# for vq internal data"); per port it is about 20 000 mbufs each.

OVS_DPDK_BIN=/usr/lib/openvswitch-switch-dpdk/ovs-vswitchd-dpdk

ovs_installed() {
	[[ -x $OVS_DPDK_BIN ]] && command -v ovs-vsctl >/dev/null &&
		[[ $(readlink -f "$(command -v ovs-vswitchd)") == "$OVS_DPDK_BIN" ]]
}

ovs_env() {
	export OVS_RUNDIR=$OVS_DIR/run OVS_LOGDIR=$OVS_DIR/log OVS_DBDIR=$OVS_DIR/db
	VSCTL=(ovs-vsctl --db="unix:$OVS_DIR/run/db.sock" --timeout=60)
	APPCTL=(ovs-appctl -t "$OVS_DIR/run/ovs-vswitchd.ctl")
	OFCTL=(ovs-ofctl -O OpenFlow13)
}

# Stops ovs-vswitchd and ovsdb-server by pidfile (TERM, then KILL), only
# when the pid is still an OVS process.
ovs_stop() {
	local f pid i
	for f in ovs-vswitchd ovsdb-server; do
		[[ -s $OVS_DIR/run/$f.pid ]] || continue
		pid=$(cat "$OVS_DIR/run/$f.pid")
		if [[ -d /proc/$pid && $(cat "/proc/$pid/comm" 2>/dev/null) == ovs* ]]; then
			kill -TERM "$pid" 2>/dev/null || true
			for i in $(seq 1 50); do [[ -d /proc/$pid ]] || break; sleep 0.1; done
			[[ -d /proc/$pid ]] && kill -KILL "$pid" 2>/dev/null
		fi
		rm -f "$OVS_DIR/run/$f.pid"
	done
}

ovs_cleanup() {
	ovs_stop
	if ip netns list 2>/dev/null | grep -qw "$OVS_NETNS"; then ip netns del "$OVS_NETNS" 2>/dev/null || true; fi
	rm -rf "/var/run/dpdk/$OVS_PREFIX"
}

# Starts a fresh OVS (new db, new netns) with bridge br0 (fail_mode secure).
ovs_start() {
	ovs_env
	ovs_cleanup
	rm -rf "$OVS_DIR"; mkdir -p "$OVS_DIR/run" "$OVS_DIR/log" "$OVS_DIR/db"
	ip netns add "$OVS_NETNS"
	ip -n "$OVS_NETNS" link set lo up
	ovsdb-tool create "$OVS_DIR/db/conf.db" /usr/share/openvswitch/vswitch.ovsschema
	ip netns exec "$OVS_NETNS" taskset -c "$MAIN_CORE" ovsdb-server "$OVS_DIR/db/conf.db" \
		--remote="punix:$OVS_DIR/run/db.sock" --pidfile="$OVS_DIR/run/ovsdb-server.pid" \
		--unixctl="$OVS_DIR/run/ovsdb-server.ctl" --log-file="$OVS_DIR/log/ovsdb-server.log" \
		-vconsole:off --detach
	"${VSCTL[@]}" --no-wait init
	"${VSCTL[@]}" --no-wait set Open_vSwitch . other_config:dpdk-init=true \
		other_config:dpdk-lcore-mask="0x$(printf %x $((1 << MAIN_CORE)))" \
		other_config:pmd-cpu-mask="0x$(printf %x $((1 << PMD_CORE)))" \
		other_config:dpdk-socket-limit=512 other_config:per-port-memory=true \
		"other_config:dpdk-extra=\"--no-pci --file-prefix=$OVS_PREFIX\""
	# taskset: DPDK's control threads stay on MAIN_CORE; the PMD pins itself.
	ip netns exec "$OVS_NETNS" taskset -c "$MAIN_CORE" nice -n -20 ovs-vswitchd \
		"unix:$OVS_DIR/run/db.sock" --pidfile="$OVS_DIR/run/ovs-vswitchd.pid" \
		--unixctl="$OVS_DIR/run/ovs-vswitchd.ctl" --log-file="$OVS_DIR/log/ovs-vswitchd.log" \
		-vconsole:off --detach
	"${VSCTL[@]}" wait-until Open_vSwitch . dpdk_initialized=true
	"${VSCTL[@]}" add-br br0 -- set bridge br0 datapath_type=netdev fail_mode=secure \
		protocols=OpenFlow13 other-config:disable-in-band=true
}

# ovs_add_port BRIDGE NAME OFPORT TYPE [key=value ...]: waits for the ofport.
ovs_add_port() {
	local br=$1 name=$2 ofp=$3 type=$4 kv i got err
	shift 4
	local args=()
	for kv in "$@"; do args+=("options:${kv%%=*}=\"${kv#*=}\""); done
	"${VSCTL[@]}" add-port "$br" "$name" -- set Interface "$name" type="$type" \
		ofport_request="$ofp" "${args[@]}"
	for i in $(seq 1 100); do
		got=$("${VSCTL[@]}" get Interface "$name" ofport)
		[[ $got == "$ofp" ]] && return 0
		sleep 0.2
	done
	err=$("${VSCTL[@]}" get Interface "$name" error 2>/dev/null || true)
	die "OVS port $name not up (ofport=$got): $err"
}

ovs_flows() {  # bridge flow...
	local br=$1
	shift
	"${OFCTL[@]}" del-flows "$OVS_DIR/run/$br.mgmt"
	local f
	for f in "$@"; do "${OFCTL[@]}" add-flow "$OVS_DIR/run/$br.mgmt" "$f"; done
}

# VXLAN decap as in perf/tunnel.sh: br-phy (NORMAL) holds the underlay port
# and, on its LOCAL port in the netns, 192.168.50.1; the VXLAN port is on
# br0; route and ARP are set by hand.
ovs_underlay() {  # underlay-port-devargs
	"${VSCTL[@]}" add-br br-phy -- set bridge br-phy datapath_type=netdev \
		protocols=OpenFlow13 other-config:disable-in-band=true other-config:hwaddr=02:00:00:00:50:01
	ip -n "$OVS_NETNS" addr add 192.168.50.1/24 dev br-phy
	ip -n "$OVS_NETNS" link set br-phy up
	ovs_add_port br-phy up 1 dpdk "dpdk-devargs=$1"
	"${APPCTL[@]}" ovs/route/add 192.168.50.1/24 br-phy >/dev/null
	"${APPCTL[@]}" tnl/arp/set br-phy 192.168.50.2 02:00:00:00:50:02 >/dev/null
}

ovs_dump() {  # file
	{
		"${APPCTL[@]}" dpif-netdev/pmd-stats-show
		"${APPCTL[@]}" dpctl/dump-flows
		"${OFCTL[@]}" dump-ports "$OVS_DIR/run/br0.mgmt"
	} >"$1" 2>&1 || true
}
