package report

import (
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/hsdecode/hsdecode/decode"
	"github.com/hsdecode/hsdecode/flows"
)

func TestParseRules(t *testing.T) {
	r, err := ParseRules(DefaultFailOn)
	if err != nil || r.String() != "violation,alert" {
		t.Fatalf("default: %v %q", err, r)
	}
	if r, _ := ParseRules("all"); len(r.Selected) != len(AllRules) {
		t.Errorf("all selects %d rules", len(r.Selected))
	}
	if r, _ := ParseRules("not-tls, no-sni"); r.String() != "not_tls,no-sni" {
		t.Errorf("got %q", r)
	}
	if r, _ := ParseRules("none"); len(r.Selected) != 0 {
		t.Errorf("none selects %v", r)
	}
	if _, err := ParseRules("violation,bogus"); err == nil || !strings.Contains(err.Error(), "bogus") {
		t.Errorf("unknown rule: %v", err)
	}
	for in, want := range map[string]decode.Version{"1.2": decode.VersionTLS12, "TLS1.3": decode.VersionTLS13, "TLS 1.0": decode.VersionTLS10, "tlsv1.1": decode.VersionTLS11, "SSL3": decode.VersionSSL30} {
		if got, err := ParseVersion(in); err != nil || got != want {
			t.Errorf("ParseVersion(%q) = %v, %v", in, got, err)
		}
	}
}

func TestWeakCipher(t *testing.T) {
	tests := []struct {
		suite decode.CipherSuite
		want  string
	}{
		{0x0004, "RC4, MD5 MAC"},         // TLS_RSA_WITH_RC4_128_MD5
		{0x0005, "RC4"},                  // TLS_RSA_WITH_RC4_128_SHA
		{0x000a, "3DES"},                 // TLS_RSA_WITH_3DES_EDE_CBC_SHA
		{0x0009, "DES"},                  // TLS_RSA_WITH_DES_CBC_SHA
		{0x0003, "EXPORT, RC4, MD5 MAC"}, // TLS_RSA_EXPORT_WITH_RC4_40_MD5
		{0x0002, "NULL"},                 // TLS_RSA_WITH_NULL_SHA
		{0x0000, "NULL"},                 // TLS_NULL_WITH_NULL_NULL
		{0x0034, "anonymous"},            // TLS_DH_anon_WITH_AES_128_CBC_SHA
		{0xc02f, ""},                     // TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256
		{0x1301, ""},                     // TLS_AES_128_GCM_SHA256
		{0xcca8, ""},                     // TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256
	}
	for _, tt := range tests {
		if got := strings.Join(WeakCipher(tt.suite), ", "); got != tt.want {
			t.Errorf("%s: %q, want %q", tt.suite, got, tt.want)
		}
	}
}

func TestFindings(t *testing.T) {
	all, _ := ParseRules("all")
	est := func() *flows.Result {
		return &flows.Result{Start: t0, End: t0.Add(time.Millisecond), Outcome: flows.OutcomeEstablished,
			Client: netip.MustParseAddrPort("10.0.0.1:5000"), Server: netip.MustParseAddrPort("10.0.0.2:443"),
			Version: decode.VersionTLS12, CipherSuite: 0xc02f, HasCipherSuite: true, ServerName: "a.example",
			ClientHello: &decode.ClientHello{}, ServerHello: &decode.ServerHello{}}
	}
	cert := func(nb, na time.Time) *flows.Chain {
		return &flows.Chain{Count: 1, Certificates: []decode.CertInfo{{Subject: "CN=a.example", NotBefore: nb, NotAfter: na}}}
	}
	tests := []struct {
		name   string
		mod    func(r *flows.Result)
		rules  string
		minVer decode.Version
		want   []string // rule names
	}{
		{"clean", func(*flows.Result) {}, "all", 0, nil},
		{"violation", func(r *flows.Result) {
			r.Outcome = flows.OutcomeViolation
			r.Violations = []flows.Violation{{Code: flows.CodeUnexpectedMessage}, {Code: flows.CodeMissingMessage}}
		}, "all", 0, []string{"violation", "violation"}},
		{"violation not selected", func(r *flows.Result) { r.Outcome = flows.OutcomeViolation }, "alert", 0, nil},
		{"alert", func(r *flows.Result) {
			r.Outcome = flows.OutcomeAlert
			r.Alerts = []flows.Alert{{From: flows.Server, Level: 2, Description: 40}}
		}, "violation,alert", 0, []string{"alert"}},
		{"incomplete", func(r *flows.Result) { r.Outcome = flows.OutcomeIncomplete }, "all", 0, []string{"incomplete"}},
		{"partial", func(r *flows.Result) { r.Outcome = flows.OutcomePartial }, "partial", 0, []string{"partial"}},
		{"gap", func(r *flows.Result) { r.Outcome = flows.OutcomeGap }, "gap", 0, []string{"gap"}},
		{"not_tls", func(r *flows.Result) { r.Outcome = flows.OutcomeNotTLS }, "not_tls", 0, []string{"not_tls"}},
		{"TLS 1.1", func(r *flows.Result) { r.Version = decode.VersionTLS11 }, "all", 0, []string{"legacy-version"}},
		{"TLS 1.2 under 1.3", func(r *flows.Result) {}, "legacy-version", decode.VersionTLS13, []string{"legacy-version"}},
		{"draft counts as 1.3", func(r *flows.Result) { r.Version = 0x7f17 }, "legacy-version", decode.VersionTLS13, nil},
		{"RC4", func(r *flows.Result) { r.CipherSuite = 0x0005 }, "weak-cipher", 0, []string{"weak-cipher"}},
		{"expired", func(r *flows.Result) { r.ServerCertificates = cert(t0.AddDate(-2, 0, 0), t0.AddDate(0, 0, -1)) }, "all", 0, []string{"expired-cert"}},
		{"not yet valid", func(r *flows.Result) { r.ServerCertificates = cert(t0.AddDate(0, 0, 1), t0.AddDate(1, 0, 0)) }, "expired-cert", 0, []string{"expired-cert"}},
		{"valid", func(r *flows.Result) { r.ServerCertificates = cert(t0.AddDate(0, 0, -1), t0.AddDate(1, 0, 0)) }, "expired-cert", 0, nil},
		{"no SNI", func(r *flows.Result) { r.ServerName = "" }, "all", 0, []string{"no-sni"}},
		{"no SNI, no hello", func(r *flows.Result) { r.ServerName, r.ClientHello = "", nil }, "no-sni", 0, nil},
	}
	_ = all
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := est()
			tt.mod(r)
			rules, err := ParseRules(tt.rules)
			if err != nil {
				t.Fatal(err)
			}
			rules.MinVersion = tt.minVer
			var got []string
			for _, f := range Findings(r, rules) {
				got = append(got, string(f.Rule))
				if f.Detail == "" || f.Code == "" {
					t.Errorf("finding without code or detail: %+v", f)
				}
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("findings (-want +got):\n%s", diff)
			}
		})
	}
}

func TestZeekNotation(t *testing.T) {
	for in, want := range map[string]string{"a.example": "a.example", "-": "\\x2d", "(empty)": "\\x28empty)", "tab\there": "tab\\x09here", "a,b": "a,b", `O=A\, Inc.`: `O=A\\, Inc.`} {
		if got := zeekString(in); got != want {
			t.Errorf("zeekString(%q) = %q, want %q", in, got, want)
		}
	}
	for v, want := range map[decode.Version]string{decode.VersionTLS12: "TLSv12", decode.VersionTLS10: "TLSv10", decode.VersionSSL30: "SSLv3", 0x7f10: "TLSv13-draft16", 0xfefd: "DTLSv12", 0x1234: "unknown-4660"} {
		if got := ZeekVersion(v); got != want {
			t.Errorf("ZeekVersion(%#x) = %q, want %q", uint16(v), got, want)
		}
	}
	c := &decode.CertInfo{DNSNames: []string{"*.example.com", "example.org"}}
	for host, want := range map[string]bool{"a.example.com": true, "example.com": false, "a.b.example.com": false, "EXAMPLE.org": true, "x.org": false} {
		if got := hostnameMatches(c, host); got != want {
			t.Errorf("hostnameMatches(%q) = %v", host, got)
		}
	}
}

func TestBaselineCompare(t *testing.T) {
	base := strings.Join([]string{
		`{"ts":"x","client":{"ip":"10.0.0.1","port":1},"server":{"ip":"10.0.0.2","port":443},"outcome":"established","version":"TLS 1.3","server_name":"a"}`,
		`{"ts":"x","client":{"ip":"10.0.0.1","port":2},"server":{"ip":"10.0.0.2","port":443},"outcome":"established","version":"TLS 1.2","server_name":"b"}`,
		`{"ts":"x","client":{"ip":"10.0.0.1","port":3},"server":{"ip":"10.0.0.3","port":443},"outcome":"violation","version":"TLS 1.2","server_name":"c","violations":[{"code":"unexpected_message"}]}`,
		`{"ts":"x","client":{"ip":"10.0.0.1","port":4},"server":{"ip":"10.0.0.4","port":443},"outcome":"alert","server_name":"d"}`,
		`{"summary":{"connections":4}}`,
		``,
	}, "\n")
	b, err := ReadBaseline(strings.NewReader(base))
	if err != nil {
		t.Fatal(err)
	}
	conn := func(server, sni string, o flows.Outcome, v decode.Version, codes ...flows.Code) *flows.Result {
		r := &flows.Result{Client: netip.MustParseAddrPort("10.0.0.1:9"), Server: netip.MustParseAddrPort(server), ServerName: sni, Outcome: o, Version: v}
		for _, c := range codes {
			r.Violations = append(r.Violations, flows.Violation{Code: c})
		}
		return r
	}
	b.Observe(conn("10.0.0.2:443", "a", flows.OutcomeEstablished, decode.VersionTLS12))                            // lower version
	b.Observe(conn("10.0.0.2:443", "b", flows.OutcomeAlert, 0))                                                    // no longer established
	b.Observe(conn("10.0.0.3:443", "c", flows.OutcomeViolation, decode.VersionTLS12, flows.CodeUnexpectedMessage)) // same as before
	b.Observe(conn("10.0.0.4:443", "d", flows.OutcomeEstablished, decode.VersionTLS13))                            // better
	b.Observe(conn("10.0.0.5:443", "e", flows.OutcomeViolation, decode.VersionTLS12, flows.CodeDuplicateMessage))  // new server, new code
	ch := b.Compare()
	var got []string
	for _, c := range ch.Changes {
		got = append(got, c.Server+" "+c.SNI+" "+c.Kind)
	}
	want := []string{
		"10.0.0.2:443 a version", "10.0.0.2:443 b outcome", "10.0.0.5:443 e violation",
		"10.0.0.4:443 d established", "10.0.0.5:443 e new",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("changes (-want +got):\n%s", diff)
	}
	if ch.Worse() != 3 {
		t.Errorf("worse = %d, want 3", ch.Worse())
	}
	if _, err := ReadBaseline(strings.NewReader(`{"foo":1}`)); err == nil {
		t.Error("a line that is no connection was accepted")
	}
}

// Overlapping copies that differed are a finding when selected, and a
// JSON member whenever there were some.
func TestOverlapMismatchFinding(t *testing.T) {
	r := &flows.Result{Outcome: flows.OutcomeEstablished, OverlapMismatch: flows.OverlapMismatch{Client: 4}}
	all, _ := ParseRules("all")
	got := Findings(r, all)
	if len(got) != 1 || got[0].Code != "overlap_mismatch" || !strings.Contains(got[0].Detail, "4 bytes from the client") {
		t.Errorf("findings %v, want one overlap_mismatch", got)
	}
	if def, _ := ParseRules(DefaultFailOn); len(Findings(r, def)) != 0 {
		t.Errorf("a finding by default")
	}
	line := func(r *flows.Result) string {
		var b strings.Builder
		w := NewJSONWriter(&b)
		if err := w.Write(r, nil); err != nil {
			t.Fatal(err)
		}
		w.Close()
		return b.String()
	}
	if j := line(r); !strings.Contains(j, `"overlap_mismatch":{"client":4,"server":0}`) {
		t.Errorf("JSON %s: no overlap_mismatch", j)
	}
	if j := line(&flows.Result{}); strings.Contains(j, "overlap_mismatch") {
		t.Errorf("JSON %s: overlap_mismatch without any", j)
	}
}
