package flows

import (
	"bytes"
	"encoding/hex"
	"testing"

	"github.com/hsdecode/hsdecode/stream"
)

// TestTLSHello: a DTLS ClientHello read as TLS's: its cookie out, its
// versions TLS's, supported_versions' entries too; a ServerHello's
// version and supported_version.
func TestTLSHello(t *testing.T) {
	// legacy_version fefd, random, empty session_id, a 3-byte cookie,
	// one suite, null compression, supported_versions [fefc, fefd].
	random := bytes.Repeat([]byte{7}, 32)
	body := append([]byte{0xfe, 0xfd}, random...)
	body = append(body, 0, 3, 'c', 'o', 'o', 0, 2, 0x13, 0x01, 1, 0)
	body = append(body, 0, 9, 0, 43, 0, 5, 4, 0xfe, 0xfc, 0xfe, 0xfd)
	m := append([]byte{1, 0, 0, byte(len(body))}, body...)
	out, cookie, ok := tlsHello(m, true)
	if !ok || cookie != 3 {
		t.Fatalf("ok %v, cookie %d", ok, cookie)
	}
	want := append([]byte{0x03, 0x03}, random...)
	want = append(want, 0, 0, 2, 0x13, 0x01, 1, 0)
	want = append(want, 0, 9, 0, 43, 0, 5, 4, 0x03, 0x04, 0x03, 0x03)
	want = append([]byte{1, 0, 0, byte(len(want))}, want...)
	if !bytes.Equal(out, want) {
		t.Errorf("client hello\n got %s\nwant %s", hex.EncodeToString(out), hex.EncodeToString(want))
	}
	sh := append([]byte{0xfe, 0xfd}, random...)
	sh = append(sh, 0, 0x13, 0x01, 0, 0, 6, 0, 43, 0, 2, 0xfe, 0xfc)
	out, _, ok = tlsHello(append([]byte{2, 0, 0, byte(len(sh))}, sh...), false)
	if !ok || out[4] != 3 || out[5] != 3 || !bytes.HasSuffix(out, []byte{0, 43, 0, 2, 3, 4}) {
		t.Errorf("server hello %x, ok %v", out, ok)
	}
	if _, _, ok := tlsHello(m[:40], true); ok {
		t.Error("a truncated hello read")
	}
}

// FuzzDTLS drives a DTLS consumer with datagrams, in the input format of
// FuzzQUIC.
func FuzzDTLS(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) { fuzzDatagrams(t, stream.TransportDTLS, data) })
}
