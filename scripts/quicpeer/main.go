// Command quicpeer runs a quic-go server and client against each other on
// loopback, one scenario per run, for scripts/make-quic-testdata.sh to
// record the QUIC captures of issue 17 (with the client's NSS key log,
// -keylog). Certificates are made in memory: a CA and a leaf for
// localhost, and for mtls-fail a client certificate of another CA.
//
// Scenarios:
//
//	v1         QUIC version 1, a stream echoed
//	v2         QUIC version 2 (RFC 9369) on both sides
//	retry      the server sends a Retry first (address validation)
//	hrr        the server prefers only P-256: a HelloRetryRequest
//	mtls-fail  the server requires a client certificate of a CA it does not trust
//	alpn-fail  no common ALPN: the server closes with no_application_protocol
//	vn         the client starts with version 2, the server speaks only 1: Version Negotiation
//	big-hello  200 ALPN names: the ClientHello takes several Initial packets
//	rebind     NAT rebinding: after the handshake and an echo, the client's
//	           datagrams leave from a second UDP socket (a new port) while it
//	           keeps its connection IDs; the server validates the new path
//	migrate    active migration: after an echo, the client probes a path from
//	           a second socket with a new connection ID and switches to it
//
// Its module is its own (scripts/quicpeer/go.mod), so that quic-go is not a
// dependency of hsdecode.
package main

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"flag"
	"fmt"
	"io"
	"log"
	"math/big"
	"net"
	"os"
	"time"

	"github.com/quic-go/quic-go"
)

func main() {
	scenario := flag.String("scenario", "v1", "what to run (see the package comment)")
	port := flag.Int("port", 44560, "server UDP port on 127.0.0.1")
	keyLog := flag.String("keylog", "", "append the client's NSS key log to this file")
	flag.Parse()
	log.SetFlags(0)
	log.SetPrefix("quicpeer: ")
	if err := run(*scenario, *port, *keyLog); err != nil {
		log.Fatal(err)
	}
}

type certs struct {
	ca, otherCA *x509.Certificate
	server      tls.Certificate
	client      tls.Certificate // issued by otherCA
}

func run(scenario string, port int, keyLog string) error {
	cs, err := makeCerts()
	if err != nil {
		return err
	}
	pool := x509.NewCertPool()
	pool.AddCert(cs.ca)
	srvTLS := &tls.Config{Certificates: []tls.Certificate{cs.server}, NextProtos: []string{"hq-test"}}
	cliTLS := &tls.Config{ServerName: "localhost", RootCAs: pool, NextProtos: []string{"hq-test"}}
	srvConf := &quic.Config{HandshakeIdleTimeout: 3 * time.Second}
	cliConf := &quic.Config{HandshakeIdleTimeout: 3 * time.Second}
	if keyLog != "" {
		f, err := os.OpenFile(keyLog, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o600)
		if err != nil {
			return err
		}
		defer f.Close()
		cliTLS.KeyLogWriter = f
	}
	verify := false
	wantFail := false
	var moving func(context.Context, net.Addr, *tls.Config, *quic.Config) error
	switch scenario {
	case "v1":
	case "v2":
		srvConf.Versions = []quic.Version{quic.Version2}
		cliConf.Versions = []quic.Version{quic.Version2}
	case "retry":
		verify = true
	case "hrr":
		srvTLS.CurvePreferences = []tls.CurveID{tls.CurveP256}
	case "mtls-fail":
		other := x509.NewCertPool()
		other.AddCert(cs.ca) // the client's issuer, otherCA, is not in it
		srvTLS.ClientAuth, srvTLS.ClientCAs = tls.RequireAndVerifyClientCert, other
		// Sent whatever CAs the server names, as a misconfigured client
		// does.
		cliTLS.GetClientCertificate = func(*tls.CertificateRequestInfo) (*tls.Certificate, error) { return &cs.client, nil }
		wantFail = true
	case "alpn-fail":
		cliTLS.NextProtos = []string{"not-offered"}
		wantFail = true
	case "vn":
		srvConf.Versions = []quic.Version{quic.Version1}
		cliConf.Versions = []quic.Version{quic.Version2, quic.Version1}
	case "big-hello":
		var protos []string
		for i := range 200 {
			protos = append(protos, fmt.Sprintf("hsdecode-proto-%03d", i))
		}
		cliTLS.NextProtos = append(protos, "hq-test")
	case "rebind":
		moving = rebindClient
	case "migrate":
		moving = migrateClient
	default:
		return fmt.Errorf("unknown scenario %q", scenario)
	}

	udp, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: port})
	if err != nil {
		return err
	}
	tr := &quic.Transport{Conn: udp}
	if verify {
		tr.VerifySourceAddress = func(net.Addr) bool { return true }
	}
	defer tr.Close()
	ln, err := tr.Listen(srvTLS, srvConf)
	if err != nil {
		return err
	}
	sctx, scancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer scancel()
	served := make(chan error, 1)
	go func() { served <- serve(sctx, ln) }()

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	var cerr error
	if moving != nil {
		cerr = moving(ctx, udp.LocalAddr(), cliTLS, cliConf)
	} else {
		cerr = client(ctx, fmt.Sprintf("127.0.0.1:%d", port), cliTLS, cliConf)
	}
	if cerr != nil {
		// The server accepts no connection that failed its handshake.
		time.Sleep(200 * time.Millisecond)
		scancel()
	}
	serr := <-served
	log.Printf("%s: client: %v; server: %v", scenario, cerr, serr)
	if wantFail != (cerr != nil) {
		return fmt.Errorf("%s: client error %v, want failure %v", scenario, cerr, wantFail)
	}
	return nil
}

// serve accepts one connection and echoes its first stream, then waits
// for the client to close.
func serve(ctx context.Context, ln *quic.Listener) error {
	conn, err := ln.Accept(ctx)
	if err != nil {
		return err
	}
	s, err := conn.AcceptStream(ctx)
	if err != nil {
		return err
	}
	if _, err := io.Copy(s, s); err != nil {
		return err
	}
	s.Close()
	<-conn.Context().Done()
	return nil
}

func client(ctx context.Context, addr string, tc *tls.Config, qc *quic.Config) error {
	conn, err := quic.DialAddr(ctx, addr, tc, qc)
	if err != nil {
		return err
	}
	s, err := conn.OpenStreamSync(ctx)
	if err != nil {
		return err
	}
	if _, err := s.Write([]byte("hello\n")); err != nil {
		return err
	}
	s.Close()
	b, err := io.ReadAll(s)
	if err != nil {
		return err
	}
	if string(b) != "hello\n" {
		return fmt.Errorf("echo %q", b)
	}
	return conn.CloseWithError(0, "")
}

func makeCerts() (*certs, error) {
	ca, caKey, err := newCert("hsdecode quic CA", nil, nil, true)
	if err != nil {
		return nil, err
	}
	other, otherKey, err := newCert("hsdecode quic other CA", nil, nil, true)
	if err != nil {
		return nil, err
	}
	srv, srvKey, err := newCert("localhost", ca, caKey, false)
	if err != nil {
		return nil, err
	}
	cli, cliKey, err := newCert("hsdecode quic client", other, otherKey, false)
	if err != nil {
		return nil, err
	}
	return &certs{
		ca: ca, otherCA: other,
		server: tls.Certificate{Certificate: [][]byte{srv.Raw}, PrivateKey: srvKey},
		client: tls.Certificate{Certificate: [][]byte{cli.Raw}, PrivateKey: cliKey},
	}, nil
}

// newCert makes a certificate for cn, signed by parent (self-signed when
// nil).
func newCert(cn string, parent *x509.Certificate, parentKey *ecdsa.PrivateKey, isCA bool) (*x509.Certificate, *ecdsa.PrivateKey, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, err
	}
	serial, err := rand.Int(rand.Reader, big.NewInt(1<<62))
	if err != nil {
		return nil, nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{CommonName: cn},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(48 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
		DNSNames:     []string{"localhost"},
	}
	if isCA {
		tmpl.IsCA, tmpl.BasicConstraintsValid = true, true
		tmpl.KeyUsage |= x509.KeyUsageCertSign
		tmpl.DNSNames = nil
	}
	if parent == nil {
		parent, parentKey = tmpl, key
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, &key.PublicKey, parentKey)
	if err != nil {
		return nil, nil, err
	}
	c, err := x509.ParseCertificate(der)
	return c, key, err
}
