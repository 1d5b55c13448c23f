package main

// Tests of the connection's ids (docs/report.md, uid and community_id):
// the Community ID agrees with tshark's for every connection of the
// bundled captures, with the default seed and another; the uid is the
// same on every run and for any --workers, and names one connection.

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// idLine is what these tests read of a JSON line.
type idLine struct {
	UID         string `json:"uid"`
	CommunityID string `json:"community_id"`
	Client      struct {
		IP   string `json:"ip"`
		Port int    `json:"port"`
	} `json:"client"`
	Server struct {
		IP   string `json:"ip"`
		Port int    `json:"port"`
	} `json:"server"`
	TS string `json:"ts"`
	// Tunnels tell apart the tunnel captures (100-116) from the bundled
	// captures they wrap, which have the same timestamps and endpoints.
	Tunnels json.RawMessage `json:"tunnels"`
}

func readIDLines(t *testing.T, args ...string) []idLine {
	t.Helper()
	var out, errb bytes.Buffer
	if status := run(append([]string{"--format", "json"}, args...), &out, &errb); status == exitError {
		t.Fatalf("exit %d: %s", status, errb.String())
	}
	var ls []idLine
	for _, line := range strings.Split(strings.TrimSpace(out.String()), "\n") {
		var l idLine
		if err := json.Unmarshal([]byte(line), &l); err != nil {
			t.Fatalf("%v: %s", err, line)
		}
		ls = append(ls, l)
	}
	return ls
}

// TestCommunityIDAgreesWithTshark: tshark's communityid dissector
// (Wireshark 3.6 and later) and hsdecode give every connection of every
// bundled capture the same Community ID, with seed 0 and seed 4242, over
// TCP and, for QUIC and DTLS, UDP.
func TestCommunityIDAgreesWithTshark(t *testing.T) {
	if _, err := exec.LookPath("tshark"); err != nil {
		t.Skip("tshark not installed")
	}
	if b, _ := exec.Command("tshark", "-G", "protocols").Output(); !bytes.Contains(b, []byte("\tcommunityid\t")) && !bytes.Contains(b, []byte("\tcommunityid\n")) {
		t.Skip("this tshark has no communityid dissector")
	}
	// One tshark run per seed, over all the captures merged: it takes a
	// second to start. The Community ID is the 4-tuple's, so connections
	// of different captures on one 4-tuple have the same.
	merged := filepath.Join(t.TempDir(), "all.pcapng")
	if out, err := exec.Command("mergecap", append([]string{"-F", "pcapng", "-w", merged}, captures(t)...)...).CombinedOutput(); err != nil {
		t.Skipf("mergecap: %v %s", err, out)
	}
	compared := 0
	for _, seed := range []int{0, 4242} {
		ts, err := exec.Command("tshark", "-r", merged, "--enable-protocol", "communityid", "-o", fmt.Sprintf("communityid.seed:%d", seed),
			"-Y", "tcp or udp", "-T", "fields", "-E", "separator=/t", "-e", "ip.src", "-e", "ipv6.src", "-e", "tcp.srcport", "-e", "udp.srcport",
			"-e", "ip.dst", "-e", "ipv6.dst", "-e", "tcp.dstport", "-e", "udp.dstport", "-e", "communityid").Output()
		if err != nil {
			t.Fatalf("tshark: %v", err)
		}
		theirs := map[string]string{} // "ip:port ip:port" either way -> Community ID
		for _, row := range strings.Split(strings.TrimSpace(string(ts)), "\n") {
			c := strings.Split(row, "\t")
			// A QUIC or DTLS connection's is of UDP (protocol 17).
			if len(c) != 9 || c[8] == "" {
				continue
			}
			src, dst := endpointOf(c[0]+c[1], c[2]+c[3]), endpointOf(c[4]+c[5], c[6]+c[7])
			theirs[src+" "+dst], theirs[dst+" "+src] = c[8], c[8]
		}
		for _, l := range readIDLines(t, "--community-id-seed", fmt.Sprint(seed), pcapDir) {
			key := endpointOf(l.Client.IP, fmt.Sprint(l.Client.Port)) + " " + endpointOf(l.Server.IP, fmt.Sprint(l.Server.Port))
			want, ok := theirs[key]
			if !ok {
				t.Errorf("tshark has no Community ID for %s", key)
				continue
			}
			if l.CommunityID != want {
				t.Errorf("seed %d %s: community_id %s, tshark %s", seed, key, l.CommunityID, want)
			}
			compared++
		}
	}
	t.Logf("%d connections' Community IDs compared with tshark's", compared)
	if compared < 2*len(captures(t)) {
		t.Errorf("only %d connections compared", compared)
	}
}

func endpointOf(ip, port string) string {
	if strings.Contains(ip, ":") {
		return "[" + ip + "]:" + port
	}
	return ip + ":" + port
}

// TestUIDStable: the uid of each connection of the bundled captures is
// the same on two runs, for --workers 1 and 4, for the captures read one
// at a time or all together, and for a copy under another name; no two
// connections share one.
func TestUIDStable(t *testing.T) {
	key := func(l idLine) string {
		return l.TS + " " + l.Client.IP + fmt.Sprint(l.Client.Port) + " " + l.Server.IP + " " + string(l.Tunnels)
	}
	var want map[string]string
	for _, workers := range []string{"1", "4", "1"} {
		got := map[string]string{}
		seen := map[string]bool{}
		for _, l := range readIDLines(t, "--workers", workers, pcapDir) {
			if seen[l.UID] {
				t.Errorf("--workers %s: uid %s names two connections", workers, l.UID)
			}
			seen[l.UID] = true
			got[key(l)] = l.UID
		}
		if want == nil {
			want = got
			continue
		}
		for k, uid := range want {
			if got[k] != uid {
				t.Errorf("--workers %s: %s has uid %s, %s before", workers, k, got[k], uid)
			}
		}
	}
	for _, pcap := range captures(t)[:5] {
		b, err := os.ReadFile(pcap)
		if err != nil {
			t.Fatal(err)
		}
		copied := filepath.Join(t.TempDir(), "renamed.pcap")
		if err := os.WriteFile(copied, b, 0o644); err != nil {
			t.Fatal(err)
		}
		for _, in := range []string{pcap, copied} {
			for _, l := range readIDLines(t, in) {
				if want[key(l)] != l.UID {
					t.Errorf("%s read alone: %s has uid %s, %s read with the others", in, key(l), l.UID, want[key(l)])
				}
			}
		}
	}
}
