#!/usr/bin/env bash
# make-starttls-testdata.sh: record the captures of connections that speak
# in clear before their TLS (issue 15): STARTTLS in its protocols, and
# proxies (HTTP CONNECT, SOCKS 4 and 5), into testdata/pcaps/, and rewrite
# their section of MANIFEST.md ("## Captures after a plaintext prelude",
# kept before "## Captures with key logs", which
# scripts/make-keylog-testdata.sh rewrites to the end of the file).
#
# Rerunnable on Debian as root (tcpdump needs it): openssl s_client
# -starttls PROTO and curl through a proxy, against scripts/starttlspeer
# (the plaintext part of each protocol, then Go's crypto/tls), on loopback,
# one port per protocol in 44470-44484; throwaway keys in a temp dir. The
# captures are reproducible in kind, not byte for byte.
#
# Usage: scripts/make-starttls-testdata.sh [NUMBER...]
# With numbers (e.g. 80 83), only the captures whose names begin with them
# are recorded again and only their rows of MANIFEST.md replaced.
set -euo pipefail
ONLY=("$@")

ROOT=$(cd "$(dirname "$0")/.." && pwd)
OUT=$ROOT/testdata/pcaps
WORK=$(mktemp -d /tmp/hsdecode-starttls.XXXXXX)
HEADING='## Captures after a plaintext prelude'

NAME=make-starttls-testdata
# shellcheck source=lib/recorder.sh
source "$ROOT/scripts/lib/recorder.sh"
ROWS=()
need_root "tcpdump needs root"
need_commands tcpdump openssl tshark ss timeout curl go

cd "$WORK"
openssl req -x509 -newkey rsa:2048 -days 2 -nodes -keyout ca.key -out ca.crt -subj "/CN=hsdecode test ca" 2>/dev/null
openssl req -newkey rsa:2048 -nodes -keyout rsa.key -out rsa.csr -subj /CN=localhost 2>/dev/null
printf 'subjectAltName = DNS:localhost, IP:127.0.0.1\n' >server.ext
openssl x509 -req -in rsa.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 2 -extfile server.ext -out rsa.crt 2>/dev/null
(cd "$ROOT" && go build -o "$WORK/starttlspeer" ./scripts/starttlspeer)

# session_begin NAME FILTER: start recording NAME.pcap.
session_begin() {
	rm -f "$OUT/$1.pcap"
	tcpdump -i lo -n --immediate-mode -U -w "$OUT/$1.pcap" "$2" 2>"$WORK/tcpdump.log" &
	CAP_PID=$!
	local i
	for i in $(seq 100); do grep -q 'listening on' "$WORK/tcpdump.log" && break; sleep 0.1; done
	MADE=()
}

# talk PROTO PORT CLIENT...: starttlspeer speaks PROTO on PORT while the
# client command runs.
talk() {
	local proto=$1 port=$2 i
	shift 2
	./starttlspeer -proto "$proto" -addr 127.0.0.1:$port -cert rsa.crt -key rsa.key >>peer.log 2>&1 &
	SRV_PID=$!
	for i in $(seq 100); do ss -Hltn "sport = :$port" | grep -q . && break; sleep 0.1; done
	timeout 10 "$@" </dev/null >>client.log 2>&1 || true
	for i in $(seq 30); do kill -0 "$SRV_PID" 2>/dev/null || break; sleep 0.1; done
	kill "$SRV_PID" 2>/dev/null || true
	wait "$SRV_PID" 2>/dev/null || true
	SRV_PID=
	MADE+=("$port: \`$*\` against \`starttlspeer -proto $proto\`")
}

# s_client PROTO PORT: openssl's STARTTLS for PROTO.
s_client() {
	talk "$1" "$2" openssl s_client -starttls "$3" -connect 127.0.0.1:$2 -servername localhost -CAfile ca.crt -ign_eof
}

# session_end NAME EXPECT: stop recording, note the row.
session_end() {
	local name=$1 expect=$2 seq
	sleep 0.5
	kill -INT "$CAP_PID"
	wait "$CAP_PID" || true
	CAP_PID=
	chown --reference="$OUT" "$OUT/$name.pcap"
	seq=$(tshark -r "$OUT/$name.pcap" -Y 'tls.handshake.type == 1' -T fields -e tcp.dstport 2>/dev/null | tr '\n' ' ')
	log "$name: ClientHellos to ports $seq"
	local made
	made=$(printf '%s; ' "${MADE[@]}")
	ROWS+=("| \`$name.pcap\` | ${made%; } | $expect | ClientHello to ports: $seq|")
}

if selected 80-starttls-mail; then
	session_begin 80-starttls-mail "tcp portrange 44470-44473"
	s_client smtp 44470 smtp
	s_client lmtp 44471 lmtp
	s_client imap 44472 imap
	s_client pop3 44473 pop3
	session_end 80-starttls-mail "4 connections, TLS 1.3, outcome=established, each after its plaintext part: starttls smtp (EHLO, STARTTLS), lmtp (LHLO, STARTTLS), imap (. CAPABILITY, . STARTTLS), pop3 (STLS)"
fi

if selected 81-starttls-chat-news; then
	session_begin 81-starttls-chat-news "tcp portrange 44474-44478"
	s_client xmpp 44474 xmpp
	s_client irc 44475 irc
	s_client nntp 44476 nntp
	s_client sieve 44477 sieve
	s_client ftp 44478 ftp
	session_end 81-starttls-chat-news "5 connections, TLS 1.3, outcome=established: starttls xmpp (<starttls/>), irc (STARTTLS, numeric 670), nntp (CAPABILITIES, STARTTLS), sieve (a bare STARTTLS after ManageSieve's capability lines), ftp (AUTH TLS)"
fi

if selected 82-starttls-db-dir; then
	session_begin 82-starttls-db-dir "tcp portrange 44479-44481"
	s_client ldap 44479 ldap
	s_client postgres 44480 postgres
	s_client mysql 44481 mysql
	session_end 82-starttls-db-dir "3 connections, TLS 1.3, outcome=established: starttls ldap (the StartTLS extended operation), postgresql (SSLRequest), mysql (an SSL request after the server's greeting)"
fi

if selected 83-proxy-connect-socks; then
	session_begin 83-proxy-connect-socks "tcp portrange 44482-44484"
	talk connect 44482 curl -sS --cacert ca.crt --proxy http://127.0.0.1:44482 https://localhost:44489/
	talk socks4 44483 curl -sS --cacert ca.crt --proxy socks4://127.0.0.1:44483 https://localhost:44489/
	talk socks5 44484 curl -sS --cacert ca.crt --proxy socks5h://127.0.0.1:44484 https://localhost:44489/
	session_end 83-proxy-connect-socks "3 connections, TLS 1.3, outcome=established, SNI localhost: starttls http_connect (CONNECT localhost:44489), socks4 (CONNECT to 127.0.0.1), socks5 (CONNECT to the host name); the proxy terminates the TLS itself (port 44489 is never opened)"
fi

M=$OUT/MANIFEST.md
if ((${#ONLY[@]} > 0)); then
	# Keep the rows of the captures not recorded again.
	mapfile -t kept < <(sed -n "/^$HEADING\$/,/^## /p" "$M" | grep '^| `' || true)
	for row in "${ROWS[@]}"; do
		name=${row#'| `'}
		name=${name%%[.\`]*}
		mapfile -t kept < <(printf '%s\n' "${kept[@]}" | grep -vF "| \`$name." || true)
	done
	ROWS=("${kept[@]}" "${ROWS[@]}")
fi
mapfile -t ROWS < <(printf '%s\n' "${ROWS[@]}" | grep . | sort -t'`' -k2,2)
{
	printf '%s\n\n' "$HEADING"
	printf 'Written by `scripts/make-starttls-testdata.sh`: openssl s_client -starttls and curl\n'
	printf 'through a proxy, against `scripts/starttlspeer` (the plaintext part, then Go'"'"'s\n'
	printf 'crypto/tls with `rsa.crt`, signed by `ca.crt`), ports 44470-44484 (44489, named in the proxied URLs, is never opened), several\n'
	printf 'connections per capture. hsdecode names the protocol of each (`starttls`) and\n'
	printf 'decodes the handshake that follows as usual.\n\n'
	printf '| file | made with | report | tshark |\n| --- | --- | --- | --- |\n'
	printf '%s\n' "${ROWS[@]}"
	printf '\nRecorded with %s, %s, %s.\n\n' "$(openssl version | cut -d' ' -f1-2)" "$(curl --version | head -1 | cut -d' ' -f1-2)" "$(go version | cut -d' ' -f3)"
} >"$WORK/section"
# Replace the section, or put it before the key logs' one.
awk -v heading="$HEADING" -v section="$WORK/section" '
	function emit(  l) { while ((getline l < section) > 0) print l; done = 1 }
	$0 == heading { skip = 1; emit(); next }
	skip && /^## / { skip = 0 }
	skip { next }
	!done && $0 == "## Captures with key logs" { emit() }
	{ print }
	END { if (!done) { print ""; emit() } }
' "$M" >"$WORK/manifest"
cp "$WORK/manifest" "$M"
log "done"
