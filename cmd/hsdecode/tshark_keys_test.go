package main

// The peer check with keys (issue 13): on every bundled capture with its
// key log beside it (NAME.keys) and every capture of the shared corpus
// with one (a key log file in its directory, or Decryption Secrets Blocks
// in the pcapng itself), tshark and hsdecode are given the same keys, and
// the handshake messages, ChangeCipherSpecs and alerts each shows,
// decrypted ones included, are compared per TCP stream and direction.
//
// hsdecode reads a connection up to its verdict: an established one is
// not read past both Finished (docs/handshake-order.md section 4.1), so by
// default a side's sequence may stop after its Finished where tshark's
// goes on with tickets, KeyUpdate, renegotiation and closing alerts; that
// tail is logged, not failed. Run again with --follow, hsdecode must show
// everything tshark shows. Any other difference fails the test unless
// keyLogKnownDiffs (keyLogFollowKnownDiffs with --follow) names it with
// its reason.

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/hsdecode/hsdecode/capture"
	"github.com/hsdecode/hsdecode/decode"
	"github.com/hsdecode/hsdecode/flows"
	"github.com/hsdecode/hsdecode/keylog"
	"github.com/hsdecode/hsdecode/reassembly"
)

// keyLogKnownDiffs are the differences with tshark given the same keys
// that are not hsdecode bugs, each with its reason. capture is the
// capture's name in the test (testdata/pcaps/... or the path in the
// corpus); the test fails on a difference not listed and on an entry
// that no longer differs.
var keyLogKnownDiffs = []knownDiff{}

// keyLogFollowKnownDiffs are those of the run with --follow.
var keyLogFollowKnownDiffs = []knownDiff{
	{capture: "testdata/pcaps/40-tls13-keylog-pha.pcap", stream: 0, dir: "127.0.0.1:58464",
		reason: "tshark 4.0 decrypts none of the client's records after its post-handshake Certificate, CertificateVerify and Finished: its 24-byte close_notify (frame 24) shows as Application Data"},
	{capture: "testdata/pcaps/41-tls13-keylog-pha-empty.pcap", stream: 0, dir: "127.0.0.1:47438",
		reason: "as 40: tshark 4.0 decrypts none of the client's records after its post-handshake authentication answer, so not its close_notify"},
}

// keyCapture is one capture to read with keys: name is how the test and
// keyLogKnownDiffs name it; keys are the key log files given to both tools
// (none for a pcapng that carries its own).
type keyCapture struct {
	name, path string
	keys       []string
}

func TestTsharkKeyLog(t *testing.T) {
	if _, err := exec.LookPath("tshark"); err != nil {
		t.Skipf("tshark is not installed: %v", err)
	}
	caps, err := bundledKeyCaptures(pcapDir)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(tsharkCorpusDir); err != nil {
		t.Logf("the shared corpus is not at %s: only the bundled captures are compared", tsharkCorpusDir)
	} else {
		more, err := corpusKeyCaptures(tsharkCorpusDir)
		if err != nil {
			t.Fatal(err)
		}
		caps = append(caps, more...)
	}
	// Each mode: its known differences, and what was used of them.
	modes := [2]struct {
		known    []knownDiff
		used     []bool
		streams  int
		agree    int
		listed   int
		tails    int
		knownVar string
	}{
		{known: keyLogKnownDiffs, used: make([]bool, len(keyLogKnownDiffs)), knownVar: "keyLogKnownDiffs"},
		{known: keyLogFollowKnownDiffs, used: make([]bool, len(keyLogFollowKnownDiffs)), knownVar: "keyLogFollowKnownDiffs"},
	}
	compared := map[string]bool{}
	for _, c := range caps {
		t.Run(c.name, func(t *testing.T) {
			vs, err := compareWithKeys(c)
			if err != nil {
				t.Fatal(err)
			}
			compared[c.name] = true
			for f, v := range vs {
				m := &modes[f]
				m.streams += v.streams
				m.agree += v.agree
				m.tails += len(v.notes)
				for _, n := range v.notes {
					t.Logf("follow=%v: note: %s", f == 1, n)
				}
				for _, d := range v.diffs {
					i := slices.IndexFunc(m.known, func(k knownDiff) bool { return k.covers(c.name, d) })
					if i >= 0 {
						m.used[i] = true
						m.listed++
						t.Logf("follow=%v: stream %d %s: known difference (%s): %s", f == 1, d.stream, d.dir, m.known[i].reason, d.detail)
						continue
					}
					t.Errorf("follow=%v: stream %d %s: differs from tshark with the key log: %s", f == 1, d.stream, d.dir, d.detail)
				}
			}
		})
	}
	for f, m := range modes {
		for i, k := range m.known {
			if compared[k.capture] && !m.used[i] {
				t.Errorf("%s[%d] (%s stream %d %s) no longer differs: remove it", m.knownVar, i, k.capture, k.stream, k.dir)
			}
		}
		t.Logf("%s with key logs, follow=%v: %d/%d streams agree across %d captures (%d differences listed as known; %d notes)",
			tsharkVersion(), f == 1, m.agree, m.streams, len(caps), m.listed, m.tails)
	}
}

// bundledKeyCaptures lists the captures of dir with a key log NAME.keys
// beside them.
func bundledKeyCaptures(dir string) ([]keyCapture, error) {
	files, err := filepath.Glob(filepath.Join(dir, "*.pcap*"))
	if err != nil {
		return nil, err
	}
	var out []keyCapture
	for _, f := range files {
		keys := strings.TrimSuffix(f, filepath.Ext(f)) + ".keys"
		if _, err := os.Stat(keys); err == nil {
			out = append(out, keyCapture{name: "testdata/pcaps/" + filepath.Base(f), path: f, keys: []string{keys}})
		}
	}
	return out, nil
}

// corpusKeyCaptures lists the corpus captures that have keys: each capture
// of a directory holding key log files is read with all of them (the
// files do not say which capture they belong to; keys are looked up by
// client random, so the others do no harm), and a pcapng elsewhere with
// its own Decryption Secrets Blocks.
func corpusKeyCaptures(root string) ([]keyCapture, error) {
	caps, keys := map[string][]string{}, map[string][]string{}
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		dir, name := filepath.Dir(p), d.Name()
		switch ext := filepath.Ext(name); {
		case ext == ".pcap" || ext == ".pcapng" || ext == ".cap":
			caps[dir] = append(caps[dir], p)
		case ext == ".keylog" || ext == ".keys" || ext == ".txt" || strings.Contains(name, "keylog"):
			if isKeyLog(p) {
				keys[dir] = append(keys[dir], p)
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	var out []keyCapture
	for dir, list := range caps {
		for _, p := range list {
			if len(keys[dir]) == 0 && (filepath.Ext(p) != ".pcapng" || !embedsSecrets(p)) {
				continue
			}
			rel, err := filepath.Rel(root, p)
			if err != nil {
				return nil, err
			}
			out = append(out, keyCapture{name: filepath.ToSlash(rel), path: p, keys: keys[dir]})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].name < out[j].name })
	return out, nil
}

// isKeyLog says whether a file is an NSS key log: at least one secret
// and no malformed line.
func isKeyLog(path string) bool {
	st, err := new(keylog.Log).Load(path)
	return err == nil && st.Secrets > 0 && st.Malformed == 0
}

// embedsSecrets says whether a capture carries TLS key logs in pcapng
// Decryption Secrets Blocks.
func embedsSecrets(path string) bool {
	src, err := capture.OpenFile(path)
	if err != nil {
		return false
	}
	defer src.Close()
	ss, ok := src.(capture.SecretsSource)
	if !ok {
		return false
	}
	for {
		_, err := ss.Next()
		if len(ss.Secrets()) > 0 {
			return true
		}
		if err != nil {
			return false
		}
	}
}

// analyzeWithKeys is analyze with the key log files loaded and a pcapng's
// Decryption Secrets Blocks used, as the command line does, and a panic
// returned as an error. g holds the keys given, and those the capture
// carried, once it returns.
func analyzeWithKeys(c keyCapture, follow bool) (an *analysis, g *keylog.Log, err error) {
	defer func() {
		if p := recover(); p != nil {
			an, err = nil, fmt.Errorf("hsdecode panicked: %v\n%s", p, debug.Stack())
		}
	}()
	g = new(keylog.Log)
	for _, k := range c.keys {
		if _, err := g.Load(k); err != nil {
			return nil, nil, err
		}
	}
	src, err := capture.OpenFile(c.path)
	if err != nil {
		return nil, nil, err
	}
	defer src.Close()
	var results []flows.Result
	an = analyzeSource(withSecrets(src, g, io.Discard), flows.Options{Keys: g, Follow: follow},
		reassembly.Options{MaxBufferedBytes: 512 << 20}, 1, nil, func(r *flows.Result) error {
			results = append(results, *r)
			return nil
		})
	an.results = results
	return an, g, nil
}

// compareWithKeys reads a capture with tshark and with hsdecode, both with
// its keys, and compares them stream by stream: hsdecode without and with
// --follow.
func compareWithKeys(c keyCapture) ([2]*captureVerdict, error) {
	var vs [2]*captureVerdict
	var streams []*tsharkStream
	for f, follow := range []bool{false, true} {
		an, _, err := analyzeWithKeys(c, follow)
		if err != nil {
			return vs, err
		}
		if streams == nil {
			// tshark is run once: --follow changes nothing of the
			// connections found, so its ports are the same.
			out, err := tsharkWithKeys(c, an.results)
			if err != nil {
				return vs, err
			}
			if streams, err = parseTsharkJSON(out); err != nil {
				return vs, fmt.Errorf("tshark output: %v", err)
			}
		}
		v := &captureVerdict{streams: len(streams)}
		if an.readErr != nil {
			v.notes = append(v.notes, "capture read error (results up to it compared): "+an.readErr.Error())
		}
		match := matchStreams(streams, an.results)
		for si, st := range streams {
			var r *flows.Result
			if i := match[si]; i >= 0 {
				r = &an.results[i]
			}
			d, notes := keysVerdict(st, r, follow)
			if len(d) == 0 {
				v.agree++
			}
			v.diffs = append(v.diffs, d...)
			v.notes = append(v.notes, notes...)
		}
		vs[f] = v
	}
	return vs, nil
}

// tsharkWithKeys runs tshark on a capture with its key logs (joined into
// one file, the one tshark takes) and TLS decoded on every port hsdecode
// found a TLS server on, and returns its JSON.
func tsharkWithKeys(c keyCapture, results []flows.Result) ([]byte, error) {
	args := []string{"-r", c.path,
		"-o", "tls.desegment_ssl_records:TRUE", "-o", "tls.desegment_ssl_application_data:TRUE",
		"--enable-heuristic", "tls_tcp"}
	if len(c.keys) > 0 {
		f, err := os.CreateTemp("", "hsdecode-tshark-*.keys")
		if err != nil {
			return nil, err
		}
		defer os.Remove(f.Name())
		var all []byte
		for _, k := range c.keys {
			b, err := os.ReadFile(k)
			if err != nil {
				f.Close()
				return nil, err
			}
			all = append(append(all, b...), '\n')
		}
		if _, err := f.Write(all); err != nil {
			f.Close()
			return nil, err
		}
		if err := f.Close(); err != nil {
			return nil, err
		}
		args = append(args, "-o", "tls.keylog_file:"+f.Name())
	}
	ports := map[uint16]bool{}
	for i := range results {
		if p := results[i].Server.Port(); !ports[p] {
			ports[p] = true
			args = append(args, "-d", fmt.Sprintf("tcp.port==%d,tls", p))
		}
	}
	args = append(args, "-Y", "tls", "-T", "json", "--no-duplicate-keys", "-J", "ip ipv6 tcp tls")
	var out, errb bytes.Buffer
	cmd := exec.Command("tshark", args...)
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("tshark: %v: %s", err, errb.String())
	}
	return out.Bytes(), nil
}

// jsonObject is one object of tshark's JSON output.
type jsonObject map[string]json.RawMessage

// jsonAll returns a member of tshark's JSON as the objects it holds:
// --no-duplicate-keys makes a repeated member (several records in a
// frame, several messages in a record) an array of them. Anything else (an
// encrypted handshake message is the empty string) holds none.
func jsonAll(raw json.RawMessage) []jsonObject {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return nil
	}
	if raw[0] == '[' {
		var list []json.RawMessage
		if json.Unmarshal(raw, &list) != nil {
			return nil
		}
		var out []jsonObject
		for _, e := range list {
			out = append(out, jsonAll(e)...)
		}
		return out
	}
	var o jsonObject
	if json.Unmarshal(raw, &o) != nil {
		return nil
	}
	return []jsonObject{o}
}

// str returns a field's value, the last one when the field repeats (the
// innermost header of a tunnel).
func (o jsonObject) str(name string) string {
	raw := bytes.TrimSpace(o[name])
	if len(raw) > 0 && raw[0] == '[' {
		var list []string
		if json.Unmarshal(raw, &list) != nil || len(list) == 0 {
			return ""
		}
		return list[len(list)-1]
	}
	var s string
	if json.Unmarshal(raw, &s) != nil {
		return ""
	}
	return s
}

// last returns the last object of a layer (the innermost of a tunnel).
func (o jsonObject) last(name string) jsonObject {
	all := jsonAll(o[name])
	if len(all) == 0 {
		return jsonObject{}
	}
	return all[len(all)-1]
}

// parseTsharkJSON reads tshark's -T json output into streams, each
// record's handshake messages, ChangeCipherSpec and alert in wire order:
// unlike the fields output, the JSON says which record each message came
// in, so a ChangeCipherSpec between handshake records of one frame keeps
// its place. Handshake messages and alerts tshark could not decrypt carry
// no type and are left out, as ourTokens leaves out encrypted ones.
func parseTsharkJSON(b []byte) ([]*tsharkStream, error) {
	var pkts []struct {
		Source struct {
			Layers jsonObject `json:"layers"`
		} `json:"_source"`
	}
	if err := json.Unmarshal(b, &pkts); err != nil {
		return nil, err
	}
	byID := map[int]*tsharkStream{}
	for _, p := range pkts {
		l := p.Source.Layers
		tcp := l.last("tcp")
		id, err := strconv.Atoi(tcp.str("tcp.stream"))
		if err != nil {
			continue // TLS over something else than TCP
		}
		ip := l.last("ip").str("ip.src")
		if ip == "" {
			ip = l.last("ipv6").str("ipv6.src")
		}
		src, err := rowSender(ip, "", tcp.str("tcp.srcport"), "")
		if err != nil {
			return nil, err
		}
		st := byID[id]
		if st == nil {
			st = &tsharkStream{id: id, tokens: map[netip.AddrPort][]string{}}
			byID[id] = st
		}
		if _, ok := st.tokens[src]; !ok {
			st.senders = append(st.senders, src)
			st.tokens[src] = nil
		}
		for _, layer := range jsonAll(l["tls"]) {
			for _, rec := range jsonAll(layer["tls.record"]) {
				toks, err := recordTokens(rec)
				if err != nil {
					return nil, err
				}
				st.tokens[src] = append(st.tokens[src], toks...)
			}
		}
	}
	out := make([]*tsharkStream, 0, len(byID))
	for _, st := range byID {
		out = append(out, st)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].id < out[j].id })
	return out, nil
}

// recordTokens turns one record of tshark's JSON into tokens.
func recordTokens(rec jsonObject) ([]string, error) {
	var toks []string
	switch rec.str("tls.record.content_type") {
	case "20":
		toks = append(toks, tokCCS)
	case "21":
		for _, a := range jsonAll(rec["tls.alert_message"]) {
			s := a.str("tls.alert_message.desc")
			if s == "" {
				continue // encrypted
			}
			d, err := strconv.ParseUint(s, 10, 8)
			if err != nil {
				return nil, fmt.Errorf("alert description %q: %v", s, err)
			}
			toks = append(toks, tokAlertPrefix+decode.AlertDescription(d).String())
		}
	case "22":
		for _, h := range jsonAll(rec["tls.handshake"]) {
			s := h.str("tls.handshake.type")
			if s == "" {
				continue // encrypted
			}
			name, err := handshakeName(s)
			if err != nil {
				return nil, err
			}
			toks = append(toks, name)
		}
	}
	return toks, nil
}

// keysVerdict compares one tshark stream with its result (nil: none). The
// notes list what tshark showed after hsdecode's verdict.
func keysVerdict(st *tsharkStream, r *flows.Result, follow bool) ([]disagreement, []string) {
	if r == nil || follow {
		return streamVerdict(st, r), nil
	}
	d := streamVerdict(st, r)
	if len(d) == 0 {
		return d, nil
	}
	// Not followed, a side's sequence may be a prefix of tshark's when
	// what it lacks came after the verdict: after its Finished in an
	// established connection, or alerts only (the answer to the fatal
	// one) once a fatal alert decided it.
	fatal := false
	for _, a := range r.Alerts {
		fatal = fatal || a.Level == decode.AlertLevelFatal
	}
	ours := ourTokens(r)
	var out []disagreement
	var notes []string
	for _, x := range d {
		ep, err := netip.ParseAddrPort(x.dir)
		if err != nil {
			out = append(out, x)
			continue
		}
		theirs, our := st.tokens[ep], ours[ep]
		if len(our) >= len(theirs) || !slices.Equal(theirs[:len(our)], our) {
			out = append(out, x)
			continue
		}
		tail := theirs[len(our):]
		switch {
		case r.Outcome == flows.OutcomeEstablished && slices.Contains(our, decode.HandshakeFinished.String()):
		case r.Outcome == flows.OutcomeAlert && fatal && !slices.ContainsFunc(tail, func(s string) bool { return !strings.HasPrefix(s, tokAlertPrefix) }):
		default:
			out = append(out, x)
			continue
		}
		notes = append(notes, fmt.Sprintf("stream %d %s: after the verdict (read with --follow): %s", st.id, ep, fmtSeq(tail)))
	}
	return out, notes
}

// TestParseTsharkJSON: records in wire order within a frame, encrypted
// messages and alerts left out, a stream per tcp.stream.
func TestParseTsharkJSON(t *testing.T) {
	const in = `[
	{"_source":{"layers":{"ip":{"ip.src":"10.0.0.2"},"tcp":{"tcp.stream":"0","tcp.srcport":"443"},
	 "tls":{"tls.record":[
	  {"tls.record.content_type":"22","tls.handshake":{"tls.handshake.type":"2"}},
	  {"tls.record.content_type":"20","tls.change_cipher_spec":""},
	  {"tls.record.opaque_type":"23","tls.record.content_type":"22","tls.handshake":[{"tls.handshake.type":"8"},{"tls.handshake.type":"20"}]},
	  {"tls.record.content_type":"22","tls.handshake":""}]}}}},
	{"_source":{"layers":{"ip":[{"ip.src":"192.0.2.1"},{"ip.src":"10.0.0.1"}],"tcp":{"tcp.stream":"0","tcp.srcport":"5000"},
	 "tls":[{"tls.record":{"tls.record.content_type":"21","tls.alert_message":{"tls.alert_message.level":"2","tls.alert_message.desc":"116"}}},
	        {"tls.record":{"tls.record.content_type":"21","tls.alert_message":""}}]}}},
	{"_source":{"layers":{"ipv6":{"ipv6.src":"2001:db8::1"},"tcp":{"tcp.stream":"3","tcp.srcport":"6000"},
	 "tls":{"tls.record":{"tls.record.content_type":"23"}}}}}]`
	streams, err := parseTsharkJSON([]byte(in))
	if err != nil {
		t.Fatal(err)
	}
	ap := netip.MustParseAddrPort
	if len(streams) != 2 || streams[0].id != 0 || streams[1].id != 3 {
		t.Fatalf("streams %+v", streams)
	}
	if got, want := streams[0].tokens[ap("10.0.0.2:443")], []string{"server_hello", tokCCS, "encrypted_extensions", "finished"}; !slices.Equal(got, want) {
		t.Errorf("server: %v, want %v", got, want)
	}
	if got, want := streams[0].tokens[ap("10.0.0.1:5000")], []string{tokAlertPrefix + decode.AlertDescription(116).String()}; !slices.Equal(got, want) {
		t.Errorf("client: %v, want %v", got, want)
	}
	if !streams[1].empty() || !slices.Equal(streams[1].senders, []netip.AddrPort{ap("[2001:db8::1]:6000")}) {
		t.Errorf("stream 3: %+v", streams[1])
	}
	if _, err := parseTsharkJSON([]byte("not json")); err == nil {
		t.Error("no error on bad input")
	}
}

// TestKeysVerdict: an established connection's side may stop after its
// Finished where tshark goes on, unless hsdecode followed it; anything
// else still differs.
func TestKeysVerdict(t *testing.T) {
	ap := netip.MustParseAddrPort
	c, s := ap("10.0.0.1:5000"), ap("10.0.0.2:443")
	r := &flows.Result{Client: c, Server: s, Outcome: flows.OutcomeEstablished, Messages: []flows.Message{
		{From: flows.Client, Type: "client_hello"},
		{From: flows.Server, Type: "server_hello"},
		{From: flows.Server, Type: "finished", Decrypted: true},
		{From: flows.Client, Type: "finished", Decrypted: true},
	}}
	st := &tsharkStream{id: 0, senders: []netip.AddrPort{c, s}, tokens: map[netip.AddrPort][]string{
		c: {"client_hello", "finished", tokAlertPrefix + "close_notify"},
		s: {"server_hello", "finished", "new_session_ticket"},
	}}
	if d, notes := keysVerdict(st, r, false); len(d) != 0 || len(notes) != 2 {
		t.Errorf("not followed: %v %q, want no difference and 2 notes", d, notes)
	}
	if d, _ := keysVerdict(st, r, true); len(d) != 2 {
		t.Errorf("followed: %v, want 2 differences", d)
	}
	st.tokens[s] = []string{"server_hello", "certificate", "finished"}
	if d, _ := keysVerdict(st, r, false); len(d) != 1 || d[0].dir != s.String() {
		t.Errorf("a message missing before the verdict: %v, want the server's difference", d)
	}
	// A fatal alert decided it: only alerts may follow.
	r.Outcome = flows.OutcomeAlert
	r.Messages = append(r.Messages, flows.Message{From: flows.Server, Type: flows.TypeAlert})
	r.Alerts = []flows.Alert{{From: flows.Server, Level: decode.AlertLevelFatal, Description: 116}}
	fatal := tokAlertPrefix + decode.AlertDescription(116).String()
	st.tokens[s] = []string{"server_hello", "finished", fatal}
	if d, notes := keysVerdict(st, r, false); len(d) != 0 || len(notes) != 1 {
		t.Errorf("alert: %v %q, want the client's close_notify as a note", d, notes)
	}
	st.tokens[s] = []string{"server_hello", "finished", fatal, "new_session_ticket"}
	if d, _ := keysVerdict(st, r, false); len(d) != 1 || d[0].dir != s.String() {
		t.Errorf("a message after the fatal alert: %v, want the server's difference", d)
	}
}
