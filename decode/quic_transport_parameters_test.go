package decode

import (
	"encoding/hex"
	"testing"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/crypto/cryptobyte"
)

// TestQUICTransportParameters reads the quic_transport_parameters of the
// ClientHello of RFC 9001, Appendix A.2.
func TestQUICTransportParameters(t *testing.T) {
	b, _ := hex.DecodeString("0408ffffffffffffffff05048000ffff07048000ffff0801100104800075300901100f088394c8f03e51570806048000ffff")
	got, err := readQUICTransportParameters(cryptobyte.String(b))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	var values []uint64
	for _, p := range got {
		names = append(names, p.Name())
		values = append(values, p.Value)
	}
	wantNames := []string{"initial_max_data", "initial_max_stream_data_bidi_local", "initial_max_stream_data_uni", "initial_max_streams_bidi",
		"max_idle_timeout", "initial_max_streams_uni", "initial_source_connection_id", "initial_max_stream_data_bidi_remote"}
	if diff := cmp.Diff(wantNames, names); diff != "" {
		t.Errorf("names (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]uint64{1<<62 - 1, 0xffff, 0xffff, 16, 30000, 16, 0, 0xffff}, values); diff != "" {
		t.Errorf("values (-want +got):\n%s", diff)
	}
	if hex.EncodeToString(got[6].Bytes) != "8394c8f03e515708" {
		t.Errorf("initial_source_connection_id %x", got[6].Bytes)
	}
	for _, bad := range []string{"0104ff", "010280007530", "0f15" + "000102030405060708090a0b0c0d0e0f1011121314"} {
		b, _ := hex.DecodeString(bad)
		if _, err := readQUICTransportParameters(cryptobyte.String(b)); err == nil {
			t.Errorf("%s: no error", bad)
		}
	}
	if n := (QUICTransportParameter{ID: 27 + 31*5}).Name(); n != "grease" {
		t.Errorf("reserved id named %q", n)
	}
}
