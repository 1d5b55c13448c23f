package main

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"path/filepath"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/hsdecode/hsdecode/capture"
	"github.com/hsdecode/hsdecode/internal/rewrite"
)

// tcpHeader returns the TCP header and payload of an IPv4 frame over
// Ethernet, as the bundled loopback captures' frames are.
func tcpHeader(t *testing.T, data []byte) []byte {
	t.Helper()
	if len(data) < 14+20 || data[14]>>4 != 4 {
		t.Fatalf("not IPv4 over Ethernet: % x", data[:min(len(data), 20)])
	}
	return data[14+int(data[14]&0xf)*4:]
}

// A client whose FIN the capture lost opens a new connection from the same
// port: two handshakes on one 4-tuple, 07-tls12-no-shared-cipher's moved
// onto 01-tls12-ecdhe-rsa's addresses and ports (its SNI renamed, so that
// the two differ), after 01's close with its FINs taken out. Each is a
// connection of its own, the first closed by the second's SYN.
func TestReusedFourTupleReport(t *testing.T) {
	var pkts []capture.Packet
	for _, p := range clean(t) {
		if tcpHeader(t, p.Data)[13]&0x01 == 0 { // FIN
			pkts = append(pkts, p)
		}
	}
	second, err := rewrite.ReadFile(filepath.Join(pcapDir, "07-tls12-no-shared-cipher.pcap"))
	if err != nil {
		t.Fatal(err)
	}
	renamed := false
	for _, p := range second {
		p.Data = bytes.Clone(p.Data)
		tcp := tcpHeader(t, p.Data)
		for off := 0; off <= 2; off += 2 { // checksums are not verified
			switch binary.BigEndian.Uint16(tcp[off:]) {
			case 39660:
				binary.BigEndian.PutUint16(tcp[off:], 52776)
			case 44307:
				binary.BigEndian.PutUint16(tcp[off:], 44301)
			}
		}
		if i := bytes.Index(p.Data, []byte("\x00\x09localhost")); i >= 0 && !renamed {
			copy(p.Data[i+2:], "otherhost")
			renamed = true
		}
		pkts = append(pkts, p)
	}
	if !renamed {
		t.Fatal("no server_name in 07's ClientHello")
	}
	path := filepath.Join(t.TempDir(), "reused.pcap")
	if err := rewrite.WriteFile(path, pkts); err != nil {
		t.Fatal(err)
	}

	type alert struct{ From, Description string }
	type report struct {
		Outcome    string
		Version    string
		ServerName string `json:"server_name"`
		Alerts     []alert
		Closed     string
		Client     struct{ Port int }
	}
	want := []report{
		{Outcome: "established", Version: "TLS 1.2", ServerName: "localhost", Closed: "reused"},
		{Outcome: "alert", ServerName: "otherhost", Alerts: []alert{{"server", "handshake_failure"}}, Closed: "fin"},
	}
	for i := range want {
		want[i].Client.Port = 52776
	}
	for _, workers := range []int{1, 3} {
		var out, errb bytes.Buffer
		if status := run([]string{"-v", "--format", "json", "--workers", fmt.Sprint(workers), "-r", path}, &out, &errb); status == exitError {
			t.Fatalf("exit %d: %s", status, errb.String())
		}
		var got []report
		for dec := json.NewDecoder(&out); dec.More(); {
			var r report
			if err := dec.Decode(&r); err != nil {
				t.Fatal(err)
			}
			got = append(got, r)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("%d workers: reports (-want +got):\n%s", workers, diff)
		}
		if !bytes.Contains(errb.Bytes(), []byte("1 by a new SYN on their 4-tuple")) {
			t.Errorf("%d workers: -v does not count the connection closed by the new SYN:\n%s", workers, errb.String())
		}
	}
}

// One packet stamped a year ahead, in the middle of a handshake (a capture
// merged from machines whose clocks disagree), changes no report: a SYN
// of another connection, 01-tls12-ecdhe-rsa's first moved to another
// port, after its ClientHello.
func TestWildTimestampReport(t *testing.T) {
	pkts := clean(t)
	stray := pkts[0]
	stray.Data = bytes.Clone(stray.Data)
	binary.BigEndian.PutUint16(tcpHeader(t, stray.Data), 40000) // checksums are not verified
	stray.CaptureInfo.Timestamp = stray.CaptureInfo.Timestamp.AddDate(1, 0, 0)
	wild := append(append(slices.Clip(pkts[:4]), stray), pkts[4:]...)
	dir := t.TempDir()
	report := func(name string, pkts []capture.Packet, workers int) string {
		path := filepath.Join(dir, name)
		if err := rewrite.WriteFile(path, pkts); err != nil {
			t.Fatal(err)
		}
		var out, errb bytes.Buffer
		if status := run([]string{"--format", "json", "--workers", fmt.Sprint(workers), "-r", path}, &out, &errb); status == exitError {
			t.Fatalf("exit %d: %s", status, errb.String())
		}
		return out.String()
	}
	want := report("clean.pcap", pkts, 1)
	if !bytes.Contains([]byte(want), []byte(`"outcome":"established"`)) {
		t.Fatalf("clean capture: %s", want)
	}
	for _, workers := range []int{1, 3} {
		if diff := cmp.Diff(want, report("wild.pcap", wild, workers)); diff != "" {
			t.Errorf("%d workers: report (-clean +with the wild packet):\n%s", workers, diff)
		}
	}
}
