package report

import (
	"fmt"
	"strconv"
	"time"

	"github.com/hsdecode/hsdecode/decode"
	"github.com/hsdecode/hsdecode/flows"
)

// The detail objects of the JSON report (README, "Handshake details"):
// what each plaintext handshake message says, named as the RFCs and IANA
// name it. Absent data is left out; an extension whose presence is the
// fact (early_data, extended_master_secret, ...) is a true boolean, one
// with a length that length, written even when zero. Each object reads
// the decode type it shows, of which it is a named copy.

// certTimeLayout is RFC 3339 in UTC, to the second (certificate and OCSP
// times have no fraction).
const certTimeLayout = "2006-01-02T15:04:05Z"

// jsonDetails write the detail members of a connection in docs/report.md's
// order; textDetails in the order of the wire, as -v lists them,
// followed by the fingerprints.
var (
	jsonDetails = []func(fieldWriter, *flows.Result){clientHelloMember, helloRetryRequestMember, serverHelloMember,
		encryptedExtensionsMember, certificatesMember, serverKeyExchangeMember, certificateRequestMember, certificateStatusMember,
		newSessionTicketMember, clientKeyExchangeMember}
	textDetails = []func(fieldWriter, *flows.Result){clientHelloMember, helloRetryRequestMember, serverHelloMember,
		encryptedExtensionsMember, certificatesMember, certificateStatusMember, serverKeyExchangeMember, certificateRequestMember,
		clientKeyExchangeMember, newSessionTicketMember, fingerprintsMember}
)

func clientHelloMember(w fieldWriter, r *flows.Result) {
	if r.ClientHello != nil {
		w.object("client_hello", (*clientHello)(r.ClientHello))
	}
}

func helloRetryRequestMember(w fieldWriter, r *flows.Result) {
	if r.HelloRetryRequest != nil {
		w.object("hello_retry_request", (*serverHello)(r.HelloRetryRequest))
	}
}

func serverHelloMember(w fieldWriter, r *flows.Result) {
	if r.ServerHello != nil {
		w.object("server_hello", (*serverHello)(r.ServerHello))
	}
}

func encryptedExtensionsMember(w fieldWriter, r *flows.Result) {
	if r.EncryptedExtensions != nil {
		w.object("encrypted_extensions", (*encryptedExtensions)(r.EncryptedExtensions))
	}
}

// certificatesMember writes the chains; a side that sent none has no
// list, while one that sent an empty chain has an empty one, which only
// its count of omitted certificates can show.
func certificatesMember(w fieldWriter, r *flows.Result) {
	if r.ServerCertificates != nil || r.ClientCertificates != nil {
		w.object("certificates", certificates{r.ServerCertificates, r.ClientCertificates})
	}
}

// serverKeyExchangeMember leaves out the parameters of a suite without a
// known key exchange: nothing is left to say.
func serverKeyExchangeMember(w fieldWriter, r *flows.Result) {
	if p := r.ServerKeyExchange; p != nil && p.KeyExchange != "" {
		w.object("server_key_exchange", (*serverKeyExchange)(p))
	}
}

func certificateRequestMember(w fieldWriter, r *flows.Result) {
	if r.CertificateRequest != nil {
		w.object("certificate_request", (*certificateRequest)(r.CertificateRequest))
	}
}

func certificateStatusMember(w fieldWriter, r *flows.Result) {
	if r.CertificateStatus != nil {
		w.object("certificate_status", (*certificateStatus)(r.CertificateStatus))
	}
}

func newSessionTicketMember(w fieldWriter, r *flows.Result) {
	if r.NewSessionTicket != nil {
		w.object("new_session_ticket", (*newSessionTicket)(r.NewSessionTicket))
	}
}

func clientKeyExchangeMember(w fieldWriter, r *flows.Result) {
	if p := r.ClientKeyExchange; p != nil && p.KeyExchange != "" {
		w.object("client_key_exchange", (*clientKeyExchange)(p))
	}
}

func fingerprintsMember(w fieldWriter, r *flows.Result) {
	if e, ok := w.(*jsonEncoder); ok {
		e.fingerprints(r)
		return
	}
	if fp := fingerprintsOf(r); fp != nil {
		w.object("fingerprints", fp)
	}
}

type extension decode.Extension

func (e *extension) fields(w fieldWriter) {
	w.str("type", e.Type.String(), always)
	w.num("length", int64(e.Length), always)
}

// brief shows an extension as its name and length: "server_name(14)".
func (e *extension) brief() string { return e.Type.String() + "(" + strconv.Itoa(e.Length) + ")" }

type extensions []decode.Extension

func (l extensions) len() int        { return len(l) }
func (l extensions) at(i int) object { return (*extension)(&l[i]) }

// keyShare is a key share, or the group a HelloRetryRequest asks for,
// which has no key: its length is left out.
type keyShare decode.KeyShare

func (k *keyShare) fields(w fieldWriter) {
	w.str("group", k.Group.String(), always)
	w.num("length", int64(k.KeyLength), omitEmpty)
}

// brief shows a key share as its group and key length: "x25519(32)".
func (k *keyShare) brief() string {
	if k.KeyLength == 0 {
		return k.Group.String()
	}
	return k.Group.String() + "(" + strconv.Itoa(k.KeyLength) + ")"
}

type keyShares []decode.KeyShare

func (l keyShares) len() int        { return len(l) }
func (l keyShares) at(i int) object { return (*keyShare)(&l[i]) }

// ech is the encrypted_client_hello extension: an inner one is only a
// marker, an outer one names its cipher and lengths.
type ech decode.ECHClientHello

func (e *ech) fields(w fieldWriter) {
	if e.Type != decode.ECHOuter {
		w.str("type", "inner", always)
		return
	}
	w.str("type", "outer", always)
	w.str("kdf", e.KDF.String(), omitEmpty)
	w.str("aead", e.AEAD.String(), omitEmpty)
	w.num("config_id", int64(e.ConfigID), always)
	w.num("enc_length", int64(e.EncLength), always)
	w.num("payload_length", int64(e.PayloadLength), omitEmpty)
}

type clientHello decode.ClientHello

func (ch *clientHello) fields(w fieldWriter) {
	w.str("version", ch.LegacyVersion.String(), always)
	w.hex("random", ch.Random[:], always)
	w.hex("session_id", ch.SessionID, omitEmpty)
	w.codes("cipher_suites", codesOf(&ch.CipherSuites), always)
	w.codes("compression_methods", codesOf(&ch.CompressionMethods), always)
	w.objects("extensions", extensions(ch.Extensions))
	w.str("server_name", ch.ServerName, omitEmpty)
	w.strs("alpn", ch.ALPN, omitEmpty)
	w.codes("supported_versions", codesOf(&ch.SupportedVersions), omitEmpty)
	w.codes("supported_groups", codesOf(&ch.SupportedGroups), omitEmpty)
	w.codes("ec_point_formats", codesOf(&ch.ECPointFormats), omitEmpty)
	w.codes("signature_algorithms", codesOf(&ch.SignatureAlgorithms), omitEmpty)
	w.codes("signature_algorithms_cert", codesOf(&ch.SignatureAlgorithmsCert), omitEmpty)
	w.objects("key_shares", keyShares(ch.KeyShares))
	w.num("psk_identities", int64(ch.PSKIdentities), omitEmpty)
	w.codes("psk_key_exchange_modes", codesOf(&ch.PSKModes), omitEmpty)
	w.flag("early_data", ch.EarlyData, omitEmpty)
	if ch.Cookie {
		w.num("cookie_length", int64(ch.CookieLength), always)
	}
	if ch.StatusRequest {
		w.str("status_request", ch.StatusRequestType.String(), omitEmpty)
	}
	if ch.SessionTicket {
		w.num("session_ticket_length", int64(ch.SessionTicketLength), always)
	}
	if ch.RenegotiationInfo {
		w.num("renegotiation_info_length", int64(ch.RenegotiationInfoLength), always)
	}
	w.flag("extended_master_secret", ch.ExtendedMasterSecret, omitEmpty)
	w.flag("encrypt_then_mac", ch.EncryptThenMAC, omitEmpty)
	w.flag("post_handshake_auth", ch.PostHandshakeAuth, omitEmpty)
	w.num("record_size_limit", int64(ch.RecordSizeLimit), omitEmpty)
	w.num("max_fragment_length", int64(maxFragmentBytes(ch.MaxFragmentLength)), omitEmpty)
	if ch.PaddingLength >= 0 {
		w.num("padding_length", int64(ch.PaddingLength), always)
	}
	w.codes("compress_certificate", codesOf(&ch.CompressCertificate), omitEmpty)
	w.dns("certificate_authorities", ch.CertificateAuthorities, omitEmpty)
	w.num("certificate_authorities_omitted", int64(ch.CertificateAuthoritiesCount-len(ch.CertificateAuthorities)), omitEmpty)
	if ch.ECH != nil {
		w.object("encrypted_client_hello", (*ech)(ch.ECH))
	}
	w.strs("application_settings", ch.ApplicationSettings, omitEmpty)
	w.objects("quic_transport_parameters", quicParams(ch.QUICTransportParameters))
	w.flag("grease", (*decode.ClientHello)(ch).GREASE(), omitEmpty)
	w.flag("sslv2", ch.SSLv2, omitEmpty)
	w.strs("sslv2_cipher_specs", cipherSpecs(ch.SSLv2CipherSpecs), omitEmpty)
}

// cipherSpecs writes SSL 2.0 cipher kinds as their 3-byte codes.
func cipherSpecs(specs []uint32) []string {
	var out []string
	for _, s := range specs {
		out = append(out, fmt.Sprintf("0x%06x", s))
	}
	return out
}

// serverHello is a ServerHello or a HelloRetryRequest. A TLS 1.3 draft's
// has no compression method.
type serverHello decode.ServerHello

func (sh *serverHello) fields(w fieldWriter) {
	w.str("version", sh.LegacyVersion.String(), always)
	// A draft's own HelloRetryRequest (type 6) has no random, and a
	// cipher suite only from draft 19 on (decode/draft.go).
	own := sh.Draft && sh.HelloRetryRequest
	if !own {
		w.hex("random", sh.Random[:], always)
	}
	w.hex("session_id", sh.SessionID, omitEmpty)
	if n, _ := sh.LegacyVersion.TLS13Draft(); !own || n >= 19 {
		w.str("cipher_suite", sh.CipherSuite.String(), always)
	}
	if !sh.Draft {
		w.str("compression_method", sh.CompressionMethod.String(), omitEmpty)
	}
	w.objects("extensions", extensions(sh.Extensions))
	if sh.SupportedVersion != 0 {
		w.str("supported_version", sh.SupportedVersion.String(), omitEmpty)
	}
	if (*decode.ServerHello)(sh).HasKeyShare() {
		w.object("key_share", &keyShare{Group: sh.KeyShareGroup, KeyLength: sh.KeyShareLength})
	}
	w.str("alpn", sh.ALPN, omitEmpty)
	w.codes("ec_point_formats", codesOf(&sh.ECPointFormats), omitEmpty)
	if sh.PreSharedKey {
		w.num("psk_selected_identity", int64(sh.SelectedIdentity), always)
	}
	if sh.Cookie {
		w.num("cookie_length", int64(sh.CookieLength), always)
	}
	w.flag("session_ticket", sh.SessionTicket, omitEmpty)
	w.flag("status_request", sh.StatusRequest, omitEmpty)
	if sh.RenegotiationInfo {
		w.num("renegotiation_info_length", int64(sh.RenegotiationInfoLength), always)
	}
	w.flag("extended_master_secret", sh.ExtendedMasterSecret, omitEmpty)
	w.flag("encrypt_then_mac", sh.EncryptThenMAC, omitEmpty)
	w.num("record_size_limit", int64(sh.RecordSizeLimit), omitEmpty)
	w.num("max_fragment_length", int64(maxFragmentBytes(sh.MaxFragmentLength)), omitEmpty)
}

type certificate decode.CertInfo

func (c *certificate) fields(w fieldWriter) {
	w.dn("subject", c.Subject, omitEmpty)
	w.dn("issuer", c.Issuer, omitEmpty)
	w.str("serial", c.SerialNumber, omitEmpty)
	w.str("not_before", certTime(c.NotBefore), omitEmpty)
	w.str("not_after", certTime(c.NotAfter), omitEmpty)
	w.strs("san_dns", c.DNSNames, omitEmpty)
	w.strs("san_ip", c.IPAddresses, omitEmpty)
	w.strs("san_email", c.EmailAddresses, omitEmpty)
	w.strs("san_uri", c.URIs, omitEmpty)
	w.str("public_key_algorithm", c.PublicKeyAlgorithm, omitEmpty)
	w.num("public_key_bits", int64(c.PublicKeyBits), omitEmpty)
	w.str("curve", c.Curve, omitEmpty)
	w.str("signature_algorithm", c.SignatureAlgorithm, omitEmpty)
	w.flag("is_ca", c.IsCA, omitEmpty)
	w.num("version", int64(c.Version), omitEmpty)
	w.num("length", int64(c.Length), always)
	w.str("sha256", c.SHA256, always)
	w.str("sha1", c.SHA1, always)
	w.str("error", c.Error, omitEmpty)
}

type chain []decode.CertInfo

func (l chain) len() int        { return len(l) }
func (l chain) at(i int) object { return (*certificate)(&l[i]) }

// certificates are both sides' chains, each with the count of the
// certificates flows did not keep.
type certificates struct{ server, client *flows.Chain }

func (c certificates) fields(w fieldWriter) {
	if s := c.server; s != nil {
		w.objects("server", chain(s.Certificates))
		w.num("server_omitted", int64(s.Count-len(s.Certificates)), omitEmpty)
	}
	if cl := c.client; cl != nil {
		w.objects("client", chain(cl.Certificates))
		w.num("client_omitted", int64(cl.Count-len(cl.Certificates)), omitEmpty)
	}
}

type serverKeyExchange decode.ServerKeyExchangeParams

func (p *serverKeyExchange) fields(w fieldWriter) {
	w.str("key_exchange", p.KeyExchange, always)
	w.str("curve_type", curveTypes[p.CurveType], omitEmpty)
	if p.CurveType == decode.CurveTypeNamedCurve {
		w.str("named_group", p.NamedGroup.String(), omitEmpty)
	}
	w.num("public_key_length", int64(p.PublicKeyLength), omitEmpty)
	w.num("dh_prime_bits", int64(p.DHPrimeBits), omitEmpty)
	w.num("dh_generator_bits", int64(p.DHGeneratorBits), omitEmpty)
	w.num("rsa_modulus_bits", int64(p.RSAModulusBits), omitEmpty)
	w.num("srp_prime_bits", int64(p.SRPPrimeBits), omitEmpty)
	if p.HasPSKIdentityHint {
		w.str("psk_identity_hint", p.PSKIdentityHint, always)
	}
	if p.HasSignatureAlgorithm {
		w.str("signature_algorithm", p.SignatureAlgorithm.String(), omitEmpty)
	}
	if p.Signed {
		w.num("signature_length", int64(p.SignatureLength), always)
	}
}

// encryptedExtensions is a TLS 1.3 server's, which says what a TLS 1.2
// ServerHello does, under the same names.
type encryptedExtensions decode.EncryptedExtensions

func (ee *encryptedExtensions) fields(w fieldWriter) {
	w.objects("extensions", extensions(ee.Extensions))
	w.str("alpn", ee.ALPN, omitEmpty)
	w.flag("server_name", ee.ServerName, omitEmpty)
	w.flag("early_data", ee.EarlyData, omitEmpty)
	w.num("record_size_limit", int64(ee.RecordSizeLimit), omitEmpty)
	w.num("max_fragment_length", int64(maxFragmentBytes(ee.MaxFragmentLength)), omitEmpty)
	w.objects("quic_transport_parameters", quicParams(ee.QUICTransportParameters))
}

// certificateRequest is either form; the TLS 1.3 one has no
// certificate_types.
type certificateRequest decode.CertificateRequest

func (cr *certificateRequest) fields(w fieldWriter) {
	if !cr.TLS13 {
		w.codes("certificate_types", codesOf(&cr.CertificateTypes), always)
	} else {
		w.num("context_length", int64(len(cr.Context)), always)
		w.objects("extensions", extensions(cr.Extensions))
	}
	w.codes("signature_algorithms", codesOf(&cr.SignatureAlgorithms), omitEmpty)
	w.codes("signature_algorithms_cert", codesOf(&cr.SignatureAlgorithmsCert), omitEmpty)
	w.dns("certificate_authorities", cr.CertificateAuthorities, omitEmpty)
	w.num("certificate_authorities_omitted", int64(cr.CertificateAuthoritiesCount-len(cr.CertificateAuthorities)), omitEmpty)
}

type ocspResponse decode.OCSPResponse

func (o *ocspResponse) fields(w fieldWriter) {
	w.num("length", int64(o.Length), always)
	w.str("status", o.Status, omitEmpty)
	w.str("cert_status", o.CertStatus, omitEmpty)
	w.str("revoked_at", certTime(o.RevokedAt), omitEmpty)
	w.str("produced_at", certTime(o.ProducedAt), omitEmpty)
	w.str("this_update", certTime(o.ThisUpdate), omitEmpty)
	w.str("next_update", certTime(o.NextUpdate), omitEmpty)
	w.num("responses", int64(o.Responses), omitEmpty)
	w.str("error", o.Error, omitEmpty)
}

type ocspResponses []decode.OCSPResponse

func (l ocspResponses) len() int        { return len(l) }
func (l ocspResponses) at(i int) object { return (*ocspResponse)(&l[i]) }

type certificateStatus decode.CertificateStatus

func (cs *certificateStatus) fields(w fieldWriter) {
	w.str("status_type", cs.StatusType.String(), always)
	w.num("response_length", int64(cs.ResponseLength), always)
	w.objects("ocsp", ocspResponses(cs.OCSP))
}

type newSessionTicket decode.NewSessionTicket

func (n *newSessionTicket) fields(w fieldWriter) {
	w.num("lifetime_hint", int64(n.LifetimeHint), always)
	w.num("ticket_length", int64(n.TicketLength), always)
	if n.TLS13 {
		w.num("nonce_length", int64(n.NonceLength), always)
		w.objects("extensions", extensions(n.Extensions))
	}
	if n.EarlyData {
		w.num("max_early_data_size", int64(n.MaxEarlyDataSize), always)
	}
}

type clientKeyExchange decode.ClientKeyExchangeParams

func (p *clientKeyExchange) fields(w fieldWriter) {
	w.str("key_exchange", p.KeyExchange, always)
	w.num("key_length", int64(p.KeyLength), always)
	if p.HasPSKIdentity {
		w.str("psk_identity", p.PSKIdentity, always)
	}
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

// maxFragmentBytes turns a max_fragment_length code into bytes (RFC 6066,
// Section 4: 2^(8+code)).
func maxFragmentBytes(code uint8) int {
	if code == 0 {
		return 0
	}
	return 1 << (8 + int(code))
}

func certTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(certTimeLayout)
}

// curveTypes names ECCurveType values (RFC 8422, Section 5.4).
var curveTypes = map[uint8]string{
	decode.CurveTypeExplicitPrime: "explicit_prime",
	decode.CurveTypeExplicitChar2: "explicit_char2",
	decode.CurveTypeNamedCurve:    "named_curve",
}
