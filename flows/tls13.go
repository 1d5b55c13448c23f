package flows

import "github.com/hsdecode/hsdecode/stream"

// TLS 1.3 without keys: the rule of docs/handshake-order.md section 4, which
// decides from the encrypted records' order and lengths alone.

// tls13AlertLength is the length of a TLS 1.3 record holding a single
// alert: 2 bytes of alert, 1 of inner content type and a 16-byte AEAD tag
// (RFC 8446, 5.2). A server record of exactly this length that answers the
// client's first flight and is the server's last is taken as its alert.
const tls13AlertLength = 2 + 1 + 16

// Over QUIC the length of a protected packet, which stands for a record
// (flows/quic.go), tells nothing of an alert: a CONNECTION_CLOSE's length
// depends on its reason phrase, and the rule's alert-sized record is not
// looked for.

// keyless13 is what the keyless TLS 1.3 rule counts of the server's
// records after the client's first encrypted one.
type keyless13 struct {
	serverAfterClient   int
	lastServerRecordLen int
}

// tls13Progress applies the rule of docs/handshake-order.md section 4 without
// keys: established when each side has sent an encrypted record after
// ServerHello and the server answered the client's first encrypted flight
// with something other than a lone alert-sized record.
func (t *Tracker) tls13Progress(d *sideState, length int) {
	if d.role == Server && t.client().encrypted > 0 {
		t.keyless.serverAfterClient++
		t.keyless.lastServerRecordLen = length
		if length != tls13AlertLength || t.keyless.serverAfterClient > 1 || t.info.Transport == stream.TransportQUIC {
			t.established = true
		}
	}
}

// settleTLS13 finishes the keyless TLS 1.3 rule at the end of the
// connection: a lone alert-sized server record after the client's flight is
// the server's encrypted alert; with no server record at all, the handshake
// stands unless the server reset the connection.
func (t *Tracker) settleTLS13() {
	if t.mode != modeTLS13 || t.decided() || t.partial {
		return
	}
	c, s := t.client(), t.server()
	if c.encrypted == 0 || s.encrypted == 0 {
		return
	}
	switch {
	case t.keyless.serverAfterClient == 1 && t.keyless.lastServerRecordLen == tls13AlertLength && t.info.Transport != stream.TransportQUIC:
		// Relabel the record on the ladder now that its meaning is known.
		ts := t.res.End
		for i := len(t.res.Messages) - 1; i >= 0; i-- {
			if m := &t.res.Messages[i]; m.From == Server && m.Type == TypeEncrypted {
				m.Type, ts = TypeAlert, m.TS
				break
			}
		}
		t.res.Alerts = append(t.res.Alerts, Alert{TS: ts, From: Server, Encrypted: true})
		t.fatal = true
	case t.keyless.serverAfterClient == 0 && s.end == stream.EndRST:
	default:
		t.established = true
	}
}
