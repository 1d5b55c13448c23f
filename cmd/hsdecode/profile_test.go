package main

import (
	"bytes"
	"os"
	"runtime"
	"runtime/pprof"
	"strings"
	"testing"
	"time"
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
// flags (e.g. "--follow"). It also logs the wall time, the allocations and
// the garbage collector's work.
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
	status := run(args, devnull, &stderr)
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
	t.Logf("hsdecode %s: exit %d in %v", strings.Join(args, " "), status, wall.Round(time.Millisecond))
	t.Logf("%s", strings.TrimSpace(stderr.String()))
	t.Logf("allocated %d MB in %d objects; %d GC cycles, %v paused; heap in use at the end %d MB, most obtained from the OS %d MB",
		(after.TotalAlloc-before.TotalAlloc)>>20, after.Mallocs-before.Mallocs, after.NumGC-before.NumGC,
		time.Duration(after.PauseTotalNs-before.PauseTotalNs).Round(time.Microsecond), after.HeapInuse>>20, after.HeapSys>>20)
	t.Logf("profiles: %s.cpu.pprof %s.allocs.pprof", prefix, prefix)
}
