package rewrite

import (
	"math/rand"

	"github.com/hsdecode/hsdecode/capture"
)

// Drop returns the packets of a capture with each one left out with
// probability rate, as a lossy network or a capture that fell behind
// would have it, and how many it left out. The choices come from seed: the
// same seed and rate drop the same packets. The packets kept are shared
// with pkts, not copied.
func Drop(pkts []capture.Packet, rate float64, seed int64) ([]capture.Packet, int) {
	rng := rand.New(rand.NewSource(seed))
	out := make([]capture.Packet, 0, len(pkts))
	for _, p := range pkts {
		if rng.Float64() < rate {
			continue
		}
		out = append(out, p)
	}
	return out, len(pkts) - len(out)
}
