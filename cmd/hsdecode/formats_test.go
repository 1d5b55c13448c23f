package main

// The ECS documents checked against the Elastic Common Schema definitions
// of the fields they use (testdata/ecs/fields.tsv, from elastic/ecs), and
// the JUnit XML against the schemas Jenkins and GitLab read
// (testdata/junit, with xmllint).

import (
	"bufio"
	"bytes"
	"encoding/json"
	"encoding/xml"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"
)

const (
	ecsFields = "../../testdata/ecs/fields.tsv"
	junitDir  = "../../testdata/junit"
)

// ecsDef is an ECS field's type and allowed values.
type ecsDef struct {
	typ     string
	allowed map[string]bool
}

func readECSDefs(t *testing.T) map[string]ecsDef {
	f, err := os.Open(ecsFields)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	defs := map[string]ecsDef{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		cols := strings.Split(line, "\t")
		d := ecsDef{typ: cols[1]}
		if len(cols) > 2 && cols[2] != "" {
			d.allowed = map[string]bool{}
			for _, v := range strings.Split(cols[2], ",") {
				d.allowed[v] = true
			}
		}
		defs[cols[0]] = d
	}
	return defs
}

// flatten turns a JSON document into dotted field names and their
// values; an array of scalars stays one field (ECS fields are arrays of
// their type).
func flatten(prefix string, v any, out map[string]any) {
	if m, ok := v.(map[string]any); ok {
		for k, x := range m {
			name := k
			if prefix != "" {
				name = prefix + "." + k
			}
			flatten(name, x, out)
		}
		return
	}
	out[prefix] = v
}

// ecsTypeOK says whether a JSON value is of an ECS type.
func ecsTypeOK(typ string, v any) bool {
	switch typ {
	case "keyword":
		_, ok := v.(string)
		return ok
	case "boolean":
		_, ok := v.(bool)
		return ok
	case "long":
		n, ok := v.(json.Number)
		if !ok {
			return false
		}
		_, err := n.Int64()
		return err == nil
	case "ip":
		s, ok := v.(string)
		if !ok {
			return false
		}
		_, err := netip.ParseAddr(s)
		return err == nil
	case "date":
		s, ok := v.(string)
		if !ok {
			return false
		}
		_, err := time.Parse(time.RFC3339Nano, s)
		return err == nil
	}
	return false
}

// ecsNetworkTypes are the event.type values ECS expects with
// event.category network (elastic/ecs schemas/event.yml,
// expected_event_types).
var ecsNetworkTypes = map[string]bool{"access": true, "allowed": true, "connection": true, "denied": true,
	"end": true, "info": true, "protocol": true, "start": true}

// TestECSFields: every field of every ECS document of the bundled
// captures, outside hsdecode's own namespace, is an ECS field of the
// right type, with an allowed value where ECS lists them.
func TestECSFields(t *testing.T) {
	defs := readECSDefs(t)
	var out, errb bytes.Buffer
	if status := run([]string{"--format", "ecs", "--fail-on", "all", pcapDir}, &out, &errb); status == exitError {
		t.Fatalf("exit %d: %s", status, errb.String())
	}
	used := map[string]bool{}
	docs := 0
	for _, line := range strings.Split(strings.TrimSpace(out.String()), "\n") {
		docs++
		dec := json.NewDecoder(strings.NewReader(line))
		dec.UseNumber()
		var doc map[string]any
		if err := dec.Decode(&doc); err != nil {
			t.Fatalf("document %d: %v", docs, err)
		}
		fields := map[string]any{}
		flatten("", doc, fields)
		for name, v := range fields {
			if strings.HasPrefix(name, "hsdecode.") {
				continue
			}
			d, ok := defs[name]
			if !ok {
				t.Errorf("document %d: %s is not an ECS field (or not in %s)", docs, name, ecsFields)
				continue
			}
			used[name] = true
			values := []any{v}
			if a, ok := v.([]any); ok {
				values = a
			}
			for _, x := range values {
				if !ecsTypeOK(d.typ, x) {
					t.Errorf("document %d: %s = %v (%T) is not an ECS %s", docs, name, x, x, d.typ)
				}
				if s, _ := x.(string); d.allowed != nil && !d.allowed[s] {
					t.Errorf("document %d: %s = %q is not an allowed value", docs, name, s)
				}
				if s, _ := x.(string); name == "event.type" && !ecsNetworkTypes[s] {
					t.Errorf("document %d: event.type %q is not expected with event.category network", docs, s)
				}
			}
		}
		for _, req := range []string{"@timestamp", "ecs.version", "event.kind", "event.category", "event.outcome", "source.ip", "destination.port", "hsdecode.outcome", "log.file.path"} {
			if _, ok := fields[req]; !ok {
				t.Errorf("document %d lacks %s", docs, req)
			}
		}
		if want := map[string]string{"established": "success", "alert": "failure", "violation": "failure"}[fields["hsdecode.outcome"].(string)]; want != "" && fields["event.outcome"] != want {
			t.Errorf("document %d: outcome %v, event.outcome %v", docs, fields["hsdecode.outcome"], fields["event.outcome"])
		}
	}
	for _, f := range []string{"tls.version", "tls.version_protocol", "tls.cipher", "tls.curve", "tls.resumed", "tls.established",
		"tls.next_protocol", "tls.client.server_name", "tls.client.ja3", "tls.server.ja3s", "tls.server.x509.subject.distinguished_name",
		"tls.server.x509.not_after", "tls.server.hash.sha256", "tls.client.x509.serial_number", "network.community_id",
		"client.ip", "client.port", "server.ip", "server.domain", "destination.domain", "tls.server.x509.issuer.common_name"} {
		if !used[f] {
			t.Errorf("no document of the bundled captures has %s", f)
		}
	}
	names := make([]string, 0, len(used))
	for n := range used {
		names = append(names, n)
	}
	sort.Strings(names)
	t.Logf("%d documents; %d ECS fields used, each of its ECS type: %s", docs, len(names), strings.Join(names, " "))
}

// TestJUnitValidates: the JUnit file of a run over every bundled capture,
// a missing file and a baseline validates against Jenkins' junit-4.xsd
// and the xUnit plugin's junit-10.xsd, and has a suite per input, a case
// per connection and a failure per finding.
func TestJUnitValidates(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "report.xml")
	baseline := filepath.Join(dir, "baseline.jsonl")
	var jb, errb bytes.Buffer
	if status := run([]string{"--format", "json", filepath.Join(pcapDir, "01-tls12-ecdhe-rsa.pcap")}, &jb, &errb); status != exitOK {
		t.Fatalf("baseline: exit %d: %s", status, errb.String())
	}
	// The baseline says 07's server was established: its alert now is worse.
	var b07 bytes.Buffer
	run([]string{"--format", "json", filepath.Join(pcapDir, "07-tls12-no-shared-cipher.pcap")}, &b07, &errb)
	if err := os.WriteFile(baseline, append(jb.Bytes(), bytes.Replace(b07.Bytes(), []byte(`"outcome":"alert"`), []byte(`"outcome":"established"`), 1)...), 0o644); err != nil {
		t.Fatal(err)
	}
	files := captures(t)
	args := append([]string{"--junit", out, "--format", "json", "--baseline", baseline}, files...)
	args = append(args, filepath.Join(dir, "missing.pcap"))
	var stdout bytes.Buffer
	errb.Reset()
	if status := run(args, &stdout, &errb); status != exitError {
		t.Errorf("exit %d with a missing input, want %d", status, exitError)
	}
	if !strings.Contains(errb.String(), "missing.pcap") {
		t.Errorf("stderr does not name the missing file: %s", errb.String())
	}
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Tests    int `xml:"tests,attr"`
		Failures int `xml:"failures,attr"`
		Errors   int `xml:"errors,attr"`
		Suites   []struct {
			Name  string `xml:"name,attr"`
			Cases []struct {
				Name     string `xml:"name,attr"`
				Failures []struct {
					Type string `xml:"type,attr"`
					Text string `xml:",chardata"`
				} `xml:"failure"`
				Errors []struct{} `xml:"error"`
			} `xml:"testcase"`
		} `xml:"testsuite"`
	}
	if err := xml.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	connections := strings.Count(stdout.String(), "\n")
	if len(doc.Suites) != len(files)+2 {
		t.Errorf("%d suites for %d captures, a missing file and the baseline", len(doc.Suites), len(files))
	}
	types := map[string]int{}
	cases, baselineCases := 0, 0
	for _, s := range doc.Suites {
		for _, c := range s.Cases {
			if s.Name == "baseline" {
				baselineCases++
			} else {
				cases++
			}
			for _, f := range c.Failures {
				types[f.Type]++
				if s.Name != "baseline" && f.Type != "min_connections" && !strings.Contains(f.Text, "client -> server") {
					t.Errorf("%s: failure text is not the ladder: %q", c.Name, f.Text)
				}
			}
		}
	}
	// Cases: a connection each, the missing file and the gate's failure
	// of 28, whose one connection is not TLS; in the baseline's suite, a
	// change for the worse each (07's alert, and the violations of
	// servers the baseline did not have, 68's plain HTTP server among them).
	if cases != connections+2 || doc.Tests != cases+baselineCases || doc.Errors != 1 || baselineCases != 7 {
		t.Errorf("%d cases and %d for the baseline, tests=%d, errors=%d, for %d connections", cases, baselineCases, doc.Tests, doc.Errors, connections)
	}
	for _, want := range []string{"alert", "unexpected_message", "missing_message", "duplicate_message", "application_data_before_finished", "baseline-outcome", "min_connections"} {
		if types[want] == 0 {
			t.Errorf("no failure of type %s: %v", want, types)
		}
	}
	xmllint, err := exec.LookPath("xmllint")
	if err != nil {
		t.Skip("xmllint not installed (Debian libxml2-utils; scripts/deps.sh installs it): the schemas are not checked")
	}
	for _, xsd := range []string{"junit-4.xsd", "junit-10.xsd"} {
		cmd := exec.Command(xmllint, "--noout", "--schema", filepath.Join(junitDir, xsd), out)
		if msg, err := cmd.CombinedOutput(); err != nil {
			t.Errorf("%s: %v\n%s", xsd, err, msg)
		} else {
			t.Logf("%s: %s", xsd, strings.TrimSpace(string(msg)))
		}
	}
}
