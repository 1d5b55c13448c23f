package decode

import (
	"bytes"
	"crypto/x509/pkix"
	"encoding/asn1"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestCertificateRequestFixtures(t *testing.T) {
	cr12 := messageOf[*CertificateRequest](t, mustDecode(t, fixture{"tls12_full.server", true}))
	if d := cmp.Diff([]ClientCertificateType{1, 64}, cr12.CertificateTypes); d != "" {
		t.Errorf("TLS 1.2 CertificateTypes:\n%s", d)
	}
	if len(cr12.SignatureAlgorithms) == 0 || cr12.SignatureAlgorithms[0] != 0x0804 || cr12.CertificateAuthoritiesCount != 0 {
		t.Errorf("TLS 1.2 form: %+v", cr12)
	}
	cr10 := messageOf[*CertificateRequest](t, mustDecode(t, fixture{"tls10_rsa.server", true}))
	if cr10.SignatureAlgorithms != nil || !cmp.Equal([]ClientCertificateType{1, 64}, cr10.CertificateTypes) {
		t.Errorf("TLS 1.0 form: %+v", cr10)
	}
}

func TestCertificateRequestForms(t *testing.T) {
	dn := pre16(derName(t, pkix.Name{CommonName: "Test CA", Organization: []string{"Example, Inc."}}))
	const dnString = `CN=Test CA,O=Example\, Inc.`
	tests := []struct {
		name string
		body []byte
		want *CertificateRequest // nil: malformed
	}{
		{"TLS 1.2 with CAs", cat(pre8([]byte{1}), pre16(u16(0x0401, 0x0403)), pre16(cat(dn, dn))),
			&CertificateRequest{CertificateTypes: []ClientCertificateType{1}, SignatureAlgorithms: []SignatureScheme{0x0401, 0x0403},
				CertificateAuthorities: []string{dnString, dnString}, CertificateAuthoritiesCount: 2}},
		{"TLS 1.0 with a CA", cat(pre8([]byte{1, 2}), pre16(dn)),
			&CertificateRequest{CertificateTypes: []ClientCertificateType{1, 2}, CertificateAuthorities: []string{dnString}, CertificateAuthoritiesCount: 1}},
		{"a DN that is not DER", cat(pre8([]byte{64}), pre16(pre16([]byte{1, 2, 3}))),
			&CertificateRequest{CertificateTypes: []ClientCertificateType{64}, CertificateAuthorities: []string{"<invalid DER: 3 bytes>"}, CertificateAuthoritiesCount: 1}},
		{"TLS 1.0 without CAs", cat(pre8([]byte{1}), pre16(nil)),
			&CertificateRequest{CertificateTypes: []ClientCertificateType{1}}},
		{"empty types", cat(pre8(nil), pre16(nil)), nil},
		{"TLS 1.2 empty algorithms", cat(pre8([]byte{1}), pre16(nil), pre16(nil)), nil},
		{"empty DN", cat(pre8([]byte{1}), pre16(pre16(nil))), nil},
		{"trailing", cat(pre8([]byte{1}), pre16(nil), []byte{0}), nil},
		{"empty", nil, nil},
	}
	for _, tt := range tests {
		m, err := ParseHandshake(HandshakeCertificateRequest, tt.body)
		if tt.want == nil {
			if err == nil {
				t.Errorf("%s: parsed as %+v, want an error", tt.name, m)
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

// derName is the DER encoding of a distinguished name.
func derName(t testing.TB, n pkix.Name) []byte {
	t.Helper()
	b, err := asn1.Marshal(n.ToRDNSequence())
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestCertificateRequestManyCAs: past MaxDistinguishedNames the names are
// counted, not kept.
func TestCertificateRequestManyCAs(t *testing.T) {
	dn := pre16(derName(t, pkix.Name{CommonName: "x"}))
	n := MaxDistinguishedNames + 50
	body := cat(pre8([]byte{1}), pre16(bytes.Repeat(dn, n)))
	m, err := ParseHandshake(HandshakeCertificateRequest, body)
	if err != nil {
		t.Fatal(err)
	}
	cr := m.(*CertificateRequest)
	if len(cr.CertificateAuthorities) != MaxDistinguishedNames || cr.CertificateAuthoritiesCount != n {
		t.Errorf("kept %d of %d names, want %d of %d", len(cr.CertificateAuthorities), cr.CertificateAuthoritiesCount, MaxDistinguishedNames, n)
	}
}
