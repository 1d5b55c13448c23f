package main

import (
	"bytes"
	"os"
	"runtime"
	"runtime/pprof"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/hsdecode/hsdecode/capture"
	"github.com/hsdecode/hsdecode/flows"
	"github.com/hsdecode/hsdecode/reassembly"
	"github.com/hsdecode/hsdecode/report"
	"github.com/hsdecode/hsdecode/stream"
)

// TestProfileCapture profiles hsdecode on a capture, as the command runs it
// (run with --format json, the output to /dev/null): a CPU profile and an
// allocation profile, for go tool pprof. It is skipped unless
// HSDECODE_PROFILE_CAPTURE names the capture:
//
//	HSDECODE_PROFILE_CAPTURE=/tmp/hsdecode-bench/bench-1024MB-seed1.pcap \
//	HSDECODE_PROFILE_OUT=/tmp/hsdecode-prof \
//	    go test ./cmd/hsdecode -run TestProfileCapture -count=1 -v -timeout 30m
//	go tool pprof -top /tmp/hsdecode-prof.cpu.pprof
//	go tool pprof -sample_index=alloc_space -top /tmp/hsdecode-prof.allocs.pprof
//
// HSDECODE_PROFILE_OUT is the prefix of the profile files (default
// hsdecode-profile in the package directory); HSDECODE_PROFILE_ARGS adds
// flags (e.g. "--follow"); HSDECODE_PROFILE_REPEAT runs it that many times
// under the same profile, for more samples (100 a second of CPU). It also
// logs the wall time, the allocations and the garbage collector's work.
func TestProfileCapture(t *testing.T) {
	path := os.Getenv("HSDECODE_PROFILE_CAPTURE")
	if path == "" {
		t.Skip("set HSDECODE_PROFILE_CAPTURE=FILE to profile hsdecode on a capture")
	}
	prefix := os.Getenv("HSDECODE_PROFILE_OUT")
	if prefix == "" {
		prefix = "hsdecode-profile"
	}
	args := append([]string{"-r", path, "--format", "json", "-v"}, strings.Fields(os.Getenv("HSDECODE_PROFILE_ARGS"))...)

	devnull, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer devnull.Close()
	cpu, err := os.Create(prefix + ".cpu.pprof")
	if err != nil {
		t.Fatal(err)
	}
	defer cpu.Close()

	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	var stderr bytes.Buffer
	if err := pprof.StartCPUProfile(cpu); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	status := exitOK
	for range repeat(t) {
		stderr.Reset()
		status = run(args, devnull, &stderr)
	}
	wall := time.Since(start)
	pprof.StopCPUProfile()
	runtime.ReadMemStats(&after)
	if status == exitError {
		t.Fatalf("hsdecode %s: exit %d: %s", strings.Join(args, " "), status, stderr.String())
	}

	allocs, err := os.Create(prefix + ".allocs.pprof")
	if err != nil {
		t.Fatal(err)
	}
	defer allocs.Close()
	if err := pprof.Lookup("allocs").WriteTo(allocs, 0); err != nil {
		t.Fatal(err)
	}
	t.Logf("hsdecode %s: exit %d in %v (%d runs)", strings.Join(args, " "), status, wall.Round(time.Millisecond), repeat(t))
	t.Logf("%s", strings.TrimSpace(stderr.String()))
	t.Logf("allocated %d MB in %d objects; %d GC cycles, %v paused; heap in use at the end %d MB, most obtained from the OS %d MB",
		(after.TotalAlloc-before.TotalAlloc)>>20, after.Mallocs-before.Mallocs, after.NumGC-before.NumGC,
		time.Duration(after.PauseTotalNs-before.PauseTotalNs).Round(time.Microsecond), after.HeapInuse>>20, after.HeapSys>>20)
	t.Logf("profiles: %s.cpu.pprof %s.allocs.pprof", prefix, prefix)
}

// repeat is HSDECODE_PROFILE_REPEAT, at least 1.
func repeat(t *testing.T) int {
	n := 1
	if v := os.Getenv("HSDECODE_PROFILE_REPEAT"); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil || n < 1 {
			t.Fatalf("HSDECODE_PROFILE_REPEAT=%q: want a positive number", v)
		}
	}
	return n
}

// TestProfileStages splits hsdecode's time on a capture into its pipeline
// stages by running the pipeline cut after each stage and subtracting:
// reading the capture (capture); + link/IP/TCP decoding and reassembly into
// consumers that are done at once (reassembly); + the real consumers,
// flows' trackers and decode, with what reassembly delivers to them until
// their verdicts (flows); + the JSON report to /dev/null (report). A last
// cut, reassembly into consumers that take every byte and do nothing with
// it, shows what delivering all of the capture would cost (--follow costs
// at least that). Each cut runs HSDECODE_PROFILE_REPEAT times (default 3);
// the least CPU time (user + system, all threads, GC included) and the
// least wall time are logged, and how many bytes flows was given.
// Skipped unless HSDECODE_PROFILE_CAPTURE names the capture.
func TestProfileStages(t *testing.T) {
	path := os.Getenv("HSDECODE_PROFILE_CAPTURE")
	if path == "" {
		t.Skip("set HSDECODE_PROFILE_CAPTURE=FILE to time hsdecode's stages on a capture")
	}
	n := 3
	if os.Getenv("HSDECODE_PROFILE_REPEAT") != "" {
		n = repeat(t)
	}
	devnull, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer devnull.Close()

	type cut int
	const (
		cutCapture cut = iota
		cutReassembly
		cutFlows
		cutReport
		cutDelivered
	)
	names := []string{"capture: read packets", "reassembly, consumers done", "flows: trackers and decode",
		"report: JSON to /dev/null", "reassembly, every byte delivered"}
	var st stageCounts
	pipeline := func(c cut, count bool) {
		src, err := capture.OpenFile(path)
		if err != nil {
			t.Fatal(err)
		}
		defer src.Close()
		var f stream.Factory
		var col *flows.Collector
		switch c {
		case cutReassembly, cutDelivered:
			f = stageFactory{done: c == cutReassembly}
		default:
			col = flows.NewCollector(flows.Options{})
			f = col
			if count {
				f = countingFactory{col, &st}
			}
		}
		var asm *reassembly.Assembler
		if c > cutCapture {
			asm = reassembly.NewAssembler(f, reassembly.Options{})
		}
		for {
			p, err := src.Next()
			if err != nil {
				break
			}
			if asm != nil {
				asm.Packet(p.LinkType, p.Data, p.CaptureInfo)
			}
		}
		if asm != nil {
			asm.Flush()
		}
		if c == cutReport {
			out, err := report.NewWriter("json", devnull, report.Options{})
			if err != nil {
				t.Fatal(err)
			}
			rs := col.Results()
			for i := range rs {
				out.Write(&rs[i], nil)
			}
			out.Close()
		}
	}
	var prevCPU, prevWall time.Duration
	var times [][2]time.Duration // per cut: CPU, wall
	for c := cutCapture; c <= cutDelivered; c++ {
		bestCPU, bestWall := time.Duration(1<<62), time.Duration(1<<62)
		for range n {
			runtime.GC()
			c0, w0 := cpuTime(), time.Now()
			pipeline(c, false)
			bestCPU, bestWall = min(bestCPU, cpuTime()-c0), min(bestWall, time.Since(w0))
		}
		if c == cutDelivered { // compared with consumers that are done
			prevCPU, prevWall = times[cutReassembly][0], times[cutReassembly][1]
		}
		times = append(times, [2]time.Duration{bestCPU, bestWall})
		t.Logf("%-33s total CPU %7v wall %7v   this stage: CPU %+8v wall %+8v",
			names[c], bestCPU.Round(time.Millisecond), bestWall.Round(time.Millisecond),
			(bestCPU - prevCPU).Round(time.Millisecond), (bestWall - prevWall).Round(time.Millisecond))
		prevCPU, prevWall = bestCPU, bestWall
	}
	pipeline(cutFlows, true)
	t.Logf("flows was given %d bytes in %d Data calls on %d connections; %d connections were never done",
		st.bytes, st.calls, st.conns, st.conns-st.done)
}

// stageCounts counts what reassembly gives flows.
type stageCounts struct{ conns, done, calls, bytes int64 }

// countingFactory passes connections on to a Collector, counting.
type countingFactory struct {
	col *flows.Collector
	c   *stageCounts
}

type countingStream struct {
	stream.Stream
	c    *stageCounts
	done bool
}

func (f countingFactory) New(i stream.ConnInfo) stream.Stream {
	f.c.conns++
	return &countingStream{Stream: f.col.New(i), c: f.c}
}

func (s *countingStream) Data(side stream.Side, b []byte, ts time.Time) {
	s.c.calls++
	s.c.bytes += int64(len(b))
	s.Stream.Data(side, b, ts)
}

func (s *countingStream) Done() bool {
	d := s.Stream.Done()
	if d && !s.done {
		s.done = true
		s.c.done++
	}
	return d
}

// cpuTime is the process's user and system time so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// stageFactory makes consumers that do nothing: done ones, whose
// connections reassembly stops buffering at once, or ones that take every
// byte.
type stageFactory struct{ done bool }

type stageStream struct{ done bool }

func (f stageFactory) New(stream.ConnInfo) stream.Stream            { return &stageStream{f.done} }
func (s *stageStream) Data(stream.Side, []byte, time.Time)          {}
func (s *stageStream) Gap(stream.Side, int, time.Time)              {}
func (s *stageStream) End(stream.Side, stream.EndReason, time.Time) {}
func (s *stageStream) Close(stream.EndReason, time.Time)            {}
func (s *stageStream) Done() bool                                   { return s.done }
