# shellcheck shell=bash
# Sourced by the benchmark scripts (make-bench-capture.sh, bench.sh,
# bench-live.sh): what each of them did alike.

# install_missing CMD:PACKAGE...: installs with apt-get (as root, or
# through sudo) the Debian package of each command, or file, missing.
install_missing() {
	local pair what missing=() sudo=""
	for pair in "$@"; do
		what=${pair%%:*}
		if [[ $what == /* ]]; then
			[[ -e $what ]] || missing+=("${pair#*:}")
		else
			command -v "$what" >/dev/null 2>&1 || missing+=("${pair#*:}")
		fi
	done
	((${#missing[@]})) || return 0
	[[ $(id -u) == 0 ]] || sudo=sudo
	printf '%s\n' "== installing ${missing[*]}" >&2
	$sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq
	$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# build_hsdecode ROOT REV DIR: builds hsdecode into DIR from the working
# tree at ROOT, or, when REV is not empty, from that commit (git archive
# into DIR/src), for a stable binary while others edit the tree.
build_hsdecode() {
	local root=$1 rev=$2 dir=$3 src=$1
	if [[ -n $rev ]]; then
		src=$dir/src
		mkdir "$src"
		git -C "$root" archive "$rev" | tar -x -C "$src"
	fi
	(cd "$src" && go build -o "$dir/hsdecode" ./cmd/hsdecode)
}
