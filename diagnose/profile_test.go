package diagnose

import (
	"fmt"
	"net/netip"
	"strings"
	"testing"

	"github.com/hsdecode/hsdecode/decode"
)

// TestProfilesBounded: only the most recent Servers servers to complete a
// handshake keep a profile, and a profile's lists stop at maxTallies.
func TestProfilesBounded(t *testing.T) {
	ps := newProfiles(3)
	at := func(i int) netip.AddrPort { return netip.MustParseAddrPort(fmt.Sprintf("192.0.2.%d:443", i)) }
	for i := 1; i <= 4; i++ {
		r := established(decode.VersionTLS12, ecdhe128, hello(ecdhe128))
		r.Server = at(i)
		ps.observe(r)
		if i == 3 {
			// 1 completes another handshake: 2 is now the least recent.
			r.Server = at(1)
			ps.observe(r)
		}
	}
	if ps.lru.Len() != 3 || len(ps.byKey) != 3 {
		t.Fatalf("%d profiles (%d keys), want 3", ps.lru.Len(), len(ps.byKey))
	}
	for i, want := range map[int]bool{1: true, 2: false, 3: true, 4: true} {
		if got := ps.get(at(i)) != nil; got != want {
			t.Errorf("server %d kept %v, want %v", i, got, want)
		}
	}
	if p := ps.get(at(1)); p.established != 2 {
		t.Errorf("server 1: %d handshakes, want 2", p.established)
	}
	p := ps.get(at(4))
	for i := range 2 * maxTallies {
		r := established(decode.VersionTLS12, decode.CipherSuite(0xc000+i), hello(ecdhe128))
		r.Server, r.ServerName = at(4), fmt.Sprintf("h%d.example.org", i)
		ps.observe(r)
	}
	if len(p.choices) != maxTallies || len(p.names) != maxTallies || p.established != 2*maxTallies+1 {
		t.Errorf("%d choices, %d names, %d handshakes; want %d, %d, %d", len(p.choices), len(p.names), p.established, maxTallies, maxTallies, 2*maxTallies+1)
	}
}

// TestEvidenceBefore: a failure's evidence counts only the connections
// reported before it, and only those that completed a handshake.
func TestEvidenceBefore(t *testing.T) {
	d := New(Options{})
	first := refused(hello(rsa256), handshakeFailure)
	d.Diagnose(first, nil)
	failed := refused(hello(rsa256), handshakeFailure)
	d.Diagnose(failed, nil)
	for i := 0; i < 41; i++ {
		d.Diagnose(established(decode.VersionTLS12, ecdhe128, hello(ecdhe128)), nil)
	}
	last := refused(hello(rsa256), handshakeFailure)
	d.Diagnose(last, nil)
	if s := strings.Join(first.Diagnosis.Evidence, "\n"); strings.Contains(s, "server chose") {
		t.Errorf("the first connection has evidence of later ones:\n%s", s)
	}
	want := "the server chose TLS 1.2 TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256 for 41 other connections before it"
	if s := strings.Join(last.Diagnosis.Evidence, "\n"); !strings.Contains(s, want) {
		t.Errorf("the last connection's evidence lacks %q:\n%s", want, s)
	}
	if last.Diagnosis.Code != CodeNoCommonCipher || !strings.Contains(last.Diagnosis.Cause, "none of the cipher suites the server chose") {
		t.Errorf("%s: %s", last.Diagnosis.Code, last.Diagnosis.Cause)
	}
	// Another server's failure borrows nothing.
	elsewhere := refused(hello(rsa256), handshakeFailure)
	elsewhere.Server = netip.MustParseAddrPort("192.0.2.9:443")
	d.Diagnose(elsewhere, nil)
	if s := strings.Join(elsewhere.Diagnosis.Evidence, "\n"); strings.Contains(s, "server chose") {
		t.Errorf("another server's evidence:\n%s", s)
	}
}
