// Package dtls reads what a passive observer needs of DTLS (1.0 and 1.2,
// RFC 6347; 1.3, RFC 9147) to follow a handshake: the records of a
// datagram with their epoch and sequence number, DTLS 1.3's unified
// header recognised, and handshake messages put back together from their
// fragments (message_seq, fragment_offset, fragment_length), a
// retransmitted flight's copies read once.
//
// What it does not: decrypt, or judge the handshake; the messages it
// returns carry TLS's 4-byte header so that package decode parses them,
// and package flows is to check their order. Pure functions and small
// state over bytes, as package decode.
package dtls
