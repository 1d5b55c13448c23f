package decode

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestSmallMessages covers the parsers whose bodies are fixed or opaque:
// server_hello_done.go, hello_request.go, client_key_exchange.go,
// certificate_verify.go, finished.go, new_session_ticket.go,
// certificate_status.go, server_key_exchange.go, key_update.go,
// encrypted_extensions.go.
func TestSmallMessages(t *testing.T) {
	tests := []struct {
		typ  HandshakeType
		body []byte
		want Message // nil: malformed
	}{
		{HandshakeServerHelloDone, nil, &ServerHelloDone{}},
		{HandshakeServerHelloDone, []byte{0}, nil},
		{HandshakeHelloRequest, nil, &HelloRequest{}},
		{HandshakeHelloRequest, []byte{0}, nil},
		{HandshakeClientKeyExchange, make([]byte, 33), &ClientKeyExchange{Length: 33, Body: make([]byte, 33)}},
		{HandshakeClientKeyExchange, nil, &ClientKeyExchange{}},
		{HandshakeCertificateVerify, make([]byte, 72), &CertificateVerify{Length: 72}},
		{HandshakeFinished, make([]byte, 12), &Finished{Length: 12}},
		{HandshakeNewSessionTicket, cat([]byte{0, 0, 0x1c, 0x20}, pre16(make([]byte, 9))), &NewSessionTicket{LifetimeHint: 7200, TicketLength: 9}},
		{HandshakeNewSessionTicket, cat([]byte{0, 0, 0, 0}, pre16(nil)), &NewSessionTicket{}},
		{HandshakeNewSessionTicket, []byte{0, 0, 0, 0, 0}, nil},
		{HandshakeNewSessionTicket, cat([]byte{0, 0, 0, 0}, pre16(nil), []byte{1}), nil},
		{HandshakeCertificateStatus, cat([]byte{1, 0, 0, 3}, []byte{1, 2, 3}),
			&CertificateStatus{StatusType: 1, ResponseLength: 3, OCSP: []OCSPResponse{{Length: 3, Error: "OCSP response: no OCSPResponse"}}}},
		{HandshakeCertificateStatus, cat([]byte{2, 0, 0, 3}, u24(nil)),
			&CertificateStatus{StatusType: 2, ResponseLength: 3, OCSP: []OCSPResponse{{}}}},
		{HandshakeCertificateStatus, cat([]byte{2, 0, 0, 3}, []byte{1, 2, 3}), nil},
		{HandshakeCertificateStatus, []byte{1, 0, 0, 0}, nil},
		{HandshakeCertificateStatus, []byte{3, 0, 0, 1, 1}, nil},
		{HandshakeCertificateStatus, []byte{1, 0, 0, 1, 1, 0}, nil},
		{HandshakeServerKeyExchange, []byte{0, 1, 5}, &ServerKeyExchange{Length: 3, Body: []byte{0, 1, 5}}},
		{HandshakeServerKeyExchange, nil, nil},
		{HandshakeKeyUpdate, []byte{1}, &KeyUpdate{RequestUpdate: 1}},
		{HandshakeKeyUpdate, []byte{2}, nil},
		{HandshakeKeyUpdate, nil, nil},
		{HandshakeEncryptedExtensions, pre16(cat(u16(16), pre16(pre16(pre8([]byte("h2")))), u16(0), pre16(nil))),
			&EncryptedExtensions{Extensions: []Extension{{16, 5}, {0, 0}}, ALPN: "h2", ServerName: true}},
		{HandshakeEncryptedExtensions, pre16(cat(u16(0), pre16(nil), u16(0), pre16(nil))), nil},
		{HandshakeCertificateURL, []byte{1, 2, 3}, &UnknownHandshake{HandshakeType: HandshakeCertificateURL, Length: 3}},
		{HandshakeType(99), nil, &UnknownHandshake{HandshakeType: 99}},
	}
	for _, tt := range tests {
		m, err := ParseHandshake(tt.typ, tt.body)
		if tt.want == nil {
			if err == nil {
				t.Errorf("%s % x: parsed as %+v, want an error", tt.typ, tt.body, m)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s % x: %v", tt.typ, tt.body, err)
			continue
		}
		if d := cmp.Diff(tt.want, m); d != "" {
			t.Errorf("%s % x:\n%s", tt.typ, tt.body, d)
		}
		if m.Type() != tt.typ {
			t.Errorf("%T.Type() = %s, want %s", m, m.Type(), tt.typ)
		}
	}
}

func TestFixtureServerMessages(t *testing.T) {
	evs := mustDecode(t, fixture{"tls12_full.server", true})
	if cs := messageOf[*CertificateStatus](t, evs); cs.StatusType != 1 || cs.ResponseLength != len("fake ocsp response for tests") {
		t.Errorf("CertificateStatus %+v", cs)
	}
	ske := messageOf[*ServerKeyExchange](t, evs)
	if p, err := ske.Params(0xc02f, VersionTLS12); err != nil || p.CurveType != CurveTypeNamedCurve || p.NamedGroup != 29 ||
		p.PublicKeyLength != 32 || !p.HasSignatureAlgorithm || p.SignatureLength == 0 {
		t.Errorf("ServerKeyExchange params %+v, %v", p, err)
	}
	if nst := messageOf[*NewSessionTicket](t, evs); nst.TicketLength == 0 {
		t.Errorf("NewSessionTicket %+v", nst)
	}
	cevs := mustDecode(t, fixture{"tls12_full.client", true})
	// X25519: a 1-byte length and a 32-byte point (RFC 8422, Section 5.7).
	if cke := messageOf[*ClientKeyExchange](t, cevs); cke.Length != 33 {
		t.Errorf("ClientKeyExchange %+v", cke)
	} else if p, err := cke.Params(0xc02f, VersionTLS12); err != nil || p.KeyLength != 32 {
		t.Errorf("ClientKeyExchange params %+v, %v", p, err)
	}
	// RSA 2048: a 2-byte length and a 256-byte EncryptedPreMasterSecret.
	if cke := messageOf[*ClientKeyExchange](t, mustDecode(t, fixture{"tls10_rsa.client", true})); cke.Length != 258 {
		t.Errorf("TLS 1.0 ClientKeyExchange %+v", cke)
	} else if p, err := cke.Params(0x002f, VersionTLS10); err != nil || p.KeyLength != 256 || p.KeyExchange != "RSA" {
		t.Errorf("TLS 1.0 ClientKeyExchange params %+v, %v", p, err)
	}
}
