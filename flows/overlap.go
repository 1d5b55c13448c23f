package flows

import (
	"time"

	"github.com/hsdecode/hsdecode/stream"
)

// OverlapMismatch implements stream.MismatchStream: n bytes of a copy
// from side differed from those kept.
func (t *Tracker) OverlapMismatch(side stream.Side, n int, _ time.Time) {
	t.mismatch[side] += n
}

// settleMismatch puts the counts in the Result by role, once roles are
// known (or guessed).
func (t *Tracker) settleMismatch() {
	t.res.OverlapMismatch = OverlapMismatch{Client: t.mismatch[t.clientSide], Server: t.mismatch[1-t.clientSide]}
}
