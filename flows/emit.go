package flows

import "github.com/hsdecode/hsdecode/stream"

// Handing the result over: when the verdict is final (Options.AsDecided)
// or at the close, with its outcome.

// stage is where a tracker's result stands.
type stage uint8

const (
	stageOpen    stage = iota
	stageEmitted       // handed over before its connection closed (Options.AsDecided)
	stageClosed        // handed over at the close
)

// emitIfFinal hands the result over as soon as the verdict is final
// (Options.AsDecided), so a live capture shows it while the connection is
// still open.
func (t *Tracker) emitIfFinal() {
	if !t.col.asDecided || t.stage == stageEmitted || !t.Done() {
		return
	}
	t.stage = stageEmitted
	t.settleKeys()
	t.endReneg()
	t.res.Outcome = t.outcome()
	t.settleMismatch()
	t.settleFirstBytes()
	if t.settle != nil {
		t.settle(&t.res)
	}
	t.col.add(t)
	// A reported connection may stay open for hours in a live capture:
	// keep none of its state, only the stage that makes Done true.
	t.releaseStreams()
	t.res, t.sides = Result{}, [2]sideState{}
}

// releaseStreams lets the decoders' buffers go to later connections, and
// the decoders go with the Tracker's last reference to them: a result
// held for start order holds its Tracker.
func (t *Tracker) releaseStreams() {
	for i := range t.sides {
		if d := &t.sides[i]; d.dec != nil {
			d.dec.Release()
			d.dec = nil
		}
	}
	t.decs = nil
}

var closedNames = map[stream.EndReason]string{
	stream.EndFIN:     "fin",
	stream.EndRST:     "rst",
	stream.EndCapture: "capture_end",
	stream.EndIdle:    "idle",
	stream.EndMemory:  "memory",
	stream.EndReused:  "reused",
}

func (t *Tracker) outcome() Outcome {
	switch {
	case len(t.res.Violations) > 0:
		return OutcomeViolation
	case t.fatal:
		return OutcomeAlert
	case t.established:
		return OutcomeEstablished
	case t.partial:
		return OutcomePartial
	case t.gap:
		return OutcomeGap
	case t.notTLS || (!t.tlsSeen && t.client().prelude != nil):
		// The client spoke, and not TLS.
		return OutcomeNotTLS
	}
	return OutcomeIncomplete
}

// reported says whether the connection belongs in the report: it carried
// TLS, or it went to a TLS port (docs/report.md: "or was expected to").
func (t *Tracker) reported() bool {
	return t.tlsSeen || t.col.tlsPort(t.res.Server.Port())
}
