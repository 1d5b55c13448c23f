package tlscrypto

import (
	"crypto"
	"errors"
	"fmt"
)

// Protocol versions as they appear on the wire (RFC 8446, Appendix B.1).
const (
	VersionSSL30 uint16 = 0x0300
	VersionTLS10 uint16 = 0x0301
	VersionTLS11 uint16 = 0x0302
	VersionTLS12 uint16 = 0x0303
	VersionTLS13 uint16 = 0x0304
)

// Cipher names the bulk cipher of a suite.
type Cipher uint8

// The bulk ciphers this package decrypts.
const (
	CipherNull             Cipher = iota // NULL
	CipherRC4                            // RC4_128
	Cipher3DESCBC                        // 3DES_EDE_CBC
	CipherAESCBC                         // AES_CBC
	CipherAESGCM                         // AES_GCM
	CipherAESCCM                         // AES_CCM
	CipherAESCCM8                        // AES_CCM_8
	CipherChaCha20Poly1305               // CHACHA20_POLY1305
)

// Suite describes what decryption needs to know of a cipher suite.
type Suite struct {
	ID     uint16
	TLS13  bool   // a TLS 1.3 suite (RFC 8446, Appendix B.4), only for TLS 1.3
	Cipher Cipher // the bulk cipher
	KeyLen int    // encryption key length in bytes
	// MAC is the HMAC hash of a MAC-then-encrypt or NULL suite (MD5, SHA1,
	// SHA256 or SHA384), 0 for AEAD suites.
	MAC crypto.Hash
	// Hash is the TLS 1.3 HKDF hash or the TLS 1.2 PRF hash (RFC 5246,
	// Section 5: SHA-256 unless the suite names SHA-384). TLS 1.0 and 1.1
	// ignore it and use MD5 and SHA-1 together (RFC 2246, Section 5).
	Hash crypto.Hash
}

// ErrUnsupportedSuite is returned, wrapped, for a cipher suite this package
// cannot decrypt: one it does not know, or one whose cipher has no
// implementation here (Camellia, ARIA, SEED, IDEA, DES, export suites).
var ErrUnsupportedSuite = errors.New("tlscrypto: unsupported cipher suite")

// LookupSuite returns the description of a cipher suite, or an error
// wrapping ErrUnsupportedSuite.
func LookupSuite(id uint16) (*Suite, error) {
	if s, ok := suites[id]; ok {
		return &s, nil
	}
	return nil, fmt.Errorf("%w 0x%04x", ErrUnsupportedSuite, id)
}

// NullMACLen is the MAC length of a TLS 1.0-1.2 suite with NULL
// encryption, whose records are their plaintext followed by the MAC; 0 for
// any other suite. Unlike LookupSuite it allocates nothing, for a caller
// that asks of every connection.
func NullMACLen(id uint16) int {
	if s, ok := suites[id]; ok && s.Cipher == CipherNull && !s.TLS13 {
		return s.macLen()
	}
	return 0
}

// IsAEAD reports whether the suite's records are AEAD-protected.
func (s *Suite) IsAEAD() bool {
	switch s.Cipher {
	case CipherAESGCM, CipherAESCCM, CipherAESCCM8, CipherChaCha20Poly1305:
		return true
	}
	return false
}

// blockSize is the CBC block size, 0 for other ciphers.
func (s *Suite) blockSize() int {
	switch s.Cipher {
	case CipherAESCBC:
		return 16
	case Cipher3DESCBC:
		return 8
	}
	return 0
}

// fixedIVLen is the length of the IV taken from the key block (RFC 5246,
// Section 6.3): the implicit part of an AEAD nonce (RFC 5288, Section 3;
// RFC 6655, Section 3; RFC 7905, Section 2), or the CBC IV that TLS 1.0
// chains from (RFC 2246, Section 6.3).
func (s *Suite) fixedIVLen() int {
	switch s.Cipher {
	case CipherAESGCM, CipherAESCCM, CipherAESCCM8:
		return 4
	case CipherChaCha20Poly1305:
		return 12
	}
	return s.blockSize()
}

func (s *Suite) macLen() int {
	if s.MAC == 0 {
		return 0
	}
	return s.MAC.Size()
}

// Shorthands for the table below.
const (
	md5    = crypto.MD5
	sha1   = crypto.SHA1
	sha256 = crypto.SHA256
	sha384 = crypto.SHA384
)

// suites lists every suite decrypted here, keyed by its IANA code point
// (TLS Cipher Suites registry). Key exchange does not matter once the master
// secret or traffic secret is known, so suites differing only in it share a
// shape.
var suites = func() map[uint16]Suite {
	m := make(map[uint16]Suite)
	add := func(c Cipher, keyLen int, mac, prf crypto.Hash, ids ...uint16) {
		for _, id := range ids {
			m[id] = Suite{ID: id, Cipher: c, KeyLen: keyLen, MAC: mac, Hash: prf}
		}
	}
	// TLS 1.3 (RFC 8446, Appendix B.4).
	for _, s := range []Suite{
		{ID: 0x1301, Cipher: CipherAESGCM, KeyLen: 16, Hash: sha256},
		{ID: 0x1302, Cipher: CipherAESGCM, KeyLen: 32, Hash: sha384},
		{ID: 0x1303, Cipher: CipherChaCha20Poly1305, KeyLen: 32, Hash: sha256},
		{ID: 0x1304, Cipher: CipherAESCCM, KeyLen: 16, Hash: sha256},
		{ID: 0x1305, Cipher: CipherAESCCM8, KeyLen: 16, Hash: sha256},
	} {
		s.TLS13 = true
		m[s.ID] = s
	}

	// AES-GCM (RFC 5288, RFC 5289, RFC 5487, RFC 8442).
	add(CipherAESGCM, 16, 0, sha256, 0x009C, 0x009E, 0x00A0, 0x00A2, 0x00A4, 0x00A6,
		0x00A8, 0x00AA, 0x00AC, 0xC02B, 0xC02D, 0xC02F, 0xC031, 0xD001)
	add(CipherAESGCM, 32, 0, sha384, 0x009D, 0x009F, 0x00A1, 0x00A3, 0x00A5, 0x00A7,
		0x00A9, 0x00AB, 0x00AD, 0xC02C, 0xC02E, 0xC030, 0xC032, 0xD002)
	// ChaCha20-Poly1305 (RFC 7905).
	add(CipherChaCha20Poly1305, 32, 0, sha256, 0xCCA8, 0xCCA9, 0xCCAA, 0xCCAB, 0xCCAC, 0xCCAD, 0xCCAE)
	// AES-CCM and CCM_8 (RFC 6655, RFC 7251, RFC 8442).
	add(CipherAESCCM, 16, 0, sha256, 0xC09C, 0xC09E, 0xC0A4, 0xC0A6, 0xC0AC, 0xD005)
	add(CipherAESCCM, 32, 0, sha256, 0xC09D, 0xC09F, 0xC0A5, 0xC0A7, 0xC0AD)
	add(CipherAESCCM8, 16, 0, sha256, 0xC0A0, 0xC0A2, 0xC0A8, 0xC0AA, 0xC0AE, 0xD003)
	add(CipherAESCCM8, 32, 0, sha256, 0xC0A1, 0xC0A3, 0xC0A9, 0xC0AB, 0xC0AF)

	// AES-CBC with HMAC-SHA1 (RFC 5246 Appendix A.5, RFC 4279, RFC 4492, RFC 5489).
	add(CipherAESCBC, 16, sha1, sha256, 0x002F, 0x0030, 0x0031, 0x0032, 0x0033, 0x0034,
		0x008C, 0x0090, 0x0094, 0xC004, 0xC009, 0xC00E, 0xC013, 0xC018, 0xC035)
	add(CipherAESCBC, 32, sha1, sha256, 0x0035, 0x0036, 0x0037, 0x0038, 0x0039, 0x003A,
		0x008D, 0x0091, 0x0095, 0xC005, 0xC00A, 0xC00F, 0xC014, 0xC019, 0xC036)
	// AES-CBC with HMAC-SHA256 and SHA384 (RFC 5246, RFC 5289, RFC 5487, RFC 5489).
	add(CipherAESCBC, 16, sha256, sha256, 0x003C, 0x003E, 0x003F, 0x0040, 0x0067, 0x006C,
		0x00AE, 0x00B2, 0x00B6, 0xC023, 0xC025, 0xC027, 0xC029, 0xC037)
	add(CipherAESCBC, 32, sha256, sha256, 0x003D, 0x0068, 0x0069, 0x006A, 0x006B, 0x006D)
	add(CipherAESCBC, 32, sha384, sha384, 0x00AF, 0x00B3, 0x00B7, 0xC024, 0xC026, 0xC028, 0xC02A, 0xC038)
	// 3DES-EDE-CBC with HMAC-SHA1.
	add(Cipher3DESCBC, 24, sha1, sha256, 0x000A, 0x000D, 0x0010, 0x0013, 0x0016, 0x001B,
		0x008B, 0x008F, 0x0093, 0xC003, 0xC008, 0xC00D, 0xC012, 0xC017, 0xC034)
	// RC4 (RFC 5246 Appendix A.5, RFC 4492), cheap with crypto/rc4 and still
	// found in old captures.
	add(CipherRC4, 16, md5, sha256, 0x0004, 0x0018)
	add(CipherRC4, 16, sha1, sha256, 0x0005, 0x008A, 0x008E, 0x0092, 0xC002, 0xC007, 0xC00C, 0xC011, 0xC016, 0xC033)
	// NULL encryption: records are read in clear, the MAC still checked.
	add(CipherNull, 0, md5, sha256, 0x0001)
	add(CipherNull, 0, sha1, sha256, 0x0002, 0x002C, 0x002D, 0x002E, 0xC001, 0xC006, 0xC00B, 0xC010, 0xC015, 0xC039)
	add(CipherNull, 0, sha256, sha256, 0x003B, 0x00B0, 0x00B4, 0x00B8, 0xC03A)
	add(CipherNull, 0, sha384, sha384, 0x00B1, 0x00B5, 0x00B9, 0xC03B)
	return m
}()
