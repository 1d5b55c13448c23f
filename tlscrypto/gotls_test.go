package tlscrypto

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"math/big"
	"net"
	"sync"
	"testing"
	"time"
)

// recConn records what one side writes.
type recConn struct {
	net.Conn
	mu  sync.Mutex
	buf bytes.Buffer
}

func (c *recConn) Write(b []byte) (int, error) {
	n, err := c.Conn.Write(b)
	c.mu.Lock()
	c.buf.Write(b[:n])
	c.mu.Unlock()
	return n, err
}

var (
	certsOnce sync.Once
	rsaCert   tls.Certificate
	ecCert    tls.Certificate
)

func testCerts(t *testing.T) []tls.Certificate {
	certsOnce.Do(func() {
		mk := func(pub, priv any) tls.Certificate {
			tmpl := &x509.Certificate{
				SerialNumber: big.NewInt(1),
				NotBefore:    time.Unix(0, 0),
				NotAfter:     time.Unix(1<<33, 0),
				DNSNames:     []string{"example.test"},
			}
			der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, pub, priv)
			if err != nil {
				panic(err)
			}
			return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: priv}
		}
		rk, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			panic(err)
		}
		ek, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			panic(err)
		}
		rsaCert, ecCert = mk(&rk.PublicKey, rk), mk(&ek.PublicKey, ek)
	})
	return []tls.Certificate{ecCert, rsaCert}
}

// goSession runs one Go crypto/tls connection over net.Pipe: the client
// sends "hello", the server answers "world", the client closes.
func goSession(t *testing.T, version, suite uint16) *session {
	t.Helper()
	var keyLog bytes.Buffer
	cfg := &tls.Config{
		InsecureSkipVerify:     true,
		MinVersion:             version,
		MaxVersion:             version,
		KeyLogWriter:           &keyLog,
		Certificates:           testCerts(t),
		SessionTicketsDisabled: true, // a ticket write would block on net.Pipe
	}
	if version != tls.VersionTLS13 {
		cfg.CipherSuites = []uint16{suite}
	}
	c1, c2 := net.Pipe()
	rc, rs := &recConn{Conn: c1}, &recConn{Conn: c2}
	client := tls.Client(rc, cfg)
	server := tls.Server(rs, cfg.Clone())
	done := make(chan error, 1)
	go func() {
		buf := make([]byte, 5)
		if _, err := io.ReadFull(server, buf); err != nil {
			done <- err
			return
		}
		if _, err := server.Write([]byte("world")); err != nil {
			done <- err
			return
		}
		io.Copy(io.Discard, server) // until the client's close_notify
		server.Close()
		done <- nil
	}()
	if _, err := client.Write([]byte("hello")); err != nil {
		t.Fatalf("client: %v", err)
	}
	buf := make([]byte, 5)
	if _, err := io.ReadFull(client, buf); err != nil {
		t.Fatalf("client read: %v", err)
	}
	st := client.ConnectionState()
	client.Close()
	if err := <-done; err != nil {
		t.Fatalf("server: %v", err)
	}
	if st.Version != version || (version != tls.VersionTLS13 && st.CipherSuite != suite) {
		t.Fatalf("negotiated %04x/%04x", st.Version, st.CipherSuite)
	}
	rc.mu.Lock()
	defer rc.mu.Unlock()
	rs.mu.Lock()
	defer rs.mu.Unlock()
	return &session{
		version: version, suite: st.CipherSuite, keyLog: keyLog.String(),
		client: rc.buf.Bytes(), server: rs.buf.Bytes(),
		wantClient: "hello", wantServer: "world",
	}
}

// TestGoTLSSessions decrypts real sessions of Go's crypto/tls for every
// suite and version it implements, and verifies both Finished.
func TestGoTLSSessions(t *testing.T) {
	var ids []uint16
	for _, s := range append(tls.CipherSuites(), tls.InsecureCipherSuites()...) {
		ids = append(ids, s.ID)
	}
	for _, id := range ids {
		s := tls.CipherSuiteName(id)
		for _, v := range []uint16{tls.VersionTLS10, tls.VersionTLS11, tls.VersionTLS12, tls.VersionTLS13} {
			if !goSupports(id, v) {
				continue
			}
			t.Run(fmt.Sprintf("%s/%s", tls.VersionName(v), s), func(t *testing.T) {
				verifySession(t, goSession(t, v, id))
			})
		}
	}
}

func goSupports(id, v uint16) bool {
	for _, s := range append(tls.CipherSuites(), tls.InsecureCipherSuites()...) {
		if s.ID != id {
			continue
		}
		if v == tls.VersionTLS13 {
			// Go picks the TLS 1.3 suite itself: one run, under AES-128-GCM.
			return id == tls.TLS_AES_128_GCM_SHA256
		}
		for _, sv := range s.SupportedVersions {
			if sv == v && id>>8 != 0x13 {
				return true
			}
		}
	}
	return false
}
