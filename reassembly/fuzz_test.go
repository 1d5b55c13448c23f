package reassembly

import (
	"encoding/binary"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"

	"github.com/hsdecode/hsdecode/capture"
)

var updateSeeds = flag.Bool("update-fuzz-seeds", false, "rewrite testdata/fuzz/FuzzPacket from the captures of testdata/pcaps")

// fuzzLinks are the link types FuzzPacket feeds every input under: each
// one the Assembler decodes, and one it does not.
var fuzzLinks = []layers.LinkType{
	layers.LinkTypeEthernet, layers.LinkTypeLinuxSLL, layers.LinkTypeLinuxSLL2,
	layers.LinkTypeNull, layers.LinkTypeLoop, layers.LinkTypeRaw,
	layers.LinkTypeIPv4, layers.LinkTypeIPv6, layers.LinkType(147),
}

// fuzzFrames splits a fuzz input into frames: each is a 2-byte big-endian
// length, its top bit saying that the capture cut the frame (it was 100
// bytes longer on the wire), then that many bytes; the rest of the input
// is the last frame.
func fuzzFrames(data []byte) (frames [][]byte, cut []bool) {
	for len(data) >= 2 {
		n := int(binary.BigEndian.Uint16(data) & 0x7fff)
		c := data[0]&0x80 != 0
		data = data[2:]
		n = min(n, len(data))
		frames, cut = append(frames, data[:n]), append(cut, c)
		data = data[n:]
	}
	if len(data) > 0 {
		frames, cut = append(frames, data), append(cut, false)
	}
	return frames, cut
}

// appendFrame is the inverse of fuzzFrames for one frame.
func appendFrame(b, frame []byte, cut bool) []byte {
	n := uint16(len(frame))
	if cut {
		n |= 0x8000
	}
	return append(binary.BigEndian.AppendUint16(b, n), frame...)
}

// FuzzPacket feeds arbitrary frames under every link type to an Assembler
// with a small memory bound and idle timeout, and consumers that stop
// wanting bytes part way. Nothing may panic, no consumer may be called
// after its Close or closed twice, and after Flush every connection is
// closed and nothing is held. Seeds in testdata/fuzz/FuzzPacket are the
// first frames of the captures in testdata/pcaps, as captured and with the
// link header taken off, some fragmented or cut.
func FuzzPacket(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) {
		frames, cut := fuzzFrames(data)
		if len(frames) > 256 {
			return
		}
		for _, link := range fuzzLinks {
			r := &recorder{t: t, doneAfter: 300}
			a := NewAssembler(r, Options{MaxBufferedBytes: 64 << 10, IdleTimeout: 2 * time.Second})
			for i, fr := range frames {
				ci := gopacket.CaptureInfo{Timestamp: base.Add(time.Duration(i) * 100 * time.Millisecond), CaptureLength: len(fr), Length: len(fr)}
				if cut[i] {
					ci.Length += 100
				}
				a.Packet(link, fr, ci)
			}
			a.Flush()
			for _, s := range r.streams {
				if s.closed != 1 {
					t.Fatalf("link %d: connection %d closed %d times", link, s.info.Seq, s.closed)
				}
			}
			if st := a.Stats(); st.Open != 0 || st.Buffered != 0 || !a.mem.empty() {
				t.Fatalf("link %d: after Flush, %d open, %d bytes held", link, st.Open, st.Buffered)
			}
		}
	})
}

// TestWriteFuzzSeeds writes the seeds of FuzzPacket (with
// -update-fuzz-seeds).
func TestWriteFuzzSeeds(t *testing.T) {
	if !*updateSeeds {
		t.Skip("run with -update-fuzz-seeds to rewrite testdata/fuzz/FuzzPacket")
	}
	dir := filepath.Join("testdata", "fuzz", "FuzzPacket")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	writeIn := func(dir, name string, b []byte) {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		s := fmt.Sprintf("go test fuzz v1\n[]byte(%q)\n", b)
		if err := os.WriteFile(filepath.Join(dir, name), []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write := func(name string, b []byte) { writeIn(dir, name, b) }
	dir6 := filepath.Join("testdata", "fuzz", "FuzzDefragment6")
	write6 := func(name string, b []byte) { writeIn(dir6, name, b) }
	caps, err := filepath.Glob(filepath.Join("..", "testdata", "pcaps", "*.pcap"))
	if err != nil || len(caps) == 0 {
		t.Fatalf("no captures: %v", err)
	}
	// A few frames of each capture, each at most maxLen bytes (a longer
	// one is cut, as a snap length would): enough for the handshake's
	// segments, flags and options, small enough to keep in the repository.
	const maxFrames, maxLen = 12, 400
	for _, p := range caps {
		name := strings.TrimSuffix(filepath.Base(p), ".pcap")
		src, err := capture.OpenFile(p)
		if err != nil {
			t.Fatal(err)
		}
		var asIs, bare, mangled, frags6 []byte
		for i := 0; i < maxFrames; i++ {
			pk, err := src.Next()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			frame := pk.Data
			asIs = appendFrame(asIs, frame[:min(len(frame), maxLen)], len(frame) > maxLen)
			ip := stripLink(pk.LinkType, frame)
			bare = appendFrame(bare, ip[:min(len(ip), maxLen)], len(ip) > maxLen)
			ip = ip[:min(len(ip), 2*maxLen)]
			// Every third packet fragmented, every fifth cut.
			switch {
			case i%3 == 2 && len(ip) > 100 && ip[0]>>4 == 4 && ip[0]&0x0f == 5:
				for _, fr := range fragments(t, ip, uint16(i), 0, 24, (len(ip)-20)/16*8) {
					mangled = appendFrame(mangled, fr, false)
				}
			case i%3 == 2 && len(ip) > 100 && ip[0]>>4 == 6:
				fs := fragments6(ip, uint32(i), nil, 0, 24, (len(ip)-40)/16*8)
				// Out of order, and the first one repeated: in the
				// Assembler's seeds and, from the fragment header on, in
				// FuzzDefragment6's.
				for _, fr := range [][]byte{fs[2], fs[0], fs[1], fs[0]} {
					mangled = appendFrame(mangled, fr, false)
					frags6 = appendFrame(frags6, fr[40:], false)
				}
			case i%5 == 4 && len(ip) > 80:
				mangled = appendFrame(mangled, ip[:len(ip)-20], true)
			default:
				mangled = appendFrame(mangled, ip, false)
			}
		}
		src.Close()
		if strings.HasPrefix(name, "01-") || strings.HasPrefix(name, "18-") || strings.HasPrefix(name, "19-") {
			write(name, asIs) // Ethernet over IPv4 and IPv6, SLL2
		}
		write(name+".ip", bare)
		write(name+".mangled", mangled)
		if frags6 != nil {
			write6(name, frags6)
		}
	}
}

// stripLink returns the IP packet of a frame of the link types of
// testdata/pcaps.
func stripLink(link layers.LinkType, b []byte) []byte {
	switch link {
	case layers.LinkTypeEthernet:
		return b[min(14, len(b)):]
	case layers.LinkTypeLinuxSLL2:
		return b[min(20, len(b)):]
	}
	return b
}

// The seeds must keep exercising what they were made for.
func TestFuzzSeedsDecode(t *testing.T) {
	seeds, err := filepath.Glob(filepath.Join("testdata", "fuzz", "FuzzPacket", "*"))
	if err != nil || len(seeds) < 3 {
		t.Fatalf("%d seeds: %v", len(seeds), err)
	}
	var defragmented, cut int64
	for _, s := range seeds {
		b, err := os.ReadFile(s)
		if err != nil {
			t.Fatal(err)
		}
		q := strings.TrimSuffix(strings.TrimPrefix(string(b), "go test fuzz v1\n[]byte("), ")\n")
		str, err := strconv.Unquote(q)
		if err != nil {
			t.Fatalf("%s: %v", s, err)
		}
		data := []byte(str)
		frames, cuts := fuzzFrames(data)
		link := layers.LinkTypeRaw
		if !strings.Contains(s, ".") {
			link = layers.LinkTypeEthernet
			if strings.HasPrefix(filepath.Base(s), "19-") {
				link = layers.LinkTypeLinuxSLL2
			}
		}
		a := NewAssembler(nullFactory{}, Options{})
		for i, fr := range frames {
			ci := gopacket.CaptureInfo{Timestamp: base, CaptureLength: len(fr), Length: len(fr)}
			if cuts[i] {
				ci.Length += 100
			}
			a.Packet(link, fr, ci)
		}
		a.Flush()
		st := a.Stats()
		if st.Connections == 0 {
			t.Errorf("%s: no connection", s)
		}
		defragmented += st.Defragmented
		cut += st.Cut
	}
	if defragmented == 0 || cut == 0 {
		t.Errorf("seeds give %d datagrams defragmented and %d segments cut: want some of each", defragmented, cut)
	}
}
