package decode

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/hex"
	"math/big"
	"net"
	"net/url"
	"strings"
	"testing"
	"time"
)

// makeCert returns a self-signed DER certificate for key.
func makeCert(t *testing.T, key crypto.Signer, tmpl *x509.Certificate) []byte {
	t.Helper()
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		t.Fatal(err)
	}
	return der
}

func TestParseCertificate(t *testing.T) {
	nb := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	na := nb.Add(90 * 24 * time.Hour)
	u, _ := url.Parse("spiffe://example.org/svc")
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(0x0102abcd),
		Subject:               pkix.Name{CommonName: "server.example", Organization: []string{"Example"}, Country: []string{"FR"}},
		NotBefore:             nb,
		NotAfter:              na,
		DNSNames:              []string{"server.example", "*.server.example"},
		IPAddresses:           []net.IP{net.ParseIP("192.0.2.7"), net.ParseIP("2001:db8::1")},
		EmailAddresses:        []string{"ops@example.org"},
		URIs:                  []*url.URL{u},
		BasicConstraintsValid: true,
	}
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	ecKey, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	_, edKey, _ := ed25519.GenerateKey(rand.Reader)

	for _, tt := range []struct {
		key           crypto.Signer
		alg, sig      string
		bits          int
		curve         string
		ca            bool
		serial, wantS string
	}{
		{rsaKey, "RSA", "SHA256-RSA", 2048, "", false, "", "0102ABCD"},
		{ecKey, "ECDSA", "ECDSA-SHA384", 384, "P-384", true, "", "0102ABCD"},
		{edKey, "Ed25519", "Ed25519", 256, "", false, "", "0102ABCD"},
	} {
		tmpl.IsCA = tt.ca
		der := makeCert(t, tt.key, tmpl)
		ci := ParseCertificate(der)
		sum := sha256.Sum256(der)
		if ci.Error != "" || ci.Length != len(der) || ci.SHA256 != hex.EncodeToString(sum[:]) || len(ci.SHA1) != 40 {
			t.Fatalf("%s: %+v", tt.alg, ci)
		}
		// RFC 4514 order: the last RDN first.
		if ci.Subject != "CN=server.example,O=Example,C=FR" || ci.Issuer != ci.Subject || ci.CommonName != "server.example" {
			t.Errorf("%s: subject %q issuer %q", tt.alg, ci.Subject, ci.Issuer)
		}
		if ci.SerialNumber != tt.wantS || ci.Version != 3 || !ci.NotBefore.Equal(nb) || !ci.NotAfter.Equal(na) {
			t.Errorf("%s: serial %s version %d validity %s %s", tt.alg, ci.SerialNumber, ci.Version, ci.NotBefore, ci.NotAfter)
		}
		if strings.Join(ci.DNSNames, " ") != "server.example *.server.example" ||
			strings.Join(ci.IPAddresses, " ") != "192.0.2.7 2001:db8::1" ||
			strings.Join(ci.EmailAddresses, " ") != "ops@example.org" || strings.Join(ci.URIs, " ") != "spiffe://example.org/svc" {
			t.Errorf("%s: SANs %v %v %v %v", tt.alg, ci.DNSNames, ci.IPAddresses, ci.EmailAddresses, ci.URIs)
		}
		if ci.PublicKeyAlgorithm != tt.alg || ci.PublicKeyBits != tt.bits || ci.Curve != tt.curve ||
			ci.SignatureAlgorithm != tt.sig || ci.IsCA != tt.ca {
			t.Errorf("%s: key %s %d %q sig %s CA %v", tt.alg, ci.PublicKeyAlgorithm, ci.PublicKeyBits, ci.Curve, ci.SignatureAlgorithm, ci.IsCA)
		}
	}
}

// TestParseCertificateUnparsable: a certificate crypto/x509 rejects is
// reported with its error, length and fingerprints.
func TestParseCertificateUnparsable(t *testing.T) {
	ci := ParseCertificate([]byte{0x30, 0x03, 0x02, 0x01, 0x01})
	if ci.Error == "" || ci.Length != 5 || ci.SHA256 == "" || ci.Subject != "" {
		t.Errorf("bad certificate: %+v", ci)
	}
}

// TestParseCertificateUnknownKey: a key algorithm crypto/x509 does not
// know (ML-DSA, say) is named by its OID.
func TestParseCertificateUnknownKey(t *testing.T) {
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	der := makeCert(t, key, &x509.Certificate{SerialNumber: big.NewInt(1), NotBefore: time.Unix(0, 0), NotAfter: time.Unix(1e9, 0)})
	c, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	// Rewrite the SPKI's algorithm OID (id-ecPublicKey) to an unassigned
	// one of the same encoded length.
	ecOID, _ := asn1.Marshal(asn1.ObjectIdentifier{1, 2, 840, 10045, 2, 1})
	mldsa, _ := asn1.Marshal(asn1.ObjectIdentifier{1, 2, 840, 10045, 2, 99})
	i := bytes.Index(der, c.RawSubjectPublicKeyInfo)
	j := bytes.Index(der[i:], ecOID)
	if i < 0 || j < 0 || len(mldsa) != len(ecOID) {
		t.Fatal("cannot find the key OID")
	}
	copy(der[i+j:], mldsa)
	ci := ParseCertificate(der)
	if ci.Error != "" || ci.PublicKeyAlgorithm != "1.2.840.10045.2.99" || ci.PublicKeyBits != 8*65 {
		t.Errorf("%+v", ci)
	}
	// Names OpenSSL has and crypto/x509 does not.
	if got := algorithmName(asn1.ObjectIdentifier{1, 3, 101, 113}); got != "Ed448" {
		t.Errorf("algorithmName(Ed448) = %q", got)
	}
	if got := algorithmName(asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 3, 17}); got != "ML-DSA-44" {
		t.Errorf("algorithmName(ML-DSA-44) = %q", got)
	}
}

func TestDistinguishedName(t *testing.T) {
	der, _ := asn1.Marshal(pkix.Name{CommonName: "a+b, c", Organization: []string{"O"}}.ToRDNSequence())
	if got := distinguishedName(der); got != `CN=a\+b\, c,O=O` {
		t.Errorf("got %q", got)
	}
	// OpenSSL's short names, a multi-valued RDN, an unknown attribute,
	// a value that is not a string, and the escapes.
	email := asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 1}
	rdns := pkix.RDNSequence{
		{{Type: asn1.ObjectIdentifier{2, 5, 4, 10}, Value: "Root CA"}},
		{{Type: asn1.ObjectIdentifier{2, 5, 4, 9}, Value: "Untere 20"}, {Type: asn1.ObjectIdentifier{2, 5, 4, 17}, Value: "57250"}},
		{{Type: asn1.ObjectIdentifier{1, 2, 3, 4}, Value: 7}},
		{{Type: email, Value: " #lead;\x01trail "}},
	}
	der, _ = asn1.Marshal(rdns)
	// DER sorts the members of a SET: postalCode comes first.
	want := `emailAddress=\ #lead\;\01trail\ ,1.2.3.4=#020107,postalCode=57250+street=Untere 20,O=Root CA`
	if got := distinguishedName(der); got != want {
		t.Errorf("got  %q\nwant %q", got, want)
	}
	if got := distinguishedName([]byte{0x30, 0x05}); got != "<invalid DER: 2 bytes>" {
		t.Errorf("got %q", got)
	}
	if got := distinguishedName(append(der, 0)); got != "<invalid DER: "+itoa(len(der)+1)+" bytes>" {
		t.Errorf("trailing byte: got %q", got)
	}
}

// ocspDER builds an OCSPResponse (RFC 6960, Section 4.2.1) with one
// SingleResponse whose certStatus is status.
func ocspDER(t *testing.T, respStatus asn1.Enumerated, status asn1.RawValue, produced, this, next time.Time) []byte {
	t.Helper()
	type singleResponse struct {
		CertID     struct{ HashAlgorithm pkix.AlgorithmIdentifier }
		Status     asn1.RawValue
		ThisUpdate time.Time `asn1:"generalized"`
		NextUpdate time.Time `asn1:"generalized,explicit,tag:0,optional"`
	}
	type responseData struct {
		ResponderName asn1.RawValue
		ProducedAt    time.Time `asn1:"generalized"`
		Responses     []singleResponse
	}
	type basicResponse struct {
		TBS       responseData
		Algorithm pkix.AlgorithmIdentifier
		Signature asn1.BitString
	}
	sr := singleResponse{Status: status, ThisUpdate: this, NextUpdate: next}
	sr.CertID.HashAlgorithm.Algorithm = asn1.ObjectIdentifier{1, 3, 14, 3, 2, 26}
	basic, err := asn1.Marshal(basicResponse{
		TBS: responseData{
			ResponderName: asn1.RawValue{Class: asn1.ClassContextSpecific, Tag: 2, IsCompound: true, Bytes: []byte{0x04, 0x01, 0xaa}},
			ProducedAt:    produced,
			Responses:     []singleResponse{sr, sr},
		},
		Algorithm: pkix.AlgorithmIdentifier{Algorithm: asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 11}},
		Signature: asn1.BitString{Bytes: []byte{1}, BitLength: 8},
	})
	if err != nil {
		t.Fatal(err)
	}
	type responseBytes struct {
		Type     asn1.ObjectIdentifier
		Response []byte
	}
	type response struct {
		Status asn1.Enumerated
		Bytes  responseBytes `asn1:"explicit,tag:0,optional"`
	}
	der, err := asn1.Marshal(response{Status: respStatus, Bytes: responseBytes{Type: oidOCSPBasic, Response: basic}})
	if err != nil {
		t.Fatal(err)
	}
	return der
}

func TestOCSPResponse(t *testing.T) {
	produced := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	this, next := produced.Add(-time.Hour), produced.Add(7*24*time.Hour)
	good := asn1.RawValue{Class: asn1.ClassContextSpecific, Tag: 0}
	revokedAt := produced.Add(-48 * time.Hour)
	rt, _ := asn1.MarshalWithParams(revokedAt, "generalized")
	revoked := asn1.RawValue{Class: asn1.ClassContextSpecific, Tag: 1, IsCompound: true, Bytes: rt}

	r := parseOCSPResponse(ocspDER(t, 0, good, produced, this, next))
	if r.Error != "" || r.Status != "successful" || r.CertStatus != "good" || r.Responses != 2 ||
		!r.ProducedAt.Equal(produced) || !r.ThisUpdate.Equal(this) || !r.NextUpdate.Equal(next) {
		t.Errorf("good: %+v", r)
	}
	r = parseOCSPResponse(ocspDER(t, 0, revoked, produced, this, next))
	if r.Error != "" || r.CertStatus != "revoked" || !r.RevokedAt.Equal(revokedAt) {
		t.Errorf("revoked: %+v", r)
	}
	// An unsuccessful response has no responseBytes.
	try, _ := asn1.Marshal(struct{ Status asn1.Enumerated }{3})
	if r := parseOCSPResponse(try); r.Error != "" || r.Status != "tryLater" || r.CertStatus != "" {
		t.Errorf("tryLater: %+v", r)
	}
	// Through the handshake message, ocsp and ocsp_multi.
	der := ocspDER(t, 0, good, produced, this, next)
	m, err := ParseHandshake(HandshakeCertificateStatus, cat([]byte{1}, u24(der)))
	if err != nil || len(m.(*CertificateStatus).OCSP) != 1 || m.(*CertificateStatus).OCSP[0].CertStatus != "good" {
		t.Errorf("ocsp: %+v %v", m, err)
	}
	m, err = ParseHandshake(HandshakeCertificateStatus, cat([]byte{2}, u24(cat(u24(der), u24(nil)))))
	if err != nil || len(m.(*CertificateStatus).OCSP) != 2 || m.(*CertificateStatus).OCSP[1].Length != 0 {
		t.Errorf("ocsp_multi: %+v %v", m, err)
	}
	// Every truncation of a valid response is an error value, never a panic.
	for i := range der {
		if r := parseOCSPResponse(der[:i]); r.Error == "" && i > 0 {
			t.Errorf("truncated to %d bytes: no error: %+v", i, r)
		}
	}
}

// TestPublicKeyInfoDSA: a DSA key's size is its prime's, read from the
// Dss-Parms of the key's algorithm identifier (RFC 3279, Section 2.3.2).
func TestPublicKeyInfoDSA(t *testing.T) {
	p := new(big.Int).Lsh(big.NewInt(1), 2047)
	params, err := asn1.Marshal(struct{ P, Q, G *big.Int }{p, big.NewInt(7), big.NewInt(2)})
	if err != nil {
		t.Fatal(err)
	}
	spki, err := asn1.Marshal(struct {
		Algorithm pkix.AlgorithmIdentifier
		PublicKey asn1.BitString
	}{pkix.AlgorithmIdentifier{Algorithm: asn1.ObjectIdentifier{1, 2, 840, 10040, 4, 1}, Parameters: asn1.RawValue{FullBytes: params}},
		asn1.BitString{Bytes: []byte{2, 1, 5}, BitLength: 24}})
	if err != nil {
		t.Fatal(err)
	}
	alg, bits, _ := publicKeyInfo(&x509.Certificate{PublicKeyAlgorithm: x509.DSA, RawSubjectPublicKeyInfo: spki})
	if alg != "DSA" || bits != 2048 {
		t.Errorf("%s %d, want DSA 2048", alg, bits)
	}
	if alg, bits, _ := publicKeyInfo(&x509.Certificate{PublicKeyAlgorithm: x509.DSA}); alg != "DSA" || bits != 0 {
		t.Errorf("without parameters: %s %d", alg, bits)
	}
}
