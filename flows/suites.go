package flows

import "github.com/hsdecode/hsdecode/decode"

// keyExchange is what a cipher suite's key exchange asks of the server's
// first flight: whether it sends a Certificate and a ServerKeyExchange.
type keyExchange struct {
	cert need // Certificate (RFC 5246, 7.4.2)
	ske  need // ServerKeyExchange (RFC 5246, 7.4.3)
	anon bool // anonymous: CertificateRequest is forbidden (RFC 5246, 7.4.4)
}

// keyExchanges maps a suite's key exchange (decode.CipherSuite.KeyExchange,
// export variants folded) to what the server must send. Sources: RFC 5246
// 7.4.2-7.4.3 and Appendix A.5, RFC 4492 (ECDH*), RFC 4279 (PSK: the
// ServerKeyExchange carries an optional identity hint), RFC 5054 (SRP),
// RFC 2712 (KRB5: no certificate, no ServerKeyExchange).
var keyExchanges = map[string]keyExchange{
	"RSA":         {cert: required, ske: forbidden},
	"RSA_EXPORT":  {cert: required, ske: optional}, // required only when the RSA key is longer than 512 bits
	"DH_DSS":      {cert: required, ske: forbidden},
	"DH_RSA":      {cert: required, ske: forbidden},
	"ECDH_ECDSA":  {cert: required, ske: forbidden},
	"ECDH_RSA":    {cert: required, ske: forbidden},
	"DHE_DSS":     {cert: required, ske: requiredByRule},
	"DHE_RSA":     {cert: required, ske: requiredByRule},
	"ECDHE_ECDSA": {cert: required, ske: requiredByRule},
	"ECDHE_RSA":   {cert: required, ske: requiredByRule},
	"DH_anon":     {cert: forbidden, ske: requiredByRule, anon: true},
	"ECDH_anon":   {cert: forbidden, ske: requiredByRule, anon: true},
	"PSK":         {cert: forbidden, ske: optional},
	"RSA_PSK":     {cert: required, ske: optional},
	"DHE_PSK":     {cert: forbidden, ske: requiredByRule},
	"ECDHE_PSK":   {cert: forbidden, ske: requiredByRule},
	"SRP_SHA":     {cert: forbidden, ske: requiredByRule},
	"SRP_SHA_RSA": {cert: required, ske: requiredByRule},
	"SRP_SHA_DSS": {cert: required, ske: requiredByRule},
	"KRB5":        {cert: forbidden, ske: forbidden},
}

// unknownKeyExchange leaves the first flight unchecked for suites whose key
// exchange is not known (private or unassigned code points, GOST suites).
var unknownKeyExchange = keyExchange{cert: optional, ske: optional}

// keyExchangeOf classifies a TLS 1.0-1.2 cipher suite by the key exchange
// its IANA name gives.
func keyExchangeOf(cs decode.CipherSuite) keyExchange {
	if k, ok := keyExchanges[cs.KeyExchange()]; ok {
		return k
	}
	return unknownKeyExchange
}
