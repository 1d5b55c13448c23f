package decode

// ServerHelloDone ends the server's hello flight (RFC 5246, Section 7.4.5).
type ServerHelloDone struct{}

// Type returns HandshakeServerHelloDone.
func (m *ServerHelloDone) Type() HandshakeType { return HandshakeServerHelloDone }

// parseServerHelloDone: "struct { } ServerHelloDone;", so the body is empty.
func parseServerHelloDone(body []byte) (Message, error) {
	if len(body) != 0 {
		return nil, errTrailing
	}
	return &ServerHelloDone{}, nil
}
