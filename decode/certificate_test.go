package decode

import (
	"crypto/x509"
	"errors"
	"strings"
	"testing"
)

func TestCertificateFixtures(t *testing.T) {
	for _, tt := range []struct {
		fixture string
		cn      string
	}{
		{"tls12_full.server", "server.example"},
		{"tls12_full.client", "client.example"},
		{"tls10_rsa.client", "client.example"},
	} {
		c := messageOf[*Certificate](t, mustDecode(t, fixture{tt.fixture, true}))
		if len(c.Certificates) != 1 || c.Context != nil {
			t.Fatalf("%s: %d certificates, context %v", tt.fixture, len(c.Certificates), c.Context)
		}
		x, err := x509.ParseCertificate(c.Certificates[0])
		if err != nil {
			t.Fatalf("%s: %v", tt.fixture, err)
		}
		if x.Subject.CommonName != tt.cn {
			t.Errorf("%s: CN %q, want %q", tt.fixture, x.Subject.CommonName, tt.cn)
		}
	}
}

// TestCertificateAllocations checks that a chain costs two allocations
// however many certificates it holds: the message with its list, and one
// buffer for the copies of their DER.
func TestCertificateAllocations(t *testing.T) {
	der := []byte{0x30, 0x03, 0x02, 0x01, 0x01}
	body := u24(cat(u24(der), u24(der), u24(der)))
	allocs := testing.AllocsPerRun(100, func() {
		if _, err := ParseHandshake(HandshakeCertificate, body); err != nil {
			t.Fatal(err)
		}
	})
	if allocs > 2 {
		t.Errorf("%.1f allocations per Certificate, want at most 2", allocs)
	}
}

func TestCertificateForms(t *testing.T) {
	der := []byte{0x30, 0x03, 0x02, 0x01, 0x01}
	m, err := ParseHandshake(HandshakeCertificate, u24(cat(u24(der), u24(der))))
	if err != nil || len(m.(*Certificate).Certificates) != 2 {
		t.Errorf("two certificates: %v %v", m, err)
	}
	// RFC 5246, Section 7.4.6: a client without a certificate sends an
	// empty list.
	if m, err := ParseHandshake(HandshakeCertificate, u24(nil)); err != nil || len(m.(*Certificate).Certificates) != 0 {
		t.Errorf("empty list: %v %v", m, err)
	}

	c13, err := ParseCertificate13(cat(pre8([]byte{7}), u24(cat(u24(der), pre16(nil), u24(der), pre16([]byte{0, 5, 0, 0})))))
	if err != nil || len(c13.Certificates) != 2 || string(c13.Context) != "\x07" {
		t.Errorf("TLS 1.3 form: %+v %v", c13, err)
	}

	for name, body := range map[string][]byte{
		"empty body":           nil,
		"empty certificate":    u24(u24(nil)),
		"list overruns":        cat([]byte{0, 0, 9}, u24(der)),
		"trailing":             append(u24(u24(der)), 0),
		"certificate overruns": u24([]byte{0, 0, 9, 1}),
	} {
		if _, err := ParseHandshake(HandshakeCertificate, body); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
	for name, body := range map[string][]byte{
		"TLS 1.2 form":   u24(u24(der)),
		"no extensions":  cat(pre8(nil), u24(u24(der))),
		"empty cert":     cat(pre8(nil), u24(cat(u24(nil), pre16(nil)))),
		"trailing bytes": cat(pre8(nil), u24(nil), []byte{0}),
	} {
		_, err := ParseCertificate13(body)
		var de *Error
		if !errors.As(err, &de) || de.Code != CodeMalformedHandshake {
			t.Errorf("TLS 1.3 %s: err = %v", name, err)
		}
	}
}

// TestCertificateListLimit: a certificate_list length beyond what a
// handshake message can hold is refused by name, before anything is read.
func TestCertificateListLimit(t *testing.T) {
	for _, n := range []int{1<<24 - 1, maxCertificateList + 1} {
		body := cat([]byte{byte(n >> 16), byte(n >> 8), byte(n)}, make([]byte, 8))
		_, err := ParseHandshake(HandshakeCertificate, body)
		var de *Error
		if !errors.As(err, &de) || de.Code != CodeMalformedHandshake || !strings.Contains(de.Reason, "exceeds") {
			t.Errorf("list length %d: %v", n, err)
		}
		if _, err := ParseCertificate13(cat([]byte{0}, body)); err == nil || !strings.Contains(err.Error(), "exceeds") {
			t.Errorf("TLS 1.3 form, list length %d: %v", n, err)
		}
	}
	// At the limit the list is merely truncated.
	n := maxCertificateList
	if _, err := ParseHandshake(HandshakeCertificate, []byte{byte(n >> 16), byte(n >> 8), byte(n)}); err == nil || strings.Contains(err.Error(), "exceeds") {
		t.Errorf("list length %d: %v", n, err)
	}
}
