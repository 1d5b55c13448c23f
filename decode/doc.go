// Package decode turns the bytes of one direction of a TLS connection into
// events: handshake messages parsed into typed structs, ChangeCipherSpec,
// alerts, and opaque application-data or encrypted records.
//
// What it does: the record layer (RFC 5246 Section 6.2, RFC 8446 Section 5),
// joining handshake messages across records and splitting several out of one
// record, the SSLv2-compatible ClientHello (RFC 5246 Appendix E.2), parsing of
// the handshake messages a passive observer sees in plaintext and of every
// hello extension a report names, certificates read with crypto/x509 into
// CertInfo summaries (ParseCertificates) and stapled OCSP responses, the key
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
// package flows), and knows no packets, TCP or time. It holds no goroutines,
// clocks or mutable globals: a Stream is plain state, safe to use from one
// goroutine at a time.
//
// Who feeds it: package flows creates one Stream per direction, pushes the
// reassembled TCP payload in with Feed, pulls Events out with Next, and calls
// SetEncrypted after that side's ChangeCipherSpec. Malformed input ends the
// direction with a *Error whose Code is one of the violation codes of
// handshake-order.md Section 6.
package decode
