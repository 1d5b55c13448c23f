// Command mkfixtures records real TLS handshakes made by crypto/tls over
// loopback TCP and writes each direction's bytes to decode/testdata/*.bin:
//
//	GODEBUG=tls10server=1,tlsrsakex=1 go run ./decode/testdata/mkfixtures -o decode/testdata
//
// The files are committed; rerunning gives different random bytes, so the
// tests assert properties that hold for any run, plus exact values only
// where the configuration fixes them.
package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"flag"
	"io"
	"log"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"sync"
	"time"
)

// recorder keeps every byte written through a net.Conn.
type recorder struct {
	net.Conn
	mu  sync.Mutex
	out []byte
}

func (r *recorder) Write(b []byte) (int, error) {
	r.mu.Lock()
	r.out = append(r.out, b...)
	r.mu.Unlock()
	return r.Conn.Write(b)
}

func cert(key any, pub any, name string) tls.Certificate {
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: name},
		DNSNames:     []string{name},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, pub, key)
	if err != nil {
		log.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}

// run performs one handshake plus a short exchange and returns the bytes
// each side wrote.
func run(cc, sc *tls.Config) (client, server []byte) {
	// TCP over loopback rather than net.Pipe: both sides write at once
	// around a HelloRetryRequest, which an unbuffered pipe deadlocks on.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	defer ln.Close()
	a, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		log.Fatal(err)
	}
	b, err := ln.Accept()
	if err != nil {
		log.Fatal(err)
	}
	a.SetDeadline(time.Now().Add(5 * time.Second))
	b.SetDeadline(time.Now().Add(5 * time.Second))
	ra, rb := &recorder{Conn: a}, &recorder{Conn: b}
	c, s := tls.Client(ra, cc), tls.Server(rb, sc)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		if err := s.Handshake(); err != nil {
			log.Printf("server: %v", err)
			return
		}
		buf := make([]byte, 5)
		if _, err := io.ReadFull(s, buf); err != nil {
			log.Printf("server read: %v", err)
		}
		s.Write([]byte("world"))
		s.Close()
	}()
	if err := c.Handshake(); err != nil {
		log.Printf("client: %v", err)
	} else {
		c.Write([]byte("hello"))
		buf := make([]byte, 5)
		io.ReadFull(c, buf)
	}
	c.Close()
	wg.Wait()
	return ra.out, rb.out
}

func main() {
	dir := flag.String("o", "decode/testdata", "output directory")
	flag.Parse()
	rsaKey, _ := rsa.GenerateKey(rand.Reader, 2048)
	ecKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	serverRSA := cert(rsaKey, &rsaKey.PublicKey, "server.example")
	serverRSA.OCSPStaple = []byte("fake ocsp response for tests")
	clientEC := cert(ecKey, &ecKey.PublicKey, "client.example")
	pool := x509.NewCertPool()
	leaf, _ := x509.ParseCertificate(serverRSA.Certificate[0])
	pool.AddCert(leaf)

	write := func(name string, c, s []byte) {
		for side, b := range map[string][]byte{"client": c, "server": s} {
			p := filepath.Join(*dir, name+"."+side+".bin")
			if err := os.WriteFile(p, b, 0o644); err != nil {
				log.Fatal(err)
			}
		}
	}

	// TLS 1.2 full handshake: ECDHE-RSA, OCSP staple (CertificateStatus),
	// client certificate (CertificateRequest, Certificate,
	// CertificateVerify), session ticket (NewSessionTicket), SNI and ALPN.
	cache := tls.NewLRUClientSessionCache(4)
	cc := &tls.Config{
		ServerName: "server.example", RootCAs: pool, NextProtos: []string{"h2", "http/1.1"},
		MaxVersion: tls.VersionTLS12, Certificates: []tls.Certificate{clientEC},
		CipherSuites:       []uint16{tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, tls.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384},
		ClientSessionCache: cache,
	}
	sc := &tls.Config{
		Certificates: []tls.Certificate{serverRSA}, NextProtos: []string{"h2"},
		ClientAuth: tls.RequireAnyClientCert, MaxVersion: tls.VersionTLS12,
	}
	c, s := run(cc, sc)
	write("tls12_full", c, s)
	// Resumption with the ticket just issued: abbreviated handshake.
	c, s = run(cc, sc)
	write("tls12_resumed", c, s)

	// TLS 1.0 with RSA key exchange and the TLS 1.0 CertificateRequest.
	cc10 := &tls.Config{
		ServerName: "server.example", RootCAs: pool, MinVersion: tls.VersionTLS10, MaxVersion: tls.VersionTLS10,
		CipherSuites: []uint16{tls.TLS_RSA_WITH_AES_128_CBC_SHA}, Certificates: []tls.Certificate{clientEC},
	}
	sc10 := &tls.Config{
		Certificates: []tls.Certificate{serverRSA}, MinVersion: tls.VersionTLS10, MaxVersion: tls.VersionTLS10,
		CipherSuites: []uint16{tls.TLS_RSA_WITH_AES_128_CBC_SHA}, ClientAuth: tls.RequestClientCert,
	}
	c, s = run(cc10, sc10)
	write("tls10_rsa", c, s)

	// TLS 1.3 full handshake.
	cc13 := &tls.Config{ServerName: "server.example", RootCAs: pool, NextProtos: []string{"h2"}}
	sc13 := &tls.Config{Certificates: []tls.Certificate{serverRSA}, NextProtos: []string{"h2"}}
	c, s = run(cc13, sc13)
	write("tls13_full", c, s)

	// TLS 1.3 HelloRetryRequest: the client shares only X25519, the server
	// accepts only P-256.
	ccHRR := &tls.Config{ServerName: "server.example", RootCAs: pool,
		CurvePreferences: []tls.CurveID{tls.X25519, tls.CurveP256}}
	scHRR := &tls.Config{Certificates: []tls.Certificate{serverRSA},
		CurvePreferences: []tls.CurveID{tls.CurveP256}}
	c, s = run(ccHRR, scHRR)
	write("tls13_hrr", c, s)
}
