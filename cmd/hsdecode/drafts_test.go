package main

// TLS 1.3 drafts through the whole pipeline. No stack here speaks them,
// so their handshakes are written as the drafts lay them out, with the
// bytes their stacks sent (NSS and OpenSSL 1.1.1's draft ClientHellos:
// x25519 key shares, the TLS 1.3 suites, supported_versions), and tshark
// reads the same capture.

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"

	"github.com/hsdecode/hsdecode/decode"
)

// draftHello is one draft handshake to write.
type draftHello struct {
	name    string
	version uint16 // the draft's version
	// hrr: the server first asks for x25519 (the client offered
	// secp256r1 only) with a HelloRetryRequest of its draft's layout.
	hrr bool
	// want is the report's version; ext is the extension key_share is.
	want string
	ext  uint16
}

var draftHellos = []draftHello{
	{name: "draft 18", version: 0x7f12, want: "TLS 1.3 (draft 18)", ext: 40},
	{name: "draft 18 with HelloRetryRequest", version: 0x7f12, hrr: true, want: "TLS 1.3 (draft 18)", ext: 40},
	{name: "draft 21 with HelloRetryRequest", version: 0x7f15, hrr: true, want: "TLS 1.3 (draft 21)", ext: 40},
	{name: "draft 22", version: 0x7f16, want: "TLS 1.3 (draft 22)", ext: 40},
	{name: "draft 22 with HelloRetryRequest", version: 0x7f16, hrr: true, want: "TLS 1.3 (draft 22)", ext: 40},
	{name: "draft 28", version: 0x7f1c, want: "TLS 1.3 (draft 28)", ext: 51},
	{name: "fizz draft 23", version: 0xfb17, want: "TLS 1.3 (Facebook draft 23)", ext: 51},
	{name: "fizz draft 26", version: 0xfb1a, want: "TLS 1.3 (Facebook draft 26)", ext: 51},
}

func u16(v uint16) []byte { return binary.BigEndian.AppendUint16(nil, v) }

// vec16 and vec8 prefix b with its length.
func vec16(b ...[]byte) []byte { c := slices.Concat(b...); return append(u16(uint16(len(c))), c...) }
func vec8(b ...[]byte) []byte  { c := slices.Concat(b...); return append([]byte{byte(len(c))}, c...) }

func ext(typ uint16, body ...[]byte) []byte { return append(u16(typ), vec16(body...)...) }

// fill is n bytes drawn from seed: randoms and keys that look like ones.
func fill(seed string, n int) []byte {
	var out []byte
	for i := 0; len(out) < n; i++ {
		h := sha256.Sum256([]byte(seed + strconv.Itoa(i)))
		out = append(out, h[:]...)
	}
	return out[:n]
}

// late reports whether the draft has the final layout (22 on).
func (d draftHello) late() bool {
	n, _ := decode.Version(d.version).TLS13Draft()
	return n >= 22
}

// clientHello is a draft client's hello: key shares of groups, the
// draft's version first in supported_versions, then TLS 1.2.
func (d draftHello) clientHello(groups []uint16, cookie []byte) []byte {
	var shares [][]byte
	for _, g := range groups {
		n := 32
		if g == 23 {
			n = 65
		}
		shares = append(shares, u16(g), vec16(fill(d.name+"share"+strconv.Itoa(int(g)), n)))
	}
	exts := [][]byte{
		ext(0, vec16([]byte{0}, vec16([]byte("draft.example")))),
		ext(23),
		ext(65281, []byte{0}),
		ext(10, vec16(u16(29), u16(23), u16(24))),
		ext(11, vec8([]byte{0})),
		ext(35),
		ext(13, vec16(u16(0x0403), u16(0x0804), u16(0x0401), u16(0x0503), u16(0x0805), u16(0x0501), u16(0x0806), u16(0x0601), u16(0x0201))),
		ext(d.ext, vec16(shares...)),
		ext(45, vec8([]byte{1})),
		ext(43, vec8(u16(d.version), u16(0x0303))),
	}
	if cookie != nil {
		exts = append(exts, ext(44, vec16(cookie)))
	}
	sid := []byte{}
	if d.late() {
		sid = fill(d.name+"sid", 32) // middlebox compatibility mode
	}
	body := slices.Concat(u16(0x0303), fill(d.name+"crandom", 32), vec8(sid),
		vec16(u16(0x1301), u16(0x1302), u16(0x1303), u16(0xc02b), u16(0xc02f), u16(0xcca9), u16(0xcca8)),
		vec8([]byte{0}), vec16(exts...))
	return tlsRecord(22, handshakeMsg(1, body))
}

// serverHello is the server's, in its draft's layout.
func (d draftHello) serverHello() []byte {
	share := ext(d.ext, u16(29), vec16(fill(d.name+"sshare", 32)))
	if !d.late() {
		// draft-ietf-tls-tls13-21, 4.1.3: version, random, cipher_suite,
		// extensions.
		return handshakeMsg(2, slices.Concat(u16(d.version), fill(d.name+"srandom", 32), u16(0x1301), vec16(share)))
	}
	return handshakeMsg(2, slices.Concat(u16(0x0303), fill(d.name+"srandom", 32), vec8(fill(d.name+"sid", 32)),
		u16(0x1301), []byte{0}, vec16(ext(43, u16(d.version)), share)))
}

// helloRetryRequest asks for x25519, in the draft's layout: up to 21 its
// own message type 6, with a cipher suite from draft 19
// (draft-ietf-tls-tls13-21, 4.1.4); from 22 a ServerHello with RFC 8446's
// special random.
func (d draftHello) helloRetryRequest(cookie []byte) []byte {
	exts := vec16(ext(d.ext, u16(29)), ext(44, vec16(cookie)))
	if !d.late() {
		n, _ := decode.Version(d.version).TLS13Draft()
		body := u16(d.version)
		if n >= 19 {
			body = append(body, u16(0x1301)...)
		}
		return handshakeMsg(6, append(body, exts...))
	}
	random := sha256.Sum256([]byte("HelloRetryRequest"))
	return handshakeMsg(2, slices.Concat(u16(0x0303), random[:], vec8(fill(d.name+"sid", 32)),
		u16(0x1301), []byte{0}, vec16(ext(43, u16(d.version)), ext(d.ext, u16(29)), ext(44, vec16(cookie)))))
}

// conn writes the draft's handshake: hellos, then the protected records
// of both flights and some application data, as type 23 records.
func (d draftHello) conn(port uint16) *synthConn {
	c := newSynthConn(port)
	ccs := tlsRecord(20, []byte{1})
	var cookie []byte
	groups := []uint16{29, 23}
	if d.hrr {
		groups = []uint16{23}
		cookie = fill(d.name+"cookie", 40)
	}
	c.send(true, d.clientHello(groups, nil))
	if d.hrr {
		hrr := tlsRecord(22, d.helloRetryRequest(cookie))
		if d.late() {
			hrr = append(hrr, ccs...)
		}
		c.send(false, hrr)
		second := d.clientHello([]uint16{29}, cookie)
		if d.late() {
			second = append(slices.Clone(ccs), second...)
		}
		c.send(true, second)
	}
	flight := tlsRecord(22, d.serverHello())
	if d.late() && !d.hrr {
		flight = append(flight, ccs...)
	}
	for _, n := range []int{36, 1100, 280, 69} { // EncryptedExtensions, Certificate, CertificateVerify, Finished
		flight = append(flight, tlsRecord(23, fill(d.name+"server"+strconv.Itoa(n), n))...)
	}
	c.send(false, flight)
	fin := tlsRecord(23, fill(d.name+"client finished", 53))
	if d.late() && !d.hrr {
		fin = append(slices.Clone(ccs), fin...)
	}
	c.send(true, fin)
	c.send(true, tlsRecord(23, fill(d.name+"request", 60)))
	c.send(false, tlsRecord(23, fill(d.name+"response", 240)))
	return c
}

// writeDrafts writes the handshakes of draftHellos into one capture, a
// connection each, from client port 40000 on.
func writeDrafts(t *testing.T) string {
	path := filepath.Join(t.TempDir(), "drafts.pcap")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	w := pcapgo.NewWriter(f)
	if err := w.WriteFileHeader(65535, layers.LinkTypeEthernet); err != nil {
		t.Fatal(err)
	}
	ts := time.Date(2018, 3, 1, 12, 0, 0, 0, time.UTC)
	for i, d := range draftHellos {
		c := d.conn(uint16(40000 + i))
		for _, s := range c.segs {
			ts = ts.Add(time.Millisecond)
			b := c.frame(t, s)
			if err := w.WritePacket(gopacket.CaptureInfo{Timestamp: ts, CaptureLength: len(b), Length: len(b)}, b); err != nil {
				t.Fatal(err)
			}
		}
	}
	return path
}

// draftReport is what the test reads of a JSON report line.
type draftReport struct {
	Outcome     string `json:"outcome"`
	Version     string `json:"version"`
	CipherSuite string `json:"cipher_suite"`
	Client      struct {
		Port int `json:"port"`
	} `json:"client"`
	Messages []struct {
		From string `json:"from"`
		Type string `json:"type"`
	} `json:"messages"`
	Violations  []json.RawMessage `json:"violations"`
	ClientHello struct {
		Extensions []struct {
			Type string `json:"type"`
		} `json:"extensions"`
		KeyShares []struct {
			Group string `json:"group"`
		} `json:"key_shares"`
	} `json:"client_hello"`
	ServerHello struct {
		Extensions []struct {
			Type string `json:"type"`
		} `json:"extensions"`
		KeyShare struct {
			Group string `json:"group"`
		} `json:"key_share"`
	} `json:"server_hello"`
	HelloRetryRequest *struct {
		Version     string  `json:"version"`
		Random      *string `json:"random"`
		CipherSuite *string `json:"cipher_suite"`
		KeyShare    struct {
			Group string `json:"group"`
		} `json:"key_share"`
	} `json:"hello_retry_request"`
}

// TestTLS13DraftHandshakes: each draft's handshake is established, with
// its version named as Wireshark names it, the key shares read from
// extension 40 up to draft 22, the drafts' own HelloRetryRequest (type 6)
// up to 21 in the ladder, and no violation; tshark sees the same
// messages, versions, suites, extensions and key share groups.
func TestTLS13DraftHandshakes(t *testing.T) {
	path := writeDrafts(t)
	var out, errb bytes.Buffer
	if status := run([]string{"-r", path, "--format", "json"}, &out, &errb); status == exitError {
		t.Fatalf("exit %d: %s", status, errb.String())
	}
	var reports []draftReport
	for dec := json.NewDecoder(&out); dec.More(); {
		var r draftReport
		if err := dec.Decode(&r); err != nil {
			t.Fatal(err)
		}
		reports = append(reports, r)
	}
	if len(reports) != len(draftHellos) {
		t.Fatalf("%d connections reported, want %d", len(reports), len(draftHellos))
	}
	for i, d := range draftHellos {
		r := reports[i]
		var ladder []string
		for _, m := range r.Messages {
			if m.Type != "encrypted" {
				ladder = append(ladder, m.From+" "+m.Type)
			}
		}
		want := []string{"client client_hello", "server server_hello"}
		if d.late() {
			want = append(want, "server change_cipher_spec", "client change_cipher_spec")
		}
		if d.hrr {
			want = []string{"client client_hello", "server hello_retry_request", "client client_hello", "server server_hello"}
			if d.late() {
				want = []string{"client client_hello", "server hello_retry_request", "server change_cipher_spec",
					"client change_cipher_spec", "client client_hello", "server server_hello"}
			}
		}
		if r.Outcome != "established" || r.Version != d.want || r.CipherSuite != "TLS_AES_128_GCM_SHA256" ||
			len(r.Violations) > 0 || !slices.Equal(ladder, want) {
			t.Errorf("%s: %s %s %s, violations %s, ladder %v; want established %s TLS_AES_128_GCM_SHA256, none, %v",
				d.name, r.Outcome, r.Version, r.CipherSuite, r.Violations, ladder, d.want, want)
		}
		shareExt := decode.ExtensionType(d.ext).String()
		if r.ServerHello.KeyShare.Group != "x25519" || len(r.ClientHello.KeyShares) == 0 ||
			!slices.ContainsFunc(r.ServerHello.Extensions, func(e struct {
				Type string `json:"type"`
			}) bool {
				return e.Type == shareExt
			}) {
			t.Errorf("%s: key shares %+v and %+v, server extensions %+v: want x25519 in %s", d.name,
				r.ClientHello.KeyShares, r.ServerHello.KeyShare, r.ServerHello.Extensions, shareExt)
		}
		if d.hrr && (r.HelloRetryRequest == nil || r.HelloRetryRequest.KeyShare.Group != "x25519") {
			t.Errorf("%s: hello_retry_request %+v, want one asking for x25519", d.name, r.HelloRetryRequest)
		}
	}
	if _, err := exec.LookPath("tshark"); err != nil {
		t.Skipf("tshark: %v", err)
	}
	job := &tsharkJob{name: "drafts", path: path}
	runTshark([]*tsharkJob{job})
	if job.err != nil {
		t.Fatal(job.err)
	}
	verdict, err := compareWithTshark(path, job.tsv)
	if err != nil {
		t.Fatal(err)
	}
	if verdict.streams != len(draftHellos) || verdict.agree != verdict.streams {
		t.Errorf("tshark: %d of %d streams agree: %+v", verdict.agree, verdict.streams, verdict.diffs)
	}
	checkDraftFields(t, path, reports)
	checkDraftRetries(t, path, reports)
}

// checkDraftRetries compares the HelloRetryRequests tshark reads (the
// first message of type 6, or of type 2, of the streams that have one)
// with the report's: version, suite and the group asked for; and a
// draft's own (type 6) has no random in the report, nor a suite before
// draft 19, having none on the wire.
func checkDraftRetries(t *testing.T, path string, reports []draftReport) {
	out, err := exec.Command("tshark", "-r", path, "-Y", "tls.handshake.type == 6 or tls.handshake.type == 2", "-T", "fields",
		"-e", "tcp.stream", "-e", "tls.handshake.type", "-e", "tls.handshake.version", "-e", "tls.handshake.ciphersuite",
		"-e", "tls.handshake.extensions_key_share_selected_group").Output()
	if err != nil {
		t.Fatal(err)
	}
	first := map[int][]string{}
	for _, line := range strings.Split(strings.TrimRight(string(out), "\n"), "\n") {
		f := strings.Split(line, "\t")
		n, err := strconv.Atoi(f[0])
		if err != nil || len(f) < 5 || n >= len(reports) {
			t.Fatalf("tshark: %q", line)
		}
		if first[n] == nil {
			first[n] = f
		}
	}
	for i, d := range draftHellos {
		if !d.hrr {
			continue
		}
		f, h := first[i], reports[i].HelloRetryRequest
		if f == nil || h == nil {
			t.Errorf("%s: tshark %q, report %+v", d.name, f, h)
			continue
		}
		v, _ := strconv.ParseUint(strings.TrimPrefix(f[2], "0x"), 16, 16)
		group, _ := strconv.Atoi(f[4])
		suite := ""
		if f[3] != "" {
			s, _ := strconv.ParseUint(strings.TrimPrefix(f[3], "0x"), 16, 16)
			suite = decode.CipherSuite(s).String()
		}
		var ours string
		if h.CipherSuite != nil {
			ours = *h.CipherSuite
		}
		own := f[1] == "6"
		if decode.Version(v).String() != h.Version || suite != ours || decode.NamedGroup(group).String() != h.KeyShare.Group ||
			own == d.late() || own == (h.Random != nil) {
			t.Errorf("%s: tshark reads the HelloRetryRequest as %q; the report: %s suite %q, %s, random %v",
				d.name, f, h.Version, ours, h.KeyShare.Group, h.Random != nil)
		}
	}
}

// checkDraftFields compares, stream by stream, the hellos' fields tshark
// reads with the report's: the negotiated version, the suite, the
// extension types of both hellos and the server's key share group.
func checkDraftFields(t *testing.T, path string, reports []draftReport) {
	out, err := exec.Command("tshark", "-r", path, "-Y", "tls.handshake.type == 2", "-T", "fields",
		"-E", "separator=/t", "-E", "occurrence=a", "-E", "aggregator=,",
		"-e", "tcp.stream", "-e", "tls.handshake.version", "-e", "tls.handshake.extensions.supported_version",
		"-e", "tls.handshake.ciphersuite", "-e", "tls.handshake.extension.type",
		"-e", "tls.handshake.extensions_key_share_group").Output()
	if err != nil {
		t.Fatal(err)
	}
	// The last type 2 of a stream is its ServerHello: a HelloRetryRequest
	// of draft 22 on is one too.
	last := map[int]string{}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		stream, _, _ := strings.Cut(line, "\t")
		n, err := strconv.Atoi(stream)
		if err != nil || n >= len(reports) {
			t.Fatalf("tshark: %q", line)
		}
		last[n] = line
	}
	if len(last) != len(reports) {
		t.Errorf("tshark read ServerHellos in %d streams, want %d", len(last), len(reports))
	}
	for stream, line := range last {
		f := strings.Split(line, "\t")
		if len(f) < 6 {
			t.Fatalf("tshark: %q", line)
		}
		r := reports[stream]
		v := f[1]
		if f[2] != "" {
			v = f[2]
		}
		n, _ := strconv.ParseUint(strings.TrimPrefix(v, "0x"), 16, 16)
		var exts []string
		for _, e := range strings.Split(f[4], ",") {
			n, _ := strconv.Atoi(e)
			exts = append(exts, decode.ExtensionType(n).String())
		}
		var ours []string
		for _, e := range r.ServerHello.Extensions {
			ours = append(ours, e.Type)
		}
		suite, _ := strconv.ParseUint(strings.TrimPrefix(f[3], "0x"), 16, 16)
		group, _ := strconv.Atoi(f[5])
		if decode.Version(n).String() != r.Version || decode.CipherSuite(suite).String() != r.CipherSuite ||
			!slices.Equal(exts, ours) || decode.NamedGroup(group).String() != r.ServerHello.KeyShare.Group {
			t.Errorf("stream %d: tshark reads the ServerHello as %q; the report: %s %s %v %s",
				stream, line, r.Version, r.CipherSuite, ours, r.ServerHello.KeyShare.Group)
		}
	}
}
