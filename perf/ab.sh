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
# A failed step inside a measurement's command substitution ends it too.
shopt -s inherit_errexit

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/.." && pwd)
ROUNDS=${ROUNDS:-3}
SECS=${SECS:-5}
OUT=${OUT:-$HERE/results/ab-$(date +%Y%m%d-%H%M%S)}

log() { printf '[%(%H:%M:%S)T] %s\n' -1 "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }
median() { tr ' ' '\n' | sort -g | awk 'NF{a[++n]=$1} END{if(n==0){print "NA"}else if(n%2){print a[(n+1)/2]}else{printf "%.3f\n",(a[n/2]+a[n/2+1])/2}}'; }

(($# == 2)) || die "usage: perf/ab.sh OLD_BINARY NEW_BINARY"
OLD=$(realpath "$1") NEW=$(realpath "$2")
for b in "$OLD" "$NEW"; do [[ -x $b ]] || die "$b: not an executable"; done
# shellcheck source=perf/onecore.sh
source "$HERE/onecore.sh"

# Mpps per on-CPU second of the PMD thread for one binary.
measure() {  # binary
	local tid c0 c1 p
	# measure runs in a command substitution, which does not inherit the
	# script's EXIT trap: stop its switch however it ends.
	trap onecore_stop EXIT
	onecore_start "$1"
	# (die in a command substitution only ends the substitution)
	tid=$(onecore_pmd_tid) || die "no PMD thread in $1"
	onecore_ctl pmd-stats --clear >/dev/null
	c0=$(awk '{print $1}' "/proc/$PID/task/$tid/schedstat")
	sleep "$SECS"
	c1=$(awk '{print $1}' "/proc/$PID/task/$tid/schedstat")
	p=$(onecore_ctl --json pmd-stats | python3 -c 'import json,sys; print(json.load(sys.stdin)["pmds"][0]["packets"])')
	onecore_stop
	[[ -n $p && -n $c1 ]] && ((p > 0 && c1 > c0)) || die "$1: no packets or no CPU time"
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
