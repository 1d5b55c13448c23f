package decode

import (
	"crypto/md5"
	"crypto/sha256"
	"encoding/hex"
	"slices"
	"strconv"
	"strings"
)

// JA3 returns the JA3 string of a ClientHello and its MD5 in hex, as
// Salesforce's definition has it: SSLVersion, Ciphers, Extensions,
// EllipticCurves and EllipticCurvePointFormats, comma-separated, each a
// '-'-joined list of decimal values in wire order, GREASE values (RFC
// 8701) left out. SSLVersion is legacy_version, not supported_versions.
func JA3(ch *ClientHello) (full string, md5hex string) {
	var b strings.Builder
	b.WriteString(strconv.Itoa(int(ch.LegacyVersion)))
	b.WriteByte(',')
	writeDecimal(&b, ch.CipherSuites)
	b.WriteByte(',')
	writeDecimal(&b, extensionTypes(ch.Extensions))
	b.WriteByte(',')
	writeDecimal(&b, ch.SupportedGroups)
	b.WriteByte(',')
	writeDecimal(&b, ch.ECPointFormats)
	full = b.String()
	sum := md5.Sum([]byte(full))
	return full, hex.EncodeToString(sum[:])
}

// JA3S returns the JA3S string of a ServerHello and its MD5 in hex:
// SSLVersion (legacy_version), Cipher, and the extensions in wire order,
// decimal, GREASE left out.
func JA3S(sh *ServerHello) (string, string) {
	var b strings.Builder
	b.WriteString(strconv.Itoa(int(sh.LegacyVersion)))
	b.WriteByte(',')
	b.WriteString(strconv.Itoa(int(sh.CipherSuite)))
	b.WriteByte(',')
	writeDecimal(&b, extensionTypes(sh.Extensions))
	full := b.String()
	sum := md5.Sum([]byte(full))
	return full, hex.EncodeToString(sum[:])
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
	ciphers := hexList(ch.CipherSuites, nil)
	slices.Sort(ciphers)
	exts := hexList(extensionTypes(ch.Extensions), func(t ExtensionType) bool {
		return t == ExtServerName || t == ExtALPN
	})
	slices.Sort(exts)
	sigs := hexList(ch.SignatureAlgorithms, nil)

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

	cipherStr := strings.Join(ciphers, ",")
	extStr := strings.Join(exts, ",")
	if len(sigs) > 0 {
		extStr += "_" + strings.Join(sigs, ",")
	}
	ja4 = a + "_" + hash12(cipherStr, len(ciphers) == 0) + "_" + hash12(extStr, len(exts) == 0)
	ja4r = a + "_" + cipherStr + "_" + extStr
	return ja4, ja4r
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
	return hex.EncodeToString(sum[:])[:12]
}

func extensionTypes(exts []Extension) []ExtensionType {
	out := make([]ExtensionType, len(exts))
	for i, e := range exts {
		out[i] = e.Type
	}
	return out
}

// writeDecimal writes the non-GREASE values '-'-joined.
func writeDecimal[T ~uint8 | ~uint16](b *strings.Builder, vs []T) {
	first := true
	for _, v := range vs {
		if IsGREASE(uint16(v)) {
			continue
		}
		if !first {
			b.WriteByte('-')
		}
		first = false
		b.WriteString(strconv.Itoa(int(v)))
	}
}

// hexList returns the non-GREASE values as 4-digit lower-case hex, without
// those skip rejects.
func hexList[T ~uint16](vs []T, skip func(T) bool) []string {
	out := make([]string, 0, len(vs))
	for _, v := range vs {
		if IsGREASE(uint16(v)) || (skip != nil && skip(v)) {
			continue
		}
		out = append(out, hex.EncodeToString([]byte{byte(v >> 8), byte(v)}))
	}
	return out
}
