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
go test -count=1 ./...
echo "== go test -race (reassembly, flows)"
go test -count=1 -race ./reassembly/ ./flows/
