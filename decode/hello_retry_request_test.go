package decode

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

// draftHRR is a draft's hello_retry_request (type 6) asking for x25519
// with a cookie: server_version, from draft 19 a cipher_suite, then the
// extensions, key_share being 40 (draft-ietf-tls-tls13-21, Section 4.1.4).
func draftHRR(version uint16, suite bool) []byte {
	exts := pre16(cat(u16(40), pre16(u16(29)), u16(44), pre16(pre16([]byte("cookie")))))
	if suite {
		return cat(u16(version), u16(0x1301), exts)
	}
	return cat(u16(version), exts)
}

func TestHelloRetryRequestDraft(t *testing.T) {
	tests := []struct {
		name    string
		body    []byte
		version Version
		suite   CipherSuite
	}{
		{"draft 18, no cipher suite", draftHRR(0x7f12, false), 0x7f12, 0},
		{"draft 19 brought the cipher suite", draftHRR(0x7f13, true), 0x7f13, 0x1301},
		{"draft 21", draftHRR(0x7f15, true), 0x7f15, 0x1301},
	}
	for _, tt := range tests {
		m, err := ParseHandshake(HandshakeHelloRetryRequest, tt.body)
		if err != nil {
			t.Errorf("%s: %v", tt.name, err)
			continue
		}
		h := m.(*ServerHello)
		if !h.HelloRetryRequest || !h.Draft || h.Type() != HandshakeHelloRetryRequest || h.Version() != tt.version ||
			h.CipherSuite != tt.suite || h.KeyShareGroup != 29 || !h.HasKeyShare() || !h.Cookie || h.CookieLength != 6 {
			t.Errorf("%s: %+v", tt.name, h)
		}
	}
	for name, body := range map[string][]byte{
		"truncated version":      {0x7f},
		"draft 21 without suite": draftHRR(0x7f15, false),
		"no extensions":          u16(0x7f12),
		"trailing bytes":         append(draftHRR(0x7f12, false), 0),
	} {
		if _, err := ParseHandshake(HandshakeHelloRetryRequest, body); err == nil {
			t.Errorf("%s: parsed", name)
		}
	}
}

// TestDraftVersions: the drafts' versions, and the layouts and names that
// follow from them.
func TestDraftVersions(t *testing.T) {
	tests := []struct {
		v     Version
		draft int
		ok    bool
		early bool
		tls13 bool
	}{
		{VersionTLS13, 0, false, false, true},
		{0x7f0e, 14, true, true, true},
		{0x7f15, 21, true, true, true},
		{0x7f16, 22, true, false, true},
		{0x7f1c, 28, true, false, true},
		{0xfb17, 23, true, false, true},
		{0xfb1a, 26, true, false, true},
		{0xfb18, 0, false, false, false},
		{0x7e01, 0, false, false, false}, // Google's experiments: neither Wireshark nor tshark names them
		{VersionTLS12, 0, false, false, false},
	}
	for _, tt := range tests {
		n, ok := tt.v.TLS13Draft()
		if n != tt.draft || ok != tt.ok || isEarlyDraft13(tt.v) != tt.early || tt.v.IsTLS13() != tt.tls13 {
			t.Errorf("%s: draft %d %v, early %v, TLS 1.3 %v", tt.v, n, ok, isEarlyDraft13(tt.v), tt.v.IsTLS13())
		}
	}
}

// TestKeyShareOld: drafts up to 22 sent key_share as extension 40, which
// both hellos read as key_share, as Wireshark does.
func TestKeyShareOld(t *testing.T) {
	share := cat(u16(29), pre16(make([]byte, 32)))
	sh, err := ParseHandshake(HandshakeServerHello, cat(u16(0x0303), make([]byte, 32), pre8(make([]byte, 32)), u16(0x1301), []byte{0},
		pre16(cat(u16(43), pre16(u16(0x7f16)), u16(40), pre16(share)))))
	if err != nil {
		t.Fatal(err)
	}
	if s := sh.(*ServerHello); s.KeyShareGroup != 29 || s.KeyShareLength != 32 || !s.HasKeyShare() || s.Version().String() != "TLS 1.3 (draft 22)" ||
		s.Extensions[1].Type.String() != "key_share_old" {
		t.Errorf("draft 22 ServerHello: %+v", s)
	}
	ch, err := ParseHandshake(HandshakeClientHello, cat(u16(0x0303), make([]byte, 32), pre8(nil), pre16(u16(0x1301)), pre8([]byte{0}),
		pre16(cat(u16(40), pre16(pre16(share)), u16(43), pre16(pre8(u16(0x7f16)))))))
	if err != nil {
		t.Fatal(err)
	}
	if c := ch.(*ClientHello); len(c.KeyShares) != 1 || c.KeyShares[0].Group != 29 {
		t.Errorf("draft 22 ClientHello key shares %+v", c.KeyShares)
	}
}

// TestWriteDraftSeeds keeps the drafts' hello_retry_request among
// FuzzParseHandshake's seeds.
func TestWriteDraftSeeds(t *testing.T) {
	dir := filepath.Join("testdata", "fuzz", "FuzzParseHandshake")
	for name, body := range map[string][]byte{"draft18_hrr": draftHRR(0x7f12, false), "draft21_hrr": draftHRR(0x7f15, true)} {
		want := fmt.Sprintf("go test fuzz v1\nuint8(0x6)\n[]byte(%q)\n", body)
		got, err := os.ReadFile(filepath.Join(dir, name))
		if string(got) == want {
			continue
		}
		if !*updateSeeds {
			t.Errorf("%s: seed missing or stale (%v): run with -update-fuzz-seeds", name, err)
			continue
		}
		if err := os.WriteFile(filepath.Join(dir, name), []byte(want), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
