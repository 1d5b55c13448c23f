package decode

// Finished is a plaintext Finished (RFC 5246, Section 7.4.9): normally it
// is encrypted and arrives as EventEncryptedHandshake. Its verify_data is
// 12 bytes in TLS, 36 in SSL 3.0 and the hash length in TLS 1.3, so only
// its length is kept.
type Finished struct {
	Length int
}

// Type returns HandshakeFinished.
func (m *Finished) Type() HandshakeType { return HandshakeFinished }

func parseFinished(body []byte) (Message, error) {
	return &Finished{Length: len(body)}, nil
}
