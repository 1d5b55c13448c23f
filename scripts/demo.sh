#!/usr/bin/env bash
# Builds hsdecode and runs it on a bundled capture: a TLS 1.2 server that
# sends ServerHelloDone before its Certificate, and the client's answer.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh
go build -o bin/hsdecode ./cmd/hsdecode
for f in testdata/pcaps/01-tls12-ecdhe-rsa.pcap testdata/pcaps/23-violation-shd-before-cert.pcap; do
	echo "\$ hsdecode -r $f"
	./bin/hsdecode -r "$f" || true
done
