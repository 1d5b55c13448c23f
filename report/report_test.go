package report

import (
	"bytes"
	"encoding/json"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/hsdecode/hsdecode/decode"
	"github.com/hsdecode/hsdecode/flows"
)

var t0 = time.Date(2026, 11, 27, 12, 57, 1, 163000, time.UTC)

func sample() *flows.Result {
	at := func(us int) time.Time { return t0.Add(time.Duration(us) * time.Microsecond) }
	return &flows.Result{
		Start: t0, End: at(4047),
		Client:  netip.MustParseAddrPort("127.0.0.1:45724"),
		Server:  netip.MustParseAddrPort("[::ffff:127.0.0.1]:20445"),
		Outcome: flows.OutcomeViolation,
		Version: decode.VersionTLS12, CipherSuite: 0xc02f, HasCipherSuite: true,
		ServerName: "server.example", ClientCertificate: flows.ClientCertNone,
		ServerHello: &decode.ServerHello{LegacyVersion: decode.VersionTLS12, CipherSuite: 0xc02f},
		Messages: []flows.Message{
			{TS: at(0), From: flows.Client, Type: "client_hello", Length: 508},
			{TS: at(100), From: flows.Server, Type: "server_hello", Length: 61},
			{TS: at(100), From: flows.Server, Type: "server_hello_done"},
			{TS: at(200), From: flows.Client, Type: "alert"},
		},
		Alerts:     []flows.Alert{{TS: at(200), From: flows.Client, Level: 2, Description: 10}},
		Violations: []flows.Violation{{TS: at(100), From: flows.Server, Code: flows.CodeUnexpectedMessage, Got: "server_hello_done", Expected: []string{"certificate"}, Detail: "server sent server_hello_done before certificate"}},
	}
}

// TestJSON checks the docs/report.md fields by name and value, as a script
// reading the report would.
func TestJSON(t *testing.T) {
	var buf bytes.Buffer
	w := NewJSONWriter(&buf)
	if err := w.Write(sample(), nil); err != nil {
		t.Fatal(err)
	}
	if strings.Count(buf.String(), "\n") != 1 {
		t.Fatalf("want one line, got %q", buf.String())
	}
	var got map[string]any
	if err := json.Unmarshal(buf.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"ts":                 "2026-11-27T12:57:01.000163Z",
		"end_ts":             "2026-11-27T12:57:01.004210Z",
		"client":             map[string]any{"ip": "127.0.0.1", "port": 45724.0},
		"server":             map[string]any{"ip": "127.0.0.1", "port": 20445.0},
		"uid":                "C1nl4CILyyb1rf64t4",
		"community_id":       "1:nogRYDfRpA2Ss7ZWzQWb2Me3YX4=",
		"outcome":            "violation",
		"version":            "TLS 1.2",
		"cipher_suite":       "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
		"server_name":        "server.example",
		"resumed":            false,
		"client_certificate": "none",
		"history":            "CsnL",
		// JA3S of TLS 1.2 (771), suite 0xc02f (49199), no extensions.
		"fingerprints": map[string]any{"ja3s": "174e7e4992a63f6d419626d97363adb8", "ja3s_string": "771,49199,"},
		"messages": []any{
			map[string]any{"ts": "2026-11-27T12:57:01.000163Z", "from": "client", "type": "client_hello", "length": 508.0},
			map[string]any{"ts": "2026-11-27T12:57:01.000263Z", "from": "server", "type": "server_hello", "length": 61.0},
			map[string]any{"ts": "2026-11-27T12:57:01.000263Z", "from": "server", "type": "server_hello_done"},
			map[string]any{"ts": "2026-11-27T12:57:01.000363Z", "from": "client", "type": "alert"},
		},
		"alerts": []any{map[string]any{"ts": "2026-11-27T12:57:01.000363Z", "from": "client", "level": "fatal", "description": "unexpected_message", "encrypted": false}},
		"violations": []any{map[string]any{"ts": "2026-11-27T12:57:01.000263Z", "from": "server", "code": "unexpected_message",
			"got": "server_hello_done", "expected": []any{"certificate"}, "detail": "server sent server_hello_done before certificate"}},
		"server_hello": map[string]any{"version": "TLS 1.2", "random": strings.Repeat("00", 32),
			"cipher_suite": "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", "compression_method": "NULL"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("JSON (-want +got):\n%s", diff)
	}
}

// TestJSONLeavesOutAbsentData: docs/report.md says absent data is left out, not
// written empty.
func TestJSONLeavesOutAbsentData(t *testing.T) {
	var buf bytes.Buffer
	r := &flows.Result{Start: t0, End: t0, Client: netip.MustParseAddrPort("10.0.0.1:1"), Server: netip.MustParseAddrPort("10.0.0.2:443"), Outcome: flows.OutcomeIncomplete}
	if err := NewJSONWriter(&buf).Write(r, nil); err != nil {
		t.Fatal(err)
	}
	for _, field := range []string{"version", "cipher_suite", "server_name", "alpn", "resumed", "client_certificate", "messages", "alerts", "violations", "history", `""`} {
		if strings.Contains(buf.String(), field) {
			t.Errorf("%s present in %s", field, buf.String())
		}
	}
}

func TestText(t *testing.T) {
	var buf bytes.Buffer
	w := NewTextWriter(&buf, Options{})
	if err := w.Write(sample(), nil); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	for _, want := range []string{
		"127.0.0.1:45724 -> 127.0.0.1:20445  VIOLATION  TLS 1.2  TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256  sni=server.example",
		"client -> server  client_hello",
		"client <- server  server_hello_done",
		"client -> server  alert fatal unexpected_message",
		"VIOLATION unexpected_message by server: got server_hello_done, expected certificate: server sent server_hello_done before certificate",
		"1 connection: 1 violation",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("text report lacks %q:\n%s", want, out)
		}
	}
}

func TestHistoryLetters(t *testing.T) {
	r := &flows.Result{Messages: []flows.Message{
		{From: flows.Client, Type: "client_hello"}, {From: flows.Server, Type: "hello_retry_request"},
		{From: flows.Server, Type: "change_cipher_spec"}, {From: flows.Client, Type: "change_cipher_spec"},
		{From: flows.Client, Type: "client_hello"}, {From: flows.Server, Type: "server_hello"},
		{From: flows.Server, Type: "encrypted", Encrypted: true}, {From: flows.Client, Type: "finished", Encrypted: true},
	}}
	// Zeek's ssl_history for the same handshake (corpus zeek hrr.pcap).
	if got := History(r); got != "CjiICs" {
		t.Errorf("history %q, want CjiICs", got)
	}
}

// TestWritersShowGivenFindings: every format shows the findings it is
// given, which main evaluates once per connection, and evaluates none of
// its own.
func TestWritersShowGivenFindings(t *testing.T) {
	r := sample()
	given := []Finding{{Rule: RuleNoSNI, Code: string(RuleNoSNI), Detail: "given by the caller"}}
	for format, shown := range map[string]string{"text": "FINDING no-sni: given", "json": `"rule":"no-sni"`, "ecs": `"rule":"no-sni"`} {
		var buf bytes.Buffer
		w, err := NewWriter(format, &buf, Options{})
		if err != nil {
			t.Fatal(err)
		}
		if err := w.Write(r, given); err != nil {
			t.Fatal(err)
		}
		if err := w.Write(r, nil); err != nil {
			t.Fatal(err)
		}
		w.Close()
		if n := strings.Count(buf.String(), shown); n != 1 {
			t.Errorf("%s: the given finding shown %d times, want once:\n%s", format, n, buf.String())
		}
		if strings.Contains(buf.String(), string(RuleViolation)+" ") || strings.Contains(buf.String(), `"rule":"violation"`) {
			t.Errorf("%s: a finding not given is shown:\n%s", format, buf.String())
		}
	}
	var buf bytes.Buffer
	j := NewJUnitWriter(&buf, Options{})
	j.Write(r, given)
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), `failures="1"`) || !strings.Contains(buf.String(), `type="no-sni"`) {
		t.Errorf("junit: the given finding is not the one failure:\n%s", buf.String())
	}
}

// TestJSONWritesNoNull: a list that is always written is [] when it holds
// nothing (a ClientHello without compression methods, a TLS 1.2
// CertificateRequest without certificate types), never null.
func TestJSONWritesNoNull(t *testing.T) {
	var buf bytes.Buffer
	r := &flows.Result{Start: t0, End: t0, Client: netip.MustParseAddrPort("10.0.0.1:1"), Server: netip.MustParseAddrPort("10.0.0.2:443"),
		Outcome: flows.OutcomeIncomplete, ClientHello: &decode.ClientHello{}, CertificateRequest: &decode.CertificateRequest{}}
	if err := NewJSONWriter(&buf).Write(r, nil); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	if strings.Contains(out, "null") {
		t.Errorf("null in %s", out)
	}
	for _, want := range []string{`"cipher_suites":[]`, `"compression_methods":[]`, `"certificate_types":[]`} {
		if !strings.Contains(out, want) {
			t.Errorf("no %s in %s", want, out)
		}
	}
}

// TestSummaryKeys: the JSON summary's counts are keyed by tokens: a value
// that is one as it is, prose without spaces or dots; keys that become
// one add up.
func TestSummaryKeys(t *testing.T) {
	for in, want := range map[string]string{"TLS 1.2": "tls_1_2", "TLS 1.3 (draft 23)": "tls_1_3_draft_23", "SSL 3.0": "ssl_3_0",
		"no open connection": "no_open_connection", "IPv4 fragment: invalid (overlap, size or offset)": "ipv4_fragment_invalid_overlap_size_or_offset",
		"TLS_AES_128_GCM_SHA256": "TLS_AES_128_GCM_SHA256", "legacy-version": "legacy-version", "0x1234": "0x1234", "": "_", "..": "_"} {
		if got := dataKey(in); got != want {
			t.Errorf("dataKey(%q) = %q, want %q", in, got, want)
		}
	}
	if got := dataKeys(map[string]int64{"a b": 1, "a.b": 2, "a_b": 4}); len(got) != 1 || got["a_b"] != 7 {
		t.Errorf("dataKeys = %v, want a_b 7", got)
	}
}
