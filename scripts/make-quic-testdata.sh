#!/usr/bin/env bash
# make-quic-testdata.sh: record the QUIC captures of issue 17 into
# testdata/pcaps/, each with the NSS key log its client wrote (NAME.keys),
# and rewrite their section of MANIFEST.md ("## QUIC captures", kept before
# the key logs' section) with how each was made, what hsdecode must report,
# and the handshake messages tshark sees with the key log.
#
# Rerunnable on Debian as root (tcpdump needs it): scripts/quicpeer, a
# quic-go server and client in one process on loopback, one scenario per
# capture on a UDP port of its own in 44560-44599 (connection migration,
# 15x: 44600-44649); certificates made in memory each run. Reproducible in
# kind, not byte for byte.
#
# Usage: scripts/make-quic-testdata.sh [NUMBER...]
# With numbers (e.g. 130 133), only the captures whose names begin with them
# are recorded again and only their rows of MANIFEST.md replaced.
set -euo pipefail
ONLY=("$@")

ROOT=$(cd "$(dirname "$0")/.." && pwd)
OUT=$ROOT/testdata/pcaps
WORK=$(mktemp -d /tmp/hsdecode-quic.XXXXXX)

NAME=make-quic-testdata
# shellcheck source=lib/recorder.sh
source "$ROOT/scripts/lib/recorder.sh"
ROWS=()
need_root "tcpdump needs root"
need_commands tcpdump tshark go
(cd "$ROOT/scripts/quicpeer" && go build -o "$WORK/quicpeer" .)

# record NAME PORT SCENARIO EXPECT: one run of quicpeer captured on its port.
record() {
	local name=$1 port=$2 scenario=$3 expect=$4 seq
	selected "$name" || return 0
	rm -f "$OUT/$name.pcap" "$WORK/$name.keys"
	tcpdump -i lo -n --immediate-mode -U -w "$OUT/$name.pcap" "udp port $port" 2>"$WORK/tcpdump.log" &
	CAP_PID=$!
	for _ in $(seq 100); do grep -q 'listening on' "$WORK/tcpdump.log" && break; sleep 0.1; done
	"$WORK/quicpeer" -scenario "$scenario" -port "$port" -keylog "$WORK/$name.keys" 2>&1 | sed 's/^/   /' >&2
	sleep 0.5
	kill -INT "$CAP_PID"
	wait "$CAP_PID" || true
	CAP_PID=
	cp "$WORK/$name.keys" "$OUT/$name.keys"
	chown --reference="$OUT" "$OUT/$name.pcap" "$OUT/$name.keys"
	# The handshake messages of each QUIC packet, as side:messages.
	seq=$(tshark -r "$OUT/$name.pcap" -o "tls.keylog_file:$OUT/$name.keys" -d "udp.port==$port,quic" -Y tls.handshake \
		-T fields -e udp.srcport -e tls.handshake.type 2>/dev/null |
		awk -F'\t' -v port="$port" '{ printf "%s%s:%s", (NR > 1 ? ";" : ""), ($1 == port ? "S" : "C"), $2 }')
	log "$name: $seq"
	ROWS+=("| \`$name.pcap\` + \`$name.keys\` | \`quicpeer -scenario $scenario -port $port -keylog $name.keys\` | $expect | $seq |")
}

record 130-quic-v1 44560 v1 "QUIC version 1: outcome=established; transport=quic; TLS 1.3 TLS_AES_128_GCM_SHA256; SNI localhost; the ClientHello (X25519MLKEM768 key share) over two Initial packets; JA4 q13d..."
record 131-quic-v2 44561 v2 "QUIC version 2 (RFC 9369, its own salt and labels): outcome=established; transport=quic; quic.version=2"
record 132-quic-retry 44562 retry "the server answers the first Initial with a Retry (integrity tag valid); the client's second Initial carries the token and new keys: outcome=established; quic.retry=true"
record 133-quic-hrr 44563 hrr "the server prefers P-256 only: a HelloRetryRequest, a second ClientHello with a P-256 key share: outcome=established"
record 134-quic-mtls-fail 44564 mtls-fail "the client sends a certificate of a CA the server does not trust: the server closes with CRYPTO_ERROR 0x130 (unknown_ca) in a 1-RTT packet: without keys, outcome=established (the close is encrypted); with --keylog, outcome=alert, alert fatal unknown_ca from server"
record 135-quic-alpn-fail 44565 alpn-fail "no common ALPN: the server closes with CRYPTO_ERROR 0x178 in an Initial packet: outcome=alert; alert fatal no_application_protocol from server, no ServerHello"
record 136-quic-vn 44566 vn "the client's first Initial is version 2, the server speaks only version 1: Version Negotiation, then the handshake in version 1: outcome=established; quic.version=1; quic.versions_offered lists 1"
record 137-quic-big-hello 44567 big-hello "200 ALPN names: a ClientHello of several kilobytes over three Initial packets, reassembled: outcome=established; alpn offered 201 names"
record 150-quic-rebind 44600 rebind "NAT rebinding: after the handshake and an echo the client sends from a new port, keeping its connection IDs, and the server validates the new path: one connection, outcome=established; quic.paths lists both client ports, the second linked by cid; no datagram skipped"
record 151-quic-migrate 44601 migrate "active migration: after an echo the client probes a path from a second socket with a connection ID the server issued in a NEW_CONNECTION_ID frame (encrypted), then switches to it: one connection, outcome=established; with --keylog quic.paths lists both client ports, the second linked by new_connection_id, no datagram skipped; without, no quic.paths and the new path's datagrams skipped as UDP, no QUIC or DTLS handshake"

M=$OUT/MANIFEST.md
HEAD='## QUIC captures'
NEXT='## Captures with key logs'
keep_rows '^| `1[35][0-9]-'
{
	printf '%s\n\n' "$HEAD"
	printf 'Written by `scripts/make-quic-testdata.sh`: quic-go client and server\n'
	printf '(`scripts/quicpeer`, its own module) on loopback, UDP ports 44560-44599\n'
	printf '(15x, connection migration: 44600-44649), each\n'
	printf 'capture with the NSS key log the client wrote (NAME.keys). The last column is\n'
	printf 'what tshark shows with the key log: the handshake types of each QUIC packet\n'
	printf 'that carried any, by side.\n\n'
	printf '| file | made with | report | tshark with the key log |\n| --- | --- | --- | --- |\n'
	printf '%s\n' "${ROWS[@]}"
	printf '\nRecorded with quic-go %s, %s.\n\n' "$(grep quic-go "$ROOT/scripts/quicpeer/go.mod" | awk '{print $NF}')" "$(go version | cut -d' ' -f3)"
} >"$WORK/section"
put_section "$HEAD" "$NEXT" "$WORK/section"
log "done"
