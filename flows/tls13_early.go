package flows

import (
	"fmt"
	"time"

	"github.com/hsdecode/hsdecode/decode"
	"github.com/hsdecode/hsdecode/keylog"
	"github.com/hsdecode/hsdecode/tlscrypto"
)

// TLS 1.3 0-RTT (RFC 8446, 2.3 and 4.2.10). A client that offers early_data
// may send records protected with its early traffic secret right after its
// ClientHello, before it reads the ServerHello. The server accepts them with
// early_data in its EncryptedExtensions, and the client then ends them with
// EndOfEarlyData, under the same key, before its handshake flight (RFC 8446,
// 4.5); or the server rejects them (EncryptedExtensions without early_data,
// or a HelloRetryRequest) and skips the client's records that its handshake
// key does not open, up to the first that it does. The observer does as the
// server: a rejected client's records before its first under the handshake
// key are early data, never bad_record_mac or wrong keys.

// Early data states (docs/report.md, early_data): the server's answer to
// a ClientHello that offered early_data.
const (
	EarlyDataAccepted = "accepted"
	EarlyDataRejected = "rejected"
)

// earlyState is the client's 0-RTT as the key log lets it be read.
type earlyState struct {
	// secret is CLIENT_EARLY_TRAFFIC_SECRET until the first early record
	// tells its suite; dec then holds the key, until the client leaves
	// 0-RTT.
	secret []byte
	dec    *tlscrypto.Decrypter
	// hidden: 0-RTT was accepted but no early key opens the client's
	// records, so its EndOfEarlyData cannot be read, nor its Finished
	// verified (the transcript lacks it).
	hidden bool
	// done: the client left 0-RTT, with EndOfEarlyData or a record under
	// its handshake key.
	done bool
	// probe is the client's handshake key at its first record, to tell the
	// first record under it from early data the server skips.
	probe *tlscrypto.Decrypter
	// later: the key log may still be written (Options.KeysGrow) and had
	// no early secret at the ClientHello: each early record looks again.
	later bool
}

// earlyHello looks up the client's early traffic secret when its first
// ClientHello offers early_data, and has its decoder hand over protected
// records whole, so that its 0-RTT records can be decrypted before the
// ServerHello names the connection's other keys.
func (t *Tracker) earlyHello(d *sideState, ch *decode.ClientHello) {
	k := t.keys
	if k == nil || !ch.EarlyData || !t.judging() {
		return
	}
	sec, _ := t.col.keys.Lookup(ch.Random)
	k.early.secret = sec.Secret(keylog.LabelClientEarlyTrafficSecret)
	k.early.later = k.early.secret == nil && t.col.keysGrow
	if k.early.secret != nil || k.early.later {
		d.dec.KeepProtected()
	}
}

// encryptedExtensions takes the server's answer to early_data (RFC 8446,
// 4.2.10). After a HelloRetryRequest, 0-RTT was rejected already.
func (t *Tracker) encryptedExtensions(ee *decode.EncryptedExtensions) {
	ch := t.res.ClientHello
	if ch == nil || !ch.EarlyData || t.res.EarlyData != "" {
		return
	}
	t.res.EarlyData = EarlyDataRejected
	for _, e := range ee.Extensions {
		if e.Type == decode.ExtEarlyData {
			t.res.EarlyData = EarlyDataAccepted
		}
	}
	if k := t.keys; k != nil && t.res.EarlyData == EarlyDataAccepted && k.early.secret == nil && k.early.dec == nil {
		k.early.hidden = true
	}
}

// earlyRecord takes a protected record of a client in 0-RTT: early data
// or its EndOfEarlyData when the early key opens it, skipped early data
// when neither key does and the server did not accept 0-RTT. It reports
// whether it took the record; when not, the record is the client's first
// under its handshake key, or one that the rules without 0-RTT judge.
func (t *Tracker) earlyRecord(d *sideState, ev decode.Event, ts time.Time) bool {
	k := t.keys
	ch := t.res.ClientHello
	if k == nil || d.role != Client || k.early.done || ch == nil || !ch.EarlyData || !t.judging() ||
		k.status == KeysWrong || k.tls12 {
		return false
	}
	hdr := k.header(decode.ContentApplicationData, ev)
	if ev.Raw != nil {
		if pt, typ, ok := t.earlyOpen(hdr, ev.Raw); ok {
			t.earlyPlain(d, pt, typ, ts)
			return true
		}
	}
	if k.status != KeysFound {
		if t.res.ServerHello != nil {
			return false // no handshake key: the rule without keys
		}
		// Before the ServerHello, without the early key: opaque 0-RTT.
		n := len(t.res.Messages)
		t.record(d, kindEncrypted, ev.Length, true, ts)
		t.markEarly(n)
		d.appData = true
		return true
	}
	if k.early.probe == nil {
		k.early.probe, _ = tlscrypto.NewTLS13Decrypter(k.suite, k.sides[0].hsSecret)
	}
	if k.early.probe != nil && ev.Raw != nil {
		if _, _, err := k.early.probe.Decrypt(hdr, ev.Raw); err == nil {
			// The client's first record under its handshake key:
			// 0-RTT is over, and protected decrypts it again.
			k.early.done, k.early.dec, k.early.probe = true, nil, nil
			return false
		}
	}
	if t.res.EarlyData == EarlyDataAccepted && !k.early.hidden {
		return false // bad_record_mac: the early key opened the others
	}
	// Skipped, as the server skips it (RFC 8446, 4.2.10).
	n := len(t.res.Messages)
	t.record(d, kindEncrypted, ev.Length, true, ts)
	t.markEarly(n)
	d.appData = true
	return true
}

// earlyOpen decrypts a 0-RTT record with the client's early traffic key.
// The suite is the one the PSK was made with, which the ClientHello does
// not name: the first record is tried with each TLS 1.3 suite the client
// offered whose hash fits the secret, and the suite that opens it is kept.
// Trying is immediate, where holding the records until the ServerHello
// names the suite would hold them for nothing when the server rejects
// 0-RTT, and with a HelloRetryRequest would never learn it; and an AEAD
// tag that authenticates under the wrong key is out of reach.
func (t *Tracker) earlyOpen(hdr, body []byte) ([]byte, byte, bool) {
	e := &t.keys.early
	if e.dec != nil {
		pt, typ, err := e.dec.Decrypt(hdr, body)
		return pt, typ, err == nil
	}
	if e.secret == nil && e.later {
		// A client logs its early secret before it sends early data,
		// but a followed key log may be read a little behind it.
		sec, _ := t.col.keys.Lookup(t.res.ClientHello.Random)
		e.secret = sec.Secret(keylog.LabelClientEarlyTrafficSecret)
		e.later = e.secret == nil
	}
	if e.secret == nil {
		return nil, 0, false
	}
	for _, cs := range t.res.ClientHello.CipherSuites {
		s, err := tlscrypto.LookupSuite(uint16(cs))
		if err != nil || !s.TLS13 {
			continue
		}
		dec, err := tlscrypto.NewTLS13Decrypter(s, e.secret)
		if err != nil {
			continue // the secret is another hash's length
		}
		if pt, typ, err := dec.Decrypt(hdr, body); err == nil {
			e.dec, e.secret = dec, nil
			return pt, typ, true
		}
	}
	// No offered suite opens it: the rest of 0-RTT is read as without
	// the early key.
	e.secret = nil
	if t.res.EarlyData == EarlyDataAccepted {
		e.hidden = true
	}
	return nil, 0, false
}

// earlyPlain takes a record the early key opened: application data, an
// alert, or the EndOfEarlyData that ends 0-RTT (RFC 8446, 4.5); nothing
// else travels under that key (RFC 8446, 2.3).
func (t *Tracker) earlyPlain(d *sideState, pt []byte, typ byte, ts time.Time) {
	k := t.keys
	k.decrypted++
	n := len(t.res.Messages)
	switch decode.ContentType(typ) {
	case decode.ContentApplicationData:
		t.record(d, kindApplicationData, len(pt), false, ts)
		d.appData = true
	case decode.ContentAlert:
		t.decryptedAlert(d, pt, ts)
	case decode.ContentHandshake:
		if len(pt) == 0 || decode.HandshakeType(pt[0]) != decode.HandshakeEndOfEarlyData {
			got := kindEncrypted
			if len(pt) > 0 {
				got = handshakeKind(decode.HandshakeType(pt[0]))
			}
			t.record(d, got, len(pt), false, ts)
			t.violate(d, CodeUnexpectedMessage, got.String(), nil,
				fmt.Sprintf("client sent %s under its early traffic key, which protects only early data and end_of_early_data (RFC 8446, 2.3 and 4.5)", got), ts)
			break
		}
		if len(pt) != 4 || pt[1]|pt[2]|pt[3] != 0 {
			t.violate(d, CodeMalformedHandshake, handshakeKind(decode.HandshakeEndOfEarlyData).String(), nil,
				fmt.Sprintf("end_of_early_data record of %d bytes, want an empty message of 4 (RFC 8446, 4.5)", len(pt)), ts)
			break
		}
		t.decryptedMessage(d, k.side(Client), pt, ts)
		k.early.done, k.early.dec = true, nil
	default:
		t.record(d, kindEncrypted, len(pt), true, ts)
		t.violate(d, CodeUnexpectedMessage, decode.ContentType(typ).String(), nil,
			fmt.Sprintf("client sent a protected %s record in 0-RTT (RFC 8446, 5)", decode.ContentType(typ)), ts)
	}
	t.markDecrypted(n)
	t.markEarly(n)
}

// markEarly flags the ladder's messages from index n on as 0-RTT.
func (t *Tracker) markEarly(n int) {
	for i := n; i < len(t.res.Messages); i++ {
		t.res.Messages[i].EarlyData = true
	}
}

// needEndOfEarlyData: after the server's Finished the client ends 0-RTT
// with EndOfEarlyData iff the server accepted it (RFC 8446, 4.5); it is
// not required when no early key opens the client's records, since it
// could not be seen.
func needEndOfEarlyData(t *Tracker) need {
	switch {
	case t.res.EarlyData != EarlyDataAccepted:
		return forbidden
	case t.keys != nil && t.keys.early.hidden:
		return optional
	}
	return requiredByRule
}
