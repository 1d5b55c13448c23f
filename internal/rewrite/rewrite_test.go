package rewrite

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/ip4defrag"
	"github.com/gopacket/gopacket/layers"

	"github.com/hsdecode/hsdecode/capture"
	"github.com/hsdecode/hsdecode/decode"
	"github.com/hsdecode/hsdecode/internal/inet"
)

func bundled(t *testing.T) map[string][]capture.Packet {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("..", "..", "testdata", "pcaps", "*.pcap"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no captures: %v", err)
	}
	caps := map[string][]capture.Packet{}
	for _, f := range files {
		pkts, err := ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		caps[filepath.Base(f)] = pkts
	}
	return caps
}

// streams returns the bytes of every TCP direction of a capture, keyed by
// sender and receiver, put in order by sequence number from its SYN's or
// its first segment's (a hole is marked), and checks that the copies of a
// byte agree.
func streams(t *testing.T, pkts []capture.Packet) map[[2]string]string {
	t.Helper()
	d := newDecoder()
	type dir struct {
		base    uint32
		started bool
		bytes   map[int]byte
	}
	dirs := map[[2]string]*dir{}
	for _, p := range pkts {
		k, s := d.decode(p.LinkType, p.Data)
		if k != tcp {
			continue
		}
		key := [2]string{s.src.String(), s.dst.String()}
		x := dirs[key]
		if x == nil {
			x = &dir{bytes: map[int]byte{}}
			dirs[key] = x
		}
		if s.has(flagSYN) {
			x.base, x.started = s.seq+1, true
		}
		if len(s.payload) == 0 {
			continue
		}
		if !x.started {
			x.base, x.started = s.seq, true
		}
		off := int(int32(s.seq - x.base))
		for i, b := range s.payload {
			if old, ok := x.bytes[off+i]; ok && old != b {
				t.Fatalf("%v: byte %d sent as %#x and as %#x", key, off+i, old, b)
			}
			x.bytes[off+i] = b
		}
	}
	out := map[[2]string]string{}
	for k, x := range dirs {
		offs := make([]int, 0, len(x.bytes))
		for o := range x.bytes {
			offs = append(offs, o)
		}
		slices.Sort(offs)
		var b []byte
		for i, o := range offs {
			if o != i {
				b = append(b, fmt.Sprintf("<hole at %d>", i)...)
				break
			}
			b = append(b, x.bytes[o])
		}
		out[k] = string(b)
	}
	return out
}

// Without record splits, every direction carries the same bytes at the
// same sequence numbers, in more segments than before.
func TestRewriteKeepsTheBytes(t *testing.T) {
	for name, pkts := range bundled(t) {
		want := streams(t, pkts)
		if n, _, _ := strings.Cut(name, "-"); len(want) == 0 && len(n) == 3 && n[0] == '1' {
			// TCP in tunnels (captures 100-119), QUIC and DTLS (130-149):
			// nothing the rewrite takes apart, every frame goes as it came.
			if res, st := Rewrite(pkts, Options{Seed: 1}); st.Unchanged != len(pkts) || len(res) != len(pkts) {
				t.Errorf("%s: %d frames from %d, stats %+v", name, len(res), len(pkts), st)
			}
			continue
		}
		for seed := int64(1); seed <= 3; seed++ {
			res, st := Rewrite(pkts, Options{Seed: seed, SplitRecord: -1, Fragment: -1})
			if d := cmp.Diff(want, streams(t, res)); d != "" {
				t.Errorf("%s seed %d: streams differ:\n%s", name, seed, d)
			}
			if st.RecordsSplit != 0 || len(res) <= len(pkts) || st.Pieces <= st.Segments {
				t.Errorf("%s seed %d: %d frames from %d, stats %+v", name, seed, len(res), len(pkts), st)
			}
		}
	}
}

// Segments sent as IPv4 fragments are, put back together, the segments
// the rewrite gives without fragments.
func TestRewriteFragments(t *testing.T) {
	pkts := bundled(t)["01-tls12-ecdhe-rsa.pcap"]
	whole, _ := Rewrite(pkts, Options{Seed: 1, Fragment: -1})
	frags, st := Rewrite(pkts, Options{Seed: 1, Fragment: 1})
	if st.Fragmented == 0 || len(frags) <= len(whole) {
		t.Fatalf("%d segments fragmented, %d frames from %d", st.Fragmented, len(frags), len(whole))
	}
	df := ip4defrag.NewIPv4Defragmenter()
	var got [][]byte
	for _, p := range frags {
		pk := gopacket.NewPacket(p.Data, p.LinkType, gopacket.Default)
		ip, _ := pk.Layer(layers.LayerTypeIPv4).(*layers.IPv4)
		if ip == nil {
			got = append(got, p.Data)
			continue
		}
		out, err := df.DefragIPv4(ip)
		if err != nil {
			t.Fatal(err)
		}
		if out == nil {
			continue
		}
		// The datagram's payload after the original frame's IP header.
		got = append(got, append(append([]byte(nil), p.Data[:14+int(out.IHL)*4]...), out.Payload...))
	}
	if len(got) != len(whole) {
		t.Fatalf("%d datagrams, want %d", len(got), len(whole))
	}
	for i := range got {
		// Headers differ in length, flags and checksum: compare from TCP on.
		if w := whole[i].Data; !bytes.Equal(got[i][34:], w[34:]) {
			t.Errorf("datagram %d differs", i)
		}
	}
}

// Records split in two carry the same handshake messages, and the other
// direction acknowledges the bytes as they now are.
func TestRewriteSplitsRecords(t *testing.T) {
	pkts := bundled(t)["01-tls12-ecdhe-rsa.pcap"]
	res, st := Rewrite(pkts, Options{Seed: 1, SplitRecord: 1, Swap: -1, Duplicate: -1, Overlap: -1, Fragment: -1})
	if st.RecordsSplit < 3 {
		t.Fatalf("%d records split, want the ClientHello's, the server's first flight's and NewSessionTicket's", st.RecordsSplit)
	}
	before, after := streams(t, pkts), streams(t, res)
	for k, s := range before {
		evs := func(s string) (out []string) {
			ds := decode.NewStream(decode.Options{})
			ds.Feed([]byte(s))
			for {
				ev, ok, err := ds.Next()
				if err != nil {
					t.Fatalf("%v: %v", k, err)
				}
				if !ok {
					return out
				}
				if ev.Kind == decode.EventChangeCipherSpec {
					ds.SetEncrypted()
				}
				if ev.Kind == decode.EventHandshake {
					out = append(out, ev.Message.Type().String())
				}
			}
		}
		if d := cmp.Diff(evs(s), evs(after[k])); d != "" {
			t.Errorf("%v: handshake messages differ:\n%s", k, d)
		}
		if len(after[k]) <= len(s) {
			t.Errorf("%v: %d bytes, from %d: no header added", k, len(after[k]), len(s))
		}
	}
	// Every acknowledgement is of a byte the peer sent, or of its FIN.
	d := newDecoder()
	sent := map[string]uint32{} // the highest sequence number each sender reached
	for _, p := range res {
		if _, s := d.decode(p.LinkType, p.Data); s.has(flagSYN) || len(s.payload) > 0 || s.has(flagFIN) {
			end := s.seq + uint32(len(s.payload))
			if s.flags&(flagSYN|flagFIN) != 0 {
				end++
			}
			if int32(end-sent[s.src.String()]) > 0 || sent[s.src.String()] == 0 {
				sent[s.src.String()] = end
			}
		}
	}
	for _, p := range res {
		if _, s := d.decode(p.LinkType, p.Data); s.has(flagACK) && int32(s.ack-sent[s.dst.String()]) > 0 {
			t.Errorf("%v acknowledges %d, beyond the %d its peer sent", s.src, s.ack, sent[s.dst.String()])
		}
	}
}

// A direction whose last bytes the capture lost, which its peer
// acknowledged, is not split: hsdecode reports that hole at its stream
// offset, which a new record header before it would move.
func TestRewriteSplitsNoDirectionWithBytesLost(t *testing.T) {
	pkts := bundled(t)["01-tls12-ecdhe-rsa.pcap"]
	// The client's second flight lost; the server's NewSessionTicket
	// acknowledges it.
	in := append(slices.Clone(pkts[:7]), pkts[8])
	res, st := Rewrite(in, Options{Seed: 1, SplitRecord: 1, Swap: -1, Duplicate: -1, Overlap: -1, Fragment: -1})
	before, after := streams(t, in), streams(t, res)
	client := [2]string{"127.0.0.1:52776", "127.0.0.1:44301"}
	if before[client] == "" || after[client] != before[client] {
		t.Errorf("the client's bytes changed: %d, from %d", len(after[client]), len(before[client]))
	}
	if st.RecordsSplit == 0 {
		t.Error("no record split: the server's, all captured, may be")
	}
}

// The IPv4 and TCP checksums of a rebuilt frame are right (those of the
// frames left alone are what loopback captures have: not computed).
func TestRewriteChecksums(t *testing.T) {
	caps := bundled(t)
	for _, name := range []string{"01-tls12-ecdhe-rsa.pcap", "18-ipv6-tls13.pcap", "19-tls12-any-sll2.pcap"} {
		orig := map[string]bool{}
		for _, p := range caps[name] {
			orig[string(p.Data)] = true
		}
		res, _ := Rewrite(caps[name], Options{Seed: 1})
		d := newDecoder()
		checked := 0
		for i, p := range res {
			k, s := d.decode(p.LinkType, p.Data)
			if k != tcp || orig[string(p.Data)] {
				continue
			}
			checked++
			ip := p.Data[s.ipOff:]
			var ps uint64
			if s.v6 {
				ps = inet.Sum(ip[8:40], 0) + uint64(len(p.Data)-s.tcpOff) + 6
			} else {
				if c := inet.Fold(inet.Sum(ip[:int(ip[0]&0x0f)*4], 0)); c != 0xffff {
					t.Fatalf("%s frame %d: IPv4 checksum sums to %#x", name, i, c)
				}
				ps = inet.Sum(ip[12:20], 0) + uint64(len(p.Data)-s.tcpOff) + 6
			}
			if c := inet.Fold(inet.Sum(p.Data[s.tcpOff:], ps)); c != 0xffff {
				t.Fatalf("%s frame %d: TCP checksum sums to %#x", name, i, c)
			}
		}
		if checked == 0 {
			t.Errorf("%s: no frame rebuilt", name)
		}
	}
}

// A direction whose SYN the capture missed starts at its first segment:
// the first piece of that segment stays first.
func TestRewriteKeepsAMidStreamStartFirst(t *testing.T) {
	pkts := bundled(t)["01-tls12-ecdhe-rsa.pcap"][3:] // from the ClientHello on
	d := newDecoder()
	first := map[string][]byte{}
	for _, p := range pkts {
		if _, s := d.decode(p.LinkType, p.Data); len(s.payload) > 0 && first[s.src.String()] == nil {
			first[s.src.String()] = s.payload
		}
	}
	for seed := int64(1); seed <= 20; seed++ {
		res, st := Rewrite(pkts, Options{Seed: seed, Swap: 1, Fragment: -1})
		if st.Kept != 2 {
			t.Fatalf("seed %d: %d first segments kept, want 2", seed, st.Kept)
		}
		seen := map[string]bool{}
		for _, p := range res {
			_, s := d.decode(p.LinkType, p.Data)
			if len(s.payload) == 0 || seen[s.src.String()] {
				continue
			}
			seen[s.src.String()] = true
			if !bytes.HasPrefix(first[s.src.String()], s.payload) {
				t.Errorf("seed %d: %v starts with %x, not with the first bytes of %x", seed, s.src, s.payload[:min(8, len(s.payload))], first[s.src.String()][:8])
			}
		}
	}
}

// Frames that are not whole TCP segments are barriers and written as
// they came.
func TestRewriteLeavesOtherFramesAlone(t *testing.T) {
	pkts := bundled(t)["01-tls12-ecdhe-rsa.pcap"]
	frag := append([]byte(nil), pkts[5].Data...)    // the server's flight
	binary.BigEndian.PutUint16(frag[14+6:], 0x2000) // more fragments
	cut := append([]byte(nil), pkts[3].Data[:100]...)
	in := append(slices.Clone(pkts[:3]), capture.Packet{Data: frag, LinkType: pkts[5].LinkType, CaptureInfo: pkts[5].CaptureInfo},
		capture.Packet{Data: cut, LinkType: pkts[3].LinkType, CaptureInfo: pkts[3].CaptureInfo})
	res, st := Rewrite(in, Options{Seed: 1})
	if st.Barriers != 2 || len(res) != len(in) {
		t.Fatalf("%d barriers, %d frames; want 2, %d", st.Barriers, len(res), len(in))
	}
	for i := range in {
		if !bytes.Equal(in[i].Data, res[i].Data) {
			t.Errorf("frame %d changed", i)
		}
	}
}

func TestDrop(t *testing.T) {
	pkts := bundled(t)["01-tls12-ecdhe-rsa.pcap"]
	var many []capture.Packet
	for range 50 {
		many = append(many, pkts...)
	}
	for _, rate := range []float64{0, 0.05, 0.3, 1} {
		res, n := Drop(many, rate, 7)
		if len(res)+n != len(many) {
			t.Fatalf("rate %v: %d kept and %d dropped of %d", rate, len(res), n, len(many))
		}
		if got := float64(n) / float64(len(many)); got < rate-0.05 || got > rate+0.05 {
			t.Errorf("rate %v: dropped %d of %d", rate, n, len(many))
		}
		again, _ := Drop(many, rate, 7)
		if len(again) != len(res) || len(res) > 0 && &again[len(again)-1].Data[0] != &res[len(res)-1].Data[0] {
			t.Errorf("rate %v: the same seed dropped other packets", rate)
		}
	}
}
