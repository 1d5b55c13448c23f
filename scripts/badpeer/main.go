// Command badpeer is a deliberately misbehaving TLS 1.2 peer. It writes TLS
// records by hand so that scripts/make-testdata.sh can record handshakes that
// break the order of RFC 5246 against a real OpenSSL peer: no TLS library
// would ever send these sequences, and hsdecode's violation codes need real
// captures to be tested against.
//
// It does no real cryptography. Every message is well-formed (correct record
// and handshake headers and lengths, real certificate DER, a real P-256 point
// in ClientKeyExchange) so that the only thing wrong on the wire is the
// order; the "encrypted" Finished and application_data records are random
// bytes of a plausible AES-GCM length. The real peer answers with an alert,
// which is expected.
//
// Server scenarios (run against `openssl s_client -tls1_2`):
//
//	shd-before-cert     ServerHello, ServerHelloDone            (unexpected_message)
//	missing-ske         ServerHello, Certificate, ServerHelloDone with an ECDHE suite (missing_message)
//	dup-server-hello    ServerHello, ServerHello                (duplicate_message)
//
// And against `openssl s_client -tls1_3 -groups X25519:P-256`:
//
//	hrr-unoffered-group a HelloRetryRequest for secp521r1, a group the client
//	                    did not offer (RFC 8446, 4.1.4: the client aborts with
//	                    illegal_parameter): a retry that cannot converge
//
// Client scenarios (run against `openssl s_server -tls1_2`):
//
//	cv-without-cert          ClientHello, ClientKeyExchange, CertificateVerify, CCS, Finished (unexpected_message)
//	appdata-before-finished  ClientHello, ClientKeyExchange, application_data       (application_data_before_finished)
package main

import (
	"crypto/ecdh"
	"crypto/rand"
	"encoding/binary"
	"encoding/pem"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"os"
	"time"
)

// Record content types and handshake message types (RFC 5246 6.2.1, 7.4).
const (
	recChangeCipherSpec = 20
	recAlert            = 21
	recHandshake        = 22
	recApplicationData  = 23

	hsClientHello       = 1
	hsServerHello       = 2
	hsCertificate       = 11
	hsServerKeyExchange = 12
	hsServerHelloDone   = 14
	hsCertificateVerify = 15
	hsClientKeyExchange = 16
	hsFinished          = 20

	tls12 = 0x0303
)

// ECDHE-RSA suites the bad server may echo, best first. They are ECDHE so that
// leaving out ServerKeyExchange (missing-ske) is a real omission, and RSA so
// that the RSA certificate the script passes fits them.
var ecdheRSASuites = []uint16{
	0xc02f, // TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256
	0xc030, // TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384
	0xcca8, // TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256
	0xc027, // TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256
	0xc013, // TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA
	0xc014, // TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA
}

var (
	serverScenarios = map[string]bool{"shd-before-cert": true, "missing-ske": true, "dup-server-hello": true, "hrr-unoffered-group": true}
	clientScenarios = map[string]bool{"cv-without-cert": true, "appdata-before-finished": true}
)

func main() {
	mode := flag.String("mode", "", "server or client")
	scenario := flag.String("scenario", "", "which violation to commit (see the package comment)")
	addr := flag.String("addr", "127.0.0.1:44323", "address to listen on (server) or dial (client)")
	certFile := flag.String("cert", "", "PEM certificate whose DER goes into the Certificate message (server)")
	timeout := flag.Duration("timeout", 10*time.Second, "deadline for the connection, so a silent peer never hangs the script")
	flag.Parse()
	log.SetFlags(0)
	log.SetPrefix("badpeer: ")

	var err error
	switch {
	case *mode == "server" && serverScenarios[*scenario]:
		err = runServer(*addr, *scenario, *certFile, *timeout)
	case *mode == "client" && clientScenarios[*scenario]:
		err = runClient(*addr, *scenario, *timeout)
	default:
		err = fmt.Errorf("unknown -mode %q / -scenario %q combination", *mode, *scenario)
	}
	if err != nil {
		log.Fatal(err)
	}
}

// record frames one TLS 1.2 record.
func record(typ byte, body []byte) []byte {
	b := []byte{typ, tls12 >> 8, tls12 & 0xff, byte(len(body) >> 8), byte(len(body))}
	return append(b, body...)
}

// handshake frames one handshake message (type, 24-bit length, body).
func handshake(typ byte, body []byte) []byte {
	n := len(body)
	b := []byte{typ, byte(n >> 16), byte(n >> 8), byte(n)}
	return append(b, body...)
}

func u16(v int) []byte { return []byte{byte(v >> 8), byte(v)} }
func u24(v int) []byte { return []byte{byte(v >> 16), byte(v >> 8), byte(v)} }

// vec16 and vec8 prefix a vector with its length, as TLS's <..2^16-1> and
// <..2^8-1> vectors are encoded.
func vec16(b []byte) []byte { return append(u16(len(b)), b...) }
func vec8(b []byte) []byte  { return append([]byte{byte(len(b))}, b...) }

func ext(typ int, body []byte) []byte { return append(u16(typ), vec16(body)...) }

func random(n int) []byte {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return b
}

// reader reassembles handshake messages from records, enough to follow the
// real peer's flight. Alerts from the peer end the read with an error that
// names them, so the script's log says what the real peer objected to.
type reader struct {
	c   net.Conn
	buf []byte // handshake bytes not yet returned
}

type alertError struct{ level, desc byte }

func (a alertError) Error() string {
	return fmt.Sprintf("peer sent alert level %d description %d", a.level, a.desc)
}

func (r *reader) readRecord() (byte, []byte, error) {
	hdr := make([]byte, 5)
	if _, err := io.ReadFull(r.c, hdr); err != nil {
		return 0, nil, err
	}
	body := make([]byte, binary.BigEndian.Uint16(hdr[3:]))
	if _, err := io.ReadFull(r.c, body); err != nil {
		return 0, nil, err
	}
	return hdr[0], body, nil
}

// next returns the next handshake message (type and body).
func (r *reader) next() (byte, []byte, error) {
	for {
		if len(r.buf) >= 4 {
			n := int(r.buf[1])<<16 | int(r.buf[2])<<8 | int(r.buf[3])
			if len(r.buf) >= 4+n {
				typ, body := r.buf[0], r.buf[4:4+n]
				r.buf = r.buf[4+n:]
				return typ, body, nil
			}
		}
		typ, body, err := r.readRecord()
		if err != nil {
			return 0, nil, err
		}
		switch typ {
		case recHandshake:
			r.buf = append(r.buf, body...)
		case recAlert:
			if len(body) >= 2 {
				return 0, nil, alertError{body[0], body[1]}
			}
			return 0, nil, errors.New("short alert record")
		default:
			return 0, nil, fmt.Errorf("unexpected record type %d during handshake", typ)
		}
	}
}

// drain reads until the peer closes or the deadline passes, so the peer's
// alert and FIN land in the capture before we close our side.
func drain(c net.Conn) {
	r := &reader{c: c}
	for {
		typ, body, err := r.readRecord()
		if err != nil {
			return
		}
		if typ == recAlert && len(body) >= 2 {
			log.Printf("peer sent alert level %d description %d (expected)", body[0], body[1])
		}
	}
}

// clientHello holds the fields of the peer's ClientHello the bad server
// needs to answer it plausibly.
type clientHello struct {
	sessionID  []byte
	suites     []uint16
	extensions map[uint16]bool
}

func parseClientHello(b []byte) (*clientHello, error) {
	bad := errors.New("malformed ClientHello")
	// legacy_version(2) random(32)
	if len(b) < 35 {
		return nil, bad
	}
	p := b[34:]
	sidLen := int(p[0])
	if len(p) < 1+sidLen+2 {
		return nil, bad
	}
	sid := p[1 : 1+sidLen]
	p = p[1+sidLen:]
	csLen := int(binary.BigEndian.Uint16(p))
	if len(p) < 2+csLen+1 || csLen%2 != 0 {
		return nil, bad
	}
	ch := &clientHello{sessionID: sid, extensions: map[uint16]bool{}}
	for i := 0; i < csLen; i += 2 {
		ch.suites = append(ch.suites, binary.BigEndian.Uint16(p[2+i:]))
	}
	p = p[2+csLen:]
	compLen := int(p[0])
	if len(p) < 1+compLen {
		return nil, bad
	}
	p = p[1+compLen:]
	if len(p) < 2 {
		return ch, nil // no extensions
	}
	p = p[2:]
	for len(p) >= 4 {
		typ := binary.BigEndian.Uint16(p)
		n := int(binary.BigEndian.Uint16(p[2:]))
		if len(p) < 4+n {
			return nil, bad
		}
		ch.extensions[typ] = true
		p = p[4+n:]
	}
	return ch, nil
}

func runServer(addr, scenario, certFile string, timeout time.Duration) error {
	der, err := loadCertDER(certFile)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	defer ln.Close()
	c, err := ln.Accept()
	if err != nil {
		return err
	}
	defer c.Close()
	if err := c.SetDeadline(time.Now().Add(timeout)); err != nil {
		return err
	}

	// Read the real client's ClientHello first so the ServerHello echoes a
	// suite it offered: the client must get as far as judging the order.
	r := &reader{c: c}
	typ, body, err := r.next()
	if err != nil {
		return err
	}
	if typ != hsClientHello {
		return fmt.Errorf("first handshake message is type %d, not ClientHello", typ)
	}
	ch, err := parseClientHello(body)
	if err != nil {
		return err
	}
	if scenario == "hrr-unoffered-group" {
		if _, err := c.Write(record(recHandshake, helloRetryRequest(ch, secp521r1))); err != nil {
			return err
		}
		log.Printf("server %s: sent a HelloRetryRequest for group %d", scenario, secp521r1)
		drain(c)
		return nil
	}
	suite, ok := pickSuite(ch.suites)
	if !ok {
		return errors.New("client offered no ECDHE-RSA suite")
	}
	sh := serverHello(suite, ch)
	cert := certificate(der)
	done := handshake(hsServerHelloDone, nil)

	var flight [][]byte
	switch scenario {
	case "shd-before-cert":
		flight = [][]byte{sh, done}
	case "missing-ske":
		flight = [][]byte{sh, cert, done}
	case "dup-server-hello":
		flight = [][]byte{sh, serverHello(suite, ch)}
	}
	// One handshake message per record, the whole flight in one write, so
	// every message is on the wire before the client's alert can reset the
	// connection.
	var out []byte
	for _, m := range flight {
		out = append(out, record(recHandshake, m)...)
	}
	if _, err := c.Write(out); err != nil {
		return err
	}
	log.Printf("server %s: sent %d messages with suite 0x%04x", scenario, len(flight), suite)
	drain(c)
	return nil
}

// secp521r1 is the group the HelloRetryRequest asks for (RFC 8446, 4.2.7).
const secp521r1 = 25

// hrrRandom is the ServerHello.random that makes a HelloRetryRequest
// (RFC 8446, 4.1.3): SHA-256 of "HelloRetryRequest".
var hrrRandom = []byte{
	0xcf, 0x21, 0xad, 0x74, 0xe5, 0x9a, 0x61, 0x11, 0xbe, 0x1d, 0x8c, 0x02, 0x1e, 0x65, 0xb8, 0x91,
	0xc2, 0xa2, 0x11, 0x16, 0x7a, 0xbb, 0x8c, 0x5e, 0x07, 0x9e, 0x09, 0xe2, 0xc8, 0xa8, 0x33, 0x9c,
}

// helloRetryRequest asks the client for a key share in group, with
// TLS_AES_128_GCM_SHA256 and TLS 1.3 (RFC 8446, 4.1.4), echoing its
// session id.
func helloRetryRequest(ch *clientHello, group int) []byte {
	var b []byte
	b = append(b, u16(tls12)...)
	b = append(b, hrrRandom...)
	b = append(b, vec8(ch.sessionID)...)
	b = append(b, u16(0x1301)...)
	b = append(b, 0)
	exts := append(ext(43, u16(0x0304)), ext(51, u16(group))...) // supported_versions, key_share
	b = append(b, vec16(exts)...)
	return handshake(hsServerHello, b)
}

func pickSuite(offered []uint16) (uint16, bool) {
	for _, want := range ecdheRSASuites {
		for _, s := range offered {
			if s == want {
				return s, true
			}
		}
	}
	return 0, false
}

func serverHello(suite uint16, ch *clientHello) []byte {
	var exts []byte
	// Answer only extensions the client sent (RFC 5246 7.4.1.4): secure
	// renegotiation, since OpenSSL sends its SCSV or extension, and point
	// formats, which RFC 8422 expects back for ECC suites.
	if ch.extensions[0xff01] || containsSuite(ch.suites, 0x00ff) {
		exts = append(exts, ext(0xff01, []byte{0})...)
	}
	if ch.extensions[0x000b] {
		exts = append(exts, ext(0x000b, vec8([]byte{0}))...)
	}
	body := u16(tls12)
	body = append(body, random(32)...)
	body = append(body, vec8(random(32))...) // a fresh session id: no resumption
	body = append(body, u16(int(suite))...)
	body = append(body, 0) // null compression
	body = append(body, vec16(exts)...)
	return handshake(hsServerHello, body)
}

func containsSuite(suites []uint16, s uint16) bool {
	for _, x := range suites {
		if x == s {
			return true
		}
	}
	return false
}

// certificate builds a Certificate message holding one real certificate.
func certificate(der []byte) []byte {
	entry := append(u24(len(der)), der...)
	return handshake(hsCertificate, append(u24(len(entry)), entry...))
}

func loadCertDER(file string) ([]byte, error) {
	if file == "" {
		return nil, errors.New("server mode needs -cert")
	}
	b, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	blk, _ := pem.Decode(b)
	if blk == nil || blk.Type != "CERTIFICATE" {
		return nil, fmt.Errorf("%s: no PEM certificate", file)
	}
	return blk.Bytes, nil
}

func runClient(addr, scenario string, timeout time.Duration) error {
	c, err := net.DialTimeout("tcp", addr, timeout)
	if err != nil {
		return err
	}
	defer c.Close()
	if err := c.SetDeadline(time.Now().Add(timeout)); err != nil {
		return err
	}
	if _, err := c.Write(record(recHandshake, clientHelloMsg())); err != nil {
		return err
	}
	// Follow the real server's flight up to ServerHelloDone: the violation
	// must come where the client's second flight belongs.
	r := &reader{c: c}
	for {
		typ, _, err := r.next()
		if err != nil {
			return fmt.Errorf("reading server flight: %w", err)
		}
		if typ == hsServerHelloDone {
			break
		}
		if typ == hsServerKeyExchange || typ == hsServerHello || typ == hsCertificate {
			continue
		}
		return fmt.Errorf("server sent handshake type %d; this client cannot answer a CertificateRequest", typ)
	}

	// A real P-256 point so the server accepts ClientKeyExchange itself
	// and only objects to what follows it.
	key, err := ecdh.P256().GenerateKey(rand.Reader)
	if err != nil {
		return err
	}
	cke := handshake(hsClientKeyExchange, vec8(key.PublicKey().Bytes()))
	out := record(recHandshake, cke)
	switch scenario {
	case "cv-without-cert":
		// CertificateVerify with no Certificate before it: a signature
		// algorithm (rsa_pss_rsae_sha256) and a 256-byte "signature".
		cv := handshake(hsCertificateVerify, append(u16(0x0804), vec16(random(256))...))
		out = append(out, record(recHandshake, cv)...)
		out = append(out, record(recChangeCipherSpec, []byte{1})...)
		// Encrypted Finished as AES-GCM would carry it: 8-byte explicit
		// nonce, 16 bytes of ciphertext, 16-byte tag.
		out = append(out, record(recHandshake, random(40))...)
	case "appdata-before-finished":
		out = append(out, record(recApplicationData, random(40))...)
	}
	if _, err := c.Write(out); err != nil {
		return err
	}
	log.Printf("client %s: sent second flight", scenario)
	drain(c)
	return nil
}

func clientHelloMsg() []byte {
	var suites []byte
	for _, s := range ecdheRSASuites {
		suites = append(suites, u16(int(s))...)
	}
	suites = append(suites, u16(0x00ff)...) // TLS_EMPTY_RENEGOTIATION_INFO_SCSV

	host := []byte("localhost")
	sni := append([]byte{0}, vec16(host)...) // host_name entry
	var exts []byte
	exts = append(exts, ext(0x0000, vec16(sni))...)                                 // server_name
	exts = append(exts, ext(0x000a, vec16(u16(0x0017)))...)                         // supported_groups: secp256r1
	exts = append(exts, ext(0x000b, vec8([]byte{0}))...)                            // ec_point_formats: uncompressed
	exts = append(exts, ext(0x000d, vec16(append(u16(0x0804), u16(0x0401)...)))...) // signature_algorithms
	body := u16(tls12)
	body = append(body, random(32)...)
	body = append(body, 0) // empty session id: a full handshake
	body = append(body, vec16(suites)...)
	body = append(body, vec8([]byte{0})...) // null compression
	body = append(body, vec16(exts)...)
	return handshake(hsClientHello, body)
}
