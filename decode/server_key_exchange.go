package decode

import (
	"math/big"
	"strings"

	"golang.org/x/crypto/cryptobyte"
)

// ECCurveType values (RFC 8422, Section 5.4; RFC 4492 had the explicit
// ones, which RFC 8422 deprecates).
const (
	CurveTypeExplicitPrime uint8 = 1
	CurveTypeExplicitChar2 uint8 = 2
	CurveTypeNamedCurve    uint8 = 3
)

// ServerKeyExchange is the server's key exchange parameters (RFC 5246,
// Section 7.4.3). Their layout depends on the cipher suite, which the
// message does not name, so the body is kept (copied) and Params reads it
// once the caller knows the suite. Body is bounded by the handshake
// message limit.
type ServerKeyExchange struct {
	Length int
	Body   []byte
}

// Type returns HandshakeServerKeyExchange.
func (m *ServerKeyExchange) Type() HandshakeType { return HandshakeServerKeyExchange }

// parseServerKeyExchange fails only on an empty body: every key exchange
// that sends the message sends parameters.
func parseServerKeyExchange(body []byte) (Message, error) {
	if len(body) == 0 {
		return nil, parseError("empty body")
	}
	return &ServerKeyExchange{Length: len(body), Body: append([]byte(nil), body...)}, nil
}

// ServerKeyExchangeParams is what a ServerKeyExchange says, read with the
// layout its cipher suite's key exchange gives it. Fields that the layout
// does not have are zero.
type ServerKeyExchangeParams struct {
	// KeyExchange is the suite's key exchange, as CipherSuite.KeyExchange
	// names it ("ECDHE_RSA", "DHE_DSS", "ECDHE_PSK", ...).
	KeyExchange string

	// CurveType is the ECCurveType of (EC)DHE parameters; NamedGroup is
	// set for CurveTypeNamedCurve. Explicit curves are not read further.
	CurveType  uint8
	NamedGroup NamedGroup
	// PublicKeyLength is the length of the server's ephemeral public
	// value: the ECPoint, or dh_Ys.
	PublicKeyLength int
	// DHPrimeBits and DHGeneratorBits size ServerDHParams' dh_p and dh_g.
	DHPrimeBits     int
	DHGeneratorBits int
	// RSAModulusBits sizes the temporary key of RSA_EXPORT suites
	// (RFC 2246, Section 7.4.3).
	RSAModulusBits int
	// SRPPrimeBits sizes an SRP group's N (RFC 5054, Section 2.8.1).
	SRPPrimeBits int
	// PSKIdentityHint is the psk_identity_hint of PSK suites (RFC 4279,
	// Section 2), as sent; HasPSKIdentityHint says it was there.
	PSKIdentityHint    string
	HasPSKIdentityHint bool

	// Signed says the parameters are signed; SignatureAlgorithm is the
	// SignatureAndHashAlgorithm of TLS 1.2 (RFC 5246, Section 4.7),
	// HasSignatureAlgorithm false before TLS 1.2, where the algorithm
	// follows from the certificate.
	Signed                bool
	SignatureAlgorithm    SignatureScheme
	HasSignatureAlgorithm bool
	SignatureLength       int
}

// serverKeyExchangeLayouts maps a key exchange to the parts its
// ServerKeyExchange carries, in order.
var serverKeyExchangeLayouts = map[string]skeLayout{
	"DHE_DSS":     {dh: true, signed: true},   // RFC 5246, 7.4.3
	"DHE_RSA":     {dh: true, signed: true},   // RFC 5246, 7.4.3
	"DH_anon":     {dh: true},                 // RFC 5246, 7.4.3
	"ECDHE_ECDSA": {ecdh: true, signed: true}, // RFC 8422, 5.4
	"ECDHE_RSA":   {ecdh: true, signed: true}, // RFC 8422, 5.4
	"ECDH_anon":   {ecdh: true},               // RFC 8422, 5.4
	"RSA_EXPORT":  {rsa: true, signed: true},  // RFC 2246, 7.4.3
	"PSK":         {hint: true},               // RFC 4279, 2
	"RSA_PSK":     {hint: true},               // RFC 4279, 4
	"DHE_PSK":     {hint: true, dh: true},     // RFC 4279, 3
	"ECDHE_PSK":   {hint: true, ecdh: true},   // RFC 5489, 2
	"SRP_SHA":     {srp: true},                // RFC 5054, 2.8.1
	"SRP_SHA_RSA": {srp: true, signed: true},  // RFC 5054, 2.8.1
	"SRP_SHA_DSS": {srp: true, signed: true},  // RFC 5054, 2.8.1
}

type skeLayout struct {
	hint, dh, ecdh, rsa, srp, signed bool
}

// Params reads the message with the layout of suite's key exchange,
// signature algorithm included from TLS 1.2 on. A suite whose layout this
// package does not know (GOST, ECCPWD, private code points) gives
// parameters with only KeyExchange set and no error. A body that does not
// fit the layout exactly gives a *Error with CodeMalformedHandshake.
func (m *ServerKeyExchange) Params(suite CipherSuite, v Version) (*ServerKeyExchangeParams, error) {
	p := &ServerKeyExchangeParams{KeyExchange: suite.KeyExchange()}
	l, ok := serverKeyExchangeLayouts[p.KeyExchange]
	if !ok {
		return p, nil
	}
	if err := p.read(cryptobyte.String(m.Body), l, v); err != nil {
		return nil, &Error{Code: CodeMalformedHandshake, Reason: "server_key_exchange (" + p.KeyExchange + "): " + err.Error()}
	}
	return p, nil
}

func (p *ServerKeyExchangeParams) read(s cryptobyte.String, l skeLayout, v Version) error {
	if l.hint {
		var hint cryptobyte.String
		if !s.ReadUint16LengthPrefixed(&hint) {
			return errTruncated
		}
		p.PSKIdentityHint, p.HasPSKIdentityHint = string(hint), true
	}
	switch {
	case l.dh:
		// ServerDHParams: dh_p<1..2^16-1>, dh_g<1..2^16-1>, dh_Ys<1..2^16-1>.
		var dp, dg, ys cryptobyte.String
		if !s.ReadUint16LengthPrefixed(&dp) || !s.ReadUint16LengthPrefixed(&dg) || !s.ReadUint16LengthPrefixed(&ys) {
			return errTruncated
		}
		if len(dp) == 0 || len(dg) == 0 || len(ys) == 0 {
			return parseError("empty DH parameter")
		}
		p.DHPrimeBits, p.DHGeneratorBits, p.PublicKeyLength = bitLen(dp), bitLen(dg), len(ys)
	case l.ecdh:
		// ServerECDHParams: ECParameters curve_params, ECPoint public.
		if !s.ReadUint8(&p.CurveType) {
			return errTruncated
		}
		switch p.CurveType {
		case CurveTypeNamedCurve:
			if !s.ReadUint16((*uint16)(&p.NamedGroup)) {
				return errTruncated
			}
		case CurveTypeExplicitPrime, CurveTypeExplicitChar2:
			if err := skipExplicitCurve(&s, p.CurveType); err != nil {
				return err
			}
		default:
			return parseError("unknown ECCurveType")
		}
		var point cryptobyte.String
		if !s.ReadUint8LengthPrefixed(&point) {
			return errTruncated
		}
		if len(point) == 0 {
			return parseError("empty ECPoint")
		}
		p.PublicKeyLength = len(point)
	case l.rsa:
		// ServerRSAParams: rsa_modulus<1..2^16-1>, rsa_exponent<1..2^16-1>.
		var mod, exp cryptobyte.String
		if !s.ReadUint16LengthPrefixed(&mod) || !s.ReadUint16LengthPrefixed(&exp) {
			return errTruncated
		}
		if len(mod) == 0 || len(exp) == 0 {
			return parseError("empty RSA parameter")
		}
		p.RSAModulusBits = bitLen(mod)
	case l.srp:
		// ServerSRPParams: srp_N<1..2^16-1>, srp_g<1..2^16-1>,
		// srp_s<0..2^8-1>, srp_B<1..2^16-1>.
		var n, g, salt, b cryptobyte.String
		if !s.ReadUint16LengthPrefixed(&n) || !s.ReadUint16LengthPrefixed(&g) ||
			!s.ReadUint8LengthPrefixed(&salt) || !s.ReadUint16LengthPrefixed(&b) {
			return errTruncated
		}
		if len(n) == 0 || len(g) == 0 || len(b) == 0 {
			return parseError("empty SRP parameter")
		}
		p.SRPPrimeBits, p.PublicKeyLength = bitLen(n), len(b)
	}
	if l.signed {
		// RFC 5246, Section 4.7: digitally-signed; TLS 1.2 puts the
		// SignatureAndHashAlgorithm first, earlier versions do not.
		p.Signed = true
		if v >= VersionTLS12 && v>>8 == 3 {
			if !s.ReadUint16((*uint16)(&p.SignatureAlgorithm)) {
				return errTruncated
			}
			p.HasSignatureAlgorithm = true
		}
		var sig cryptobyte.String
		if !s.ReadUint16LengthPrefixed(&sig) {
			return errTruncated
		}
		p.SignatureLength = len(sig)
	}
	if !s.Empty() {
		return errTrailing
	}
	return nil
}

// skipExplicitCurve reads the explicit ECParameters that RFC 4492, Section
// 5.4 defined and RFC 8422 deprecated:
//
//	explicit_prime: opaque prime_p<1..2^8-1>; ECCurve curve; ECPoint base;
//	                opaque order<1..2^8-1>; opaque cofactor<1..2^8-1>
//	explicit_char2: uint16 m; ECBasisType basis (trinomial: opaque k;
//	                pentanomial: opaque k1, k2, k3); ECCurve curve;
//	                ECPoint base; opaque order; opaque cofactor
//
// where ECCurve is opaque a<1..2^8-1>, b<1..2^8-1> and ECPoint
// opaque<1..2^8-1>.
func skipExplicitCurve(s *cryptobyte.String, curveType uint8) error {
	n := 0 // how many opaque<1..2^8-1> fields follow
	if curveType == CurveTypeExplicitPrime {
		n = 1 + 2 + 1 + 2 // prime_p, a, b, base, order, cofactor
	} else {
		var m uint16
		var basis uint8
		if !s.ReadUint16(&m) || !s.ReadUint8(&basis) {
			return errTruncated
		}
		switch basis {
		case 1: // ec_basis_trinomial
			n = 1
		case 2: // ec_basis_pentanomial
			n = 3
		default:
			return parseError("unknown ECBasisType")
		}
		n += 2 + 1 + 2 // a, b, base, order, cofactor
	}
	for range n {
		var f cryptobyte.String
		if !s.ReadUint8LengthPrefixed(&f) || len(f) == 0 {
			return errTruncated
		}
	}
	return nil
}

// bitLen is the bit length of a big-endian unsigned integer.
func bitLen(b []byte) int { return new(big.Int).SetBytes(b).BitLen() }

// KeyExchange returns the key exchange part of a TLS 1.0-1.2 suite's IANA
// name, between "TLS_" and "_WITH_" ("ECDHE_RSA", "DHE_PSK", "RSA"), with
// export variants folded: RSA_EXPORT* is "RSA_EXPORT", KRB5* is "KRB5",
// and DHE_*_EXPORT is its full-strength kind. It is "" for TLS 1.3 suites,
// SCSVs and unknown code points.
func (c CipherSuite) KeyExchange() string {
	name, ok := cipherSuiteNames[c]
	if !ok {
		return ""
	}
	name = strings.TrimPrefix(name, "TLS_")
	i := strings.Index(name, "_WITH_")
	if i < 0 {
		return ""
	}
	kx := name[:i]
	switch {
	case strings.HasPrefix(kx, "RSA_EXPORT"):
		return "RSA_EXPORT"
	case strings.HasPrefix(kx, "KRB5"):
		return "KRB5"
	}
	return strings.TrimSuffix(kx, "_EXPORT")
}
