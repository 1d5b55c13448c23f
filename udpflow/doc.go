// Package udpflow decides, from the first datagram of a UDP flow, whether
// it begins a handshake hsdecode reads: a QUIC client's first Initial
// (RFC 9000, 17.2.2 and 14.1) or a DTLS ClientHello record (RFC 6347,
// 4.1; RFC 9147, 4). reassembly asks it once for a datagram of no open
// flow; the answer costs a few byte comparisons, so a flow of anything
// else (DNS, RTP, syslog) costs one look per datagram and no state.
//
// What it does not: decrypt, parse the handshake, or keep flows; package
// quic reads QUIC packets, flows judges the handshake, reassembly keeps
// the flow table. It imports only stream.
package udpflow
