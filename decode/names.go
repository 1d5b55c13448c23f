package decode

//go:generate go run ./internal/gen -iana internal/iana -o registry_gen.go

import (
	"fmt"
	"strconv"
)

// Alert levels (RFC 5246, Section 7.2).
const (
	AlertLevelWarning AlertLevel = 1 // warning
	AlertLevelFatal   AlertLevel = 2 // fatal
)

// IsGREASE reports whether v is one of the sixteen GREASE values of RFC
// 8701, Section 2 (0x0A0A, 0x1A1A, ... 0xFAFA), which clients send in
// cipher suites, extensions, groups, versions and signature algorithms to
// keep servers tolerant of unknown values.
func IsGREASE(v uint16) bool {
	return v&0x0f0f == 0x0a0a && v>>8 == v&0xff
}

// String returns "SSL 3.0", "TLS 1.0" ... "TLS 1.3", "SSL 2.0" for the
// SSLv2 record framing, "TLS 1.3 (draft N)" for the drafts' 0x7fNN and
// "TLS 1.3 (Facebook draft N)" for fizz's (draft.go), as Wireshark names them,
// "DTLS 1.0" ... "DTLS 1.3", GREASE values as GREASE_0x0a0a, else the
// code point as "0x%04x".
func (v Version) String() string {
	if IsGREASE(uint16(v)) {
		return grease(uint16(v))
	}
	if v>>8 == 0x7f {
		// draft-ietf-tls-tls13-NN, Section 4.2.1: "0x7f00 | draft version".
		return "TLS 1.3 (draft " + strconv.Itoa(int(v&0xff)) + ")"
	}
	if n, ok := v.TLS13Draft(); ok {
		return "TLS 1.3 (Facebook draft " + strconv.Itoa(n) + ")"
	}
	switch v {
	case 0xfeff:
		return "DTLS 1.0"
	case 0xfefd:
		return "DTLS 1.2"
	case 0xfefc:
		return "DTLS 1.3"
	case VersionSSL20:
		return "SSL 2.0"
	case VersionSSL30:
		return "SSL 3.0"
	case VersionTLS10:
		return "TLS 1.0"
	case VersionTLS11:
		return "TLS 1.1"
	case VersionTLS12:
		return "TLS 1.2"
	case VersionTLS13:
		return "TLS 1.3"
	}
	return fmt.Sprintf("0x%04x", uint16(v))
}

// String returns the RFC 8446 Section 5.1 name, else "unknown_N".
func (c ContentType) String() string {
	switch c {
	case ContentChangeCipherSpec:
		return "change_cipher_spec"
	case ContentAlert:
		return "alert"
	case ContentHandshake:
		return "handshake"
	case ContentApplicationData:
		return "application_data"
	case ContentHeartbeat:
		return "heartbeat"
	}
	return unknown(uint64(c))
}

// String returns the IANA TLS HandshakeType name, else "unknown_N".
func (t HandshakeType) String() string {
	if n := handshakeTypeNamesTable[t]; n != "" {
		return n
	}
	return unknown(uint64(t))
}

// String returns the IANA cipher suite name, GREASE_0x0a0a for the GREASE
// values, else "0x%04x".
func (c CipherSuite) String() string {
	if IsGREASE(uint16(c)) {
		return grease(uint16(c))
	}
	if n, ok := cipherSuiteNamesTable.get(uint16(c)); ok {
		return n
	}
	return fmt.Sprintf("0x%04x", uint16(c))
}

// String returns the IANA extension name (or, for the few code points
// that stacks send unregistered, the name their draft gives:
// internal/iana/vendor-extensiontypes.csv), GREASE_0x0a0a for the GREASE
// values, else "unknown_N".
func (e ExtensionType) String() string {
	if IsGREASE(uint16(e)) {
		return grease(uint16(e))
	}
	if n, ok := extensionTypeNamesTable.get(uint16(e)); ok {
		return n
	}
	return unknown(uint64(e))
}

// String returns the IANA supported group name, GREASE_0x0a0a for the
// GREASE values, else "unknown_N".
func (g NamedGroup) String() string {
	if IsGREASE(uint16(g)) {
		return grease(uint16(g))
	}
	if n, ok := namedGroupNamesTable.get(uint16(g)); ok {
		return n
	}
	return unknown(uint64(g))
}

// String returns the IANA signature scheme name, GREASE_0x0a0a for the
// GREASE values, the TLS 1.2 SignatureAndHashAlgorithm pair that the
// SignatureScheme registry reserves "for backward compatibility" as
// signature_hash from the TLS SignatureAlgorithm and HashAlgorithm
// registries (0x0303 is "ecdsa_sha224", as RFC 8446 names the pairs it
// kept: rsa_pkcs1_sha1, ecdsa_sha1), else "0x%04x", the form the registry
// writes its values in.
func (s SignatureScheme) String() string {
	if IsGREASE(uint16(s)) {
		return grease(uint16(s))
	}
	if n, ok := signatureSchemeNamesTable.get(uint16(s)); ok {
		return n
	}
	h, ok1 := hashAlgorithmNames[HashAlgorithm(s>>8)]
	sig, ok2 := signatureAlgorithmNames[SignatureAlgorithm(s&0xff)]
	if ok1 && ok2 && s < 0x0800 {
		return sig + "_" + h
	}
	return fmt.Sprintf("0x%04x", uint16(s))
}

// HashAlgorithm is the hash of a TLS 1.2 SignatureAndHashAlgorithm (RFC
// 5246, Section 7.4.1.4.1).
type HashAlgorithm uint8

// SignatureAlgorithm is the signature of a TLS 1.2
// SignatureAndHashAlgorithm (RFC 5246, Section 7.4.1.4.1).
type SignatureAlgorithm uint8

// String returns "warning" or "fatal", else "unknown_N".
func (l AlertLevel) String() string {
	switch l {
	case AlertLevelWarning:
		return "warning"
	case AlertLevelFatal:
		return "fatal"
	}
	return unknown(uint64(l))
}

// String returns the IANA alert name without a "_RESERVED" suffix (old
// peers still send decryption_failed or no_certificate), else "unknown_N".
func (d AlertDescription) String() string {
	if n, ok := alertDescriptionNames[d]; ok {
		return n
	}
	return unknown(uint64(d))
}

func unknown(v uint64) string { return "unknown_" + strconv.FormatUint(v, 10) }

// grease names a GREASE value (RFC 8701): GREASE_0x0a0a.
func grease(v uint16) string { return fmt.Sprintf("GREASE_0x%04x", v) }

// ClientCertificateType is a certificate_types entry of a
// CertificateRequest (RFC 5246, Section 7.4.4).
type ClientCertificateType uint8

// String returns the IANA name, else "unknown_N".
func (t ClientCertificateType) String() string {
	if n, ok := clientCertificateTypeNames[t]; ok {
		return n
	}
	return unknown(uint64(t))
}

// ECPointFormat is an ec_point_formats entry (RFC 8422, Section 5.1.2).
type ECPointFormat uint8

// String returns the IANA name, else "unknown_N".
func (f ECPointFormat) String() string {
	if n, ok := ecPointFormatNames[f]; ok {
		return n
	}
	return unknown(uint64(f))
}

// PSKKeyExchangeMode is a psk_key_exchange_modes entry (RFC 8446,
// Section 4.2.9).
type PSKKeyExchangeMode uint8

// String returns the IANA name, else "unknown_N".
func (m PSKKeyExchangeMode) String() string {
	if n, ok := pskKeyExchangeModeNames[m]; ok {
		return n
	}
	return unknown(uint64(m))
}

// CertificateCompressionAlgorithm is a compress_certificate entry (RFC
// 8879, Section 3).
type CertificateCompressionAlgorithm uint16

// String returns the IANA name, else "unknown_N".
func (a CertificateCompressionAlgorithm) String() string {
	if n, ok := certificateCompressionAlgorithmNames[a]; ok {
		return n
	}
	return unknown(uint64(a))
}

// CompressionMethod is a compression method of a hello (RFC 5246,
// Section 7.4.1.2; RFC 3749).
type CompressionMethod uint8

// String returns the IANA name ("NULL", "DEFLATE", "LZS"), else "unknown_N".
func (c CompressionMethod) String() string {
	if n, ok := compressionMethodNames[c]; ok {
		return n
	}
	return unknown(uint64(c))
}

// HPKEKDF is an HPKE KDF identifier (RFC 9180, Section 7.2), as an ECH
// cipher suite names it.
type HPKEKDF uint16

// String returns the IANA HPKE name ("HKDF-SHA256"), else "0x%04x".
func (k HPKEKDF) String() string {
	if n, ok := hpkeKDFNames[k]; ok {
		return n
	}
	return fmt.Sprintf("0x%04x", uint16(k))
}

// HPKEAEAD is an HPKE AEAD identifier (RFC 9180, Section 7.3).
type HPKEAEAD uint16

// String returns the IANA HPKE name ("AES-128-GCM"), else "0x%04x".
func (a HPKEAEAD) String() string {
	if n, ok := hpkeAEADNames[a]; ok {
		return n
	}
	return fmt.Sprintf("0x%04x", uint16(a))
}

// CertificateStatusType is the status_type of status_request and of a
// CertificateStatus message (RFC 6066, Section 8; RFC 6961, Section 2.2).
type CertificateStatusType uint8

// Certificate status types.
const (
	StatusTypeOCSP      CertificateStatusType = 1 // ocsp
	StatusTypeOCSPMulti CertificateStatusType = 2 // ocsp_multi
)

// String returns "ocsp" or "ocsp_multi", else "unknown_N".
func (t CertificateStatusType) String() string {
	switch t {
	case StatusTypeOCSP:
		return "ocsp"
	case StatusTypeOCSPMulti:
		return "ocsp_multi"
	}
	return unknown(uint64(t))
}

// The names of the 16-bit registries a report writes for every hello
// (suites, extensions, groups, signature schemes) are looked up in pages
// of 256, one per high byte in use: a map's hashing was a tenth of
// encoding a handshake-heavy capture's JSON (issue 18).
var (
	cipherSuiteNamesTable     = newTable16(cipherSuiteNames)
	extensionTypeNamesTable   = newTable16(extensionTypeNames)
	namedGroupNamesTable      = newTable16(namedGroupNames)
	signatureSchemeNamesTable = newTable16(signatureSchemeNames)
)

// handshakeTypeNamesTable names the handshake types by index, "" for
// none: flows names every message of a ladder, and the map's hashing was
// 2.5% of its cost for a TLS 1.2 handshake.
var handshakeTypeNamesTable = func() (a [256]string) {
	for t, name := range handshakeTypeNames {
		a[t] = name
	}
	return a
}()

// table16 maps 16-bit code points to names: "" is no name.
type table16 [256]*[256]string

func newTable16[K ~uint16](m map[K]string) *table16 {
	t := new(table16)
	for k, name := range m {
		hi, lo := uint16(k)>>8, uint16(k)&0xff
		if t[hi] == nil {
			t[hi] = new([256]string)
		}
		t[hi][lo] = name
	}
	return t
}

func (t *table16) get(v uint16) (string, bool) {
	if p := t[v>>8]; p != nil && p[v&0xff] != "" {
		return p[v&0xff], true
	}
	return "", false
}
