// Command tlspeer is a minimal Go crypto/tls client or server used by
// scripts/make-testdata.sh and scripts/make-keylog-testdata.sh to record
// handshakes made by Go's TLS stack (with its key log, -keylog).
//
// Go's stack is worth its own capture because its ClientHello and
// ServerHello differ from OpenSSL's and GnuTLS's (extension order, key
// shares), so hsdecode must be checked against it too.
//
// The server accepts -n connections, answers one short HTTP/1.0-style
// response on each and closes with close_notify; the client sends one short
// request and reads until the server closes. Both print a one-line summary of
// what was negotiated to stderr so the script's log shows it.
package main

import (
	"bufio"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"os"
	"strings"
	"time"
)

func main() {
	mode := flag.String("mode", "", "server or client")
	addr := flag.String("addr", "127.0.0.1:44322", "address to listen on (server) or dial (client)")
	certFile := flag.String("cert", "", "PEM certificate (server: required; client: optional client certificate)")
	keyFile := flag.String("key", "", "PEM private key for -cert")
	caFile := flag.String("ca", "", "PEM CA bundle: client verifies the server with it; server requires and verifies client certificates with it")
	serverName := flag.String("servername", "localhost", "SNI and verification name (client)")
	minVer := flag.String("min", "1.2", "lowest TLS version: 1.0, 1.1, 1.2 or 1.3")
	maxVer := flag.String("max", "1.3", "highest TLS version: 1.0, 1.1, 1.2 or 1.3")
	alpn := flag.String("alpn", "", "comma-separated ALPN protocols to offer (client) or accept (server)")
	n := flag.Int("n", 1, "connections to serve before exiting (server)")
	timeout := flag.Duration("timeout", 10*time.Second, "deadline for each connection, so a stuck peer never hangs the script")
	keyLog := flag.String("keylog", "", "append the NSS key log of every connection to this file (tls.Config.KeyLogWriter)")
	flag.Parse()
	log.SetFlags(0)
	log.SetPrefix("tlspeer: ")

	cfg := &tls.Config{ServerName: *serverName}
	var err error
	if cfg.MinVersion, err = parseVersion(*minVer); err != nil {
		log.Fatal(err)
	}
	if cfg.MaxVersion, err = parseVersion(*maxVer); err != nil {
		log.Fatal(err)
	}
	if *alpn != "" {
		cfg.NextProtos = strings.Split(*alpn, ",")
	}
	if *certFile != "" {
		cert, err := tls.LoadX509KeyPair(*certFile, *keyFile)
		if err != nil {
			log.Fatal(err)
		}
		cfg.Certificates = []tls.Certificate{cert}
	}
	if *keyLog != "" {
		// Appended, as OpenSSL, GnuTLS and curl do, so that one key log
		// can gather the conversations of a capture.
		f, err := os.OpenFile(*keyLog, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
		if err != nil {
			log.Fatal(err)
		}
		defer f.Close()
		cfg.KeyLogWriter = f
	}
	var pool *x509.CertPool
	if *caFile != "" {
		pem, err := os.ReadFile(*caFile)
		if err != nil {
			log.Fatal(err)
		}
		pool = x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			log.Fatalf("no certificates in %s", *caFile)
		}
	}

	switch *mode {
	case "server":
		if len(cfg.Certificates) == 0 {
			log.Fatal("server needs -cert and -key")
		}
		if pool != nil {
			cfg.ClientCAs = pool
			cfg.ClientAuth = tls.RequireAndVerifyClientCert
		}
		err = serve(*addr, cfg, *n, *timeout)
	case "client":
		if pool != nil {
			cfg.RootCAs = pool
		} else {
			// Throwaway test certificates: without -ca there is nothing
			// to verify against, and the capture is about the handshake.
			cfg.InsecureSkipVerify = true
		}
		err = dial(*addr, cfg, *timeout)
	default:
		err = errors.New("-mode must be server or client")
	}
	if err != nil {
		log.Fatal(err)
	}
}

func parseVersion(s string) (uint16, error) {
	switch s {
	case "1.0":
		return tls.VersionTLS10, nil
	case "1.1":
		return tls.VersionTLS11, nil
	case "1.2":
		return tls.VersionTLS12, nil
	case "1.3":
		return tls.VersionTLS13, nil
	}
	return 0, fmt.Errorf("unknown TLS version %q", s)
}

func serve(addr string, cfg *tls.Config, n int, timeout time.Duration) error {
	ln, err := tls.Listen("tcp", addr, cfg)
	if err != nil {
		return err
	}
	defer ln.Close()
	for i := 0; i < n; i++ {
		c, err := ln.Accept()
		if err != nil {
			return err
		}
		if err := handle(c.(*tls.Conn), timeout); err != nil {
			// One failed connection is part of what a capture may
			// show; report it and go on serving.
			log.Printf("connection %d: %v", i+1, err)
		}
	}
	return nil
}

func handle(c *tls.Conn, timeout time.Duration) error {
	defer c.Close() // Close sends close_notify, a normal end of the connection.
	if err := c.SetDeadline(time.Now().Add(timeout)); err != nil {
		return err
	}
	if err := c.Handshake(); err != nil {
		return err
	}
	summary("server", c.ConnectionState())
	// Read the request head only: the client waits for our answer and
	// our close, so the conversation ends promptly and stays small.
	r := bufio.NewReader(c)
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return err
		}
		if line == "\r\n" || line == "\n" {
			break
		}
	}
	_, err := io.WriteString(c, "HTTP/1.0 200 OK\r\nContent-Length: 6\r\n\r\nhello\n")
	return err
}

func dial(addr string, cfg *tls.Config, timeout time.Duration) error {
	d := &net.Dialer{Timeout: timeout}
	c, err := tls.DialWithDialer(d, "tcp", addr, cfg)
	if err != nil {
		return err
	}
	defer c.Close()
	if err := c.SetDeadline(time.Now().Add(timeout)); err != nil {
		return err
	}
	summary("client", c.ConnectionState())
	if _, err := io.WriteString(c, "GET /hello.txt HTTP/1.0\r\n\r\n"); err != nil {
		return err
	}
	body, err := io.ReadAll(c)
	if err != nil {
		return err
	}
	os.Stdout.Write(body)
	return nil
}

func summary(side string, st tls.ConnectionState) {
	log.Printf("%s: %s %s alpn=%q resumed=%v", side, tls.VersionName(st.Version),
		tls.CipherSuiteName(st.CipherSuite), st.NegotiatedProtocol, st.DidResume)
}
