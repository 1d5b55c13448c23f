package flows

import (
	"bytes"
	"time"

	"github.com/hsdecode/hsdecode/decode"
	"github.com/hsdecode/hsdecode/quic"
	"github.com/hsdecode/hsdecode/stream"
)

// QUIC with a key log: the Tracker found the connection's TLS 1.3
// secrets at its ServerHello (tls13_keys.go) and holds the transcript;
// the packets are QUIC's to open. Each side's Handshake packets are
// decrypted with the keys of its handshake traffic secret under the QUIC
// labels (RFC 9001, 5.1), their CRYPTO frames put in order and handed to
// the Tracker as decrypted handshake bytes, which checks them against the
// keyed TLS 1.3 rows and recomputes each Finished, as over TCP. After its
// Finished a side's 1-RTT packets are opened with its application traffic
// secret: a CONNECTION_CLOSE there or in a Handshake packet is its alert;
// anything else the server sends after the client's Finished establishes
// the handshake.

// quicKeys are a QUIC connection's packet keys once the Tracker found its
// secrets, by side (stream.Side).
type quicKeys struct {
	hs, app [2]*quic.Keys
	crypto  [2]quic.CryptoStream // Handshake-level CRYPTO frames
	crypto1 [2]quic.CryptoStream // 1-RTT CRYPTO frames: post-handshake messages (RFC 9001, 4.1.3)
	opened  int                  // packets opened with them
}

// keyed reports whether the Tracker found the connection's secrets and
// still trusts them.
func (q *quicConn) keyed() bool { return q.keys.decrypting13() }

// handshakePacket takes a Handshake or 1-RTT packet: opaque without keys,
// decrypted with them.
func (q *quicConn) handshakePacket(s stream.Side, p *quic.Packet, ts time.Time) {
	if q.res.ServerHello == nil {
		return // see protected
	}
	if !q.keyed() {
		q.protected(s, len(p.Raw)-p.PNOffset, ts)
		return
	}
	if q.qk == nil {
		q.qk = new(quicKeys)
	}
	d := &q.sides[s]
	ks := q.keys.side(d.role)
	oneRTT := p.Type == quic.PacketOneRTT
	k := q.packetKeys(s, ks, oneRTT)
	if k == nil {
		// No secret for this stage of the side in the key log: the packet
		// stays opaque, and says only that the server went on.
		q.answered(s)
		return
	}
	pkt := *p
	if oneRTT {
		// Its Destination Connection ID is the one its peer chose.
		n := len(q.q.ServerSCID)
		if s != q.clientSide {
			n = len(q.q.ClientSCID)
		}
		pkt = quic.ShortHeader(p.Raw, n)
	}
	_, payload, err := k.Open(&pkt)
	if err != nil {
		if q.qk.opened == 0 && !oneRTT {
			// The first Handshake packet does not open: keys of another
			// connection. Judged as without keys from here on.
			q.keysWrong()
			q.protected(s, len(p.Raw)-p.PNOffset, ts)
			return
		}
		q.q.Undecryptable++
		return
	}
	q.qk.opened++
	q.keys.decrypted++
	var f quic.Frames
	if oneRTT {
		f, err = quic.ParseFrames1RTT(payload)
	} else {
		f, err = quic.ParseFrames(payload)
	}
	if err != nil {
		q.q.Malformed++
	}
	cs := &q.qk.crypto[s]
	if oneRTT {
		cs = &q.qk.crypto1[s]
	}
	for _, c := range f.Crypto {
		if b := cs.Add(c); len(b) > 0 && !d.stopped() {
			q.decryptedHandshake(d, ks, b, ts)
		}
	}
	for _, id := range f.NewConnectionIDs {
		q.issued = append(q.issued, stream.IssuedID{ToServer: s != q.clientSide, ID: bytes.Clone(id)})
	}
	if f.Close != nil {
		q.close(s, f.Close, ts)
		return
	}
	if oneRTT {
		q.answered(s)
	}
}

// packetKeys returns the keys of a side's Handshake packets, or of its
// 1-RTT packets once its Finished gave it an application traffic secret;
// nil when the key log has no secret for them.
func (q *quicConn) packetKeys(s stream.Side, ks *keySide, oneRTT bool) *quic.Keys {
	slot, secret := &q.qk.hs[s], ks.hsSecret
	if oneRTT {
		slot, secret = &q.qk.app[s], ks.appSecret
	}
	if *slot == nil && secret != nil {
		*slot, _ = quic.NewKeys(q.q.Version, q.keys.suite, secret)
	}
	return *slot
}

// answered notes a server's 1-RTT packet that is no alert: after the
// client's verified Finished it took the client's flight, certificate
// included (the keyed rule of tls13_keys.go).
func (q *quicConn) answered(s stream.Side) {
	if s != q.clientSide && q.keys.sides[0].finished && !q.decided() {
		q.established = true
	}
}

// closeAlert gives the Tracker a CONNECTION_CLOSE's alert: in clear from
// an Initial packet, decrypted from a Handshake or 1-RTT packet read with
// keys.
func (q *quicConn) closeAlert(s stream.Side, alert uint8, ts time.Time) {
	if q.keyed() && q.res.ServerHello != nil {
		q.decryptedAlert(&q.sides[s], []byte{byte(decode.AlertLevelFatal), alert}, ts)
		return
	}
	q.record(s, decode.ContentAlert, []byte{byte(decode.AlertLevelFatal), alert}, ts)
}

// buffered is what the keys hold of CRYPTO bytes out of order.
func (k *quicKeys) buffered() int {
	if k == nil {
		return 0
	}
	return k.crypto[0].Buffered() + k.crypto[1].Buffered() + k.crypto1[0].Buffered() + k.crypto1[1].Buffered()
}
