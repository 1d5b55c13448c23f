package flows

import "testing"

// TestLadderAfterViolation: after the first violation both sides are
// still read and what they send in the handshake phase is listed, not
// judged; the outcome and the violation stay the first one.
func TestLadderAfterViolation(t *testing.T) {
	r := run(t, true,
		c(ch12),
		s(record(22, cat(shECDHE, shd, cert, ske))),
		c(record(22, cke), ccs, encFin),
		s(alertRec(2, 10)),
	)
	if r.Outcome != OutcomeViolation || len(r.Violations) != 1 {
		t.Fatalf("outcome %s, violations %+v", r.Outcome, r.Violations)
	}
	if v := r.Violations[0]; v.From != Server || v.Code != CodeUnexpectedMessage || v.Got != "server_hello_done" {
		t.Errorf("violation %+v, want the server's server_hello_done", v)
	}
	want := "c:client_hello s:server_hello s:server_hello_done s:certificate s:server_key_exchange " +
		"c:client_key_exchange c:change_cipher_spec c:finished s:alert"
	if got := types(r); got != want {
		t.Errorf("messages\n got %s\nwant %s", got, want)
	}
}

// TestLadderAfterViolationBounded: a side that goes on sending after a
// violation is listed up to maxFollowed messages past it.
func TestLadderAfterViolationBounded(t *testing.T) {
	var flood []byte
	for i := 0; i < 3*maxFollowed; i++ {
		flood = append(flood, cert...)
	}
	r := run(t, true, c(ch12), s(record(22, cat(shECDHE, shd))), s(record(22, flood)))
	// client_hello, server_hello, then server_hello_done: the violation.
	if want := 3 + maxFollowed; len(r.Messages) != want || len(r.Violations) != 1 {
		t.Errorf("%d messages, %d violations; want %d and 1", len(r.Messages), len(r.Violations), want)
	}
}
