# perf/onecore.sh - the one-PMD scenario of perf/scenarios.sh (net_pcap
# infinite_rx -> switch -> net_null, 64-byte UDP, the OVS harness's rule
# sets) for a given ferroswitch binary, for the tools that look at one
# build at a time: ab.sh and profile.sh.
# Sourced; needs HERE, REPO, OUT and die(). Env: FLOWS [100000], RULES
# [r64] (r1, r1emc, r64), WARMUP [3] s, MAIN_CORE [0], PMD_CORE [1].
# Sets CTL, PID; onecore_start BINARY starts the
# switch with the rules and waits WARMUP seconds, onecore_stop stops it,
# onecore_pmd_tid prints the PMD thread's id.
: "${FLOWS:=100000}" "${RULES:=r64}" "${WARMUP:=3}" "${MAIN_CORE:=0}" "${PMD_CORE:=1}"
OVS_BENCH=$(cd "$REPO/.." && pwd)/shared/bench/ovs-dpdk
PCAPD=${PCAPD:-/tmp/ferroswitch-perf/pcap}
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
onecore_stop() { [[ -n $PID ]] && { kill "$PID" 2>/dev/null; wait "$PID" 2>/dev/null || true; }; PID=""; }
trap onecore_stop EXIT

onecore_ctl() { "$CTL" --run-dir "$OUT/run" "$@"; }

onecore_start() {  # binary
	local i
	rm -rf "$OUT/run"
	taskset -c "$MAIN_CORE" nice -n -20 "$1" --config "$OUT/ferroswitch.toml" >"$OUT/ferroswitch.log" 2>&1 &
	PID=$!
	for i in $(seq 1 150); do [[ -S $OUT/run/ferroswitch.ctl ]] && break; sleep 0.2; done
	[[ -S $OUT/run/ferroswitch.ctl ]] || { cat "$OUT/ferroswitch.log" >&2; onecore_stop; die "$1 did not start"; }
	onecore_ctl add-flows br0 "$RULEF" >/dev/null
	sleep "$WARMUP"
}

onecore_pmd_tid() {
	local tid
	tid=$(ps -eLo pid,tid,comm | awk -v p="$PID" -v c="pmd-c$PMD_CORE" '$1==p && $3==c {print $2}')
	[[ -n $tid ]] || die "no PMD thread pmd-c$PMD_CORE in process $PID"
	echo "$tid"
}
