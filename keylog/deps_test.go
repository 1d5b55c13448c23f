package keylog

import (
	"os/exec"
	"strings"
	"testing"
)

// TestNoGopacket: keylog knows no packets; decode and flows will import
// it, and they must stay free of gopacket.
func TestNoGopacket(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", ".").Output()
	if err != nil {
		t.Skipf("go list: %v", err)
	}
	for _, dep := range strings.Fields(string(out)) {
		if strings.Contains(dep, "gopacket") {
			t.Errorf("keylog depends on %s", dep)
		}
	}
}
