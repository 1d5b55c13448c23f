package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// zeekX509Compared are the x509.log columns compared with Zeek's
// baselines: all but ts, which is when Zeek's file analysis saw the
// certificate.
var zeekX509Compared = []string{"certificate.version", "certificate.serial", "certificate.subject", "certificate.issuer",
	"certificate.not_valid_before", "certificate.not_valid_after", "certificate.key_alg", "certificate.sig_alg",
	"certificate.key_type", "certificate.key_length", "certificate.exponent", "certificate.curve",
	"san.dns", "san.uri", "san.email", "san.ip", "basic_constraints.ca", "basic_constraints.path_len", "host_cert", "client_cert"}

// TestZeekX509Agreement: --zeek-x509's log of the traces of the corpus's
// Zeek x509.log baselines has each of Zeek's rows (matched by
// fingerprint, host_cert and client_cert) with the same values in every
// column but ts, and its columns are Zeek's.
func TestZeekX509Agreement(t *testing.T) {
	needCorpus(t, tsharkCorpusDir)
	baselines, err := zeekBaselineTraces(tsharkCorpusDir)
	if err != nil {
		t.Fatal(err)
	}
	names := make([]string, 0, len(baselines))
	for b := range baselines {
		names = append(names, b)
	}
	sort.Strings(names)
	rows, fields := 0, 0
	for _, b := range names {
		want, err := readZeekX509(filepath.Join(tsharkCorpusDir, b))
		if err != nil {
			t.Fatal(err)
		}
		log := filepath.Join(t.TempDir(), "x509.log")
		args := []string{"--format", "zeek", "--zeek-x509", log}
		for _, tr := range baselines[b] {
			args = append(args, filepath.Join(tsharkCorpusDir, tr))
		}
		var out, errb bytes.Buffer
		if status := run(args, &out, &errb); status == exitError {
			t.Fatalf("%s: exit %d: %s", b, status, errb.String())
		}
		got, err := readZeekX509(log)
		if err != nil {
			t.Fatal(err)
		}
		ours := map[string]zeekCert{}
		for _, c := range got {
			ours[c["fingerprint"]+c["host_cert"]+c["client_cert"]] = c
		}
		for _, z := range want {
			c, ok := ours[z["fingerprint"]+z["host_cert"]+z["client_cert"]]
			if !ok {
				t.Errorf("%s: no row for %s (%s, host_cert %s, client_cert %s)", b, z["fingerprint"], z["certificate.subject"], z["host_cert"], z["client_cert"])
				continue
			}
			rows++
			for _, f := range zeekX509Compared {
				if _, inBaseline := z[f]; !inBaseline {
					continue
				}
				fields++
				if c[f] != z[f] {
					t.Errorf("%s: %s %s: Zeek %q, hsdecode %q", b, z["fingerprint"][:16], f, z[f], c[f])
				}
			}
		}
	}
	t.Logf("%d rows of %d Zeek x509.log baselines compared, %d fields", rows, len(names), fields)
	if rows < 20 {
		t.Errorf("only %d rows compared", rows)
	}
}

// TestZeekJSON: --format zeek-json writes the rows of --format zeek, one
// JSON object per line, under the same names, unset fields left out, ts a
// number; its --zeek-x509 log too.
func TestZeekJSON(t *testing.T) {
	dir := t.TempDir()
	var tsv, js, errb bytes.Buffer
	if status := run([]string{"--format", "zeek", "--zeek-x509", filepath.Join(dir, "x509.log"), pcapDir}, &tsv, &errb); status == exitError {
		t.Fatalf("exit %d: %s", status, errb.String())
	}
	if status := run([]string{"--format", "zeek-json", "--zeek-x509", filepath.Join(dir, "x509.json"), pcapDir}, &js, &errb); status == exitError {
		t.Fatalf("exit %d: %s", status, errb.String())
	}
	compare := func(name string, tsvLog []byte, jsonLog []byte) {
		l, err := parseZeekLog(tsvLog)
		if err != nil {
			t.Fatal(err)
		}
		lines := strings.Split(strings.TrimSpace(string(jsonLog)), "\n")
		if len(lines) != len(l.rows) || len(l.rows) == 0 {
			t.Fatalf("%s: %d JSON lines, %d rows", name, len(lines), len(l.rows))
		}
		for i, line := range lines {
			var obj map[string]any
			dec := json.NewDecoder(strings.NewReader(line))
			dec.UseNumber()
			if err := dec.Decode(&obj); err != nil {
				t.Fatalf("%s line %d: %v", name, i+1, err)
			}
			if _, ok := obj["ts"].(json.Number); !ok {
				t.Errorf("%s line %d: ts %v is not a number", name, i+1, obj["ts"])
			}
			for k, f := range l.fields {
				cell, v := l.rows[i][f], obj[f]
				switch {
				case cell == "-":
					if v != nil {
						t.Errorf("%s line %d: %s unset in the TSV, %v in JSON", name, i+1, f, v)
					}
				case strings.HasPrefix(l.types[k], "set[") || strings.HasPrefix(l.types[k], "vector["):
					list, _ := v.([]any)
					if cell == "(empty)" && len(list) != 0 || cell != "(empty)" && len(list) != len(strings.Split(cell, ",")) {
						t.Errorf("%s line %d: %s %q in the TSV, %v in JSON", name, i+1, f, cell, v)
					}
				case l.types[k] == "bool":
					if v != (cell == "T") {
						t.Errorf("%s line %d: %s %q in the TSV, %v in JSON", name, i+1, f, cell, v)
					}
				default:
					s := ""
					switch v := v.(type) {
					case string:
						s = zeekEscapeForTest(v)
					case json.Number:
						s = v.String()
					}
					if s != cell {
						t.Errorf("%s line %d: %s %q in the TSV, %v in JSON", name, i+1, f, cell, v)
					}
				}
			}
		}
	}
	compare("ssl", tsv.Bytes(), js.Bytes())
	x509TSV, _ := os.ReadFile(filepath.Join(dir, "x509.log"))
	x509JSON, _ := os.ReadFile(filepath.Join(dir, "x509.json"))
	compare("x509", x509TSV, x509JSON)
}

// zeekEscapeForTest escapes as Zeek's ASCII writer, for comparing a JSON
// string with its TSV cell.
func zeekEscapeForTest(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '\\':
			b.WriteString(`\\`)
		case c < 0x20 || c >= 0x7f:
			b.WriteString(`\x` + strings.ToLower(string("0123456789abcdef"[c>>4])+string("0123456789abcdef"[c&15])))
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// TestZeekLastAlertSide: who sent ssl.log's last_alert is the case of the
// last alert letter of ssl_history (L from the client, l from the
// server), as docs say; checked against the JSON report's alerts, joined
// by uid.
func TestZeekLastAlertSide(t *testing.T) {
	var zl, jl, errb bytes.Buffer
	if status := run([]string{"--format", "zeek", pcapDir}, &zl, &errb); status == exitError {
		t.Fatalf("exit %d: %s", status, errb.String())
	}
	if status := run([]string{"--format", "json", pcapDir}, &jl, &errb); status == exitError {
		t.Fatalf("exit %d: %s", status, errb.String())
	}
	type alert struct {
		From        string `json:"from"`
		Description string `json:"description"`
		Encrypted   bool   `json:"encrypted"`
	}
	lastAlert := map[string]alert{}
	for _, line := range strings.Split(strings.TrimSpace(jl.String()), "\n") {
		var c struct {
			UID    string  `json:"uid"`
			Alerts []alert `json:"alerts"`
		}
		if err := json.Unmarshal([]byte(line), &c); err != nil {
			t.Fatal(err)
		}
		for _, a := range c.Alerts {
			if !a.Encrypted {
				lastAlert[c.UID] = a
			}
		}
	}
	l, err := parseZeekLog(zl.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	checked := 0
	for _, row := range l.rows {
		a, ok := lastAlert[row["uid"]]
		if row["last_alert"] == "-" {
			if ok {
				t.Errorf("%s: no last_alert, the JSON report has %v", row["uid"], a)
			}
			continue
		}
		if !ok || a.Description != row["last_alert"] {
			t.Errorf("%s: last_alert %s, the JSON report's last %v", row["uid"], row["last_alert"], a)
			continue
		}
		h := row["ssl_history"]
		i := strings.LastIndexAny(h, "Ll")
		if i < 0 || (h[i] == 'L') != (a.From == "client") {
			t.Errorf("%s: ssl_history %s does not say the %s sent last_alert %s", row["uid"], h, a.From, a.Description)
		}
		checked++
	}
	if checked < 20 {
		t.Errorf("%d rows with last_alert checked", checked)
	}
}

// TestZeekColumnsFixed: ssl.log has the same columns for one input as for
// many, so that logs of several runs concatenate; hsdecode_file names the
// input in both.
func TestZeekColumnsFixed(t *testing.T) {
	fields := func(args ...string) (string, []map[string]string) {
		var out, errb bytes.Buffer
		if status := run(append([]string{"--format", "zeek"}, args...), &out, &errb); status == exitError {
			t.Fatalf("exit %d: %s", status, errb.String())
		}
		l, err := parseZeekLog(out.Bytes())
		if err != nil {
			t.Fatal(err)
		}
		return strings.Join(l.fields, " ") + " / " + strings.Join(l.types, " "), l.rows
	}
	one := filepath.Join(pcapDir, "01-tls12-ecdhe-rsa.pcap")
	single, rows := fields(one)
	many, _ := fields(one, filepath.Join(pcapDir, "12-tls13-full.pcap"))
	if single != many {
		t.Errorf("columns with one input:\n%s\nwith two:\n%s", single, many)
	}
	if len(rows) != 1 || rows[0]["hsdecode_file"] != one {
		t.Errorf("one input: rows %v, want hsdecode_file %s", rows, one)
	}
}
