package decode

import (
	"crypto/md5"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"slices"
	"strconv"
)

// JA3 returns the JA3 string of a ClientHello and its MD5 in hex, as
// Salesforce's definition has it: SSLVersion, Ciphers, Extensions,
// EllipticCurves and EllipticCurvePointFormats, comma-separated, each a
// '-'-joined list of decimal values in wire order, GREASE values (RFC
// 8701) left out. SSLVersion is legacy_version, not supported_versions.
func JA3(ch *ClientHello) (full string, md5hex string) {
	b := make([]byte, 0, 256)
	b = strconv.AppendUint(b, uint64(ch.LegacyVersion), 10)
	b = append(b, ',')
	b = appendDecimal(b, ch.CipherSuites)
	b = append(b, ',')
	b = appendExtensionsDecimal(b, ch.Extensions)
	b = append(b, ',')
	b = appendDecimal(b, ch.SupportedGroups)
	b = append(b, ',')
	b = appendDecimal(b, ch.ECPointFormats)
	sum := md5.Sum(b)
	return string(b), hex.EncodeToString(sum[:])
}

// JA3S returns the JA3S string of a ServerHello and its MD5 in hex:
// SSLVersion (legacy_version), Cipher, and the extensions in wire order,
// decimal, GREASE left out.
func JA3S(sh *ServerHello) (string, string) {
	b := make([]byte, 0, 64)
	b = strconv.AppendUint(b, uint64(sh.LegacyVersion), 10)
	b = append(b, ',')
	b = strconv.AppendUint(b, uint64(sh.CipherSuite), 10)
	b = append(b, ',')
	b = appendExtensionsDecimal(b, sh.Extensions)
	sum := md5.Sum(b)
	return string(b), hex.EncodeToString(sum[:])
}

// JA4 returns the JA4 fingerprint of a ClientHello and its raw form JA4_r,
// following FoxIO's JA4 specification (the BSD-licensed JA4 part of JA4+):
//
//	a: transport ('t' TCP, 'q' QUIC), version, 'd' with SNI else 'i',
//	   cipher count and extension count (two digits, capped at 99, GREASE
//	   not counted, SNI and ALPN counted), first and last character of the
//	   first ALPN value ("00" without ALPN)
//	b: sha256 of the sorted 4-digit hex cipher list, first 12 hex digits
//	c: sha256 of the sorted hex extension list without SNI (0000) and ALPN
//	   (0010), then '_' and the signature algorithms in wire order (no '_'
//	   when there are none), first 12 hex digits
//
// An empty list hashes to "000000000000". JA4_r shows the lists instead of
// their hashes.
func JA4(ch *ClientHello, transport byte) (ja4 string, ja4r string) {
	// Fixed-width lower-case hex sorts as the numbers do, so the lists are
	// sorted as numbers and written as hex once.
	ciphers := make([]uint16, 0, len(ch.CipherSuites))
	for _, c := range ch.CipherSuites {
		if !IsGREASE(uint16(c)) {
			ciphers = append(ciphers, uint16(c))
		}
	}
	slices.Sort(ciphers)
	exts := make([]uint16, 0, len(ch.Extensions))
	for _, e := range ch.Extensions {
		if !IsGREASE(uint16(e.Type)) && e.Type != ExtServerName && e.Type != ExtALPN {
			exts = append(exts, uint16(e.Type))
		}
	}
	slices.Sort(exts)
	sigs := make([]uint16, 0, len(ch.SignatureAlgorithms))
	for _, a := range ch.SignatureAlgorithms {
		if !IsGREASE(uint16(a)) {
			sigs = append(sigs, uint16(a))
		}
	}

	sni := byte('i')
	for _, e := range ch.Extensions {
		if e.Type == ExtServerName {
			sni = 'd'
		}
	}
	nExt := 0
	for _, e := range ch.Extensions {
		if !IsGREASE(uint16(e.Type)) {
			nExt++
		}
	}
	a := string(transport) + ja4Version(ch) + string(sni) + count2(len(ciphers)) + count2(nExt) + ja4ALPN(ch.ALPN)

	cipherStr := string(appendHexList(nil, ciphers))
	extB := appendHexList(make([]byte, 0, 5*(len(exts)+len(sigs))+1), exts)
	if len(sigs) > 0 {
		extB = appendHexList(append(extB, '_'), sigs)
	}
	extStr := string(extB)
	ja4 = a + "_" + hash12(cipherStr, len(ciphers) == 0) + "_" + hash12(extStr, len(exts) == 0)
	ja4r = a + "_" + cipherStr + "_" + extStr
	return ja4, ja4r
}

// AppendFingerprintKey appends all that JA3 and JA4 read of a
// ClientHello, each list after its length: hellos that append the same
// bytes have the same fingerprints, which a report writer may then keep
// for the hellos of a stack that repeats itself.
func AppendFingerprintKey(b []byte, ch *ClientHello) []byte {
	b = binary.BigEndian.AppendUint16(b, uint16(ch.LegacyVersion))
	b = appendKeyList(b, ch.CipherSuites)
	b = appendKeyExtensions(b, ch.Extensions)
	b = appendKeyList(b, ch.SupportedGroups)
	b = appendKeyList(b, ch.ECPointFormats)
	b = appendKeyList(b, ch.SupportedVersions)
	b = appendKeyList(b, ch.SignatureAlgorithms)
	var alpn string // ja4ALPN reads the first value
	if len(ch.ALPN) > 0 {
		alpn = ch.ALPN[0]
	}
	b = binary.AppendUvarint(b, uint64(len(alpn)))
	return append(b, alpn...)
}

// AppendJA3SKey is AppendFingerprintKey for JA3S.
func AppendJA3SKey(b []byte, sh *ServerHello) []byte {
	b = binary.BigEndian.AppendUint16(b, uint16(sh.LegacyVersion))
	b = binary.BigEndian.AppendUint16(b, uint16(sh.CipherSuite))
	return appendKeyExtensions(b, sh.Extensions)
}

// appendKeyExtensions is appendKeyList of the extension types.
func appendKeyExtensions(b []byte, exts []Extension) []byte {
	b = binary.AppendUvarint(b, uint64(len(exts)))
	for _, e := range exts {
		b = binary.BigEndian.AppendUint16(b, uint16(e.Type))
	}
	return b
}

func appendKeyList[T ~uint8 | ~uint16](b []byte, vs []T) []byte {
	b = binary.AppendUvarint(b, uint64(len(vs)))
	for _, v := range vs {
		b = binary.BigEndian.AppendUint16(b, uint16(v))
	}
	return b
}

// ja4Version maps the highest offered version to JA4's two characters.
func ja4Version(ch *ClientHello) string {
	switch ch.MaxVersion() {
	case VersionTLS13:
		return "13"
	case VersionTLS12:
		return "12"
	case VersionTLS11:
		return "11"
	case VersionTLS10:
		return "10"
	case VersionSSL30:
		return "s3"
	case VersionSSL20:
		return "s2"
	case 0xfeff:
		return "d1"
	case 0xfefd:
		return "d2"
	case 0xfefc:
		return "d3"
	}
	return "00"
}

// ja4ALPN is the first and last character of the first ALPN value, or,
// when either is not an ASCII letter or digit, the first and last
// character of the value's hex form.
func ja4ALPN(alpn []string) string {
	if len(alpn) == 0 || alpn[0] == "" {
		return "00"
	}
	v := alpn[0]
	first, last := v[0], v[len(v)-1]
	if isAlnum(first) && isAlnum(last) {
		return string([]byte{first, last})
	}
	h := hex.EncodeToString([]byte(v))
	return string([]byte{h[0], h[len(h)-1]})
}

func isAlnum(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

func count2(n int) string {
	n = min(n, 99)
	return string([]byte{byte('0' + n/10), byte('0' + n%10)})
}

func hash12(s string, empty bool) string {
	if empty {
		return "000000000000"
	}
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:6])
}

// appendDecimal appends the non-GREASE values, decimal, '-'-joined.
func appendDecimal[T ~uint8 | ~uint16](b []byte, vs []T) []byte {
	first := true
	for _, v := range vs {
		if IsGREASE(uint16(v)) {
			continue
		}
		if !first {
			b = append(b, '-')
		}
		first = false
		b = strconv.AppendUint(b, uint64(v), 10)
	}
	return b
}

// appendExtensionsDecimal is appendDecimal of the extension types.
func appendExtensionsDecimal(b []byte, exts []Extension) []byte {
	var buf [64]uint16 // room for any real hello: no allocation
	types := buf[:0]
	for _, e := range exts {
		types = append(types, uint16(e.Type))
	}
	return appendDecimal(b, types)
}

// appendHexList appends the values as 4-digit lower-case hex, ','-joined.
func appendHexList(b []byte, vs []uint16) []byte {
	const digits = "0123456789abcdef"
	for i, v := range vs {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, digits[v>>12], digits[v>>8&0xf], digits[v>>4&0xf], digits[v&0xf])
	}
	return b
}
