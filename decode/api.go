package decode

// This file fixes the API that flows/ is written against. Implementations
// live in the other files of the package.

// ContentType is the TLS record content type (RFC 8446, Section 5.1).
type ContentType uint8

// Record content types.
const (
	ContentChangeCipherSpec ContentType = 20 // change_cipher_spec
	ContentAlert            ContentType = 21 // alert
	ContentHandshake        ContentType = 22 // handshake
	ContentApplicationData  ContentType = 23 // application_data
	ContentHeartbeat        ContentType = 24 // heartbeat
)

// Version is a protocol version as carried on the wire (0x0300 SSL 3.0 ...
// 0x0304 TLS 1.3). String gives "SSL 3.0", "TLS 1.0" ... "TLS 1.3", else "0x%04x".
type Version uint16

// Protocol versions.
const (
	VersionSSL30 Version = 0x0300
	VersionTLS10 Version = 0x0301
	VersionTLS11 Version = 0x0302
	VersionTLS12 Version = 0x0303
	VersionTLS13 Version = 0x0304
)

// HandshakeType is the msg_type of a handshake message (RFC 8446, Section 4).
// String gives the snake_case name used in reports ("client_hello").
type HandshakeType uint8

// Handshake types.
const (
	HandshakeHelloRequest       HandshakeType = 0 // hello_request
	HandshakeClientHello        HandshakeType = 1 // client_hello
	HandshakeServerHello        HandshakeType = 2 // server_hello
	HandshakeHelloVerifyRequest HandshakeType = 3 // hello_verify_request
	HandshakeNewSessionTicket   HandshakeType = 4 // new_session_ticket
	HandshakeEndOfEarlyData     HandshakeType = 5 // end_of_early_data
	// HandshakeHelloRetryRequest is TLS 1.3 drafts' up to 21 (draft.go).
	HandshakeHelloRetryRequest   HandshakeType = 6   // hello_retry_request_RESERVED
	HandshakeEncryptedExtensions HandshakeType = 8   // encrypted_extensions
	HandshakeCertificate         HandshakeType = 11  // certificate
	HandshakeServerKeyExchange   HandshakeType = 12  // server_key_exchange
	HandshakeCertificateRequest  HandshakeType = 13  // certificate_request
	HandshakeServerHelloDone     HandshakeType = 14  // server_hello_done
	HandshakeCertificateVerify   HandshakeType = 15  // certificate_verify
	HandshakeClientKeyExchange   HandshakeType = 16  // client_key_exchange
	HandshakeFinished            HandshakeType = 20  // finished
	HandshakeCertificateURL      HandshakeType = 21  // certificate_url
	HandshakeCertificateStatus   HandshakeType = 22  // certificate_status
	HandshakeSupplementalData    HandshakeType = 23  // supplemental_data
	HandshakeKeyUpdate           HandshakeType = 24  // key_update
	HandshakeMessageHash         HandshakeType = 254 // message_hash
)

// CipherSuite is a cipher suite code point; String gives the IANA name or "0x%04x".
type CipherSuite uint16

// ExtensionType is a TLS extension code point; String gives the IANA name.
type ExtensionType uint16

// NamedGroup is a supported_groups / key_share code point.
type NamedGroup uint16

// SignatureScheme is a signature_algorithms code point.
type SignatureScheme uint16

// AlertLevel is 1 (warning) or 2 (fatal); String gives "warning"/"fatal".
type AlertLevel uint8

// AlertDescription is an alert description; String gives the IANA snake_case name.
type AlertDescription uint8

// ErrorCode names what is wrong with malformed input. Its values are the
// violation codes of docs/handshake-order.md section 6 that malformed bytes
// map to.
type ErrorCode string

// Error codes.
const (
	CodeMalformedRecord    ErrorCode = "malformed_record"
	CodeMalformedHandshake ErrorCode = "malformed_handshake"
	CodeRecordOverflow     ErrorCode = "record_overflow"
	CodeUnknownContentType ErrorCode = "unknown_content_type"
)

// Error is a decoding failure: the code, the stream offset where the bad
// record or message starts, and a human-readable reason.
type Error struct {
	Code   ErrorCode
	Offset int64
	Reason string
}

func (e *Error) Error() string { return string(e.Code) + ": " + e.Reason }

// EventKind says what an Event is.
type EventKind uint8

// Event kinds.
const (
	EventHandshake          EventKind = iota + 1 // a plaintext handshake message, parsed into Message
	EventEncryptedHandshake                      // a handshake record after SetEncrypted (TLS <= 1.2 Finished)
	EventChangeCipherSpec                        // a change_cipher_spec record
	EventAlert                                   // a plaintext alert (Alert is set)
	EventEncryptedAlert                          // an alert record after SetEncrypted
	EventApplicationData                         // an application_data record (opaque; in TLS 1.3 any protected record)
	EventHeartbeat                               // a heartbeat record
)

// Event is one thing seen in a direction, in wire order.
type Event struct {
	Kind          EventKind
	RecordVersion Version // legacy_record_version of the record that carried (or completed) it
	// Length is the handshake body length for EventHandshake, else the record length.
	Length  int
	Message Message // EventHandshake only
	Alert   Alert   // EventAlert only
	// Raw is the handshake message as sent, its 4-byte header included
	// (EventHandshake with Options.Raw), or the record's body
	// (EventApplicationData, EventEncryptedHandshake,
	// EventEncryptedAlert, and EventChangeCipherSpec after SetEncrypted,
	// with KeepProtected): what a transcript hashes or a key decrypts. It
	// aliases the Stream's buffers and is valid until the next call to
	// Next or Feed.
	Raw []byte
}

// Alert is a plaintext alert.
type Alert struct {
	Level       AlertLevel
	Description AlertDescription
}

// Message is a typed handshake message: *ClientHello, *ServerHello, ...,
// or *UnknownHandshake for types without a parser.
type Message interface {
	Type() HandshakeType
}
