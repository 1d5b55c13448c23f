package report

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/hsdecode/hsdecode/flows"
)

// hostileDiagnosis carries wire strings, as a diagnosis quotes them: an
// SNI that forges a line and sets the terminal's title.
var hostileDiagnosis = &flows.Diagnosis{
	Code:     "server_cert_name_mismatch",
	Cause:    "The server's certificate does not cover a\x1b[2K\rESTABLISHED, the name the client asked for.",
	Evidence: []string{"the client asked for \x1b]0;title\x07 (SNI)", "second"},
	Hint:     "Give the server a certificate for \u202egnp.exe.",
}

// TestDiagnosisFormats: the diagnosis in the text (a DIAGNOSIS line under
// the ladder, escaped), in JSON (diagnosis), in ECS (event.reason) and
// in the JUnit failure message.
func TestDiagnosisFormats(t *testing.T) {
	r := &flows.Result{Outcome: flows.OutcomeAlert, Diagnosis: hostileDiagnosis,
		Messages: []flows.Message{{From: flows.Client, Type: "client_hello", Length: 100}}}
	fs := []Finding{{Rule: RuleAlert, Code: string(RuleAlert), Detail: "fatal bad_certificate from client ended the handshake"}}

	var text bytes.Buffer
	NewTextWriter(&text, Options{}).Write(r, fs)
	for _, want := range []string{
		"\n  DIAGNOSIS server_cert_name_mismatch: The server's certificate does not cover a\\x1b[2K\\rESTABLISHED, the name",
		"\n    evidence: the client asked for \\x1b]0;title\\x07 (SNI)\n    evidence: second\n",
		"\n    hint: Give the server a certificate for \\u202egnp.exe.\n",
	} {
		if !strings.Contains(text.String(), want) {
			t.Errorf("text lacks %q:\n%s", want, text.String())
		}
	}
	if strings.ContainsAny(text.String(), "\x1b\r\u202e") || strings.Index(text.String(), "DIAGNOSIS") > strings.Index(text.String(), "FINDING") {
		t.Errorf("text not escaped, or the diagnosis not under the ladder:\n%s", text.String())
	}

	var js bytes.Buffer
	NewJSONWriter(&js).Write(r, fs)
	var obj struct{ Diagnosis *flows.Diagnosis }
	if err := json.Unmarshal(js.Bytes(), &obj); err != nil || obj.Diagnosis == nil {
		t.Fatalf("JSON %s: %v", js.String(), err)
	}
	if got := *obj.Diagnosis; got.Code != hostileDiagnosis.Code || got.Cause != hostileDiagnosis.Cause || len(got.Evidence) != 2 || got.Hint != hostileDiagnosis.Hint {
		t.Errorf("JSON diagnosis %+v", got)
	}
	if !strings.Contains(js.String(), `"diagnosis":{"code":"server_cert_name_mismatch","cause":`) {
		t.Errorf("JSON members: %s", js.String())
	}

	doc := NewECSWriter(nil, Options{}).document(r, fs)
	if want := "server_cert_name_mismatch: " + hostileDiagnosis.Cause; doc.Event.Reason != want {
		t.Errorf("event.reason %q, want %q", doc.Event.Reason, want)
	}

	var x bytes.Buffer
	j := NewJUnitWriter(&x, Options{})
	j.Write(r, fs)
	j.Close()
	if want := "; diagnosis server_cert_name_mismatch: The server"; !strings.Contains(x.String(), want) {
		t.Errorf("JUnit lacks %q:\n%s", want, x.String())
	}
}

// TestSummaryDiagnoses: the summary counts connections by diagnosis code.
func TestSummaryDiagnoses(t *testing.T) {
	s := NewSummary()
	s.Add(&flows.Result{Outcome: flows.OutcomeAlert, Diagnosis: hostileDiagnosis}, nil)
	s.Add(&flows.Result{Outcome: flows.OutcomeAlert, Diagnosis: hostileDiagnosis}, nil)
	s.Add(&flows.Result{Outcome: flows.OutcomeEstablished}, nil)
	var js, text bytes.Buffer
	s.WriteJSON(&js, nil)
	s.WriteText(&text)
	if !strings.Contains(js.String(), `"diagnoses":{"server_cert_name_mismatch":2}`) || !strings.Contains(text.String(), "diagnoses:     server_cert_name_mismatch 2\n") {
		t.Errorf("summary:\n%s%s", js.String(), text.String())
	}
}
