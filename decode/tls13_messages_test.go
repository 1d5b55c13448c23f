package decode

import (
	"crypto/x509/pkix"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// ext13 is one extension: type, then its data with a uint16 length.
func ext13(typ ExtensionType, data []byte) []byte { return cat(u16(uint16(typ)), pre16(data)) }

func u32(v uint32) []byte { return []byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)} }

// tls13Bodies are TLS 1.3 CertificateRequest, NewSessionTicket and
// EncryptedExtensions bodies, as OpenSSL 3.0 sends them, and broken ones:
// TestParseHandshake13's table, and FuzzParseHandshake13's seeds.
func tls13Bodies(t testing.TB) []struct {
	name string
	typ  HandshakeType
	body []byte
	want Message // nil: malformed
} {
	dn := pre16(derName(t, pkix.Name{CommonName: "hsdecode test ca"}))
	sigalgs := ext13(ExtSignatureAlgorithms, pre16(u16(0x0403, 0x0804)))
	return []struct {
		name string
		typ  HandshakeType
		body []byte
		want Message
	}{
		{"post-handshake CertificateRequest with CAs", HandshakeCertificateRequest,
			cat(pre8([]byte{0xa1, 0xb2}), pre16(cat(sigalgs, ext13(ExtCertificateAuthorities, pre16(dn))))),
			&CertificateRequest{TLS13: true, Context: []byte{0xa1, 0xb2},
				Extensions:             []Extension{{ExtSignatureAlgorithms, 6}, {ExtCertificateAuthorities, len(dn) + 2}},
				SignatureAlgorithms:    []SignatureScheme{0x0403, 0x0804},
				CertificateAuthorities: []string{"CN=hsdecode test ca"}, CertificateAuthoritiesCount: 1}},
		{"handshake CertificateRequest", HandshakeCertificateRequest,
			cat(pre8(nil), pre16(cat(sigalgs, ext13(ExtSignatureAlgorithmsCert, pre16(u16(0x0401)))))),
			&CertificateRequest{TLS13: true, Context: []byte{}, Extensions: []Extension{{ExtSignatureAlgorithms, 6}, {ExtSignatureAlgorithmsCert, 4}},
				SignatureAlgorithms: []SignatureScheme{0x0403, 0x0804}, SignatureAlgorithmsCert: []SignatureScheme{0x0401}}},
		{"CertificateRequest without signature_algorithms", HandshakeCertificateRequest,
			cat(pre8(nil), pre16(ext13(ExtCertificateAuthorities, pre16(dn)))), nil},
		{"CertificateRequest in the TLS 1.2 form", HandshakeCertificateRequest, cat(pre8([]byte{1}), pre16(u16(0x0401)), pre16(nil)), nil},
		{"CertificateRequest, context past the end", HandshakeCertificateRequest, pre8(nil)[:0], nil},
		{"NewSessionTicket with early_data", HandshakeNewSessionTicket,
			cat(u32(7200), u32(0xdeadbeef), pre8(make([]byte, 8)), pre16(make([]byte, 192)), pre16(ext13(ExtEarlyData, u32(16384)))),
			&NewSessionTicket{TLS13: true, LifetimeHint: 7200, AgeAdd: 0xdeadbeef, NonceLength: 8, TicketLength: 192,
				Extensions: []Extension{{ExtEarlyData, 4}}, EarlyData: true, MaxEarlyDataSize: 16384}},
		{"NewSessionTicket", HandshakeNewSessionTicket,
			cat(u32(300), u32(1), pre8(nil), pre16([]byte{1}), pre16(nil)),
			&NewSessionTicket{TLS13: true, LifetimeHint: 300, AgeAdd: 1, TicketLength: 1, Extensions: []Extension{}}},
		{"NewSessionTicket, empty ticket", HandshakeNewSessionTicket, cat(u32(300), u32(1), pre8(nil), pre16(nil), pre16(nil)), nil},
		{"NewSessionTicket, short early_data", HandshakeNewSessionTicket,
			cat(u32(300), u32(1), pre8(nil), pre16([]byte{1}), pre16(ext13(ExtEarlyData, []byte{0, 1}))), nil},
		{"NewSessionTicket in the TLS 1.2 form", HandshakeNewSessionTicket, cat(u32(300), pre16([]byte{1, 2, 3})), nil},
		{"EncryptedExtensions", HandshakeEncryptedExtensions,
			pre16(cat(ext13(ExtServerName, nil), ext13(ExtALPN, pre16(pre8([]byte("h2")))), ext13(ExtMaxFragmentLength, []byte{2}),
				ext13(ExtRecordSizeLimit, u16(16385)), ext13(ExtEarlyData, nil))),
			&EncryptedExtensions{Extensions: []Extension{{ExtServerName, 0}, {ExtALPN, 5}, {ExtMaxFragmentLength, 1}, {ExtRecordSizeLimit, 2}, {ExtEarlyData, 0}},
				ALPN: "h2", ServerName: true, MaxFragmentLength: 2, RecordSizeLimit: 16385, EarlyData: true}},
		{"EncryptedExtensions, two protocols", HandshakeEncryptedExtensions,
			pre16(ext13(ExtALPN, pre16(cat(pre8([]byte("h2")), pre8([]byte("http/1.1")))))), nil},
		{"KeyUpdate, request_update 2", HandshakeKeyUpdate, []byte{2}, nil},
		{"KeyUpdate, two bytes", HandshakeKeyUpdate, []byte{0, 0}, nil},
		{"KeyUpdate", HandshakeKeyUpdate, []byte{1}, &KeyUpdate{RequestUpdate: 1}},
		{"Certificate, empty", HandshakeCertificate, cat(pre8([]byte{7}), []byte{0, 0, 0}), &Certificate{Context: []byte{7}}},
	}
}

// TestParseHandshake13 parses the TLS 1.3 forms: what each field says,
// and a *Error for a body that does not follow the layout.
func TestParseHandshake13(t *testing.T) {
	for _, tt := range tls13Bodies(t) {
		m, err := ParseHandshake13(tt.typ, tt.body)
		if tt.want == nil {
			if e, ok := err.(*Error); !ok || e.Code != CodeMalformedHandshake || m != nil {
				t.Errorf("%s: %+v, %v; want a malformed_handshake error", tt.name, m, err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", tt.name, err)
			continue
		}
		if d := cmp.Diff(tt.want, m); d != "" {
			t.Errorf("%s:\n%s", tt.name, d)
		}
	}
}

// FuzzParseHandshake13 runs the TLS 1.3 parsers on arbitrary bodies:
// exactly one of a message of the type asked for and an error.
func FuzzParseHandshake13(f *testing.F) {
	for _, b := range tls13Bodies(f) {
		f.Add(uint8(b.typ), b.body)
	}
	f.Fuzz(func(t *testing.T, typ uint8, body []byte) {
		m, err := ParseHandshake13(HandshakeType(typ), body)
		if (m == nil) == (err == nil) {
			t.Fatalf("message %v and error %v", m, err)
		}
		if m != nil && m.Type() != HandshakeType(typ) {
			t.Fatalf("%T.Type() = %s for type %d", m, m.Type(), typ)
		}
	})
}
