package tlscrypto

import (
	"crypto"
	"crypto/hmac"
	stdmd5 "crypto/md5"
	stdsha1 "crypto/sha1"
	"fmt"
	"hash"
)

// newHash returns a running hash; crypto.MD5SHA1 is the concatenation of MD5
// and SHA-1 that TLS 1.0 and 1.1 hash their handshake with (RFC 2246,
// Section 7.4.9), which the crypto package does not implement.
func newHash(h crypto.Hash) hash.Hash {
	if h == crypto.MD5SHA1 {
		return &md5sha1{stdmd5.New(), stdsha1.New()}
	}
	return h.New()
}

type md5sha1 struct{ md5, sha1 hash.Hash }

func (m *md5sha1) Write(p []byte) (int, error) {
	m.md5.Write(p)
	return m.sha1.Write(p)
}
func (m *md5sha1) Sum(b []byte) []byte { return m.sha1.Sum(m.md5.Sum(b)) }
func (m *md5sha1) Reset()              { m.md5.Reset(); m.sha1.Reset() }
func (m *md5sha1) Size() int           { return stdmd5.Size + stdsha1.Size }
func (m *md5sha1) BlockSize() int      { return m.sha1.BlockSize() }

// pHash is P_hash of RFC 5246, Section 5, filling out.
func pHash(out []byte, h crypto.Hash, secret, seed []byte) {
	mac := hmac.New(h.New, secret)
	mac.Write(seed)
	a := mac.Sum(nil) // A(1)
	for len(out) > 0 {
		mac.Reset()
		mac.Write(a)
		mac.Write(seed)
		n := copy(out, mac.Sum(nil))
		out = out[n:]
		mac.Reset()
		mac.Write(a)
		a = mac.Sum(a[:0])
	}
}

// PRF is the TLS pseudorandom function of the given version: for TLS 1.2,
// P_hash with the suite's PRF hash (RFC 5246, Section 5); for TLS 1.0 and
// 1.1, P_MD5 over the first half of the secret XOR P_SHA-1 over the second
// (RFC 2246, Section 5). It returns length bytes.
func PRF(version uint16, prfHash crypto.Hash, secret []byte, label string, seed []byte, length int) ([]byte, error) {
	labelSeed := append([]byte(label), seed...)
	out := make([]byte, length)
	switch {
	case version == VersionTLS12:
		if prfHash != crypto.SHA256 && prfHash != crypto.SHA384 {
			return nil, fmt.Errorf("tlscrypto: no TLS 1.2 PRF with hash %v", prfHash)
		}
		pHash(out, prfHash, secret, labelSeed)
	case version == VersionTLS10 || version == VersionTLS11:
		// S1 and S2 overlap by one byte when the secret's length is odd.
		half := (len(secret) + 1) / 2
		pHash(out, crypto.MD5, secret[:half], labelSeed)
		x := make([]byte, length)
		pHash(x, crypto.SHA1, secret[len(secret)-half:], labelSeed)
		for i := range out {
			out[i] ^= x[i]
		}
	default:
		return nil, fmt.Errorf("tlscrypto: no PRF for version 0x%04x", version)
	}
	return out, nil
}

// DirectionKeys are the keys one side writes with, cut from the key block.
type DirectionKeys struct {
	MACKey []byte
	Key    []byte
	IV     []byte // the AEAD's implicit nonce part, or TLS 1.0's first CBC IV
}

// KeyBlock derives the client's and the server's write keys from the master
// secret (RFC 5246, Section 6.3; RFC 2246, Section 6.3; RFC 6101, Section
// 6.2.2). The master secret
// from a key log is final: an extended master secret (RFC 7627) changes how
// it was made, not how the key block is expanded from it.
func KeyBlock(version uint16, s *Suite, master, clientRandom, serverRandom []byte) (client, server DirectionKeys, err error) {
	if s.TLS13 {
		return client, server, fmt.Errorf("tlscrypto: suite 0x%04x is TLS 1.3 only", s.ID)
	}
	macLen, keyLen, ivLen := s.macLen(), s.KeyLen, s.fixedIVLen()
	n := 2 * (macLen + keyLen + ivLen)
	var kb []byte
	if version == VersionSSL30 {
		kb = ssl3KeyBlock(master, clientRandom, serverRandom, n)
	} else {
		seed := append(append([]byte{}, serverRandom...), clientRandom...)
		if kb, err = PRF(version, s.Hash, master, "key expansion", seed, n); err != nil {
			return client, server, err
		}
	}
	take := func(m int) []byte {
		b := kb[:m:m]
		kb = kb[m:]
		return b
	}
	client.MACKey, server.MACKey = take(macLen), take(macLen)
	client.Key, server.Key = take(keyLen), take(keyLen)
	client.IV, server.IV = take(ivLen), take(ivLen)
	return client, server, nil
}

// Finished labels (RFC 5246, Section 7.4.9).
const (
	clientFinishedLabel = "client finished"
	serverFinishedLabel = "server finished"
)

// FinishedHash returns the transcript hash a TLS 1.0-1.2 Finished is
// computed over: the suite's PRF hash for TLS 1.2, MD5 and SHA-1 together
// before it (crypto.MD5SHA1, which Transcript understands).
func FinishedHash(version uint16, s *Suite) crypto.Hash {
	if version == VersionTLS12 {
		return s.Hash
	}
	return crypto.MD5SHA1
}

// FinishedVerifyData computes the 12-byte verify_data of a TLS 1.0-1.2
// Finished: PRF(master_secret, finished_label, Hash(handshake_messages))
// (RFC 5246, Section 7.4.9), where handshakeHash is that hash, made with
// FinishedHash's function over every handshake message before this
// Finished.
func FinishedVerifyData(version uint16, s *Suite, master []byte, fromClient bool, handshakeHash []byte) ([]byte, error) {
	label := serverFinishedLabel
	if fromClient {
		label = clientFinishedLabel
	}
	return PRF(version, s.Hash, master, label, handshakeHash, 12)
}
