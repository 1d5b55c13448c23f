package tlscrypto

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	stdmd5 "crypto/md5"
	stdsha1 "crypto/sha1"
	"errors"
	"testing"
)

// The SSL 3.0 constructions written out once more from RFC 6101, byte by
// byte, to seal records that the Decrypter must open. The end-to-end
// check is cmd/hsdecode's TestKeyLogCorpusTLS12 on a real SSL 3.0 capture
// (the shared corpus's), whose Finished verify only if the key block,
// the MAC and the Finished are all right.

// sealSSL3 seals content as RFC 6101, 5.2.3.1 and 5.2.3.2 say: SHA-1 MAC
// over seq_num, type, length, content with 40-byte pads, then CBC with
// padding bytes of any value and the IV chained from the previous record.
func sealSSL3(t *testing.T, keys DirectionKeys, iv []byte, seq uint64, typ byte, content []byte, pad []byte) (header, fragment, nextIV []byte) {
	t.Helper()
	inner := stdsha1.New()
	inner.Write(keys.MACKey)
	inner.Write(bytes.Repeat([]byte{0x36}, 40))
	inner.Write([]byte{byte(seq >> 56), byte(seq >> 48), byte(seq >> 40), byte(seq >> 32), byte(seq >> 24), byte(seq >> 16), byte(seq >> 8), byte(seq)})
	inner.Write([]byte{typ, byte(len(content) >> 8), byte(len(content))})
	inner.Write(content)
	outer := stdsha1.New()
	outer.Write(keys.MACKey)
	outer.Write(bytes.Repeat([]byte{0x5c}, 40))
	outer.Write(inner.Sum(nil))
	plain := append(append(append([]byte{}, content...), outer.Sum(nil)...), pad...)
	plain = append(plain, byte(len(pad)))
	if len(plain)%16 != 0 {
		t.Fatalf("test record of %d bytes is not whole blocks", len(plain))
	}
	b, err := aes.NewCipher(keys.Key)
	if err != nil {
		t.Fatal(err)
	}
	ct := make([]byte, len(plain))
	cipher.NewCBCEncrypter(b, iv).CryptBlocks(ct, plain)
	return []byte{typ, 3, 0, byte(len(ct) >> 8), byte(len(ct))}, ct, ct[len(ct)-16:]
}

// TestSSL3Records: SSL 3.0's key block (RFC 6101, 6.2.2), MAC and CBC
// with arbitrary padding bytes, the IV chained across records.
func TestSSL3Records(t *testing.T) {
	s, err := LookupSuite(0x002F) // TLS_RSA_WITH_AES_128_CBC_SHA
	if err != nil {
		t.Fatal(err)
	}
	master := bytes.Repeat([]byte{0x4d}, 48)
	cr, sr := bytes.Repeat([]byte{0xc0}, 32), bytes.Repeat([]byte{0x5e}, 32)
	ck, _, err := KeyBlock(VersionSSL30, s, master, cr, sr)
	if err != nil {
		t.Fatal(err)
	}
	// The key block by RFC 6101, 6.2.2: MD5(master + SHA("A" + master +
	// server_random + client_random)) + MD5(master + SHA("BB" + ...)) + ...
	var kb []byte
	for i := 0; len(kb) < 2*(20+16+16); i++ {
		h := stdsha1.Sum(append(append(append(bytes.Repeat([]byte{'A' + byte(i)}, i+1), master...), sr...), cr...))
		m := stdmd5.Sum(append(append([]byte{}, master...), h[:]...))
		kb = append(kb, m[:]...)
	}
	if !bytes.Equal(ck.MACKey, kb[:20]) || !bytes.Equal(ck.Key, kb[40:56]) || !bytes.Equal(ck.IV, kb[72:88]) {
		t.Fatalf("client keys %x %x %x differ from the key block %x", ck.MACKey, ck.Key, ck.IV, kb)
	}
	d, err := NewDecrypter(VersionSSL30, s, ck, true)
	if err != nil {
		t.Fatal(err)
	}
	iv := ck.IV
	for seq, tc := range []struct {
		content, pad []byte
	}{
		{[]byte("finished, say"), bytes.Repeat([]byte{0xde, 0xad}, 7)}, // 13+20+14+1: padding bytes of any value
		{[]byte("0123456789abcdef0123456789a"), nil},                   // 27+20+0+1
	} {
		hdr, frag, next := sealSSL3(t, ck, iv, uint64(seq), 22, tc.content, tc.pad)
		iv = next
		pt, typ, err := d.Decrypt(hdr, frag)
		if err != nil || typ != 22 || !bytes.Equal(pt, tc.content) {
			t.Fatalf("record %d: %q %d %v, want %q", seq, pt, typ, err, tc.content)
		}
	}
	// Padding of a whole block or more is not SSL 3.0's.
	hdr, frag, _ := sealSSL3(t, ck, iv, 2, 23, []byte("abcdefghijk"), bytes.Repeat([]byte{0}, 16))
	if _, _, err := d.Decrypt(hdr, frag); !errors.Is(err, ErrBadRecordMAC) {
		t.Errorf("padding of 16 bytes: %v, want ErrBadRecordMAC", err)
	}
}

// TestSSL3Finished: the Finished of RFC 6101, 5.6.9, md5_hash then
// sha_hash over the handshake messages, the sender and the master secret;
// the transcript goes on unchanged.
func TestSSL3Finished(t *testing.T) {
	master := bytes.Repeat([]byte{0x4d}, 48)
	msgs := []byte("client hello, server hello, and the rest")
	var tr Transcript
	tr.Write(msgs)
	if err := tr.SetHash(FinishedHash(VersionSSL30, nil)); err != nil {
		t.Fatal(err)
	}
	got, err := SSL3FinishedVerifyData(master, true, &tr)
	if err != nil {
		t.Fatal(err)
	}
	part := func(hash func([]byte) []byte, n int) []byte {
		in := hash(append(append(append(append([]byte{}, msgs...), 0x43, 0x4C, 0x4E, 0x54), master...), bytes.Repeat([]byte{0x36}, n)...))
		return hash(append(append(append([]byte{}, master...), bytes.Repeat([]byte{0x5c}, n)...), in...))
	}
	md := func(b []byte) []byte { s := stdmd5.Sum(b); return s[:] }
	sh := func(b []byte) []byte { s := stdsha1.Sum(b); return s[:] }
	want := append(part(md, 48), part(sh, 40)...)
	if !bytes.Equal(got, want) {
		t.Errorf("client Finished %x, want %x", got, want)
	}
	// The transcript is left as it was: a second call gives the same.
	again, _ := SSL3FinishedVerifyData(master, true, &tr)
	if !bytes.Equal(again, got) {
		t.Error("the transcript moved")
	}
	if server, _ := SSL3FinishedVerifyData(master, false, &tr); bytes.Equal(server, got) {
		t.Error("server Finished equals the client's")
	}
}
