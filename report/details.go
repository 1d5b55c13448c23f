package report

import (
	"encoding/hex"
	"fmt"
	"time"

	"github.com/hsdecode/hsdecode/decode"
	"github.com/hsdecode/hsdecode/flows"
)

// The detail objects of the JSON report (README, "Handshake details"):
// what each plaintext handshake message says, named as the RFCs and IANA
// name it. Absent data is left out; an extension whose presence is the
// fact (early_data, extended_master_secret, ...) is a true boolean, one
// with a length a *int, so that a zero length still shows.

// certTimeLayout is RFC 3339 in UTC, to the second (certificate and OCSP
// times have no fraction).
const certTimeLayout = "2006-01-02T15:04:05Z"

type jsonExtension struct {
	Type   string `json:"type"`
	Length int    `json:"length"`
}

func (e *jsonExtension) appendJSON(b []byte) []byte {
	b = append(b, '{')
	b = appendStringField(b, "type", e.Type, always)
	b = appendIntField(b, "length", e.Length, always)
	return append(b, '}')
}

type jsonKeyShare struct {
	Group  string `json:"group"`
	Length int    `json:"length,omitempty"`
}

func (k *jsonKeyShare) appendJSON(b []byte) []byte {
	b = append(b, '{')
	b = appendStringField(b, "group", k.Group, always)
	b = appendIntField(b, "length", k.Length, omitEmpty)
	return append(b, '}')
}

type jsonECH struct {
	Type          string `json:"type"`
	KDF           string `json:"kdf,omitempty"`
	AEAD          string `json:"aead,omitempty"`
	ConfigID      *int   `json:"config_id,omitempty"`
	EncLength     *int   `json:"enc_length,omitempty"`
	PayloadLength int    `json:"payload_length,omitempty"`
}

func (j *jsonECH) appendJSON(b []byte) []byte {
	b = append(b, '{')
	b = appendStringField(b, "type", j.Type, always)
	b = appendStringField(b, "kdf", j.KDF, omitEmpty)
	b = appendStringField(b, "aead", j.AEAD, omitEmpty)
	if j.ConfigID != nil {
		b = appendIntField(b, "config_id", *j.ConfigID, always)
	}
	if j.EncLength != nil {
		b = appendIntField(b, "enc_length", *j.EncLength, always)
	}
	b = appendIntField(b, "payload_length", j.PayloadLength, omitEmpty)
	return append(b, '}')
}

type jsonClientHello struct {
	Version                       string          `json:"version"`
	Random                        string          `json:"random"`
	SessionID                     string          `json:"session_id,omitempty"`
	CipherSuites                  []string        `json:"cipher_suites"`
	CompressionMethods            []string        `json:"compression_methods"`
	Extensions                    []jsonExtension `json:"extensions,omitempty"`
	ServerName                    string          `json:"server_name,omitempty"`
	ALPN                          []string        `json:"alpn,omitempty"`
	SupportedVersions             []string        `json:"supported_versions,omitempty"`
	SupportedGroups               []string        `json:"supported_groups,omitempty"`
	ECPointFormats                []string        `json:"ec_point_formats,omitempty"`
	SignatureAlgorithms           []string        `json:"signature_algorithms,omitempty"`
	SignatureAlgorithmsCert       []string        `json:"signature_algorithms_cert,omitempty"`
	KeyShares                     []jsonKeyShare  `json:"key_shares,omitempty"`
	PSKIdentities                 int             `json:"psk_identities,omitempty"`
	PSKKeyExchangeModes           []string        `json:"psk_key_exchange_modes,omitempty"`
	EarlyData                     bool            `json:"early_data,omitempty"`
	CookieLength                  *int            `json:"cookie_length,omitempty"`
	StatusRequest                 string          `json:"status_request,omitempty"`
	SessionTicketLength           *int            `json:"session_ticket_length,omitempty"`
	RenegotiationInfoLength       *int            `json:"renegotiation_info_length,omitempty"`
	ExtendedMasterSecret          bool            `json:"extended_master_secret,omitempty"`
	EncryptThenMAC                bool            `json:"encrypt_then_mac,omitempty"`
	PostHandshakeAuth             bool            `json:"post_handshake_auth,omitempty"`
	RecordSizeLimit               int             `json:"record_size_limit,omitempty"`
	MaxFragmentLength             int             `json:"max_fragment_length,omitempty"`
	PaddingLength                 *int            `json:"padding_length,omitempty"`
	CompressCertificate           []string        `json:"compress_certificate,omitempty"`
	CertificateAuthorities        []string        `json:"certificate_authorities,omitempty" text:"dn"`
	CertificateAuthoritiesOmitted int             `json:"certificate_authorities_omitted,omitempty"`
	EncryptedClientHello          *jsonECH        `json:"encrypted_client_hello,omitempty"`
	ApplicationSettings           []string        `json:"application_settings,omitempty"`
	GREASE                        bool            `json:"grease,omitempty"`
	SSLv2                         bool            `json:"sslv2,omitempty"`
	SSLv2CipherSpecs              []string        `json:"sslv2_cipher_specs,omitempty"`
}

func (j *jsonClientHello) appendJSON(b []byte) []byte {
	b = append(b, '{')
	b = appendStringField(b, "version", j.Version, always)
	b = appendStringField(b, "random", j.Random, always)
	b = appendStringField(b, "session_id", j.SessionID, omitEmpty)
	b = appendStringsField(b, "cipher_suites", j.CipherSuites, always)
	b = appendStringsField(b, "compression_methods", j.CompressionMethods, always)
	b = appendObjectsField(b, "extensions", j.Extensions, (*jsonExtension).appendJSON)
	b = appendStringField(b, "server_name", j.ServerName, omitEmpty)
	b = appendStringsField(b, "alpn", j.ALPN, omitEmpty)
	b = appendStringsField(b, "supported_versions", j.SupportedVersions, omitEmpty)
	b = appendStringsField(b, "supported_groups", j.SupportedGroups, omitEmpty)
	b = appendStringsField(b, "ec_point_formats", j.ECPointFormats, omitEmpty)
	b = appendStringsField(b, "signature_algorithms", j.SignatureAlgorithms, omitEmpty)
	b = appendStringsField(b, "signature_algorithms_cert", j.SignatureAlgorithmsCert, omitEmpty)
	b = appendObjectsField(b, "key_shares", j.KeyShares, (*jsonKeyShare).appendJSON)
	b = appendIntField(b, "psk_identities", j.PSKIdentities, omitEmpty)
	b = appendStringsField(b, "psk_key_exchange_modes", j.PSKKeyExchangeModes, omitEmpty)
	b = appendBoolField(b, "early_data", j.EarlyData, omitEmpty)
	if j.CookieLength != nil {
		b = appendIntField(b, "cookie_length", *j.CookieLength, always)
	}
	b = appendStringField(b, "status_request", j.StatusRequest, omitEmpty)
	if j.SessionTicketLength != nil {
		b = appendIntField(b, "session_ticket_length", *j.SessionTicketLength, always)
	}
	if j.RenegotiationInfoLength != nil {
		b = appendIntField(b, "renegotiation_info_length", *j.RenegotiationInfoLength, always)
	}
	b = appendBoolField(b, "extended_master_secret", j.ExtendedMasterSecret, omitEmpty)
	b = appendBoolField(b, "encrypt_then_mac", j.EncryptThenMAC, omitEmpty)
	b = appendBoolField(b, "post_handshake_auth", j.PostHandshakeAuth, omitEmpty)
	b = appendIntField(b, "record_size_limit", j.RecordSizeLimit, omitEmpty)
	b = appendIntField(b, "max_fragment_length", j.MaxFragmentLength, omitEmpty)
	if j.PaddingLength != nil {
		b = appendIntField(b, "padding_length", *j.PaddingLength, always)
	}
	b = appendStringsField(b, "compress_certificate", j.CompressCertificate, omitEmpty)
	b = appendStringsField(b, "certificate_authorities", j.CertificateAuthorities, omitEmpty)
	b = appendIntField(b, "certificate_authorities_omitted", j.CertificateAuthoritiesOmitted, omitEmpty)
	if j.EncryptedClientHello != nil {
		b = j.EncryptedClientHello.appendJSON(appendKey(b, "encrypted_client_hello"))
	}
	b = appendStringsField(b, "application_settings", j.ApplicationSettings, omitEmpty)
	b = appendBoolField(b, "grease", j.GREASE, omitEmpty)
	b = appendBoolField(b, "sslv2", j.SSLv2, omitEmpty)
	b = appendStringsField(b, "sslv2_cipher_specs", j.SSLv2CipherSpecs, omitEmpty)
	return append(b, '}')
}

type jsonServerHello struct {
	Version                 string          `json:"version"`
	Random                  string          `json:"random"`
	SessionID               string          `json:"session_id,omitempty"`
	CipherSuite             string          `json:"cipher_suite"`
	CompressionMethod       string          `json:"compression_method,omitempty"`
	Extensions              []jsonExtension `json:"extensions,omitempty"`
	SupportedVersion        string          `json:"supported_version,omitempty"`
	KeyShare                *jsonKeyShare   `json:"key_share,omitempty"`
	ALPN                    string          `json:"alpn,omitempty"`
	ECPointFormats          []string        `json:"ec_point_formats,omitempty"`
	PSKSelectedIdentity     *int            `json:"psk_selected_identity,omitempty"`
	CookieLength            *int            `json:"cookie_length,omitempty"`
	SessionTicket           bool            `json:"session_ticket,omitempty"`
	StatusRequest           bool            `json:"status_request,omitempty"`
	RenegotiationInfoLength *int            `json:"renegotiation_info_length,omitempty"`
	ExtendedMasterSecret    bool            `json:"extended_master_secret,omitempty"`
	EncryptThenMAC          bool            `json:"encrypt_then_mac,omitempty"`
	RecordSizeLimit         int             `json:"record_size_limit,omitempty"`
	MaxFragmentLength       int             `json:"max_fragment_length,omitempty"`
}

func (j *jsonServerHello) appendJSON(b []byte) []byte {
	b = append(b, '{')
	b = appendStringField(b, "version", j.Version, always)
	b = appendStringField(b, "random", j.Random, always)
	b = appendStringField(b, "session_id", j.SessionID, omitEmpty)
	b = appendStringField(b, "cipher_suite", j.CipherSuite, always)
	b = appendStringField(b, "compression_method", j.CompressionMethod, omitEmpty)
	b = appendObjectsField(b, "extensions", j.Extensions, (*jsonExtension).appendJSON)
	b = appendStringField(b, "supported_version", j.SupportedVersion, omitEmpty)
	if j.KeyShare != nil {
		b = j.KeyShare.appendJSON(appendKey(b, "key_share"))
	}
	b = appendStringField(b, "alpn", j.ALPN, omitEmpty)
	b = appendStringsField(b, "ec_point_formats", j.ECPointFormats, omitEmpty)
	if j.PSKSelectedIdentity != nil {
		b = appendIntField(b, "psk_selected_identity", *j.PSKSelectedIdentity, always)
	}
	if j.CookieLength != nil {
		b = appendIntField(b, "cookie_length", *j.CookieLength, always)
	}
	b = appendBoolField(b, "session_ticket", j.SessionTicket, omitEmpty)
	b = appendBoolField(b, "status_request", j.StatusRequest, omitEmpty)
	if j.RenegotiationInfoLength != nil {
		b = appendIntField(b, "renegotiation_info_length", *j.RenegotiationInfoLength, always)
	}
	b = appendBoolField(b, "extended_master_secret", j.ExtendedMasterSecret, omitEmpty)
	b = appendBoolField(b, "encrypt_then_mac", j.EncryptThenMAC, omitEmpty)
	b = appendIntField(b, "record_size_limit", j.RecordSizeLimit, omitEmpty)
	b = appendIntField(b, "max_fragment_length", j.MaxFragmentLength, omitEmpty)
	return append(b, '}')
}

type jsonCertificate struct {
	Subject            string   `json:"subject,omitempty" text:"dn"`
	Issuer             string   `json:"issuer,omitempty" text:"dn"`
	SerialNumber       string   `json:"serial,omitempty"`
	NotBefore          string   `json:"not_before,omitempty"`
	NotAfter           string   `json:"not_after,omitempty"`
	SANDNS             []string `json:"san_dns,omitempty"`
	SANIP              []string `json:"san_ip,omitempty"`
	SANEmail           []string `json:"san_email,omitempty"`
	SANURI             []string `json:"san_uri,omitempty"`
	PublicKeyAlgorithm string   `json:"public_key_algorithm,omitempty"`
	PublicKeyBits      int      `json:"public_key_bits,omitempty"`
	Curve              string   `json:"curve,omitempty"`
	SignatureAlgorithm string   `json:"signature_algorithm,omitempty"`
	IsCA               bool     `json:"is_ca,omitempty"`
	Version            int      `json:"version,omitempty"`
	Length             int      `json:"length"`
	SHA256             string   `json:"sha256"`
	SHA1               string   `json:"sha1"`
	Error              string   `json:"error,omitempty"`
}

func (j *jsonCertificate) appendJSON(b []byte) []byte {
	b = append(b, '{')
	b = appendStringField(b, "subject", j.Subject, omitEmpty)
	b = appendStringField(b, "issuer", j.Issuer, omitEmpty)
	b = appendStringField(b, "serial", j.SerialNumber, omitEmpty)
	b = appendStringField(b, "not_before", j.NotBefore, omitEmpty)
	b = appendStringField(b, "not_after", j.NotAfter, omitEmpty)
	b = appendStringsField(b, "san_dns", j.SANDNS, omitEmpty)
	b = appendStringsField(b, "san_ip", j.SANIP, omitEmpty)
	b = appendStringsField(b, "san_email", j.SANEmail, omitEmpty)
	b = appendStringsField(b, "san_uri", j.SANURI, omitEmpty)
	b = appendStringField(b, "public_key_algorithm", j.PublicKeyAlgorithm, omitEmpty)
	b = appendIntField(b, "public_key_bits", j.PublicKeyBits, omitEmpty)
	b = appendStringField(b, "curve", j.Curve, omitEmpty)
	b = appendStringField(b, "signature_algorithm", j.SignatureAlgorithm, omitEmpty)
	b = appendBoolField(b, "is_ca", j.IsCA, omitEmpty)
	b = appendIntField(b, "version", j.Version, omitEmpty)
	b = appendIntField(b, "length", j.Length, always)
	b = appendStringField(b, "sha256", j.SHA256, always)
	b = appendStringField(b, "sha1", j.SHA1, always)
	b = appendStringField(b, "error", j.Error, omitEmpty)
	return append(b, '}')
}

type jsonCertificates struct {
	Server        []jsonCertificate `json:"server,omitempty"`
	ServerOmitted int               `json:"server_omitted,omitempty"`
	Client        []jsonCertificate `json:"client,omitempty"`
	ClientOmitted int               `json:"client_omitted,omitempty"`
}

func (j *jsonCertificates) appendJSON(b []byte) []byte {
	b = append(b, '{')
	b = appendObjectsField(b, "server", j.Server, (*jsonCertificate).appendJSON)
	b = appendIntField(b, "server_omitted", j.ServerOmitted, omitEmpty)
	b = appendObjectsField(b, "client", j.Client, (*jsonCertificate).appendJSON)
	b = appendIntField(b, "client_omitted", j.ClientOmitted, omitEmpty)
	return append(b, '}')
}

type jsonServerKeyExchange struct {
	KeyExchange        string  `json:"key_exchange"`
	CurveType          string  `json:"curve_type,omitempty"`
	NamedGroup         string  `json:"named_group,omitempty"`
	PublicKeyLength    int     `json:"public_key_length,omitempty"`
	DHPrimeBits        int     `json:"dh_prime_bits,omitempty"`
	DHGeneratorBits    int     `json:"dh_generator_bits,omitempty"`
	RSAModulusBits     int     `json:"rsa_modulus_bits,omitempty"`
	SRPPrimeBits       int     `json:"srp_prime_bits,omitempty"`
	PSKIdentityHint    *string `json:"psk_identity_hint,omitempty"`
	SignatureAlgorithm string  `json:"signature_algorithm,omitempty"`
	SignatureLength    *int    `json:"signature_length,omitempty"`
}

func (j *jsonServerKeyExchange) appendJSON(b []byte) []byte {
	b = append(b, '{')
	b = appendStringField(b, "key_exchange", j.KeyExchange, always)
	b = appendStringField(b, "curve_type", j.CurveType, omitEmpty)
	b = appendStringField(b, "named_group", j.NamedGroup, omitEmpty)
	b = appendIntField(b, "public_key_length", j.PublicKeyLength, omitEmpty)
	b = appendIntField(b, "dh_prime_bits", j.DHPrimeBits, omitEmpty)
	b = appendIntField(b, "dh_generator_bits", j.DHGeneratorBits, omitEmpty)
	b = appendIntField(b, "rsa_modulus_bits", j.RSAModulusBits, omitEmpty)
	b = appendIntField(b, "srp_prime_bits", j.SRPPrimeBits, omitEmpty)
	if j.PSKIdentityHint != nil {
		b = appendStringField(b, "psk_identity_hint", *j.PSKIdentityHint, always)
	}
	b = appendStringField(b, "signature_algorithm", j.SignatureAlgorithm, omitEmpty)
	if j.SignatureLength != nil {
		b = appendIntField(b, "signature_length", *j.SignatureLength, always)
	}
	return append(b, '}')
}

type jsonCertificateRequest struct {
	CertificateTypes              []string `json:"certificate_types"`
	SignatureAlgorithms           []string `json:"signature_algorithms,omitempty"`
	CertificateAuthorities        []string `json:"certificate_authorities,omitempty" text:"dn"`
	CertificateAuthoritiesOmitted int      `json:"certificate_authorities_omitted,omitempty"`
}

func (j *jsonCertificateRequest) appendJSON(b []byte) []byte {
	b = append(b, '{')
	b = appendStringsField(b, "certificate_types", j.CertificateTypes, always)
	b = appendStringsField(b, "signature_algorithms", j.SignatureAlgorithms, omitEmpty)
	b = appendStringsField(b, "certificate_authorities", j.CertificateAuthorities, omitEmpty)
	b = appendIntField(b, "certificate_authorities_omitted", j.CertificateAuthoritiesOmitted, omitEmpty)
	return append(b, '}')
}

type jsonOCSP struct {
	Length     int    `json:"length"`
	Status     string `json:"status,omitempty"`
	CertStatus string `json:"cert_status,omitempty"`
	RevokedAt  string `json:"revoked_at,omitempty"`
	ProducedAt string `json:"produced_at,omitempty"`
	ThisUpdate string `json:"this_update,omitempty"`
	NextUpdate string `json:"next_update,omitempty"`
	Responses  int    `json:"responses,omitempty"`
	Error      string `json:"error,omitempty"`
}

func (j *jsonOCSP) appendJSON(b []byte) []byte {
	b = append(b, '{')
	b = appendIntField(b, "length", j.Length, always)
	b = appendStringField(b, "status", j.Status, omitEmpty)
	b = appendStringField(b, "cert_status", j.CertStatus, omitEmpty)
	b = appendStringField(b, "revoked_at", j.RevokedAt, omitEmpty)
	b = appendStringField(b, "produced_at", j.ProducedAt, omitEmpty)
	b = appendStringField(b, "this_update", j.ThisUpdate, omitEmpty)
	b = appendStringField(b, "next_update", j.NextUpdate, omitEmpty)
	b = appendIntField(b, "responses", j.Responses, omitEmpty)
	b = appendStringField(b, "error", j.Error, omitEmpty)
	return append(b, '}')
}

type jsonCertificateStatus struct {
	StatusType     string     `json:"status_type"`
	ResponseLength int        `json:"response_length"`
	OCSP           []jsonOCSP `json:"ocsp,omitempty"`
}

func (j *jsonCertificateStatus) appendJSON(b []byte) []byte {
	b = append(b, '{')
	b = appendStringField(b, "status_type", j.StatusType, always)
	b = appendIntField(b, "response_length", j.ResponseLength, always)
	b = appendObjectsField(b, "ocsp", j.OCSP, (*jsonOCSP).appendJSON)
	return append(b, '}')
}

type jsonNewSessionTicket struct {
	LifetimeHint uint32 `json:"lifetime_hint"`
	TicketLength int    `json:"ticket_length"`
}

func (j *jsonNewSessionTicket) appendJSON(b []byte) []byte {
	b = append(b, '{')
	b = appendIntField(b, "lifetime_hint", j.LifetimeHint, always)
	b = appendIntField(b, "ticket_length", j.TicketLength, always)
	return append(b, '}')
}

type jsonClientKeyExchange struct {
	KeyExchange string  `json:"key_exchange"`
	KeyLength   int     `json:"key_length"`
	PSKIdentity *string `json:"psk_identity,omitempty"`
}

func (j *jsonClientKeyExchange) appendJSON(b []byte) []byte {
	b = append(b, '{')
	b = appendStringField(b, "key_exchange", j.KeyExchange, always)
	b = appendIntField(b, "key_length", j.KeyLength, always)
	if j.PSKIdentity != nil {
		b = appendStringField(b, "psk_identity", *j.PSKIdentity, always)
	}
	return append(b, '}')
}

// names maps code points to their names.
func names[T fmt.Stringer](vs []T) []string {
	if len(vs) == 0 {
		return nil
	}
	out := make([]string, len(vs))
	for i, v := range vs {
		out[i] = v.String()
	}
	return out
}

func extensions(exts []decode.Extension) []jsonExtension {
	if len(exts) == 0 {
		return nil
	}
	out := make([]jsonExtension, len(exts))
	for i, e := range exts {
		out[i] = jsonExtension{Type: e.Type.String(), Length: e.Length}
	}
	return out
}

func intp(v int) *int { return &v }

// maxFragmentBytes turns a max_fragment_length code into bytes (RFC 6066,
// Section 4: 2^(8+code)).
func maxFragmentBytes(code uint8) int {
	if code == 0 {
		return 0
	}
	return 1 << (8 + int(code))
}

func clientHelloJSON(ch *decode.ClientHello) *jsonClientHello {
	j := &jsonClientHello{
		Version:                 ch.LegacyVersion.String(),
		Random:                  hex.EncodeToString(ch.Random[:]),
		SessionID:               hex.EncodeToString(ch.SessionID),
		CipherSuites:            names(ch.CipherSuites),
		CompressionMethods:      names(ch.CompressionMethods),
		Extensions:              extensions(ch.Extensions),
		ServerName:              ch.ServerName,
		ALPN:                    ch.ALPN,
		SupportedVersions:       names(ch.SupportedVersions),
		SupportedGroups:         names(ch.SupportedGroups),
		ECPointFormats:          names(ch.ECPointFormats),
		SignatureAlgorithms:     names(ch.SignatureAlgorithms),
		SignatureAlgorithmsCert: names(ch.SignatureAlgorithmsCert),
		PSKIdentities:           ch.PSKIdentities,
		PSKKeyExchangeModes:     names(ch.PSKModes),
		EarlyData:               ch.EarlyData,
		ExtendedMasterSecret:    ch.ExtendedMasterSecret,
		EncryptThenMAC:          ch.EncryptThenMAC,
		PostHandshakeAuth:       ch.PostHandshakeAuth,
		RecordSizeLimit:         int(ch.RecordSizeLimit),
		MaxFragmentLength:       maxFragmentBytes(ch.MaxFragmentLength),
		CompressCertificate:     names(ch.CompressCertificate),
		CertificateAuthorities:  ch.CertificateAuthorities,
		ApplicationSettings:     ch.ApplicationSettings,
		GREASE:                  ch.GREASE(),
		SSLv2:                   ch.SSLv2,
	}
	if ch.CipherSuites == nil {
		j.CipherSuites = []string{}
	}
	for _, k := range ch.KeyShares {
		j.KeyShares = append(j.KeyShares, jsonKeyShare{Group: k.Group.String(), Length: k.KeyLength})
	}
	if ch.Cookie {
		j.CookieLength = intp(ch.CookieLength)
	}
	if ch.StatusRequest {
		j.StatusRequest = ch.StatusRequestType.String()
	}
	if ch.SessionTicket {
		j.SessionTicketLength = intp(ch.SessionTicketLength)
	}
	if ch.RenegotiationInfo {
		j.RenegotiationInfoLength = intp(ch.RenegotiationInfoLength)
	}
	if ch.PaddingLength >= 0 {
		j.PaddingLength = intp(ch.PaddingLength)
	}
	j.CertificateAuthoritiesOmitted = ch.CertificateAuthoritiesCount - len(ch.CertificateAuthorities)
	if e := ch.ECH; e != nil {
		je := &jsonECH{Type: "inner"}
		if e.Type == decode.ECHOuter {
			je = &jsonECH{Type: "outer", KDF: e.KDF.String(), AEAD: e.AEAD.String(), ConfigID: intp(int(e.ConfigID)),
				EncLength: intp(e.EncLength), PayloadLength: e.PayloadLength}
		}
		j.EncryptedClientHello = je
	}
	for _, s := range ch.SSLv2CipherSpecs {
		j.SSLv2CipherSpecs = append(j.SSLv2CipherSpecs, fmt.Sprintf("0x%06x", s))
	}
	return j
}

func serverHelloJSON(sh *decode.ServerHello) *jsonServerHello {
	j := &jsonServerHello{
		Version:              sh.LegacyVersion.String(),
		Random:               hex.EncodeToString(sh.Random[:]),
		SessionID:            hex.EncodeToString(sh.SessionID),
		CipherSuite:          sh.CipherSuite.String(),
		Extensions:           extensions(sh.Extensions),
		ALPN:                 sh.ALPN,
		ECPointFormats:       names(sh.ECPointFormats),
		SessionTicket:        sh.SessionTicket,
		StatusRequest:        sh.StatusRequest,
		ExtendedMasterSecret: sh.ExtendedMasterSecret,
		EncryptThenMAC:       sh.EncryptThenMAC,
		RecordSizeLimit:      int(sh.RecordSizeLimit),
		MaxFragmentLength:    maxFragmentBytes(sh.MaxFragmentLength),
	}
	if !sh.Draft {
		j.CompressionMethod = sh.CompressionMethod.String()
	}
	if sh.SupportedVersion != 0 {
		j.SupportedVersion = sh.SupportedVersion.String()
	}
	for _, e := range sh.Extensions {
		if e.Type == decode.ExtKeyShare {
			j.KeyShare = &jsonKeyShare{Group: sh.KeyShareGroup.String(), Length: sh.KeyShareLength}
		}
	}
	if sh.PreSharedKey {
		j.PSKSelectedIdentity = intp(int(sh.SelectedIdentity))
	}
	if sh.Cookie {
		j.CookieLength = intp(sh.CookieLength)
	}
	if sh.RenegotiationInfo {
		j.RenegotiationInfoLength = intp(sh.RenegotiationInfoLength)
	}
	return j
}

func certTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(certTimeLayout)
}

func certificateJSON(c *decode.CertInfo) jsonCertificate {
	return jsonCertificate{
		Subject:            c.Subject,
		Issuer:             c.Issuer,
		SerialNumber:       c.SerialNumber,
		NotBefore:          certTime(c.NotBefore),
		NotAfter:           certTime(c.NotAfter),
		SANDNS:             c.DNSNames,
		SANIP:              c.IPAddresses,
		SANEmail:           c.EmailAddresses,
		SANURI:             c.URIs,
		PublicKeyAlgorithm: c.PublicKeyAlgorithm,
		PublicKeyBits:      c.PublicKeyBits,
		Curve:              c.Curve,
		SignatureAlgorithm: c.SignatureAlgorithm,
		IsCA:               c.IsCA,
		Version:            c.Version,
		Length:             c.Length,
		SHA256:             c.SHA256,
		SHA1:               c.SHA1,
		Error:              c.Error,
	}
}

func chainJSON(ch *flows.Chain) ([]jsonCertificate, int) {
	if ch == nil {
		return nil, 0
	}
	out := make([]jsonCertificate, len(ch.Certificates))
	for i := range ch.Certificates {
		out[i] = certificateJSON(&ch.Certificates[i])
	}
	return out, ch.Count - len(ch.Certificates)
}

func certificatesJSON(r *flows.Result) *jsonCertificates {
	if r.ServerCertificates == nil && r.ClientCertificates == nil {
		return nil
	}
	j := new(jsonCertificates)
	j.Server, j.ServerOmitted = chainJSON(r.ServerCertificates)
	j.Client, j.ClientOmitted = chainJSON(r.ClientCertificates)
	if j.Server == nil && j.Client == nil {
		return nil // only empty chains: client_certificate says "empty"
	}
	return j
}

// curveTypes names ECCurveType values (RFC 8422, Section 5.4).
var curveTypes = map[uint8]string{
	decode.CurveTypeExplicitPrime: "explicit_prime",
	decode.CurveTypeExplicitChar2: "explicit_char2",
	decode.CurveTypeNamedCurve:    "named_curve",
}

func serverKeyExchangeJSON(p *decode.ServerKeyExchangeParams) *jsonServerKeyExchange {
	j := &jsonServerKeyExchange{
		KeyExchange:     p.KeyExchange,
		CurveType:       curveTypes[p.CurveType],
		PublicKeyLength: p.PublicKeyLength,
		DHPrimeBits:     p.DHPrimeBits,
		DHGeneratorBits: p.DHGeneratorBits,
		RSAModulusBits:  p.RSAModulusBits,
		SRPPrimeBits:    p.SRPPrimeBits,
	}
	if p.CurveType == decode.CurveTypeNamedCurve {
		j.NamedGroup = p.NamedGroup.String()
	}
	if p.HasPSKIdentityHint {
		h := p.PSKIdentityHint
		j.PSKIdentityHint = &h
	}
	if p.HasSignatureAlgorithm {
		j.SignatureAlgorithm = p.SignatureAlgorithm.String()
	}
	if p.Signed {
		j.SignatureLength = intp(p.SignatureLength)
	}
	return j
}

func certificateRequestJSON(cr *decode.CertificateRequest) *jsonCertificateRequest {
	return &jsonCertificateRequest{
		CertificateTypes:              names(cr.CertificateTypes),
		SignatureAlgorithms:           names(cr.SignatureAlgorithms),
		CertificateAuthorities:        cr.CertificateAuthorities,
		CertificateAuthoritiesOmitted: cr.CertificateAuthoritiesCount - len(cr.CertificateAuthorities),
	}
}

func certificateStatusJSON(cs *decode.CertificateStatus) *jsonCertificateStatus {
	j := &jsonCertificateStatus{StatusType: cs.StatusType.String(), ResponseLength: cs.ResponseLength}
	for _, o := range cs.OCSP {
		j.OCSP = append(j.OCSP, jsonOCSP{
			Length: o.Length, Status: o.Status, CertStatus: o.CertStatus, RevokedAt: certTime(o.RevokedAt),
			ProducedAt: certTime(o.ProducedAt), ThisUpdate: certTime(o.ThisUpdate), NextUpdate: certTime(o.NextUpdate),
			Responses: o.Responses, Error: o.Error,
		})
	}
	return j
}

func clientKeyExchangeJSON(p *decode.ClientKeyExchangeParams) *jsonClientKeyExchange {
	j := &jsonClientKeyExchange{KeyExchange: p.KeyExchange, KeyLength: p.KeyLength}
	if p.HasPSKIdentity {
		id := p.PSKIdentity
		j.PSKIdentity = &id
	}
	return j
}

// addDetails fills the detail objects of a connection's JSON line.
func addDetails(j *jsonConnection, r *flows.Result) {
	if r.ClientHello != nil {
		j.ClientHello = clientHelloJSON(r.ClientHello)
	}
	if r.HelloRetryRequest != nil {
		j.HelloRetryRequest = serverHelloJSON(r.HelloRetryRequest)
	}
	if r.ServerHello != nil {
		j.ServerHello = serverHelloJSON(r.ServerHello)
	}
	j.Certificates = certificatesJSON(r)
	// A suite without a known key exchange leaves nothing to say.
	if r.ServerKeyExchange != nil && r.ServerKeyExchange.KeyExchange != "" {
		j.ServerKeyExchange = serverKeyExchangeJSON(r.ServerKeyExchange)
	}
	if r.CertificateRequest != nil {
		j.CertificateRequest = certificateRequestJSON(r.CertificateRequest)
	}
	if r.CertificateStatus != nil {
		j.CertificateStatus = certificateStatusJSON(r.CertificateStatus)
	}
	if r.NewSessionTicket != nil {
		j.NewSessionTicket = &jsonNewSessionTicket{LifetimeHint: r.NewSessionTicket.LifetimeHint, TicketLength: r.NewSessionTicket.TicketLength}
	}
	if r.ClientKeyExchange != nil && r.ClientKeyExchange.KeyExchange != "" {
		j.ClientKeyExchange = clientKeyExchangeJSON(r.ClientKeyExchange)
	}
}
