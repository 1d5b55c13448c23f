package main

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"strings"
	"testing"
	"time"

	"github.com/hsdecode/hsdecode/flows"
	"github.com/hsdecode/hsdecode/internal/rewrite"
	"github.com/hsdecode/hsdecode/keylog"
	"github.com/hsdecode/hsdecode/reassembly"
)

// TestKeyLogMissingFile: a --keylog that cannot be read stops the run
// before anything is read, in one line.
func TestKeyLogMissingFile(t *testing.T) {
	var out, errb bytes.Buffer
	missing := filepath.Join(t.TempDir(), "nope.keys")
	status := run([]string{"--keylog", missing, filepath.Join(pcapDir, "12-tls13-full.pcap")}, &out, &errb)
	if status != exitError {
		t.Errorf("status %d, want %d", status, exitError)
	}
	if lines := strings.Split(strings.TrimSpace(errb.String()), "\n"); len(lines) != 1 || !strings.Contains(lines[0], "--keylog") || !strings.Contains(lines[0], "nope.keys") {
		t.Errorf("stderr %q, want one line naming --keylog and the file", errb.String())
	}
	if out.Len() != 0 {
		t.Errorf("report written: %q", out.String())
	}
}

// TestKeyLogMalformedLine: a bad line is a warning naming the first one,
// and the run goes on.
func TestKeyLogMalformedLine(t *testing.T) {
	kl := filepath.Join(t.TempDir(), "bad.keys")
	body := "# comment\nCLIENT_RANDOM zz 00\nnot a line\nCLIENT_HANDSHAKE_TRAFFIC_SECRET " + strings.Repeat("ab", 32) + " " + strings.Repeat("cd", 32) + "\n"
	if err := os.WriteFile(kl, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	var out, errb bytes.Buffer
	status := run([]string{"--format", "json", "--keylog", kl, filepath.Join(pcapDir, "12-tls13-full.pcap")}, &out, &errb)
	if status != exitOK {
		t.Fatalf("status %d, stderr %s", status, errb.String())
	}
	lines := strings.Split(strings.TrimSpace(errb.String()), "\n")
	if len(lines) != 1 || !strings.Contains(lines[0], "warning: 1 malformed") || !strings.Contains(lines[0], "bad.keys line 2") {
		t.Errorf("stderr %q, want one warning naming line 2", errb.String())
	}
	if !strings.Contains(out.String(), `"outcome":"established"`) {
		t.Errorf("report %s", out.String())
	}
}

// ladder spells a connection's messages as "from:type", a * marking a
// decrypted one and a ^ one sent in 0-RTT.
func ladder(r *flows.Result) string {
	var b []string
	for _, m := range r.Messages {
		s := string(m.From)[:1] + ":" + m.Type
		if m.Decrypted {
			s += "*"
		}
		if m.EarlyData {
			s += "^"
		}
		b = append(b, s)
	}
	return strings.Join(b, " ")
}

// TestKeyLogCaptures reads the captures of scripts/make-keylog-testdata.sh
// with their key logs: the decrypted ladder, the real alert and its side,
// the client certificate and the keys state.
func TestKeyLogCaptures(t *testing.T) {
	const hello = "c:client_hello s:server_hello s:change_cipher_spec s:encrypted_extensions* "
	for _, tt := range []struct {
		name       string
		outcome    flows.Outcome
		keys       string
		alert      string // "from level description"
		clientCert string
		ladder     string
	}{
		{"32-tls13-keylog-full", flows.OutcomeEstablished, flows.KeysFound, "", flows.ClientCertNone,
			hello + "s:certificate* s:certificate_verify* s:finished* c:change_cipher_spec c:finished* s:new_session_ticket*"},
		{"33-tls13-keylog-mtls-no-cert", flows.OutcomeAlert, flows.KeysFound, "server fatal certificate_required", flows.ClientCertEmpty,
			hello + "s:certificate_request* s:certificate* s:certificate_verify* s:finished* c:change_cipher_spec c:certificate* c:finished* s:alert*"},
		{"34-tls13-keylog-mtls-untrusted", flows.OutcomeAlert, flows.KeysFound, "server fatal unknown_ca", flows.ClientCertSent,
			hello + "s:certificate_request* s:certificate* s:certificate_verify* s:finished* c:change_cipher_spec c:certificate* c:certificate_verify* c:finished* s:alert*"},
		// Another session's secrets under this client random: judged as
		// without keys, and the report says so.
		// Both Finished verified over message_hash (RFC 8446, 4.4.1).
		{"37-tls13-keylog-hrr", flows.OutcomeEstablished, flows.KeysFound, "", flows.ClientCertNone,
			"c:client_hello s:hello_retry_request s:change_cipher_spec c:change_cipher_spec c:client_hello s:server_hello s:encrypted_extensions* " +
				"s:certificate* s:certificate_verify* s:finished* c:finished* s:new_session_ticket*"},
		// TLS 1.2 with CLIENT_RANDOM: each Finished decrypted and verified.
		{"38-tls12-keylog-full", flows.OutcomeEstablished, flows.KeysFound, "", flows.ClientCertNone,
			"c:client_hello s:server_hello s:certificate s:server_key_exchange s:server_hello_done c:client_key_exchange c:change_cipher_spec c:finished* " +
				"s:new_session_ticket s:change_cipher_spec s:finished*"},
		// The ladder is the one without keys (want "").
		{"35-tls13-wrong-keylog", flows.OutcomeEstablished, flows.KeysWrong, "", "", ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			g := new(keylog.Log)
			if _, err := g.Load(filepath.Join(pcapDir, tt.name+".keys")); err != nil {
				t.Fatal(err)
			}
			an, err := analyze(filepath.Join(pcapDir, tt.name+".pcap"), flows.Options{Keys: g}, reassembly.Options{})
			if err != nil || an.readErr != nil || len(an.results) != 1 {
				t.Fatalf("analyze: %v %v, %d results", err, an, len(an.results))
			}
			r := &an.results[0]
			if r.Outcome != tt.outcome || r.Keys != tt.keys || r.ClientCertificate != tt.clientCert {
				t.Errorf("outcome %s keys %q client_certificate %q, want %s %q %q", r.Outcome, r.Keys, r.ClientCertificate, tt.outcome, tt.keys, tt.clientCert)
			}
			if len(r.Violations) > 0 {
				t.Errorf("violations %+v", r.Violations)
			}
			var alert string
			for _, a := range r.Alerts {
				alert = fmt.Sprintf("%s %s %s", a.From, a.Level, a.Description)
			}
			if alert != tt.alert {
				t.Errorf("alert %q, want %q", alert, tt.alert)
			}
			want := tt.ladder
			if want == "" {
				plain, err := analyze(filepath.Join(pcapDir, tt.name+".pcap"), flows.Options{}, reassembly.Options{})
				if err != nil {
					t.Fatal(err)
				}
				want = ladder(&plain.results[0])
			}
			// Whether the client's request goes out before the server's
			// answer varies from one recording to the next.
			got := strings.ReplaceAll(ladder(r), " c:application_data*", "")
			if got != want {
				t.Errorf("ladder\n got %s\nwant %s", got, want)
			}
			if tt.clientCert == flows.ClientCertSent && (r.ClientCertificates == nil || len(r.ClientCertificates.Certificates) != 1 ||
				r.ClientCertificates.Certificates[0].Subject != "CN=hsdecode untrusted client") {
				t.Errorf("client certificates %+v", r.ClientCertificates)
			}
		})
	}
}

// TestKeyLogResumed reads the captures of two connections of
// scripts/make-keylog-testdata.sh with their key log: the second resumes
// the first's session with a PSK, with or without (EC)DHE, and sends 0-RTT
// data that the server accepts or rejects. The ladder marks decrypted
// messages with * and 0-RTT ones with ^.
func TestKeyLogResumed(t *testing.T) {
	const first = "c:client_hello s:server_hello s:change_cipher_spec s:encrypted_extensions* s:certificate* s:certificate_verify* s:finished* " +
		"c:change_cipher_spec c:finished* s:new_session_ticket*"
	const resumed = "s:server_hello s:change_cipher_spec s:encrypted_extensions* s:finished* "
	for _, tt := range []struct {
		name      string
		keyShare  bool // the second ServerHello has a key_share: psk_dhe_ke
		earlyData string
		ladder    string // the second connection's
	}{
		{"43-tls13-keylog-psk-dhe", true, "", "c:client_hello " + resumed + "c:change_cipher_spec c:finished* s:new_session_ticket*"},
		{"44-tls13-keylog-psk-ke", false, "", "c:client_hello " + resumed + "c:change_cipher_spec c:finished* s:new_session_ticket*"},
		{"45-tls13-keylog-early-accepted", true, flows.EarlyDataAccepted,
			"c:client_hello c:change_cipher_spec c:application_data*^ " + resumed + "c:end_of_early_data*^ c:finished* s:new_session_ticket*"},
		// The server skips the 0-RTT request; the client sends it again
		// after its Finished.
		{"46-tls13-keylog-early-rejected", true, flows.EarlyDataRejected,
			"c:client_hello c:change_cipher_spec c:application_data*^ " + resumed + "c:finished* s:new_session_ticket*"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			g := new(keylog.Log)
			if _, err := g.Load(filepath.Join(pcapDir, tt.name+".keys")); err != nil {
				t.Fatal(err)
			}
			an, err := analyze(filepath.Join(pcapDir, tt.name+".pcap"), flows.Options{Keys: g}, reassembly.Options{})
			if err != nil || an.readErr != nil || len(an.results) != 2 {
				t.Fatalf("analyze: %v %v, %d results", err, an, len(an.results))
			}
			for i, want := range []struct {
				resumed   bool
				earlyData string
				ladder    string
			}{{false, "", first}, {true, tt.earlyData, tt.ladder}} {
				r := &an.results[i]
				if r.Outcome != flows.OutcomeEstablished || r.Keys != flows.KeysFound || r.Resumed != want.resumed || r.EarlyData != want.earlyData || len(r.Violations) > 0 {
					t.Errorf("#%d: outcome %s keys %q resumed %v early_data %q violations %+v, want established found %v %q none",
						i+1, r.Outcome, r.Keys, r.Resumed, r.EarlyData, r.Violations, want.resumed, want.earlyData)
				}
				// Whether the client's request goes out before the
				// server's tickets varies from one recording to the next;
				// its 0-RTT copy (^) does not move.
				var kept []string
				for _, m := range strings.Fields(ladder(r)) {
					if m != "c:application_data*" {
						kept = append(kept, m)
					}
				}
				if got := strings.Join(kept, " "); got != want.ladder {
					t.Errorf("#%d ladder\n got %s\nwant %s", i+1, got, want.ladder)
				}
			}
			if sh := an.results[1].ServerHello; sh == nil || !sh.PreSharedKey || (sh.KeyShareLength > 0) != tt.keyShare {
				t.Errorf("second server_hello %+v, want pre_shared_key, key_share %v", sh, tt.keyShare)
			}
		})
	}
}

// TestKeyLogEarlyDataReport: the JSON and text reports say what 0-RTT came
// to, and which messages were sent in it (docs/report.md, early_data).
func TestKeyLogEarlyDataReport(t *testing.T) {
	const name = "45-tls13-keylog-early-accepted"
	args := []string{"--keylog", filepath.Join(pcapDir, name+".keys"), filepath.Join(pcapDir, name+".pcap")}
	var js, text, errb bytes.Buffer
	if status := run(append([]string{"--format", "json"}, args...), &js, &errb); status != exitOK {
		t.Fatalf("status %d: %s", status, errb.String())
	}
	if status := run(args, &text, &errb); status != exitOK {
		t.Fatalf("status %d: %s", status, errb.String())
	}
	second := strings.Split(strings.TrimSpace(js.String()), "\n")[1]
	for _, want := range []string{`"resumed":true,"early_data":"accepted"`,
		`"from":"client","type":"application_data","decrypted":true,"early_data":true,"length":27}`,
		`"from":"client","type":"end_of_early_data","decrypted":true,"early_data":true}`} {
		if !strings.Contains(second, want) {
			t.Errorf("second connection's JSON lacks %s:\n%s", want, second)
		}
	}
	for _, want := range []string{"resumed  0-rtt=accepted", "client -> server  end_of_early_data (decrypted) (0-rtt)"} {
		if !strings.Contains(text.String(), want) {
			t.Errorf("text report lacks %q:\n%s", want, text.String())
		}
	}
}

// TestKeyLogKeyless: a capture read without key material reports no keys
// state, and a key log without its client random says missing and
// changes nothing else.
func TestKeyLogKeyless(t *testing.T) {
	pcap := filepath.Join(pcapDir, "33-tls13-keylog-mtls-no-cert.pcap")
	plain, err := analyze(pcap, flows.Options{}, reassembly.Options{})
	if err != nil {
		t.Fatal(err)
	}
	g := new(keylog.Log)
	if _, err := g.Load(filepath.Join(pcapDir, "32-tls13-keylog-full.keys")); err != nil {
		t.Fatal(err)
	}
	other, err := analyze(pcap, flows.Options{Keys: g}, reassembly.Options{})
	if err != nil {
		t.Fatal(err)
	}
	p, o := &plain.results[0], &other.results[0]
	if p.Keys != "" || o.Keys != flows.KeysMissing {
		t.Errorf("keys %q and %q, want none and missing", p.Keys, o.Keys)
	}
	if p.Outcome != flows.OutcomeAlert || o.Outcome != p.Outcome || ladder(o) != ladder(p) || len(o.Alerts) != 1 || !o.Alerts[0].Encrypted {
		t.Errorf("with another session's key log: %s %s, without: %s %s", o.Outcome, ladder(o), p.Outcome, ladder(p))
	}
}

// TestKeyLogInjected: a pcapng with its key log in a Decryption Secrets
// Block is decrypted with no flag, and reports as its packets in a pcap
// read with --keylog.
func TestKeyLogInjected(t *testing.T) {
	pcapng := filepath.Join(pcapDir, "36-tls13-injected-secrets.pcapng")
	pkts, err := rewrite.ReadFile(pcapng)
	if err != nil {
		t.Fatal(err)
	}
	plain := filepath.Join(t.TempDir(), "36.pcap")
	if err := rewrite.WriteFile(plain, pkts); err != nil {
		t.Fatal(err)
	}
	var withFlag, injected, errb bytes.Buffer
	if status := run([]string{"--format", "json", "--keylog", filepath.Join(pcapDir, "36-tls13-injected-secrets.keys"), plain}, &withFlag, &errb); status != exitOK {
		t.Fatalf("status %d: %s", status, errb.String())
	}
	if status := run([]string{"--format", "json", pcapng}, &injected, &errb); status != exitOK {
		t.Fatalf("status %d: %s", status, errb.String())
	}
	if !strings.Contains(injected.String(), `"keys":"found"`) || injected.String() != withFlag.String() {
		t.Errorf("injected:\n%s\n--keylog:\n%s", injected.String(), withFlag.String())
	}
}

// TestLiveKeyLog: live, a key log the client writes during the handshake
// is followed, and the server's refusal of the missing client certificate
// is reported by its name, from the server, with the keys found. The -w
// file carries the connection's secrets: read again without --keylog, and
// by tshark, it decrypts.
func TestLiveKeyLog(t *testing.T) {
	needLive(t, "openssl")
	bin := buildHsdecode(t)
	needCgoBinary(t, bin)
	pki := makePKI(t)
	port := freePorts(t, 1)[0]
	kl := filepath.Join(t.TempDir(), "live.keys")
	if err := os.WriteFile(kl, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	saved := filepath.Join(t.TempDir(), "saved.pcap")
	p := startCapture(t, bin, "-i", "lo", "-f", fmt.Sprintf("tcp port %d", port), "--format", "json", "--keylog", kl, "-w", saved)
	startServer(t, pki, port, "-tls1_3", "-Verify", "1", "-CAfile", pki.ca)
	runClient(t, "openssl", "s_client", "-connect", fmt.Sprintf("127.0.0.1:%d", port), "-tls1_3", "-CAfile", pki.ca, "-keylogfile", kl)
	r := p.report(port, 10*time.Second)
	checkReport(t, "mTLS 1.3 without client certificate, with keys", r, "alert", "TLS 1.3", "server fatal certificate_required")
	if r.ClientCertificate != flows.ClientCertEmpty {
		t.Errorf("client_certificate %q, want empty", r.ClientCertificate)
	}
	for _, l := range p.stdout.snapshot() {
		if strings.Contains(l, fmt.Sprintf(`"port":%d`, port)) && !strings.Contains(l, `"keys":"found"`) {
			t.Errorf("report without keys found: %s", l)
		}
	}
	p.signalAndWait(os.Interrupt)

	var out, errb bytes.Buffer
	if status := run([]string{"--format", "json", saved}, &out, &errb); status != exitFindings {
		t.Fatalf("reading -w's file again: exit %d, %s", status, errb.String())
	}
	if s := out.String(); !strings.Contains(s, `"keys":"found"`) || !strings.Contains(s, `"certificate_required"`) {
		t.Errorf("-w's file read without --keylog: %s", s)
	}
	if _, err := exec.LookPath("tshark"); err != nil {
		t.Log("tshark not installed: the file is not opened with it")
		return
	}
	ts, err := exec.Command("tshark", "-r", saved, "-d", fmt.Sprintf("tcp.port==%d,tls", port), "-Y", "tls.handshake.type == 8", "-T", "fields", "-e", "frame.number").Output()
	if err != nil || len(bytes.TrimSpace(ts)) == 0 {
		t.Errorf("tshark decrypts no EncryptedExtensions in -w's file (%v): %q", err, ts)
	}
}

// TestKeyLogFollow reads the captures past the handshake of
// scripts/make-keylog-testdata.sh with their key logs and --follow: the
// post-handshake messages decrypted on the ladder (KeyUpdate followed to
// the next secrets, the client's post-handshake authentication with its
// Finished verified), the closing alerts with their names and sides, no
// violation; without --follow, the ladder stops at the verdict as before.
func TestKeyLogFollow(t *testing.T) {
	const hs = "c:client_hello s:server_hello s:change_cipher_spec s:encrypted_extensions* s:certificate* s:certificate_verify* s:finished* " +
		"c:change_cipher_spec c:finished* s:new_session_ticket* s:new_session_ticket*"
	const closed = " c:alert* s:alert*"
	for _, tt := range []struct {
		name       string
		alerts     string // "from level description; ..."
		clientCert string
		alpn       string
		ladder     string // after hs
	}{
		// k and K from the client, then from the server; each K answered
		// by the peer's own KeyUpdate before its next data. Every record
		// after a KeyUpdate decrypts only with the next secret.
		{"39-tls13-keylog-keyupdate", "client warning close_notify; server warning close_notify", flows.ClientCertNone, "h2",
			" c:key_update* c:key_update* s:key_update* s:key_update* s:key_update* c:key_update*" + closed},
		{"40-tls13-keylog-pha", "client warning close_notify; server warning close_notify", flows.ClientCertSent, "",
			" s:certificate_request* c:certificate* c:certificate_verify* c:finished* s:new_session_ticket* s:new_session_ticket*" + closed},
		{"41-tls13-keylog-pha-empty", "client warning close_notify; server warning close_notify", flows.ClientCertEmpty, "",
			" s:certificate_request* c:certificate* c:finished* s:new_session_ticket* s:new_session_ticket*" + closed},
		// The server refuses the certificate after the handshake: the
		// outcome stays established, the alert is named.
		{"42-tls13-keylog-pha-untrusted", "server fatal unknown_ca", flows.ClientCertSent, "",
			" s:certificate_request* c:certificate* c:certificate_verify* c:finished* s:alert*"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			g := new(keylog.Log)
			if _, err := g.Load(filepath.Join(pcapDir, tt.name+".keys")); err != nil {
				t.Fatal(err)
			}
			pcap := filepath.Join(pcapDir, tt.name+".pcap")
			an, err := analyze(pcap, flows.Options{Keys: g, Follow: true}, reassembly.Options{})
			if err != nil || an.readErr != nil || len(an.results) != 1 {
				t.Fatalf("analyze: %v %v, %d results", err, an, len(an.results))
			}
			r := &an.results[0]
			if r.Outcome != flows.OutcomeEstablished || r.Keys != flows.KeysFound || r.ClientCertificate != tt.clientCert || r.ALPN != tt.alpn {
				t.Errorf("outcome %s keys %q client_certificate %q alpn %q, want established found %q %q",
					r.Outcome, r.Keys, r.ClientCertificate, r.ALPN, tt.clientCert, tt.alpn)
			}
			if len(r.Violations) > 0 {
				t.Errorf("violations %+v", r.Violations)
			}
			var alerts []string
			for _, a := range r.Alerts {
				alerts = append(alerts, fmt.Sprintf("%s %s %s", a.From, a.Level, a.Description))
			}
			if got := strings.Join(alerts, "; "); got != tt.alerts {
				t.Errorf("alerts %q, want %q", got, tt.alerts)
			}
			// The client's first data may go out before the server's
			// tickets, which establish the connection, or after.
			if got, want := strings.ReplaceAll(ladder(r), " c:application_data*", ""), hs+tt.ladder; got != want {
				t.Errorf("ladder\n got %s\nwant %s", got, want)
			}

			plain, err := analyze(pcap, flows.Options{Keys: g}, reassembly.Options{})
			if err != nil {
				t.Fatal(err)
			}
			// The first ticket answering the client's Finished is the verdict.
			if got, want := strings.ReplaceAll(ladder(&plain.results[0]), " c:application_data*", ""), strings.TrimSuffix(hs, " s:new_session_ticket*"); got != want {
				t.Errorf("without --follow, ladder\n got %s\nwant %s", got, want)
			}
		})
	}
}

// TestKeyMemoryFollowsGrowth: a followed key log grows while a live run
// goes on, and the collector's soft limit grows with it (each tick counts
// it again), by what the log holds and no more; with GOMEMLIMIT set
// (keyMemory nil) the limit is the user's.
func TestKeyMemoryFollowsGrowth(t *testing.T) {
	const start = 1 << 30
	defer debug.SetMemoryLimit(debug.SetMemoryLimit(start))
	g := new(keylog.Log)
	k := &keyMemory{log: g}
	for _, n := range []int{0, 1000, 50000} {
		if _, err := g.Parse("grown", strings.NewReader(keyLogLines(g.Len(), n))); err != nil {
			t.Fatal(err)
		}
		k.count()
		k.count() // nothing gained since: no change
		if got, want := debug.SetMemoryLimit(-1), start+g.Size(); got != want {
			t.Errorf("%d entries: limit %d, want %d (%d for the key log)", g.Len(), got, want, g.Size())
		}
	}
	if g.Size() == 0 {
		t.Fatal("the key log holds nothing: the test tells nothing")
	}
	var user *keyMemory
	user.count()
	if got := debug.SetMemoryLimit(-1); got != start+g.Size() {
		t.Errorf("with GOMEMLIMIT: limit moved to %d", got)
	}
}

// keyLogLines is a key log of TLS 1.2 master secrets for the client
// randoms from to to-1.
func keyLogLines(from, to int) string {
	var b strings.Builder
	for i := from; i < to; i++ {
		fmt.Fprintf(&b, "CLIENT_RANDOM %064x %096x\n", i, i)
	}
	return b.String()
}

// TestLiveKeyLogInMemoryLimit: a key log that grows while a live capture
// follows it is counted in the collector's soft limit as it grows
// (go_gc_gomemlimit_bytes, served by --metrics), by what it holds: the
// limit that bounds the rest of the run's memory is not eaten by it.
func TestLiveKeyLogInMemoryLimit(t *testing.T) {
	needLive(t)
	if os.Getenv("GOMEMLIMIT") != "" {
		t.Skip("GOMEMLIMIT is set: the limit is the user's, and stays")
	}
	bin := buildHsdecode(t)
	needCgoBinary(t, bin)
	kl := filepath.Join(t.TempDir(), "grows.keys")
	if err := os.WriteFile(kl, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	port := freePorts(t, 1)[0]
	p := startCapture(t, bin, "-i", "lo", "-f", fmt.Sprintf("tcp port %d", port), "--format", "json", "-v",
		"--metrics", "127.0.0.1:0", "--keylog", kl)
	url := metricsURL(t, p.stderr)
	const name = "go_gc_gomemlimit_bytes"
	before, ok := scrape(t, url)[name]
	if !ok {
		t.Fatalf("--metrics serves no %s", name)
	}
	lines := keyLogLines(0, 50000)
	f, err := os.OpenFile(kl, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteString(lines); err != nil {
		t.Fatal(err)
	}
	f.Close()
	g := new(keylog.Log)
	if _, err := g.Parse("want", strings.NewReader(lines)); err != nil {
		t.Fatal(err)
	}
	want := before + float64(g.Size())
	var got float64
	for end := time.Now().Add(10 * time.Second); time.Now().Before(end); time.Sleep(200 * time.Millisecond) {
		if got = scrape(t, url)[name]; got == want {
			break
		}
	}
	if got != want {
		t.Errorf("%s %v after the key log grew by %d bytes of secrets, want %v (%v before)", name, got, g.Size(), want, before)
	}
	p.signalAndWait(os.Interrupt)
}
