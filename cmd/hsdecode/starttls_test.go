package main

import (
	"bytes"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
)

// starttlsByPort is the protocol each connection of captures 80-83 spoke
// before its TLS, by server port (testdata/pcaps/MANIFEST.md, "Captures
// after a plaintext prelude").
var starttlsByPort = map[int]string{
	44470: "smtp", 44471: "lmtp", 44472: "imap", 44473: "pop3",
	44474: "xmpp", 44475: "irc", 44476: "nntp", 44477: "sieve", 44478: "ftp",
	44479: "ldap", 44480: "postgresql", 44481: "mysql",
	44482: "http_connect", 44483: "socks4", 44484: "socks5",
}

// TestStartTLSCaptures: each connection of the STARTTLS and proxy
// captures (openssl s_client -starttls, curl through a proxy) names its
// protocol in JSON, text, ECS and Zeek, and its handshake is decoded as
// any other: established, TLS 1.3, SNI localhost, the ladder from the
// ClientHello.
func TestStartTLSCaptures(t *testing.T) {
	var inputs []string
	for _, n := range []string{"80-starttls-mail", "81-starttls-chat-news", "82-starttls-db-dir", "83-proxy-connect-socks"} {
		inputs = append(inputs, filepath.Join(pcapDir, n+".pcap"))
	}
	var out, errb bytes.Buffer
	if status := run(append([]string{"--format", "json"}, inputs...), &out, &errb); status != exitOK {
		t.Fatalf("exit %d: %s", status, errb.String())
	}
	seen := map[int]bool{}
	for _, line := range strings.Split(strings.TrimSpace(out.String()), "\n") {
		var c struct {
			Server struct {
				Port int `json:"port"`
			} `json:"server"`
			Outcome    string `json:"outcome"`
			Version    string `json:"version"`
			ServerName string `json:"server_name"`
			StartTLS   string `json:"starttls"`
			History    string `json:"history"`
			Messages   []struct {
				From, Type string
			} `json:"messages"`
		}
		if err := json.Unmarshal([]byte(line), &c); err != nil {
			t.Fatal(err)
		}
		want, ok := starttlsByPort[c.Server.Port]
		if !ok {
			t.Errorf("a connection to port %d, which the captures do not have", c.Server.Port)
			continue
		}
		seen[c.Server.Port] = true
		if c.StartTLS != want {
			t.Errorf("port %d: starttls %q, want %q", c.Server.Port, c.StartTLS, want)
		}
		if c.Outcome != "established" || c.Version != "TLS 1.3" || c.ServerName != "localhost" ||
			len(c.Messages) < 3 || c.Messages[0].Type != "client_hello" || c.Messages[1].Type != "server_hello" || !strings.HasPrefix(c.History, "Cs") {
			t.Errorf("port %d (%s): not decoded as a TLS 1.3 handshake: %s", c.Server.Port, want, line)
		}
	}
	if len(seen) != len(starttlsByPort) {
		t.Errorf("%d of the %d protocols' connections reported", len(seen), len(starttlsByPort))
	}

	for _, f := range []struct {
		args []string
		want string
	}{
		{[]string{"--format", "text"}, "starttls=socks5"},
		{[]string{"--format", "ecs"}, `"starttls":"socks5"`},
		{[]string{"--format", "zeek-json"}, `"hsdecode_starttls":"socks5"`},
	} {
		out.Reset()
		if status := run(append(f.args, inputs[3]), &out, &errb); status != exitOK {
			t.Fatalf("%v: exit %d: %s", f.args, status, errb.String())
		}
		if !strings.Contains(out.String(), f.want) {
			t.Errorf("%v: no %s in\n%s", f.args, f.want, out.String())
		}
	}
}
