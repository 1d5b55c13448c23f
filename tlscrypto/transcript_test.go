package tlscrypto

import (
	"bytes"
	"crypto"
	"crypto/hmac"
	_ "crypto/sha1"
	stdsha256 "crypto/sha256"
	stdsha512 "crypto/sha512"
	"errors"
	"testing"
)

// TestTranscriptHelloRetryRequest: after a HelloRetryRequest the transcript
// starts with message_hash(Hash(ClientHello1)) (RFC 8446, Section 4.4.1).
func TestTranscriptHelloRetryRequest(t *testing.T) {
	ch1, hrr, ch2 := []byte{1, 0, 0, 1, 0xAA}, []byte{2, 0, 0, 1, 0xBB}, []byte{1, 0, 0, 1, 0xCC}
	var tr Transcript
	tr.Write(ch1)
	if err := tr.HelloRetryRequest(); err == nil {
		t.Fatal("HelloRetryRequest before SetHash succeeded")
	}
	if err := tr.SetHash(crypto.SHA256); err != nil {
		t.Fatal(err)
	}
	if err := tr.HelloRetryRequest(); err != nil {
		t.Fatal(err)
	}
	tr.Write(hrr)
	tr.Write(ch2)
	h1 := stdsha256.Sum256(ch1)
	want := stdsha256.Sum256(append(append(append([]byte{254, 0, 0, 32}, h1[:]...), hrr...), ch2...))
	if got := tr.Sum(); !bytes.Equal(got, want[:]) {
		t.Errorf("Sum = %x, want %x", got, want)
	}
	if err := tr.SetHash(crypto.SHA384); err == nil {
		t.Error("a second SetHash succeeded")
	}
}

// TestLookupSuiteUnsupported: Camellia and unknown suites are named as
// unsupported, for the caller's "keys: unsupported cipher suite".
func TestLookupSuiteUnsupported(t *testing.T) {
	for _, id := range []uint16{0x0041, 0xC072, 0x0000, 0xFFFF} {
		if _, err := LookupSuite(id); !errors.Is(err, ErrUnsupportedSuite) {
			t.Errorf("LookupSuite(0x%04x) = %v, want ErrUnsupportedSuite", id, err)
		}
	}
}

// TestTranscriptClone: a clone goes on apart from its original, which
// still sums what it was given.
func TestTranscriptClone(t *testing.T) {
	var tr Transcript
	if _, err := tr.Clone(); err == nil {
		t.Error("Clone before SetHash succeeded")
	}
	tr.Write([]byte("hand"))
	if err := tr.SetHash(crypto.SHA384); err != nil {
		t.Fatal(err)
	}
	c, err := tr.Clone()
	if err != nil {
		t.Fatal(err)
	}
	c.Write([]byte("shake"))
	if got, want := tr.Sum(), stdsha512.Sum384([]byte("hand")); !bytes.Equal(got, want[:]) {
		t.Errorf("original Sum = %x, want %x", got, want)
	}
	if got, want := c.Sum(), stdsha512.Sum384([]byte("handshake")); !bytes.Equal(got, want[:]) {
		t.Errorf("clone Sum = %x, want %x", got, want)
	}
}

// TestHMACSumSameAsCryptoHMAC: hmacSum is crypto/hmac's HMAC for keys
// shorter than, as long as and longer than a block, and messages of every
// length up to two blocks, with each hash.
func TestHMACSumSameAsCryptoHMAC(t *testing.T) {
	for _, h := range []crypto.Hash{crypto.SHA256, crypto.SHA384, crypto.SHA1} {
		for _, kl := range []int{0, 1, 32, 48, 63, 64, 65, 127, 128, 129, 300} {
			key := bytes.Repeat([]byte{byte(kl) + 1}, kl)
			for ml := range 260 {
				msg := bytes.Repeat([]byte{byte(ml)}, ml)
				m := hmac.New(h.New, key)
				m.Write(msg)
				if got, want := hmacSum(h, key, msg), m.Sum(nil); !bytes.Equal(got, want) {
					t.Fatalf("%v key %d msg %d: %x, want %x", h, kl, ml, got, want)
				}
			}
		}
	}
}
