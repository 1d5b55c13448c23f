package stream

import (
	"net/netip"
	"time"
)

// Side names one direction of a connection. SideA is the endpoint that sent
// the SYN when the SYN was captured; otherwise the endpoint of the first
// packet seen, and the consumer decides which side is the client.
type Side uint8

// Sides.
const (
	SideA Side = iota // A -> B
	SideB             // B -> A
)

// ConnInfo describes a new connection to the consumer.
type ConnInfo struct {
	A, B netip.AddrPort
	// SawSYN says the start was captured and A is the client: the 3-way
	// handshake of a TCP connection, a UDP flow's first datagram being
	// its client's first flight (a QUIC Initial, a DTLS ClientHello).
	SawSYN bool
	Start  time.Time // timestamp of its first packet
	// Seq is the number of the packet that began the connection, counting
	// from 1 every packet given to the Assembler (or to Sharded, across
	// its workers): the order connections began, for deterministic output.
	Seq uint64
	// Tunnels are the encapsulations of the packet that began the
	// connection, outermost first; none for a packet that came bare.
	// Connections in different tunnels are different connections, even
	// with the same 4-tuple.
	Tunnels []Tunnel
	// Transport is what carries the connection: TCP, or a UDP flow of
	// QUIC or DTLS, whose consumer is a DatagramStream.
	Transport Transport
}

// Transport names what carries a connection's handshake.
type Transport uint8

// Transports.
const (
	TransportTCP  Transport = iota // TLS records over a TCP byte stream
	TransportQUIC                  // QUIC packets over UDP (RFC 9000)
	TransportDTLS                  // DTLS records over UDP (RFC 6347, RFC 9147)
)

var transportNames = [...]string{"tcp", "quic", "dtls"}

func (t Transport) String() string {
	if int(t) < len(transportNames) {
		return transportNames[t]
	}
	return "unknown"
}

// EndReason says why a direction or a connection ended.
type EndReason uint8

// End reasons.
const (
	EndFIN     EndReason = iota + 1 // orderly close by this side
	EndRST                          // this side reset the connection
	EndCapture                      // the capture ended with the connection open
	EndIdle                         // idle longer than Options.IdleTimeout
	EndMemory                       // dropped to keep within the memory bound (reassembly.Options.MaxBufferedBytes)
	EndReused                       // a SYN on its 4-tuple began a new connection
)

// Stream is the consumer of one TCP connection's byte streams, implemented
// by flows. Calls for one connection are never concurrent.
type Stream interface {
	// Data delivers the next in-order bytes of a direction; data is only
	// valid during the call. ts is the timestamp of the segment they came in.
	Data(side Side, data []byte, ts time.Time)
	// Gap reports that bytes are missing from a direction before the next
	// Data call; missing is the count, or -1 when unknown.
	Gap(side Side, missing int, ts time.Time)
	// End reports a FIN or RST from a side (EndFIN, EndRST). After a RST,
	// the other side's bytes that were in flight may still come.
	End(side Side, reason EndReason, ts time.Time)
	// Close is the last call: the connection is over (both directions
	// closed, RST, end of capture, idle or memory), with its last packet's
	// timestamp.
	Close(reason EndReason, last time.Time)
	// Done reports whether the consumer needs no more bytes; once it
	// returns true, the connection's packets cost a lookup and no copy.
	Done() bool
}

// DatagramStream is implemented by the consumer of a UDP flow
// (ConnInfo.Transport QUIC or DTLS): it is given each datagram whole,
// rather than bytes in order, and never Gap nor End; Close and Done are
// as for TCP.
type DatagramStream interface {
	Stream
	// Datagram delivers the payload of one datagram of a side; payload
	// is only valid during the call.
	Datagram(side Side, payload []byte, ts time.Time)
}

// PathStream is implemented by the consumer of a QUIC flow that is told
// when its client sends from another address or port (connection
// migration, RFC 9000, 9): the flow's later datagrams may come from, or
// go to, client, and are of side A.
type PathStream interface {
	// Path reports the client's new address and port, with the
	// timestamp of the first datagram of that path; encrypted says the
	// path was linked by a connection ID the consumer read decrypted
	// (IDStream), not one of the handshake's long headers.
	Path(client netip.AddrPort, encrypted bool, ts time.Time)
}

// IDStream is implemented by the consumer of a QUIC flow that reads, with
// keys, the connection IDs its endpoints issue encrypted
// (NEW_CONNECTION_ID, RFC 9000, 19.15), for reassembly to link a path
// that uses one (an active migration, RFC 9000, 9.5).
type IDStream interface {
	// IssuedIDs returns the IDs read since the last call, valid until
	// the next call of Datagram.
	IssuedIDs() []IssuedID
}

// IssuedID is a connection ID an endpoint issued: its peer sends to it
// with it.
type IssuedID struct {
	ToServer bool // issued by the server
	ID       []byte
}

// Buffered is implemented by a Stream that holds bytes of its own, such as
// a decoder waiting for the rest of a record: they are counted against
// the memory bound (reassembly.Options.MaxBufferedBytes) with the connection's, after each packet of it.
type Buffered interface {
	Buffered() int
}

// Factory makes the consumer of a new connection.
type Factory interface {
	New(info ConnInfo) Stream
}

// MismatchStream is implemented by a Stream that wants to know of
// overlapping copies of its bytes that differ from the ones kept, an
// evasion tool: a monitor that kept other bytes than the receiver would
// see another handshake (Zeek's rexmit_inconsistency, Suricata's
// stream.reassembly_overlap_different_data).
type MismatchStream interface {
	// OverlapMismatch reports that a segment of side carried n bytes
	// that differ from those delivered, or to be, in their place.
	OverlapMismatch(side Side, n int, ts time.Time)
}
