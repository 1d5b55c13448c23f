package flows

import (
	"crypto/hmac"
	"errors"
	"fmt"
	"time"

	"github.com/hsdecode/hsdecode/decode"
	"github.com/hsdecode/hsdecode/keylog"
	"github.com/hsdecode/hsdecode/tlscrypto"
)

// TLS 1.0-1.2 and SSL 3.0 past each side's ChangeCipherSpec: with keys,
// the master secret of the key log's CLIENT_RANDOM line gives each
// direction's keys (RFC 5246, 6.3; RFC 6101, 6.2.2), and each side's
// records are decrypted in turn; with a NULL suite they are read in clear,
// keys or not (RFC 5246, 6.2.3.1). The first, the Finished, has its
// verify_data recomputed over the transcript when there are keys (RFC
// 5246, 7.4.9); alerts are named; what follows the handshake is
// renegotiation.go's.

// keysServerHello12 looks up the master secret once a TLS 1.0-1.2
// ServerHello is taken and makes the decrypters of both directions.
func (t *Tracker) keysServerHello12(sh *decode.ServerHello) {
	k := t.keys
	if k == nil || k.status != "" || t.res.ClientHello == nil {
		return
	}
	v := uint16(t.res.Version)
	s, err := tlscrypto.LookupSuite(uint16(sh.CipherSuite))
	if err != nil || s.TLS13 || v < tlscrypto.VersionSSL30 || v > tlscrypto.VersionTLS12 {
		t.keys = nil // nothing here decrypts it: no claim either way
		return
	}
	sec, ok := t.col.keys.Lookup(t.res.ClientHello.Random)
	master := sec.Secret(keylog.LabelClientRandom)
	if !ok || master == nil {
		t.keysNotYet(sh)
		return
	}
	if k.transcript.SetHash(tlscrypto.FinishedHash(v, s)) != nil {
		t.keys = nil
		return
	}
	ck, sk, err := tlscrypto.KeyBlock(v, s, master, t.res.ClientHello.Random[:], sh.Random[:])
	if err != nil {
		t.keys = nil
		return
	}
	etm := t.res.ClientHello.EncryptThenMAC && sh.EncryptThenMAC
	cd, err1 := tlscrypto.NewDecrypter(v, s, ck, etm)
	sd, err2 := tlscrypto.NewDecrypter(v, s, sk, etm)
	if err1 != nil || err2 != nil {
		t.keys = nil
		return
	}
	k.suite, k.status, k.tls12, k.master, k.version = s, KeysFound, true, master, v
	k.sides[0] = keySide{dec: cd}
	k.sides[1] = keySide{dec: sd}
	t.keepProtected()
}

// readable12 says whether d's protected records can be read: with keys,
// or in clear for a NULL suite.
func (t *Tracker) readable12(d *sideState) bool {
	i := roleIndex(d.role)
	if t.t12 == nil || !t.t12.protected[i] {
		return false
	}
	if k := t.keys; k.decrypting12() {
		return k.sides[i].dec != nil
	}
	return t.t12.nullMAC[i] > 0
}

// read12 opens a protected record of d, which readable12 allows. A
// record that does not authenticate is bad_record_mac once earlier
// records of the connection did, and wrong keys otherwise; it reports
// whether the plaintext came out.
func (t *Tracker) read12(d *sideState, typ decode.ContentType, ev decode.Event, ts time.Time) ([]byte, bool) {
	i := roleIndex(d.role)
	k := t.keys
	if !k.decrypting12() {
		if n := t.t12.nullMAC[i]; len(ev.Raw) >= n {
			return ev.Raw[:len(ev.Raw)-n], true
		}
		t.violate(d, CodeMalformedRecord, typ.String(), nil, fmt.Sprintf("%s record shorter than its MAC (RFC 5246, 6.2.3.1)", typ), ts)
		return nil, false
	}
	ks := &k.sides[i]
	pt, _, err := ks.dec.Decrypt(k.header(typ, ev), ev.Raw)
	if err == nil {
		k.decrypted++
		return pt, true
	}
	if k.decrypted == 0 && errors.Is(err, tlscrypto.ErrBadRecordMAC) {
		t.keysWrong()
		return nil, false
	}
	ks.dec = nil
	t.violate(d, CodeBadRecordMAC, typ.String(), nil,
		fmt.Sprintf("%s %s record does not decrypt after earlier records did: %v (RFC 5246, 7.2.2)", d.role, typ, err), ts)
	return nil, false
}

// alert12 takes a protected alert record d can be read: its alerts by
// name (RFC 5246, 7.2).
func (t *Tracker) alert12(d *sideState, ev decode.Event, ts time.Time) {
	pt, ok := t.read12(d, decode.ContentAlert, ev, ts)
	if !ok {
		if !d.stopped() {
			t.alert(d, ev, ts) // wrong keys: as without them
		}
		return
	}
	if len(pt) == 0 || len(pt)%2 != 0 {
		t.violate(d, CodeMalformedRecord, TypeAlert, nil, fmt.Sprintf("protected alert record of %d bytes (RFC 5246, 7.2)", len(pt)), ts)
		return
	}
	for ; len(pt) >= 2; pt = pt[2:] {
		n := len(t.res.Messages)
		t.alert(d, decode.Event{Kind: decode.EventAlert, Alert: decode.Alert{Level: decode.AlertLevel(pt[0]), Description: decode.AlertDescription(pt[1])}}, ts)
		t.markRead12(n)
	}
}

// markRead12 flags the ladder's messages from index n on as decrypted
// when keys read them; a NULL suite's are plaintext.
func (t *Tracker) markRead12(n int) {
	if t.keys.decrypting12() {
		t.markDecrypted(n)
	}
}

// data12 takes d's application data record once d's records can be
// read: it goes through the keys, whose sequence number it moves on.
func (t *Tracker) data12(d *sideState, ev decode.Event, ts time.Time) {
	if _, ok := t.read12(d, decode.ContentApplicationData, ev, ts); !ok && d.stopped() {
		return
	}
	if t.established {
		t.countData(d)
		return
	}
	t.applicationData(d, ev, ts)
}

// countData counts an application data record after the handshake
// (Options.Follow).
func (t *Tracker) countData(d *sideState) {
	d.appData = true
	if d.role == Client {
		t.res.ApplicationData.Client++
	} else {
		t.res.ApplicationData.Server++
	}
}

// finished12 takes a TLS 1.0-1.2 side's first protected handshake record
// after its ChangeCipherSpec, which readable12 allows: its Finished, alone
// in the record (RFC 5246, 7.4.9).
func (t *Tracker) finished12(d *sideState, ev decode.Event, ts time.Time) {
	if d.finished {
		// Past its Finished, before the peer's: out of order, whatever it
		// holds. It is opened all the same, as the record sequence moves on.
		if _, ok := t.read12(d, decode.ContentHandshake, ev, ts); ok || !d.stopped() {
			t.encryptedHandshake(d, ev, ts)
		}
		return
	}
	pt, ok := t.read12(d, decode.ContentHandshake, ev, ts)
	if !ok {
		if d.stopped() {
			t.record(d, kindFinished, ev.Length, true, ts)
			return
		}
		t.encryptedHandshake(d, ev, ts) // wrong keys: as without them
		return
	}
	if len(pt) < 4 || decode.HandshakeType(pt[0]) != decode.HandshakeFinished || 4+(int(pt[1])<<16|int(pt[2])<<8|int(pt[3])) != len(pt) {
		t.record(d, kindFinished, ev.Length, true, ts)
		t.violate(d, CodeUnexpectedMessage, kindFinished.String(), nil,
			fmt.Sprintf("%s's first protected handshake record is not a lone Finished (RFC 5246, 7.4.9)", d.role), ts)
		return
	}
	t.finishedMessage12(d, pt, ts)
}

// finishedWant12 is the verify_data a side's Finished must carry, nil
// when there are no keys to compute it with.
func (t *Tracker) finishedWant12(fromClient bool) []byte {
	k := t.keys
	if !k.decrypting12() || k.master == nil {
		return nil
	}
	var want []byte
	var err error
	if k.version == tlscrypto.VersionSSL30 {
		want, err = tlscrypto.SSL3FinishedVerifyData(k.master, fromClient, &k.transcript)
	} else {
		want, err = tlscrypto.FinishedVerifyData(k.version, k.suite, k.master, fromClient, k.transcript.Sum())
	}
	if err != nil {
		return []byte{} // matches no verify_data: the check fails, as it should
	}
	return want
}

// finishedMessage12 takes a whole Finished message read from a protected
// record: its verify_data checked when there are keys, and the handshake
// (or the renegotiation) complete once both sides sent theirs.
func (t *Tracker) finishedMessage12(d *sideState, raw []byte, ts time.Time) {
	want := t.finishedWant12(d.role == Client)
	if t.keys.decrypting12() {
		t.keys.transcript.Write(raw)
	}
	n := len(t.res.Messages)
	t.record(d, kindFinished, len(raw)-4, false, ts)
	t.markRead12(n)
	if !t.step(d, kindFinished, ts) {
		return
	}
	if want != nil && !hmac.Equal(want, raw[4:]) {
		t.violate(d, CodeBadFinished, kindFinished.String(), nil,
			fmt.Sprintf("%s Finished verify_data does not match the transcript (RFC 5246, 7.4.9)", d.role), ts)
		return
	}
	i := roleIndex(d.role)
	t.t12.verifyData[i] = append([]byte{}, raw[4:]...)
	if t.keys.decrypting12() {
		t.keys.sides[i].finished = true
	}
	t.sideFinished12(d)
}

// sideFinished12 marks d's Finished taken: the handshake is established,
// or the renegotiation over, once both sides sent theirs.
func (t *Tracker) sideFinished12(d *sideState) {
	d.finished = true
	if !t.client().finished || !t.server().finished {
		return
	}
	if t.t12.reneg != nil {
		t.endReneg()
		return
	}
	t.established = true
}
