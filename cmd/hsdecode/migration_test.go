package main

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/hsdecode/hsdecode/capture"
)

func init() {
	for _, name := range []string{"150-quic-rebind", "151-quic-migrate"} {
		manifest[name] = []want{{outcome: "established", version: "TLS 1.3", suite: "TLS_AES_128_GCM_SHA256", history: "Cs"}}
	}
}

// TestQUICMigration: a client whose NAT gave it a new port after the
// handshake (150-quic-rebind, quic-go keeping its connection IDs) is one
// connection, not a second one skipped: both ports are its paths, the
// second linked by the server's connection ID, the move is a line of the
// ladder, its end is the capture's last datagram, of the new path, and no
// datagram is skipped, with keys and without; the same for 1, 2 and 3
// workers.
func TestQUICMigration(t *testing.T) {
	pcap := filepath.Join(pcapDir, "150-quic-rebind.pcap")
	last, ports, _ := clientPorts(t, pcap, 44600)
	if len(ports) != 2 {
		t.Fatalf("the capture's client ports %v: not a capture of one move", ports)
	}
	for _, keys := range []bool{false, true} {
		want := sameForWorkers(t, pcap, keys)
		lines := strings.Split(strings.TrimSpace(want), "\n")
		if len(lines) != 2 {
			t.Fatalf("keys %v: %d lines, want one connection and the summary:\n%s", keys, len(lines), want)
		}
		var r struct {
			EndTS   string `json:"end_ts"`
			Outcome string
			Client  struct{ Port uint16 }
			QUIC    struct {
				Paths []struct {
					Client struct {
						IP   string
						Port uint16
					}
					TS     string
					Linked string
				}
			}
		}
		var s struct {
			Summary struct {
				Connections int
				Packets     struct{ Skipped map[string]int }
			}
		}
		if err := json.Unmarshal([]byte(lines[0]), &r); err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal([]byte(lines[1]), &s); err != nil {
			t.Fatal(err)
		}
		p := r.QUIC.Paths
		if r.Outcome != "established" || len(p) != 2 || p[0].Client.Port != r.Client.Port || p[0].Linked != "initial" ||
			p[1].Client.Port == r.Client.Port || p[1].Client.Port != ports[1] || p[1].Linked != "cid" || p[1].TS <= p[0].TS {
			t.Errorf("keys %v: outcome %s, client port %d, paths %+v; want the capture's ports %v", keys, r.Outcome, r.Client.Port, p, ports)
		}
		if r.EndTS != last {
			t.Errorf("keys %v: end_ts %s, the capture's last datagram %s", keys, r.EndTS, last)
		}
		if s.Summary.Connections != 1 || len(s.Summary.Packets.Skipped) != 0 {
			t.Errorf("keys %v: %d connections, skipped %v", keys, s.Summary.Connections, s.Summary.Packets.Skipped)
		}
	}
	var out, errb strings.Builder
	run([]string{"-r", pcap}, &out, &errb)
	if move := fmt.Sprintf("  client moved to 127.0.0.1:%d (cid)\n", ports[1]); !strings.Contains(out.String(), move) {
		t.Errorf("text: no %q in\n%s", move, out.String())
	}
}

// sameForWorkers returns the JSON report, with its summary, of a capture
// read with 1 worker, with the capture's key log or without, failing t if
// 2 or 3 workers give another.
func sameForWorkers(t *testing.T, pcap string, keys bool) string {
	t.Helper()
	var want string
	for _, n := range []int{1, 2, 3} {
		args := []string{"-r", pcap, "--format", "json", "--summary", "--workers", fmt.Sprint(n)}
		if keys {
			args = append(args, "--keylog", strings.TrimSuffix(pcap, ".pcap")+".keys")
		}
		var out, errb strings.Builder
		if status := run(args, &out, &errb); status != exitOK {
			t.Fatalf("%v: exit %d: %s", args, status, errb.String())
		}
		if n == 1 {
			want = out.String()
		} else if diff := cmp.Diff(want, out.String()); diff != "" {
			t.Errorf("keys %v: report with %d workers differs from one worker's (-1 +%d):\n%s", keys, n, n, diff)
		}
	}
	return want
}

// clientPorts returns the timestamp of a QUIC capture's last packet as the
// report writes times, the client's ports in the order they appear (every
// port of 127.0.0.1 but the server's) and the datagrams of each.
func clientPorts(t *testing.T, pcap string, server uint16) (string, []uint16, map[uint16]int) {
	t.Helper()
	src, err := capture.OpenFile(pcap)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	var last string
	var ports []uint16
	count := map[uint16]int{}
	for {
		p, err := src.Next()
		if err != nil {
			break
		}
		last = p.CaptureInfo.Timestamp.UTC().Format("2006-01-02T15:04:05.000000Z")
		// Ethernet, IPv4 without options, UDP: the ports at 34 and 36.
		for _, off := range []int{34, 36} {
			if port := binary.BigEndian.Uint16(p.Data[off:]); port != server {
				count[port]++
				if !slices.Contains(ports, port) {
					ports = append(ports, port)
				}
			}
		}
	}
	return last, ports, count
}

// TestQUICMigrationIssuedID: an active migration (151-quic-migrate:
// quic-go's AddPath, Probe, Switch) moves to a connection ID the server
// issued in an encrypted NEW_CONNECTION_ID frame. With the key log the
// client's new port is a path of the connection, linked by that ID, and
// no datagram is skipped; without it the move is not seen, and the new
// path's datagrams are skipped. The same for 1, 2 and 3 workers.
func TestQUICMigrationIssuedID(t *testing.T) {
	pcap := filepath.Join(pcapDir, "151-quic-migrate.pcap")
	last, ports, count := clientPorts(t, pcap, 44601)
	if len(ports) != 2 {
		t.Fatalf("the capture's client ports %v: not a capture of one move", ports)
	}
	for _, keys := range []bool{false, true} {
		want := sameForWorkers(t, pcap, keys)
		if strings.Count(want, "\n") != 2 {
			t.Fatalf("keys %v: want one connection and the summary:\n%s", keys, want)
		}
		if !keys {
			skipped := fmt.Sprintf(`"skipped":{"udp_no_quic_or_dtls_handshake":%d}`, count[ports[1]])
			if strings.Contains(want, `"paths"`) || !strings.Contains(want, skipped) {
				t.Errorf("without keys: want no paths and %s:\n%s", skipped, want)
			}
			continue
		}
		moved := fmt.Sprintf(`{"client":{"ip":"127.0.0.1","port":%d},`, ports[1])
		if i := strings.Index(want, moved); i < 0 || !strings.HasPrefix(want[i+len(moved):], `"ts":`) ||
			!strings.Contains(want, `"linked":"new_connection_id"}]`) || !strings.Contains(want, `"skipped":{}`) ||
			!strings.Contains(want, `"end_ts":"`+last+`"`) {
			t.Errorf("with keys: want the path of port %d linked by new_connection_id, none skipped, end_ts %s:\n%s", ports[1], last, want)
		}
	}
}
