// Command starttlspeer is a server that speaks a protocol's plaintext
// part and then TLS (Go's crypto/tls), for the STARTTLS captures of
// scripts/make-starttls-testdata.sh: a real client (openssl s_client
// -starttls PROTO, curl through a proxy) talks to it over loopback.
//
// -proto names the plaintext part: smtp, lmtp, imap, pop3, ftp, xmpp,
// ldap, postgres, mysql, nntp, sieve, irc (what openssl s_client
// -starttls sends and expects of each), or connect, socks4, socks5 (an
// HTTP or SOCKS proxy that answers the request itself and then terminates
// the TLS the client meant for its target). After the handshake it
// writes one line (an HTTP response for the proxies) and closes with
// close_notify. It serves -n connections and exits.
package main

import (
	"bufio"
	"bytes"
	"crypto/tls"
	"encoding/binary"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"strings"
	"time"
)

func main() {
	proto := flag.String("proto", "", "plaintext part: smtp, lmtp, imap, pop3, ftp, xmpp, ldap, postgres, mysql, nntp, sieve, irc, connect, socks4, socks5")
	addr := flag.String("addr", "127.0.0.1:44470", "address to listen on")
	certFile := flag.String("cert", "", "PEM certificate")
	keyFile := flag.String("key", "", "PEM private key")
	n := flag.Int("n", 1, "connections to serve before exiting")
	flag.Parse()
	log.SetPrefix("starttlspeer: ")
	log.SetFlags(0)
	cert, err := tls.LoadX509KeyPair(*certFile, *keyFile)
	if err != nil {
		log.Fatal(err)
	}
	if _, ok := preludes[*proto]; !ok {
		log.Fatalf("-proto %q: unknown", *proto)
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		log.Fatal(err)
	}
	defer ln.Close()
	for range *n {
		c, err := ln.Accept()
		if err != nil {
			log.Fatal(err)
		}
		if err := serve(c, *proto, &tls.Config{Certificates: []tls.Certificate{cert}}); err != nil {
			log.Printf("%s: %v", *proto, err)
		}
	}
}

func serve(c net.Conn, proto string, cfg *tls.Config) error {
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	r := bufio.NewReader(c)
	if err := preludes[proto](r, c); err != nil {
		return fmt.Errorf("plaintext part: %w", err)
	}
	// A client may send its ClientHello right behind its last plaintext
	// (MySQL's SSL request has no answer): TLS reads what r holds first.
	t := tls.Server(bufferedConn{c, r}, cfg)
	if err := t.Handshake(); err != nil {
		return fmt.Errorf("handshake: %w", err)
	}
	st := t.ConnectionState()
	log.Printf("%s: %s %s", proto, tls.VersionName(st.Version), tls.CipherSuiteName(st.CipherSuite))
	reply := "hello over " + proto + "\r\n"
	if proto == "connect" || proto == "socks4" || proto == "socks5" {
		// The client speaks HTTP inside: read its request's head.
		tr := bufio.NewReader(t)
		for {
			line, err := tr.ReadString('\n')
			if err != nil {
				return err
			}
			if line == "\r\n" {
				break
			}
		}
		reply = "HTTP/1.1 200 OK\r\nContent-Length: 6\r\nConnection: close\r\n\r\nhello\n"
	}
	io.WriteString(t, reply)
	return t.Close()
}

// bufferedConn reads through the reader that read its plaintext part.
type bufferedConn struct {
	net.Conn
	r *bufio.Reader
}

func (b bufferedConn) Read(p []byte) (int, error) { return b.r.Read(p) }

// A prelude speaks the protocol's plaintext part as the server, up to the
// point where TLS begins; it reads only what the client sends before its
// ClientHello.
type prelude func(r *bufio.Reader, w io.Writer) error

var preludes = map[string]prelude{
	"smtp":     smtp("EHLO"),
	"lmtp":     smtp("LHLO"),
	"imap":     imap,
	"pop3":     lines("+OK hsdecode POP3 ready\r\n", step{"STLS", "+OK begin TLS\r\n"}),
	"ftp":      lines("220 hsdecode FTP ready\r\n", step{"AUTH TLS", "234 AUTH TLS successful\r\n"}),
	"nntp":     lines("200 hsdecode NNTP ready\r\n", step{"CAPABILITIES", "101 Capability list:\r\nVERSION 2\r\nSTARTTLS\r\n.\r\n"}, step{"STARTTLS", "382 Continue with TLS negotiation\r\n"}),
	"sieve":    lines("\"IMPLEMENTATION\" \"hsdecode\"\r\n\"SIEVE\" \"fileinto\"\r\n\"STARTTLS\"\r\nOK \"ready\"\r\n", step{"STARTTLS", "OK \"Begin TLS negotiation now\"\r\n"}),
	"irc":      lines("", step{"STARTTLS", ":hsdecode.test 670 * :STARTTLS successful, proceed with TLS handshake\r\n"}),
	"xmpp":     xmpp,
	"ldap":     ldap,
	"postgres": postgres,
	"mysql":    mysql,
	"connect":  connect,
	"socks4":   socks4,
	"socks5":   socks5,
}

// step is a command the client must send (its first word, or the whole
// line) and the server's answer.
type step struct{ cmd, answer string }

// lines writes a greeting, then answers each step's command in turn.
func lines(greeting string, steps ...step) prelude {
	return func(r *bufio.Reader, w io.Writer) error {
		if _, err := io.WriteString(w, greeting); err != nil {
			return err
		}
		for _, s := range steps {
			line, err := r.ReadString('\n')
			if err != nil {
				return err
			}
			if !strings.HasPrefix(strings.ToUpper(strings.TrimSpace(line)), s.cmd) {
				return fmt.Errorf("got %q, want %s", line, s.cmd)
			}
			if _, err := io.WriteString(w, s.answer); err != nil {
				return err
			}
		}
		return nil
	}
}

func smtp(hello string) prelude {
	return lines("220 localhost ESMTP hsdecode\r\n",
		step{hello, "250-localhost\r\n250-PIPELINING\r\n250 STARTTLS\r\n"},
		step{"STARTTLS", "220 2.0.0 Ready to start TLS\r\n"})
}

// imap answers openssl's ". CAPABILITY" and ". STARTTLS", tagged.
func imap(r *bufio.Reader, w io.Writer) error {
	io.WriteString(w, "* OK [CAPABILITY IMAP4rev1 STARTTLS] hsdecode ready\r\n")
	for _, want := range []string{"CAPABILITY", "STARTTLS"} {
		line, err := r.ReadString('\n')
		if err != nil {
			return err
		}
		f := strings.Fields(line)
		if len(f) < 2 || !strings.EqualFold(f[1], want) {
			return fmt.Errorf("got %q, want %s", line, want)
		}
		if want == "CAPABILITY" {
			fmt.Fprintf(w, "* CAPABILITY IMAP4rev1 STARTTLS\r\n%s OK CAPABILITY completed\r\n", f[0])
		} else {
			fmt.Fprintf(w, "%s OK Begin TLS negotiation now\r\n", f[0])
		}
	}
	return nil
}

// xmpp reads the client's stream header, offers starttls, and proceeds.
func xmpp(r *bufio.Reader, w io.Writer) error {
	if err := readUntil(r, "'>", "\">"); err != nil {
		return err
	}
	io.WriteString(w, "<?xml version='1.0'?><stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' id='hsdecode' from='localhost' version='1.0'>"+
		"<stream:features><starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'><required/></starttls></stream:features>")
	if err := readUntil(r, "/>"); err != nil {
		return err
	}
	_, err := io.WriteString(w, "<proceed xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>")
	return err
}

// readUntil reads until what was read ends with one of ends.
func readUntil(r *bufio.Reader, ends ...string) error {
	var b []byte
	for len(b) < 4096 {
		c, err := r.ReadByte()
		if err != nil {
			return err
		}
		b = append(b, c)
		for _, e := range ends {
			if bytes.HasSuffix(b, []byte(e)) {
				return nil
			}
		}
	}
	return errors.New("no end in 4096 bytes")
}

// ldap reads the StartTLS ExtendedRequest and answers success (RFC 4511,
// 4.14.2): LDAPMessage { messageID, ExtendedResponse { resultCode 0,
// matchedDN "", diagnosticMessage "" } }.
func ldap(r *bufio.Reader, w io.Writer) error {
	msg, err := readBER(r)
	if err != nil {
		return err
	}
	if !bytes.Contains(msg, []byte("1.3.6.1.4.1.1466.20037")) {
		return fmt.Errorf("not a StartTLS request: %x", msg)
	}
	// The request's messageID: SEQUENCE { INTEGER id ... }.
	id := byte(1)
	if i := bytes.IndexByte(msg, 0x02); i >= 0 && i+2 < len(msg) && msg[i+1] == 1 {
		id = msg[i+2]
	}
	_, err = w.Write([]byte{0x30, 0x0c, 0x02, 0x01, id, 0x78, 0x07, 0x0a, 0x01, 0x00, 0x04, 0x00, 0x04, 0x00})
	return err
}

// readBER reads one BER element of definite length.
func readBER(r *bufio.Reader) ([]byte, error) {
	hdr := make([]byte, 2)
	if _, err := io.ReadFull(r, hdr); err != nil {
		return nil, err
	}
	n := int(hdr[1])
	if n&0x80 != 0 {
		k := n & 0x7f
		if k == 0 || k > 2 {
			return nil, errors.New("BER length form not supported")
		}
		lb := make([]byte, k)
		if _, err := io.ReadFull(r, lb); err != nil {
			return nil, err
		}
		n = 0
		for _, b := range lb {
			n = n<<8 | int(b)
		}
		hdr = append(hdr, lb...)
	}
	body := make([]byte, n)
	_, err := io.ReadFull(r, body)
	return append(hdr, body...), err
}

// postgres reads the SSLRequest and answers 'S'.
func postgres(r *bufio.Reader, w io.Writer) error {
	b := make([]byte, 8)
	if _, err := io.ReadFull(r, b); err != nil {
		return err
	}
	if binary.BigEndian.Uint32(b) != 8 || binary.BigEndian.Uint32(b[4:]) != 80877103 {
		return fmt.Errorf("not an SSLRequest: %x", b)
	}
	_, err := w.Write([]byte{'S'})
	return err
}

// mysql sends a protocol 10 handshake offering CLIENT_SSL and reads the
// client's SSL request (a 32-byte handshake response with CLIENT_SSL).
func mysql(r *bufio.Reader, w io.Writer) error {
	var p []byte
	p = append(p, 10)
	p = append(p, "8.0.0-hsdecode\x00"...)
	p = append(p, 1, 0, 0, 0)                                             // connection id
	p = append(p, "abcdefgh"...)                                          // auth-plugin-data part 1
	p = append(p, 0)                                                      // filler
	p = append(p, 0xff, 0xff)                                             // capabilities, lower: CLIENT_SSL among them
	p = append(p, 0x21, 0x02, 0x00)                                       // charset, status
	p = append(p, 0xff, 0xc1)                                             // capabilities, upper
	p = append(p, 21)                                                     // auth data length
	p = append(p, make([]byte, 10)...)                                    // reserved
	p = append(p, "ijklmnopqrst\x00"...)                                  // auth-plugin-data part 2
	p = append(p, "mysql_native_password\x00"...)                         // auth plugin
	hdr := []byte{byte(len(p)), byte(len(p) >> 8), byte(len(p) >> 16), 0} // sequence 0
	if _, err := w.Write(append(hdr, p...)); err != nil {
		return err
	}
	req := make([]byte, 4+32)
	if _, err := io.ReadFull(r, req); err != nil {
		return err
	}
	if req[3] != 1 || binary.LittleEndian.Uint16(req[4:6])&0x800 == 0 {
		return fmt.Errorf("not an SSL request: %x", req)
	}
	return nil
}

// connect reads an HTTP CONNECT request and answers 200.
func connect(r *bufio.Reader, w io.Writer) error {
	line, err := r.ReadString('\n')
	if err != nil {
		return err
	}
	if !strings.HasPrefix(line, "CONNECT ") {
		return fmt.Errorf("got %q, want CONNECT", line)
	}
	for line != "\r\n" {
		if line, err = r.ReadString('\n'); err != nil {
			return err
		}
	}
	_, err = io.WriteString(w, "HTTP/1.1 200 Connection established\r\n\r\n")
	return err
}

// socks4 reads a SOCKS 4 CONNECT (VN 4, CD 1, port, address, user id,
// NUL; SOCKS 4a a host name after it) and grants it.
func socks4(r *bufio.Reader, w io.Writer) error {
	b := make([]byte, 8)
	if _, err := io.ReadFull(r, b); err != nil {
		return err
	}
	if b[0] != 4 || b[1] != 1 {
		return fmt.Errorf("not a SOCKS 4 CONNECT: %x", b)
	}
	if _, err := r.ReadString(0); err != nil {
		return err
	}
	if b[4] == 0 && b[5] == 0 && b[6] == 0 && b[7] != 0 { // 4a
		if _, err := r.ReadString(0); err != nil {
			return err
		}
	}
	_, err := w.Write([]byte{0, 0x5a, b[2], b[3], b[4], b[5], b[6], b[7]})
	return err
}

// socks5 takes the greeting, chooses no authentication, reads a CONNECT
// and grants it (RFC 1928).
func socks5(r *bufio.Reader, w io.Writer) error {
	g := make([]byte, 2)
	if _, err := io.ReadFull(r, g); err != nil || g[0] != 5 {
		return fmt.Errorf("not a SOCKS 5 greeting: %x %v", g, err)
	}
	if _, err := io.ReadFull(r, make([]byte, g[1])); err != nil {
		return err
	}
	w.Write([]byte{5, 0})
	req := make([]byte, 4)
	if _, err := io.ReadFull(r, req); err != nil || req[1] != 1 {
		return fmt.Errorf("not a SOCKS 5 CONNECT: %x %v", req, err)
	}
	var n int
	switch req[3] {
	case 1:
		n = 4
	case 4:
		n = 16
	case 3:
		l, err := r.ReadByte()
		if err != nil {
			return err
		}
		n = int(l)
	}
	if _, err := io.ReadFull(r, make([]byte, n+2)); err != nil {
		return err
	}
	_, err := w.Write([]byte{5, 0, 0, 1, 0, 0, 0, 0, 0, 0})
	return err
}
