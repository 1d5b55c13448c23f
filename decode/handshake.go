package decode

import "fmt"

// UnknownHandshake is a handshake message of a type without a parser here
// (for example certificate_url, or a type no RFC defines). It is data, not
// an error: flows decides whether its type is allowed.
type UnknownHandshake struct {
	HandshakeType HandshakeType
	Length        int
}

// Type returns the message's own type.
func (m *UnknownHandshake) Type() HandshakeType { return m.HandshakeType }

// handshakeParsers dispatches a handshake body by its type, as
// http2.frameParsers does. A nil entry means "keep type and length only".
// The TLS 1.3 encrypted-flight messages (encrypted_extensions,
// key_update, ...) are listed for callers that decrypt; a passive Stream
// only meets them in plaintext when a peer misbehaves.
var handshakeParsers = [...]func([]byte) (Message, error){
	HandshakeHelloRequest:        parseHelloRequest,
	HandshakeClientHello:         parseClientHello,
	HandshakeServerHello:         parseServerHello,
	HandshakeHelloRetryRequest:   parseHelloRetryRequest,
	HandshakeNewSessionTicket:    parseNewSessionTicket,
	HandshakeEncryptedExtensions: parseEncryptedExtensions,
	HandshakeCertificate:         parseCertificate,
	HandshakeServerKeyExchange:   parseServerKeyExchange,
	HandshakeCertificateRequest:  parseCertificateRequest,
	HandshakeServerHelloDone:     parseServerHelloDone,
	HandshakeCertificateVerify:   parseCertificateVerify,
	HandshakeClientKeyExchange:   parseClientKeyExchange,
	HandshakeFinished:            parseFinished,
	HandshakeCertificateStatus:   parseCertificateStatus,
	HandshakeKeyUpdate:           parseKeyUpdate,
}

// ParseHandshake parses the body of one handshake message of type typ (the
// bytes after the 4-byte header), as Stream does. Unknown types give an
// *UnknownHandshake. A body that does not parse gives a *Error with
// CodeMalformedHandshake and Offset 0. The message does not keep body.
func ParseHandshake(typ HandshakeType, body []byte) (Message, error) {
	m, err := parseHandshake(typ, body)
	if err != nil {
		return nil, err
	}
	return m, nil
}

// parseHandshake returns a concrete *Error so that Stream can set its offset.
func parseHandshake(typ HandshakeType, body []byte) (Message, *Error) {
	if int(typ) >= len(handshakeParsers) || handshakeParsers[typ] == nil {
		return &UnknownHandshake{HandshakeType: typ, Length: len(body)}, nil
	}
	m, err := handshakeParsers[typ](body)
	if err != nil {
		return nil, &Error{Code: CodeMalformedHandshake, Reason: fmt.Sprintf("%s: %v", typ, err)}
	}
	return m, nil
}

// parseError is the reason a body does not parse; the caller adds the type.
type parseError string

func (e parseError) Error() string { return string(e) }

// errTruncated is the common reason: a field or vector runs past the end
// of its container.
const errTruncated parseError = "truncated or overlong field"

// errTrailing reports bytes left after the last field of a structure.
const errTrailing parseError = "trailing bytes"
