package decode

import (
	"bytes"

	"golang.org/x/crypto/cryptobyte"
)

// helloRetryRequestRandom is the Random of a HelloRetryRequest, SHA-256 of
// "HelloRetryRequest" (RFC 8446, Section 4.1.3).
var helloRetryRequestRandom = [32]byte{
	0xCF, 0x21, 0xAD, 0x74, 0xE5, 0x9A, 0x61, 0x11, 0xBE, 0x1D, 0x8C, 0x02, 0x1E, 0x65, 0xB8, 0x91,
	0xC2, 0xA2, 0x11, 0x16, 0x7A, 0xBB, 0x8C, 0x5E, 0x07, 0x9E, 0x09, 0xE2, 0xC8, 0xA8, 0x33, 0x9C,
}

// ServerHello is the server's hello (RFC 5246, Section 7.4.1.3; RFC 8446,
// Section 4.1.3), a HelloRetryRequest included: its Type is still
// HandshakeServerHello and HelloRetryRequest is set (a TLS 1.3 draft's
// own hello_retry_request message, type 6, is one too, with that Type:
// draft.go). Byte slices are copies.
type ServerHello struct {
	LegacyVersion     Version
	Random            [32]byte
	SessionID         []byte
	CipherSuite       CipherSuite
	CompressionMethod CompressionMethod
	Extensions        []Extension

	// SupportedVersion is the selected_version of supported_versions, 0
	// when the extension is absent.
	SupportedVersion Version
	// KeyShareGroup is the server's key_share group, or the group a
	// HelloRetryRequest asks for; KeyShareLength is the length of the
	// server's key_exchange (0 in a HelloRetryRequest).
	KeyShareGroup        NamedGroup
	KeyShareLength       int
	ALPN                 string
	PreSharedKey         bool
	SelectedIdentity     uint16
	SessionTicket        bool
	StatusRequest        bool
	ExtendedMasterSecret bool
	EncryptThenMAC       bool
	ECPointFormats       []ECPointFormat

	// RenegotiationInfo says renegotiation_info is present;
	// RenegotiationInfoLength is the length of renegotiated_connection
	// (RFC 5746, Section 3.2).
	RenegotiationInfo       bool
	RenegotiationInfoLength int
	// RenegotiatedConnection is renegotiated_connection itself (copied):
	// empty on an initial handshake, the previous handshake's verify_data
	// on a renegotiation (RFC 5746, Sections 3.4 to 3.7).
	RenegotiatedConnection []byte

	// Cookie says a HelloRetryRequest carries cookie (RFC 8446, Section
	// 4.2.2); CookieLength is its length.
	Cookie       bool
	CookieLength int

	// RecordSizeLimit is record_size_limit (RFC 8449, Section 4; a TLS 1.2
	// server sends it here), 0 when absent.
	RecordSizeLimit uint16
	// MaxFragmentLength echoes the client's max_fragment_length code (RFC
	// 6066, Section 4), 0 when absent.
	MaxFragmentLength uint8

	// HelloRetryRequest says Random is the RFC 8446 Section 4.1.3 constant.
	HelloRetryRequest bool
	// Draft says the hello has the layout of TLS 1.3 drafts 0 to 21: no
	// legacy_session_id_echo and no compression method, the draft version
	// in LegacyVersion (draft-ietf-tls-tls13-21, Section 4.1.3); with
	// HelloRetryRequest, it came as their hello_retry_request message
	// (type 6, draft-ietf-tls-tls13-21, Section 4.1.4), its
	// server_version in LegacyVersion.
	Draft bool
}

// Type returns HandshakeServerHello, for a HelloRetryRequest too, but
// HandshakeHelloRetryRequest for the drafts' own message of that type.
func (m *ServerHello) Type() HandshakeType {
	if m.Draft && m.HelloRetryRequest {
		return HandshakeHelloRetryRequest
	}
	return HandshakeServerHello
}

// Version returns the negotiated version: supported_versions when present
// (RFC 8446, Section 4.2.1), else legacy_version.
func (m *ServerHello) Version() Version {
	if m.SupportedVersion != 0 {
		return m.SupportedVersion
	}
	return m.LegacyVersion
}

// HasKeyShare reports whether the hello carries key_share: extension 51,
// or 40 in TLS 1.3 drafts up to 22 (draft.go).
func (m *ServerHello) HasKeyShare() bool {
	for _, e := range m.Extensions {
		if e.Type == ExtKeyShare || e.Type == ExtKeyShareOld {
			return true
		}
	}
	return false
}

// serverHelloRoom is a ServerHello allocated with room for its session id
// and the lists a server's hello carries, which its slices use when they
// fit (within).
type serverHelloRoom struct {
	m            ServerHello
	sessionID    [32]byte // its bound (RFC 5246, Section 7.4.1.3)
	extensions   [8]Extension
	pointFormats [3]ECPointFormat
}

// parseServerHello parses a ServerHello body (RFC 8446, Section 4.1.3).
func parseServerHello(body []byte) (Message, error) {
	s := cryptobyte.String(body)
	r := new(serverHelloRoom)
	m := &r.m
	if !s.ReadUint16((*uint16)(&m.LegacyVersion)) || !s.CopyBytes(m.Random[:]) {
		return nil, errTruncated
	}
	if isEarlyDraft13(m.LegacyVersion) {
		// draft-ietf-tls-tls13-18, Section 4.1.3: version, random,
		// cipher_suite, extensions<0..2^16-1>. Draft 22 brought back the
		// TLS 1.2 layout, with the version in supported_versions.
		m.Draft = true
		if !s.ReadUint16((*uint16)(&m.CipherSuite)) {
			return nil, errTruncated
		}
		exts, err := readExtensions(&s, r.extensions[:], r.extension)
		if err != nil {
			return nil, err
		}
		m.Extensions = exts
		return m, nil
	}
	var sid cryptobyte.String
	if !s.ReadUint8LengthPrefixed(&sid) || !s.ReadUint16((*uint16)(&m.CipherSuite)) ||
		!s.ReadUint8((*uint8)(&m.CompressionMethod)) {
		return nil, errTruncated
	}
	if len(sid) > 32 {
		return nil, parseError("session_id longer than 32 bytes")
	}
	if len(sid) > 0 {
		m.SessionID = r.sessionID[:len(sid):len(sid)]
		copy(m.SessionID, sid)
	}
	m.HelloRetryRequest = bytes.Equal(m.Random[:], helloRetryRequestRandom[:])
	if s.Empty() {
		return m, nil
	}
	exts, err := readExtensions(&s, r.extensions[:], r.extension)
	if err != nil {
		return nil, err
	}
	m.Extensions = exts
	return m, nil
}

// extension records one ServerHello extension, its lists in r's room.
// Unknown types are kept as type and length by readExtensions.
func (r *serverHelloRoom) extension(typ ExtensionType, data cryptobyte.String) error {
	m := &r.m
	var err error
	switch typ {
	case ExtServerName:
		// RFC 6066, Section 3: the server's extension_data is empty.
		err = needEmpty(data)
	case ExtStatusRequest:
		// RFC 6066, Section 8: empty in ServerHello.
		m.StatusRequest = true
		err = needEmpty(data)
	case ExtECPointFormats:
		m.ECPointFormats, err = readUint8List(data, r.pointFormats[:])
	case ExtALPN:
		m.ALPN, err = readProtocol(data)
	case ExtSessionTicket:
		// RFC 5077, Section 3.2: empty in ServerHello.
		m.SessionTicket = true
		err = needEmpty(data)
	case ExtSupportedVersions:
		// RFC 8446, Section 4.2.1: selected_version alone.
		if !data.ReadUint16((*uint16)(&m.SupportedVersion)) || !data.Empty() {
			return errTruncated
		}
	case ExtKeyShare, ExtKeyShareOld:
		// RFC 8446, Section 4.2.8: a HelloRetryRequest carries only the
		// selected_group; a ServerHello one KeyShareEntry. Drafts up to
		// 22 numbered it 40 (draft.go).
		if !data.ReadUint16((*uint16)(&m.KeyShareGroup)) {
			return errTruncated
		}
		if !m.HelloRetryRequest {
			var key cryptobyte.String
			if !data.ReadUint16LengthPrefixed(&key) || len(key) == 0 {
				return errTruncated
			}
			m.KeyShareLength = len(key)
		}
		err = needEmpty(data)
	case ExtPreSharedKey:
		// RFC 8446, Section 4.2.11: selected_identity.
		if !data.ReadUint16(&m.SelectedIdentity) || !data.Empty() {
			return errTruncated
		}
		m.PreSharedKey = true
	case ExtCookie:
		m.CookieLength, err = readCookie(data)
		m.Cookie = true
	case ExtRecordSizeLimit:
		m.RecordSizeLimit, err = readRecordSizeLimit(data)
	case ExtMaxFragmentLength:
		m.MaxFragmentLength, err = readMaxFragmentLength(data)
	case ExtExtendedMasterSecret:
		m.ExtendedMasterSecret = true
		err = needEmpty(data)
	case ExtRenegotiationInfo:
		m.RenegotiationInfo = true
		m.RenegotiatedConnection, err = readRenegotiationInfo(data)
		m.RenegotiationInfoLength = len(m.RenegotiatedConnection)
	case ExtEncryptThenMAC:
		m.EncryptThenMAC = true
		err = needEmpty(data)
	}
	return err
}
