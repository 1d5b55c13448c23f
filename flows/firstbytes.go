package flows

import (
	"github.com/hsdecode/hsdecode/decode"
	"github.com/hsdecode/hsdecode/stream"
)

// MaxFirstBytes bounds the bytes kept of a side whose stream did not begin
// as TLS: enough to tell "HTTP/1.1 400" or "SSH-2.0" at a glance, little
// enough to keep for every connection without an allocation.
const MaxFirstBytes = 16

// firstBytes is the start of a side's stream, in place.
type firstBytes struct {
	b [MaxFirstBytes]byte
	n uint8
}

// keepFirst keeps the first MaxFirstBytes bytes side s sent, so that the
// report can show what a side that is not TLS said.
func (t *Tracker) keepFirst(s stream.Side, b []byte) {
	f := &t.sides[s].first
	f.n += uint8(copy(f.b[f.n:], b))
}

// settleFirstBytes puts in the Result, once the outcome is known, the
// first bytes of a side that did not speak TLS: a client's when the
// connection is not_tls, a server's when it answered a ClientHello that
// began the client's stream with something that is not a TLS record (a
// plain HTTP server on a TLS port). A STARTTLS server's banner, before
// the client's TLS, is left alone.
func (t *Tracker) settleFirstBytes() {
	cli, srv := &t.sides[t.clientSide].first, &t.sides[1-t.clientSide].first
	if t.res.Outcome == OutcomeNotTLS && cli.n > 0 {
		t.res.ClientFirstBytes = append([]byte(nil), cli.b[:cli.n]...)
	}
	if t.res.Outcome != OutcomeEstablished && t.res.ClientHello != nil && srv.n > 0 &&
		decode.LooksLikeTLS(cli.b[:cli.n]) && !decode.LooksLikeTLS(srv.b[:srv.n]) {
		t.res.ServerFirstBytes = append([]byte(nil), srv.b[:srv.n]...)
	}
}
