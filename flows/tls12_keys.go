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

// TLS 1.0-1.2 with keys: the master secret of the key log's CLIENT_RANDOM
// line gives each direction's keys (RFC 5246, 6.3); each side's first
// record after its ChangeCipherSpec, its Finished, is decrypted and its
// verify_data recomputed over the transcript (RFC 5246, 7.4.9). Records
// after the Finished stay opaque.

// keysServerHello12 looks up the master secret once a TLS 1.0-1.2
// ServerHello is taken and makes the decrypters of both directions.
func (t *Tracker) keysServerHello12(sh *decode.ServerHello) {
	k := t.keys
	if k == nil || k.status != "" || t.res.ClientHello == nil {
		return
	}
	v := uint16(t.res.Version)
	s, err := tlscrypto.LookupSuite(uint16(sh.CipherSuite))
	if err != nil || s.TLS13 || v < tlscrypto.VersionTLS10 || v > tlscrypto.VersionTLS12 {
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

// finished12 takes a TLS 1.0-1.2 side's protected handshake record after
// its ChangeCipherSpec when the connection has keys: its Finished.
func (t *Tracker) finished12(d *sideState, ev decode.Event, ts time.Time) {
	k := t.keys
	ks := k.side(d.role)
	if ks.dec == nil {
		// Past the Finished (a renegotiation): opaque, as without keys.
		t.encryptedHandshake(d, ev, ts)
		return
	}
	hdr := [5]byte{byte(decode.ContentHandshake), byte(ev.RecordVersion >> 8), byte(ev.RecordVersion), byte(ev.Length >> 8), byte(ev.Length)}
	pt, _, err := ks.dec.Decrypt(hdr[:], ev.Raw)
	ks.dec = nil
	if err != nil {
		if k.decrypted == 0 && errors.Is(err, tlscrypto.ErrBadRecordMAC) {
			t.keysWrong()
			t.encryptedHandshake(d, ev, ts)
			return
		}
		t.record(d, kindFinished, ev.Length, true, ts)
		t.violate(d, CodeBadRecordMAC, kindFinished.String(), nil,
			fmt.Sprintf("%s Finished record does not decrypt after earlier records did: %v (RFC 5246, 7.2.2)", d.role, err), ts)
		return
	}
	k.decrypted++
	if len(pt) < 4 || decode.HandshakeType(pt[0]) != decode.HandshakeFinished || 4+(int(pt[1])<<16|int(pt[2])<<8|int(pt[3])) != len(pt) {
		t.record(d, kindFinished, ev.Length, true, ts)
		t.violate(d, CodeUnexpectedMessage, kindFinished.String(), nil,
			fmt.Sprintf("%s's first protected handshake record is not a lone Finished (RFC 5246, 7.4.9)", d.role), ts)
		return
	}
	want, err := tlscrypto.FinishedVerifyData(k.version, k.suite, k.master, d.role == Client, k.transcript.Sum())
	k.transcript.Write(pt)
	n := len(t.res.Messages)
	t.record(d, kindFinished, len(pt)-4, false, ts)
	t.markDecrypted(n)
	if !t.step(d, kindFinished, ts) {
		return
	}
	if err != nil || !hmac.Equal(want, pt[4:]) {
		t.violate(d, CodeBadFinished, kindFinished.String(), nil,
			fmt.Sprintf("%s Finished verify_data does not match the transcript (RFC 5246, 7.4.9)", d.role), ts)
		return
	}
	ks.finished, d.finished = true, true
	if t.client().finished && t.server().finished {
		t.established = true
	}
}
