package decode

import "golang.org/x/crypto/cryptobyte"

// VersionSSL20 is the RecordVersion of an Event whose record used SSLv2
// framing: the SSLv2-compatible ClientHello (RFC 5246, Appendix E.2).
const VersionSSL20 Version = 0x0002

// parseSSLv2ClientHello parses the body of an SSLv2-framed CLIENT-HELLO,
// after the 2-byte record header (RFC 5246, Appendix E.2; RFC 6101,
// Appendix E):
//
//	uint8 msg_type = 1; Version version;
//	uint16 cipher_spec_length; uint16 session_id_length; uint16 challenge_length;
//	V2CipherSpec cipher_specs[cipher_spec_length];   (3 bytes each)
//	opaque session_id[session_id_length];
//	opaque challenge[challenge_length];
func parseSSLv2ClientHello(body []byte) (*ClientHello, *Error) {
	ch, err := sslv2Hello(body)
	if err != nil {
		return nil, &Error{Code: CodeMalformedHandshake, Reason: "SSLv2 client_hello: " + err.Error()}
	}
	return ch, nil
}

func sslv2Hello(body []byte) (*ClientHello, error) {
	s := cryptobyte.String(body)
	var msgType uint8
	var specLen, sidLen, chalLen uint16
	m := &ClientHello{SSLv2: true}
	if !s.ReadUint8(&msgType) || !s.ReadUint16((*uint16)(&m.LegacyVersion)) ||
		!s.ReadUint16(&specLen) || !s.ReadUint16(&sidLen) || !s.ReadUint16(&chalLen) {
		return nil, errTruncated
	}
	if msgType != sslv2MsgClientHello {
		return nil, parseError("not a CLIENT-HELLO")
	}
	// E.2: cipher specs are 3 bytes each and at least one is sent; the
	// session id is empty or 16 bytes in SSLv2 (accept up to 32, the TLS
	// bound); the challenge is 16 to 32 bytes.
	if specLen == 0 || specLen%3 != 0 {
		return nil, parseError("cipher_spec_length must be a non-zero multiple of 3")
	}
	if sidLen > 32 {
		return nil, parseError("session_id longer than 32 bytes")
	}
	if chalLen < 16 || chalLen > 32 {
		return nil, parseError("challenge length outside 16..32")
	}
	var specs, sid, chal cryptobyte.String
	if !s.ReadBytes((*[]byte)(&specs), int(specLen)) || !s.ReadBytes((*[]byte)(&sid), int(sidLen)) ||
		!s.ReadBytes((*[]byte)(&chal), int(chalLen)) {
		return nil, errTruncated
	}
	if !s.Empty() {
		return nil, errTrailing
	}
	for !specs.Empty() {
		var spec uint32
		specs.ReadUint24(&spec)
		// E.2: "V2CipherSpecs with the first byte equal to zero" are TLS
		// cipher suites in the last two bytes; the rest are SSLv2-only.
		if spec>>16 == 0 {
			m.CipherSuites = append(m.CipherSuites, CipherSuite(spec))
		} else {
			m.SSLv2CipherSpecs = append(m.SSLv2CipherSpecs, spec)
		}
	}
	m.SessionID = append([]byte{}, sid...)
	// E.1/E.2: ClientHello.random is the challenge right-justified and
	// padded with leading zeros.
	copy(m.Random[32-len(chal):], chal)
	// SSLv2 has no compression; the TLS server treats it as null only.
	m.CompressionMethods = []CompressionMethod{0}
	return m, nil
}
