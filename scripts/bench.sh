#!/usr/bin/env bash
# bench.sh: time hsdecode against the floor program, tshark and ssldump on
# one capture (issues 5 and 18), and check hsdecode's report against the
# plan the capture was made from.
#
# Usage: scripts/bench.sh CAPTURE
#   RUNS=5                      runs of each tool, in alternation (hsdecode,
#                               floor, tshark, ssldump, hsdecode, ...), so that
#                               a noisy machine slows all of them alike
#   TOOLS="hsdecode floor tshark ssldump"   which to run; the default leaves
#                               tshark and ssldump out below 1 GB (their
#                               ratios are for the 1 GB captures of issue 18;
#                               tshark takes minutes there);
#                               also hsdecode-1: hsdecode with --workers 1, for the
#                               ratio of one worker to the default (one per CPU);
#                               hsdecode-keys: hsdecode with --keylog CAPTURE.keys
#                               (make-bench-capture.sh writes it), for the cost of
#                               decrypting (issue 13: at most 1.3x)
#   TIMEOUT=0                   seconds after which a run is killed (0: never);
#                               a killed run is shown as ">TIMEOUT"
#   HSDECODE_ARGS=""            extra hsdecode flags (e.g. "--workers 1")
#   CHECK=1                     with CAPTURE.conns.tsv present (make-bench-capture.sh
#                               writes it), compare hsdecode's report with it
#   REV=                        build hsdecode from this commit (git archive) rather
#                               than from the working tree, e.g. REV=HEAD while
#                               others edit the tree
#
# For each tool it prints the median wall time, packets/s and MB/s at that
# time, and the largest peak RSS over the runs; then hsdecode's ratio to each
# (figures are quoted as these ratios, measured in the same command, since
# absolute times move with the machine's load) and the targets of issue 18:
# hsdecode at most 2.0x the floor on the handshake-heavy mix and 1.5x on
# the bulk one (the mix is read from CAPTURE.plan.txt, which
# make-bench-capture.sh writes), --keylog at most 1.3x, peak RSS at most
# 150 MB. tshark's and ssldump's ratios are shown with no target.
#
# hsdecode and floor are built from this checkout. tshark runs with its TCP
# reassembly preferences on and extracts handshake types; ssldump decodes
# records without name resolution. Wall time is taken around the command
# (nanosecond clock), peak RSS from /usr/bin/time. Missing tshark, ssldump
# or time are installed with apt-get (Debian, root or sudo).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=lib/bench.sh
. "$ROOT/scripts/lib/bench.sh"
CAP=${1:-}
RUNS=${RUNS:-5}
TOOLS=${TOOLS:-}
TIMEOUT=${TIMEOUT:-0}
HSDECODE_ARGS=${HSDECODE_ARGS:-}
CHECK=${CHECK:-1}
REV=${REV:-}

die() { printf '%s\n' "bench: $*" >&2; exit 1; }
[[ -n $CAP && -f $CAP ]] || die "usage: $0 CAPTURE   (RUNS, TOOLS, TIMEOUT, HSDECODE_ARGS, CHECK in the environment)"
CAP=$(cd "$(dirname "$CAP")" && pwd)/$(basename "$CAP")
if [[ -z $TOOLS ]]; then
	TOOLS="hsdecode floor"
	(($(stat -c %s "$CAP") >= 1000000000)) && TOOLS+=" tshark ssldump"
fi
# The floor target of the capture's mix: the plan's first line names it
# ("plan: mix handshake, ..."); plans made before mixes were bulk.
MIX=bulk
FLOOR_TARGET=1.5
if [[ -f $CAP.plan.txt ]] && head -1 "$CAP.plan.txt" | grep -q '^plan: mix handshake'; then
	MIX=handshake
	FLOOR_TARGET=2.0
fi

# ---------------------------------------------------------------- tools
need=(/usr/bin/time:time)
for t in $TOOLS; do
	case $t in
	tshark | ssldump) need+=("$t:$t") ;;
	hsdecode | hsdecode-1 | floor) ;;
	hsdecode-keys) [[ -f $CAP.keys ]] || die "hsdecode-keys needs the key log $CAP.keys" ;;
	*) die "unknown tool $t (hsdecode, hsdecode-1, hsdecode-keys, floor, tshark, ssldump)" ;;
	esac
done
install_missing "${need[@]}"

WORK=$(mktemp -d /tmp/hsdecode-bench-run.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
build_hsdecode "$ROOT" "$REV" "$WORK"
(cd "$ROOT" && go build -o "$WORK/floor" ./scripts/floor && go build -o "$WORK/benchgen" ./scripts/benchgen)

# The command line of each tool; its stdout goes to /dev/null.
cmdline() {
	case $1 in
	hsdecode) echo "$WORK/hsdecode -r $CAP --format json $HSDECODE_ARGS" ;;
	hsdecode-1) echo "$WORK/hsdecode -r $CAP --format json $HSDECODE_ARGS --workers 1" ;;
	hsdecode-keys) echo "$WORK/hsdecode -r $CAP --format json $HSDECODE_ARGS --keylog $CAP.keys" ;;
	floor) echo "$WORK/floor $CAP" ;;
	tshark) echo "tshark -r $CAP -o tcp.reassemble_out_of_order:TRUE -o tls.desegment_ssl_records:TRUE -o tls.desegment_ssl_application_data:TRUE -Y tls.handshake -T fields -e tcp.stream -e tls.handshake.type" ;;
	ssldump) echo "ssldump -n -r $CAP" ;;
	esac
}

# Warm the page cache, so the first run does not pay for the disk; the
# floor program also gives the packet count.
read -r _ PACKETS _ BYTES _ _ _ PAYLOAD < <("$WORK/floor" "$CAP")
SIZE=$(stat -c %s "$CAP")
echo "bench: $CAP ($MIX mix): $SIZE bytes, $PACKETS packets, $PAYLOAD TCP payload bytes; $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg)"
if [[ -n $REV ]]; then
	built="commit $(git -C "$ROOT" rev-parse --short "$REV")"
else
	built="working tree at $(git -C "$ROOT" rev-parse --short HEAD)$(git -C "$ROOT" diff --quiet HEAD -- . ':!scripts' || echo ' with uncommitted changes')"
fi
echo "bench: RUNS=$RUNS TOOLS=\"$TOOLS\" HSDECODE_ARGS=\"$HSDECODE_ARGS\"; hsdecode built from the $built"

# run TOOL ROUND: one timed run; appends "wall rss" to $WORK/TOOL.
run() {
	local tool=$1 round=$2 cmd t0 t1 status=0
	cmd=$(cmdline "$tool")
	t0=$(date +%s%N)
	if [[ $TIMEOUT != 0 ]]; then
		/usr/bin/time -f '%M %U %S' -o "$WORK/rss" timeout "$TIMEOUT" $cmd >/dev/null 2>"$WORK/err.$tool" || status=$?
	else
		/usr/bin/time -f '%M %U %S' -o "$WORK/rss" $cmd >/dev/null 2>"$WORK/err.$tool" || status=$?
	fi
	t1=$(date +%s%N)
	local wall rss cpu
	wall=$(awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.3f", (b - a) / 1e9}')
	read -r rss cpu < <(awk '$1 ~ /^[0-9]+$/ && NF == 3 {r = $1; c = $2 + $3} END {printf "%d %.2f\n", r, c}' "$WORK/rss")
	# hsdecode exits 1 when it found alerts or violations: a result, not a failure.
	if [[ $status == 124 ]]; then
		wall=">$TIMEOUT"
	elif [[ $status != 0 && !($tool == hsdecode* && $status == 1) ]]; then
		echo "bench: $tool exited $status:" >&2
		tail -5 "$WORK/err.$tool" >&2
		wall="failed"
	fi
	echo "$wall ${rss:-0} ${cpu:-0}" >>"$WORK/res.$tool"
	printf 'bench: round %d %-13s %8s s wall %6s s CPU %5s MB\n' "$round" "$tool" "$wall" "$cpu" "$(((${rss:-0} + 512) / 1024))"
}

for ((r = 1; r <= RUNS; r++)); do
	for t in $TOOLS; do
		run "$t" "$r"
	done
done

# median TOOL [COLUMN]: median wall time (column 1, or CPU time: 3) of the
# runs that finished, or nothing (then bad.TOOL says why); peak TOOL:
# largest RSS in KiB.
median() {
	awk -v c="${2:-1}" '$1 ~ /^[0-9.]+$/ {print $c} $1 !~ /^[0-9.]+$/ {bad = $1} END {if (bad != "") print bad > "/dev/stderr"}' "$WORK/res.$1" 2>"$WORK/bad.$1" |
		sort -g | awk '{v[NR] = $1} END {if (NR == 0) exit; if (NR % 2) print v[(NR + 1) / 2]; else printf "%.3f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2}'
}
peak() { awk 'm < $2 {m = $2} END {print m + 0}' "$WORK/res.$1"; }

echo
printf '%-13s %10s %13s %9s %10s %12s %5s\n' tool "median s" "packets/s" "MB/s" "peak RSS" "median CPU s" runs
declare -A MED CPU
for t in $TOOLS; do
	m=$(median "$t")
	n=$(wc -l <"$WORK/res.$t")
	if [[ -z $m ]]; then
		printf '%-13s %10s %13s %9s %10s %12s %5s\n' "$t" "$(head -1 "$WORK/bad.$t")" - - "$(($(peak "$t") / 1024)) MB" - "$n"
		continue
	fi
	MED[$t]=$m
	CPU[$t]=$(median "$t" 3)
	awk -v t="$t" -v m="$m" -v p="$PACKETS" -v s="$SIZE" -v rss="$(peak "$t")" -v n="$n" -v cpu="${CPU[$t]}" \
		'BEGIN {printf "%-13s %10.3f %13.0f %9.1f %7.0f MB %12.2f %5d\n", t, m, p / m, s / m / 1e6, rss / 1024, cpu, n}'
done

if [[ -n ${MED[hsdecode]:-} ]]; then
	echo
	h=${MED[hsdecode]}
	for t in $TOOLS; do
		[[ $t == hsdecode || -z ${MED[$t]:-} ]] && continue
		awk -v t="$t" -v h="$h" -v m="${MED[$t]}" \
			'BEGIN {printf "ratio: hsdecode / %-10s time %6.2fx   (%s takes %.1fx hsdecode'"'"'s time)\n", t, h / m, t, m / h}'
	done
	# per_round A B: A's wall time over B's in each round, paired, which
	# shows how much noise there was, then their median and middle half:
	# a target within that half is met or missed by the machine's load.
	per_round() {
		local r
		r=$(paste -d' ' "$WORK/res.$1" "$WORK/res.$2" | awk '$1 ~ /^[0-9.]+$/ && $4 ~ /^[0-9.]+$/ {printf "%.4f\n", $1 / $4}')
		[[ -n $r ]] || return 0
		printf '%.2f ' $r
		sort -n <<<"$r" | awk '{v[NR] = $1} END {printf "(median %.2f, middle half %.2f-%.2f)", (v[int((NR + 1) / 2)] + v[int(NR / 2) + 1]) / 2, v[int(NR / 4) + 1], v[NR - int(NR / 4)]}'
	}
	if [[ -n ${MED[hsdecode-1]:-} ]]; then
		echo "ratio: hsdecode-1 / hsdecode wall time per round (one worker / $(nproc)): $(per_round hsdecode-1 hsdecode)"
	fi
	if [[ -n ${MED[hsdecode-keys]:-} ]]; then
		echo "ratio: hsdecode-keys / hsdecode wall time per round (--keylog / without): $(per_round hsdecode-keys hsdecode)"
	fi
	# CPU time (user + system) moves less than wall time with the load of
	# other processes, though it includes the garbage collector's work on
	# other cores.
	if [[ -n ${MED[floor]:-} ]]; then
		echo "ratio: hsdecode / floor wall time per round: $(per_round hsdecode floor)"
		awk -v h="${CPU[hsdecode]}" -v m="${CPU[floor]}" 'BEGIN {if (m > 0) printf "ratio: hsdecode / floor CPU time %.2fx\n", h / m}'
	fi
	echo
	rss=$(($(peak hsdecode) / 1024))
	target() { awk -v v="$2" -v lim="$3" -v op="$4" -v what="$1" 'BEGIN {ok = (op == "<=") ? v <= lim : v >= lim;
		printf "target: %-38s %8.2f %s %-5s %s\n", what, v, op, lim, ok ? "met" : "NOT MET"}'; }
	[[ -n ${MED[floor]:-} ]] && target "hsdecode / floor time ($MIX mix)" "$(awk -v h="$h" -v m="${MED[floor]}" 'BEGIN {print h / m}')" "$FLOOR_TARGET" "<="
	[[ -n ${MED[hsdecode-keys]:-} ]] && target "hsdecode --keylog / without, time" "$(awk -v h="$h" -v m="${MED[hsdecode-keys]}" 'BEGIN {print m / h}')" 1.3 "<="
	target "hsdecode peak RSS (MB)" "$rss" 150 "<="
fi

# ---------------------------------------------------------------- check
if [[ $CHECK != 0 && -f $CAP.conns.tsv && " $TOOLS " == *" hsdecode "* ]]; then
	echo
	"$WORK/hsdecode" -r "$CAP" --format json $HSDECODE_ARGS >"$WORK/report.jsonl" || [[ $? == 1 ]]
	"$WORK/benchgen" -check "$CAP.conns.tsv" -report "$WORK/report.jsonl" || true
fi
