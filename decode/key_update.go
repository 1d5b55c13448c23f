package decode

// KeyUpdate announces new traffic keys (RFC 8446, Section 4.6.3). It is
// encrypted on the wire; this parser serves callers that decrypt.
type KeyUpdate struct {
	RequestUpdate uint8
}

// Type returns HandshakeKeyUpdate.
func (m *KeyUpdate) Type() HandshakeType { return HandshakeKeyUpdate }

// parseKeyUpdate: KeyUpdateRequest is update_not_requested(0) or
// update_requested(1); other values are an illegal_parameter.
func parseKeyUpdate(body []byte) (Message, error) {
	if len(body) != 1 {
		return nil, parseError("body is not one byte")
	}
	if body[0] > 1 {
		return nil, parseError("request_update is neither 0 nor 1")
	}
	return &KeyUpdate{RequestUpdate: body[0]}, nil
}
