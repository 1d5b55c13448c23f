package decode

// ClientKeyExchange carries the client's key exchange value (RFC 5246,
// Section 7.4.7). Its format depends on the cipher suite and it may even
// be empty (an implicit Diffie-Hellman value, Section 7.4.7.2), so only
// its length is kept.
type ClientKeyExchange struct {
	Length int
}

// Type returns HandshakeClientKeyExchange.
func (m *ClientKeyExchange) Type() HandshakeType { return HandshakeClientKeyExchange }

func parseClientKeyExchange(body []byte) (Message, error) {
	return &ClientKeyExchange{Length: len(body)}, nil
}
