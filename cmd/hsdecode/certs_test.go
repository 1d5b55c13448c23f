package main

// The corpus certificate test: every certificate that Zeek's x509.log
// baselines in ../shared/corpus list for a trace must be in hsdecode's
// report of that trace, found by its SHA-256 fingerprint, with the same
// serial, subject, issuer, validity, key type and size, DNS names and CA
// flag. The baselines name their traces in the corpus MANIFEST.md. The
// same for the certificates suricata-verify's checks describe (subject,
// issuer, serial, SHA-1 fingerprint, validity), in Suricata's notation.

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hsdecode/hsdecode/decode"
	"github.com/hsdecode/hsdecode/reassembly"
)

// zeekCert is one x509.log row, by column name.
type zeekCert map[string]string

// readZeekX509 reads a Zeek x509.log (TSV with #fields header).
func readZeekX509(path string) ([]zeekCert, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var fields []string
	var out []zeekCert
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "#fields\t") {
			fields = strings.Split(line, "\t")[1:]
			continue
		}
		if strings.HasPrefix(line, "#") || line == "" {
			continue
		}
		cols := strings.Split(line, "\t")
		if len(cols) != len(fields) {
			return nil, fmt.Errorf("%s: %d columns, header has %d", path, len(cols), len(fields))
		}
		c := zeekCert{}
		for i, name := range fields {
			c[name] = cols[i]
		}
		out = append(out, c)
	}
	return out, sc.Err()
}

// zeekBaselineTraces maps each x509.log baseline of the corpus to the
// traces its test read, from MANIFEST.md ("traces used: a.pcap, b.pcap").
func zeekBaselineTraces(corpus string) (map[string][]string, error) {
	b, err := os.ReadFile(filepath.Join(corpus, "MANIFEST.md"))
	if err != nil {
		return nil, err
	}
	re := regexp.MustCompile("`(zeek/testing/btest/Baseline/[^`]*/x509\\.log)`[^\\n]*traces used: ([^|]*)\\|")
	out := map[string][]string{}
	for _, m := range re.FindAllStringSubmatch(string(b), -1) {
		for _, tr := range strings.Split(m[2], ",") {
			out[m[1]] = append(out[m[1]], "zeek/testing/btest/Traces/"+strings.TrimSpace(tr))
		}
	}
	return out, nil
}

// zeekTime parses Zeek's epoch seconds.
func zeekTime(s string) (time.Time, error) {
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return time.Time{}, err
	}
	return time.Unix(int64(f), 0).UTC(), nil
}

// zeekList is a Zeek set or vector: "-" unset, "(empty)" empty.
func zeekList(s string) []string {
	if s == "-" || s == "(empty)" {
		return nil
	}
	return strings.Split(s, ",")
}

// compareZeekCert lists the differences between a Zeek row and a CertInfo.
func compareZeekCert(z zeekCert, c *decode.CertInfo) []string {
	var diffs []string
	check := func(field, want, got string) {
		if want != got {
			diffs = append(diffs, fmt.Sprintf("%s: Zeek %q, hsdecode %q", field, want, got))
		}
	}
	check("serial", z["certificate.serial"], c.SerialNumber)
	check("subject", z["certificate.subject"], c.Subject)
	check("issuer", z["certificate.issuer"], c.Issuer)
	for _, f := range []struct {
		name string
		got  time.Time
	}{{"certificate.not_valid_before", c.NotBefore}, {"certificate.not_valid_after", c.NotAfter}} {
		want, err := zeekTime(z[f.name])
		if err != nil || !want.Equal(f.got) {
			diffs = append(diffs, fmt.Sprintf("%s: Zeek %s, hsdecode %s", f.name, z[f.name], f.got))
		}
	}
	if kt := z["certificate.key_type"]; kt != "-" {
		if !strings.EqualFold(kt, c.PublicKeyAlgorithm) {
			diffs = append(diffs, fmt.Sprintf("key_type: Zeek %q, hsdecode %q", kt, c.PublicKeyAlgorithm))
		}
		check("key_length", z["certificate.key_length"], strconv.Itoa(c.PublicKeyBits))
	}
	dns := append([]string(nil), zeekList(z["san.dns"])...)
	got := append([]string(nil), c.DNSNames...)
	sort.Strings(dns)
	sort.Strings(got)
	check("san.dns", strings.Join(dns, ","), strings.Join(got, ","))
	switch z["basic_constraints.ca"] {
	case "T":
		check("basic_constraints.ca", "true", strconv.FormatBool(c.IsCA))
	case "F":
		check("basic_constraints.ca", "false", strconv.FormatBool(c.IsCA))
	}
	return diffs
}

func TestCorpusCertificates(t *testing.T) {
	needCorpus(t, tsharkCorpusDir)
	baselines, err := zeekBaselineTraces(tsharkCorpusDir)
	if err != nil {
		t.Fatal(err)
	}
	if len(baselines) == 0 {
		t.Fatal("MANIFEST.md names no x509.log baseline")
	}
	names := make([]string, 0, len(baselines))
	for b := range baselines {
		names = append(names, b)
	}
	sort.Strings(names)
	compared, fields := 0, 0
	for _, b := range names {
		t.Run(b, func(t *testing.T) {
			rows, err := readZeekX509(filepath.Join(tsharkCorpusDir, b))
			if err != nil {
				t.Fatal(err)
			}
			ours := map[string]*decode.CertInfo{}
			for _, tr := range baselines[b] {
				an, err := analyzeSafely(filepath.Join(tsharkCorpusDir, tr))
				if err != nil {
					t.Fatalf("%s: %v", tr, err)
				}
				for i := range an.results {
					r := &an.results[i]
					if r.ServerCertificates != nil {
						for k := range r.ServerCertificates.Certificates {
							ours[r.ServerCertificates.Certificates[k].SHA256] = &r.ServerCertificates.Certificates[k]
						}
					}
					if r.ClientCertificates != nil {
						for k := range r.ClientCertificates.Certificates {
							ours[r.ClientCertificates.Certificates[k].SHA256] = &r.ClientCertificates.Certificates[k]
						}
					}
				}
			}
			for _, z := range rows {
				c, ok := ours[z["fingerprint"]]
				if !ok {
					t.Errorf("%s: certificate %s (%s) not in hsdecode's report of %v", b, z["fingerprint"], z["certificate.subject"], baselines[b])
					continue
				}
				compared++
				fields += 8
				for _, d := range compareZeekCert(z, c) {
					t.Errorf("%s: certificate %s: %s", b, z["fingerprint"], d)
				}
				t.Logf("ok   %s %s serial %s, %s", b, z["fingerprint"][:16], c.SerialNumber, c.Subject)
			}
		})
	}
	t.Logf("%d certificates of %d Zeek baselines compared, %d fields each", compared, len(names), fields/max(compared, 1))
}

// suricataCertChecks reads the certificate fields of a suricata-verify
// test.yaml's tls checks: tls.subject, tls.issuerdn, tls.serial,
// tls.fingerprint (SHA-1), tls.notbefore, tls.notafter, with YAML's folded
// continuation lines joined. It returns the capture and one map per check.
func suricataCertChecks(corpus, rel string) (string, []map[string]string, error) {
	b, err := os.ReadFile(filepath.Join(corpus, rel))
	if err != nil {
		return "", nil, err
	}
	dir := filepath.Dir(rel)
	capture := ""
	var checks []map[string]string
	var cur map[string]string
	var lastKey string
	lastIndent := 0
	for _, line := range strings.Split(string(b), "\n") {
		trim := strings.TrimSpace(line)
		indent := len(line) - len(strings.TrimLeft(line, " "))
		if strings.HasPrefix(line, "pcap:") {
			capture = filepath.ToSlash(filepath.Join(dir, strings.TrimSpace(strings.TrimPrefix(line, "pcap:"))))
			continue
		}
		if strings.HasPrefix(trim, "- ") {
			cur, lastKey = nil, ""
			if strings.HasPrefix(trim, "- filter:") {
				cur = map[string]string{}
				checks = append(checks, cur)
			}
			continue
		}
		if cur == nil || trim == "" {
			continue
		}
		if k, v, ok := strings.Cut(trim, ": "); ok && !strings.Contains(k, " ") {
			lastKey, lastIndent = k, indent
			cur[k] = strings.Trim(strings.TrimSpace(v), "'\"")
			continue
		}
		if lastKey != "" && indent > lastIndent {
			cur[lastKey] = strings.Trim(cur[lastKey]+" "+trim, "'\"")
		}
	}
	if capture == "" {
		m, _ := filepath.Glob(filepath.Join(corpus, dir, "*.pcap"))
		if len(m) != 1 {
			return "", nil, nil
		}
		capture, _ = filepath.Rel(corpus, m[0])
	}
	var out []map[string]string
	for _, c := range checks {
		if c["event_type"] == "tls" && (c["tls.subject"] != "" || c["tls.fingerprint"] != "") {
			out = append(out, c)
		}
	}
	return capture, out, nil
}

// suricataName writes an RFC 4514 name as Suricata does: the first RDN
// first, ", " between them.
func suricataName(rfc4514 string) string {
	var parts []string
	start := 0
	for i := 0; i < len(rfc4514); i++ {
		switch rfc4514[i] {
		case '\\':
			i++
		case ',':
			parts = append(parts, rfc4514[start:i])
			start = i + 1
		}
	}
	parts = append(parts, rfc4514[start:])
	for i, j := 0, len(parts)-1; i < j; i, j = i+1, j-1 {
		parts[i], parts[j] = parts[j], parts[i]
	}
	return strings.ReplaceAll(strings.Join(parts, ", "), "\\,", ",")
}

// suricataSerial writes a serial as Suricata does: the DER integer's bytes,
// a leading 00 kept when the high bit is set, colon-separated.
func suricataSerial(hexSerial string) string {
	if hexSerial != "" && hexSerial[0] >= '8' {
		hexSerial = "00" + hexSerial
	}
	var parts []string
	for i := 0; i+2 <= len(hexSerial); i += 2 {
		parts = append(parts, hexSerial[i:i+2])
	}
	return strings.Join(parts, ":")
}

func TestCorpusCertificatesSuricata(t *testing.T) {
	needCorpus(t, tsharkCorpusDir)
	yamls, _ := filepath.Glob(filepath.Join(tsharkCorpusDir, "suricata-verify", "tests", "*", "test.yaml"))
	more, _ := filepath.Glob(filepath.Join(tsharkCorpusDir, "suricata-verify", "tests", "*", "*", "test.yaml"))
	compared := 0
	for _, y := range append(yamls, more...) {
		rel, _ := filepath.Rel(tsharkCorpusDir, y)
		capture, checks, err := suricataCertChecks(tsharkCorpusDir, rel)
		if err != nil {
			t.Fatal(err)
		}
		if len(checks) == 0 {
			continue
		}
		// Suricata runs a test whose capture was edited without fixing
		// its checksums with -k none (no checksum checks): so does
		// hsdecode, which would drop those segments as their receiver.
		ro := reassembly.Options{MaxBufferedBytes: 512 << 20}
		if y, _ := os.ReadFile(y); strings.Contains(string(y), "- -k none") {
			ro.ChecksumMode = reassembly.ChecksumOff
		}
		an, err := analyzeSafelyWith(filepath.Join(tsharkCorpusDir, capture), ro)
		if err != nil {
			t.Fatalf("%s: %v", capture, err)
		}
		for _, c := range checks {
			// Suricata's tls event describes the server's first certificate.
			var found *decode.CertInfo
			for i := range an.results {
				r := &an.results[i]
				if r.ServerCertificates == nil || len(r.ServerCertificates.Certificates) == 0 {
					continue
				}
				ci := &r.ServerCertificates.Certificates[0]
				sha1 := strings.Join(regexp.MustCompile("..").FindAllString(ci.SHA1, -1), ":")
				if (c["tls.fingerprint"] != "" && sha1 == c["tls.fingerprint"]) ||
					(c["tls.fingerprint"] == "" && suricataName(ci.Subject) == c["tls.subject"]) {
					found = ci
				}
			}
			if found == nil {
				t.Errorf("%s: no server certificate %s %s in hsdecode's report of %s", rel, c["tls.fingerprint"], c["tls.subject"], capture)
				continue
			}
			compared++
			for _, f := range []struct{ key, got string }{
				{"tls.subject", suricataName(found.Subject)},
				{"tls.issuerdn", suricataName(found.Issuer)},
				{"tls.serial", suricataSerial(found.SerialNumber)},
				{"tls.notbefore", found.NotBefore.Format("2006-01-02T15:04:05")},
				{"tls.notafter", found.NotAfter.Format("2006-01-02T15:04:05")},
			} {
				if want, ok := c[f.key]; ok && want != f.got {
					t.Errorf("%s: %s: Suricata %q, hsdecode %q", rel, f.key, want, f.got)
				}
			}
			t.Logf("ok   %s %s serial %s", rel, found.Subject, found.SerialNumber)
		}
	}
	if compared == 0 {
		t.Fatal("no Suricata certificate check found")
	}
	t.Logf("%d certificates compared with suricata-verify's checks", compared)
}
