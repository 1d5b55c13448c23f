package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// replayKeys reads JSON report lines into "client -> server outcome"
// strings, sorted: a connection reported twice is there twice.
func replayKeys(t *testing.T, lines []string) []string {
	t.Helper()
	var keys []string
	for _, l := range lines {
		if !strings.HasPrefix(l, "{") {
			continue
		}
		var r struct {
			Client, Server struct {
				IP   string `json:"ip"`
				Port int    `json:"port"`
			}
			Outcome string `json:"outcome"`
		}
		if err := json.Unmarshal([]byte(l), &r); err != nil {
			t.Fatalf("%v: %s", err, l)
		}
		keys = append(keys, fmt.Sprintf("%s:%d -> %s:%d %s", r.Client.IP, r.Client.Port, r.Server.IP, r.Server.Port, r.Outcome))
	}
	slices.Sort(keys)
	return keys
}

// TestLiveWorkersReplay: bundled captures replayed by tcpreplay into a
// veth pair, captured live with --workers 2, give every connection
// exactly once, with the outcome reading the files gives: the workers
// share the connections without losing or doubling one. The veth pair
// lives in a network namespace of its own, removed at the end.
func TestLiveWorkersReplay(t *testing.T) {
	needLive(t, "tcpreplay", "ip")
	bin := buildHsdecode(t)
	needCgoBinary(t, bin)
	var files []string
	for _, glob := range []string{"0*.pcap", "1[0-8]-*.pcap", "2[0-9]-*.pcap"} {
		m, err := filepath.Glob(filepath.Join("..", "..", "testdata", "pcaps", glob))
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, m...)
	}
	if len(files) < 20 {
		t.Fatalf("found %d bundled captures, want at least 20", len(files))
	}
	out, err := exec.Command(bin, append([]string{"--format", "json"}, files...)...).Output()
	if len(out) == 0 {
		t.Fatalf("hsdecode -r: %v", err)
	}
	want := replayKeys(t, strings.Split(strings.TrimSpace(string(out)), "\n"))

	ns := fmt.Sprintf("hslive-t%d", os.Getpid())
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	sh := func(args ...string) {
		t.Helper()
		if out, err := exec.CommandContext(ctx, args[0], args[1:]...).CombinedOutput(); err != nil {
			t.Fatalf("%s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
	if err := exec.CommandContext(ctx, "ip", "netns", "add", ns).Run(); err != nil {
		t.Skipf("ip netns add: %v (network namespaces unavailable here); skipped", err)
	}
	t.Cleanup(func() { exec.Command("ip", "netns", "del", ns).Run() })
	sh("ip", "netns", "exec", ns, "sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1", "net.ipv6.conf.default.disable_ipv6=1")
	sh("ip", "-n", ns, "link", "add", "hsla", "type", "veth", "peer", "name", "hslb")
	// The captures were made on lo, whose segments are up to 64 KiB.
	sh("ip", "-n", ns, "link", "set", "hsla", "mtu", "65535", "up")
	sh("ip", "-n", ns, "link", "set", "hslb", "mtu", "65535", "up")

	p := startCapture(t, "ip", "netns", "exec", ns, bin, "-i", "hslb", "--format", "json", "--workers", "2")
	sh(append([]string{"ip", "netns", "exec", ns, "tcpreplay", "-q", "-i", "hsla"}, files...)...)
	// The last packets are the reader's within a tenth of a second; the
	// end of the capture reports what is still open.
	time.Sleep(500 * time.Millisecond)
	p.signalAndWait(os.Interrupt)
	got := replayKeys(t, p.stdout.snapshot())
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("live with 2 workers, by connection and outcome (-read from the files +live):\n%s\nstderr:\n%s", diff, p.stderr)
	}
}
