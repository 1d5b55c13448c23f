package main

import (
	"bytes"
	"encoding/json"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/hsdecode/hsdecode/capture"
	"github.com/hsdecode/hsdecode/internal/rewrite"
	"github.com/hsdecode/hsdecode/internal/tunnelwrap"
)

// tunnelOriginals are the tunnel captures of testdata/pcaps
// (scripts/make-tunnel-testdata.sh) with the plain capture each must
// report as, and their tunnels' JSON.
var tunnelOriginals = map[string]struct{ orig, tunnels string }{
	"100-vxlan-tls13":        {"100-vxlan-tls13-overlay", `[{"type":"vxlan","src":"10.250.0.1","dst":"10.250.0.2","vni":100}]`},
	"101-vxlan6-tls12":       {"101-vxlan6-tls12-overlay", `[{"type":"vxlan","src":"fd00:4b::1","dst":"fd00:4b::2","vni":100}]`},
	"102-geneve-tls12":       {"01-tls12-ecdhe-rsa", `[{"type":"geneve","src":"192.0.2.1","dst":"192.0.2.2","vni":100}]`},
	"103-gre-tls12":          {"01-tls12-ecdhe-rsa", `[{"type":"gre","src":"192.0.2.1","dst":"192.0.2.2","key":100}]`},
	"104-gretap-tls13":       {"12-tls13-full", `[{"type":"gre","src":"192.0.2.1","dst":"192.0.2.2","key":100}]`},
	"105-erspan1-tls12":      {"01-tls12-ecdhe-rsa", `[{"type":"erspan_i","src":"192.0.2.1","dst":"192.0.2.2"}]`},
	"106-erspan2-tls13":      {"12-tls13-full", `[{"type":"erspan_ii","src":"192.0.2.1","dst":"192.0.2.2","session_id":100}]`},
	"107-erspan3-tls12-mtls": {"05-tls12-mtls", `[{"type":"erspan_iii","src":"192.0.2.1","dst":"192.0.2.2","session_id":100}]`},
	"108-gtpu-tls13":         {"12-tls13-full", `[{"type":"gtp_u","src":"192.0.2.1","dst":"192.0.2.2","teid":100}]`},
	"109-pppoe-tls12":        {"01-tls12-ecdhe-rsa", `[{"type":"pppoe","session_id":100}]`},
	"110-mpls-tls13-hrr":     {"14-tls13-hrr", `[{"type":"mpls","label":100},{"type":"mpls","label":101}]`},
	"111-mpls-pw-tls12":      {"01-tls12-ecdhe-rsa", `[{"type":"mpls","label":100}]`},
	"112-ipip-tls12":         {"01-tls12-ecdhe-rsa", `[{"type":"ipip","src":"192.0.2.1","dst":"192.0.2.2"}]`},
	"113-6in4-tls13":         {"18-ipv6-tls13", `[{"type":"6in4","src":"192.0.2.1","dst":"192.0.2.2"}]`},
	"114-4in6-tls12":         {"01-tls12-ecdhe-rsa", `[{"type":"4in6","src":"2001:db8::1","dst":"2001:db8::2"}]`},
	"115-teredo-tls13":       {"18-ipv6-tls13", `[{"type":"teredo","src":"192.0.2.1","dst":"192.0.2.2"}]`},
	"116-nested-alert": {"07-tls12-no-shared-cipher", `[{"type":"vxlan","src":"192.0.2.1","dst":"192.0.2.2","vni":100},` +
		`{"type":"gre","src":"192.0.2.1","dst":"192.0.2.2","key":100},{"type":"mpls","label":100}]`},
}

// tunnelCaptures are the paths of the bundled captures in tunnels.
func tunnelCaptures(t *testing.T) []string {
	t.Helper()
	var caps []string
	for _, p := range captures(t) {
		name := strings.TrimSuffix(filepath.Base(p), filepath.Ext(p))
		if _, ok := tunnelOriginals[name]; ok {
			caps = append(caps, p)
		}
	}
	if len(caps) != len(tunnelOriginals) {
		t.Fatalf("%d tunnel captures in %s, want %d", len(caps), pcapDir, len(tunnelOriginals))
	}
	return caps
}

// TestTunnelCaptures: every capture in tunnels reports as its plain
// original (the same connection recorded on the VXLAN device, or the
// bundled capture tunnel-wrap wrapped), but for its tunnels, which each
// connection names outermost first (timestamps and the uids made of them
// left out: 100 and 101 were recorded on two interfaces).
func TestTunnelCaptures(t *testing.T) {
	for _, p := range tunnelCaptures(t) {
		name := strings.TrimSuffix(filepath.Base(p), filepath.Ext(p))
		want := tunnelOriginals[name]
		t.Run(name, func(t *testing.T) {
			got := reportWithoutTimestamps(t, p)
			orig := reportWithoutTimestamps(t, filepath.Join(pcapDir, want.orig+".pcap"))
			if len(got) == 0 || len(got) != len(orig) {
				t.Fatalf("%d connections, the original %d", len(got), len(orig))
			}
			for i, o := range got {
				obj := o.(map[string]any)
				var w any
				if err := json.Unmarshal([]byte(want.tunnels), &w); err != nil {
					t.Fatal(err)
				}
				if d := cmp.Diff(w, obj["tunnels"]); d != "" {
					t.Errorf("connection %d: tunnels (-want +got):\n%s", i+1, d)
				}
				delete(obj, "tunnels")
				if _, ok := orig[i].(map[string]any)["tunnels"]; ok {
					t.Errorf("the original's connection %d has tunnels", i+1)
				}
			}
			if d := cmp.Diff(orig, got); d != "" {
				t.Errorf("report differs from %s's (-orig +tunnel):\n%s", want.orig, d)
			}
		})
	}
}

// TestTunnelVNIs: the same connection in two VXLAN VNIs, interleaved
// packet by packet, is two connections, each named with its VNI; the
// same two copies in one VNI are one connection and its retransmissions.
func TestTunnelVNIs(t *testing.T) {
	orig, err := rewrite.ReadFile(filepath.Join(pcapDir, "12-tls13-full.pcap"))
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		vnis []uint32
		want []string
	}{
		{[]uint32{7, 8}, []string{`"vni":7`, `"vni":8`}},
		{[]uint32{7, 7}, []string{`"vni":7`}},
	} {
		var mixed []capture.Packet
		wrapped := make([][]capture.Packet, len(tt.vnis))
		for i, vni := range tt.vnis {
			if wrapped[i], err = tunnelwrap.Wrap(orig, tunnelwrap.Options{Kinds: []string{"vxlan"}, ID: vni}); err != nil {
				t.Fatal(err)
			}
		}
		for j := range orig {
			for i := range wrapped {
				mixed = append(mixed, wrapped[i][j])
			}
		}
		path := filepath.Join(t.TempDir(), "vnis.pcap")
		if err := rewrite.WriteFile(path, mixed); err != nil {
			t.Fatal(err)
		}
		var out, errb bytes.Buffer
		run([]string{"-r", path, "--format", "json"}, &out, &errb)
		lines := strings.Split(strings.TrimSpace(out.String()), "\n")
		if len(lines) != len(tt.want) {
			t.Fatalf("VNIs %v: %d connections, want %d:\n%s", tt.vnis, len(lines), len(tt.want), out.String())
		}
		uids, cids := map[string]bool{}, map[string]bool{}
		for i, l := range lines {
			if !strings.Contains(l, tt.want[i]) || !strings.Contains(l, `"outcome":"established"`) {
				t.Errorf("VNIs %v: connection %d lacks %s or is not established: %.300s", tt.vnis, i+1, tt.want[i], l)
			}
			var c struct {
				UID         string `json:"uid"`
				CommunityID string `json:"community_id"`
			}
			if err := json.Unmarshal([]byte(l), &c); err != nil {
				t.Fatal(err)
			}
			uids[c.UID], cids[c.CommunityID] = true, true
		}
		// Each connection its uid; the Community ID is the inner flow's,
		// as Zeek computes it, the same in both VNIs.
		if len(uids) != len(lines) || len(cids) != 1 {
			t.Errorf("VNIs %v: %d uids and %d Community IDs for %d connections", tt.vnis, len(uids), len(cids), len(lines))
		}
	}
}

// TestTsharkTunnels: tshark, which decodes every one of these
// encapsulations, sees in each capture in tunnels the handshake messages,
// ChangeCipherSpecs and alerts hsdecode reports, per TCP stream and
// direction (the comparison of TestTsharkAgreement).
func TestTsharkTunnels(t *testing.T) {
	if _, err := exec.LookPath("tshark"); err != nil {
		t.Skipf("tshark is not installed: %v", err)
	}
	for _, p := range tunnelCaptures(t) {
		name := "pcaps/" + filepath.Base(p)
		t.Run(filepath.Base(p), func(t *testing.T) {
			args := append(append([]string{"-r", p}, tsharkDecodeAs[name]...), tsharkArgs...)
			var out, errb bytes.Buffer
			cmd := exec.Command("tshark", args...)
			cmd.Stdout, cmd.Stderr = &out, &errb
			if err := cmd.Run(); err != nil {
				t.Fatalf("tshark: %v: %s", err, errb.String())
			}
			streams, err := parseTsharkTSV(&out)
			if err != nil {
				t.Fatal(err)
			}
			v, err := compareStreams(p, streams)
			if err != nil {
				t.Fatal(err)
			}
			if v.streams == 0 || v.agree != v.streams || len(v.diffs) > 0 {
				t.Errorf("%d/%d streams agree: %+v (notes %q)", v.agree, v.streams, v.diffs, v.notes)
			}
		})
	}
}

// TestTunnelTEIDs: two GTP-U tunnels between the same two gateways, each
// with its own pair of TEIDs, carry the same inner 4-tuple (overlapping
// UE address pools), interleaved packet by packet: two connections, each
// reported as its original (one established, one ending in an alert),
// whatever the number of workers.
func TestTunnelTEIDs(t *testing.T) {
	read := func(name string) []capture.Packet {
		pkts, err := rewrite.ReadFile(filepath.Join(pcapDir, name+".pcap"))
		if err != nil {
			t.Fatal(err)
		}
		return pkts
	}
	est, alert := read("01-tls12-ecdhe-rsa"), read("07-tls12-no-shared-cipher")
	// 01 is 127.0.0.1:52776 to 127.0.0.1:44301, 07 127.0.0.1:39660 to
	// 127.0.0.1:44307: 07 moved onto 01's ports.
	client, server := uint16(52776), uint16(44301)
	alert = rewrite.ShiftServerPorts(rewrite.ShiftClientPorts(alert, client-39660), server-44307)
	wrap := func(pkts []capture.Packet, teid uint32) []capture.Packet {
		w, err := tunnelwrap.Wrap(pkts, tunnelwrap.Options{Kinds: []string{"gtpu"}, ID: teid})
		if err != nil {
			t.Fatal(err)
		}
		return w
	}
	a, b := wrap(est, 7), wrap(alert, 8)
	var mixed []capture.Packet
	for i := range max(len(a), len(b)) {
		for _, part := range [][]capture.Packet{a, b} {
			if i < len(part) {
				mixed = append(mixed, part[i])
			}
		}
	}
	// One clock for both, a millisecond a packet: the originals were
	// recorded seconds apart.
	start := mixed[0].CaptureInfo.Timestamp
	for i := range mixed {
		mixed[i].CaptureInfo.Timestamp = start.Add(time.Duration(i) * time.Millisecond)
	}
	path := filepath.Join(t.TempDir(), "teids.pcap")
	if err := rewrite.WriteFile(path, mixed); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{ // TEID: outcome
		`"teid":7`: `"outcome":"established"`,
		`"teid":8`: `"outcome":"` + outcomeOf(t, filepath.Join(pcapDir, "07-tls12-no-shared-cipher.pcap")) + `"`,
	}
	var first string
	for n := 1; n <= 3; n++ {
		var out, errb bytes.Buffer
		run([]string{"-r", path, "--format", "json", "--workers", strconv.Itoa(n)}, &out, &errb)
		lines := strings.Split(strings.TrimSpace(out.String()), "\n")
		if len(lines) != 2 {
			t.Fatalf("%d workers: %d connections, want 2:\n%s%s", n, len(lines), out.String(), errb.String())
		}
		cids := map[string]bool{}
		for _, l := range lines {
			var c struct {
				CommunityID string `json:"community_id"`
			}
			if err := json.Unmarshal([]byte(l), &c); err != nil {
				t.Fatal(err)
			}
			cids[c.CommunityID] = true
			for teid, outcome := range want {
				if strings.Contains(l, teid) && !strings.Contains(l, outcome) {
					t.Errorf("%d workers: the connection of %s lacks %s: %.400s", n, teid, outcome, l)
				}
			}
		}
		if !strings.Contains(out.String(), `"teid":7`) || !strings.Contains(out.String(), `"teid":8`) {
			t.Errorf("%d workers: not one connection in each tunnel:\n%s", n, out.String())
		}
		// The same inner flow: without the TEIDs, one connection.
		if len(cids) != 1 {
			t.Errorf("%d workers: %d Community IDs, want 1", n, len(cids))
		}
		if n == 1 {
			first = out.String()
		} else if d := cmp.Diff(first, out.String()); d != "" {
			t.Errorf("report differs from one worker's (-1 +%d):\n%s", n, d)
		}
	}
}

// outcomeOf is the outcome of a capture's only connection.
func outcomeOf(t *testing.T, path string) string {
	t.Helper()
	objs := reportWithoutTimestamps(t, path)
	if len(objs) != 1 {
		t.Fatalf("%s: %d connections", path, len(objs))
	}
	o, _ := objs[0].(map[string]any)["outcome"].(string)
	return o
}
