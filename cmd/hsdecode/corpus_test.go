package main

import (
	"fmt"
	"os"
	"sync/atomic"
	"testing"
)

// corpusSkipped counts the tests skipped for want of the shared corpus,
// which lies outside the repository (tsharkCorpusDir): a run without it
// passes having checked less, and TestMain says how much less.
var corpusSkipped atomic.Int32

// needCorpus skips t, counted, when dir (the corpus or a part of it) is
// not there.
func needCorpus(t *testing.T, dir string) {
	t.Helper()
	if _, err := os.Stat(dir); err != nil {
		corpusSkipped.Add(1)
		t.Skipf("the shared corpus is not at %s (it is kept outside the repository): %v", dir, err)
	}
}

func TestMain(m *testing.M) {
	code := m.Run()
	if n := corpusSkipped.Load(); n > 0 {
		fmt.Printf("%d tests skipped: the shared corpus is not at %s\n", n, tsharkCorpusDir)
	}
	os.Exit(code)
}
