package report

import (
	"bufio"
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/hsdecode/hsdecode/decode"
	"github.com/hsdecode/hsdecode/flows"
)

// ZeekX509Writer writes Zeek's x509.log (--zeek-x509 FILE): a row per
// certificate of the chains seen in clear (or decrypted with keys), with
// Zeek's columns, in the form of the ssl.log beside it (tab-separated,
// or JSON with --format zeek-json). Its fingerprint is the SHA-256 that
// ssl.log's cert_chain_fps and client_cert_chain_fps list. As Zeek does
// by default, a certificate is logged once (by fingerprint, and whether it
// was a host's or a client's) however many connections carried it; past
// maxZeekCertsSeen certificates the memory of those logged starts anew, as
// Zeek's cache expires, so that a long live capture does not grow it
// without bound.
type ZeekX509Writer struct {
	log  zeekLog
	seen map[zeekCertKey]bool
}

// maxZeekCertsSeen bounds the certificates remembered as logged.
const maxZeekCertsSeen = 1 << 16

type zeekCertKey struct {
	sha256       string
	host, client bool
}

// NewZeekX509Writer returns a ZeekX509Writer on w, in Zeek's JSON form
// when asJSON.
func NewZeekX509Writer(w io.Writer, asJSON bool) *ZeekX509Writer {
	return &ZeekX509Writer{log: zeekLog{w: bufio.NewWriter(w), path: "x509", columns: zeekX509Columns, json: asJSON},
		seen: map[zeekCertKey]bool{}}
}

// zeekX509Columns are the x509.log columns of Zeek 6 and 7 and their types.
var zeekX509Columns = []zeekColumn{
	{"ts", "time"}, {"fingerprint", "string"},
	{"certificate.version", "count"}, {"certificate.serial", "string"},
	{"certificate.subject", "string"}, {"certificate.issuer", "string"},
	{"certificate.not_valid_before", "time"}, {"certificate.not_valid_after", "time"},
	{"certificate.key_alg", "string"}, {"certificate.sig_alg", "string"}, {"certificate.key_type", "string"},
	{"certificate.key_length", "count"}, {"certificate.exponent", "string"}, {"certificate.curve", "string"},
	{"san.dns", "vector[string]"}, {"san.uri", "vector[string]"}, {"san.email", "vector[string]"}, {"san.ip", "vector[addr]"},
	{"basic_constraints.ca", "bool"}, {"basic_constraints.path_len", "count"},
	{"host_cert", "bool"}, {"client_cert", "bool"},
}

// Write writes the rows of a connection's certificates not logged yet.
func (z *ZeekX509Writer) Write(r *flows.Result, _ []Finding) error {
	for _, side := range []struct {
		chain  *flows.Chain
		from   flows.Role
		client bool
	}{{r.ServerCertificates, flows.Server, false}, {r.ClientCertificates, flows.Client, true}} {
		if side.chain == nil {
			continue
		}
		ts := certificateTime(r, side.from)
		for i := range side.chain.Certificates {
			c := &side.chain.Certificates[i]
			k := zeekCertKey{c.SHA256, i == 0, side.client}
			if c.Error != "" || z.seen[k] {
				continue
			}
			if len(z.seen) >= maxZeekCertsSeen {
				clear(z.seen)
			}
			z.seen[k] = true
			if err := z.log.row(ts, ts, zeekX509Row(ts, c, k)); err != nil {
				return err
			}
		}
	}
	return nil
}

// Close writes #close.
func (z *ZeekX509Writer) Close() error { return z.log.close() }

// certificateTime is when a side's Certificate message came: its first
// one read, else the connection's start.
func certificateTime(r *flows.Result, from flows.Role) time.Time {
	for _, m := range r.Messages {
		if m.From == from && m.Type == "certificate" && (!m.Encrypted || m.Decrypted) {
			return m.TS
		}
	}
	return r.Start
}

func zeekTime(t time.Time) string {
	return fmt.Sprintf("%d.%06d", t.Unix(), t.Nanosecond()/1000)
}

// zeekX509Row renders a certificate as the columns of zeekX509Columns,
// with OpenSSL's names of algorithms and curves, as Zeek writes them.
func zeekX509Row(ts time.Time, c *decode.CertInfo, k zeekCertKey) []string {
	row := []string{
		zeekTime(ts), c.SHA256, strconv.Itoa(c.Version), orUnset(c.SerialNumber),
		orUnset(zeekString(c.Subject)), orUnset(zeekString(c.Issuer)),
		zeekTime(c.NotBefore), zeekTime(c.NotAfter),
		orUnset(zeekString(opensslKeyAlg(c.PublicKeyAlgorithm))), orUnset(zeekString(opensslSigAlg(c.SignatureAlgorithm))),
		orUnset(zeekString(zeekKeyType(c.PublicKeyAlgorithm))), zeekUnset, zeekUnset, orUnset(opensslCurves[c.Curve]),
		zeekSAN(c.DNSNames), zeekSAN(c.URIs), zeekSAN(c.EmailAddresses), zeekSAN(c.IPAddresses),
		zeekUnset, zeekUnset,
		zeekBool(k.host), zeekBool(k.client),
	}
	if c.PublicKeyBits > 0 {
		row[11] = strconv.Itoa(c.PublicKeyBits)
	}
	if c.RSAExponent > 0 {
		row[12] = strconv.Itoa(c.RSAExponent)
	}
	if c.BasicConstraints {
		row[18] = zeekBool(c.IsCA)
		if c.MaxPathLen >= 0 {
			row[19] = strconv.Itoa(c.MaxPathLen)
		}
	}
	return row
}

// zeekSAN is a list of subject alternative names: unset when there are
// none, as Zeek leaves it.
func zeekSAN(vs []string) string {
	if len(vs) == 0 {
		return zeekUnset
	}
	return zeekList(vs)
}

// opensslKeyAlg is OpenSSL's long name of a key algorithm, as Zeek's
// certificate.key_alg; others (ML-DSA-44, an OID) as decode names them.
func opensslKeyAlg(alg string) string {
	if n, ok := map[string]string{"RSA": "rsaEncryption", "ECDSA": "id-ecPublicKey", "DSA": "dsaEncryption",
		"Ed25519": "ED25519", "X25519": "X25519"}[alg]; ok {
		return n
	}
	return alg
}

// zeekKeyType is Zeek's certificate.key_type: rsa, dsa or ecdsa, else
// the algorithm's name.
func zeekKeyType(alg string) string {
	if n, ok := map[string]string{"RSA": "rsa", "ECDSA": "ecdsa", "DSA": "dsa"}[alg]; ok {
		return n
	}
	return opensslKeyAlg(alg)
}

// opensslSigAlg is OpenSSL's long name of a signature algorithm, as
// Zeek's certificate.sig_alg, for crypto/x509's names; others as they are.
func opensslSigAlg(alg string) string {
	if n, ok := opensslSigAlgs[alg]; ok {
		return n
	}
	return alg
}

var opensslSigAlgs = map[string]string{
	"MD2-RSA": "md2WithRSAEncryption", "MD5-RSA": "md5WithRSAEncryption", "SHA1-RSA": "sha1WithRSAEncryption",
	"SHA256-RSA": "sha256WithRSAEncryption", "SHA384-RSA": "sha384WithRSAEncryption", "SHA512-RSA": "sha512WithRSAEncryption",
	"SHA256-RSAPSS": "rsassaPss", "SHA384-RSAPSS": "rsassaPss", "SHA512-RSAPSS": "rsassaPss",
	"DSA-SHA1": "dsaWithSHA1", "DSA-SHA256": "dsa_with_SHA256",
	"ECDSA-SHA1": "ecdsa-with-SHA1", "ECDSA-SHA256": "ecdsa-with-SHA256", "ECDSA-SHA384": "ecdsa-with-SHA384",
	"ECDSA-SHA512": "ecdsa-with-SHA512", "Ed25519": "ED25519",
}

// opensslCurves are OpenSSL's short names of the curves crypto/x509
// knows, as Zeek's certificate.curve.
var opensslCurves = map[string]string{"P-224": "secp224r1", "P-256": "prime256v1", "P-384": "secp384r1", "P-521": "secp521r1"}
