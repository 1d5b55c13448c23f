// Package reassembly turns captured frames into the in-order byte streams of
// each TCP connection.
//
// The caller (cmd/hsdecode, reading from package capture) gives every frame
// to Assembler.Packet with its link type, and calls Flush at the end of the
// input. The Assembler decodes the link layer (Ethernet with 802.1Q and QinQ
// tags, Linux cooked SLL and SLL2, BSD loopback, raw IPv4/IPv6), IPv4 (with
// options; fragments put back together, see defrag.go) and IPv6 (with
// extension headers), and TCP, keeps a table of connections, and drives one
// Stream per connection, made by a Factory: package flows implements both.
// Every TCP connection gets a Stream; recognising TLS is the Stream's
// business. A frame that is not used is counted in Stats.Skipped with the
// reason.
//
// Per direction, bytes arrive in sequence order with the timestamp of the
// segment that brought them; retransmitted and overlapping bytes are
// delivered once, out-of-order segments are held until the hole before them
// fills, and a hole given up (at Flush, when memory or a direction's buffer
// runs out, or after IdleTimeout) is reported with Gap before the bytes
// after it. So are the bytes of a segment that the capture's snap length
// cut, where they belong, and, as soon as the peer sends data acknowledging
// them, bytes the capture never had (see Assembler.unseen). A direction's
// bytes start at the ISN of its SYN (of the SYN-ACK the client acknowledged,
// when a server answered with two ISNs), or, in a capture that began
// mid-connection, at its first segment with payload, FIN or RST, never at a
// bare ACK.
//
// FIN and RST are reported with End. A connection is closed, exactly once,
// when both sides ended, when it idled, when the capture ended, when it is
// the quietest while more is held than Options.MaxBufferedBytes allows
// (memory.go), and after a RST once the peer's segments that were in flight
// at it have been delivered: the next segment that does not continue them,
// or a second of capture time without one, ends the wait. For a minute after
// a close by FIN or RST, segments of the connection that come late
// (retransmissions, SYN-ACKs sent again, segments in flight after the wait)
// are skipped rather than taken for a connection of their own (for two hours
// after one closed idle or for memory, which was not over); a SYN on the
// 4-tuple of a closed connection starts a new one. Once a Stream reports
// Done, its connection's packets are no longer buffered or copied: they are
// looked up, and only their FIN, RST and timestamp are used, a RST closing
// the connection at once.
//
// Where copies of bytes overlap, the bytes delivered are those Linux's
// receiver reads (overlap.go), the urgent byte of a segment with URG taken
// out, and a Stream that implements MismatchStream hears of copies that
// differed; a segment whose checksums are wrong is dropped, as its
// receiver drops it (checksum.go, Options.ChecksumMode).
//
// Ordering and buffering are gopacket's reassembly package; this package
// owns decoding, the connection table and each connection's lifetime.
//
// It does not reassemble IPv6 fragments (they are counted as skipped),
// follow a connection across a change of 4-tuple, or run
// on more than one goroutine: an Assembler is used by one goroutine, and
// concurrency, where it pays, is one Assembler per shard of connections.
package reassembly
