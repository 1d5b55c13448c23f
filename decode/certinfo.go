package decode

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/hex"
	"fmt"
	"math/big"
	"strings"
	"time"
)

// MaxChainCertificates bounds the certificates of one Certificate message
// that are parsed into a CertInfo. Real chains have two to five; a hostile
// message of 256 KiB could hold 60,000 one-byte "certificates", each worth
// a parse and a line of output. The rest are counted, not parsed.
const MaxChainCertificates = 16

// CertInfo is what a certificate says, as tools that log certificates
// (Zeek's x509.log, Suricata's tls event) show it. It keeps no DER: a
// connection's result holds these instead of the chain's bytes.
type CertInfo struct {
	// Length is the DER length; SHA256 and SHA1 are fingerprints of the
	// DER, in lower-case hex, computed whether or not it parses.
	Length int
	SHA256 string
	SHA1   string

	// Error says why crypto/x509 rejected the certificate; the fields
	// below are then empty.
	Error string

	Version      int
	Subject      string // RFC 4514 string, as openssl -nameopt RFC2253 and Zeek print it
	CommonName   string // the subject's CN, for short displays
	Issuer       string
	SerialNumber string // upper-case hex of the serial's two's-complement bytes
	NotBefore    time.Time
	NotAfter     time.Time

	DNSNames       []string
	IPAddresses    []string
	EmailAddresses []string
	URIs           []string

	// PublicKeyAlgorithm is "RSA", "ECDSA", "Ed25519", "DSA", "X25519",
	// an algorithm crypto/x509 does not know under OpenSSL's name
	// ("ML-DSA-44", "Ed448"), else its OID;
	// PublicKeyBits is the modulus (RSA, DSA) or curve (ECDSA) size;
	// Curve names an ECDSA key's curve ("P-256").
	PublicKeyAlgorithm string
	PublicKeyBits      int
	Curve              string

	// SignatureAlgorithm is crypto/x509's name ("SHA256-RSA"), else
	// OpenSSL's name or the OID, as for the key.
	SignatureAlgorithm string

	IsCA bool
	// BasicConstraints says the certificate carries the basic constraints
	// extension (RFC 5280, Section 4.2.1.9), whose cA flag IsCA is;
	// MaxPathLen is its pathLenConstraint, -1 when absent.
	BasicConstraints bool
	MaxPathLen       int
	// RSAExponent is an RSA key's public exponent; 0 for other keys.
	RSAExponent int
}

// ParseCertificate parses one DER certificate with crypto/x509. It never
// fails: a certificate that does not parse gives Error, Length and the
// fingerprints. der is not kept.
func ParseCertificate(der []byte) CertInfo {
	s256 := sha256.Sum256(der)
	s1 := sha1.Sum(der)
	ci := CertInfo{Length: len(der), SHA256: hex.EncodeToString(s256[:]), SHA1: hex.EncodeToString(s1[:])}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		ci.Error = err.Error()
		return ci
	}
	ci.Version = c.Version
	ci.Subject = distinguishedName(c.RawSubject)
	ci.CommonName = c.Subject.CommonName
	ci.Issuer = distinguishedName(c.RawIssuer)
	if c.SerialNumber != nil {
		ci.SerialNumber = serialHex(c.SerialNumber.Bytes(), c.SerialNumber.Sign() < 0)
	}
	ci.NotBefore, ci.NotAfter = c.NotBefore.UTC(), c.NotAfter.UTC()
	ci.DNSNames = c.DNSNames
	for _, ip := range c.IPAddresses {
		ci.IPAddresses = append(ci.IPAddresses, ip.String())
	}
	ci.EmailAddresses = c.EmailAddresses
	for _, u := range c.URIs {
		ci.URIs = append(ci.URIs, u.String())
	}
	ci.PublicKeyAlgorithm, ci.PublicKeyBits, ci.Curve = publicKeyInfo(c)
	ci.SignatureAlgorithm = c.SignatureAlgorithm.String()
	if c.SignatureAlgorithm == x509.UnknownSignatureAlgorithm {
		ci.SignatureAlgorithm = signatureOID(c.Raw)
	}
	ci.IsCA = c.BasicConstraintsValid && c.IsCA
	ci.BasicConstraints, ci.MaxPathLen = c.BasicConstraintsValid, -1
	if c.BasicConstraintsValid && (c.MaxPathLen > 0 || c.MaxPathLenZero) {
		ci.MaxPathLen = c.MaxPathLen
	}
	if k, ok := c.PublicKey.(*rsa.PublicKey); ok {
		ci.RSAExponent = k.E
	}
	return ci
}

// serialHex prints a serial number's magnitude as upper-case hex with a
// whole number of bytes, as Zeek's x509.log does; a negative serial
// (crypto/x509 rejects them unless told otherwise) gets a '-'.
func serialHex(b []byte, negative bool) string {
	if len(b) == 0 {
		b = []byte{0}
	}
	s := strings.ToUpper(hex.EncodeToString(b))
	if negative {
		return "-" + s
	}
	return s
}

// publicKeyInfo names a certificate's key and its size.
func publicKeyInfo(c *x509.Certificate) (alg string, bits int, curve string) {
	switch k := c.PublicKey.(type) {
	case *rsa.PublicKey:
		return "RSA", k.N.BitLen(), ""
	case *ecdsa.PublicKey:
		p := k.Curve.Params()
		return "ECDSA", p.BitSize, p.Name
	case ed25519.PublicKey:
		return "Ed25519", 256, ""
	}
	if c.PublicKeyAlgorithm == x509.DSA {
		// Dss-Parms (RFC 3279, Section 2.3.2) in the algorithm's
		// parameters; read here rather than through the deprecated
		// crypto/dsa type.
		var spki struct {
			Algorithm pkix.AlgorithmIdentifier
			PublicKey asn1.BitString
		}
		var params struct{ P, Q, G *big.Int }
		if _, err := asn1.Unmarshal(c.RawSubjectPublicKeyInfo, &spki); err == nil {
			if _, err := asn1.Unmarshal(spki.Algorithm.Parameters.FullBytes, &params); err == nil && params.P != nil {
				return "DSA", params.P.BitLen(), ""
			}
		}
		return "DSA", 0, ""
	}
	if c.PublicKeyAlgorithm == x509.UnknownPublicKeyAlgorithm {
		var spki struct {
			Algorithm pkix.AlgorithmIdentifier
			PublicKey asn1.BitString
		}
		if _, err := asn1.Unmarshal(c.RawSubjectPublicKeyInfo, &spki); err == nil {
			return algorithmName(spki.Algorithm.Algorithm), spki.PublicKey.BitLength, ""
		}
		return "unknown", 0, ""
	}
	// Known to crypto/x509 but of another Go type (X25519 keys as
	// *ecdh.PublicKey).
	return c.PublicKeyAlgorithm.String(), 0, ""
}

// signatureOID returns the OID of a certificate's signatureAlgorithm
// (RFC 5280, Section 4.1.1.2), for algorithms crypto/x509 has no name for.
func signatureOID(raw []byte) string {
	var cert struct {
		TBS       asn1.RawValue
		Algorithm pkix.AlgorithmIdentifier
		Signature asn1.BitString
	}
	if _, err := asn1.Unmarshal(raw, &cert); err != nil {
		return "unknown"
	}
	return algorithmName(cert.Algorithm.Algorithm)
}

// attributeNames are the short names OpenSSL prints for name attributes
// (RFC 4514 Section 3, RFC 4519, PKCS #9, CA/Browser Forum EV), so that
// subjects read as in openssl, Zeek and Suricata. Others print as their
// OID.
var attributeNames = map[string]string{
	"2.5.4.3":                    "CN",
	"2.5.4.4":                    "SN",
	"2.5.4.5":                    "serialNumber",
	"2.5.4.6":                    "C",
	"2.5.4.7":                    "L",
	"2.5.4.8":                    "ST",
	"2.5.4.9":                    "street",
	"2.5.4.10":                   "O",
	"2.5.4.11":                   "OU",
	"2.5.4.12":                   "title",
	"2.5.4.15":                   "businessCategory",
	"2.5.4.17":                   "postalCode",
	"2.5.4.41":                   "name",
	"2.5.4.42":                   "GN",
	"2.5.4.43":                   "initials",
	"2.5.4.44":                   "generationQualifier",
	"2.5.4.46":                   "dnQualifier",
	"2.5.4.65":                   "pseudonym",
	"2.5.4.97":                   "organizationIdentifier",
	"0.9.2342.19200300.100.1.1":  "UID",
	"0.9.2342.19200300.100.1.25": "DC",
	"1.2.840.113549.1.9.1":       "emailAddress",
	"1.3.6.1.4.1.311.60.2.1.1":   "jurisdictionL",
	"1.3.6.1.4.1.311.60.2.1.2":   "jurisdictionST",
	"1.3.6.1.4.1.311.60.2.1.3":   "jurisdictionC",
}

// algorithmNames names key and signature algorithm OIDs that crypto/x509
// does not know, as OpenSSL 3 and Zeek name them.
var algorithmNames = map[string]string{
	"1.3.101.111":             "X448",  // RFC 8410
	"1.3.101.113":             "Ed448", // RFC 8410
	"2.16.840.1.101.3.4.3.17": "ML-DSA-44",
	"2.16.840.1.101.3.4.3.18": "ML-DSA-65", // FIPS 204; NIST CSOR sigAlgs arcs
	"2.16.840.1.101.3.4.3.19": "ML-DSA-87",
	"1.2.643.7.1.1.1.1":       "GOST R 34.10-2012 256", // RFC 9215
	"1.2.643.7.1.1.1.2":       "GOST R 34.10-2012 512",
	"1.2.643.7.1.1.3.2":       "GOST R 34.11-2012 256 with GOST R 34.10-2012 256",
	"1.2.643.7.1.1.3.3":       "GOST R 34.11-2012 512 with GOST R 34.10-2012 512",
}

// algorithmName names an OID from algorithmNames, else prints it dotted.
func algorithmName(oid asn1.ObjectIdentifier) string {
	if n, ok := algorithmNames[oid.String()]; ok {
		return n
	}
	return oid.String()
}

// distinguishedName prints a DER Name (RFC 5280, Section 4.1.2.4) as an
// RFC 4514 string: the last RDN first, multi-valued RDNs joined by '+',
// attributes under OpenSSL's short names (attributeNames) or their OID,
// string values escaped as RFC 4514 Section 2.4 says and other values as
// '#' and their DER in hex. Certificates, certificate_authorities and
// CertificateRequest carry names this way.
func distinguishedName(der []byte) string {
	var rdns pkix.RDNSequence
	rest, err := asn1.Unmarshal(der, &rdns)
	if err != nil || len(rest) > 0 {
		return fmt.Sprintf("<invalid DER: %d bytes>", len(der))
	}
	var b strings.Builder
	for i := len(rdns) - 1; i >= 0; i-- {
		if i < len(rdns)-1 {
			b.WriteByte(',')
		}
		for j, atv := range rdns[i] {
			if j > 0 {
				b.WriteByte('+')
			}
			name, ok := attributeNames[atv.Type.String()]
			if !ok {
				name = atv.Type.String()
			}
			b.WriteString(name)
			b.WriteByte('=')
			if v, ok := atv.Value.(string); ok {
				b.WriteString(escapeDNValue(v))
			} else if raw, err := asn1.Marshal(atv.Value); err == nil {
				b.WriteString("#" + hex.EncodeToString(raw))
			}
		}
	}
	return b.String()
}

// escapeDNValue escapes an attribute value (RFC 4514, Section 2.4): the
// special characters with a backslash, a leading space or '#' and a
// trailing space, and control characters as \XX, as OpenSSL does.
func escapeDNValue(v string) string {
	var b strings.Builder
	for i := 0; i < len(v); i++ {
		c := v[i]
		switch {
		case strings.IndexByte(`",+;<>\`, c) >= 0,
			i == 0 && (c == ' ' || c == '#'),
			i == len(v)-1 && c == ' ':
			b.WriteByte('\\')
			b.WriteByte(c)
		case c < 0x20 || c == 0x7f:
			fmt.Fprintf(&b, "\\%02X", c)
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}
