package tlscrypto

import (
	"bufio"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// TestOpenSSLSessions decrypts sessions between openssl s_client and
// s_server for what Go's crypto/tls does not offer: AES-CCM and CCM_8 (TLS
// 1.2 and 1.3), CBC with encrypt_then_mac (OpenSSL negotiates it by
// default; 3DES is not in the OpenSSL 3 build at hand, Go's test covers it
// without), the other TLS 1.3 suites, and KeyUpdate ("k" on
// s_client's input). Skipped without openssl.
func TestOpenSSLSessions(t *testing.T) {
	if _, err := exec.LookPath("openssl"); err != nil {
		t.Skip("no openssl")
	}
	dir := t.TempDir()
	cert, key := filepath.Join(dir, "c.pem"), filepath.Join(dir, "k.pem")
	if out, err := exec.Command("openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
		"-nodes", "-subj", "/CN=example.test", "-days", "2", "-keyout", key, "-out", cert).CombinedOutput(); err != nil {
		t.Fatalf("openssl req: %v\n%s", err, out)
	}
	tests := []struct {
		version uint16
		suite   uint16
		name    string // OpenSSL's name
		etm     bool
		input   string
		updates int
	}{
		{VersionTLS12, 0xC0AC, "ECDHE-ECDSA-AES128-CCM", false, "hello\n", 0},
		{VersionTLS12, 0xC0AD, "ECDHE-ECDSA-AES256-CCM", false, "hello\n", 0},
		{VersionTLS12, 0xC0AE, "ECDHE-ECDSA-AES128-CCM8", false, "hello\n", 0},
		{VersionTLS12, 0xC0AF, "ECDHE-ECDSA-AES256-CCM8", false, "hello\n", 0},
		{VersionTLS12, 0xC009, "ECDHE-ECDSA-AES128-SHA", true, "hello\n", 0},
		{VersionTLS12, 0xC024, "ECDHE-ECDSA-AES256-SHA384", true, "hello\n", 0},
		{VersionTLS11, 0xC00A, "ECDHE-ECDSA-AES256-SHA", true, "hello\n", 0},
		{VersionTLS10, 0xC009, "ECDHE-ECDSA-AES128-SHA", true, "hello\n", 0},
		{VersionTLS13, 0x1302, "TLS_AES_256_GCM_SHA384", false, "hello\n", 0},
		{VersionTLS13, 0x1303, "TLS_CHACHA20_POLY1305_SHA256", false, "hello\n", 0},
		{VersionTLS13, 0x1304, "TLS_AES_128_CCM_SHA256", false, "hello\n", 0},
		{VersionTLS13, 0x1305, "TLS_AES_128_CCM_8_SHA256", false, "hello\n", 0},
		// s_client reads a command only at the start of what one read
		// returns, and drops the rest: the KeyUpdate is followed by the
		// close_notify alone, which must decrypt under the next secret.
		{VersionTLS13, 0x1301, "TLS_AES_128_GCM_SHA256", false, "k\n", 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sess := opensslSession(t, cert, key, tt.version, tt.name, tt.input)
			sess.suite, sess.etm, sess.wantUpdates = tt.suite, tt.etm, tt.updates
			sess.wantClient = strings.ReplaceAll(tt.input, "k\n", "")
			verifySession(t, sess)
		})
	}
}

func opensslSession(t *testing.T, cert, key string, version uint16, suite, input string) *session {
	flag := map[uint16]string{VersionTLS10: "-tls1", VersionTLS11: "-tls1_1", VersionTLS12: "-tls1_2", VersionTLS13: "-tls1_3"}[version]
	srv := exec.Command("openssl", "s_server", "-accept", "127.0.0.1:0", "-naccept", "1", "-no_ticket",
		"-cert", cert, "-key", key, flag, "-cipher", "ALL:@SECLEVEL=0",
		"-ciphersuites", "TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256:TLS_AES_128_CCM_SHA256:TLS_AES_128_CCM_8_SHA256")
	srvIn, err := srv.StdinPipe() // held open: the server sends nothing
	if err != nil {
		t.Fatal(err)
	}
	defer srvIn.Close()
	srvOut, err := srv.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	defer srv.Wait()
	defer srv.Process.Kill()
	sc := bufio.NewScanner(srvOut)
	var addr string
	for sc.Scan() {
		if a, ok := strings.CutPrefix(sc.Text(), "ACCEPT "); ok {
			addr = a
			break
		}
	}
	if addr == "" {
		t.Fatal("s_server printed no ACCEPT line")
	}
	go io.Copy(io.Discard, srvOut)

	// A recording proxy between s_client and s_server.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	var fromClient, fromServer []byte
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		c, err := ln.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		s, err := net.Dial("tcp", addr)
		if err != nil {
			return
		}
		defer s.Close()
		var inner sync.WaitGroup
		inner.Add(1)
		go func() {
			defer inner.Done()
			fromServer, _ = io.ReadAll(io.TeeReader(s, c))
			c.(*net.TCPConn).CloseWrite()
		}()
		fromClient, _ = io.ReadAll(io.TeeReader(c, s))
		s.(*net.TCPConn).CloseWrite()
		inner.Wait()
	}()

	keyLog := filepath.Join(t.TempDir(), "keys")
	args := []string{"s_client", "-connect", ln.Addr().String(), "-keylogfile", keyLog, flag}
	if version == VersionTLS13 {
		args = append(args, "-ciphersuites", suite)
	} else {
		args = append(args, "-cipher", suite+":@SECLEVEL=0")
	}
	cl := exec.Command("openssl", args...)
	cl.Stdin = strings.NewReader(input)
	if out, err := cl.CombinedOutput(); err != nil {
		t.Fatalf("s_client: %v\n%s", err, out)
	}
	wg.Wait()
	kl, err := os.ReadFile(keyLog)
	if err != nil {
		t.Fatal(err)
	}
	return &session{version: version, keyLog: string(kl), client: fromClient, server: fromServer}
}
