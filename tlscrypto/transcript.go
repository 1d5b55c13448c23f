package tlscrypto

import (
	"crypto"
	"errors"
	"hash"
)

// handshakeMessageHash is the type of the synthetic message that replaces
// ClientHello1 after a HelloRetryRequest (RFC 8446, Section 4.4.1).
const handshakeMessageHash = 254

// Transcript hashes handshake messages (each with its 4-byte header) for
// Finished and the TLS 1.3 key schedule. It can start before the hash is
// known: messages are buffered until SetHash, which ServerHello's cipher
// suite and version decide. The zero value is ready to use.
type Transcript struct {
	h   hash.Hash
	buf []byte // messages written before SetHash, copied
}

// Write adds one or more whole handshake messages.
func (t *Transcript) Write(msg []byte) {
	if t.h != nil {
		t.h.Write(msg)
		return
	}
	t.buf = append(t.buf, msg...)
}

// SetHash fixes the hash: a suite's Hash, or crypto.MD5SHA1 for TLS 1.0 and
// 1.1 Finished (see FinishedHash). The buffered messages are hashed and
// dropped. Calling it again with another hash is an error.
func (t *Transcript) SetHash(h crypto.Hash) error {
	if t.h != nil {
		return errors.New("tlscrypto: transcript hash already set")
	}
	if h != crypto.MD5SHA1 && !h.Available() {
		return errors.New("tlscrypto: transcript hash unavailable")
	}
	t.h = newHash(h)
	t.h.Write(t.buf)
	t.buf = nil
	return nil
}

// Sum returns the hash of the messages written so far; the transcript goes
// on. It is nil before SetHash.
func (t *Transcript) Sum() []byte {
	if t.h == nil {
		return nil
	}
	return t.h.Sum(nil)
}

// HelloRetryRequest replaces the transcript so far, which must be
// ClientHello1 alone, by the message_hash message (RFC 8446, Section
// 4.4.1): handshake type 254, a 3-byte length, Hash(ClientHello1). Call it
// after SetHash with the HelloRetryRequest's suite and before writing the
// HelloRetryRequest itself.
func (t *Transcript) HelloRetryRequest() error {
	if t.h == nil {
		return errors.New("tlscrypto: transcript hash not set before HelloRetryRequest")
	}
	sum := t.h.Sum(nil)
	t.h.Reset()
	t.h.Write([]byte{handshakeMessageHash, 0, 0, byte(len(sum))})
	t.h.Write(sum)
	return nil
}

// Clone returns a transcript that goes on from this one's messages apart
// from it: a post-handshake authentication's Finished covers the
// handshake's transcript and its own messages, and the handshake's is
// needed again for the next (RFC 8446, Section 4.4.1). It is an error
// before SetHash, and for TLS 1.0 and 1.1's MD5SHA1, which TLS 1.3 never
// uses.
func (t *Transcript) Clone() (*Transcript, error) {
	c, ok := t.h.(hash.Cloner)
	if t.h == nil || !ok {
		return nil, errors.New("tlscrypto: transcript cannot be cloned")
	}
	h, err := c.Clone()
	if err != nil {
		return nil, err
	}
	return &Transcript{h: h.(hash.Hash)}, nil
}
