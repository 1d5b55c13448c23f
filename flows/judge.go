package flows

import (
	"errors"
	"fmt"
	"time"

	"github.com/hsdecode/hsdecode/decode"
	"github.com/hsdecode/hsdecode/stream"
)

// The judge: a side's message against its flight in the order tables, and
// the violations it and the decoder find.

// step moves d through its flight with a message of the given kind, or
// records the violation it makes. It reports whether the message was legal.
func (t *Tracker) step(d *sideState, got kind, ts time.Time) bool {
	if t.keys.decrypting13() && t.keys.side(d.role).finished {
		// Past its Finished a TLS 1.3 side read with keys sends what
		// post13 allows, in any order (tls13_post.go).
		return t.postStep(d, got, ts)
	}
	fl := d.flight
	if d.pos >= 0 && fl[d.pos].repeat && fl[d.pos].kind == got {
		return true
	}
	j := -1
	for k := d.pos + 1; k < len(fl); k++ {
		if fl[k].kind == got {
			j = k
			break
		}
	}
	code := CodeUnexpectedMessage
	if got == kindChangeCipherSpec {
		code = CodeUnexpectedChangeCipherSpec
	}
	if j < 0 || fl[j].need(t) == forbidden {
		detail := fmt.Sprintf("%s may not send %s here", d.role, got)
		if d.seen.count(got) > 0 && got != kindChangeCipherSpec {
			code = CodeDuplicateMessage
			detail = fmt.Sprintf("%s sent %s again", d.role, got)
		} else if j >= 0 {
			detail = fmt.Sprintf("%s is not allowed in this handshake (%s)", got, fl[j].rfc)
		}
		t.violate(d, code, got.String(), t.expected(d), detail, ts)
		return false
	}
	var structural, byRule []kind
	for k := d.pos + 1; k < j; k++ {
		switch fl[k].need(t) {
		case required:
			structural = append(structural, fl[k].kind)
		case requiredByRule:
			byRule = append(byRule, fl[k].kind)
		}
	}
	switch {
	case len(structural) > 0:
		t.violate(d, code, got.String(), t.expected(d),
			fmt.Sprintf("%s sent %s before %s (%s)", d.role, got, structural[0], fl[j].rfc), ts)
		return false
	case len(byRule) > 0:
		t.violate(d, CodeMissingMessage, got.String(), names(byRule),
			fmt.Sprintf("%s sent %s without %s, which this handshake requires (%s)", d.role, got, byRule[0], t.ruleOf(fl, byRule[0])), ts)
		return false
	}
	if !t.afterOK(d, fl[j]) {
		// Nothing is legal from d until the peer moves: no expected list.
		t.violate(d, code, got.String(), nil,
			fmt.Sprintf("%s sent %s before the peer's %s (%s)", d.role, got, t.afterName(fl[j]), fl[j].rfc), ts)
		return false
	}
	d.pos = j
	d.seen.add(got)
	return true
}

func (t *Tracker) ruleOf(fl []slot, k kind) string {
	for _, s := range fl {
		if s.kind == k {
			return s.rfc
		}
	}
	return ""
}

func (t *Tracker) afterOK(d *sideState, s slot) bool {
	if s.afterOK != nil {
		return s.afterOK(t)
	}
	return s.after == kindNone || t.peer(d).seen.count(s.after) > 0
}

func (t *Tracker) afterName(s slot) string {
	if s.after == kindNone {
		return "second client_hello"
	}
	return s.after.String()
}

// expected lists what d could legally send next: the slots after its
// position up to and including the first one it must send.
func (t *Tracker) expected(d *sideState) []string {
	var out []string
	for k := d.pos + 1; k < len(d.flight); k++ {
		n := d.flight[k].need(t)
		if n == forbidden {
			continue
		}
		out = append(out, d.flight[k].kind.String())
		if n != optional {
			break
		}
	}
	return out
}

// violate records a violation by d; that direction is not parsed further
// (docs/CONVENTIONS.md section 4).
func (t *Tracker) violate(d *sideState, code Code, got string, expected []string, detail string, ts time.Time) {
	t.res.Violations = append(t.res.Violations, Violation{TS: ts, From: d.role, Code: code, Got: got, Expected: expected, Detail: detail})
	d.phase = phaseStopped
}

// malformed turns a decode error into a violation of the side that sent it.
func (t *Tracker) malformed(s stream.Side, err error, ts time.Time) {
	if !t.roleKnown {
		t.guessRoles()
	}
	d := &t.sides[s]
	if d.phase == phaseLost {
		// The boundary found after a gap may be a false one, and what
		// the lost bytes said (a ChangeCipherSpec) is unknown: bytes
		// that do not decode there are the capture's, not the sender's.
		d.phase = phaseStopped
		return
	}
	var de *decode.Error
	code, detail := CodeMalformedRecord, err.Error()
	if errors.As(err, &de) {
		code, detail = Code(de.Code), fmt.Sprintf("%s at stream offset %d", de.Reason, de.Offset)
	}
	got := "record"
	if code == CodeMalformedHandshake {
		got = "handshake"
	}
	if !t.tlsSeen && d.role == Server && t.client().phase != phaseWaiting {
		detail = "server does not answer in TLS: " + detail
	}
	t.tlsSeen = true
	t.violate(d, code, got, nil, detail, ts)
}
