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
// SSLv2 record framing, else the code point as "0x%04x".
func (v Version) String() string {
	switch v {
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
	if n, ok := handshakeTypeNames[t]; ok {
		return n
	}
	return unknown(uint64(t))
}

// String returns the IANA cipher suite name, else "0x%04x".
func (c CipherSuite) String() string {
	if n, ok := cipherSuiteNames[c]; ok {
		return n
	}
	return fmt.Sprintf("0x%04x", uint16(c))
}

// String returns the IANA extension name, else "unknown_N".
func (e ExtensionType) String() string {
	if n, ok := extensionTypeNames[e]; ok {
		return n
	}
	return unknown(uint64(e))
}

// String returns the IANA supported group name, else "unknown_N".
func (g NamedGroup) String() string {
	if n, ok := namedGroupNames[g]; ok {
		return n
	}
	return unknown(uint64(g))
}

// String returns the IANA signature scheme name, else "0x%04x", the form
// the registry writes its values in.
func (s SignatureScheme) String() string {
	if n, ok := signatureSchemeNames[s]; ok {
		return n
	}
	return fmt.Sprintf("0x%04x", uint16(s))
}

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
