// Package reassembly turns captured frames into the in-order byte streams of
// each TCP connection.
//
// The caller (cmd/hsdecode, reading from package capture) gives every frame
// to Assembler.Packet with its link type, and calls Flush at the end of the
// input. The Assembler decodes the link layer (Ethernet with 802.1Q and QinQ
// tags, Linux cooked SLL and SLL2, BSD loopback, raw IPv4/IPv6), IPv4 (with
// options; fragments put back together, see defrag.go) and IPv6 (with
// extension headers; fragments put back together, see defrag6.go), and TCP, keeps a table of connections, and drives one
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
// them, bytes the capture never had (see Assembler.unseen); those the
// peer acknowledged last, with nothing after them, are reported when the
// connection closes, however it does (unseenAtEnd). A direction's
// bytes start at the ISN of its SYN (of the SYN-ACK the client acknowledged,
// when a server answered with two ISNs); without its SYN, where its peer's
// first acknowledgement says, when its first segment lies there or a
// little after; or else at the lowest of its first segments with payload
// (see below), or at a first FIN or RST, never at a bare ACK. In a
// connection whose SYN was captured, such a start is not where the
// direction began, and a Gap of unknown size (-1) comes before it.
//
// A direction whose start nothing proves settles first (settle.go): its
// first segments with payload are held, and it starts at the lowest
// sequence number among them, so that a ClientHello split in two and
// swapped by the network is read from its start. It settles at its third
// such segment, 200 ms of capture time after the first, at its FIN, RST
// or SYN, at any packet of its peer (whose bytes never overtake it), and
// when the connection closes. A segment lower still that comes after is
// old to gopacket, and dropped, as before any start.
//
// FIN and RST are reported with End. A connection is closed, exactly once,
// when both sides ended, when it idled, when the capture ended, when it is
// the quietest of its bucket while the bucket holds more than its share of
// Options.MaxBufferedBytes (memory.go), and after a RST once the peer's segments that were in flight
// at it have been delivered: the next segment that does not continue them,
// or a second of capture time without one, ends the wait. For a minute after
// a close by FIN or RST, segments of the connection that come late
// (retransmissions, SYN-ACKs sent again, segments in flight after the wait)
// are skipped rather than taken for a connection of their own (for two hours
// after one closed idle or for memory, which was not over); a SYN on the
// 4-tuple of a closed connection starts a new one. So does a SYN with
// another ISN from the client of an open connection, or from either side
// of one seen from its middle (conn.reusedBy): its FIN or RST was not
// captured, or a NAT gave its port to another client. The open one is
// closed first, with EndReused, and bytes it held behind a hole are
// dropped, as at the end of the wait after a RST. Once a Stream reports
// Done, its connection's packets are no longer buffered or copied: they are
// looked up, and only their SYN, FIN, RST and timestamp are used, a RST
// closing the connection at once.
//
// Capture time, which closes idle connections, ends the wait after a RST (a
// second from capture time at the RST), forgets closed connections and
// drops IP fragments never made whole, is the latest timestamp seen (or
// given to Assembler.Expire), but one packet never moves it forward by more
// than Options.IdleTimeout, nor by more than 30 seconds (clock.go): a
// capture merged from machines whose clocks disagree may hold a packet
// stamped a year ahead, which, believed, would close every open connection
// as idle. Such a packet is held until the next one comes (or Expire, with
// the wall clock) and handled just before it, capture time at it being the
// earlier of the two timestamps. So a capture that paused and went on is
// handled exactly as if every packet were believed at once, and a single
// wild timestamp moves capture time no further than the packet after it; at
// the end of the input, with none after it, not at all (the first packet,
// with no capture time before it, is believed as far as the second's). Two
// wild packets in a row cannot be told from a pause, and are believed. A
// packet stamped in the past never moves capture time back. A wild
// timestamp is its packet's own: its bytes are delivered with it, and its
// connection, whose idle time counts from its latest packet, idles that
// much later.
//
// Where copies of bytes overlap, the bytes delivered are those Linux's
// receiver reads (overlap.go), the urgent byte of a segment with URG taken
// out, and a Stream that implements MismatchStream hears of copies that
// differed; a segment whose checksums are wrong is dropped, as its
// receiver drops it (checksum.go, Options.ChecksumMode).
//
// Ordering and buffering are gopacket's reassembly package; this package
// owns decoding, the connection table and each connection's lifetime.
// gopacket.go is the one place that talks to gopacket: it feeds it
// segments, and its callbacks deliver what it puts in order. conn.go is a
// connection's lifecycle, as named states: connOpen, connResetWait,
// connDone, then the close; per side (direction), dirNew, dirSettling,
// dirStarted. assembler.go takes frames to their connection and a
// direction's segments to gopacket; settle.go, overlap.go, checksum.go,
// clock.go, closed.go, memory.go and defrag.go (with defrag6.go) each own one of the
// behaviours above.
//
// It does not follow a connection across a change of 4-tuple, or run
// on more than one goroutine: an Assembler is used by one goroutine, and
// concurrency, where it pays, is one Assembler per shard of connections.
//
// Its API is a stage of hsdecode's pipeline (docs/design.md): exported for
// cmd/hsdecode and documented, but changed with what hsdecode needs, with
// no promise of stability to other programs; decode is the package meant
// for them.
package reassembly
