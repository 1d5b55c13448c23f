package diagnose

import (
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/hsdecode/hsdecode/decode"
	"github.com/hsdecode/hsdecode/flows"
	"github.com/hsdecode/hsdecode/report"
)

// Small results, each shaped as flows leaves one, for a rule each.

var (
	t0     = time.Date(2026, 11, 27, 14, 0, 0, 0, time.UTC)
	client = netip.MustParseAddrPort("192.0.2.1:50000")
	server = netip.MustParseAddrPort("192.0.2.2:443")
)

const (
	ecdhe128 decode.CipherSuite = 0xc02f // TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256
	rsa256   decode.CipherSuite = 0x0035 // TLS_RSA_WITH_AES_256_CBC_SHA
	des3     decode.CipherSuite = 0x000a // TLS_RSA_WITH_3DES_EDE_CBC_SHA
	x25519   decode.NamedGroup  = 29
	p384     decode.NamedGroup  = 24
)

func hello(suites ...decode.CipherSuite) *decode.ClientHello {
	return &decode.ClientHello{LegacyVersion: decode.VersionTLS12, CipherSuites: suites, ServerName: "www.example.org",
		SupportedGroups: []decode.NamedGroup{x25519}}
}

func msg(from flows.Role, typ string, at int) flows.Message {
	return flows.Message{TS: t0.Add(time.Duration(at) * time.Millisecond), From: from, Type: typ}
}

func alert(from flows.Role, desc decode.AlertDescription, at int) flows.Alert {
	return flows.Alert{TS: t0.Add(time.Duration(at) * time.Millisecond), From: from, Level: decode.AlertLevelFatal, Description: desc}
}

// Alert descriptions (RFC 8446, 6).
const (
	handshakeFailure      decode.AlertDescription = 40
	badCertificate        decode.AlertDescription = 42
	certificateExpired    decode.AlertDescription = 45
	certificateUnknown    decode.AlertDescription = 46
	unknownCA             decode.AlertDescription = 48
	decryptError          decode.AlertDescription = 51
	protocolVersion       decode.AlertDescription = 70
	insufficientSecurity  decode.AlertDescription = 71
	inappropriateFallback decode.AlertDescription = 86
	illegalParameter      decode.AlertDescription = 47
	unrecognizedName      decode.AlertDescription = 112
	certificateRequired   decode.AlertDescription = 116
	noApplicationProtocol decode.AlertDescription = 120
	internalError         decode.AlertDescription = 80
)

// refused is a ClientHello the server answered with an alert.
func refused(ch *decode.ClientHello, d decode.AlertDescription) *flows.Result {
	return &flows.Result{Start: t0, End: t0.Add(5 * time.Millisecond), Client: client, Server: server, Outcome: flows.OutcomeAlert,
		ServerName: ch.ServerName, ClientHello: ch,
		Messages: []flows.Message{msg(flows.Client, "client_hello", 1), msg(flows.Server, flows.TypeAlert, 2)},
		Alerts:   []flows.Alert{alert(flows.Server, d, 2)}}
}

func cert(subject, issuer string, from, to time.Time, names ...string) decode.CertInfo {
	return decode.CertInfo{Subject: subject, Issuer: issuer, NotBefore: from, NotAfter: to, DNSNames: names}
}

func chain(cs ...decode.CertInfo) *flows.Chain { return &flows.Chain{Certificates: cs, Count: len(cs)} }

var (
	valid     = cert("CN=www.example.org", "CN=Test CA", t0.AddDate(0, -1, 0), t0.AddDate(1, 0, 0), "www.example.org", "*.example.org")
	expired   = cert("CN=www.example.org", "CN=Test CA", t0.AddDate(-2, 0, 0), t0.AddDate(0, 0, -10), "www.example.org")
	notYet    = cert("CN=www.example.org", "CN=Test CA", t0.AddDate(0, 0, 3), t0.AddDate(1, 0, 0), "www.example.org")
	otherName = cert("CN=other.example.net", "CN=Test CA", t0.AddDate(0, -1, 0), t0.AddDate(1, 0, 0), "other.example.net")
	self      = cert("CN=box", "CN=box", t0.AddDate(0, -1, 0), t0.AddDate(1, 0, 0), "www.example.org")
	clientC   = cert("CN=alice", "CN=Other CA", t0.AddDate(0, -1, 0), t0.AddDate(1, 0, 0))
	clientE   = cert("CN=alice", "CN=Client CA", t0.AddDate(-1, 0, 0), t0.AddDate(0, 0, -1))
)

// rejectedByClient is a TLS 1.2 full handshake the client ended with an
// alert after the server's certificate.
func rejectedByClient(d decode.AlertDescription, c decode.CertInfo, count int) *flows.Result {
	r := refused(hello(ecdhe128), d)
	r.Version, r.CipherSuite, r.HasCipherSuite = decode.VersionTLS12, ecdhe128, true
	r.ServerHello = &decode.ServerHello{CipherSuite: ecdhe128}
	r.ServerCertificates = &flows.Chain{Certificates: []decode.CertInfo{c}, Count: count}
	r.Messages = []flows.Message{msg(flows.Client, "client_hello", 1), msg(flows.Server, "server_hello", 2),
		msg(flows.Server, "certificate", 2), msg(flows.Server, "server_hello_done", 2), msg(flows.Client, flows.TypeAlert, 3)}
	r.Alerts = []flows.Alert{alert(flows.Client, d, 3)}
	return r
}

// rejectedByServer is a TLS 1.2 mutual TLS handshake the server ended
// with an alert after the client's flight.
func rejectedByServer(d decode.AlertDescription, state string, cs ...decode.CertInfo) *flows.Result {
	r := rejectedByClient(d, valid, 1)
	r.CertificateRequest = &decode.CertificateRequest{CertificateAuthorities: []string{"CN=Client CA"}, CertificateAuthoritiesCount: 1}
	r.ClientCertificate = state
	if len(cs) > 0 {
		r.ClientCertificates = chain(cs...)
	}
	r.Messages = append(r.Messages[:4], msg(flows.Client, "certificate", 3), msg(flows.Client, "client_key_exchange", 3), msg(flows.Server, flows.TypeAlert, 4))
	r.Alerts = []flows.Alert{alert(flows.Server, d, 4)}
	return r
}

func established(v decode.Version, s decode.CipherSuite, ch *decode.ClientHello) *flows.Result {
	return &flows.Result{Start: t0, End: t0.Add(time.Millisecond), Client: client, Server: server, Outcome: flows.OutcomeEstablished,
		Version: v, CipherSuite: s, HasCipherSuite: true, ClientHello: ch, ServerName: ch.ServerName,
		ServerHello:        &decode.ServerHello{CipherSuite: s, KeyShareGroup: x25519},
		ServerCertificates: chain(valid)}
}

func with(r *flows.Result, f func(*flows.Result)) *flows.Result { f(r); return r }

func finding(r report.Rule, detail string) []report.Finding {
	return []report.Finding{{Rule: r, Code: string(r), Detail: detail}}
}

func TestRules(t *testing.T) {
	tls13 := &decode.ClientHello{LegacyVersion: decode.VersionTLS12, SupportedVersions: []decode.Version{decode.VersionTLS13},
		CipherSuites: []decode.CipherSuite{0x1301}, SupportedGroups: []decode.NamedGroup{p384},
		KeyShares: []decode.KeyShare{{Group: p384}}, ServerName: "www.example.org", ALPN: []string{"imap"}}
	for _, tt := range []struct {
		name     string
		before   []*flows.Result // earlier connections of the run
		r        *flows.Result
		findings []report.Finding
		code     string
		evidence []string
	}{
		{name: "mtls empty", r: rejectedByServer(handshakeFailure, flows.ClientCertEmpty),
			code: CodeClientCertMissing, evidence: []string{"empty Certificate message", "from one of: CN=Client CA"}},
		{name: "mtls missing, 1.3 decrypted", r: with(rejectedByServer(certificateRequired, flows.ClientCertMissing), func(r *flows.Result) {
			r.Messages[len(r.Messages)-1].Decrypted = true
		}), code: CodeClientCertMissing, evidence: []string{"sent no Certificate message", "certificate_required alert from the server (decrypted with the key log)"}},
		{name: "mtls issuer not among the CA names", r: rejectedByServer(unknownCA, flows.ClientCertSent, clientC),
			code: CodeClientCertIssuerNotAccepted, evidence: []string{"issued by CN=Other CA, which is not among", "CN=alice"}},
		{name: "mtls unknown_ca", r: rejectedByServer(unknownCA, flows.ClientCertSent, cert("CN=alice", "CN=Client CA", t0.AddDate(0, -1, 0), t0.AddDate(1, 0, 0))),
			code: CodeClientCertUntrusted, evidence: []string{"does not trust CN=Client CA"}},
		{name: "mtls expired", r: rejectedByServer(certificateExpired, flows.ClientCertSent, clientE),
			code: CodeClientCertExpired, evidence: []string{"CN=alice expired 2026-11-26T14:00:00Z"}},
		{name: "mtls bad_certificate, expired", r: rejectedByServer(badCertificate, flows.ClientCertSent, clientE),
			code: CodeClientCertExpired, evidence: []string{"expired"}},
		{name: "mtls decrypt_error", r: rejectedByServer(decryptError, flows.ClientCertSent, cert("CN=alice", "CN=Client CA", t0.AddDate(0, -1, 0), t0.AddDate(1, 0, 0))),
			code: CodeClientCertBadSignature, evidence: []string{"CertificateVerify"}},
		{name: "mtls bad_certificate", r: rejectedByServer(badCertificate, flows.ClientCertSent, cert("CN=alice", "CN=Client CA", t0.AddDate(0, -1, 0), t0.AddDate(1, 0, 0))),
			code: CodeClientCertRejected, evidence: []string{"bad_certificate"}},
		{name: "server untrusted, lone leaf", r: rejectedByClient(unknownCA, valid, 1),
			code: CodeServerCertUntrusted, evidence: []string{"does not trust CN=Test CA", "only its own certificate", "certificate 1: CN=www.example.org, issued by CN=Test CA"}},
		{name: "server untrusted, self-signed", r: rejectedByClient(unknownCA, self, 1),
			code: CodeServerCertUntrusted, evidence: []string{"CN=box is self-signed", "(self-signed)"}},
		{name: "server untrusted, 1.3 keyless", r: with(rejectedByClient(unknownCA, valid, 1), func(r *flows.Result) { r.ServerCertificates = nil }),
			code: CodeServerCertUntrusted, evidence: []string{"TLS 1.3 sends it encrypted"}},
		{name: "server expired", r: rejectedByClient(certificateExpired, expired, 1),
			code: CodeServerCertExpired, evidence: []string{"expired 2026-11-17T14:00:00Z, 10 days before the connection (2026-11-27T14:00:00Z)"}},
		{name: "server expired alert, valid dates", r: rejectedByClient(certificateExpired, valid, 1),
			code: CodeServerCertExpired, evidence: []string{"client's clock may be wrong"}},
		{name: "server not yet valid", r: rejectedByClient(badCertificate, notYet, 1),
			code: CodeServerCertNotYetValid, evidence: []string{"not valid before 2026-11-30T14:00:00Z, 3 days after"}},
		{name: "server name mismatch", r: rejectedByClient(certificateUnknown, otherName, 1),
			code: CodeServerCertNameMismatch, evidence: []string{"does not cover www.example.org", "other.example.net (none matches"}},
		{name: "server wildcard covers", r: with(rejectedByClient(badCertificate, valid, 1), func(r *flows.Result) { r.ServerName = "a.example.org" }),
			code: CodeServerCertRejected, evidence: []string{"dates and names are right"}},
		{name: "server wildcard one label only", r: with(rejectedByClient(badCertificate, valid, 1), func(r *flows.Result) { r.ServerName = "a.b.example.org" }),
			code: CodeServerCertNameMismatch},
		{name: "server signature", r: rejectedByClient(decryptError, valid, 1),
			code: CodeServerCertRejected, evidence: []string{"could not verify the server's signature"}},
		{name: "no common cipher", r: refused(hello(rsa256), handshakeFailure),
			code: CodeNoCommonCipher, evidence: []string{"1 cipher suite: TLS_RSA_WITH_AES_256_CBC_SHA", "up to TLS 1.2, without supported_versions"}},
		{name: "no common cipher, others succeeded",
			before: []*flows.Result{established(decode.VersionTLS12, ecdhe128, hello(ecdhe128)), established(decode.VersionTLS12, ecdhe128, hello(ecdhe128))},
			r:      with(refused(hello(rsa256), handshakeFailure), func(r *flows.Result) { r.ClientHello.LegacyVersion = decode.VersionTLS10 }),
			code:   CodeNoCommonCipher,
			evidence: []string{"offered only suites up to TLS 1.0", "the server chose TLS 1.2 TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256 for 2 other connections before it",
				"and the groups x25519"}},
		{name: "no common group, others succeeded",
			before:   []*flows.Result{established(decode.VersionTLS13, 0x1301, hello(0x1301))},
			r:        refused(tls13, handshakeFailure),
			code:     CodeNoCommonCipher,
			evidence: []string{"none of the groups the server chose for other clients (x25519)", "for 1 other connection before it", "TLS_AES_128_GCM_SHA256 too"}},
		{name: "insufficient security", r: refused(hello(rsa256), insufficientSecurity), code: CodeInsufficientSecurity},
		{name: "no common version",
			before:   []*flows.Result{established(decode.VersionTLS13, 0x1301, hello(0x1301))},
			r:        refused(hello(rsa256), protocolVersion),
			code:     CodeNoCommonVersion,
			evidence: []string{"none of the versions the client offered (up to TLS 1.2", "the server chose TLS 1.3 TLS_AES_128_GCM_SHA256 for 1 other connection before it"}},
		{name: "alpn",
			before:   []*flows.Result{with(established(decode.VersionTLS12, ecdhe128, hello(ecdhe128)), func(r *flows.Result) { r.ALPN = "h2" })},
			r:        refused(tls13, noApplicationProtocol),
			code:     CodeNoApplicationProtocol,
			evidence: []string{"(ALPN: imap)", "the server selected h2 for 1 other connection before it"}},
		{name: "unrecognized name",
			before:   []*flows.Result{with(established(decode.VersionTLS12, ecdhe128, hello(ecdhe128)), func(r *flows.Result) { r.ServerName = "api.example.org" })},
			r:        refused(hello(ecdhe128), unrecognizedName),
			code:     CodeUnrecognizedName,
			evidence: []string{`no host named "www.example.org"`, "handshakes for api.example.org"}},
		{name: "fallback", r: refused(hello(ecdhe128, fallbackSCSV), inappropriateFallback),
			code: CodeInappropriateFallback, evidence: []string{"TLS_FALLBACK_SCSV: it says an attempt at a higher version failed", "at most TLS 1.2"}},
		{name: "hello retry", r: with(refused(tls13, illegalParameter), func(r *flows.Result) {
			r.HelloRetryRequest = &decode.ServerHello{HelloRetryRequest: true, KeyShareGroup: x25519}
			r.ServerHello = r.HelloRetryRequest
			r.Alerts[0].From = flows.Client
		}), code: CodeHelloRetryFailed, evidence: []string{"a group the client never offered", "asked for a key share in x25519", "key shares for: secp384r1"}},
		{name: "encrypted alert from a TLS 1.3 server", r: with(refused(tls13, 0), func(r *flows.Result) {
			r.Version, r.Keys = decode.VersionTLS13, flows.KeysWrong
			r.Alerts[0] = flows.Alert{TS: r.Alerts[0].TS, From: flows.Server, Encrypted: true}
		}), code: CodeServerAlertEncrypted, evidence: []string{"encrypted alert from the server, after the client's client_hello", "belong to another session"}},
		{name: "encrypted alert from a TLS 1.3 client", r: with(refused(tls13, 0), func(r *flows.Result) {
			r.Version = decode.VersionTLS13
			r.Alerts[0] = flows.Alert{TS: r.Alerts[0].TS, From: flows.Client, Encrypted: true}
		}), code: CodeClientAlertEncrypted},
		{name: "other alert", r: with(rejectedByClient(internalError, valid, 1), func(r *flows.Result) {}),
			code: CodeAlert, evidence: []string{"The client ended the handshake with a fatal internal_error alert after the server's server_hello_done", "unrelated to the peer"}},
		{name: "plain HTTP server", r: &flows.Result{Start: t0, Server: server, Outcome: flows.OutcomeViolation, ClientHello: hello(ecdhe128),
			ServerFirstBytes: []byte("HTTP/1.1 400 Bad\r"),
			Violations:       []flows.Violation{{From: flows.Server, Code: flows.CodeUnknownContentType, Got: "record", Detail: "record content type 72 at stream offset 0"}}},
			code: CodeServerNotTLS, evidence: []string{"port 443: it answered the ClientHello with plain HTTP", `"HTTP/1.1 400 Bad." (hex 485454502f312e3120343030204261640d)`}},
		{name: "plain text client", r: &flows.Result{Start: t0, Server: server, Outcome: flows.OutcomeNotTLS, ClientFirstBytes: []byte("SSH-2.0-OpenSSH\x1b")},
			code: CodeClientNotTLS, evidence: []string{"sent SSH to port 443", `"SSH-2.0-OpenSSH."`}},
		{name: "reset", r: &flows.Result{Start: t0, End: t0.Add(3 * time.Millisecond), Server: server, Outcome: flows.OutcomeIncomplete, Closed: "rst",
			ClientHello: hello(ecdhe128), Messages: []flows.Message{msg(flows.Client, "client_hello", 1)}},
			code: CodeServerReset, evidence: []string{"reset (RST) 2ms after the ClientHello"}},
		{name: "silent", r: &flows.Result{Start: t0, End: t0.Add(30 * time.Second), Server: server, Outcome: flows.OutcomeIncomplete, Closed: "fin",
			ClientHello: hello(ecdhe128), Messages: []flows.Message{msg(flows.Client, "client_hello", 1)}},
			code: CodeServerSilent, evidence: []string{"never answered", "closed (FIN) 29.999s"}},
		{name: "capture ended", r: &flows.Result{Start: t0, End: t0.Add(time.Second), Server: server, Outcome: flows.OutcomeIncomplete, Closed: "capture_end",
			ClientHello: hello(ecdhe128), Messages: []flows.Message{msg(flows.Client, "client_hello", 1)}},
			code: CodeServerSilent, evidence: []string{"when the capture ended"}},
		{name: "no client hello", r: &flows.Result{Start: t0, End: t0.Add(time.Second), Server: server, Outcome: flows.OutcomeIncomplete, Closed: "fin"},
			code: CodeClientSilent},
		{name: "cut short", r: &flows.Result{Start: t0, End: t0.Add(time.Second), Server: server, Outcome: flows.OutcomeIncomplete, Closed: "fin",
			ClientHello: hello(ecdhe128), Messages: []flows.Message{msg(flows.Client, "client_hello", 1), msg(flows.Server, "server_hello", 2)}},
			code: CodeHandshakeCut, evidence: []string{"after the server's server_hello"}},
		{name: "gap", r: &flows.Result{Outcome: flows.OutcomeGap, Gap: &flows.Gap{From: flows.Server, Offset: 1460, Missing: 1448}},
			code: CodeCaptureGap, evidence: []string{"server's stream lacks bytes from offset 1460 (1448 bytes)"}},
		{name: "partial", r: &flows.Result{Outcome: flows.OutcomePartial}, code: CodeCaptureLate},
		{name: "bad finished", r: &flows.Result{Outcome: flows.OutcomeViolation, Keys: flows.KeysFound,
			Violations: []flows.Violation{{From: flows.Server, Code: flows.CodeBadFinished, Got: "finished", Detail: "server's verify_data differs (RFC 8446, 4.4.4)"}}},
			code: CodeBadFinished, evidence: []string{"altered in transit", "verify_data differs", "are this connection's traffic keys"}},
		{name: "bad record mac", r: &flows.Result{Outcome: flows.OutcomeViolation,
			Violations: []flows.Violation{{From: flows.Client, Code: flows.CodeBadRecordMAC, Got: "application_data", Detail: "does not authenticate"}}},
			code: CodeBadRecordMAC},
		{name: "missing certificate_verify", r: &flows.Result{Outcome: flows.OutcomeViolation,
			Violations: []flows.Violation{{From: flows.Client, Code: flows.CodeMissingMessage, Got: "change_cipher_spec", Expected: []string{"certificate_verify"}, Detail: "client skipped certificate_verify (RFC 5246, 7.4.8)"}},
			Alerts:     []flows.Alert{alert(flows.Server, 10, 5)}},
			code: CodeOrderViolation, evidence: []string{"where the RFC requires certificate_verify", "skips CertificateVerify", "server answered with a fatal unexpected_message alert"}},
		{name: "stripped", r: &flows.Result{Outcome: flows.OutcomeViolation,
			Violations: []flows.Violation{{From: flows.Server, Code: flows.CodeMissingMessage, Got: "server_hello_done", Expected: []string{"server_key_exchange"}, Detail: "x"}}},
			code: CodeOrderViolation, evidence: []string{"middlebox that strips messages"}},
		{name: "malformed", r: &flows.Result{Outcome: flows.OutcomeViolation,
			Violations: []flows.Violation{{From: flows.Client, Code: flows.CodeMalformedHandshake, Got: "client_hello", Detail: "x"}}},
			code: CodeMalformedTLS, evidence: []string{"a client_hello that does not parse as TLS"}},
		{name: "legacy version, server's choice", r: established(decode.VersionTLS10, ecdhe128, &decode.ClientHello{LegacyVersion: decode.VersionTLS12}),
			findings: finding(report.RuleLegacyVersion, "negotiated TLS 1.0, below TLS 1.2"),
			code:     CodeLegacyVersion, evidence: []string{"server chose TLS 1.0 although the client offered up to TLS 1.2"}},
		{name: "weak suite, client's offer", r: established(decode.VersionTLS12, des3, hello(des3)),
			findings: finding(report.RuleWeakCipher, "TLS_RSA_WITH_3DES_EDE_CBC_SHA (3DES)"),
			code:     CodeWeakCipher, evidence: []string{"a weak suite (3DES)", "offered nothing stronger"}},
		{name: "weak suite, server's choice", r: established(decode.VersionTLS12, des3, hello(ecdhe128, des3)),
			findings: finding(report.RuleWeakCipher, "x"),
			code:     CodeWeakCipher, evidence: []string{"chose it over stronger ones", "suites that are not weak (1): TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"}},
		{name: "expired, accepted", r: with(established(decode.VersionTLS12, ecdhe128, hello(ecdhe128)), func(r *flows.Result) { r.ServerCertificates = chain(expired) }),
			findings: finding(report.RuleExpiredCert, "x"),
			code:     CodeExpiredCert, evidence: []string{"does not check the certificate's dates"}},
		{name: "no SNI", r: with(established(decode.VersionTLS12, ecdhe128, hello(ecdhe128)), func(r *flows.Result) { r.ServerName = "" }),
			findings: finding(report.RuleNoSNI, "x"),
			code:     CodeNoSNI, evidence: []string{"the server gave CN=www.example.org, for the names www.example.org, *.example.org"}},
		{name: "established without findings", r: established(decode.VersionTLS12, des3, hello(des3))},
	} {
		t.Run(tt.name, func(t *testing.T) {
			d := New(Options{})
			for _, b := range tt.before {
				d.Diagnose(b, nil)
			}
			d.Diagnose(tt.r, tt.findings)
			got := tt.r.Diagnosis
			if got == nil {
				if tt.code != "" {
					t.Fatalf("no diagnosis, want %s", tt.code)
				}
				return
			}
			if got.Code != tt.code {
				t.Fatalf("code %s (%s), want %q", got.Code, got.Cause, tt.code)
			}
			if got.Cause == "" || got.Hint == "" {
				t.Errorf("no cause or hint: %+v", got)
			}
			text := got.Cause + "\n" + strings.Join(got.Evidence, "\n")
			for _, e := range tt.evidence {
				if !strings.Contains(text, e) {
					t.Errorf("lacks %q:\n%s", e, text)
				}
			}
		})
	}
}
