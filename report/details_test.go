package report

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/hsdecode/hsdecode/decode"
	"github.com/hsdecode/hsdecode/flows"
)

// detailed is sample() with every detail a TLS 1.2 handshake shows.
func detailed() *flows.Result {
	r := sample()
	r.Outcome, r.Violations, r.Alerts = flows.OutcomeEstablished, nil, nil
	r.Messages = []flows.Message{
		{TS: t0, From: flows.Client, Type: "client_hello", Length: 508},
		{TS: t0, From: flows.Server, Type: "server_hello", Length: 61},
		{TS: t0, From: flows.Server, Type: "certificate", Length: 2000},
		{TS: t0, From: flows.Server, Type: "certificate_status", Length: 400},
		{TS: t0, From: flows.Server, Type: "server_key_exchange", Length: 300},
		{TS: t0, From: flows.Server, Type: "certificate_request", Length: 80},
		{TS: t0, From: flows.Server, Type: "server_hello_done"},
		{TS: t0, From: flows.Client, Type: "certificate", Length: 3},
		{TS: t0, From: flows.Client, Type: "client_key_exchange", Length: 33},
		{TS: t0, From: flows.Server, Type: "new_session_ticket", Length: 200},
	}
	r.ClientHello = &decode.ClientHello{
		LegacyVersion: decode.VersionTLS12, SessionID: []byte{0xab},
		CipherSuites:       []decode.CipherSuite{0x0a0a, 0xc02f},
		CompressionMethods: []decode.CompressionMethod{0},
		Extensions:         []decode.Extension{{Type: 0x0a0a}, {Type: 0, Length: 19}, {Type: 21, Length: 0}, {Type: 0xfe0d, Length: 90}},
		ServerName:         "server.example", ALPN: []string{"h2", "http/1.1"},
		SupportedGroups: []decode.NamedGroup{29}, KeyShares: []decode.KeyShare{{Group: 29, KeyLength: 32}},
		SessionTicket: true, PaddingLength: 0, StatusRequest: true, StatusRequestType: decode.StatusTypeOCSP,
		RecordSizeLimit: 16385, MaxFragmentLength: 2,
		ECH: &decode.ECHClientHello{Type: decode.ECHOuter, KDF: 1, AEAD: 1, ConfigID: 0, EncLength: 32, PayloadLength: 50},
	}
	nb := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	r.ServerCertificates = &flows.Chain{Count: 3, Certificates: []decode.CertInfo{
		{Subject: "CN=server.example,O=Example", CommonName: "server.example", Issuer: "CN=CA", SerialNumber: "0A",
			NotBefore: nb, NotAfter: nb.AddDate(1, 0, 0), DNSNames: []string{"server.example"},
			PublicKeyAlgorithm: "ECDSA", PublicKeyBits: 256, Curve: "P-256", SignatureAlgorithm: "ECDSA-SHA256",
			Version: 3, Length: 500, SHA256: "aa", SHA1: "bb"},
		{Length: 5, SHA256: "cc", SHA1: "dd", Error: "x509: malformed certificate"},
	}}
	r.ClientCertificates = &flows.Chain{}
	r.CertificateStatus = &decode.CertificateStatus{StatusType: decode.StatusTypeOCSP, ResponseLength: 396,
		OCSP: []decode.OCSPResponse{{Length: 396, Status: "successful", CertStatus: "good", ProducedAt: nb, ThisUpdate: nb, Responses: 1}}}
	r.ServerKeyExchange = &decode.ServerKeyExchangeParams{KeyExchange: "ECDHE_RSA", CurveType: 3, NamedGroup: 29, PublicKeyLength: 32,
		Signed: true, SignatureAlgorithm: 0x0804, HasSignatureAlgorithm: true, SignatureLength: 256}
	r.CertificateRequest = &decode.CertificateRequest{CertificateTypes: []decode.ClientCertificateType{1, 64},
		SignatureAlgorithms: []decode.SignatureScheme{0x0804}, CertificateAuthorities: []string{"CN=CA"}, CertificateAuthoritiesCount: 3}
	r.ClientKeyExchange = &decode.ClientKeyExchangeParams{KeyExchange: "ECDHE_RSA", KeyLength: 32}
	r.NewSessionTicket = &decode.NewSessionTicket{LifetimeHint: 7200, TicketLength: 192}
	return r
}

// TestJSONDetails checks the detail objects (README, "Handshake details")
// by name and value.
func TestJSONDetails(t *testing.T) {
	var buf bytes.Buffer
	if err := NewJSONWriter(&buf).Write(detailed(), nil); err != nil {
		t.Fatal(err)
	}
	var got map[string]any
	if err := json.Unmarshal(buf.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"client_hello": map[string]any{
			"version": "TLS 1.2", "random": strings.Repeat("00", 32), "session_id": "ab",
			"cipher_suites": []any{"GREASE_0x0a0a", "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"}, "compression_methods": []any{"NULL"},
			"extensions": []any{
				map[string]any{"type": "GREASE_0x0a0a", "length": 0.0}, map[string]any{"type": "server_name", "length": 19.0},
				map[string]any{"type": "padding", "length": 0.0}, map[string]any{"type": "encrypted_client_hello", "length": 90.0}},
			"server_name": "server.example", "alpn": []any{"h2", "http/1.1"}, "supported_groups": []any{"x25519"},
			"key_shares": []any{map[string]any{"group": "x25519", "length": 32.0}}, "status_request": "ocsp",
			"session_ticket_length": 0.0, "padding_length": 0.0, "record_size_limit": 16385.0, "max_fragment_length": 1024.0,
			"encrypted_client_hello": map[string]any{"type": "outer", "kdf": "HKDF-SHA256", "aead": "AES-128-GCM", "config_id": 0.0,
				"enc_length": 32.0, "payload_length": 50.0},
			"grease": true,
		},
		"certificates": map[string]any{
			"server": []any{
				map[string]any{"subject": "CN=server.example,O=Example", "issuer": "CN=CA", "serial": "0A",
					"not_before": "2025-01-01T00:00:00Z", "not_after": "2026-01-01T00:00:00Z", "san_dns": []any{"server.example"},
					"public_key_algorithm": "ECDSA", "public_key_bits": 256.0, "curve": "P-256", "signature_algorithm": "ECDSA-SHA256",
					"version": 3.0, "length": 500.0, "sha256": "aa", "sha1": "bb"},
				map[string]any{"length": 5.0, "sha256": "cc", "sha1": "dd", "error": "x509: malformed certificate"},
			},
			"server_omitted": 1.0,
		},
		"certificate_status": map[string]any{"status_type": "ocsp", "response_length": 396.0, "ocsp": []any{map[string]any{
			"length": 396.0, "status": "successful", "cert_status": "good", "produced_at": "2025-01-01T00:00:00Z",
			"this_update": "2025-01-01T00:00:00Z", "responses": 1.0}}},
		"server_key_exchange": map[string]any{"key_exchange": "ECDHE_RSA", "curve_type": "named_curve", "named_group": "x25519",
			"public_key_length": 32.0, "signature_algorithm": "rsa_pss_rsae_sha256", "signature_length": 256.0},
		"certificate_request": map[string]any{"certificate_types": []any{"rsa_sign", "ecdsa_sign"},
			"signature_algorithms": []any{"rsa_pss_rsae_sha256"}, "certificate_authorities": []any{"CN=CA"}, "certificate_authorities_omitted": 2.0},
		"client_key_exchange": map[string]any{"key_exchange": "ECDHE_RSA", "key_length": 32.0},
		"new_session_ticket":  map[string]any{"lifetime_hint": 7200.0, "ticket_length": 192.0},
	}
	for k, w := range want {
		if d := cmp.Diff(w, got[k]); d != "" {
			t.Errorf("%s (-want +got):\n%s", k, d)
		}
	}
	if _, ok := got["hello_retry_request"]; ok {
		t.Error("hello_retry_request present without one")
	}
}

// TestTextSummaries: the ladder shows the essentials of each message.
func TestTextSummaries(t *testing.T) {
	var buf bytes.Buffer
	w := NewTextWriter(&buf, Options{})
	if err := w.Write(detailed(), nil); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	for _, want := range []string{
		"client_hello                         508  up to TLS 1.2, 2 suites, alpn h2,http/1.1, key share x25519, ech",
		"certificate                         2000  CN=server.example (ECDSA 256), 2 more",
		"certificate_status                   400  ocsp successful, good",
		"server_key_exchange                  300  x25519, rsa_pss_rsae_sha256",
		"certificate_request                   80  rsa_sign,ecdsa_sign, 3 CA names",
		"client -> server  certificate                            3  empty",
		"client_key_exchange                   33  key 32 bytes",
		"new_session_ticket                   200  lifetime 7200 s, ticket 192 bytes",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("ladder lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "cipher_suites") {
		t.Errorf("details without Verbose:\n%s", out)
	}
}

// TestTextVerbose: with Verbose, every JSON detail follows the ladder
// under its JSON name.
func TestTextVerbose(t *testing.T) {
	var buf bytes.Buffer
	w := NewTextWriter(&buf, Options{Verbose: true})
	if err := w.Write(detailed(), nil); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	for _, want := range []string{
		"\n  client_hello\n",
		"    cipher_suites              GREASE_0x0a0a, TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256\n",
		"    extensions                 GREASE_0x0a0a(0), server_name(19), padding(0), encrypted_client_hello(90)\n",
		"    key_shares                 x25519(32)\n",
		"    encrypted_client_hello\n      type                     outer\n",
		"    server[0]\n      subject                  CN=server.example,O=Example\n",
		"      error                    x509: malformed certificate\n",
		"    server_omitted             1\n",
		"  server_key_exchange\n    key_exchange               ECDHE_RSA\n",
		"    ja3s                       174e7e4992a63f6d419626d97363adb8\n",
		"  fingerprints\n    ja3                        0ef57cd640d3b28d2d24a69f5e2149d8\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("verbose text lacks %q:\n%s", want, out)
		}
	}
}

// TestNewWriter: the format names, and Verbose reaching the text writer.
func TestNewWriter(t *testing.T) {
	var buf bytes.Buffer
	w, err := NewWriter("text", &buf, Options{Verbose: true})
	if err != nil || !w.(*TextWriter).opt.Verbose {
		t.Errorf("text: %v %v", w, err)
	}
	if _, err := NewWriter("xml", &buf, Options{}); err == nil {
		t.Error("unknown format accepted")
	}
}
