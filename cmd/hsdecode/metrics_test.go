package main

import (
	"bufio"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// scrape reads a Prometheus text exposition: each sample's value by its
// name and labels as written ("hsdecode_connections_total{outcome=\"alert\"}").
func scrape(t *testing.T, url string) map[string]float64 {
	t.Helper()
	c := http.Client{Timeout: 5 * time.Second}
	resp, err := c.Get(url)
	if err != nil {
		t.Fatalf("scrape %s: %v", url, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("scrape %s: %s", url, resp.Status)
	}
	samples := map[string]float64{}
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		l := sc.Text()
		if l == "" || strings.HasPrefix(l, "#") {
			continue
		}
		i := strings.LastIndexByte(l, ' ')
		v, err := strconv.ParseFloat(l[i+1:], 64)
		if err != nil {
			t.Fatalf("scrape %s: %q: %v", url, l, err)
		}
		samples[l[:i]] = v
	}
	return samples
}

// metricsURL waits for -v's line saying where --metrics listens.
func metricsURL(t *testing.T, stderr *lineBuffer) string {
	t.Helper()
	const prefix = "hsdecode: metrics on "
	l, _, ok := stderr.wait(0, 15*time.Second, func(l string) bool { return strings.HasPrefix(l, prefix) })
	if !ok {
		t.Fatalf("no %q line on stderr:\n%s", prefix, stderr)
	}
	return strings.TrimPrefix(l, prefix)
}

// checkSamples compares the samples named in want.
func checkSamples(t *testing.T, got, want map[string]float64) {
	t.Helper()
	for k, v := range want {
		if g, ok := got[k]; !ok || g != v {
			t.Errorf("%s = %v (present: %v), want %v", k, g, ok, v)
		}
	}
}

// TestLiveMetrics: --metrics serves, while a live capture on lo runs, the
// connections by outcome, alerts by description and side, packets and
// kernel drops of the handshakes made; the endpoint goes with the run.
func TestLiveMetrics(t *testing.T) {
	needLive(t, "openssl")
	bin := buildHsdecode(t)
	needCgoBinary(t, bin)
	pki := makePKI(t)
	const good, noCipher = 44490, 44491 // helper I's ports
	p := startCapture(t, bin, "-i", "lo", "-f", fmt.Sprintf("tcp port %d or tcp port %d", good, noCipher),
		"--format", "json", "-v", "--metrics", "127.0.0.1:0")
	url := metricsURL(t, p.stderr)
	const wait = 10 * time.Second

	startServer(t, pki, good, "-tls1_3")
	runClient(t, "openssl", "s_client", "-connect", fmt.Sprintf("127.0.0.1:%d", good), "-servername", "localhost", "-CAfile", pki.ca, "-tls1_3")
	checkReport(t, "TLS 1.3", p.report(good, wait), "established", "TLS 1.3", "")
	startServer(t, pki, noCipher, "-no_tls1_3", "-cipher", "ECDHE-ECDSA-AES128-GCM-SHA256")
	runClient(t, "openssl", "s_client", "-connect", fmt.Sprintf("127.0.0.1:%d", noCipher), "-tls1_2", "-cipher", "ECDHE-ECDSA-AES256-GCM-SHA384")
	checkReport(t, "no shared cipher", p.report(noCipher, wait), "alert", "", "server fatal handshake_failure")

	time.Sleep(1500 * time.Millisecond) // a tick sets the capture's counters
	got := scrape(t, url)
	checkSamples(t, got, map[string]float64{
		`hsdecode_connections_total{outcome="established"}`:                    1,
		`hsdecode_connections_total{outcome="alert"}`:                          1,
		`hsdecode_alerts_total{description="handshake_failure",side="server"}`: 1,
		`hsdecode_findings_total{rule="alert"}`:                                1,
		`hsdecode_kernel_dropped_packets_total`:                                0,
		`hsdecode_interface_dropped_packets_total`:                             0,
		`hsdecode_inputs_read_total`:                                           0,
	})
	if got["hsdecode_packets_total"] < 10 {
		t.Errorf("hsdecode_packets_total = %v, want the handshakes' packets", got["hsdecode_packets_total"])
	}
	if _, ok := got["hsdecode_held_bytes"]; !ok {
		t.Error("no hsdecode_held_bytes")
	}
	if status := p.signalAndWait(os.Interrupt); status != exitFindings {
		t.Errorf("exit %d, want %d (an alert)", status, exitFindings)
	}
	if _, err := (&http.Client{Timeout: 2 * time.Second}).Get(url); err == nil {
		t.Error("the metrics endpoint still answers after the run")
	}
}

// TestMetricsOffline: reading a capture, the metrics are served while the
// run lasts: here a capture on standard input held open, its connection
// counted once decided, the input counted once read.
func TestMetricsOffline(t *testing.T) {
	bin := buildHsdecode(t)
	data, err := os.ReadFile(filepath.Join(pcapDir, "07-tls12-no-shared-cipher.pcap"))
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "-v", "--metrics", "127.0.0.1:0", "--format", "json", "-r", "-")
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	stderrPipe, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill() })
	out, stderr := newLineBuffer(stdout), newLineBuffer(stderrPipe)
	url := metricsURL(t, stderr)
	if _, err := stdin.Write(data); err != nil {
		t.Fatal(err)
	}
	if _, _, ok := out.wait(0, 10*time.Second, func(l string) bool { return strings.Contains(l, `"outcome":"alert"`) }); !ok {
		t.Fatalf("no report while the input is open:\n%s\n%s", out, stderr)
	}
	checkSamples(t, scrape(t, url), map[string]float64{
		`hsdecode_connections_total{outcome="alert"}`:                          1,
		`hsdecode_alerts_total{description="handshake_failure",side="server"}`: 1,
		`hsdecode_inputs_read_total`:                                           0,
	})
	stdin.Close()
	<-out.done
	<-stderr.done
	err = cmd.Wait()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != exitFindings {
		t.Errorf("exit %v, want %d", err, exitFindings)
	}
}
