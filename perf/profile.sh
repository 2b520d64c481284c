#!/usr/bin/env bash
# perf/profile.sh - where one ferroswitch build spends its PMD's cycles on
# a scenario of perf/scenarios.sh: `perf record` of the PMD thread alone,
# then its top symbols, and the PMD's own counters (ferroctl pmd-stats:
# cycles per packet, EMC and megaflow hits, subtables per lookup).
#
# Usage: perf/profile.sh [BINARY]     (as root; default target/release/ferroswitch)
#        FLOWS=1 RULES=r1 SECS=4 perf/profile.sh
# Env: FLOWS [100000], RULES [r64] (r1, r1emc, r64), SECS [4], WARMUP [3] s,
#      TOP [25] symbols, MAIN_CORE [0], PMD_CORE [1],
#      OUT [perf/results/profile-<timestamp>] (perf.data stays there for
#      `perf annotate -i OUT/perf.data SYMBOL`)
set -Eeuo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/.." && pwd)
SECS=${SECS:-4}
TOP=${TOP:-25}
OUT=${OUT:-$HERE/results/profile-$(date +%Y%m%d-%H%M%S)}

log() { printf '[%(%H:%M:%S)T] %s\n' -1 "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

BIN=$(realpath "${1:-$REPO/target/release/ferroswitch}")
[[ -x $BIN ]] || die "$BIN: not an executable"
command -v perf >/dev/null || die "perf not found (apt-get install linux-perf)"
# shellcheck source=perf/onecore.sh
source "$HERE/onecore.sh"

log "profile: $BIN, flows=$FLOWS rules=$RULES, ${SECS}s; results in $OUT"
onecore_start "$BIN"
tid=$(onecore_pmd_tid) || die "no PMD thread in $BIN"
onecore_ctl pmd-stats --clear >/dev/null
perf record -q -g -t "$tid" -o "$OUT/perf.data" -- sleep "$SECS" 2>"$OUT/perf-record.log" ||
	die "perf record failed: $(cat "$OUT/perf-record.log")"
onecore_ctl pmd-stats | tee "$OUT/pmd-stats.txt"
onecore_stop
perf report -i "$OUT/perf.data" --no-children --stdio --percent-limit 0.5 -g none 2>/dev/null |
	grep -v -e '^#' -e '^$' >"$OUT/report.txt" || true
head -n "$TOP" "$OUT/report.txt" | tee "$OUT/top.txt"
