package decode

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestCipherSuiteKeyExchange(t *testing.T) {
	for _, tt := range []struct {
		cs   CipherSuite
		want string
	}{
		{0xc02f, "ECDHE_RSA"},
		{0xc02b, "ECDHE_ECDSA"},
		{0x009e, "DHE_RSA"},
		{0x002f, "RSA"},
		{0x0003, "RSA_EXPORT"},
		{0x0014, "DHE_RSA"}, // TLS_DHE_RSA_EXPORT_WITH_DES40_CBC_SHA
		{0x0018, "DH_anon"},
		{0x008c, "PSK"},
		{0xc035, "ECDHE_PSK"},
		{0x0026, "KRB5"},
		{0xc01c, "SRP_SHA_DSS"},
		{0x1301, ""}, // TLS 1.3: no key exchange in the name
		{0x00ff, ""}, // SCSV
		{0x0a0a, ""}, // GREASE
		{0xfefe, ""}, // unassigned
	} {
		if got := tt.cs.KeyExchange(); got != tt.want {
			t.Errorf("%s: KeyExchange %q, want %q", tt.cs, got, tt.want)
		}
	}
}

func TestServerKeyExchangeParams(t *testing.T) {
	sig12 := cat(u16(0x0804), pre16(make([]byte, 256)))
	sig10 := pre16(make([]byte, 128))
	ecdh := cat([]byte{CurveTypeNamedCurve}, u16(29), pre8(make([]byte, 32)))
	p2048 := append([]byte{0x80}, make([]byte, 255)...)
	dh := cat(pre16(p2048), pre16([]byte{2}), pre16(make([]byte, 256)))
	tests := []struct {
		name  string
		suite CipherSuite
		v     Version
		body  []byte
		want  *ServerKeyExchangeParams // nil: malformed
	}{
		{"ECDHE_RSA TLS 1.2", 0xc02f, VersionTLS12, cat(ecdh, sig12), &ServerKeyExchangeParams{KeyExchange: "ECDHE_RSA",
			CurveType: 3, NamedGroup: 29, PublicKeyLength: 32, Signed: true, SignatureAlgorithm: 0x0804, HasSignatureAlgorithm: true, SignatureLength: 256}},
		{"ECDHE_RSA TLS 1.0", 0xc013, VersionTLS10, cat(ecdh, sig10), &ServerKeyExchangeParams{KeyExchange: "ECDHE_RSA",
			CurveType: 3, NamedGroup: 29, PublicKeyLength: 32, Signed: true, SignatureLength: 128}},
		{"DHE_RSA TLS 1.2", 0x009e, VersionTLS12, cat(dh, sig12), &ServerKeyExchangeParams{KeyExchange: "DHE_RSA",
			DHPrimeBits: 2048, DHGeneratorBits: 2, PublicKeyLength: 256, Signed: true, SignatureAlgorithm: 0x0804, HasSignatureAlgorithm: true, SignatureLength: 256}},
		{"DH_anon", 0x0034, VersionTLS12, dh, &ServerKeyExchangeParams{KeyExchange: "DH_anon", DHPrimeBits: 2048, DHGeneratorBits: 2, PublicKeyLength: 256}},
		{"RSA_EXPORT", 0x0003, VersionTLS10, cat(pre16(append([]byte{0x80}, make([]byte, 63)...)), pre16([]byte{1, 0, 1}), sig10),
			&ServerKeyExchangeParams{KeyExchange: "RSA_EXPORT", RSAModulusBits: 512, Signed: true, SignatureLength: 128}},
		{"PSK hint", 0x008c, VersionTLS12, pre16([]byte("hint")), &ServerKeyExchangeParams{KeyExchange: "PSK", PSKIdentityHint: "hint", HasPSKIdentityHint: true}},
		{"ECDHE_PSK", 0xc035, VersionTLS12, cat(pre16(nil), ecdh), &ServerKeyExchangeParams{KeyExchange: "ECDHE_PSK",
			HasPSKIdentityHint: true, CurveType: 3, NamedGroup: 29, PublicKeyLength: 32}},
		{"DHE_PSK", 0x008e, VersionTLS12, cat(pre16([]byte("h")), dh), &ServerKeyExchangeParams{KeyExchange: "DHE_PSK",
			PSKIdentityHint: "h", HasPSKIdentityHint: true, DHPrimeBits: 2048, DHGeneratorBits: 2, PublicKeyLength: 256}},
		{"SRP_SHA_RSA", 0xc01b, VersionTLS12, cat(pre16(p2048), pre16([]byte{5}), pre8([]byte{1, 2}), pre16(make([]byte, 256)), sig12),
			&ServerKeyExchangeParams{KeyExchange: "SRP_SHA_RSA", SRPPrimeBits: 2048, PublicKeyLength: 256, Signed: true,
				SignatureAlgorithm: 0x0804, HasSignatureAlgorithm: true, SignatureLength: 256}},
		{"explicit prime curve", 0xc02f, VersionTLS12,
			cat([]byte{CurveTypeExplicitPrime}, pre8([]byte{7}), pre8([]byte{1}), pre8([]byte{2}), pre8([]byte{4, 1}), pre8([]byte{9}), pre8([]byte{1}), pre8(make([]byte, 65)), sig12),
			&ServerKeyExchangeParams{KeyExchange: "ECDHE_RSA", CurveType: 1, PublicKeyLength: 65, Signed: true, SignatureAlgorithm: 0x0804,
				HasSignatureAlgorithm: true, SignatureLength: 256}},
		{"explicit char2 curve, pentanomial", 0xc02f, VersionTLS12,
			cat([]byte{CurveTypeExplicitChar2}, u16(163), []byte{2}, pre8([]byte{7}), pre8([]byte{6}), pre8([]byte{3}), pre8([]byte{1}), pre8([]byte{2}),
				pre8([]byte{4, 1}), pre8([]byte{9}), pre8([]byte{1}), pre8(make([]byte, 43)), sig12),
			&ServerKeyExchangeParams{KeyExchange: "ECDHE_RSA", CurveType: 2, PublicKeyLength: 43, Signed: true, SignatureAlgorithm: 0x0804,
				HasSignatureAlgorithm: true, SignatureLength: 256}},
		{"explicit char2 curve, unknown basis", 0xc02f, VersionTLS12, cat([]byte{CurveTypeExplicitChar2}, u16(163), []byte{3}), nil},
		{"unknown layout (TLS 1.3 suite)", 0x1301, VersionTLS12, []byte{1, 2, 3}, &ServerKeyExchangeParams{}},
		{"unknown layout (GOST)", 0xc102, VersionTLS12, []byte{1}, &ServerKeyExchangeParams{KeyExchange: "GOSTR341112_256"}},

		{"ECDHE without signature", 0xc02f, VersionTLS12, ecdh, nil},
		{"ECDHE TLS 1.0 signature read as TLS 1.2", 0xc02f, VersionTLS12, cat(ecdh, sig10), nil},
		{"ECDHE trailing", 0xc02f, VersionTLS12, cat(ecdh, sig12, []byte{0}), nil},
		{"ECDHE empty point", 0xc02f, VersionTLS12, cat([]byte{3}, u16(29), pre8(nil), sig12), nil},
		{"ECDHE unknown curve type", 0xc02f, VersionTLS12, cat([]byte{7}, u16(29), pre8(make([]byte, 32)), sig12), nil},
		{"DHE body for an ECDHE suite", 0xc02f, VersionTLS12, cat(dh, sig12), nil},
		{"DHE empty generator", 0x009e, VersionTLS12, cat(pre16(p2048), pre16(nil), pre16(make([]byte, 256)), sig12), nil},
		{"DHE truncated", 0x009e, VersionTLS12, dh[:100], nil},
		{"PSK hint overlong", 0x008c, VersionTLS12, u16(5), nil},
	}
	for _, tt := range tests {
		m, err := ParseHandshake(HandshakeServerKeyExchange, tt.body)
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		p, err := m.(*ServerKeyExchange).Params(tt.suite, tt.v)
		if tt.want == nil {
			var de *Error
			if !errors.As(err, &de) || de.Code != CodeMalformedHandshake {
				t.Errorf("%s: got %+v, %v; want malformed_handshake", tt.name, p, err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", tt.name, err)
			continue
		}
		if d := cmp.Diff(tt.want, p); d != "" {
			t.Errorf("%s:\n%s", tt.name, d)
		}
	}
}

func TestClientKeyExchangeParams(t *testing.T) {
	tests := []struct {
		name  string
		suite CipherSuite
		v     Version
		body  []byte
		want  *ClientKeyExchangeParams
	}{
		{"ECDHE", 0xc02f, VersionTLS12, pre8(make([]byte, 65)), &ClientKeyExchangeParams{KeyExchange: "ECDHE_RSA", KeyLength: 65}},
		{"ECDH implicit", 0xc004, VersionTLS12, nil, &ClientKeyExchangeParams{KeyExchange: "ECDH_ECDSA"}},
		{"DHE", 0x009e, VersionTLS12, pre16(make([]byte, 256)), &ClientKeyExchangeParams{KeyExchange: "DHE_RSA", KeyLength: 256}},
		{"DH implicit", 0x0031, VersionTLS12, nil, &ClientKeyExchangeParams{KeyExchange: "DH_RSA"}},
		{"RSA TLS", 0x002f, VersionTLS12, pre16(make([]byte, 256)), &ClientKeyExchangeParams{KeyExchange: "RSA", KeyLength: 256}},
		{"RSA SSL 3.0", 0x000a, VersionSSL30, make([]byte, 128), &ClientKeyExchangeParams{KeyExchange: "RSA", KeyLength: 128}},
		{"PSK", 0x008c, VersionTLS12, pre16([]byte("client1")), &ClientKeyExchangeParams{KeyExchange: "PSK", PSKIdentity: "client1", HasPSKIdentity: true}},
		{"ECDHE_PSK", 0xc035, VersionTLS12, cat(pre16([]byte("id")), pre8(make([]byte, 32))),
			&ClientKeyExchangeParams{KeyExchange: "ECDHE_PSK", PSKIdentity: "id", HasPSKIdentity: true, KeyLength: 32}},
		{"RSA_PSK", 0x0092, VersionTLS12, cat(pre16([]byte("id")), pre16(make([]byte, 256))),
			&ClientKeyExchangeParams{KeyExchange: "RSA_PSK", PSKIdentity: "id", HasPSKIdentity: true, KeyLength: 256}},
		{"SRP", 0xc01a, VersionTLS12, pre16(make([]byte, 256)), &ClientKeyExchangeParams{KeyExchange: "SRP_SHA", KeyLength: 256}},
		{"unknown layout", 0x0026, VersionTLS12, []byte{1, 2}, &ClientKeyExchangeParams{KeyExchange: "KRB5"}},

		{"ECDHE overlong", 0xc02f, VersionTLS12, pre8(make([]byte, 65))[:40], nil},
		{"ECDHE trailing", 0xc02f, VersionTLS12, append(pre8(make([]byte, 32)), 0), nil},
		{"RSA TLS without length", 0x002f, VersionTLS12, make([]byte, 256), nil},
		{"DHE_PSK without key", 0x008e, VersionTLS12, pre16([]byte("id")), nil},
		{"SRP empty", 0xc01a, VersionTLS12, nil, nil},
	}
	for _, tt := range tests {
		m, err := ParseHandshake(HandshakeClientKeyExchange, tt.body)
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		p, err := m.(*ClientKeyExchange).Params(tt.suite, tt.v)
		if tt.want == nil {
			var de *Error
			if !errors.As(err, &de) || de.Code != CodeMalformedHandshake {
				t.Errorf("%s: got %+v, %v; want malformed_handshake", tt.name, p, err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", tt.name, err)
			continue
		}
		if d := cmp.Diff(tt.want, p); d != "" {
			t.Errorf("%s:\n%s", tt.name, d)
		}
	}
}
