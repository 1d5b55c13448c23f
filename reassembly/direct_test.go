package reassembly

import (
	"net/netip"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/gopacket/gopacket"
)

// directProgram turns a fuzz input into the frames of one connection:
// the first byte chooses whether its handshake was captured, IPv6, and a
// consumer done after 100 bytes; then each 3 bytes are a segment: kind
// and side, length, and time since the last (255: a leap past the idle
// timeout). Sequence numbers follow what each side sent and its peer
// acknowledged, so that segments come in order unless told otherwise,
// as most do in captures: what direct.go serves.
func directProgram(t testing.TB, data []byte) (fs []frame, doneAfter int) {
	if len(data) == 0 {
		return nil, 0
	}
	from, to := cli, srv
	if data[0]&2 != 0 {
		from, to = cli6, srv6
	}
	if data[0]&4 != 0 {
		doneAfter = 100
	}
	ends := [2]netip.AddrPort{from, to}
	first := [2]uint32{1001, 5001}
	next := first // each side's next byte to send
	ms := 0
	var ps []pkt
	if data[0]&1 != 0 {
		ps = handshake(from, to, 1000, 5000)
		ms = 2
	}
	// body is the bytes a side sends at seq: a retransmission repeats
	// them, unless told to differ.
	body := func(side int, seq uint32, n int, differ bool) string {
		b := make([]byte, n)
		for i := range b {
			b[i] = 'a' + byte((seq+uint32(i))%26) + byte(side)*32
			if differ && i%3 == 0 {
				b[i] = '#'
			}
		}
		return string(b)
	}
	var cuts []int // the frames cut by the capture
	for data = data[1:]; len(data) >= 3; data = data[3:] {
		side, kind, n := int(data[0]&1), int(data[0]>>1)%12, int(data[1])%40+1
		if data[2] == 255 {
			ms += 3000
		} else {
			ms += int(data[2]) % 50
		}
		p := pkt{ms: ms, from: ends[side], to: ends[1-side], flags: "A", seq: next[side], ack: next[1-side]}
		switch kind {
		case 0, 1, 2, 3: // in order
			p.flags, p.data = "PA", body(side, p.seq, n, false)
			next[side] += uint32(n)
		case 4: // sent again, from up to n bytes back, differing when odd
			p.seq -= uint32(min(n, int(next[side]-first[side])))
			p.data = body(side, p.seq, n, data[1]&1 != 0)
			if end := p.seq + uint32(n); int32(end-next[side]) > 0 {
				next[side] = end
			}
		case 5: // beyond a hole of n bytes, which a later segment may fill
			p.seq += uint32(n)
			p.data = body(side, p.seq, n, false)
		case 6: // a bare ACK
		case 7:
			p.flags = "FA"
			next[side]++
		case 8:
			p.flags = "RA"
		case 9: // in order, urgent
			p.data = body(side, p.seq, n, false)
			next[side] += uint32(n)
			fs = append(fs, ether(t, ps...)...)
			ps = nil
			fs = append(fs, urgent(t, p, uint16(n/2)))
			continue
		case 10: // a bare ACK ahead of what was sent (a lost segment)
			p.seq += uint32(n)
		case 11: // in order, cut by the capture
			p.flags, p.data = "PA", body(side, p.seq, n, false)
			next[side] += uint32(n)
			cuts = append(cuts, len(fs)+len(ps))
		}
		ps = append(ps, p)
	}
	fs = append(fs, ether(t, ps...)...)
	for _, i := range cuts {
		f := &fs[i]
		f.wire = len(f.data)
		f.data = f.data[:len(f.data)-f.wire/4%10-1]
	}
	return fs, doneAfter
}

// directRun feeds frames to an Assembler that serves connections
// directly, or to one that gives gopacket every segment, and returns its
// calls and counts.
func directRun(t testing.TB, viaGopacket bool, doneAfter int, fs []frame) ([]string, Stats) {
	r := &recorder{t: t, doneAfter: doneAfter}
	a := NewAssembler(r, Options{IdleTimeout: 2 * time.Second})
	a.viaGopacket = viaGopacket
	for _, f := range fs {
		a.Packet(f.link, f.data, gopacket.CaptureInfo{Timestamp: base.Add(time.Duration(f.ms) * time.Millisecond), CaptureLength: len(f.data), Length: max(f.wire, len(f.data))})
	}
	a.Flush()
	return r.log, a.Stats()
}

// checkDirect checks that serving connections directly changes no call
// and no count but the peak of what was held.
func checkDirect(t testing.TB, fs []frame, doneAfter int) {
	t.Helper()
	want, wantStats := directRun(t, true, doneAfter, fs)
	got, gotStats := directRun(t, false, doneAfter, fs)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("calls differ from gopacket's (-gopacket +direct):\n%s", diff)
	}
	if diff := cmp.Diff(wantStats, gotStats); diff != "" {
		t.Errorf("stats differ from gopacket's (-gopacket +direct):\n%s", diff)
	}
}

// FuzzDirect checks direct.go against gopacket on connections whose
// segments come mostly in order, with holes, segments sent again with the
// same bytes or others, bare ACKs ahead, FIN, RST, urgent data, cut
// segments and idle leaps, at any point of which gopacket may be needed.
func FuzzDirect(f *testing.F) {
	for _, s := range []string{
		"\x01\x00\x05\x01\x01\x07\x02\x00\x05\x03",                     // in order both ways
		"\x00\x00\x05\x01\x01\x07\x02\x0a\x05\x03\x00\x05\x01",         // no handshake, a hole
		"\x05\x00\x50\x01\x01\x60\x02\x00\x30\x01\x0e\x00\x01",         // done part way, then FIN
		"\x01\x00\x05\x01\x08\x07\x02\x09\x05\x03\x00\x05\xff\x01\x01", // sent again, differing; idle
		"\x03\x00\x05\x01\x12\x07\x02\x00\x05\x03\x10\x01\x01",         // urgent, RST, IPv6
		"\x01\x00\x05\x01\x16\x07\x02\x14\x05\x03\x00\x05\x01",         // cut, bare ACK ahead
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > 3*64 {
			return
		}
		fs, doneAfter := directProgram(t, data)
		checkDirect(t, fs, doneAfter)
	})
}

// TestDirect: a connection in order never reaches gopacket; the first
// segment beyond a hole makes it enter gopacket at the bytes each side
// would wait for, with the same calls as if gopacket had had it all.
func TestDirect(t *testing.T) {
	hs := handshake(cli, srv, 1000, 5000)
	ps := append(hs,
		pkt{3, cli, srv, "PA", 1001, 5001, "hello"},
		pkt{4, srv, cli, "PA", 5001, 1006, "world"},
		pkt{5, cli, srv, "A", 1006, 5006, ""},
	)
	r := &recorder{t: t}
	a := NewAssembler(r, Options{})
	for _, f := range ether(t, ps...) {
		a.Packet(f.link, f.data, gopacket.CaptureInfo{Timestamp: base.Add(time.Duration(f.ms) * time.Millisecond), CaptureLength: len(f.data), Length: len(f.data)})
	}
	c := a.conns.lookup(keyOf(cli, srv, 0))
	if c == nil || c.inGP || c.gpUsed {
		t.Fatalf("a connection in order was given to gopacket: %+v", c)
	}
	later := []pkt{
		{6, cli, srv, "PA", 1009, 5006, "!"}, // beyond a hole of 3 bytes
		{7, srv, cli, "PA", 5006, 1006, "again"},
		{8, cli, srv, "PA", 1006, 5011, "abc"},
	}
	for _, f := range ether(t, later...) {
		a.Packet(f.link, f.data, gopacket.CaptureInfo{Timestamp: base.Add(time.Duration(f.ms) * time.Millisecond), CaptureLength: len(f.data), Length: len(f.data)})
	}
	if !c.inGP || !c.gpUsed {
		t.Errorf("a connection with a hole was not given to gopacket")
	}
	a.Flush()
	checkLog(t, []string{
		"1 new A=10.0.0.1:40000 B=10.0.0.2:443 syn @0",
		`1 data A "hello" @3`,
		`1 data B "world" @4`,
		`1 data B "again" @7`,
		`1 data A "abc" @8`,
		`1 data A "!" @6`,
		"1 close capture @8",
	}, r.log)
	fs := ether(t, append(ps, later...)...)
	checkDirect(t, fs, 0)
	// Every way of cutting it short, done or not.
	for n := range fs {
		checkDirect(t, fs[:n], 0)
		checkDirect(t, fs[:n], 6)
	}
}

// TestDirectIdle: a connection served directly idles out when gopacket
// would have closed it: from the last segment it would have been given,
// not from a bare ACK of a side that never sent a byte.
func TestDirectIdle(t *testing.T) {
	ps := []pkt{
		{0, cli, srv, "PA", 1001, 5001, "hello"}, // capture began mid-connection
	}
	for ms := 1000; ms <= 5000; ms += 1000 {
		ps = append(ps, pkt{ms, srv, cli, "A", 5001, 1006, ""})
	}
	ps = append(ps, later(9000))
	fs := ether(t, ps...)
	got, _ := directRun(t, false, 0, fs)
	checkLog(t, []string{
		"1 new A=10.0.0.1:40000 B=10.0.0.2:443 @0",
		`1 data A "hello" @0`,
		"1 close idle @2000", // at the sweep of 3000, the latest packet then
	}, got)
	checkDirect(t, fs, 0)
}
