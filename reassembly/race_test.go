//go:build race

package reassembly

// raceEnabled makes the tests that feed millions of packets feed fewer
// under the race detector, which slows them tenfold: the Assembler runs on
// one goroutine, so size adds nothing there.
const raceEnabled = true
