#!/usr/bin/env bash
# Measures hsdecode's peak RSS on the captures that grow memory with the
# number of connections rather than with the bytes (scripts/memgen), at a
# few --max-buffer bounds and --workers counts, beside the most a run may
# take, as the README states it: the bound plus the base cmd/hsdecode gives
# the Go collector as its soft limit (memoryBase, and memoryPerWorker for
# each worker), plus the 128 MiB the collector may overshoot it by when it
# runs at its limit (most with --junit, which makes the most garbage). Measures; prints OVER where a run passed it, and exits
# 1 then.
#
#   scripts/memory.sh            (N=1000000 SYNs, 200000 of the others)
set -euo pipefail
cd "$(dirname "$0")/.."
work=${WORK:-$(mktemp -d)}
syns=${SYNS:-1000000} others=${OTHERS:-200000}
go build -o "$work/hsdecode" ./cmd/hsdecode
go build -o "$work/memgen" ./scripts/memgen
[[ -f $work/syns.pcap ]] || "$work/memgen" syns "$syns" "$work/syns.pcap"
[[ -f $work/hellos.pcap ]] || "$work/memgen" hellos "$others" "$work/hellos.pcap"
[[ -f $work/long.pcap ]] || "$work/memgen" long "$others" "$work/long.pcap"
base=$(sed -n 's/^\tmemoryBase *= \([0-9]*\) << 20$/\1/p' cmd/hsdecode/main.go)
per=$(sed -n 's/^\tmemoryPerWorker *= \([0-9]*\) << 20$/\1/p' cmd/hsdecode/main.go)
over=0
printf '%-12s %-10s %-8s %-12s %-12s %s\n' capture max-buffer workers "peak RSS MiB" "limit MiB" extra
for cap in syns hellos long; do
	for bound in 536870912 16777216; do
		for workers in 1 2 16; do
			extras=("")
			[[ $cap == syns && $workers == 2 ]] && extras+=("--junit $work/j.xml")
			for extra in "${extras[@]}"; do
				rss=$( { /usr/bin/time -f '%M' "$work/hsdecode" -r "$work/$cap.pcap" --format json \
					--max-buffer "$bound" --workers "$workers" $extra >/dev/null 2>"$work/err" || true; } 2>&1; tail -1 "$work/err")
				mib=$((rss / 1024))
				limit=$((bound / 1048576 + base + per * workers + 128))
				flag=""
				if ((mib > limit)); then flag="OVER"; over=1; fi
				printf '%-12s %-10s %-8s %-12s %-12s %s %s\n' "$cap" "$((bound / 1048576))MiB" "$workers" "$mib" "$limit" "${extra:+--junit}" "$flag"
			done
		done
	done
done
exit $over
