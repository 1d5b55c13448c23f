package decode

import "golang.org/x/crypto/cryptobyte"

// EncryptedExtensions is the server's TLS 1.3 extension block (RFC 8446,
// Section 4.3.1). It is encrypted on the wire; this parser serves callers
// that decrypt, and keeps type and length of each extension.
type EncryptedExtensions struct {
	Extensions []Extension
}

// Type returns HandshakeEncryptedExtensions.
func (m *EncryptedExtensions) Type() HandshakeType { return HandshakeEncryptedExtensions }

func parseEncryptedExtensions(body []byte) (Message, error) {
	s := cryptobyte.String(body)
	exts, err := readExtensions(&s, func(ExtensionType, cryptobyte.String) error { return nil })
	if err != nil {
		return nil, err
	}
	return &EncryptedExtensions{Extensions: exts}, nil
}
