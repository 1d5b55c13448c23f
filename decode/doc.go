// Package decode turns the bytes of one direction of a TLS connection into
// events: handshake messages parsed into typed structs, ChangeCipherSpec,
// alerts, and opaque application-data or encrypted records.
//
// What it does: the record layer (RFC 5246 Section 6.2, RFC 8446 Section 5),
// joining handshake messages across records and splitting several out of one
// record, the SSLv2-compatible ClientHello (RFC 5246 Appendix E.2), parsing of
// the handshake messages a passive observer sees in plaintext and of every
// hello extension a report names, certificates read with crypto/x509 into
// CertInfo summaries (ParseCertificate) and stapled OCSP responses, the key
// exchange parameters once the caller names the suite
// (ServerKeyExchange.Params, ClientKeyExchange.Params), the names of the IANA
// TLS registries, and the JA3/JA3S/JA4 fingerprints of a hello.
//
// Certificates are parsed here rather than in report because decode owns
// turning bytes into facts, and because a CertInfo is small: flows keeps it
// in a connection's result and lets the chain's DER go, so a capture of many
// connections does not hold their certificates in memory.
//
// What it does not: it decrypts nothing, judges no message order (that is
// package flows), and knows no packets, TCP or time. It starts no
// goroutines and reads no clock: the same bytes give the same events. A
// Stream is plain state, safe to use from one goroutine at a time; the only
// state Streams share is a sync.Pool of input buffers that Release gives
// back, which changes no result.
//
// Who feeds it: package flows creates one Stream per direction, pushes the
// reassembled TCP payload in with Feed, pulls Events out with Next, and calls
// SetEncrypted after that side's ChangeCipherSpec. Malformed input ends the
// direction with a *Error whose Code is one of the violation codes of
// docs/handshake-order.md section 6.
//
// decode is hsdecode's one package meant for other Go programs too: a
// typed TLS handshake parser over bytes, as gopacket's layers are over
// packets. Its exported names change only with care: a removed or renamed
// one is a breaking change, said so in the commit.
package decode
