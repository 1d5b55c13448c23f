package flows

import (
	"bytes"
	"crypto/hmac"
	"errors"
	"fmt"
	"time"

	"github.com/hsdecode/hsdecode/decode"
	"github.com/hsdecode/hsdecode/keylog"
	"github.com/hsdecode/hsdecode/stream"
	"github.com/hsdecode/hsdecode/tlscrypto"
)

// TLS 1.3 with keys: each side's protected records after the ServerHello
// are decrypted with its handshake traffic secret, and after its Finished
// with its application traffic secret (RFC 8446, 7.1 and 7.3); the
// handshake messages inside are joined across records and walked through
// the keyed TLS 1.3 flights of order.go; each Finished is recomputed from
// the transcript (RFC 8446, 4.4.4). The handshake is established once
// both Finished are verified and the server answers the client's with
// anything but an alert (a NewSessionTicket, data), the keyed form of the
// keyless rule: a TLS 1.3 server judges the client's certificate only
// after the client's Finished.

// maxHandshake13 bounds one decrypted handshake message, as decode bounds
// a clear one (crypto/tls's largest, a certificate chain).
const maxHandshake13 = 256 << 10

// keyState is a tracker's key material and what it decrypted. It exists
// only when the collector has key material, so a run without any pays
// nothing for it.
type keyState struct {
	transcript tlscrypto.Transcript
	suite      *tlscrypto.Suite
	secrets    *keylog.Secrets
	status     string // KeysFound, KeysMissing, KeysWrong; "" before the ServerHello
	decrypted  int    // records of the connection that authenticated
	compressed bool   // the server sent a CompressedCertificate (RFC 8879)
	// TLS 1.0-1.2 (tls12_keys.go): the master secret and version the
	// Finished are computed with.
	tls12   bool
	master  []byte
	version uint16
	// While pending, the keys may still be written (Options.KeysGrow):
	// the server's events wait in held for the client's next record.
	pending   bool
	retried   bool
	sh        *decode.ServerHello
	held      []heldEvent
	heldBytes int
	sides     [2]keySide
	early     earlyState // the client's 0-RTT (tls13_early.go)
	post      postAuth   // post-handshake client authentication (tls13_post.go)
	hdr       [5]byte    // the header of the record being opened (header)
}

// header returns the header of a protected record of type typ, the
// additional data it is opened with (RFC 8446, 5.2; RFC 5246, 6.2.3.3).
// It is written in k: an array of the caller's would escape through the
// AEAD's interface, an allocation per record.
func (k *keyState) header(typ decode.ContentType, ev decode.Event) []byte {
	k.hdr = [5]byte{byte(typ), byte(ev.RecordVersion >> 8), byte(ev.RecordVersion), byte(ev.Length >> 8), byte(ev.Length)}
	return k.hdr[:]
}

// keySide is one side's decryption: by role, Client then Server.
type keySide struct {
	dec      *tlscrypto.Decrypter // nil when this side's records are not decrypted
	hsSecret []byte               // its handshake traffic secret, finished_key's base
	// appSecret is its current application traffic secret, which a
	// KeyUpdate moves on and a post-handshake Finished is keyed with.
	appSecret []byte
	hs        []byte // handshake bytes of a message not yet whole
	finished  bool   // its Finished verified
}

func (k *keyState) side(r Role) *keySide {
	if r == Client {
		return &k.sides[0]
	}
	return &k.sides[1]
}

// decrypting13 and decrypting12 say whether protected records go through
// keys, as TLS 1.3 records or as a TLS 1.0-1.2 Finished.
func (k *keyState) decrypting13() bool { return k != nil && k.status == KeysFound && !k.tls12 }

func (k *keyState) decrypting12() bool { return k != nil && k.status == KeysFound && k.tls12 }

// decodeOptions are the options of a side's decoder: with key material the
// clear handshake messages come with their bytes, for the transcript.
func (t *Tracker) decodeOptions(resync bool) decode.Options {
	return decode.Options{Resync: resync, Raw: t.col.keys != nil}
}

// keysHello feeds a clear hello to the transcript (RFC 8446, 4.4.1),
// starting one at the first ClientHello when the store has any secrets.
func (t *Tracker) keysHello(ev decode.Event) {
	if t.col.keys == nil {
		return
	}
	if t.keys == nil {
		if _, ok := ev.Message.(*decode.ClientHello); !ok || t.col.keys.Len() == 0 || t.res.ClientHello != nil || !t.judging() {
			return
		}
		t.keys = new(keyState)
	}
	if !t.judging() {
		t.keys = nil // nothing after a gap is judged, nor verified
		return
	}
	if (t.keys.status != "" && !t.keys.decrypting12()) || ev.Raw == nil || ev.Message.Type() == decode.HandshakeHelloRequest {
		// A HelloRequest is left out of the transcript (RFC 5246, 7.4.1.1).
		return
	}
	if sh, ok := ev.Message.(*decode.ServerHello); ok && sh.HelloRetryRequest {
		// The transcript restarts from ClientHello1's hash, with the
		// HelloRetryRequest's suite (RFC 8446, 4.4.1).
		if s, err := tlscrypto.LookupSuite(uint16(sh.CipherSuite)); err == nil && s.TLS13 {
			if t.keys.transcript.SetHash(s.Hash) == nil && t.keys.transcript.HelloRetryRequest() == nil {
				t.keys.transcript.Write(ev.Raw)
				return
			}
		}
		t.keys = nil // nothing this transcript could verify
		return
	}
	t.keys.transcript.Write(ev.Raw)
}

// keysServerHello looks the connection's secrets up once its TLS 1.3
// ServerHello is taken and, when they are there, makes the decrypters of
// both sides' handshake traffic.
func (t *Tracker) keysServerHello(sh *decode.ServerHello) {
	k := t.keys
	if k == nil || k.status != "" || t.res.ClientHello == nil {
		return
	}
	sec, ok := t.col.keys.Lookup(t.res.ClientHello.Random)
	chs := sec.Secret(keylog.LabelClientHandshakeTrafficSecret)
	shs := sec.Secret(keylog.LabelServerHandshakeTrafficSecret)
	if !ok || chs == nil || shs == nil {
		t.keysNotYet(sh)
		return
	}
	k.secrets = sec
	k.status = KeysWrong
	s, err := tlscrypto.LookupSuite(uint16(sh.CipherSuite))
	if err != nil || !s.TLS13 {
		return
	}
	if k.transcript.Sum() == nil && k.transcript.SetHash(s.Hash) != nil {
		return
	}
	cd, err1 := tlscrypto.NewTLS13Decrypter(s, chs)
	sd, err2 := tlscrypto.NewTLS13Decrypter(s, shs)
	if err1 != nil || err2 != nil {
		return // secrets of another hash's length: not this connection's
	}
	k.suite, k.status = s, KeysFound
	k.sides[0] = keySide{dec: cd, hsSecret: chs}
	k.sides[1] = keySide{dec: sd, hsSecret: shs}
	t.keepProtected()
	// The keyed flights begin as the keyless ones do: positions stay
	// valid.
	t.server().flight, t.client().flight = server13Keys, client13Keys
}

// keepProtected has both sides' decoders hand over protected records whole.
func (t *Tracker) keepProtected() {
	for i := range t.sides {
		if d := &t.sides[i]; d.dec != nil {
			d.dec.KeepProtected()
		}
	}
}

// keysWrong gives up on keys that decrypted nothing: the connection is
// judged as without keys from here on.
func (t *Tracker) keysWrong() {
	t.keys.status = KeysWrong
	t.keys.sides = [2]keySide{}
	if !t.keys.tls12 {
		t.server().flight, t.client().flight = server13, client13
	}
}

// protected takes a TLS 1.3 protected record (RFC 8446, 5.2) when the
// connection has keys.
func (t *Tracker) protected(d *sideState, ev decode.Event, ts time.Time) {
	k := t.keys
	ks := k.side(d.role)
	if ks.dec == nil {
		// No secret for this stage of the side (the log lacks its
		// application traffic secret): the record stays opaque.
		t.record(d, kindEncrypted, ev.Length, true, ts)
		return
	}
	pt, typ, err := ks.dec.Decrypt(k.header(decode.ContentApplicationData, ev), ev.Raw)
	if err != nil {
		if k.decrypted == 0 && errors.Is(err, tlscrypto.ErrBadRecordMAC) {
			t.keysWrong()
			t.applicationData(d, ev, ts)
			return
		}
		t.record(d, kindEncrypted, ev.Length, true, ts)
		t.violate(d, CodeBadRecordMAC, TypeEncrypted, nil,
			fmt.Sprintf("%s record %d does not decrypt with its traffic key after earlier records did: %v (RFC 8446, 5.2)", d.role, ks.dec.Seq(), err), ts)
		return
	}
	k.decrypted++
	decided := t.established
	if d.role == Server && k.sides[0].finished && typ != byte(decode.ContentAlert) {
		// The server went on after the client's Finished: it took the
		// client's flight, certificate included.
		t.established = true
	}
	if len(ks.hs) > 0 && typ != byte(decode.ContentHandshake) {
		t.record(d, kindEncrypted, ev.Length, true, ts)
		t.violate(d, CodeUnexpectedMessage, decode.ContentType(typ).String(), nil,
			fmt.Sprintf("%s interrupted a handshake message with a %s record (RFC 8446, 5.1)", d.role, decode.ContentType(typ)), ts)
		return
	}
	switch decode.ContentType(typ) {
	case decode.ContentHandshake:
		t.decryptedHandshake(d, ks, pt, ts)
	case decode.ContentAlert:
		t.decryptedAlert(d, pt, ts)
	case decode.ContentApplicationData:
		if !decided {
			// Past the verdict, data is bulk, not news; the record
			// that gave it is listed.
			n := len(t.res.Messages)
			t.record(d, kindApplicationData, len(pt), false, ts)
			t.markDecrypted(n)
		}
		d.appData = true
		if !ks.finished {
			t.violate(d, CodeApplicationDataBeforeFinished, kindApplicationData.String(), t.expected(d),
				fmt.Sprintf("%s sent application data before its Finished (RFC 8446, 4.4.4)", d.role), ts)
		}
	default:
		t.record(d, kindEncrypted, ev.Length, true, ts)
		t.violate(d, CodeUnexpectedMessage, decode.ContentType(typ).String(), nil,
			fmt.Sprintf("%s sent a protected %s record (RFC 8446, 5)", d.role, decode.ContentType(typ)), ts)
	}
}

// decryptedAlert takes a decrypted alert record: one alert, two bytes
// (RFC 8446, 6).
func (t *Tracker) decryptedAlert(d *sideState, pt []byte, ts time.Time) {
	if len(pt) != 2 {
		t.violate(d, CodeMalformedRecord, TypeAlert, nil, fmt.Sprintf("protected alert of %d bytes (RFC 8446, 6)", len(pt)), ts)
		return
	}
	n := len(t.res.Messages)
	t.alert(d, decode.Event{Kind: decode.EventAlert, Alert: decode.Alert{Level: decode.AlertLevel(pt[0]), Description: decode.AlertDescription(pt[1])}}, ts)
	t.markDecrypted(n)
}

// markDecrypted flags the ladder's messages from index n on as decrypted.
func (t *Tracker) markDecrypted(n int) {
	for i := n; i < len(t.res.Messages); i++ {
		t.res.Messages[i].Decrypted = true
	}
}

// decryptedHandshake joins a side's decrypted handshake bytes into
// messages (RFC 8446, 5.1: a message may span records, and a record may
// hold several) and takes each whole one.
func (t *Tracker) decryptedHandshake(d *sideState, ks *keySide, pt []byte, ts time.Time) {
	if len(pt) == 0 {
		t.violate(d, CodeMalformedRecord, "handshake", nil, "empty protected handshake record (RFC 8446, 5.4)", ts)
		return
	}
	b := pt
	if len(ks.hs) > 0 {
		ks.hs = append(ks.hs, pt...)
		b = ks.hs
	}
	for len(b) >= 4 && !d.stopped() {
		n := int(b[1])<<16 | int(b[2])<<8 | int(b[3])
		if n > maxHandshake13 {
			t.violate(d, CodeMalformedHandshake, "handshake", nil, fmt.Sprintf("%s length %d exceeds %d", decode.HandshakeType(b[0]), n, maxHandshake13), ts)
			return
		}
		if len(b) < 4+n {
			break
		}
		dec := ks.dec
		t.decryptedMessage(d, ks, b[:4+n], ts)
		b = b[4+n:]
		if ks.dec != dec && len(b) > 0 && !d.stopped() {
			t.violate(d, CodeUnexpectedMessage, "handshake", nil,
				fmt.Sprintf("%s sent handshake bytes after a key change in the same record (RFC 8446, 5.1)", d.role), ts)
		}
	}
	if d.stopped() || t.Done() {
		ks.hs = nil
		return
	}
	ks.hs = append(ks.hs[:0:0], b...)
}

// decryptedMessage takes one whole decrypted handshake message, header
// included in raw.
func (t *Tracker) decryptedMessage(d *sideState, ks *keySide, raw []byte, ts time.Time) {
	k := t.keys
	typ := decode.HandshakeType(raw[0])
	m, err := decode.ParseHandshake13(typ, raw[4:])
	if err != nil {
		t.violate(d, CodeMalformedHandshake, handshakeKind(typ).String(), nil, err.Error(), ts)
		return
	}
	// The Finished's verify_data covers the transcript up to it, and
	// until both Finished every handshake message goes in, but not the
	// post-handshake ones a server may send before the client's Finished
	// (RFC 8446, 4.4.1 and 4.6).
	var want []byte
	inHandshake := !k.sides[0].finished && typ != decode.HandshakeNewSessionTicket && typ != decode.HandshakeKeyUpdate
	verify := typ == decode.HandshakeFinished && !ks.finished
	if verify && !(d.role == Client && k.early.hidden) {
		want = tlscrypto.FinishedVerifyData13(k.suite.Hash, ks.hsSecret, k.transcript.Sum())
	}
	if inHandshake {
		k.transcript.Write(raw)
	}
	if d.role == Server && typ == decode.HandshakeType(25) {
		// Said before the step, so that the Certificate slot it stands
		// for may be passed over.
		k.compressed = true
	}
	post := ks.finished
	n := len(t.res.Messages)
	t.handshake(d, decode.Event{Kind: decode.EventHandshake, Length: len(raw) - 4, Message: m}, ts)
	t.markDecrypted(n)
	if d.stopped() {
		return
	}
	if post {
		if len(t.res.Violations) == 0 {
			// Past a violation messages are listed, not judged legal,
			// which postHandshake needs.
			t.postHandshake(d, ks, m, raw, ts)
		}
		return
	}
	switch typ {
	case decode.HandshakeFinished:
		if !verify {
			return
		}
		// A Finished whose transcript holds an unread EndOfEarlyData is
		// taken unverified (tls13_early.go).
		if want != nil && !hmac.Equal(want, raw[4:]) {
			t.violate(d, CodeBadFinished, kindFinished.String(), nil,
				fmt.Sprintf("%s Finished verify_data does not match the transcript (RFC 8446, 4.4.4)", d.role), ts)
			return
		}
		ks.finished = true
		d.finished = true
		if d.role == Server && !t.certRequested && t.res.ClientCertificate == "" {
			// Its flight is read whole and asked for no certificate: the
			// client sends none in the handshake (RFC 8446, 4.4.2).
			t.res.ClientCertificate = ClientCertNone
		}
		label := keylog.LabelServerTrafficSecret0
		if d.role == Client {
			label = keylog.LabelClientTrafficSecret0
		}
		ks.dec = nil
		if sec := k.secrets.Secret(label); sec != nil {
			ks.dec, _ = tlscrypto.NewTLS13Decrypter(k.suite, sec)
			ks.appSecret = sec
		}
	}
}

// settleKeys ends a connection whose keys were found, as the keyless
// rule of tls13.go does: both Finished verified and the server silent
// since is established, unless the server reset the connection. It says
// in the result what the key material did.
func (t *Tracker) settleKeys() {
	k := t.keys
	if k == nil {
		return
	}
	t.res.Keys = k.status
	if k.decrypting13() && !t.decided() && !t.partial && k.sides[0].finished && k.sides[1].finished && t.server().end != stream.EndRST {
		t.established = true
	}
}

// heldEvent is an event of the server waiting for the keys.
type heldEvent struct {
	side stream.Side
	ev   decode.Event
	ts   time.Time
}

// maxHeld bounds what a connection holds while its keys may still come:
// a server's flight, certificates included.
const maxHeld = 256 << 10

// keysNotYet settles a lookup that found nothing. A key log still being
// written (Options.KeysGrow) may not have the connection's secrets yet: a
// client logs them once it has read the ServerHello, which a live capture
// reads as soon as it does. The server's events then wait until the
// client's next record, sent after its secrets were logged.
func (t *Tracker) keysNotYet(sh *decode.ServerHello) {
	k := t.keys
	if !t.col.keysGrow || k.retried || t.info.Transport == stream.TransportQUIC {
		// A QUIC connection's packets are not held for keys to come
		// (flows/quic_keys.go).
		k.status = KeysMissing
		return
	}
	k.pending, k.sh = true, sh
	t.keepProtected()
}

// hold keeps an event of the server while the keys may still come; it
// reports whether it did.
func (t *Tracker) hold(s stream.Side, ev decode.Event, ts time.Time) bool {
	k := t.keys
	if t.sides[s].role != Server || k.heldBytes+len(ev.Raw) > maxHeld {
		return false
	}
	ev.Raw = bytes.Clone(ev.Raw)
	k.held = append(k.held, heldEvent{s, ev, ts})
	k.heldBytes += len(ev.Raw)
	return true
}

// resolveKeys looks the secrets up again and replays the held events, with
// keys or without.
func (t *Tracker) resolveKeys() {
	k := t.keys
	k.pending, k.retried = false, true
	if isTLS13(t.res.Version) {
		t.keysServerHello(k.sh)
	} else {
		t.keysServerHello12(k.sh)
	}
	held := k.held
	k.held, k.heldBytes, k.sh = nil, 0, nil
	for _, h := range held {
		t.event(h.side, h.ev, h.ts)
	}
}
