package decode

import (
	"crypto/x509/pkix"
	"errors"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/crypto/cryptobyte"
)

func TestClientHelloTLS12Fixture(t *testing.T) {
	ch := messageOf[*ClientHello](t, mustDecode(t, fixture{"tls12_full.client", true}))
	if ch.LegacyVersion != VersionTLS12 || ch.MaxVersion() != VersionTLS12 {
		t.Errorf("versions %s / %s, want TLS 1.2", ch.LegacyVersion, ch.MaxVersion())
	}
	if ch.ServerName != "server.example" {
		t.Errorf("ServerName = %q", ch.ServerName)
	}
	if d := cmp.Diff([]string{"h2", "http/1.1"}, ch.ALPN); d != "" {
		t.Errorf("ALPN:\n%s", d)
	}
	// The configured suites, in order (crypto/tls adds no SCSV).
	if d := cmp.Diff([]CipherSuite{0xc02f, 0xc030}, ch.CipherSuites); d != "" {
		t.Errorf("CipherSuites:\n%s", d)
	}
	if d := cmp.Diff([]CompressionMethod{0}, ch.CompressionMethods); d != "" {
		t.Errorf("CompressionMethods:\n%s", d)
	}
	if !ch.StatusRequest || !ch.SessionTicket || ch.SessionTicketLength != 0 ||
		!ch.ExtendedMasterSecret || !ch.RenegotiationInfo {
		t.Errorf("flags: status %v ticket %v/%d ems %v reneg %v", ch.StatusRequest, ch.SessionTicket,
			ch.SessionTicketLength, ch.ExtendedMasterSecret, ch.RenegotiationInfo)
	}
	// crypto/tls still sends supported_versions (TLS 1.2 only) and an
	// empty key_share list when capped at TLS 1.2.
	if d := cmp.Diff([]Version{VersionTLS12}, ch.SupportedVersions); d != "" || len(ch.KeyShares) != 0 || ch.PreSharedKey {
		t.Errorf("SupportedVersions %v, KeyShares %v, PreSharedKey %v", ch.SupportedVersions, ch.KeyShares, ch.PreSharedKey)
	}
	if !slices.Contains(ch.SupportedGroups, 29) || !slices.Contains(ch.SignatureAlgorithms, 0x0804) {
		t.Errorf("groups %v, sigalgs %v", ch.SupportedGroups, ch.SignatureAlgorithms)
	}
	if len(ch.SessionID) != 32 {
		t.Errorf("SessionID length %d", len(ch.SessionID))
	}
	// The extension list is the wire order and covers the whole block.
	if ch.Extensions[0].Type != ExtServerName || ch.Extensions[0].Length != 2+1+2+len("server.example") {
		t.Errorf("first extension %+v", ch.Extensions[0])
	}
}

func TestClientHelloResumptionFixture(t *testing.T) {
	ch := messageOf[*ClientHello](t, mustDecode(t, fixture{"tls12_resumed.client", true}))
	if !ch.SessionTicket || ch.SessionTicketLength == 0 {
		t.Errorf("resumption hello: SessionTicket %v, length %d", ch.SessionTicket, ch.SessionTicketLength)
	}
}

func TestClientHelloTLS13Fixture(t *testing.T) {
	evs := mustDecode(t, fixture{"tls13_full.client", false})
	ch := messageOf[*ClientHello](t, evs)
	if ch.MaxVersion() != VersionTLS13 || ch.LegacyVersion != VersionTLS12 {
		t.Errorf("MaxVersion %s, legacy %s", ch.MaxVersion(), ch.LegacyVersion)
	}
	if d := cmp.Diff([]Version{VersionTLS13, VersionTLS12}, ch.SupportedVersions); d != "" {
		t.Errorf("SupportedVersions:\n%s", d)
	}
	// crypto/tls shares the hybrid X25519MLKEM768 (1216 bytes) and X25519.
	if d := cmp.Diff([]KeyShare{{4588, 1216}, {29, 32}}, ch.KeyShares); d != "" {
		t.Errorf("KeyShares:\n%s", d)
	}
	if !slices.Contains(ch.CipherSuites, 0x1301) {
		t.Errorf("no TLS_AES_128_GCM_SHA256 in %v", ch.CipherSuites)
	}
}

func TestClientHelloOpenSSLFixture(t *testing.T) {
	ch := messageOf[*ClientHello](t, mustDecode(t, fixture{"openssl_clienthello.client", false}))
	if ch.ServerName != "www.example.org" || ch.MaxVersion() != VersionTLS13 {
		t.Errorf("ServerName %q, MaxVersion %s", ch.ServerName, ch.MaxVersion())
	}
	if d := cmp.Diff([]string{"h2", "http/1.1"}, ch.ALPN); d != "" {
		t.Errorf("ALPN:\n%s", d)
	}
	// OpenSSL 3.0 offers these and crypto/tls does not.
	if !ch.EncryptThenMAC || ch.ECPointFormats == nil || !slices.Contains(ch.CipherSuites, 0x00ff) {
		t.Errorf("etm %v, point formats %v, suites %v", ch.EncryptThenMAC, ch.ECPointFormats, ch.CipherSuites)
	}
}

func TestClientHelloMaxVersion(t *testing.T) {
	tests := []struct {
		legacy Version
		sv     []Version
		want   Version
	}{
		{VersionTLS12, nil, VersionTLS12},
		{VersionTLS10, nil, VersionTLS10},
		{VersionTLS12, []Version{0x7a7a, VersionTLS13, VersionTLS12}, VersionTLS13},
		{VersionTLS12, []Version{VersionTLS12, VersionTLS13}, VersionTLS13},
		{VersionTLS12, []Version{0xfafa}, VersionTLS12},
		// DTLS counts down: 1.3 (0xfefc) is later than 1.2 (0xfefd).
		{0xfefd, []Version{0xfefd, 0xfefc}, 0xfefc},
		{0xfefd, []Version{0xfefc, 0xfefd, 0x1a1a}, 0xfefc},
	}
	for _, tt := range tests {
		ch := &ClientHello{LegacyVersion: tt.legacy, SupportedVersions: tt.sv}
		if got := ch.MaxVersion(); got != tt.want {
			t.Errorf("%s %v: MaxVersion %s, want %s", tt.legacy, tt.sv, got, tt.want)
		}
	}
}

// ext is one extension for buildClientHello.
type ext struct {
	typ  uint16
	data []byte
}

// buildClientHello builds a TLS 1.2 ClientHello body with the given
// extensions; nil exts means no extension block at all.
func buildClientHello(exts []ext) []byte {
	var b cryptobyte.Builder
	b.AddUint16(0x0303)
	b.AddBytes(make([]byte, 32))
	b.AddUint8LengthPrefixed(func(b *cryptobyte.Builder) {})
	b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) { b.AddUint16(0xc02f) })
	b.AddUint8LengthPrefixed(func(b *cryptobyte.Builder) { b.AddUint8(0) })
	if exts != nil {
		b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) {
			for _, e := range exts {
				b.AddUint16(e.typ)
				b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes(e.data) })
			}
		})
	}
	return b.BytesOrPanic()
}

// u16 and friends write vectors for extension bodies.
func u16(v ...uint16) []byte {
	var out []byte
	for _, x := range v {
		out = append(out, byte(x>>8), byte(x))
	}
	return out
}

func pre16(b []byte) []byte { return append(u16(uint16(len(b))), b...) }
func pre8(b []byte) []byte  { return append([]byte{byte(len(b))}, b...) }

func TestClientHelloExtensions(t *testing.T) {
	sni := pre16(cat([]byte{0}, pre16([]byte("a.example"))))
	psk := cat(pre16(cat(pre16([]byte("id")), []byte{0, 0, 0, 1})), pre16(pre8(make([]byte, 32))))
	ch, err := parseClientHello(buildClientHello([]ext{
		{0x0a0a, nil}, // GREASE, kept in order
		{uint16(ExtServerName), sni},
		{uint16(ExtSupportedGroups), pre16(u16(0x1a1a, 29, 23))},
		{uint16(ExtKeyShare), pre16(cat(u16(29), pre16(make([]byte, 32))))},
		{uint16(ExtSupportedVersions), pre8(u16(0x2a2a, 0x0304, 0x0303))},
		{uint16(ExtCookie), pre16([]byte{1, 2})},
		{uint16(ExtEarlyData), nil},
		{uint16(ExtPostHandshakeAuth), nil},
		{uint16(ExtSignatureAlgorithmsCert), pre16(u16(0x0403))},
		{uint16(ExtPadding), make([]byte, 7)},
		{0x1234, []byte{1, 2, 3}}, // unknown: kept as type and length
		{uint16(ExtRecordSizeLimit), u16(16385)},
		{uint16(ExtMaxFragmentLength), []byte{4}},
		{uint16(ExtCompressCertificate), pre8(u16(2, 1))},
		{uint16(ExtCertificateAuthorities), pre16(pre16(derName(t, pkix.Name{CommonName: "Root"})))},
		{uint16(ExtEncryptedClientHello), cat([]byte{0}, u16(1, 3), []byte{42}, pre16(make([]byte, 32)), pre16(make([]byte, 239)))},
		{uint16(ExtApplicationSettingsOld), pre16(pre8([]byte("h2")))},
		{uint16(ExtStatusRequest), cat([]byte{1}, pre16(nil), pre16(nil))},
		{uint16(ExtRenegotiationInfo), pre8(make([]byte, 12))},
		{uint16(ExtPreSharedKey), psk},
	}))
	if err != nil {
		t.Fatal(err)
	}
	m := ch.(*ClientHello)
	if m.ServerName != "a.example" || !m.Cookie || !m.EarlyData || !m.PostHandshakeAuth ||
		!m.PreSharedKey || m.PSKIdentities != 1 {
		t.Errorf("fields: %+v", m)
	}
	if d := cmp.Diff([]NamedGroup{0x1a1a, 29, 23}, m.SupportedGroups); d != "" {
		t.Errorf("SupportedGroups:\n%s", d)
	}
	if d := cmp.Diff([]SignatureScheme{0x0403}, m.SignatureAlgorithmsCert); d != "" {
		t.Errorf("SignatureAlgorithmsCert:\n%s", d)
	}
	if m.MaxVersion() != VersionTLS13 {
		t.Errorf("MaxVersion %s", m.MaxVersion())
	}
	var types []ExtensionType
	for _, e := range m.Extensions {
		types = append(types, e.Type)
	}
	if d := cmp.Diff([]ExtensionType{0x0a0a, 0, 10, 51, 43, 44, 42, 49, 50, 21, 0x1234, 28, 1, 27, 47, 0xfe0d, 17513, 5, 65281, 41}, types); d != "" {
		t.Errorf("extension order:\n%s", d)
	}
	if m.Extensions[10].Length != 3 {
		t.Errorf("unknown extension length %d", m.Extensions[10].Length)
	}
	if m.CookieLength != 2 || m.PaddingLength != 7 || m.RecordSizeLimit != 16385 || m.MaxFragmentLength != 4 ||
		m.StatusRequestType != StatusTypeOCSP || !m.RenegotiationInfo || m.RenegotiationInfoLength != 12 || !m.GREASE() {
		t.Errorf("fields: %+v", m)
	}
	if d := cmp.Diff([]CertificateCompressionAlgorithm{2, 1}, m.CompressCertificate); d != "" {
		t.Errorf("CompressCertificate:\n%s", d)
	}
	if d := cmp.Diff([]string{"CN=Root"}, m.CertificateAuthorities); d != "" || m.CertificateAuthoritiesCount != 1 {
		t.Errorf("CertificateAuthorities (%d):\n%s", m.CertificateAuthoritiesCount, d)
	}
	if d := cmp.Diff(&ECHClientHello{Type: ECHOuter, KDF: 1, AEAD: 3, ConfigID: 42, EncLength: 32, PayloadLength: 239}, m.ECH); d != "" {
		t.Errorf("ECH:\n%s", d)
	}
	if d := cmp.Diff([]string{"h2"}, m.ApplicationSettings); d != "" {
		t.Errorf("ApplicationSettings:\n%s", d)
	}

	// No extension block at all (SSL 3.0 and old TLS clients).
	if m, err := parseClientHello(buildClientHello(nil)); err != nil || m.(*ClientHello).Extensions != nil {
		t.Errorf("no extensions: %v", err)
	}
}

// manyExtensions returns n empty extensions of distinct unknown types
// from 0x1000.
func manyExtensions(n int) []ext {
	var exts []ext
	for i := range n {
		exts = append(exts, ext{uint16(0x1000 + i), nil})
	}
	return exts
}

// TestClientHelloDistinctExtensions: types that share their low byte
// (GREASE values, registered types) are not duplicates, in a usual block
// or in one of more entries than are looked through.
func TestClientHelloDistinctExtensions(t *testing.T) {
	groups := pre16(u16(29))
	for name, exts := range map[string][]ext{
		"usual": {{0x0a0a, nil}, {uint16(ExtSupportedGroups), groups}, {0xfe0a, nil}, {0x1a0a, nil}},
		"many":  append(manyExtensions(maxLookedThrough), ext{0x0a0a, nil}, ext{uint16(ExtSupportedGroups), groups}, ext{0x200a, []byte{1}}),
	} {
		m, err := ParseHandshake(HandshakeClientHello, buildClientHello(exts))
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if n := len(m.(*ClientHello).Extensions); n != len(exts) {
			t.Errorf("%s: %d extensions, want %d", name, n, len(exts))
		}
	}
}

func TestClientHelloMalformed(t *testing.T) {
	sni := func(name string) []byte { return pre16(cat([]byte{0}, pre16([]byte(name)))) }
	psk := cat(pre16(cat(pre16([]byte("id")), []byte{0, 0, 0, 1})), pre16(pre8(make([]byte, 32))))
	valid := buildClientHello([]ext{{uint16(ExtServerName), sni("a")}})
	tests := []struct {
		name string
		body []byte
	}{
		{"empty", nil},
		{"truncated random", valid[:20]},
		{"trailing byte after extensions", append(append([]byte(nil), valid...), 0)},
		{"extension block short by one", valid[:len(valid)-1]},
		{"duplicate extension", buildClientHello([]ext{{23, nil}, {23, nil}})},
		{"duplicate unknown extension", buildClientHello([]ext{{0x1234, nil}, {0x1234, []byte{1}}})},
		{"duplicate after one of the same low byte", buildClientHello([]ext{{0x0a0a, nil}, {0x1a0a, nil}, {0x0a0a, nil}})},
		{"duplicate in a block of 100", buildClientHello(append(manyExtensions(99), ext{0x1000, nil}))},
		{"pre_shared_key not last", buildClientHello([]ext{{uint16(ExtPreSharedKey), psk}, {23, nil}})},
		{"psk binder count", buildClientHello([]ext{{uint16(ExtPreSharedKey),
			cat(pre16(cat(pre16([]byte("id")), []byte{0, 0, 0, 1})), pre16(cat(pre8(make([]byte, 32)), pre8(make([]byte, 32)))))}})},
		{"empty host_name", buildClientHello([]ext{{uint16(ExtServerName), sni("")}})},
		{"two host_names", buildClientHello([]ext{{uint16(ExtServerName),
			pre16(cat([]byte{0}, pre16([]byte("a")), []byte{0}, pre16([]byte("b"))))}})},
		{"server_name trailing", buildClientHello([]ext{{uint16(ExtServerName), append(sni("a"), 0)}})},
		{"ems with data", buildClientHello([]ext{{uint16(ExtExtendedMasterSecret), []byte{0}}})},
		{"odd supported_groups", buildClientHello([]ext{{uint16(ExtSupportedGroups), pre16([]byte{0, 29, 0})}})},
		{"empty supported_groups", buildClientHello([]ext{{uint16(ExtSupportedGroups), pre16(nil)}})},
		{"empty ALPN name", buildClientHello([]ext{{uint16(ExtALPN), pre16(pre8(nil))}})},
		{"empty ALPN list", buildClientHello([]ext{{uint16(ExtALPN), pre16(nil)}})},
		{"odd supported_versions", buildClientHello([]ext{{uint16(ExtSupportedVersions), pre8([]byte{3, 4, 3})}})},
		{"empty key_exchange", buildClientHello([]ext{{uint16(ExtKeyShare), pre16(cat(u16(29), pre16(nil)))}})},
		{"status_request short", buildClientHello([]ext{{uint16(ExtStatusRequest), []byte{1, 0, 0}}})},
		{"renegotiation_info trailing", buildClientHello([]ext{{uint16(ExtRenegotiationInfo), []byte{0, 0}}})},
		{"empty cookie", buildClientHello([]ext{{uint16(ExtCookie), pre16(nil)}})},
		{"record_size_limit below 64", buildClientHello([]ext{{uint16(ExtRecordSizeLimit), u16(63)}})},
		{"record_size_limit short", buildClientHello([]ext{{uint16(ExtRecordSizeLimit), []byte{1}}})},
		{"max_fragment_length 5", buildClientHello([]ext{{uint16(ExtMaxFragmentLength), []byte{5}}})},
		{"odd compress_certificate", buildClientHello([]ext{{uint16(ExtCompressCertificate), pre8([]byte{0, 1, 2})}})},
		{"empty compress_certificate", buildClientHello([]ext{{uint16(ExtCompressCertificate), pre8(nil)}})},
		{"empty certificate_authorities", buildClientHello([]ext{{uint16(ExtCertificateAuthorities), pre16(nil)}})},
		{"empty DistinguishedName", buildClientHello([]ext{{uint16(ExtCertificateAuthorities), pre16(pre16(nil))}})},
		{"ECH of unknown type", buildClientHello([]ext{{uint16(ExtEncryptedClientHello), []byte{2}}})},
		{"ECH inner with data", buildClientHello([]ext{{uint16(ExtEncryptedClientHello), []byte{1, 0}}})},
		{"ECH outer, empty payload", buildClientHello([]ext{{uint16(ExtEncryptedClientHello), cat([]byte{0}, u16(1, 1), []byte{0}, pre16(nil), pre16(nil))}})},
		{"ECH outer truncated", buildClientHello([]ext{{uint16(ExtEncryptedClientHello), cat([]byte{0}, u16(1, 1), []byte{0}, pre16(nil))}})},
		{"ALPS empty list", buildClientHello([]ext{{uint16(ExtApplicationSettings), pre16(nil)}})},
		{"session id of 33", cat([]byte{3, 3}, make([]byte, 32), pre8(make([]byte, 33)), pre16(u16(0xc02f)), pre8([]byte{0}))},
		{"no cipher suites", cat([]byte{3, 3}, make([]byte, 32), pre8(nil), pre16(nil), pre8([]byte{0}))},
		{"odd cipher suites", cat([]byte{3, 3}, make([]byte, 32), pre8(nil), pre16([]byte{0xc0}), pre8([]byte{0}))},
		{"no compression", cat([]byte{3, 3}, make([]byte, 32), pre8(nil), pre16(u16(0xc02f)), pre8(nil))},
	}
	for _, tt := range tests {
		m, err := ParseHandshake(HandshakeClientHello, tt.body)
		var de *Error
		if !errors.As(err, &de) || de.Code != CodeMalformedHandshake || m != nil {
			t.Errorf("%s: got %v, %v; want a malformed_handshake error", tt.name, m, err)
		}
	}
}

// TestClientHelloAllocations checks that a browser's ClientHello costs two
// allocations: the hello with its lists, and its server name.
func TestClientHelloAllocations(t *testing.T) {
	body := chromeClientHello[handshakeHeaderLen:]
	allocs := testing.AllocsPerRun(100, func() {
		if _, err := ParseHandshake(HandshakeClientHello, body); err != nil {
			t.Fatal(err)
		}
	})
	if allocs > 2 {
		t.Errorf("%.1f allocations per ClientHello, want at most 2", allocs)
	}
}
