# shellcheck shell=bash
# Sourced by the scripts that record test captures (scripts/make-*.sh):
# messages, the end of a failed step, and the cleanup that leaves nothing
# listening or recording. The script sets NAME (its name in messages) and
# WORK (its temporary directory) first, and may define extra_cleanup
# (network namespaces to remove, say). KEEP_WORK=1 keeps WORK to look at.

log() { printf '%s\n' "== $*" >&2; }
die() { printf '%s\n' "$NAME: $*" >&2; exit 1; }

# Background processes of the capture under way, killed by their own pids
# if a step fails: the capture's, the server's and any more in PIDS.
CAP_PID= SRV_PID=
PIDS=()
cleanup() {
	local p
	for p in $SRV_PID $CAP_PID "${PIDS[@]}"; do
		kill "$p" 2>/dev/null || true
	done
	wait 2>/dev/null || true
	if declare -F extra_cleanup >/dev/null; then
		extra_cleanup
	fi
	if [[ -n ${KEEP_WORK:-} ]]; then
		log "kept $WORK"
	else
		rm -rf "$WORK"
	fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# need_root WHY and need_commands CMD... end the script early, saying what
# is missing.
need_root() { [[ $(id -u) == 0 ]] || die "$1"; }
need_commands() {
	local cmd
	for cmd in "$@"; do
		command -v "$cmd" >/dev/null || die "missing $cmd"
	done
}

# selected NAME says whether the capture NAME is to be recorded: every one
# when the script was given no numbers (ONLY), else those whose names
# begin with one of them.
selected() {
	local n
	((${#ONLY[@]} == 0)) && return 0
	for n in "${ONLY[@]}"; do
		[[ $1 == "$n"-* ]] && return 0
	done
	return 1
}

# keep_rows PATTERN: with numbers given (ONLY), the rows of MANIFEST.md
# ($M) that match PATTERN (grep) and whose captures were not recorded
# again are kept before ROWS; ROWS is then sorted by file name.
keep_rows() {
	local row name kept=()
	if ((${#ONLY[@]} > 0)); then
		mapfile -t kept < <(grep "$1" "$M" || true)
		for row in "${ROWS[@]}"; do
			name=${row#'| `'}
			name=${name%%.pcap*}
			mapfile -t kept < <(printf '%s\n' "${kept[@]}" | grep -vF "| \`$name." || true)
		done
		ROWS=("${kept[@]}" "${ROWS[@]}")
	fi
	mapfile -t ROWS < <(printf '%s\n' "${ROWS[@]}" | grep . | sort -t'`' -k2,2)
}

# put_section HEAD NEXT FILE: MANIFEST.md's section under the heading HEAD
# becomes FILE's text, in its place; when there is no such section yet,
# FILE goes before the heading NEXT (at the end when there is no NEXT
# either).
put_section() {
	local has=0
	grep -qxF "$1" "$M" && has=1
	awk -v head="$1" -v next_="$2" -v sec="$3" -v has=$has '
	function put() { while ((getline l < sec) > 0) print l; done = 1 }
	$0 == head { put(); skip = 1; next }
	skip && /^## / { skip = 0 }
	skip { next }
	!has && $0 == next_ && !done { put() }
	{ print }
	END { if (!done) { print ""; put() } }' "$M" >"$WORK/manifest"
	cp "$WORK/manifest" "$M"
}
