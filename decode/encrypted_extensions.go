package decode

import "golang.org/x/crypto/cryptobyte"

// EncryptedExtensions is the server's TLS 1.3 extension block (RFC 8446,
// Section 4.3.1). It is encrypted on the wire; this parser serves callers
// that decrypt. It keeps type and length of each extension, and reads
// those a TLS 1.2 server puts in its ServerHello and a TLS 1.3 one here.
type EncryptedExtensions struct {
	Extensions []Extension
	// ALPN is the protocol the server selected (RFC 7301, Section 3.1).
	ALPN string
	// ServerName says the server acknowledged the client's server_name
	// with an empty one (RFC 6066, Section 3).
	ServerName bool
	// MaxFragmentLength echoes the client's code (RFC 6066, Section 4),
	// RecordSizeLimit is the server's limit (RFC 8449, Section 4); 0
	// when absent.
	MaxFragmentLength uint8
	RecordSizeLimit   uint16
	// EarlyData says the server accepted the client's 0-RTT data (RFC
	// 8446, Section 4.2.10).
	EarlyData bool
	// QUICTransportParameters are the server's quic_transport_parameters
	// (RFC 9001, Section 8.2), nil when absent.
	QUICTransportParameters []QUICTransportParameter
}

// Type returns HandshakeEncryptedExtensions.
func (m *EncryptedExtensions) Type() HandshakeType { return HandshakeEncryptedExtensions }

// encryptedExtensionsRoom is an EncryptedExtensions allocated with room
// for the extensions a server sends (within).
type encryptedExtensionsRoom struct {
	m          EncryptedExtensions
	extensions [6]Extension
}

func parseEncryptedExtensions(body []byte) (Message, error) {
	s := cryptobyte.String(body)
	r := new(encryptedExtensionsRoom)
	m := &r.m
	var err error
	m.Extensions, err = readExtensions(&s, r.extensions[:], func(typ ExtensionType, data cryptobyte.String) error {
		var err error
		switch typ {
		case ExtALPN:
			m.ALPN, err = readProtocol(data)
		case ExtServerName:
			m.ServerName = true
			err = needEmpty(data)
		case ExtMaxFragmentLength:
			m.MaxFragmentLength, err = readMaxFragmentLength(data)
		case ExtRecordSizeLimit:
			m.RecordSizeLimit, err = readRecordSizeLimit(data)
		case ExtEarlyData:
			m.EarlyData = true
			err = needEmpty(data)
		case ExtQUICTransportParameters:
			m.QUICTransportParameters, err = readQUICTransportParameters(data)
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return m, nil
}
