# perf/ferroswitch_toml.sh - pieces of a ferroswitch config for the
# benchmark scripts, each written to stdout: the switch on one PMD core
# (PMD_CORE) with control on MAIN_CORE, bridge br0, its ports, and the
# VXLAN underlay (us 192.168.50.1, the remote VTEP 192.168.50.2, VNI 42)
# that the tunnel scenarios share.
# Sourced by suite.sh, tunnel.sh, scenarios.sh, churn.sh, storm.sh,
# vhost.sh and onecore.sh;
# needs MAIN_CORE and PMD_CORE.

# The [switch] and [mempool] sections; more [switch] keys ("key = value"
# lines) after the data room ("" for the default).
fs_switch_toml() {  # run-dir file-prefix mbufs [data-room [switch-key...]]
	cat <<CFG
[switch]
run_dir = "$1"
control_core = $MAIN_CORE
pmd_cores = [$PMD_CORE]
file_prefix = "$2"
hugepages = "on"
log_level = "warn"
CFG
	if (($# > 4)); then printf '%s\n' "${@:5}"; fi
	printf '[mempool]\nmbufs = %s\n' "$3"
	if [[ -n ${4:-} ]]; then echo "data_room = $4"; fi
}

# Bridge br0 with these flows.
fs_bridge_toml() {  # flow...
	local f flows=""
	for f in "$@"; do flows+="\"$f\", "; done
	printf '[[bridge]]\nname = "br0"\nflows = [%s]\n' "${flows%, }"
}

fs_port_toml() {  # name ofport devargs
	printf '[[bridge.port]]\nname = "%s"\nofport = %s\ndevargs = "%s"\n' "$1" "$2" "$3"
}

# The underlay on port "up", 192.168.50.1/24, with these static
# neighbours ("ip mac") if any.
fs_underlay_toml() {  # [neighbour...]
	printf '[underlay]\nport = "up"\nip = "192.168.50.1/24"\n'
	if (($# > 0)); then
		local n list=""
		for n in "$@"; do list+="\"$n\", "; done
		printf 'neighbours = [%s]\n' "${list%, }"
	fi
}

# VXLAN port vx0 (ofport 10, VNI 42) to the remote VTEP 192.168.50.2.
fs_vxlan_toml() {
	printf '[[bridge.tunnel]]\nname = "vx0"\nofport = 10\ntype = "vxlan"\nremote_ip = "192.168.50.2"\nkey = 42\n'
}
