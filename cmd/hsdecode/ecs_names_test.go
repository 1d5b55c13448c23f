package main

import (
	"bytes"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
)

// TestECSPacketbeatFields: on real sites' certificates (the corpus's
// browsers-x509 capture), the ECS documents carry each leaf's issuer and
// subject attributes under tls.server.x509.{issuer,subject}.*, and
// client.*/server.* as Packetbeat fills them: the endpoints, and the
// server's domain the client asked for (SNI).
func TestECSPacketbeatFields(t *testing.T) {
	needCorpus(t, tsharkCorpusDir)
	var out, errb bytes.Buffer
	if status := run([]string{"--format", "ecs", filepath.Join(tsharkCorpusDir, "ja4/pcap/browsers-x509.pcapng")}, &out, &errb); status == exitError {
		t.Fatalf("exit %d: %s", status, errb.String())
	}
	withIssuer := 0
	for _, line := range strings.Split(strings.TrimSpace(out.String()), "\n") {
		var doc map[string]any
		if err := json.Unmarshal([]byte(line), &doc); err != nil {
			t.Fatal(err)
		}
		f := map[string]any{}
		flatten("", doc, f)
		for _, pair := range [][2]string{{"client.ip", "source.ip"}, {"client.port", "source.port"}, {"server.ip", "destination.ip"},
			{"server.port", "destination.port"}, {"server.address", "destination.ip"}, {"server.domain", "tls.client.server_name"}} {
			if f[pair[0]] != f[pair[1]] {
				t.Errorf("%s %v, %s %v", pair[0], f[pair[0]], pair[1], f[pair[1]])
			}
		}
		dn, _ := f["tls.server.x509.issuer.distinguished_name"].(string)
		if dn == "" {
			continue
		}
		withIssuer++
		for attr, field := range map[string]string{"CN": "common_name", "O": "organization", "C": "country"} {
			for _, rdn := range strings.Split(dn, ",") {
				if v, ok := strings.CutPrefix(rdn, attr+"="); ok && !strings.Contains(dn, `\`) {
					got, _ := f["tls.server.x509.issuer."+field].([]any)
					if len(got) == 0 || got[0] != v {
						t.Errorf("issuer %s: tls.server.x509.issuer.%s %v, want [%s]", dn, field, got, v)
					}
				}
			}
		}
	}
	t.Logf("%d documents with the server's issuer", withIssuer)
	if withIssuer < 2 {
		t.Errorf("%d documents with the server's issuer", withIssuer)
	}
}
