package flows

import (
	"github.com/hsdecode/hsdecode/decode"
	"github.com/hsdecode/hsdecode/stream"
)

// Where a side's TLS begins: at its first byte, after a plaintext prelude
// (STARTTLS, a proxy's CONNECT), or at a record boundary searched for when
// the capture began mid-stream.

// maxPrelude bounds the plaintext a client may send before its ClientHello
// (SMTP/IMAP STARTTLS, a SOCKS or HTTP CONNECT exchange), and the bytes a
// direction without a captured start may skip looking for a record
// boundary. Past it the stream is taken as not TLS.
const maxPrelude = 64 << 10

// start decides how a direction's first bytes are decoded and returns the
// bytes to feed, or false while the direction is still in a plaintext
// prelude (or not TLS).
func (t *Tracker) start(s stream.Side, b []byte) ([]byte, bool) {
	d := &t.sides[s]
	if !t.info.SawSYN {
		// The capture began mid-connection: find the next record boundary.
		d.phase, d.resync = phaseReading, true
		d.dec = t.newStream(s, t.decodeOptions(true))
		return b, true
	}
	if s != t.clientSide {
		if t.client().phase == phaseWaiting {
			// Server bytes before the client's TLS are a plaintext
			// prelude (an SMTP banner, a STARTTLS answer), the start of
			// which names its protocol (detectStartTLS).
			if n := maxServerPrelude - len(d.prelude); n > 0 {
				d.prelude = append(d.prelude, b[:min(n, len(b))]...)
			}
			return nil, false
		}
		d.prelude = nil
		d.phase, d.resync = phaseReading, t.client().resync
		d.dec = t.newStream(s, t.decodeOptions(d.resync))
		return b, true
	}
	if d.prelude == nil && decode.LooksLikeTLS(b) {
		d.phase = phaseReading
		d.dec = t.newStream(s, t.decodeOptions(false))
		return b, true
	}
	d.prelude = append(d.prelude, b...)
	if i := decode.FindClientHello(d.prelude); i >= 0 {
		t.res.StartTLS = detectStartTLS(d.prelude[:i], t.sides[1-s].prelude)
		b, d.prelude, t.sides[1-s].prelude = d.prelude[i:], nil, nil
		d.phase, d.resync = phaseReading, true
		d.dec = t.newStream(s, t.decodeOptions(false))
		return b, true
	}
	if len(d.prelude) > maxPrelude {
		t.notTLS = true
		d.prelude = nil
	}
	return nil, false
}

// searchedTooFar stops side s when it was read from a boundary searched for
// and maxPrelude bytes went by without one before any TLS was seen: the
// connection is not TLS unless the peer still may show it is.
func (t *Tracker) searchedTooFar(s stream.Side) {
	d := &t.sides[s]
	if d.resync && !t.tlsSeen && d.dec.Skipped() > maxPrelude {
		d.phase = phaseStopped
		if o := t.sides[1-s].phase; o == phaseStopped || o == phaseWaiting {
			t.notTLS = true
		}
	}
}
