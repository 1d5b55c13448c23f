package main

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hsdecode/hsdecode/flows"
	"github.com/hsdecode/hsdecode/internal/rewrite"
	"github.com/hsdecode/hsdecode/keylog"
	"github.com/hsdecode/hsdecode/reassembly"
	"github.com/hsdecode/hsdecode/report"
)

// diagnosed is what a connection's diagnosis must say: its code, and
// pieces of its cause and evidence ("" for a connection without one).
type diagnosed struct {
	code     string
	evidence []string // each must appear in the cause or one evidence line
}

// diagnoses are the diagnoses testdata/pcaps/MANIFEST.md promises, per
// capture and connection, with every rule selected (so that the findings
// of established connections are diagnosed too).
var diagnoses = map[string][]diagnosed{
	"06-tls12-mtls-no-client-cert":    {{"client_cert_missing", []string{"empty Certificate", "from one of: CN=hsdecode test ca"}}},
	"07-tls12-no-shared-cipher":       {{"no_common_cipher", []string{"2 cipher suites: TLS_RSA_WITH_AES_256_CBC_SHA"}}},
	"08-version-mismatch":             {{"no_common_version", []string{"versions: TLS 1.3"}}},
	"16-tls10":                        {{"legacy_version", []string{"nothing newer than TLS 1.0"}}},
	"23-violation-shd-before-cert":    {{"order_violation", []string{"server_hello_done where the RFC requires certificate", "strips messages", "client answered with a fatal unexpected_message alert"}}},
	"26-violation-cv-without-cert":    {{"order_violation", []string{"signs without having sent a certificate"}}},
	"28-plaintext-to-tls-port":        {{"client_not_tls", []string{"plain HTTP to port 4433", `"GET /hello.txt H"`}}},
	"30-tls13-go-client-rejects-cert": {{"client_alert_encrypted", []string{"encrypted alert from the client"}}},
	"31-tls13-mtls-no-client-cert":    {{"server_alert_encrypted", []string{"refuses the client's certificate"}}},
	"60-diag-server-untrusted": {
		{"server_cert_untrusted", []string{"does not trust CN=hsdecode test ca", "certificate 1: CN=localhost, issued by CN=hsdecode test ca", "only its own certificate"}},
		{"server_cert_rejected", []string{"an issuer the client does not trust (CN=hsdecode test ca)"}},
		{"server_cert_untrusted", []string{"does not trust CN=hsdecode test ca"}},
		{"server_cert_rejected", []string{"bad_certificate"}},
	},
	"61-diag-cert-dates": {
		{"server_cert_expired", []string{"expired 2024-02-01T00:00:00Z", "days before the connection"}},
		{"server_cert_not_yet_valid", []string{"not valid before 2099-01-01T00:00:00Z"}},
		{"server_cert_expired", []string{"expired 2024-02-01T00:00:00Z"}},
		{"expired_certificate", []string{"does not check the certificate's dates"}},
	},
	"62-diag-sni-mismatch": {
		{"server_cert_name_mismatch", []string{"does not cover www.example.org", "names: localhost, 127.0.0.1"}},
		{"server_cert_name_mismatch", []string{"does not cover www.example.org"}},
		{"", nil}, // curl checks the name after the handshake
		{"server_cert_name_mismatch", []string{"does not cover www.example.org"}},
	},
	"63-diag-mtls": {
		{"client_cert_missing", []string{"empty Certificate", "from one of: CN=hsdecode test ca"}},
		{"client_cert_issuer_not_accepted", []string{"issued by CN=hsdecode test otherca, which is not among", "CN=hsdecode untrusted client"}},
		{"client_cert_expired", []string{"CN=hsdecode expired client expired 2024-02-01T00:00:00Z"}},
		{"client_cert_missing", []string{"empty Certificate"}},
		{"client_cert_missing", []string{"fatal decode_error alert from the server"}},
	},
	"64-diag-nothing-in-common": {
		{"", nil}, {"", nil}, {"", nil},
		{"no_common_cipher", []string{"none of the cipher suites the server chose", "the server chose TLS 1.2 TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256 for 3 other connections before it", "2 cipher suites: TLS_RSA_WITH_AES_256_CBC_SHA"}},
		{"no_common_version", []string{"up to TLS 1.1", "for 3 other connections before it"}},
		{"no_common_cipher", []string{"TLS_CHACHA20_POLY1305_SHA256", "for 3 other connections before it"}},
		{"", nil}, {"", nil},
		{"no_common_cipher", []string{"none of the groups the server chose for other clients (x25519)", "groups: secp384r1", "for 2 other connections before it"}},
	},
	"65-diag-alpn": {
		{"", nil}, {"", nil},
		{"no_application_protocol", []string{"ALPN: imap, smtp", "completed handshakes for 2 other connections before it"}},
	},
	"66-diag-unrecognized-name": {{"", nil}, {"unrecognized_name", []string{`no host named "www.example.org"`, "handshakes for localhost, 1 other connection before it"}}},
	"67-diag-fallback":          {{"", nil}, {"inappropriate_fallback", []string{"TLS_FALLBACK_SCSV", "the server chose TLS 1.3"}}},
	"68-diag-no-tls-answer": {
		{"server_not_tls", []string{"port 44422", "an HTML page (plain HTTP)", `"<!DOCTYPE HTML>."`}},
		{"server_not_tls", []string{"an HTML page"}},
		{"server_reset", []string{"reset after the ClientHello", "reset (RST)"}},
		{"server_silent", []string{"never answered", "closed (FIN)"}},
	},
	"69-diag-no-sni": {{"no_sni", []string{"no server_name extension"}}},
	"70-diag-hrr":    {{"hello_retry_failed", []string{"key share in secp521r1, a group the client never offered", "offered groups: x25519, secp256r1"}}},
}

// TestDiagnosisCaptures checks, on real stacks' captures, each
// connection's diagnosis code and the evidence it names, as a run writes
// them: in the order of the report, with the rules of --fail-on all.
func TestDiagnosisCaptures(t *testing.T) {
	rules, err := report.ParseRules("all")
	if err != nil {
		t.Fatal(err)
	}
	for name, wants := range diagnoses {
		t.Run(name, func(t *testing.T) {
			an, err := analyze(filepath.Join(pcapDir, name+".pcap"), flows.Options{}, reassembly.Options{})
			if err != nil || an.readErr != nil {
				t.Fatalf("analyze: %v %v", err, an.readErr)
			}
			if len(an.results) != len(wants) {
				t.Fatalf("%d connections, want %d", len(an.results), len(wants))
			}
			g := newGate(rules, nil, 0)
			for i := range an.results {
				r := &an.results[i]
				g.add(r)
				checkDiagnosis(t, i+1, r.Diagnosis, wants[i])
			}
		})
	}
}

func checkDiagnosis(t *testing.T, n int, d *flows.Diagnosis, w diagnosed) {
	t.Helper()
	if d == nil {
		if w.code != "" {
			t.Errorf("connection %d: no diagnosis, want %s", n, w.code)
		}
		return
	}
	if d.Code != w.code {
		t.Errorf("connection %d: diagnosis %s (%s), want %q", n, d.Code, d.Cause, w.code)
		return
	}
	text := d.Cause + "\n" + strings.Join(d.Evidence, "\n")
	for _, e := range w.evidence {
		if !strings.Contains(text, e) {
			t.Errorf("connection %d: %s lacks %q:\n%s", n, d.Code, e, text)
		}
	}
	if d.Cause == "" || d.Hint == "" {
		t.Errorf("connection %d: %s without a cause or a hint: %+v", n, d.Code, d)
	}
}

// TestDiagnosisKeys: with the key log, the decrypted TLS 1.3 alert gives
// its cause, where without it only its sender is known.
func TestDiagnosisKeys(t *testing.T) {
	rules, _ := report.ParseRules("all")
	for _, c := range []struct {
		name string
		want diagnosed
	}{
		{"33-tls13-keylog-mtls-no-cert", diagnosed{"client_cert_missing", []string{"certificate_required alert from the server (decrypted with the key log)"}}},
		{"34-tls13-keylog-mtls-untrusted", diagnosed{"client_cert_issuer_not_accepted", []string{"issued by CN=hsdecode test otherca, which is not among",
			"unknown_ca alert from the server (decrypted with the key log)", "from one of: CN=hsdecode test ca", "CN=hsdecode untrusted client"}}},
	} {
		t.Run(c.name, func(t *testing.T) {
			ks := new(keylog.Log)
			if _, err := ks.Load(filepath.Join(pcapDir, c.name+".keys")); err != nil {
				t.Fatal(err)
			}
			an, err := analyze(filepath.Join(pcapDir, c.name+".pcap"), flows.Options{Keys: ks}, reassembly.Options{})
			if err != nil || len(an.results) != 1 {
				t.Fatalf("analyze: %v, %d results", err, len(an.results))
			}
			r := &an.results[0]
			newGate(rules, nil, 0).add(r)
			checkDiagnosis(t, 1, r.Diagnosis, c.want)
		})
	}
}

// TestDiagnosisTamperedHandshake: a ClientHello changed on its way (one
// byte of its legacy_session_id, which the transcript covers and no key
// depends on) leaves the key log's keys right and the server's Finished
// wrong: finished_mismatch, whose cause names a tampered handshake.
func TestDiagnosisTamperedHandshake(t *testing.T) {
	name := "32-tls13-keylog-full"
	pkts, err := rewrite.ReadFile(filepath.Join(pcapDir, name+".pcap"))
	if err != nil {
		t.Fatal(err)
	}
	tampered := false
	for _, p := range pkts {
		// A record header, then client_hello: legacy_session_id's first
		// byte follows the version and random (RFC 8446, 4.1.2).
		if i := bytes.Index(p.Data, []byte{0x16, 0x03, 0x01}); i >= 0 && !tampered && len(p.Data) > i+45 && p.Data[i+5] == 1 && p.Data[i+43] == 32 {
			p.Data[i+44] ^= 0xff
			tampered = true
		}
	}
	if !tampered {
		t.Fatal("no ClientHello with a 32-byte session id found")
	}
	path := filepath.Join(t.TempDir(), "tampered.pcap")
	if err := rewrite.WriteFile(path, pkts); err != nil {
		t.Fatal(err)
	}
	ks := new(keylog.Log)
	if _, err := ks.Load(filepath.Join(pcapDir, name+".keys")); err != nil {
		t.Fatal(err)
	}
	an, err := analyze(path, flows.Options{Keys: ks}, reassembly.Options{ChecksumMode: reassembly.ChecksumOff})
	if err != nil || len(an.results) != 1 {
		t.Fatalf("analyze: %v, %d results", err, len(an.results))
	}
	r := &an.results[0]
	rules, _ := report.ParseRules("all")
	newGate(rules, nil, 0).add(r)
	checkDiagnosis(t, 1, r.Diagnosis, diagnosed{"finished_mismatch", []string{"The server's Finished does not match", "altered in transit", "this connection's traffic keys"}})
}
