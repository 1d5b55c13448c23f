package flows

import (
	"time"

	"github.com/hsdecode/hsdecode/decode"
	"github.com/hsdecode/hsdecode/stream"
)

// Bytes the capture lost: a gap stops the judging, and the side is read
// again from the next record boundary.

// Gap implements stream.Stream: bytes lost before the handshake is
// decided leave its order undecidable, so the tracker stops judging. It
// still reads what follows, for what it says (the peer's hello, alerts):
// the other side goes on, and this side is read again from the first
// record boundary after the gap, as a capture that starts there.
//
// A gap that cannot change the outcome (a partial connection, or one
// already decided) is not recorded, but the side is still read again
// from a record boundary: read across the hole, the bytes after it would
// be taken for records and make a violation out of what the capture lost.
func (t *Tracker) Gap(s stream.Side, missing int, ts time.Time) {
	if t.stage == stageEmitted {
		return
	}
	d := &t.sides[s]
	if !t.partial && (!t.decided() || t.gap) {
		t.res.End = ts
		if !t.roleKnown {
			t.guessRoles()
		}
		if !t.gap {
			t.gap = true
			t.res.Gap = &Gap{TS: ts, From: d.role, Offset: d.bytes, Missing: missing}
		}
	}
	if !d.stopped() && !t.Done() {
		d.phase, d.resync, d.prelude = phaseLost, true, nil
		if d.dec != nil {
			d.dec.Release()
		}
		d.dec = t.newStream(s, decode.Options{Resync: true})
	}
	t.emitIfFinal()
}
