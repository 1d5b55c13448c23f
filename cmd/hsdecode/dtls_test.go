package main

import (
	"path/filepath"
	"slices"
	"testing"

	"github.com/hsdecode/hsdecode/capture"
	"github.com/hsdecode/hsdecode/flows"
	"github.com/hsdecode/hsdecode/reassembly"
	"github.com/hsdecode/hsdecode/stream"
)

// The DTLS captures' facts (scripts/make-dtls-testdata.sh): the
// HelloVerifyRequest exchange, then TLS 1.2's order.
func init() {
	const ecdsa256 = "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384"
	manifest["140-dtls12-openssl"] = []want{{outcome: "established", version: "DTLS 1.2", suite: ecdsa256, clientCert: "none", history: "CvCsxknGIti"}}
	manifest["141-dtls12-no-shared-cipher"] = []want{{outcome: "alert", alert: "server fatal handshake_failure", history: "CvCl"}}
	manifest["142-dtls12-gnutls"] = []want{{outcome: "established", version: "DTLS 1.2", history: "CvCsxkrnXGIti"}}
	manifest["143-dtls12-fragmented"] = []want{{outcome: "established", version: "DTLS 1.2", suite: ecdsa256, history: "CvCsxknGIti"}}
}

// TestDTLSCaptures checks what the DTLS captures' reports say of DTLS:
// the transport, the cookie, and JA4 with its d.
func TestDTLSCaptures(t *testing.T) {
	for _, name := range []string{"140-dtls12-openssl", "141-dtls12-no-shared-cipher", "142-dtls12-gnutls", "143-dtls12-fragmented"} {
		an, err := analyze(filepath.Join(pcapDir, name+".pcap"), flows.Options{}, reassembly.Options{})
		if err != nil || len(an.results) != 1 {
			t.Fatalf("%s: %v, %d results", name, err, len(an.results))
		}
		r := &an.results[0]
		if r.Transport != stream.TransportDTLS || r.DTLS == nil || r.DTLS.CookieLength == 0 || r.DTLS.Malformed != 0 || r.DTLS.Retransmitted != 0 {
			t.Errorf("%s: transport %s, dtls %+v", name, r.Transport, r.DTLS)
		}
		if r.ClientHello == nil || r.ClientHello.LegacyVersion.String() != "DTLS 1.2" || len(r.Messages) < 3 || r.Messages[1].Type != "hello_verify_request" {
			t.Errorf("%s: client hello %v, messages %v", name, r.ClientHello != nil, r.Messages)
		}
	}
}

// doubled gives every packet of a capture twice: a DTLS peer sends a
// flight again when it hears nothing back (RFC 6347, 4.2.4).
type doubled struct {
	capture.Source
	again *capture.Packet
}

func (d *doubled) Next() (capture.Packet, error) {
	if d.again != nil {
		p := *d.again
		d.again = nil
		return p, nil
	}
	p, err := d.Source.Next()
	if err == nil {
		c := p
		c.Data = slices.Clone(p.Data)
		d.again = &c
	}
	return p, err
}

// TestDTLSRetransmitted: every datagram sent twice, the report is the
// same, the copies counted as retransmitted.
func TestDTLSRetransmitted(t *testing.T) {
	for _, name := range []string{"140-dtls12-openssl", "143-dtls12-fragmented"} {
		pcap := filepath.Join(pcapDir, name+".pcap")
		once, err := analyze(pcap, flows.Options{}, reassembly.Options{})
		if err != nil {
			t.Fatal(err)
		}
		src, err := capture.OpenFile(pcap)
		if err != nil {
			t.Fatal(err)
		}
		var twice []flows.Result
		analyzeSource(&doubled{Source: src}, flows.Options{}, reassembly.Options{}, 1, nil, func(r *flows.Result) error {
			twice = append(twice, *r)
			return nil
		})
		src.Close()
		if len(twice) != 1 {
			t.Fatalf("%s: %d results", name, len(twice))
		}
		a, b := once.results[0], twice[0]
		if b.DTLS.Retransmitted == 0 || a.Outcome != b.Outcome || len(a.Messages) != len(b.Messages) || len(b.Violations) != 0 {
			t.Errorf("%s: sent twice: outcome %s (once %s), %d messages (once %d), retransmitted %d, violations %v",
				name, b.Outcome, a.Outcome, len(b.Messages), len(a.Messages), b.DTLS.Retransmitted, b.Violations)
		}
	}
}
