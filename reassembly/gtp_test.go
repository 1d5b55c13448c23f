package reassembly

import (
	"net/netip"
	"testing"
	"time"
)

// TestGTPPairs checks the pairing of TEIDs: each direction's binds to the
// oldest connection still without one, a TEID seen again keeps its
// connection, idle ones are forgotten, and past gtpPairsMax a connection
// keeps the identity without TEIDs.
func TestGTPPairs(t *testing.T) {
	c, s := netip.MustParseAddrPort("10.0.0.1:40000"), netip.MustParseAddrPort("10.0.0.2:443")
	const base = 5
	var p gtpPairs
	up1 := p.tun(base, c, s, 1, base0)
	up2 := p.tun(base, c, s, 2, base0)
	if up1 == up2 || up1 == base || up2 == base {
		t.Fatalf("uplinks 1 and 2: %#x %#x", up1, up2)
	}
	if got := p.tun(base, s, c, 101, base0); got != up1 {
		t.Errorf("first downlink TEID: %#x, want the first uplink's %#x", got, up1)
	}
	if got := p.tun(base, s, c, 102, base0); got != up2 {
		t.Errorf("second downlink TEID: %#x, want the second uplink's %#x", got, up2)
	}
	if got := p.tun(base, s, c, 101, base0); got != up1 {
		t.Errorf("first downlink TEID again: %#x, want %#x", got, up1)
	}
	if got := p.tun(base, s, c, 103, base0); got == up1 || got == up2 || got == base {
		t.Errorf("a third downlink TEID: %#x, want a connection of its own", got)
	}
	p.tun(base, c, s, 1, base0.Add(time.Minute))
	p.expire(base0.Add(time.Second))
	if p.n != 1 || len(p.m) != 1 {
		t.Errorf("after expiry: %d connections in %d keys, want 1 in 1", p.n, len(p.m))
	}
	if got := p.tun(base, c, s, 2, base0.Add(time.Minute)); got != up2 {
		// Made again from the same TEID and direction: the same identity.
		t.Errorf("uplink 2 after expiry: %#x, want %#x", got, up2)
	}
	p.n = gtpPairsMax
	if got := p.tun(base, c, s, 9, base0); got != base {
		t.Errorf("past the bound: %#x, want %#x", got, base)
	}
}

var base0 = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// BenchmarkGTPPairs is what pairing adds to a GTP-U packet of an open
// connection, on top of BenchmarkQuickTCP: one lookup.
func BenchmarkGTPPairs(b *testing.B) {
	c, s := netip.MustParseAddrPort("10.0.0.1:40000"), netip.MustParseAddrPort("10.0.0.2:443")
	var p gtpPairs
	p.tun(5, c, s, 1, base0)
	p.tun(5, s, c, 101, base0)
	b.ReportAllocs()
	for b.Loop() {
		quickSink.q.tun = p.tun(5, s, c, 101, base0)
	}
}
