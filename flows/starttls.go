package flows

import (
	"bytes"
	"encoding/binary"
)

// What spoke in clear before a connection's TLS: the plaintext prelude a
// client sends before its ClientHello (flows/prelude.go), read with what
// the server said before it, names the protocol that upgraded to TLS
// (STARTTLS and its kin) or the proxy it went through.

// StartTLS is the plaintext protocol before a connection's TLS, as wide
// as it needs to be: it sits in Result's padding.
type StartTLS uint8

// The protocols named; StartTLSNone when TLS began at the first byte.
const (
	StartTLSNone        StartTLS = iota
	StartTLSUnknown              // a prelude none of the rules below names
	StartTLSSMTP                 // RFC 3207: EHLO, STARTTLS
	StartTLSLMTP                 // RFC 2033: LHLO, STARTTLS
	StartTLSIMAP                 // RFC 3501, 6.2.1: tag STARTTLS
	StartTLSPOP3                 // RFC 2595, 4: STLS
	StartTLSFTP                  // RFC 4217, 4: AUTH TLS
	StartTLSXMPP                 // RFC 6120, 5: <starttls/>
	StartTLSLDAP                 // RFC 4511, 4.14: the StartTLS extended operation
	StartTLSPostgreSQL           // SSLRequest (PostgreSQL's protocol, 53.2.10)
	StartTLSMySQL                // an SSL request in the handshake response (CLIENT_SSL)
	StartTLSNNTP                 // RFC 4642: STARTTLS after a 200/201 greeting
	StartTLSSieve                // RFC 5804, 2.2: ManageSieve STARTTLS
	StartTLSIRC                  // IRCv3 STARTTLS, answered by numeric 670
	StartTLSHTTPConnect          // RFC 9110, 9.3.6: a CONNECT through an HTTP proxy
	StartTLSSOCKS4               // SOCKS 4 (and 4a) CONNECT
	StartTLSSOCKS5               // RFC 1928
)

var startTLSNames = [...]string{"", "unknown", "smtp", "lmtp", "imap", "pop3", "ftp", "xmpp", "ldap", "postgresql",
	"mysql", "nntp", "sieve", "irc", "http_connect", "socks4", "socks5"}

// String is the protocol's token in the report (docs/report.md,
// starttls); "" for none.
func (p StartTLS) String() string {
	if int(p) < len(startTLSNames) {
		return startTLSNames[p]
	}
	return "unknown"
}

// maxServerPrelude bounds what is kept of a server's plaintext before
// the client's TLS: its greeting and its answer to the upgrade.
const maxServerPrelude = 512

// ldapStartTLSOID is the StartTLS extended request's name (RFC 4511,
// 4.14.1).
var ldapStartTLSOID = []byte("1.3.6.1.4.1.1466.20037")

// postgresSSLRequest is the SSLRequest message: its length, 8, and the
// code 80877103.
var postgresSSLRequest = []byte{0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x2f}

// detectStartTLS names the protocol of a client's prelude (the bytes
// before its ClientHello) and what the server sent before the client's
// TLS, at most maxServerPrelude bytes of it. Binary preludes first, by
// their fixed forms; then text, line by line.
func detectStartTLS(client, server []byte) StartTLS {
	switch {
	case len(client) >= 3 && client[0] == 5 && int(client[1]) >= 1 && len(client) >= 2+int(client[1]):
		return StartTLSSOCKS5
	case len(client) >= 9 && client[0] == 4 && (client[1] == 1 || client[1] == 2):
		return StartTLSSOCKS4
	case bytes.HasPrefix(client, postgresSSLRequest),
		len(client) >= 16 && bytes.Equal(client[8:16], postgresSSLRequest): // after a refused GSSENCRequest
		return StartTLSPostgreSQL
	case isMySQLSSLRequest(client, server):
		return StartTLSMySQL
	case len(client) > 0 && client[0] == 0x30 && bytes.Contains(client, ldapStartTLSOID):
		return StartTLSLDAP
	case bytes.Contains(client, []byte("<stream:stream")) || bytes.Contains(client, []byte("<starttls")):
		return StartTLSXMPP
	}
	bare := false
	for _, line := range bytes.Split(client, []byte("\n")) {
		words := bytes.Fields(bytes.ToUpper(line))
		if len(words) == 0 {
			continue
		}
		switch cmd := string(words[0]); {
		case cmd == "CONNECT" && len(words) >= 3 && bytes.HasPrefix(words[2], []byte("HTTP/")):
			return StartTLSHTTPConnect
		case cmd == "EHLO" || cmd == "HELO":
			return StartTLSSMTP
		case cmd == "LHLO":
			return StartTLSLMTP
		case cmd == "STLS":
			return StartTLSPOP3
		case cmd == "AUTH" && len(words) >= 2 && (bytes.HasPrefix(words[1], []byte("TLS")) || bytes.HasPrefix(words[1], []byte("SSL"))):
			return StartTLSFTP
		case cmd == "CAPABILITIES":
			return StartTLSNNTP
		case len(words) >= 2 && (string(words[1]) == "STARTTLS" || string(words[1]) == "CAPABILITY"):
			return StartTLSIMAP // a tag, then the command
		case cmd == "STARTTLS":
			bare = true
		}
	}
	if !bare {
		return StartTLSUnknown
	}
	// A bare STARTTLS is NNTP's, ManageSieve's or IRC's: the server's
	// greeting tells them apart.
	switch {
	case bytes.HasPrefix(server, []byte("200")) || bytes.HasPrefix(server, []byte("201")):
		return StartTLSNNTP
	case bytes.HasPrefix(server, []byte(`"`)):
		return StartTLSSieve // capability lines: "IMPLEMENTATION" "..."
	case bytes.HasPrefix(server, []byte(":")) || bytes.Contains(server, []byte(" 670 ")):
		return StartTLSIRC
	case bytes.HasPrefix(server, []byte("220")):
		return StartTLSSMTP
	}
	return StartTLSUnknown
}

// isMySQLSSLRequest: the server's first packet is a protocol 10
// handshake (sequence 0) and the client's answer (sequence 1) sets
// CLIENT_SSL (0x800) in its capability flags, so TLS follows.
func isMySQLSSLRequest(client, server []byte) bool {
	return len(server) >= 5 && server[3] == 0 && server[4] == 10 &&
		len(client) >= 8 && client[3] == 1 && binary.LittleEndian.Uint16(client[4:6])&0x800 != 0
}
