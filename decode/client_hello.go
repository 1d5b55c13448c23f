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
	CompressionMethods []CompressionMethod

	// Extensions lists every extension in wire order, GREASE included:
	// fingerprints depend on the order.
	Extensions []Extension

	ServerName              string
	ALPN                    []string
	SupportedVersions       []Version
	SupportedGroups         []NamedGroup
	ECPointFormats          []ECPointFormat
	KeyShares               []KeyShare
	SignatureAlgorithms     []SignatureScheme
	SignatureAlgorithmsCert []SignatureScheme

	// SessionTicket says the session_ticket extension is present;
	// SessionTicketLength is its length, non-zero for a resumption attempt
	// (RFC 5077, Section 3.2).
	SessionTicket       bool
	SessionTicketLength int

	// StatusRequest says status_request is present; StatusRequestType is
	// its status_type (RFC 6066, Section 8).
	StatusRequest     bool
	StatusRequestType CertificateStatusType

	// PreSharedKey says pre_shared_key is present with PSKIdentities
	// identities (RFC 8446, Section 4.2.11).
	PreSharedKey  bool
	PSKIdentities int
	PSKModes      []PSKKeyExchangeMode
	EarlyData     bool

	ExtendedMasterSecret bool
	EncryptThenMAC       bool
	PostHandshakeAuth    bool

	// RenegotiationInfo says renegotiation_info is present;
	// RenegotiationInfoLength is the length of renegotiated_connection,
	// 0 on an initial handshake (RFC 5746, Section 3.2).
	RenegotiationInfo       bool
	RenegotiationInfoLength int
	// RenegotiatedConnection is renegotiated_connection itself (copied):
	// empty on an initial handshake, the previous handshake's verify_data
	// on a renegotiation (RFC 5746, Sections 3.4 to 3.7).
	RenegotiatedConnection []byte

	// Cookie says cookie is present, echoing a HelloRetryRequest's
	// (RFC 8446, Section 4.2.2); CookieLength is its length.
	Cookie       bool
	CookieLength int

	// RecordSizeLimit is record_size_limit (RFC 8449, Section 4), 0 when
	// absent.
	RecordSizeLimit uint16
	// MaxFragmentLength is max_fragment_length's code (RFC 6066, Section
	// 4: 1..4 for 2^9..2^12 bytes), 0 when absent.
	MaxFragmentLength uint8
	// PaddingLength is the length of padding (RFC 7685), -1 when absent.
	PaddingLength int
	// CompressCertificate lists compress_certificate's algorithms (RFC
	// 8879, Section 3).
	CompressCertificate []CertificateCompressionAlgorithm
	// CertificateAuthorities are certificate_authorities' distinguished
	// names (RFC 8446, Section 4.2.4), as RFC 4514 strings, at most
	// MaxDistinguishedNames of them; CertificateAuthoritiesCount counts
	// them all.
	CertificateAuthorities      []string
	CertificateAuthoritiesCount int
	// ECH is the encrypted_client_hello extension (RFC 9849), nil when
	// absent.
	ECH *ECHClientHello
	// ApplicationSettings lists the protocols of ALPS, under either of
	// its code points (application_settings, application_settings_old).
	ApplicationSettings []string
	// QUICTransportParameters are quic_transport_parameters' (RFC 9001,
	// Section 8.2), in wire order, at most 64; nil when absent.
	QUICTransportParameters []QUICTransportParameter

	// SSLv2 marks a hello that arrived in SSLv2 framing. Its cipher specs
	// whose first byte is 0 are in CipherSuites; the SSLv2-only ones are in
	// SSLv2CipherSpecs. It has no extensions.
	SSLv2            bool
	SSLv2CipherSpecs []uint32
}

// ECH client hello types (RFC 9849, Section 5).
const (
	ECHOuter uint8 = 0
	ECHInner uint8 = 1
)

// ECHClientHello is an encrypted_client_hello extension of a ClientHello
// (RFC 9849, Section 5). An outer one names the ECH configuration and the
// HPKE cipher suite the client chose; an inner one is empty (and is only
// ever seen decrypted).
type ECHClientHello struct {
	Type          uint8 // ECHOuter or ECHInner
	KDF           HPKEKDF
	AEAD          HPKEAEAD
	ConfigID      uint8
	EncLength     int // length of enc, the HPKE encapsulated key (0 after a HelloRetryRequest)
	PayloadLength int // length of the encrypted ClientHelloInner
}

// GREASE reports whether the hello carries a GREASE value (RFC 8701) in its
// cipher suites, extensions, groups, key shares, versions or signature
// algorithms.
func (m *ClientHello) GREASE() bool {
	for _, c := range m.CipherSuites {
		if IsGREASE(uint16(c)) {
			return true
		}
	}
	for _, e := range m.Extensions {
		if IsGREASE(uint16(e.Type)) {
			return true
		}
	}
	for _, g := range m.SupportedGroups {
		if IsGREASE(uint16(g)) {
			return true
		}
	}
	for _, k := range m.KeyShares {
		if IsGREASE(uint16(k.Group)) {
			return true
		}
	}
	for _, v := range m.SupportedVersions {
		if IsGREASE(uint16(v)) {
			return true
		}
	}
	for _, s := range m.SignatureAlgorithms {
		if IsGREASE(uint16(s)) {
			return true
		}
	}
	return false
}

// Type returns HandshakeClientHello.
func (m *ClientHello) Type() HandshakeType { return HandshakeClientHello }

// MaxVersion returns the highest version the client offers: the highest
// non-GREASE supported_versions entry (RFC 8446, Section 4.2.1), else
// legacy_version. DTLS numbers its versions downwards (1.2 is 0xfefd,
// 1.3 0xfefc: RFC 9147, 5.3).
func (m *ClientHello) MaxVersion() Version {
	var max Version
	for _, v := range m.SupportedVersions {
		if !IsGREASE(uint16(v)) && newerVersion(v, max) {
			max = v
		}
	}
	if max == 0 {
		return m.LegacyVersion
	}
	return max
}

// newerVersion says whether a is a later version than b, both TLS or both
// DTLS (or b none yet).
func newerVersion(a, b Version) bool {
	if a>>8 == 0xfe && b>>8 == 0xfe {
		return a < b
	}
	return a > b
}

// clientHelloRoom is a ClientHello allocated with room for the lists a
// current client's hello carries (Chrome's, crypto/tls's and OpenSSL's
// fit), which its slices use when they fit: one allocation for what were
// a dozen, in the 1280-byte size class. Longer lists, from the wire, get
// their own (within).
type clientHelloRoom struct {
	m            ClientHello
	sessionID    [32]byte // its bound (RFC 5246, Section 7.4.1.2)
	suites       [32]CipherSuite
	compression  [1]CompressionMethod
	extensions   [20]Extension
	alpn         [2]string
	versions     [8]Version
	groups       [12]NamedGroup
	pointFormats [3]ECPointFormat
	keyShares    [4]KeyShare
	sigAlgs      [24]SignatureScheme
	sigAlgsCert  [16]SignatureScheme
	pskModes     [2]PSKKeyExchangeMode
	certCompress [4]CertificateCompressionAlgorithm
	alps         [1]string
}

// parseClientHello parses a ClientHello body (RFC 8446, Section 4.1.2;
// extensions are optional before TLS 1.2, RFC 5246 Section 7.4.1.2).
func parseClientHello(body []byte) (Message, error) {
	s := cryptobyte.String(body)
	r := &clientHelloRoom{}
	m := &r.m
	m.PaddingLength = -1
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
	if len(sid) > 0 {
		m.SessionID = r.sessionID[:len(sid):len(sid)]
		copy(m.SessionID, sid)
	}
	m.CipherSuites = uint16s(suites, r.suites[:])
	m.CompressionMethods = within(r.compression[:], len(comp))
	for i, c := range comp {
		m.CompressionMethods[i] = CompressionMethod(c)
	}
	if s.Empty() {
		return m, nil
	}
	exts, err := readExtensions(&s, r.extensions[:], r.extension)
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

// extension records one ClientHello extension, its lists in r's room.
// Unknown types are kept as type and length by readExtensions.
func (r *clientHelloRoom) extension(typ ExtensionType, data cryptobyte.String) error {
	m := &r.m
	var err error
	switch typ {
	case ExtServerName:
		err = m.serverName(data)
	case ExtStatusRequest:
		// RFC 6066, Section 8: status_type, then for ocsp (the only type)
		// responder_id_list and request_extensions.
		var ignored cryptobyte.String
		if !data.ReadUint8((*uint8)(&m.StatusRequestType)) || !data.ReadUint16LengthPrefixed(&ignored) ||
			!data.ReadUint16LengthPrefixed(&ignored) || !data.Empty() {
			return errTruncated
		}
		m.StatusRequest = true
	case ExtSupportedGroups:
		m.SupportedGroups, err = readUint16List(data, r.groups[:])
	case ExtECPointFormats:
		m.ECPointFormats, err = readUint8List(data, r.pointFormats[:])
	case ExtSignatureAlgorithms:
		m.SignatureAlgorithms, err = readUint16List(data, r.sigAlgs[:])
	case ExtSignatureAlgorithmsCert:
		m.SignatureAlgorithmsCert, err = readUint16List(data, r.sigAlgsCert[:])
	case ExtALPN:
		m.ALPN, err = readALPN(data, r.alpn[:])
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
		m.SupportedVersions = uint16s(list, r.versions[:])
	case ExtKeyShare, ExtKeyShareOld:
		// Drafts up to 22 numbered key_share 40 (draft.go).
		err = m.keyShares(data, r.keyShares[:])
	case ExtPreSharedKey:
		err = m.preSharedKey(data)
	case ExtEarlyData:
		m.EarlyData = true
		err = needEmpty(data)
	case ExtPSKKeyExchangeModes:
		m.PSKModes, err = readUint8List(data, r.pskModes[:])
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
	case ExtPostHandshakeAuth:
		m.PostHandshakeAuth = true
		err = needEmpty(data)
	case ExtCookie:
		// RFC 8446, Section 4.2.2: opaque cookie<1..2^16-1>.
		m.CookieLength, err = readCookie(data)
		m.Cookie = true
	case ExtRecordSizeLimit:
		m.RecordSizeLimit, err = readRecordSizeLimit(data)
	case ExtQUICTransportParameters:
		m.QUICTransportParameters, err = readQUICTransportParameters(data)
	case ExtMaxFragmentLength:
		m.MaxFragmentLength, err = readMaxFragmentLength(data)
	case ExtPadding:
		// RFC 7685, Section 3: zero bytes, any length.
		m.PaddingLength = len(data)
	case ExtCompressCertificate:
		// RFC 8879, Section 3: CertificateCompressionAlgorithm
		// algorithms<2..2^8-2>.
		var list cryptobyte.String
		if !data.ReadUint8LengthPrefixed(&list) || !data.Empty() {
			return errTruncated
		}
		if len(list) == 0 || len(list)%2 != 0 {
			return parseError("algorithms length must be even and non-zero")
		}
		m.CompressCertificate = uint16s(list, r.certCompress[:])
	case ExtCertificateAuthorities:
		m.CertificateAuthorities, m.CertificateAuthoritiesCount, err = readCertificateAuthorities(data)
	case ExtEncryptedClientHello:
		m.ECH, err = readECHClientHello(data)
	case ExtApplicationSettings, ExtApplicationSettingsOld:
		// draft-vvv-tls-alps-01, Section 4: ProtocolName
		// supported_protocols<2..2^16-1>, the form of ALPN's list.
		// The first list takes the room; a second, under the other code
		// point, is appended to it.
		if m.ApplicationSettings == nil {
			m.ApplicationSettings, err = readALPN(data, r.alps[:])
			break
		}
		var names []string
		if names, err = readALPN(data, nil); err == nil {
			m.ApplicationSettings = append(m.ApplicationSettings, names...)
		}
	}
	return err
}

// readECHClientHello reads an ECHClientHello (RFC 9849, Section 5): a
// type, then for an outer hello the HPKE cipher suite, config_id, enc<0..2^16-1>
// and payload<1..2^16-1>; an inner hello carries nothing more.
func readECHClientHello(data cryptobyte.String) (*ECHClientHello, error) {
	e := new(ECHClientHello)
	if !data.ReadUint8(&e.Type) {
		return nil, errTruncated
	}
	switch e.Type {
	case ECHInner:
		if !data.Empty() {
			return nil, errTrailing
		}
		return e, nil
	case ECHOuter:
	default:
		return nil, parseError("unknown ECHClientHelloType")
	}
	var enc, payload cryptobyte.String
	if !data.ReadUint16((*uint16)(&e.KDF)) || !data.ReadUint16((*uint16)(&e.AEAD)) ||
		!data.ReadUint8(&e.ConfigID) || !data.ReadUint16LengthPrefixed(&enc) ||
		!data.ReadUint16LengthPrefixed(&payload) || !data.Empty() {
		return nil, errTruncated
	}
	if len(payload) == 0 {
		return nil, parseError("empty payload")
	}
	e.EncLength, e.PayloadLength = len(enc), len(payload)
	return e, nil
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
// list (empty asks for a HelloRetryRequest) of group and non-empty key, in
// room when it fits (within). A first pass checks the framing and counts
// the entries.
func (m *ClientHello) keyShares(data cryptobyte.String, room []KeyShare) error {
	var list cryptobyte.String
	if !data.ReadUint16LengthPrefixed(&list) || !data.Empty() {
		return errTruncated
	}
	n := 0
	for rest := list; !rest.Empty(); n++ {
		var g uint16
		var key cryptobyte.String
		if !rest.ReadUint16(&g) || !rest.ReadUint16LengthPrefixed(&key) {
			return errTruncated
		}
		if len(key) == 0 {
			return parseError("empty key_exchange")
		}
	}
	m.KeyShares = within(room, n)
	for i := range m.KeyShares {
		var g uint16
		var key cryptobyte.String
		list.ReadUint16(&g)
		list.ReadUint16LengthPrefixed(&key)
		m.KeyShares[i] = KeyShare{Group: NamedGroup(g), KeyLength: len(key)}
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
