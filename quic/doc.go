// Package quic reads what a passive observer can of a QUIC connection's
// handshake (RFC 9000, RFC 9001; version 2, RFC 9369): the packets of a
// datagram, coalesced ones split (RFC 9000, 12.2); long headers (Initial,
// 0-RTT, Handshake, Retry) and Version Negotiation; Initial packets
// decrypted with the keys any observer derives from the client's
// Destination Connection ID (RFC 9001, 5.2), header protection removed
// (5.4); the frames an Initial or Handshake packet may carry (RFC 9000,
// 12.4); CRYPTO frames put back in order by offset (CryptoStream); and the
// Retry integrity tag (RFC 9001, 5.8).
//
// What it does not: 1-RTT packets without keys (their header says only
// that they are), connection state, loss recovery, or judging the TLS
// handshake the CRYPTO frames carry, which package flows does with the
// same order tables as over TCP. Like package decode, it is pure functions
// and small state over bytes, with no goroutines and no clocks; malformed
// input is an error value, never a panic.
package quic
