package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hsdecode/hsdecode/flows"
	"github.com/hsdecode/hsdecode/keylog"
	"github.com/hsdecode/hsdecode/reassembly"
)

// The TLS 1.0-1.2 captures of scripts/make-keylog-testdata.sh read with
// their key logs and --follow: each Finished verified, alerts named, data
// counted, renegotiations decoded through the order rows.

// analyze12 reads a capture with a key log (none for "") and Follow, and
// returns its one connection that carried a handshake.
func analyze12(t *testing.T, pcap, keys string, follow bool) *flows.Result {
	t.Helper()
	o := flows.Options{Follow: follow}
	if keys != "" {
		g := new(keylog.Log)
		if _, err := g.Load(keys); err != nil {
			t.Fatal(err)
		}
		o.Keys = g
	}
	an, err := analyze(pcap, o, reassembly.Options{})
	if err != nil || an.readErr != nil {
		t.Fatalf("analyze: %v %v", err, an)
	}
	var found *flows.Result
	for i := range an.results {
		if r := &an.results[i]; r.ClientHello != nil {
			if found != nil {
				t.Fatalf("%s: more than one handshake", pcap)
			}
			found = r
		}
	}
	if found == nil {
		t.Fatalf("%s: no handshake", pcap)
	}
	return found
}

func alertsOf(r *flows.Result) string {
	var b []string
	for _, a := range r.Alerts {
		if a.Encrypted {
			b = append(b, fmt.Sprintf("%s encrypted", a.From))
			continue
		}
		b = append(b, fmt.Sprintf("%s %s %s", a.From, a.Level, a.Description))
	}
	return strings.Join(b, ", ")
}

const (
	full12Ladder = "c:client_hello s:server_hello s:certificate s:server_key_exchange s:server_hello_done c:client_key_exchange c:change_cipher_spec c:finished* " +
		"s:new_session_ticket s:change_cipher_spec s:finished*"
	closeNotify = "client warning close_notify, server warning close_notify"
)

// TestKeyLogTLS12Captures: the bundled TLS 1.2 captures with keys and
// --follow.
func TestKeyLogTLS12Captures(t *testing.T) {
	for _, tt := range []struct {
		name   string
		reneg  uint32
		alerts string
		ladder string // after the first handshake's
		data   flows.RecordCount
	}{
		{"47-tls12-null-sha256", 0, "server warning close_notify, client warning close_notify",
			" s:alert* c:alert*", flows.RecordCount{Client: 1, Server: 1}},
		// A full second handshake: the server resumes no session on
		// renegotiation.
		{"48-tls12-renegotiation", 1, closeNotify,
			" c:client_hello* s:server_hello* s:certificate* s:server_key_exchange* s:server_hello_done* c:client_key_exchange* c:change_cipher_spec* c:finished*" +
				" s:change_cipher_spec* s:finished* c:alert* s:alert*", flows.RecordCount{Client: 2}},
		// The server's HelloRequest, answered with an abbreviated handshake.
		{"49-tls12-server-renegotiation", 1, closeNotify,
			" s:hello_request* c:client_hello* s:server_hello* s:change_cipher_spec* s:finished* c:change_cipher_spec* c:finished* c:alert* s:alert*", flows.RecordCount{Client: 2}},
		{"50-tls12-cbc-etm", 0, "server warning close_notify, client warning close_notify", " s:alert* c:alert*", flows.RecordCount{Client: 1, Server: 1}},
		{"51-tls12-cbc-no-etm", 0, "server warning close_notify, client warning close_notify", " s:alert* c:alert*", flows.RecordCount{Client: 1, Server: 1}},
		// OpenSSL 3 refuses a client's renegotiation unless told: the
		// refusal and the client's answer, named.
		{"52-tls12-renegotiation-refused", 1, "server warning no_renegotiation, client fatal handshake_failure",
			" c:client_hello* s:alert* c:alert*", flows.RecordCount{Client: 1}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			pcap := filepath.Join(pcapDir, tt.name+".pcap")
			r := analyze12(t, pcap, filepath.Join(pcapDir, tt.name+".keys"), true)
			if r.Outcome != flows.OutcomeEstablished || r.Keys != flows.KeysFound || len(r.Violations) > 0 {
				t.Errorf("outcome %s keys %q violations %+v", r.Outcome, r.Keys, r.Violations)
			}
			if r.Renegotiations != tt.reneg {
				t.Errorf("renegotiations %d, want %d", r.Renegotiations, tt.reneg)
			}
			if got := alertsOf(r); got != tt.alerts {
				t.Errorf("alerts %q, want %q", got, tt.alerts)
			}
			first := full12Ladder
			if strings.HasPrefix(tt.name, "47") {
				first = strings.Replace(full12Ladder, " s:server_key_exchange", "", 1)
			}
			if got := ladder(r); got != first+tt.ladder {
				t.Errorf("ladder\n got %s\nwant %s", got, first+tt.ladder)
			}
			if r.ApplicationData != tt.data {
				t.Errorf("application data %+v, want %+v", r.ApplicationData, tt.data)
			}
			// The report stays the first handshake's.
			if r.ServerHello == nil || r.Resumed || r.ClientCertificate != flows.ClientCertNone {
				t.Errorf("server hello %v resumed %v client certificate %q", r.ServerHello != nil, r.Resumed, r.ClientCertificate)
			}
			// Without keys: a renegotiation is counted from its opaque
			// records, the alerts stay encrypted (but a NULL suite's).
			plain := analyze12(t, pcap, "", true)
			if plain.Renegotiations != tt.reneg || plain.Outcome != flows.OutcomeEstablished || plain.ApplicationData != tt.data {
				t.Errorf("without keys: outcome %s renegotiations %d data %+v", plain.Outcome, plain.Renegotiations, plain.ApplicationData)
			}
		})
	}
}

// TestNullSuiteWithoutKeys: a NULL suite's Finished and alerts are read in
// clear without keys: typed, not marked encrypted nor decrypted.
func TestNullSuiteWithoutKeys(t *testing.T) {
	r := analyze12(t, filepath.Join(pcapDir, "47-tls12-null-sha256.pcap"), "", true)
	want := "c:client_hello s:server_hello s:certificate s:server_hello_done c:client_key_exchange c:change_cipher_spec c:finished " +
		"s:new_session_ticket s:change_cipher_spec s:finished s:alert c:alert"
	if got := ladder(r); got != want || r.Outcome != flows.OutcomeEstablished {
		t.Errorf("outcome %s ladder\n got %s\nwant %s", r.Outcome, got, want)
	}
	for _, m := range r.Messages {
		if m.Encrypted {
			t.Errorf("%s %s marked encrypted", m.From, m.Type)
		}
	}
	if got := alertsOf(r); got != "server warning close_notify, client warning close_notify" {
		t.Errorf("alerts %q", got)
	}
}

// TestKeyLogCorpusTLS12: the shared corpus's key log captures of SSL 3.0
// to TLS 1.2 (snet's decrypt_by_keylog): keys found, both Finished
// verified, with --follow the client's close_notify by name.
func TestKeyLogCorpusTLS12(t *testing.T) {
	dir := filepath.Join(tsharkCorpusDir, "snet/tests/pcap/data/decrypt_by_keylog")
	needCorpus(t, dir)
	for _, tt := range []struct {
		pcap, keys, version, suite string
	}{
		{"ssl3_0.pcap", "ssl3_0.keylog", "SSL 3.0", "TLS_DHE_RSA_WITH_AES_256_CBC_SHA"},
		{"tls1_0.pcap", "tls1_0.keylog", "TLS 1.0", "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA"},
		{"tls1_1.pcap", "tls1_1.keylog", "TLS 1.1", "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA"},
		{"tls1_2.pcap", "tls1_2.keylog", "TLS 1.2", "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384"},
		{"TLS1_AECDH-NULL-SHA.pcap", "TLS1_AECDH-NULL-SHA.txt", "TLS 1.0", "TLS_ECDH_anon_WITH_NULL_SHA"},
	} {
		t.Run(tt.pcap, func(t *testing.T) {
			g := new(keylog.Log)
			if _, err := g.Load(filepath.Join(dir, tt.keys)); err != nil {
				t.Fatal(err)
			}
			an, err := analyze(filepath.Join(dir, tt.pcap), flows.Options{Keys: g, Follow: true}, reassembly.Options{})
			if err != nil || an.readErr != nil {
				t.Fatalf("analyze: %v %v", err, an)
			}
			n := 0
			for i := range an.results {
				r := &an.results[i]
				if r.Outcome != flows.OutcomeEstablished {
					continue // tls1_1's first try, refused; ssl3_0's first, cut
				}
				n++
				if r.Keys != flows.KeysFound || len(r.Violations) > 0 || r.Version.String() != tt.version || r.CipherSuite.String() != tt.suite {
					t.Errorf("keys %q violations %+v version %s suite %s", r.Keys, r.Violations, r.Version, r.CipherSuite)
				}
				var fin []string
				for _, m := range r.Messages {
					if m.Type == "finished" && m.Decrypted {
						fin = append(fin, string(m.From))
					}
				}
				if strings.Join(fin, " ") != "client server" {
					t.Errorf("decrypted finished from %v, want client then server", fin)
				}
				if got := alertsOf(r); got != "client warning close_notify" {
					t.Errorf("alerts %q, want the client's close_notify", got)
				}
			}
			if n != 1 {
				t.Errorf("%d established connections, want 1", n)
			}
		})
	}
}

// TestKeyLogRenegotiationWithoutItsKeys: a key log with the first
// handshake's CLIENT_RANDOM only decrypts the renegotiation's hellos and
// flights (under the first keys), not its Finished (under its own): those
// stay opaque, unverified, and what follows them is not read.
func TestKeyLogRenegotiationWithoutItsKeys(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(pcapDir, "48-tls12-renegotiation.keys"))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.SplitN(string(b), "\n", 2)
	first := filepath.Join(t.TempDir(), "first.keys")
	if err := os.WriteFile(first, []byte(lines[0]+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	r := analyze12(t, filepath.Join(pcapDir, "48-tls12-renegotiation.pcap"), first, true)
	if r.Outcome != flows.OutcomeEstablished || r.Keys != flows.KeysFound || len(r.Violations) > 0 || r.Renegotiations != 1 {
		t.Errorf("outcome %s keys %q violations %+v renegotiations %d", r.Outcome, r.Keys, r.Violations, r.Renegotiations)
	}
	want := full12Ladder + " c:client_hello* s:server_hello* s:certificate* s:server_key_exchange* s:server_hello_done* c:client_key_exchange* c:change_cipher_spec* c:finished" +
		" s:change_cipher_spec* s:finished c:alert s:alert"
	if got := ladder(r); got != want {
		t.Errorf("ladder\n got %s\nwant %s", got, want)
	}
}
