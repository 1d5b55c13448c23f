package decode

import "golang.org/x/crypto/cryptobyte"

// ClientHello is the client's first message (RFC 5246, Section 7.4.1.2;
// RFC 8446, Section 4.1.2), or an SSLv2-compatible CLIENT-HELLO converted to
// it (RFC 5246, Appendix E.2). Byte slices are copies.
type ClientHello struct {
	LegacyVersion      Version
	Random             [32]byte
	SessionID          []byte
	CipherSuites       []CipherSuite
	CompressionMethods []uint8

	// Extensions lists every extension in wire order, GREASE included:
	// fingerprints depend on the order.
	Extensions []Extension

	ServerName              string
	ALPN                    []string
	SupportedVersions       []Version
	SupportedGroups         []NamedGroup
	ECPointFormats          []uint8
	KeyShares               []KeyShare
	SignatureAlgorithms     []SignatureScheme
	SignatureAlgorithmsCert []SignatureScheme

	// SessionTicket says the session_ticket extension is present;
	// SessionTicketLength is its length, non-zero for a resumption attempt
	// (RFC 5077, Section 3.2).
	SessionTicket       bool
	SessionTicketLength int

	StatusRequest        bool
	PreSharedKey         bool
	PSKIdentities        int
	EarlyData            bool
	PSKModes             []uint8
	ExtendedMasterSecret bool
	RenegotiationInfo    bool
	EncryptThenMAC       bool
	PostHandshakeAuth    bool
	Cookie               bool

	// SSLv2 marks a hello that arrived in SSLv2 framing. Its cipher specs
	// whose first byte is 0 are in CipherSuites; the SSLv2-only ones are in
	// SSLv2CipherSpecs. It has no extensions.
	SSLv2            bool
	SSLv2CipherSpecs []uint32
}

// Type returns HandshakeClientHello.
func (m *ClientHello) Type() HandshakeType { return HandshakeClientHello }

// MaxVersion returns the highest version the client offers: the highest
// non-GREASE supported_versions entry (RFC 8446, Section 4.2.1), else
// legacy_version.
func (m *ClientHello) MaxVersion() Version {
	var max Version
	for _, v := range m.SupportedVersions {
		if !IsGREASE(uint16(v)) && v > max {
			max = v
		}
	}
	if max == 0 {
		return m.LegacyVersion
	}
	return max
}

// parseClientHello parses a ClientHello body (RFC 8446, Section 4.1.2;
// extensions are optional before TLS 1.2, RFC 5246 Section 7.4.1.2).
func parseClientHello(body []byte) (Message, error) {
	s := cryptobyte.String(body)
	m := new(ClientHello)
	var sid, suites, comp cryptobyte.String
	if !s.ReadUint16((*uint16)(&m.LegacyVersion)) || !s.CopyBytes(m.Random[:]) ||
		!s.ReadUint8LengthPrefixed(&sid) || !s.ReadUint16LengthPrefixed(&suites) ||
		!s.ReadUint8LengthPrefixed(&comp) {
		return nil, errTruncated
	}
	// RFC 5246, Section 7.4.1.2: SessionID <0..32>,
	// CipherSuite cipher_suites<2..2^16-2>, compression_methods<1..2^8-1>.
	if len(sid) > 32 {
		return nil, parseError("session_id longer than 32 bytes")
	}
	if len(suites) == 0 || len(suites)%2 != 0 {
		return nil, parseError("cipher_suites length must be even and non-zero")
	}
	if len(comp) == 0 {
		return nil, parseError("empty compression_methods")
	}
	m.SessionID = append([]byte(nil), sid...)
	m.CipherSuites = make([]CipherSuite, 0, len(suites)/2)
	for !suites.Empty() {
		var c uint16
		suites.ReadUint16(&c)
		m.CipherSuites = append(m.CipherSuites, CipherSuite(c))
	}
	m.CompressionMethods = append([]uint8(nil), comp...)
	if s.Empty() {
		return m, nil
	}
	exts, err := readExtensions(&s, m.extension)
	if err != nil {
		return nil, err
	}
	m.Extensions = exts
	// RFC 8446, Section 4.2.11: pre_shared_key MUST be the last extension.
	if m.PreSharedKey && exts[len(exts)-1].Type != ExtPreSharedKey {
		return nil, parseError("pre_shared_key is not the last extension")
	}
	return m, nil
}

// extension records one ClientHello extension. Unknown types are kept as
// type and length by readExtensions.
func (m *ClientHello) extension(typ ExtensionType, data cryptobyte.String) error {
	var err error
	switch typ {
	case ExtServerName:
		err = m.serverName(data)
	case ExtStatusRequest:
		// RFC 6066, Section 8: status_type, then for ocsp (the only type)
		// responder_id_list and request_extensions.
		var statusType uint8
		var ignored cryptobyte.String
		if !data.ReadUint8(&statusType) || !data.ReadUint16LengthPrefixed(&ignored) ||
			!data.ReadUint16LengthPrefixed(&ignored) || !data.Empty() {
			return errTruncated
		}
		m.StatusRequest = true
	case ExtSupportedGroups:
		m.SupportedGroups, err = readUint16List[NamedGroup](data)
	case ExtECPointFormats:
		m.ECPointFormats, err = readUint8List(data)
	case ExtSignatureAlgorithms:
		m.SignatureAlgorithms, err = readUint16List[SignatureScheme](data)
	case ExtSignatureAlgorithmsCert:
		m.SignatureAlgorithmsCert, err = readUint16List[SignatureScheme](data)
	case ExtALPN:
		m.ALPN, err = readALPN(data)
	case ExtSessionTicket:
		// RFC 5077, Section 3.2: the body is the ticket, empty when the
		// client has none.
		m.SessionTicket, m.SessionTicketLength = true, len(data)
	case ExtSupportedVersions:
		// RFC 8446, Section 4.2.1: ProtocolVersion versions<2..254>.
		var list cryptobyte.String
		if !data.ReadUint8LengthPrefixed(&list) || !data.Empty() {
			return errTruncated
		}
		if len(list) == 0 || len(list)%2 != 0 {
			return parseError("versions length must be even and non-zero")
		}
		for !list.Empty() {
			var v uint16
			list.ReadUint16(&v)
			m.SupportedVersions = append(m.SupportedVersions, Version(v))
		}
	case ExtKeyShare:
		err = m.keyShares(data)
	case ExtPreSharedKey:
		err = m.preSharedKey(data)
	case ExtEarlyData:
		m.EarlyData = true
		err = needEmpty(data)
	case ExtPSKKeyExchangeModes:
		m.PSKModes, err = readUint8List(data)
	case ExtExtendedMasterSecret:
		m.ExtendedMasterSecret = true
		err = needEmpty(data)
	case ExtRenegotiationInfo:
		m.RenegotiationInfo = true
		err = readRenegotiationInfo(data)
	case ExtEncryptThenMAC:
		m.EncryptThenMAC = true
		err = needEmpty(data)
	case ExtPostHandshakeAuth:
		m.PostHandshakeAuth = true
		err = needEmpty(data)
	case ExtCookie:
		// RFC 8446, Section 4.2.2: opaque cookie<1..2^16-1>.
		var c cryptobyte.String
		if !data.ReadUint16LengthPrefixed(&c) || !data.Empty() || len(c) == 0 {
			return errTruncated
		}
		m.Cookie = true
	}
	return err
}

// serverName reads a ServerNameList (RFC 6066, Section 3) and keeps the
// host_name. Other name types are skipped, as crypto/tls does; two
// host_names are an error ("MUST NOT contain more than one name of the
// same name_type").
func (m *ClientHello) serverName(data cryptobyte.String) error {
	var list cryptobyte.String
	if !data.ReadUint16LengthPrefixed(&list) || !data.Empty() || list.Empty() {
		return errTruncated
	}
	seenHost := false
	for !list.Empty() {
		var nameType uint8
		var name cryptobyte.String
		if !list.ReadUint8(&nameType) || !list.ReadUint16LengthPrefixed(&name) {
			return errTruncated
		}
		if nameType != 0 {
			continue
		}
		if seenHost {
			return parseError("more than one host_name")
		}
		if len(name) == 0 {
			return parseError("empty host_name")
		}
		seenHost = true
		m.ServerName = string(name)
	}
	return nil
}

// keyShares reads client_shares (RFC 8446, Section 4.2.8): a possibly empty
// list (empty asks for a HelloRetryRequest) of group and non-empty key.
func (m *ClientHello) keyShares(data cryptobyte.String) error {
	var list cryptobyte.String
	if !data.ReadUint16LengthPrefixed(&list) || !data.Empty() {
		return errTruncated
	}
	m.KeyShares = []KeyShare{}
	for !list.Empty() {
		var g uint16
		var key cryptobyte.String
		if !list.ReadUint16(&g) || !list.ReadUint16LengthPrefixed(&key) {
			return errTruncated
		}
		if len(key) == 0 {
			return parseError("empty key_exchange")
		}
		m.KeyShares = append(m.KeyShares, KeyShare{Group: NamedGroup(g), KeyLength: len(key)})
	}
	return nil
}

// preSharedKey reads an OfferedPsks (RFC 8446, Section 4.2.11):
// identities<7..2^16-1> of non-empty identity and ticket age, then
// binders<33..2^16-1> of PskBinderEntry<32..255>.
func (m *ClientHello) preSharedKey(data cryptobyte.String) error {
	var ids, binders cryptobyte.String
	if !data.ReadUint16LengthPrefixed(&ids) || !data.ReadUint16LengthPrefixed(&binders) || !data.Empty() {
		return errTruncated
	}
	if ids.Empty() || binders.Empty() {
		return parseError("empty identities or binders")
	}
	for !ids.Empty() {
		var id cryptobyte.String
		var age uint32
		if !ids.ReadUint16LengthPrefixed(&id) || !ids.ReadUint32(&age) {
			return errTruncated
		}
		if len(id) == 0 {
			return parseError("empty identity")
		}
		m.PSKIdentities++
	}
	nb := 0
	for !binders.Empty() {
		var b cryptobyte.String
		if !binders.ReadUint8LengthPrefixed(&b) {
			return errTruncated
		}
		if len(b) < 32 {
			return parseError("binder shorter than 32 bytes")
		}
		nb++
	}
	// RFC 8446, Section 4.2.11: one binder per identity, in the same order.
	if nb != m.PSKIdentities {
		return parseError("binder count differs from identity count")
	}
	m.PreSharedKey = true
	return nil
}
