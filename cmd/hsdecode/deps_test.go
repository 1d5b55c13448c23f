package main

import (
	"os/exec"
	"strings"
	"testing"
)

// TestNoGopacket: dependencies point one way (docs/CONVENTIONS.md section
// 1). Only capture and reassembly know packets; the packages that parse
// TLS, judge it, print it, and the keys and stream types between them, pull
// in no gopacket code, and the stream types import nothing of the project.
func TestNoGopacket(t *testing.T) {
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("no go command to list dependencies with")
	}
	for _, pkg := range []string{"decode", "flows", "report", "stream", "keylog", "tlscrypto", "diagnose", "quic", "udpflow", "dtls"} {
		out, err := exec.Command("go", "list", "-deps", "github.com/hsdecode/hsdecode/"+pkg).CombinedOutput()
		if err != nil {
			t.Fatalf("go list -deps %s: %v\n%s", pkg, err, out)
		}
		for _, dep := range strings.Fields(string(out)) {
			if strings.Contains(dep, "gopacket") {
				t.Errorf("%s depends on %s", pkg, dep)
			}
			if pkg == "stream" && strings.HasPrefix(dep, "github.com/hsdecode/hsdecode/") && dep != "github.com/hsdecode/hsdecode/stream" {
				t.Errorf("stream, a leaf, depends on %s", dep)
			}
		}
	}
}
