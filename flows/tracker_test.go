package flows

import (
	"encoding/binary"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"
	"unsafe"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/hsdecode/hsdecode/decode"
	"github.com/hsdecode/hsdecode/stream"
)

// The helpers below build TLS bytes by hand so that each test states the
// exact wire sequence it judges.

var t0 = time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)

func u16(v int) []byte { return binary.BigEndian.AppendUint16(nil, uint16(v)) }

func u24(v int) []byte { return []byte{byte(v >> 16), byte(v >> 8), byte(v)} }

func cat(parts ...[]byte) []byte {
	var out []byte
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

func record(typ byte, payload []byte) []byte {
	return cat([]byte{typ, 3, 3}, u16(len(payload)), payload)
}

func hs(typ decode.HandshakeType, body []byte) []byte {
	return cat([]byte{byte(typ)}, u24(len(body)), body)
}

func ext(typ int, data []byte) []byte { return cat(u16(typ), u16(len(data)), data) }

type hello struct {
	version   int
	sessionID []byte
	suites    []int
	exts      [][]byte
}

func (h hello) body(server bool) []byte {
	random := make([]byte, 32)
	random[0] = 0x42
	b := cat(u16(h.version), random, []byte{byte(len(h.sessionID))}, h.sessionID)
	if server {
		b = cat(b, u16(h.suites[0]), []byte{0})
	} else {
		var s []byte
		for _, c := range h.suites {
			s = append(s, u16(c)...)
		}
		b = cat(b, u16(len(s)), s, []byte{1, 0})
	}
	var e []byte
	for _, x := range h.exts {
		e = append(e, x...)
	}
	return cat(b, u16(len(e)), e)
}

var hrrRandom = []byte{
	0xCF, 0x21, 0xAD, 0x74, 0xE5, 0x9A, 0x61, 0x11, 0xBE, 0x1D, 0x8C, 0x02, 0x1E, 0x65, 0xB8, 0x91,
	0xC2, 0xA2, 0x11, 0x16, 0x7A, 0xBB, 0x8C, 0x5E, 0x07, 0x9E, 0x09, 0xE2, 0xC8, 0xA8, 0x33, 0x9C,
}

const (
	suiteECDHERSA = 0xc02f // TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256
	suiteRSA      = 0x009c // TLS_RSA_WITH_AES_128_GCM_SHA256
	suiteTLS13    = 0x1301 // TLS_AES_128_GCM_SHA256
)

var (
	sv13CH     = ext(43, []byte{4, 0x03, 0x04, 0x03, 0x03})
	sv13SH     = ext(43, u16(0x0304))
	keyShareSH = ext(51, cat(u16(29), u16(32), make([]byte, 32)))
	hrrKeyShr  = ext(51, u16(23))

	ch12 = record(22, hs(decode.HandshakeClientHello, hello{version: 0x0303, suites: []int{suiteECDHERSA, suiteRSA}}.body(false)))
	ch13 = record(22, hs(decode.HandshakeClientHello, hello{version: 0x0303, suites: []int{suiteTLS13, suiteECDHERSA}, exts: [][]byte{sv13CH}}.body(false)))

	shECDHE = hs(decode.HandshakeServerHello, hello{version: 0x0303, suites: []int{suiteECDHERSA}}.body(true))
	shRSA   = hs(decode.HandshakeServerHello, hello{version: 0x0303, suites: []int{suiteRSA}}.body(true))
	sh13    = record(22, hs(decode.HandshakeServerHello, hello{version: 0x0303, suites: []int{suiteTLS13}, exts: [][]byte{sv13SH, keyShareSH}}.body(true)))

	cert     = hs(decode.HandshakeCertificate, cat(u24(6), u24(3), []byte{1, 2, 3}))
	certNone = hs(decode.HandshakeCertificate, u24(0))
	ske      = hs(decode.HandshakeServerKeyExchange, cat([]byte{3}, u16(23), []byte{4, 1, 2, 3, 4}, u16(0x0401), u16(2), []byte{9, 9}))
	certReq  = hs(decode.HandshakeCertificateRequest, cat([]byte{1, 1}, u16(2), u16(0x0401), u16(0)))
	shd      = hs(decode.HandshakeServerHelloDone, nil)
	cke      = hs(decode.HandshakeClientKeyExchange, cat([]byte{4}, make([]byte, 4)))
	cv       = hs(decode.HandshakeCertificateVerify, cat(u16(0x0401), u16(2), []byte{7, 7}))
	ccs      = record(20, []byte{1})
	encFin   = record(22, make([]byte, 40))
	appData  = record(23, make([]byte, 30))
)

func alertRec(level, desc byte) []byte { return record(21, []byte{level, desc}) }

// step is one delivery of bytes from a side.
type step struct {
	from Role
	b    []byte
}

func c(parts ...[]byte) step { return step{Client, cat(parts...)} }
func s(parts ...[]byte) step { return step{Server, cat(parts...)} }

var (
	clientAddr = netip.MustParseAddrPort("10.0.0.1:50000")
	serverAddr = netip.MustParseAddrPort("10.0.0.2:443")
)

// run feeds the steps to a tracker of a connection whose SYN was seen and
// returns its result.
func run(t *testing.T, syn bool, steps ...step) Result {
	t.Helper()
	col := NewCollector(Options{})
	tr := col.New(stream.ConnInfo{A: clientAddr, B: serverAddr, SawSYN: syn, Start: t0})
	for i, st := range steps {
		side := stream.SideA
		if st.from == Server {
			side = stream.SideB
		}
		tr.Data(side, st.b, t0.Add(time.Duration(i+1)*time.Millisecond))
	}
	tr.Close(stream.EndFIN, t0.Add(time.Second))
	rs := col.Results()
	if len(rs) != 1 {
		t.Fatalf("got %d results, want 1", len(rs))
	}
	return rs[0]
}

func types(r Result) string {
	var out []string
	for _, m := range r.Messages {
		out = append(out, string(m.From[0])+":"+m.Type)
	}
	return strings.Join(out, " ")
}

// fullECDHE is a valid TLS 1.2 ECDHE_RSA handshake.
var fullECDHE = []step{
	c(ch12),
	s(record(22, cat(shECDHE, cert, ske, shd))),
	c(record(22, cke), ccs, encFin),
	s(ccs, encFin),
}

func TestTLS12Established(t *testing.T) {
	r := run(t, true, fullECDHE...)
	if r.Outcome != OutcomeEstablished || len(r.Violations) != 0 {
		t.Fatalf("outcome %s, violations %+v", r.Outcome, r.Violations)
	}
	if r.Version != decode.VersionTLS12 || r.CipherSuite.String() != "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256" {
		t.Errorf("version %s suite %s", r.Version, r.CipherSuite)
	}
	if r.ClientCertificate != ClientCertNone || r.Resumed {
		t.Errorf("client_certificate %q resumed %v", r.ClientCertificate, r.Resumed)
	}
	want := "c:client_hello s:server_hello s:certificate s:server_key_exchange s:server_hello_done c:client_key_exchange c:change_cipher_spec c:finished s:change_cipher_spec s:finished"
	if got := types(r); got != want {
		t.Errorf("messages\n got %s\nwant %s", got, want)
	}
	if r.Client != clientAddr || r.Server != serverAddr {
		t.Errorf("client %s server %s", r.Client, r.Server)
	}
}

// TestViolations: each case breaks the order once; the table names who
// broke it and the code.
func TestViolations(t *testing.T) {
	mtlsFlight := s(record(22, cat(shECDHE, cert, ske, certReq, shd)))
	tests := []struct {
		name     string
		steps    []step
		from     Role
		code     Code
		got      string
		expected []string
	}{
		{"ServerHelloDone before Certificate", []step{c(ch12), s(record(22, cat(shECDHE, shd, cert, ske)))},
			Server, CodeUnexpectedMessage, "server_hello_done", []string{"certificate"}},
		{"ECDHE without ServerKeyExchange", []step{c(ch12), s(record(22, cat(shECDHE, cert, shd)))},
			Server, CodeMissingMessage, "server_hello_done", []string{"server_key_exchange"}},
		{"RSA key exchange with ServerKeyExchange", []step{c(ch12), s(record(22, cat(shRSA, cert, ske, shd)))},
			Server, CodeUnexpectedMessage, "server_key_exchange", []string{"certificate_request", "server_hello_done"}},
		{"repeated ServerHello", []step{c(ch12), s(record(22, cat(shECDHE, shECDHE)))},
			Server, CodeDuplicateMessage, "server_hello", []string{"certificate"}},
		{"CertificateVerify without a client certificate", []step{c(ch12), s(record(22, cat(shECDHE, cert, ske, shd))), c(record(22, cat(cke, cv)))},
			Client, CodeUnexpectedMessage, "certificate_verify", []string{"change_cipher_spec"}},
		{"CertificateRequest answered without Certificate", []step{c(ch12), mtlsFlight, c(record(22, cke))},
			Client, CodeMissingMessage, "client_key_exchange", []string{"certificate"}},
		{"client certificate without CertificateVerify", []step{c(ch12), mtlsFlight, c(record(22, cat(cert, cke)), ccs)},
			Client, CodeMissingMessage, "change_cipher_spec", []string{"certificate_verify"}},
		{"application data before Finished", []step{c(ch12), s(record(22, cat(shECDHE, cert, ske, shd))), c(record(22, cke), appData)},
			Client, CodeApplicationDataBeforeFinished, "application_data", []string{"change_cipher_spec"}},
		{"client key exchange before ServerHelloDone", []step{c(ch12), s(record(22, cat(shECDHE, cert))), c(record(22, cke))},
			Client, CodeUnexpectedMessage, "client_key_exchange", []string{}},
		{"server CCS without resumption", []step{c(ch12), s(record(22, shECDHE), ccs)},
			Server, CodeUnexpectedChangeCipherSpec, "change_cipher_spec", []string{"certificate"}},
		{"server Finished flight before the client's", []step{c(ch12), s(record(22, cat(shECDHE, cert, ske, shd)), ccs)},
			Server, CodeUnexpectedChangeCipherSpec, "change_cipher_spec", []string{}},
		{"second ClientHello without HelloRetryRequest", []step{c(ch13, ch13)},
			Client, CodeDuplicateMessage, "client_hello", nil},
		{"server selects a version the client did not offer", []step{c(ch12), s(sh13)},
			Server, CodeVersionMismatch, "server_hello", nil},
		{"record with an unknown content type", []step{c(ch12), s(record(99, []byte{1, 2}))},
			Server, CodeUnknownContentType, "record", nil},
		{"plaintext handshake after a TLS 1.3 ServerHello", []step{c(ch13), s(sh13, record(22, cert))},
			Server, CodeUnexpectedMessage, "certificate", []string{"change_cipher_spec", "encrypted"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := run(t, true, tt.steps...)
			if r.Outcome != OutcomeViolation || len(r.Violations) == 0 {
				t.Fatalf("outcome %s, want violation; messages %s", r.Outcome, types(r))
			}
			v := r.Violations[0]
			if v.From != tt.from || v.Code != tt.code || v.Got != tt.got {
				t.Errorf("violation %s by %s got %s (%s), want %s by %s got %s", v.Code, v.From, v.Got, v.Detail, tt.code, tt.from, tt.got)
			}
			if tt.expected != nil {
				if diff := cmp.Diff(tt.expected, v.Expected, cmpopts.EquateEmpty()); diff != "" {
					t.Errorf("expected (-want +got):\n%s", diff)
				}
			}
		})
	}
}

func TestMutualTLS12(t *testing.T) {
	r := run(t, true,
		c(ch12),
		s(record(22, cat(shECDHE, cert, ske, certReq, shd))),
		c(record(22, cat(cert, cke, cv)), ccs, encFin),
		s(ccs, encFin))
	if r.Outcome != OutcomeEstablished || r.ClientCertificate != ClientCertSent {
		t.Fatalf("outcome %s client_certificate %q violations %+v", r.Outcome, r.ClientCertificate, r.Violations)
	}
}

func TestMutualTLS12EmptyCertificateThenAlert(t *testing.T) {
	r := run(t, true,
		c(ch12),
		s(record(22, cat(shECDHE, cert, ske, certReq, shd))),
		c(record(22, cat(certNone, cke)), ccs, encFin),
		s(alertRec(2, 40)))
	if r.Outcome != OutcomeAlert || r.ClientCertificate != ClientCertEmpty {
		t.Fatalf("outcome %s client_certificate %q violations %+v", r.Outcome, r.ClientCertificate, r.Violations)
	}
	a := r.Alerts[0]
	if a.From != Server || a.Level.String() != "fatal" || a.Description.String() != "handshake_failure" || a.Encrypted {
		t.Errorf("alert %+v", a)
	}
}

func TestResumptionBySessionID(t *testing.T) {
	sid := []byte{1, 2, 3, 4}
	chR := record(22, hs(decode.HandshakeClientHello, hello{version: 0x0303, sessionID: sid, suites: []int{suiteECDHERSA}}.body(false)))
	shR := hs(decode.HandshakeServerHello, hello{version: 0x0303, sessionID: sid, suites: []int{suiteECDHERSA}}.body(true))
	r := run(t, true, c(chR), s(record(22, shR), ccs, encFin), c(ccs, encFin))
	if r.Outcome != OutcomeEstablished || !r.Resumed {
		t.Fatalf("outcome %s resumed %v violations %+v", r.Outcome, r.Resumed, r.Violations)
	}

	// Echoing the session id promises resumption; a Certificate breaks it
	// (RFC 5246, 7.4.1.3).
	r = run(t, true, c(chR), s(record(22, cat(shR, cert))))
	if r.Outcome != OutcomeViolation || r.Violations[0].Code != CodeUnexpectedMessage || r.Violations[0].Got != "certificate" {
		t.Fatalf("outcome %s violations %+v", r.Outcome, r.Violations)
	}

	// The client may not send its CCS before the server's Finished.
	r = run(t, true, c(chR), s(record(22, shR)), c(ccs))
	if r.Outcome != OutcomeViolation || r.Violations[0].Code != CodeUnexpectedChangeCipherSpec || r.Violations[0].From != Client {
		t.Fatalf("outcome %s violations %+v", r.Outcome, r.Violations)
	}
}

func TestFatalAlert(t *testing.T) {
	r := run(t, true, c(ch12), s(alertRec(2, 40)))
	if r.Outcome != OutcomeAlert {
		t.Fatalf("outcome %s", r.Outcome)
	}
	if got := types(r); got != "c:client_hello s:alert" {
		t.Errorf("messages %s", got)
	}
	// A warning does not end the handshake.
	r = run(t, true, c(ch12), s(alertRec(1, 112)))
	if r.Outcome != OutcomeIncomplete {
		t.Fatalf("warning: outcome %s", r.Outcome)
	}
}

func TestTLS13(t *testing.T) {
	ticket := record(23, make([]byte, 200))
	alert13 := record(23, make([]byte, tls13AlertLength))
	tests := []struct {
		name    string
		steps   []step
		outcome Outcome
	}{
		{"full", []step{c(ch13), s(sh13, ccs, record(23, make([]byte, 500)), record(23, make([]byte, 60))), c(ccs, record(23, make([]byte, 53))), s(ticket)}, OutcomeEstablished},
		{"server alert after the client's flight", []step{c(ch13), s(sh13, ccs, record(23, make([]byte, 500))), c(ccs, record(23, make([]byte, 53))), s(alert13)}, OutcomeAlert},
		{"alert-sized record followed by more", []step{c(ch13), s(sh13, record(23, make([]byte, 500))), c(record(23, make([]byte, 53))), s(alert13, ticket)}, OutcomeEstablished},
		{"client never answers", []step{c(ch13), s(sh13, ccs, record(23, make([]byte, 500)))}, OutcomeIncomplete},
		{"two compatibility CCS", []step{c(ch13), s(sh13, ccs, ccs)}, OutcomeViolation},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := run(t, true, tt.steps...)
			if r.Outcome != tt.outcome {
				t.Fatalf("outcome %s, want %s; violations %+v", r.Outcome, tt.outcome, r.Violations)
			}
			if r.Version != decode.VersionTLS13 || r.CipherSuite != suiteTLS13 {
				t.Errorf("version %s suite %s", r.Version, r.CipherSuite)
			}
		})
	}
}

func TestHelloRetryRequest(t *testing.T) {
	hrrBody := hello{version: 0x0303, suites: []int{suiteTLS13}, exts: [][]byte{sv13SH, hrrKeyShr}}.body(true)
	copy(hrrBody[2:34], hrrRandom)
	hrr := record(22, hs(decode.HandshakeServerHello, hrrBody))
	r := run(t, true, c(ch13), s(hrr, ccs), c(ccs, ch13), s(sh13, record(23, make([]byte, 400))), c(record(23, make([]byte, 53))), s(record(23, make([]byte, 200))))
	if r.Outcome != OutcomeEstablished {
		t.Fatalf("outcome %s violations %+v", r.Outcome, r.Violations)
	}
	want := "c:client_hello s:hello_retry_request s:change_cipher_spec c:change_cipher_spec c:client_hello s:server_hello s:encrypted c:encrypted s:encrypted"
	if got := types(r); got != want {
		t.Errorf("messages\n got %s\nwant %s", got, want)
	}

	// The ServerHello must wait for the second ClientHello.
	r = run(t, true, c(ch13), s(hrr, sh13))
	if r.Outcome != OutcomeViolation || r.Violations[0].Got != "server_hello" {
		t.Fatalf("outcome %s violations %+v", r.Outcome, r.Violations)
	}
}

func TestWithoutSYN(t *testing.T) {
	// The capture began after the ClientHello: no verdict on order.
	r := run(t, false, s(ccs, encFin), c(appData), s(appData))
	if r.Outcome != OutcomePartial || len(r.Violations) != 0 {
		t.Fatalf("outcome %s violations %+v", r.Outcome, r.Violations)
	}
	if r.Client != clientAddr {
		t.Errorf("client %s: the lower port should be taken as the server", r.Client)
	}
	// The capture began between the SYN and the ClientHello: judged in full,
	// with the client found by its ClientHello even when it is side B.
	col := NewCollector(Options{})
	tr := col.New(stream.ConnInfo{A: serverAddr, B: clientAddr, Start: t0})
	for i, st := range fullECDHE {
		side := stream.SideB
		if st.from == Server {
			side = stream.SideA
		}
		tr.Data(side, st.b, t0.Add(time.Duration(i)*time.Millisecond))
	}
	tr.Close(stream.EndFIN, t0.Add(time.Second))
	r = col.Results()[0]
	if r.Outcome != OutcomeEstablished || r.Client != clientAddr {
		t.Fatalf("outcome %s client %s", r.Outcome, r.Client)
	}
}

func TestGap(t *testing.T) {
	col := NewCollector(Options{})
	tr := col.New(stream.ConnInfo{A: clientAddr, B: serverAddr, SawSYN: true, Start: t0})
	tr.Data(stream.SideA, ch12, t0)
	tr.Gap(stream.SideB, 1000, t0)
	tr.Data(stream.SideB, record(22, shd), t0)
	tr.Close(stream.EndFIN, t0)
	r := col.Results()[0]
	if r.Outcome != OutcomeGap || r.Gap == nil || r.Gap.From != Server || len(r.Violations) != 0 {
		t.Fatalf("outcome %s gap %+v violations %+v", r.Outcome, r.Gap, r.Violations)
	}

	// After a gap the order is no longer judged, but what follows is read:
	// the other side's hello, and the side with the gap from its next
	// record boundary on (here after the rest of its ClientHello, which is
	// lost, and the middle of a record); a second gap, on the other side,
	// is read past the same way. Nothing of it is a violation.
	col = NewCollector(Options{})
	tr = col.New(stream.ConnInfo{A: clientAddr, B: serverAddr, SawSYN: true, Start: t0})
	tr.Data(stream.SideA, ch12[:40], t0)
	tr.Gap(stream.SideA, len(ch12)-40, t0)
	tr.Data(stream.SideB, record(22, cat(shECDHE, cert)), t0)
	tr.Data(stream.SideA, cat(record(22, cke)[3:], ccs), t0)
	tr.Gap(stream.SideB, 20, t0)
	tr.Data(stream.SideB, cat([]byte{0x77, 0x77}, record(22, shd), ccs), t0)
	tr.Close(stream.EndFIN, t0)
	r = col.Results()[0]
	var got []string
	for _, m := range r.Messages {
		got = append(got, string(m.From)+" "+m.Type)
	}
	want := []string{"server server_hello", "server certificate", "client change_cipher_spec", "server server_hello_done", "server change_cipher_spec"}
	if r.Outcome != OutcomeGap || r.Gap == nil || r.Gap.From != Client || r.Gap.Offset != 40 || len(r.Violations) != 0 ||
		r.ServerHello == nil || !slices.Equal(got, want) {
		t.Fatalf("outcome %s gap %+v violations %+v server hello %v messages %q; want gap from the client at 40, messages %q",
			r.Outcome, r.Gap, r.Violations, r.ServerHello != nil, got, want)
	}

	// A gap after the handshake was decided changes nothing.
	col = NewCollector(Options{})
	tr = col.New(stream.ConnInfo{A: clientAddr, B: serverAddr, SawSYN: true, Start: t0})
	playFullECDHE(tr)
	if !tr.Done() {
		t.Error("Done is false after the handshake was established")
	}
	tr.Gap(stream.SideB, 10, t0)
	tr.Close(stream.EndFIN, t0)
	if r := col.Results()[0]; r.Outcome != OutcomeEstablished {
		t.Fatalf("outcome %s", r.Outcome)
	}
}

// A gap that cannot change the outcome still ends the reading of its side
// at the hole: the bytes after it, read on as if they followed, would be a
// violation the capture made up. Garbage stands for the middle of a lost
// record.
func TestGapNotRecordedStillResyncs(t *testing.T) {
	garbage := []byte{0x77, 0x77, 0x77}
	tests := []struct {
		name       string
		syn        bool
		before     []step
		violations []Code
		outcome    Outcome
	}{
		// The capture began after the ClientHello.
		{"partial", false, []step{s(ccs)}, nil, OutcomePartial},
		// The client broke the order; the server's answer is still read.
		{"after a violation", true, []step{c(ch12), s(record(22, cat(shECDHE, cert, ske, shd))), c(record(22, cke), appData)},
			[]Code{CodeApplicationDataBeforeFinished}, OutcomeViolation},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			col := NewCollector(Options{})
			tr := col.New(stream.ConnInfo{A: clientAddr, B: serverAddr, SawSYN: tt.syn, Start: t0})
			for _, st := range tt.before {
				side := stream.SideA
				if st.from == Server {
					side = stream.SideB
				}
				tr.Data(side, st.b, t0)
			}
			tr.Gap(stream.SideB, 100, t0)
			tr.Data(stream.SideB, cat(garbage, alertRec(1, 0)), t0)
			tr.Close(stream.EndFIN, t0)
			r := col.Results()[0]
			var codes []Code
			for _, v := range r.Violations {
				codes = append(codes, v.Code)
			}
			if r.Outcome != tt.outcome || !slices.Equal(codes, tt.violations) || len(r.Alerts) != 1 || r.Gap != nil {
				t.Errorf("outcome %s, violations %v, alerts %+v, gap %+v; want %s, %v, the server's alert, no gap",
					r.Outcome, codes, r.Alerts, r.Gap, tt.outcome, tt.violations)
			}
		})
	}
}

// After a gap, what the lost bytes said is unknown: here the client's
// ChangeCipherSpec, so that its next handshake record, encrypted, does
// not parse as one. That is the capture's doing, not a malformed message
// (tls12no_renogotiation with the client's second flight lost).
func TestUndecodableAfterGap(t *testing.T) {
	col := NewCollector(Options{})
	tr := col.New(stream.ConnInfo{A: clientAddr, B: serverAddr, SawSYN: true, Start: t0})
	tr.Data(stream.SideA, ch12, t0)
	tr.Data(stream.SideB, record(22, cat(shECDHE, cert, ske, shd)), t0)
	tr.Gap(stream.SideA, 93, t0)
	tr.Data(stream.SideB, cat(ccs, encFin), t0)
	tr.Data(stream.SideA, cat(appData, record(22, []byte{0x8a, 0x5b, 0x60, 0x96, 1, 2, 3, 4})), t0)
	tr.Close(stream.EndFIN, t0)
	r := col.Results()[0]
	if r.Outcome != OutcomeGap || len(r.Violations) != 0 || r.Gap == nil || r.Gap.From != Client {
		t.Fatalf("outcome %s, violations %+v, gap %+v; want gap from the client, no violation", r.Outcome, r.Violations, r.Gap)
	}
}

func TestNotTLS(t *testing.T) {
	r := run(t, true, c([]byte("GET / HTTP/1.1\r\nHost: x\r\n\r\n")), s([]byte("HTTP/1.1 400 Bad Request\r\n\r\n")))
	if r.Outcome != OutcomeNotTLS {
		t.Fatalf("outcome %s", r.Outcome)
	}
	// Off a TLS port a connection without TLS is not reported at all.
	col := NewCollector(Options{})
	tr := col.New(stream.ConnInfo{A: clientAddr, B: netip.MustParseAddrPort("10.0.0.2:80"), SawSYN: true, Start: t0})
	tr.Data(stream.SideA, []byte("GET / HTTP/1.1\r\n\r\n"), t0)
	tr.Close(stream.EndFIN, t0)
	if n := len(col.Results()); n != 0 || col.NotReported() != 1 {
		t.Fatalf("%d results, %d not reported", n, col.NotReported())
	}
}

func TestSTARTTLS(t *testing.T) {
	steps := append([]step{
		s([]byte("220 mail.example ESMTP\r\n")),
		c([]byte("EHLO x\r\n")),
		s([]byte("250-mail.example\r\n250 STARTTLS\r\n")),
		c([]byte("STARTTLS\r\n")),
		s([]byte("220 Ready to start TLS\r\n")),
	}, fullECDHE...)
	r := run(t, true, steps...)
	if r.Outcome != OutcomeEstablished {
		t.Fatalf("outcome %s violations %+v messages %s", r.Outcome, r.Violations, types(r))
	}
}

func TestServerNotSpeakingTLS(t *testing.T) {
	r := run(t, true, c(ch12), s([]byte("HTTP/1.1 400 Bad Request\r\n\r\n")))
	if r.Outcome != OutcomeViolation || r.Violations[0].From != Server {
		t.Fatalf("outcome %s violations %+v", r.Outcome, r.Violations)
	}
	// What it said instead is kept, MaxFirstBytes of it, for the diagnosis.
	if string(r.ServerFirstBytes) != "HTTP/1.1 400 Bad" || r.ClientFirstBytes != nil {
		t.Errorf("first bytes: client %q, server %q", r.ClientFirstBytes, r.ServerFirstBytes)
	}
}

// TestFirstBytes: the first bytes of a side are kept only when it did not
// speak TLS: a client's plaintext to a TLS port, not a STARTTLS server's
// banner nor a TLS side.
func TestFirstBytes(t *testing.T) {
	r := run(t, true, c([]byte("GET / HTTP/1.1\r\nHost: x\r\n\r\n")), s([]byte("HTTP/1.1 400 Bad Request\r\n\r\n")))
	if string(r.ClientFirstBytes) != "GET / HTTP/1.1\r\n" || r.ServerFirstBytes != nil {
		t.Errorf("not_tls: client %q, server %q", r.ClientFirstBytes, r.ServerFirstBytes)
	}
	r = run(t, true, s([]byte("220 mail.example ESMTP\r\n")), c([]byte("STARTTLS\r\n")), s([]byte("220 Ready\r\n")), c(ch12))
	if r.ClientFirstBytes != nil || r.ServerFirstBytes != nil {
		t.Errorf("STARTTLS: client %q, server %q", r.ClientFirstBytes, r.ServerFirstBytes)
	}
	r = run(t, true, c(ch12))
	if r.Outcome != OutcomeIncomplete || r.ClientFirstBytes != nil || r.ServerFirstBytes != nil {
		t.Errorf("TLS: %s, client %q, server %q", r.Outcome, r.ClientFirstBytes, r.ServerFirstBytes)
	}
}

// TestMalformedClientHelloThenServerHello: a ClientHello that does not
// parse stops the client's direction; the server's answer is still read
// and must not be checked against an offer that was never decoded.
func TestMalformedClientHelloThenServerHello(t *testing.T) {
	bad := record(22, hs(decode.HandshakeClientHello, []byte{3, 3, 1}))
	r := run(t, true, c(bad), s(record(22, cat(shECDHE, cert, ske, shd))))
	if r.Outcome != OutcomeViolation || len(r.Violations) != 1 {
		t.Fatalf("outcome %s violations %+v", r.Outcome, r.Violations)
	}
	if v := r.Violations[0]; v.From != Client || v.Code != CodeMalformedHandshake {
		t.Errorf("violation %+v", v)
	}
}

// TestEncryptedAlertMidStream: a capture that began after the CCS sees an
// alert record longer than one alert; it is a protected alert, not thirteen
// plaintext ones.
func TestEncryptedAlertMidStream(t *testing.T) {
	r := run(t, false, c(appData), s(record(21, make([]byte, 26))))
	if r.Outcome != OutcomePartial || len(r.Alerts) != 1 || !r.Alerts[0].Encrypted {
		t.Fatalf("outcome %s alerts %+v", r.Outcome, r.Alerts)
	}
}

// TestAsDecided: with Options.AsDecided a result leaves (Drain) as soon
// as its verdict is final, before the connection closes, and only once;
// the tracker, open until then, keeps none of it, and what left is whole.
func TestAsDecided(t *testing.T) {
	col := NewCollector(Options{AsDecided: true})
	var got []*Result
	drain := func() {
		rs, _ := col.Drain()
		got = append(got, rs...)
	}
	tr := col.New(stream.ConnInfo{A: clientAddr, B: serverAddr, SawSYN: true, Start: t0})
	playFullECDHE(tr)
	drain()
	if len(got) != 1 || got[0].Outcome != OutcomeEstablished || len(got[0].Messages) == 0 {
		t.Fatalf("handed over %d before close, want one established with its messages", len(got))
	}
	if kept := tr.(*Tracker); kept.res.Messages != nil || kept.sides[0].dec != nil || !kept.Done() {
		t.Error("a reported connection still holds its result or decoders")
	}
	tr.Close(stream.EndFIN, t0)
	undecided := col.New(stream.ConnInfo{A: clientAddr, B: serverAddr, SawSYN: true, Start: t0})
	undecided.Data(stream.SideA, ch12, t0)
	undecided.Close(stream.EndCapture, t0)
	drain()
	if len(got) != 2 || got[1].Outcome != OutcomeIncomplete || got[0].Outcome != OutcomeEstablished {
		t.Fatalf("handed over %d, want the established one then the incomplete one", len(got))
	}
}

// TestTLS13ClientAlert: a client that rejects the server's certificate in
// TLS 1.3 (Go's crypto/tls) sends its CCS and a single alert-sized
// protected record, then closes; the server says nothing more.
func TestTLS13ClientAlert(t *testing.T) {
	r := run(t, true, c(ch13), s(sh13, ccs, record(23, make([]byte, 500))), c(ccs, record(23, make([]byte, tls13AlertLength))))
	if r.Outcome != OutcomeAlert || len(r.Alerts) != 1 || r.Alerts[0].From != Client || !r.Alerts[0].Encrypted {
		t.Fatalf("outcome %s alerts %+v", r.Outcome, r.Alerts)
	}
	if got := types(r); got != "c:client_hello s:server_hello s:change_cipher_spec s:encrypted c:change_cipher_spec c:alert" {
		t.Errorf("messages %s", got)
	}
}

// TestTLS13ServerAlertOnLadder: the server's alert-sized last record,
// recognised at close, is relabelled an encrypted alert on the ladder.
func TestTLS13ServerAlertOnLadder(t *testing.T) {
	r := run(t, true, c(ch13), s(sh13, record(23, make([]byte, 500))), c(record(23, make([]byte, 53))), s(record(23, make([]byte, tls13AlertLength))))
	if got := types(r); got != "c:client_hello s:server_hello s:encrypted c:encrypted s:alert" {
		t.Errorf("messages %s", got)
	}
	if r.Outcome != OutcomeAlert || len(r.Alerts) != 1 || r.Alerts[0].From != Server || !r.Alerts[0].TS.Equal(r.Messages[4].TS) {
		t.Fatalf("outcome %s alerts %+v", r.Outcome, r.Alerts)
	}
}

// TestTLS13Drafts: a draft version (0x7f00 | draft) follows TLS 1.3's order,
// whether the ServerHello names it in supported_versions (draft 22 on) or
// in its version field (drafts up to 21); the echoed session id of draft
// 23's middlebox mode is no resumption.
func TestTLS13Drafts(t *testing.T) {
	sid := []byte{9, 9, 9, 9}
	chD := record(22, hs(decode.HandshakeClientHello, hello{version: 0x0303, sessionID: sid, suites: []int{suiteTLS13}, exts: [][]byte{ext(43, []byte{6, 0x7f, 0x17, 0x7f, 0x12, 0xfb, 0x1a})}}.body(false)))
	sh23 := record(22, hs(decode.HandshakeServerHello, hello{version: 0x0303, sessionID: sid, suites: []int{suiteTLS13}, exts: [][]byte{ext(43, u16(0x7f17)), keyShareSH}}.body(true)))
	// fizz's own code point for draft 26 (decode/draft.go).
	shFizz := record(22, hs(decode.HandshakeServerHello, hello{version: 0x0303, sessionID: sid, suites: []int{suiteTLS13}, exts: [][]byte{ext(43, u16(0xfb1a)), keyShareSH}}.body(true)))
	// Drafts up to 21 have neither session id nor compression method.
	sh18 := record(22, hs(decode.HandshakeServerHello, cat(u16(0x7f12), make([]byte, 32), u16(suiteTLS13), u16(len(keyShareSH)), keyShareSH)))
	for name, sh := range map[string][]byte{"draft 23": sh23, "draft 18": sh18, "fizz draft 26": shFizz} {
		r := run(t, true, c(chD), s(sh, ccs, record(23, make([]byte, 500))), c(ccs, record(23, make([]byte, 53))), s(record(23, make([]byte, 200))))
		if r.Outcome != OutcomeEstablished || r.Resumed {
			t.Errorf("%s: outcome %s resumed %v violations %+v", name, r.Outcome, r.Resumed, r.Violations)
		}
	}
	// Up to draft 21 a HelloRetryRequest is a message of type 6, its
	// key_share extension 40 (draft-ietf-tls-tls13-21, 4.1.4).
	hrr18 := record(22, hs(6, cat(u16(0x7f12), u16(2+2+2), u16(40), u16(2), u16(29))))
	r := run(t, true, c(chD), s(hrr18), c(chD), s(sh18, record(23, make([]byte, 500))), c(record(23, make([]byte, 53))), s(record(23, make([]byte, 200))))
	var ladder []string
	for _, m := range r.Messages {
		ladder = append(ladder, m.Type)
	}
	if r.Outcome != OutcomeEstablished || r.HelloRetryRequest == nil || r.HelloRetryRequest.KeyShareGroup != 29 ||
		!slices.Equal(ladder[:4], []string{"client_hello", "hello_retry_request", "client_hello", "server_hello"}) {
		t.Errorf("draft 18 HelloRetryRequest: outcome %s, ladder %v, violations %+v", r.Outcome, ladder, r.Violations)
	}
}

// TestTrackerSize checks that a Tracker, allocated for every connection,
// fits the runtime's 1152-byte size class: the next is 1280.
func TestTrackerSize(t *testing.T) {
	if n := unsafe.Sizeof(Tracker{}); n > 1152 {
		t.Errorf("a Tracker is %d bytes, want at most 1152", n)
	}
}

// TestClosedTrackerHoldsNoDecoders: a closed connection's result is a
// field of its Tracker, which a result held for start order keeps alive;
// the decoders it no longer needs must not be kept with it.
func TestClosedTrackerHoldsNoDecoders(t *testing.T) {
	col := NewCollector(Options{})
	tr := col.New(stream.ConnInfo{A: clientAddr, B: serverAddr, SawSYN: true, Start: t0}).(*Tracker)
	playFullECDHE(tr)
	tr.Close(stream.EndFIN, t0)
	if tr.decs != nil || tr.sides[0].dec != nil || tr.sides[1].dec != nil {
		t.Error("the closed Tracker still holds its decoders")
	}
}

// TestTrackerAllocations checks what a TLS 1.2 handshake costs flows and
// decode together, per connection: the Tracker, its two decoders (one
// allocation), the ladder, and the hellos, certificate chain and key
// exchanges kept or read for the report.
func TestTrackerAllocations(t *testing.T) {
	if raceEnabled {
		t.Skip("allocation counts vary under the race detector (sync.Pool drops at random)")
	}
	col := NewCollector(Options{})
	allocs := testing.AllocsPerRun(100, func() {
		tr := col.New(stream.ConnInfo{A: clientAddr, B: serverAddr, SawSYN: true, Start: t0})
		playFullECDHE(tr)
		tr.Close(stream.EndFIN, t0)
		if rs, _ := col.Drain(); len(rs) != 1 || rs[0].Outcome != OutcomeEstablished {
			t.Fatalf("results %v, want one established", rs)
		}
	})
	if allocs > 16 {
		t.Errorf("%.1f allocations per connection, want at most 16", allocs)
	}
}

// playFullECDHE gives s every step of fullECDHE, at t0.
func playFullECDHE(s stream.Stream) {
	for _, st := range fullECDHE {
		side := stream.SideA
		if st.from == Server {
			side = stream.SideB
		}
		s.Data(side, st.b, t0)
	}
}
