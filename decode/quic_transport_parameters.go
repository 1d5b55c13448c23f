package decode

import (
	"strconv"

	"golang.org/x/crypto/cryptobyte"
)

// QUICTransportParameter is one transport parameter (RFC 9000, Section
// 18): its id, and its value as its kind has it: a number for the integer
// ones, the bytes of the connection IDs and others (copied).
type QUICTransportParameter struct {
	ID     uint64
	Length int
	// Value is set for the parameters whose value is a variable-length
	// integer (HasValue).
	Value    uint64
	HasValue bool
	// Bytes is the value of the connection ID parameters
	// (original_destination_connection_id, initial_source_connection_id,
	// retry_source_connection_id), nil for the others.
	Bytes []byte
}

// Name is the parameter's name in IANA's QUIC Transport Parameters
// registry, "grease" for a reserved id (31 * N + 27, RFC 9000, Section
// 18.1), else its id in hex.
func (p QUICTransportParameter) Name() string {
	if n, ok := quicTransportParameterNames[p.ID]; ok {
		return n.name
	}
	if p.ID >= 27 && (p.ID-27)%31 == 0 {
		return "grease"
	}
	return "0x" + strconv.FormatUint(p.ID, 16)
}

type quicParameterKind uint8

const (
	quicParamOpaque quicParameterKind = iota
	quicParamInteger
	quicParamConnectionID
)

// quicTransportParameterNames are the registered parameters (RFC 9000,
// Section 18.2; RFC 9368, RFC 9221, RFC 9287) and how their values read.
var quicTransportParameterNames = map[uint64]struct {
	name string
	kind quicParameterKind
}{
	0x00:   {"original_destination_connection_id", quicParamConnectionID},
	0x01:   {"max_idle_timeout", quicParamInteger},
	0x02:   {"stateless_reset_token", quicParamOpaque},
	0x03:   {"max_udp_payload_size", quicParamInteger},
	0x04:   {"initial_max_data", quicParamInteger},
	0x05:   {"initial_max_stream_data_bidi_local", quicParamInteger},
	0x06:   {"initial_max_stream_data_bidi_remote", quicParamInteger},
	0x07:   {"initial_max_stream_data_uni", quicParamInteger},
	0x08:   {"initial_max_streams_bidi", quicParamInteger},
	0x09:   {"initial_max_streams_uni", quicParamInteger},
	0x0a:   {"ack_delay_exponent", quicParamInteger},
	0x0b:   {"max_ack_delay", quicParamInteger},
	0x0c:   {"disable_active_migration", quicParamOpaque},
	0x0d:   {"preferred_address", quicParamOpaque},
	0x0e:   {"active_connection_id_limit", quicParamInteger},
	0x0f:   {"initial_source_connection_id", quicParamConnectionID},
	0x10:   {"retry_source_connection_id", quicParamConnectionID},
	0x11:   {"version_information", quicParamOpaque},
	0x20:   {"max_datagram_frame_size", quicParamInteger},
	0x2ab2: {"grease_quic_bit", quicParamOpaque},
}

// maxQUICTransportParameters bounds the parameters kept of one extension:
// a real one has about twenty.
const maxQUICTransportParameters = 64

// readQUICTransportParameters reads TransportParameters (RFC 9000, Section
// 18): a sequence of (id, length, value), ids and lengths as
// variable-length integers, to the end of the extension.
func readQUICTransportParameters(data cryptobyte.String) ([]QUICTransportParameter, error) {
	var out []QUICTransportParameter
	for !data.Empty() {
		var p QUICTransportParameter
		var val cryptobyte.String
		if !readQUICVarint(&data, &p.ID) || !readQUICVarintPrefixed(&data, &val) {
			return nil, parseError("truncated quic_transport_parameters")
		}
		p.Length = len(val)
		switch quicTransportParameterNames[p.ID].kind {
		case quicParamInteger:
			// RFC 9000, Section 18.2: the value is one variable-length
			// integer that fills the parameter.
			if !readQUICVarint(&val, &p.Value) || !val.Empty() {
				return nil, parseError(p.Name() + " is not one variable-length integer")
			}
			p.HasValue = true
		case quicParamConnectionID:
			if len(val) > 20 {
				return nil, parseError(p.Name() + " longer than 20 bytes")
			}
			p.Bytes = append([]byte{}, val...)
		}
		if len(out) < maxQUICTransportParameters {
			out = append(out, p)
		}
	}
	return out, nil
}

// readQUICVarint reads a QUIC variable-length integer (RFC 9000, Section
// 16): the two high bits of its first byte give its length.
func readQUICVarint(s *cryptobyte.String, v *uint64) bool {
	if s.Empty() {
		return false
	}
	var b []byte
	if !s.ReadBytes(&b, 1<<((*s)[0]>>6)) {
		return false
	}
	x := uint64(b[0] & 0x3f)
	for _, c := range b[1:] {
		x = x<<8 | uint64(c)
	}
	*v = x
	return true
}

func readQUICVarintPrefixed(s *cryptobyte.String, out *cryptobyte.String) bool {
	var n uint64
	if !readQUICVarint(s, &n) || n > uint64(len(*s)) {
		return false
	}
	return s.ReadBytes((*[]byte)(out), int(n))
}
