//go:build race

package flows

// raceEnabled: under the race detector, sync.Pool drops a quarter of what
// it is given at random, so decode's pooled buffers cost allocations that
// vary from run to run, and allocation counts say nothing.
const raceEnabled = true
