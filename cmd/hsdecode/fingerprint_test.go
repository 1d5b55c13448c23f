package main

// The corpus fingerprint test: every JA3, JA3S, JA4 and JA4_r value that
// another tool published for a capture of the shared corpus must be the one
// hsdecode computes for the same connection. The expected values are read
// from the other tools' own files where they lie in ../shared/corpus (the
// corpus MANIFEST.md says where each comes from); nothing is copied into
// this repository.
//
// Sources:
//   - ja4/python/test/testdata/*.json: FoxIO's python JA4 (JA4.1, JA4_r.1 per stream)
//   - ja4/rust/ja4/src/snapshots/*.snap: FoxIO's rust JA4 (ja4 per stream)
//   - arkime/tests/pcap/*.test: Arkime sessions (ja3, ja3string, ja3s, ja3sstring, ja4, ja4_r)
//   - suricata-verify/tests/**/test.yaml: Suricata eve checks (tls.ja3.*, tls.ja3s.*, tls.ja4)
//   - ndpi/tests/cfgs/default/result/*.out: nDPI flow lines (JA3C, JA3S, JA4)
//   - mercury/test/data/*.fp: mercury's ClientHello fingerprints, from which
//     the JA3 and JA4 values are derived (readMercury)
//
// JA4S and the rest of JA4+ are FoxIO-licensed and not computed, so their
// expected values are not read. QUIC hellos (JA4 starting with 'q') are
// listed as not compared: hsdecode decodes TLS over TCP only.

import (
	"bufio"
	"bytes"
	"crypto/md5"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io/fs"
	"net/netip"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/hsdecode/hsdecode/decode"
	"github.com/hsdecode/hsdecode/flows"
	"github.com/hsdecode/hsdecode/report"
)

// fingerprint kinds, named as in the JSON report.
const (
	fpJA3        = "ja3"
	fpJA3String  = "ja3_string"
	fpJA3S       = "ja3s"
	fpJA3SString = "ja3s_string"
	fpJA4        = "ja4"
	fpJA4R       = "ja4_r"
)

// fpConn names a connection by its endpoints; either may be invalid when
// the source does not say (Suricata's checks name no addresses).
type fpConn struct {
	client, server netip.AddrPort
}

// fpExpect is one published value: the connection it belongs to, or, when
// the source names no connection, how many connections of the capture
// must carry it.
type fpExpect struct {
	source  string // the file it was read from, relative to the corpus
	capture string // the capture, relative to the corpus
	conn    *fpConn
	count   int               // with conn == nil: connections that must match all of values
	values  map[string]string // kind -> value
}

// ourFingerprints returns the fingerprints object of r's JSON report, so
// that the test checks what a user reads.
func ourFingerprints(t *testing.T, r *flows.Result) map[string]string {
	var b bytes.Buffer
	if err := report.NewJSONWriter(&b).Write(r, nil); err != nil {
		t.Fatal(err)
	}
	var line struct {
		Fingerprints map[string]string `json:"fingerprints"`
	}
	if err := json.Unmarshal(b.Bytes(), &line); err != nil {
		t.Fatal(err)
	}
	if line.Fingerprints == nil {
		return map[string]string{}
	}
	return line.Fingerprints
}

func mustAddrPort(ip string, port int) (netip.AddrPort, error) {
	a, err := netip.ParseAddr(strings.TrimSpace(ip))
	if err != nil {
		return netip.AddrPort{}, err
	}
	return netip.AddrPortFrom(a.Unmap(), uint16(port)), nil
}

// sameConn reports whether r is the connection c names. The sources say
// which side is the client in different ways (nDPI prints the side of the
// first packet), so the endpoints are compared as a pair.
func sameConn(c *fpConn, r *flows.Result) bool {
	rc, rs := unmapAP(r.Client), unmapAP(r.Server)
	return (c.client == rc && c.server == rs) || (c.client == rs && c.server == rc)
}

func unmapAP(a netip.AddrPort) netip.AddrPort {
	return netip.AddrPortFrom(a.Addr().Unmap(), a.Port())
}

// readJA4Python reads FoxIO's python test output: a JSON list of streams
// with src, dst, srcport, dstport and JA4.n / JA4_r.n for the n-th
// ClientHello of the stream. hsdecode fingerprints a connection's first
// ClientHello, so .1 is compared and later ones are listed as skipped.
func readJA4Python(corpus, rel string) ([]fpExpect, []string, error) {
	b, err := os.ReadFile(filepath.Join(corpus, rel))
	if err != nil {
		return nil, nil, err
	}
	var streams []map[string]any
	if err := json.Unmarshal(b, &streams); err != nil {
		return nil, nil, err
	}
	capture := "ja4/pcap/" + strings.TrimSuffix(filepath.Base(rel), ".json")
	var out []fpExpect
	var skipped []string
	for _, s := range streams {
		str := func(k string) string { v, _ := s[k].(string); return v }
		sp, _ := strconv.Atoi(str("srcport"))
		dp, _ := strconv.Atoi(str("dstport"))
		c, err1 := mustAddrPort(str("src"), sp)
		sv, err2 := mustAddrPort(str("dst"), dp)
		if err1 != nil || err2 != nil {
			return nil, nil, fmt.Errorf("%s: stream %v: bad address", rel, s["stream"])
		}
		vals := map[string]string{}
		for k, v := range s {
			vs, _ := v.(string)
			switch {
			case k == "JA4.1":
				vals[fpJA4] = vs
			case k == "JA4_r.1":
				vals[fpJA4R] = vs
			case strings.HasPrefix(k, "JA4.") || strings.HasPrefix(k, "JA4_r."):
				skipped = append(skipped, fmt.Sprintf("%s stream %v %s=%s: not the connection's first ClientHello", rel, s["stream"], k, vs))
			}
		}
		if len(vals) == 0 {
			continue
		}
		out = append(out, fpExpect{source: rel, capture: capture, conn: &fpConn{c, sv}, values: vals})
	}
	return out, skipped, nil
}

// readJA4Rust reads an insta snapshot of FoxIO's rust JA4: a YAML list of
// streams whose top-level keys are indented by two spaces.
func readJA4Rust(corpus, rel string) ([]fpExpect, []string, error) {
	f, err := os.Open(filepath.Join(corpus, rel))
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	base := strings.TrimSuffix(filepath.Base(rel), ".snap")
	capture := "ja4/pcap/" + strings.TrimPrefix(base, "ja4__insta@")
	var out []fpExpect
	var skipped []string
	var cur map[string]string
	flush := func() error {
		if cur == nil || cur["ja4"] == "" {
			return nil
		}
		sp, _ := strconv.Atoi(cur["src_port"])
		dp, _ := strconv.Atoi(cur["dst_port"])
		c, err1 := mustAddrPort(cur["src"], sp)
		s, err2 := mustAddrPort(cur["dst"], dp)
		if err1 != nil || err2 != nil {
			return fmt.Errorf("%s: stream %s: bad address", rel, cur["stream"])
		}
		out = append(out, fpExpect{source: rel, capture: capture, conn: &fpConn{c, s}, values: map[string]string{fpJA4: cur["ja4"]}})
		return nil
	}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		var key, val string
		switch {
		case strings.HasPrefix(line, "- "):
			if err := flush(); err != nil {
				return nil, nil, err
			}
			cur = map[string]string{}
			key, val, _ = strings.Cut(line[2:], ":")
		case strings.HasPrefix(line, "  ") && !strings.HasPrefix(line, "   ") && cur != nil:
			key, val, _ = strings.Cut(line[2:], ":")
		default:
			continue
		}
		cur[strings.TrimSpace(key)] = strings.Trim(strings.TrimSpace(val), "'\"")
	}
	if err := sc.Err(); err != nil {
		return nil, nil, err
	}
	if err := flush(); err != nil {
		return nil, nil, err
	}
	return out, skipped, nil
}

// readArkime reads an Arkime .test file: sessions3[].body with source,
// destination and tls.{ja3,ja3string,ja3s,ja3sstring,ja4,ja4_r} lists.
func readArkime(corpus, rel string) ([]fpExpect, []string, error) {
	b, err := os.ReadFile(filepath.Join(corpus, rel))
	if err != nil {
		return nil, nil, err
	}
	var doc struct {
		Sessions []struct {
			Body struct {
				Source struct {
					IP   string
					Port int
				} `json:"source"`
				Destination struct {
					IP   string
					Port int
				} `json:"destination"`
				TLS map[string]json.RawMessage `json:"tls"`
			} `json:"body"`
		} `json:"sessions3"`
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		return nil, nil, err
	}
	capture := strings.TrimSuffix(rel, ".test") + ".pcap"
	keys := map[string]string{"ja3": fpJA3, "ja3string": fpJA3String, "ja3s": fpJA3S, "ja3sstring": fpJA3SString, "ja4": fpJA4, "ja4_r": fpJA4R}
	var out []fpExpect
	var skipped []string
	for _, s := range doc.Sessions {
		vals := map[string]string{}
		for ak, k := range keys {
			raw, ok := s.Body.TLS[ak]
			if !ok {
				continue
			}
			var list []string
			if err := json.Unmarshal(raw, &list); err != nil {
				return nil, nil, fmt.Errorf("%s: tls.%s: %v", rel, ak, err)
			}
			if len(list) != 1 {
				skipped = append(skipped, fmt.Sprintf("%s %s:%d tls.%s has %d values", rel, s.Body.Source.IP, s.Body.Source.Port, ak, len(list)))
				continue
			}
			vals[k] = list[0]
		}
		if len(vals) == 0 {
			continue
		}
		c, err1 := mustAddrPort(s.Body.Source.IP, s.Body.Source.Port)
		sv, err2 := mustAddrPort(s.Body.Destination.IP, s.Body.Destination.Port)
		if err1 != nil || err2 != nil {
			return nil, nil, fmt.Errorf("%s: bad session address", rel)
		}
		out = append(out, fpExpect{source: rel, capture: capture, conn: &fpConn{c, sv}, values: vals})
	}
	return out, skipped, nil
}

// readSuricata reads a suricata-verify test.yaml: the capture is its
// "pcap:" (relative to the test's directory) or the one capture in the
// directory, and each check "- filter:" with "count: N" and a "match:"
// of tls.ja3.hash, tls.ja3.string, tls.ja3s.hash, tls.ja3s.string or
// tls.ja4 says that N tls events carry those values. Filters that also
// need an alert (event_type alert) depend on rules that are not in the
// corpus and are left out.
func readSuricata(corpus, rel string) ([]fpExpect, []string, error) {
	f, err := os.Open(filepath.Join(corpus, rel))
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	dir := filepath.Dir(rel)
	keys := map[string]string{"tls.ja3.hash": fpJA3, "tls.ja3.string": fpJA3String, "tls.ja3s.hash": fpJA3S, "tls.ja3s.string": fpJA3SString, "tls.ja4": fpJA4}
	var capture string
	type filter struct {
		count int
		match map[string]string
	}
	var filters []*filter
	var cur *filter
	inMatch := false
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		trim := strings.TrimSpace(line)
		if strings.HasPrefix(line, "pcap:") {
			capture = filepath.ToSlash(filepath.Clean(filepath.Join(dir, strings.TrimSpace(strings.TrimPrefix(line, "pcap:")))))
			continue
		}
		switch {
		case strings.HasPrefix(trim, "- filter:"):
			cur = &filter{count: -1, match: map[string]string{}}
			filters = append(filters, cur)
			inMatch = false
		case strings.HasPrefix(trim, "- "):
			cur, inMatch = nil, false
		case cur != nil && strings.HasPrefix(trim, "count:"):
			cur.count, _ = strconv.Atoi(strings.TrimSpace(strings.TrimPrefix(trim, "count:")))
		case cur != nil && trim == "match:":
			inMatch = true
		case cur != nil && inMatch && strings.Contains(trim, ":"):
			k, v, _ := strings.Cut(trim, ":")
			cur.match[strings.TrimSpace(k)] = strings.Trim(strings.TrimSpace(v), "\"'")
		}
	}
	if err := sc.Err(); err != nil {
		return nil, nil, err
	}
	if capture == "" {
		m, _ := filepath.Glob(filepath.Join(corpus, dir, "*.pcap*"))
		var caps []string
		for _, p := range m {
			if !strings.HasSuffix(p, tsharkSuffix) {
				caps = append(caps, p)
			}
		}
		if len(caps) != 1 {
			return nil, nil, fmt.Errorf("%s: no pcap: line and %d captures beside it", rel, len(caps))
		}
		capture, _ = filepath.Rel(corpus, caps[0])
		capture = filepath.ToSlash(capture)
	}
	var out []fpExpect
	var skipped []string
	for _, fl := range filters {
		vals := map[string]string{}
		for k, v := range fl.match {
			if kind, ok := keys[k]; ok {
				vals[kind] = v
			}
		}
		if len(vals) == 0 {
			continue
		}
		if fl.match["event_type"] != "tls" {
			skipped = append(skipped, fmt.Sprintf("%s: a check on event_type %s (needs Suricata rules not in the corpus)", rel, fl.match["event_type"]))
			continue
		}
		if fl.count < 0 {
			fl.count = 1
		}
		out = append(out, fpExpect{source: rel, capture: capture, count: fl.count, values: vals})
	}
	return out, skipped, nil
}

// ndpiFlow matches an nDPI flow line: "TCP a:p <-> b:p [...]"; IPv6
// addresses are in brackets.
var (
	ndpiFlow  = regexp.MustCompile(`^\s*\d+\s+TCP\s+(\S+)\s+<?->\s+(\S+)\s`)
	ndpiField = regexp.MustCompile(`\[(JA3C|JA3S|JA4): ([^\]]+)\]`)
)

// readNDPI reads an nDPI result file (ndpiReader's output): one line per
// flow with [JA3C: ...], [JA3S: ...] and [JA4: ...].
func readNDPI(corpus, rel string) ([]fpExpect, []string, error) {
	f, err := os.Open(filepath.Join(corpus, rel))
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	capture := strings.Replace(strings.TrimSuffix(rel, ".out"), "/result/", "/pcap/", 1)
	keys := map[string]string{"JA3C": fpJA3, "JA3S": fpJA3S, "JA4": fpJA4}
	var out []fpExpect
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for sc.Scan() {
		m := ndpiFlow.FindStringSubmatch(sc.Text())
		if m == nil {
			continue
		}
		vals := map[string]string{}
		for _, fm := range ndpiField.FindAllStringSubmatch(sc.Text(), -1) {
			// nDPI appends its verdict on some values: "... (WEAK)".
			v, _, _ := strings.Cut(strings.TrimSpace(fm[2]), " ")
			vals[keys[fm[1]]] = v
		}
		if len(vals) == 0 {
			continue
		}
		a, err1 := netip.ParseAddrPort(m[1])
		b, err2 := netip.ParseAddrPort(m[2])
		if err1 != nil || err2 != nil {
			return nil, nil, fmt.Errorf("%s: flow %s <-> %s: bad address", rel, m[1], m[2])
		}
		out = append(out, fpExpect{source: rel, capture: capture, conn: &fpConn{unmapAP(a), unmapAP(b)}, values: vals})
	}
	return out, nil, sc.Err()
}

// deviation is a documented way in which one tool's published values
// depart from the public definition. A value that differs from hsdecode's
// passes only when the deviation, applied to the same connection's hello,
// gives exactly the published value; the test logs it as such.
type deviation struct {
	source string // the deviation applies to source files under this prefix
	kind   string // fingerprint kind
	why    string
	// variant computes the tool's value from the connection, "" when the
	// deviation does not change it.
	variant func(r *flows.Result) string
}

var deviations = []deviation{
	{
		source: "ndpi/", kind: fpJA4,
		why: "nDPI writes 'd' for every hello, with or without server_name (FoxIO's JA4.md: 'i' without SNI; Arkime gives " +
			"t10i290100 for the smtp-starttls.pcap connection nDPI calls t10d290100), and takes the first two characters " +
			"of the first ALPN value instead of its first and last ('ht' for http/1.1, where FoxIO's rust gives 'h1')",
		variant: func(r *flows.Result) string {
			if r.ClientHello == nil {
				return ""
			}
			ja4, _ := decode.JA4(r.ClientHello, 't')
			b := []byte(ja4)
			b[3] = 'd'
			if alpn := r.ClientHello.ALPN; len(alpn) > 0 && len(alpn[0]) >= 2 {
				b[8], b[9] = alpn[0][0], alpn[0][1]
			}
			return string(b)
		},
	},
	{
		source: "suricata-verify/", kind: fpJA4,
		why: "Suricata ends the extension string with '_' when the hello has no signature_algorithms; FoxIO's " +
			"JA4.md says \"If there are no signature algorithms in the hello packet, then the string ends without an " +
			"underscore and is hashed\", as Arkime does for the no-signature-algorithm hellos of openssl-tls1.pcap and " +
			"smtp-starttls.pcap",
		variant: func(r *flows.Result) string {
			if r.ClientHello == nil || len(r.ClientHello.SignatureAlgorithms) > 0 {
				return ""
			}
			ja4, ja4r := decode.JA4(r.ClientHello, 't')
			parts := strings.Split(ja4r, "_")
			if len(parts) != 3 || parts[2] == "" {
				return ""
			}
			sum := sha256.Sum256([]byte(parts[2] + "_"))
			return ja4[:len(ja4)-12] + hex.EncodeToString(sum[:])[:12]
		},
	},
}

// deviationOf returns the deviation that explains value for e's source,
// or nil.
func deviationOf(e *fpExpect, kind, value string, r *flows.Result) *deviation {
	for i := range deviations {
		d := &deviations[i]
		if strings.HasPrefix(e.source, d.source) && d.kind == kind && d.variant(r) == value {
			return d
		}
	}
	return nil
}

// notComparable lists connections, by capture and endpoint, whose
// published values hsdecode cannot give, with the reason; the test checks
// that each entry is still needed.
var notComparable = map[string]string{
	"ndpi/tests/cfgs/default/pcap/tls_invalid_reads.pcap 10.191.139.17:58552": "the connection is tunnelled in GTP-U, which reassembly does not decapsulate",
	"ndpi/tests/cfgs/default/pcap/tls_cipher_lens.pcap 192.168.11.11:51588": "the ClientHello has an empty compression_methods " +
		"(RFC 5246, 7.4.1.2: <1..2^8-1>), a test of nDPI's tolerance: hsdecode reports malformed_handshake and fingerprints no " +
		"hello that does not parse",
}

// readMercury reads mercury's expected ClientHello fingerprints, one per
// line in mercury's "tls" format: (version)(cipher suites)((extension)...)
// in hex, wire order, GREASE written as 0a0a, each extension its type and,
// for the extensions mercury keeps whole, its length and data. Mercury
// prints no JA3 or JA4, but its lines hold every field the two read, so
// the JA3 string and hash and the JA4 and JA4_r are derived from them here,
// independently of decode. The lines name no connection: each value must
// be carried by as many connections of the capture as lines give it.
func readMercury(corpus, rel string) ([]fpExpect, []string, error) {
	b, err := os.ReadFile(filepath.Join(corpus, rel))
	if err != nil {
		return nil, nil, err
	}
	capture := strings.TrimSuffix(rel, ".fp") + ".pcap"
	byValues := map[string]*fpExpect{}
	var order []string
	var skipped []string
	for i, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		vals, err := mercuryFingerprints(line)
		if err != nil {
			return nil, nil, fmt.Errorf("%s:%d: %v", rel, i+1, err)
		}
		if vals == nil {
			skipped = append(skipped, fmt.Sprintf("%s:%d: a hello with pre_shared_key, which mercury shows as a type "+
				"alone; the capture's four such hellos carry an empty pre_shared_key (tshark: \"No more room for vector\") "+
				"and are malformed_handshake", rel, i+1))
			continue
		}
		key := vals[fpJA3String] + " " + vals[fpJA4R]
		if e, ok := byValues[key]; ok {
			e.count++
			continue
		}
		byValues[key] = &fpExpect{source: rel, capture: capture, count: 1, values: vals}
		order = append(order, key)
	}
	var out []fpExpect
	for _, k := range order {
		out = append(out, *byValues[k])
	}
	return out, skipped, nil
}

// mercuryFingerprints derives JA3 and JA4 from one mercury "tls" line, or
// returns nil for a hello with pre_shared_key (see readMercury).
func mercuryFingerprints(line string) (map[string]string, error) {
	// The parenthesised hex fields, flattened.
	groups := strings.FieldsFunc(strings.TrimPrefix(line, "tls/"), func(r rune) bool { return r == '(' || r == ')' })
	if len(groups) < 2 {
		return nil, fmt.Errorf("not a mercury tls fingerprint: %q", line)
	}
	u16s := func(h string) []uint16 {
		var out []uint16
		for i := 0; i+4 <= len(h); i += 4 {
			v, _ := strconv.ParseUint(h[i:i+4], 16, 16)
			out = append(out, uint16(v))
		}
		return out
	}
	version := u16s(groups[0])[0]
	ciphers := u16s(groups[1])
	type ext struct {
		typ  uint16
		data string // after the type: the 2-byte length and the body, when kept
	}
	var exts []ext
	for _, g := range groups[2:] {
		t := u16s(g[:4])[0]
		exts = append(exts, ext{t, g[4:]})
		if t == uint16(decode.ExtPreSharedKey) {
			return nil, nil
		}
	}
	dec := func(vs []uint16) string {
		var parts []string
		for _, v := range vs {
			if !decode.IsGREASE(v) {
				parts = append(parts, strconv.Itoa(int(v)))
			}
		}
		return strings.Join(parts, "-")
	}
	var groupsList, sigs, versions []uint16
	var formats []string
	var alpn string
	sni := false
	var types []uint16
	for _, e := range exts {
		types = append(types, e.typ)
		switch e.typ {
		case 0:
			sni = true
		case 10: // length, list length, groups
			groupsList = u16s(e.data[8:])
		case 11: // length, list length (1 byte), formats
			for i := 6; i+2 <= len(e.data); i += 2 {
				v, _ := strconv.ParseUint(e.data[i:i+2], 16, 8)
				formats = append(formats, strconv.Itoa(int(v)))
			}
		case 13:
			sigs = u16s(e.data[8:])
		case 43: // length, list length (1 byte), versions
			versions = u16s(e.data[6:])
		case 16: // length, list length, first name's length (1 byte) and bytes
			if len(e.data) >= 10 {
				n, _ := strconv.ParseUint(e.data[8:10], 16, 8)
				if raw, err := hex.DecodeString(e.data[10 : 10+2*n]); err == nil {
					alpn = string(raw)
				}
			}
		}
	}
	ja3 := fmt.Sprintf("%d,%s,%s,%s,%s", version, dec(ciphers), dec(types), dec(groupsList), strings.Join(formats, "-"))
	sum := md5.Sum([]byte(ja3))

	// JA4, from FoxIO's JA4.md.
	maxV := version
	for _, v := range versions {
		if !decode.IsGREASE(v) && (maxV == version || v > maxV) {
			maxV = v
		}
	}
	ver := map[uint16]string{0x0304: "13", 0x0303: "12", 0x0302: "11", 0x0301: "10", 0x0300: "s3"}[maxV]
	if ver == "" {
		ver = "00"
	}
	hexs := func(vs []uint16, skip func(uint16) bool) []string {
		var out []string
		for _, v := range vs {
			if !decode.IsGREASE(v) && (skip == nil || !skip(v)) {
				out = append(out, fmt.Sprintf("%04x", v))
			}
		}
		return out
	}
	cs := hexs(ciphers, nil)
	allExt := hexs(types, nil)
	es := hexs(types, func(v uint16) bool { return v == 0 || v == 16 })
	sort.Strings(cs)
	sort.Strings(es)
	d := "i"
	if sni {
		d = "d"
	}
	a := "00"
	if alpn != "" {
		a = string([]byte{alpn[0], alpn[len(alpn)-1]})
	}
	prefix := fmt.Sprintf("t%s%s%02d%02d%s", ver, d, min(len(cs), 99), min(len(allExt), 99), a)
	extStr := strings.Join(es, ",")
	if sg := hexs(sigs, nil); len(sg) > 0 {
		extStr += "_" + strings.Join(sg, ",")
	}
	h12 := func(s string, empty bool) string {
		if empty {
			return "000000000000"
		}
		sum := sha256.Sum256([]byte(s))
		return hex.EncodeToString(sum[:])[:12]
	}
	ja4 := prefix + "_" + h12(strings.Join(cs, ","), len(cs) == 0) + "_" + h12(extStr, len(es) == 0)
	return map[string]string{
		fpJA3String: ja3, fpJA3: hex.EncodeToString(sum[:]),
		fpJA4: ja4, fpJA4R: prefix + "_" + strings.Join(cs, ",") + "_" + extStr,
	}, nil
}

// corpusFingerprints gathers every published value in the corpus.
func corpusFingerprints(corpus string) ([]fpExpect, []string, error) {
	var all []fpExpect
	var skipped []string
	err := filepath.WalkDir(corpus, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(corpus, path)
		rel = filepath.ToSlash(rel)
		var read func(string, string) ([]fpExpect, []string, error)
		switch {
		case strings.HasPrefix(rel, "ja4/python/test/testdata/") && strings.HasSuffix(rel, ".json"):
			read = readJA4Python
		case strings.HasPrefix(rel, "ja4/rust/") && strings.HasSuffix(rel, ".snap"):
			read = readJA4Rust
		case strings.HasPrefix(rel, "arkime/") && strings.HasSuffix(rel, ".test"):
			read = readArkime
		case strings.HasPrefix(rel, "suricata-verify/") && filepath.Base(rel) == "test.yaml":
			read = readSuricata
		case strings.HasPrefix(rel, "ndpi/") && strings.HasSuffix(rel, ".out"):
			read = readNDPI
		case strings.HasPrefix(rel, "mercury/") && strings.HasSuffix(rel, ".fp"):
			read = readMercury
		default:
			return nil
		}
		exp, sk, err := read(corpus, rel)
		if err != nil {
			return err
		}
		all = append(all, exp...)
		skipped = append(skipped, sk...)
		return nil
	})
	return all, skipped, err
}

func TestCorpusFingerprints(t *testing.T) {
	needCorpus(t, tsharkCorpusDir)
	exps, skipped, err := corpusFingerprints(tsharkCorpusDir)
	if err != nil {
		t.Fatal(err)
	}
	if len(exps) == 0 {
		t.Fatalf("no published fingerprints found under %s", tsharkCorpusDir)
	}
	byCapture := map[string][]fpExpect{}
	for _, e := range exps {
		byCapture[e.capture] = append(byCapture[e.capture], e)
	}
	captures := make([]string, 0, len(byCapture))
	for c := range byCapture {
		captures = append(captures, c)
	}
	sort.Strings(captures)
	values, matched, deviated, excused, sources := 0, 0, 0, 0, map[string]bool{}
	usedExcuse := map[string]bool{}
	excuse := func(c string, conn *fpConn) (why, key string) {
		for _, key := range []string{c + " " + conn.client.String(), c + " " + conn.server.String()} {
			if why := notComparable[key]; why != "" {
				return why, key
			}
		}
		return "", ""
	}
	for _, c := range captures {
		t.Run(c, func(t *testing.T) {
			an, err := analyzeSafely(filepath.Join(tsharkCorpusDir, filepath.FromSlash(c)))
			if err != nil {
				t.Fatalf("%s: %v", c, err)
			}
			ours := make([]map[string]string, len(an.results))
			for i := range an.results {
				ours[i] = ourFingerprints(t, &an.results[i])
			}
			for _, e := range byCapture[c] {
				sources[e.source] = true
				kinds := make([]string, 0, len(e.values))
				for k := range e.values {
					kinds = append(kinds, k)
				}
				sort.Strings(kinds)
				if e.conn == nil {
					n := 0
					for i := range ours {
						all := true
						for _, k := range kinds {
							all = all && ours[i][k] == e.values[k]
						}
						if all {
							n++
						}
					}
					if n != e.count {
						// Count the connections the tool's documented
						// deviation gives the value to.
						dn := 0
						for i := range an.results {
							all := true
							for _, k := range kinds {
								all = all && (ours[i][k] == e.values[k] || deviationOf(&e, k, e.values[k], &an.results[i]) != nil)
							}
							if all {
								dn++
							}
						}
						if dn == e.count {
							for _, k := range kinds {
								values++
								matched++
								deviated++
								why := "(equal)"
								for i := range an.results {
									if d := deviationOf(&e, k, e.values[k], &an.results[i]); d != nil {
										why = fmt.Sprintf("hsdecode's %s differs by a documented deviation: %s", ours[i][k], d.why)
									}
								}
								t.Logf("ok   %s %s=%s (%d connection(s), %s), %s", c, k, e.values[k], dn, e.source, why)
							}
							continue
						}
					}
					for _, k := range kinds {
						values++
						if n == e.count {
							matched++
							t.Logf("ok   %s %s=%s (%d connection(s), %s)", c, k, e.values[k], n, e.source)
						}
					}
					if n != e.count {
						t.Errorf("%s: %d connection(s) carry %v, %s says %d", c, n, e.values, e.source, e.count)
					}
					continue
				}
				var r map[string]string
				var res *flows.Result
				for i := range an.results {
					if sameConn(e.conn, &an.results[i]) {
						r, res = ours[i], &an.results[i]
						break
					}
				}
				if why, key := excuse(c, e.conn); why != "" {
					gone := true
					for _, k := range kinds {
						gone = gone && r[k] == ""
					}
					if gone {
						usedExcuse[key] = true
						for _, k := range kinds {
							excused++
							t.Logf("not comparable: %s %s=%s (%s): %s", key, k, e.values[k], e.source, why)
						}
						continue
					}
				}
				for _, k := range kinds {
					values++
					switch {
					case r == nil:
						t.Errorf("%s %s -> %s: no hsdecode result; %s says %s=%s", c, e.conn.client, e.conn.server, e.source, k, e.values[k])
					case r[k] == e.values[k]:
						matched++
						t.Logf("ok   %s %s -> %s %s=%s (%s)", c, e.conn.client, e.conn.server, k, e.values[k], e.source)
					default:
						if d := deviationOf(&e, k, e.values[k], res); d != nil {
							matched++
							deviated++
							t.Logf("ok   %s %s -> %s %s=%s (%s), hsdecode's %s differs by a documented deviation: %s",
								c, e.conn.client, e.conn.server, k, e.values[k], e.source, r[k], d.why)
							continue
						}
						t.Errorf("%s %s -> %s: %s=%s, %s says %s", c, e.conn.client, e.conn.server, k, r[k], e.source, e.values[k])
					}
				}
			}
		})
	}
	for _, s := range skipped {
		t.Logf("not compared: %s", s)
	}
	for k := range notComparable {
		if !usedExcuse[k] && !testing.Short() {
			t.Errorf("notComparable entry %q is no longer needed: remove it", k)
		}
	}
	t.Logf("%d/%d published values match (%d of them through a documented deviation of the publishing tool), "+
		"%d captures, %d source files; %d values of connections hsdecode cannot see and %d values not compared (QUIC, "+
		"later hellos, rule-based checks), listed above",
		matched, values, deviated, len(captures), len(sources), excused, len(skipped))
}
