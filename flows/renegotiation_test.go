package flows

import (
	"bytes"
	"testing"
	"time"

	"github.com/hsdecode/hsdecode/decode"
	"github.com/hsdecode/hsdecode/stream"
)

// A NULL suite shows its protected records in clear, each followed by its
// MAC: the tests below state a renegotiation byte by byte without keys.

const suiteNullSHA256 = 0x003B // TLS_RSA_WITH_NULL_SHA256: a 32-byte HMAC-SHA256

// nullRec is a record of a NULL suite: the plaintext, then a MAC (not
// checked without keys).
func nullRec(typ byte, payload []byte) []byte {
	return record(typ, cat(payload, make([]byte, 32)))
}

func renegInfo(b []byte) []byte { return ext(0xff01, cat([]byte{byte(len(b))}, b)) }

var (
	clientVerify = bytes.Repeat([]byte{0xc1}, 12)
	serverVerify = bytes.Repeat([]byte{0x5e}, 12)
	rsaCKE       = hs(decode.HandshakeClientKeyExchange, cat(u16(4), make([]byte, 4)))
)

func chNull(ri []byte) []byte {
	var exts [][]byte
	if ri != nil {
		exts = append(exts, renegInfo(ri))
	}
	return hs(decode.HandshakeClientHello, hello{version: 0x0303, suites: []int{suiteNullSHA256}, exts: exts}.body(false))
}

func shNull(ri []byte) []byte {
	var exts [][]byte
	if ri != nil {
		exts = append(exts, renegInfo(ri))
	}
	return hs(decode.HandshakeServerHello, hello{version: 0x0303, suites: []int{suiteNullSHA256}, exts: exts}.body(true))
}

// nullHandshake is a full TLS 1.2 handshake of a NULL suite; secure says
// whether both hellos carry an empty renegotiation_info (RFC 5746, 3.4
// and 3.6).
func nullHandshake(secure bool) []step {
	var ri []byte
	if secure {
		ri = []byte{}
	}
	return []step{
		c(record(22, chNull(ri))),
		s(record(22, cat(shNull(ri), cert, shd))),
		c(record(22, rsaCKE), ccs, nullRec(22, hs(decode.HandshakeFinished, clientVerify))),
		s(ccs, nullRec(22, hs(decode.HandshakeFinished, serverVerify))),
	}
}

// renegotiation is a second full handshake under the first one's NULL
// protection, with the renegotiation_info each hello carries.
func renegotiation(clientRI, serverRI []byte) []step {
	return []step{
		c(nullRec(22, chNull(clientRI))),
		s(nullRec(22, cat(shNull(serverRI), cert, shd))),
		c(nullRec(22, rsaCKE), nullRec(20, []byte{1}), nullRec(22, hs(decode.HandshakeFinished, clientVerify))),
		s(nullRec(20, []byte{1}), nullRec(22, hs(decode.HandshakeFinished, serverVerify))),
	}
}

func runFollowSteps(t *testing.T, steps ...step) Result {
	t.Helper()
	col := NewCollector(Options{Follow: true})
	tr := col.New(stream.ConnInfo{A: clientAddr, B: serverAddr, SawSYN: true, Start: t0})
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

// TestNullSuiteInClear: without keys, a NULL suite's Finished is read as a
// Finished (not encrypted) and its alerts by name.
func TestNullSuiteInClear(t *testing.T) {
	steps := append(nullHandshake(false), c(nullRec(21, []byte{1, 0})))
	r := runFollowSteps(t, steps...)
	if r.Outcome != OutcomeEstablished || len(r.Violations) != 0 {
		t.Fatalf("outcome %s, violations %+v", r.Outcome, r.Violations)
	}
	want := "c:client_hello s:server_hello s:certificate s:server_hello_done c:client_key_exchange c:change_cipher_spec c:finished s:change_cipher_spec s:finished c:alert"
	if got := types(r); got != want {
		t.Errorf("messages\n got %s\nwant %s", got, want)
	}
	for _, m := range r.Messages {
		if m.Encrypted || m.Decrypted {
			t.Errorf("%s %s: encrypted %v decrypted %v, want neither", m.From, m.Type, m.Encrypted, m.Decrypted)
		}
	}
	if len(r.Alerts) != 1 || r.Alerts[0].Encrypted || r.Alerts[0].Description.String() != "close_notify" || r.Alerts[0].From != Client {
		t.Errorf("alerts %+v, want the client's close_notify by name", r.Alerts)
	}
}

// TestRenegotiationBinding: a renegotiation after a first handshake that
// negotiated secure renegotiation must carry the previous verify_data in
// both hellos (RFC 5746, 3.5 to 3.7).
func TestRenegotiationBinding(t *testing.T) {
	both := cat(clientVerify, serverVerify)
	tests := []struct {
		name     string
		secure   bool
		clientRI []byte // nil: no extension
		serverRI []byte
		from     Role // "" for no violation
	}{
		{"bound", true, clientVerify, both, ""},
		{"client without extension", true, nil, both, Client},
		{"client with another verify_data", true, serverVerify, both, Client},
		{"server without extension", true, clientVerify, nil, Server},
		{"server with the client's half only", true, clientVerify, clientVerify, Server},
		// No secure renegotiation the first time: nothing to bind to
		// (RFC 5746, 4.2 and 4.4 leave it to policy).
		{"insecure first handshake", false, nil, nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := runFollowSteps(t, append(nullHandshake(tt.secure), renegotiation(tt.clientRI, tt.serverRI)...)...)
			if r.Renegotiations != 1 {
				t.Errorf("renegotiations %d, want 1", r.Renegotiations)
			}
			if tt.from == "" {
				if len(r.Violations) != 0 || r.Outcome != OutcomeEstablished {
					t.Fatalf("outcome %s, violations %+v", r.Outcome, r.Violations)
				}
				want := "c:client_hello s:server_hello s:certificate s:server_hello_done c:client_key_exchange c:change_cipher_spec c:finished s:change_cipher_spec s:finished " +
					"c:client_hello s:server_hello s:certificate s:server_hello_done c:client_key_exchange c:change_cipher_spec c:finished s:change_cipher_spec s:finished"
				if got := types(r); got != want {
					t.Errorf("messages\n got %s\nwant %s", got, want)
				}
				return
			}
			if r.Outcome != OutcomeViolation || len(r.Violations) != 1 {
				t.Fatalf("outcome %s, violations %+v", r.Outcome, r.Violations)
			}
			if v := r.Violations[0]; v.Code != CodeBadRenegotiationInfo || v.From != tt.from {
				t.Errorf("violation %s from %s, want %s from %s", v.Code, v.From, CodeBadRenegotiationInfo, tt.from)
			}
			// The report stays the first handshake's.
			if r.ServerHello == nil || r.ClientHello == nil || r.Version != decode.VersionTLS12 {
				t.Errorf("first handshake's hellos lost: %v %v %s", r.ClientHello, r.ServerHello, r.Version)
			}
		})
	}
}

// TestRenegotiationOrder: the renegotiation walks the same rows: a server
// that skips its Certificate is judged as in a first handshake.
func TestRenegotiationOrder(t *testing.T) {
	steps := append(nullHandshake(false),
		s(nullRec(22, hs(decode.HandshakeHelloRequest, nil))),
		c(nullRec(22, chNull(nil))),
		s(nullRec(22, cat(shNull(nil), shd))))
	r := runFollowSteps(t, steps...)
	if r.Outcome != OutcomeViolation || len(r.Violations) != 1 || r.Violations[0].From != Server || r.Violations[0].Got != "server_hello_done" {
		t.Fatalf("outcome %s, violations %+v", r.Outcome, r.Violations)
	}
	if got := types(r); !bytes.HasSuffix([]byte(got), []byte("s:hello_request c:client_hello s:server_hello s:server_hello_done")) {
		t.Errorf("messages %s", got)
	}
}

// TestRenegotiationKeyless: without keys the renegotiation is opaque
// handshake records after both Finished, counted with --follow only.
func TestRenegotiationKeyless(t *testing.T) {
	reneg := []step{
		c(encFin), s(encFin), c(ccs, encFin), s(ccs, encFin),
		c(appData), s(appData), s(appData),
	}
	r := runFollowSteps(t, append(append([]step{}, fullECDHE...), reneg...)...)
	if r.Outcome != OutcomeEstablished || r.Renegotiations != 1 || len(r.Violations) != 0 {
		t.Errorf("outcome %s renegotiations %d violations %+v, want established 1 none", r.Outcome, r.Renegotiations, r.Violations)
	}
	if r.ApplicationData != (RecordCount{Client: 1, Server: 2}) {
		t.Errorf("application data %+v", r.ApplicationData)
	}
	r = run(t, true, append(append([]step{}, fullECDHE...), reneg...)...)
	if r.Renegotiations != 0 || r.ApplicationData != (RecordCount{}) {
		t.Errorf("without --follow: renegotiations %d, application data %+v", r.Renegotiations, r.ApplicationData)
	}
}
