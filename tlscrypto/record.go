package tlscrypto

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/des"
	"crypto/hmac"
	"crypto/rc4"
	"encoding/binary"
	"errors"
	"fmt"
	"hash"

	"golang.org/x/crypto/chacha20poly1305"
)

// Errors a record can fail with; compare with errors.Is. The wrapped
// message says which check failed.
var (
	// ErrBadRecordMAC: the AEAD tag, the MAC or the CBC padding did not
	// verify, or the record is too short to hold them (RFC 5246, Section
	// 7.2.2; RFC 8446, Section 5.2). The caller reports bad_record_mac.
	ErrBadRecordMAC = errors.New("tlscrypto: bad record MAC")
	// ErrRecordOverflow: the ciphertext or the plaintext is longer than the
	// version allows (RFC 5246, Section 6.2; RFC 8446, Section 5.2).
	ErrRecordOverflow = errors.New("tlscrypto: record overflow")
	// ErrUnexpectedRecord: a TLS 1.3 protected record whose outer type is
	// not application_data, or whose plaintext has no non-zero content
	// type (RFC 8446, Section 5.4).
	ErrUnexpectedRecord = errors.New("tlscrypto: unexpected record")
)

// Record layer constants (RFC 5246, Section 6.2; RFC 8446, Section 5).
const (
	recordHeaderLen        = 5
	maxPlaintext           = 1 << 14
	maxCiphertext12        = maxPlaintext + 2048
	contentApplicationData = 23
	explicitNonceLen       = 8 // RFC 5288, Section 3; RFC 6655, Section 3
)

// Decrypter decrypts the records one side of a connection writes, in order:
// it holds that direction's keys and sequence number (and TLS 1.0's chained
// CBC IV, or RC4's key stream). It is plain state for one goroutine.
type Decrypter struct {
	version uint16
	suite   *Suite
	seq     uint64

	aead    cipher.AEAD
	fixedIV []byte // TLS 1.3 and ChaCha20: the whole nonce mask; GCM, CCM: the salt

	block  cipher.Block  // CBC
	iv     []byte        // TLS 1.0's next CBC IV
	stream cipher.Stream // RC4
	mac    hash.Hash     // HMAC with the MAC key
	// ssl3MACKey is SSL 3.0's MAC secret, which its own MAC construction
	// takes in place of HMAC (RFC 6101, Section 5.2.3.1).
	ssl3MACKey []byte
	etm        bool // encrypt_then_mac (RFC 7366)

	secret []byte // TLS 1.3 traffic secret, for KeyUpdate

	// nonceBuf holds the nonce of the record being opened: a slice of a
	// local array would escape through the AEAD's interface, an
	// allocation per record.
	nonceBuf [tls13IVLen]byte
}

// NewTLS13Decrypter returns a Decrypter for records protected with a TLS 1.3
// traffic secret (client_early, handshake or application; RFC 8446, Section
// 7.3), from sequence number 0.
func NewTLS13Decrypter(s *Suite, trafficSecret []byte) (*Decrypter, error) {
	if !s.TLS13 {
		return nil, fmt.Errorf("tlscrypto: suite 0x%04x is not a TLS 1.3 suite", s.ID)
	}
	if len(trafficSecret) != s.Hash.Size() {
		return nil, fmt.Errorf("tlscrypto: traffic secret of %d bytes, suite 0x%04x needs %d",
			len(trafficSecret), s.ID, s.Hash.Size())
	}
	d := &Decrypter{version: VersionTLS13, suite: s}
	if err := d.setSecret(trafficSecret); err != nil {
		return nil, err
	}
	return d, nil
}

func (d *Decrypter) setSecret(secret []byte) error {
	key, iv := TrafficKeys(d.suite, secret)
	aead, err := newAEAD(d.suite, key)
	if err != nil {
		return err
	}
	d.aead, d.fixedIV, d.secret, d.seq = aead, iv, secret, 0
	return nil
}

// KeyUpdate moves a TLS 1.3 Decrypter to the next generation of its traffic
// secret, sequence number 0 (RFC 8446, Section 4.6.3 and 7.2): call it after
// the record that carried the sender's KeyUpdate.
func (d *Decrypter) KeyUpdate() error {
	if d.version != VersionTLS13 {
		return errors.New("tlscrypto: KeyUpdate is TLS 1.3 only")
	}
	return d.setSecret(NextTrafficSecret(d.suite.Hash, d.secret))
}

// NewDecrypter returns a Decrypter for an SSL 3.0, TLS 1.0, 1.1 or 1.2 direction,
// given its keys from KeyBlock, from sequence number 0. encryptThenMAC is
// whether both hellos carried encrypt_then_mac (RFC 7366); it matters for
// CBC suites only.
func NewDecrypter(version uint16, s *Suite, keys DirectionKeys, encryptThenMAC bool) (*Decrypter, error) {
	if s.TLS13 {
		return nil, fmt.Errorf("tlscrypto: suite 0x%04x is TLS 1.3 only", s.ID)
	}
	if version < VersionSSL30 || version > VersionTLS12 || (version == VersionSSL30 && s.IsAEAD()) {
		return nil, fmt.Errorf("tlscrypto: no record protection for version 0x%04x", version)
	}
	if len(keys.Key) != s.KeyLen || len(keys.MACKey) != s.macLen() || len(keys.IV) != s.fixedIVLen() {
		return nil, fmt.Errorf("tlscrypto: keys do not fit suite 0x%04x", s.ID)
	}
	d := &Decrypter{version: version, suite: s}
	switch {
	case version == VersionSSL30:
		d.ssl3MACKey = keys.MACKey
	case s.MAC != 0:
		d.mac = hmac.New(s.MAC.New, keys.MACKey)
	}
	var err error
	switch s.Cipher {
	case CipherNull:
	case CipherRC4:
		d.stream, err = rc4.NewCipher(keys.Key)
	case CipherAESCBC:
		d.block, err = aes.NewCipher(keys.Key)
	case Cipher3DESCBC:
		d.block, err = des.NewTripleDESCipher(keys.Key)
	default:
		d.aead, err = newAEAD(s, keys.Key)
		d.fixedIV = keys.IV
	}
	if err != nil {
		return nil, err
	}
	if d.block != nil {
		d.etm = encryptThenMAC && version != VersionSSL30
		if version <= VersionTLS10 {
			d.iv = append([]byte(nil), keys.IV...)
		}
	}
	return d, nil
}

func newAEAD(s *Suite, key []byte) (cipher.AEAD, error) {
	switch s.Cipher {
	case CipherChaCha20Poly1305:
		return chacha20poly1305.New(key)
	case CipherAESGCM, CipherAESCCM, CipherAESCCM8:
		b, err := aes.NewCipher(key)
		if err != nil {
			return nil, err
		}
		switch s.Cipher {
		case CipherAESGCM:
			return cipher.NewGCM(b)
		case CipherAESCCM:
			return newCCM(b, 12, 16)
		default:
			return newCCM(b, 12, 8)
		}
	}
	return nil, fmt.Errorf("tlscrypto: suite 0x%04x is not AEAD", s.ID)
}

// Seq is the sequence number of the next record.
func (d *Decrypter) Seq() uint64 { return d.seq }

// Decrypt decrypts and authenticates one record: header is its 5-byte header
// and fragment the length bytes after it. It returns the plaintext (newly
// allocated; fragment is left as it was) and the content type: for TLS 1.3
// the inner one, padding stripped (RFC 8446, Section 5.4), otherwise the
// header's. The sequence number moves on only when a record decrypts; after
// an error the direction cannot be decrypted further, as the peer would
// have closed it.
func (d *Decrypter) Decrypt(header, fragment []byte) (plaintext []byte, contentType uint8, err error) {
	if len(header) != recordHeaderLen || int(binary.BigEndian.Uint16(header[3:])) != len(fragment) {
		return nil, 0, errors.New("tlscrypto: record header does not match the fragment")
	}
	if d.version == VersionTLS13 {
		plaintext, contentType, err = d.decrypt13(header, fragment)
	} else {
		plaintext, err = d.decrypt12(header, fragment)
		contentType = header[0]
	}
	if err != nil {
		return nil, 0, err
	}
	d.seq++
	return plaintext, contentType, nil
}

// nonce is the per-record nonce of RFC 8446, Section 5.3, also used by
// ChaCha20-Poly1305 in TLS 1.2 (RFC 7905, Section 2): the sequence number,
// left-padded to the IV's length, XOR the IV.
func (d *Decrypter) nonce() []byte {
	n := append(d.nonceBuf[:0], d.fixedIV...)
	for i := 0; i < 8; i++ {
		n[len(n)-1-i] ^= byte(d.seq >> (8 * i))
	}
	return n
}

func (d *Decrypter) decrypt13(header, fragment []byte) ([]byte, uint8, error) {
	// RFC 8446, Section 5.2: protected records are always application_data
	// on the outside.
	if header[0] != contentApplicationData {
		return nil, 0, fmt.Errorf("%w: outer content type %d", ErrUnexpectedRecord, header[0])
	}
	if len(fragment) > tls13MaxCiphertextLength {
		return nil, 0, fmt.Errorf("%w: %d bytes of ciphertext", ErrRecordOverflow, len(fragment))
	}
	// The additional data is the record header (RFC 8446, Section 5.2).
	inner, err := d.aead.Open(nil, d.nonce(), fragment, header)
	if err != nil {
		return nil, 0, fmt.Errorf("%w: %v", ErrBadRecordMAC, err)
	}
	// RFC 8446, Section 5.4: the content type is the last non-zero byte;
	// zeros after it are padding.
	i := len(inner) - 1
	for i >= 0 && inner[i] == 0 {
		i--
	}
	if i < 0 {
		return nil, 0, fmt.Errorf("%w: no content type in the plaintext", ErrUnexpectedRecord)
	}
	if i > maxPlaintext {
		return nil, 0, fmt.Errorf("%w: %d bytes of plaintext", ErrRecordOverflow, i)
	}
	return inner[:i], inner[i], nil
}

// additionalData is the MAC and AEAD input before the content: seq_num,
// type, version, length (RFC 5246, Sections 6.2.3.1 and 6.2.3.3).
func (d *Decrypter) additionalData(header []byte, length int) []byte {
	ad := binary.BigEndian.AppendUint64(make([]byte, 0, 13), d.seq)
	ad = append(ad, header[:3]...)
	return binary.BigEndian.AppendUint16(ad, uint16(length))
}

func (d *Decrypter) decrypt12(header, fragment []byte) ([]byte, error) {
	if len(fragment) > maxCiphertext12 {
		return nil, fmt.Errorf("%w: %d bytes of ciphertext", ErrRecordOverflow, len(fragment))
	}
	var plain []byte
	var err error
	switch {
	case d.aead != nil:
		plain, err = d.openAEAD(header, fragment)
	case d.block != nil && d.etm:
		plain, err = d.openEncryptThenMAC(header, fragment)
	case d.block != nil:
		plain, err = d.openCBC(header, fragment)
	default:
		plain, err = d.openStream(header, fragment)
	}
	if err != nil {
		return nil, err
	}
	if len(plain) > maxPlaintext {
		return nil, fmt.Errorf("%w: %d bytes of plaintext", ErrRecordOverflow, len(plain))
	}
	return plain, nil
}

func (d *Decrypter) openAEAD(header, fragment []byte) ([]byte, error) {
	var nonce []byte
	if d.suite.Cipher == CipherChaCha20Poly1305 {
		nonce = d.nonce()
	} else {
		// GCM and CCM: salt from the key block, then the record's explicit
		// 8-byte nonce (RFC 5288, Section 3; RFC 6655, Section 3).
		if len(fragment) < explicitNonceLen {
			return nil, fmt.Errorf("%w: no explicit nonce", ErrBadRecordMAC)
		}
		nonce = append(append([]byte(nil), d.fixedIV...), fragment[:explicitNonceLen]...)
		fragment = fragment[explicitNonceLen:]
	}
	if len(fragment) < d.aead.Overhead() {
		return nil, fmt.Errorf("%w: record shorter than the tag", ErrBadRecordMAC)
	}
	ad := d.additionalData(header, len(fragment)-d.aead.Overhead())
	plain, err := d.aead.Open(nil, nonce, fragment, ad)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadRecordMAC, err)
	}
	return plain, nil
}

// checkMAC verifies the HMAC over the additional data and content.
func (d *Decrypter) checkMAC(header, content, mac []byte) error {
	if d.version == VersionSSL30 {
		return d.ssl3CheckMAC(header, content, mac)
	}
	d.mac.Reset()
	d.mac.Write(d.additionalData(header, len(content)))
	d.mac.Write(content)
	if !hmac.Equal(d.mac.Sum(nil), mac) {
		return fmt.Errorf("%w: MAC mismatch", ErrBadRecordMAC)
	}
	return nil
}

// openStream handles NULL and RC4 suites: content then MAC, no padding.
func (d *Decrypter) openStream(header, fragment []byte) ([]byte, error) {
	buf := append([]byte(nil), fragment...)
	if d.stream != nil {
		d.stream.XORKeyStream(buf, buf)
	}
	macLen := d.suite.macLen()
	if len(buf) < macLen {
		return nil, fmt.Errorf("%w: record shorter than the MAC", ErrBadRecordMAC)
	}
	content, mac := buf[:len(buf)-macLen], buf[len(buf)-macLen:]
	if err := d.checkMAC(header, content, mac); err != nil {
		return nil, err
	}
	return content, nil
}

// decryptCBC decrypts whole blocks: after an explicit IV for TLS 1.1 and
// 1.2 (RFC 4346, Section 6.2.3.2), or chained from the previous record for
// TLS 1.0 (RFC 2246, Section 6.2.3.2). It then removes and checks the
// padding: padding_length+1 bytes all equal to padding_length.
func (d *Decrypter) decryptCBC(ct []byte) ([]byte, error) {
	bs := d.block.BlockSize()
	var iv []byte
	if d.version <= VersionTLS10 {
		iv = d.iv
	} else {
		if len(ct) < bs {
			return nil, fmt.Errorf("%w: no explicit IV", ErrBadRecordMAC)
		}
		iv, ct = ct[:bs], ct[bs:]
	}
	if len(ct) == 0 || len(ct)%bs != 0 {
		return nil, fmt.Errorf("%w: ciphertext of %d bytes is not whole blocks", ErrBadRecordMAC, len(ct))
	}
	plain := make([]byte, len(ct))
	cipher.NewCBCDecrypter(d.block, iv).CryptBlocks(plain, ct)
	if d.version <= VersionTLS10 {
		d.iv = append(d.iv[:0], ct[len(ct)-bs:]...)
	}
	padLen := int(plain[len(plain)-1])
	if padLen+1 > len(plain) {
		return nil, fmt.Errorf("%w: padding longer than the record", ErrBadRecordMAC)
	}
	if d.version == VersionSSL30 {
		// SSL 3.0's padding bytes are arbitrary, and less than a block
		// (RFC 6101, Section 5.2.3.2).
		if padLen >= bs {
			return nil, fmt.Errorf("%w: padding of %d bytes", ErrBadRecordMAC, padLen)
		}
		return plain[:len(plain)-1-padLen], nil
	}
	for _, b := range plain[len(plain)-1-padLen:] {
		if int(b) != padLen {
			return nil, fmt.Errorf("%w: bad padding", ErrBadRecordMAC)
		}
	}
	return plain[:len(plain)-1-padLen], nil
}

// openCBC is MAC-then-encrypt: the MAC covers the content and is encrypted
// with it (RFC 5246, Section 6.2.3.2).
func (d *Decrypter) openCBC(header, fragment []byte) ([]byte, error) {
	plain, err := d.decryptCBC(fragment)
	if err != nil {
		return nil, err
	}
	macLen := d.suite.macLen()
	if len(plain) < macLen {
		return nil, fmt.Errorf("%w: record shorter than the MAC", ErrBadRecordMAC)
	}
	content, mac := plain[:len(plain)-macLen], plain[len(plain)-macLen:]
	if err := d.checkMAC(header, content, mac); err != nil {
		return nil, err
	}
	return content, nil
}

// openEncryptThenMAC checks the MAC over the IV and ciphertext before
// decrypting (RFC 7366, Section 3).
func (d *Decrypter) openEncryptThenMAC(header, fragment []byte) ([]byte, error) {
	macLen := d.suite.macLen()
	if len(fragment) < macLen {
		return nil, fmt.Errorf("%w: record shorter than the MAC", ErrBadRecordMAC)
	}
	ct, mac := fragment[:len(fragment)-macLen], fragment[len(fragment)-macLen:]
	if err := d.checkMAC(header, ct, mac); err != nil {
		return nil, err
	}
	return d.decryptCBC(ct)
}
