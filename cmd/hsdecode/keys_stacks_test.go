package main

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hsdecode/hsdecode/flows"
	"github.com/hsdecode/hsdecode/keylog"
	"github.com/hsdecode/hsdecode/reassembly"
)

// Decrypted ladders of the captures of several conversations, application
// data left out (whether the client's request goes out before the server's
// tickets varies from one recording to the next).
const (
	ladder13 = "c:client_hello s:server_hello s:change_cipher_spec s:encrypted_extensions* s:certificate* s:certificate_verify* s:finished* " +
		"c:change_cipher_spec c:finished* s:new_session_ticket*"
	ladder12 = "c:client_hello s:server_hello s:certificate s:server_key_exchange s:server_hello_done " +
		"c:client_key_exchange c:change_cipher_spec c:finished* s:change_cipher_spec s:finished*"
	ladder12T = "c:client_hello s:server_hello s:certificate s:server_key_exchange s:server_hello_done " +
		"c:client_key_exchange c:change_cipher_spec c:finished* s:new_session_ticket s:change_cipher_spec s:finished*"
	// gnutls-serv asks for a client certificate, and gnutls-cli sends an
	// empty one.
	ladder12GnuTLSRSA = "c:client_hello s:server_hello s:certificate s:certificate_request s:server_hello_done " +
		"c:certificate c:client_key_exchange c:change_cipher_spec c:finished* s:new_session_ticket s:change_cipher_spec s:finished*"
	ladder12GnuTLSECDHE = "c:client_hello s:server_hello s:certificate s:server_key_exchange s:certificate_request s:server_hello_done " +
		"c:certificate c:client_key_exchange c:change_cipher_spec c:finished* s:new_session_ticket s:change_cipher_spec s:finished*"
	// A GnuTLS client sends its compatibility ChangeCipherSpec at once,
	// before the server's encrypted flight.
	ladder13GnuTLSServer = "c:client_hello s:server_hello s:change_cipher_spec c:change_cipher_spec s:encrypted_extensions* " +
		"s:certificate_request* s:certificate* s:certificate_verify* s:finished* c:certificate* "
)

// stackConn is what testdata/pcaps/MANIFEST.md says one connection of a
// capture of several conversations reports with its key log.
type stackConn struct {
	port       uint16
	version    string
	suite      string
	outcome    flows.Outcome
	clientCert string
	alert      string // "from level description" of every alert, joined by ", "
	ladder     string
}

// TestKeyLogStacks reads the captures of several conversations of
// scripts/make-keylog-testdata.sh (53-57: every cipher suite; GnuTLS, curl
// and Go's crypto/tls writing the key log) with their key logs: per
// connection the keys found, version, suite, outcome, both Finished
// decrypted and verified (no violation, so no bad_finished), the alerts
// with their side and the decrypted ladder.
func TestKeyLogStacks(t *testing.T) {
	est := flows.OutcomeEstablished
	for _, tt := range []struct {
		name  string
		conns []stackConn
	}{
		{"53-keylog-suites", []stackConn{
			{44380, "TLS 1.3", "TLS_AES_128_GCM_SHA256", est, flows.ClientCertNone, "", ladder13},
			{44381, "TLS 1.3", "TLS_AES_256_GCM_SHA384", est, flows.ClientCertNone, "", ladder13},
			{44382, "TLS 1.3", "TLS_CHACHA20_POLY1305_SHA256", est, flows.ClientCertNone, "", ladder13},
			{44383, "TLS 1.3", "TLS_AES_128_CCM_SHA256", est, flows.ClientCertNone, "", ladder13},
			{44384, "TLS 1.3", "TLS_AES_128_CCM_8_SHA256", est, flows.ClientCertNone, "", ladder13},
			{44385, "TLS 1.2", "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", est, flows.ClientCertNone, "", ladder12T},
			{44386, "TLS 1.2", "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256", est, flows.ClientCertNone, "", ladder12T},
			{44387, "TLS 1.2", "TLS_ECDHE_ECDSA_WITH_AES_128_CCM", est, flows.ClientCertNone, "", ladder12T},
			{44388, "TLS 1.2", "TLS_ECDHE_ECDSA_WITH_AES_128_CCM_8", est, flows.ClientCertNone, "", ladder12T},
			// CBC with encrypt_then_mac (RFC 7366) and without.
			{44389, "TLS 1.2", "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA", est, flows.ClientCertNone, "", ladder12T},
			{44390, "TLS 1.2", "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256", est, flows.ClientCertNone, "", ladder12T},
			{44391, "TLS 1.2", "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384", est, flows.ClientCertNone, "", ladder12T},
			{44392, "TLS 1.2", "TLS_RSA_WITH_3DES_EDE_CBC_SHA", est, flows.ClientCertEmpty, "", ladder12GnuTLSRSA},
			// Explicit IVs (TLS 1.1), and TLS 1.0's IV chained from the key
			// block.
			{44393, "TLS 1.1", "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA", est, flows.ClientCertNone, "", ladder12T},
			{44394, "TLS 1.0", "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA", est, flows.ClientCertNone, "", ladder12T},
			{44395, "TLS 1.0", "TLS_ECDHE_RSA_WITH_3DES_EDE_CBC_SHA", est, flows.ClientCertEmpty, "", ladder12GnuTLSECDHE},
		}},
		{"54-keylog-gnutls", []stackConn{
			// The client's close_notify follows its request before the
			// server's tickets, decrypted with its application key.
			{44396, "TLS 1.3", "TLS_AES_256_GCM_SHA384", est, flows.ClientCertNone, "client warning close_notify",
				strings.Replace(ladder13, "s:new_session_ticket*", "c:alert* s:new_session_ticket*", 1)},
			{44396, "TLS 1.2", "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384", est, flows.ClientCertNone, "", ladder12T},
		}},
		{"55-keylog-curl", []stackConn{
			{44397, "TLS 1.3", "TLS_AES_256_GCM_SHA384", est, flows.ClientCertNone, "", ladder13},
			{44397, "TLS 1.2", "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384", est, flows.ClientCertNone, "", ladder12},
		}},
		{"56-keylog-go", []stackConn{
			// tlspeer's client keeps no session cache, so it offers no
			// psk_key_exchange_modes and Go's server sends no ticket
			// (RFC 8446, 4.2.9).
			{44398, "TLS 1.3", "TLS_AES_128_GCM_SHA256", est, flows.ClientCertSent, "",
				"c:client_hello s:server_hello s:change_cipher_spec s:encrypted_extensions* s:certificate_request* s:certificate* s:certificate_verify* s:finished* " +
					"c:change_cipher_spec c:certificate* c:certificate_verify* c:finished*"},
			{44398, "TLS 1.2", "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", est, flows.ClientCertSent, "",
				"c:client_hello s:server_hello s:certificate s:server_key_exchange s:certificate_request s:server_hello_done " +
					"c:certificate c:client_key_exchange c:certificate_verify c:change_cipher_spec c:finished* s:change_cipher_spec s:finished*"},
			{44398, "TLS 1.3", "TLS_AES_128_GCM_SHA256", flows.OutcomeAlert, flows.ClientCertEmpty, "server fatal certificate_required",
				"c:client_hello s:server_hello s:change_cipher_spec s:encrypted_extensions* s:certificate_request* s:certificate* s:certificate_verify* s:finished* " +
					"c:change_cipher_spec c:certificate* c:finished* s:alert*"},
		}},
		{"57-keylog-gnutls-mtls", []stackConn{
			{44399, "TLS 1.3", "TLS_AES_256_GCM_SHA384", flows.OutcomeAlert, flows.ClientCertEmpty, "server fatal certificate_required",
				ladder13GnuTLSServer + "c:finished* s:alert*"},
			// gnutls-serv logs the untrusted certificate and goes on.
			{44399, "TLS 1.3", "TLS_AES_256_GCM_SHA384", est, flows.ClientCertSent, "",
				ladder13GnuTLSServer + "c:certificate_verify* c:finished* s:new_session_ticket*"},
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			g := new(keylog.Log)
			if _, err := g.Load(filepath.Join(pcapDir, tt.name+".keys")); err != nil {
				t.Fatal(err)
			}
			an, err := analyze(filepath.Join(pcapDir, tt.name+".pcap"), flows.Options{Keys: g}, reassembly.Options{})
			if err != nil || an.readErr != nil || len(an.results) != len(tt.conns) {
				t.Fatalf("analyze: %v %v, %d results, want %d", err, an, len(an.results), len(tt.conns))
			}
			for i, w := range tt.conns {
				r := &an.results[i]
				t.Run(fmt.Sprintf("%d-%d", i+1, w.port), func(t *testing.T) {
					checkStackConn(t, r, w)
				})
			}
		})
	}
}

func checkStackConn(t *testing.T, r *flows.Result, w stackConn) {
	t.Helper()
	suite := ""
	if r.HasCipherSuite {
		suite = r.CipherSuite.String()
	}
	if r.Server.Port() != w.port || r.Version.String() != w.version || suite != w.suite {
		t.Errorf("port %d %s %s, want %d %s %s", r.Server.Port(), r.Version, suite, w.port, w.version, w.suite)
	}
	if r.Keys != flows.KeysFound || r.Outcome != w.outcome || r.ClientCertificate != w.clientCert {
		t.Errorf("keys %q outcome %s client_certificate %q, want found %s %q", r.Keys, r.Outcome, r.ClientCertificate, w.outcome, w.clientCert)
	}
	// A Finished that does not verify is a bad_finished violation.
	if len(r.Violations) > 0 {
		t.Errorf("violations %+v", r.Violations)
	}
	finished := map[flows.Role]int{}
	for _, m := range r.Messages {
		if m.Type == "finished" && m.Decrypted {
			finished[m.From]++
		}
	}
	if finished[flows.Client] != 1 || finished[flows.Server] != 1 {
		t.Errorf("decrypted finished: client %d, server %d, want 1 each", finished[flows.Client], finished[flows.Server])
	}
	var alerts []string
	for _, a := range r.Alerts {
		alerts = append(alerts, fmt.Sprintf("%s %s %s", a.From, a.Level, a.Description))
	}
	if got := strings.Join(alerts, ", "); got != w.alert {
		t.Errorf("alerts %q, want %q", got, w.alert)
	}
	got := strings.ReplaceAll(strings.ReplaceAll(ladder(r), " c:application_data*", ""), " s:application_data*", "")
	if got != w.ladder {
		t.Errorf("ladder\n got %s\nwant %s", got, w.ladder)
	}
}
