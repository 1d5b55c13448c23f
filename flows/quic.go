package flows

import (
	"bytes"
	"net/netip"
	"time"

	"github.com/hsdecode/hsdecode/decode"
	"github.com/hsdecode/hsdecode/quic"
	"github.com/hsdecode/hsdecode/stream"
)

// QUIC (issue 17): a QUIC connection carries TLS 1.3 handshake messages in
// CRYPTO frames rather than in records (RFC 9001, 4). quicConn reads each
// datagram's packets with package quic, decrypts the Initial packets with
// the keys any observer derives (RFC 9001, 5.2), puts each side's CRYPTO
// frames in order, and hands the Tracker what a TLS connection over TCP
// would have sent: the handshake messages in handshake records, each
// packet it cannot read (Handshake, 1-RTT) as one protected record of
// that length, and a CONNECTION_CLOSE carrying a TLS alert (RFC 9001, 4.8)
// as that alert. The Tracker then judges the order with the same tables,
// and the keyless TLS 1.3 rule, as over TCP (docs/handshake-order.md
// section 7).

// QUIC is what a QUIC connection's packets say besides its TLS handshake
// (docs/report.md, quic).
type QUIC struct {
	// Version is the version of the client's Initial packets that the
	// handshake used (after a Version Negotiation, the one it moved to).
	Version quic.Version
	// DCID is the Destination Connection ID of the client's first
	// Initial, from which the Initial keys come; ClientSCID and ServerSCID
	// are the connection IDs each side chose.
	DCID, ClientSCID, ServerSCID []byte
	// Retry is set when the server answered with a Retry (RFC 9000,
	// 17.2.5); RetryTagValid says its integrity tag matched the client's
	// Destination Connection ID (RFC 9001, 5.8).
	Retry, RetryTagValid bool
	// VersionNegotiation lists the versions a Version Negotiation packet
	// offered, and AbandonedVersion the version of the client's attempt
	// it answered (RFC 9000, 6); nil and 0 when none came.
	VersionNegotiation []quic.Version
	AbandonedVersion   quic.Version
	// Close is the first CONNECTION_CLOSE read (in an Initial packet, or
	// decrypted), nil when none was.
	Close *QUICClose
	// Undecryptable counts the long header packets of a known version
	// that the Initial keys did not open, and Malformed the datagrams
	// that did not split into packets.
	Undecryptable, Malformed int
	// Paths are the client's addresses and ports, each as first seen,
	// when it moved (RFC 9000, 9): the first path's, then each new one
	// reassembly linked to the connection; nil when it never moved.
	Paths []QUICPath
}

// QUICPath is one address and port a QUIC connection's client sent from.
type QUICPath struct {
	Client netip.AddrPort
	TS     time.Time
	// Linked says how the path was known to be the connection's:
	// PathInitial for the first, PathCID for one whose datagrams carried
	// a connection ID seen in the clear in the handshake's long headers,
	// PathNewConnectionID for one whose ID was issued in a
	// NEW_CONNECTION_ID frame, read with keys.
	Linked string
}

// How a path was linked to its connection (docs/report.md, quic.paths).
const (
	PathInitial         = "initial"
	PathCID             = "cid"
	PathNewConnectionID = "new_connection_id"
)

// QUICClose is a CONNECTION_CLOSE frame (RFC 9000, 19.19).
type QUICClose struct {
	TS          time.Time
	From        Role
	Application bool   // type 0x1d: the application's error code
	ErrorCode   uint64 // 0x0100 + alert: a TLS alert (RFC 9001, 4.8)
	FrameType   uint64
	Reason      string
}

// quicConn is the consumer of a QUIC flow: a Tracker fed with what the
// packets carry.
type quicConn struct {
	*Tracker
	q       *QUIC
	clients map[quic.Version]*quic.Keys // Initial keys by version, of the client's packets
	servers map[quic.Version]*quic.Keys
	keysFor []byte // the Destination Connection ID they come from
	crypto  [2]quic.CryptoStream
	// retried: a valid Retry came; the client's next Initial names the
	// Destination Connection ID of the keys from then on.
	retried bool
	vn      bool // a Version Negotiation came: the client's next attempt is a new handshake
	gapped  [2]bool
	qk      *quicKeys // with the connection's secrets (quic_keys.go)
	scratch []byte
	// issued are the connection IDs decrypted NEW_CONNECTION_ID frames
	// issued, until reassembly takes them (IssuedIDs).
	issued []stream.IssuedID
}

func newQUICConn(info stream.ConnInfo, col *Collector) *quicConn {
	q := &quicConn{Tracker: newTracker(info, col), q: &QUIC{}}
	q.res.QUIC = q.q
	return q
}

// Buffered implements stream.Buffered: the Tracker's, and the CRYPTO
// bytes waiting for a hole to fill.
func (q *quicConn) Buffered() int {
	return q.Tracker.Buffered() + q.crypto[0].Buffered() + q.crypto[1].Buffered() + q.qk.buffered()
}

// Datagram implements stream.DatagramStream.
func (q *quicConn) Datagram(s stream.Side, b []byte, ts time.Time) {
	q.res.End = ts
	pkts, err := quic.Split(b)
	if err != nil {
		q.q.Malformed++
	}
	for i := range pkts {
		if q.Done() {
			break
		}
		p := &pkts[i]
		switch p.Type {
		case quic.PacketInitial:
			q.initial(s, p, ts)
		case quic.PacketRetry:
			q.retry(s, p)
		case quic.PacketVersionNegotiation:
			if s != q.clientSide && q.q.VersionNegotiation == nil {
				q.q.VersionNegotiation = p.Versions
				q.vn = true
			}
		case quic.PacketHandshake, quic.PacketOneRTT:
			q.handshakePacket(s, p, ts)
		}
	}
	// A verdict reached outside Data (a decrypted packet) is handed over
	// as one reached in it (Options.AsDecided).
	q.emitIfFinal()
}

// Path implements stream.PathStream: the client moved to a new path,
// which reassembly linked by a connection ID seen in the clear, or one
// read decrypted (IssuedIDs). A result handed over already
// (Options.AsDecided) is the collector's, and says nothing of it.
func (q *quicConn) Path(client netip.AddrPort, encrypted bool, ts time.Time) {
	if q.stage != stageOpen {
		return
	}
	if q.q.Paths == nil {
		q.q.Paths = []QUICPath{{Client: q.info.A, TS: q.info.Start, Linked: PathInitial}}
	}
	how := PathCID
	if encrypted {
		how = PathNewConnectionID
	}
	q.q.Paths = append(q.q.Paths, QUICPath{Client: client, TS: ts, Linked: how})
}

// IssuedIDs implements stream.IDStream: the connection IDs of the
// NEW_CONNECTION_ID frames decrypted since the last call.
func (q *quicConn) IssuedIDs() []stream.IssuedID {
	ids := q.issued
	q.issued = q.issued[:0]
	return ids
}

// initial reads an Initial packet: decrypted with the Initial keys of its
// version, its CRYPTO frames put in order and given to the Tracker, its
// CONNECTION_CLOSE noted.
func (q *quicConn) initial(s stream.Side, p *quic.Packet, ts time.Time) {
	client := s == q.clientSide
	if client {
		q.clientInitial(p)
	} else if q.q.ServerSCID == nil {
		q.q.ServerSCID = bytes.Clone(p.SCID)
	}
	k := q.initialKeys(p.Version, client)
	if k == nil {
		q.q.Undecryptable++
		return
	}
	_, payload, err := k.Open(p)
	if err != nil {
		q.q.Undecryptable++
		return
	}
	f, err := quic.ParseFrames(payload)
	if !client && len(f.Crypto) > 0 {
		q.lost(ts)
	}
	for _, c := range f.Crypto {
		if b := q.crypto[s].Add(c); len(b) > 0 {
			q.handshake(s, b, ts)
		}
	}
	if err != nil {
		// The frames read before it stand; the rest of the packet is
		// lost to the observer as to the peer, which closes the
		// connection (RFC 9000, 12.4).
		q.q.Malformed++
	}
	if f.Close != nil {
		q.close(s, f.Close, ts)
	}
}

// clientInitial notes what a client's Initial says of the connection, and
// chooses the connection ID its keys come from: that of its first Initial,
// of its first after a Retry (RFC 9001, 5.2), or of a new attempt after
// Version Negotiation, which begins a new handshake.
func (q *quicConn) clientInitial(p *quic.Packet) {
	switch {
	case q.keysFor == nil:
		q.q.Version, q.q.DCID, q.q.ClientSCID = p.Version, bytes.Clone(p.DCID), bytes.Clone(p.SCID)
	case q.vn && p.Version != q.q.Version:
		q.restart(p)
	case q.retried:
		q.retried = false
	default:
		return
	}
	q.keysFor = bytes.Clone(p.DCID)
	q.clients, q.servers = nil, nil
}

// restart begins the report again at the client's new attempt after
// Version Negotiation (RFC 9000, 6.2): the abandoned attempt's ClientHello
// was answered by no ServerHello, and the new one is not a second
// ClientHello of the same handshake.
func (q *quicConn) restart(p *quic.Packet) {
	q.q.AbandonedVersion = q.q.Version
	q.q.Version, q.q.DCID, q.q.ClientSCID = p.Version, bytes.Clone(p.DCID), bytes.Clone(p.SCID)
	q.vn = false
	old := q.Tracker
	old.releaseStreams()
	q.Tracker = newTracker(old.info, old.col)
	q.res.QUIC = q.q
	q.crypto = [2]quic.CryptoStream{}
	q.qk = nil
}

// initialKeys returns the Initial keys of a side's packets of version v, derived
// once (nil for a version without them).
func (q *quicConn) initialKeys(v quic.Version, client bool) *quic.Keys {
	if q.keysFor == nil {
		return nil
	}
	if q.clients == nil {
		q.clients, q.servers = map[quic.Version]*quic.Keys{}, map[quic.Version]*quic.Keys{}
	}
	if _, ok := q.clients[v]; !ok {
		// A version without Initial keys is remembered as nil.
		c, s, _ := quic.InitialKeys(v, q.keysFor)
		q.clients[v], q.servers[v] = c, s
	}
	if client {
		return q.clients[v]
	}
	return q.servers[v]
}

// retry notes a server's Retry and checks its integrity tag against the
// Destination Connection ID of the client's Initial it answers.
func (q *quicConn) retry(s stream.Side, p *quic.Packet) {
	if s == q.clientSide || q.q.Retry {
		return // a client sends none; a client takes only the first (RFC 9000, 17.2.5.2)
	}
	q.q.Retry = true
	q.q.RetryTagValid = quic.RetryTagValid(p, q.keysFor)
	q.retried = q.q.RetryTagValid
}

// maxHandshakeRecord is the largest plaintext record (RFC 8446, 5.1): the
// CRYPTO bytes are handed over in records of at most this.
const maxHandshakeRecord = 1 << 14

// handshake gives the Tracker in-order CRYPTO bytes of a side as handshake
// records.
func (q *quicConn) handshake(s stream.Side, b []byte, ts time.Time) {
	for len(b) > 0 {
		n := min(len(b), maxHandshakeRecord)
		q.record(s, decode.ContentHandshake, b[:n], ts)
		b = b[n:]
	}
}

// protected gives the Tracker a packet it cannot read as one protected
// record of the packet's length (past its packet number's offset; for a
// short header, the whole packet). Only once the ServerHello was seen
// (handshakePacket): before it, the Tracker would take a client's for
// 0-RTT or data out of order, while a QUIC client's first protected
// packet always follows it.
func (q *quicConn) protected(s stream.Side, n int, ts time.Time) {
	q.lost(ts)
	q.record(s, decode.ContentApplicationData, zeros[:min(n, len(zeros))], ts)
}

// lost reports a Gap of each side whose Initial CRYPTO bytes are not all
// there when its peer answers them (the server's Initial answers the
// client's, the first protected packet of either side comes after both
// sides' Initial flights): the capture lost packets that the peer
// received. A message left incomplete is not judged, as over TCP.
func (q *quicConn) lost(ts time.Time) {
	for s := range q.sides {
		d := &q.sides[s]
		if q.gapped[s] || q.crypto[s].Buffered() == 0 && (d.dec == nil || d.dec.Buffered() == 0) {
			continue
		}
		q.gapped[s] = true
		q.Gap(stream.Side(s), -1, ts)
	}
}

// zeros stand for the bytes of a protected packet, which the Tracker's
// decoder passes over unread.
var zeros [maxHandshakeRecord + 256]byte

// close notes a CONNECTION_CLOSE and gives the Tracker the TLS alert a
// CRYPTO_ERROR carries (RFC 9001, 4.8), as a fatal alert of its sender.
func (q *quicConn) close(s stream.Side, c *quic.ConnectionClose, ts time.Time) {
	if q.q.Close == nil {
		q.q.Close = &QUICClose{TS: ts, From: q.sides[s].role, Application: c.Application, ErrorCode: c.ErrorCode,
			FrameType: c.FrameType, Reason: c.Reason}
	}
	if a, ok := c.Alert(); ok {
		q.closeAlert(s, a, ts)
	}
}

// record hands the Tracker one record of a side.
func (q *quicConn) record(s stream.Side, typ decode.ContentType, body []byte, ts time.Time) {
	q.scratch = append(q.scratch[:0], byte(typ), 3, 3, byte(len(body)>>8), byte(len(body)))
	q.scratch = append(q.scratch, body...)
	q.Data(s, q.scratch, ts)
}
