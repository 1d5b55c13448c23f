package tlscrypto

import (
	"crypto"
	"crypto/hmac"
	stdmd5 "crypto/md5"
	stdsha1 "crypto/sha1"
	"encoding"
	"errors"
	"fmt"
	"hash"
)

// SSL 3.0 (RFC 6101) predates the PRF: its key block, record MAC and
// Finished are built from MD5 and SHA-1 with pads, not HMAC.

// ssl3KeyBlock is the key block of RFC 6101, Section 6.2.2:
// MD5(master + SHA("A" + master + server_random + client_random)) +
// MD5(master + SHA("BB" + ...)) + ..., n bytes of it.
func ssl3KeyBlock(master, clientRandom, serverRandom []byte, n int) []byte {
	out := make([]byte, 0, n+stdmd5.Size)
	for i := 0; len(out) < n; i++ {
		prefix := make([]byte, i+1)
		for j := range prefix {
			prefix[j] = 'A' + byte(i)
		}
		sh := stdsha1.New()
		sh.Write(prefix)
		sh.Write(master)
		sh.Write(serverRandom)
		sh.Write(clientRandom)
		mh := stdmd5.New()
		mh.Write(master)
		mh.Write(sh.Sum(nil))
		out = mh.Sum(out)
	}
	return out[:n]
}

// ssl3Pad is the MAC and Finished pad length of a hash: 48 bytes for MD5,
// 40 for SHA-1 (RFC 6101, Sections 5.6.9 and 5.2.3.1).
func ssl3Pad(h crypto.Hash) int {
	if h == crypto.MD5 {
		return 48
	}
	return 40
}

func repeat(b byte, n int) []byte {
	p := make([]byte, n)
	for i := range p {
		p[i] = b
	}
	return p
}

// ssl3MAC is the record MAC of RFC 6101, Section 5.2.3.1:
// hash(secret + pad_2 + hash(secret + pad_1 + seq_num + type + length + content)).
func ssl3MAC(h crypto.Hash, secret []byte, seq uint64, typ byte, content []byte) []byte {
	n := ssl3Pad(h)
	inner := h.New()
	inner.Write(secret)
	inner.Write(repeat(0x36, n))
	var hdr [11]byte
	for i := 0; i < 8; i++ {
		hdr[i] = byte(seq >> (56 - 8*i))
	}
	hdr[8], hdr[9], hdr[10] = typ, byte(len(content)>>8), byte(len(content))
	inner.Write(hdr[:])
	inner.Write(content)
	outer := h.New()
	outer.Write(secret)
	outer.Write(repeat(0x5c, n))
	outer.Write(inner.Sum(nil))
	return outer.Sum(nil)
}

// SSL 3.0 Finished senders (RFC 6101, Section 5.6.9).
var (
	ssl3SenderClient = []byte{0x43, 0x4C, 0x4E, 0x54}
	ssl3SenderServer = []byte{0x53, 0x52, 0x56, 0x52}
)

// SSL3FinishedVerifyData computes the 36 bytes of an SSL 3.0 Finished
// (RFC 6101, Section 5.6.9): md5_hash then sha_hash, each
// hash(master + pad_2 + hash(handshake_messages + Sender + master + pad_1)).
// t must have been given crypto.MD5SHA1 (FinishedHash's choice for SSL
// 3.0); it is left as it was.
func SSL3FinishedVerifyData(master []byte, fromClient bool, t *Transcript) ([]byte, error) {
	ms, ok := t.h.(*md5sha1)
	if !ok {
		return nil, errors.New("tlscrypto: SSL 3.0 Finished needs an MD5 and SHA-1 transcript")
	}
	sender := ssl3SenderServer
	if fromClient {
		sender = ssl3SenderClient
	}
	var out []byte
	for _, p := range []struct {
		h     crypto.Hash
		state hash.Hash
	}{{crypto.MD5, ms.md5}, {crypto.SHA1, ms.sha1}} {
		inner, err := cloneHash(p.h, p.state)
		if err != nil {
			return nil, err
		}
		n := ssl3Pad(p.h)
		inner.Write(sender)
		inner.Write(master)
		inner.Write(repeat(0x36, n))
		outer := p.h.New()
		outer.Write(master)
		outer.Write(repeat(0x5c, n))
		outer.Write(inner.Sum(nil))
		out = outer.Sum(out)
	}
	return out, nil
}

// cloneHash copies a running hash of the standard library, whose digests
// marshal their state.
func cloneHash(h crypto.Hash, running hash.Hash) (hash.Hash, error) {
	m, ok := running.(encoding.BinaryMarshaler)
	if !ok {
		return nil, fmt.Errorf("tlscrypto: %v state cannot be copied", h)
	}
	state, err := m.MarshalBinary()
	if err != nil {
		return nil, err
	}
	c := h.New()
	if err := c.(encoding.BinaryUnmarshaler).UnmarshalBinary(state); err != nil {
		return nil, err
	}
	return c, nil
}

// ssl3CheckMAC is checkMAC for SSL 3.0.
func (d *Decrypter) ssl3CheckMAC(header, content, mac []byte) error {
	if !hmac.Equal(ssl3MAC(d.suite.MAC, d.ssl3MACKey, d.seq, header[0], content), mac) {
		return fmt.Errorf("%w: MAC mismatch", ErrBadRecordMAC)
	}
	return nil
}
