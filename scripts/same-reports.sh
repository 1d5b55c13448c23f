#!/usr/bin/env bash
# Proves a change left every report as it was: builds hsdecode at two
# revisions, runs both over every bundled capture and every capture of the
# shared corpus (../shared/corpus, when present) in every format with
# several --workers, and compares the outputs byte for byte.
#
#   scripts/same-reports.sh [OLD_REV [NEW_REV]]     (default: HEAD~1 and the work tree)
#
# Prints one line per differing output and exits 1 if any differs. Used for
# refactors that must change no verdict (issue 12).
set -euo pipefail
cd "$(dirname "$0")/.."
old=${1:-HEAD~1}
new=${2:-}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

build() { # rev out
	if [[ -z $1 ]]; then
		go build -o "$2" ./cmd/hsdecode
		return
	fi
	mkdir -p "$work/src-$1"
	git archive "$1" | tar -x -C "$work/src-$1"
	(cd "$work/src-$1" && go build -o "$2" ./cmd/hsdecode)
}
build "$old" "$work/old"
build "$new" "$work/new"

captures=()
while IFS= read -r f; do captures+=("$f"); done < <(
	{ ls testdata/pcaps/*.pcap* 2>/dev/null
	  [[ -d ../shared/corpus ]] && find ../shared/corpus -type f \( -name '*.pcap' -o -name '*.pcapng' -o -name '*.cap' \) ; } | sort)
echo "same-reports: $old against ${new:-the work tree}, ${#captures[@]} captures"

runs=(
	"--format json --workers 1"
	"--format json --workers 3"
	"--format json --follow --workers 2"
	"--format text -v --fail-on all --workers 1"
	"--format zeek --workers 2"
	"--format ecs --workers 1"
)
differ=0
n=0
for c in "${captures[@]}"; do
	for r in "${runs[@]}"; do
		# shellcheck disable=SC2086
		"$work/old" $r --color never "$c" >"$work/o.out" 2>"$work/o.err" && os=0 || os=$?
		# shellcheck disable=SC2086
		"$work/new" $r --color never "$c" >"$work/n.out" 2>"$work/n.err" && ns=0 || ns=$?
		n=$((n + 1))
		if [[ $os != "$ns" ]] || ! cmp -s "$work/o.out" "$work/n.out" || ! cmp -s "$work/o.err" "$work/n.err"; then
			echo "differs: $c ($r): exit $os -> $ns"
			differ=$((differ + 1))
		fi
	done
done
echo "same-reports: $n runs, $differ differ"
[[ $differ -eq 0 ]]
