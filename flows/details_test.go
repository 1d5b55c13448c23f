package flows

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"testing"
	"time"

	"github.com/hsdecode/hsdecode/decode"
)

// testCertDER is a self-signed certificate for server.example.
func testCertDER(t *testing.T) []byte {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(42), Subject: pkix.Name{CommonName: "server.example"},
		DNSNames: []string{"server.example"}, NotBefore: t0, NotAfter: t0.Add(24 * time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		t.Fatal(err)
	}
	return der
}

// certMsg is a TLS 1.2 Certificate message of the given DER certificates.
func certMsg(ders ...[]byte) []byte {
	var list []byte
	for _, d := range ders {
		list = cat(list, u24(len(d)), d)
	}
	return hs(decode.HandshakeCertificate, cat(u24(len(list)), list))
}

// TestDetails: a connection's result keeps what each plaintext message
// says: certificates as summaries, key exchange parameters read with the
// negotiated suite, the CertificateRequest, the stapled OCSP status and
// the ticket.
func TestDetails(t *testing.T) {
	der := testCertDER(t)
	statusReq := ext(5, []byte{1, 0, 0, 0, 0})
	chExt := record(22, hs(decode.HandshakeClientHello, hello{version: 0x0303, suites: []int{suiteECDHERSA},
		exts: [][]byte{statusReq, ext(35, nil)}}.body(false)))
	shExt := hs(decode.HandshakeServerHello, hello{version: 0x0303, suites: []int{suiteECDHERSA},
		exts: [][]byte{ext(5, nil), ext(35, nil)}}.body(true))
	status := hs(decode.HandshakeCertificateStatus, cat([]byte{1}, u24(3), []byte{1, 2, 3}))
	nst := hs(decode.HandshakeNewSessionTicket, cat([]byte{0, 0, 0x1c, 0x20}, u16(5), make([]byte, 5)))
	r := run(t, true,
		c(chExt),
		s(record(22, cat(shExt, certMsg(der, []byte{0x30, 0}), status, ske, certReq, shd))),
		c(record(22, cat(certMsg(der), cke, cv)), ccs, encFin),
		s(record(22, nst), ccs, encFin),
	)
	if r.Outcome != OutcomeEstablished {
		t.Fatalf("outcome %s %+v", r.Outcome, r.Violations)
	}
	sc := r.ServerCertificates
	if sc == nil || sc.Count != 2 || len(sc.Certificates) != 2 {
		t.Fatalf("server chain %+v", sc)
	}
	if got := sc.Certificates[0]; got.Subject != "CN=server.example" || got.SerialNumber != "2A" || got.PublicKeyAlgorithm != "ECDSA" || got.Error != "" {
		t.Errorf("server certificate %+v", got)
	}
	if got := sc.Certificates[1]; got.Error == "" || got.Length != 2 {
		t.Errorf("unparsable certificate %+v", got)
	}
	if cc := r.ClientCertificates; cc == nil || cc.Count != 1 || cc.Certificates[0].SHA256 != sc.Certificates[0].SHA256 {
		t.Errorf("client chain %+v", cc)
	}
	if p := r.ServerKeyExchange; p == nil || p.KeyExchange != "ECDHE_RSA" || p.NamedGroup != 23 || p.PublicKeyLength != 4 ||
		p.SignatureAlgorithm != 0x0401 || p.SignatureLength != 2 {
		t.Errorf("server_key_exchange %+v", p)
	}
	if p := r.ClientKeyExchange; p == nil || p.KeyExchange != "ECDHE_RSA" || p.KeyLength != 4 {
		t.Errorf("client_key_exchange %+v", p)
	}
	if cr := r.CertificateRequest; cr == nil || len(cr.CertificateTypes) != 1 || cr.CertificateTypes[0] != 1 {
		t.Errorf("certificate_request %+v", cr)
	}
	if cs := r.CertificateStatus; cs == nil || cs.StatusType != decode.StatusTypeOCSP || cs.ResponseLength != 3 {
		t.Errorf("certificate_status %+v", cs)
	}
	if n := r.NewSessionTicket; n == nil || n.LifetimeHint != 7200 || n.TicketLength != 5 {
		t.Errorf("new_session_ticket %+v", n)
	}
}

// TestDetailsMalformedKeyExchange: a ServerKeyExchange that does not fit
// the layout of the negotiated suite is malformed_handshake, by the server.
func TestDetailsMalformedKeyExchange(t *testing.T) {
	dheBody := hs(decode.HandshakeServerKeyExchange, cat(u16(1), []byte{0xff}, u16(1), []byte{2}, u16(1), []byte{5}, u16(0x0401), u16(0)))
	r := run(t, true, c(ch12), s(record(22, cat(shECDHE, cert, dheBody, shd))))
	if r.Outcome != OutcomeViolation || len(r.Violations) != 1 {
		t.Fatalf("outcome %s, violations %+v", r.Outcome, r.Violations)
	}
	v := r.Violations[0]
	if v.Code != CodeMalformedHandshake || v.From != Server || v.Got != "server_key_exchange" || r.ServerKeyExchange != nil {
		t.Errorf("violation %+v, params %+v", v, r.ServerKeyExchange)
	}
	// The client's: an RSA suite's ClientKeyExchange without its length.
	r = run(t, true, c(ch12), s(record(22, cat(shRSA, cert, shd))), c(record(22, hs(decode.HandshakeClientKeyExchange, make([]byte, 5)))))
	if len(r.Violations) != 1 || r.Violations[0].Code != CodeMalformedHandshake || r.Violations[0].From != Client {
		t.Errorf("client key exchange: %+v", r.Violations)
	}
}

// TestDetailsOutOfOrder: a message the order rejects is still shown, so
// that a user sees what the offending message said.
func TestDetailsOutOfOrder(t *testing.T) {
	r := run(t, true, c(ch12), s(record(22, cat(shECDHE, certReq))))
	if r.Outcome != OutcomeViolation || r.Violations[0].Got != "certificate_request" || r.CertificateRequest == nil {
		t.Errorf("outcome %s, violations %+v, certificate_request %+v", r.Outcome, r.Violations, r.CertificateRequest)
	}
}

// TestDetailsHelloRetryRequest: the HelloRetryRequest is kept beside the
// ServerHello.
func TestDetailsHelloRetryRequest(t *testing.T) {
	hrr := hello{version: 0x0303, suites: []int{suiteTLS13}, exts: [][]byte{sv13SH, hrrKeyShr}}.body(true)
	copy(hrr[2:], hrrRandom)
	r := run(t, true, c(ch13), s(record(22, hs(decode.HandshakeServerHello, hrr))), c(ch13), s(sh13))
	if r.HelloRetryRequest == nil || !r.HelloRetryRequest.HelloRetryRequest || r.HelloRetryRequest.KeyShareGroup != 23 {
		t.Errorf("hello_retry_request %+v", r.HelloRetryRequest)
	}
	if r.ServerHello == nil || r.ServerHello.HelloRetryRequest {
		t.Errorf("server_hello %+v", r.ServerHello)
	}
}

// TestDetailsChainBound: a Certificate message of many certificates keeps
// decode.MaxChainCertificates summaries and counts the rest.
func TestDetailsChainBound(t *testing.T) {
	ders := make([][]byte, decode.MaxChainCertificates+40)
	for i := range ders {
		ders[i] = []byte{0x30, byte(i)}
	}
	r := run(t, true, c(ch12), s(record(22, cat(shECDHE, certMsg(ders...)))))
	if ch := r.ServerCertificates; ch == nil || ch.Count != len(ders) || len(ch.Certificates) != decode.MaxChainCertificates {
		t.Errorf("chain %d of %d", len(ch.Certificates), ch.Count)
	}
}

// TestCertificateCache: a Collector parses a certificate once; the cache
// is bounded and changes no result.
func TestCertificateCache(t *testing.T) {
	der := testCertDER(t)
	col := NewCollector(Options{})
	a := col.chain(&decode.Certificate{Certificates: [][]byte{der}})
	b := col.chain(&decode.Certificate{Certificates: [][]byte{der}})
	if len(col.certs) != 1 || a.Certificates[0].SHA256 != b.Certificates[0].SHA256 || a.Certificates[0].Subject != "CN=server.example" {
		t.Errorf("cache %d entries, %+v %+v", len(col.certs), a, b)
	}
	for i := range maxCachedCertificates + 10 {
		col.chain(&decode.Certificate{Certificates: [][]byte{{0x30, byte(i), byte(i >> 8)}}})
	}
	if len(col.certs) > maxCachedCertificates {
		t.Errorf("cache grew to %d", len(col.certs))
	}
	if c := col.chain(&decode.Certificate{Certificates: [][]byte{der}}); c.Certificates[0].Subject != "CN=server.example" {
		t.Errorf("after eviction: %+v", c)
	}
}
