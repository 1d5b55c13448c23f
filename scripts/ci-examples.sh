#!/usr/bin/env bash
# Runs the README's GitHub Actions workflow (with action.yml) and GitLab
# CI job (with ci/gitlab/hsdecode.gitlab-ci.yml) the way their runners
# would (scripts/ci-examples.py), in fake user repositories holding
# bundled captures: established handshakes must pass, an alert and an
# empty capture must fail with their annotations. hsdecode is built from
# this checkout, offline (HSDECODE_INSTALL_FROM, a test-only override of
# the action's and the template's go install). TestCIExamples runs it.
#
#   bash scripts/ci-examples.sh
#
# Exit status 0 when every run went as expected, 1 otherwise.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
export HSDECODE_INSTALL_FROM=$root
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
pcaps=testdata/pcaps
fail=0

# repo NAME CAPTURE...: a user repository whose captures/ holds these.
repo() {
	local dir=$work/$1
	shift
	mkdir -p "$dir/captures"
	for c in "$@"; do
		if [[ $c == empty ]]; then
			# A pcap header and no packet: tcpdump that saw nothing.
			printf '\xd4\xc3\xb2\xa1\x02\x00\x04\x00\x00\x00\x00\x00\x00\x00\x00\x00\xff\xff\x00\x00\x01\x00\x00\x00' >"$dir/captures/empty.pcap"
		else
			cp "$pcaps/$c" "$dir/captures/"
		fi
	done
	echo "$dir"
}

# check KIND NAME WANT GREP...: runs the example, wants the job's WANT
# (success, failure) and each GREP (an extended regexp) in its output.
check() {
	local kind=$1 name=$2 want=$3 dir out
	shift 3
	dir=$work/$kind-$name
	if [[ $kind == github ]]; then
		out=$(python3 scripts/ci-examples.py github README.md "$root" "$dir" 2>&1) || true
	else
		out=$(python3 scripts/ci-examples.py gitlab README.md ci/gitlab/hsdecode.gitlab-ci.yml "$dir" 2>&1) || true
	fi
	local ok=1
	grep -qx "JOB: $want" <<<"$out" || ok=0
	for re in "$@"; do
		grep -qE -- "$re" <<<"$out" || { ok=0; echo "ci-examples: $kind $name: no line matching $re" >&2; }
	done
	if [[ $want == success ]] && grep -q '^::error' <<<"$out"; then
		ok=0
		echo "ci-examples: $kind $name: an ::error annotation in a run that passes" >&2
	fi
	[[ -s $dir/hsdecode-junit.xml ]] || { ok=0; echo "ci-examples: $kind $name: no hsdecode-junit.xml" >&2; }
	if [[ $ok -eq 1 ]]; then
		echo "ci-examples: $kind $name: $want as expected"
	else
		echo "ci-examples: $kind $name: not as expected (want $want); its output:" >&2
		sed 's/^/    /' <<<"$out" >&2
		fail=1
	fi
}

for kind in github gitlab; do
	repo "$kind-pass" 01-tls12-ecdhe-rsa.pcap 12-tls13-full.pcap >/dev/null
	repo "$kind-alert" 01-tls12-ecdhe-rsa.pcap 07-tls12-no-shared-cipher.pcap >/dev/null
	repo "$kind-empty" 01-tls12-ecdhe-rsa.pcap empty >/dev/null
done
check github pass success '^2 connections: 2 established$'
check github alert failure '^::error title=hsdecode alert::127\.0\.0\.1:44307 sni=localhost'
check github empty failure '^::error title=hsdecode min_connections::gate: captures/empty\.pcap: no TLS connection'
check gitlab pass success '^2 connections: 2 established$'
check gitlab alert failure 'FINDING alert: fatal handshake_failure from server'
check gitlab empty failure '^hsdecode: gate: captures/empty\.pcap: no TLS connection'
exit $fail
