package main

import (
	"bytes"
	"encoding/binary"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/hsdecode/hsdecode/capture"
	"github.com/hsdecode/hsdecode/internal/rewrite"
)

// fragmentIPv6 cuts the IPv6 packet of an Ethernet frame (no extension
// headers) into fragments as a sender with a 1280-byte path MTU does (RFC
// 8200, 4.5): fragmentable parts of at most 1232 bytes, and a packet
// that would fit cut in two all the same, so that every packet is
// reassembled. The fragments keep the frame's timestamp.
func fragmentIPv6(p capture.Packet, id uint32) []capture.Packet {
	const eth, fixed = 14, 40
	hdr, body := p.Data[:eth+fixed], p.Data[eth+fixed:]
	size := 1232
	if len(body) <= size {
		size = max(8, len(body)/2&^7)
	}
	var out []capture.Packet
	for from := 0; from < len(body); from += size {
		to := min(from+size, len(body))
		fh := make([]byte, 8)
		fh[0] = hdr[eth+6]
		fl := uint16(from)
		if to < len(body) {
			fl |= 1 // more fragments
		}
		binary.BigEndian.PutUint16(fh[2:], fl)
		binary.BigEndian.PutUint32(fh[4:], id)
		data := slices.Concat(hdr, fh, body[from:to])
		data[eth+6] = 44 // Next Header: fragment
		binary.BigEndian.PutUint16(data[eth+4:], uint16(len(data)-eth-fixed))
		q := p
		q.Data = data
		q.CaptureInfo.CaptureLength, q.CaptureInfo.Length = len(data), len(data)
		out = append(out, q)
	}
	return out
}

// TestIPv6Fragments: 18's every packet sent as IPv6 fragments, in order,
// in reverse, each repeated, or interleaved with the next packet's, gives
// the report of the capture as recorded; tshark, which reassembles IPv6
// too, sees the same messages in them. A datagram whose fragments overlap
// is dropped (RFC 5722), as if its packet had never come.
func TestIPv6Fragments(t *testing.T) {
	path := filepath.Join(pcapDir, "18-ipv6-tls13.pcap")
	pkts, err := rewrite.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	report := func(pkts []capture.Packet) (string, string) {
		t.Helper()
		p := filepath.Join(t.TempDir(), "frag.pcap")
		if err := rewrite.WriteFile(p, pkts); err != nil {
			t.Fatal(err)
		}
		var out, errb bytes.Buffer
		if status := run([]string{"-r", p, "--format", "json"}, &out, &errb); status == exitError {
			t.Fatalf("exit %d: %s", status, errb.String())
		}
		return out.String(), p
	}
	want, _ := report(pkts)
	each := func(arrange func(i int, fs []capture.Packet) []capture.Packet) []capture.Packet {
		var out []capture.Packet
		for i, p := range pkts {
			out = append(out, arrange(i, fragmentIPv6(p, uint32(1000+i)))...)
		}
		return out
	}
	interleaved := func() []capture.Packet {
		var out []capture.Packet
		for i := 0; i < len(pkts); i += 2 {
			a := fragmentIPv6(pkts[i], uint32(i))
			if i+1 == len(pkts) {
				out = append(out, a...)
				break
			}
			b := fragmentIPv6(pkts[i+1], uint32(i+1))
			// The second packet's fragments first, then the first's: the
			// order of the segments does not change, the datagrams are
			// made whole in theirs.
			for k := range max(len(a), len(b)) {
				if k < len(b)-1 {
					out = append(out, b[k])
				}
				if k < len(a) {
					out = append(out, a[k])
				}
			}
			out = append(out, b[len(b)-1])
		}
		return out
	}()
	variants := []struct {
		name string
		pkts []capture.Packet
	}{
		{"in order", each(func(_ int, fs []capture.Packet) []capture.Packet { return fs })},
		{"in reverse", each(func(_ int, fs []capture.Packet) []capture.Packet { slices.Reverse(fs); return fs })},
		{"each repeated", each(func(_ int, fs []capture.Packet) []capture.Packet { return slices.Concat(fs, fs[:1], fs) })},
		{"interleaved", interleaved},
	}
	tshark := true
	if _, err := exec.LookPath("tshark"); err != nil {
		t.Logf("tshark: %v: its agreement is not checked", err)
		tshark = false
	}
	for _, v := range variants {
		t.Run(v.name, func(t *testing.T) {
			if len(v.pkts) <= 2*len(pkts)-1 {
				t.Fatalf("%d frames from %d packets: not every one fragmented", len(v.pkts), len(pkts))
			}
			got, p := report(v.pkts)
			if got != want {
				t.Errorf("report of the fragments:\n%s\nwant the capture's:\n%s", got, want)
			}
			if !tshark {
				return
			}
			job := &tsharkJob{name: v.name, path: p}
			runTshark([]*tsharkJob{job})
			if job.err != nil {
				t.Fatal(job.err)
			}
			verdict, err := compareWithTshark(p, job.tsv)
			if err != nil {
				t.Fatal(err)
			}
			if verdict.streams != 1 || verdict.agree != 1 {
				t.Errorf("tshark: %d of %d streams agree: %+v", verdict.agree, verdict.streams, verdict.diffs)
			}
		})
	}

	// The ServerHello's packet (the sixth) sent with an overlapping
	// fragment: the datagram is dropped, as its receiver drops it.
	overlap := each(func(i int, fs []capture.Packet) []capture.Packet {
		if i != 5 {
			return fs
		}
		bad := fragmentIPv6(pkts[i], uint32(1000+i))[1]
		bad.Data = slices.Clone(bad.Data)
		binary.BigEndian.PutUint16(bad.Data[14+40+2:], binary.BigEndian.Uint16(bad.Data[14+40+2:])-8)
		return append(fs[:1], append([]capture.Packet{bad}, fs[1:]...)...)
	})
	lost, _ := report(slices.Concat(pkts[:5], pkts[6:]))
	if got, _ := report(overlap); got != lost || got == want {
		t.Errorf("report with overlapping fragments:\n%s\nwant that of the capture without their packet:\n%s", got, lost)
	}
}

// TestIPv6KernelFragments reads 120, recorded between two network
// namespaces over a 1280-byte MTU (scripts/make-ipv6-fragment-testdata.sh):
// the UDP datagrams larger than the MTU that the sending kernel cut into
// seven fragments are put back together, three datagrams (which begin no
// QUIC or DTLS handshake, and are skipped as such), as tshark puts
// them; and the capture's TCP segments, which Linux never fragments over
// IPv6, sent as fragments give the report of the capture as recorded, on
// which tshark agrees.
func TestIPv6KernelFragments(t *testing.T) {
	path := filepath.Join(pcapDir, "120-ipv6-mtu1280.pcap")
	var out, errb bytes.Buffer
	if status := run([]string{"-v", "-r", path, "--format", "json"}, &out, &errb); status == exitError {
		t.Fatalf("exit %d: %s", status, errb.String())
	}
	for _, want := range []string{"skipped 7 packets: UDP, no QUIC or DTLS handshake", " 3 IP datagrams made whole from fragments"} {
		if !strings.Contains(errb.String(), want) {
			t.Errorf("-v printed:\n%s\nwant %q", errb.String(), want)
		}
	}
	pkts, err := rewrite.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var frags []capture.Packet
	tcp := 0
	for i, p := range pkts {
		// Ethernet, IPv6 with TCP right after its fixed header.
		if len(p.Data) > 14+40 && p.Data[14+6] == 6 {
			frags = append(frags, fragmentIPv6(p, uint32(0x10000+i))...)
			tcp++
			continue
		}
		frags = append(frags, p)
	}
	if tcp < 20 {
		t.Fatalf("%d TCP packets fragmented", tcp)
	}
	fragPath := filepath.Join(t.TempDir(), "frag.pcap")
	if err := rewrite.WriteFile(fragPath, frags); err != nil {
		t.Fatal(err)
	}
	var fragOut bytes.Buffer
	if status := run([]string{"-r", fragPath, "--format", "json"}, &fragOut, &errb); status == exitError {
		t.Fatalf("exit %d: %s", status, errb.String())
	}
	if fragOut.String() != out.String() {
		t.Errorf("report of the fragments:\n%s\nwant the capture's:\n%s", fragOut.String(), out.String())
	}
	if _, err := exec.LookPath("tshark"); err != nil {
		t.Skipf("tshark: %v", err)
	}
	b, err := exec.Command("tshark", "-r", path, "-Y", "udp && ipv6.reassembled.length").Output()
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(string(b), "\n"); n != 3 {
		t.Errorf("tshark put %d UDP datagrams back together, want 3:\n%s", n, b)
	}
	job := &tsharkJob{name: "120 fragmented", path: fragPath}
	runTshark([]*tsharkJob{job})
	if job.err != nil {
		t.Fatal(job.err)
	}
	verdict, err := compareWithTshark(fragPath, job.tsv)
	if err != nil {
		t.Fatal(err)
	}
	if verdict.streams != 1 || verdict.agree != 1 {
		t.Errorf("tshark: %d of %d streams agree: %+v", verdict.agree, verdict.streams, verdict.diffs)
	}
}
