#!/usr/bin/env bash
# pgo.sh: remake cmd/hsdecode/default.pgo, the CPU profile with which `go
# build` and `go install` optimise hsdecode (profile-guided optimisation:
# hot calls inlined, interface calls to their usual type made direct).
# Issue 18 measured 1-10% less time on benchmark captures not profiled.
#
# Usage: scripts/pgo.sh
#   SIZE=1000    size in MB of the two benchmark captures profiled
#   SEED=2       their plan's seed; bench.sh's captures are seed 1, so the
#                profile is never of the capture that is timed
#   OUT=/tmp/hsdecode-bench   where they are; missing ones are made with
#                make-bench-capture.sh (root)
#   ROUNDS=2     runs of each kind of work
#
# hsdecode, built without a profile, reads the bulk and the handshake-heavy
# capture with each report a sweep of captures asks for: text (the
# default), JSON, and JSON with the key log. Their --cpuprofile files are
# merged, weighted by their samples, with `go tool pprof -proto`. Rerun it
# after a change that moves the hot paths (reading, reassembly, the
# tracker, the report writers); a stale profile costs only the gain. The
# profile names call sites by their line in their function, so a change
# to a hot function loses its gain there until then: time a change with
# both builds made -pgo=off (a smaller shard item looked 4% slower
# against the profiled build and was 1.00 without it).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
SIZE=${SIZE:-1000}
SEED=${SEED:-2}
OUT=${OUT:-/tmp/hsdecode-bench}
ROUNDS=${ROUNDS:-2}

die() { printf '%s\n' "pgo: $*" >&2; exit 1; }
[[ $SIZE =~ ^[0-9]+$ && $SEED =~ ^[0-9]+$ && $ROUNDS =~ ^[1-9][0-9]*$ ]] || die "SIZE, SEED and ROUNDS are numbers"

WORK=$(mktemp -d /tmp/hsdecode-pgo.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
(cd "$ROOT" && go build -pgo=off -o "$WORK/hsdecode" ./cmd/hsdecode)

profiles=()
for prefix in bench bench-hs; do
	cap=$OUT/$prefix-${SIZE}MB-seed$SEED.pcap
	if [[ ! -f $cap || ! -f $cap.keys ]]; then
		mix=bulk
		[[ $prefix == bench-hs ]] && mix=handshake
		MIX=$mix SEED=$SEED OUT=$OUT bash "$ROOT/scripts/make-bench-capture.sh" "$SIZE"
	fi
	for round in $(seq "$ROUNDS"); do
		for kind in text json keys; do
			args=(--format json)
			case $kind in
			text) args=() ;;
			keys) args+=(--keylog "$cap.keys") ;;
			esac
			prof=$WORK/$prefix-$kind-$round.prof
			# Exit 1 is a report with failed handshakes, which the plans have.
			status=0
			"$WORK/hsdecode" -r "$cap" "${args[@]}" --cpuprofile "$prof" >/dev/null 2>"$WORK/err" || status=$?
			((status <= 1)) || die "hsdecode on $cap ($kind) exited $status: $(head -1 "$WORK/err")"
			profiles+=("$prof")
		done
	done
done
go tool pprof -proto "${profiles[@]}" >"$WORK/default.pgo" 2>"$WORK/err" || die "merging the profiles: $(head -1 "$WORK/err")"
mv "$WORK/default.pgo" "$ROOT/cmd/hsdecode/default.pgo"
printf '%s\n' "pgo: cmd/hsdecode/default.pgo from ${#profiles[@]} runs on $OUT/{bench,bench-hs}-${SIZE}MB-seed$SEED.pcap"
