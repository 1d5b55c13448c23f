package decode

import "golang.org/x/crypto/cryptobyte"

// ClientKeyExchange carries the client's key exchange value (RFC 5246,
// Section 7.4.7). Its layout depends on the cipher suite and it may even
// be empty (an implicit Diffie-Hellman value, Section 7.4.7.2), so the
// body is kept (copied) and Params reads it once the caller knows the
// suite.
type ClientKeyExchange struct {
	Length int
	Body   []byte
}

// Type returns HandshakeClientKeyExchange.
func (m *ClientKeyExchange) Type() HandshakeType { return HandshakeClientKeyExchange }

func parseClientKeyExchange(body []byte) (Message, error) {
	return &ClientKeyExchange{Length: len(body), Body: append([]byte(nil), body...)}, nil
}

// ClientKeyExchangeParams is what a ClientKeyExchange says, read with the
// layout of its suite's key exchange.
type ClientKeyExchangeParams struct {
	// KeyExchange is the suite's key exchange (CipherSuite.KeyExchange).
	KeyExchange string
	// KeyLength is the length of the client's key material: the
	// EncryptedPreMasterSecret of RSA key exchange, the public value of
	// (EC)DH(E) and SRP; 0 for an implicit Diffie-Hellman value (RFC
	// 5246, Section 7.4.7.2) or a plain PSK exchange.
	KeyLength int
	// PSKIdentity is the psk_identity of PSK suites (RFC 4279, Section 2),
	// as sent; HasPSKIdentity says it was there.
	PSKIdentity    string
	HasPSKIdentity bool
}

// clientKeyExchangeLayouts maps a key exchange to the parts of its
// ClientKeyExchange.
var clientKeyExchangeLayouts = map[string]ckeLayout{
	"RSA":         {value: ckeRSA},             // RFC 5246, 7.4.7.1
	"RSA_EXPORT":  {value: ckeRSA},             // RFC 2246, 7.4.7.1
	"DH_DSS":      {value: ckeDH},              // RFC 5246, 7.4.7.2
	"DH_RSA":      {value: ckeDH},              // RFC 5246, 7.4.7.2
	"DHE_DSS":     {value: ckeDH},              // RFC 5246, 7.4.7.2
	"DHE_RSA":     {value: ckeDH},              // RFC 5246, 7.4.7.2
	"DH_anon":     {value: ckeDH},              // RFC 5246, 7.4.7.2
	"ECDH_ECDSA":  {value: ckeECDH},            // RFC 8422, 5.7
	"ECDH_RSA":    {value: ckeECDH},            // RFC 8422, 5.7
	"ECDHE_ECDSA": {value: ckeECDH},            // RFC 8422, 5.7
	"ECDHE_RSA":   {value: ckeECDH},            // RFC 8422, 5.7
	"ECDH_anon":   {value: ckeECDH},            // RFC 8422, 5.7
	"PSK":         {psk: true},                 // RFC 4279, 2
	"RSA_PSK":     {psk: true, value: ckeRSA},  // RFC 4279, 4
	"DHE_PSK":     {psk: true, value: ckeDH},   // RFC 4279, 3
	"ECDHE_PSK":   {psk: true, value: ckeECDH}, // RFC 5489, 2
	"SRP_SHA":     {value: ckeSRP},             // RFC 5054, 2.8.2
	"SRP_SHA_RSA": {value: ckeSRP},             // RFC 5054, 2.8.2
	"SRP_SHA_DSS": {value: ckeSRP},             // RFC 5054, 2.8.2
}

type ckeLayout struct {
	psk   bool
	value uint8
}

const (
	ckeNone = iota
	ckeRSA  // EncryptedPreMasterSecret<0..2^16-1>, unprefixed in SSL 3.0
	ckeDH   // dh_Yc<1..2^16-1>, or nothing when implicit
	ckeECDH // ECPoint<1..2^8-1>, or nothing when implicit
	ckeSRP  // srp_A<1..2^16-1>
)

// Params reads the message with the layout of suite's key exchange in
// version v. A suite whose layout this package does not know gives
// parameters with only KeyExchange set and no error; a body that does not
// fit gives a *Error with CodeMalformedHandshake.
func (m *ClientKeyExchange) Params(suite CipherSuite, v Version) (*ClientKeyExchangeParams, error) {
	p := &ClientKeyExchangeParams{KeyExchange: suite.KeyExchange()}
	l, ok := clientKeyExchangeLayouts[p.KeyExchange]
	if !ok {
		return p, nil
	}
	if err := p.read(cryptobyte.String(m.Body), l, v); err != nil {
		return nil, &Error{Code: CodeMalformedHandshake, Reason: "client_key_exchange (" + p.KeyExchange + "): " + err.Error()}
	}
	return p, nil
}

func (p *ClientKeyExchangeParams) read(s cryptobyte.String, l ckeLayout, v Version) error {
	if l.psk {
		var id cryptobyte.String
		if !s.ReadUint16LengthPrefixed(&id) {
			return errTruncated
		}
		p.PSKIdentity, p.HasPSKIdentity = string(id), true
	}
	var val cryptobyte.String
	switch l.value {
	case ckeRSA:
		// RFC 5246, 7.4.7.1: "the RSA-encrypted PreMasterSecret in SSLv3
		// [...] is not preceded by a length"; RSA_PSK always has one.
		if v == VersionSSL30 && !l.psk {
			val, s = s, nil
		} else if !s.ReadUint16LengthPrefixed(&val) {
			return errTruncated
		}
	case ckeDH, ckeSRP:
		if s.Empty() && l.value == ckeDH && !l.psk {
			return nil // implicit (RFC 5246, 7.4.7.2)
		}
		if !s.ReadUint16LengthPrefixed(&val) || len(val) == 0 {
			return errTruncated
		}
	case ckeECDH:
		if s.Empty() && !l.psk {
			return nil // implicit (RFC 8422, 5.7)
		}
		if !s.ReadUint8LengthPrefixed(&val) || len(val) == 0 {
			return errTruncated
		}
	}
	p.KeyLength = len(val)
	if !s.Empty() {
		return errTrailing
	}
	return nil
}
