package flows

import (
	"math/rand"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hsdecode/hsdecode/keylog"

	"github.com/hsdecode/hsdecode/stream"
)

// feedChunks drives a tracker from one byte string: each chunk starts with
// a control byte choosing the side (low bit), whether a gap comes first
// (bit 1) and the chunk length (upper bits), so the fuzzer explores
// interleavings of the two directions as well as their bytes. The input's
// length chooses --follow. keys, when not nil, is the key material.
func feedChunks(data []byte, syn bool, keys KeyStore) Result {
	col := NewCollector(Options{Follow: len(data)%2 == 1, Keys: keys})
	tr := col.New(stream.ConnInfo{A: clientAddr, B: serverAddr, SawSYN: syn, Start: t0})
	ts := t0
	for len(data) > 0 {
		ctl := data[0]
		data = data[1:]
		n := min(int(ctl>>2)*4+1, len(data))
		side := stream.Side(ctl & 1)
		ts = ts.Add(time.Millisecond)
		if ctl&2 != 0 && ctl&0x80 != 0 {
			tr.Gap(side, int(ctl), ts)
		}
		tr.Data(side, data[:n], ts)
		data = data[n:]
		_ = tr.Done()
	}
	tr.Close(stream.EndFIN, ts)
	return col.Results()[0]
}

// fuzzKeys is the union of the bundled captures' key logs.
var fuzzKeys = sync.OnceValue(func() *keylog.Log {
	g := new(keylog.Log)
	files, _ := filepath.Glob("../testdata/pcaps/*.keys")
	for _, f := range files {
		g.Load(f)
	}
	return g
})

// seedFlows turns the hand-built handshakes of the tests into fuzz seeds.
func seedFlows() [][]byte {
	var seeds [][]byte
	for _, steps := range [][]step{
		fullECDHE,
		{c(ch13), s(sh13, ccs, record(23, make([]byte, 50))), c(ccs, record(23, make([]byte, 20))), s(record(23, make([]byte, 19)))},
		{c(ch12), s(record(22, cat(shECDHE, shd, cert)))},
	} {
		var b []byte
		for _, st := range steps {
			for len(st.b) > 0 {
				n := min(len(st.b), 253)
				ctl := byte((n-1)/4) << 2
				if st.from == Server {
					ctl |= 1
				}
				k := min(int(ctl>>2)*4+1, len(st.b))
				b = append(b, ctl)
				b = append(b, st.b[:k]...)
				st.b = st.b[k:]
			}
		}
		seeds = append(seeds, b)
	}
	return seeds
}

// captureSeeds returns the inputs of the FuzzTracker seeds recorded from
// the bundled captures (testdata/fuzz/FuzzTracker/capture-*, written by
// go test ./cmd/hsdecode -run TestWriteTrackerSeeds -update-tracker-seeds):
// real stacks' handshakes in the interleaving reassembly delivered them.
func captureSeeds(t testing.TB) [][]byte {
	files, err := filepath.Glob("testdata/fuzz/FuzzTracker/capture-*")
	if err != nil || len(files) == 0 {
		t.Fatalf("no capture seeds: %v", err)
	}
	var seeds [][]byte
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		lines := strings.Split(string(b), "\n")
		if len(lines) < 2 {
			t.Fatalf("%s: not a seed file", f)
		}
		data, err := strconv.Unquote(strings.TrimSuffix(strings.TrimPrefix(lines[1], "[]byte("), ")"))
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		seeds = append(seeds, []byte(data))
	}
	return seeds
}

// FuzzTracker: any bytes, in any interleaving, with gaps, give exactly one
// result with a known outcome and never a panic, without keys and with the
// key logs of the bundled captures (fuzzKeys), which decrypt the seeds of
// those captures, so that the keyed paths are fuzzed too.
// Its seeds, in testdata/fuzz/FuzzTracker, are seedFlows' handshakes
// (handshake-*) and the bundled captures' connections (capture-*).
func FuzzTracker(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte, syn bool) {
		for _, keys := range []KeyStore{nil, fuzzKeys()} {
			r := feedChunks(data, syn, keys)
			switch r.Outcome {
			case OutcomeViolation, OutcomeAlert, OutcomeEstablished, OutcomePartial, OutcomeGap, OutcomeIncomplete, OutcomeNotTLS:
			default:
				t.Fatalf("outcome %q", r.Outcome)
			}
			if r.Outcome == OutcomeViolation && len(r.Violations) == 0 {
				t.Fatal("violation outcome without a violation")
			}
		}
	})
}

// TestRandomBytesNoPanic runs random bytes, and mutated hand-built and
// captured handshakes, through decode and flows on every test run, so a
// crash does not wait for a fuzzing session to be found.
func TestRandomBytesNoPanic(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	seeds := append(seedFlows(), captureSeeds(t)...)
	for i := 0; i < 3000; i++ {
		var data []byte
		if i%3 == 0 {
			data = make([]byte, rng.Intn(600))
			rng.Read(data)
		} else {
			data = append([]byte(nil), seeds[i%len(seeds)]...)
			for k := rng.Intn(8) + 1; k > 0 && len(data) > 0; k-- {
				data[rng.Intn(len(data))] = byte(rng.Intn(256))
			}
		}
		var keys KeyStore
		if i%4 >= 2 {
			keys = fuzzKeys()
		}
		feedChunks(data, i%2 == 0, keys)
	}
}

// TestFuzzKeysDecryptSeeds: with fuzzKeys, the seeds of the captures with
// key logs are decrypted, so FuzzTracker starts from the keyed paths.
func TestFuzzKeysDecryptSeeds(t *testing.T) {
	found := 0
	for _, s := range captureSeeds(t) {
		if r := feedChunks(s, true, fuzzKeys()); r.Keys == KeysFound {
			found++
		}
	}
	if found < 20 {
		t.Errorf("%d capture seeds decrypted with the bundled key logs, want at least 20", found)
	}
}
