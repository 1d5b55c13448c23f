package report

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hsdecode/hsdecode/capture"
	"github.com/hsdecode/hsdecode/decode"
	"github.com/hsdecode/hsdecode/flows"
	"github.com/hsdecode/hsdecode/reassembly"
	"github.com/hsdecode/hsdecode/stream"
)

// The hand-written JSON encoder (jsonenc.go) must escape strings as
// encoding/json did when it wrote the report: these tests compare the two
// on hostile strings in every field a capture reaches, and by fuzzing.
// That every member keeps its name, order and omission is TestGolden's
// (cmd/hsdecode) and scripts/same-reports.sh's to show.

const (
	bundledPcaps = "../testdata/pcaps"
	// sharedCorpus is kept outside the repository (its captures belong to
	// other projects); the test runs on it where it is.
	sharedCorpus = "../../shared/corpus"
)

// stdJSON is what json.Encoder with SetEscapeHTML(false), the encoder
// JSONWriter used to be, writes for v.
func stdJSON(t testing.TB, v any) []byte {
	t.Helper()
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// analyzeFile reads a capture as cmd/hsdecode does.
func analyzeFile(t testing.TB, path string, fo flows.Options) []flows.Result {
	t.Helper()
	src, err := capture.OpenFile(path)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	col := flows.NewCollector(fo)
	asm := reassembly.NewAssembler(col, reassembly.Options{IdleTimeout: reassembly.DefaultIdleTimeout})
	for {
		p, err := src.Next()
		if err != nil {
			// A capture that breaks off is still reported up to there.
			if !errors.Is(err, io.EOF) {
				t.Logf("%s: %v", path, err)
			}
			break
		}
		asm.Packet(p.LinkType, p.Data, p.CaptureInfo)
	}
	asm.Flush()
	return col.Results()
}

func capturesIn(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		if ext := filepath.Ext(path); ext == ".pcap" || ext == ".pcapng" {
			out = append(out, path)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestJSONCaptures: every connection of the bundled captures and of the
// shared corpus, with every finding and a file name, with and without
// following connections to their end, is a line encoding/json reads back
// with the outcome and the findings it was written with.
func TestJSONCaptures(t *testing.T) {
	files := capturesIn(t, bundledPcaps)
	if len(files) == 0 {
		t.Fatalf("no captures in %s", bundledPcaps)
	}
	if _, err := os.Stat(sharedCorpus); err != nil {
		t.Logf("shared corpus not found at %s (it is kept outside the repository), bundled captures only: %v", sharedCorpus, err)
	} else {
		files = append(files, capturesIn(t, sharedCorpus)...)
	}
	rules, err := ParseRules("all")
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, path := range files {
		for _, follow := range []bool{false, true} {
			results := analyzeFile(t, path, flows.Options{Follow: follow})
			for i := range results {
				r := &results[i]
				fs := Findings(r, rules)
				var buf bytes.Buffer
				w := NewJSONWriter(&buf)
				w.opt, w.file = Options{MultiFile: true}, path
				if err := w.Write(r, fs); err != nil {
					t.Fatal(err)
				}
				var got struct {
					Outcome  string
					File     string
					Findings []struct{ Rule, Code, Detail string }
				}
				if err := json.Unmarshal(buf.Bytes(), &got); err != nil {
					t.Fatalf("%s: %v: %s", path, err, buf.Bytes())
				}
				if got.Outcome != string(r.Outcome) || got.File != path || len(got.Findings) != len(fs) {
					t.Errorf("%s %s: outcome %q, file %q, %d findings; want %q, %q, %d", path, r.Client, got.Outcome, got.File, len(got.Findings), r.Outcome, path, len(fs))
				}
				n++
			}
		}
	}
	t.Logf("%d captures, %d results written", len(files), n)
}

// hostileStrings are strings whose escaping encoding/json decides byte by
// byte.
var hostileStrings = func() []string {
	var ctl strings.Builder
	for c := range 0x20 {
		ctl.WriteByte(byte(c))
	}
	return []string{
		"",
		ctl.String(),
		"\x7f",
		`"quoted" \back\slash\ /`,
		"<script>&amp;</script>",
		"line\u2028separator\u2029paragraph",
		"emoji 🔒 and é, 中文",
		"\xff\xfe invalid \xc3 utf-8 \xed\xa0\x80 surrogate \xf4\x90\x80\x80 too big \xe2\x80",
		"\xef\xbf\xbd is a real U+FFFD",
		"\u2027\u202a neighbours of the separators",
		"trailing \xe2\x80\xa8",
		"nul\x00inside",
	}
}()

// hostileResult is a connection whose every string the report copies from
// the capture is s.
func hostileResult(s string) *flows.Result {
	r := detailed()
	r.Outcome = flows.OutcomeViolation
	r.ServerName, r.ALPN, r.ClientCertificate, r.Closed = s, s, s, s
	r.Messages = append(r.Messages, flows.Message{TS: t0, From: flows.Client, Type: s, Length: 1})
	r.Violations = []flows.Violation{{TS: t0, From: flows.Server, Code: flows.Code(s), Got: s, Expected: []string{s, s}, Detail: s},
		{TS: t0, From: flows.Client, Code: flows.CodeMissingMessage, Got: s}}
	r.Gap = &flows.Gap{TS: t0, From: flows.Client, Offset: 1 << 40, Missing: -1}
	ch := r.ClientHello
	ch.ServerName, ch.ALPN = s, []string{s, "h2", s}
	ch.CertificateAuthorities, ch.CertificateAuthoritiesCount = []string{s}, 2
	ch.ApplicationSettings = []string{s}
	c := &r.ServerCertificates.Certificates[0]
	c.Subject, c.Issuer, c.SerialNumber, c.Curve = s, s, s, s
	c.DNSNames, c.IPAddresses, c.EmailAddresses, c.URIs = []string{s}, []string{s}, []string{s, s}, []string{s}
	c.PublicKeyAlgorithm, c.SignatureAlgorithm, c.SHA256, c.SHA1, c.Error = s, s, s, s, s
	// An expired leaf puts its subject into a finding's detail.
	c.NotAfter = t0.Add(-time.Hour)
	r.ClientCertificates = &flows.Chain{Count: 1, Certificates: []decode.CertInfo{{Subject: s, Length: 9, SHA256: s, SHA1: s}}}
	r.ServerKeyExchange.KeyExchange = "PSK" + s
	r.ServerKeyExchange.HasPSKIdentityHint, r.ServerKeyExchange.PSKIdentityHint = true, s
	r.CertificateRequest.CertificateAuthorities = []string{s, s}
	o := &r.CertificateStatus.OCSP[0]
	o.Status, o.CertStatus, o.Error = s, s, s
	r.ClientKeyExchange.KeyExchange = "PSK" + s
	r.ClientKeyExchange.HasPSKIdentity, r.ClientKeyExchange.PSKIdentity = true, s
	return r
}

// TestAppendJSONHostile puts each hostile string into every string field
// a capture reaches, and into the file name and the findings: each comes
// out escaped as encoding/json escapes it, and the line reads back.
func TestAppendJSONHostile(t *testing.T) {
	rules, err := ParseRules("all")
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range hostileStrings {
		r := hostileResult(s)
		var w bytes.Buffer
		jw := NewJSONWriter(&w)
		jw.opt, jw.file = Options{MultiFile: true}, s
		if err := jw.Write(r, Findings(r, rules)); err != nil {
			t.Fatal(err)
		}
		line := w.Bytes()
		if !json.Valid(line) {
			t.Fatalf("not JSON: %s", line)
		}
		quoted := bytes.TrimSuffix(stdJSON(t, s), []byte("\n"))
		var want string
		if err := json.Unmarshal(quoted, &want); err != nil {
			t.Fatal(err)
		}
		var got struct {
			ServerName string `json:"server_name"`
			File       string
			Violations []struct{ Got string }
			Findings   []struct{ Detail string }
		}
		if err := json.Unmarshal(line, &got); err != nil {
			t.Fatal(err)
		}
		if got.ServerName != want || got.File != want || got.Violations[0].Got != want {
			t.Errorf("%s: read back as %q, %q, %q; want %q", quoted, got.ServerName, got.File, got.Violations[0].Got, want)
		}
		// Among the fields holding s: the server name, the file, a
		// violation's got.
		if c := bytes.Count(line, quoted); c < 3 {
			t.Errorf("%s appears %d times escaped as encoding/json escapes it, want 3 or more:\n%s", quoted, c, line)
		}
	}
}

// FuzzAppendString compares appendString with encoding/json on any string.
func FuzzAppendString(f *testing.F) {
	for _, s := range hostileStrings {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := appendString(nil, s)
		want := bytes.TrimSuffix(stdJSON(t, s), []byte("\n"))
		if !bytes.Equal(got, want) {
			t.Errorf("appendString(%q)\n got: %s\nwant: %s", s, got, want)
		}
	})
}

// benchResults are the connections the benchmarks write: a TLS 1.2
// mutual-TLS handshake, with both certificate chains and every detail.
func benchResults(b testing.TB) []flows.Result {
	b.Helper()
	rs := analyzeFile(b, filepath.Join(bundledPcaps, "05-tls12-mtls.pcap"), flows.Options{})
	if len(rs) == 0 {
		b.Fatal("no connections")
	}
	return rs
}

// benchRules are the CLI's defaults: --fail-on's default rules.
func benchRules(b *testing.B) Rules {
	rules, err := ParseRules(DefaultFailOn)
	if err != nil {
		b.Fatal(err)
	}
	return rules
}

// BenchmarkJSONWriter measures a whole Write (evaluating the findings,
// encoding) and, under encode, the encoding alone.
func BenchmarkJSONWriter(b *testing.B) {
	rs, rules := benchResults(b), benchRules(b)
	b.Run("Write", func(b *testing.B) {
		w, err := NewWriter("json", io.Discard, Options{})
		if err != nil {
			b.Fatal(err)
		}
		b.ReportAllocs()
		for b.Loop() {
			for i := range rs {
				if err := w.Write(&rs[i], Findings(&rs[i], rules)); err != nil {
					b.Fatal(err)
				}
			}
		}
	})
	b.Run("encode", func(b *testing.B) {
		ls := make([]line, len(rs))
		for i := range rs {
			ls[i] = line{connection: connection{r: &rs[i]}, findings: Findings(&rs[i], rules)}
		}
		var e jsonEncoder
		b.ReportAllocs()
		for b.Loop() {
			for i := range ls {
				e.b = e.b[:0]
				e.appendObject(&ls[i])
				if _, err := io.Discard.Write(append(e.b, '\n')); err != nil {
					b.Fatal(err)
				}
			}
		}
	})
}

// TestJSONEncoderAllocations: a line's hex strings (random, session_id)
// and lists of code points cost no allocation; what is left are the
// addresses' strings, the certificates' objects, the history and the
// hellos' objects.
func TestJSONEncoderAllocations(t *testing.T) {
	rs := benchResults(t)
	ls := make([]line, len(rs))
	for i := range rs {
		ls[i] = line{connection: connection{r: &rs[i]}}
	}
	var e jsonEncoder
	encode := func() {
		for i := range ls {
			e.b = e.b[:0]
			e.appendObject(&ls[i])
		}
	}
	encode() // the kept lists and buffer grow once
	if n := testing.AllocsPerRun(20, encode); n > 10*float64(len(ls)) {
		t.Errorf("encoding %d lines allocates %v times, want at most 10 a line", len(ls), n)
	}
}

// TestJSONWriterStopsAfterError: as with json.Encoder, a failed write is
// the last one, so that no line follows a torn one.
func TestJSONWriterStopsAfterError(t *testing.T) {
	fw := &failingWriter{}
	w := NewJSONWriter(fw)
	r := sample()
	if err := w.Write(r, nil); err == nil {
		t.Fatal("no error from a failing writer")
	}
	if err := w.Write(r, nil); err == nil || fw.calls != 1 {
		t.Errorf("second Write: error %v after %d writes, want the first error and 1 write", err, fw.calls)
	}
}

type failingWriter struct{ calls int }

func (f *failingWriter) Write(p []byte) (int, error) {
	f.calls++
	return len(p) / 2, errors.New("disk full")
}

// TestAppendStampSameAsFormat: appendStamp writes what AppendFormat with
// timeLayout writes, in any zone, at the edges of its four-digit years and
// past them.
func TestAppendStampSameAsFormat(t *testing.T) {
	zone := time.FixedZone("east", 5*3600+1800)
	times := []time.Time{
		{}, time.Unix(0, 0), time.Unix(0, 999), time.Unix(-1, 0),
		time.Date(9999, 12, 31, 23, 59, 59, 999999999, time.UTC),
		time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(-1, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(2026, 12, 31, 23, 30, 0, 123456789, zone),
	}
	r := rand.New(rand.NewPCG(1, 2))
	for range 10000 {
		times = append(times, time.Unix(r.Int64N(1<<36)-1<<35, r.Int64N(1e9)))
	}
	for _, ts := range times {
		if got, want := string(appendStamp(nil, ts)), ts.UTC().Format(timeLayout); got != want {
			t.Fatalf("%v: %s, want %s", ts, got, want)
		}
	}
}

// TestJSONEncoderStampsInSequence: an encoder stamping times one after
// another, many within the same second (a flight, a connection) as its
// last, or the same time, writes what Format writes for each.
func TestJSONEncoderStampsInSequence(t *testing.T) {
	base := time.Date(2026, 12, 3, 7, 25, 53, 0, time.UTC)
	times := []time.Time{base, base, base.Add(time.Microsecond), base.Add(999999 * time.Microsecond),
		base.Add(time.Second), base.Add(time.Second + 5), base.Add(-time.Microsecond), base.Add(-time.Microsecond),
		time.Date(10000, 1, 1, 0, 0, 0, 5000, time.UTC), time.Date(10000, 1, 1, 0, 0, 0, 7000, time.UTC),
		time.Date(-1, 1, 1, 0, 0, 0, 5000, time.UTC), time.Date(-1, 1, 1, 0, 0, 0, 9000, time.UTC),
		base.In(time.FixedZone("east", 5*3600+1800)).Add(3 * time.Microsecond)}
	r := rand.New(rand.NewPCG(3, 4))
	for range 5000 {
		times = append(times, base.Add(time.Duration(r.Int64N(3e9))))
	}
	var e jsonEncoder
	for _, ts := range times {
		e.b = append(e.b[:0], '{')
		e.stamp("ts", ts)
		if got, want := string(e.b), `{"ts":"`+ts.UTC().Format(timeLayout)+`"`; got != want {
			t.Fatalf("%v: %s, want %s", ts, got, want)
		}
	}
}

// BenchmarkAppendStamp is the time of one message (against
// BenchmarkAppendStampFormat, what it replaced).
func BenchmarkAppendStamp(b *testing.B) {
	ts := time.Date(2026, 12, 3, 7, 25, 53, 828343123, time.UTC)
	var buf []byte
	for b.Loop() {
		buf = appendStamp(buf[:0], ts)
	}
}

func BenchmarkAppendStampFormat(b *testing.B) {
	ts := time.Date(2026, 12, 3, 7, 25, 53, 828343123, time.UTC)
	var buf []byte
	for b.Loop() {
		buf = ts.UTC().AppendFormat(buf[:0], timeLayout)
	}
}

// The lists of names, fingerprints and certificates an encoder keeps
// (jsonEncoder.lists, prints, certs) write what it would write anew: one encoder over every bundled capture's results, in
// turn, writes each line as an encoder of its own does; and the same code
// points under two members (cipher suite 0x001d, group x25519) or the
// same member over two lists are told apart, as are hellos that differ
// only in what one fingerprint reads; and what it keeps is bounded,
// whatever the wire's lists.
func TestJSONEncoderListsSame(t *testing.T) {
	var rs []flows.Result
	for _, path := range capturesIn(t, bundledPcaps) {
		rs = append(rs, analyzeFile(t, path, flows.Options{})...)
	}
	ch := &decode.ClientHello{CipherSuites: []decode.CipherSuite{0x001d}, SupportedGroups: []decode.NamedGroup{0x001d}}
	ch2 := &decode.ClientHello{CipherSuites: []decode.CipherSuite{0x001d, 0x1301}, SupportedGroups: []decode.NamedGroup{0x001d}}
	// A list longer than the lists kept may be: not kept, written alike.
	huge := &decode.ClientHello{CipherSuites: make([]decode.CipherSuite, 30000)}
	for i := range huge.CipherSuites {
		huge.CipherSuites[i] = decode.CipherSuite(i)
	}
	for _, c := range []*decode.ClientHello{ch, ch2, ch, huge} {
		r := *sample()
		r.ClientHello = c
		rs = append(rs, r)
	}
	// Fingerprints: hellos alike but for what one of them reads.
	for _, c := range []*decode.ClientHello{
		{CipherSuites: []decode.CipherSuite{0x1301}, ALPN: []string{"h2"}},
		{CipherSuites: []decode.CipherSuite{0x1301}, ALPN: []string{"h3"}},
		{CipherSuites: []decode.CipherSuite{0x1301}, ALPN: []string{"h2"}, SupportedVersions: []decode.Version{decode.VersionTLS13}},
		{CipherSuites: []decode.CipherSuite{0x1301}, Extensions: []decode.Extension{{Type: decode.ExtServerName}}},
		{CipherSuites: []decode.CipherSuite{0x1301}, Extensions: []decode.Extension{{Type: decode.ExtALPN}}},
	} {
		for _, tr := range []stream.Transport{stream.TransportTCP, stream.TransportQUIC} {
			r := *sample()
			r.ClientHello, r.Transport = c, tr
			rs = append(rs, r)
		}
	}
	var shared jsonEncoder
	for range 2 { // the second time, every list is one kept
		for i := range rs {
			l := line{connection: connection{r: &rs[i]}}
			var own jsonEncoder
			own.appendObject(&l)
			shared.b = shared.b[:0]
			shared.appendObject(&l)
			if !bytes.Equal(shared.b, own.b) {
				t.Fatalf("result %d: an encoder keeping lists wrote\n%s\nwant\n%s", i, shared.b, own.b)
			}
		}
	}
	kept := 0
	for _, m := range []map[string][]byte{shared.lists, shared.prints, shared.certs} {
		for k, a := range m {
			kept += len(k) + len(a)
		}
	}
	if len(shared.lists) == 0 || len(shared.prints) == 0 || len(shared.certs) == 0 || kept != shared.listBytes || kept > listsBytes {
		t.Errorf("the encoder kept %d lists, %d fingerprints and %d certificates, %d bytes (counted %d), want some, at most %d",
			len(shared.lists), len(shared.prints), len(shared.certs), kept, shared.listBytes, listsBytes)
	}
}
