package flows

import (
	"time"

	"github.com/hsdecode/hsdecode/decode"
	"github.com/hsdecode/hsdecode/dtls"
	"github.com/hsdecode/hsdecode/stream"
	"golang.org/x/crypto/cryptobyte"
)

// DTLS (issue 17): records with an epoch and a sequence number over UDP,
// handshake messages cut into fragments that each carry their message's
// message_seq (RFC 6347, 4.1 and 4.2.2). dtlsConn reads each datagram's
// records with package dtls, puts each side's handshake messages back
// together, reads a retransmitted flight once, and hands the Tracker what
// TLS would have sent: handshake messages in handshake records, with the
// DTLS versions read as the TLS versions they are built on (DTLS 1.0 is
// TLS 1.1, DTLS 1.2 TLS 1.2, DTLS 1.3 TLS 1.3; RFC 6347, 1; RFC 9147, 1)
// and the ClientHello's cookie taken out, so that the Tracker judges the
// order with TLS's tables; the HelloVerifyRequest exchange has its own
// rows (docs/handshake-order.md section 8). The result's versions are
// DTLS's again when it leaves (settle).

// DTLS is what a DTLS connection's records say besides its handshake
// (docs/report.md, dtls).
type DTLS struct {
	// CookieLength is the length of the cookie of the client's last
	// ClientHello, 0 without one (RFC 6347, 4.2.1).
	CookieLength int
	// Retransmitted counts handshake fragments, ChangeCipherSpecs and
	// Finished records sent again, read once.
	Retransmitted int
	// Malformed counts datagrams whose records or fragments did not
	// parse; Unified counts DTLS 1.3 records with the unified header,
	// which are opaque without keys.
	Malformed, Unified int
}

// dtlsConn is the consumer of a DTLS flow: a Tracker fed with what the
// records carry.
type dtlsConn struct {
	*Tracker
	d       *DTLS
	reasm   [2]dtls.Reassembler
	ccs     [2]bool // a side's ChangeCipherSpec was handed over
	sealed  [2]bool // a side's first protected handshake record (its Finished) was handed over
	gapped  [2]bool
	scratch []byte
}

func newDTLSConn(info stream.ConnInfo, col *Collector) *dtlsConn {
	c := &dtlsConn{Tracker: newTracker(info, col), d: &DTLS{}}
	c.res.DTLS = c.d
	c.settle = dtlsVersions
	return c
}

// Buffered implements stream.Buffered.
func (c *dtlsConn) Buffered() int {
	return c.Tracker.Buffered() + c.reasm[0].Buffered() + c.reasm[1].Buffered()
}

// Datagram implements stream.DatagramStream.
func (c *dtlsConn) Datagram(s stream.Side, b []byte, ts time.Time) {
	c.res.End = ts
	recs, err := dtls.Records(b)
	if err != nil {
		c.d.Malformed++
	}
	for _, r := range recs {
		if c.Done() {
			break
		}
		c.dtlsRecord(s, r, ts)
	}
	c.emitIfFinal()
}

// dtlsRecord hands the Tracker one record's content.
func (c *dtlsConn) dtlsRecord(s stream.Side, r dtls.Record, ts time.Time) {
	c.lost(s, r, ts)
	switch {
	case r.Unified:
		c.d.Unified++
		c.tlsRecord(s, decode.ContentApplicationData, r.Fragment, ts)
	case r.Type == dtls.ContentHandshake && r.Epoch == 0:
		fs, err := dtls.Fragments(r.Fragment)
		if err != nil {
			c.d.Malformed++
		}
		for _, f := range fs {
			before := c.reasm[s].Retransmitted
			msgs, err := c.reasm[s].Add(f)
			c.d.Retransmitted += c.reasm[s].Retransmitted - before
			if err != nil {
				c.d.Malformed++
				return
			}
			for _, m := range msgs {
				c.flightLost(s, decode.ContentHandshake, decode.HandshakeType(m[0]), ts)
				c.tlsRecord(s, decode.ContentHandshake, c.toTLS(m), ts)
			}
		}
	case r.Type == dtls.ContentHandshake:
		// Protected: the side's Finished, under epoch 1 (RFC 6347,
		// 4.1); the copies of a retransmitted flight are read once.
		if c.sealed[s] {
			c.d.Retransmitted++
			return
		}
		c.sealed[s] = true
		c.tlsRecord(s, decode.ContentHandshake, r.Fragment, ts)
	case r.Type == dtls.ContentChangeCipherSpec:
		if c.ccs[s] {
			c.d.Retransmitted++
			return
		}
		c.ccs[s] = true
		c.flightLost(s, decode.ContentChangeCipherSpec, 0, ts)
		c.tlsRecord(s, decode.ContentChangeCipherSpec, r.Fragment, ts)
	default:
		c.tlsRecord(s, decode.ContentType(r.Type), r.Fragment, ts)
	}
}

// lost reports a Gap of each side whose handshake messages are not all
// there when a record other than an epoch 0 handshake fragment comes:
// such a record ends the sender's flight, and the peer answers a flight
// only once it has all of it (RFC 6347, 4.2.4), so a message that still
// waits for an earlier one, or a protected record before its sender's
// ChangeCipherSpec, means the capture lost records the peer received. A
// message left waiting is not judged, as over TCP.
func (c *dtlsConn) lost(s stream.Side, r dtls.Record, ts time.Time) {
	fragment := r.Type == dtls.ContentHandshake && r.Epoch == 0
	for y := range c.sides {
		// A side's own fragments may fill its holes; its peer's answer
		// proves them lost.
		waiting := c.reasm[y].Buffered() > 0 && (stream.Side(y) != s || !fragment)
		if stream.Side(y) == s && r.Epoch > 0 && !r.Unified && !c.ccs[y] {
			waiting = true // its ChangeCipherSpec went missing
		}
		if waiting {
			c.gap(stream.Side(y), ts)
		}
	}
}

// flightLost reports a Gap of the peer of a message that begins a flight
// of a full DTLS 1.0-1.2 handshake when the peer's flight before it is not
// all there: the client's Certificate or ClientKeyExchange comes only
// after the server's ServerHelloDone, the server's NewSessionTicket or
// ChangeCipherSpec only after the client's Finished (RFC 6347, 4.2.4).
// Without an acknowledgement to show it, a flight the capture lost whole
// is known only so.
func (c *dtlsConn) flightLost(s stream.Side, typ decode.ContentType, msg decode.HandshakeType, ts time.Time) {
	if c.mode != modeFull12 {
		return
	}
	client := s == c.clientSide
	switch {
	case client && typ == decode.ContentHandshake && (msg == decode.HandshakeCertificate || msg == decode.HandshakeClientKeyExchange):
		if c.server().seen.count(kindServerHelloDone) == 0 {
			c.gap(1-s, ts)
		}
	case !client && (typ == decode.ContentChangeCipherSpec || typ == decode.ContentHandshake && msg == decode.HandshakeNewSessionTicket):
		if !c.sealed[c.clientSide] {
			c.gap(c.clientSide, ts)
		}
	}
}

// gap reports a side's lost bytes to the Tracker, once.
func (c *dtlsConn) gap(s stream.Side, ts time.Time) {
	if !c.gapped[s] {
		c.gapped[s] = true
		c.Gap(s, -1, ts)
	}
}

// tlsRecord hands the Tracker one TLS record of a side, in pieces of at
// most a record's plaintext.
func (c *dtlsConn) tlsRecord(s stream.Side, typ decode.ContentType, body []byte, ts time.Time) {
	for first := true; first || len(body) > 0; first = false {
		n := min(len(body), maxHandshakeRecord)
		c.scratch = append(c.scratch[:0], byte(typ), 3, 3, byte(n>>8), byte(n))
		c.scratch = append(c.scratch, body[:n]...)
		c.Data(s, c.scratch, ts)
		body = body[n:]
	}
}

// toTLS makes a DTLS handshake message (TLS's 4-byte header, package
// dtls) the TLS message it stands for: the hellos' versions read as
// TLS's, the ClientHello's cookie taken out (RFC 6347, 4.2.1), noted.
// A message that does not parse is left as it is, for the Tracker to
// find malformed.
func (c *dtlsConn) toTLS(m []byte) []byte {
	switch decode.HandshakeType(m[0]) {
	case decode.HandshakeClientHello:
		if out, cookie, ok := tlsHello(m, true); ok {
			c.d.CookieLength = cookie
			return out
		}
	case decode.HandshakeServerHello:
		if out, _, ok := tlsHello(m, false); ok {
			return out
		}
	}
	return m
}

// tlsVersions maps DTLS versions to the TLS versions they are built on.
var tlsVersions = map[uint16]uint16{0xfeff: 0x0302, 0xfefd: 0x0303, 0xfefc: 0x0304}

// dtlsVersionOf is the inverse of tlsVersions.
func dtlsVersionOf(v decode.Version) decode.Version {
	for d, t := range tlsVersions {
		if decode.Version(t) == v {
			return decode.Version(d)
		}
	}
	return v
}

// tlsHello rewrites a ClientHello or ServerHello: legacy_version and
// supported_versions as TLS's, a ClientHello without its cookie. It
// returns the cookie's length.
func tlsHello(m []byte, client bool) (out []byte, cookieLen int, ok bool) {
	s := cryptobyte.String(m[4:])
	var version uint16
	var random []byte
	var sid, cookie cryptobyte.String
	if !s.ReadUint16(&version) || !s.ReadBytes(&random, 32) || !s.ReadUint8LengthPrefixed(&sid) {
		return nil, 0, false
	}
	if client && !s.ReadUint8LengthPrefixed(&cookie) {
		return nil, 0, false
	}
	if v, ok := tlsVersions[version]; ok {
		version = v
	}
	var fixed []byte
	if client {
		var suites, comp cryptobyte.String
		if !s.ReadUint16LengthPrefixed(&suites) || !s.ReadUint8LengthPrefixed(&comp) {
			return nil, 0, false
		}
		fixed = append(append(append(fixed, byte(len(suites)>>8), byte(len(suites))), suites...), byte(len(comp)))
		fixed = append(fixed, comp...)
	} else {
		if !s.ReadBytes(&fixed, 3) { // cipher_suite, compression_method
			return nil, 0, false
		}
	}
	body := []byte{byte(version >> 8), byte(version)}
	body = append(body, random...)
	body = append(append(body, byte(len(sid))), sid...)
	body = append(body, fixed...)
	if !s.Empty() {
		exts, ok := tlsExtensions(s, client)
		if !ok {
			return nil, 0, false
		}
		body = append(body, exts...)
	}
	out = append([]byte{m[0], byte(len(body) >> 16), byte(len(body) >> 8), byte(len(body))}, body...)
	return out, len(cookie), true
}

// tlsExtensions copies a hello's extensions block with supported_versions'
// DTLS versions read as TLS's (RFC 8446, 4.2.1; RFC 9147, 5.3).
func tlsExtensions(s cryptobyte.String, client bool) ([]byte, bool) {
	var exts cryptobyte.String
	if !s.ReadUint16LengthPrefixed(&exts) || !s.Empty() {
		return nil, false
	}
	out := append([]byte{}, byte(len(exts)>>8), byte(len(exts)))
	for !exts.Empty() {
		var typ uint16
		var data cryptobyte.String
		if !exts.ReadUint16(&typ) || !exts.ReadUint16LengthPrefixed(&data) {
			return nil, false
		}
		start := len(out) + 4
		out = append(out, byte(typ>>8), byte(typ), byte(len(data)>>8), byte(len(data)))
		out = append(out, data...)
		if decode.ExtensionType(typ) != decode.ExtSupportedVersions {
			continue
		}
		// The versions sit after a one-byte list length in a
		// ClientHello, alone in a ServerHello.
		from := start
		if client {
			from++
		}
		for i := from; i+1 < len(out); i += 2 {
			if v, ok := tlsVersions[uint16(out[i])<<8|uint16(out[i+1])]; ok {
				out[i], out[i+1] = byte(v>>8), byte(v)
			}
		}
	}
	return out, true
}

// dtlsVersions puts DTLS's versions back in a result about to leave: the
// negotiated one, and the hellos' (settle).
func dtlsVersions(r *Result) {
	r.Version = dtlsVersionOf(r.Version)
	hellos := []*decode.ServerHello{r.ServerHello, r.HelloRetryRequest}
	for _, sh := range hellos {
		if sh != nil {
			sh.LegacyVersion = dtlsVersionOf(sh.LegacyVersion)
			sh.SupportedVersion = dtlsVersionOf(sh.SupportedVersion)
		}
	}
	if ch := r.ClientHello; ch != nil {
		ch.LegacyVersion = dtlsVersionOf(ch.LegacyVersion)
		for i, v := range ch.SupportedVersions {
			ch.SupportedVersions[i] = dtlsVersionOf(v)
		}
	}
}
