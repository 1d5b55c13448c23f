#!/usr/bin/env bash
# make-dtls-testdata.sh: record the DTLS captures of issue 17 into
# testdata/pcaps/ and rewrite their section of MANIFEST.md ("## DTLS
# captures", kept before the key logs' section) with how each was made,
# what hsdecode must report, and the handshake messages tshark sees.
#
# Rerunnable on Debian as root (tcpdump needs it): OpenSSL's s_server and
# s_client with -dtls1_2, GnuTLS's gnutls-serv and gnutls-cli with --udp,
# on loopback, each capture on a UDP port of its own in 44580-44599;
# throwaway keys in a temp dir. Reproducible in kind, not byte for byte.
#
# Usage: scripts/make-dtls-testdata.sh [NUMBER...]
# With numbers (e.g. 140 142), only the captures whose names begin with
# them are recorded again and only their rows of MANIFEST.md replaced.
set -euo pipefail
ONLY=("$@")

ROOT=$(cd "$(dirname "$0")/.." && pwd)
OUT=$ROOT/testdata/pcaps
WORK=$(mktemp -d /tmp/hsdecode-dtls.XXXXXX)

NAME=make-dtls-testdata
# shellcheck source=lib/recorder.sh
source "$ROOT/scripts/lib/recorder.sh"
ROWS=()
need_root "tcpdump needs root"
need_commands tcpdump tshark openssl gnutls-serv gnutls-cli timeout
cd "$WORK"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -keyout ec.key -out ec.crt -subj /CN=localhost 2>/dev/null

# record NAME PORT SERVER CLIENT EXPECT: the server started (its standard
# input held open), the client run against it, the capture on the port.
record() {
	local name=$1 port=$2 server=$3 client=$4 expect=$5 seq
	selected "$name" || return 0
	rm -f "$OUT/$name.pcap"
	tcpdump -i lo -n --immediate-mode -U -w "$OUT/$name.pcap" "udp port $port" 2>"$WORK/tcpdump.log" &
	CAP_PID=$!
	for _ in $(seq 100); do grep -q 'listening on' "$WORK/tcpdump.log" && break; sleep 0.1; done
	(sleep 4 | timeout 6 bash -c "$server" >"$WORK/server.log" 2>&1 &)
	sleep 1
	(printf 'hello\n'; sleep 1) | timeout 5 bash -c "$client" >"$WORK/client.log" 2>&1 || true
	sleep 1
	kill -INT "$CAP_PID"
	wait "$CAP_PID" || true
	CAP_PID=
	chown --reference="$OUT" "$OUT/$name.pcap"
	# The handshake messages of each datagram, as side:types.
	seq=$(tshark -r "$OUT/$name.pcap" -d "udp.port==$port,dtls" -Y dtls.handshake -T fields -e udp.srcport -e dtls.handshake.type 2>/dev/null |
		awk -F'\t' -v port="$port" '{ printf "%s%s:%s", (NR > 1 ? ";" : ""), ($1 == port ? "S" : "C"), $2 }')
	log "$name: $seq"
	ROWS+=("| \`$name.pcap\` | server: \`$server\`; client: \`$client\` | $expect | $seq |")
}

record 140-dtls12-openssl 44580 \
	"openssl s_server -dtls1_2 -listen -accept 127.0.0.1:44580 -cert ec.crt -key ec.key -naccept 1" \
	"openssl s_client -dtls1_2 -connect 127.0.0.1:44580" \
	"DTLS 1.2 with a HelloVerifyRequest: outcome=established; transport=dtls; version=DTLS 1.2; history CVCsxknGIti (the cookie exchange, then a full handshake with a NewSessionTicket); dtls.cookie_length 20"
record 141-dtls12-no-shared-cipher 44581 \
	"openssl s_server -dtls1_2 -listen -accept 127.0.0.1:44581 -cert ec.crt -key ec.key -naccept 1 -cipher ECDHE-ECDSA-AES128-GCM-SHA256" \
	"openssl s_client -dtls1_2 -connect 127.0.0.1:44581 -cipher ECDHE-ECDSA-AES256-GCM-SHA384" \
	"the client offers no suite the server takes: outcome=alert; alert fatal handshake_failure from server after the cookie exchange (CVCL)"
record 142-dtls12-gnutls 44582 \
	"gnutls-serv --udp --port 44582 --x509certfile ec.crt --x509keyfile ec.key" \
	"gnutls-cli --udp --port 44582 --insecure --priority NORMAL:-VERS-ALL:+VERS-DTLS1.2 127.0.0.1" \
	"GnuTLS on both sides, DTLS 1.2 with a HelloVerifyRequest: outcome=established; version=DTLS 1.2"
record 143-dtls12-fragmented 44583 \
	"openssl s_server -dtls1_2 -listen -accept 127.0.0.1:44583 -cert ec.crt -key ec.key -naccept 1 -mtu 256" \
	"openssl s_client -dtls1_2 -connect 127.0.0.1:44583 -mtu 256" \
	"a 256-byte MTU: the ClientHello and the Certificate in several fragments, put back together: outcome=established, the ladder of 140"

M=$OUT/MANIFEST.md
HEAD='## DTLS captures'
NEXT='## Captures with key logs'
keep_rows '^| `14[0-9]-'
{
	printf '%s\n\n' "$HEAD"
	printf 'Written by `scripts/make-dtls-testdata.sh`: OpenSSL and GnuTLS DTLS 1.2 on\n'
	printf 'loopback, UDP ports 44580-44599, with a throwaway ECDSA certificate for\n'
	printf 'localhost (`ec.crt`). The last column is what tshark shows: the handshake\n'
	printf 'types of each datagram that carried any, by side.\n\n'
	printf '| file | made with | report | tshark |\n| --- | --- | --- | --- |\n'
	printf '%s\n' "${ROWS[@]}"
	printf '\nRecorded with %s, %s.\n\n' "$(openssl version | cut -d' ' -f1-2)" "$(gnutls-cli --version | head -1)"
} >"$WORK/section"
put_section "$HEAD" "$NEXT" "$WORK/section"
log "done"
