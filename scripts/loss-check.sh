#!/usr/bin/env bash
# loss-check.sh: issue 11 at scale. Drops packets at random from a capture
# (scripts/rewrite-capture -drop) at several rates and seeds and counts
# the connections hsdecode reports as violations, beside those of the
# capture as it was. Packet loss must never make a violation: on a capture
# with none (the benchmark capture, scripts/make-bench-capture.sh), every
# count must be 0.
#
# Usage: scripts/loss-check.sh CAPTURE
#   RATES="0.01 0.05 0.3"  shares of packets dropped
#   SEEDS="1 2 3"          seeds of the random choices
# Prints one line per rate and seed: packets dropped, connections,
# outcomes, violations; exits 1 when a lossy capture has more violations
# than the original.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
CAP=${1:-}
RATES=${RATES:-0.01 0.05 0.3}
SEEDS=${SEEDS:-1 2 3}
[[ -f $CAP ]] || { echo "usage: $0 CAPTURE   (RATES, SEEDS in the environment)" >&2; exit 2; }

WORK=$(mktemp -d /tmp/hsdecode-loss.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
(cd "$ROOT" && go build -o "$WORK/hsdecode" ./cmd/hsdecode && go build -o "$WORK/rewrite-capture" ./scripts/rewrite-capture)

# summary FILE: "N connections, outcome counts, V violations"
summary() {
	"$WORK/hsdecode" -r "$1" --format json 2>/dev/null |
		awk '{ n++; if (match($0, /"outcome":"[a-z_]+"/)) { o = substr($0, RSTART + 11, RLENGTH - 12); c[o]++ } }
		END { s = ""; for (k in c) s = s sprintf(" %s=%d", k, c[k]); printf "%d connections,%s, %d violations\n", n, s, c["violation"] + 0 }' || true
}

base=$(summary "$CAP")
echo "original: $base"
want=$(sed 's/.* \([0-9]*\) violations$/\1/' <<<"$base")
status=0
for rate in $RATES; do
	for seed in $SEEDS; do
		out=$WORK/lossy.pcap
		dropped=$("$WORK/rewrite-capture" -drop "$rate" -seed "$seed" -o "$out" "$CAP" 2>&1 | sed 's/.*, \([0-9]*\) dropped/\1/')
		s=$(summary "$out")
		got=$(sed 's/.* \([0-9]*\) violations$/\1/' <<<"$s")
		echo "rate $rate seed $seed: $dropped packets dropped: $s"
		if ((got > want)); then
			status=1
		fi
	done
done
exit $status
