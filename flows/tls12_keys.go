package flows

import (
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
