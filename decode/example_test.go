package decode_test

import (
	"fmt"
	"log"
	"os"

	"github.com/hsdecode/hsdecode/decode"
)

// A Stream takes one direction's bytes as TCP delivers them, in chunks of
// any size, and hands back what they carry in wire order. Here the server's
// side of a TLS 1.2 handshake by Go's crypto/tls (a stapled OCSP
// response, a client certificate asked for) is fed 100 bytes at a time;
// after the server's ChangeCipherSpec the caller says that side is
// encrypted, so its Finished comes out opaque.
func ExampleStream() {
	server, err := os.ReadFile("testdata/tls12_full.server.bin")
	if err != nil {
		log.Fatal(err)
	}
	s := decode.NewStream(decode.Options{})
	defer s.Release()
	for len(server) > 0 {
		n := min(100, len(server))
		s.Feed(server[:n])
		server = server[n:]
		for {
			ev, ok, err := s.Next()
			if err != nil {
				log.Fatal(err) // a *decode.Error: malformed bytes end the direction
			}
			if !ok {
				break // more input needed
			}
			switch ev.Kind {
			case decode.EventHandshake:
				fmt.Println(ev.Message.Type())
			case decode.EventChangeCipherSpec:
				fmt.Println("change_cipher_spec")
				s.SetEncrypted()
			case decode.EventEncryptedHandshake:
				fmt.Println("encrypted handshake (Finished)")
			}
		}
	}
	// Output:
	// server_hello
	// certificate
	// certificate_status
	// server_key_exchange
	// certificate_request
	// server_hello_done
	// new_session_ticket
	// change_cipher_spec
	// encrypted handshake (Finished)
}

// ParseHandshake parses one message body, here the ClientHello OpenSSL's
// s_client sent, with the record header (5 bytes) and the handshake
// header (4 bytes) taken off.
func ExampleParseHandshake() {
	rec, err := os.ReadFile("testdata/openssl_clienthello.client.bin")
	if err != nil {
		log.Fatal(err)
	}
	m, err := decode.ParseHandshake(decode.HandshakeType(rec[5]), rec[9:])
	if err != nil {
		log.Fatal(err)
	}
	ch := m.(*decode.ClientHello)
	fmt.Println("server name:", ch.ServerName)
	fmt.Println("ALPN:", ch.ALPN)
	fmt.Println("highest version:", ch.MaxVersion())
	fmt.Println("first suite:", ch.CipherSuites[0])
	ja4, _ := decode.JA4(ch, 't')
	fmt.Println("JA4:", ja4)
	// Output:
	// server name: www.example.org
	// ALPN: [h2 http/1.1]
	// highest version: TLS 1.3
	// first suite: TLS_AES_256_GCM_SHA384
	// JA4: t13d3111h2_e8f1e7e78f70_1f22a2ca17c4
}
