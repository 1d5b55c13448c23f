package decode

// curveTypeNamedCurve is ECCurveType named_curve (RFC 8422, Section 5.4).
const curveTypeNamedCurve = 3

// ServerKeyExchange is the server's key exchange parameters (RFC 5246,
// Section 7.4.3). Their format depends on the cipher suite, which this
// package does not track, so it is decoded on a best-effort basis: when
// the body looks like ServerECDHParams with a named curve (curve_type 3,
// a group, and a point that fits), CurveType and NamedGroup are set.
// A DHE body can also start with 3 (a dh_p of 768 to 1023 bytes), so
// flows should trust NamedGroup only for ECDHE suites.
type ServerKeyExchange struct {
	Length     int
	CurveType  uint8
	NamedGroup NamedGroup
}

// Type returns HandshakeServerKeyExchange.
func (m *ServerKeyExchange) Type() HandshakeType { return HandshakeServerKeyExchange }

// parseServerKeyExchange fails only on an empty body: every key exchange
// that sends the message sends parameters.
func parseServerKeyExchange(body []byte) (Message, error) {
	if len(body) == 0 {
		return nil, parseError("empty body")
	}
	m := &ServerKeyExchange{Length: len(body)}
	// RFC 8422, Section 5.4: curve_type(1) named_curve(2) point<1..2^8-1>.
	if len(body) >= 5 && body[0] == curveTypeNamedCurve && body[3] > 0 && 4+int(body[3]) <= len(body) {
		m.CurveType = curveTypeNamedCurve
		m.NamedGroup = NamedGroup(uint16(body[1])<<8 | uint16(body[2]))
	}
	return m, nil
}
