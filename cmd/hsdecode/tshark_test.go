package main

// The tshark agreement test: on every capture of the shared corpus that has a
// *.tshark.tsv reference beside it (see the corpus MANIFEST.md, section
// "tshark reference files"), the handshake messages, ChangeCipherSpecs and
// plaintext alerts that hsdecode reports per TCP stream and direction must
// be those tshark reports. tshark is a reference, not ground truth: where it
// is wrong, the disagreement is listed with its reason in
// testdata/tshark-known-differences.md, and the test fails on any
// disagreement that is not listed there and on any entry that no longer
// disagrees.

import (
	"bufio"
	"fmt"
	"io"
	"io/fs"
	"net/netip"
	"os"
	"path/filepath"
	"runtime/debug"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/hsdecode/hsdecode/decode"
	"github.com/hsdecode/hsdecode/flows"
	"github.com/hsdecode/hsdecode/reassembly"
)

const (
	// tsharkCorpusDir is the shared corpus, outside the repository: its
	// captures belong to other projects and must not be committed here.
	tsharkCorpusDir = "../../../shared/corpus"
	// tsharkKnownDiffs lists the disagreements that are tshark's fault or a
	// legitimate difference, each with its reason.
	tsharkKnownDiffs = "../../testdata/tshark-known-differences.md"
	tsharkSuffix     = ".tshark.tsv"
)

// Tokens of the per-direction sequences both sides are reduced to.
const (
	tokCCS         = "change_cipher_spec"
	tokAlertPrefix = "alert:"
	// tokSSLv2Prefix marks SSLv2 message types other than CLIENT-HELLO, which
	// share no numbering with TLS handshake types.
	tokSSLv2Prefix = "sslv2:"
)

// TSV columns the test reads (MANIFEST.md lists the command that wrote them).
const (
	colFrame     = "frame.number"
	colStream    = "tcp.stream"
	colIPSrc     = "ip.src"
	colIPv6Src   = "ipv6.src"
	colSrcPort   = "tcp.srcport"
	colVersion   = "tls.record.version"
	colHSType    = "tls.handshake.type"
	colAlertDesc = "tls.alert_message.desc"
	colCCS       = "tls.change_cipher_spec"
	colContent   = "tls.record.content_type"
	colOpaque    = "tls.record.opaque_type"
	// colProtocols is optional (the corpus references lack it): it says
	// whether IPv4 or IPv6 carries the TCP of a frame with both, in 6in4
	// or Teredo.
	colProtocols = "frame.protocols"
)

// sslv2RecordVersion is what tshark shows as tls.record.version for an
// SSLv2-framed record.
const sslv2RecordVersion = "0x0002"

// tsharkStream is what tshark saw of one TCP stream (one tcp.stream value).
type tsharkStream struct {
	id int
	// senders are the endpoints that sent TLS records, in order of first
	// appearance.
	senders []netip.AddrPort
	// tokens holds each sender's sequence.
	tokens map[netip.AddrPort][]string
	// notes are oddities met while reading the rows (SSLv2 types other than
	// CLIENT-HELLO), for the log.
	notes []string
}

func (s *tsharkStream) empty() bool {
	for _, t := range s.tokens {
		if len(t) > 0 {
			return false
		}
	}
	return true
}

// parseTsharkTSV reads a *.tshark.tsv file and returns its streams ordered
// by tcp.stream number. Columns are found by their header names, so their
// order does not matter.
func parseTsharkTSV(r io.Reader) ([]*tsharkStream, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), 4<<20)
	if !sc.Scan() {
		if err := sc.Err(); err != nil {
			return nil, err
		}
		return nil, fmt.Errorf("empty file: no header line")
	}
	col := map[string]int{}
	for i, name := range strings.Split(sc.Text(), "\t") {
		col[name] = i
	}
	for _, name := range []string{colFrame, colStream, colIPSrc, colIPv6Src, colSrcPort,
		colVersion, colHSType, colAlertDesc, colCCS, colContent} {
		if _, ok := col[name]; !ok {
			return nil, fmt.Errorf("header lacks column %q", name)
		}
	}
	byID := map[int]*tsharkStream{}
	line := 1
	for sc.Scan() {
		line++
		if sc.Text() == "" {
			continue
		}
		f := strings.Split(sc.Text(), "\t")
		get := func(name string) string {
			i, ok := col[name]
			if !ok || i >= len(f) {
				return ""
			}
			return f[i]
		}
		// Rows without a record are TCP segments tshark assigns to a record
		// it reports later, or ICMP errors quoting a TCP header: nothing to
		// compare, and their addresses may be an ICMP sender's.
		versions := splitList(get(colVersion))
		if len(versions) == 0 {
			continue
		}
		id, err := strconv.Atoi(get(colStream))
		if err != nil {
			return nil, fmt.Errorf("line %d: tcp.stream %q: %v", line, get(colStream), err)
		}
		src, err := rowSender(get(colIPSrc), get(colIPv6Src), get(colSrcPort), get(colProtocols))
		if err != nil {
			return nil, fmt.Errorf("line %d: %v", line, err)
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
		toks, notes, err := rowTokens(versions, splitList(get(colContent)),
			splitList(get(colHSType)), splitList(get(colAlertDesc)), get(colCCS) != "")
		if err != nil {
			return nil, fmt.Errorf("line %d (frame %s): %v", line, get(colFrame), err)
		}
		st.tokens[src] = append(st.tokens[src], toks...)
		for _, n := range notes {
			st.notes = append(st.notes, "frame "+get(colFrame)+": "+n)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	out := make([]*tsharkStream, 0, len(byID))
	for _, st := range byID {
		out = append(out, st)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].id < out[j].id })
	return out, nil
}

// innerIPv6 reports whether IPv6 is the last IP layer before TCP in a
// frame.protocols list ("eth:ethertype:ip:ipv6:tcp:tls").
func innerIPv6(protocols string) bool {
	before, _, _ := strings.Cut(protocols, ":tcp")
	ps := strings.Split(before, ":")
	for i := len(ps) - 1; i >= 0; i-- {
		switch ps[i] {
		case "ipv6":
			return true
		case "ip":
			return false
		}
	}
	return false
}

// splitList splits one -E occurrence=a field into its values.
func splitList(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, ",")
}

// rowSender is the endpoint that sent a frame. With tunnels tshark lists
// every IP layer's address; the last one is the header around the TCP
// segment.
func rowSender(ip4, ip6, port, protocols string) (netip.AddrPort, error) {
	ips := splitList(ip4)
	if len(ips) == 0 || innerIPv6(protocols) {
		ips = splitList(ip6)
	}
	ports := splitList(port)
	if len(ips) == 0 || len(ports) == 0 {
		return netip.AddrPort{}, fmt.Errorf("no source address or port")
	}
	a, err := netip.ParseAddr(ips[len(ips)-1])
	if err != nil {
		return netip.AddrPort{}, err
	}
	p, err := strconv.ParseUint(ports[len(ports)-1], 10, 16)
	if err != nil {
		return netip.AddrPort{}, err
	}
	return netip.AddrPortFrom(a.Unmap(), uint16(p)), nil
}

// rowTokens turns one frame's columns into tokens in wire order, by walking
// the records' content types: tshark lists the handshake types of the frame
// in one field, not per record, so they are all emitted at the first
// handshake record (a record can carry several messages, and one message
// can span records). Handshake records left without a type are encrypted
// Finished messages of TLS <= 1.2, content type 21 without a description an
// encrypted alert, and TLS 1.3 protected records carry no content type at
// all (opaque_type): all encrypted, all left out. SSLv2 records have no
// content type either; their types (1 = CLIENT-HELLO ...) come first.
func rowTokens(versions, content, hsTypes, descs []string, ccsFlag bool) (toks, notes []string, err error) {
	sslv2 := 0
	for _, v := range versions {
		if v == sslv2RecordVersion {
			sslv2++
		}
	}
	if sslv2 > 0 {
		// A record carries one SSLv2 message; an SSLv2 record without a type
		// is one tshark could not read (or not SSLv2 at all).
		n := min(sslv2, len(hsTypes))
		for _, h := range hsTypes[:n] {
			if h == "1" {
				toks = append(toks, decode.HandshakeClientHello.String())
				continue
			}
			toks = append(toks, tokSSLv2Prefix+h)
			notes = append(notes, "SSLv2 message type "+h+" (not CLIENT-HELLO)")
		}
		if n < sslv2 {
			notes = append(notes, "SSLv2 record without a message type")
		}
		hsTypes = hsTypes[n:]
	}
	hsDone, ccsSeen := false, false
	for _, c := range content {
		switch c {
		case "22":
			if hsDone {
				continue
			}
			hsDone = true
			for _, h := range hsTypes {
				name, err := handshakeName(h)
				if err != nil {
					return nil, nil, err
				}
				toks = append(toks, name)
			}
		case "20":
			ccsSeen = true
			toks = append(toks, tokCCS)
		case "21":
			if len(descs) == 0 {
				continue // encrypted alert
			}
			d, err := strconv.ParseUint(descs[0], 10, 8)
			if err != nil {
				return nil, nil, fmt.Errorf("alert description %q: %v", descs[0], err)
			}
			descs = descs[1:]
			toks = append(toks, tokAlertPrefix+decode.AlertDescription(d).String())
		}
	}
	// Not expected with the MANIFEST's columns, but losing a type silently
	// would hide a disagreement.
	if !hsDone && len(hsTypes) > 0 {
		for _, h := range hsTypes {
			name, err := handshakeName(h)
			if err != nil {
				return nil, nil, err
			}
			toks = append(toks, name)
		}
		notes = append(notes, "handshake types without a handshake record")
	}
	if ccsFlag && !ccsSeen {
		toks = append(toks, tokCCS)
		notes = append(notes, "change_cipher_spec without a content type 20 record")
	}
	return toks, notes, nil
}

func handshakeName(s string) (string, error) {
	n, err := strconv.ParseUint(s, 10, 8)
	if err != nil {
		return "", fmt.Errorf("handshake type %q: %v", s, err)
	}
	return decode.HandshakeType(n).String(), nil
}

// ourTokens reduces a result to per-endpoint token sequences in the same
// vocabulary: plaintext handshake messages, ChangeCipherSpecs and plaintext
// alerts. tshark shows a HelloRetryRequest as the ServerHello it is on the
// wire, or, from a TLS 1.3 draft up to 21, as its own message type 6.
func ourTokens(r *flows.Result) map[netip.AddrPort][]string {
	ep := map[flows.Role]netip.AddrPort{flows.Client: unmapped(r.Client), flows.Server: unmapped(r.Server)}
	// Plaintext alerts in order per side: Messages says where each alert
	// was, Alerts what it said. Alerts may also hold encrypted alerts that
	// flows inferred without a record, so only plaintext ones are paired.
	plainAlerts := map[flows.Role][]flows.Alert{}
	for _, a := range r.Alerts {
		if !a.Encrypted {
			plainAlerts[a.From] = append(plainAlerts[a.From], a)
		}
	}
	out := map[netip.AddrPort][]string{ep[flows.Client]: nil, ep[flows.Server]: nil}
	for _, m := range r.Messages {
		if m.Encrypted {
			continue
		}
		var tok string
		switch m.Type {
		case flows.TypeEncrypted, flows.TypeApplicationData, flows.TypeHeartbeat:
			continue
		case flows.TypeAlert:
			q := plainAlerts[m.From]
			if len(q) == 0 {
				tok = tokAlertPrefix + "?" // would show up as a disagreement
				break
			}
			tok = tokAlertPrefix + q[0].Description.String()
			plainAlerts[m.From] = q[1:]
		case flows.TypeHelloRetry:
			tok = decode.HandshakeServerHello.String()
			if hrr := r.HelloRetryRequest; hrr != nil && hrr.Draft {
				tok = decode.HandshakeHelloRetryRequest.String()
			}
		default:
			tok = m.Type
		}
		out[ep[m.From]] = append(out[ep[m.From]], tok)
	}
	return out
}

func unmapped(a netip.AddrPort) netip.AddrPort {
	return netip.AddrPortFrom(a.Addr().Unmap(), a.Port())
}

// pairKey is a connection's two endpoints, in a fixed order.
type pairKey struct{ a, b netip.AddrPort }

func newPairKey(x, y netip.AddrPort) pairKey {
	if y.Compare(x) < 0 {
		x, y = y, x
	}
	return pairKey{x, y}
}

// matchStreams pairs tshark streams with results by their endpoints. A port
// reused by several connections gives several streams and results with the
// same endpoints; both are in order of the connection's start, so they are
// paired in order. Streams where only one side sent TLS are matched by that
// endpoint alone, after the others. match[i] is the index of stream i's
// result, or -1.
func matchStreams(streams []*tsharkStream, results []flows.Result) []int {
	match := make([]int, len(streams))
	used := make([]bool, len(results))
	order := make([]int, len(results))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(i, j int) bool { return results[order[i]].Seq < results[order[j]].Seq })
	byPair := map[pairKey][]int{}
	for _, i := range order {
		k := newPairKey(unmapped(results[i].Client), unmapped(results[i].Server))
		byPair[k] = append(byPair[k], i)
	}
	for si, st := range streams {
		match[si] = -1
		if len(st.senders) != 2 {
			continue
		}
		k := newPairKey(st.senders[0], st.senders[1])
		if q := byPair[k]; len(q) > 0 {
			match[si], used[q[0]] = q[0], true
			byPair[k] = q[1:]
		}
	}
	for si, st := range streams {
		if len(st.senders) != 1 {
			continue
		}
		for _, i := range order {
			r := &results[i]
			if !used[i] && (unmapped(r.Client) == st.senders[0] || unmapped(r.Server) == st.senders[0]) {
				match[si], used[i] = i, true
				break
			}
		}
	}
	return match
}

// disagreement is one stream direction (or a whole stream, dir "*") where
// hsdecode and tshark differ.
type disagreement struct {
	stream int
	dir    string // sending endpoint, or "*"
	detail string
}

// streamVerdict compares one tshark stream with its result (nil: none).
func streamVerdict(st *tsharkStream, r *flows.Result) []disagreement {
	if r == nil {
		if st.empty() {
			// tshark saw only encrypted records (the capture began after the
			// handshake): nothing to compare, nothing for us to report.
			return nil
		}
		return []disagreement{{st.id, "*", "hsdecode did not report the connection; tshark: " + fmtTokens(st.tokens)}}
	}
	ours := ourTokens(r)
	violated := map[flows.Role]bool{}
	for _, v := range r.Violations {
		violated[v.From] = true
	}
	var out []disagreement
	for _, side := range []struct {
		role flows.Role
		ep   netip.AddrPort
	}{{flows.Client, unmapped(r.Client)}, {flows.Server, unmapped(r.Server)}} {
		theirs, our := st.tokens[side.ep], ours[side.ep]
		ok := slices.Equal(theirs, our)
		how := "must equal"
		if violated[side.role] {
			// flows stops reading a direction at bytes that do not parse,
			// and both once the peer answers a violation or a bound of
			// messages is listed, by design: what came before must still
			// agree.
			ok = len(our) <= len(theirs) && slices.Equal(theirs[:len(our)], our)
			how = "violation: must be a prefix of tshark's"
		}
		if !ok {
			out = append(out, disagreement{st.id, side.ep.String(), fmt.Sprintf(
				"%s %s (%s, outcome %s)\n\ttshark:   %s\n\thsdecode: %s",
				side.role, side.ep, how, r.Outcome, fmtSeq(theirs), fmtSeq(our))})
		}
	}
	// A sender tshark saw that is neither end of the result would mean the
	// match is wrong.
	for _, s := range st.senders {
		if s != unmapped(r.Client) && s != unmapped(r.Server) && len(st.tokens[s]) > 0 {
			out = append(out, disagreement{st.id, s.String(), "tshark sender " + s.String() +
				" is not an endpoint of the matched result " + r.Client.String() + " -> " + r.Server.String()})
		}
	}
	return out
}

func fmtSeq(t []string) string { return "[" + strings.Join(t, " ") + "]" }

func fmtTokens(m map[netip.AddrPort][]string) string {
	keys := make([]netip.AddrPort, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, netip.AddrPort.Compare)
	var b strings.Builder
	for i, k := range keys {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(k.String() + " " + fmtSeq(m[k]))
	}
	return b.String()
}

// knownDiff is one entry of the known-differences file.
type knownDiff struct {
	capture string // relative to the corpus, with slashes
	stream  int
	dir     string // sending endpoint as netip.AddrPort.String(), or "*"
	reason  string
	line    int
}

func (k knownDiff) covers(capture string, d disagreement) bool {
	return k.capture == capture && k.stream == d.stream && (k.dir == "*" || k.dir == d.dir)
}

// parseKnownDiffs reads the Markdown table of the known-differences file:
// rows "| capture | stream | direction | reason |", the capture in backticks
// or not. The header and separator rows and all text outside the table are
// ignored; a row with a bad stream, direction or an empty reason is an
// error, so a typo cannot hide a disagreement.
func parseKnownDiffs(r io.Reader) ([]knownDiff, error) {
	sc := bufio.NewScanner(r)
	var out []knownDiff
	line := 0
	for sc.Scan() {
		line++
		s := strings.TrimSpace(sc.Text())
		if !strings.HasPrefix(s, "|") {
			continue
		}
		raw := strings.Split(strings.Trim(s, "|"), "|")
		cells := make([]string, len(raw))
		for i := range raw {
			cells[i] = strings.Trim(strings.TrimSpace(raw[i]), "`")
		}
		if len(cells) < 4 {
			return nil, fmt.Errorf("line %d: want 4 cells (capture, stream, direction, reason), got %d", line, len(cells))
		}
		if strings.EqualFold(cells[0], "capture") || strings.Trim(cells[0], "-: ") == "" {
			continue // header or separator
		}
		n, err := strconv.Atoi(cells[1])
		if err != nil {
			return nil, fmt.Errorf("line %d: stream %q: %v", line, cells[1], err)
		}
		dir := cells[2]
		if dir != "*" {
			ap, err := netip.ParseAddrPort(dir)
			if err != nil {
				return nil, fmt.Errorf("line %d: direction %q: want ip:port, [ipv6]:port or *", line, dir)
			}
			dir = unmapped(ap).String()
		}
		// A reason may itself contain a bar.
		reason := strings.TrimSpace(strings.Join(raw[3:], "|"))
		if reason == "" {
			return nil, fmt.Errorf("line %d: no reason given", line)
		}
		out = append(out, knownDiff{capture: cells[0], stream: n, dir: dir, reason: reason, line: line})
	}
	return out, sc.Err()
}

// findTsharkRefs lists the captures with a tshark reference, relative to
// root, sorted.
func findTsharkRefs(root string) ([]string, error) {
	var caps []string
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() || !strings.HasSuffix(p, tsharkSuffix) {
			return nil
		}
		capPath := strings.TrimSuffix(p, tsharkSuffix)
		if _, err := os.Stat(capPath); err != nil {
			return nil // a reference without its capture: nothing to run
		}
		rel, err := filepath.Rel(root, capPath)
		if err != nil {
			return err
		}
		caps = append(caps, filepath.ToSlash(rel))
		return nil
	})
	sort.Strings(caps)
	return caps, err
}

// captureVerdict is the comparison of one capture.
type captureVerdict struct {
	streams, agree int
	diffs          []disagreement
	notes          []string
}

// analyzeSafely is analyze with a panic returned as an error, so that one
// capture that crashes the decoder does not hide the verdicts on all the
// others. The options are the command line's defaults, so the test sees
// what a user sees.
func analyzeSafely(path string) (an *analysis, err error) {
	return analyzeSafelyWith(path, reassembly.Options{MaxBufferedBytes: 512 << 20})
}

func analyzeSafelyWith(path string, ro reassembly.Options) (an *analysis, err error) {
	defer func() {
		if p := recover(); p != nil {
			an, err = nil, fmt.Errorf("hsdecode panicked: %v\n%s", p, debug.Stack())
		}
	}()
	return analyze(path, flows.Options{}, ro)
}

// compareCapture runs hsdecode on a capture and compares it with tshark's
// streams. When hsdecode fails, the verdict still counts tshark's streams
// (none agreeing) along with the error.
func compareCapture(path string) (*captureVerdict, error) {
	f, err := os.Open(path + tsharkSuffix)
	if err != nil {
		return nil, err
	}
	streams, err := parseTsharkTSV(f)
	f.Close()
	if err != nil {
		return nil, fmt.Errorf("%s: %v", path+tsharkSuffix, err)
	}
	return compareStreams(path, streams)
}

// compareStreams runs hsdecode on a capture and compares it with tshark's
// streams of it.
func compareStreams(path string, streams []*tsharkStream) (*captureVerdict, error) {
	v := &captureVerdict{streams: len(streams)}
	an, err := analyzeSafely(path)
	if err != nil {
		return v, err
	}
	if an.readErr != nil {
		v.notes = append(v.notes, "capture read error (results up to it compared): "+an.readErr.Error())
	}
	match := matchStreams(streams, an.results)
	matched := make([]bool, len(an.results))
	var gapOrPartial, nothing []string
	for si, st := range streams {
		var r *flows.Result
		if i := match[si]; i >= 0 {
			r, matched[i] = &an.results[i], true
			if r.Outcome == flows.OutcomeGap || r.Outcome == flows.OutcomePartial {
				gapOrPartial = append(gapOrPartial, fmt.Sprintf("%d:%s", st.id, r.Outcome))
			}
		} else if st.empty() {
			nothing = append(nothing, strconv.Itoa(st.id))
		}
		d := streamVerdict(st, r)
		if len(d) == 0 {
			v.agree++
		}
		v.diffs = append(v.diffs, d...)
		for _, n := range st.notes {
			v.notes = append(v.notes, fmt.Sprintf("stream %d: tshark %s", st.id, n))
		}
	}
	if len(gapOrPartial) > 0 {
		v.notes = append(v.notes, "gap/partial outcome in streams "+strings.Join(gapOrPartial, ", "))
	}
	if len(nothing) > 0 {
		v.notes = append(v.notes, "only encrypted records in tshark and no hsdecode result (counted as agreeing) in streams "+strings.Join(nothing, ", "))
	}
	// Connections tshark did not take for TLS (it misses TLS after IRC
	// STARTTLS or RDP negotiation, for instance) are no failure, but listed
	// so that a reader can judge them.
	for i := range an.results {
		if r := &an.results[i]; !matched[i] {
			v.notes = append(v.notes, fmt.Sprintf("hsdecode only (not in tshark's reference): %s -> %s %s %s",
				r.Client, r.Server, r.Outcome, fmtTokens(ourTokens(r))))
		}
	}
	return v, nil
}

func TestTsharkAgreement(t *testing.T) {
	needCorpus(t, tsharkCorpusDir)
	caps, err := findTsharkRefs(tsharkCorpusDir)
	if err != nil {
		t.Fatal(err)
	}
	if len(caps) == 0 {
		t.Skipf("no *%s files under %s", tsharkSuffix, tsharkCorpusDir)
	}
	kf, err := os.Open(tsharkKnownDiffs)
	if err != nil {
		t.Fatal(err)
	}
	known, err := parseKnownDiffs(kf)
	kf.Close()
	if err != nil {
		t.Fatalf("%s: %v", tsharkKnownDiffs, err)
	}
	usedKnown := make([]bool, len(known))
	// visited: the subtest ran (-run may select a few); compared: hsdecode
	// gave results to compare. Stale entries are judged on compared
	// captures only, so a crash does not also call their entries stale.
	visited, compared := map[string]bool{}, map[string]bool{}
	total, agree, nCaps, nKnown := 0, 0, 0, 0

	for _, c := range caps {
		t.Run(c, func(t *testing.T) {
			visited[c] = true
			v, err := compareCapture(filepath.Join(tsharkCorpusDir, filepath.FromSlash(c)))
			nCaps++
			if v != nil {
				total += v.streams
			}
			if err != nil {
				t.Fatalf("%s: %v", c, err)
			}
			compared[c] = true
			agree += v.agree
			t.Logf("%s: %d/%d streams agree", c, v.agree, v.streams)
			for _, n := range v.notes {
				t.Logf("  note: %s", n)
			}
			for _, d := range v.diffs {
				listed := -1
				for i, k := range known {
					if k.covers(c, d) {
						listed, usedKnown[i] = i, true
					}
				}
				if listed >= 0 {
					nKnown++
					t.Logf("  stream %d %s: known difference (%s): %s", d.stream, d.dir, known[listed].reason, d.detail)
					continue
				}
				t.Errorf("%s stream %d %s: disagrees with tshark: %s", c, d.stream, d.dir, d.detail)
			}
		})
	}
	for i, k := range known {
		if compared[k.capture] && !usedKnown[i] {
			t.Errorf("%s:%d: stale known difference %s stream %d %s: it no longer disagrees; remove the entry",
				tsharkKnownDiffs, k.line, k.capture, k.stream, k.dir)
		}
	}
	if len(visited) == len(caps) {
		all := map[string]bool{}
		for _, c := range caps {
			all[c] = true
		}
		for _, k := range known {
			if !all[k.capture] {
				t.Errorf("%s:%d: known difference for %s, which has no capture with a tshark reference", tsharkKnownDiffs, k.line, k.capture)
			}
		}
	}
	t.Logf("%d/%d streams agree across %d captures (%d disagreements listed as known differences)", agree, total, nCaps, nKnown)
}

func TestParseTsharkTSV(t *testing.T) {
	const tsv = "frame.number\ttcp.stream\tip.src\ttcp.srcport\ttls.record.version\ttls.handshake.type\ttls.alert_message.desc\ttls.change_cipher_spec\tipv6.src\ttls.record.content_type\ttls.record.opaque_type\n" +
		// ClientHello; a reassembly-only segment; an ICMP error quoting a
		// segment of the stream (two ip.src, no record).
		"1\t0\t10.0.0.1\t5000\t0x0301\t1\t\t\t\t22\t\n" +
		"2\t0\t10.0.0.2\t443\t\t\t\t\t\t\t\n" +
		"3\t0\t192.0.2.9,10.0.0.1\t5000\t\t\t\t\t\t\t\n" +
		// Server flight in one frame, then ClientKeyExchange, CCS and the
		// encrypted Finished (a handshake record with no type left).
		"4\t0\t10.0.0.2\t443\t0x0303,0x0303,0x0303,0x0303\t2,11,12,14\t\t\t\t22,22,22,22\t\n" +
		"5\t0\t10.0.0.1\t5000\t0x0303,0x0303,0x0303\t16\t\t1\t\t22,20,22\t\n" +
		// NewSessionTicket, CCS, Finished; application data; a plaintext
		// alert; an encrypted alert.
		"6\t0\t10.0.0.2\t443\t0x0303,0x0303,0x0303\t4\t\t1\t\t22,20,22\t\n" +
		"7\t0\t10.0.0.1\t5000\t0x0303\t\t\t\t\t23\t\n" +
		"8\t0\t10.0.0.2\t443\t0x0303\t\t40\t\t\t21\t\n" +
		"9\t0\t10.0.0.1\t5000\t0x0303\t\t\t\t\t21\t\n" +
		// TLS 1.3 over IPv6: ServerHello, CCS and protected records.
		"10\t1\t\t443\t0x0303,0x0303,0x0303,0x0303\t2\t\t1\t2001:db8::2\t22,20\t23,23\n" +
		"11\t1\t\t6000\t0x0303,0x0303\t\t\t1\t2001:db8::1\t20\t23\n" +
		// SSLv2 CLIENT-HELLO and another SSLv2 type.
		"12\t2\t10.0.0.3\t7000\t0x0002\t1\t\t\t\t\t\n" +
		"13\t2\t10.0.0.4\t443\t0x0002\t4\t\t\t\t\t\n"
	streams, err := parseTsharkTSV(strings.NewReader(tsv))
	if err != nil {
		t.Fatal(err)
	}
	ap := netip.MustParseAddrPort
	want := []struct {
		id      int
		senders []netip.AddrPort
		tokens  map[netip.AddrPort][]string
		notes   int
	}{
		{0, []netip.AddrPort{ap("10.0.0.1:5000"), ap("10.0.0.2:443")}, map[netip.AddrPort][]string{
			ap("10.0.0.1:5000"): {"client_hello", "client_key_exchange", "change_cipher_spec"},
			ap("10.0.0.2:443"): {"server_hello", "certificate", "server_key_exchange", "server_hello_done",
				"new_session_ticket", "change_cipher_spec", "alert:" + decode.AlertDescription(40).String()},
		}, 0},
		{1, []netip.AddrPort{ap("[2001:db8::2]:443"), ap("[2001:db8::1]:6000")}, map[netip.AddrPort][]string{
			ap("[2001:db8::2]:443"):  {"server_hello", "change_cipher_spec"},
			ap("[2001:db8::1]:6000"): {"change_cipher_spec"},
		}, 0},
		{2, []netip.AddrPort{ap("10.0.0.3:7000"), ap("10.0.0.4:443")}, map[netip.AddrPort][]string{
			ap("10.0.0.3:7000"): {"client_hello"},
			ap("10.0.0.4:443"):  {"sslv2:4"},
		}, 1},
	}
	if len(streams) != len(want) {
		t.Fatalf("got %d streams, want %d", len(streams), len(want))
	}
	for i, w := range want {
		s := streams[i]
		if s.id != w.id || !slices.Equal(s.senders, w.senders) || len(s.notes) != w.notes {
			t.Errorf("stream %d: id %d senders %v notes %q; want id %d senders %v, %d notes", i, s.id, s.senders, s.notes, w.id, w.senders, w.notes)
		}
		for ep, toks := range w.tokens {
			if !slices.Equal(s.tokens[ep], toks) {
				t.Errorf("stream %d %s: got %v, want %v", w.id, ep, s.tokens[ep], toks)
			}
		}
	}
}

func TestParseKnownDiffs(t *testing.T) {
	const md = "# Known differences\n\nSome text | with a bar.\n\n" +
		"| capture | stream | direction | reason |\n" +
		"|---|---|---|---|\n" +
		"| `zeek/a.pcap` | 3 | `10.0.0.1:443` | tshark gives up after a gap |\n" +
		"| ndpi/b.pcap | 0 | * | IRC STARTTLS | tshark misses it |\n" +
		"| `x.pcap` | 1 | [2001:db8::1]:443 | reason |\n"
	got, err := parseKnownDiffs(strings.NewReader(md))
	if err != nil {
		t.Fatal(err)
	}
	want := []knownDiff{
		{"zeek/a.pcap", 3, "10.0.0.1:443", "tshark gives up after a gap", 7},
		{"ndpi/b.pcap", 0, "*", "IRC STARTTLS | tshark misses it", 8},
		{"x.pcap", 1, "[2001:db8::1]:443", "reason", 9},
	}
	if !slices.Equal(got, want) {
		t.Errorf("got %+v\nwant %+v", got, want)
	}
	d := disagreement{stream: 0, dir: "10.0.0.9:1"}
	if !got[1].covers("ndpi/b.pcap", d) || got[0].covers("zeek/a.pcap", d) {
		t.Error("covers: wildcard direction or stream number not applied")
	}
	for _, bad := range []string{
		"| a.pcap | x | * | reason |\n",
		"| a.pcap | 1 | client | reason |\n",
		"| a.pcap | 1 | * |  |\n",
		"| a.pcap | 1 |\n",
	} {
		if _, err := parseKnownDiffs(strings.NewReader(bad)); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
}

func TestOurTokensAndMatch(t *testing.T) {
	ap := netip.MustParseAddrPort
	c, s := ap("10.0.0.1:5000"), ap("10.0.0.2:443")
	r := flows.Result{Seq: 1, Client: c, Server: s,
		Messages: []flows.Message{
			{From: flows.Client, Type: "client_hello"},
			{From: flows.Server, Type: flows.TypeHelloRetry},
			{From: flows.Server, Type: flows.TypeChangeCipherSpec},
			{From: flows.Client, Type: "client_hello"},
			{From: flows.Server, Type: "server_hello"},
			{From: flows.Server, Type: flows.TypeEncrypted, Encrypted: true},
			{From: flows.Client, Type: flows.TypeAlert, Encrypted: true},
			{From: flows.Server, Type: flows.TypeAlert},
			{From: flows.Client, Type: "finished", Encrypted: true},
		},
		Alerts: []flows.Alert{
			{From: flows.Client, Encrypted: true},
			{From: flows.Server, Level: 2, Description: 40},
			{From: flows.Server, Encrypted: true}, // inferred, no record
		},
	}
	got := ourTokens(&r)
	if w := []string{"client_hello", "client_hello"}; !slices.Equal(got[c], w) {
		t.Errorf("client: got %v, want %v", got[c], w)
	}
	if w := []string{"server_hello", "change_cipher_spec", "server_hello", "alert:" + decode.AlertDescription(40).String()}; !slices.Equal(got[s], w) {
		t.Errorf("server: got %v, want %v", got[s], w)
	}

	// Port reuse: two connections with the same endpoints pair in order; a
	// stream where only the client sent TLS matches by that endpoint.
	results := []flows.Result{
		{Seq: 3, Client: ap("10.0.0.5:6000"), Server: s},
		{Seq: 2, Client: c, Server: s},
		{Seq: 1, Client: c, Server: s},
	}
	streams := []*tsharkStream{
		{id: 0, senders: []netip.AddrPort{c, s}},
		{id: 1, senders: []netip.AddrPort{s, c}},
		{id: 2, senders: []netip.AddrPort{ap("10.0.0.5:6000")}},
		{id: 3, senders: []netip.AddrPort{ap("10.0.0.6:6000")}},
	}
	if got, want := matchStreams(streams, results), []int{2, 1, 0, -1}; !slices.Equal(got, want) {
		t.Errorf("matchStreams: got %v, want %v", got, want)
	}
}
