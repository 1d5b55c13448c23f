package decode

// HelloRequest asks the client to renegotiate (RFC 5246, Section 7.4.1.1).
type HelloRequest struct{}

// Type returns HandshakeHelloRequest.
func (m *HelloRequest) Type() HandshakeType { return HandshakeHelloRequest }

// parseHelloRequest: "struct { } HelloRequest;", so the body is empty.
func parseHelloRequest(body []byte) (Message, error) {
	if len(body) != 0 {
		return nil, errTrailing
	}
	return &HelloRequest{}, nil
}
