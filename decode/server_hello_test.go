package decode

import (
	"errors"
	"testing"

	"golang.org/x/crypto/cryptobyte"
)

func TestServerHelloTLS12Fixture(t *testing.T) {
	sh := messageOf[*ServerHello](t, mustDecode(t, fixture{"tls12_full.server", true}))
	if sh.Version() != VersionTLS12 || sh.SupportedVersion != 0 || sh.HelloRetryRequest {
		t.Errorf("Version %s, SupportedVersion %s, HRR %v", sh.Version(), sh.SupportedVersion, sh.HelloRetryRequest)
	}
	if sh.CipherSuite != 0xc02f && sh.CipherSuite != 0xc030 {
		t.Errorf("CipherSuite %s, want one the client offered", sh.CipherSuite)
	}
	if sh.ALPN != "h2" || !sh.SessionTicket || !sh.StatusRequest || !sh.ExtendedMasterSecret || !sh.RenegotiationInfo {
		t.Errorf("fields: %+v", sh)
	}
}

func TestServerHelloResumedFixture(t *testing.T) {
	ch := messageOf[*ClientHello](t, mustDecode(t, fixture{"tls12_resumed.client", true}))
	sh := messageOf[*ServerHello](t, mustDecode(t, fixture{"tls12_resumed.server", true}))
	// RFC 5077, Section 3.4: a server accepting a ticket echoes the
	// client's session ID.
	if string(sh.SessionID) != string(ch.SessionID) || len(sh.SessionID) == 0 {
		t.Errorf("session IDs: client %x, server %x", ch.SessionID, sh.SessionID)
	}
}

func TestServerHelloTLS13AndHRRFixtures(t *testing.T) {
	sh := messageOf[*ServerHello](t, mustDecode(t, fixture{"tls13_full.server", false}))
	if sh.Version() != VersionTLS13 || sh.LegacyVersion != VersionTLS12 || sh.KeyShareGroup != 4588 || sh.HelloRetryRequest {
		t.Errorf("TLS 1.3 hello: %s legacy %s group %s HRR %v", sh.Version(), sh.LegacyVersion, sh.KeyShareGroup, sh.HelloRetryRequest)
	}

	var hellos []*ServerHello
	for _, ev := range mustDecode(t, fixture{"tls13_hrr.server", false}) {
		if m, ok := ev.Message.(*ServerHello); ok {
			hellos = append(hellos, m)
		}
	}
	if len(hellos) != 2 {
		t.Fatalf("%d ServerHellos, want HRR and ServerHello", len(hellos))
	}
	hrr, real := hellos[0], hellos[1]
	if !hrr.HelloRetryRequest || hrr.Type() != HandshakeServerHello || hrr.Random != helloRetryRequestRandom {
		t.Errorf("first hello is not a HelloRetryRequest: %+v", hrr)
	}
	// The client shared X25519; the server insists on secp256r1.
	if hrr.KeyShareGroup != 23 || hrr.Version() != VersionTLS13 {
		t.Errorf("HRR group %s version %s", hrr.KeyShareGroup, hrr.Version())
	}
	if real.HelloRetryRequest || real.KeyShareGroup != 23 {
		t.Errorf("second hello: HRR %v group %s", real.HelloRetryRequest, real.KeyShareGroup)
	}
	chs := []*ClientHello{}
	for _, ev := range mustDecode(t, fixture{"tls13_hrr.client", false}) {
		if m, ok := ev.Message.(*ClientHello); ok {
			chs = append(chs, m)
		}
	}
	if len(chs) != 2 || len(chs[1].KeyShares) != 1 || chs[1].KeyShares[0].Group != 23 {
		t.Errorf("second ClientHello should share secp256r1 only: %+v", chs)
	}
}

// buildServerHello builds a ServerHello body with the given random and
// extensions.
func buildServerHello(random [32]byte, exts []ext) []byte {
	var b cryptobyte.Builder
	b.AddUint16(0x0303)
	b.AddBytes(random[:])
	b.AddUint8LengthPrefixed(func(b *cryptobyte.Builder) {})
	b.AddUint16(0x1301)
	b.AddUint8(0)
	if exts != nil {
		b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) {
			for _, e := range exts {
				b.AddUint16(e.typ)
				b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes(e.data) })
			}
		})
	}
	return b.BytesOrPanic()
}

func TestServerHelloExtensions(t *testing.T) {
	m, err := parseServerHello(buildServerHello([32]byte{1}, []ext{
		{uint16(ExtSupportedVersions), u16(0x0304)},
		{uint16(ExtKeyShare), cat(u16(29), pre16(make([]byte, 32)))},
		{uint16(ExtPreSharedKey), u16(2)},
		{uint16(ExtEncryptThenMAC), nil},
		{uint16(ExtServerName), nil},
	}))
	if err != nil {
		t.Fatal(err)
	}
	sh := m.(*ServerHello)
	if sh.Version() != VersionTLS13 || sh.KeyShareGroup != 29 || sh.KeyShareLength != 32 || !sh.PreSharedKey || sh.SelectedIdentity != 2 ||
		!sh.EncryptThenMAC || len(sh.Extensions) != 5 || sh.Draft {
		t.Errorf("fields: %+v", sh)
	}
	// A TLS 1.2 server's record_size_limit, max_fragment_length and
	// renegotiation_info.
	m, err = parseServerHello(buildServerHello([32]byte{1}, []ext{
		{uint16(ExtRecordSizeLimit), u16(4096)},
		{uint16(ExtMaxFragmentLength), []byte{2}},
		{uint16(ExtRenegotiationInfo), pre8(make([]byte, 24))},
		{uint16(ExtECPointFormats), pre8([]byte{0, 1})},
	}))
	if err != nil {
		t.Fatal(err)
	}
	if sh := m.(*ServerHello); sh.RecordSizeLimit != 4096 || sh.MaxFragmentLength != 2 || sh.RenegotiationInfoLength != 24 ||
		len(sh.ECPointFormats) != 2 || sh.ECPointFormats[1] != 1 {
		t.Errorf("TLS 1.2 fields: %+v", sh)
	}
	// A HelloRetryRequest's key_share is the group alone.
	m, err = parseServerHello(buildServerHello(helloRetryRequestRandom, []ext{
		{uint16(ExtKeyShare), u16(24)}, {uint16(ExtCookie), pre16([]byte{9})},
	}))
	if err != nil {
		t.Fatal(err)
	}
	if hrr := m.(*ServerHello); !hrr.HelloRetryRequest || hrr.KeyShareGroup != 24 || !hrr.Cookie || hrr.CookieLength != 1 {
		t.Errorf("HRR fields: %+v", hrr)
	}
}

// TestServerHelloDraft18 reads the ServerHello of TLS 1.3 drafts up to 21:
// version, random, cipher_suite and extensions, no session id or
// compression (draft-ietf-tls-tls13-18, Section 4.1.3). Arkime's tls13.pcap
// has one, JA3S "32530,4865,40" (key_share had code point 40 then).
func TestServerHelloDraft18(t *testing.T) {
	body := cat(u16(0x7f12), make([]byte, 32), u16(0x1301), pre16(cat(u16(40), pre16(cat(u16(29), pre16(make([]byte, 32)))))))
	m, err := ParseHandshake(HandshakeServerHello, body)
	if err != nil {
		t.Fatal(err)
	}
	sh := m.(*ServerHello)
	if !sh.Draft || sh.Version() != 0x7f12 || sh.Version().String() != "TLS 1.3 (draft 18)" || sh.CipherSuite != 0x1301 ||
		len(sh.Extensions) != 1 || sh.Extensions[0].Type != 40 || sh.SessionID != nil {
		t.Errorf("draft hello: %+v", sh)
	}
	if s, h := JA3S(sh); s != "32530,4865,40" || h != "b8a8031b301aef7618403061e9f33065" {
		t.Errorf("JA3S %s %s", s, h)
	}
	// Draft 22 and later use the TLS 1.2 layout: a draft-22 version in
	// legacy_version is read that way.
	if _, err := ParseHandshake(HandshakeServerHello, cat(u16(0x7f16), make([]byte, 32), u16(0x1301), pre16(nil))); err == nil {
		t.Error("draft 22 hello in the draft 18 layout parsed")
	}
	// The draft layout needs its extension block.
	if _, err := ParseHandshake(HandshakeServerHello, cat(u16(0x7f12), make([]byte, 32), u16(0x1301))); err == nil {
		t.Error("draft hello without extensions parsed")
	}
}

func TestServerHelloMalformed(t *testing.T) {
	hrr := helloRetryRequestRandom
	tests := []struct {
		name string
		body []byte
	}{
		{"empty", nil},
		{"no compression byte", buildServerHello([32]byte{}, nil)[:37]},
		{"two ALPN protocols", buildServerHello([32]byte{}, []ext{{uint16(ExtALPN), pre16(cat(pre8([]byte("h2")), pre8([]byte("x"))))}})},
		{"key_share group only outside HRR", buildServerHello([32]byte{}, []ext{{uint16(ExtKeyShare), u16(29)}})},
		{"key_share with key in HRR", buildServerHello(hrr, []ext{{uint16(ExtKeyShare), cat(u16(29), pre16([]byte{1}))}})},
		{"supported_versions list form", buildServerHello([32]byte{}, []ext{{uint16(ExtSupportedVersions), pre8(u16(0x0304))}})},
		{"session_ticket with data", buildServerHello([32]byte{}, []ext{{uint16(ExtSessionTicket), []byte{1}}})},
		{"duplicate", buildServerHello([32]byte{}, []ext{{uint16(ExtExtendedMasterSecret), nil}, {uint16(ExtExtendedMasterSecret), nil}})},
		{"trailing", append(buildServerHello([32]byte{}, []ext{}), 0)},
		{"session id of 33", cat([]byte{3, 3}, make([]byte, 32), pre8(make([]byte, 33)), u16(0x1301), []byte{0})},
	}
	for _, tt := range tests {
		_, err := ParseHandshake(HandshakeServerHello, tt.body)
		var de *Error
		if !errors.As(err, &de) || de.Code != CodeMalformedHandshake {
			t.Errorf("%s: err = %v, want malformed_handshake", tt.name, err)
		}
	}
}
