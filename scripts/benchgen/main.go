// Command benchgen makes the traffic of hsdecode's benchmark capture: Go
// crypto/tls servers on several ports and many concurrent clients, over
// loopback. scripts/make-bench-capture.sh runs it inside a network namespace
// of its own while tcpdump records.
//
//	benchgen -size-mb 50 -seed 1 -manifest conns.tsv    run the plan
//	benchgen -size-mb 50 -seed 1 -plan-only             print the plan only
//	benchgen -check conns.tsv -report hsdecode.jsonl    compare hsdecode's report with the plan
//
// The plan is drawn from the seed with math/rand: the kind of each
// connection, its request and response sizes (heavy-tailed) and the number
// of exchanges. The same -size-mb (or -conns) and -seed give the same plan;
// its summary ends with a hash of the whole plan. What goes on the wire
// differs run to run in keys, randoms, ports and timing only.
//
// Servers (ports are hsdecode's default TLS ports, except the plain one):
//
//	443   TLS 1.3 only (ECDSA P-256 certificate)
//	8443  TLS 1.2 only, ECDHE_RSA suites
//	4433  TLS 1.2 only, RSA key exchange suites
//	636   TLS 1.2 or 1.3, client certificate required and verified
//	853   TLS 1.2 or 1.3, certificate of a CA the clients do not know
//	8080  plain TCP, the same request/response protocol
//
// After the handshake the client sends requests of 8 bytes of header
// (response length, request length) plus the request body; the server
// answers each with a response of that length. The client then closes
// with close_notify. Failing kinds: unknown CA (the client rejects the
// server's certificate), version mismatch (client at most TLS 1.2 to the TLS
// 1.3-only port), missing client certificate (to port 636), plaintext to
// the TLS port (an HTTP request to 443), hang-up after the ClientHello.
//
// With -manifest, one line per connection is written: the plan's kind and
// what hsdecode must report, the client's address, and what the client
// saw (error, version, resumed). -check compares that with hsdecode's JSON
// report connection by connection.
package main

import (
	"bufio"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/binary"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"math/big"
	"net"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

func main() {
	sizeMB := flag.Int("size-mb", 50, "plan connections until the capture is about this many MiB")
	seed := flag.Int64("seed", 1, "seed of the plan")
	mixName := flag.String("mix", "bulk", "the plan's `MIX`: bulk (bulk data dominates) or handshake (twice the connections per MB, most short)")
	nconns := flag.Int("conns", 0, "plan exactly this many connections instead (0: as many as -size-mb needs)")
	concurrency := flag.Int("concurrency", 32, "simulated clients running at once")
	manifest := flag.String("manifest", "", "write one line per connection to `FILE` (TSV)")
	planOnly := flag.Bool("plan-only", false, "print the plan's summary and exit, without traffic")
	timeout := flag.Duration("timeout", 2*time.Minute, "deadline of each connection")
	check := flag.String("check", "", "compare the manifest `FILE` with hsdecode's JSON report (-report) and exit")
	reportFile := flag.String("report", "", "hsdecode --format json output, for -check")
	keyLogFile := flag.String("keylog", "", "write the clients' TLS secrets to `FILE` (NSS key log), for hsdecode --keylog")
	flag.Usage = func() {
		fmt.Fprintf(flag.CommandLine.Output(), "usage: benchgen [flags]\nkinds: %s\n", kindNames())
		flag.PrintDefaults()
	}
	flag.Parse()
	log.SetFlags(0)
	log.SetPrefix("benchgen: ")

	if *check != "" {
		os.Exit(runCheck(os.Stdout, *check, *reportFile))
	}
	m, ok := mixByName(*mixName)
	if !ok {
		log.Fatalf("-mix %q: want bulk or handshake", *mixName)
	}
	plan := makePlan(*seed, *sizeMB, *nconns, m)
	summary(os.Stdout, plan, *seed, *sizeMB, m)
	if *planOnly {
		return
	}

	var man *manifestWriter
	if *manifest != "" {
		f, err := os.Create(*manifest)
		if err != nil {
			log.Fatal(err)
		}
		man = newManifest(f)
		defer func() {
			if err := man.close(); err != nil {
				log.Fatal(err)
			}
		}()
	}
	p := newPKI()
	if *keyLogFile != "" {
		f, err := os.Create(*keyLogFile)
		if err != nil {
			log.Fatal(err)
		}
		kl := &keyLog{w: bufio.NewWriter(f)}
		p.keyLog = kl
		defer func() {
			if err := kl.w.Flush(); err != nil {
				log.Fatal(err)
			}
			f.Close()
		}()
	}
	srv, err := startServers(p)
	if err != nil {
		log.Fatal(err)
	}
	start := time.Now()
	res := runPlan(plan, p, *concurrency, *timeout, man)
	srv.close()
	el := time.Since(start)
	fmt.Printf("run: %d connections in %v, %d application bytes (%.0f MB/s), %d client-side errors (%d expected of failing kinds)\n",
		res.conns, el.Round(time.Millisecond), res.bytes, float64(res.bytes)/el.Seconds()/1e6, res.errors, res.expectedErrors)
	fmt.Printf("run: resumed %d of %d planned resumptions\n", res.resumed, res.plannedResumed)
	if res.unexpected > 0 {
		fmt.Printf("run: %d connections went otherwise than planned (see the manifest's client_error column)\n", res.unexpected)
	}
}

// pki holds the certificates: a CA the clients trust, one they do not, and
// leaf certificates for the servers and the clients.
// keyLog is a key log written by many connections at once.
type keyLog struct {
	mu sync.Mutex
	w  *bufio.Writer
}

func (k *keyLog) Write(b []byte) (int, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.w.Write(b)
}

type pki struct {
	keyLog      io.Writer      // the clients' KeyLogWriter, nil without -keylog
	roots       *x509.CertPool // the clients' trust: ca only
	clientCAs   *x509.CertPool // the mTLS server's trust
	serverECDSA tls.Certificate
	serverRSA   tls.Certificate
	serverOther tls.Certificate // issued by the unknown CA
	client      tls.Certificate
}

func newPKI() *pki {
	caKey := must(ecdsa.GenerateKey(elliptic.P256(), rand.Reader))
	ca := selfSigned(caKey, "hsdecode bench CA")
	otherKey := must(ecdsa.GenerateKey(elliptic.P256(), rand.Reader))
	other := selfSigned(otherKey, "hsdecode bench unknown CA")
	rsaKey := must(rsa.GenerateKey(rand.Reader, 2048))
	p := &pki{roots: x509.NewCertPool(), clientCAs: x509.NewCertPool()}
	p.roots.AddCert(ca)
	p.clientCAs.AddCert(ca)
	p.serverECDSA = leaf(ca, caKey, must(ecdsa.GenerateKey(elliptic.P256(), rand.Reader)), "localhost", x509.ExtKeyUsageServerAuth)
	p.serverRSA = leaf(ca, caKey, rsaKey, "localhost", x509.ExtKeyUsageServerAuth)
	p.serverOther = leaf(other, otherKey, must(ecdsa.GenerateKey(elliptic.P256(), rand.Reader)), "localhost", x509.ExtKeyUsageServerAuth)
	p.client = leaf(ca, caKey, must(ecdsa.GenerateKey(elliptic.P256(), rand.Reader)), "bench client", x509.ExtKeyUsageClientAuth)
	return p
}

var serial atomic.Int64

func selfSigned(key *ecdsa.PrivateKey, name string) *x509.Certificate {
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(serial.Add(1)),
		Subject:               pkix.Name{CommonName: name},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(48 * time.Hour),
		KeyUsage:              x509.KeyUsageCertSign,
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	return must(x509.ParseCertificate(must(x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key))))
}

func leaf(ca *x509.Certificate, caKey *ecdsa.PrivateKey, key crypto.Signer, name string, usage x509.ExtKeyUsage) tls.Certificate {
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(serial.Add(1)),
		Subject:      pkix.Name{CommonName: name},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(48 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment,
		ExtKeyUsage:  []x509.ExtKeyUsage{usage},
	}
	if usage == x509.ExtKeyUsageServerAuth {
		tmpl.DNSNames = []string{name}
		tmpl.IPAddresses = []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback}
	}
	der := must(x509.CreateCertificate(rand.Reader, tmpl, ca, key.Public(), caKey))
	return tls.Certificate{Certificate: [][]byte{der, ca.Raw}, PrivateKey: key}
}

func must[T any](v T, err error) T {
	if err != nil {
		log.Fatal(err)
	}
	return v
}

var (
	suitesECDHE = []uint16{tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, tls.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384, tls.TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256}
	// Listing RSA key exchange suites explicitly enables them without
	// GODEBUG=tlsrsakex=1 (crypto/tls/defaults.go).
	suitesRSA = []uint16{tls.TLS_RSA_WITH_AES_128_GCM_SHA256, tls.TLS_RSA_WITH_AES_256_GCM_SHA384}
)

// servers are the listeners of every port.
type servers struct {
	lns []net.Listener
	wg  sync.WaitGroup
}

func startServers(p *pki) (*servers, error) {
	cfgs := map[int]*tls.Config{
		port13:      {Certificates: []tls.Certificate{p.serverECDSA}, MinVersion: tls.VersionTLS13},
		port12ECDHE: {Certificates: []tls.Certificate{p.serverRSA}, MaxVersion: tls.VersionTLS12, CipherSuites: suitesECDHE},
		port12RSA:   {Certificates: []tls.Certificate{p.serverRSA}, MaxVersion: tls.VersionTLS12, CipherSuites: suitesRSA},
		portMTLS: {Certificates: []tls.Certificate{p.serverECDSA}, MinVersion: tls.VersionTLS12,
			ClientAuth: tls.RequireAndVerifyClientCert, ClientCAs: p.clientCAs},
		portUnknownCA: {Certificates: []tls.Certificate{p.serverOther}, MinVersion: tls.VersionTLS12},
		portPlain:     nil,
	}
	s := new(servers)
	for port, cfg := range cfgs {
		// One listener per family, so that both 127.0.0.1 and ::1 work
		// even where ::1 is not reached through a dual-stack socket.
		for _, host := range []string{"127.0.0.1", "::1"} {
			ln, err := net.Listen("tcp", net.JoinHostPort(host, strconv.Itoa(port)))
			if err != nil {
				s.close()
				return nil, fmt.Errorf("listen %s port %d: %w", host, port, err)
			}
			s.lns = append(s.lns, ln)
			s.wg.Add(1)
			go s.serve(ln, cfg)
		}
	}
	return s, nil
}

func (s *servers) close() {
	for _, ln := range s.lns {
		ln.Close()
	}
	s.wg.Wait()
}

func (s *servers) serve(ln net.Listener, cfg *tls.Config) {
	defer s.wg.Done()
	var conns sync.WaitGroup
	defer conns.Wait()
	for {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		conns.Add(1)
		go func() {
			defer conns.Done()
			defer c.Close()
			c.SetDeadline(time.Now().Add(5 * time.Minute))
			var rw io.ReadWriter = c
			if cfg != nil {
				tc := tls.Server(c, cfg)
				defer tc.Close() // close_notify after the client's
				if tc.Handshake() != nil {
					return
				}
				rw = tc
			}
			answer(rw)
		}()
	}
}

// zeros is what responses are made of; TLS makes it look random anyway.
var zeros = make([]byte, 256<<10)

// answer serves requests until the client closes.
func answer(rw io.ReadWriter) {
	br := bufio.NewReaderSize(rw, 32<<10)
	var hdr [8]byte
	for {
		if _, err := io.ReadFull(br, hdr[:]); err != nil {
			return
		}
		resp := int(binary.BigEndian.Uint32(hdr[:4]))
		req := int(binary.BigEndian.Uint32(hdr[4:]))
		if _, err := br.Discard(req); err != nil {
			return
		}
		for resp > 0 {
			n := min(resp, len(zeros))
			if _, err := rw.Write(zeros[:n]); err != nil {
				return
			}
			resp -= n
		}
	}
}

// result counts what the run did.
type result struct {
	conns, errors, expectedErrors, unexpected int
	resumed, plannedResumed                   int
	bytes                                     int64
}

func runPlan(plan []script, p *pki, concurrency int, timeout time.Duration, man *manifestWriter) result {
	work := make(chan int)
	var mu sync.Mutex
	var res result
	var wg sync.WaitGroup
	for range concurrency {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range work {
				cache := tls.NewLRUClientSessionCache(8)
				for j, c := range plan[i].conns {
					o := dial(c, p, cache, timeout)
					mu.Lock()
					res.conns++
					res.bytes += c.bytes
					ki := kinds[c.kind]
					if o.err != nil {
						res.errors++
						if ki.fails {
							res.expectedErrors++
						}
					}
					if ki.resumed {
						res.plannedResumed++
					}
					if o.resumed {
						res.resumed++
					}
					if (o.err != nil) != ki.fails || o.resumed != ki.resumed {
						res.unexpected++
					}
					if man != nil {
						man.write(i, j, c, o)
					}
					mu.Unlock()
				}
			}
		}()
	}
	for i := range plan {
		work <- i
	}
	close(work)
	wg.Wait()
	return res
}

// outcome is what the client saw of one connection.
type outcome struct {
	client, server string // addresses
	start          time.Time
	err            error
	version        uint16
	resumed        bool
}

func dial(c conn, p *pki, cache tls.ClientSessionCache, timeout time.Duration) outcome {
	ki := kinds[c.kind]
	host := "127.0.0.1"
	if c.ipv6 {
		host = "::1"
	}
	addr := net.JoinHostPort(host, strconv.Itoa(ki.port))
	o := outcome{start: time.Now()}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	raw, err := (&net.Dialer{}).DialContext(ctx, "tcp", addr)
	if err != nil {
		o.err = err
		return o
	}
	defer raw.Close()
	raw.SetDeadline(time.Now().Add(timeout))
	o.client, o.server = raw.LocalAddr().String(), raw.RemoteAddr().String()

	cfg := &tls.Config{ServerName: "localhost", RootCAs: p.roots, ClientSessionCache: cache, KeyLogWriter: p.keyLog}
	switch c.kind {
	case kPlainService:
		o.err = request(raw, c.xchg)
		return o
	case kPlaintextToTLS:
		fmt.Fprintf(raw, "GET / HTTP/1.1\r\nHost: localhost\r\nUser-Agent: benchgen\r\n\r\n")
		_, err := io.Copy(io.Discard, raw) // the server closes without a word
		o.err = errors.Join(errors.New("plaintext sent to a TLS port"), err)
		return o
	case kTLS12RSA, kTLS12RSAResumed:
		cfg.MaxVersion, cfg.CipherSuites = tls.VersionTLS12, suitesRSA
	case kTLS12ECDHE, kTLS12ECDHEResumed, kMTLS12, kUnknownCA12, kVersionMismatch, kNoClientCert12:
		cfg.MaxVersion = tls.VersionTLS12
	}
	if c.kind == kMTLS13 || c.kind == kMTLS12 {
		cfg.Certificates = []tls.Certificate{p.client}
	}
	var netConn net.Conn = raw
	if c.kind == kHangup {
		netConn = &hangup{Conn: raw}
	}
	tc := tls.Client(netConn, cfg)
	err = tc.HandshakeContext(ctx)
	if err == nil {
		st := tc.ConnectionState()
		o.version, o.resumed = st.Version, st.DidResume
		err = request(tc, c.xchg)
	}
	if c.kind == kNoClientCert13 && err == nil {
		// In TLS 1.3 the client's handshake ends before the server has
		// judged its (empty) certificate; the refusal comes with the
		// first read.
		if _, err = tc.Read(make([]byte, 1)); err == nil {
			err = errors.New("no error: the server accepted a missing client certificate")
		}
	}
	tc.Close()
	o.err = err
	return o
}

// request runs the exchanges of a connection.
func request(rw io.ReadWriter, xs []exchange) error {
	buf := make([]byte, 0, 64<<10)
	for _, x := range xs {
		buf = binary.BigEndian.AppendUint32(buf[:0], uint32(x.resp))
		buf = binary.BigEndian.AppendUint32(buf, uint32(x.req))
		for rest := x.req; rest > 0; {
			n := min(rest, len(zeros))
			buf = append(buf, zeros[:n]...)
			rest -= n
		}
		if _, err := rw.Write(buf); err != nil {
			return err
		}
		if _, err := io.CopyN(io.Discard, rw, int64(x.resp)); err != nil {
			return err
		}
	}
	return nil
}

// hangup writes the ClientHello and closes the connection.
type hangup struct {
	net.Conn
	wrote bool
}

func (h *hangup) Write(b []byte) (int, error) {
	if h.wrote {
		return 0, errors.New("hung up")
	}
	h.wrote = true
	n, err := h.Conn.Write(b)
	h.Conn.Close()
	if err == nil {
		err = errors.New("hung up after the ClientHello")
	}
	return n, err
}
