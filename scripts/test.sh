#!/usr/bin/env bash
# The whole test suite: installs what it lacks, then checks formatting, vet,
# staticcheck, the pure-Go build, and runs every test. .ci/run calls it.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh

echo "== gofmt"
unformatted=$(gofmt -l $(git ls-files '*.go'))
if [[ -n $unformatted ]]; then
	echo "gofmt would change:"; echo "$unformatted"; exit 1
fi
echo "== go vet"
go vet ./...
echo "== staticcheck"
go run honnef.co/go/tools/cmd/staticcheck@v0.8.2 ./...
echo "== build without cgo"
CGO_ENABLED=0 go build -o /dev/null ./cmd/hsdecode
echo "== go test"
# Tests keep what a person looks at (the HTML report's screenshot) here.
export HSDECODE_ARTIFACTS=${HSDECODE_ARTIFACTS:-$PWD/ci-artifacts/tests}
go test -count=1 ./...
echo "== go test -race (reassembly, flows, decode; the offline pipeline with several workers)"
go test -count=1 -race ./reassembly/ ./flows/ ./decode/
go test -count=1 -race -run 'TestWorkersSameReport' ./cmd/hsdecode/
echo "== the README's CI gate (scripts/ci-gate-example.sh)"
if [[ $(id -u) -eq 0 ]] || sudo -n true 2>/dev/null; then
	gate=$(mktemp -d)
	OUT="$gate/pass" bash scripts/ci-gate-example.sh >/dev/null
	set +e
	OUT="$gate/fail" PORT=28444 bash scripts/ci-gate-example.sh --demo-failure >/dev/null
	status=$?
	set -e
	if [[ $status -ne 1 ]]; then
		echo "the gate exited $status on a failed handshake, want 1"; exit 1
	fi
	xmllint --noout --schema testdata/junit/junit-4.xsd "$gate/pass/hsdecode-junit.xml" "$gate/fail/hsdecode-junit.xml"
	xmllint --html --noout "$gate/pass/hsdecode.html" "$gate/fail/hsdecode.html"
	rm -rf "$gate"
	echo "ok: passes clean handshakes, fails on an alert, JUnit validates, the HTML page parses"
else
	echo "skipped: capturing on lo needs root or sudo"
fi
