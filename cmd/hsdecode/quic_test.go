package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/hsdecode/hsdecode/capture"
	"github.com/hsdecode/hsdecode/flows"
	"github.com/hsdecode/hsdecode/keylog"
	"github.com/hsdecode/hsdecode/quic"
	"github.com/hsdecode/hsdecode/reassembly"
	"github.com/hsdecode/hsdecode/stream"
)

// The QUIC captures' facts (scripts/make-quic-testdata.sh), kept in a file
// of their own: without keys a QUIC handshake is seen to its ServerHello,
// then as protected packets, and there is no ChangeCipherSpec.
func init() {
	const aes128 = "TLS_AES_128_GCM_SHA256"
	ok := want{outcome: "established", version: "TLS 1.3", suite: aes128, history: "Cs", alpn: ""}
	for _, name := range []string{"130-quic-v1", "131-quic-v2", "132-quic-retry", "136-quic-vn", "137-quic-big-hello",
		// The server's CONNECTION_CLOSE travels in a 1-RTT packet, which
		// the Initial keys do not open.
		"134-quic-mtls-fail"} {
		manifest[name] = []want{ok}
	}
	manifest["133-quic-hrr"] = []want{{outcome: "established", version: "TLS 1.3", suite: aes128, history: "CjCs"}}
	manifest["135-quic-alpn-fail"] = []want{{outcome: "alert", alert: "server fatal no_application_protocol", history: "Cl"}}
}

// quicFacts are what a QUIC capture's report must say besides the
// manifest's facts.
type quicFacts struct {
	version        string
	retry          bool
	vn             bool // Version Negotiation offered version 1 to a client that began with 2
	hrr            bool
	minHelloLength int // the ClientHello's length: over several Initials
	closeCode      uint64
}

// TestQUICCaptures checks the QUIC captures: the transport, the QUIC facts,
// the ClientHello read whole from its CRYPTO frames, and JA4 with its q.
func TestQUICCaptures(t *testing.T) {
	for name, want := range map[string]quicFacts{
		"130-quic-v1":        {version: "1", minHelloLength: 1400},
		"131-quic-v2":        {version: "2", minHelloLength: 1400},
		"132-quic-retry":     {version: "1", retry: true},
		"133-quic-hrr":       {version: "1", hrr: true},
		"134-quic-mtls-fail": {version: "1"},
		"135-quic-alpn-fail": {version: "1", closeCode: 0x100 + 120 /* no_application_protocol */},
		"136-quic-vn":        {version: "1", vn: true},
		"137-quic-big-hello": {version: "1", minHelloLength: 5000},
	} {
		t.Run(name, func(t *testing.T) {
			an, err := analyze(filepath.Join(pcapDir, name+".pcap"), flows.Options{}, reassembly.Options{})
			if err != nil || len(an.results) != 1 {
				t.Fatalf("analyze: %v, %d results", err, len(an.results))
			}
			r := &an.results[0]
			q := r.QUIC
			if r.Transport != stream.TransportQUIC || q == nil {
				t.Fatalf("transport %s, quic %v", r.Transport, q)
			}
			if q.Version.String() != want.version || len(q.DCID) < 8 || q.ServerSCID == nil {
				t.Errorf("version %s, dcid %x, server scid %x", q.Version, q.DCID, q.ServerSCID)
			}
			if q.Retry != want.retry || q.Retry && !q.RetryTagValid {
				t.Errorf("retry %v, tag valid %v", q.Retry, q.RetryTagValid)
			}
			// quic-go offers a GREASE version too (RFC 9000, 6.3).
			vn := slices.Contains(q.VersionNegotiation, quic.Version1) && q.AbandonedVersion == quic.Version2
			if vn != want.vn || !vn && q.VersionNegotiation != nil {
				t.Errorf("version negotiation %v, abandoned %s", q.VersionNegotiation, q.AbandonedVersion)
			}
			if (r.HelloRetryRequest != nil) != want.hrr {
				t.Errorf("hello retry request %v", r.HelloRetryRequest != nil)
			}
			if r.ClientHello == nil || len(r.Messages) == 0 || r.Messages[0].Type != "client_hello" || r.Messages[0].Length < want.minHelloLength {
				t.Fatalf("client hello %v, messages %v", r.ClientHello != nil, r.Messages)
			}
			if want.closeCode != 0 && (q.Close == nil || q.Close.ErrorCode != want.closeCode || q.Close.From != flows.Server) {
				t.Errorf("close %+v, want error 0x%x from server", q.Close, want.closeCode)
			}
			if q.Undecryptable != 0 || q.Malformed != 0 {
				t.Errorf("undecryptable %d, malformed %d", q.Undecryptable, q.Malformed)
			}
		})
	}
}

// TestQUICReportFormats: every format says the connection is QUIC.
func TestQUICReportFormats(t *testing.T) {
	pcap := filepath.Join(pcapDir, "131-quic-v2.pcap")
	for format, want := range map[string]string{
		"json": `"transport":"quic"`,
		"text": "QUIC v2  ESTABLISHED",
		"ecs":  `"transport":"udp"`,
	} {
		var out, errb strings.Builder
		if status := run([]string{"-r", pcap, "--format", format}, &out, &errb); status == exitError {
			t.Fatalf("%s: exit %d: %s", format, status, errb.String())
		}
		if !strings.Contains(out.String(), want) {
			t.Errorf("%s: no %q in\n%s", format, want, out.String())
		}
	}
	var out, errb strings.Builder
	run([]string{"-r", pcap, "--format", "json"}, &out, &errb)
	if !strings.Contains(out.String(), `"ja4":"q13d`) || !strings.Contains(out.String(), `"quic":{"version":"2"`) {
		t.Errorf("json: %s", out.String())
	}
}

// quicReport runs hsdecode on a QUIC capture with its key log and returns
// its one connection's JSON.
func quicReport(t *testing.T, name string, args ...string) map[string]any {
	t.Helper()
	pcap := filepath.Join(pcapDir, name+".pcap")
	var out, errb strings.Builder
	args = append([]string{"-r", pcap, "--keylog", strings.TrimSuffix(pcap, ".pcap") + ".keys", "--format", "json"}, args...)
	if status := run(args, &out, &errb); status == exitError {
		t.Fatalf("exit %d: %s", status, errb.String())
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 1 {
		t.Fatalf("%d connections reported", len(lines))
	}
	var m map[string]any
	if err := json.Unmarshal([]byte(lines[0]), &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// quicMessages lists a report's messages as "from:type", decrypted ones
// marked with a star.
func quicMessages(m map[string]any) []string {
	var out []string
	msgs, _ := m["messages"].([]any)
	for _, x := range msgs {
		msg := x.(map[string]any)
		s := fmt.Sprintf("%s:%s", msg["from"], msg["type"])
		if msg["decrypted"] == true {
			s += "*"
		}
		out = append(out, s)
	}
	return out
}

// TestQUICKeyLog reads the QUIC captures with the key log their client
// wrote: each side's Handshake packets decrypted with the QUIC labels,
// every message of the TLS 1.3 handshake checked in order and both
// Finished verified, and the server's refusal of a client certificate,
// sent in a 1-RTT CONNECTION_CLOSE, read as its alert.
func TestQUICKeyLog(t *testing.T) {
	server := []string{"server:encrypted_extensions*", "server:certificate*", "server:certificate_verify*", "server:finished*"}
	plain := slices.Concat([]string{"client:client_hello", "server:server_hello"}, server,
		[]string{"client:finished*", "server:new_session_ticket*"})
	for name, want := range map[string][]string{
		"130-quic-v1":        plain,
		"131-quic-v2":        plain,
		"132-quic-retry":     plain,
		"136-quic-vn":        plain,
		"137-quic-big-hello": plain,
		"150-quic-rebind":    plain,
		"151-quic-migrate":   plain,
		"133-quic-hrr": slices.Concat([]string{"client:client_hello", "server:hello_retry_request", "client:client_hello", "server:server_hello"},
			server, []string{"client:finished*", "server:new_session_ticket*"}),
		"134-quic-mtls-fail": {"client:client_hello", "server:server_hello", "server:encrypted_extensions*", "server:certificate_request*",
			"server:certificate*", "server:certificate_verify*", "server:finished*",
			"client:certificate*", "client:certificate_verify*", "client:finished*", "server:alert*"},
	} {
		t.Run(name, func(t *testing.T) {
			m := quicReport(t, name)
			wantOutcome := "established"
			if name == "134-quic-mtls-fail" {
				wantOutcome = "alert"
				alerts, _ := m["alerts"].([]any)
				if len(alerts) != 1 || alerts[0].(map[string]any)["description"] != "unknown_ca" || alerts[0].(map[string]any)["from"] != "server" {
					t.Errorf("alerts %v", m["alerts"])
				}
			}
			if m["outcome"] != wantOutcome || m["keys"] != "found" || m["violations"] != nil || m["alpn"] != "hq-test" {
				t.Errorf("outcome %v, keys %v, violations %v, alpn %v", m["outcome"], m["keys"], m["violations"], m["alpn"])
			}
			if got := quicMessages(m); !slices.Equal(got, want) {
				t.Errorf("messages\n got %v\nwant %v", got, want)
			}
		})
	}
	// A key log without this connection's secrets: keys missing, and
	// the connection judged as without keys.
	pcap := filepath.Join(pcapDir, "131-quic-v2.pcap")
	var out, errb strings.Builder
	run([]string{"-r", pcap, "--keylog", filepath.Join(pcapDir, "130-quic-v1.keys"), "--format", "json"}, &out, &errb)
	if !strings.Contains(out.String(), `"keys":"missing"`) || !strings.Contains(out.String(), `"outcome":"established"`) {
		t.Errorf("another connection's key log: %s", out.String())
	}
}

// TestQUICTsharkAgreement compares, with each capture's key log, the
// handshake messages of each side with those tshark decodes from the
// QUIC packets.
func TestQUICTsharkAgreement(t *testing.T) {
	if _, err := exec.LookPath("tshark"); err != nil {
		t.Skip("no tshark")
	}
	types := map[string]string{"client_hello": "1", "server_hello": "2", "hello_retry_request": "2", "new_session_ticket": "4",
		"encrypted_extensions": "8", "certificate": "11", "certificate_request": "13", "certificate_verify": "15", "finished": "20"}
	pcaps, _ := filepath.Glob(filepath.Join(pcapDir, "1[35][0-9]-quic-*.pcap"))
	if len(pcaps) == 0 {
		t.Fatal("no QUIC capture")
	}
	for _, pcap := range pcaps {
		name := strings.TrimSuffix(filepath.Base(pcap), ".pcap")
		t.Run(name, func(t *testing.T) {
			m := quicReport(t, name)
			port := fmt.Sprint(m["server"].(map[string]any)["port"])
			out, err := exec.Command("tshark", "-r", pcap, "-o", "tls.keylog_file:"+strings.TrimSuffix(pcap, ".pcap")+".keys",
				"-d", "udp.port=="+port+",quic", "-Y", "tls.handshake", "-T", "fields", "-e", "udp.srcport", "-e", "tls.handshake.type").Output()
			if err != nil {
				t.Fatal(err)
			}
			var theirs [2][]string // client, server
			for _, l := range strings.Split(strings.TrimSpace(string(out)), "\n") {
				f := strings.Split(l, "\t")
				if len(f) != 2 || f[1] == "" {
					continue // a packet whose CRYPTO bytes tshark joins to a later one
				}
				side := 0
				if f[0] == port {
					side = 1
				}
				theirs[side] = append(theirs[side], strings.Split(f[1], ",")...)
			}
			if name == "136-quic-vn" {
				// The ClientHello of the attempt Version Negotiation
				// ended is not the reported handshake's (docs/handshake-order.md section 7).
				theirs[0] = theirs[0][1:]
			}
			var ours [2][]string
			for _, msg := range m["messages"].([]any) {
				msg := msg.(map[string]any)
				typ, ok := types[msg["type"].(string)]
				if !ok {
					continue // an alert
				}
				side := 0
				if msg["from"] == "server" {
					side = 1
				}
				ours[side] = append(ours[side], typ)
			}
			if !slices.Equal(ours[0], theirs[0]) || !slices.Equal(ours[1], theirs[1]) {
				t.Errorf("handshake types\n ours:   client %v server %v\n tshark: client %v server %v", ours[0], ours[1], theirs[0], theirs[1])
			}
		})
	}
}

// TestQUICAsDecided: as a live capture reports them, a QUIC connection's
// result comes at its verdict, not when the flow idles out, with keys and
// without.
func TestQUICAsDecided(t *testing.T) {
	for _, keyed := range []bool{false, true} {
		for _, name := range []string{"130-quic-v1", "134-quic-mtls-fail", "135-quic-alpn-fail"} {
			pcap := filepath.Join(pcapDir, name+".pcap")
			o := flows.Options{AsDecided: true}
			if keyed {
				g := new(keylog.Log)
				if _, err := g.Load(strings.TrimSuffix(pcap, ".pcap") + ".keys"); err != nil {
					t.Fatal(err)
				}
				o.Keys = g
			}
			src, err := capture.OpenFile(pcap)
			if err != nil {
				t.Fatal(err)
			}
			var results []flows.Result
			analyzeSource(pipeSource{src}, o, reassembly.Options{}, 1, nil, func(r *flows.Result) error {
				results = append(results, *r)
				return nil
			})
			src.Close()
			if len(results) != 1 {
				t.Fatalf("%s: %d results", name, len(results))
			}
			if r := results[0]; r.Closed != "" || r.Outcome == flows.OutcomeIncomplete {
				t.Errorf("%s, keys %v: outcome %s, closed %q: not reported at its verdict", name, keyed, r.Outcome, r.Closed)
			}
		}
	}
}

// pipeSource is a capture read as a pipe is: results as decided.
type pipeSource struct{ capture.Source }

func (pipeSource) Stream() bool { return true }

// quicTsharkNoClientHello lists the corpus's QUIC connections whose
// ClientHello tshark (4.0) does not decode: Chrome sends its CRYPTO frames
// out of order within its first Initial, which tshark does not put back
// in order; hsdecode does, and its JA4 of them is the published one
// (TestCorpusFingerprints).
var quicTsharkNoClientHello = map[string]bool{
	"ja4/pcap/chrome-cloudflare-quic-with-secrets.pcapng [2001:db8:1::1]:50280": true,
	"suricata-verify/tests/ja4-rules/input.pcap [2001:db8:1::1]:50280":          true,
}

// TestQUICCorpusTshark compares, on the shared corpus's QUIC captures, each
// QUIC connection's handshake messages with those tshark decodes: from
// the Initial packets, and with the secrets a pcapng carries all of them.
func TestQUICCorpusTshark(t *testing.T) {
	needCorpus(t, tsharkCorpusDir)
	if _, err := exec.LookPath("tshark"); err != nil {
		t.Skip("no tshark")
	}
	types := map[string]string{"client_hello": "1", "server_hello": "2", "hello_retry_request": "2", "new_session_ticket": "4",
		"encrypted_extensions": "8", "certificate": "11", "certificate_request": "13", "certificate_verify": "15", "finished": "20",
		"compressed_certificate": "25"}
	conns := 0
	for _, rel := range []string{"ja4/pcap/chrome-cloudflare-quic-with-secrets.pcapng", "ja4/pcap/tls-sni.pcapng", "suricata-verify/tests/ja4-rules/input.pcap"} {
		path := filepath.Join(tsharkCorpusDir, filepath.FromSlash(rel))
		var stdout, stderr strings.Builder
		if status := run([]string{"-r", path, "--format", "json"}, &stdout, &stderr); status == exitError {
			t.Fatalf("%s: %s", rel, stderr.String())
		}
		out, err := exec.Command("tshark", "-r", path, "-Y", "quic && tls.handshake", "-T", "fields",
			"-e", "ip.src", "-e", "ipv6.src", "-e", "udp.srcport", "-e", "ip.dst", "-e", "ipv6.dst", "-e", "udp.dstport", "-e", "tls.handshake.type").Output()
		if err != nil {
			t.Fatalf("%s: tshark: %v", rel, err)
		}
		// theirs holds the handshake types each sender sent each
		// receiver, by "ip port > ip port".
		theirs := map[string][]string{}
		for _, l := range strings.Split(strings.TrimSpace(string(out)), "\n") {
			f := strings.Split(l, "\t")
			if len(f) != 7 || f[6] == "" {
				continue
			}
			k := fmt.Sprintf("%s %s > %s %s", strings.TrimSpace(f[0]+f[1]), f[2], strings.TrimSpace(f[3]+f[4]), f[5])
			theirs[k] = append(theirs[k], strings.Split(f[6], ",")...)
		}
		for _, line := range strings.Split(strings.TrimSpace(stdout.String()), "\n") {
			var m map[string]any
			if err := json.Unmarshal([]byte(line), &m); err != nil {
				t.Fatal(err)
			}
			if m["transport"] != "quic" {
				continue
			}
			conns++
			var ours [2][]string
			for _, x := range m["messages"].([]any) {
				msg := x.(map[string]any)
				typ, ok := types[msg["type"].(string)]
				if !ok {
					continue
				}
				side := 0
				if msg["from"] == "server" {
					side = 1
				}
				ours[side] = append(ours[side], typ)
			}
			ep := func(k string) string {
				e := m[k].(map[string]any)
				return fmt.Sprintf("%s %v", e["ip"], e["port"])
			}
			c, s := ep("client"), ep("server")
			client := fmt.Sprintf("[%s]:%v", m["client"].(map[string]any)["ip"], m["client"].(map[string]any)["port"])
			if quicTsharkNoClientHello[rel+" "+client] && len(ours[0]) > 0 && ours[0][0] == "1" {
				ours[0] = ours[0][1:]
			}
			if tc, ts := theirs[c+" > "+s], theirs[s+" > "+c]; !slices.Equal(ours[0], tc) || !slices.Equal(ours[1], ts) {
				t.Errorf("%s %s -> %s: ours client %v server %v, tshark client %v server %v", rel, c, s, ours[0], ours[1], tc, ts)
			}
		}
	}
	if conns == 0 {
		t.Fatal("no QUIC connection in the corpus captures")
	}
	t.Logf("%d QUIC connections agree with tshark", conns)
}

// TestTransportInEveryFormat: a QUIC and a DTLS handshake say their
// transport in the text header, JSON, ECS, Zeek's ssl.log (its
// hsdecode_transport column), Zeek's JSON and the JUnit test case's name;
// a TCP one says tcp where a column is always written.
func TestTransportInEveryFormat(t *testing.T) {
	for name, want := range map[string]string{
		"130-quic-v1":        "quic",
		"140-dtls12-openssl": "dtls",
		"01-tls12-ecdhe-rsa": "tcp",
	} {
		t.Run(name, func(t *testing.T) {
			in := filepath.Join(pcapDir, name+".pcap")
			out := func(args ...string) string {
				t.Helper()
				var stdout, stderr bytes.Buffer
				if status := run(append(args, "--fail-on", "none", in), &stdout, &stderr); status != exitOK {
					t.Fatalf("%v: exit %d: %s", args, status, stderr.String())
				}
				return stdout.String()
			}
			var j struct{ Transport string }
			if err := json.Unmarshal([]byte(out("--format", "json")), &j); err != nil {
				t.Fatal(err)
			}
			var e struct {
				Network  struct{ Transport string }
				Hsdecode struct{ Transport string }
			}
			if err := json.Unmarshal([]byte(out("--format", "ecs")), &e); err != nil {
				t.Fatal(err)
			}
			var zj struct {
				Transport string `json:"hsdecode_transport"`
			}
			if err := json.Unmarshal([]byte(out("--format", "zeek-json")), &zj); err != nil {
				t.Fatal(err)
			}
			zeek := out("--format", "zeek")
			var fields, row []string
			for _, l := range strings.Split(zeek, "\n") {
				if f, ok := strings.CutPrefix(l, "#fields\t"); ok {
					fields = strings.Split(f, "\t")
				} else if l != "" && !strings.HasPrefix(l, "#") {
					row = strings.Split(l, "\t")
				}
			}
			col := slices.Index(fields, "hsdecode_transport")
			if col < 0 || len(row) != len(fields) || row[col] != want || zj.Transport != want {
				t.Errorf("zeek: hsdecode_transport column %d of %v in %q; zeek-json %q; want %s", col, fields, row, zj.Transport, want)
			}
			junit := filepath.Join(t.TempDir(), "j.xml")
			out("--format", "json", "--junit", junit)
			x, err := os.ReadFile(junit)
			if err != nil {
				t.Fatal(err)
			}
			if want == "tcp" {
				if j.Transport != "" || e.Hsdecode.Transport != "" || e.Network.Transport != "tcp" || strings.Contains(string(x), `name="tcp `) {
					t.Errorf("tcp: json %q, ecs %+v, junit names a transport", j.Transport, e)
				}
				return
			}
			if j.Transport != want || e.Hsdecode.Transport != want || e.Network.Transport != "udp" {
				t.Errorf("json transport %q, ecs %+v, want %s", j.Transport, e, want)
			}
			if !strings.Contains(string(x), `name="`+want+` 127.0.0.1:`) {
				t.Errorf("junit: no test case named %q ...:\n%s", want+" 127.0.0.1:", x)
			}
			if text := out(); !strings.Contains(strings.SplitN(text, "\n", 2)[0], strings.ToUpper(want)) {
				t.Errorf("text header %q does not name %s", strings.SplitN(text, "\n", 2)[0], want)
			}
		})
	}
}
