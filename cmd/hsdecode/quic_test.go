package main

import (
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/hsdecode/hsdecode/flows"
	"github.com/hsdecode/hsdecode/quic"
	"github.com/hsdecode/hsdecode/reassembly"
	"github.com/hsdecode/hsdecode/stream"
)

// The QUIC captures' facts (scripts/make-quic-testdata.sh), kept in a file
// of their own: without keys a QUIC handshake is seen to its ServerHello,
// then as protected packets, and there is no ChangeCipherSpec.
func init() {
	const aes128 = "TLS_AES_128_GCM_SHA256"
	ok := want{outcome: "established", version: "TLS 1.3", suite: aes128, history: "Cs", alpn: ""}
	for _, name := range []string{"130-quic-v1", "131-quic-v2", "132-quic-retry", "136-quic-vn", "137-quic-big-hello",
		// The server's CONNECTION_CLOSE travels in a 1-RTT packet, which
		// the Initial keys do not open.
		"134-quic-mtls-fail"} {
		manifest[name] = []want{ok}
	}
	manifest["133-quic-hrr"] = []want{{outcome: "established", version: "TLS 1.3", suite: aes128, history: "CjCs"}}
	manifest["135-quic-alpn-fail"] = []want{{outcome: "alert", alert: "server fatal no_application_protocol", history: "Cl"}}
}

// quicFacts are what a QUIC capture's report must say besides the
// manifest's facts.
type quicFacts struct {
	version        string
	retry          bool
	vn             bool // Version Negotiation offered version 1 to a client that began with 2
	hrr            bool
	minHelloLength int // the ClientHello's length: over several Initials
	closeCode      uint64
}

// TestQUICCaptures checks the QUIC captures: the transport, the QUIC facts,
// the ClientHello read whole from its CRYPTO frames, and JA4 with its q.
func TestQUICCaptures(t *testing.T) {
	for name, want := range map[string]quicFacts{
		"130-quic-v1":        {version: "1", minHelloLength: 1400},
		"131-quic-v2":        {version: "2", minHelloLength: 1400},
		"132-quic-retry":     {version: "1", retry: true},
		"133-quic-hrr":       {version: "1", hrr: true},
		"134-quic-mtls-fail": {version: "1"},
		"135-quic-alpn-fail": {version: "1", closeCode: 0x100 + 120 /* no_application_protocol */},
		"136-quic-vn":        {version: "1", vn: true},
		"137-quic-big-hello": {version: "1", minHelloLength: 5000},
	} {
		t.Run(name, func(t *testing.T) {
			an, err := analyze(filepath.Join(pcapDir, name+".pcap"), flows.Options{}, reassembly.Options{})
			if err != nil || len(an.results) != 1 {
				t.Fatalf("analyze: %v, %d results", err, len(an.results))
			}
			r := &an.results[0]
			q := r.QUIC
			if r.Transport != stream.TransportQUIC || q == nil {
				t.Fatalf("transport %s, quic %v", r.Transport, q)
			}
			if q.Version.String() != want.version || len(q.DCID) < 8 || q.ServerSCID == nil {
				t.Errorf("version %s, dcid %x, server scid %x", q.Version, q.DCID, q.ServerSCID)
			}
			if q.Retry != want.retry || q.Retry && !q.RetryTagValid {
				t.Errorf("retry %v, tag valid %v", q.Retry, q.RetryTagValid)
			}
			// quic-go offers a GREASE version too (RFC 9000, 6.3).
			vn := slices.Contains(q.VersionNegotiation, quic.Version1) && q.AbandonedVersion == quic.Version2
			if vn != want.vn || !vn && q.VersionNegotiation != nil {
				t.Errorf("version negotiation %v, abandoned %s", q.VersionNegotiation, q.AbandonedVersion)
			}
			if (r.HelloRetryRequest != nil) != want.hrr {
				t.Errorf("hello retry request %v", r.HelloRetryRequest != nil)
			}
			if r.ClientHello == nil || len(r.Messages) == 0 || r.Messages[0].Type != "client_hello" || r.Messages[0].Length < want.minHelloLength {
				t.Fatalf("client hello %v, messages %v", r.ClientHello != nil, r.Messages)
			}
			if want.closeCode != 0 && (q.Close == nil || q.Close.ErrorCode != want.closeCode || q.Close.From != flows.Server) {
				t.Errorf("close %+v, want error 0x%x from server", q.Close, want.closeCode)
			}
			if q.Undecryptable != 0 || q.Malformed != 0 {
				t.Errorf("undecryptable %d, malformed %d", q.Undecryptable, q.Malformed)
			}
		})
	}
}

// TestQUICReportFormats: every format says the connection is QUIC.
func TestQUICReportFormats(t *testing.T) {
	pcap := filepath.Join(pcapDir, "131-quic-v2.pcap")
	for format, want := range map[string]string{
		"json": `"transport":"quic"`,
		"text": "QUIC v2  ESTABLISHED",
		"ecs":  `"transport":"udp"`,
	} {
		var out, errb strings.Builder
		if status := run([]string{"-r", pcap, "--format", format}, &out, &errb); status == exitError {
			t.Fatalf("%s: exit %d: %s", format, status, errb.String())
		}
		if !strings.Contains(out.String(), want) {
			t.Errorf("%s: no %q in\n%s", format, want, out.String())
		}
	}
	var out, errb strings.Builder
	run([]string{"-r", pcap, "--format", "json"}, &out, &errb)
	if !strings.Contains(out.String(), `"ja4":"q13d`) || !strings.Contains(out.String(), `"quic":{"version":"2"`) {
		t.Errorf("json: %s", out.String())
	}
}
