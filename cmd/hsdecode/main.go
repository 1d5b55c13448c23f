// Command hsdecode reads a packet capture, or captures live on an
// interface, and reports, for every TCP connection that carries TLS, how its
// handshake went and why.
package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"runtime/debug"
	"sort"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/hsdecode/hsdecode/capture"
	"github.com/hsdecode/hsdecode/flows"
	"github.com/hsdecode/hsdecode/keylog"
	"github.com/hsdecode/hsdecode/reassembly"
	"github.com/hsdecode/hsdecode/report"
	"github.com/hsdecode/hsdecode/stream"
)

// Exit statuses.
const (
	exitOK       = 0 // no connection had a finding (--fail-on), nothing got worse (--baseline)
	exitFindings = 1 // one did
	exitError    = 2 // usage or input error
)

// usageLine follows a flag the parser rejects, as tcpdump and tshark
// follow theirs with their usage.
const usageLine = "usage: hsdecode [flags] (-r FILE ... | -i IFACE) [FILTER]; see hsdecode --help"

// flagError rewords the parser's complaint about a flag's value, which
// quotes strconv ("strconv.ParseInt: parsing ...: invalid syntax"), to say
// what form the value takes.
func flagError(err error) error {
	var ive *pflag.InvalidValueError
	if !errors.As(err, &ive) {
		return err
	}
	f := ive.GetFlag()
	var form string
	switch f.Value.Type() {
	case "int", "int64":
		form = "give a whole number"
	case "duration":
		form = "give a duration such as 30s, 5m or 1h30m"
	case "bool":
		form = "give true or false"
	case "bytes":
		form = byteSizeForm
	case "kib":
		form = "give a number of KiB, or a size such as 64MiB or 100MB"
	default:
		return err
	}
	return fmt.Errorf("--%s %q: %s", f.Name, ive.GetValue(), form)
}

// maxWorkers bounds --workers: each worker holds its own tables and a
// queue of batches.
const maxWorkers = 256

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// run is one invocation: its exit status, given its arguments and where
// standard output and error go.
func run(args []string, stdout, stderr io.Writer) int {
	return runPaced(args, stdout, stderr, defaultPace)
}

// runPaced is run with progress (--progress) drawn at the given pace.
func runPaced(args []string, stdout, stderr io.Writer, pace pace) (status int) {
	fs := pflag.NewFlagSet("hsdecode", pflag.ContinueOnError)
	fs.SetOutput(stderr)
	read := fs.StringP("read", "r", "", "read packets from `FILE` (pcap or pcapng; - for standard input); more files and directories may follow as arguments")
	format := fs.String("format", "text", "output `FORMAT`: text, json, ecs (Elastic Common Schema), zeek (Zeek's ssl.log), zeek-json (the same in Zeek's JSON form) or html (one self-contained page)")
	verbose := fs.BoolP("verbose", "v", false, "also print every handshake detail under each ladder (text), and counts of packets and connections skipped, and why")
	idle := fs.Duration("idle-timeout", reassembly.DefaultIdleTimeout, "close and report connections idle longer than `DURATION`, in capture time (0: never)")
	follow := fs.Bool("follow", false, "keep decoding established connections to their end, to report the alerts that close them, TLS 1.0-1.2 renegotiations and, with keys, TLS 1.3's post-handshake messages (slower on bulk data); a handshake ended by a fatal alert is read on to the other side's answer")
	maxBuf := byteSizeFlag(fs, "max-buffer", reassembly.DefaultMaxBufferedBytes, "`BYTES` held for out-of-order data, IP fragments, open connections and results waiting for start order (16MB, 512MiB, 1G: kB, MB, GB decimal; K, M, G, KiB, MiB, GiB binary); past it the quietest connections are closed (reported closed: memory), the same ones for any --workers")
	failOn := fs.String("fail-on", report.DefaultFailOn, "`RULES` that make the exit status 1, comma-separated: violation, alert, incomplete, partial, gap, not_tls, legacy-version, weak-cipher, expired-cert, no-sni; all; none")
	minVersion := fs.String("min-version", "TLS1.2", "legacy-version: the lowest acceptable `VERSION` (SSL3, TLS1.0 ... TLS1.3)")
	summary := fs.Bool("summary", false, "json: end with a summary object (counts per outcome, version, suite, alert, violation; packets); ecs, zeek: print it on standard error")
	junit := fs.String("junit", "", "also write JUnit XML to `FILE`: a test suite per input, a test case per connection, a failure per finding")
	htmlPath := fs.String("html", "", "also write an HTML report to `FILE`: one self-contained page with the outcome counts, a plot over capture time, a table of connections to filter and each one's ladder drawn as a sequence diagram")
	baseline := fs.String("baseline", "", "compare with an earlier JSON report `FILE` and fail only on what got worse (outcome no longer established, a new violation code, a lower version)")
	colorMode := fs.String("color", "auto", "colour the text report `WHEN`: auto (on a terminal, unless NO_COLOR is set), always or never")
	checksum := fs.String("checksum", "auto", "`MODE` of verifying IPv4 and TCP checksums, dropping the segments that fail as their receiver does: auto (all but those checksum offload leaves, and those of a side that never sent a right one), on or off")
	progressMode := fs.String("progress", "auto", "show progress on standard error `WHEN`: auto (on a terminal, unless CI is set), always or never")
	iface := fs.StringP("interface", "i", "", "capture live on `IFACE` (any: every interface; a number from -D)")
	listIfaces := fs.BoolP("list-interfaces", "D", false, "list the interfaces live capture can use, and exit")
	filter := fs.StringP("filter", "f", "", "capture filter `EXPR` in pcap-filter syntax, live or on files (or give it after the inputs, as to tcpdump)")
	snaplen := fs.IntP("snaplen", "s", 0, "live: keep the first `N` bytes of each packet (0: 262144)")
	noPromisc := fs.BoolP("no-promisc", "p", false, "live: do not put the interface in promiscuous mode")
	bufKiB := kibFlag(fs, "buffer-size", "B", defaultBufferKiB, "live: kernel capture buffer `SIZE`: a number of KiB, as tcpdump's -B takes it, or a size such as 64MiB or 100MB")
	count := fs.IntP("count", "c", 0, "live: stop after reporting `N` connections")
	duration := fs.Duration("duration", 0, "live: stop after `DURATION`")
	write := fs.StringP("write", "w", "", "live: also write the captured packets to `FILE` (pcap; with --keylog, pcapng with the secrets of the connections reported in it, as editcap --inject-secrets writes, so that it opens decrypted in Wireshark)")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of the run to `FILE`, for go tool pprof")
	memProfile := fs.String("memprofile", "", "write an allocation profile of the run to `FILE`, for go tool pprof")
	keyLogs := fs.StringArray("keylog", nil, "decrypt TLS handshakes (SSL 3.0 to TLS 1.3) with the secrets of the NSS key log `FILE` (SSLKEYLOGFILE); may repeat. Live, the file is followed as it grows")
	workers := fs.Int("workers", runtime.NumCPU(), "spread connections over `N` goroutines by their addresses and ports; a file's report is the same for any N (1: all on one goroutine), a live capture's writes each connection as its worker decides it")
	// Joining with other tools' records (docs/report.md, uid and community_id).
	zeekX509 := fs.String("zeek-x509", "", "also write Zeek's x509.log to `FILE`: a row per certificate, which ssl.log's cert_chain_fps name (JSON with --format zeek-json)")
	communitySeed := fs.Uint16("community-id-seed", 0, "the seed `N` of every Community ID written (0 to 65535; Zeek, Suricata and Elastic default to 0, and must use the same)")
	// Where the report goes, and asking hsdecode itself (issue 15).
	output := fs.StringP("output", "o", "", "write the report to `FILE` instead of standard output (- for standard output); live, SIGHUP closes and reopens it, for logrotate")
	local := fs.Bool("local", false, "text: times in local time with the zone's offset, not UTC")
	showVersion := fs.Bool("version", false, "print the version, its VCS revision and the Go version, and exit")
	showMan := fs.Bool("man", false, "print the manual page (roff; man -l - reads it), and exit")
	// CI and sensors: the gate's floor, annotations, metrics.
	minConns := fs.Int("min-connections", 0, "fail (exit 1) a run with fewer than `N` TLS connections; when N is at least 1, also one with an input that has none. Default 1 with --fail-on, --junit, --baseline or --annotations (a CI gate fails closed), else 0 (an input without TLS is a note)")
	annotations := fs.String("annotations", "", "also write `KIND` annotations on standard error: github (::error and ::warning workflow commands, one per finding or failed handshake)")
	metricsAddr := fs.String("metrics", "", "serve Prometheus metrics on `ADDR` (host:port, such as 127.0.0.1:9477) at /metrics while the run lasts; none by default")
	// Choosing what is reported (selection.go).
	fs.String("outcome", "", "report only connections of these `OUTCOMES`, comma-separated: violation, alert, established, partial, gap, incomplete, not_tls")
	fs.String("server", "", "report only connections to these servers, comma-separated: `ADDRS` (192.0.2.1), with a port (192.0.2.1:443, [2001:db8::1]:443), networks (10.0.0.0/8) or globs (10.1.*, *:8443)")
	fs.String("sni", "", "report only connections whose SNI matches one of these `GLOBS`, comma-separated (*.example.com; case-insensitive; an empty one matches no SNI)")
	fs.String("id", "", "report only the connections of these `IDS`, comma-separated: uids (C...) or Community IDs (1:...), as the reports write them")
	// --help goes to standard output, for | less, as it is asked for.
	fs.Usage = func() { printHelp(stdout, fs) }
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, pflag.ErrHelp) {
			return exitOK
		}
		// pflag prints nothing when it returns the error (ContinueOnError).
		fmt.Fprintln(stderr, "hsdecode:", flagError(err))
		fmt.Fprintln(stderr, usageLine)
		return exitError
	}
	switch {
	case len(args) > 0 && args[0] == "completion":
		return completion(fs, args[1:], stdout, stderr)
	case *showVersion:
		printVersion(stdout)
		return exitOK
	case *showMan:
		printMan(stdout, fs)
		return exitOK
	case *listIfaces:
		return listInterfaces(stdout, stderr)
	}
	stop, err := startProfiles(*cpuProfile, *memProfile)
	if err != nil {
		complain(stderr, err.Error())
		return exitError
	}
	defer func() {
		if err := stop(); err != nil {
			complain(stderr, err.Error())
		}
	}()
	usage := func(err error) int {
		complain(stderr, err.Error())
		return exitError
	}
	rules, err := report.ParseRules(*failOn)
	if err != nil {
		return usage(fmt.Errorf("--fail-on: %w", err))
	}
	if rules.MinVersion, err = report.ParseVersion(*minVersion); err != nil {
		return usage(fmt.Errorf("--min-version: %w", err))
	}
	color, err := useColor(*colorMode, stdout)
	if err != nil {
		return usage(err)
	}
	if *output == "-" {
		*output = ""
	}
	color = color && (*output == "" || *colorMode == "always") // auto: -o's file is no terminal
	showProgress, err := useProgress(*progressMode, stderr)
	if err != nil {
		return usage(err)
	}
	sums, err := checksumMode(*checksum)
	if err != nil {
		return usage(err)
	}
	var base *report.Baseline
	if *baseline != "" {
		f, err := os.Open(*baseline)
		if err != nil {
			return usage(fmt.Errorf("--baseline: %w", err))
		}
		base, err = report.ReadBaseline(f)
		f.Close()
		if err != nil {
			return usage(fmt.Errorf("--baseline %s: %w", *baseline, err))
		}
	}
	if *maxBuf < 1 {
		return usage(fmt.Errorf("--max-buffer %d: give a number of bytes, at least 1", *maxBuf))
	}
	// A CI gate fails closed: a run that saw no TLS at all passes no
	// check, so the flags of CI use ask for one connection at least.
	if !fs.Changed("min-connections") && (fs.Changed("fail-on") || *junit != "" || *baseline != "" || *annotations != "") {
		*minConns = 1
	}
	if *minConns < 0 {
		return usage(fmt.Errorf("--min-connections %d: give 0 or more", *minConns))
	}
	sel, err := parseSelection(selectionValue(fs), *communitySeed)
	if err != nil {
		return usage(err)
	}
	if os.Getenv("GOMEMLIMIT") == "" {
		// What the run holds is counted against --max-buffer; the
		// collector is told so, or it lets garbage grow the heap to twice
		// what is live before it runs.
		defer debug.SetMemoryLimit(debug.SetMemoryLimit(*maxBuf + memoryBase + int64(*workers)*memoryPerWorker))
	}
	opt := report.Options{Verbose: *verbose, Color: color, CommunityIDSeed: *communitySeed}
	if *local {
		opt.Location = time.Local
	}
	var lc liveConfig
	var inputs []string
	var fileFilter string // the capture filter on files (-f, or after the inputs)
	isLive := fs.Changed("interface")
	if *workers < 1 || *workers > maxWorkers {
		return usage(fmt.Errorf("--workers %d: give 1 to %d", *workers, maxWorkers))
	}
	if isLive {
		if err := liveArgs(fs, *read, *filter, *snaplen, *bufKiB, *count, *duration, *write); err != nil {
			return usage(err)
		}
		lc = liveConfig{
			iface: *iface, count: *count, duration: *duration, write: *write, verbose: *verbose, zone: opt.Location, workers: *workers,
			countsOnStderr: *format != "text",
			opts: capture.LiveOptions{Filter: strings.TrimSpace(*filter + " " + strings.Join(fs.Args(), " ")),
				SnapLen: *snaplen, Promisc: !*noPromisc, BufferSize: *bufKiB << 10},
		}
	} else {
		for _, name := range []string{"snaplen", "no-promisc", "buffer-size", "count", "duration", "write"} {
			if fs.Changed(name) {
				return usage(fmt.Errorf("--%s is for live capture (-i IFACE)", name))
			}
		}
		if *read != "" {
			inputs = append(inputs, *read)
		}
		args, expr, err := splitArgs(fs.Args(), fs.Changed("filter"))
		if err != nil {
			return usage(err)
		}
		inputs = append(inputs, args...)
		if len(inputs) == 0 {
			missing := ""
			if expr != "" {
				missing = fmt.Sprintf(" (no file or directory is named %q)", strings.Fields(expr)[0])
			}
			return usage(fmt.Errorf("give capture files or directories (or -r FILE, - for standard input), or an interface with -i IFACE%s; --help explains", missing))
		}
		if fs.Changed("filter") {
			expr = *filter
		}
		if fileFilter, err = checkFilter(expr); err != nil {
			return usage(err)
		}
		var dir bool
		if inputs, dir, err = expandInputs(inputs, stderr); err != nil {
			return usage(err)
		}
		opt.MultiFile = len(inputs) > 1 || dir
	}
	// Offline, the report is written in one go: batch it into large
	// writes, flushed after each input. Live, every connection goes out
	// as soon as it is decided.
	out := stdout
	if *output != "" {
		of, err := createOutput(*output, inputs)
		if err != nil {
			return usage(err)
		}
		defer func() {
			if err := of.Close(); err != nil && status != exitError {
				status = usage(fmt.Errorf("-o: %w", err))
			}
		}()
		out, lc.output = of, of
	}
	// Live, the buffer is flushed after each round of results
	// (liveRun.flush): one write for the connections a batch decided.
	bw := bufio.NewWriterSize(out, 64<<10)
	out = bw
	outs, err := openOutputs(*format, out, opt, outputFiles{junit: *junit, html: *htmlPath, zeekX509: *zeekX509}, *summary, *annotations, stderr)
	if err != nil {
		return usage(err)
	}
	if jw, ok := outs.out.(*report.JSONWriter); ok && !isLive {
		// Encoding the lines is a third of a file run's CPU, on the
		// goroutine that also reads the capture (report/json_parallel.go).
		jw.Parallel(runtime.GOMAXPROCS(0))
	}
	keys, err := loadKeyLogs(*keyLogs, stderr)
	if err != nil {
		return usage(err)
	}
	var keyMem *keyMemory
	if os.Getenv("GOMEMLIMIT") == "" {
		keyMem = &keyMemory{log: keys}
		keyMem.count()
	}
	g := newGate(rules, base, *minConns)
	if g.sel = sel; sel != nil {
		g.sum.Selection = sel.given
	}
	if *metricsAddr != "" {
		m, err := serveMetrics(*metricsAddr, *verbose, stderr)
		if err != nil {
			return usage(err)
		}
		defer m.close()
		g.metrics = m
	}
	if isLive {
		lc.flows = flows.Options{Follow: *follow}
		if len(*keyLogs) > 0 {
			fk := &followedKeys{log: keys}
			for _, p := range *keyLogs {
				f := keys.Follow(p)
				defer f.Close()
				fk.followers = append(fk.followers, f)
			}
			lc.flows.Keys, lc.flows.KeysGrow = fk, true
			lc.keyMemory = keyMem
		}
		lc.reassembly = reassembly.Options{MaxBufferedBytes: *maxBuf, IdleTimeout: *idle, ChecksumMode: sums, IssuedIDs: len(*keyLogs) > 0}
		if err := outs.beginFile("interface " + *iface); err != nil {
			return usage(fmt.Errorf("write: %w", err))
		}
		lc.out = bw
		return runLive(lc, g, outs, stderr)
	}

	fo := flows.Options{Follow: *follow}
	ro := reassembly.Options{MaxBufferedBytes: *maxBuf, IdleTimeout: *idle, ChecksumMode: sums}
	files := fileRun{fo: fo, ro: ro, workers: *workers, verbose: *verbose, showProgress: showProgress, pace: pace,
		outs: outs, g: g, bw: bw, stderr: stderr, keys: keys, keyLogs: len(*keyLogs) > 0, filter: fileFilter}
	inputErr, err := files.run(inputs)
	if err != nil {
		return usage(err)
	}
	if g.sel != nil && g.sum.Connections == 0 && g.sum.NotSelected > 0 {
		complain(stderr, fmt.Sprintf("none of the %d connections read matched the selection (%s)", g.sum.NotSelected, g.sel.given))
	}
	if !inputErr {
		// An input that could not be read is exit 2 already.
		g.endRun(outs, stderr)
	}
	ch := g.changes()
	if err := outs.finish(g, ch, stderr); err != nil {
		return usage(fmt.Errorf("write: %w", err))
	}
	if err := bw.Flush(); err != nil {
		return usage(fmt.Errorf("write: %w", err))
	}
	if inputErr {
		return exitError
	}
	return g.status(ch)
}

// fileRun reads the capture files of a run, one after the other, into
// its outputs and gate.
type fileRun struct {
	fo           flows.Options
	ro           reassembly.Options
	workers      int
	verbose      bool
	showProgress bool
	pace         pace
	outs         *outputs
	g            *gate
	bw           *bufio.Writer
	stderr       io.Writer
	keys         *keylog.Log // what --keylog gave, with what captures embed
	keyLogs      bool        // --keylog was given
	filter       string      // the capture filter, "" for none
}

// run reads the inputs; inputErr says one could not be read, or broke
// off, which the others do not wait for. An error is one of writing the
// report, which ends the run.
func (f *fileRun) run(inputs []string) (inputErr bool, err error) {
	for n, in := range inputs {
		src, err := capture.Open(in, capture.FileOptions{Filter: f.filter})
		if err != nil {
			complain(f.stderr, err.Error())
			f.outs.fileError(in, err)
			f.g.sum.Errors++
			inputErr = true
			continue
		}
		f.g.sum.Files++
		opened := src // what withSecrets wraps keeps its count of filtered packets
		if err := f.outs.beginFile(in); err != nil {
			src.Close()
			return inputErr, fmt.Errorf("write: %w", err)
		}
		var prog *progress
		if f.showProgress {
			prog = newProgress(f.stderr, in, n+1, len(inputs), f.pace)
		}
		fo, ro := f.fo, f.ro // without key material nothing is looked up
		if _, embeds := src.(capture.SecretsSource); embeds || f.keyLogs {
			src, fo.Keys = withSecrets(src, f.keys, f.stderr), f.keys
			// A QUIC client's move to an ID issued encrypted is linked.
			ro.IssuedIDs = true
		}
		piped := asDecided(src)
		an := analyzeSource(src, fo, ro, f.workers, prog, func(r *flows.Result) error {
			if f.g.skip(r) {
				return nil
			}
			if err := f.outs.all.Write(r, f.g.add(r)); err != nil || !piped {
				return err
			}
			// A pipe's reader sees each connection as it is decided.
			if err := f.outs.sync(); err != nil {
				return err
			}
			return f.bw.Flush()
		})
		prog.done()
		src.Close()
		if an.writeErr == nil {
			an.writeErr = f.outs.sync()
		}
		if an.writeErr != nil {
			return inputErr, fmt.Errorf("write: %w", an.writeErr)
		}
		f.g.sum.AddPackets(an.stats.Packets, an.stats.Skipped)
		if an.outOfOrder > 0 {
			f.g.sum.OutOfOrder += an.outOfOrder
			complain(f.stderr, fmt.Sprintf("%s: %d reported out of start order: holding results back for it would have passed --max-buffer", in, an.outOfOrder))
		}
		if err := f.bw.Flush(); err != nil {
			return inputErr, fmt.Errorf("write: %w", err)
		}
		if f.verbose {
			printStats(f.stderr, an.stats, an.notReported)
			if fl, ok := opened.(interface{ Filtered() int64 }); ok && f.filter != "" {
				fmt.Fprintf(f.stderr, "hsdecode: %d packets did not match the capture filter\n", fl.Filtered())
			}
		}
		f.g.metrics.input(an.stats)
		if an.readErr != nil {
			complain(f.stderr, an.readErr.Error())
			f.outs.fileError(in, an.readErr)
			f.g.sum.Errors++
			f.g.inputTLS = 0
			inputErr = true
		} else {
			f.g.endInput(in, an.stats.Packets, f.outs, f.stderr)
		}
	}
	return inputErr, nil
}

// The memory a run takes besides what --max-buffer bounds, measured with
// scripts/memory.sh: the program, its tables and buffers (memoryBase), and
// per worker its queue of batches and the results on their way to be put
// in order (memoryPerWorker). They make the Go collector's soft limit.
const (
	memoryBase      = 96 << 20
	memoryPerWorker = 16 << 20
)

// complain writes a message on standard error, escaped: errors name the
// files given and quote what was read from them (report.Escape).
func complain(w io.Writer, msg string) {
	fmt.Fprintln(w, "hsdecode:", report.Escape(msg))
}

func printStats(w io.Writer, st reassembly.Stats, notReported int64) {
	fmt.Fprintf(w, "hsdecode: %d packets, %d bytes, %s (%d without TLS not reported)\n",
		st.Packets, st.Bytes, report.Count(st.Connections, "connection"), notReported)
	reasons := make([]string, 0, len(st.Skipped))
	for r := range st.Skipped {
		reasons = append(reasons, r)
	}
	sort.Strings(reasons)
	for _, r := range reasons {
		fmt.Fprintf(w, "hsdecode: skipped %d packets: %s\n", st.Skipped[r], r)
	}
	var closed []string
	for _, c := range []struct {
		r    stream.EndReason
		name string
	}{{stream.EndFIN, "by FIN"}, {stream.EndRST, "by RST"}, {stream.EndCapture, "open at the end"},
		{stream.EndIdle, "idle (--idle-timeout)"}, {stream.EndMemory, "to stay within --max-buffer"},
		{stream.EndReused, "by a new SYN on their 4-tuple"}} {
		if n := st.Closed[c.r]; n > 0 {
			closed = append(closed, fmt.Sprintf("%d %s", n, c.name))
		}
	}
	if len(closed) > 0 {
		fmt.Fprintf(w, "hsdecode: connections closed: %s; at most %d open at once, %d bytes held at most\n",
			strings.Join(closed, ", "), st.MaxOpen, st.MaxBuffered)
	}
	if st.Gaps > 0 || st.Cut > 0 || st.Defragmented > 0 {
		fmt.Fprintf(w, "hsdecode: %d gaps in TCP streams (%d bytes missing, %d of them acknowledged by the peer), %d segments cut by the snap length, %d IP datagrams made whole from fragments\n",
			st.Gaps, st.GapBytes, st.Unseen, st.Cut, st.Defragmented)
	}
}
